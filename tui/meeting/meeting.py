"""The meeting: the room and the session on show, and every use case the app offers on them (record,
retry, stop, new, open, continue, its title, rename and the consent question, people and samples, export,
replay, devices; the minutes in :mod:`tui.meeting.minutes`). No Textual here: each method may block
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
from tui.meeting.events import (
    ConsentAsked,
    ExportExists,
    MeetingReady,
    Notice,
    PeopleListed,
    Problem,
    SessionShown,
    SessionsListed,
)
from tui.meeting.minutes import MeetingMinutes
from tui.meeting.values import DevicesChoice, Heading, OpenMode, Shown
from tui.room.controller import Listener, Room
from tui.room.events import NOTES, RECORDING, SPEAKING, RoomEvent, SessionChanged
from tui.turnlog import TurnLog

if TYPE_CHECKING:
    from tui.config import Settings

RoomFactory = Callable[["Settings"], Room]
BUSY = "Wait for the current turn to finish, then {}."
NOTES_FINISH_S = 60.0
"""How long a session change waits for the last part of the notes to be transcribed."""
log = logging.getLogger("voxroom")


class Meeting:
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

    # -- sessions --------------------------------------------------------------------------------
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

    # -- people ----------------------------------------------------------------------------------
    def rename(self, label: str, name: str) -> None:
        """Name a speaker of the session on show; the first time, with voice profiles on, ask
        before their voice is remembered (:class:`ConsentAsked`, answered by :meth:`decide_consent`)."""
        target = self.shown
        if on_show.is_sample(target):
            self._emit(Notice("Samples are not changed: the name shows until you leave it."))
            return
        if target is None:
            return
        speakers = on_show.speakers_of(target)
        if speakers is not None and speakers.profiles is not None and speakers.consent is None:
            self._emit(ConsentAsked(label, name))
            return
        self._save_name(target, label, name)

    def decide_consent(self, remember: bool, label: str, name: str) -> None:
        """The answer to :class:`ConsentAsked`, then the name it was asked for is saved."""
        target = self.shown
        speakers = on_show.speakers_of(target)
        if speakers is not None:
            speakers.set_consent(remember)
        if target is not None:
            self._save_name(target, label, name)

    def _save_name(self, target: TurnLog, label: str, name: str) -> None:
        try:
            on_show.rename_speaker(target, label, name)
        except VoxroomError as err:
            self._emit(Problem(err, "Rename speaker"))

    def list_people(self, names: dict[str, str]) -> None:
        found = on_show.people(self.shown, names)
        if not found:
            self._emit(Notice("Nobody has spoken yet in this session."))
            return
        self._emit(PeopleListed(found))

    def play_sample(self, label: str) -> None:
        """A few seconds of ``label``'s voice, played by the room like a replay (esc or the record
        key stops it)."""
        path = self.sample_path(label)
        room = self.room
        if path is None:
            self._emit(Notice("There is no sample of that voice yet."))
        elif room is None or room.player is None:
            self._emit(Notice("No speaker is available to play the sample on.", severity="warning"))
        elif not self._play_sample(room, path):
            self._emit(Notice(BUSY.format("play the sample"), severity="warning"))

    def play_voice_sample(self, path: Path) -> bool:
        """A speech voice's sample (the Voices screen), played by the room like a person's sample: through
        the reply's player, only while the room is idle (so never into a recording). False (and a
        notice saying why) when it cannot play now."""
        room = self.room
        if room is None or room.player is None:
            self._emit(Notice("No speaker is available to play the sample on.", severity="warning"))
        elif not self._play_sample(room, path):
            self._emit(Notice(BUSY.format("play the sample"), severity="warning"))
        else:
            return True
        return False

    def choose_voice(self, voice_id: str) -> None:
        """Speak with ``voice_id`` from the next sentence on, and remember it for the next launches."""
        from tui.themes import remember_voice

        self.settings.speech.voice = voice_id
        remember_voice(self.settings.data_dir, voice_id)

    def sample_path(self, label: str) -> Path | None:
        return on_show.sample_of(self.shown, label)

    @staticmethod
    def _play_sample(room: Room, path: Path) -> bool:
        from tui.sessions.replay import ReplayStep

        return room.replay([ReplayStep(0, "sample", path)])

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
