"""Room capture: a sounddevice input stream written to a 16 kHz mono FLAC file while it records.

Design (see also ``bench/README.md``, section "Capture"):

* The PortAudio callback does the least it can: it averages to mono, updates the
  :class:`~tui.audio.meter.LevelMeter` (a few numpy reductions, no locks) and puts the block on a
  :class:`queue.SimpleQueue`. No I/O, no resampling, no locks held.
* A writer thread takes the blocks, resamples them to 16 kHz with :class:`StreamResampler` (the
  same polyphase filter as ``scipy.signal.resample_poly``, kept streaming so no sample is dropped or
  duplicated at block edges) and appends them to ``<name>.flac.partial`` through libsndfile,
  flushing at least once a second. The file on disk *is* the recording: memory stays flat however
  long the meeting lasts.
* Starting is quick: :meth:`Recorder.warm_up` (called when the room is built) pays the one-time
  costs (libsndfile, PortAudio's device list, the rate and channels the device takes, the
  resampler's filter) without opening the microphone, and :meth:`Recorder.start` starts the input
  stream before it creates the file: the callback's blocks wait in the queue for the writer, so the
  recording keeps every sample from the stream's first callback (bench/README.md, "First sample").
* ``stop()`` flushes the resampler's tail, closes the FLAC file and renames it to ``<name>.flac``.
  A ``.partial`` file found later means the process died while recording:
  :mod:`tui.audio.recovery` repairs it.
* :meth:`Recorder.listen` opens the same input stream for a level preview (testing a microphone in
  the devices dialog): each block updates the meter and is dropped. No queue, no writer, no file:
  nothing is kept, and the stream is closed by :meth:`Recorder.stop_listening`.
* Half-duplex: while ``muted`` is set (Voxroom is speaking), captured frames are replaced by digital
  silence in the file (the default, ``muted_frames="silence"``) so the recording's timeline still
  matches the wall clock and the transcript's timestamps stay true, but the assistant's own voice
  never reaches the transcriber. ``muted_frames="drop"`` leaves them out entirely instead.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np

from tui.audio.clip import TRANSCRIBE_RATE, Clip, load_clip
from tui.audio.meter import LevelMeter, LevelSnapshot
from tui.audio.resample import StreamResampler
from tui.errors import AudioDeviceError, AudioInputError

PRIVATE_MODE = 0o600
PARTIAL_SUFFIX = ".partial"
"""Appended to a recording's file name while it is being written (``meeting.flac.partial``)."""
PREFERRED_RATE = 48_000


MutedPolicy = Literal["silence", "drop"]


