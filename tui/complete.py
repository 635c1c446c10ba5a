"""The steps that run and save one turn, shared by the room and ``voxroom ask`` / ``voxroom retry``.

The turn is already saved as ``pending`` (:meth:`tui.turnlog.TurnLog.begin`); :func:`complete_turn`
runs it with the turn runner, saves the result into the same turn and reports everything as
:mod:`tui.events`: the runner's progress, a retryable :class:`RoomFailed` when it failed, the session's
new name and people, and :class:`TurnFinished` last.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tui.errors import VoxroomError
from tui.events import (
    Emit,
    PeopleChanged,
    RoomFailed,
    SessionChanged,
    TurnFinished,
    TurnStarted,
    ignore,
)
from tui.model import TurnKind, TurnStatus

if TYPE_CHECKING:
    from tui.audio.clip import Clip
    from tui.audio.sinks import AudioSink
    from tui.model import Transcript
    from tui.speculate import Speculator
    from tui.turn import TurnResult, TurnRunner
    from tui.turnlog import Completed, TurnLog, TurnRef

LiveStep = Callable[[], "tuple[Transcript | None, float | None]"]
"""Finishes a live transcription: its transcript (None: transcribe the recording) and its tail (ms:
from the end of the recording to that transcript), which becomes the turn's transcription time."""


def complete_turn(
    runner: TurnRunner,
    log: TurnLog,
    ref: TurnRef,
    clip: Clip,
    *,
    emit: Emit = ignore,
    sink: AudioSink | None = None,
    ended_at: float | None = None,
    saved: Transcript | None = None,
    live: LiveStep | None = None,
    retry: bool = False,
    hint: str = "",
    on_failed: Callable[[TurnResult], None] | None = None,
    early: Speculator | None = None,
) -> tuple[TurnResult, Completed]:
    """Run turn ``ref`` from ``clip`` and complete it in ``log``; never raises for a failed step.

    ``saved`` is a transcript kept from an earlier run (reused as it is: its speakers are already the
    session's people); otherwise ``live`` may give the live transcript, and a fresh one is matched
    with the session's people. A failed turn is reported as a retryable :class:`RoomFailed` with
    ``hint`` (how to retry here), after ``on_failed(result)``.

    The agent is asked with the meeting's notes since the last question (:meth:`TurnLog.notes_before`).
    ``early`` holds the turn's early answers (:mod:`tui.speculate`), used when one was asked on
    the words of the turn's transcript and discarded otherwise.
    A notes turn (``ref.kind``) is transcribed and its speakers matched, and never sent to the agent.

    ``ended_at`` is when the recording stopped; a ``retry`` counts its times from its own start
    instead (a failed run and the wait before the retry are no stage of it).
    """
    from tui.turn import TurnResult

    emit(TurnStarted(ref.index, retry))
    if retry:
        ended_at = None  # the runner's clock starts now
    name = log.name
    try:
        transcript, live_ms = (saved, None) if saved is not None or live is None else live()
        result = runner.run(
            clip,
            conversation_id=log.conversation_id,
            sink=sink,
            emit=emit,
            turn=ref.index,
            ended_at=ended_at,
            transcript=transcript,
            speakers=None if saved is not None else log.identify_speakers,
            references=log.references(),
            early=early,
            notes=log.notes_before(ref) if ref.kind == TurnKind.QUESTION else None,
            names=log.names(),
            answer=ref.kind == TurnKind.QUESTION,
        )
        if live_ms is not None:
            result.timings.transcription_ms = live_ms
    except Exception as err:  # a backend bug: keep the turn for a retry
        if early is not None:
            early.close()
        result = TurnResult(status=TurnStatus.FAILED, failed_step="voxroom", error=f"The turn failed: {err}.")
    if result.status == TurnStatus.FAILED:
        if on_failed is not None:
            on_failed(result)
        error = VoxroomError(result.error or "The turn failed.", hint=hint, step=result.failed_step)
        emit(RoomFailed(error, ref.index, retryable=True))
    completed = save_turn(log, ref, result, emit)
    if completed.saved and log.name != name:  # the session is now named after its first words
        emit(SessionChanged(log.name, log.saved))
    emit(PeopleChanged(log.names(), log.suggestions()))
    refused = tuple(result.sentences[i] for i in result.refused if 0 <= i < len(result.sentences))
    emit(
        TurnFinished(
            ref.index,
            result.status,
            result.timings,
            result.error,
            refused,
            early_calls=result.early_calls,
            early_used=result.early_used,
            kind=ref.kind,
        )
    )
    return result, completed


def save_turn(log: TurnLog, ref: TurnRef, result: TurnResult, emit: Emit) -> Completed:
    """Complete ``ref`` with ``result``. What could not be saved (the turn, or only the spoken reply's
    audio) is said as a :class:`RoomFailed` and kept in :attr:`Completed.problem`."""
    from tui.turnlog import Completed

    try:
        completed = log.complete(ref, result)
    except (VoxroomError, OSError) as err:
        error = (
            err
            if isinstance(err, VoxroomError)
            else VoxroomError(f"Turn {ref.index} could not be saved: {err.strerror}.")
        )
        emit(RoomFailed(error, ref.index))
        return Completed(None, error, saved=False)
    if completed.problem is not None:
        emit(RoomFailed(completed.problem, ref.index))
    return completed
