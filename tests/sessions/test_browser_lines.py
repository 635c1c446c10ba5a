"""The session browser shows outside titles as text: never as markup, never on two lines, with the
status mark of an unfinished last turn."""

from __future__ import annotations

from rich.text import Text
from textual.app import App
from textual.widgets import DataTable

from tui.screens.sessions import SessionBrowser
from tui.sessions.model import SessionSummary


def _summary(sid: str, title: str, status: str = "") -> SessionSummary:
    return SessionSummary(sid, title, "2026-11-30T09:00:00Z", "", 5.0, 1, "Ann: [b]hi\nthere", (), status)


async def test_titles_are_text_not_markup() -> None:
    rows = [
        _summary("a", "[/bold] [link=https://evil.example]Budget[/link]\nforged"),
        _summary("b", "Cut short", "interrupted"),
    ]
    app: App[None] = App()
    async with app.run_test():
        browser = SessionBrowser(rows)
        await app.push_screen(browser)
        table = browser.query_one(DataTable)
        assert table.row_count == 2
        title, first = table.get_row("a")[3:5]
        assert isinstance(title, Text) and title.plain == "[/bold] [link=https://evil.example]Budget"[:30]
        assert first.plain == "Ann: [b]hi there"
        assert table.get_row("b")[3].plain == "[interrupted] Cut short"
