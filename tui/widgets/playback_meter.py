"""The playback meter: the output level while Voxroom speaks, and the sentence being spoken."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from tui.room import LevelLike
from tui.text import clean
from tui.widgets.level_bar import LevelBar


class PlaybackMeter(Vertical):
    DEFAULT_CSS = """
    PlaybackMeter { height: auto; padding: 0 1; }
    PlaybackMeter > .sentence {
        width: 1fr; height: auto; max-height: 2; color: $text-muted; text-overflow: ellipsis;
    }
    PlaybackMeter > .sentence.-speaking { background: $speaking-highlight; color: $foreground; }
    PlaybackMeter.-compact > .sentence { display: none; }
    """

    sentence: reactive[str] = reactive("")
    speaking: reactive[bool] = reactive(False)
    compact: reactive[bool] = reactive(False)
    """A short terminal: one row of level, no sentence (the replies pane shows the reply)."""

    def watch_compact(self, compact: bool) -> None:
        self.set_class(compact, "-compact")
        self.bar.compact = compact

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.bar = LevelBar(id="output-level")
        self.bar.active = False
        self._sentence = Static("silent", classes="sentence")

    def compose(self) -> ComposeResult:
        yield self.bar
        yield self._sentence

    def set_level(self, level: LevelLike) -> None:
        self.bar.level = level

    def watch_sentence(self) -> None:
        self._show()

    def watch_speaking(self, speaking: bool) -> None:
        self.bar.active = speaking
        self._show()

    def _show(self) -> None:
        box = self._sentence
        box.set_class(self.speaking and bool(self.sentence), "-speaking")
        text = f"▶ {clean(self.sentence)}" if self.speaking and self.sentence else "silent"
        box.update(Content(text))
