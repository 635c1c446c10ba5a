"""Full-text search across every session's transcripts and replies.

Fast without an extra index: each ``session.json`` is read as bytes and checked for the words
before it is parsed, so only sessions that can match are decoded. Matching is case-insensitive
(``str.casefold``) and every word of the query must appear in the same segment or reply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tui.fsutil import UnreadableFile, loads, read_bytes
from tui.sessions.files import MAX_RECORDS
from tui.sessions.migrate import SchemaError, migrate
from tui.sessions.model import Session, single_line
from tui.text import clean


class _Summary(Protocol):
    id: str


class _Listing(Protocol):
    @property
    def sessions(self) -> Sequence[_Summary]: ...


class SearchableStore(Protocol):
    """What search needs of :class:`tui.sessions.store.SessionStore` (no import: no cycle)."""

    max_file_bytes: int

    def list(self) -> _Listing: ...

    def session_file(self, session_id: str) -> Path | None: ...


SNIPPET_CONTEXT = 40


@dataclass(frozen=True)
class SearchHit:
    session_id: str
    session_title: str
    created: str
    turn: int
    """1-based turn index."""
    kind: str
    """``transcript`` or ``reply``."""
    speaker: str
    """Display name of who said it (``Voxroom`` for a reply)."""
    start: float | None
    """Seconds on the session timeline (transcript hits), else ``None``."""
    snippet: str
    """The matching text with up to 40 characters either side, ``…`` where cut."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "session_id": self.session_id,
            "session_title": self.session_title,
            "created": self.created,
            "turn": self.turn,
            "kind": self.kind,
            "speaker": self.speaker,
            "start": self.start,
            "snippet": self.snippet,
        }


def snippet(text: str, position: int, length: int, context: int = SNIPPET_CONTEXT) -> str:
    """The match with ``context`` characters either side, on one line (:func:`single_line`)."""
    lo, hi = max(0, position - context), min(len(text), position + length + context)
    return ("…" if lo > 0 else "") + single_line(text[lo:hi]) + ("…" if hi < len(text) else "")


def _find(text: str, words: list[str]) -> int | None:
    folded = text.casefold()
    first: int | None = None
    for word in words:
        pos = folded.find(word)
        if pos < 0:
            return None
        first = pos if first is None else min(first, pos)
    return first


def _prefilter_ok(words: list[str]) -> bool:
    """Raw-bytes prefiltering is exact only for words JSON writes unescaped."""
    return all('"' not in w and "\\" not in w and all(ord(c) >= 0x20 for c in w) for w in words)


def search_session(session: Session, text: str, limit: int = 200) -> list[SearchHit]:
    words = [w for w in text.casefold().split() if w]
    if not words:
        return []
    hits: list[SearchHit] = []
    offsets = session.offsets()
    for turn, offset in zip(session.turns, offsets, strict=True):
        places = [
            ("transcript", session.name(seg.speaker), round(offset + seg.start, 3), seg.text)
            for seg in turn.segments
        ]
        places.append(("reply", "Voxroom", None, turn.reply))
        for kind, who, at, found_in in places:
            pos = _find(found_in, words)
            if pos is not None:
                hits.append(
                    SearchHit(
                        session.id,
                        session.title,
                        session.created,
                        turn.index,
                        kind,
                        who,
                        at,
                        snippet(clean(found_in), pos, len(words[0])),
                    )
                )
        if len(hits) >= limit:
            break
    return hits[:limit]


def search_store(store: SearchableStore, text: str, limit: int = 200) -> list[SearchHit]:
    """Hits across every readable session in ``store``, newest session first, then by turn.

    Unreadable sessions are skipped here (``SessionStore.list`` reports them).
    """
    words = [w for w in text.casefold().split() if w]
    if not words:
        return []
    prefilter = _prefilter_ok(words)
    # Newest first (the order hits are shown in), so a common word stops after ``limit`` hits.
    order = [summary.id for summary in store.list().sessions]
    out: list[SearchHit] = []
    for name in order:
        path = store.session_file(name)
        if path is None:
            continue
        try:  # one reader: never through a link, bounded, lone surrogates replaced
            raw = read_bytes(path, store.max_file_bytes, within=path.parent.parent)
        except UnreadableFile:
            continue
        decoded = raw.decode("utf-8", errors="replace")
        if prefilter and "\\u" not in decoded:
            folded = decoded.casefold()
            if not all(w in folded for w in words):
                continue
        try:
            data, _ = migrate(loads(raw, max_containers=MAX_RECORDS))
            session = Session.from_dict(data, fallback_id=name)
        except (SchemaError, ValueError, RecursionError, TypeError, AttributeError):
            continue
        session.id = name
        out.extend(search_session(session, text, limit - len(out)))
        if len(out) >= limit:
            break
    return out[:limit]
