"""Level maths for the input and output meters: pure functions plus a lock-free :class:`LevelMeter`.

Everything here is plain numpy and arithmetic so it can run inside a PortAudio callback: no locks,
no I/O, no allocation beyond a few floats and one small frozen snapshot per block.

Ballistics (what the bar shows, not what the signal is):

* attack: the displayed level rises towards a louder block with time constant ``attack_s``
  (0 = instantly, which is what a peak meter does);
* release: it falls at ``release_db_per_s`` (a constant dB rate, like a PPM's fall-back);
* peak hold: the highest peak stays put for ``hold_s``, then falls at the release rate.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

FLOOR_DBFS = -120.0
"""The lowest level reported; digital silence shows as this instead of -inf."""
CLIP_LEVEL = 0.999
"""A sample at or above this magnitude counts as clipping (about -0.01 dBFS)."""


def to_dbfs(value: float) -> float:
    """Amplitude (1.0 = full scale) to dBFS, floored at :data:`FLOOR_DBFS`."""
    if value <= 0.0 or not math.isfinite(value):
        return FLOOR_DBFS
    return max(FLOOR_DBFS, 20.0 * math.log10(value))


def block_levels(block: np.ndarray) -> tuple[float, float]:
    """RMS and peak of one block, both in dBFS. Empty blocks are silence."""
    if block.size == 0:
        return FLOOR_DBFS, FLOOR_DBFS
    x = block.reshape(-1)
    peak = float(np.max(np.abs(x)))
    rms = math.sqrt(float(np.dot(x, x)) / x.size)
    return to_dbfs(rms), to_dbfs(peak)


def frame_rms(block: np.ndarray, frame: int) -> np.ndarray:
    """RMS of each ``frame``-sample frame of a block (the last one may be shorter; NaN stays NaN)."""
    whole = block.size // frame * frame
    parts = [np.sqrt(np.mean(np.square(block[:whole], dtype=np.float64).reshape(-1, frame), axis=1))]
    if whole < block.size:
        parts.append(np.sqrt(np.mean(np.square(block[whole:], dtype=np.float64), keepdims=True)))
    return np.concatenate(parts)


SPEECH_FLOOR = 0.01
"""A frame quieter than this (RMS, about -40 dBFS) is never counted as speech."""
SPEECH_RELATIVE = 0.1
"""... nor one quieter than this fraction of the loudest frame (20 dB down)."""


def is_loud(rms: np.ndarray, peak: float) -> np.ndarray:
    """Which frames sound like speech: at least :data:`SPEECH_FLOOR` and :data:`SPEECH_RELATIVE` of
    ``peak`` (the loudest frame heard). A NaN frame counts as loud (never as quiet)."""
    return ~(rms < max(SPEECH_FLOOR, SPEECH_RELATIVE * peak))


def count_clipped(block: np.ndarray, level: float = CLIP_LEVEL) -> int:
    """How many samples of ``block`` sit at or beyond ``level`` (full scale by default)."""
    if block.size == 0:
        return 0
    return int(np.count_nonzero(np.abs(block) >= level))


def ballistic(
    previous_db: float, target_db: float, dt: float, attack_s: float, release_db_per_s: float
) -> float:
    """The displayed level after ``dt`` seconds, moving from ``previous_db`` towards ``target_db``.

    Rising uses an exponential attack with time constant ``attack_s`` (0 jumps at once); falling
    drops linearly at ``release_db_per_s`` but never below the target.
    """
    if target_db >= previous_db:
        if attack_s <= 0.0:
            return target_db
        if dt <= 0.0:
            return previous_db
        alpha = 1.0 - math.exp(-dt / attack_s)
        return previous_db + (target_db - previous_db) * alpha
    return max(target_db, previous_db - release_db_per_s * max(dt, 0.0))


def hold_peak(
    held_db: float, held_age_s: float, peak_db: float, dt: float, hold_s: float, release_db_per_s: float
) -> tuple[float, float]:
    """Peak-hold step: returns the new ``(held_db, held_age_s)``.

    A new peak at or above the held one replaces it and restarts the hold; otherwise the held value
    stays for ``hold_s`` seconds and then falls at ``release_db_per_s`` (never below the live peak).
    """
    if peak_db >= held_db:
        return peak_db, 0.0
    age = held_age_s + max(dt, 0.0)
    if age <= hold_s:
        return held_db, age
    falling = min(age - hold_s, max(dt, 0.0))
    return max(peak_db, held_db - release_db_per_s * falling), age


@dataclass(frozen=True)
class LevelSnapshot:
    """What a meter shows at one moment. All levels in dBFS (``FLOOR_DBFS`` for silence)."""

    rms_dbfs: float = FLOOR_DBFS
    """Ballistic RMS level (what the bar shows)."""
    peak_dbfs: float = FLOOR_DBFS
    """Ballistic peak level."""
    held_peak_dbfs: float = FLOOR_DBFS
    """The peak-hold marker."""
    clipping: bool = False
    """A clipped sample was seen within the last ``clip_hold_s`` seconds."""
    no_signal: bool = False
    """The RMS level stayed below the no-signal floor for ``no_signal_s`` seconds (3 s by default)."""
    overflows: int = 0
    """Input overflows (or output underflows, for an output meter) counted so far."""
    clip_count: int = 0
    """Blocks that contained at least one clipped sample."""
    updated_at: float = 0.0
    """``time.monotonic()`` of the last update; 0 if never updated."""
    raw_rms_dbfs: float = FLOOR_DBFS
    """RMS of the last block itself, without ballistics."""
    raw_peak_dbfs: float = FLOOR_DBFS
    """Peak of the last block itself, without ballistics."""
    blocks: int = 0
    """Blocks measured so far."""


class LevelMeter:
    """Level meter fed from an audio callback thread, read from any other thread.

    ``update(block)`` is called by the audio thread; it never takes a lock: it computes a handful of
    floats and replaces one reference to a frozen :class:`LevelSnapshot` (an atomic assignment in
    CPython). Readers call :meth:`snapshot` as often as they like (the UI polls it 20-30 times a
    second).
    """

    def __init__(
        self,
        *,
        attack_s: float = 0.0,
        release_db_per_s: float = 24.0,
        hold_s: float = 1.5,
        no_signal_dbfs: float = -65.0,
        no_signal_s: float = 3.0,
        clip_hold_s: float = 1.0,
        clip_level: float = CLIP_LEVEL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.attack_s = attack_s
        self.release_db_per_s = release_db_per_s
        self.hold_s = hold_s
        self.no_signal_dbfs = no_signal_dbfs
        self.no_signal_s = no_signal_s
        self.clip_hold_s = clip_hold_s
        self.clip_level = clip_level
        self._clock = clock
        self.reset()

    def reset(self) -> None:
        """Back to silence with zeroed counters (call before a new recording)."""
        self._snap = LevelSnapshot()
        self._held_age = 0.0
        self._last_clip_at = -math.inf
        self._quiet_since: float | None = None
        self._started_at: float | None = None
        self._overflows = 0
        self._clip_count = 0
        self._blocks = 0
        self._signal_seconds = 0.0
        self._quiet_seconds = 0.0

    # -- writer side (audio thread) ------------------------------------------------------------
    def add_overflow(self, n: int = 1) -> None:
        self._overflows += n
        self._snap = dataclasses.replace(self._snap, overflows=self._overflows)

    def update(self, block: np.ndarray, now: float | None = None, duration: float | None = None) -> None:
        """Measure one block. ``duration`` (seconds of audio in the block) drives the no-signal and
        silence timers; without it the wall-clock gap since the last update is used."""
        if now is None:
            now = self._clock()
        prev = self._snap
        dt = (now - prev.updated_at) if prev.updated_at else 0.0
        if duration is None:
            duration = dt
        raw_rms, raw_peak = block_levels(block)
        rms = ballistic(prev.rms_dbfs, raw_rms, dt or 1.0, self.attack_s, self.release_db_per_s)
        peak = ballistic(prev.peak_dbfs, raw_peak, dt or 1.0, 0.0, self.release_db_per_s)
        held, self._held_age = hold_peak(
            prev.held_peak_dbfs, self._held_age, raw_peak, dt, self.hold_s, self.release_db_per_s
        )
        if count_clipped(block, self.clip_level):
            self._clip_count += 1
            self._last_clip_at = now
        if self._started_at is None:
            self._started_at = now
        if raw_rms < self.no_signal_dbfs:
            self._quiet_seconds += duration
        else:
            self._quiet_seconds = 0.0
            self._signal_seconds += duration
        self._blocks += 1
        self._snap = LevelSnapshot(
            rms_dbfs=rms,
            peak_dbfs=peak,
            held_peak_dbfs=held,
            clipping=(now - self._last_clip_at) <= self.clip_hold_s,
            no_signal=self._quiet_seconds >= self.no_signal_s,
            overflows=self._overflows,
            clip_count=self._clip_count,
            updated_at=now,
            raw_rms_dbfs=raw_rms,
            raw_peak_dbfs=raw_peak,
            blocks=self._blocks,
        )

    # -- reader side ---------------------------------------------------------------------------
    def snapshot(self) -> LevelSnapshot:
        """The latest values; never blocks."""
        return self._snap

    @property
    def quiet_seconds(self) -> float:
        """Seconds of audio (not wall time) since the level last rose above the no-signal floor."""
        return self._quiet_seconds

    @property
    def signal_seconds(self) -> float:
        """Seconds of audio measured above the no-signal floor so far."""
        return self._signal_seconds
