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

- :mod:`tui.trigger.taps`: :class:`Trigger`, :class:`DeliberateTap`, :class:`TerminalTap`, the key
  labels and the timings;
- :mod:`tui.trigger.hotkey`: :class:`GlobalHotkey` (the pynput listener) and
  :func:`probe_global_hotkey` (for ``voxroom doctor``).

No Textual here, and pynput is imported only inside :meth:`GlobalHotkey.start`.
"""

from tui.trigger.hotkey import GlobalHotkey, probe_global_hotkey
from tui.trigger.taps import (
    KEY_LABELS,
    OTHER_KEY_STALE_S,
    TAP_HOLD_LIMIT_S,
    TERMINAL_WINDOW_S,
    DeliberateTap,
    Press,
    Scheduler,
    TerminalTap,
    Trigger,
    key_label,
    thread_timer,
)

__all__ = [
    "KEY_LABELS",
    "OTHER_KEY_STALE_S",
    "TAP_HOLD_LIMIT_S",
    "TERMINAL_WINDOW_S",
    "DeliberateTap",
    "GlobalHotkey",
    "Press",
    "Scheduler",
    "TerminalTap",
    "Trigger",
    "key_label",
    "probe_global_hotkey",
    "thread_timer",
]
