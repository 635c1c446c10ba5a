"""The full-screen app. Thin: it composes the panes, makes its bindings and palette from the one list of
commands (:mod:`tui.actions`), and turns the room's events (plain callbacks from :mod:`tui.room`, on the
room's threads) into Textual messages, each handled in one place.

Everything that blocks runs in thread workers. Workers get what they need as arguments (they never read
widgets), report back with messages, and never close the app: an unexpected error in any of them is
logged, told in one sentence, and the room stays usable.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual import events as textual_events
from textual import work
from textual.actions import SkipAction
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from tui.actions import COMMANDS
from tui.config import Settings
from tui.errors import VoxroomError
from tui.model import STATUS_NOTES, Timings
from tui.room import IDLE, RECORDING, SPEAKING, Room, events
from tui.room.events import RoomEvent
from tui.screens.palette import VoxroomCommands
from tui.themes import (
    DEFAULT_THEME,
    VARIABLE_DEFAULTS,
    choose_theme,
    remember_theme,
    theme_css_paths,
)
from tui.widgets import PlaybackMeter, RecordingPane, RepliesPane, StatusBar, TranscriptPane
from tui.widgets.themes import textual_themes
from tui.widgets.trigger_keys import TriggerKeys

if TYPE_CHECKING:
    from tui.lifecycle import Speakers, TurnLog
    from tui.room.ports import Player, Recorder
    from tui.room.wiring import HistoryTurn
    from tui.sessions.model import SessionSummary

METER_HZ = 30.0
MIN_SIZE = (60, 20)
QUIT_CONFIRM_S = 8.0
"""How long a first ctrl+q while recording waits for the second."""
log = logging.getLogger("voxroom")

CoreFactory = Callable[["VoxroomApp"], Room]
F = TypeVar("F", bound=Callable[..., Any])


def background(group: str, *, exclusive: bool = False) -> Callable[[F], F]:
    """A thread worker that can never close the app (see :meth:`VoxroomApp.on_worker_state_changed`)."""
    return work(thread=True, group=group, exclusive=exclusive, exit_on_error=False)  # type: ignore[return-value]


class RoomUpdate(Message):
    """One :class:`tui.room.RoomEvent`, delivered on the UI thread."""

    def __init__(self, event: RoomEvent) -> None:
        super().__init__()
        self.event = event


class AppProblem(Message):
    """Something the app itself (not the room) could not do: shown in one sentence."""

    def __init__(self, error: VoxroomError, title: str = "Problem") -> None:
        super().__init__()
        self.error = error
        self.title = title


class CoreReady(Message):
    def __init__(self, room: Room | None, problems: list[VoxroomError]) -> None:
        super().__init__()
        self.room = room
        self.problems = problems


class SessionReady(Message):
    """A session to show (read-only) or to record into, with its past turns."""

    def __init__(self, log: TurnLog, history: list[HistoryTurn], *, read_only: bool, ref: str = "") -> None:
        super().__init__()
        self.log = log
        self.history = history
        self.read_only = read_only
        self.ref = ref
        """How it was opened (an id, or ``sample:NAME``): ctrl+t continues it by this."""


class SessionsListed(Message):
    def __init__(self, summaries: list[SessionSummary]) -> None:
        super().__init__()
        self.summaries = summaries


class DevicesListed(Message):
    def __init__(
        self, inputs: list[str], outputs: list[str], *, released: bool = False, failed: bool = False
    ) -> None:
        super().__init__()
        self.inputs = inputs
        self.outputs = outputs
        self.released = released
        """The room's audio was closed for the rescan: open it again whatever is chosen."""
        self.failed = failed
        """Listing failed (already told): nothing to choose from."""


class AudioReplaced(Message):
    def __init__(self, device: str, problems: list[VoxroomError]) -> None:
        super().__init__()
        self.device = device
        self.problems = problems


class Notice(Message):
    def __init__(
        self, text: str, title: str = "Voxroom", severity: str = "information", timeout: float = 6
    ) -> None:
        super().__init__()
        self.text = text
        self.title = title
        self.severity = severity
        self.timeout = timeout


def _bindings() -> list[BindingType]:
    bindings: list[BindingType] = [
        Binding("right_shift", "terminal_tap", "Record", show=False, priority=True)
    ]
    for command in COMMANDS:
        if command.keys:
            bindings.append(
                Binding(
                    command.keys,
                    command.action,
                    command.footer or command.title,
                    show=bool(command.footer),
                    priority=command.priority,
                )
            )
    return bindings


