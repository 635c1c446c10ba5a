"""Which session the meeting shows and records into: a new one, a saved one or a sample opened to
read or continued, ctrl+t's offer of the last one, and the session's title. A part of
:class:`tui.meeting.meeting.Meeting`, which holds the state these methods use (the room, the session
being read and its reference, the last session offered at start) and ends the notes before a session
changes. No Textual here: each method may block (disk), so the app calls them from its workers."""

from __future__ import annotations

from tui.errors import VoxroomError
from tui.meeting import shown as on_show
from tui.meeting.events import Notice, Problem, SessionShown, SessionsListed
from tui.meeting.values import BUSY, Heading, OpenMode, Shown
from tui.room.events import SessionChanged
from tui.turnlog import TurnLog


class Switching:
    """The session use cases of the meeting."""

    def new_session(self) -> None:
        self._end_notes()
        room = self.room
        if room is not None and room.busy:
            self._emit(Notice(BUSY.format("start a new session"), severity="warning"))
            return
        if room is not None and on_show.turn_count(room.log) == 0:
            self._show(room.log)  # still empty: show it again rather than pile up empty sessions
            return
        from tui.backends import make_backends
        from tui.room.wiring import new_log

        try:
            backends = room.backends if room is not None and room.backends is not None else None
            fresh = new_log(self.settings, backends or make_backends(self.settings))
        except VoxroomError as err:
            self._emit(Problem(err, "New session"))
            return
        self._show(fresh)

    def list_sessions(self) -> None:
        try:
            summaries = on_show.list_sessions(self.settings, samples=True)
        except VoxroomError as err:
            self._emit(Problem(err, "Sessions"))
            return
        if not summaries:
            self._emit(Notice("There are no saved sessions yet."))
            return
        self._emit(SessionsListed(tuple(summaries)))

    def open(self, ref: str, mode: OpenMode) -> None:
        """Show a saved session or a sample to read, or continue it (new turns go into it; a sample
        is continued as a copy)."""
        room = self.room
        keep = mode == OpenMode.CONTINUE
        self._end_notes()  # reading another session ends this one's notes too
        if keep and room is not None and room.busy:
            self._emit(Notice(BUSY.format("continue that session"), severity="warning"))
            return
        from tui.room.wiring import open_log

        try:
            backends = room.backends if keep and room is not None else None
            opened = open_log(self.settings, ref, backends, read_only=not keep)
        except VoxroomError as err:
            self._emit(Problem(err, "Open session"))
            return
        self._show(opened, read_only=not keep, ref=ref)

    def continue_shown(self) -> None:
        """ctrl+t: the session being read takes the next turns; with none, the last session offered at
        start does, while nothing has been recorded into this launch's new one."""
        room = self.room
        if self._viewing is None and self._recent and room is not None and not on_show.turn_count(room.log):
            self.open(self._recent, OpenMode.CONTINUE)
            return
        if self._viewing is None:
            self._emit(Notice("Open a session first (ctrl+o); ctrl+t then continues it."))
            return
        self.open(self._ref or self._viewing.session_id, OpenMode.CONTINUE)

    def _show(self, shown: TurnLog, *, read_only: bool = False, ref: str = "") -> None:
        self._viewing = shown if read_only else None
        self._ref = ref or shown.session_id
        turns = on_show.history(shown, live=not read_only)
        self._emit(SessionShown(shown.name, self.kind, turns, on_show.names_of(shown)))
        if not read_only and self.room is not None:
            left = self.room.log
            self.room.use_log(shown)
            if left is not shown:
                self._recent = ""  # the room took another session: the offer is answered
                if left.session_id != shown.session_id:
                    on_show.discard_if_empty(left)

    def heading(self, index: int) -> Heading:
        """Turn ``index`` of the session on show: its header and where it starts (memory only)."""
        return on_show.heading(self.shown, index)

    @property
    def can_title(self) -> bool:
        """The session on show can be given a title: saved, not a sample, with a turn in it."""
        session = on_show.stored(self.shown)
        return session is not None and not session.read_only and bool(session.turns)

    @property
    def title(self) -> str:
        """The title given to the session on show (``""``: it has none of its own)."""
        session = on_show.stored(self.shown)
        return "" if session is None or session.auto_title else session.title

    def rename_session(self, title: str) -> None:
        """Give the session on show a title (empty: it is called after its first words again)."""
        target = self.shown
        if target is None:
            return
        try:
            name = on_show.set_title(target, title)
        except VoxroomError as err:
            self._emit(Problem(err, "Rename session"))
            return
        self._emit(SessionChanged(name if self.kind == Shown.LIVE else f"{name} ({self.kind})"))
        self._emit(Notice(f"This session is now called '{name}'.", "Rename session"))
