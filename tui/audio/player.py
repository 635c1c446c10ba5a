"""Spoken replies to the room's speaker: a sounddevice output stream fed from a queue of blocks.

:class:`Player` implements :class:`tui.audio.sinks.AudioSink`:

* ``open(rate)`` starts the output stream (48 kHz on the device by default; blocks at any other
  rate are resampled with the streaming polyphase :class:`~tui.audio.resample.StreamResampler`);
* ``write(block, tag=None)`` only queues (never blocks); the PortAudio callback pulls from the
  queue, zero-fills and counts an underflow when the producer is late;
* ``drain()`` appends the resampler's tail plus ``latency + 50 ms`` of silence (PortAudio drops the
  last ``latency`` seconds when a stream stops, pitfall A4), then waits on an Event until the
  callback has played it all;
* ``stop()`` (barge-in, any thread) drops everything queued, aborts the stream so even what
  PortAudio buffered is cut, and wakes ``drain()`` at once; later ``write()`` calls are ignored
  until the next ``open()``;
* ``close()`` stops and closes the stream.

``played_seconds`` and ``current_tag`` tell the UI which part of the text is being heard.
"""

from __future__ import annotations

import collections
import contextlib
import queue
import threading
from collections.abc import Callable, Hashable
from typing import Any, Protocol

import numpy as np

from tui.audio.meter import LevelMeter, LevelSnapshot
from tui.audio.resample import StreamResampler
from tui.errors import SpeechError

DEVICE_RATE = 48_000
TAIL_PAD_S = 0.05


class Mutable(Protocol):
    muted: bool


_END = object()