class Recorder:
    """Records the room into a FLAC file (16 kHz, mono, 16-bit) while measuring its level.

    ``device`` is a name (case-insensitive substring), an index, or ``None``/``""`` for the default
    input. ``rate`` is the capture rate; ``None`` takes 48 kHz when the device accepts it, else the
    device's default rate.

    Thread model: :meth:`start`/:meth:`stop` from one controlling thread; the audio callback and the
    writer thread are internal. ``muted``, :attr:`level`, :attr:`elapsed`, :attr:`silence_seconds`
    and :attr:`overflows` may be read or set from any thread at any time.
    """

    def __init__(
        self,
        device: str | int | None = None,
        *,
        rate: int | None = None,
        target_rate: int = TRANSCRIBE_RATE,
        block_s: float = 0.02,
        latency: str | float = "high",
        muted_frames: MutedPolicy = "silence",
        silence_dbfs: float = -45.0,
        flush_every_s: float = 1.0,
        batch_s: float = 0.1,
        meter: LevelMeter | None = None,
        mute_tail_s: float = 0.5,
    ) -> None:
        if muted_frames not in ("silence", "drop"):
            raise ValueError("muted_frames must be 'silence' or 'drop'")
        self.device = device
        self.requested_rate = rate
        self.target_rate = target_rate
        self.block_s = block_s
        self.latency = latency
        self.muted_frames: MutedPolicy = muted_frames
        self.silence_dbfs = silence_dbfs
        self.flush_every_s = flush_every_s
        self.batch_s = batch_s
        self.meter = meter or LevelMeter()
        self.mute_tail_s = mute_tail_s
        self._muted = False
        self._mute_until = 0
        self.rate = 0
        self.channels = 1
        self.device_name = ""
        self.path: Path | None = None
        self.partial_path: Path | None = None
        self.error: BaseException | None = None
        self.on_flush: Callable[[float], None] | None = None
        """Called from the writer thread after each flush with the seconds of audio now on disk."""
        self.on_audio: Callable[[np.ndarray], None] | None = None
        self.listener_error: Exception | None = None
        """Why ``on_audio`` was dropped (it raised); the recording itself went on."""
        """Called from the writer thread with each batch of 16 kHz mono samples as it is written
        (e.g. to transcribe while the room is still speaking). Must not block for long."""
        self._stream: Any = None
        self._queue: queue.SimpleQueue[np.ndarray | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._wake = threading.Event()
        self._captured = 0
        self._muted_captured = 0
        self._written = 0
        self._silence_s = 0.0
        self._recording = False
        self._listening = False
        self._flushed_s = 0.0
        self._format: tuple[tuple[int, str, int | None], int, int] | None = None
        """(device index, device name, requested rate) -> the rate and channels it was opened with."""
        self._device_lock = threading.Lock()

    # -- state for the UI ------------------------------------------------------------------------
    @property
    def muted(self) -> bool:
        """Set while Voxroom speaks (half-duplex): captured frames are not written (see module doc).

        Clearing it keeps muting for ``mute_tail_s`` more seconds of audio, for the reply's last
        sound still travelling through the output and input buffers and the room.
        """
        return self._muted

    @muted.setter
    def muted(self, value: bool) -> None:
        if self._muted and not value:
            self._mute_until = self._captured + int(self.mute_tail_s * (self.rate or PREFERRED_RATE))
        self._muted = bool(value)

    @property
    def recording(self) -> bool:
        return self._recording

    @property
    def listening(self) -> bool:
        """A level preview runs (:meth:`listen`): the device is open, nothing is kept."""
        return self._listening

    @property
    def level(self) -> LevelSnapshot:
        return self.meter.snapshot()

    @property
    def overflows(self) -> int:
        return self.meter.snapshot().overflows

    @property
    def elapsed(self) -> float:
        """Seconds of audio captured since :meth:`start` (audio time, muted stretches included)."""
        return self._captured / self.rate if self.rate else 0.0

    @property
    def muted_seconds(self) -> float:
        return self._muted_captured / self.rate if self.rate else 0.0

    @property
    def written_seconds(self) -> float:
        """Seconds of 16 kHz audio handed to the FLAC encoder so far."""
        return self._written / self.target_rate

    @property
    def flushed_seconds(self) -> float:
        """Seconds of audio known to be on disk (as of the last flush)."""
        return self._flushed_s

    @property
    def silence_seconds(self) -> float:
        """Seconds of audio since the level was last above ``silence_dbfs`` (muted time excluded)."""
        return self._silence_s

    def auto_stop_reason(self, max_seconds: float | None = None, silence_seconds: float | None = None) -> str:
        """A short reason to stop now ("" when recording should go on); the caller polls this."""
        if not self._recording:
            return ""
        if max_seconds and self.elapsed >= max_seconds:
            return f"Stopped at the {_duration(max_seconds)} recording limit."
        if silence_seconds and self._silence_s >= silence_seconds:
            return f"Stopped after {_duration(silence_seconds)} of silence."
        return ""

    # -- control ---------------------------------------------------------------------------------
    def warm_up(self) -> None:
        """Pay the one-time costs of the first :meth:`start` now (at start-up), so a press only opens
        the input stream: import libsndfile and encode a few FLAC frames in memory, initialise
        PortAudio, resolve the device and the rate and channels it takes, design the resampler's
        filter. The microphone is not opened: nothing listens until asked (an input stream that is
        opened, even one not started, already holds it: PulseAudio counts it as a recording).

        Never raises: a device that fails here fails again, with its reason, when recording starts.
        """
        try:
            import soundfile as sf

            with sf.SoundFile(
                io.BytesIO(), "w", samplerate=self.target_rate, channels=1, format="FLAC", subtype="PCM_16"
            ) as scratch:
                scratch.write(np.zeros(self.target_rate // 10, np.float32))
            with self._device_lock:
                _, rate, _ = self._resolve_format()
            StreamResampler(rate, self.target_rate).process(np.zeros(960, np.float32))
        except Exception as err:
            logging.getLogger("voxroom").info("the microphone's warm-up did not finish: %s", err)

    def start(self, path: Path | str, *, open_stream: bool = True) -> Path:
        """Start the input stream and then the file ``<path>.partial``; returns the partial file's path.

        The stream starts first (the press is when the room starts speaking): its blocks are queued
        from the first callback and written once the file and the writer are ready, none dropped.
        ``open_stream=False`` opens no device: blocks then come only from :meth:`feed` (tests,
        benchmarks), at the rate given to the constructor (48 kHz if none).
        """
        if self._recording or self._listening:
            raise AudioInputError("Already recording.")
        import soundfile as sf

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + PARTIAL_SUFFIX)
        self.error = None
        self.meter.reset()
        self._queue = queue.SimpleQueue()
        self._wake = threading.Event()
        self._captured = self._muted_captured = self._written = self._mute_until = 0
        self._silence_s = self._flushed_s = 0.0
        if open_stream:
            self._open_stream()
        else:
            self.rate = int(self.requested_rate or PREFERRED_RATE)
            self.channels = 1
        self._recording = True  # from here the callback queues every block it gets
        if self._stream is not None:
            try:
                self._stream.start()
            except Exception as err:
                self._recording = False
                self._close_stream()
                self._format = None
                raise _device_error(err, self.device_name, "input") from None
        fd = -1
        try:
            # Private from its first byte: a recording is the room's conversation.
            fd = os.open(partial, os.O_RDWR | os.O_CREAT | os.O_TRUNC, PRIVATE_MODE)
            os.fchmod(fd, PRIVATE_MODE)
            sound_file = sf.SoundFile(
                fd,
                "w",
                closefd=True,
                samplerate=self.target_rate,
                channels=1,
                format="FLAC",
                subtype="PCM_16",
            )
        except (sf.LibsndfileError, RuntimeError, OSError) as err:
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._recording = False
            self._close_stream()
            raise AudioInputError(f"Cannot write the recording to {partial}: {err}.") from None
        self.path, self.partial_path = path, partial
        resampler = StreamResampler(self.rate, self.target_rate)
        self._writer = threading.Thread(
            target=self._write_loop, args=(sound_file, resampler), name="voxroom-recorder", daemon=True
        )
        self._writer.start()
        return partial

    def listen(self) -> None:
        """Open the input stream for a level preview: each block updates :attr:`meter` and is dropped
        (nothing is queued or written, no file is made). Raises :class:`AudioDeviceError` when the
        device cannot be opened; :meth:`stop_listening` closes it."""
        if self._recording or self._listening:
            raise AudioInputError("Already recording.")
        self.meter.reset()
        self._open_stream()
        self._listening = True  # from here the callback measures every block it gets
        try:
            self._stream.start()
        except Exception as err:
            self._listening = False
            self._close_stream()
            self._format = None
            raise _device_error(err, self.device_name, "input") from None

    def stop_listening(self) -> None:
        """Close the level preview's stream (nothing to do when none runs)."""
        if not self._listening:
            return
        try:
            self._close_stream()
        finally:
            self._listening = False

    def feed(self, block: np.ndarray) -> None:
        """Process one captured block exactly as the audio callback does (mono or frames x channels)."""
        block = np.asarray(block, dtype=np.float32)
        self._process(block if block.ndim == 1 else block.mean(axis=1, dtype=np.float32))

    def stop(self, *, load: bool = True) -> Clip:
        """Stop capturing, finish and close the FLAC file, rename it to its final name.

        Returns a :class:`Clip` with ``path`` set to the FLAC file; with ``load=False`` its samples
        are left empty (read them later with :func:`tui.audio.clip.load_clip`).
        """
        if not self._recording:
            raise AudioInputError("Not recording.")
        self._close_stream()
        self._recording = False
        self._signal_end()
        assert self._writer is not None
        self._writer.join()
        self._writer = None
        assert self.path is not None and self.partial_path is not None
        if self.error is not None:
            raise AudioInputError(
                f"The recording could not be written to disk: {self.error}.",
                hint=f"What was saved is in {self.partial_path}.",
            )
        os.replace(self.partial_path, self.path)
        if load:
            return load_clip(self.path)
        return Clip(None, self.target_rate, self.path)

    def close(self) -> None:
        """Release the input device. A recording still running is finished and kept, never deleted."""
        self.stop_listening()
        if self._recording:
            with contextlib.suppress(AudioInputError):
                self.stop(load=False)

    def cancel(self) -> None:
        """Stop and delete the recording."""
        if not self._recording:
            return
        self._close_stream()
        self._recording = False
        self._signal_end()
        if self._writer is not None:
            self._writer.join()
            self._writer = None
        if self.partial_path is not None:
            self.partial_path.unlink(missing_ok=True)

    # -- internals -------------------------------------------------------------------------------
    def _resolve_format(self) -> tuple[int, int, int]:
        """The device's index, and the rate and channels to open it with (kept from the last time
        while PortAudio lists the same device under that index: checking a format opens the device,
        a few ms each time)."""
        from tui.audio.devices import pick_channels, pick_rate, resolve_device

        dev = resolve_device(self.device, "input")
        self.device_name = dev.name
        key = (dev.index, dev.name, self.requested_rate)
        if self._format is not None and self._format[0] == key:
            return dev.index, self._format[1], self._format[2]
        rate = int(self.requested_rate or pick_rate(dev, "input"))
        channels = pick_channels(dev, "input", rate)
        self._format = (key, rate, channels)
        return dev.index, rate, channels

    def _open_stream(self) -> None:
        import sounddevice as sd

        with self._device_lock:
            cached = self._format is not None
            while True:
                index, self.rate, self.channels = self._resolve_format()
                try:
                    self._stream = sd.InputStream(
                        device=index,
                        samplerate=self.rate,
                        channels=self.channels,
                        dtype="float32",
                        blocksize=max(1, int(self.rate * self.block_s)),
                        latency=self.latency,
                        callback=self._callback,
                    )
                    return
                except Exception as err:
                    self._stream = None
                    self._format = None  # check the format again
                    if not cached:
                        raise _device_error(err, self.device_name, "input") from None
                    cached = False  # the kept format may be stale (rate changed in the sound settings)

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
            finally:
                stream.close()

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        if status.input_overflow:
            self.meter.add_overflow()
        mono = indata[:, 0].copy() if self.channels == 1 else indata.mean(axis=1, dtype=np.float32)
        self._process(mono)

    def _process(self, mono: np.ndarray) -> None:
        n = mono.size
        if self._listening:  # a level preview: measured, never kept
            self.meter.update(mono, duration=n / self.rate)
            return
        if not self._recording:
            return
        duration = n / self.rate
        self.meter.update(mono, duration=duration)
        self._captured += n
        if self._muted or self._captured - n < self._mute_until:
            self._muted_captured += n
            if self.muted_frames == "drop":
                return
            self._queue.put(np.zeros(n, dtype=np.float32))
            return
        if self.meter.snapshot().raw_rms_dbfs < self.silence_dbfs:
            self._silence_s += duration
        else:
            self._silence_s = 0.0
        self._queue.put(mono)

    def _signal_end(self) -> None:
        self._queue.put(None)
        self._wake.set()

    def _write_loop(self, sound_file: Any, resampler: StreamResampler) -> None:
        last_flush = time.monotonic()
        ended = False
        try:
            while not ended:
                self._wake.wait(self.batch_s)  # batch ~0.1 s of blocks per pass: few wake-ups
                blocks: list[np.ndarray] = []
                while True:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        ended = True
                        break
                    if item.size:
                        blocks.append(item)
                out = resampler.process(np.concatenate(blocks)) if blocks else np.zeros(0, np.float32)
                if ended:
                    out = np.concatenate((out, resampler.flush()))
                if out.size:
                    sound_file.write(np.clip(out, -1.0, 1.0))
                    self._written += out.size
                    listener = self.on_audio
                    if listener is not None:
                        try:
                            listener(out)
                        except Exception as err:  # live transcription failed: the recording goes on
                            self.on_audio = None
                            self.listener_error = err
                now = time.monotonic()
                if ended or now - last_flush >= self.flush_every_s:
                    sound_file.flush()
                    last_flush = now
                    self._flushed_s = self._written / self.target_rate
                    if self.on_flush is not None:
                        self.on_flush(self._flushed_s)
        except Exception as err:  # disk full, file removed...: reported by stop()
            self.error = err
            while not ended and self._queue.get() is not None:
                pass
        finally:
            try:
                sound_file.close()
            except Exception as err:
                self.error = self.error or err


def _duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{int(seconds // 3600)} h"
    if seconds >= 60:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def _device_error(err: BaseException, name: str, kind: str) -> AudioDeviceError:
    from tui.audio.devices import describe_portaudio_error

    return describe_portaudio_error(err, name, kind)
