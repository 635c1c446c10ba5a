"""What the session list shows: one cheap row per session (``SessionSummary``) and the broken ones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tui.sessions.fields import (
    MAX_REPLY,
    MAX_SEGMENT_TEXT,
    MAX_SEGMENTS_PER_TURN,
    MAX_TITLE,
    MAX_TURNS,
    _dict,
    _label,
    _list,
    _names,
    _seconds,
    _status_mark,
    _text,
    fit,
    fit_line,
    now_iso,
    parse_time,
)
from tui.text import clean

if TYPE_CHECKING:
    from pathlib import Path

    from tui.sessions.model import Session


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
