"""The export dialog: choose a format and where to write the session."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select

from tui.meeting.values import ExportChoice
from tui.screens.dialog import FormDialog

FORMATS = (
    ("md", "Markdown"),
    ("txt", "Plain text"),
    ("json", "JSON"),
    ("srt", "Subtitles (SRT)"),
    ("vtt", "Subtitles (WebVTT)"),
)


class ExportDialog(FormDialog[ExportChoice]):
    """Dismisses with an :class:`ExportChoice` or ``None``. Small enough for a 60x20 terminal."""

    DEFAULT_CSS = """
    ExportDialog { align: center middle; }
    ExportDialog > Vertical {
        width: 70; max-width: 100%; height: auto; max-height: 100%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    ExportDialog Select { width: 1fr; }
    ExportDialog Horizontal { height: auto; align-horizontal: right; }
    """

    def __init__(self, default_stem: Path, formats: tuple[tuple[str, str], ...] = FORMATS) -> None:
        super().__init__()
        self.default_stem = default_stem
        self.formats = formats

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Export this session: format, then file")
            yield Select(
                [(label, key) for key, label in self.formats],
                value=self.formats[0][0],
                allow_blank=False,
                id="format",
            )
            yield Input(str(self.default_stem.with_suffix("." + self.formats[0][0])), id="path")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Export", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @property
    def chosen(self) -> str:
        value = self.query_one("#format", Select).value
        return value if isinstance(value, str) else self.formats[0][0]

    def on_select_changed(self) -> None:
        box = self.query_one("#path", Input)
        box.value = str(Path(box.value).with_suffix("." + self.chosen))

    def _done(self) -> None:
        value = self.query_one("#path", Input).value.strip()
        if not value:
            self.notify("Type where to write the file.", severity="warning")
            return
        self.dismiss(ExportChoice(self.chosen, Path(value).expanduser()))
