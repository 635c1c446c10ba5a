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
    ReplyView > .next-step { color: $text-muted; }
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
        self._next_step = Static(classes="next-step")
        self._next_step.display = False

    def compose(self) -> ComposeResult:
        yield self._text
        yield self._refs
        yield self._note
        yield self._next_step

    def note(self, message: str, next_step: str = "") -> None:
        """A word from Voxroom about this turn (never the assistant's reply): shown muted, under it;
        ``next_step`` (what the person can do about it) under that."""
        self._note.update(Content(f"({clean(message)})"))
        self._note.display = True
        self._text.display = bool(self.text)
        if next_step:
            self._next_step.update(Content(clean(next_step)))
            self._next_step.display = True

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
        self._next_step = ""
        self._next_step_said = False

    @property
    def next_step(self) -> str:
        """What to do when turns are not answered (no agent), said once in the pane: in the
        placeholder while it is empty, then under the first turn that is not answered."""
        return self._next_step

    @next_step.setter
    def next_step(self, text: str) -> None:
        self._next_step = text
        if self._placeholder is not None:
            self._placeholder.update(Content(self.placeholder_text))

    @property
    def placeholder_text(self) -> str:
        if self._next_step:
            return f"Replies appear here. {self._next_step}"
        return self.PLACEHOLDER

    def follow_y(self) -> float:
        """The end, unless the last reply (or the placeholder) is taller than the pane: then its
        first line at the top, so that a person reads it from its start (and scrolls on)."""
        last = self.children[-1] if self.children else None
        if last is None:
            return self.max_scroll_y
        return min(self.max_scroll_y, last.virtual_region.y)

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

    def note(self, turn: int, message: str, *, unanswered: bool = False) -> None:
        """``unanswered``: the turn was not answered for want of an agent; the first such note since
        the pane was cleared also says :attr:`next_step`."""
        next_step = ""
        if unanswered and self._next_step and not self._next_step_said:
            next_step = self._next_step
            self._next_step_said = True
        self.reply_for(turn).note(message, next_step)
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
        self._next_step_said = False
        self.remove_children()
        self._show_placeholder()

    @property
    def texts(self) -> list[str]:
        return [view.text for view in self._views.values()]

    @property
    def notes(self) -> list[str]:
        """Voxroom's notes about the turns (status words), as shown."""
        return [str(view._note.content) for view in self._views.values() if view._note.display]

    @property
    def next_steps(self) -> list[str]:
        """The next steps said under the turns, as shown."""
        return [str(v._next_step.content) for v in self._views.values() if v._next_step.display]
