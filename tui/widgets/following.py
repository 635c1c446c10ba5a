"""A scrolling pane that follows new content, unless the user has scrolled up to read back."""

from __future__ import annotations

from textual import events
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static


class FollowingScroll(VerticalScroll):
    """Call :meth:`add` to append widgets and :meth:`grew` after a child grew in place.

    Whether it follows is decided when the view scrolls (the user, or following itself), not from
    the geometry at the moment of adding: a resize or new content changes the geometry without
    anyone having scrolled up, and the pane keeps following through both.

    A pane with a :attr:`PLACEHOLDER` shows it (class ``placeholder``) while it is empty: from its
    mount until its first content (:meth:`_drop_placeholder`), and again after each clear.
    """

    PLACEHOLDER = ""

    def __init__(self, *args: Widget, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._following = True
        self._placeholder: Static | None = None

    def on_mount(self) -> None:
        self._show_placeholder()

    @property
    def placeholder_text(self) -> str:
        """What the placeholder says (plain text, never markup)."""
        return self.PLACEHOLDER

    def _show_placeholder(self) -> None:
        if self.placeholder_text:
            self._placeholder = Static(Content(self.placeholder_text), classes="placeholder")
            self.mount(self._placeholder)

    def _drop_placeholder(self) -> None:
        if self._placeholder is not None:
            self._placeholder.remove()
            self._placeholder = None

    def add(self, *widgets: Widget) -> None:
        self.mount_all(widgets)
        self.grew()

    def grew(self) -> None:
        if self._following:
            self.call_after_refresh(self._to_end)

    def follow_y(self) -> float:
        """Where following scrolls to: the end (a pane may keep the start of its last item in view)."""
        return self.max_scroll_y

    def _to_end(self) -> None:
        if self._following:
            self.scroll_to(y=self.follow_y(), animate=False, immediate=True)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if new_value < old_value:
            self._following = new_value >= self.follow_y() - 1
        elif new_value >= self.follow_y() - 1:
            self._following = True

    def on_resize(self, event: events.Resize) -> None:
        self.grew()

    @property
    def following(self) -> bool:
        """True unless the user has scrolled up from the bottom."""
        return self._following
