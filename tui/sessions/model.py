"""What a session is: plain dataclasses that round-trip through ``session.json`` (schema version 2).

Everything read back from a file is checked and tidied in ``from_dict``: wrong types fall back to
defaults, numbers must be finite, every text field passes through :func:`tui.text.clean`, and audio
file names that could point outside the session folder are dropped (with a note in
:attr:`Session.problems`). Single-line fields (titles, speaker labels and names, references, ids)
pass through :func:`single_line`.

Limits: one table, :data:`LIMITS`, applied when a record is built (``__post_init__``) and again by
``to_dict``, so what is saved is what is loaded. Text longer than its limit is cut once, visibly: it
ends with :func:`cut_mark` and a note lands in the record's ``truncated`` list (saved with it).
No Textual, no SDK.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tui.diarize.people import Person
from tui.model import (
    MAX_SECONDS,
    RETRYABLE,
    Reference,
    Segment,
    Timings,
    Transcript,
    TurnStatus,
    bounded_seconds,
)
from tui.text import clean

if TYPE_CHECKING:
    from pathlib import Path

    from tui.turn import TurnResult

SCHEMA_VERSION = 2

LIMITS: dict[str, int] = {
    "title": 200,
    "short": 500,  # ids, model names, speaker labels and names, file names, statuses
    "segment": 20_000,  # one transcript segment's text
    "text": 100_000,  # a turn's transcript text, a reply
    "error": 2_000,  # an error message, moderation words
    "url": 2_000,
    "segments": 50_000,  # per turn
    "references": 200,  # per turn
    "turns": 10_000,
    "speakers": 1_000,
    "sentences": 10_000,  # refused sentence indexes per turn
    "notes": 20,  # truncation notes per record
}
"""The one table of limits on what a session may hold (characters, or items for lists), used both
when a record is built and when it is saved, so a damaged or hostile file cannot flood the screen or
memory and nothing is cut silently between a save and the next load."""
MAX_TITLE = LIMITS["title"]
MAX_SHORT = LIMITS["short"]
MAX_SEGMENT_TEXT = LIMITS["segment"]
MAX_REPLY = LIMITS["text"]
MAX_ERROR = LIMITS["error"]
MAX_URL = LIMITS["url"]
MAX_SEGMENTS_PER_TURN = LIMITS["segments"]
MAX_REFERENCES = LIMITS["references"]
MAX_TURNS = LIMITS["turns"]
MAX_SPEAKERS = LIMITS["speakers"]
MAX_SENTENCES = LIMITS["sentences"]

TURN_STATUSES = tuple(TurnStatus)
MODEL_KEYS = ("transcription", "agent", "speech")
HEADER_FIELDS = ("title", "auto_title", "backend", "models", "conversation_id", "agent_id", "speaker_names")
"""Session fields a caller may still assign directly before a store change (kept, not lost)."""

_NEEDS_CLEAN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Anything :func:`tui.text.clean` would change contains one of these (ESC is \x1b)."""
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,199}$")
_INVISIBLE = re.compile("[\u180e\u200b\u200e\u200f\u061c\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
"""Bidi embeddings/overrides/isolates, LRM/RLM/ALM, zero-width space, word joiner, BOM."""
_ASCII_JOINER = re.compile("(?<![^\x00-\x7f])[\u200c\u200d]|[\u200c\u200d](?![^\x00-\x7f])")
"""ZWNJ/ZWJ next to ASCII or at an end (spoofing); kept between two non-ASCII characters (emoji,
Persian, Indic scripts need them)."""
_DEFAULT_TITLE = re.compile(r"^Meeting \d{4}-\d\d-\d\d \d\d:\d\d$")
TITLE_WORDS = 6
"""A session's automatic title is the first this many words of its first transcript line."""


def single_line(text: str) -> str:
    """One line of outside text made safe to show among others (titles, names, labels, references).

    Terminal escapes and C0/C1 controls go (:func:`tui.text.clean`), so do bidirectional overrides,
    embeddings and isolates, direction marks and zero-width spoofing characters; every run of
    whitespace (newlines, U+2028/2029 included) becomes one space, and the ends are trimmed.
    """
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text  # the common case, fast: no control, format (Cf) or separator character at all
    return " ".join(_ASCII_JOINER.sub("", _INVISIBLE.sub("", clean(text))).split())


def cut_mark(cap: int) -> str:
    """What ends a text cut at ``cap`` characters."""
    return f" […cut at {cap} characters]"


def fit(text: str, cap: int, what: str = "", notes: list[str] | None = None) -> str:
    """``text`` if it has at most ``cap`` characters; otherwise cut so that, with :func:`cut_mark`
    appended, it has ``cap`` (so fitting again changes nothing). The cut is noted in ``notes``."""
    if len(text) <= cap:
        return text
    mark = cut_mark(cap)
    if notes is not None and len(notes) < LIMITS["notes"]:
        notes.append(f"{what or 'text'} was cut at {cap} characters")
    return text[: max(0, cap - len(mark))] + mark


def fit_line(text: str, cap: int = MAX_SHORT, what: str = "", notes: list[str] | None = None) -> str:
    """:func:`single_line` then :func:`fit`."""
    return fit(single_line(text), cap, what, notes)


def first_words(text: str, count: int = TITLE_WORDS) -> str:
    """The first ``count`` words of ``text`` on one line, ``…`` when there were more."""
    words = single_line(text).split()
    return " ".join(words[:count]) + ("…" if len(words) > count else "")


def now_iso() -> str:
    """The current UTC time as ``2026-11-25T13:09:30Z`` (what every ``created``/``updated`` holds)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str) -> datetime | None:
    """An ISO time from a session file as an aware datetime, or ``None`` when it is not one."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def safe_file_name(name: str) -> bool:
    """True for a plain file name inside the session folder: no folders, no ``..``, not absolute."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name:
        return False
    return bool(_SAFE_NAME.match(name)) and ".." not in name


def _text(value: Any, default: str = "") -> str:
    """A string from a file (numbers become text, anything else the default), cleaned; not cut:
    the limits are applied when the record is built."""
    if value is None:
        return default
    if not isinstance(value, str):
        if isinstance(value, bool | int | float):
            value = str(value)
        else:
            return default
    if _NEEDS_CLEAN.search(value):
        value = clean(value)
    return value


def _opt_text(value: Any) -> str | None:
    if value is None:
        return None
    return _text(value) or None


def _opt_fit(value: str | None, cap: int, what: str, notes: list[str], line: bool = False) -> str | None:
    if value is None:
        return None
    return (fit_line if line else fit)(value, cap, what, notes) or None


def _seconds(value: Any) -> float:
    return bounded_seconds(value, MAX_SECONDS)


def _ms(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _indexes(value: Any) -> list[int]:
    """Sentence indexes: distinct non-negative ints below :data:`MAX_SENTENCES`, sorted, at most that many."""
    found = {
        v
        for v in _list(value)[:MAX_SENTENCES]
        if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < MAX_SENTENCES
    }
    return sorted(found)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _segment(data: Any) -> Segment | None:
    if not isinstance(data, dict):
        return None
    start, end = _seconds(data.get("start")), _seconds(data.get("end"))
    return Segment(
        start=start, end=max(start, end), speaker=_label(data.get("speaker")), text=_text(data.get("text"))
    )


def _label(value: Any) -> str:
    """A speaker label as every reader sees it (the same in :class:`Session` and the summary)."""
    return fit_line(_text(value)) or "speaker_1"


def _reference(data: Any) -> Reference | None:
    if not isinstance(data, dict):
        return None
    url, title = _text(data.get("url")), _text(data.get("title"))
    if not url.strip() and not title.strip():
        return None
    return Reference(title=title or url, url=url, source=_text(data.get("source")))


def _fit_reference(ref: Reference, notes: list[str]) -> Reference:
    title = fit_line(ref.title, MAX_SHORT, "a reference title", notes)
    url = fit_line(ref.url, MAX_URL, "a reference address", notes)
    source = fit_line(ref.source, MAX_SHORT, "a reference source", notes)
    if (title, url, source) == (ref.title, ref.url, ref.source):
        return ref
    return Reference(title=title or url, url=url, source=source)


def _names(value: Any) -> dict[str, str]:
    """``speaker_names`` from a file: labels and names on one line, empty names dropped."""
    out: dict[str, str] = {}
    for k, v in list(_dict(value).items())[:MAX_SPEAKERS]:
        if isinstance(v, str):
            name = fit_line(_text(v))
            if name:
                out[_label(k)] = name
    return out


def _people(data: Any, problems: list[str]) -> list[Person]:
    people: list[Person] = []
    for item in _list(data)[:MAX_SPEAKERS]:
        try:
            people.append(Person.from_dict(_dict(item)))
        except (ValueError, TypeError):
            problems.append("Ignored a malformed person in the session's people.")
    return people


def _models(data: Any) -> dict[str, str]:
    """``models`` from a file: at most 20 names, as text (limits apply when the record is built)."""
    return {_text(k): _text(v) for k, v in list(_dict(data).items())[:20] if isinstance(v, str)}


def _fit_models(models: dict[str, str], notes: list[str]) -> dict[str, str]:
    if all(
        single_line(k) == k and single_line(v) == v and len(k) + len(v) <= MAX_SHORT
        for k, v in models.items()
    ):
        return models
    return {fit_line(k): fit_line(v, MAX_SHORT, "a model name", notes) for k, v in models.items()}


def _timings(data: Any) -> Timings:
    known = Timings.__dataclass_fields__
    return Timings(**{k: _ms(v) for k, v in _dict(data).items() if k in known})


def _file_name(value: Any, what: str, problems: list[str]) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and safe_file_name(value):
        return value
    shown = clean(str(value))[:80]
    problems.append(f"Ignored the {what} file name {shown!r}: it points outside the session folder.")
    return None


@dataclass
class TurnRecord:
    """One question to the room's assistant: what was recorded, what was heard, what was answered."""

    index: int = 0
    """1-based position in the session; set by :meth:`Session.add_turn`."""
    recording: str | None = None
    """File name of the recording, relative to the session folder."""
    duration: float = 0.0
    """Length of the recording in seconds."""
    segments: list[Segment] = field(default_factory=list)
    transcript_text: str = ""
    language: str | None = None
    reply: str = ""
    references: list[Reference] = field(default_factory=list)
    blocked: bool = False
    """A moderation guardrail blocked the request or the reply."""
    moderation: str | None = None
    """The service's words about the block, if any."""
    reply_audio: str | None = None
    """File name of the spoken reply, relative to the session folder."""
    refused_sentences: list[int] = field(default_factory=list)
    """Indexes of reply sentences the speech service refused to say (moderation): not in the audio."""
    timings: Timings = field(default_factory=Timings)
    status: str = "done"
    failed_step: str | None = None
    error: str | None = None
    created: str = field(default_factory=now_iso)
    models: dict[str, str] = field(default_factory=dict)
    """The ``transcription``, ``agent`` and ``speech`` models that really served this turn."""
    agent_id: str | None = None
    """The remote agent that answered (Mistral's Agents API), if any."""
    truncated: list[str] = field(default_factory=list)
    """What was cut to fit :data:`LIMITS` (the text itself ends with :func:`cut_mark`)."""

    def __post_init__(self) -> None:
        self.fit_limits()

    def fit_limits(self) -> None:
        """Apply :data:`LIMITS` (and one-line cleaning of labels and references) in place; cuts are
        visible and noted in :attr:`truncated`. Runs when built and before every save."""
        notes = self.truncated
        if len(self.segments) > MAX_SEGMENTS_PER_TURN:
            if len(notes) < LIMITS["notes"]:
                notes.append(f"kept the first {MAX_SEGMENTS_PER_TURN} of {len(self.segments)} segments")
            self.segments = self.segments[:MAX_SEGMENTS_PER_TURN]
        if len(self.references) > MAX_REFERENCES:
            if len(notes) < LIMITS["notes"]:
                notes.append(f"kept the first {MAX_REFERENCES} of {len(self.references)} references")
            self.references = self.references[:MAX_REFERENCES]
        labels: dict[str, str] = {}
        for n, seg in enumerate(self.segments, start=1):
            if len(seg.text) > MAX_SEGMENT_TEXT:
                seg.text = fit(seg.text, MAX_SEGMENT_TEXT, f"segment {n}", notes)
            label = labels.get(seg.speaker)
            if label is None:
                label = labels[seg.speaker] = fit_line(seg.speaker) or "speaker_1"
            seg.speaker = label
        self.references = [_fit_reference(r, notes) for r in self.references]
        self.transcript_text = fit(self.transcript_text, MAX_REPLY, "the transcript", notes)
        self.reply = fit(self.reply, MAX_REPLY, "the reply", notes)
        self.moderation = _opt_fit(self.moderation, MAX_ERROR, "the moderation note", notes)
        self.error = _opt_fit(self.error, MAX_ERROR, "the error", notes)
        self.language = _opt_fit(self.language, MAX_SHORT, "the language", notes, line=True)
        self.failed_step = _opt_fit(self.failed_step, MAX_SHORT, "the failed step", notes, line=True)
        self.created = fit_line(self.created, MAX_SHORT) or now_iso()
        self.agent_id = _opt_fit(self.agent_id, MAX_SHORT, "the agent id", notes, line=True)
        self.models = _fit_models(self.models, notes)
        if self.status not in TURN_STATUSES:
            self.status = "done"
        del notes[LIMITS["notes"] :]
        self.truncated = [fit_line(n, MAX_SHORT) for n in notes]

    def transcript(self) -> Transcript:
        """The saved transcript, as the pipeline's type (for a retry, the panes, exports)."""
        return Transcript(segments=list(self.segments), text=self.transcript_text, language=self.language)

    @property
    def speakers(self) -> list[str]:
        seen: dict[str, None] = {}
        for seg in self.segments:
            seen.setdefault(seg.speaker, None)
        return list(seen)

    @property
    def span(self) -> float:
        """The turn's length on the session timeline: its recording, or its last segment's end."""
        last = max((s.end for s in self.segments), default=0.0)
        return max(self.duration, last)

    def to_dict(self) -> dict[str, Any]:
        self.fit_limits()
        out = {
            "index": self.index,
            "recording": self.recording,
            "duration": round(self.duration, 3),
            "transcript": {
                "segments": [s.to_dict() for s in self.segments],
                "text": self.transcript_text,
                "language": self.language,
            },
            "reply": {
                "text": self.reply,
                "references": [r.to_dict() for r in self.references],
                "blocked": self.blocked,
                "moderation": self.moderation,
                "audio": self.reply_audio,
                "refused_sentences": self.refused_sentences,
            },
            "timings": self.timings.to_dict(),
            "status": self.status,
            "failed_step": self.failed_step,
            "error": self.error,
            "created": self.created,
            "models": dict(self.models),
            "agent_id": self.agent_id,
        }
        if self.truncated:
            out["truncated"] = list(self.truncated)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], problems: list[str] | None = None) -> TurnRecord:
        problems = problems if problems is not None else []
        transcript = _dict(data.get("transcript"))
        reply = _dict(data.get("reply"))
        raw_segments = _list(transcript.get("segments"))
        raw_refs = _list(reply.get("references"))
        notes = [_text(n) for n in _list(data.get("truncated"))[: LIMITS["notes"]] if isinstance(n, str)]
        for items, cap, what in (
            (raw_segments, MAX_SEGMENTS_PER_TURN, "segments"),
            (raw_refs, MAX_REFERENCES, "references"),
        ):
            if len(items) > cap:
                notes.append(f"kept the first {cap} of {len(items)} {what}")
        segments = [s for s in map(_segment, raw_segments[:MAX_SEGMENTS_PER_TURN]) if s]
        refs = [r for r in map(_reference, raw_refs[:MAX_REFERENCES]) if r]
        index = data.get("index")
        return cls(
            index=index if isinstance(index, int) and not isinstance(index, bool) and index >= 0 else 0,
            recording=_file_name(data.get("recording"), "recording", problems),
            duration=_seconds(data.get("duration")),
            segments=segments,
            transcript_text=_text(transcript.get("text")),
            language=_opt_text(transcript.get("language")),
            reply=_text(reply.get("text")),
            references=refs,
            blocked=reply.get("blocked") is True,
            moderation=_opt_text(reply.get("moderation")),
            reply_audio=_file_name(reply.get("audio"), "reply audio", problems),
            refused_sentences=_indexes(reply.get("refused_sentences")),
            timings=_timings(data.get("timings")),
            status=_text(data.get("status")) or "done",
            failed_step=_opt_text(data.get("failed_step")),
            error=_opt_text(data.get("error")),
            created=_text(data.get("created")) or now_iso(),
            truncated=notes,
            models=_models(data.get("models")),
            agent_id=_opt_text(data.get("agent_id")),
        )

    @classmethod
    def from_result(
        cls,
        result: TurnResult,
        recording: str | None,
        duration: float,
        reply_audio: str | None = None,
    ) -> TurnRecord:
        """A record of a finished turn (``index`` is set when it is added to a session)."""
        transcript = result.transcript
        reply = result.reply
        return cls(
            recording=recording,
            duration=_seconds(duration),
            segments=[
                Segment(s.start, max(s.start, s.end), clean(s.speaker), clean(s.text))
                for s in (transcript.segments if transcript else [])
            ],
            transcript_text=clean(transcript.text) if transcript else "",
            language=transcript.language if transcript else None,
            reply=clean(reply.text) if reply else "",
            references=[
                Reference(clean(r.title), clean(r.url), clean(r.source))
                for r in (reply.references if reply else [])
            ],
            blocked=bool(reply and reply.blocked),
            moderation=clean(reply.moderation) if reply and reply.moderation else None,
            reply_audio=reply_audio,
            refused_sentences=_indexes(result.refused),
            timings=result.timings,
            status=result.status if result.status in TURN_STATUSES else "done",
            failed_step=result.failed_step,
            error=clean(result.error) if result.error else None,
        )


