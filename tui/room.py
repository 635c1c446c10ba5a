"""The room: the controller between the trigger, the recorder, the turn pipeline, the player and the
session. No Textual here: the UI subscribes to :class:`RoomEvent` objects through a plain callback.

One toggle (Right Shift, the fallback key, or the global hotkey) drives everything:

* idle -> start recording;
* recording -> stop, and queue the clip as a turn (turns run one after another on the room's own
  turn thread, so nothing is ever dropped);
* a turn is transcribing or thinking -> start a new recording at once (its turn is queued);
* Voxroom is speaking -> barge-in: the runner and the player stop, and a new recording starts.

A failed turn keeps its recording and, if transcription succeeded, its transcript, so
:meth:`Room.retry_last` can run it again without asking the room to repeat itself.
"""

from __future__ import annotations

import contextlib
import itertools
import queue
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from tui.errors import AudioDeviceError, VoxroomError
from tui.model import Reply, Timings, Transcript

if TYPE_CHECKING:  # numpy, the clip and the turn pipeline load after the first frame
    import numpy as np

    from tui.audio.clip import Clip
    from tui.audio.sinks import AudioSink
    from tui.turn import TurnObserver, TurnResult

IDLE, RECORDING, PROCESSING, SPEAKING = "idle", "recording", "processing", "speaking"
NO_SIGNAL_DBFS = -60.0
CLIP_DBFS = -0.1


# ---------------------------------------------------------------------------------------------
# What the room needs from its parts (the real ones live in tui.audio / tui.sessions).
# ---------------------------------------------------------------------------------------------
@runtime_checkable
class LevelLike(Protocol):
    rms_dbfs: float
    peak_dbfs: float
    clipping: bool
    no_signal: bool


class MeterLike(Protocol):
    def snapshot(self) -> LevelLike: ...


class RecorderLike(Protocol):
    """Records into a file; ``stop`` returns the clip. Raises AudioDeviceError when it cannot."""

    @property
    def device_name(self) -> str: ...

    @property
    def meter(self) -> MeterLike: ...

    def start(self, path: Path) -> None: ...

    def stop(self, *, load: bool = True) -> Clip: ...


class PlayerLike(Protocol):
    """An :class:`tui.audio.sinks.AudioSink` with a level meter (:class:`tui.audio.player.Player`)."""

    @property
    def meter(self) -> MeterLike: ...

    def open(self, rate: int) -> None: ...

    def write(self, block: np.ndarray) -> None: ...

    def drain(self) -> None: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


class RunnerLike(Protocol):
    def interrupt(self) -> None: ...

    def run(
        self,
        clip: Clip,
        *,
        conversation_id: str | None = None,
        sink: AudioSink | None = None,
        observer: TurnObserver | None = None,
        ended_at: float | None = None,
        transcript: Transcript | None = None,
        wait_for_playback: bool = True,
    ) -> TurnResult: ...


class StoreLike(Protocol):
    """Where turns go: one open session. The real sessions package is wrapped to fit this."""

    @property
    def name(self) -> str: ...

    @property
    def conversation_id(self) -> str | None: ...

    def recording_path(self) -> Path:
        """A fresh path for the next recording (inside the session)."""

    def record_turn(self, clip_path: Path, result: TurnResult) -> None: ...


# ---------------------------------------------------------------------------------------------
# Levels
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Level:
    rms_dbfs: float = -120.0
    peak_dbfs: float = -120.0
    clipping: bool = False
    no_signal: bool = True

    @classmethod
    def of(cls, block: np.ndarray) -> Level:
        import numpy as np

        from tui.audio.clip import dbfs

        if block.size == 0:
            return cls()
        peak = float(np.max(np.abs(block)))
        rms = float(np.sqrt(np.mean(np.square(block, dtype=np.float64))))
        return cls(dbfs(rms), dbfs(peak), dbfs(peak) >= CLIP_DBFS, dbfs(peak) < NO_SIGNAL_DBFS)


SILENT = Level()


class FixedMeter:
    """Always shows the same level (snapshot tests, screenshots)."""

    def __init__(self, level: LevelLike = SILENT) -> None:
        self.level = level

    def snapshot(self) -> LevelLike:
        return self.level


