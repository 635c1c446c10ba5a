"""What the room needs from its parts. The real ones live in :mod:`tui.audio`, :mod:`tui.turn`,
:mod:`tui.lifecycle` and :mod:`tui.stt`; test doubles in :mod:`tui.testing`. The turn runner has
one implementation, :class:`tui.turn.TurnRunner`, used as it is.

Nothing here imports numpy or an audio library, so the UI can import the level types at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

    from tui.audio.clip import Clip
    from tui.stt.base import LiveTranscription


class LevelLike(Protocol):
    """A level meter's reading (:class:`tui.audio.meter.LevelSnapshot` is one)."""

    @property
    def rms_dbfs(self) -> float: ...

    @property
    def peak_dbfs(self) -> float: ...

    @property
    def clipping(self) -> bool: ...

    @property
    def no_signal(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Level:
    """A fixed reading: silence by default (the floor is :data:`tui.audio.meter.FLOOR_DBFS`)."""

    rms_dbfs: float = -120.0
    peak_dbfs: float = -120.0
    clipping: bool = False
    no_signal: bool = True


SILENT = Level()


class Meter(Protocol):
    def snapshot(self) -> LevelLike: ...


AudioListener = Callable[["np.ndarray"], None]


class Recorder(Protocol):
    """Records into a file (:class:`tui.audio.capture.Recorder`). Raises AudioDeviceError when it cannot."""

    on_audio: AudioListener | None
    """Called with each 16 kHz mono block as it is captured (live transcription), on the audio thread."""

    @property
    def device_name(self) -> str: ...

    @property
    def meter(self) -> Meter: ...

    def start(self, path: Path) -> Path | None: ...

    def stop(self, *, load: bool = True) -> Clip: ...

    def auto_stop_reason(self, max_seconds: float | None = None, silence_seconds: float | None = None) -> str:
        """Why recording should stop now (length limit, long silence), or ``""``."""

    def close(self) -> None: ...


class Player(Protocol):
    """An audio sink with a meter and a playback position (:class:`tui.audio.player.Player`)."""

    @property
    def meter(self) -> Meter: ...

    @property
    def speaking(self) -> bool: ...

    @property
    def played_seconds(self) -> float: ...

    @property
    def device_name(self) -> str: ...

    def open(self, rate: int) -> None: ...

    def write(self, block: np.ndarray) -> None: ...

    def drain(self) -> None: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


LiveFactory = Callable[[], "LiveTranscription | None"]