@dataclass
class Session:
    """A meeting: its turns, the backends that served it, and the names given to its speakers."""

    id: str
    title: str = ""
    created: str = field(default_factory=now_iso)
    updated: str = field(default_factory=now_iso)
    backend: str = ""
    models: dict[str, str] = field(default_factory=dict)
    """``transcription``, ``agent`` and ``speech`` model names."""
    conversation_id: str | None = None
    agent_id: str | None = None
    turns: list[TurnRecord] = field(default_factory=list)
    speaker_names: dict[str, str] = field(default_factory=dict)
    """``{"speaker_1": "Alice"}``: shown instead of the label everywhere."""
    people: list[Person] = field(default_factory=list)
    """The voices heard in this session (label, voiceprint, reference clip): every turn's labels are
    matched to them, so a person keeps their label through the meeting. Deleted with the session."""
    auto_title: bool = False
    """The title was not given by a person: it becomes the first words of the first transcript line."""
    truncated: list[str] = field(default_factory=list)
    """What was cut to fit :data:`LIMITS` at the session level (title, names, ...)."""
    schema_version: int = SCHEMA_VERSION
    # Not stored: where the session lives and what was wrong with its file.
    folder: Path | None = field(default=None, compare=False, repr=False)
    problems: list[str] = field(default_factory=list, compare=False, repr=False)
    read_only: bool = field(default=False, compare=False, repr=False)
    """Opened from somewhere Voxroom must not write (a sample session in an installed package)."""
    saved_header: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The :data:`HEADER_FIELDS` as last read or written by the store: a field assigned directly
    since then is carried into the next locked change (see :meth:`SessionStore.update`)."""

    def __post_init__(self) -> None:
        self.fit_limits()

    def fit_limits(self) -> None:
        """Apply :data:`LIMITS` and one-line cleaning to the session's own fields (turns do their own)."""
        notes = self.truncated
        self.id = fit_line(self.id, MAX_SHORT, "the id", notes)
        self.title = fit_line(self.title, MAX_TITLE, "the title", notes)
        self.backend = fit_line(self.backend, MAX_SHORT, "the backend", notes)
        self.created = fit_line(self.created, MAX_SHORT) or now_iso()
        self.updated = fit_line(self.updated, MAX_SHORT) or self.created
        self.conversation_id = _opt_fit(self.conversation_id, MAX_SHORT, "the conversation id", notes, True)
        self.agent_id = _opt_fit(self.agent_id, MAX_SHORT, "the agent id", notes, True)
        self.models = _fit_models(self.models, notes)
        names = {}
        for label, name in list(self.speaker_names.items())[:MAX_SPEAKERS]:
            name = fit_line(name, MAX_SHORT, "a speaker name", notes)
            if name:
                names[fit_line(label) or "speaker_1"] = name
        self.speaker_names = names
        del notes[LIMITS["notes"] :]

    # -- derived ---------------------------------------------------------------------------------
    @property
    def duration(self) -> float:
        """Total recorded time in seconds (the sum of the turns' spans)."""
        return sum(t.span for t in self.turns)

    @property
    def speakers(self) -> list[str]:
        """Every speaker label, in order of first appearance."""
        seen: dict[str, None] = {}
        for turn in self.turns:
            for label in turn.speakers:
                seen.setdefault(label, None)
        return list(seen)

    def name(self, label: str) -> str:
        """The display name for a speaker label."""
        return self.speaker_names.get(label) or label

    @property
    def participants(self) -> list[str]:
        """Display names of everyone who spoke, in order, without repeats."""
        seen: dict[str, None] = {}
        for label in self.speakers:
            seen.setdefault(self.name(label), None)
        return list(seen)

    @property
    def first_line(self) -> str:
        """The first thing said (``Alice: text``) on one line, for lists; empty without speech."""
        spoken = self.first_spoken()
        if spoken is None:
            return ""
        label, text = spoken
        return fit_line(f"{self.name(label)}: {text}" if label else text)

    def first_spoken(self) -> tuple[str, str] | None:
        """The first transcript text and its speaker label (``""`` for a turn without segments)."""
        for turn in self.turns:
            for seg in turn.segments:
                if seg.text.strip():
                    return seg.speaker, seg.text
            if turn.transcript_text.strip():
                return "", turn.transcript_text
        return None

    @property
    def status_mark(self) -> str:
        """``interrupted``, ``failed`` or ``pending`` when the last turn did not finish, else ``""``."""
        return _status_mark(self.turns[-1].status if self.turns else "")

    def offsets(self) -> list[float]:
        """Start of each turn on the session timeline: the sum of the previous turns' spans."""
        out: list[float] = []
        at = 0.0
        for turn in self.turns:
            out.append(at)
            at += turn.span
        return out

    def turn(self, index: int) -> TurnRecord:
        for t in self.turns:
            if t.index == index:
                return t
        raise KeyError(index)

    # -- changes ---------------------------------------------------------------------------------
    def add_turn(self, turn: TurnRecord) -> TurnRecord:
        """Append ``turn`` with the next index. The store calls this on the latest copy, under its lock."""
        if len(self.turns) >= MAX_TURNS:
            raise ValueError(f"a session holds at most {MAX_TURNS} turns")
        turn.index = (self.turns[-1].index if self.turns else 0) + 1
        self.turns.append(turn)
        self.retitle()
        return turn

    def retitle(self) -> None:
        """An automatic title becomes the first words of the first transcript line, once there is one."""
        if not self.auto_title:
            return
        spoken = self.first_spoken()
        if spoken is not None and first_words(spoken[1]):
            self.title = fit(first_words(spoken[1]), MAX_TITLE)

    def set_title(self, title: str) -> None:
        """A title given by a person (never replaced automatically); empty goes back to automatic."""
        self.title = fit_line(title, MAX_TITLE, "the title", self.truncated)
        self.auto_title = not self.title
        self.retitle()

    def rename_speaker(self, label: str, name: str) -> None:
        """Show ``label`` as ``name``; an empty name goes back to the label."""
        name = fit_line(name, MAX_SHORT, "a speaker name", self.truncated)
        if name and name != label:
            self.speaker_names[label] = name
        else:
            self.speaker_names.pop(label, None)

    def merge_speakers(self, source: str, into: str) -> int:
        """Relabel every segment of ``source`` as ``into``; returns how many segments changed.

        ``into`` keeps its name; if it had none it takes ``source``'s.
        """
        changed = 0
        for turn in self.turns:
            for seg in turn.segments:
                if seg.speaker == source:
                    seg.speaker = into
                    changed += 1
        old = self.speaker_names.pop(source, None)
        if old and into not in self.speaker_names:
            self.speaker_names[into] = old
        return changed

    def resolve_speaker(self, label_or_name: str) -> str | None:
        """The label for a label or a display name (case-insensitive for names), if there is one."""
        if label_or_name in self.speakers or label_or_name in self.speaker_names:
            return label_or_name
        wanted = single_line(label_or_name).casefold()
        for label, name in self.speaker_names.items():
            if name.casefold() == wanted:
                return label
        return None

    # -- (de)serialisation -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        self.fit_limits()
        out = {
            "schema_version": SCHEMA_VERSION,
            "id": self.id,
            "title": self.title,
            "auto_title": self.auto_title,
            "created": self.created,
            "updated": self.updated,
            "backend": self.backend,
            "models": {
                k: self.models.get(k, "") for k in (*MODEL_KEYS, *sorted(set(self.models) - set(MODEL_KEYS)))
            },
            "conversation_id": self.conversation_id,
            "agent_id": self.agent_id,
            "speaker_names": dict(self.speaker_names),
            "people": [p.to_dict() for p in self.people],
            "turns": [t.to_dict() for t in self.turns],
        }
        if self.truncated:
            out["truncated"] = list(self.truncated)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], fallback_id: str = "") -> Session:
        """Build from a version-2 dict (run :func:`tui.sessions.migrate.migrate` first)."""
        problems: list[str] = []
        raw_turns = [t for t in _list(data.get("turns")) if isinstance(t, dict)]
        if len(raw_turns) > MAX_TURNS:
            problems.append(f"Only the first {MAX_TURNS} of {len(raw_turns)} turns were read.")
        turns = [TurnRecord.from_dict(t, problems) for t in raw_turns[:MAX_TURNS]]
        for i, turn in enumerate(turns, start=1):
            if turn.index != i:
                turn.index = i
        models = _models(data.get("models"))
        created = _text(data.get("created")) or now_iso()
        title = _text(data.get("title"))
        auto = data.get("auto_title")
        return cls(
            id=_text(data.get("id")) or fallback_id,
            title=title,
            created=created,
            updated=_text(data.get("updated")) or created,
            backend=_text(data.get("backend")),
            models=models,
            conversation_id=_opt_text(data.get("conversation_id")),
            agent_id=_opt_text(data.get("agent_id")),
            turns=turns,
            speaker_names=_names(data.get("speaker_names")),
            auto_title=auto if isinstance(auto, bool) else _is_default_title(title),
            truncated=[
                _text(n) for n in _list(data.get("truncated"))[: LIMITS["notes"]] if isinstance(n, str)
            ],
            people=_people(data.get("people"), problems),
            problems=problems,
        )


