"""Running a saved turn again: the recording is on disk, so nobody has to repeat themselves."""

from __future__ import annotations

from tui.audio.clip import load_clip
from tui.audio.sinks import AudioSink
from tui.errors import VoxroomError
from tui.model import Transcript
from tui.sessions.model import Session, TurnRecord
from tui.sessions.store import SessionError, SessionStore
from tui.turn import TurnObserver, TurnRunner

# Steps after which the saved transcript is still good and is reused instead of sent again.
_AFTER_TRANSCRIPTION = {"agent", "speech"}


def last_failed_turn(session: Session) -> TurnRecord:
    for turn in reversed(session.turns):
        if turn.status == "failed":
            return turn
    raise SessionError(f"Session {session.id} has no failed turn to retry.")


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
    clip = load_clip(store.audio_path(session, turn.recording))
    transcript = None
    if turn.failed_step in _AFTER_TRANSCRIPTION and turn.segments:
        transcript = Transcript(
            segments=list(turn.segments), text=turn.transcript_text, language=turn.language
        )
    result = runner.run(
        clip,
        conversation_id=session.conversation_id,
        transcript=transcript,
        sink=sink,
        observer=observer,
    )
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
