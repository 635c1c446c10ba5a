"""The taps behind the recording trigger: :class:`Trigger`, the one debounced toggle every key source
presses; :class:`DeliberateTap`, which turns key downs and ups into taps; :class:`TerminalTap`, which
makes the terminal's bare ``right_shift`` (key down only) deliberate with a short window.

No Textual here.
"""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

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
