"""Domain types shared by every backend, the turn pipeline, sessions and the UI.

Plain dataclasses, no Textual, no SDK: everything here serialises to JSON with ``to_dict``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class RoomState(StrEnum):
    """What the room is doing, as the recording pane shows it."""

    IDLE = "idle"
    RECORDING = "recording"
    PROCESSING = "processing"
    SPEAKING = "speaking"
    NOTES = "notes"
    """Taking notes: the room is recorded as notes turns (never sent to the agent)."""


class TurnStage(StrEnum):
    """Where a running turn is."""

    TRANSCRIBING = "transcribing"
    THINKING = "thinking"
    SPEAKING = "speaking"
    DONE = "done"
    FAILED = "failed"


class TurnStatus(StrEnum):
    """How a turn ended, as saved in its session (the values are the saved strings)."""

    DONE = "done"
    NO_SPEECH = "no-speech"
    """Nothing was said (silent or too short)."""
    NO_AGENT = "no-agent"
    BLOCKED = "blocked"
    """A moderation guardrail blocked the request or the reply."""
    INTERRUPTED = "interrupted"
    """Stopped before it finished (barge-in, a signal, Voxroom closed): it can be retried."""
    FAILED = "failed"
    PENDING = "pending"
    """Running, or Voxroom stopped (crash, kill) while it was running."""

    @property
    def retryable(self) -> bool:
        return self in (TurnStatus.FAILED, TurnStatus.PENDING, TurnStatus.INTERRUPTED)


RETRYABLE = frozenset(s for s in TurnStatus if s.retryable)
"""The saved statuses a retry runs again (a saved status is a plain string: test ``in RETRYABLE``)."""


class TurnKind(StrEnum):
    """What a turn is (the values are the saved strings): a question asked with Right Shift, answered
    by the agent, or a stretch of meeting notes, transcribed and diarized but never sent to the agent."""

    QUESTION = "question"
    NOTES = "notes"


class ReplayKind(StrEnum):
    """What a replay step plays; ``DONE`` ends a replay."""

    RECORDING = "recording"
    REPLY = "reply"
    DONE = "done"


class MatchTier(StrEnum):
    """How close a voice is to a remembered voice profile."""

    CONFIDENT = "confident"
    """Name the person after the profile."""
    BORDERLINE = "borderline"
    """Suggest the profile's name, never apply it."""
    NONE = "none"


STATUS_NOTES = {
    TurnStatus.INTERRUPTED: "Interrupted",
    TurnStatus.NO_SPEECH: "Nothing was said",
    TurnStatus.NO_AGENT: "Not answered: no agent is configured",
    TurnStatus.PENDING: "Not finished",
}
"""What a turn's status says to a person (replies pane, ``voxroom ask``, exports); never a reply."""
NO_AGENT_NEXT_STEP = (
    "To get answers, set MISTRAL_API_KEY, or point Voxroom at an OpenAI-compatible server with "
    "agent.openai_url and agent.openai_model in the config file's [agent] table "
    '(for Ollama: openai_url = "http://127.0.0.1:11434/v1", openai_model = "llama3.2").'
)
"""What to do when no agent answers (offline without ``agent.openai_url``): said by the app, ``doctor``
and ``voxroom ask`` (:attr:`tui.agent.base.NoAgent.MESSAGE`)."""

MAX_SECONDS = 10 * 24 * 3600.0
"""No recording or segment time beyond ten days is believed."""
UNKNOWN_SPEAKER = "unknown"
"""The label of a segment the service did not attribute to anyone (as Mistral's own examples print it)."""


def bounded_seconds(value: Any, limit: float = MAX_SECONDS) -> float:
    """A time in seconds from outside: finite, ``0 <= t <= limit``; anything unusable is 0.0."""
    if value is None or isinstance(value, bool):
        return 0.0
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return 0.0
    if not math.isfinite(number) or number < 0:
        return 0.0
    return min(number, limit)


@dataclass(slots=True)
class Segment:
    """One diarized, timestamped piece of a transcript (times in seconds from the recording start)."""

    start: float
    end: float
    speaker: str
    text: str

    def line(self, names: dict[str, str] | None = None) -> str:
        """The canonical line: ``[0.1s -> 1.5s] speaker_1 : Hello, how are you?``."""
        speaker = (names or {}).get(self.speaker, self.speaker)
        return f"[{self.start:.1f}s -> {self.end:.1f}s] {speaker} : {self.text}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Segment:
        return cls(
            start=float(data.get("start") or 0.0),
            end=float(data.get("end") or 0.0),
            speaker=str(data.get("speaker") or "speaker_1"),
            text=str(data.get("text") or ""),
        )


@dataclass(slots=True, frozen=True)
class Word:
    """One recognised word with its times (seconds), as offline Whisper gives them."""

    start: float
    end: float
    text: str


