"""The status bar: backend in use, session name, and the last turn's latency breakdown."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from tui.model import Timings
from tui.text import clean


def ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f} ms" if value < 10_000 else f"{value / 1000:.1f} s"


def timings_text(t: Timings | None) -> str:
    if t is None:
        return "no turn yet"
    return (
        f"stt {ms(t.transcription_ms)} · agent 1st token {ms(t.agent_first_token_ms)} · "
        f"tts 1st audio {ms(t.speech_first_audio_ms)} · to 1st audio {ms(t.first_audio_ms)}"
    )


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; width: 1fr; padding: 0 1; background: $panel; }
    """

    backend: reactive[str] = reactive("")
    session: reactive[str] = reactive("")
    timings: reactive[Timings | None] = reactive(None)
    note: reactive[str] = reactive("")
    people: reactive[str] = reactive("")
    """Who has spoken in this session (names when given)."""

    def render(self) -> Content:
        return Content(self.text)

    @property
    def text(self) -> str:
        parts = [self.backend or "…", f"session {clean(self.session) or '–'}"]
        if self.people:
            parts.append(clean(self.people))
        parts.append(timings_text(self.timings))
        if self.note:
            parts.append(clean(self.note))
        return " │ ".join(parts)