class VoxroomApp(App[None]):
    TITLE = "Voxroom"
    CSS_PATH: ClassVar[list[str | Path]] = list(theme_css_paths())  # type: ignore[assignment]
    CSS = """
    #main { height: 1fr; }
    #left { width: 2fr; }
    #transcript { width: 3fr; }
    .pane { border: round $panel-lighten-2; border-title-color: $text-muted; }
    """
    COMMANDS = App.COMMANDS | {VoxroomCommands}
    BINDINGS: ClassVar[list[BindingType]] = _bindings()

    def __init__(
        self,
        settings: Settings,
        *,
        room: Room | None = None,
        core: CoreFactory | None = None,
        theme: str | None = None,
        hotkey: bool = True,
        warm_up: bool = True,
    ) -> None:
        """``room``: a ready core (tests); ``core``: builds one in a worker (default: the real parts).

        ``theme`` is the ``--theme`` flag; without it the config file's ``theme``, then the last palette
        choice, then the default (:func:`tui.themes.choose_theme`).
        """
        super().__init__()
        self.settings = settings
        self.room: Room | None = room
        self._core_factory = core
        self._want_global_hotkey = hotkey
        self._want_warm_up = warm_up
        self._initial_theme = choose_theme(settings.theme, settings.data_dir, theme)
        self._pending_toggles = 0
        self._warned_small = False
        self._quit_armed = False
        self._auto_stop_ticks = 0
        self.hotkey: Any = None
        self.hotkey_problem: str = ""
        self.trigger_keys = TriggerKeys(self)
        self.last_timings: Timings | None = None
        self.turns_finished = 0
        self.replays_finished = 0
        self.worker_failures = 0
        self._suggested: set[tuple[str, str]] = set()
        self._suggestion: tuple[str, str] | None = None
        self.first_frame_at: float | None = None
        self.start_dir = Path.cwd()
        """The folder Voxroom was started in (the export dialog's default, see README)."""
        self.read_only = False
        self.viewing: TurnLog | None = None
        """The session shown in the panes when it is not the room's own (opened read-only)."""
        self.viewing_ref = ""
        """How the session shown was opened (an id or ``sample:NAME``)."""
        self.recording_pane = RecordingPane(id="recording", classes="pane")
        self.playback_meter = PlaybackMeter(id="playback", classes="pane")
        self.replies_pane = RepliesPane(id="replies", classes="pane")
        self.transcript_pane = TranscriptPane(id="transcript", classes="pane")
        self.status_bar = StatusBar(id="status")
        fallback = settings.hotkey.fallback_key or "space"
        self._bindings.bind(fallback, "trigger('fallback')", "Record / stop", priority=True)
        # The record key first in the footer: the one key a narrow terminal must still show.
        keys = self._bindings.key_to_bindings
        self._bindings.key_to_bindings = {fallback: keys.pop(fallback), **keys}
        self._room_handlers: dict[type[RoomEvent], Callable[[Any], None]] = {
            events.StateChanged: self._on_state,
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
        }

    # -- composition ----------------------------------------------------------------------------
    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(VARIABLE_DEFAULTS)

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
        from tui.backends import plan_for, transport_warning

        for theme in textual_themes():
            self.register_theme(theme)
        self._apply_theme(self._initial_theme)
        self.status_bar.backend = plan_for(self.settings).label
        self.recording_pane.key = self.settings.hotkey.fallback_key or "space"
        self.set_interval(1.0 / METER_HZ, self._sample_levels)
        if self.room is not None:
            self._attach(self.room)
        warning = transport_warning(self.settings)
        if warning:
            self.notify(warning, title="Connection not encrypted", severity="warning", timeout=15)
        self.call_after_refresh(self._first_frame)

    def _apply_theme(self, name: str) -> None:
        """The start-up theme (flag, config, remembered): never remembered, so a bad flag changes nothing."""
        if name not in self.available_themes:
            self.notify(
                f"There is no theme called '{name}'. Using {DEFAULT_THEME}.",
                title="Theme",
                severity="warning",
            )
            name = DEFAULT_THEME
        # Textual gives the app the class "-theme-<name>": the themes/*.tcss rules hang off it.
        self.theme = name

    def switch_theme(self, name: str) -> None:
        """A theme chosen in the palette: used now and remembered for the next start."""
        self.theme = name
        self._remember_theme(self.settings.data_dir, name)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Textual's own commands, without its theme switcher (the palette offers Voxroom's themes)."""
        for command in super().get_system_commands(screen):
            if command.title != "Theme":
                yield command

    @background("state")
    def _remember_theme(self, data_dir: Path, name: str) -> None:
        remember_theme(data_dir, name)

    def _first_frame(self) -> None:
        self.first_frame_at = time.perf_counter()
        if self.room is not None:
            self._room_ready(self.room)
        else:
            self._build_core(self._core_factory)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification is plain text unless a caller asks for markup: messages carry server
        errors, file and session names, which must never become styles or live actions."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    # -- workers that fail -------------------------------------------------------------------------
    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one route for a worker's unexpected error: logged, told in one sentence, app kept."""
        if event.state != WorkerState.ERROR:
            return
        worker = event.worker
        error = worker.error
        self.worker_failures += 1
        log.error("worker %s failed", worker.name, exc_info=error)
        what = worker.name.strip("_").replace("_", " ").removesuffix(" worker")
        reason = str(error).strip().rstrip(".") or type(error).__name__
        self.notify(
            f"Voxroom could not {what}: {reason}. The rest keeps working; try again.",
            title="Something went wrong",
            severity="error",
            timeout=10,
        )

    def on_app_problem(self, message: AppProblem) -> None:
        self._show_error(message.error, message.title)

    def on_notice(self, message: Notice) -> None:
        self.notify(message.text, title=message.title, severity=message.severity, timeout=message.timeout)  # type: ignore[arg-type]

    # -- the core --------------------------------------------------------------------------------
    @background("core", exclusive=True)
    def _build_core(self, factory: CoreFactory | None) -> None:
        problems: list[VoxroomError] = []
        room: Room | None = None
        if factory is None:
            # Before anything records: repair what a crash left, so nothing recorded is lost.
            self._recover_recordings(self.settings)
        try:
            room = (factory or default_core)(self)
        except VoxroomError as err:
            problems.append(err)
        except Exception as err:  # keep the UI alive whatever the core does
            log.exception("the core could not be built")
            problems.append(VoxroomError(f"Voxroom could not start its audio and backends: {err}."))
        self.post_message(CoreReady(room, problems))

    def _recover_recordings(self, settings: Settings) -> None:
        from tui.lifecycle import recover_interrupted
        from tui.room.wiring import session_store

        try:
            recovered, problems = recover_interrupted(session_store(settings))
        except VoxroomError as err:
            recovered, problems = [], [str(err)]
        if recovered:
            names = sorted({session.id for session, _ in recovered})
            self.post_message(
                Notice(
                    f"Recovered {len(recovered)} recording(s) left by an interrupted run, in session "
                    f"{', '.join(names)}. Open it (ctrl+o), continue it (ctrl+t), then retry (ctrl+r).",
                    title="Recovered",
                    severity="warning",
                    timeout=15,
                )
            )
        for problem in problems:
            self.post_message(Notice(problem, title="Recovery", severity="error", timeout=15))

    def on_core_ready(self, message: CoreReady) -> None:
        for problem in message.problems:
            self._show_error(problem)
        if message.room is None:
            self.status_bar.backend = "no backend"
            self.recording_pane.hint = "Recording is unavailable: see the message."
            return
        self.room = message.room
        self._attach(message.room)
        for problem in message.room.problems:
            self._show_error(problem)
        self._room_ready(message.room)
        while self._pending_toggles > 0:
            self._pending_toggles -= 1
            self._toggle("fallback")

    def _room_ready(self, room: Room) -> None:
        if self._want_warm_up and room.backends is not None:
            self._warm_up(room)
        if self._want_global_hotkey and self.settings.hotkey.global_listener:
            self._start_hotkey(room, self.settings.hotkey.key)

    def _attach(self, room: Room) -> None:
        room.subscribe(self._room_listener)
        self.trigger_keys.attach(room)
        self.recording_pane.state = room.state
        self.recording_pane.device = room.device_name
        self.status_bar.session = room.log.name
        self.recording_pane.has_mic = room.recorder is not None

    def _room_listener(self, event: RoomEvent) -> None:
        # Runs on the room's threads; post_message is thread-safe.
        self.post_message(RoomUpdate(event))

    @background("warm-up")
    def _warm_up(self, room: Room) -> None:
        assert room.backends is not None
        for err in room.backends.warm_up():
            self.post_message(AppProblem(err))

    @background("hotkey")
    def _start_hotkey(self, room: Room, key: str) -> None:
        problem = ""
        try:
            from tui.trigger import GlobalHotkey

            hotkey = GlobalHotkey(room.trigger, key)
            problem = str(hotkey.start() or "")
        except Exception as err:  # never let the hotkey take the app down
            problem = str(err) or type(err).__name__
        if problem:
            self.call_from_thread(self._hotkey_unavailable, problem)
        else:
            self.call_from_thread(setattr, self, "hotkey", hotkey)
            self.call_from_thread(setattr, self.recording_pane, "global_key", key)

    def _hotkey_unavailable(self, problem: str) -> None:
        self.hotkey_problem = problem
        key = self.settings.hotkey.fallback_key or "space"
        if "fallback" not in problem:
            problem = f"{problem.rstrip('.')}; use {key} in this window."
        self.notify(problem, title="Hotkey", severity="warning", timeout=8)

    # -- the meter timer ----------------------------------------------------------------------------
    def _sample_levels(self) -> None:
        room = self.room
        if room is None or not self.screen_stack:
            return
        pane = self.recording_pane
        if pane.state == RECORDING and room.recorder is not None and self._auto_stop_due():
            self._auto_stop_worker(room)
        pane.set_level(room.input_level())
        pane.elapsed = int(room.elapsed())
        self.playback_meter.set_level(room.output_level())

    def _auto_stop_due(self) -> bool:
        """Ask the recorder about auto-stop twice a second, not at the meter's rate."""
        self._auto_stop_ticks = (self._auto_stop_ticks + 1) % int(METER_HZ / 2)
        return self._auto_stop_ticks == 0

    @background("auto-stop", exclusive=True)
    def _auto_stop_worker(self, room: Room) -> None:
        reason = room.check_auto_stop()
        if reason:
            self.post_message(Notice(reason, title="Recording stopped"))

    # -- room events: one handler each -----------------------------------------------------------
    def on_room_update(self, message: RoomUpdate) -> None:
        handler = self._room_handlers.get(type(message.event))
        if handler is not None:
            handler(message.event)

    def _on_state(self, event: events.StateChanged) -> None:
        if event.state != IDLE:
            self.status_bar.started = True
        self.recording_pane.state = event.state
        self.recording_pane.queued = event.queued
        self.playback_meter.speaking = event.state == SPEAKING
        if event.state == IDLE:
            self.playback_meter.sentence = ""

    def _on_turn_started(self, event: events.TurnStarted) -> None:
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
        self.replies_pane.append(event.turn, event.text)

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
        self._show_error(event.error)
        if event.turn is not None:
            what = event.error.hint or ("ctrl+r retries it." if event.retryable else "")
            self.status_bar.failure = f"turn {event.turn}: {event.error.message} {what}".strip()
            self.status_bar.note = ""
        if event.turn is not None:  # the turn's place in the replies says what happened to it
            self.replies_pane.fail(event.turn, f"This turn failed: {event.error}")

    def _on_room_notice(self, event: events.RoomNotice) -> None:
        self.notify(event.message, title=event.title, severity="warning", timeout=8)

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
            self.notify(
                f"{label} sounds like {name}, remembered from an earlier meeting. "
                f"Press ctrl+y if it is {name}.",
                title="Voice recognised?",
                timeout=20,
            )

    def action_accept_suggestion(self) -> None:
        """ctrl+y: the voice suggested last is who it sounded like."""
        suggestion, self._suggestion = self._suggestion, None
        if suggestion is None:
            self.notify("There is no name to accept.", severity="information")
            return
        self._renamed(suggestion)

    def _show_people(self) -> None:
        speakers = [self.transcript_pane.names.get(s, s) for s in self.transcript_pane.speakers]
        self.status_bar.people = f"{len(speakers)} speaking: " + ", ".join(speakers) if speakers else ""

    def _on_replay_progress(self, event: events.ReplayProgress) -> None:
        done = event.kind == "done"
        self.transcript_pane.highlight(None if done else event.turn, event.line)
        self.replies_pane.highlight(event.turn if event.kind == "reply" else None)
        self.status_bar.note = "" if done else f"replaying turn {event.turn} ({event.kind})"
        if done:
            self.replays_finished += 1

    def _has_transcript(self, turn: int) -> bool:
        return any(getattr(line, "turn", None) == turn for line in self.transcript_pane.query("SegmentLine"))

    def _show_error(self, error: VoxroomError, title: str | None = None) -> None:
        title = title or {
            "transcription": "Transcription failed",
            "agent": "The assistant failed",
            "speech": "Speech failed",
            "audio": "Recording problem",
            "audio-device": "Audio device problem",
            "model": "Model problem",
            "config": "Configuration problem",
        }.get(error.step, "Problem")
        self.notify(str(error), title=title, severity="error", timeout=10)

    # -- size -------------------------------------------------------------------------------------------
    def on_resize(self) -> None:
        width, height = self.size
        small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        if small and not self._warned_small:
            self._warned_small = True
            self.notify(
                f"The terminal is small ({width}x{height}); Voxroom is easier to read at "
                f"{MIN_SIZE[0]}x{MIN_SIZE[1]} or more. Enlarge the window.",
                title="Small terminal",
                severity="warning",
            )
        elif not small:
            self._warned_small = False

    # -- actions ------------------------------------------------------------------------------------------
    async def on_event(self, event: textual_events.Event) -> None:
        self.trigger_keys.saw(event)  # other keys cancel a terminal Right Shift; focus suspends the trigger
        await super().on_event(event)

    def action_terminal_tap(self) -> None:
        self.trigger_keys.right_shift()

    def action_trigger(self, source: str) -> None:
        if self.screen is not self.screen_stack[0]:
            raise SkipAction()  # a dialog is open: let the key type into it
        self._toggle(source)

    def _toggle(self, source: str) -> None:
        room = self.room
        if room is not None and room.replaying:
            self.action_stop()
            return
        if self.read_only:
            self.notify(
                "This session is open read-only. Continue it with ctrl+t, or start a new one with ctrl+n.",
                severity="warning",
            )
            return
        if room is None:
            self._pending_toggles += 1
            return
        self._room_call(room.press, source)

    @background("trigger")
    def _room_call(self, call: Callable[..., object], *args: object) -> None:
        """A room command that may block (devices, locks), off the UI thread."""
        call(*args)

    def action_retry(self) -> None:
        room = self.room
        if room is None or not room.can_retry:
            self.notify("There is no failed turn to retry.", severity="information")
            return
        self._room_call(room.retry_last)

    def action_stop(self) -> None:
        """Escape: stop a replay, or the reply being spoken."""
        room = self.room
        if room is None:
            return
        if room.replaying:
            self._room_call(room.stop_replay)
        elif room.state == SPEAKING:
            self._room_call(room.interrupt)

    # Older names, kept for the palette and tests.
    def action_stop_speaking(self) -> None:
        if self.room is not None:
            self._room_call(self.room.interrupt)

    def action_stop_replay(self) -> None:
        if self.room is not None and self.room.replaying:
            self._room_call(self.room.stop_replay)

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.settings.hotkey.fallback_key or "space"))

    # -- sessions -----------------------------------------------------------------------------------
    def action_new_session(self) -> None:
        room = self.room
        if room is not None and room.busy:
            self.notify("Wait for the current turn to finish, then start a new session.", severity="warning")
            return
        if room is not None and _turn_count(room.log) == 0:
            # The room's session is still empty: show it again rather than pile up empty sessions.
            self.post_message(SessionReady(room.log, [], read_only=False))
            return
        self._new_session_worker(self.settings, room)

    @background("session", exclusive=True)
    def _new_session_worker(self, settings: Settings, room: Room | None) -> None:
        from tui.backends import make_backends
        from tui.room.wiring import new_log

        try:
            backends = (
                room.backends if room is not None and room.backends is not None else make_backends(settings)
            )
            log_ = new_log(settings, backends)
        except VoxroomError as err:
            self.post_message(AppProblem(err, "New session"))
            return
        self.post_message(SessionReady(log_, [], read_only=False))

    def on_session_ready(self, message: SessionReady) -> None:
        self.transcript_pane.clear()
        self.replies_pane.clear()
        self.status_bar.timings = None
        self.status_bar.failure = ""
        self.status_bar.started = False
        self.read_only = message.read_only
        self.viewing = message.log if message.read_only else None
        self.viewing_ref = message.ref or message.log.session_id
        self.recording_pane.hint = (
            "Read-only: ctrl+t continues it; ctrl+n starts anew." if message.read_only else ""
        )
        from tui.lifecycle import SessionLog

        stored = message.log.session if isinstance(message.log, SessionLog) else None
        self.transcript_pane.names = dict(stored.speaker_names) if stored is not None else {}
        self.show_history(message.history)
        self._show_people()
        if self.room is not None and not message.read_only:
            self._room_call(self.room.use_log, message.log)
        elif message.read_only:
            self.status_bar.session = f"{message.log.name} (read-only)"

    def show_history(self, turns: list[HistoryTurn]) -> None:
        """Put past turns in the panes (an opened session)."""
        last: Timings | None = None
        for index, transcript, reply, timings, status in turns:
            if transcript is not None and (transcript.segments or transcript.text):
                self.transcript_pane.add_transcript(transcript, index)
            if reply is not None:
                self.replies_pane.finish(index, reply)
            if status in STATUS_NOTES:
                self.replies_pane.note(index, STATUS_NOTES[status])
            last = timings or last
        self.status_bar.timings = last
        self.status_bar.started = self.status_bar.started or bool(turns)

    def action_open_session(self) -> None:
        self._list_sessions_worker(self.settings)

    @background("session", exclusive=True)
    def _list_sessions_worker(self, settings: Settings) -> None:
        from tui.room.wiring import list_sessions

        try:
            summaries = list_sessions(settings, samples=True)
        except VoxroomError as err:
            self.post_message(AppProblem(err, "Sessions"))
            return
        self.post_message(SessionsListed(summaries))

    def on_sessions_listed(self, message: SessionsListed) -> None:
        from tui.screens.sessions import SessionBrowser

        if not message.summaries:
            self.notify("There are no saved sessions yet.", severity="information")
            return
        self.push_screen(SessionBrowser(message.summaries), self._session_chosen)

    def _session_chosen(self, choice: tuple[str, str] | None) -> None:
        if choice is None:
            return
        self._open(*choice)

    def _open(self, session_id: str, mode: str) -> None:
        room = self.room
        if mode == "continue" and room is not None and room.busy:
            self.notify(
                "Wait for the current turn to finish, then continue that session.", severity="warning"
            )
            return
        backends = room.backends if room is not None else None
        self._open_session_worker(self.settings, session_id, mode, backends)

    def action_continue_session(self) -> None:
        viewing = self.viewing
        if viewing is None:
            self.notify("Open a session first (ctrl+o); ctrl+t then continues it.", severity="information")
            return
        self._open(self.viewing_ref or viewing.session_id, "continue")

    @background("session", exclusive=True)
    def _open_session_worker(self, settings: Settings, session_id: str, mode: str, backends: Any) -> None:
        from tui.room.wiring import open_log

        try:
            log_, history = open_log(
                settings,
                session_id,
                backends if mode == "continue" else None,
                read_only=mode != "continue",
            )
        except VoxroomError as err:
            self.post_message(AppProblem(err, "Open session"))
            return
        self.post_message(SessionReady(log_, history, read_only=mode != "continue", ref=session_id))

    def action_replay(self) -> None:
        room = self.room
        if room is None or room.busy or room.replaying:
            self.notify("Wait for the current turn to finish, then replay.", severity="warning")
            return
        self._replay_worker(room, self.viewing or room.log, self.replay_speed)

    @background("replay", exclusive=True)
    def _replay_worker(self, room: Room, target: TurnLog, speed: float) -> None:
        from tui.room.wiring import replay_steps

        try:
            steps = replay_steps(target)
        except VoxroomError as err:
            self.post_message(AppProblem(err, "Replay"))
            return
        if not any(step.path is not None for step in steps):
            self.post_message(Notice("This session has no audio to replay.", severity="warning"))
            return
        room.replay(steps, speed=speed)

    replay_speed = 1.0
    """How fast a replay without a speaker is timed (tests)."""

    def action_rename_speaker(self, first: str = "") -> None:
        from tui.screens.rename import RenameSpeakerDialog

        speakers = list(self.transcript_pane.speakers)
        if not speakers:
            self.notify("Nobody has spoken yet, so there is no speaker to rename.", severity="information")
            return
        if first in speakers:
            speakers.remove(first)
            speakers.insert(0, first)
        self.push_screen(RenameSpeakerDialog(speakers, self.transcript_pane.names), self._renamed)

    def _renamed(self, choice: tuple[str, str] | None) -> None:
        if choice is None:
            return
        label, name = choice
        self.transcript_pane.set_names({**self.transcript_pane.names, label: name})
        self._show_people()
        target = self.viewing or (self.room.log if self.room is not None else None)
        if _is_sample(target):
            self.notify("Samples are not changed: the name shows until you leave it.")
            return
        if target is None:
            return
        speakers = _speakers_of(target)
        if speakers is not None and speakers.profiles is not None and speakers.consent is None:
            from tui.screens.people import RememberVoicesDialog

            def answered(consent: bool | None) -> None:
                speakers.set_consent(bool(consent))
                self._save_name_worker(target, label, name)

            self.push_screen(RememberVoicesDialog(), answered)
            return
        self._save_name_worker(target, label, name)

    def action_people(self) -> None:
        from tui.screens.people import PeopleDialog, PersonRow

        target = self.viewing or (self.room.log if self.room is not None else None)
        session = getattr(target, "session", None)
        people = list(getattr(session, "people", []) or [])
        if session is None or not people:
            self.notify("Nobody has spoken yet in this session.", severity="information")
            return
        rows = [
            PersonRow(
                p.label,
                self.transcript_pane.names.get(p.label, ""),
                p.seconds,
                bool(p.reference and session.folder and (session.folder / p.reference).is_file()),
            )
            for p in people
        ]
        self.push_screen(PeopleDialog(rows), self._person_chosen)

    def _person_chosen(self, choice: tuple[str, str] | None) -> None:
        if choice is None:
            return
        what, label = choice
        if what == "rename":
            self.action_rename_speaker(label)
            return
        target = self.viewing or (self.room.log if self.room is not None else None)
        session = getattr(target, "session", None)
        person = next((p for p in getattr(session, "people", []) if p.label == label), None)
        room = self.room
        if person is None or not person.reference or session is None or session.folder is None:
            self.notify("There is no sample of that voice yet.", severity="information")
        elif room is None or room.player is None:
            self.notify("No speaker is available to play the sample on.", severity="warning")
        elif room.busy or room.replaying:
            self.notify("Wait for the current turn to finish, then play the sample.", severity="warning")
        else:
            self._play_sample(room, session.folder / person.reference)

    @background("replay", exclusive=True)
    def _play_sample(self, room: Room, path: Path) -> None:
        from tui.audio.clip import load_clip

        try:
            clip = load_clip(path)
        except VoxroomError as err:
            self.post_message(AppProblem(err, "Play a sample"))
            return
        player = room.player
        if player is not None:
            player.open(clip.rate)
            player.write(clip.samples)
            player.drain()

    @background("session")
    def _save_name_worker(self, target: TurnLog, label: str, name: str) -> None:
        from tui.room.wiring import rename_speaker

        try:
            rename_speaker(target, label, name)
        except VoxroomError as err:
            self.post_message(AppProblem(err, "Rename speaker"))

    def action_export(self) -> None:
        from tui.screens.export import ExportDialog
        from tui.sessions.export import default_export_folder

        target = self.viewing or (self.room.log if self.room is not None else None)
        name = target.name if target is not None else "voxroom"
        folder = default_export_folder(self.start_dir, Path.home())
        stem = folder / "".join(c if c.isalnum() or c in "-_" else "-" for c in f"voxroom-{name}")
        self.push_screen(ExportDialog(stem), self._export_chosen)

    def _export_chosen(self, choice: tuple[str, Path] | None) -> None:
        if choice is None:
            return
        target = self.viewing or (self.room.log if self.room is not None else None)
        if target is None:
            self.notify("There is no session to export yet.", severity="information")
            return
        self._export_worker(
            target, *choice, lines=self.transcript_pane.lines, replies=self.replies_pane.texts
        )

    @background("export")
    def _export_worker(
        self, target: TurnLog, fmt: str, path: Path, *, lines: list[str], replies: list[str]
    ) -> None:
        from tui.room.wiring import export_log

        try:
            written = export_log(target, fmt, path, lines=lines, replies=replies)
        except VoxroomError as err:
            self.post_message(AppProblem(err, "Export"))
            return
        self.post_message(Notice(f"Exported to {written}.", title="Export"))

    # -- devices ----------------------------------------------------------------------------------
    def action_choose_devices(self) -> None:
        room = self.room
        idle = room is None or not (room.busy or room.replaying)
        self._devices_worker(room, rescan=idle)

    @background("devices", exclusive=True)
    def _devices_worker(self, room: Room | None, *, rescan: bool) -> None:
        """List the devices; when idle, first close the room's audio and make PortAudio look again
        (the audio is opened again from the settings once the dialog closes)."""
        released = False
        try:
            from tui.audio.devices import input_devices, output_devices, rescan_devices

            if rescan:
                if room is not None:
                    room.replace_audio(None, None)
                    released = True
                rescan_devices()
            inputs = [d.name for d in input_devices()]
            outputs = [d.name for d in output_devices()]
        except (VoxroomError, ImportError, OSError) as err:
            self.post_message(AppProblem(VoxroomError(f"Cannot list the sound devices: {err}."), "Devices"))
            if released:
                self.post_message(DevicesListed([], [], released=True, failed=True))
            return
        self.post_message(DevicesListed(inputs, outputs, released=released))

    def on_devices_listed(self, message: DevicesListed) -> None:
        from tui.screens.devices import DevicesDialog

        if message.failed:  # already told; only the audio closed for the rescan comes back
            self._devices_chosen(None, reopen=message.released)
            return
        if not message.inputs and not message.outputs:
            self.notify("No sound devices were found. Connect one, then try again.", severity="warning")
            self._devices_chosen(None, reopen=message.released)
            return
        current = (self.settings.audio.input_device, self.settings.audio.output_device)
        self.push_screen(
            DevicesDialog(message.inputs, message.outputs, current),
            lambda choice: self._devices_chosen(choice, reopen=message.released),
        )

    def _devices_chosen(self, choice: tuple[str, str] | None, *, reopen: bool = False) -> None:
        room = self.room
        if room is None or (choice is None and not reopen):
            return
        if choice is None:
            choice = (self.settings.audio.input_device, self.settings.audio.output_device)
        elif room.busy:
            self.notify("Wait for the current turn to finish, then choose devices.", severity="warning")
            return
        self.settings.audio.input_device, self.settings.audio.output_device = choice
        self._rebuild_audio_worker(room, self.settings)

    @background("core", exclusive=True)
    def _rebuild_audio_worker(self, room: Room, settings: Settings) -> None:
        from tui.room.wiring import open_audio

        recorder: Recorder | None
        player: Player | None
        recorder, player, problems = open_audio(settings)
        try:
            room.replace_audio(recorder, player)
        except VoxroomError as err:
            for part in (recorder, player):
                if part is not None:
                    part.close()
            problems.append(err)
        self.post_message(AudioReplaced(room.device_name, problems))

    def on_audio_replaced(self, message: AudioReplaced) -> None:
        self.recording_pane.device = message.device
        self.recording_pane.has_mic = self.room is not None and self.room.recorder is not None
        for problem in message.problems:
            self._show_error(problem, "Devices")

    # -- shutdown ---------------------------------------------------------------------------------------
    async def action_quit(self) -> None:
        """ctrl+q: while recording, the first press says what happens to the recording."""
        room = self.room
        if room is not None and room.state == RECORDING and not self._quit_armed:
            self._quit_armed = True
            self.notify(
                "You are recording. Press ctrl+q again to quit: the recording is kept as an interrupted "
                "turn; open the session (ctrl+o), continue it (ctrl+t), then ctrl+r answers it.",
                title="Quit while recording?",
                severity="warning",
                timeout=QUIT_CONFIRM_S,
            )
            self.set_timer(QUIT_CONFIRM_S, self._disarm_quit)
            return
        await super().action_quit()

    def _disarm_quit(self) -> None:
        self._quit_armed = False

    def on_unmount(self) -> None:
        self.close_core()

    def close_core(self) -> None:
        """Stop the hotkey listener, any recording (kept as an interrupted turn) and speech, and the
        room's turn thread; the devices are closed."""
        hotkey, self.hotkey = self.hotkey, None
        if hotkey is not None:
            with contextlib.suppress(Exception):
                hotkey.stop()
        room = self.room
        if room is not None:
            room.close()


def _turn_count(log: TurnLog | None) -> int | None:
    """How many turns a stored session holds (``None``: not a stored session)."""
    turns = getattr(getattr(log, "session", None), "turns", None)
    return len(turns) if isinstance(turns, list) else None


def _is_sample(log: TurnLog | None) -> bool:
    """A session read where it ships (a sample): never written to."""
    session = getattr(log, "session", None)
    return bool(getattr(session, "read_only", False))


def _titled(widget: Any, title: str) -> Any:
    widget.border_title = title
    return widget


def _speakers_of(target: object) -> Speakers | None:
    from tui.lifecycle import SessionLog

    return target.speakers if isinstance(target, SessionLog) else None


def default_core(app: VoxroomApp) -> Room:
    """The real parts: backends from the settings, the sound devices, a new session."""
    from tui.room.wiring import build_room

    return build_room(app.settings)
