"""What a session is: plain dataclasses that round-trip through ``session.json`` (schema version 2).

Everything read back from a file is checked and tidied in ``from_dict``: wrong types fall back to
defaults, numbers must be finite, huge text is capped, every text field passes through
:func:`tui.text.clean`, and audio file names that could point outside the session folder are
dropped (with a note in :attr:`Session.problems`). No Textual, no SDK.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tui.diarize.people import Person
from tui.model import MAX_SECONDS, Reference, Segment, Timings, Transcript, bounded_seconds
from tui.text import clean

if TYPE_CHECKING:
    from pathlib import Path

    from tui.turn import TurnResult

SCHEMA_VERSION = 2

# Caps on what a file may hold, so a damaged or hostile file cannot flood the screen or memory.
MAX_TITLE = 200
MAX_SHORT = 500
"""Ids, model names, speaker labels and names, file names, statuses."""
MAX_SEGMENT_TEXT = 20_000
MAX_REPLY = 100_000
MAX_ERROR = 2_000
MAX_URL = 2_000
MAX_SEGMENTS_PER_TURN = 50_000
MAX_REFERENCES = 200
MAX_SENTENCES = 10_000
MAX_TURNS = 10_000
MAX_SPEAKERS = 1_000

TURN_STATUSES = ("done", "no-speech", "no-agent", "blocked", "interrupted", "failed", "pending")
MODEL_KEYS = ("transcription", "agent", "speech")

_NEEDS_CLEAN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Anything :func:`tui.text.clean` would change contains one of these (ESC is \x1b)."""
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,199}$")


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


def _text(value: Any, cap: int, default: str = "") -> str:
    if value is None:
        return default
    if not isinstance(value, str):
        if isinstance(value, bool | int | float):
            value = str(value)
        else:
            return default
    value = value[: cap * 2]
    if _NEEDS_CLEAN.search(value):
        value = clean(value)
    return value[:cap]


def _opt_text(value: Any, cap: int) -> str | None:
    if value is None:
        return None
    out = _text(value, cap)
    return out or None


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
        start=start,
        end=max(start, end),
        speaker=_text(data.get("speaker"), MAX_SHORT) or "speaker_1",
        text=_text(data.get("text"), MAX_SEGMENT_TEXT),
    )


def _reference(data: Any) -> Reference | None:
    if not isinstance(data, dict):
        return None
    url = _text(data.get("url"), MAX_URL)
    title = _text(data.get("title"), MAX_SHORT)
    if not url and not title:
        return None
    return Reference(title=title or url, url=url, source=_text(data.get("source"), MAX_SHORT))


def _people(data: Any, problems: list[str]) -> list[Person]:
    people: list[Person] = []
    for item in _list(data)[:MAX_SPEAKERS]:
        try:
            people.append(Person.from_dict(_dict(item)))
        except (ValueError, TypeError):
            problems.append("Ignored a malformed person in the session's people.")
    return people


