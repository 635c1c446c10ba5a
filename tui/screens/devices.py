"""The devices dialog: choose the microphone and the speaker (applies from the next recording)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Select

from tui.meeting.values import DevicesChoice


class DevicesDialog(ModalScreen[DevicesChoice | None]):
    """Dismisses with ``(input_name, output_name)`` (``""`` = system default) or ``None``."""

    DEFAULT_CSS = """
    DevicesDialog { align: center middle; }
    DevicesDialog > Vertical {
        width: 70; max-width: 100%; height: auto; max-height: 100%; border: round $primary;
        background: $surface; padding: 1 2;
    }
    DevicesDialog Select { margin-bottom: 1; }
    DevicesDialog Horizontal { height: auto; align-horizontal: right; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, inputs: list[str], outputs: list[str], current: tuple[str, str]) -> None:
        super().__init__()
        self.inputs = inputs
        self.outputs = outputs
        self.current = current

    def compose(self) -> ComposeResult:
        default = ("System default", "")
        with Vertical():
            yield Label("Microphone")
            yield Select(
                [default, *((Content(n), n) for n in self.inputs)],
                value=self.current[0] if self.current[0] in self.inputs else "",
                allow_blank=False,
                id="input",
            )
            yield Label("Speaker")
            yield Select(
                [default, *((Content(n), n) for n in self.outputs)],
                value=self.current[1] if self.current[1] in self.outputs else "",
                allow_blank=False,
                id="output",
            )
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Use these", id="ok", variant="primary")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id != "ok":
            self.dismiss(None)
            return
        mic = self.query_one("#input", Select).value
        out = self.query_one("#output", Select).value
        self.dismiss(DevicesChoice(mic if isinstance(mic, str) else "", out if isinstance(out, str) else ""))

    def action_cancel(self) -> None:
        self.dismiss(None)
