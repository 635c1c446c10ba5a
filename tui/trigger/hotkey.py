"""The global hotkey: a pynput keyboard listener (X11, macOS with Input Monitoring, Windows) that sees
every key down and up and presses the :class:`tui.trigger.taps.Trigger` on a deliberate tap.

No Textual here, and pynput is imported only inside :meth:`GlobalHotkey.start`.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from tui.trigger.taps import TAP_HOLD_LIMIT_S, DeliberateTap, Trigger, key_label


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
