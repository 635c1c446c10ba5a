"""What the meeting says at start: recordings repaired after a crash, turns left waiting by quitting
while recording, and the last session when it was a moment ago, with the keys that answer them.
Sessions nobody spoke in, untouched for a day, are removed before anything records."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from tui.errors import VoxroomError
from tui.meeting import shown as on_show
from tui.meeting.events import Notice
from tui.text import clean, plural

if TYPE_CHECKING:
    from tui.config import Settings
    from tui.sessions.model import SessionSummary


def recover(settings: Settings) -> list[Notice]:
    """Repair what a crash left (before anything records, so nothing recorded is lost)."""
    from tui.recovery import recover_interrupted
    from tui.room.wiring import session_store

    store = session_store(settings)
    try:
        recovered, problems = recover_interrupted(store)
    except VoxroomError as err:
        recovered, problems = [], [str(err)]
    store.clean_up()  # empty sessions of earlier launches, untouched for a day
    notices: list[Notice] = []
    if recovered:
        names = sorted({session.id for session, _ in recovered})
        notices.append(
            Notice(
                f"Recovered {plural(len(recovered), 'recording')} left by an interrupted run, in session "
                f"{', '.join(names)}. Open it (ctrl+o), continue it (ctrl+t), then retry (ctrl+r).",
                "Recovered",
                "warning",
                15,
            )
        )
    notices.extend(Notice(problem, "Recovery", "error", 15) for problem in problems)
    return notices


def waiting_notice(settings: Settings) -> Notice | None:
    """A session whose last turn was interrupted (Voxroom closed while recording), named with the
    keys that answer it; ``None`` when there is none."""
    try:
        waiting = [s for s in on_show.list_sessions(settings) if s.status == "interrupted"]
    except VoxroomError:
        return None  # the session list says what is wrong when it is opened
    if not waiting:
        return None
    names = ", ".join(f"'{s.title or s.id}'" for s in waiting[:3])
    more = f" and {len(waiting) - 3} more" if len(waiting) > 3 else ""
    return Notice(
        f"An interrupted turn is waiting in {names}{more}: open the session (ctrl+o), continue it "
        "(ctrl+t), then ctrl+r answers it.",
        "Interrupted turn waiting",
        "warning",
        15,
    )


RECENT_S = 2 * 3600.0
"""A session touched less than this long ago is offered at start, to continue (ctrl+t)."""


def recent_session(settings: Settings, now: datetime | None = None) -> SessionSummary | None:
    """The saved session (with turns: a sample is never one) touched last, if that was less than
    :data:`RECENT_S` ago; ``None`` otherwise."""
    from tui.sessions.fields import parse_time

    try:
        found = on_show.list_sessions(settings)
    except VoxroomError:
        return None  # the session list says what is wrong when it is opened
    now = now or datetime.now(UTC)
    dated = [(when, s) for s in found if (when := parse_time(s.updated)) is not None]
    if not dated:
        return None
    when, last = max(dated, key=lambda pair: pair[0])
    age = (now - when).total_seconds()
    return last if -60.0 <= age < RECENT_S else None


def recent_notice(summary: SessionSummary, now: datetime | None = None) -> Notice:
    """What a launch says when the last session was a moment ago: the key that continues it."""
    from tui.sessions.fields import parse_time

    when = parse_time(summary.updated)
    age = ((now or datetime.now(UTC)) - when).total_seconds() if when is not None else 0.0
    name = clean(summary.title or summary.id)[:80]
    return Notice(
        f"Continue '{name}' from {ago(age)}? Press ctrl+t. This launch opened a new session, kept "
        "only if you record into it.",
        "Last session",
        "information",
        20,
    )


def ago(seconds: float) -> str:
    """``just now``, ``1 minute ago``, ``10 minutes ago``, ``1 hour ago``, ``2 hours ago``."""
    minutes = int(max(0.0, seconds) // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''} ago"
    hours = minutes // 60
    return f"{hours} hour{'s' if hours != 1 else ''} ago"
