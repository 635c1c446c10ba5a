"""Making a voice from a reference recording: its name, whose voice it is, the recording, and that
person's consent, asked and stated before anything is sent."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Checkbox, Input, Label

from tui.screens.dialog import FormDialog

CONSENT = (
    "Only with their consent: the recording is sent to Mistral's service, which makes a voice from "
    "it that speaks Voxroom's replies. Ask the person speaking first."
)
AGREED = "They agreed"
NEEDS_CONSENT = "Ask the person speaking first: without their consent no voice is made."


@dataclass(frozen=True, slots=True)
class NewVoice:
    name: str
    speaker: str
    recording: Path


class NewVoiceDialog(FormDialog[NewVoice]):
    """Dismisses with a :class:`NewVoice` only once the consent box is ticked, or ``None``."""

    DEFAULT_CSS = """
    NewVoiceDialog { align: center middle; }
    NewVoiceDialog > Vertical {
        width: 72; max-width: 100%; height: auto; max-height: 100%; border: round $warning;
        background: $surface; padding: 0 1; overflow-y: auto;
    }
    NewVoiceDialog Input { margin-top: 1; background: $boost; }
    NewVoiceDialog #consent-question { margin-top: 1; width: 100%; }
    NewVoiceDialog #consent-problem { color: $text-error; }
    NewVoiceDialog Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    NewVoiceDialog Horizontal Button { margin-left: 2; }
    """

    def __init__(self, recording: Path | None) -> None:
        super().__init__()
        self.recording = recording
        self.problem = ""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("A voice from a recording of one person, 3 s to 2 min")
            yield Input(placeholder="Voice name, e.g. Alice's voice", id="name", compact=True)
            yield Input(placeholder="Whose voice is it? e.g. Alice", id="speaker", compact=True)
            recording = str(self.recording) if self.recording else ""
            yield Input(recording, placeholder="Recording file", id="recording", compact=True)
            yield Label(Content(CONSENT), id="consent-question")
            yield Checkbox(AGREED, id="consent", compact=True)
            yield Label("", id="consent-problem")
            with Horizontal():
                yield Button("Cancel", id="cancel", compact=True)
                yield Button("Make the voice", id="ok", variant="warning", compact=True)

    def on_mount(self) -> None:
        self.query_one("#consent-problem", Label).display = False
        self.query_one("#name", Input).focus()

    def _say(self, problem: str) -> None:
        self.problem = problem
        shown = self.query_one("#consent-problem", Label)
        shown.update(Content(problem))
        shown.display = bool(problem)

    def _done(self) -> None:
        name = self.query_one("#name", Input).value.strip()
        speaker = self.query_one("#speaker", Input).value.strip()
        recording = self.query_one("#recording", Input).value.strip()
        if not name or not speaker or not recording:
            self._say("Give the voice a name, say whose voice it is, and the recording's file.")
            return
        if not self.query_one("#consent", Checkbox).value:
            self._say(NEEDS_CONSENT)
            return
        self.dismiss(NewVoice(name, speaker, Path(recording).expanduser()))
