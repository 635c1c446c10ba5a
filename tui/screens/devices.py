"""The devices dialog: choose the microphone and the speaker (applies from the next recording), with
a live level of the microphone chosen, to test it before a meeting."""

from __future__ import annotations

import contextlib
from typing import ClassVar, Protocol

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Select

from tui.meeting.values import DevicesChoice
from tui.room import LevelLike
from tui.widgets.level_bar import LevelBar

LISTENING = "Listening to test the microphone: nothing is recorded."
PREVIEW_HZ = 20.0


class Preview(Protocol):
    """A level preview (:class:`tui.audio.preview.LevelPreview`; a fixed one in snapshot tests):
    ``listen`` may block (it runs in a worker thread) and returns "" or why it could not open the
    device; ``level`` never blocks; after ``close`` nothing is opened again."""

    @property
    def level(self) -> LevelLike: ...

    def listen(self, device: str) -> str: ...

    def close(self) -> None: ...


class DevicesDialog(ModalScreen[DevicesChoice | None]):
    """Dismisses with ``(input_name, output_name)`` (``""`` = system default) or ``None``.

    With a ``preview``, the microphone chosen in the list is listened to while the dialog is open
    (its level under the list; one sentence when it cannot be opened); choosing another microphone
    moves the preview to it, and closing the dialog closes it."""

    DEFAULT_CSS = """
    DevicesDialog { align: center middle; }
    DevicesDialog > Vertical {
        width: 70; max-width: 100%; height: auto; max-height: 100%; border: round $primary;
        background: $surface; padding: 1 2;
    }
    DevicesDialog Select { margin-bottom: 1; }
    DevicesDialog Select.-previewed { margin-bottom: 0; }
    DevicesDialog #listening { color: $text-muted; }
    DevicesDialog LevelBar { margin-bottom: 1; }
    DevicesDialog #preview-problem { color: $warning; margin-bottom: 1; }
    DevicesDialog Horizontal { height: auto; align-horizontal: right; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self, inputs: list[str], outputs: list[str], current: tuple[str, str], preview: Preview | None = None
    ) -> None:
        super().__init__()
        self.inputs = inputs
        self.outputs = outputs
        self.current = current
        self.preview = preview
        self.preview_problem = ""
        """Why the microphone looked at could not be opened ("" when it is listened to)."""

    def compose(self) -> ComposeResult:
        default = ("System default", "")
        with Vertical():
            yield Label("Microphone")
            yield Select(
                [default, *((Content(n), n) for n in self.inputs)],
                value=self.current[0] if self.current[0] in self.inputs else "",
                allow_blank=False,
                id="input",
                classes="-previewed" if self.preview is not None else "",
            )
            if self.preview is not None:
                yield Label(LISTENING, id="listening")
                bar = LevelBar(id="preview")
                bar.compact = True
                yield bar
                yield Label("", id="preview-problem")
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

    def on_mount(self) -> None:
        if self.preview is None:
            return
        self.query_one("#preview-problem", Label).display = False
        self.set_interval(1.0 / PREVIEW_HZ, self._show_level)
        self._listen(self._microphone())

    def on_unmount(self) -> None:
        if self.preview is not None:
            self.preview.close()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "input" and self.preview is not None and self.is_mounted:
            self._listen(self._microphone())

    def _microphone(self) -> str:
        value = self.query_one("#input", Select).value
        return value if isinstance(value, str) else ""

    def _listen(self, device: str) -> None:
        preview = self.preview
        assert preview is not None

        def work() -> None:
            problem = preview.listen(device)
            with contextlib.suppress(Exception):  # the app closed meanwhile: nothing left to show it
                self.app.call_from_thread(self._listened, problem)

        self.run_worker(
            work, thread=True, exclusive=True, group="preview", name="level preview", exit_on_error=False
        )

    def _listened(self, problem: str) -> None:
        self.preview_problem = problem
        if not self.is_mounted:
            return
        shown = self.query_one("#preview-problem", Label)
        shown.update(Content(problem))
        shown.display = bool(problem)
        bar = self.query_one("#preview", LevelBar)  # the sentence takes the bar's place
        bar.active = bar.display = not problem

    def _show_level(self) -> None:
        if self.preview is not None:
            self.query_one("#preview", LevelBar).level = self.preview.level

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id != "ok":
            self._close(None)
            return
        mic = self._microphone()
        out = self.query_one("#output", Select).value
        self._close(DevicesChoice(mic, out if isinstance(out, str) else ""))

    def action_cancel(self) -> None:
        self._close(None)

    def _close(self, choice: DevicesChoice | None) -> None:
        if self.preview is not None:
            self.preview.close()  # before the room opens its devices again
        self.dismiss(choice)
