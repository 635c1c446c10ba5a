"""What a session is: a plain dataclass that round-trips through ``session.json`` (schema version 2).

``Session`` holds the turns (:mod:`tui.sessions.record`), the names given to speakers and the people
heard. Every value read back from a file is checked and tidied by the readers in
:mod:`tui.sessions.fields`, and the one table of limits there is applied when a record is built
(``__post_init__``) and again by ``to_dict``, so what is saved is what is loaded. Names used across
the project (limits, ``single_line``, ``TurnRecord``, ``SessionSummary``...) are importable from here.
No Textual, no SDK.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tui.diarize.people import Person
from tui.model import Reference, Segment, Timings, Transcript
from tui.sessions.fields import (
    HEADER_FIELDS,
    LIMITS,
    MAX_ERROR,
    MAX_REFERENCES,
    MAX_REPLY,
    MAX_SEGMENT_TEXT,
    MAX_SEGMENTS_PER_TURN,
    MAX_SENTENCES,
    MAX_SHORT,
    MAX_SPEAKERS,
    MAX_TITLE,
    MAX_TURNS,
    MAX_URL,
    MODEL_KEYS,
    SCHEMA_VERSION,
    TITLE_WORDS,
    TURN_STATUSES,
    _dict,
    _fit_models,
    _list,
    _models,
    _names,
    _opt_fit,
    _opt_text,
    _status_mark,
    _text,
    cut_mark,
    first_words,
    fit,
    fit_line,
    now_iso,
    parse_time,
    safe_file_name,
    single_line,
)
from tui.sessions.record import TurnRecord
from tui.sessions.summary import BrokenSession, SessionSummary, format_created, format_duration

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "HEADER_FIELDS",
    "LIMITS",
    "MAX_ERROR",
    "MAX_REFERENCES",
    "MAX_REPLY",
    "MAX_SEGMENTS_PER_TURN",
    "MAX_SEGMENT_TEXT",
    "MAX_SENTENCES",
    "MAX_SHORT",
    "MAX_SPEAKERS",
    "MAX_TITLE",
    "MAX_TURNS",
    "MAX_URL",
    "MODEL_KEYS",
    "SCHEMA_VERSION",
    "TITLE_WORDS",
    "TURN_STATUSES",
    "BrokenSession",
    "Reference",
    "Segment",
    "Session",
    "SessionSummary",
    "Timings",
    "Transcript",
    "TurnRecord",
    "cut_mark",
    "default_title",
    "first_words",
    "fit",
    "fit_line",
    "follow",
    "format_created",
    "format_duration",
    "now_iso",
    "parse_time",
    "remember_header",
    "safe_file_name",
    "single_line",
]

_DEFAULT_TITLE = re.compile(r"^Meeting \d{4}-\d\d-\d\d \d\d:\d\d$")


def _people(data: Any, problems: list[str]) -> list[Person]:
    people: list[Person] = []
    for item in _list(data)[:MAX_SPEAKERS]:
        try:
            people.append(Person.from_dict(_dict(item)))
        except (ValueError, TypeError):
            problems.append("Ignored a malformed person in the session's people.")
    return people


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
        """``source`` is ``into``: every segment of ``source`` is relabelled ``into`` and the two
        people become one (voiceprints merged by seconds heard, ``source``'s kept as another voice
        of ``into``, see :meth:`Person.merge`), so ``source``'s voice never comes back under its own
        label in a later turn. Returns how many segments changed.

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
        gone = next((p for p in self.people if p.label == source), None)
        if gone is not None:
            self.people = [p for p in self.people if p.label != source]
            kept = next((p for p in self.people if p.label == into), None)
            if kept is None:
                gone.label = into
                self.people.append(gone)
            else:
                kept.merge(gone)
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


def default_title() -> str:
    """What a new session is called until its first words are known."""
    return "Meeting " + datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")


def remember_header(session: Session) -> None:
    """Note the :data:`HEADER_FIELDS` as read or written, to see later which ones a caller assigned."""
    session.saved_header = {k: copy.deepcopy(getattr(session, k)) for k in HEADER_FIELDS}


def follow(session: Session, latest: Session) -> None:
    """Make the caller's ``session`` hold the saved state ``latest``."""
    for f in fields(Session):
        if f.name not in ("folder", "read_only", "saved_header"):
            setattr(session, f.name, getattr(latest, f.name))
    remember_header(session)
