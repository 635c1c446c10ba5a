"""The one way a session's times are written: line times, turn headers and clock times.

``sessions show``, the exports, the minutes and the app's transcript pane use these:

- :func:`line_time`: a moment on the session timeline (the turns' recordings laid end to end, see
  :meth:`tui.sessions.model.Session.offsets`) as ``0:07`` or ``1:02:41``;
- :func:`line_span`: a transcript line's times, ``[0:07 -> 0:12]``;
- :func:`clock_time`: the local wall-clock time of a moment, ``10:32``: the start of the turn it
  falls in (the turn's ``created``, saved when its recording started) plus the time into that turn;
- :func:`turn_header`: ``Turn 2 · 10:32 · question`` (or ``notes``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from tui.sessions.model import format_duration, parse_time

if TYPE_CHECKING:
    from tui.sessions.model import Session, TurnRecord


def line_time(seconds: float) -> str:
    """A moment on the session timeline: ``0:07``, ``12:05``, ``3:02:41``."""
    return format_duration(max(0.0, seconds))


def line_span(start: float, end: float) -> str:
    """A transcript line's start and end on the session timeline: ``[0:07 -> 0:12]``."""
    return f"[{line_time(start)} -> {line_time(end)}]"


def clock_of(created: str, seconds: float = 0.0) -> str:
    """Local ``HH:MM`` of the stored UTC time ``created`` plus ``seconds``; ``""`` if unreadable."""
    start = parse_time(created)
    if start is None:
        return ""
    try:
        return (start + timedelta(seconds=max(0.0, seconds))).astimezone().strftime("%H:%M")
    except (OverflowError, ValueError, OSError):
        return ""


def clock_time(session: Session, seconds: float) -> str:
    """Local ``HH:MM`` of a moment on the session timeline (``""`` when no turn has a usable start)."""
    turns = session.turns
    if not turns:
        return clock_of(session.created, seconds)
    offsets = session.offsets()
    at = 0
    for i, offset in enumerate(offsets):
        if offset <= seconds:
            at = i
    return clock_of(turns[at].created, seconds - offsets[at]) or clock_of(session.created, seconds)


def turn_header(turn: TurnRecord) -> str:
    """``Turn 2 · 10:32 · question`` (the clock time left out when the turn's start is unreadable)."""
    parts = [f"Turn {turn.index}", clock_of(turn.created), turn.kind.value]
    return " · ".join(p for p in parts if p)
