"""The session browser: every past session with its date, duration, turns and first line; filter as
you type; Enter opens it read-only, ctrl+t continues it (new turns are appended)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Protocol

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label

from tui.meeting.values import OpenMode, SessionChoice
from tui.sessions.model import format_created, format_duration, single_line


class SummaryLike(Protocol):
    id: str
    title: str
    created: str
    duration: float
    turns: int
    first_line: str
    status: str

    def matches(self, text: str) -> bool: ...


class SessionBrowser(ModalScreen[SessionChoice | None]):
    """Dismisses with a :class:`SessionChoice` (the id, and read-only or continue) or ``None``."""

    DEFAULT_CSS = """
    SessionBrowser { align: center middle; }
    SessionBrowser > Vertical {
        width: 95%; height: 85%; border: round $primary; background: $surface; padding: 0 1;
    }
    SessionBrowser DataTable { height: 1fr; }
    SessionBrowser .hint { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Close"),
        Binding("enter", "open('view')", "Open read-only", priority=True),
        Binding("ctrl+t", "open('continue')", "Continue", priority=True),
        Binding("down", "move(1)", show=False, priority=True),
        Binding("up", "move(-1)", show=False, priority=True),
    ]

    def __init__(self, summaries: Sequence[SummaryLike]) -> None:
        super().__init__()
        self.summaries = list(summaries)
        self.shown: list[SummaryLike] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Sessions")
            yield Input(placeholder="Filter: words from the title, first line, speakers or date", id="filter")
            yield DataTable(cursor_type="row", zebra_stripes=True)
            yield Label("Enter: open read-only · ctrl+t: continue it · esc: close", classes="hint")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Date", "Duration", "Turns", "Title", "First line", "Id")
        self._fill("")
        self.query_one("#filter", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def _fill(self, text: str) -> None:
        table = self.query_one(DataTable)
        table.clear()
        self.shown = [s for s in self.summaries if not text.strip() or s.matches(text)]
        for s in self.shown:  # Text cells: a title like "[/b]" is shown as it is, never read as markup
            mark = f"[{s.status}] " if s.status else ""
            table.add_row(
                format_created(s.created),
                format_duration(s.duration),
                str(s.turns),
                Text(mark + single_line(s.title)[:30]),
                Text(single_line(s.first_line)[:80]),
                Text(single_line(s.id)[:40]),
                key=s.id,
            )

    def action_move(self, step: int) -> None:
        table = self.query_one(DataTable)
        if self.shown:
            table.move_cursor(row=max(0, min(len(self.shown) - 1, table.cursor_row + step)))

    def action_open(self, mode: str) -> None:
        """``mode``: an :class:`OpenMode` value (from the binding)."""
        table = self.query_one(DataTable)
        if not self.shown:
            self.notify("No session matches the filter.", severity="warning")
            return
        self.dismiss(SessionChoice(self.shown[table.cursor_row].id, OpenMode(mode)))

    def action_cancel(self) -> None:
        self.dismiss(None)
