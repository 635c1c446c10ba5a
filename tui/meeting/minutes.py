"""The minutes of the session on show, for the Minutes screen: the saved ones read back, or asked of
the agent through :func:`tui.minutes.ask_minutes` (the path ``voxroom minutes`` takes), each request
numbered so that a cancelled one is neither saved nor shown. Everything goes out as the meeting's
events (:class:`MinutesShown`, :class:`MinutesAsking`, :class:`MinutesFailed`) holding cleaned text
only. No Textual here: :meth:`MeetingMinutes.show` and :meth:`MeetingMinutes.ask` block (disk, the
agent), so the app calls them from its workers."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from tui.errors import VoxroomError
from tui.meeting import shown as on_show
from tui.meeting.events import MinutesAsking, MinutesFailed, MinutesShown
from tui.meeting.values import ActionView, MinutesView

if TYPE_CHECKING:
    from tui.meeting.meeting import Meeting
    from tui.sessions.minutes import Minutes
    from tui.sessions.model import Session

log = logging.getLogger("voxroom")
NOTHING_SAID = "Nothing has been said in this session yet, so there are no minutes to write."
SAMPLE = "A sample keeps no minutes: continue it as a copy (ctrl+t), then ask again."
SCRATCH = "This session is kept in memory only, so it cannot keep minutes."


def view_of(session: Session, minutes: Minutes) -> MinutesView:
    """Saved minutes as the screen shows them: owners by their names now, times as the exports write."""
    from tui.sessions.export import action_clock, owner_name
    from tui.sessions.summary import format_created

    actions = tuple(
        ActionView(owner_name(session, a), a.task, action_clock(session, a), a.quote) for a in minutes.actions
    )
    by = f" by {minutes.model}" if minutes.model else ""
    written = f"Written {format_created(minutes.created)}{by}."
    return MinutesView(minutes.summary, minutes.decisions, actions, minutes.questions, written)


def no_agent() -> str:
    """What the Minutes screen says when no agent is configured: the CLI's sentence and how to set one."""
    from tui.minutes import NO_AGENT
    from tui.model import NO_AGENT_NEXT_STEP

    return f"{NO_AGENT} {NO_AGENT_NEXT_STEP}"


def _said(session: Session) -> bool:
    return any(t.segments or t.transcript_text.strip() for t in list(session.turns))


class MeetingMinutes:
    """The Minutes screen's use cases, on the meeting's session on show."""

    def __init__(self, meeting: Meeting) -> None:
        self.meeting = meeting
        self._lock = threading.Lock()
        self._asked = 0
        self._cancelled: set[int] = set()

    def why_not(self) -> str:
        """Why the agent cannot be asked for the minutes of the session on show (``""``: it can)."""
        from tui.backends import Service, plan_for

        session = on_show.stored(self.meeting.shown)
        if session is None:
            return SCRATCH
        if session.read_only:
            return SAMPLE
        if not _said(session):
            return NOTHING_SAID
        if plan_for(self.meeting.settings).agent is Service.NONE:
            return no_agent()
        return ""

    @property
    def has_transcript(self) -> bool:
        """Something was said in the session on show (the palette offers the Minutes command)."""
        session = on_show.stored(self.meeting.shown)
        return session is not None and _said(session)

    def show(self) -> None:
        """The saved minutes of the session on show, and whether the agent can be asked for new ones."""
        from tui.sessions.minutes import load_minutes

        session = on_show.stored(self.meeting.shown)
        why = self.why_not()
        if session is None:
            self.meeting.emit(MinutesShown("", None, why_not=why))
            return
        saved = load_minutes(session.folder)
        view = view_of(session, saved) if saved is not None else None
        self.meeting.emit(MinutesShown(session.title or session.id, view, why_not=why))

    def next_request(self) -> int:
        """A number for the next :meth:`ask` (its events carry it; :meth:`cancel` takes it)."""
        with self._lock:
            self._asked += 1
            return self._asked

    def ask(self, asked: int) -> None:
        """Ask the agent for the minutes (request ``asked``): saved with the session and shown when the
        answer is usable and the request was not cancelled; a failure keeps the saved ones and says why."""
        from tui.minutes import ask_minutes

        why = self.why_not()
        session = on_show.stored(self.meeting.shown)
        if why or session is None:
            self.meeting.emit(MinutesFailed(asked, VoxroomError(why or SCRATCH)))
            return
        self.meeting.emit(MinutesAsking(asked))
        try:
            fresh, minutes = ask_minutes(self.meeting.settings, session.id, keep=lambda: self.live(asked))
            view = view_of(fresh, minutes)
        except VoxroomError as err:
            if self.live(asked):
                self.meeting.emit(MinutesFailed(asked, err))
            else:
                log.info("a cancelled request for the minutes ended: %s", err)
            return
        except Exception as err:  # never leave the screen asking: say what failed
            log.exception("asking for the minutes failed")
            if self.live(asked):
                reason = str(err).rstrip(".") or type(err).__name__
                self.meeting.emit(
                    MinutesFailed(asked, VoxroomError(f"Asking for the minutes failed: {reason}."))
                )
            return
        if self.live(asked):
            self.meeting.emit(MinutesShown(fresh.title or fresh.id, view, asked))

    def cancel(self, asked: int) -> None:
        """Request ``asked`` is not wanted any more: its answer is neither saved nor shown."""
        with self._lock:
            self._cancelled.add(asked)

    def live(self, asked: int) -> bool:
        """Request ``asked`` is still wanted."""
        with self._lock:
            return asked not in self._cancelled
