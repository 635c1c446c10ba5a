"""What the stand-in answers: scripted transcriptions, agent replies, speech, and latency profiles.

Every script is a frozen dataclass, so a test can build one, hand it to the server and reuse it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class ScriptedSegment:
    """One transcription segment. ``start``/``end`` left as ``None`` are spread over the audio."""

    text: str
    speaker_id: str | int | None = "speaker_1"
    """Sent as given: ``None`` is JSON ``null`` (see :data:`HOSTILE_SEGMENTS` for odd ones)."""
    start: float | None = None
    end: float | None = None
    """Sent as given: ``nan``/``inf`` become the JSON texts ``NaN``/``Infinity`` (a careless server)."""


DEFAULT_SEGMENTS: tuple[ScriptedSegment, ...] = (
    ScriptedSegment("Good morning everyone, shall we start?", "speaker_1"),
    ScriptedSegment("Yes. What is the weather in Paris today?", "speaker_2"),
)


HOSTILE_SEGMENTS: tuple[ScriptedSegment, ...] = (
    ScriptedSegment("Not a number.", "speaker_1", start=float("nan"), end=float("inf")),
    ScriptedSegment("Far future.", "speaker_\u00b2", start=1e306, end=-float("inf")),
    ScriptedSegment("Huge id.", "speaker_" + "9" * 5000, start=0.5, end=1e306),
    ScriptedSegment("Nobody.", None, start=1.0, end=1.5),
    ScriptedSegment("What is the weather in Paris today?", "speaker_2", start=2.0, end=float("nan")),
)
"""Non-finite and absurd times (``NaN``, ``Infinity``, ``1e306`` in the JSON) and odd speaker ids."""


@dataclass(frozen=True)
class ScriptedTurn:
    """A turn event the realtime stand-in sends at a chosen point of the audio it received."""

    at: float
    """Seconds of audio received when it goes out (also its ``time_s``)."""
    kind: str = "turn.end"
    """``turn.start``, ``turn.resume`` or ``turn.end``; ``""`` sends only the words (the live text
    as it is spoken)."""
    words: int | None = None
    """The text's first words out with it (before a ``turn.end``, after a ``turn.start`` or
    ``turn.resume``; None: every word but ``late_words``)."""


@dataclass(frozen=True)
class TranscriptionScript:
    """The answer to one ``POST /v1/audio/transcriptions``.

    ``segments`` defaults to two speakers (:data:`DEFAULT_SEGMENTS`) spread evenly over the
    uploaded audio's duration. ``text`` defaults to the segments' texts joined by spaces.
    ``duration`` overrides the duration read from the upload (needed with ``file_url``).
    ``by_voice=True`` ignores ``segments`` and diarizes the audio itself: each voiced stretch
    (``tests/standin/voices.py``) becomes a segment labelled by its pitch, ``speaker_1`` for the
    first pitch heard in the request, ``speaker_2`` for the next new one..., or the name of a
    ``speaker_references`` clip of the same pitch; its text is ``"Voice at 180 hertz, part 2."``.
    """

    segments: tuple[ScriptedSegment, ...] = DEFAULT_SEGMENTS
    language: str | None = "en"
    text: str | None = None
    duration: float | None = None
    by_voice: bool = False
    late_words: int = 0
    """Realtime with turn detection: the text's last ``late_words`` words are held back until
    ``input_audio.end``, so they come after ``turn.end`` (a service that ended a turn too soon)."""
    turn_end_at: float | None = None
    """Realtime with turn detection: the ``time_s`` every ``turn.end`` carries (None: where the
    speech ended); a hostile service's NaN, negative or far-future times."""
    word_ends: tuple[float, ...] | None = None
    """Realtime: where each word of the text ends in the audio (seconds, one per word, in order).
    Set, a word's delta goes out once the audio received reaches its end plus the session's
    ``target_streaming_delay_ms`` (how far the service's text trails the audio), instead of one
    word per :data:`tests.standin.realtime.SECONDS_PER_WORD`; a ``turn.end`` then sends no word
    early."""

    turns: tuple[ScriptedTurn, ...] = ()
    """Realtime with turn detection: these turn events, at these points of the audio, instead of
    the stand-in's own detector; the text's words go out only as they say (the rest at
    ``input_audio.end``). A speaker who pauses, is taken as done, then goes on."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", tuple(self.segments))
        object.__setattr__(self, "turns", tuple(sorted(self.turns, key=lambda t: t.at)))
        if self.word_ends is not None:
            object.__setattr__(self, "word_ends", tuple(sorted(float(t) for t in self.word_ends)))


@dataclass(frozen=True)
class ScriptedReference:
    """A web source, sent as a ``tool_reference`` content chunk."""

    title: str
    url: str
    tool: str = "web_search"
    description: str | None = None
    favicon: str | None = None
    after_delta: int | None = None
    """Send the reference after this many text deltas (``None``: after all the text)."""


@dataclass(frozen=True)
class Reply:
    """The agent's answer to one conversation start/append.

    ``text=None`` answers ``"Stand-in reply to: <the user's last input>"``. ``deltas`` is the
    number of ``message.output.delta`` text events (``None``: one per word). A reply with references
    (or ``web_search=True``) is preceded by ``tool.execution.started``/``done`` for ``web_search``.
    ``delta_delay`` (seconds) is waited before each text delta, on top of the latency profile.
    """

    text: str | None = None
    deltas: int | None = None
    references: tuple[ScriptedReference, ...] = ()
    web_search: bool = False
    delta_delay: float = 0.0
    model: str = "mistral-medium-latest"

    def __post_init__(self) -> None:
        object.__setattr__(self, "references", tuple(self.references))

    def text_for(self, prompt: str) -> str:
        return self.text if self.text is not None else f"Stand-in reply to: {prompt}"

    @property
    def searches(self) -> bool:
        return self.web_search or bool(self.references)


@dataclass(frozen=True)
class SpeechScript:
    """How ``POST /v1/audio/speech`` synthesises: a tone of ``seconds_per_char`` per character.

    The tone's pitch follows the characters, so it is deterministic, non-silent and text-dependent.
    ``block_seconds`` is the audio carried by each ``speech.audio.delta`` event.
    """

    seconds_per_char: float = 0.06
    block_seconds: float = 0.1
    sample_rate: int = 24_000
    amplitude: float = 0.3
    non_finite: bool = False
    """``pcm`` only: some samples are NaN, +Inf and -Inf (a broken or hostile service)."""


@dataclass(frozen=True)
class LatencyProfile:
    """Simulated service times (seconds), applied inside the server. All zero by default.

    - transcription: ``transcription_fixed + transcription_per_audio_second * audio seconds``;
    - agent: ``agent_first_token`` before the first text delta (after ``conversation.response.started``),
      then one delta every ``1 / agent_tokens_per_second`` (a delta counts as one token);
    - speech: ``speech_first_audio`` before the first audio block, then each block waits
      ``block duration * speech_real_time_factor``;
    - realtime transcription: ``realtime_done`` after ``input_audio.end``, before the remaining
      deltas, the segments and ``transcription.done``.
    """

    transcription_fixed: float = 0.0
    transcription_per_audio_second: float = 0.0
    agent_first_token: float = 0.0
    agent_tokens_per_second: float | None = None
    speech_first_audio: float = 0.0
    speech_real_time_factor: float = 0.0
    realtime_done: float = 0.0
    """Realtime transcription: wait between ``input_audio.end`` and the last events (the tail)."""

    def transcription_seconds(self, audio_seconds: float) -> float:
        return self.transcription_fixed + self.transcription_per_audio_second * audio_seconds

    def token_interval(self) -> float:
        if not self.agent_tokens_per_second:
            return 0.0
        return 1.0 / self.agent_tokens_per_second


@dataclass
class ScriptQueue(Generic[T]):
    """Scripts for one kind of answer: queued ones are used once each, in order, then the default."""

    default: T
    queued: list[T] = field(default_factory=list)

    def next(self) -> T:
        return self.queued.pop(0) if self.queued else self.default


def split_text(text: str, parts: int | None) -> list[str]:
    """Split ``text`` into deltas whose concatenation is ``text``.

    ``None``: one delta per word (the whitespace after a word stays with it). ``n``: ``n`` pieces
    of about the same number of words (characters if there are fewer words than pieces).
    """
    if not text:
        return []
    words = re.findall(r"\S+\s*|\s+", text)
    if parts is None:
        return words
    parts = max(1, parts)
    units = words if len(words) >= parts else list(text)
    parts = min(parts, len(units))
    size, extra = divmod(len(units), parts)
    pieces: list[str] = []
    index = 0
    for i in range(parts):
        count = size + (1 if i < extra else 0)
        pieces.append("".join(units[index : index + count]))
        index += count
    return pieces
