"""The room: the controller between the trigger, the recorder, the turn runner, the player and the
session. No Textual here: the UI subscribes to :mod:`tui.room.events` through a plain callback.

One toggle (Right Shift, the fallback key, or the global hotkey) drives everything. Every press is
handed to the room's own thread (``voxroom-room``), whichever thread it came from (the UI's, pynput's
listener): the disk writes and the audio device start there, never on a key source's thread.

* idle -> start recording (the turn is saved as ``pending`` at once, naming its recording);
* recording -> stop, and queue the turn (turns run one after another on the room's own thread, so
  nothing is ever dropped);
* a turn is transcribing or thinking -> start a new recording at once (its turn is queued);
* Voxroom is speaking -> barge-in: the runner and the player stop, and a new recording starts.

Every turn is run and saved by :func:`tui.complete.complete_turn` (the same as ``voxroom ask``). A
failed turn keeps its recording and, if transcription succeeded, its transcript, so
:meth:`Room.retry_last` runs it again into the same saved turn without asking the room to repeat
itself.

:class:`Room` is put together from its parts: :mod:`tui.room.recording` (starting and stopping the
recording), :mod:`tui.room.turns` (the turn queue and its thread) and :mod:`tui.room.replay` (playing
a session back); the toggle, the room's thread, the state and the events are here.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from tui.errors import VoxroomError
from tui.events import (
    IDLE,
    NOTES,
    PROCESSING,
    RECORDING,
    SPEAKING,
    RoomEvent,
    RoomFailed,
    SessionChanged,
    StateChanged,
)
from tui.model import RoomState, TurnKind, TurnStage
from tui.room.notes import NOTES_CHUNK_S, Notes
from tui.room.ports import SILENT, LevelLike, LiveFactory, Player, Recorder
from tui.room.recording import CLOSED_WHILE_RECORDING, Recording
from tui.room.replay import Replaying
from tui.room.turns import STOP, PendingTurn, TurnQueue
from tui.turnlog import ScratchLog, TurnLog, TurnRef

if TYPE_CHECKING:
    from tui.backends import Backends
    from tui.speculate import Speculator
    from tui.stt.base import LiveTranscription
    from tui.turn import TurnRunner

Listener = Callable[[RoomEvent], None]


class Room(Recording, TurnQueue, Replaying, Notes):
    """Owns the toggle logic and runs turns, one at a time, on its own thread.

    ``log`` receives every turn (:class:`tui.lifecycle.SessionLog`; a scratch log when none is given);
    ``player`` is where replies are spoken (``None``: keep the audio, play nothing); ``live`` makes a
    transcription that runs while the room speaks (``None``: transcribe after the recording).
    """

    def __init__(
        self,
        *,
        recorder: Recorder | None,
        runner: TurnRunner,
        player: Player | None = None,
        log: TurnLog | None = None,
        listener: Listener | None = None,
        live: LiveFactory | None = None,
        backends: Backends | None = None,
        clock: Callable[[], float] = time.perf_counter,
        debounce_s: float = 0.25,
        max_recording_s: float | None = None,
        auto_stop_silence_s: float | None = None,
        notes_chunk_s: float = NOTES_CHUNK_S,
    ) -> None:
        from tui.trigger import Trigger

        self.recorder = recorder
        self.runner = runner
        self.player = player
        self.log: TurnLog = log or ScratchLog()
        self.listeners: list[Listener] = [listener] if listener else []
        self.live = live
        self.backends = backends
        """The backends behind ``runner`` (for ``warm_up``), if known."""
        self.clock = clock
        self.max_recording_s = max_recording_s
        self.auto_stop_silence_s = auto_stop_silence_s
        self.notes_chunk_s = notes_chunk_s
        """How long one notes turn records before the next takes over (see :mod:`tui.room.notes`)."""
        self._notes = False
        self._notes_since: float | None = None
        self._notes_people: list[str] = []
        self._notes_turns: set[tuple[str, int]] = set()
        """The (session, turn) of each notes turn of these notes."""
        self._questions = 0
        """Question turns queued or running: notes wait for them (half-duplex)."""
        self.trigger = Trigger(self._pressed, debounce_s=debounce_s)
        """Every key source goes through here (debounced), then to the room's thread."""
        self.problems: list[VoxroomError] = []
        """Problems met while building the room (shown once by the app)."""
        self._lock = threading.RLock()
        self._idle = threading.Condition(self._lock)
        self._queue: queue.Queue[PendingTurn | object] = queue.Queue()
        self._recording: TurnRef | None = None
        self._recording_since: float | None = None
        self._live: LiveTranscription | None = None
        self._early: Speculator | None = None
        self._active: int | None = None
        self._stage: TurnStage | None = None
        self._pending = 0
        self._state: RoomState = IDLE
        self._queued_shown = 0
        self._last_failed: PendingTurn | None = None
        self._replayer: object | None = None
        self._replay_thread: threading.Thread | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._work, name="voxroom-turns", daemon=True)
        self._thread.start()
        self._commands: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self.control_thread = threading.Thread(target=self._serve, name="voxroom-room", daemon=True)
        """The room's own thread: every toggle runs here, one at a time."""
        self.control_thread.start()

    # -- reading ---------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self.listeners.append(listener)

    @property
    def state(self) -> RoomState:
        return self._state

    @property
    def device_name(self) -> str:
        return self.recorder.device_name if self.recorder is not None else ""

    @property
    def can_retry(self) -> bool:
        return self._last_failed is not None

    @property
    def busy(self) -> bool:
        """True while recording, running a turn, or holding queued turns."""
        with self._lock:
            return self._busy_locked()

    @property
    def streaming(self) -> LiveTranscription | None:
        """The transcription running while the current recording is captured, if any."""
        return self._live

    def elapsed(self) -> float:
        """Seconds since the current recording started (0 when not recording)."""
        since = self._recording_since
        return 0.0 if since is None else max(0.0, self.clock() - since)

    def input_level(self) -> LevelLike:
        if self.recorder is None or self._recording is None:
            return SILENT
        return self.recorder.meter.snapshot()

    def output_level(self) -> LevelLike:
        return self.player.meter.snapshot() if self.player is not None else SILENT

    # -- commands --------------------------------------------------------------------------------
    def press(self, source: str = "fallback") -> bool:
        """A press of any trigger key (debounced); False when it was ignored as a repeat."""
        return self.trigger.press(source)

    def toggle(self, source: str = "key") -> None:
        """The one trigger. Safe to call from any thread: it runs on the room's thread, and returns
        once it has been handled there."""
        self._on_room_thread(lambda: self._toggle(source), wait=True)

    def _pressed(self, source: str) -> None:
        """An accepted press. The global listener's is handed over without waiting, so pynput's
        thread goes straight back to reading keys; the others return once it is handled."""
        self._on_room_thread(lambda: self._toggle(source), wait=source != "global")

    def _on_room_thread(self, job: Callable[[], None], *, wait: bool, timeout: float = 15.0) -> None:
        if threading.current_thread() is self.control_thread:
            job()
            return
        done = threading.Event()

        def run() -> None:
            try:
                job()
            except Exception as err:  # never let the room's thread die: say so
                self._emit(RoomFailed(VoxroomError(f"The key press could not be handled: {err}.")))
            finally:
                done.set()

        self._commands.put(run)
        if wait:
            done.wait(timeout)

    def _serve(self) -> None:
        while True:
            job = self._commands.get()
            if job is None:
                return
            job()

    def _toggle(self, source: str) -> None:
        if self.replaying:
            self.stop_replay()
        with self._lock:
            if self._closed:
                return
            if self._recording is not None:
                if not self.recording_notes:
                    self._stop_recording()
                    return
                self._pause_notes()  # a question during notes: the notes so far are a turn
            if self._stage == TurnStage.SPEAKING:
                self._barge_in()
            self._start_recording()
            if self._recording is None:
                self._resume_notes()  # the question could not record: the notes go on

    def check_auto_stop(self) -> str:
        """Stop the recording if it hit the length limit or a long silence; returns why ("" if not)."""
        recorder = self.recorder
        if recorder is None or self._recording is None:
            return ""
        if self.recording_notes:  # notes never stop by themselves: a long one is cut into turns
            limit = min(self.notes_chunk_s, self.max_recording_s or self.notes_chunk_s)
            if recorder.auto_stop_reason(limit, None):
                self._on_room_thread(self._cut_notes, wait=True)
            return ""
        reason = recorder.auto_stop_reason(self.max_recording_s, self.auto_stop_silence_s)
        if reason:
            self._on_room_thread(self._stop_if_recording, wait=True)
        return reason

    def _stop_if_recording(self) -> None:
        with self._lock:
            if self._recording is not None:
                self._stop_recording()

    def interrupt(self) -> None:
        """Stop speaking now (the turn finishes as ``interrupted``)."""
        self._barge_in()

    def retry_last(self) -> bool:
        """Queue the last failed turn again (same recording; same transcript when it had one). A
        question retried while notes record pauses them until it has been answered."""
        queued: list[bool] = []
        self._on_room_thread(lambda: queued.append(self._retry_last()), wait=True)
        return bool(queued and queued[0])

    def _retry_last(self) -> bool:
        with self._lock:
            pending = self._last_failed
            if pending is None or self._closed:
                return False
            self._last_failed = None
            pending.retry = True
            if pending.ref.kind == TurnKind.QUESTION:
                self._pause_notes()
            self._enqueue(pending)
        return True

    def use_log(self, log: TurnLog) -> None:
        """Send the next turns to ``log`` (a new session, or an existing one to continue).

        A continued session whose last turn failed or was interrupted (a crash) can be retried at
        once: its saved recording is queued again by :meth:`retry_last`.
        """
        if self._notes:
            self.end_notes()  # the notes so far stay in the session they were taken in
        job = None
        try:
            job = log.retry_job()
        except VoxroomError as err:
            self._emit(RoomFailed(err))
        with self._lock:
            self.log = log
            self._notes_people.clear()
            self._notes_turns.clear()
            self._last_failed = (
                PendingTurn(job.ref, job.clip, time.perf_counter(), transcript=job.transcript)
                if job
                else None
            )
        self._emit(SessionChanged(log.name, log.saved))

    def replace_audio(self, recorder: Recorder | None, player: Player | None) -> None:
        """Swap the devices (not while busy); the replaced ones are closed."""
        with self._lock:
            if self._busy_locked() or self.replaying:
                raise VoxroomError("Wait for the current turn to finish, then choose devices.")
            old = (self.recorder, self.player)
            self.recorder, self.player = recorder, player
        for part in old:
            if part is not None and part not in (recorder, player):
                with contextlib.suppress(Exception):
                    part.close()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until nothing is recording, running or queued (tests, benchmarks, shutdown)."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._busy_locked(), timeout)

    def close(self) -> None:
        """Stop everything and release the devices. A recording in progress is kept as an
        ``interrupted`` turn, ready to retry; a turn being answered stops at once and is saved
        ``interrupted`` with what was received (its transcript, the reply so far), ready to retry
        from there."""
        if self.replaying:
            self.stop_replay()
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._notes, self._notes_since = False, None
            if self._recording is not None and self.recorder is not None:
                self._keep_unfinished_recording()
        self.runner.stop()
        self._barge_in()
        self._commands.put(None)
        if self.control_thread is not threading.current_thread():
            self.control_thread.join(10.0)
        self._queue.put(STOP)
        self._thread.join(10.0)
        for part in (self.recorder, self.player):
            if part is not None:
                with contextlib.suppress(Exception):
                    part.close()

    def _barge_in(self) -> None:
        self.runner.interrupt()
        if self.player is not None:
            with contextlib.suppress(Exception):  # a dying output stream must not block recording
                self.player.stop()

    # -- state -----------------------------------------------------------------------------------
    def _busy_locked(self) -> bool:
        return self._recording is not None or self._active is not None or self._pending > 0

    def _update_state(self) -> None:
        with self._lock:
            if self._recording is not None:
                state = NOTES if self._recording.kind == TurnKind.NOTES else RECORDING
            elif self._active is not None and self._stage == TurnStage.SPEAKING:
                state = SPEAKING
            elif self._pending > 0 or (
                self._active is not None and self._stage not in (TurnStage.DONE, TurnStage.FAILED)
            ):
                state = PROCESSING
            else:
                state = IDLE
            queued = self._pending
            changed = (state, queued) != (self._state, self._queued_shown)
            self._state, self._queued_shown = state, queued
            if not self._busy_locked():
                self._idle.notify_all()
            if changed:  # emitted under the lock so listeners see states in order
                self._emit(StateChanged(state, queued))

    def _emit(self, event: RoomEvent) -> None:
        self._hear_notes(event)
        for listener in list(self.listeners):
            with contextlib.suppress(Exception):  # a broken listener must not stop the room
                listener(event)


__all__ = ["CLOSED_WHILE_RECORDING", "Listener", "PendingTurn", "Room"]