# ---------------------------------------------------------------------------------------------
# A file-fed recorder for tests, demos and benchmarks
# ---------------------------------------------------------------------------------------------
class FileRecorder:
    """Implements the recorder protocol by "recording" an audio file.

    ``realtime=False`` (the default): ``stop()`` returns the whole file whatever the time between
    start and stop. ``realtime=True``: the file's samples are streamed through the level meter (the
    real :class:`tui.audio.meter.LevelMeter`) at their real pace and ``stop()`` returns what was
    "heard" so far: silence after the file ends, or the file again and again with ``loop=True``.
    The clip is written to the path given to ``start`` as 16 kHz FLAC, like the real recorder.
    """

    block_seconds = 0.02

    def __init__(
        self, source: Path | str | Clip, *, realtime: bool = False, loop: bool = False, device: str = "file"
    ) -> None:
        from tui.audio.clip import Clip, load_clip
        from tui.audio.meter import LevelMeter

        self._clip = source if isinstance(source, Clip) else load_clip(source)
        self.realtime = realtime
        self.loop = loop
        self._device = device
        self._meter = LevelMeter()
        self._path: Path | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._heard = 0
        self.recordings = 0

    @property
    def device_name(self) -> str:
        return self._device

    @property
    def meter(self) -> Any:
        """A :class:`tui.audio.meter.LevelMeter`, fed with each block as it is "heard"."""
        return self._meter

    @property
    def recording(self) -> bool:
        return self._path is not None

    def start(self, path: Path) -> None:
        if self._path is not None:
            raise AudioDeviceError("The recorder is already recording.")
        self._path = Path(path)
        self._heard = 0
        self._stop.clear()
        self.recordings += 1
        self._thread = threading.Thread(target=self._stream, name="voxroom-file-recorder", daemon=True)
        self._thread.start()

    def _stream(self) -> None:
        import numpy as np

        rate = self._clip.rate
        n = max(1, int(rate * self.block_seconds))
        samples = self._clip.samples
        total = len(samples)
        pos = 0
        t0 = time.monotonic()
        self._meter.reset()
        while not self._stop.is_set():
            at = pos % total if (self.loop and total) else pos
            block = samples[at : at + n]
            if block.size < n:
                block = np.concatenate([block, np.zeros(n - block.size, np.float32)])
            self._meter.update(block, duration=n / rate)
            pos += n
            self._heard = pos if self.loop else min(pos, total)
            # Pace the meter at the file's own rate (wall clock), waking at once on stop().
            next_at = t0 + pos / rate if self.realtime else time.monotonic() + self.block_seconds
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def auto_stop_reason(self, max_seconds: float | None = None, silence_seconds: float | None = None) -> str:
        """Like the real recorder's: why recording should stop now ("" to go on)."""
        if self._path is None or not self.realtime:
            return ""
        heard = self._heard / self._clip.rate
        if max_seconds and heard >= max_seconds:
            return f"Stopped at the {max_seconds:g} s recording limit."
        if silence_seconds and self._meter.quiet_seconds >= silence_seconds:
            return f"Stopped after {silence_seconds:g} s of silence."
        return ""

    def stop(self, *, load: bool = True) -> Clip:
        if self._path is None:
            raise AudioDeviceError("The recorder is not recording.")
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2.0)
        path, self._path = self._path, None
        self._meter.reset()
        import numpy as np

        from tui.audio.clip import Clip

        samples = self._clip.samples
        heard = self._heard if self.realtime else len(samples)
        clip = Clip(
            np.resize(samples, heard) if heard > len(samples) else samples[:heard].copy(), self._clip.rate
        )
        return _write_flac(clip, path)


def _write_flac(clip: Clip, path: Path) -> Clip:
    import numpy as np
    import soundfile as sf

    from tui.audio.clip import Clip

    path.parent.mkdir(parents=True, exist_ok=True)
    small = clip.at_rate()
    sf.write(str(path), np.clip(small.samples, -1.0, 1.0), small.rate, format="FLAC", subtype="PCM_16")
    return Clip(small.samples, small.rate, path)


