"""A scrolling pane that follows new content, unless the user has scrolled up to read back."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.widget import Widget


class FollowingScroll(VerticalScroll):
    """Call :meth:`add` to append widgets and :meth:`grew` after a child grew in place."""

    def add(self, *widgets: Widget) -> None:
        follow = self.following
        self.mount_all(widgets)
        if follow:
            self.call_after_refresh(self.scroll_end, animate=False, immediate=True)

    def grew(self) -> None:
        if self.following:
            self.call_after_refresh(self.scroll_end, animate=False, immediate=True)

    @property
    def following(self) -> bool:
        """True when the view is at (or within a line of) the bottom."""
        return self.scroll_y >= self.max_scroll_y - 1
