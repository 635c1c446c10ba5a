"""The rename dialogs: a speaker (pick a label, type the name to show instead) and the session (type
its title)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Input, Label, Select

from tui.meeting.values import Naming
from tui.screens.dialog import FormDialog
from tui.sessions.model import MAX_TITLE, single_line


class RenameSpeakerDialog(FormDialog[Naming]):
    """Dismisses with ``(label, new_name)`` or ``None``."""

    DEFAULT_CSS = """
    RenameSpeakerDialog { align: center middle; }
    RenameSpeakerDialog > Vertical {
        width: 60; max-width: 100%; height: auto; max-height: 100%; border: round $primary;
        background: $surface; padding: 1 2;
    }
    RenameSpeakerDialog Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    RenameSpeakerDialog Select, RenameSpeakerDialog Input { margin-bottom: 1; }
    """

    def __init__(self, speakers: list[str], names: dict[str, str]) -> None:
        super().__init__()
        self.speakers = speakers
        self.names = names

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Rename a speaker")
            options = [
                (Content(f"{s} ({self.names[s]})" if s in self.names else s), s) for s in self.speakers
            ]
            yield Select(options, value=self.speakers[0], allow_blank=False, id="speaker")
            yield Input(placeholder="Name to show, e.g. Alice", id="name")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Rename", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    def _done(self) -> None:
        label = self.query_one("#speaker", Select).value
        name = self.query_one("#name", Input).value.strip()
        if isinstance(label, str) and name:
            self.dismiss(Naming(label, name))
        else:
            self.notify("Type a name first.", severity="warning")


class RenameSessionDialog(FormDialog[str]):
    """Dismisses with the new title (one cleaned line of at most :data:`MAX_TITLE` characters; ``""``:
    named after its first words again) or ``None``."""

    DEFAULT_CSS = """
    RenameSessionDialog { align: center middle; }
    RenameSessionDialog > Vertical {
        width: 60; max-width: 100%; height: auto; max-height: 100%; border: round $primary;
        background: $surface; padding: 1 2;
    }
    RenameSessionDialog Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    RenameSessionDialog .hint { color: $text-muted; margin-bottom: 1; }
    """

    def __init__(self, title: str, named: str) -> None:
        """``title``: the one it was given (``""``: none); ``named``: what it is called now."""
        super().__init__()
        self.title_now = single_line(title)[:MAX_TITLE]
        self.named = single_line(named)[:MAX_TITLE]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Rename this session")
            yield Label(
                Content(f"Now: {self.named}. Left empty, it is named after its first words."), classes="hint"
            )
            yield Input(
                value=self.title_now,
                placeholder="Title, e.g. Weekly planning",
                max_length=MAX_TITLE,
                id="title",
            )
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Rename", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#title", Input).focus()

    def _done(self) -> None:
        self.dismiss(single_line(self.query_one("#title", Input).value)[:MAX_TITLE])