# ---------------------------------------------------------------------------------------------
# A session that only lives in a temporary folder (when no session store is given)
# ---------------------------------------------------------------------------------------------
class ScratchSession:
    """Keeps recordings in a temporary folder and turns in memory. Implements :class:`StoreLike`."""

    def __init__(self, name: str = "unsaved", folder: Path | None = None) -> None:
        self._name = name
        self._folder = folder or Path(tempfile.mkdtemp(prefix="voxroom-"))
        self._count = itertools.count(1)
        self.turns: list[tuple[Path, TurnResult]] = []
        self._conversation_id: str | None = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def conversation_id(self) -> str | None:
        return self._conversation_id

    def recording_path(self) -> Path:
        return self._folder / f"turn-{next(self._count):03d}.flac"

    def record_turn(self, clip_path: Path, result: TurnResult) -> None:
        self.turns.append((clip_path, result))
        if result.reply is not None and result.reply.conversation_id:
            self._conversation_id = result.reply.conversation_id


# ---------------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RoomEvent:
    """Base class of everything the room reports. Delivered on the room's threads."""


@dataclass(frozen=True)
class StateChanged(RoomEvent):
    state: str
    queued: int = 0


@dataclass(frozen=True)
class RecordingStarted(RoomEvent):
    turn: int
    device: str


@dataclass(frozen=True)
class RecordingStopped(RoomEvent):
    turn: int
    seconds: float


@dataclass(frozen=True)
class TurnStarted(RoomEvent):
    turn: int
    retry: bool = False


@dataclass(frozen=True)
class StageChanged(RoomEvent):
    turn: int
    stage: str


@dataclass(frozen=True)
class TranscriptionProgress(RoomEvent):
    """A long recording is transcribed in chunks: ``done`` of ``total`` are back."""

    turn: int
    done: int
    total: int


@dataclass(frozen=True)
class TranscriptReady(RoomEvent):
    turn: int
    transcript: Transcript


@dataclass(frozen=True)
class ReplyDelta(RoomEvent):
    turn: int
    text: str


@dataclass(frozen=True)
class SentenceSpoken(RoomEvent):
    turn: int
    index: int
    text: str


@dataclass(frozen=True)
class ReplyReady(RoomEvent):
    turn: int
    reply: Reply


@dataclass(frozen=True)
class TurnFinished(RoomEvent):
    turn: int
    status: str
    timings: Timings
    result: TurnResult = field(compare=False, repr=False)


@dataclass(frozen=True)
class RoomFailed(RoomEvent):
    """Something failed. ``retryable`` is True when :meth:`Room.retry_last` can run the turn again."""

    error: VoxroomError
    turn: int | None = None
    retryable: bool = False


@dataclass(frozen=True)
class SessionChanged(RoomEvent):
    name: str


@dataclass(frozen=True)
class ReplayProgress(RoomEvent):
    """Replay is playing ``kind`` (``recording`` or ``reply``) of ``turn``; ``line`` is the index of
    the transcript line being heard (``None`` between lines or for a reply). ``kind == "done"`` ends it."""

    turn: int
    kind: str
    line: int | None = None


Listener = Callable[[RoomEvent], None]


@dataclass
class PendingTurn:
    turn: int
    clip: Clip
    ended_at: float
    transcript: Transcript | None = None
    retry: bool = False
    streaming: Any = None
    """A :class:`tui.stt.offline.StreamingTranscription` fed while recording, if the backend has one."""


class _Observer:
    """A :class:`tui.turn.TurnObserver` that forwards to the room as events."""

    def __init__(self, room: Room, turn: int) -> None:
        self.room = room
        self.turn = turn

    def on_stage(self, stage: str) -> None:
        self.room._on_stage(self.turn, stage)

    def on_progress(self, done: int, total: int) -> None:
        self.room._emit(TranscriptionProgress(self.turn, done, total))

    def on_transcript(self, transcript: Transcript) -> None:
        self.room._emit(TranscriptReady(self.turn, transcript))

    def on_reply_text(self, delta: str) -> None:
        self.room._emit(ReplyDelta(self.turn, delta))

    def on_sentence(self, index: int, text: str) -> None:
        self.room._emit(SentenceSpoken(self.turn, index, text))

    def on_reply(self, reply: Reply) -> None:
        self.room._emit(ReplyReady(self.turn, reply))

    def on_error(self, error: VoxroomError) -> None:
        """Reported once the turn has finished (as a retryable :class:`RoomFailed`)."""


