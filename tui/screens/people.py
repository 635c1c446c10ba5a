"""The people of the open session: who has spoken, for how long, by what name; play a few seconds of
a voice (its reference clip) or name them. Also the one-time question before voices are remembered
across meetings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, OptionList
from textual.widgets.option_list import Option

from tui.meeting.values import Person, PersonAction, PersonChoice


class PeopleDialog(ModalScreen[PersonChoice | None]):
    """Dismisses with a :class:`PersonChoice` (play a sample, or rename) or ``None``."""

    DEFAULT_CSS = """
    PeopleDialog { align: center middle; }
    PeopleDialog > Vertical {
        width: 70; max-width: 100%; height: auto; max-height: 100%; border: round $primary;
        background: $surface; padding: 1 2;
    }
    PeopleDialog OptionList { height: auto; max-height: 12; margin-bottom: 1; }
    PeopleDialog .hint { color: $text-muted; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_none", "Close"),
        Binding("p", "choose('play')", "Play a sample"),
        Binding("r,enter", "choose('rename')", "Rename", priority=True),
    ]

    def __init__(self, people: Sequence[Person]) -> None:
        super().__init__()
        self.people = people

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("People in this session")
            options = [
                Option(
                    Content(
                        f"{p.name or p.label}"
                        + (f" ({p.label})" if p.name else "")
                        + f" · {p.seconds:.0f} s heard"
                        + ("" if p.has_sample else " · no sample yet")
                    ),
                    id=p.label,
                )
                for p in self.people
            ]
            yield OptionList(*options, id="people")
            yield Label("p: play a sample of the voice · r or Enter: name them · esc: close", classes="hint")

    def action_choose(self, what: str) -> None:
        chosen = self.query_one(OptionList).highlighted_option
        if chosen is not None and chosen.id:
            self.dismiss(PersonChoice(PersonAction(what), chosen.id))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class RememberVoicesDialog(ModalScreen[bool]):
    """Asked once, the first time someone is named while voice profiles are on."""

    DEFAULT_CSS = """
    RememberVoicesDialog { align: center middle; }
    RememberVoicesDialog > Vertical {
        width: 64; max-width: 100%; height: auto; max-height: 100%; border: round $warning;
        background: $surface; padding: 1 2;
    }
    RememberVoicesDialog Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "no", "Not now")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Remember voices across meetings?")
            yield Label(
                "Naming someone would keep a summary of their voice (a voiceprint) and a few seconds of "
                "their speech in your data folder, so later meetings can name them. Only do this with "
                "the consent of the people recorded. Forget a voice any time: voxroom voices forget NAME."
            )
            with Horizontal():
                yield Button("Not now", id="no")
                yield Button("Remember", id="yes", variant="warning")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_no(self) -> None:
        self.dismiss(False)
