"""What the small form dialogs share: Enter or OK submits, Cancel or Escape dismisses with None."""

from __future__ import annotations

from typing import ClassVar, TypeVar

from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import Button

T = TypeVar("T")


class FormDialog(ModalScreen[T | None]):
    """Subclasses compose an ``Input`` and buttons ``#ok`` / ``#cancel`` and implement ``_done``."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def on_input_submitted(self) -> None:
        self._done()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._done()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _done(self) -> None:
        """Validate the form and ``dismiss`` with its value (or say what is missing)."""
        raise NotImplementedError
