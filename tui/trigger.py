"""The recording trigger: one debounced toggle fed by the terminal key, a global hotkey and a
fallback key.

Sources:

1. the terminal (kitty keyboard protocol): Textual delivers ``right_shift`` when the key goes down and
   nothing when it comes up, so :class:`TerminalTap` waits ``TERMINAL_WINDOW_S``; any other key in
   that window (Right Shift used to type a capital or ``?``) cancels it, otherwise it is one press;
2. :class:`GlobalHotkey` runs a pynput keyboard listener (X11, macOS with Input Monitoring, Windows)
   that sees every key down and up; :class:`DeliberateTap` turns them into presses: Right Shift down
   then up, no other key in between, released within ``TAP_HOLD_LIMIT_S``;
3. the TUI calls ``trigger.press("fallback")`` for the fallback key (e.g. ``space``).

All of them go through :meth:`Trigger.press`, which ignores presses that come within
``debounce_s`` of the previous press (key auto-repeat, one physical press seen by two sources,
an impatient double tap). ``on_toggle`` is called on the thread that pressed (the pynput thread for
the global key); the room's ``on_toggle`` hands the press to the room's own thread
(:class:`tui.room.Room`). While ``trigger.suspended`` is set (the app sets it while a text field has
focus or a dialog is open), every press is refused.

No Textual here, and pynput is imported only inside :meth:`GlobalHotkey.start`.
"""

from __future__ import annotations

import collections
import contextlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

TAP_HOLD_LIMIT_S = 0.6
"""A trigger key held this long or longer is not a tap (the user is holding Shift to type)."""
TERMINAL_WINDOW_S = 0.25
"""How long a terminal ``right_shift`` waits for another key before it counts (bench/README.md)."""
OTHER_KEY_STALE_S = 2.0
"""Another key "held" longer than this is assumed released (its release was missed, or reported as
another key: Shift released first turns the release of "?" into "/")."""

Scheduler = Callable[[float, Callable[[], None]], Callable[[], None]]
"""``schedule(delay_s, callback)`` runs ``callback`` once after ``delay_s``; returns a cancel function."""

KEY_LABELS = {
    "shift_r": "Right Shift",
    "shift_l": "Left Shift",
    "ctrl_r": "Right Ctrl",
    "alt_r": "Right Alt",
    "alt_gr": "AltGr",
    "cmd_r": "Right Cmd",
    "menu": "Menu",
    "pause": "Pause",
    "scroll_lock": "Scroll Lock",
    "f13": "F13",
}


def key_label(key: str) -> str:
    return KEY_LABELS.get(key, key.replace("_", " ").title())


@dataclass(frozen=True)
class Press:
    source: str
    at: float
    accepted: bool


