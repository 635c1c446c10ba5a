"""The status bar: backend in use, session name, and the last turn's latency breakdown."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from tui.model import STATUS_NOTES, Timings, TurnKind, TurnStatus
from tui.text import clean


def ms(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f} ms" if value < 10_000 else f"{value / 1000:.1f} s"


def number(value: float | None) -> str:
    """A time in ms without its unit (``–`` when unknown)."""
    return "–" if value is None else f"{value:.0f}"


UNASKED = {
    TurnStatus.NO_AGENT: ("no agent", STATUS_NOTES[TurnStatus.NO_AGENT].lower()),
    TurnStatus.NO_SPEECH: ("nothing said", "nothing said: nothing asked of the agent"),
}
NOTES = ("notes", "notes: nothing asked of the agent")


def unasked(kind: TurnKind | str, status: TurnStatus | str) -> tuple[str, str]:
    """Why a finished turn asked the agent nothing, short and in full (``("", "")``: it was asked)."""
    if kind == TurnKind.NOTES:
        return NOTES
    return UNASKED.get(status, ("", ""))  # type: ignore[call-overload]


def timings_text(t: Timings | None, *, level: int = 0, why: tuple[str, str] = ("", "")) -> str:
    """The timings in full (``level`` 0), short (1) or shortest (2). Of a turn that asked the agent
    nothing (``why``: short, full; notes, no agent, nothing said) only the transcription's time, as
    no agent or speech stage ran."""
    if t is None:
        return "no turn yet"
    if why[0]:  # a recording too short to transcribe has no stage at all
        what = why[1] if level == 0 else why[0]
        return what if t.transcription_ms is None else f"{what} · stt {ms(t.transcription_ms)}"
    if level >= 2:  # the unit once, at the end
        return (
            f"stt {number(t.transcription_ms)} · llm {number(t.agent_first_token_ms)} · "
            f"tts {number(t.speech_first_audio_ms)} · 1st {number(t.first_audio_ms)} ms"
        )
    if level == 1:
        return (
            f"stt {ms(t.transcription_ms)} · llm {ms(t.agent_first_token_ms)} · "
            f"tts {ms(t.speech_first_audio_ms)} · 1st audio {ms(t.first_audio_ms)}"
        )
    return (
        f"stt {ms(t.transcription_ms)} · agent 1st token {ms(t.agent_first_token_ms)} · "
        f"tts 1st audio {ms(t.speech_first_audio_ms)} · to 1st audio {ms(t.first_audio_ms)}"
    )


class StatusBar(Static):
    """One line: backend, session, what failed last and what fixes it (``failure``, kept until a turn
    succeeds), the last turn's timings, and what is happening now (``note``)."""

    DEFAULT_CSS = """
    StatusBar { height: 1; width: 1fr; padding: 0 1; background: $panel; text-wrap: nowrap;
        text-overflow: ellipsis; }
    StatusBar.-failed { background: $error 30%; }
    """

    backend: reactive[str] = reactive("")
    session: reactive[str] = reactive("")
    timings: reactive[Timings | None] = reactive(None)
    note: reactive[str] = reactive("")
    people: reactive[str] = reactive("")
    """Who is speaking now (a replayed line), else who has spoken in this session (names when given)."""
    failure: reactive[str] = reactive("")
    """What failed last and the action that fixes it; cleared when a turn succeeds."""
    unasked: reactive[tuple[str, str]] = reactive(("", ""))
    """Why the last turn asked the agent nothing (:func:`unasked`), or ``("", "")``."""
    started: reactive[bool] = reactive(False)
    """A turn has started in this session (then "no turn yet" is no longer true)."""

    def render(self) -> Content:
        return Content(self.fit(self.size.width - 2 if self.size.width else 0))

    def watch_failure(self, failure: str) -> None:
        self.set_class(bool(failure), "-failed")

    @property
    def text(self) -> str:
        return self.fit(0)

    def fit(self, width: int) -> str:
        """The line for ``width`` cells (0: unbounded): shorter timings first, then the least useful
        parts are left out (who has spoken, then the session), then the shortest timings; the backend
        always stays."""
        for short, keep_below in ((0, 4), (1, 4), (1, 3), (1, 2), (2, 2)):
            parts = [text for rank, text in self._parts(short) if rank < keep_below]
            line = " │ ".join(parts)
            if not width or len(line) <= width:
                return line
        return line

    def _parts(self, short: int) -> list[tuple[int, str]]:
        """(rank, text) in display order; a higher rank goes first when there is no room."""
        parts = [(0, self.backend or "…"), (2, f"session {clean(self.session) or '–'}")]
        if self.people:
            parts.append((3, clean(self.people)))
        if self.failure:
            parts.append((0, f"⚠ {clean(self.failure)}"))
        if self.timings is not None or not (self.started or self.failure):
            parts.append((1, timings_text(self.timings, level=short, why=self.unasked)))
        if self.note:
            parts.append((0, clean(self.note)))
        return parts
