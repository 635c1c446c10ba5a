"""Saved turns: a turn is on disk (as ``pending``) before anything is sent, is completed in place
when its result is in, and can be run again from its recording, so nobody repeats themselves."""

from __future__ import annotations

from pathlib import Path

from tui.audio.clip import Clip, load_clip
from tui.audio.sinks import AudioSink
from tui.errors import VoxroomError
from tui.model import Transcript
from tui.sessions.model import Session, TurnRecord
from tui.sessions.store import SessionError, SessionStore
from tui.turn import TurnObserver, TurnResult, TurnRunner

# Steps after which the saved transcript is still good and is reused instead of sent again.
_AFTER_TRANSCRIPTION = {"agent", "speech"}


RETRYABLE = ("failed", "pending", "interrupted")
"""``pending`` on disk means Voxroom stopped (crash, kill) while the turn was running."""


def last_failed_turn(session: Session) -> TurnRecord:
    for turn in reversed(session.turns):
        if turn.status in RETRYABLE:
            return turn
    raise SessionError(f"Session {session.id} has no failed turn to retry.")


def saved_clip(path: Path) -> Clip:
    """A saved recording as a lazy clip (a 3-hour file is not decoded unless a backend needs it)."""
    import soundfile as sf

    try:
        return Clip(None, int(sf.info(str(path)).samplerate), path)
    except (RuntimeError, sf.LibsndfileError):
        return load_clip(path)  # formats only PyAV reads; also gives the clear error for bad files


def saved_transcript(turn: TurnRecord) -> Transcript | None:
    """The transcript to reuse when retrying ``turn``: kept if only a later step failed."""
    if turn.status == "failed" and turn.failed_step in _AFTER_TRANSCRIPTION and turn.segments:
        return Transcript(segments=list(turn.segments), text=turn.transcript_text, language=turn.language)
    return None


def begin_turn(store: SessionStore, session: Session, recording: str, duration: float) -> TurnRecord:
    """Record the turn as ``pending`` (saved) before any service is called."""
    return store.add_turn(session, TurnRecord(recording=recording, duration=duration, status="pending"))


def complete_turn(store: SessionStore, session: Session, turn: TurnRecord, result: TurnResult) -> TurnRecord:
    """Replace ``turn`` with its result (reply audio saved beside it) and save the session."""
    reply_audio = turn.reply_audio
    if result.speech.blocks:
        target = store.reply_audio_path(session, turn.index)
        try:
            result.speech.save(target)
            target.chmod(0o600)
            reply_audio = target.name
        except (OSError, RuntimeError, ValueError) as err:
            raise VoxroomError(f"Could not save the spoken reply: {err}.") from None
    record = TurnRecord.from_result(result, turn.recording, turn.duration, reply_audio)
    record.index, record.created = turn.index, turn.created
    if result.reply is not None and result.reply.conversation_id:
        session.conversation_id = result.reply.conversation_id
    return store.update_turn(session, record)


def retry_turn(
    store: SessionStore,
    session: Session,
    turn: TurnRecord,
    runner: TurnRunner,
    *,
    sink: AudioSink | None = None,
    observer: TurnObserver | None = None,
) -> TurnRecord:
    """Run ``turn`` again from its recording; the record is replaced in place and saved."""
    if not turn.recording:
        raise SessionError(f"Turn {turn.index} of session {session.id} has no recording to retry.")
    clip = saved_clip(store.audio_path(session, turn.recording))
    transcript = saved_transcript(turn)
    result = runner.run(
        clip,
        conversation_id=session.conversation_id,
        transcript=transcript,
        sink=sink,
        observer=observer,
    )
    return complete_turn(store, session, turn, result)


RECOVERED_ERROR = "Recovered after Voxroom stopped before this turn finished."


def recover_interrupted(
    store: SessionStore, *, recent: int = 20
) -> tuple[list[tuple[Session, TurnRecord]], list[str]]:
    """At start-up: nothing recorded before a crash or a kill -9 is lost.

    Recordings cut mid-write (``*.partial``) are repaired, and every recording that no turn names
    (repaired ones, and ones whose turn was still running) becomes an ``interrupted`` turn of its
    session, ready for ``voxroom retry``. Only the ``recent`` most recently changed sessions are
    searched for such recordings, so start-up stays fast with thousands of sessions.
    Returns the turns added and one line per file that could not be repaired.
    """
    from tui.audio.recovery import recover_all

    repaired, failed = recover_all(store.root) if store.root.is_dir() else ([], [])
    problems = [f"{path.name} could not be recovered: {err}" for path, err in failed]
    folders = {r.path.parent for r in repaired}
    folders.update(_recent_folders(store, recent))
    added: list[tuple[Session, TurnRecord]] = []
    for folder in sorted(folders):
        try:
            session = store.open(folder)
        except VoxroomError as err:
            problems.append(str(err))
            continue
        for path in store.orphan_recordings(session):
            if path.suffix == ".partial":
                continue
            duration = Clip(None, 16000, path).duration
            turn = TurnRecord(
                recording=path.name, duration=duration, status="interrupted", error=RECOVERED_ERROR
            )
            added.append((session, store.add_turn(session, turn)))
    return added, problems


def _recent_folders(store: SessionStore, count: int) -> list[Path]:
    summaries = store.list().sessions[:count]
    return [store.root / s.id for s in summaries]
