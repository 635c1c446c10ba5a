"""The main screen's event handlers: each event the meeting or the room reports, shown in the panes
and the status bar (on the UI thread), and :class:`RoomUpdate`, the message that carries an event
there. :class:`PaneEvents` is mixed into :class:`tui.screens.main.MainScreen`, which builds the table
from event type to handler."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from tui.errors import VoxroomError
from tui.meeting import events as meeting_events
from tui.meeting.values import Shown, ShownTurn
from tui.model import STATUS_NOTES, Timings, TurnStatus
from tui.room import IDLE, SPEAKING, events
from tui.room.events import RoomEvent
from tui.text import plural
from tui.widgets.status_bar import unasked
from tui.widgets.transcript_pane import SegmentLine

if TYPE_CHECKING:
    from textual.screen import Screen

    from tui.app import VoxroomApp
    from tui.meeting import Meeting
    from tui.widgets import PlaybackMeter, RecordingPane, RepliesPane, StatusBar, TranscriptPane

    _Screen = Screen[None]
else:
    _Screen = object

STEP_TITLES = {
    "transcription": "Transcription failed",
    "agent": "The assistant failed",
    "speech": "Speech failed",
    "audio": "Recording problem",
    "audio-device": "Audio device problem",
    "model": "Model problem",
    "config": "Configuration problem",
}


class RoomUpdate(Message, bubble=False):
    """One event of the meeting or the room, delivered on the UI thread. Reply text of one turn
    coalesces: a pending update with a later :class:`ReplyDelta` of the same turn replaces this one
    (its ``so_far`` holds this one's text too); so does a later :class:`CaptionChanged` of the same
    turn (the whole caption so far)."""

    def __init__(self, event: RoomEvent) -> None:
        super().__init__()
        self.event = event

    def can_replace(self, message: Message) -> bool:
        mine = self.event
        if not isinstance(message, RoomUpdate):
            return False
        later = message.event
        if isinstance(mine, events.CaptionChanged):
            return isinstance(later, events.CaptionChanged) and later.turn == mine.turn
        return (
            isinstance(mine, events.ReplyDelta)
            and isinstance(later, events.ReplyDelta)
            and later.turn == mine.turn
            and later.seq > mine.seq
        )


class PaneEvents(_Screen):
    """The handlers of the events that change what the panes and the status bar show; the state they
    keep lives on the screen (set up in its ``__init__``)."""

    meeting: Meeting
    recording_pane: RecordingPane
    playback_meter: PlaybackMeter
    replies_pane: RepliesPane
    transcript_pane: TranscriptPane
    status_bar: StatusBar
    last_timings: Timings | None
    turns_finished: int
    replays_finished: int
    recordings: int
    reply_updates: int
    _suggested: set[tuple[str, str]]
    _suggestion: tuple[str, str] | None
    _reply_shown: dict[int, int]
    _captions_over: set[int]
    _notes_people: tuple[str, ...]

    if TYPE_CHECKING:

        @property
        def voxroom(self) -> VoxroomApp: ...

    def _on_meeting_ready(self, event: meeting_events.MeetingReady) -> None:
        for problem in event.problems:
            self.show_error(problem)
        if not event.available:
            self.status_bar.backend = "no backend"
            self.recording_pane.hint = "Recording is unavailable: see the message."
            return
        self.recording_pane.state = event.state
        self.recording_pane.device = event.device
        self.recording_pane.has_mic = event.has_mic
        self.status_bar.session = event.session
        self.voxroom.room_ready()

    def _on_state(self, event: events.StateChanged) -> None:
        if event.state != IDLE:
            self.status_bar.started = True
        self.recording_pane.state = event.state
        self.recording_pane.queued = event.queued
        self.playback_meter.speaking = event.state == SPEAKING
        if event.state == IDLE:
            self.playback_meter.sentence = ""

    def _on_recording_started(self, event: events.RecordingStarted) -> None:
        if event.device:
            self.recording_pane.device = event.device

    def _on_recording_stopped(self, event: events.RecordingStopped) -> None:
        self.recordings += 1

    def _on_turn_started(self, event: events.TurnStarted) -> None:
        self._reply_shown[event.turn] = 0
        self.status_bar.started = True
        self.status_bar.note = "retrying the last turn" if event.retry else ""

    def _on_stage(self, event: events.StageChanged) -> None:
        self.status_bar.note = {"transcribing": "transcribing…", "thinking": "thinking…"}.get(event.stage, "")

    def _on_progress(self, event: events.TranscriptionProgress) -> None:
        filled = round(10 * event.done / event.total) if event.total else 10
        bar = "█" * filled + "░" * (10 - filled)
        self.status_bar.note = f"transcribing {bar} {event.done}/{event.total} parts"

    def _on_caption(self, event: events.CaptionChanged) -> None:
        """A late caption (its turn's transcript is shown, or the turn is over) changes nothing."""
        if event.turn not in self._captions_over:
            self.transcript_pane.show_caption(event.turn, event.text)

    def _end_caption(self, turn: int) -> None:
        self._captions_over.add(turn)
        self.transcript_pane.drop_caption(turn)

    def _on_transcript(self, event: events.TranscriptReady) -> None:
        self._captions_over.add(event.turn)
        if not self._has_transcript(event.turn):
            heading = self.meeting.heading(event.turn)
            self.transcript_pane.add_transcript(
                event.transcript, event.turn, header=heading.header, offset=heading.offset
            )
        self._show_people()

    def _on_transcript_revised(self, event: events.TranscriptRevised) -> None:
        heading = self.meeting.heading(event.turn)
        self.transcript_pane.replace_transcript(
            event.transcript, event.turn, header=heading.header, offset=heading.offset
        )
        self._show_people()  # a live transcript named nobody; the finished one has its speakers

    def _on_reply_delta(self, event: events.ReplyDelta) -> None:
        """Updates coalesce (see :class:`RoomUpdate`): the pane gets the part of the reply so far that
        it does not show yet."""
        turn = event.turn
        shown = self._reply_shown.get(turn, 0)
        text = event.so_far[shown:] if event.seq else event.text
        if text:
            self.reply_updates += 1
            self.replies_pane.append(turn, text)
            self._reply_shown[turn] = shown + len(text)

    def _on_sentence(self, event: events.SentenceSpoken) -> None:
        self.playback_meter.sentence = event.text

    def _on_reply(self, event: events.ReplyReady) -> None:
        self.replies_pane.finish(event.turn, event.reply)

    def _on_turn_finished(self, event: events.TurnFinished) -> None:
        self._end_caption(event.turn)
        self.turns_finished += 1
        if event.status in STATUS_NOTES:
            why = f": {event.error}" if event.status == "no-speech" and event.error else ""
            unanswered = event.status == TurnStatus.NO_AGENT
            self.replies_pane.note(event.turn, STATUS_NOTES[event.status] + why, unanswered=unanswered)
        elif event.refused:
            unspoken = " / ".join(f"“{text}”" for text in event.refused)
            self.replies_pane.note(event.turn, f"Not spoken, refused by the speech service: {unspoken}")
        if event.status != "failed":
            self.last_timings = event.timings
            self.status_bar.unasked = unasked(event.kind, event.status)
            self.status_bar.timings = event.timings
            self.status_bar.failure = ""
        self.status_bar.note = ""

    def _on_room_failed(self, event: events.RoomFailed) -> None:
        self.show_error(event.error)
        if event.turn is not None:
            self._end_caption(event.turn)
            what = event.error.hint or ("ctrl+r retries it." if event.retryable else "")
            self.status_bar.failure = f"turn {event.turn}: {event.error.message} {what}".strip()
            self.status_bar.note = ""
            self.replies_pane.fail(event.turn, f"This turn failed: {event.error}")

    def _on_room_notice(self, event: events.RoomNotice) -> None:
        self.app.notify(event.message, title=event.title, severity="warning", timeout=8)

    def _on_problem(self, event: meeting_events.Problem) -> None:
        self.show_error(event.error, event.title)

    def _on_notice(self, event: meeting_events.Notice) -> None:
        self.app.notify(event.message, title=event.title, severity=event.severity, timeout=event.timeout)  # type: ignore[arg-type]

    def _on_session_changed(self, event: events.SessionChanged) -> None:
        self.status_bar.session = event.name if event.saved else f"{event.name} (not saved)"

    def _on_notes(self, event: events.NotesChanged) -> None:
        """Notes started, paused, heard someone, or stopped: the recording pane shows them."""
        pane = self.recording_pane
        was = pane.notes
        self._notes_people = event.people
        pane.notes = event.on
        self._show_notes_people()
        if event.on and not was:
            self.app.notify(
                f"Taking notes: the room is recorded and transcribed, nothing is sent to the agent. "
                f"{pane.notes_key} stops them; {pane.key} still asks a question.",
                title="Notes",
            )
        elif was and not event.on:
            self.app.notify("Notes stopped: they are saved in this session.", title="Notes")

    def _show_notes_people(self) -> None:
        names = self.transcript_pane.names
        self.recording_pane.notes_people = tuple(names.get(label, label) for label in self._notes_people)

    def _on_people_changed(self, event: events.PeopleChanged) -> None:
        if event.names != self.transcript_pane.names:
            self.transcript_pane.set_names(event.names)
        self._show_notes_people()
        self._show_people()
        for label, name in event.suggestions.items():
            if (label, name) in self._suggested:
                continue
            self._suggested.add((label, name))
            self._suggestion = (label, name)
            self.app.notify(
                f"{label} sounds like {name}, remembered from an earlier meeting. "
                f"Press ctrl+y if it is {name}.",
                title="Voice recognised?",
                timeout=20,
            )

    def _on_replay_progress(self, event: events.ReplayProgress) -> None:
        done = event.kind == "done"
        if event.kind == "sample":  # a voice sample: nothing in the panes to follow
            self.status_bar.note = "playing a sample of a voice (esc stops it)"
            return
        self.transcript_pane.highlight(None if done else event.turn, event.line)
        self._show_people()
        self.replies_pane.highlight(event.turn if event.kind == "reply" else None)
        self.status_bar.note = "" if done else f"replaying turn {event.turn} ({event.kind})"
        if done:
            self.replays_finished += 1

    def _on_session_shown(self, event: meeting_events.SessionShown) -> None:
        self.transcript_pane.clear()
        self.replies_pane.clear()
        self._reply_shown.clear()
        self._captions_over.clear()
        self.status_bar.timings = None
        self.status_bar.failure = ""
        self.status_bar.started = False
        live = event.shown == Shown.LIVE
        self.recording_pane.hint = "" if live else "Read-only: ctrl+t continues it; ctrl+n starts anew."
        self.transcript_pane.names = dict(event.names)
        self.show_history(event.turns)
        self._show_people()
        if not live:
            self.status_bar.session = f"{event.name} ({event.shown})"

    def show_history(self, turns: tuple[ShownTurn, ...]) -> None:
        """Put past turns in the panes (an opened session)."""
        last: Timings | None = None
        why = ("", "")
        for turn in turns:
            transcript = turn.transcript
            if transcript is not None and (transcript.segments or transcript.text):
                heading = turn.heading
                self.transcript_pane.add_transcript(
                    transcript,
                    turn.index,
                    header=heading.header if heading else "",
                    offset=heading.offset if heading else 0.0,
                )
            if turn.reply is not None:
                self.replies_pane.finish(turn.index, turn.reply)
            if turn.note:
                self.replies_pane.note(turn.index, turn.note, unanswered=turn.status == TurnStatus.NO_AGENT)
            if turn.timings is not None:
                last, why = turn.timings, unasked(turn.kind, turn.status)
        self.status_bar.unasked = why
        self.status_bar.timings = last
        self.status_bar.started = self.status_bar.started or bool(turns)

    def _on_audio_replaced(self, event: meeting_events.AudioReplaced) -> None:
        self.recording_pane.device = event.device
        self.recording_pane.has_mic = event.has_mic

    def _show_people(self) -> None:
        """Who is speaking now (the line a replay plays), else who has spoken in the session."""
        names = self.transcript_pane.names
        speaking = [
            names.get(line.segment.speaker, line.segment.speaker)
            for line in self.transcript_pane.query("SegmentLine.-current")
            if isinstance(line, SegmentLine) and not line.live
        ]
        if speaking:
            self.status_bar.people = ", ".join(speaking) + " speaking"
            return
        speakers = [names.get(s, s) for s in self.transcript_pane.speakers]
        people = plural(len(speakers), "person", "people")
        self.status_bar.people = f"{people}: " + ", ".join(speakers) if speakers else ""

    def _has_transcript(self, turn: int) -> bool:
        return any(line.turn == turn for line in self.transcript_pane.shown_lines)

    def show_error(self, error: VoxroomError, title: str | None = None) -> None:
        title = title or STEP_TITLES.get(error.step, "Problem")
        self.app.notify(str(error), title=title, severity="error", timeout=10)