_STOP = object()


class Room:
    """Owns the toggle logic and runs turns, one at a time, on its own thread.

    ``runner`` is a :class:`tui.turn.TurnRunner` (or anything with its ``run``/``interrupt``);
    ``player`` is the audio sink replies are spoken into (``None``: keep the audio, play nothing);
    ``session`` receives every finished turn. ``listener`` gets every :class:`RoomEvent`.
    """

    def __init__(
        self,
        *,
        recorder: RecorderLike | None,
        runner: RunnerLike,
        player: PlayerLike | None = None,
        session: StoreLike | None = None,
        listener: Listener | None = None,
        clock: Callable[[], float] = time.perf_counter,
        debounce_s: float = 0.25,
        backends: Any = None,
        max_recording_s: float | None = None,
        auto_stop_silence_s: float | None = None,
    ) -> None:
        from tui.trigger import Trigger

        self.recorder = recorder
        self.runner = runner
        self.player = player
        self.session: StoreLike = session or ScratchSession()
        self.listeners: list[Listener] = [listener] if listener else []
        self.clock = clock
        self.backends = backends
        self.max_recording_s = max_recording_s
        self.auto_stop_silence_s = auto_stop_silence_s
        """The :class:`tui.backends.Backends` behind ``runner`` (for ``warm_up``), if known."""
        self.trigger = Trigger(self.toggle, debounce_s=debounce_s)
        """Every key source goes through here (debounced), then to :meth:`toggle`."""
        self._lock = threading.RLock()
        self._turn_ids = itertools.count(1)
        self._queue: queue.Queue[Any] = queue.Queue()
        self._recording_turn: int | None = None
        self._recording_path: Path | None = None
        self._recording_since: float | None = None
        self._active: int | None = None
        self._stage: str | None = None
        self._pending = 0
        self._state = IDLE
        self._queued_shown = 0
        self._last_failed: PendingTurn | None = None
        self._streaming: Any = None
        self.finished: list[TurnResult] = []
        self.problems: list[VoxroomError] = []
        self._replay_stop = threading.Event()
        self._replay_thread: threading.Thread | None = None
        """Problems met while building the room (shown once by the app)."""
        self._idle = threading.Condition(self._lock)
        self._thread = threading.Thread(target=self._work, name="voxroom-turns", daemon=True)
        self._thread.start()

    # -- public ------------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self.listeners.append(listener)

    @property
    def state(self) -> str:
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
            return self._recording_turn is not None or self._active is not None or self._pending > 0

    @property
    def streaming(self) -> Any:
        """The transcription running while the current recording is captured (offline), or None."""
        return self._streaming

    def elapsed(self) -> float:
        """Seconds since the current recording started (0 when not recording)."""
        since = self._recording_since
        return 0.0 if since is None else max(0.0, self.clock() - since)

    def input_level(self) -> LevelLike:
        if self.recorder is None or self._recording_turn is None:
            return SILENT
        return self.recorder.meter.snapshot()

    def output_level(self) -> LevelLike:
        meter = getattr(self.player, "meter", None)
        return meter.snapshot() if meter is not None else SILENT

    def press(self, source: str = "fallback") -> bool:
        """A press of any trigger key (debounced); False when it was ignored as a repeat."""
        return self.trigger.press(source)

    def toggle(self, source: str = "key") -> None:
        """The one trigger. Safe to call from any thread."""
        if self.replaying:
            self.stop_replay()
        with self._lock:
            if self._recording_turn is not None:
                self._stop_recording()
                return
            if self._stage == "speaking":
                self._barge_in()
            self._start_recording()

    def check_auto_stop(self) -> str:
        """Stop the recording if it hit the length limit or a long silence; returns why ("" if not).

        The recorder measures (``auto_stop_reason``); the app polls this from its meter timer.
        """
        recorder = self.recorder
        probe = getattr(recorder, "auto_stop_reason", None)
        if probe is None or self._recording_turn is None:
            return ""
        reason = str(probe(self.max_recording_s, self.auto_stop_silence_s) or "")
        if reason:
            with self._lock:
                if self._recording_turn is not None:
                    self._stop_recording()
        return reason

    def interrupt(self) -> None:
        """Stop speaking now (the turn finishes as ``interrupted``)."""
        self._barge_in()

    def retry_last(self) -> bool:
        """Queue the last failed turn again (same recording; same transcript when it had one)."""
        with self._lock:
            pending = self._last_failed
            if pending is None:
                return False
            self._last_failed = None
            pending.retry = True
            self._enqueue(pending)
        return True

    def use_session(self, session: StoreLike) -> None:
        """Send the next turns to ``session`` (new, or an existing one to continue).

        A continued session whose last turn failed or was interrupted (a crash) can be retried at
        once: its saved recording is queued again by :meth:`retry_last`.
        """
        saved = saved_retry(session, next(self._turn_ids))
        with self._lock:
            self.session = session
            self._last_failed = saved
        self._emit(SessionChanged(session.name))

    # -- replay ------------------------------------------------------------------------------------
    @property
    def replaying(self) -> bool:
        thread = self._replay_thread
        return thread is not None and thread.is_alive()

    def replay(self, steps: list[Any], *, speed: float = 1.0) -> bool:
        """Play a session's steps (:func:`tui.sessions.replay_plan`) through the player, reporting
        :class:`ReplayProgress` so the UI can highlight the line being heard. Without a player the
        steps are timed by the clock (at ``speed``). False when the room is busy or already replaying.
        """
        with self._lock:
            if self._busy_locked() or self.replaying:
                return False
            self._replay_stop.clear()
            self._replay_thread = threading.Thread(
                target=self._replay, args=(steps, speed), name="voxroom-replay", daemon=True
            )
            self._replay_thread.start()
        return True

    def stop_replay(self) -> None:
        self._replay_stop.set()
        if self.player is not None:
            with contextlib.suppress(Exception):
                self.player.stop()
        thread = self._replay_thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(5.0)

    def _replay(self, steps: list[Any], speed: float) -> None:
        from tui.audio.clip import load_clip

        try:
            for step in steps:
                if self._replay_stop.is_set():
                    break
                if step.path is None:
                    continue
                try:
                    clip = load_clip(step.path)
                except VoxroomError as err:
                    self._emit(RoomFailed(err))
                    continue
                self._play_step(step, clip, speed)
        finally:
            self._emit(ReplayProgress(0, "done"))

    def _play_step(self, step: Any, clip: Clip, speed: float) -> None:
        player = self.player
        started = time.monotonic()
        if player is not None:
            player.open(clip.rate)
            player.write(clip.samples)
        shown: tuple[int, int | None] | None = None
        while not self._replay_stop.is_set():
            if player is not None:
                position = float(getattr(player, "played_seconds", time.monotonic() - started))
                finished = not getattr(player, "speaking", False) and position > 0
            else:
                position = (time.monotonic() - started) * speed
                finished = position >= clip.duration
            line = step.line_at(position) if step.kind == "recording" else None
            if (step.turn, line) != shown:
                shown = (step.turn, line)
                self._emit(ReplayProgress(step.turn, step.kind, line))
            if finished or position >= clip.duration:
                break
            self._replay_stop.wait(0.05)
        if player is not None and not self._replay_stop.is_set():
            with contextlib.suppress(VoxroomError):
                player.drain()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until nothing is recording, running or queued (tests, benchmarks, shutdown)."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._busy_locked(), timeout)

    def close(self) -> None:
        if self.replaying:
            self.stop_replay()
        with self._lock:
            if self._recording_turn is not None and self.recorder is not None:
                with contextlib.suppress(VoxroomError):
                    self.recorder.stop()
                self._recording_turn = None
                self._recording_since = None
        self._barge_in()
        self._queue.put(_STOP)
        self._thread.join(5.0)

    # -- recording -----------------------------------------------------------------------------
    def _start_recording(self) -> None:
        if self.recorder is None:
            self._emit(
                RoomFailed(
                    AudioDeviceError(
                        "No microphone is available, so Voxroom cannot record.",
                        hint="Connect one and choose it with 'Choose devices'.",
                    )
                )
            )
            return
        turn = next(self._turn_ids)
        path = self.session.recording_path()
        self._streaming = self._start_streaming()
        try:
            self.recorder.start(path)
        except VoxroomError as err:
            self._emit(RoomFailed(err))
            return
        except Exception as err:  # PortAudio raises its own types
            self._emit(RoomFailed(AudioDeviceError(f"Recording could not start: {err}.")))
            return
        self._recording_turn = turn
        self._recording_path = path
        self._recording_since = self.clock()
        self._emit(RecordingStarted(turn, self.recorder.device_name))
        self._update_state()

    def _stop_recording(self) -> None:
        assert self.recorder is not None and self._recording_turn is not None
        turn = self._recording_turn
        path = self._recording_path
        seconds = self.elapsed()
        ended_at = time.perf_counter()
        self._recording_turn = None
        self._recording_since = None
        streaming, self._streaming = self._streaming, None
        if streaming is not None:
            self.recorder.on_audio = None  # type: ignore[attr-defined]
        try:
            # A lazy clip: the recording is on disk as 16 kHz FLAC and is never loaded whole.
            clip = self.recorder.stop(load=False)
        except VoxroomError as err:
            self._emit(RoomFailed(err, turn))
            self._update_state()
            return
        if clip.path is None and path is not None:
            from tui.audio.clip import Clip

            clip = Clip(clip.samples, clip.rate, path)
        self._emit(RecordingStopped(turn, clip.duration or seconds))
        self._enqueue(PendingTurn(turn, clip, ended_at, streaming=streaming))

    def _start_streaming(self) -> Any:
        """Offline transcription can start on the first seconds while the room is still speaking."""
        transcriber = getattr(self.runner, "transcriber", None)
        if getattr(transcriber, "name", "") != "offline" or not hasattr(self.recorder, "on_audio"):
            return None
        from tui.stt.offline import StreamingTranscription

        # A short window so even a 10-second question is mostly transcribed before the key is pressed.
        streaming = StreamingTranscription(transcriber, 16_000, window_s=6.0, settle_s=1.5)
        self.recorder.on_audio = streaming.feed  # type: ignore[union-attr]
        return streaming

    def _finish_streaming(self, pending: PendingTurn) -> tuple[Transcript | None, float | None]:
        """The streamed transcript (only the tail is left to do), or None to transcribe as usual."""
        min_seconds = getattr(self.runner, "min_seconds", 0.3)
        if pending.streaming is None or pending.transcript is not None or pending.clip.duration < min_seconds:
            return pending.transcript, None
        self._on_stage(pending.turn, "transcribing")
        started = time.perf_counter()
        try:
            transcript = pending.streaming.finish()
        except VoxroomError:
            return None, None
        return transcript, (time.perf_counter() - started) * 1000.0

    def _barge_in(self) -> None:
        self.runner.interrupt()
        if self.player is not None:
            with contextlib.suppress(Exception):  # a dying output stream must not block recording
                self.player.stop()

    # -- turns -----------------------------------------------------------------------------------
    def _enqueue(self, pending: PendingTurn) -> None:
        with self._lock:
            self._pending += 1
            self._queue.put(pending)
            self._update_state()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            pending: PendingTurn = item
            with self._lock:
                self._pending -= 1
                self._active = pending.turn
                self._stage = None
                self._update_state()
            try:
                self._run(pending)
            finally:
                with self._lock:
                    self._active = None
                    self._stage = None
                    self._update_state()

    def _run(self, pending: PendingTurn) -> None:
        from tui.turn import TurnResult

        self._emit(TurnStarted(pending.turn, pending.retry))
        try:
            transcript, streamed_ms = self._finish_streaming(pending)
            result = self.runner.run(
                pending.clip,
                conversation_id=self.session.conversation_id,
                sink=self.player,
                observer=_Observer(self, pending.turn),  # type: ignore[arg-type]
                ended_at=pending.ended_at,
                transcript=transcript,
            )
            if streamed_ms is not None:
                result.timings.transcription_ms = streamed_ms
        except Exception as err:  # a backend bug: keep the turn for a retry
            result = TurnResult(status="failed", failed_step="voxroom", error=f"The turn failed: {err}.")
        self.finished.append(result)
        if result.status == "failed":
            with self._lock:
                self._last_failed = PendingTurn(
                    pending.turn, pending.clip, pending.ended_at, transcript=result.transcript
                )
            error = VoxroomError(
                result.error or "The turn failed.",
                hint="Retry it from the command palette (ctrl+p, 'Retry last turn').",
                step=result.failed_step or "voxroom",
            )
            self._emit(RoomFailed(error, pending.turn, retryable=True))
        if pending.clip.path is not None:
            try:
                self.session.record_turn(pending.clip.path, result)
            except VoxroomError as err:
                self._emit(RoomFailed(err, pending.turn))
            except OSError as err:
                saved = VoxroomError(f"The turn could not be saved: {err.strerror}.")
                self._emit(RoomFailed(saved, pending.turn))
        self._emit(TurnFinished(pending.turn, result.status, result.timings, result))

    def _on_stage(self, turn: int, stage: str) -> None:
        with self._lock:
            if self._active == turn:
                self._stage = stage
            self._update_state()
        self._emit(StageChanged(turn, stage))

    # -- state -----------------------------------------------------------------------------------
    def _busy_locked(self) -> bool:
        return self._recording_turn is not None or self._active is not None or self._pending > 0

    def _update_state(self) -> None:
        with self._lock:
            if self._recording_turn is not None:
                state = RECORDING
            elif self._active is not None and self._stage == "speaking":
                state = SPEAKING
            elif self._pending > 0 or (self._active is not None and self._stage not in ("done", "failed")):
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
        for listener in list(self.listeners):
            with contextlib.suppress(Exception):  # a broken listener must not stop the room
                listener(event)


