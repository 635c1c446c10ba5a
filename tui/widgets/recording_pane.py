"""The recording pane: state (idle / recording mm:ss / processing / speaking / taking notes mm:ss),
input level, device, and while notes are on, who has been heard in them."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from tui.room import IDLE, NOTES, PROCESSING, RECORDING, SPEAKING, LevelLike
from tui.text import clean
from tui.trigger import key_label
from tui.widgets.level_bar import LevelBar

STATE_LABELS = {
    IDLE: "idle",
    RECORDING: "recording",
    PROCESSING: "processing",
    SPEAKING: "speaking",
    NOTES: "taking notes",
}
NOTES_KEY = "n"
"""The notes command's key (the binding's id is ``notes``)."""


def mmss(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


class RecordingPane(Vertical):
    """Shows what the room is doing and what the microphone hears."""

    DEFAULT_CSS = """
    RecordingPane {
        height: auto;
        padding: 0 1;
    }
    RecordingPane > Static { height: 1; width: 1fr; text-overflow: ellipsis; text-wrap: nowrap; }
    RecordingPane .state { text-style: bold; }
    RecordingPane.-recording .state { color: $error; }
    RecordingPane.-processing .state { color: $warning; }
    RecordingPane.-speaking .state { color: $success; }
    RecordingPane.-notes .state { color: $accent; }
    RecordingPane > .notes { color: $accent; display: none; }
    RecordingPane.-notes-on > .notes { display: block; }
    RecordingPane .device { color: $text-muted; }
    RecordingPane > .hint { color: $text-muted; height: auto; max-height: 2; text-wrap: wrap; }
    RecordingPane.-compact > .device { display: none; }
    """

    state: reactive[str] = reactive(IDLE)
    elapsed: reactive[int] = reactive(0)
    queued: reactive[int] = reactive(0)
    device: reactive[str] = reactive("")
    hint: reactive[str] = reactive("")
    """A standing message (no microphone, read-only session); empty shows what the key does now."""
    key: reactive[str] = reactive("space")
    """The in-window key (the fallback)."""
    global_key: reactive[str] = reactive("")
    """The system-wide hotkey (``shift_r``), empty when it is off or could not start."""
    has_mic: reactive[bool] = reactive(True)
    compact: reactive[bool] = reactive(False)
    """A short terminal: the device on the state's line, one row of level."""
    notes: reactive[bool] = reactive(False)
    """Notes are on (recording, or paused while a question is recorded and answered)."""
    notes_elapsed: reactive[int] = reactive(0)
    """Seconds since notes were asked for."""
    notes_people: reactive[tuple[str, ...]] = reactive(())
    """Who has been heard in the notes so far (names where known)."""
    notes_key: reactive[str] = reactive(NOTES_KEY)

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.bar = LevelBar(id="input-level")
        self._state = Static(classes="state")
        self._device = Static(classes="device")
        self._hint = Static(classes="hint")
        self._notes = Static(classes="notes")
        self._show_state()
        self._show_device()
        self._show_hint()

    def compose(self) -> ComposeResult:
        yield self._state
        yield self._notes
        yield self.bar
        yield self._device
        yield self._hint

    def set_level(self, level: LevelLike) -> None:
        self.bar.level = level

    def watch_state(self, old: str, new: str) -> None:
        self.remove_class(f"-{old}")
        self.add_class(f"-{new}")
        self.bar.active = new in (RECORDING, NOTES)
        self._show_state()
        self._show_hint()
        self._show_notes()

    def watch_elapsed(self) -> None:
        self._show_state()

    def watch_compact(self, compact: bool) -> None:
        self.set_class(compact, "-compact")
        self.bar.compact = compact
        self._show_state()

    def watch_notes(self, on: bool) -> None:
        self.set_class(on, "-notes-on")
        self._show_notes()
        self._show_hint()

    def watch_notes_elapsed(self) -> None:
        self._show_state()
        self._show_notes()

    def watch_notes_people(self) -> None:
        self._show_notes()

    def watch_queued(self) -> None:
        self._show_state()

    def watch_device(self) -> None:
        self._show_device()
        self._show_state()

    def watch_hint(self) -> None:
        self._show_hint()

    def watch_key(self) -> None:
        self._show_hint()

    def watch_global_key(self) -> None:
        self._show_hint()

    def watch_has_mic(self) -> None:
        self._show_hint()

    @property
    def hint_text(self) -> str:
        """Worked out from the current state each time, so it can never go stale."""
        if self.hint:
            return self.hint
        if not self.has_mic and self.state not in (RECORDING, NOTES):
            return "No microphone: choose one (ctrl+p, Choose devices)."
        does = {
            RECORDING: "stop",
            PROCESSING: "record the next question",
            SPEAKING: "interrupt and record",
        }.get(self.state, "record")
        keys = self.key
        if self.global_key:
            keys = f"{key_label(self.global_key)} or {self.key}"
        if self.state == NOTES:
            return f"Press {self.notes_key} to stop the notes, {keys} to ask a question."
        return f"Press {keys} to {does}."

    def _show_hint(self) -> None:
        self._hint.update(Content(self.hint_text))

    @property
    def state_text(self) -> str:
        label = STATE_LABELS.get(self.state, self.state)
        text = f"● {label.upper()}"
        if self.state == RECORDING:
            text += f" {mmss(self.elapsed)}"
        elif self.state == NOTES:
            text += f" {mmss(self.notes_elapsed)}"
        if self.queued:
            text += f"  ({self.queued} queued)"
        return text

    def _show_state(self) -> None:
        if self.compact:
            device = Content.styled(f" · {clean(self.device_text)}", "not bold $text-muted")
            self._state.update(Content(self.state_text) + device)
        else:
            self._state.update(Content(self.state_text))

    @property
    def notes_text(self) -> str:
        """Who the notes have heard; while a question is recorded and answered, that they are paused
        (and for how long notes have been on)."""
        heard = ", ".join(" ".join(clean(name).split()) for name in self.notes_people) or "nobody yet"
        if self.state == NOTES:
            return f"heard: {heard}"
        return f"notes paused {mmss(self.notes_elapsed)} · heard: {heard}"

    def _show_notes(self) -> None:
        self._notes.update(Content(self.notes_text if self.notes else ""))

    @property
    def device_text(self) -> str:
        return f"mic: {self.device or 'none'}"

    def _show_device(self) -> None:
        self._device.update(Content(self.device_text))