@dataclass(slots=True)
class Transcript:
    segments: list[Segment] = field(default_factory=list)
    text: str = ""
    language: str | None = None
    model: str = ""
    provisional: bool = False
    """True when speakers or times are missing (a live transcript): a diarized batch pass can
    replace it later."""
    speakers_known: bool = False
    """A provisional transcript whose segments carry the service's speakers (the live segments of
    an early answer): :meth:`plain` sends them. Not saved."""
    words: list[Word] = field(default_factory=list)
    """Word timings (offline only), for diarization; not saved."""
    voiceprints: dict[str, list[float]] = field(default_factory=dict)
    """Speaker label -> unit 256-d voice embedding from offline diarization; not saved (a voice is
    stored only in consented voice profiles, see :mod:`tui.diarize.people`)."""

    def lines(self, names: dict[str, str] | None = None) -> list[str]:
        return [seg.line(names) for seg in self.segments]

    def plain(self, names: dict[str, str] | None = None) -> str:
        """What is sent to the agent: one line per segment, speakers (by name when known) kept,
        times dropped. A provisional transcript is its text alone unless its speakers are known."""
        if not self.segments or (self.provisional and not self.speakers_known):
            return self.text.strip()
        names = names or {}
        return "\n".join(
            f"{names.get(s.speaker, s.speaker)}: {s.text.strip()}" for s in self.segments if s.text.strip()
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "segments": [s.to_dict() for s in self.segments],
            "text": self.text,
            "language": self.language,
            "model": self.model,
        }
        if self.provisional:  # written only when set, so older readers see the same keys
            out["provisional"] = True
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        return cls(
            segments=[Segment.from_dict(s) for s in data.get("segments") or []],
            text=str(data.get("text") or ""),
            language=data.get("language"),
            model=str(data.get("model") or ""),
            provisional=data.get("provisional") is True,
        )


@dataclass(slots=True, frozen=True)
class Reference:
    """A web source the agent cited. Shown as text; Voxroom never opens or fetches it."""

    title: str
    url: str
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class Reply:
    text: str = ""
    references: list[Reference] = field(default_factory=list)
    conversation_id: str | None = None
    blocked: bool = False
    """True when a moderation guardrail blocked the request or the reply."""
    moderation: str | None = None
    """The service's words about the block, if any."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "references": [r.to_dict() for r in self.references],
            "conversation_id": self.conversation_id,
            "blocked": self.blocked,
            "moderation": self.moderation,
        }


@dataclass(slots=True)
class SentContext:
    """What a question's input to the agent carried besides the question (:mod:`tui.context`),
    saved with the turn as ``context`` so a person can see what was sent."""

    asked_by: str = ""
    """Who asked (a person's name, else their label; ``""``: not known)."""
    notes_turns: list[int] = field(default_factory=list)
    """The notes turns whose lines were sent."""
    lines: int = 0
    """Notes lines sent."""
    chars: int = 0
    """Characters of those lines."""
    left_out_lines: int = 0
    """Older notes lines left out to fit ``agent.context_chars``."""
    left_out: str = ""
    """The marker sent in their place (``[12 min of earlier notes left out: ...]``), or ``""``."""
    first: str = ""
    """Clock time of the first notes line sent."""
    last: str = ""
    """Clock time of the last notes line sent."""
    input_chars: int = 0
    """Characters of the whole input (notes, who asked, the question)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def has_notes(self) -> bool:
        return bool(self.lines or self.left_out_lines)

    def summary(self) -> str:
        """One line: ``Sent with 12 notes lines (10:02 to 10:14), 85 older left out; asked by Alice``."""
        parts: list[str] = []
        if self.lines:
            span = f" ({self.first} to {self.last})" if self.first and self.last else ""
            parts.append(f"{self.lines} notes line{'s' if self.lines != 1 else ''}{span}")
        if self.left_out_lines:
            parts.append(f"{self.left_out_lines} older left out")
        said = "Sent with " + (", ".join(parts) or "no notes")
        return f"{said}; asked by {self.asked_by}" if self.asked_by else said


@dataclass(slots=True)
class Timings:
    """Milliseconds from the end of the recording (``t0``; a retry's ``t0`` is its own start) unless
    the name says otherwise: each is what its stage took in that run.

    ``None`` means the step did not happen (no agent, no speech, failure before it).
    """

    transcription_ms: float | None = None
    """The transcription call's duration; for a live transcription, its tail: from the end of the
    recording to the transcript the reply starts from."""
    agent_first_token_ms: float | None = None
    """From the agent request to its first text delta."""
    agent_first_sentence_ms: float | None = None
    """From the agent request to its first complete sentence."""
    speech_first_audio_ms: float | None = None
    """From the first speech request to its first audio block."""
    first_audio_ms: float | None = None
    """From the end of the recording to the first reply audio sample handed to the output."""
    total_ms: float | None = None
    """From the end of the recording to the end of the turn (all text in, all audio handed over)."""

    def to_dict(self) -> dict[str, float | None]:
        return {k: (None if v is None else round(v, 1)) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Timings:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: (None if v is None else float(v)) for k, v in data.items() if k in known})