# ---------------------------------------------------------------------------------------------
# Wiring the real parts (used by the app; each may block, so call them from a worker thread)
# ---------------------------------------------------------------------------------------------
def saved_retry(live: Any, turn_id: int) -> PendingTurn | None:
    """The last failed / interrupted turn of a stored session, ready to run again (or None)."""
    from tui.retry import RETRYABLE, saved_clip, saved_transcript

    session, store = getattr(live, "session", None), getattr(live, "store", None)
    if session is None or store is None or not session.turns:
        return None
    last = session.turns[-1]
    if last.status not in RETRYABLE or not last.recording:
        return None
    try:
        path = store.audio_path(session, last.recording)
    except VoxroomError:
        return None
    if not path.is_file():
        return None
    try:
        clip = saved_clip(path)
    except VoxroomError:
        return None
    return PendingTurn(turn_id, clip, time.perf_counter(), transcript=saved_transcript(last))


def open_audio(settings: Any) -> tuple[Any, Any, list[VoxroomError]]:
    """The real recorder and player on the configured devices; ``None`` for a part that failed."""
    problems: list[VoxroomError] = []
    recorder: Any = None
    player: Any = None
    try:
        from tui.audio.capture import Recorder
        from tui.audio.devices import resolve_device

        mic = resolve_device(settings.audio.input_device or None, "input")
        recorder = Recorder(mic.index)
        recorder.device_name = mic.name
    except VoxroomError as err:
        problems.append(err)
    except Exception as err:  # PortAudio missing or broken
        problems.append(
            AudioDeviceError(f"No microphone is available: {err}.", hint="Run `voxroom devices`.")
        )
    try:
        from tui.audio.devices import resolve_device
        from tui.audio.player import Player

        out = resolve_device(settings.audio.output_device or None, "output")
        player = Player(out.index, mutes=recorder if settings.audio.half_duplex else None)
        player.device_name = out.name
    except VoxroomError as err:
        problems.append(err)
    except Exception as err:
        problems.append(AudioDeviceError(f"No speaker is available: {err}.", hint="Run `voxroom devices`."))
    return recorder, player, problems