def _is_default_title(title: str) -> bool:
    """Titles older Voxroom gave every session (``Meeting 2026-11-25 14:09``) or none at all."""
    return not title.strip() or bool(_DEFAULT_TITLE.match(title.strip()))


def _status_mark(status: str) -> str:
    return status if status in RETRYABLE else ""


def default_title() -> str:
    """What a new session is called until its first words are known."""
    return "Meeting " + datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class SessionSummary:
    """One row of the session list: cheap to keep in the index, enough for the browser."""

    id: str
    title: str
    created: str
    updated: str
    duration: float
    turns: int
    first_line: str
    speakers: tuple[str, ...] = ()
    """Display names of the participants."""
    status: str = ""
    """``interrupted``, ``failed`` or ``pending`` when the last turn did not finish (see
    :attr:`Session.status_mark`), else ``""``."""

    @classmethod
    def of(cls, session: Session) -> SessionSummary:
        return cls(
            id=session.id,
            title=session.title,
            created=session.created,
            updated=session.updated,
            duration=round(session.duration, 3),
            turns=len(session.turns),
            first_line=session.first_line[:200],
            speakers=tuple(session.participants)[:20],
            status=session.status_mark,
        )

    @classmethod
    def from_data(cls, data: dict[str, Any], session_id: str) -> SessionSummary:
        """The summary straight from a (migrated) ``session.json`` dict, without building the whole
        session: what the list needs when its index is cold. Same result as ``of(from_dict(data))``."""
        names = _names(data.get("speaker_names"))
        duration = 0.0
        first = ""
        labels: dict[str, None] = {}
        raw_turns = [t for t in _list(data.get("turns"))[:MAX_TURNS] if isinstance(t, dict)]
        for turn in raw_turns:
            transcript = _dict(turn.get("transcript"))
            last = 0.0
            for seg in _list(transcript.get("segments"))[:MAX_SEGMENTS_PER_TURN]:
                if not isinstance(seg, dict):
                    continue
                start = _seconds(seg.get("start"))
                last = max(last, start, _seconds(seg.get("end")))
                label = _label(seg.get("speaker"))
                labels.setdefault(label, None)
                if not first:
                    text = fit(_text(seg.get("text")), MAX_SEGMENT_TEXT)
                    if text.strip():
                        first = fit_line(f"{names.get(label) or label}: {text}")
            if not first:
                first = fit_line(fit(_text(transcript.get("text")), MAX_REPLY))
            duration += max(_seconds(turn.get("duration")), last)
        people: dict[str, None] = {}
        for label in labels:
            people.setdefault(names.get(label) or label, None)
        created = fit_line(_text(data.get("created"))) or now_iso()
        last_status = _text(raw_turns[-1].get("status")) if raw_turns else ""
        return cls(
            id=session_id,
            title=fit_line(_text(data.get("title")), MAX_TITLE),
            created=created,
            updated=fit_line(_text(data.get("updated"))) or created,
            duration=round(duration, 3),
            turns=len(raw_turns),
            first_line=first[:200],
            speakers=tuple(people)[:20],
            status=_status_mark(last_status),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "created": self.created,
            "updated": self.updated,
            "duration": self.duration,
            "turns": self.turns,
            "first_line": self.first_line,
            "speakers": list(self.speakers),
            "status": self.status,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SessionSummary:
        turns = data.get("turns")
        return cls(
            id=fit_line(_text(data.get("id"))),
            title=fit_line(_text(data.get("title")), MAX_TITLE),
            created=fit_line(_text(data.get("created"))),
            updated=fit_line(_text(data.get("updated"))),
            duration=_seconds(data.get("duration")),
            turns=turns if isinstance(turns, int) and not isinstance(turns, bool) and turns >= 0 else 0,
            first_line=fit_line(_text(data.get("first_line"))),
            speakers=tuple(
                fit_line(_text(s)) for s in _list(data.get("speakers"))[:20] if isinstance(s, str)
            ),
            status=_status_mark(_text(data.get("status"))),
        )

    def matches(self, text: str) -> bool:
        """For filter-as-you-type: every word of ``text`` appears in the id, title, first line or names."""
        hay = " ".join((self.id, self.title, self.first_line, self.created, *self.speakers)).casefold()
        return all(word in hay for word in text.casefold().split())


@dataclass(frozen=True)
class BrokenSession:
    """A session folder whose ``session.json`` could not be used, and why."""

    id: str
    folder: Path
    reason: str
    moved_to: Path | None = None
    """Where the unreadable file was moved aside (``session.json.corrupt-<time>``), if it was."""


def format_duration(seconds: float) -> str:
    """``0:07``, ``12:05``, ``3:02:41``."""
    total = round(seconds)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def format_created(value: str) -> str:
    """A stored UTC time shown in local time as ``2026-11-25 14:09``."""
    parsed = parse_time(value)
    if parsed is None:
        return clean(value)[:32]
    return parsed.astimezone().strftime("%Y-%m-%d %H:%M")