def _models(data: Any) -> dict[str, str]:
    return {
        _text(k, MAX_SHORT): _text(v, MAX_SHORT)
        for k, v in list(_dict(data).items())[:20]
        if isinstance(v, str)
    }


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
        return {
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

    @classmethod
    def from_dict(cls, data: dict[str, Any], problems: list[str] | None = None) -> TurnRecord:
        problems = problems if problems is not None else []
        transcript = _dict(data.get("transcript"))
        reply = _dict(data.get("reply"))
        segments = [s for s in map(_segment, _list(transcript.get("segments"))[:MAX_SEGMENTS_PER_TURN]) if s]
        refs = [r for r in map(_reference, _list(reply.get("references"))[:MAX_REFERENCES]) if r]
        index = data.get("index")
        status = _text(data.get("status"), MAX_SHORT) or "done"
        return cls(
            index=index if isinstance(index, int) and not isinstance(index, bool) and index >= 0 else 0,
            recording=_file_name(data.get("recording"), "recording", problems),
            duration=_seconds(data.get("duration")),
            segments=segments,
            transcript_text=_text(transcript.get("text"), MAX_REPLY),
            language=_opt_text(transcript.get("language"), MAX_SHORT),
            reply=_text(reply.get("text"), MAX_REPLY),
            references=refs,
            blocked=reply.get("blocked") is True,
            moderation=_opt_text(reply.get("moderation"), MAX_ERROR),
            reply_audio=_file_name(reply.get("audio"), "reply audio", problems),
            refused_sentences=_indexes(reply.get("refused_sentences")),
            timings=_timings(data.get("timings")),
            status=status if status in TURN_STATUSES else "done",
            failed_step=_opt_text(data.get("failed_step"), MAX_SHORT),
            error=_opt_text(data.get("error"), MAX_ERROR),
            created=_text(data.get("created"), MAX_SHORT) or now_iso(),
            models=_models(data.get("models")),
            agent_id=_opt_text(data.get("agent_id"), MAX_SHORT),
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
    schema_version: int = SCHEMA_VERSION
    # Not stored: where the session lives and what was wrong with its file.
    folder: Path | None = field(default=None, compare=False, repr=False)
    problems: list[str] = field(default_factory=list, compare=False, repr=False)
    read_only: bool = field(default=False, compare=False, repr=False)
    """Opened from somewhere Voxroom must not write (a sample session in an installed package)."""

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
        """The first thing said (``Alice: text``), for lists; empty for a session without speech."""
        for turn in self.turns:
            for seg in turn.segments:
                if seg.text.strip():
                    return f"{self.name(seg.speaker)}: {seg.text.strip()}"[:MAX_SHORT]
            if turn.transcript_text.strip():
                return turn.transcript_text.strip()[:MAX_SHORT]
        return ""

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
        turn.index = (self.turns[-1].index if self.turns else 0) + 1
        self.turns.append(turn)
        return turn

    def rename_speaker(self, label: str, name: str) -> None:
        """Show ``label`` as ``name``; an empty name goes back to the label."""
        name = clean(name).strip()[:MAX_SHORT]
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
        wanted = label_or_name.casefold()
        for label, name in self.speaker_names.items():
            if name.casefold() == wanted:
                return label
        return None

    # -- (de)serialisation -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "id": self.id,
            "title": self.title,
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

    @classmethod
    def from_dict(cls, data: dict[str, Any], fallback_id: str = "") -> Session:
        """Build from a version-2 dict (run :func:`tui.sessions.migrate.migrate` first)."""
        problems: list[str] = []
        turns = [
            TurnRecord.from_dict(t, problems)
            for t in _list(data.get("turns"))[:MAX_TURNS]
            if isinstance(t, dict)
        ]
        for i, turn in enumerate(turns, start=1):
            if turn.index != i:
                turn.index = i
        names = {
            _text(k, MAX_SHORT): _text(v, MAX_SHORT)
            for k, v in list(_dict(data.get("speaker_names")).items())[:MAX_SPEAKERS]
            if isinstance(v, str) and _text(v, MAX_SHORT).strip()
        }
        models = _models(data.get("models"))
        created = _text(data.get("created"), MAX_SHORT) or now_iso()
        return cls(
            id=_text(data.get("id"), MAX_SHORT) or fallback_id,
            title=_text(data.get("title"), MAX_TITLE),
            created=created,
            updated=_text(data.get("updated"), MAX_SHORT) or created,
            backend=_text(data.get("backend"), MAX_SHORT),
            models=models,
            conversation_id=_opt_text(data.get("conversation_id"), MAX_SHORT),
            agent_id=_opt_text(data.get("agent_id"), MAX_SHORT),
            turns=turns,
            speaker_names=names,
            people=_people(data.get("people"), problems),
            problems=problems,
        )


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
        )

    @classmethod
    def from_data(cls, data: dict[str, Any], session_id: str) -> SessionSummary:
        """The summary straight from a (migrated) ``session.json`` dict, without building the whole
        session: what the list needs when its index is cold. Same result as ``of(from_dict(data))``."""
        names = {
            _text(k, MAX_SHORT): _text(v, MAX_SHORT)
            for k, v in list(_dict(data.get("speaker_names")).items())[:MAX_SPEAKERS]
            if isinstance(v, str) and _text(v, MAX_SHORT).strip()
        }
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
                label = _text(seg.get("speaker"), MAX_SHORT) or "speaker_1"
                labels.setdefault(label, None)
                if not first:
                    text = _text(seg.get("text"), MAX_SEGMENT_TEXT).strip()
                    if text:
                        first = f"{names.get(label) or label}: {text}"[:MAX_SHORT]
            if not first:
                first = _text(transcript.get("text"), MAX_REPLY).strip()[:MAX_SHORT]
            duration += max(_seconds(turn.get("duration")), last)
        people: dict[str, None] = {}
        for label in labels:
            people.setdefault(names.get(label) or label, None)
        created = _text(data.get("created"), MAX_SHORT) or now_iso()
        return cls(
            id=session_id,
            title=_text(data.get("title"), MAX_TITLE),
            created=created,
            updated=_text(data.get("updated"), MAX_SHORT) or created,
            duration=round(duration, 3),
            turns=len(raw_turns),
            first_line=first[:200],
            speakers=tuple(people)[:20],
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
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SessionSummary:
        turns = data.get("turns")
        return cls(
            id=_text(data.get("id"), MAX_SHORT),
            title=_text(data.get("title"), MAX_TITLE),
            created=_text(data.get("created"), MAX_SHORT),
            updated=_text(data.get("updated"), MAX_SHORT),
            duration=_seconds(data.get("duration")),
            turns=turns if isinstance(turns, int) and not isinstance(turns, bool) and turns >= 0 else 0,
            first_line=_text(data.get("first_line"), MAX_SHORT),
            speakers=tuple(
                _text(s, MAX_SHORT) for s in _list(data.get("speakers"))[:20] if isinstance(s, str)
            ),
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
