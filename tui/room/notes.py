"""Notes of the meeting: asked for with their own command, the room is recorded as notes turns (a
turn whose kind is ``notes``: recorded, transcribed live, diarized into the session's people, never
sent to the agent) until the same command, or the end of the session, stops them.

A question (the record key) during notes cuts the notes recording into a notes turn at the press and
records the question as its own turn, answered as usual; notes resume once no question is recorded,
queued or being answered, so Voxroom's own voice never enters them. A long notes recording is cut into
a new notes turn every ``notes_chunk_s`` seconds, so each part is saved, transcribed and matched to
the people while the meeting goes on. A part of :class:`tui.room.controller.Room`, which holds the
state these methods use. No Textual here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.events import NotesChanged, RoomEvent, TranscriptReady, TranscriptRevised
from tui.model import TurnKind

if TYPE_CHECKING:
    from tui.model import Transcript

NOTES_CHUNK_S = 300.0
"""How long one notes turn records before the next one takes over."""


class Notes:
    """The notes command on the room's thread."""

    @property
    def notes_on(self) -> bool:
        """Notes were asked for and not stopped."""
        return self._notes

    @property
    def recording_notes(self) -> bool:
        ref = self._recording
        return ref is not None and ref.kind == TurnKind.NOTES

    @property
    def notes_people(self) -> tuple[str, ...]:
        """The labels of the people heard in these notes, in the order they were first heard."""
        return tuple(self._notes_people)

    def notes_elapsed(self) -> float:
        """Seconds since notes were asked for (0 when they are off), pauses for questions included."""
        since = self._notes_since
        return 0.0 if since is None or not self._notes else max(0.0, self.clock() - since)

    def toggle_notes(self) -> bool:
        """Start taking notes, or stop them (the notes recording becomes a notes turn). Returns
        whether notes are on afterwards."""
        self._on_room_thread(self._toggle_notes, wait=True)
        return self._notes

    def end_notes(self) -> None:
        """Stop taking notes, if they are on (the session ends)."""
        self._on_room_thread(self._end_notes, wait=True)

    def _toggle_notes(self) -> None:
        if self._notes:
            self._end_notes()
            return
        if self.replaying:
            self.stop_replay()
        with self._lock:
            if self._closed:
                return
            self._notes = True
            self._notes_since = self.clock()
            self._notes_people.clear()
            self._notes_turns.clear()
            if not self._notes_may_record():  # a question is on its way: notes start after it
                self._emit(NotesChanged(True, paused=True))
                return
            self._resume_notes()

    def _end_notes(self) -> None:
        with self._lock:
            if not self._notes:
                return
            self._notes = False
            self._notes_since = None
            if self.recording_notes:
                self._stop_recording()
            self._emit(NotesChanged(False, people=self.notes_people))
            self._update_state()

    def _notes_may_record(self) -> bool:
        """Nothing of Voxroom's can be heard now and no question is on its way."""
        return self._recording is None and self._questions == 0 and not self.replaying

    def _resume_notes(self) -> None:
        """Record notes again, if they are on and the room is free of questions (room's thread)."""
        with self._lock:
            if not self._notes or self._closed or not self._notes_may_record():
                return
            self._start_recording(TurnKind.NOTES)
            if self._recording is None:  # it could not start (no microphone): said already
                self._notes = False
                self._notes_since = None
                self._emit(NotesChanged(False, people=self.notes_people))
                return
            self._notes_turns.add((self.log.session_id, self._recording.index))
            self._emit(NotesChanged(True, people=self.notes_people))

    def _pause_notes(self) -> None:
        """A question is about to be recorded or answered: the notes so far become a notes turn."""
        if self.recording_notes:
            self._stop_recording()
            self._emit(NotesChanged(True, paused=True, people=self.notes_people))

    def _question_done(self) -> None:
        """A question turn ended (turn thread): notes resume on the room's thread if they can."""
        with self._lock:
            self._questions = max(0, self._questions - 1)
            resume = self._notes and self._questions == 0
        if resume:
            self._on_room_thread(self._resume_notes, wait=False)

    def _cut_notes(self) -> None:
        """A notes recording at its length: it becomes a notes turn and the next one starts."""
        with self._lock:
            if self.recording_notes:
                self._stop_recording()
                self._resume_notes()

    def _hear_notes(self, event: RoomEvent) -> None:
        """A notes turn's diarized transcript names who was heard (a live one without speakers
        does not: its revision does)."""
        if not isinstance(event, (TranscriptReady, TranscriptRevised)):
            return
        transcript: Transcript = event.transcript
        if transcript.provisional or (self.log.session_id, event.turn) not in self._notes_turns:
            return
        new = [s.speaker for s in transcript.segments if s.speaker and s.speaker not in self._notes_people]
        if not new:
            return
        for label in new:
            if label not in self._notes_people:
                self._notes_people.append(label)
        on = self._notes
        self._emit(NotesChanged(on, paused=on and not self.recording_notes, people=self.notes_people))
