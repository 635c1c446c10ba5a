"""What a realtime transcription session has said so far, bounded, and the transcripts made of it.

:class:`LiveText` keeps the text deltas, the segments and the language a session's events carry
(at most :data:`MAX_TEXT_CHARS` of text and :data:`MAX_SEGMENTS` segments: more fails the session),
and builds the transcript: the finished one from ``transcription.done``, or the early one (the turn
is over, the service not yet done) from what arrived. Text enters through :mod:`tui.redact`
(valid Unicode, no terminal controls, no secrets). Not thread-safe: its owner holds its lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tui.errors import TranscriptionError
from tui.model import Segment, Transcript
from tui.redact import StreamScrubber, inbound
from tui.stt.mistral import MistralTranscriber, seconds
from tui.stt.realtime_socket import WHAT

MAX_TEXT_CHARS = 2_000_000
"""Most transcript text accepted from the server (about 4 hours of speech); more is a failure."""
MAX_SEGMENTS = 50_000
MAX_SEGMENT_CHARS = 10_000


@dataclass
class _Raw:
    """A segment or result as :meth:`MistralTranscriber._to_transcript` reads it."""

    text: str = ""
    start: float | None = None
    end: float | None = None
    speaker_id: str | None = None
    language: str | None = None
    model: str = ""
    segments: list[_Raw] = field(default_factory=list)


class LiveText:
    def __init__(self, model: str, diarize: bool) -> None:
        self.model = model
        """The realtime model asked for: the one that served the session unless it names another."""
        self.diarize = diarize
        self.names: frozenset[str] = frozenset()
        """The speaker references sent: segments may name these people."""
        self.deltas: list[str] = []
        self.segments: list[_Raw] = []
        self.language: str | None = None
        self._chars = 0
        self._shown = StreamScrubber()

    @property
    def text(self) -> str:
        """The text received so far, fit to show."""
        return inbound("".join(self.deltas))

    def has_words(self) -> bool:
        return any(piece.strip() for piece in self.deltas)

    def add_text(self, text: str) -> str:
        """Keep a delta; returns what of it can be shown now (a key split across deltas never is)."""
        self._chars += len(text)
        if self._chars > MAX_TEXT_CHARS:
            raise TranscriptionError(f"{WHAT} failed: Mistral sent more text than a meeting holds.")
        self.deltas.append(text)
        return self._shown.feed(text)

    def add_segment(self, event: Any) -> None:
        if len(self.segments) >= MAX_SEGMENTS:
            raise TranscriptionError(f"{WHAT} failed: Mistral sent more than {MAX_SEGMENTS} segments.")
        self.segments.append(_segment(event))

    def set_language(self, value: Any) -> None:
        self.language = _language(value)

    def finished(self, done: Any, sent_s: float) -> Transcript:
        """The transcript of ``transcription.done`` (its segments, else the live ones)."""
        raw_segments = [_segment(s) for s in (getattr(done, "segments", None) or [])[:MAX_SEGMENTS]]
        text = getattr(done, "text", "")
        result = _Raw(
            text=(text[:MAX_TEXT_CHARS] if isinstance(text, str) else "") or self.text,
            language=_language(getattr(done, "language", None)) or self.language,
            model=inbound(str(getattr(done, "model", "") or self.model))[:100],
            segments=_spoken(raw_segments or self.segments),
        )
        return self._build(result, sent_s)

    def early(self, sent_s: float) -> Transcript:
        """The provisional transcript of what arrived before the service was done: the live text,
        with the live segments (and their speakers, by name when they are the people referenced)
        when they hold every word of it; the finished transcript replaces it (see ``final()``)."""
        text = self.text
        segments = _spoken(self.segments)
        covered = _words(" ".join(s.text for s in segments)) == _words(text)
        result = _Raw(
            text=text, language=self.language, model=self.model, segments=segments if covered else []
        )
        return self._build(result, sent_s, provisional=True)

    def _build(self, result: _Raw, sent_s: float, *, provisional: bool = False) -> Transcript:
        """The transcript of a result; provisional when it lacks times or (diarized) speakers."""
        transcript = MistralTranscriber._to_transcript(result, names=self.names)
        timed = bool(result.segments) and all(s.end is not None and s.end > 0 for s in result.segments)
        speakers = not self.diarize or all(s.speaker_id for s in result.segments)
        if not result.segments:
            end = round(sent_s, 2)
            transcript.segments = [Segment(0.0, end, s.speaker, s.text) for s in transcript.segments]
        transcript.provisional = provisional or not (timed and speakers)
        transcript.speakers_known = bool(result.segments) and self.diarize and speakers
        return transcript


def _spoken(segments: Iterable[_Raw]) -> list[_Raw]:
    return [s for s in segments if s.text.strip()]


def _words(text: str) -> list[str]:
    return "".join(c.lower() if c.isalnum() else " " for c in text).split()


def _segment(raw: Any) -> _Raw:
    start, end = seconds(getattr(raw, "start", None)), seconds(getattr(raw, "end", None))
    if start is not None and end is not None and end < start:
        end = start
    speaker = getattr(raw, "speaker_id", None)
    text = getattr(raw, "text", "")
    return _Raw(
        text=text[:MAX_SEGMENT_CHARS] if isinstance(text, str) else "",
        start=start,
        end=end,
        speaker_id=inbound(speaker)[:40] if isinstance(speaker, str) and speaker.strip() else None,
    )


def _language(value: Any) -> str | None:
    if isinstance(value, str) and 1 <= len(value) <= 16 and value.replace("-", "").isalnum():
        return value
    return None
