"""The full-screen app. Thin: it composes the panes, holds the bindings and the palette commands, and
turns the room's events (plain callbacks from :mod:`tui.room`, on the room's threads) into Textual
messages. Everything that blocks runs in thread workers; widgets are only touched on the UI thread.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from textual import events, work
from textual.actions import SkipAction
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.theme import Theme
from textual.widgets import Footer

from tui.config import Settings
from tui.errors import VoxroomError
from tui.model import Reply, Timings, Transcript
from tui.room import (
    IDLE,
    RECORDING,
    SPEAKING,
    ReplayProgress,
    ReplyDelta,
    ReplyReady,
    Room,
    RoomEvent,
    RoomFailed,
    SentenceSpoken,
    SessionChanged,
    StageChanged,
    StateChanged,
    TranscriptionProgress,
    TranscriptReady,
    TurnFinished,
    TurnStarted,
)
from tui.screens.palette import VoxroomCommands
from tui.themes import (
    DEFAULT_THEME,
    VARIABLE_DEFAULTS,
    choose_theme,
    remember_theme,
    textual_themes,
    theme_css_paths,
)
from tui.widgets import PlaybackMeter, RecordingPane, RepliesPane, StatusBar, TranscriptPane
from tui.widgets.trigger_keys import TriggerKeys

METER_HZ = 30.0
MIN_SIZE = (72, 20)

CoreFactory = Callable[["VoxroomApp"], Room]


class RoomUpdate(Message):
    """One :class:`tui.room.RoomEvent`, delivered on the UI thread."""

    def __init__(self, event: RoomEvent) -> None:
        super().__init__()
        self.event = event


class CoreReady(Message):
    def __init__(self, room: Room | None, problems: list[VoxroomError]) -> None:
        super().__init__()
        self.room = room
        self.problems = problems


class VoxroomApp(App[None]):
    TITLE = "Voxroom"
    CSS_PATH: ClassVar[list[str | Path]] = list(theme_css_paths())  # type: ignore[assignment]
    CSS = """
    #main { height: 1fr; }
    #left { width: 42%; min-width: 36; }
    #transcript { width: 1fr; }
    .pane { border: round $panel-lighten-2; border-title-color: $text-muted; }
    """
    COMMANDS = App.COMMANDS | {VoxroomCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right_shift", "terminal_tap", "Record", show=False, priority=True),
        Binding("ctrl+r", "retry", "Retry"),
        Binding("ctrl+n", "new_session", "New"),
        Binding("ctrl+o", "open_session", "Open"),
        Binding("f1,question_mark", "help", "Help"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

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

        ``theme`` is the ``--theme`` flag; without it the last palette choice, then the config, wins.
        """
        super().__init__()
        self.settings = settings
        self.room: Room | None = room
        self._core_factory = core
        self._want_global_hotkey = hotkey
        self._want_warm_up = warm_up
        self._initial_theme = choose_theme(settings.theme, settings.data_dir, theme)
        self._remember = False
        self._pending_toggles = 0
        self._warned_small = False
        self._auto_stop_ticks = 0
        self.hotkey: Any = None
        self.hotkey_problem: str = ""
        self.trigger_keys = TriggerKeys(self)
        self.last_timings: Timings | None = None
        self.turns_finished = 0
        self.replays_finished = 0
        self.first_frame_at: float | None = None
        self.read_only = False
        self.viewing: Any = None
        """The session shown in the panes when it is not the room's own (opened read-only)."""
        # The panes, kept by reference: the room's events and the meter timer update them directly.
        self.recording_pane = RecordingPane(id="recording", classes="pane")
        self.playback_meter = PlaybackMeter(id="playback", classes="pane")
        self.replies_pane = RepliesPane(id="replies", classes="pane")
        self.transcript_pane = TranscriptPane(id="transcript", classes="pane")
        self.status_bar = StatusBar(id="status")
        self._bindings.bind(
            settings.hotkey.fallback_key or "space",
            "trigger('fallback')",
            "Record / stop",
            priority=True,
        )

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
        yield Footer()

    def on_mount(self) -> None:
        for theme in textual_themes():
            self.register_theme(theme)
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self._apply_theme(self._initial_theme)
        self._remember = True
        status = self.status_bar
        status.backend = self.settings.backend_label
        self.recording_pane.key = self.settings.hotkey.fallback_key or "space"
        self.set_interval(1.0 / METER_HZ, self._sample_levels)
        if self.room is not None:
            self._attach(self.room)
        self.call_after_refresh(self._first_frame)

    def _apply_theme(self, name: str) -> None:
        if name not in self.available_themes:
            self.notify(
                f"There is no theme called '{name}'. Using {DEFAULT_THEME}.",
                title="Theme",
                severity="warning",
            )
            name = DEFAULT_THEME
        self.theme = name
        self._theme_changed(self.current_theme)

    def _theme_changed(self, theme: Theme) -> None:
        # Textual gives the app the class "-theme-<name>": the themes/*.tcss rules hang off it.
        if self._remember:
            self._remember_theme(theme.name)

    @work(thread=True, group="state")
    def _remember_theme(self, name: str) -> None:
        remember_theme(self.settings.data_dir, name)

    def _first_frame(self) -> None:
        self.first_frame_at = time.perf_counter()
        if self.room is not None:
            if self._want_warm_up:
                self._warm_up()
            if self._want_global_hotkey:
                self._start_hotkey()
        else:
            self._build_core()

    @work(thread=True, exclusive=True, group="core")
    def _build_core(self) -> None:
        problems: list[VoxroomError] = []
        room: Room | None = None
        if self._core_factory is None:
            # Before anything records: repair what a crash left, so nothing recorded is lost.
            self._recover_recordings()
        try:
            factory = self._core_factory or default_core
            room = factory(self)
        except VoxroomError as err:
            problems.append(err)
        except Exception as err:  # keep the UI alive whatever the core does
            problems.append(VoxroomError(f"Voxroom could not start its audio and backends: {err}."))
        self.post_message(CoreReady(room, problems))

    def _recover_recordings(self) -> None:
        from tui.retry import recover_interrupted
        from tui.sessions import SessionStore

        try:
            added, problems = recover_interrupted(SessionStore(self.settings.sessions_dir))
        except VoxroomError as err:
            added, problems = [], [str(err)]
        if added:
            names = sorted({session.id for session, _ in added})
            self.call_from_thread(
                self.notify,
                f"Recovered {len(added)} recording(s) left by an interrupted run, in session "
                f"{', '.join(names)}. Open it (ctrl+o), continue it (ctrl+t), then retry (ctrl+r).",
                title="Recovered",
                severity="warning",
                timeout=15,
            )
        for problem in problems:
            self.call_from_thread(self.notify, problem, title="Recovery", severity="error", timeout=15)

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
        if self._want_warm_up:
            self._warm_up()
        if self._want_global_hotkey:
            self._start_hotkey()
        while self._pending_toggles > 0:
            self._pending_toggles -= 1
            self._toggle("fallback")

    def _attach(self, room: Room) -> None:
        room.subscribe(self._room_listener)
        self.trigger_keys.attach(room)
        self.recording_pane.state = room.state
        self.recording_pane.device = room.device_name
        self.status_bar.session = room.session.name
        if room.recorder is None:
            self.recording_pane.hint = "No microphone: choose one from the palette (ctrl+p, Choose devices)."

    def _room_listener(self, event: RoomEvent) -> None:
        # Runs on the room's threads; post_message is thread-safe.
        self.post_message(RoomUpdate(event))

    @work(thread=True, group="warm-up")
    def _warm_up(self) -> None:
        room = self.room
        backends = getattr(room, "backends", None)
        if backends is None:
            return
        for err in backends.warm_up():
            self.post_message(RoomUpdate(RoomFailed(err)))

    def _start_hotkey(self) -> None:
        if not self.settings.hotkey.global_listener:
            return
        self._start_hotkey_worker()

    @work(thread=True, group="hotkey")
    def _start_hotkey_worker(self) -> None:
        problem = start_global_hotkey(self)
        if problem:
            self.call_from_thread(self._hotkey_unavailable, problem)

    def _hotkey_unavailable(self, problem: str) -> None:
        self.hotkey_problem = problem
        key = self.settings.hotkey.fallback_key or "space"
        if "fallback" not in problem:
            problem = f"{problem.rstrip('.')}; use {key} in this window."
        self.notify(
            problem,
            title="Hotkey",
            severity="warning",
            timeout=8,
        )

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

    @work(thread=True, exclusive=True, group="auto-stop")
    def _auto_stop_worker(self, room: Room) -> None:
        reason = room.check_auto_stop()
        if reason:
            self.call_from_thread(self.notify, reason, title="Recording stopped")

    # -- room events ----------------------------------------------------------------------------------
    def on_room_update(self, message: RoomUpdate) -> None:
        event = message.event
        if isinstance(event, StateChanged):
            self.recording_pane.state = event.state
            self.recording_pane.queued = event.queued
            self.playback_meter.speaking = event.state == SPEAKING
            if event.state == IDLE:
                self.playback_meter.sentence = ""
        elif isinstance(event, TurnStarted):
            self.status_bar.note = "retrying the last turn" if event.retry else ""
        elif isinstance(event, StageChanged):
            self.status_bar.note = {"transcribing": "transcribing…", "thinking": "thinking…"}.get(
                event.stage, ""
            )
        elif isinstance(event, TranscriptionProgress):
            filled = round(10 * event.done / event.total) if event.total else 10
            bar = "█" * filled + "░" * (10 - filled)
            self.status_bar.note = f"transcribing {bar} {event.done}/{event.total} parts"
        elif isinstance(event, TranscriptReady):
            if not self._has_transcript(event.turn):
                self.transcript_pane.add_transcript(event.transcript, event.turn)
        elif isinstance(event, ReplyDelta):
            self.replies_pane.append(event.turn, event.text)
        elif isinstance(event, SentenceSpoken):
            self.playback_meter.sentence = event.text
        elif isinstance(event, ReplyReady):
            self.replies_pane.finish(event.turn, event.reply)
        elif isinstance(event, TurnFinished):
            self.turns_finished += 1
            if event.status != "failed":
                self.last_timings = event.timings
                self.status_bar.timings = event.timings
        elif isinstance(event, RoomFailed):
            self._show_error(event.error)
            if event.turn is not None and event.retryable:
                self.replies_pane.fail(event.turn, f"This turn failed: {event.error.message}")
        elif isinstance(event, SessionChanged):
            self.status_bar.session = event.name
        elif isinstance(event, ReplayProgress):
            done = event.kind == "done"
            self.transcript_pane.highlight(None if done else event.turn, event.line)
            self.replies_pane.highlight(event.turn if event.kind == "reply" else None)
            self.status_bar.note = "" if done else f"replaying turn {event.turn} ({event.kind})"
            if done:
                self.replays_finished += 1

    def _has_transcript(self, turn: int) -> bool:
        return any(getattr(line, "turn", None) == turn for line in self.transcript_pane.query("SegmentLine"))

    def _show_error(self, error: VoxroomError) -> None:
        title = {
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
    async def on_event(self, event: events.Event) -> None:
        self.trigger_keys.saw(event)  # other keys cancel a terminal Right Shift; focus suspends the trigger
        await super().on_event(event)

    def action_terminal_tap(self) -> None:
        self.trigger_keys.right_shift()

    def action_trigger(self, source: str) -> None:
        if self.screen is not self.screen_stack[0]:
            raise SkipAction()  # a dialog is open: let the key type into it
        self._toggle(source)

    def _toggle(self, source: str) -> None:
        if self.room is not None and self.room.replaying:
            self.action_stop_replay()
            return
        if self.read_only:
            self.notify(
                "This session is open read-only. Continue it from the session browser, or start a new one.",
                severity="warning",
            )
            return
        room = self.room
        if room is None:
            self._pending_toggles += 1
            return
        self._toggle_worker(room, source)

    @work(thread=True, group="trigger")
    def _toggle_worker(self, room: Room, source: str) -> None:
        room.press(source)

    def action_retry(self) -> None:
        room = self.room
        if room is None or not room.can_retry:
            self.notify("There is no failed turn to retry.", severity="information")
            return
        self._retry_worker(room)

    @work(thread=True, group="trigger")
    def _retry_worker(self, room: Room) -> None:
        room.retry_last()

    def action_stop_speaking(self) -> None:
        if self.room is not None:
            self._stop_worker(self.room)

    @work(thread=True, group="trigger")
    def _stop_worker(self, room: Room) -> None:
        room.interrupt()

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.settings.hotkey.fallback_key or "space"))

    def action_new_session(self) -> None:
        if self.room is not None and self.room.busy:
            self.notify("Wait for the current turn to finish, then start a new session.", severity="warning")
            return
        self._new_session_worker()

    @work(thread=True, exclusive=True, group="session")
    def _new_session_worker(self) -> None:
        from tui.room import new_session

        try:
            session = new_session(self.settings)
        except VoxroomError as err:
            self.post_message(RoomUpdate(RoomFailed(err)))
            return
        self.call_from_thread(self._use_session, session, read_only=False, show=None)

    def _use_session(self, session: Any, *, read_only: bool, show: Any) -> None:
        self.transcript_pane.clear()
        self.replies_pane.clear()
        self.status_bar.timings = None
        self.read_only = read_only
        self.viewing = session if read_only else None
        self.recording_pane.hint = "Read-only: ctrl+o, then ctrl+t to continue it." if read_only else ""
        stored = getattr(session, "session", None)
        self.transcript_pane.names = dict(getattr(stored, "speaker_names", {}) or {})
        if show is not None:
            self.show_history(show)
        if self.room is not None and not read_only:
            self.room.use_session(session)
        else:
            self.status_bar.session = f"{session.name} (read-only)"

    def show_history(self, turns: list[tuple[int, Transcript | None, Reply | None, Timings | None]]) -> None:
        """Put past turns in the panes (an opened session)."""
        last: Timings | None = None
        for index, transcript, reply, timings in turns:
            if transcript is not None:
                self.transcript_pane.add_transcript(transcript, index)
            if reply is not None:
                self.replies_pane.finish(index, reply)
            last = timings or last
        self.status_bar.timings = last

    def action_open_session(self) -> None:
        self._list_sessions_worker()

    @work(thread=True, exclusive=True, group="session")
    def _list_sessions_worker(self) -> None:
        from tui.room import list_sessions

        try:
            summaries = list_sessions(self.settings)
        except VoxroomError as err:
            self.post_message(RoomUpdate(RoomFailed(err)))
            return
        self.call_from_thread(self._show_browser, summaries)

    def _show_browser(self, summaries: list[Any]) -> None:
        from tui.screens.sessions import SessionBrowser

        if not summaries:
            self.notify("There are no saved sessions yet.", severity="information")
            return
        self.push_screen(SessionBrowser(summaries), self._session_chosen)

    def _session_chosen(self, choice: tuple[str, str] | None) -> None:
        if choice is None:
            return
        if choice[1] == "continue" and self.room is not None and self.room.busy:
            self.notify(
                "Wait for the current turn to finish, then continue that session.", severity="warning"
            )
            return
        self._open_session_worker(*choice)

    @work(thread=True, exclusive=True, group="session")
    def _open_session_worker(self, session_id: str, mode: str) -> None:
        from tui.room import open_session

        try:
            session, history = open_session(self.settings, session_id)
        except VoxroomError as err:
            self.post_message(RoomUpdate(RoomFailed(err)))
            return
        self.call_from_thread(self._use_session, session, read_only=mode != "continue", show=history)

    def action_replay(self) -> None:
        room = self.room
        if room is None or room.busy or room.replaying:
            self.notify("Wait for the current turn to finish, then replay.", severity="warning")
            return
        self._replay_worker(room, self.viewing or room.session)

    @work(thread=True, exclusive=True, group="replay")
    def _replay_worker(self, room: Room, session: Any) -> None:
        from tui.room import replay_steps

        try:
            steps = replay_steps(session)
        except VoxroomError as err:
            self.post_message(RoomUpdate(RoomFailed(err)))
            return
        if not any(step.path is not None for step in steps):
            self.call_from_thread(self.notify, "This session has no audio to replay.", severity="warning")
            return
        room.replay(steps, speed=self.replay_speed)

    replay_speed = 1.0
    """How fast a replay without a speaker is timed (tests)."""

    def action_stop_replay(self) -> None:
        if self.room is not None and self.room.replaying:
            self._stop_replay_worker(self.room)

    @work(thread=True, group="replay-stop")
    def _stop_replay_worker(self, room: Room) -> None:
        room.stop_replay()

    def action_rename_speaker(self) -> None:
        from tui.screens.rename import RenameSpeakerDialog

        speakers = list(self.transcript_pane.speakers)
        if not speakers:
            self.notify("Nobody has spoken yet, so there is no speaker to rename.", severity="information")
            return
        self.push_screen(RenameSpeakerDialog(speakers, self.transcript_pane.names), self._renamed)

    def _renamed(self, choice: tuple[str, str] | None) -> None:
        if choice is None:
            return
        label, name = choice
        names = {**self.transcript_pane.names, label: name}
        self.transcript_pane.set_names(names)
        self._save_name_worker(label, name)

    @work(thread=True, group="session")
    def _save_name_worker(self, label: str, name: str) -> None:
        from tui.room import rename_speaker

        target = self.viewing or (self.room.session if self.room is not None else None)
        if target is None:
            return
        try:
            rename_speaker(target, label, name)
        except VoxroomError as err:
            self.post_message(RoomUpdate(RoomFailed(err)))

    def action_export(self) -> None:
        from tui.screens.export import ExportDialog

        session = self.viewing or (self.room.session if self.room is not None else None)
        name = session.name if session is not None else "voxroom"
        stem = Path.home() / "".join(c if c.isalnum() or c in "-_." else "-" for c in f"voxroom-{name}")
        self.push_screen(ExportDialog(stem), self._export_chosen)

    def _export_chosen(self, choice: tuple[str, Path] | None) -> None:
        if choice is None:
            return
        self._export_worker(*choice, lines=self.transcript_pane.lines, replies=self.replies_pane.texts)

    @work(thread=True, group="export")
    def _export_worker(self, fmt: str, path: Path, *, lines: list[str], replies: list[str]) -> None:
        from tui.room import export_session

        session = self.viewing or (self.room.session if self.room is not None else None)
        try:
            written = export_session(session, fmt, path, lines=lines, replies=replies)
        except VoxroomError as err:
            self.post_message(RoomUpdate(RoomFailed(err)))
            return
        self.call_from_thread(self.notify, f"Exported to {written}.", title="Export")

    def action_choose_devices(self) -> None:
        self._devices_worker()

    @work(thread=True, exclusive=True, group="devices")
    def _devices_worker(self) -> None:
        try:
            from tui.audio.devices import input_devices, output_devices

            inputs = [d.name for d in input_devices()]
            outputs = [d.name for d in output_devices()]
        except (VoxroomError, ImportError, OSError) as err:
            self.post_message(RoomUpdate(RoomFailed(VoxroomError(f"Cannot list the sound devices: {err}."))))
            return
        self.call_from_thread(self._show_devices, inputs, outputs)

    def _show_devices(self, inputs: list[str], outputs: list[str]) -> None:
        from tui.screens.devices import DevicesDialog

        if not inputs and not outputs:
            self.notify("No sound devices were found. Connect one, then try again.", severity="warning")
            return
        current = (self.settings.audio.input_device, self.settings.audio.output_device)
        self.push_screen(DevicesDialog(inputs, outputs, current), self._devices_chosen)

    def _devices_chosen(self, choice: tuple[str, str] | None) -> None:
        if choice is None:
            return
        if self.room is not None and self.room.busy:
            self.notify("Wait for the current turn to finish, then choose devices.", severity="warning")
            return
        self.settings.audio.input_device, self.settings.audio.output_device = choice
        self._rebuild_audio_worker()

    @work(thread=True, exclusive=True, group="core")
    def _rebuild_audio_worker(self) -> None:
        from tui.room import open_audio

        room = self.room
        if room is None:
            return
        recorder, player, problems = open_audio(self.settings)
        room.recorder, room.player = recorder, player
        for problem in problems:
            self.post_message(RoomUpdate(RoomFailed(problem)))
        self.call_from_thread(setattr, self.recording_pane, "device", room.device_name)

    # -- shutdown ---------------------------------------------------------------------------------------
    def on_unmount(self) -> None:
        self.close_core()

    def close_core(self) -> None:
        """Stop the hotkey listener, any recording and speech, and the room's turn thread."""
        hotkey, self.hotkey = self.hotkey, None
        if hotkey is not None:
            with contextlib.suppress(Exception):
                hotkey.stop()
        room = self.room
        if room is not None:
            room.close()


def _titled(widget: Any, title: str) -> Any:
    widget.border_title = title
    return widget


def default_core(app: VoxroomApp) -> Room:
    """The real parts: backends from the settings, the sound devices, a new session."""
    from tui.room import build_room

    return build_room(app.settings)


def start_global_hotkey(app: VoxroomApp) -> str:
    """Start the pynput Right Shift listener on the room's trigger; returns why it is unavailable."""
    room = app.room
    if room is None:
        return "Voxroom is still starting"
    try:
        from tui.trigger import GlobalHotkey

        hotkey = GlobalHotkey(room.trigger, app.settings.hotkey.key)
        problem = hotkey.start()
    except Exception as err:  # never let the hotkey take the app down
        return str(err) or type(err).__name__
    if problem:
        return str(problem)
    app.hotkey = hotkey
    return ""
