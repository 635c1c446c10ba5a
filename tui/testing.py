"""Test doubles for the room's ports, for tests, demos and benchmarks (never used by the app itself).

- :class:`FileRecorder` "records" an audio file: the room's recorder without a microphone.
- :class:`FixedMeter` always shows one level (snapshots, screenshots).
- :class:`FixedPreview` is the devices dialog's level preview showing one level (no device opened).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tui.errors import AudioDeviceError
from tui.room.ports import SILENT, LevelLike

if TYPE_CHECKING:
    import numpy as np

    from tui.audio.clip import Clip
    from tui.audio.meter import LevelMeter


class FixedMeter:
    """Always shows the same level (snapshot tests, screenshots)."""

    def __init__(self, level: LevelLike = SILENT) -> None:
        self.level = level

    def snapshot(self) -> LevelLike:
        return self.level


class FixedPreview:
    """The devices dialog's level preview with one fixed level: opens nothing (snapshot tests)."""

    def __init__(self, level: LevelLike = SILENT) -> None:
        self.level = level
        self.devices: list[str] = []
        self.closed = False

    def listen(self, device: str) -> str:
        self.devices.append(device)
        return ""

    def close(self) -> None:
        self.closed = True


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

        # At the rate the real recorder delivers (16 kHz mono), so live transcription sees the same.
        self._clip = (source if isinstance(source, Clip) else load_clip(source)).at_rate()
        self.realtime = realtime
        self.loop = loop
        self._device = device
        self._meter = LevelMeter()
        self._path: Path | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._heard = 0
        self._heard_changed = threading.Condition()
        self._fed = 0
        self.recordings = 0
        self.on_audio: Callable[[np.ndarray], None] | None = None
        """Called with each block as it is "heard" (live transcription), like the real recorder's."""

    @property
    def device_name(self) -> str:
        return self._device

    @property
    def meter(self) -> LevelMeter:
        """A :class:`tui.audio.meter.LevelMeter`, fed with each block as it is "heard"."""
        return self._meter

    @property
    def recording(self) -> bool:
        return self._path is not None

    def close(self) -> None:
        if self._path is not None:
            self.stop(load=False)

    def start(self, path: Path) -> Path:
        if self._path is not None:
            raise AudioDeviceError("The recorder is already recording.")
        self._path = Path(path)
        self._heard = 0
        self._fed = 0
        self._stop.clear()
        self.recordings += 1
        self._thread = threading.Thread(target=self._stream, name="voxroom-file-recorder", daemon=True)
        self._thread.start()
        return self._path

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
            listener = self.on_audio
            if listener is not None and (self.loop or pos < total):
                listener(block)
                self._fed = pos + n
            pos += n
            with self._heard_changed:
                self._heard = pos if self.loop else min(pos, total)
                self._heard_changed.notify_all()
            # Pace the meter at the file's own rate (wall clock), waking at once on stop().
            next_at = t0 + pos / rate if self.realtime else time.monotonic() + self.block_seconds
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def wait_heard(self, seconds: float, timeout: float) -> bool:
        """Block until ``seconds`` of the file have been "heard" in this recording (False on
        timeout)."""
        target = min(int(seconds * self._clip.rate), len(self._clip.samples))
        with self._heard_changed:
            return self._heard_changed.wait_for(lambda: self._heard >= target, timeout)

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
        listener = self.on_audio
        if listener is not None and not self.realtime:  # the rest of the file, as if heard at once
            for at in range(min(self._fed, len(samples)), len(samples), 16_000):
                listener(samples[at : at + 16_000])
        clip = Clip(
            np.resize(samples, heard) if heard > len(samples) else samples[:heard].copy(), self._clip.rate
        )
        return _write_flac(clip, path)


def _write_flac(clip: Clip, path: Path) -> Clip:
    from tui.audio.clip import Clip, write_flac

    path.parent.mkdir(parents=True, exist_ok=True)
    small = clip.at_rate()
    write_flac(path, small.samples, small.rate)
    return Clip(small.samples, small.rate, path)
