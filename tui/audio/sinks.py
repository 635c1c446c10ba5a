"""Where spoken replies go: the :class:`AudioSink` interface and the file / memory sinks.

The real-time sounddevice player lives in :mod:`tui.audio.player` and implements the same interface.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol

import numpy as np


class AudioSink(Protocol):
    """Receives float32 mono PCM blocks. ``write`` must not block for long (it queues)."""

    def open(self, rate: int) -> None: ...

    def write(self, block: np.ndarray) -> None: ...

    def drain(self) -> None:
        """Block until everything written has been played (or written out)."""

    def stop(self) -> None:
        """Drop everything queued at once (barge-in)."""

    def close(self) -> None: ...


class MemorySink:
    """Keeps every block; used for ``--no-play`` and to save the reply audio to the session."""

    def __init__(self) -> None:
        self.rate = 0
        self.blocks: list[np.ndarray] = []
        self.stopped = threading.Event()

    def open(self, rate: int) -> None:
        if self.rate and rate != self.rate:
            raise ValueError(f"sink opened at {self.rate} Hz, then asked for {rate} Hz")
        self.rate = rate

    def write(self, block: np.ndarray) -> None:
        if not self.stopped.is_set():
            self.blocks.append(np.asarray(block, dtype=np.float32).reshape(-1))

    def drain(self) -> None:
        return None

    def stop(self) -> None:
        self.stopped.set()

    def close(self) -> None:
        return None

    @property
    def samples(self) -> np.ndarray:
        return np.concatenate(self.blocks) if self.blocks else np.zeros(0, np.float32)

    @property
    def duration(self) -> float:
        return len(self.samples) / self.rate if self.rate else 0.0

    def save(self, path: Path) -> Path:
        import soundfile as sf

        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(path), np.clip(self.samples, -1, 1), self.rate or 24000, subtype="PCM_16")
        return path


class TeeSink:
    """Sends every call to several sinks (e.g. the speaker and a :class:`MemorySink`)."""

    def __init__(self, *sinks: AudioSink) -> None:
        self.sinks = sinks

    def open(self, rate: int) -> None:
        for s in self.sinks:
            s.open(rate)

    def write(self, block: np.ndarray) -> None:
        for s in self.sinks:
            s.write(block)

    def drain(self) -> None:
        for s in self.sinks:
            s.drain()

    def stop(self) -> None:
        for s in self.sinks:
            s.stop()

    def close(self) -> None:
        for s in self.sinks:
            s.close()