def _store(settings: Any) -> Any:
    from tui.sessions import SessionStore

    return SessionStore(settings.sessions_dir)


def new_session(settings: Any) -> StoreLike:
    """A new saved session for the room's next turns."""
    from tui.sessions import LiveSession

    store = _store(settings)
    models = {
        "transcription": settings.transcription.model,
        "agent": settings.agent.model,
        "speech": settings.speech.model,
    }
    return LiveSession(store, store.create(backend=settings.backend_label, models=models))


def list_sessions(settings: Any) -> list[Any]:
    """Summaries of the saved sessions, newest first."""
    return list(_store(settings).list().sessions)


def session_history(session: Any) -> list[tuple[int, Transcript | None, Reply | None, Timings | None]]:
    """A stored session's turns as (index, transcript, reply, timings) for the panes."""
    history: list[tuple[int, Transcript | None, Reply | None, Timings | None]] = []
    for turn in session.turns:
        transcript = Transcript(
            segments=list(turn.segments), text=turn.transcript_text, language=turn.language
        )
        reply = None
        if turn.reply or turn.blocked:
            reply = Reply(
                text=turn.reply,
                references=list(turn.references),
                blocked=turn.blocked,
                moderation=turn.moderation,
            )
        history.append((turn.index, transcript, reply, turn.timings))
    return history


