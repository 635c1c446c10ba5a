"""The app's side of the deliberate trigger: the terminal's ``right_shift`` goes through a
:class:`tui.trigger.TerminalTap` (a Textual timer for its window), every other key the app receives
cancels that window, and while a text field has focus or a dialog is open the trigger is suspended
(``room.trigger.suspended``, which the global listener's presses also go through)."""

from __future__ import annotations

import sys
from typing import Any

from textual import events
from textual.actions import SkipAction
from textual.widgets import Input

from tui.trigger import TERMINAL_WINDOW_S, TerminalTap


def is_text_field(widget: object) -> bool:
    """An Input or a TextArea (TextArea is not imported for this: if its module is not loaded, no
    widget can be one, and importing it costs start-up time)."""
    if isinstance(widget, Input):
        return True
    text_area = sys.modules.get("textual.widgets._text_area")
    return text_area is not None and isinstance(widget, text_area.TextArea)


class TriggerKeys:
    """Owned by the app: ``right_shift()`` from its binding, ``saw(event)`` from its ``on_event``."""

    def __init__(self, app: Any, *, window_s: float = TERMINAL_WINDOW_S) -> None:
        self.app = app
        self.suspended = False
        self.tap = TerminalTap(
            self._tapped,
            window_s=window_s,
            schedule=self._schedule,
            suspended=lambda: self.suspended,
            superseded=self._global_saw,
        )
        self._subscribed = False

    def right_shift(self) -> None:
        """The ``right_shift`` binding: open the window (in a dialog, let the key through)."""
        if self.refresh():
            raise SkipAction()
        self.tap.key("right_shift")

    def saw(self, event: events.Event) -> None:
        """Every event the app handles: other keys cancel the window; focus changes re-check suspension."""
        if isinstance(event, events.Key):
            if not event.is_forwarded and event.key != self.tap.trigger_key:
                self.tap.key(event.key)
        elif isinstance(event, (events.DescendantFocus, events.DescendantBlur)):
            self.refresh()
        elif isinstance(event, events.Mount) and not self._subscribed:
            self._subscribed = True
            self.app.screen_change_signal.subscribe(self.app, lambda _screen: self.refresh())

    def attach(self, room: Any) -> None:
        """A room became available: give its trigger the current suspension."""
        room.trigger.suspended = self.suspended

    def refresh(self) -> bool:
        """Work out whether the trigger is suspended now and tell the room's trigger; returns it."""
        app = self.app
        stack = app.screen_stack
        suspended = bool(stack) and (app.screen is not stack[0] or is_text_field(app.focused))
        self.suspended = suspended
        if suspended:
            self.tap.cancel()
        room = getattr(app, "room", None)
        if room is not None:
            room.trigger.suspended = suspended
        return suspended

    def _schedule(self, delay_s: float, callback: Any) -> Any:
        return self.app.set_timer(delay_s, callback, name="terminal-tap").stop

    def _global_saw(self, armed_at: float) -> bool:
        hotkey = getattr(self.app, "hotkey", None)
        return hotkey is not None and hotkey.saw_down_near(armed_at)

    def _tapped(self) -> None:
        self.app._toggle("terminal")