class Trigger:
    """A debounced toggle. ``press()`` returns True when it toggled (and ``on_toggle`` was called)."""

    def __init__(
        self,
        on_toggle: Callable[[str], None] | None = None,
        *,
        debounce_s: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.on_toggle = on_toggle
        """Called as ``on_toggle(source)`` after each accepted press, on the pressing thread."""
        self.debounce_s = debounce_s
        self._clock = clock
        self._lock = threading.Lock()
        self._last_press: float | None = None
        self.toggles = 0
        self.presses = 0
        self.refused = 0
        """Presses refused because the trigger was suspended."""
        self.history: collections.deque[Press] = collections.deque(maxlen=32)
        self._suspended = threading.Event()

    @property
    def suspended(self) -> bool:
        """True while presses are refused (a text field has focus or a dialog is open). Thread-safe."""
        return self._suspended.is_set()

    @suspended.setter
    def suspended(self, value: bool) -> None:
        if value:
            self._suspended.set()
        else:
            self._suspended.clear()

    def press(self, source: str = "terminal") -> bool:
        """One press of the trigger from ``source``; False when debounced away or suspended."""
        with self._lock:
            now = self._clock()
            if self._suspended.is_set():
                self.refused += 1
                return False
            self.presses += 1
            last, self._last_press = self._last_press, now
            accepted = last is None or (now - last) >= self.debounce_s
            if accepted:
                self.toggles += 1
            self.history.append(Press(source, now, accepted))
        if accepted and self.on_toggle is not None:
            self.on_toggle(source)
        return accepted


def thread_timer(delay_s: float, callback: Callable[[], None]) -> Callable[[], None]:
    """The default :data:`Scheduler`: a daemon ``threading.Timer``."""
    timer = threading.Timer(delay_s, callback)
    timer.daemon = True
    timer.start()
    return timer.cancel


class DeliberateTap:
    """Key down/up events in, taps out: ``target`` pressed and released with no other key pressed or
    released in between, no other key held when it went down, and released within ``hold_limit_s``.

    Feed it every key event (:meth:`press`, :meth:`release`) from one thread; ``on_tap()`` runs on it.
    Repeated downs of ``target`` while it is held (auto-repeat) are ignored. ``normalise`` maps other
    keys to one identity whatever the modifiers (the press of "H" and the release of "h").
    """

    def __init__(
        self,
        on_tap: Callable[[], object],
        target: object = "shift_r",
        *,
        hold_limit_s: float = TAP_HOLD_LIMIT_S,
        clock: Callable[[], float] = time.monotonic,
        normalise: Callable[[object], object] = lambda key: key,
    ) -> None:
        self.on_tap = on_tap
        self.target = target
        self.normalise = normalise
        self.hold_limit_s = hold_limit_s
        self._clock = clock
        self._down_at: float | None = None
        self._spoiled = False
        self._held: dict[object, float] = {}
        self.last_down: float | None = None
        """Clock time ``target`` last went down (read by :class:`TerminalTap` to defer to this source)."""
        self.taps = 0
        self.cancelled = 0
        """Downs of ``target`` that did not become taps (another key, or held too long)."""
        self.last_hold_s: float | None = None

    @property
    def down(self) -> bool:
        return self._down_at is not None

    def press(self, key: object) -> None:
        now = self._clock()
        if key != self.target:
            self._held[self.normalise(key)] = now
            self._spoiled = True
            return
        if self._down_at is not None:
            return  # auto-repeat
        self._down_at = self.last_down = now
        self._spoiled = any(now - t < OTHER_KEY_STALE_S for t in self._held.values())

    def release(self, key: object) -> bool:
        """True when this release completed a tap (``on_tap`` was called)."""
        now = self._clock()
        if key != self.target:
            self._held.pop(self.normalise(key), None)
            self._spoiled = True
            return False
        down_at, self._down_at = self._down_at, None
        if down_at is None:
            return False  # released without a down we saw (held when the listener started)
        self.last_hold_s = now - down_at
        if self._spoiled or self.last_hold_s >= self.hold_limit_s:
            self.cancelled += 1
            return False
        self.taps += 1
        self.on_tap()
        return True


class TerminalTap:
    """A terminal's bare ``right_shift`` (key down only; no release events) made deliberate.

    :meth:`key` gets every key the terminal delivers. ``trigger_key`` arms a window of ``window_s``;
    any other key before it expires cancels it (Right Shift was a modifier); expiry is one tap:
    ``on_tap()`` runs on the scheduler's thread. ``trigger_key`` less than ``window_s`` after another
    key is not armed either (a chord such as Ctrl+Shift or Alt+Shift, with the other key first).
    Expiry is dropped while ``suspended()`` is true, and when ``superseded(armed_at)`` says a
    better-informed source (the global listener, which sees the release) saw the same key go down and
    decides for it. A second ``trigger_key`` re-arms.
    """

    def __init__(
        self,
        on_tap: Callable[[], object],
        *,
        window_s: float = TERMINAL_WINDOW_S,
        schedule: Scheduler = thread_timer,
        clock: Callable[[], float] = time.monotonic,
        trigger_key: str = "right_shift",
        suspended: Callable[[], bool] = lambda: False,
        superseded: Callable[[float], bool] = lambda armed_at: False,
    ) -> None:
        self.on_tap = on_tap
        self.window_s = window_s
        self.trigger_key = trigger_key
        self._schedule = schedule
        self._clock = clock
        self._suspended = suspended
        self._superseded = superseded
        self._lock = threading.Lock()
        self._armed_at: float | None = None
        self._other_at: float | None = None
        self._cancel: Callable[[], None] | None = None
        self._generation = 0
        self.taps = 0
        self.cancelled = 0
        """Windows ended by another key."""
        self.dropped = 0
        """Windows that expired while suspended or superseded."""
        self.last_latency_s: float | None = None
        """From the ``trigger_key`` event to ``on_tap`` (the window plus the scheduler's lateness)."""

    @property
    def pending(self) -> bool:
        return self._armed_at is not None

    def quiet(self) -> bool:
        """True when no other key came in the last ``window_s`` (``trigger_key`` would arm now)."""
        other = self._other_at
        return other is None or self._clock() - other >= self.window_s

    def key(self, key: str) -> None:
        """One key event from the terminal."""
        if key != self.trigger_key:
            self._other_at = self._clock()
            self.cancel()
        elif self.quiet():
            self._arm()
        else:
            self.cancel()
            with self._lock:
                self.cancelled += 1

    def cancel(self) -> bool:
        """End a pending window without a tap; True if one was pending."""
        with self._lock:
            if self._armed_at is None:
                return False
            self._armed_at = None
            self._generation += 1
            cancel, self._cancel = self._cancel, None
            self.cancelled += 1
        if cancel is not None:
            cancel()
        return True

    def _arm(self) -> None:
        with self._lock:
            previous, self._cancel = self._cancel, None
            self._generation += 1
            generation = self._generation
            self._armed_at = self._clock()
        if previous is not None:
            previous()
        cancel = self._schedule(self.window_s, lambda: self._expire(generation))
        with self._lock:
            if self._generation == generation:
                self._cancel = cancel

    def _expire(self, generation: int) -> None:
        with self._lock:
            armed_at = self._armed_at
            if generation != self._generation or armed_at is None:
                return  # cancelled or re-armed since
            self._armed_at = None
            self._cancel = None
            self.last_latency_s = self._clock() - armed_at
            if self._suspended() or self._superseded(armed_at):
                self.dropped += 1
                return
            self.taps += 1
        self.on_tap()


class GlobalHotkey:
    """A pynput keyboard listener that presses ``trigger`` on a deliberate tap of ``key``
    (``shift_r`` by default; see :class:`DeliberateTap`), so it listens to every key.

    :meth:`start` returns ``""`` when listening, or one plain sentence saying why the global key is
    unavailable (no display, Wayland, missing permission...); it never raises. Injected duplicate
    events (pynput's own Controller) are ignored. :meth:`stop` ends the listener at once.
    """

    def __init__(
        self,
        trigger: Trigger,
        key: str = "shift_r",
        *,
        source: str = "global",
        hold_limit_s: float = TAP_HOLD_LIMIT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.trigger = trigger
        self.key = key
        self.source = source
        self.reason = ""
        self.events = 0
        """Key events of ``key`` seen by the listener (presses and releases, injected ones included)."""
        self.tap = DeliberateTap(self._tapped, None, hold_limit_s=hold_limit_s, clock=clock)
        self._listener: Any = None
        self._target: Any = None
        self._seen = threading.Condition()

    @property
    def running(self) -> bool:
        listener = self._listener
        return listener is not None and listener.is_alive()

    def _unavailable(self, why: str) -> str:
        self.reason = f"Global {key_label(self.key)} unavailable: {why}; use the fallback key."
        return self.reason

    def start(self, timeout: float = 3.0) -> str:
        if self.running:
            return ""
        if os.name == "posix" and not _is_macos() and not os.environ.get("DISPLAY"):
            if os.environ.get("WAYLAND_DISPLAY"):
                return self._unavailable("Wayland session without X access (DISPLAY unset)")
            return self._unavailable("no X display (DISPLAY unset)")
        try:
            from pynput import keyboard
        except ImportError as err:
            return self._unavailable(_short(err))
        except Exception as err:  # pynput backends raise various errors at import
            return self._unavailable(_short(err))
        try:
            if len(self.key) == 1:
                self._target = keyboard.KeyCode.from_char(self.key)
            else:
                self._target = getattr(keyboard.Key, self.key)
        except AttributeError:
            return self._unavailable(f"unknown key '{self.key}'")
        self.tap.target = self._target
        try:
            listener = keyboard.Listener(on_press=self._on_press, on_release=self._on_release)
            listener.start()
        except Exception as err:
            return self._unavailable(_short(err))
        self.tap.normalise = _canonical(listener)
        self._listener = listener
        if not self._wait_ready(listener, timeout):
            self._listener = None
            self._stop_listener(listener)
            return self._unavailable("the keyboard listener did not start")
        self.reason = ""
        return ""

    def _wait_ready(self, listener: Any, timeout: float) -> bool:
        # Listener.wait() blocks forever when the backend fails before it is ready: wait on its
        # condition with a deadline instead, and give up if the thread died.
        deadline = time.monotonic() + timeout
        cond = getattr(listener, "_condition", None)
        if cond is None:  # pragma: no cover - other pynput versions
            listener.wait()
            return listener.is_alive()
        with cond:
            while not getattr(listener, "_ready", True):
                left = deadline - time.monotonic()
                if left <= 0 or not listener.is_alive():
                    return False
                cond.wait(min(left, 0.05))
        return listener.is_alive()

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            self._stop_listener(listener)

    @staticmethod
    def _stop_listener(listener: Any) -> None:
        with contextlib.suppress(Exception):
            listener.stop()
        # pynput's Xorg listener only notices stop() at the next key event (pynput PR #583):
        # disable its RECORD context through its second connection so join() returns at once.
        display = getattr(listener, "_display_stop", None)
        context = getattr(listener, "_context", None)
        if display is not None and context is not None:
            try:
                display.record_disable_context(context)
                display.flush()
            except Exception:
                pass
        with contextlib.suppress(Exception):
            listener.join(2.0)

    def wait_for_events(self, count: int, timeout: float) -> bool:
        """Wait until the listener has seen ``count`` events of the key (for tests and probes)."""
        with self._seen:
            return self._seen.wait_for(lambda: self.events >= count, timeout)

    def _count(self) -> None:
        with self._seen:
            self.events += 1
            self._seen.notify_all()

    def saw_down_near(self, at: float, within_s: float = 0.5) -> bool:
        """True when the listener saw ``key`` go down within ``within_s`` of clock time ``at``."""
        last = self.tap.last_down
        return self.running and last is not None and abs(last - at) <= within_s

    def _tapped(self) -> None:
        self.trigger.press(self.source)

    def _on_press(self, key: Any, injected: bool = False) -> None:
        if not injected:
            self.tap.press(key)
        if key == self._target:
            self._count()

    def _on_release(self, key: Any, injected: bool = False) -> None:
        if not injected:
            self.tap.release(key)
        if key == self._target:
            self._count()


def _canonical(listener: Any) -> Callable[[object], object]:
    """pynput's modifier-free form of a key (lower case), or the key itself if that fails."""

    def canonical(key: object) -> object:
        try:
            return listener.canonical(key)
        except Exception:
            return key

    return canonical


def _is_macos() -> bool:
    import sys

    return sys.platform == "darwin"


def _short(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    if "failed to acquire X connection" in text or "Can't connect to display" in text:
        return "cannot connect to the X display"
    if "this platform is not supported" in text:
        return "no supported keyboard backend"
    first = text.splitlines()[0]
    return first[:120]


def probe_global_hotkey(key: str = "shift_r") -> str:
    """For `voxroom doctor`: start and stop a global listener; "" if it works, else the reason."""
    hotkey = GlobalHotkey(Trigger(), key)
    reason = hotkey.start()
    hotkey.stop()
    return reason
