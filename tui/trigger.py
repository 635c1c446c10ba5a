"""The recording trigger: one debounced toggle fed by the terminal key, a global hotkey and a
fallback key, plus a FIFO for turns that arrive while another one is still being processed.

Sources:

1. the TUI calls ``trigger.press("terminal")`` when Textual delivers a bare ``right_shift`` key
   (terminals speaking the kitty keyboard protocol);
2. :class:`GlobalHotkey` runs a pynput keyboard listener for ``Key.shift_r`` and calls
   ``trigger.press("global")`` (X11, macOS with Input Monitoring, Windows);
3. the TUI calls ``trigger.press("fallback")`` for the fallback key (e.g. ``space``).

All of them go through :meth:`Trigger.press`, which ignores presses that come within
``debounce_s`` of the previous press (key auto-repeat, one physical press seen by two sources,
an impatient double tap). ``on_toggle`` runs on the thread that pressed (the pynput thread for the
global key): the TUI must hand it to its own thread (``app.call_from_thread``).

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
from typing import Any, Generic, TypeVar

T = TypeVar("T")

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
        self.history: collections.deque[Press] = collections.deque(maxlen=32)

    def press(self, source: str = "terminal") -> bool:
        """One press of the trigger from ``source``; False when debounced away."""
        with self._lock:
            now = self._clock()
            self.presses += 1
            last, self._last_press = self._last_press, now
            accepted = last is None or (now - last) >= self.debounce_s
            if accepted:
                self.toggles += 1
            self.history.append(Press(source, now, accepted))
        if accepted and self.on_toggle is not None:
            self.on_toggle(source)
        return accepted


class TurnQueue(Generic[T]):
    """Thread-safe FIFO of turns waiting to be processed (nothing is ever dropped).

    When the trigger starts a new recording while the previous turn is still being transcribed or
    answered, the TUI records anyway and ``put()``s the finished recording here; the worker takes
    turns with ``get()`` in order.
    """

    def __init__(self) -> None:
        self._items: collections.deque[T] = collections.deque()
        self._cond = threading.Condition()

    def put(self, item: T) -> int:
        """Append; returns the position in the queue (1 = next)."""
        with self._cond:
            self._items.append(item)
            self._cond.notify()
            return len(self._items)

    def get(self, timeout: float | None = None) -> T | None:
        """The oldest item, waiting up to ``timeout`` seconds (None = forever); None if none came."""
        with self._cond:
            if not self._cond.wait_for(lambda: bool(self._items), timeout):
                return None
            return self._items.popleft()

    def get_nowait(self) -> T | None:
        with self._cond:
            return self._items.popleft() if self._items else None

    def snapshot(self) -> list[T]:
        with self._cond:
            return list(self._items)

    def clear(self) -> list[T]:
        with self._cond:
            items = list(self._items)
            self._items.clear()
            return items

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)


class GlobalHotkey:
    """A pynput keyboard listener that presses ``trigger`` on ``key`` (``shift_r`` by default).

    :meth:`start` returns ``""`` when listening, or one plain sentence saying why the global key is
    unavailable (no display, Wayland, missing permission...); it never raises. Injected duplicate
    events (pynput's own Controller) are ignored, and auto-repeat presses while the key is held are
    not passed on. :meth:`stop` ends the listener at once.
    """

    def __init__(self, trigger: Trigger, key: str = "shift_r", *, source: str = "global") -> None:
        self.trigger = trigger
        self.key = key
        self.source = source
        self.reason = ""
        self.events = 0
        """Key events of ``key`` seen by the listener (presses and releases, injected ones included)."""
        self._listener: Any = None
        self._target: Any = None
        self._down = False
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
        try:
            listener = keyboard.Listener(on_press=self._on_press, on_release=self._on_release)
            listener.start()
        except Exception as err:
            return self._unavailable(_short(err))
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

    def _on_press(self, key: Any, injected: bool = False) -> None:
        if key != self._target:
            return
        if not injected and not self._down:
            self._down = True
            self.trigger.press(self.source)
        self._count()

    def _on_release(self, key: Any, injected: bool = False) -> None:
        if key != self._target:
            return
        if not injected:
            self._down = False
        self._count()


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
