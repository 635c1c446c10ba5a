"""The replies pane: each reply streams in as it is written; web references (title and URL, as plain
text, never opened) are listed under it; a moderation block is shown as a block, not as a reply."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

from tui.model import Reference, Reply
from tui.moderation import blocked_text
from tui.text import clean
from tui.widgets.following import FollowingScroll


class ReplyView(Vertical):
    """One reply: its text (growing while it streams), then its references."""

    DEFAULT_CSS = """
    ReplyView { height: auto; margin-bottom: 1; }
    ReplyView > .text { width: 1fr; }
    ReplyView > .refs { color: $text-muted; }
    ReplyView > .note { color: $text-muted; text-style: italic; }
    ReplyView.-blocked > .text { color: $warning; text-style: italic; }
    ReplyView.-failed > .text { color: $error; }
    ReplyView > .text.-speaking { background: $speaking-highlight; }
    """

    def __init__(self, turn: int) -> None:
        super().__init__()
        self.turn = turn
        self.text = ""
        self.references: list[Reference] = []
        self._text = Static("…", classes="text")
        self._refs = Static(classes="refs")
        self._refs.display = False
        self._note = Static(classes="note")
        self._note.display = False

    def compose(self) -> ComposeResult:
        yield self._text
        yield self._refs
        yield self._note

    def note(self, message: str) -> None:
        """A word from Voxroom about this turn (never the assistant's reply): shown muted, under it."""
        self._note.update(Content(f"({clean(message)})"))
        self._note.display = True
        self._text.display = bool(self.text)

    def append(self, delta: str) -> None:
        self.text += clean(delta)
        self._show_text()

    def finish(self, reply: Reply) -> None:
        if reply.blocked:
            self.add_class("-blocked")
            self.text = "⛔ " + clean(blocked_text(reply.moderation))
        elif reply.text:
            self.text = clean(reply.text)
        self.references = list(reply.references)
        self._show_text()
        refs = "\n".join(f"  ↗ {clean(r.title) or 'source'} — {clean(r.url)}" for r in self.references)
        self._refs.update(Content(refs))
        self._refs.display = bool(refs)

    def fail(self, message: str) -> None:
        self.add_class("-failed")
        if not self.text:
            self.text = clean(message)
            self._show_text()

    def _show_text(self) -> None:
        self._text.display = True
        self._text.update(Content(self.text or "…"))


class RepliesPane(FollowingScroll):
    """One :class:`ReplyView` per turn, kept by turn number: after :meth:`clear` the next session's
    turns get views of their own at once (the old views leave the DOM later, on the next frame)."""

    DEFAULT_CSS = """
    RepliesPane { height: 1fr; padding: 0 1; }
    RepliesPane > .placeholder { color: $text-muted; }
    """

    PLACEHOLDER = "Replies appear here."

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._views: dict[int, ReplyView] = {}

    def reply_for(self, turn: int) -> ReplyView:
        view = self._views.get(turn)
        if view is not None:
            return view
        self._drop_placeholder()
        view = self._views[turn] = ReplyView(turn)
        self.add(view)
        return view

    def append(self, turn: int, delta: str) -> None:
        self.reply_for(turn).append(delta)
        self.grew()

    def finish(self, turn: int, reply: Reply) -> None:
        self.reply_for(turn).finish(reply)
        self.grew()

    def fail(self, turn: int, message: str) -> None:
        self.reply_for(turn).fail(message)
        self.grew()

    def note(self, turn: int, message: str) -> None:
        self.reply_for(turn).note(message)
        self.grew()

    def highlight(self, turn: int | None) -> None:
        """Mark the reply of ``turn`` as the one being heard (replay); ``None`` clears."""
        for view in self._views.values():
            view._text.set_class(view.turn == turn, "-speaking")
            if view.turn == turn:
                self.scroll_to_widget(view, animate=False)

    def clear(self) -> None:
        """Empty the pane: the placeholder shows until the next reply."""
        self._views.clear()
        self.remove_children()
        self._show_placeholder()

    @property
    def texts(self) -> list[str]:
        return [view.text for view in self._views.values()]

    @property
    def notes(self) -> list[str]:
        """Voxroom's notes about the turns (status words), as shown."""
        return [str(view._note.content) for view in self._views.values() if view._note.display]
