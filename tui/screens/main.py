"""The main screen: the panes, the keys (:mod:`tui.screens.main_actions`: each a
:class:`tui.meeting.Meeting` call in a worker, and the dialogs) and each event the meeting or the room
reports handled in one place, on the UI thread (the table here; the pane handlers in
:mod:`tui.screens.main_events`), and the meters' timer."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events as textual_events
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen

from tui.meeting import events as meeting_events
from tui.model import Timings
from tui.room import NOTES, RECORDING, events
from tui.room.events import RoomEvent
from tui.screens.main_actions import RECORD_KEY, MainActions, key_bindings
from tui.screens.main_events import PaneEvents, RoomUpdate
from tui.widgets import PlaybackMeter, RecordingPane, RepliesPane, StatusBar, TranscriptPane
from tui.widgets.footer import FittingFooter

if TYPE_CHECKING:
    from tui.app import VoxroomApp
    from tui.meeting import Meeting

__all__ = ["RECORD_KEY", "MainScreen", "RoomUpdate"]

METER_HZ = 30.0
SHORT_BELOW = 32
"""Rows under which the meters are compact (one row of level each, the device on the state's line),
so that the replies pane keeps most of the height."""
NARROW_BELOW = 100
"""Columns under which the replies pane gets half the width (else two fifths)."""


class MainScreen(PaneEvents, MainActions, Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = key_bindings()

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
        self._notes_people: tuple[str, ...] = ()
        """The labels of the people heard in the notes (the pane shows their names)."""
        self._captions_over: set[int] = set()
        """Turns whose live caption gave way to their transcript (or ended): later captions are old."""
        self.handlers: dict[type[RoomEvent], Callable[[Any], None]] = {
            events.StateChanged: self._on_state,
            events.RecordingStarted: self._on_recording_started,
            events.RecordingStopped: self._on_recording_stopped,
            events.TurnStarted: self._on_turn_started,
            events.StageChanged: self._on_stage,
            events.TranscriptionProgress: self._on_progress,
            events.TranscriptReady: self._on_transcript,
            events.TranscriptRevised: self._on_transcript_revised,
            events.CaptionChanged: self._on_caption,
            events.ReplyDelta: self._on_reply_delta,
            events.SentenceSpoken: self._on_sentence,
            events.ReplyReady: self._on_reply,
            events.TurnFinished: self._on_turn_finished,
            events.RoomFailed: self._on_room_failed,
            events.RoomNotice: self._on_room_notice,
            events.SessionChanged: self._on_session_changed,
            events.PeopleChanged: self._on_people_changed,
            events.NotesChanged: self._on_notes,
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
            meeting_events.MinutesShown: self._on_minutes,
            meeting_events.MinutesAsking: self._on_minutes,
            meeting_events.MinutesFailed: self._on_minutes,
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
        yield FittingFooter(compact=True)

    def on_resize(self, event: textual_events.Resize) -> None:
        self._fit(event.size.width, event.size.height)

    def on_screen_resume(self) -> None:
        """The terminal may have changed size while a dialog was over this screen."""
        self._fit(*self.app.size)

    def _fit(self, width: int, height: int) -> None:
        short = height < SHORT_BELOW
        self.set_class(short, "-short")
        self.set_class(width < NARROW_BELOW, "-narrow")
        self.recording_pane.compact = short
        self.playback_meter.compact = short

    def on_mount(self) -> None:
        from tui.backends import Service, plan_for
        from tui.model import NO_AGENT_NEXT_STEP

        settings = self.meeting.settings
        plan = plan_for(settings)
        self.status_bar.backend = plan.label
        if plan.agent is Service.NONE:
            self.replies_pane.next_step = NO_AGENT_NEXT_STEP
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

    # -- events (the table is in __init__) ---------------------------------------------------------
    def _listener(self, event: RoomEvent) -> None:
        # On the room's and the workers' threads: post_message is thread-safe.
        self.post_message(RoomUpdate(event))

    def on_room_update(self, message: RoomUpdate) -> None:
        handler = self.handlers.get(type(message.event))
        if handler is not None:
            handler(message.event)

    # -- the meter timer ---------------------------------------------------------------------------
    def _sample_levels(self) -> None:
        room = self.meeting.room
        if room is None:
            return
        pane = self.recording_pane
        if pane.state in (RECORDING, NOTES) and room.recorder is not None and self._auto_stop_due():
            self.voxroom.call_in_thread(
                "stop the recording", self.meeting.check_auto_stop, group="auto-stop", exclusive=True
            )
        pane.set_level(room.input_level())
        pane.elapsed = int(room.elapsed())
        pane.notes_elapsed = int(room.notes_elapsed())
        self.playback_meter.set_level(room.output_level())

    def _auto_stop_due(self) -> bool:
        """Ask the recorder about auto-stop twice a second, not at the meter's rate."""
        self._auto_stop_ticks = (self._auto_stop_ticks + 1) % int(METER_HZ / 2)
        return self._auto_stop_ticks == 0


def _titled(widget: Any, title: str) -> Any:
    widget.border_title = title
    return widget
