"""The export dialog: choose a format and where to write the session."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, RadioButton, RadioSet

from tui.screens.dialog import FormDialog

FORMATS = (("md", "Markdown"), ("txt", "Plain text"), ("json", "JSON"), ("srt", "Subtitles (SRT)"))


class ExportDialog(FormDialog[tuple[str, Path]]):
    """Dismisses with ``(format, path)`` or ``None``."""

    DEFAULT_CSS = """
    ExportDialog { align: center middle; }
    ExportDialog > Vertical {
        width: 70; height: auto; border: round $primary; background: $surface; padding: 1 2;
    }
    ExportDialog RadioSet { width: 1fr; margin-bottom: 1; }
    ExportDialog Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    """

    def __init__(self, default_stem: Path, formats: tuple[tuple[str, str], ...] = FORMATS) -> None:
        super().__init__()
        self.default_stem = default_stem
        self.formats = formats

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Export this session")
            with RadioSet(id="format"):
                for i, (key, label) in enumerate(self.formats):
                    yield RadioButton(label, value=i == 0, name=key)
            yield Input(str(self.default_stem.with_suffix("." + self.formats[0][0])), id="path")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Export", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @property
    def chosen(self) -> str:
        pressed = self.query_one(RadioSet).pressed_button
        return pressed.name if pressed is not None and pressed.name else self.formats[0][0]

    def on_radio_set_changed(self) -> None:
        box = self.query_one("#path", Input)
        box.value = str(Path(box.value).with_suffix("." + self.chosen))

    def _done(self) -> None:
        value = self.query_one("#path", Input).value.strip()
        if not value:
            self.notify("Type where to write the file.", severity="warning")
            return
        self.dismiss((self.chosen, Path(value).expanduser()))
