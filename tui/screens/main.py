"""The main screen: the panes, the keys of :data:`tui.actions.COMMANDS` (each binding with an id, so a
keymap can move it), each key a :class:`tui.meeting.Meeting` call in a worker, and each event the
meeting or the room reports handled in one place, on the UI thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer

from tui.actions import COMMANDS
from tui.errors import VoxroomError
from tui.meeting import events as meeting_events
from tui.meeting.values import (
    DevicesChoice,
    ExportChoice,
    Naming,
    PersonAction,
    PersonChoice,
    SessionChoice,
    Shown,
    ShownTurn,
)
from tui.model import STATUS_NOTES, Timings
from tui.room import IDLE, RECORDING, SPEAKING, events
from tui.room.events import RoomEvent
from tui.widgets import PlaybackMeter, RecordingPane, RepliesPane, StatusBar, TranscriptPane

if TYPE_CHECKING:
    from tui.app import VoxroomApp
    from tui.meeting import Meeting

METER_HZ = 30.0
RECORD_KEY = "space"
"""The record key's default; ``[hotkey] fallback_key`` moves it (the binding's id is ``record``)."""
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
    (its ``so_far`` holds this one's text too)."""

    def __init__(self, event: RoomEvent) -> None:
        super().__init__()
        self.event = event

    def can_replace(self, message: Message) -> bool:
        mine = self.event
        return (
            isinstance(mine, events.ReplyDelta)
            and isinstance(message, RoomUpdate)
            and isinstance(message.event, events.ReplyDelta)
            and message.event.turn == mine.turn
            and message.event.seq > mine.seq
        )


def _bindings() -> list[BindingType]:
    """The record key first, then quit: the keys a narrow terminal's footer must still show."""
    bindings: list[BindingType] = [
        Binding(RECORD_KEY, "trigger('fallback')", "Record / stop", priority=True, id="record"),
        Binding("right_shift", "terminal_tap", "Record", show=False, priority=True, id="record-tap"),
    ]
    for command in sorted(COMMANDS, key=lambda c: c.action != "quit"):
        if command.keys:
            bindings.append(
                Binding(
                    command.keys,
                    command.action,
                    command.footer or command.title,
                    show=bool(command.footer),
                    priority=command.priority,
                    tooltip=command.help,
                    id=command.action,
                )
            )
    return bindings


class MainScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = _bindings()

    def __init__(self, meeting: Meeting) -> None:
        super().__init__()
        self.meeting = meeting
        self.recording_pane = RecordingPane(id="recording", classes="pane")
        self.playback_meter = PlaybackMeter(id="playback", classes="pane")
        self.replies_pane = RepliesPane(id="replies", classes="pane")
        self.transcript_pane = TranscriptPane(id="transcript", classes="pane")
        self.status_bar = StatusBar(id="status")
        self.last_timings: Timings | None = None
        self.turns_finished = 0
        self.replays_finished = 0
        self.recordings = 0
        """Recordings stopped (each becomes a turn)."""
        self.reply_updates = 0
        """Times reply text reached the replies pane (deltas coalesce, so fewer than the deltas)."""
        self._suggested: set[tuple[str, str]] = set()
        self._suggestion: tuple[str, str] | None = None
        self._auto_stop_ticks = 0
        self._reply_shown: dict[int, int] = {}
        """Per turn, how much of it the replies pane shows (on the UI thread)."""
        self.handlers: dict[type[RoomEvent], Callable[[Any], None]] = {
            events.StateChanged: self._on_state,
            events.RecordingStarted: self._on_recording_started,
            events.RecordingStopped: self._on_recording_stopped,
            events.TurnStarted: self._on_turn_started,
            events.StageChanged: self._on_stage,
            events.TranscriptionProgress: self._on_progress,
            events.TranscriptReady: self._on_transcript,
            events.TranscriptRevised: self._on_transcript_revised,
            events.ReplyDelta: self._on_reply_delta,
            events.SentenceSpoken: self._on_sentence,
            events.ReplyReady: self._on_reply,
            events.TurnFinished: self._on_turn_finished,
            events.RoomFailed: self._on_room_failed,
            events.RoomNotice: self._on_room_notice,
            events.SessionChanged: self._on_session_changed,
            events.PeopleChanged: self._on_people_changed,
            events.ReplayProgress: self._on_replay_progress,
            meeting_events.MeetingReady: self._on_meeting_ready,
            meeting_events.SessionShown: self._on_session_shown,
            meeting_events.SessionsListed: self._on_sessions_listed,
            meeting_events.PeopleListed: self._on_people_listed,
            meeting_events.DevicesListed: self._on_devices_listed,
            meeting_events.AudioReplaced: self._on_audio_replaced,
            meeting_events.ConsentAsked: self._on_consent_asked,
            meeting_events.ExportExists: self._on_export_exists,
            meeting_events.Problem: self._on_problem,
            meeting_events.Notice: self._on_notice,
        }
        meeting.subscribe(self._listener)

    @property
    def voxroom(self) -> VoxroomApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield _titled(self.recording_pane, "Recording")
                yield _titled(self.playback_meter, "Speaking")
                yield _titled(self.replies_pane, "Replies")
            yield _titled(self.transcript_pane, "Transcript")
        yield self.status_bar
        yield Footer(compact=True)

    def on_mount(self) -> None:
        from tui.backends import plan_for

        settings = self.meeting.settings
        self.status_bar.backend = plan_for(settings).label
        self.recording_pane.key = settings.hotkey.fallback_key or RECORD_KEY
        self.set_interval(1.0 / METER_HZ, self._sample_levels)
        # The default screen is mounted before it is active: the footer learns its keys once it is.
        self.call_after_refresh(self.refresh_bindings)
        room = self.meeting.room
        if room is not None:  # a ready room (tests): shown before its start is reported
            self.recording_pane.state = room.state
            self.recording_pane.device = room.device_name
            self.recording_pane.has_mic = room.recorder is not None
            self.status_bar.session = room.log.name

    def in_worker(self, doing: str, call: Callable[..., object], *args: Any, **kwargs: Any) -> None:
        """Run a meeting call in a worker; ``doing`` says what it does if it fails."""
        self.voxroom.call_in_thread(doing, call, *args, **kwargs)

    # -- events ------------------------------------------------------------------------------------
    def _listener(self, event: RoomEvent) -> None:
        # On the room's and the workers' threads: post_message is thread-safe.
        self.post_message(RoomUpdate(event))

    def on_room_update(self, message: RoomUpdate) -> None:
        handler = self.handlers.get(type(message.event))
        if handler is not None:
            handler(message.event)

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

    def _on_transcript(self, event: events.TranscriptReady) -> None:
        if not self._has_transcript(event.turn):
            self.transcript_pane.add_transcript(event.transcript, event.turn)
        self._show_people()

    def _on_transcript_revised(self, event: events.TranscriptRevised) -> None:
        self.transcript_pane.replace_transcript(event.transcript, event.turn)
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
        self.turns_finished += 1
        if event.status in STATUS_NOTES:
            why = f": {event.error}" if event.status == "no-speech" and event.error else ""
            self.replies_pane.note(event.turn, STATUS_NOTES[event.status] + why)
        elif event.refused:
            unspoken = " / ".join(f"“{text}”" for text in event.refused)
            self.replies_pane.note(event.turn, f"Not spoken, refused by the speech service: {unspoken}")
        if event.status != "failed":
            self.last_timings = event.timings
            self.status_bar.timings = event.timings
            self.status_bar.failure = ""
        self.status_bar.note = ""

    def _on_room_failed(self, event: events.RoomFailed) -> None:
        self.show_error(event.error)
        if event.turn is not None:
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

    def _on_people_changed(self, event: events.PeopleChanged) -> None:
        if event.names != self.transcript_pane.names:
            self.transcript_pane.set_names(event.names)
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
        self.replies_pane.highlight(event.turn if event.kind == "reply" else None)
        self.status_bar.note = "" if done else f"replaying turn {event.turn} ({event.kind})"
        if done:
            self.replays_finished += 1

    def _on_session_shown(self, event: meeting_events.SessionShown) -> None:
        self.transcript_pane.clear()
        self.replies_pane.clear()
        self._reply_shown.clear()
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
        for turn in turns:
            transcript = turn.transcript
            if transcript is not None and (transcript.segments or transcript.text):
                self.transcript_pane.add_transcript(transcript, turn.index)
            if turn.reply is not None:
                self.replies_pane.finish(turn.index, turn.reply)
            if turn.note:
                self.replies_pane.note(turn.index, turn.note)
            last = turn.timings or last
        self.status_bar.timings = last
        self.status_bar.started = self.status_bar.started or bool(turns)

    def _on_sessions_listed(self, event: meeting_events.SessionsListed) -> None:
        from tui.screens.sessions import SessionBrowser

        self.app.push_screen(SessionBrowser(event.summaries), self._session_chosen)

    def _session_chosen(self, choice: SessionChoice | None) -> None:
        if choice is not None:
            self.in_worker("open that session", self.meeting.open, choice.ref, choice.mode)

    def _on_people_listed(self, event: meeting_events.PeopleListed) -> None:
        from tui.screens.people import PeopleDialog

        self.app.push_screen(PeopleDialog(event.people), self._person_chosen)

    def _person_chosen(self, choice: PersonChoice | None) -> None:
        if choice is None:
            return
        if choice.action == PersonAction.RENAME:
            self.action_rename_speaker(choice.label)
        else:
            self.in_worker("play the sample", self.meeting.play_sample, choice.label)

    def _on_consent_asked(self, event: meeting_events.ConsentAsked) -> None:
        from tui.screens.people import RememberVoicesDialog

        def answered(remember: bool | None) -> None:
            decide = self.meeting.decide_consent
            self.in_worker("save that name", decide, bool(remember), event.label, event.name)

        self.app.push_screen(RememberVoicesDialog(), answered)

    def _on_export_exists(self, event: meeting_events.ExportExists) -> None:
        from tui.screens.confirm import ConfirmDialog

        def answered(replace: bool | None) -> None:
            if replace:
                self._export(ExportChoice(event.fmt, event.path), replace=True)

        question = f"{event.path} already exists. Replace it with this export?"
        self.app.push_screen(ConfirmDialog(question, "Replace"), answered)

    def _on_devices_listed(self, event: meeting_events.DevicesListed) -> None:
        from tui.screens.devices import DevicesDialog

        def chosen(choice: DevicesChoice | None) -> None:
            self.in_worker("open those devices", self.meeting.choose_devices, choice, reopen=event.released)

        self.app.push_screen(DevicesDialog(list(event.inputs), list(event.outputs), event.current), chosen)

    def _on_audio_replaced(self, event: meeting_events.AudioReplaced) -> None:
        self.recording_pane.device = event.device
        self.recording_pane.has_mic = event.has_mic

    def _show_people(self) -> None:
        speakers = [self.transcript_pane.names.get(s, s) for s in self.transcript_pane.speakers]
        self.status_bar.people = f"{len(speakers)} speaking: " + ", ".join(speakers) if speakers else ""

    def _has_transcript(self, turn: int) -> bool:
        return any(getattr(line, "turn", None) == turn for line in self.transcript_pane.query("SegmentLine"))

    def show_error(self, error: VoxroomError, title: str | None = None) -> None:
        title = title or STEP_TITLES.get(error.step, "Problem")
        self.app.notify(str(error), title=title, severity="error", timeout=10)

    # -- the meter timer ---------------------------------------------------------------------------
    def _sample_levels(self) -> None:
        room = self.meeting.room
        if room is None:
            return
        pane = self.recording_pane
        if pane.state == RECORDING and room.recorder is not None and self._auto_stop_due():
            self.voxroom.call_in_thread(
                "stop the recording", self.meeting.check_auto_stop, group="auto-stop", exclusive=True
            )
        pane.set_level(room.input_level())
        pane.elapsed = int(room.elapsed())
        self.playback_meter.set_level(room.output_level())

    def _auto_stop_due(self) -> bool:
        """Ask the recorder about auto-stop twice a second, not at the meter's rate."""
        self._auto_stop_ticks = (self._auto_stop_ticks + 1) % int(METER_HZ / 2)
        return self._auto_stop_ticks == 0

    # -- keys ----------------------------------------------------------------------------------------
    def action_terminal_tap(self) -> None:
        self.voxroom.trigger_keys.right_shift()

    def action_trigger(self, source: str) -> None:
        if self.app.screen is not self:
            raise SkipAction()  # a dialog is open: let the key type into it
        self.toggle(source)

    def toggle(self, source: str) -> None:
        self.in_worker("record", self.meeting.press, source)

    def action_retry(self) -> None:
        self.in_worker("retry the last turn", self.meeting.retry)

    def action_stop(self) -> None:
        """Escape: stop a replay or a sample, or the reply being spoken."""
        self.in_worker("stop", self.meeting.stop)

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.app.screen, HelpScreen):
            settings = self.meeting.settings
            self.app.push_screen(HelpScreen(settings.hotkey.fallback_key or RECORD_KEY))

    async def action_quit(self) -> None:
        await self.voxroom.action_quit()

    def action_new_session(self) -> None:
        self.in_worker("start a new session", self.meeting.new_session, group="session", exclusive=True)

    def action_open_session(self) -> None:
        self.in_worker("list the sessions", self.meeting.list_sessions, group="session", exclusive=True)

    def action_continue_session(self) -> None:
        self.in_worker("continue that session", self.meeting.continue_shown, group="session", exclusive=True)

    def action_replay(self) -> None:
        self.in_worker("replay the session", self.meeting.replay, group="replay", exclusive=True)

    def action_rename_speaker(self, first: str = "") -> None:
        from tui.screens.rename import RenameSpeakerDialog

        speakers = list(self.transcript_pane.speakers)
        if not speakers:
            self.app.notify("Nobody has spoken yet, so there is no speaker to rename.")
            return
        if first in speakers:
            speakers.remove(first)
            speakers.insert(0, first)
        self.app.push_screen(RenameSpeakerDialog(speakers, self.transcript_pane.names), self._renamed)

    def _renamed(self, choice: Naming | None) -> None:
        if choice is None:
            return
        self.transcript_pane.set_names({**self.transcript_pane.names, choice.label: choice.name})
        self._show_people()
        self.in_worker("save that name", self.meeting.rename, choice.label, choice.name)

    def action_accept_suggestion(self) -> None:
        """ctrl+y: the voice suggested last is who it sounded like."""
        suggestion, self._suggestion = self._suggestion, None
        if suggestion is None:
            self.app.notify("There is no name to accept.")
            return
        self._renamed(Naming(*suggestion))

    def action_people(self) -> None:
        names = dict(self.transcript_pane.names)
        self.in_worker("list the people", self.meeting.list_people, names)

    def action_export(self) -> None:
        from tui.screens.export import ExportDialog

        self.app.push_screen(ExportDialog(self.meeting.export_stem()), self._export)

    def _export(self, choice: ExportChoice | None, *, replace: bool = False) -> None:
        if choice is None:
            return
        self.in_worker(
            "export the session",
            self.meeting.export,
            choice.fmt,
            choice.path,
            replace=replace,
            lines=self.transcript_pane.lines,
            replies=self.replies_pane.texts,
        )

    def action_choose_devices(self) -> None:
        self.in_worker("list the sound devices", self.meeting.list_devices, group="devices", exclusive=True)


def _titled(widget: Any, title: str) -> Any:
    widget.border_title = title
    return widget
