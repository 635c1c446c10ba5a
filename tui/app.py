"""The full-screen app. Thin: it keeps the theme, the command palette and the worker plumbing, and shows
the :class:`tui.screens.main.MainScreen`, which maps keys to :class:`tui.meeting.Meeting` calls and the
meeting's and the room's events to the panes.

Everything that blocks runs in thread workers (:meth:`VoxroomApp.call_in_thread`). Workers get what they
need as arguments (they never read widgets), report back through events, and never close the app: an
unexpected error in any of them is logged, told in one sentence that says what it was doing, and the
room stays usable.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

from textual import events as textual_events
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from tui.config import Settings
from tui.meeting import Meeting, RoomFactory
from tui.room import Room
from tui.screens.main import RECORD_KEY, MainScreen
from tui.screens.palette import VoxroomCommands
from tui.themes import (
    DEFAULT_THEME,
    VARIABLE_DEFAULTS,
    choose_theme,
    remember_theme,
    theme_css_paths,
)
from tui.widgets.themes import textual_themes
from tui.widgets.trigger_keys import TriggerKeys

MIN_SIZE = (60, 20)
TEXTUAL_COMMANDS_KEPT = frozenset({"Maximize", "Minimize"})
"""Textual's palette commands that Voxroom offers too (each only when Textual does: a pane has focus)."""
QUIT_CONFIRM_S = 8.0
"""How long a first ctrl+q while recording waits for the second."""
log = logging.getLogger("voxroom")


class VoxroomApp(App[None]):
    TITLE = "Voxroom"
    CSS_PATH: ClassVar[list[str | Path]] = list(theme_css_paths())  # type: ignore[assignment]
    CSS = """
    #main { height: 1fr; }
    #left { width: 2fr; }
    #transcript { width: 3fr; }
    MainScreen.-narrow #left, MainScreen.-narrow #transcript { width: 1fr; }
    ModalScreen Vertical > Label { width: 1fr; }
    .pane { border: round $panel-lighten-2; border-title-color: $text-muted; }
    """
    COMMANDS = App.COMMANDS | {VoxroomCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="quit"),
    ]

    def __init__(
        self,
        settings: Settings,
        *,
        room: Room | None = None,
        core: RoomFactory | None = None,
        theme: str | None = None,
        hotkey: bool = True,
        warm_up: bool = True,
    ) -> None:
        """``room``: a ready core (tests); ``core``: builds one from the settings in a worker (default:
        the real parts).

        ``theme`` is the ``--theme`` flag; without it the config file's ``theme``, then the last palette
        choice, then the default (:func:`tui.themes.choose_theme`).
        """
        super().__init__()
        self.settings = settings
        self.meeting = Meeting(settings, room, factory=core, start_dir=Path.cwd())
        self._want_global_hotkey = hotkey
        self._want_warm_up = warm_up
        self._initial_theme = choose_theme(settings.theme, settings.data_dir, theme)
        self._warned_small = False
        self._quit_armed = False
        self.hotkey: Any = None
        self.hotkey_problem: str = ""
        self.trigger_keys = TriggerKeys(self)
        self.worker_failures = 0
        self.first_frame_at: float | None = None
        fallback = settings.hotkey.fallback_key or RECORD_KEY
        if fallback != RECORD_KEY:
            self.set_keymap({"record": fallback})
        self.main = MainScreen(self.meeting)

    @property
    def room(self) -> Room | None:
        return self.meeting.room

    # -- composition ----------------------------------------------------------------------------
    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(VARIABLE_DEFAULTS)

    def get_default_screen(self) -> Screen[Any]:
        return self.main

    def on_mount(self) -> None:
        from tui.backends import transport_warning

        for theme in textual_themes():
            self.register_theme(theme)
        self._apply_theme(self._initial_theme)
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
        """Of Textual's own commands only those Voxroom has no equivalent of: not its theme switcher,
        Quit, Keys (the help, F1) or Screenshot; Maximize/Minimize of a focused pane when it offers them."""
        for command in super().get_system_commands(screen):
            if command.title in TEXTUAL_COMMANDS_KEPT:
                yield command

    def _remember_theme(self, data_dir: Path, name: str) -> None:
        self.call_in_thread("remember the theme", remember_theme, data_dir, name, group="state")

    def _first_frame(self) -> None:
        self.first_frame_at = time.perf_counter()
        self.call_in_thread("start the room", self.meeting.start, group="core", exclusive=True)

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

    # -- workers ---------------------------------------------------------------------------------------
    def call_in_thread(
        self,
        doing: str,
        call: Callable[..., object],
        *args: Any,
        group: str = "meeting",
        exclusive: bool = False,
        **kwargs: Any,
    ) -> Worker[object]:
        """Run ``call`` in a thread worker that can never close the app. ``doing`` says in words what it
        does ("open that session"): the sentence a person reads if it fails."""
        return self.run_worker(
            functools.partial(call, *args, **kwargs),
            name=doing,
            group=group,
            exclusive=exclusive,
            thread=True,
            exit_on_error=False,
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one route for a worker's unexpected error: logged, told in one sentence, app kept."""
        if event.state != WorkerState.ERROR:
            return
        worker = event.worker
        error = worker.error
        self.worker_failures += 1
        log.error("worker %r failed", worker.name, exc_info=error)
        reason = " ".join(str(error).split()).rstrip(".") or type(error).__name__
        self.notify(
            f"Voxroom could not {worker.name}: {reason}. The rest keeps working; try again.",
            title="Something went wrong",
            severity="error",
            timeout=10,
        )

    # -- the room's parts outside the meeting --------------------------------------------------------
    def room_ready(self) -> None:
        """The room is built: warm its backends up and start the global hotkey (both in workers)."""
        room = self.room
        if room is None:
            return
        self.trigger_keys.attach(room)
        if self._want_warm_up and room.backends is not None:
            self.call_in_thread("load the models", self.meeting.warm_up, group="warm-up")
        if self._want_global_hotkey and self.settings.hotkey.global_listener:
            self.call_in_thread(
                "start the global hotkey", self._start_hotkey, room, self.settings.hotkey.key, group="hotkey"
            )

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
            self.call_from_thread(setattr, self.main.recording_pane, "global_key", key)

    def _hotkey_unavailable(self, problem: str) -> None:
        self.hotkey_problem = problem
        key = self.settings.hotkey.fallback_key or RECORD_KEY
        if "fallback" not in problem:
            problem = f"{problem.rstrip('.')}; use {key} in this window."
        self.notify(problem, title="Hotkey", severity="warning", timeout=8)

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

    # -- keys -------------------------------------------------------------------------------------------
    async def on_event(self, event: textual_events.Event) -> None:
        self.trigger_keys.saw(event)  # other keys cancel a terminal Right Shift; focus suspends the trigger
        await super().on_event(event)

    def _toggle(self, source: str) -> None:
        """A terminal Right Shift tap (:class:`TriggerKeys`)."""
        self.main.toggle(source)

    # -- shutdown ---------------------------------------------------------------------------------------
    async def action_quit(self) -> None:
        """ctrl+q: while recording, the first press says what happens to the recording."""
        if self.meeting.recording and not self._quit_armed:
            self._quit_armed = True
            notes = self.meeting.taking_notes
            self.notify(
                f"You are {'taking notes' if notes else 'recording'}. Press ctrl+q again to quit: the "
                "recording is kept as an interrupted turn; open the session (ctrl+o), continue it "
                f"(ctrl+t), then ctrl+r {'transcribes' if notes else 'answers'} it.",
                title="Quit while taking notes?" if notes else "Quit while recording?",
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
        self.meeting.close()
