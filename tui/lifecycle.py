"""One turn lifecycle, used by the app's room, ``voxroom ask``, ``voxroom retry`` and start-up recovery.

A turn is on disk before any service hears it, and the same turn is completed in place:

1. ``begin``: the turn is saved as ``pending``, naming its recording (the recorder writes that file
   while it captures; ``ask`` writes it first). A crash from here on loses nothing.
2. ``recorded``: its length once the recording stopped.
3. ``complete``: the result replaces it, with the backends and models really used, the agent id, the
   timings and a status (``done``, ``no-agent``, ``no-speech``, ``blocked``, ``failed``,
   ``interrupted``). What was received is saved first; the spoken reply's audio is saved after it,
   so a full disk never costs the transcript or the reply text.

A turn is named by a :class:`tui.turnlog.TurnRef` (session id + turn index) from ``begin`` to
``complete``; nothing is worked out from a file name. A failed or interrupted turn gives a
:class:`tui.turnlog.RetryJob` that runs again into the same turn. This module is the session's
:class:`SessionLog`; the turn's names and the unsaved log are :mod:`tui.turnlog`, who speaks is
:mod:`tui.voices`, start-up recovery :mod:`tui.recovery` (their names are importable from here too).
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tui.errors import VoxroomError
from tui.model import RETRYABLE, Transcript, TurnKind, TurnStatus
from tui.recovery import RECOVERED_ERROR, recover_interrupted
from tui.turnlog import (
    Completed,
    RetryJob,
    ScratchLog,
    TurnLog,
    TurnRef,
    saved_clip,
    saved_transcript,
)
from tui.voices import Speakers, VoiceMatcher

if TYPE_CHECKING:
    from tui.audio.clip import Clip
    from tui.backends import Backends
    from tui.context import MeetingNotes
    from tui.diarize.windows import TurnVoices
    from tui.sessions.model import Session, TurnRecord
    from tui.sessions.store import SessionStore
    from tui.turn import TurnResult

__all__ = [
    "RECOVERED_ERROR",
    "Completed",
    "RetryJob",
    "ScratchLog",
    "SessionLog",
    "Speakers",
    "TurnLog",
    "TurnRef",
    "recover_interrupted",
    "saved_clip",
    "saved_transcript",
]


F = TypeVar("F", bound=Callable[..., Any])


def _locked(method: F) -> F:
    """One change to the open session at a time (the room's turn thread, a transcript being
    completed in the background, the app renaming a speaker)."""

    @functools.wraps(method)
    def run(self: SessionLog, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return run  # type: ignore[return-value]


class SessionLog:
    """A session of the store, written turn by turn. Implements :class:`TurnLog`."""

    saved = True

    def __init__(
        self,
        store: SessionStore,
        session: Session,
        backends: Backends | None = None,
        speakers: Speakers | None = None,
        *,
        copy: bool = True,
    ) -> None:
        """``copy=False`` keeps a read-only session (a sample) where it is, to read; otherwise it is
        continued as a copy in the store."""
        if session.read_only and copy:
            session = store.copy_in(session)
        self.store = store
        self.session = session
        self.backends = backends
        self.speakers = speakers
        """How voices are matched to people (``None``: labels are kept as the transcriber gave them)."""
        self._lock = threading.RLock()
        self._voices: tuple[Clip, TurnVoices] | None = None

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def new(cls, store: SessionStore, backends: Backends, speakers: Speakers | None = None) -> SessionLog:
        # Written on its first recording: a launch that records nothing leaves no session behind.
        session = store.create(backend=backends.label, models=dict(backends.models), persist=False)
        return cls(store, session, backends, speakers)

    @classmethod
    def open(
        cls,
        store: SessionStore,
        ref: str,
        backends: Backends | None = None,
        speakers: Speakers | None = None,
        *,
        copy: bool = True,
    ) -> SessionLog:
        """An existing session (id, prefix, folder, or ``sample:NAME``, copied in first unless ``copy``
        is false)."""
        return cls(store, store.open(ref), backends, speakers, copy=copy)

    # -- TurnLog ----------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.session.title or self.session.id

    @property
    def session_id(self) -> str:
        return self.session.id

    @property
    def conversation_id(self) -> str | None:
        return self.session.conversation_id

    @_locked
    def recording_path(self) -> Path:
        """Where the next turn records: a name no file, turn or other process uses (reserved)."""
        return self.store.reserve_recording(self.session)

    @_locked
    def keep_recording(self, clip: Clip) -> tuple[TurnRef, Clip]:
        """Store a recording made elsewhere (``voxroom ask``) as 16 kHz mono FLAC, and begin its turn."""
        import soundfile as sf

        from tui.audio.clip import TRANSCRIBE_RATE, Clip, write_flac
        from tui.fsutil import make_private

        path = self.recording_path()
        at16k = clip.at_rate(TRANSCRIBE_RATE)
        try:
            write_flac(path, at16k.samples)
            make_private(path)
        except (OSError, RuntimeError, sf.LibsndfileError) as err:
            from tui.sessions.store import SessionError

            path.unlink(missing_ok=True)
            reason = getattr(err, "strerror", None) or str(err)
            raise SessionError(
                f"The recording could not be saved in session {self.session.id} ({reason}).",
                hint="Free some disk space or choose another data folder (--data-dir).",
            ) from None
        ref = self.begin(path, at16k.duration)
        return ref, Clip(at16k.samples, TRANSCRIBE_RATE, path)

    @_locked
    def begin(self, recording: Path, duration: float = 0.0, kind: TurnKind = TurnKind.QUESTION) -> TurnRef:
        from tui.fsutil import make_private
        from tui.sessions.model import TurnRecord

        name = self._own_file(recording)
        if recording.exists():
            make_private(recording)
        turn = TurnRecord(recording=name, duration=max(0.0, duration), status=TurnStatus.PENDING, kind=kind)
        turn = self.store.add_turn(self.session, turn)
        return TurnRef(self.session.id, turn.index, turn.kind)

    @_locked
    def recorded(self, ref: TurnRef, duration: float) -> None:
        from tui.fsutil import make_private

        turn = self._turn(ref)
        if turn.recording:
            make_private(self.store.audio_path(self.session, turn.recording))
        turn.duration = max(0.0, float(duration))
        self.store.update_turn(self.session, turn)

    @_locked
    def complete(self, ref: TurnRef, result: TurnResult) -> Completed:
        from tui.fsutil import make_private
        from tui.sessions.model import TurnRecord

        turn = self._turn(ref)
        record = TurnRecord.from_result(result, turn.recording, turn.duration, turn.reply_audio)
        record.index, record.created, record.kind = turn.index, turn.created, turn.kind
        if self.backends is not None:
            record.models = served_models(self.backends, result)
            record.agent_id = self.backends.agent.agent_id
            self.session.backend = self.backends.label
            self.session.models = dict(record.models)
            if record.agent_id:
                self.session.agent_id = record.agent_id
        if result.reply is not None and result.reply.conversation_id:
            self.session.conversation_id = result.reply.conversation_id
        # Everything received first; then the spoken reply, which may fail alone.
        self.store.update_turn(self.session, record)
        if not result.speech.blocks:
            return Completed(record)
        target = self.store.reply_audio_path(self.session, record.index)
        try:
            result.speech.save(target)
            make_private(target)
        except (OSError, RuntimeError, ValueError) as err:
            reason = getattr(err, "strerror", None) or str(err)
            problem = VoxroomError(
                f"The spoken reply of turn {record.index} could not be saved ({reason}); "
                "its transcript and text are saved.",
                hint="Free some disk space; the reply can be heard again by retrying the turn.",
            )
            return Completed(record, problem)
        record.reply_audio = target.name
        self.store.update_turn(self.session, record)
        return Completed(record)

    @property
    def identify_speakers(self) -> VoiceMatcher:
        """Matches a turn's labels to the session's people (:meth:`match_speakers`); its ``prepare``
        (:meth:`prepare_speakers`) starts embedding the turn's voice while it is transcribed."""
        return VoiceMatcher(self.match_speakers, self.prepare_speakers)

    def prepare_speakers(self, clip: Clip) -> TurnVoices | None:
        """Embed ``clip``'s voice in the background (the encoder over its 1.6 s windows), for the
        match of its transcript. Not for an offline transcriber: its diarizer gives the voiceprints."""
        from tui.audio.clip import TRANSCRIBE_RATE
        from tui.diarize.windows import TurnVoices

        if self.speakers is None or self.backends is None or self.backends.transcriber.name == "offline":
            return None
        try:
            voices = TurnVoices(clip.at_rate(TRANSCRIBE_RATE).samples)
        except Exception as err:  # the match embeds the segments itself
            logging.getLogger("voxroom").warning("the turn's voice was not embedded early: %s", err)
            return None
        with self._lock:
            self._voices = (clip, voices.start())
        return voices

    @_locked
    def match_speakers(self, clip: Clip, transcript: Transcript) -> tuple[Transcript, dict[str, str]]:
        """Match the turn's speaker labels to the session's people by voice (new voices become new
        people, each with a reference clip); returns the relabelled transcript and the names known.

        With consented voice profiles (``diarization.voice_profiles``), a new person whose voice is
        confidently a profile's is named after it."""
        from tui.audio.clip import TRANSCRIBE_RATE
        from tui.diarize.identity import identify

        if self.speakers is None or not transcript.segments:
            return transcript, dict(self.session.speaker_names)
        samples = clip.at_rate(TRANSCRIBE_RATE).samples
        # A label the service gave as a reference's name (speaker_references) is that person already.
        by_name = {name: label for label, name in self.session.speaker_names.items()}
        fixed = {s.speaker: by_name[s.speaker] for s in transcript.segments if s.speaker in by_name}
        early, self._voices = self._voices, None
        found = identify(
            self.session.people,
            samples,
            transcript,
            threshold=self.speakers.threshold,
            fixed=fixed,
            voices=early[1] if early is not None and early[0] is clip else None,
        )
        self.session.people = found.people
        for label in found.new:
            self._keep_reference(label, samples, found.transcript)
            self.speakers.recognise(self.session, label)
        people, names = self.session.people, dict(self.session.speaker_names)

        def keep(latest: Session) -> None:  # applied to the latest saved copy, under its lock
            latest.people = people
            for label, name in names.items():
                latest.speaker_names.setdefault(label, name)

        self.store.update(self.session, keep)
        return found.transcript, dict(self.session.speaker_names)

    def names(self) -> dict[str, str]:
        return dict(self.session.speaker_names)

    @_locked
    def notes_before(self, ref: TurnRef) -> MeetingNotes | None:
        """The notes since the last question the agent was sent, before turn ``ref``."""
        from tui.context import notes_before

        if ref.session_id != self.session.id:
            return None
        notes = notes_before(self.session, ref.index)
        return notes if notes.lines else None

    @_locked
    def references(self) -> dict[str, Path]:
        """Reference clips of the session's named people, by name, for a service that can name
        them itself (Mistral's ``speaker_references``). Unnamed people are matched by voice only."""
        if self.speakers is None or self.session.folder is None:
            return {}
        out: dict[str, Path] = {}
        for person in self.session.people:
            name = self.session.speaker_names.get(person.label)
            if name and person.reference and (self.session.folder / person.reference).is_file():
                out[name] = self.session.folder / person.reference
        return out

    def suggestions(self) -> dict[str, str]:
        """Person label -> a remembered name that sounds close (never applied without the user)."""
        if self.speakers is None:
            return {}
        return {k: v for k, v in self.speakers.suggestions.items() if k not in self.session.speaker_names}

    def _keep_reference(self, label: str, samples: Any, transcript: Transcript) -> None:
        """A few seconds of a new person's clearest speech, to play back or to send as a reference."""
        from tui.audio.clip import TRANSCRIBE_RATE, write_flac
        from tui.diarize.identity import reference_span
        from tui.fsutil import make_private

        span = reference_span(transcript.segments, label)
        person = next((p for p in self.session.people if p.label == label), None)
        if span is None or person is None:
            return
        a, b = (int(x * TRANSCRIBE_RATE) for x in span)
        name = f"person-{label}.flac"
        try:
            path = self.store.audio_path(self.session, name)
            write_flac(path, samples[a:b])
            make_private(path)
        except (OSError, RuntimeError, VoxroomError):
            return  # the person is kept without a clip
        person.reference = name

    @_locked
    def revise_transcript(self, ref: TurnRef, transcript: Transcript) -> None:
        """Replace the saved transcript of a finished turn (a provisional one, completed later)."""
        from tui.sessions.model import TurnRecord
        from tui.turn import TurnResult

        turn = self._turn(ref)
        revised = TurnRecord.from_result(TurnResult(transcript=transcript), turn.recording, turn.duration)
        turn.segments, turn.transcript_text, turn.language = (
            revised.segments,
            revised.transcript_text,
            revised.language,
        )
        self.store.update_turn(self.session, turn)

    @_locked
    def retry_job(self, index: int | None = None) -> RetryJob | None:
        """The turn ``index`` (default: the last failed, interrupted or pending one) ready to run again.

        ``None`` when there is none; a SessionError when ``index`` names no turn or has no recording.
        """
        from tui.sessions.store import SessionError

        session = self.session
        if index is None:
            turn = next((t for t in reversed(session.turns) if t.status in RETRYABLE), None)
            if turn is None:
                return None
        else:
            turn = next((t for t in session.turns if t.index == index), None)
            if turn is None:
                count = len(session.turns)
                raise SessionError(
                    f"Session {session.id} has no turn {index}.",
                    hint=f"It has {count} turn{'s' if count != 1 else ''}: choose one of 1 to {count}."
                    if count
                    else "It has no turns yet.",
                )
        if not turn.recording:
            raise SessionError(f"Turn {turn.index} of session {session.id} has no recording to run again.")
        path = self.store.audio_path(session, turn.recording)
        if not path.is_file():
            raise SessionError(
                f"The recording of turn {turn.index} ({turn.recording}) is missing from session {session.id}."
            )
        ref = TurnRef(session.id, turn.index, turn.kind)
        return RetryJob(ref, saved_clip(path), saved_transcript(turn))

    # -- helpers ----------------------------------------------------------------------------------
    def _next_index(self) -> int:
        return (self.session.turns[-1].index if self.session.turns else 0) + 1

    def _turn(self, ref: TurnRef) -> TurnRecord:
        from tui.sessions.store import SessionError

        if ref.session_id != self.session.id:
            raise SessionError(
                f"Turn {ref.index} belongs to session {ref.session_id}, not {self.session.id}."
            )
        for turn in self.session.turns:
            if turn.index == ref.index:
                return turn
        raise SessionError(f"Session {self.session.id} has no turn {ref.index}.")

    def _own_file(self, recording: Path) -> str:
        """The recording's name in the session folder (it must already be there)."""
        from tui.sessions.store import SessionError

        folder = self.store.folder(self.session)
        if recording.parent.resolve() != folder.resolve():
            raise SessionError(f"The recording {recording.name} is not inside session {self.session.id}.")
        self.store.audio_path(self.session, recording.name)  # refuses unsafe names
        return recording.name


def served_models(backends: Backends, result: TurnResult) -> dict[str, str]:
    """The model behind each step of a turn: the configured ones, except that a Mistral transcript
    names the model that served it (the realtime model for a turn transcribed live)."""
    models = dict(backends.models)
    served = result.transcript.model if result.transcript is not None else ""
    if served and getattr(backends.transcriber, "name", "") == "mistral":
        models["transcription"] = served
    return models
