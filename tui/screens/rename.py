"""The rename-speaker dialog: pick a speaker label, type the name to show instead."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Input, Label, Select

from tui.meeting.values import Naming
from tui.screens.dialog import FormDialog


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