def open_session(settings: Any, ref: str) -> tuple[StoreLike, list[Any]]:
    """An existing session (to show, or to continue) and its history for the panes."""
    from tui.sessions import LiveSession

    store = _store(settings)
    session = store.open(ref)
    history = session_history(session)
    return LiveSession(store, session), history


def replay_steps(live: Any) -> list[Any]:
    """What a replay of ``live`` (a session opened from the store) plays, in order."""
    session = getattr(live, "session", None)
    store = getattr(live, "store", None)
    if session is None or store is None:
        return []
    from tui.sessions import replay_plan

    return replay_plan(store, session)


def rename_speaker(live: Any, label: str, name: str) -> None:
    """Name a speaker in a saved session (no-op for a scratch session)."""
    store = getattr(live, "store", None)
    session = getattr(live, "session", None)
    if store is not None and session is not None and session.turns:
        store.rename_speaker(session, label, name)


def export_session(live: Any, fmt: str, path: Path, *, lines: list[str], replies: list[str]) -> Path:
    """Write the open session to ``path`` in ``fmt`` (md, txt, json, srt, vtt)."""
    session = getattr(live, "session", None)
    if session is not None:
        from tui.sessions import export_session as render

        try:
            text = render(session, fmt)
        except ValueError as err:
            raise VoxroomError(f"{err}.") from None
    else:  # a scratch session: what is on screen
        text = "\n".join(lines) + "\n\n" + "\n\n".join(replies) + "\n"
    path = Path(path).expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as err:
        raise VoxroomError(f"Cannot write {path}: {err.strerror}.", hint="Choose another folder.") from None
    return path


def build_room(settings: Any, *, listener: Listener | None = None) -> Room:
    """The room for ``voxroom``: backends from the settings, the sound devices, a new session.

    Audio problems do not stop it: the room starts without the part that failed and the problems
    are reported to ``listener`` (and kept in ``room.problems``).
    """
    from tui.backends import make_backends

    backends = make_backends(settings)
    recorder, player, problems = open_audio(settings)
    try:
        session: StoreLike = new_session(settings)
    except VoxroomError as err:
        problems.append(err)
        session = ScratchSession()
    room = Room(
        recorder=recorder,
        runner=backends.runner(settings),
        player=player,
        session=session,
        listener=listener,
        debounce_s=settings.hotkey.debounce_ms / 1000.0,
        backends=backends,
        max_recording_s=settings.audio.max_recording_s,
        auto_stop_silence_s=settings.audio.auto_stop_silence_s,
    )
    room.problems = problems
    return room