class Player:
    """Plays float32 mono blocks on an output device; see the module docstring.

    ``on_started()`` is called (from a small notifier thread, never the audio thread) when the first
    sample of an utterance reaches the device; ``on_finished(interrupted)`` when ``drain()`` has
    played everything (``False``) or ``stop()`` cut it short (``True``). ``mutes`` is any object with
    a ``muted`` attribute (a :class:`~tui.audio.capture.Recorder`): it is set while audio is queued
    or playing, and cleared once the tail has been played or the player was stopped (half-duplex).
    """

    def __init__(
        self,
        device: str | int | None = None,
        *,
        rate: int = DEVICE_RATE,
        latency: str | float = 0.1,
        block_s: float = 0.02,
        on_started: Callable[[], None] | None = None,
        on_finished: Callable[[bool], None] | None = None,
        mutes: Mutable | None = None,
    ) -> None:
        self.device = device
        self.device_rate = rate
        self.latency = latency
        self.block_s = block_s
        self.on_started = on_started
        self.on_finished = on_finished
        self.mutes = mutes
        self.meter = LevelMeter()
        self.device_name = ""
        self.rate = 0
        """Rate of the blocks given to ``write`` (set by ``open``)."""
        self._stream: Any = None
        self._resampler: StreamResampler | None = None
        self._queue: collections.deque[tuple[Any, Hashable | None, bool]] = collections.deque()
        self._head: np.ndarray | None = None
        self._head_pos = 0
        self._head_tag: Hashable | None = None
        self._head_pad = False
        self._gen = 0
        self._seen_gen = 0
        self._stopped = False
        self._speaking = False
        self._announced = False
        self._ending = False
        self._done = threading.Event()
        self._done.set()
        self._finish_lock = threading.Lock()
        self._played = 0
        self._queued = 0
        self._underflows = 0
        self._primed = False
        """False at the start of an utterance until a device buffer's worth is queued (or it ends)."""
        self._prebuffer = 0
        self._current_tag: Hashable | None = None
        self._events: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._notifier: threading.Thread | None = None

    # -- state -----------------------------------------------------------------------------------
    @property
    def speaking(self) -> bool:
        """True from the first ``write`` after ``open`` until drained or stopped."""
        return self._speaking

    @property
    def played_seconds(self) -> float:
        """Seconds of written audio (not padding) handed to the device since ``open``."""
        return self._played / self.device_rate

    @property
    def queued_seconds(self) -> float:
        """Seconds of written audio not played yet."""
        return max(0, self._queued - self._played) / self.device_rate

    @property
    def current_tag(self) -> Hashable | None:
        """The ``tag`` of the block being played (e.g. the sentence index)."""
        return self._current_tag

    @property
    def underflows(self) -> int:
        """Callbacks that found the queue empty while more audio was expected (producer too slow)."""
        return self._underflows

    @property
    def level(self) -> LevelSnapshot:
        return self.meter.snapshot()

    @property
    def output_latency(self) -> float:
        stream = self._stream
        return float(stream.latency) if stream is not None else 0.0

    # -- AudioSink -------------------------------------------------------------------------------
    def open(self, rate: int) -> None:
        """Get ready for an utterance whose blocks come at ``rate`` Hz (starts the stream)."""
        if self._speaking:
            self.stop()
        self.rate = int(rate)
        self._resampler = StreamResampler(self.rate, self.device_rate)
        self._stopped = False
        self._ending = False
        self._announced = False
        self._played = self._queued = 0
        self._primed = False
        self._current_tag = None
        self._done.clear()
        self.meter.reset()
        if self._notifier is None or not self._notifier.is_alive():
            self._events = queue.SimpleQueue()
            self._notifier = threading.Thread(target=self._notify_loop, name="voxroom-player", daemon=True)
            self._notifier.start()
        if self._stream is None:
            self._open_stream()
        self._prebuffer = int(self.output_latency * self.device_rate)
        if not self._stream.active:
            try:
                self._stream.start()
            except Exception as err:
                raise SpeechError(f"Cannot start playback on '{self.device_name}': {err}.") from None

    def write(self, block: np.ndarray, tag: Hashable | None = None) -> None:
        """Queue a block of float32 mono samples at the ``open`` rate; returns at once."""
        if self._stopped or self._resampler is None:
            return
        if self._ending:
            raise SpeechError("write() while drain() is waiting for the end.", retryable=False)
        if self._resampler.flushed:  # a write after drain(): a new utterance at the same rate
            self._resampler = StreamResampler(self.rate, self.device_rate)
            self._done.clear()
            self._announced = False
            self._primed = False
        out = self._resampler.process(np.asarray(block, dtype=np.float32).reshape(-1))
        if not self._speaking:
            self._speaking = True
            if self.mutes is not None:
                self.mutes.muted = True
        if out.size:
            self._queued += out.size
            self._queue.append((out, tag, False))

    def drain(self) -> None:
        """Block until everything written has been heard (tail padded), or until ``stop()``."""
        if self._stopped or self._resampler is None or self._done.is_set():
            return
        if not self._speaking:
            self._done.set()
            return
        tail = self._resampler.flush()
        if tail.size:
            self._queued += tail.size
            self._queue.append((tail, self._last_tag(), False))
        pad = int((self.output_latency + TAIL_PAD_S) * self.device_rate)
        self._ending = True
        self._queue.append((np.zeros(pad, dtype=np.float32), None, True))
        self._queue.append((_END, None, True))
        if self._stopped:
            # stop() ran on another thread while the tail was queued: drop the tail too (stop sets
            # _stopped before it clears, so whichever runs last leaves nothing queued).
            self._queue.clear()
            self._queued = self._played
        budget = self.queued_seconds + pad / self.device_rate + 5.0
        if not self._done.wait(budget):
            self._finish(interrupted=True)
            raise SpeechError("Playback stalled: the output device stopped taking audio.")

    def stop(self) -> None:
        """Barge-in: drop everything queued and silence the device now. Safe from any thread."""
        self._stopped = True
        self._gen += 1
        self._queue.clear()
        self._queued = self._played
        stream = self._stream
        if stream is not None:
            with contextlib.suppress(Exception):
                stream.abort()
        self._finish(interrupted=True)

    def close(self) -> None:
        if self._speaking and not self._stopped:
            self.drain()
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
            finally:
                stream.close()
        if self._notifier is not None:
            self._events.put(None)
            self._notifier = None

    # -- internals -------------------------------------------------------------------------------
    def _last_tag(self) -> Hashable | None:
        try:
            return self._queue[-1][1]
        except IndexError:
            return self._head_tag

    def _open_stream(self) -> None:
        import sounddevice as sd

        from tui.audio.devices import describe_portaudio_error, resolve_device

        dev = resolve_device(self.device, "output")
        self.device_name = dev.name
        try:
            self._stream = sd.OutputStream(
                device=dev.index,
                samplerate=self.device_rate,
                channels=1,
                dtype="float32",
                blocksize=max(1, int(self.device_rate * self.block_s)),
                latency=self.latency,
                callback=self._callback,
            )
        except Exception as err:
            raise describe_portaudio_error(err, dev.name, "output") from None

    def _finish(self, interrupted: bool) -> None:
        with self._finish_lock:  # held for a few bytecodes: stop() and the callback may race here
            was_speaking = self._speaking
            self._speaking = False
        self._ending = False
        if self.mutes is not None:
            self.mutes.muted = False
        self._done.set()
        if was_speaking:
            self._events.put("interrupted" if interrupted else "finished")

    def _notify_loop(self) -> None:
        events = self._events
        while True:
            event = events.get()
            if event is None:
                return
            try:
                if event == "started" and self.on_started is not None:
                    self.on_started()
                elif event in ("finished", "interrupted") and self.on_finished is not None:
                    self.on_finished(event == "interrupted")
            except Exception:  # a UI callback failing must not kill playback
                pass

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        if status.output_underflow:
            self.meter.add_overflow()
        out = outdata[:, 0]
        if self._gen != self._seen_gen:
            self._seen_gen = self._gen
            self._head = None
        if not self._primed:
            # Jitter buffer: start an utterance only once a device buffer's worth (plus one block)
            # is queued, or the utterance is complete. Otherwise the stream's first greedy fill would
            # empty the queue at once and leave a gap right after the first words.
            ready = self._queued - self._played >= self._prebuffer + frames
            if not (self._speaking and (ready or self._ending)):
                outdata.fill(0.0)
                self.meter.update(outdata[:, 0], duration=frames / self.device_rate)
                return
            self._primed = True
        filled = 0
        ended = False
        while filled < frames:
            head = self._head
            if head is None:
                try:
                    item, tag, pad = self._queue.popleft()
                except IndexError:
                    break
                if item is _END:
                    ended = True
                    continue
                head, self._head, self._head_pos, self._head_tag, self._head_pad = item, item, 0, tag, pad
            n = min(frames - filled, head.size - self._head_pos)
            out[filled : filled + n] = head[self._head_pos : self._head_pos + n]
            if not self._head_pad:
                self._played += n
                self._current_tag = self._head_tag
                if not self._announced:
                    self._announced = True
                    self._events.put("started")
            filled += n
            self._head_pos += n
            if self._head_pos >= head.size:
                self._head = None
        if filled < frames:
            out[filled:] = 0.0
            if self._speaking and not self._ending and not ended:
                self._underflows += 1
        if outdata.shape[1] > 1:
            outdata[:, 1:] = outdata[:, :1]
        self.meter.update(out, duration=frames / self.device_rate)
        if ended:
            self._finish(interrupted=False)
