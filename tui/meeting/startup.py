"""What the meeting says at start: recordings repaired after a crash, and turns left waiting by
quitting while recording, with the keys that answer them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.errors import VoxroomError
from tui.meeting import shown as on_show
from tui.meeting.events import Notice

if TYPE_CHECKING:
    from tui.config import Settings


def recover(settings: Settings) -> list[Notice]:
    """Repair what a crash left (before anything records, so nothing recorded is lost)."""
    from tui.recovery import recover_interrupted
    from tui.room.wiring import session_store

    try:
        recovered, problems = recover_interrupted(session_store(settings))
    except VoxroomError as err:
        recovered, problems = [], [str(err)]
    notices: list[Notice] = []
    if recovered:
        names = sorted({session.id for session, _ in recovered})
        notices.append(
            Notice(
                f"Recovered {len(recovered)} recording(s) left by an interrupted run, in session "
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
