"""The room's turn queue: recorded turns wait in a queue and run one after another on the room's turn
thread (``voxroom-turns``), each run and saved by :func:`tui.complete.complete_turn`. A part of
:class:`tui.room.controller.Room`, which holds the state these methods use. No Textual here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui.errors import VoxroomError
from tui.events import RoomEvent, RoomFailed, StageChanged
from tui.model import TurnKind, TurnStage
from tui.room.live import complete_transcript, stop_live
from tui.room.live import finish_live as finish_live_transcription
from tui.turnlog import TurnLog, TurnRef

if TYPE_CHECKING:
    from tui.audio.clip import Clip
    from tui.model import Transcript
    from tui.speculate import Speculator
    from tui.stt.base import LiveTranscription
    from tui.turn import TurnResult


@dataclass
class PendingTurn:
    """A recorded turn waiting to run (or to run again)."""

    ref: TurnRef
    clip: Clip
    ended_at: float
    transcript: Transcript | None = None
    retry: bool = False
    live: LiveTranscription | None = None
    early: Speculator | None = None
    """The recording's early answers (:mod:`tui.speculate`), if it had any."""
    log: TurnLog | None = None
    """The session the turn was recorded into (``None``: the room's own at the time it runs)."""

    @property
    def turn(self) -> int:
        return self.ref.index


STOP = object()
"""Put on the turn queue to end the turn thread."""


class TurnQueue:
    """Queues recorded turns and runs them on the turn thread (:meth:`_work`)."""

    def _enqueue(self, pending: PendingTurn) -> None:
        with self._lock:
            self._pending += 1
            if pending.ref.kind == TurnKind.QUESTION:
                self._questions += 1  # notes wait until it is answered
            self._queue.put(pending)
            self._update_state()

    def _work(self) -> None:
        free_since = 0.0  # when the turn thread finished its last turn (perf_counter)
        while True:
            item = self._queue.get()
            if not isinstance(item, PendingTurn):
                return
            with self._lock:
                self._pending -= 1
                self._active = item.turn
                self._stage = None
                self._update_state()
            try:
                self._run(item, free_since)
            except Exception as err:  # never let the turn thread die: say so, keep the turn
                self._emit(
                    RoomFailed(VoxroomError(f"Turn {item.turn} stopped unexpectedly: {err}."), item.turn)
                )
            finally:
                if item.early is not None:
                    item.early.close()
                free_since = time.perf_counter()
                with self._lock:
                    self._active = None
                    self._stage = None
                    self._update_state()
                if item.ref.kind == TurnKind.QUESTION:
                    self._question_done()

    def _run(self, pending: PendingTurn, free_since: float) -> None:
        """Run one turn. Its transcription's tail counts from the end of the recording, or from when
        the turn before it ended (a turn that waited in the queue did not wait for its transcript)."""
        from tui.complete import complete_turn

        log = pending.log or self.log
        early: Transcript | None = None
        still_live: LiveTranscription | None = None

        def finish_live() -> tuple[Transcript | None, float | None]:
            nonlocal early, still_live
            live, pending.live = pending.live, None
            early, took, still_live = finish_live_transcription(
                live,
                pending.clip,
                self.runner.min_seconds,
                pending.turn,
                self._forward,
                max(pending.ended_at, free_since),
                wait_final=pending.ref.kind == TurnKind.NOTES,
            )
            return early, took

        def failed(result: TurnResult) -> None:
            with self._lock:
                self._last_failed = PendingTurn(
                    pending.ref, pending.clip, pending.ended_at, transcript=result.transcript, log=log
                )

        result, _ = complete_turn(
            self.runner,
            log,
            pending.ref,
            pending.clip,
            emit=self._forward,
            sink=self.player,
            ended_at=pending.ended_at,
            saved=pending.transcript,
            live=finish_live if pending.transcript is None else None,
            retry=pending.retry,
            hint="Retry it with ctrl+r (the recording is kept).",
            on_failed=failed,
            early=pending.early,
        )
        if pending.early is not None:
            pending.early.close()
            pending.early = None
        stop_live(pending.live)  # a retry with its saved transcript never needed it
        pending.live = None
        if early is not None and early.provisional and result.transcript is early:
            complete_transcript(self.runner, log, pending.ref, pending.clip, early, still_live, self._emit)
        else:
            stop_live(still_live)

    def _on_stage(self, turn: int, stage: TurnStage) -> None:
        self._forward(StageChanged(turn, stage))

    def _forward(self, event: RoomEvent) -> None:
        """An event of the running turn: a stage also changes the room's state."""
        if isinstance(event, StageChanged):
            with self._lock:
                if self._active == event.turn:
                    self._stage = event.stage
                self._update_state()
        self._emit(event)
