"""The people of the session on show: naming a speaker (asking once before voices are remembered),
listing them, playing a sample of a person's voice or of a speech voice, choosing the assistant's
voice. A part of :class:`tui.meeting.meeting.Meeting`, which holds the room and the session on show.
No Textual here: each method may block (disk, the player), so the app calls them from its workers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tui.errors import VoxroomError
from tui.meeting import shown as on_show
from tui.meeting.events import ConsentAsked, Notice, PeopleListed, Problem
from tui.meeting.values import BUSY

if TYPE_CHECKING:
    from tui.room.controller import Room
    from tui.turnlog import TurnLog


class People:
    """The people use cases of the meeting."""

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
