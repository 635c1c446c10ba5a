"""The meeting: the room and the session on show, and every use case the app offers on them: start,
record, notes, retry, stop, export, replay, devices here; new, open, continue and the title in
:mod:`tui.meeting.switching`; naming people, the consent question and samples in
:mod:`tui.meeting.people`; the minutes in :mod:`tui.meeting.minutes`. No Textual here: each method may block
(devices, disk), so the app calls them from its workers; everything they have to say goes out as
events (:mod:`tui.room.events` and :mod:`tui.meeting.events`) to the same listeners as the room's own.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tui.errors import VoxroomError
from tui.meeting import devices, startup
from tui.meeting import shown as on_show
from tui.meeting.events import ExportExists, MeetingReady, Notice, Problem
from tui.meeting.minutes import MeetingMinutes
from tui.meeting.people import People
from tui.meeting.switching import Switching
from tui.meeting.values import BUSY, DevicesChoice, Shown
from tui.room.controller import Listener, Room
from tui.room.events import NOTES, RECORDING, SPEAKING, RoomEvent
from tui.turnlog import TurnLog

if TYPE_CHECKING:
    from tui.config import Settings

RoomFactory = Callable[["Settings"], Room]
NOTES_FINISH_S = 60.0
"""How long a session change waits for the last part of the notes to be transcribed."""
log = logging.getLogger("voxroom")


class Meeting(Switching, People):
    """The room (``None`` until :meth:`start` has built it) and the session on show.

    ``room``: a ready room (tests); ``factory``: how :meth:`start` builds one (default: the real parts
    from the settings, after start-up recovery).
    """

    def __init__(
        self,
        settings: Settings,
        room: Room | None = None,
        *,
        factory: RoomFactory | None = None,
        start_dir: Path | None = None,
    ) -> None:
        self.settings = settings
        self.room = room
        self.factory = factory
        self.start_dir = start_dir or Path.cwd()
        """The folder Voxroom was started in (the export dialog's default, see README)."""
        self.replay_speed = 1.0
        """How fast a replay without a speaker is timed (tests)."""
        self.listeners: list[Listener] = []
        self._viewing: TurnLog | None = None
        self._ref = ""
        self._early_presses = 0
        self._recent = ""
        """The id of the last session, touched a moment before this launch: ctrl+t continues it."""
        self._lock = threading.Lock()
        self.minutes = MeetingMinutes(self)
        """The Minutes screen's use cases (show, ask, cancel) on the session on show."""

    # -- what is on show -------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        """``listener`` hears the meeting's events and the room's (once the room is built)."""
        self.listeners.append(listener)
        if self.room is not None:
            self.room.subscribe(listener)

    @property
    def shown(self) -> TurnLog | None:
        """The session in the panes: one opened to read, else the room's own."""
        if self._viewing is not None:
            return self._viewing
        return self.room.log if self.room is not None else None

    @property
    def kind(self) -> Shown:
        if self._viewing is None:
            return Shown.LIVE
        return Shown.SAMPLE if on_show.is_sample(self._viewing) else Shown.READ_ONLY

    @property
    def read_only(self) -> bool:
        return self._viewing is not None

    @property
    def can_continue(self) -> bool:
        """ctrl+t has a session to continue: one being read, or the last one offered at start."""
        return self._viewing is not None or bool(self._recent)

    @property
    def recording(self) -> bool:
        """Recording a question or taking notes."""
        return self.room is not None and self.room.state in (RECORDING, NOTES)

    @property
    def taking_notes(self) -> bool:
        return self.room is not None and self.room.notes_on

    @property
    def busy(self) -> bool:
        return self.room is not None and (self.room.busy or self.room.replaying)

    # -- start -----------------------------------------------------------------------------------
    def start(self) -> None:
        """Build the room if there is none yet, say what is waiting from an earlier run, and replay
        the record presses made while the room was being built."""
        problems: list[VoxroomError] = []
        if self.room is None:
            if self.factory is None:
                self._recover()  # before anything records: repair what a crash left
            try:
                room = (self.factory or _default_room)(self.settings)
            except VoxroomError as err:
                problems.append(err)
            except Exception as err:  # keep the app alive whatever building the room does
                log.exception("the core could not be built")
                problems.append(VoxroomError(f"Voxroom could not start its audio and backends: {err}."))
            else:
                self.room = room
                for listener in self.listeners:
                    room.subscribe(listener)
        room = self.room
        if room is None:
            self._emit(MeetingReady(False, problems=tuple(problems)))
            return
        problems.extend(room.problems)
        self._emit(
            MeetingReady(
                True, room.device_name, room.recorder is not None, room.log.name, room.state, tuple(problems)
            )
        )
        self._announce_waiting()
        self._offer_recent()
        with self._lock:
            presses, self._early_presses = self._early_presses, 0
        for _ in range(presses):
            self.press("fallback")

    def warm_up(self) -> None:
        """Load the backends' models now, so the first turn does not wait for them."""
        if self.room is not None and self.room.backends is not None:
            for err in self.room.backends.warm_up():
                self._emit(Problem(err))

    def _recover(self) -> None:
        for notice in startup.recover(self.settings):
            self._emit(notice)

    def _announce_waiting(self) -> None:
        notice = startup.waiting_notice(self.settings)
        if notice is not None:
            self._emit(notice)

    def _offer_recent(self) -> None:
        recent = startup.recent_session(self.settings)
        if recent is None or self.room is None or on_show.stored(self.room.log) is None:
            return
        self._recent = recent.id
        self._emit(startup.recent_notice(recent))

    # -- recording -------------------------------------------------------------------------------
    def press(self, source: str = "fallback") -> None:
        """A record key: stops a replay; records, stops, or barges in (the room decides)."""
        room = self.room
        if room is not None and room.replaying:
            room.stop_replay()
            return
        if self._viewing is not None:
            self._emit(
                Notice(
                    "This session is open read-only. Continue it with ctrl+t, or start a new one "
                    "with ctrl+n.",
                    severity="warning",
                )
            )
            return
        if room is None:
            with self._lock:
                self._early_presses += 1  # pressed before the room was ready: kept for start()
            return
        room.press(source)

    def toggle_notes(self) -> None:
        """The notes command: start taking notes of the meeting (recorded, transcribed and matched to
        the session's people; nothing is asked of the agent), or stop them."""
        room = self.room
        if room is not None and room.notes_on:
            room.toggle_notes()
            return
        if self._viewing is not None:
            self._emit(
                Notice(
                    "This session is open read-only. Continue it with ctrl+t to take notes in it, or "
                    "start a new one with ctrl+n.",
                    severity="warning",
                )
            )
            return
        if room is None:
            self._emit(Notice("Voxroom is still starting: ask for notes again in a moment.", "Notes"))
            return
        room.toggle_notes()

    def _end_notes(self) -> None:
        """The session is about to change: notes stop, and their last part is transcribed into the
        session they were taken in (waited for up to :data:`NOTES_FINISH_S`)."""
        room = self.room
        if room is None or not room.notes_on:
            return
        room.end_notes()
        self._emit(Notice("Notes stopped: the session changes.", "Notes"))
        room.wait_idle(NOTES_FINISH_S)

    def check_auto_stop(self) -> None:
        if self.room is not None and (reason := self.room.check_auto_stop()):
            self._emit(Notice(reason, "Recording stopped"))

    def retry(self) -> None:
        room = self.room
        if room is None or not room.can_retry:
            self._emit(Notice("There is no failed turn to retry."))
            return
        room.retry_last()

    def stop(self) -> None:
        """Stop a replay (or a sample), or the reply being spoken."""
        room = self.room
        if room is None:
            return
        if room.replaying:
            room.stop_replay()
        elif room.state == SPEAKING:
            room.interrupt()

    # -- export and replay -----------------------------------------------------------------------
    def export_stem(self) -> Path:
        """Where the export dialog proposes to write (without the format's extension)."""
        from tui.sessions.export import default_export_folder

        target = self.shown
        name = target.name if target is not None else "voxroom"
        folder = default_export_folder(self.start_dir, Path.home())
        return folder / "".join(c if c.isalnum() or c in "-_" else "-" for c in f"voxroom-{name}")

    def export(
        self,
        fmt: str,
        path: Path,
        *,
        replace: bool = False,
        lines: list[str] | None = None,
        replies: list[str] | None = None,
    ) -> None:
        """Write the session on show (a scratch session: ``lines`` and ``replies``, what is on screen).
        An existing file is replaced only with ``replace`` (else :class:`ExportExists` asks)."""
        target = self.shown
        if target is None:
            self._emit(Notice("There is no session to export yet."))
            return
        path = Path(path).expanduser()
        if not replace and path.exists() and not path.is_symlink() and path.is_file():
            self._emit(ExportExists(fmt, path))
            return
        from tui.outputs import export_secrets

        try:
            written = on_show.export(
                target,
                fmt,
                path,
                secrets=export_secrets(self.settings),
                lines=lines or [],
                replies=replies or [],
            )
        except VoxroomError as err:
            self._emit(Problem(err, "Export"))
            return
        self._emit(Notice(f"Exported to {written}.", "Export"))

    def replay(self) -> None:
        room = self.room
        if room is None or room.busy or room.replaying:
            self._emit(Notice(BUSY.format("replay"), severity="warning"))
            return
        try:
            steps = on_show.replay_steps(self.shown or room.log)
        except VoxroomError as err:
            self._emit(Problem(err, "Replay"))
            return
        if not any(step.path is not None for step in steps):
            self._emit(Notice("This session has no audio to replay.", severity="warning"))
            return
        room.replay(steps, speed=self.replay_speed)

    # -- devices ---------------------------------------------------------------------------------
    def list_devices(self) -> None:
        """The sound devices to choose from (see :func:`tui.meeting.devices.list_devices`)."""
        devices.list_devices(self)

    def choose_devices(self, choice: DevicesChoice | None, *, reopen: bool = False) -> None:
        """Open the chosen devices (``None``: the configured ones again, when ``reopen``)."""
        devices.choose_devices(self, choice, reopen=reopen)

    def close(self) -> None:
        """Stop any recording (kept as an interrupted turn) and speech; the devices are closed."""
        if self.room is not None:
            self.room.close()
            on_show.discard_if_empty(self.room.log)  # a launch that recorded nothing leaves nothing

    def emit(self, event: RoomEvent) -> None:
        """Tell every listener (the meeting's parts report through here)."""
        self._emit(event)

    def _emit(self, event: RoomEvent) -> None:
        for listener in list(self.listeners):
            with contextlib.suppress(Exception):  # a broken listener must not stop the meeting
                listener(event)


def _default_room(settings: Settings) -> Room:
    """The real parts: backends from the settings, the sound devices, a new session."""
    from tui.room.wiring import build_room

    return build_room(settings)
