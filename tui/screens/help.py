"""The help screen: what Voxroom does and which keys do it."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Markdown

HELP = """\
# Voxroom

*Press **Esc** (or **Q**, **F1**, **?**) to close this help.*

Press **{key}** (or tap **Right Shift** on its own) to start recording the room, and again to stop.
Voxroom transcribes what was said, asks the assistant, and speaks the answer. Right Shift used to
type (a capital, `?`) or held down does nothing, and nothing records while a dialog is open.

* Press the key **while Voxroom speaks** to interrupt it and record at once.
* Press it **while a turn is processing** to record the next question; it is queued, nothing is lost.
* A failed turn keeps its recording: **Ctrl+R** (or *Retry last turn* in the palette) runs it again.
* **N** takes notes of the meeting: the room is recorded and transcribed with who spoke, and
  nothing is sent to the agent; **N** again stops them. A question asked meanwhile pauses them
  until it is answered.

| Key | Does |
|---|---|
| {key} or Right Shift | Record / stop (interrupts speech) |
| Ctrl+P | The command palette: every command that can run now, and the themes |
{rows}

Right Shift reaches Voxroom through the terminal only where the terminal speaks the kitty keyboard
protocol; otherwise a global hotkey listener is used when the desktop allows it, and the
**{key}** key always works.
"""


def help_text(fallback_key: str) -> str:
    """The help page, its key table made from the one list of commands."""
    from tui.actions import COMMANDS, key_label

    rows = "\n".join(f"| {key_label(c.keys)} | {c.help} |" for c in COMMANDS if c.keys)
    return HELP.format(key=key_label(fallback_key), rows=rows)


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 84; max-width: 95%; height: 80%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,f1,question_mark", "dismiss", "Close", key_display="esc")
    ]

    def __init__(self, fallback_key: str = "space") -> None:
        super().__init__()
        self.fallback_key = fallback_key

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(help_text(self.fallback_key))
        yield Footer(compact=True, show_command_palette=False)  # the help's own keys, not the room's
