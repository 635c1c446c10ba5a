"""Pure level maths: dBFS, ballistics, peak hold, clipping, no-signal, counters."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.audio.meter import (
    FLOOR_DBFS,
    LevelMeter,
    ballistic,
    block_levels,
    count_clipped,
    hold_peak,
    to_dbfs,
)

RATE = 48_000
BLOCK = 960  # 20 ms


def sine(amplitude: float, n: int = BLOCK, freq: float = 1000.0) -> np.ndarray:
    return (amplitude * np.sin(2 * np.pi * freq * np.arange(n) / RATE)).astype(np.float32)


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_dbfs_of_known_levels() -> None:
    assert to_dbfs(1.0) == 0.0
    assert to_dbfs(0.5) == pytest.approx(-6.0206, abs=1e-3)
    assert to_dbfs(0.0) == FLOOR_DBFS
    assert to_dbfs(float("nan")) == FLOOR_DBFS


def test_block_levels_of_a_sine() -> None:
    rms, peak = block_levels(sine(0.5, n=RATE))
    assert peak == pytest.approx(-6.02, abs=0.01)
    assert rms == pytest.approx(-6.02 - 3.01, abs=0.02)  # sine RMS = peak / sqrt(2)
    assert block_levels(np.zeros(0, np.float32)) == (FLOOR_DBFS, FLOOR_DBFS)
    assert block_levels(np.zeros(100, np.float32)) == (FLOOR_DBFS, FLOOR_DBFS)


def test_count_clipped() -> None:
    x = np.array([0.0, 0.5, 0.9995, -1.0, 1.2], np.float32)
    assert count_clipped(x) == 3
    assert count_clipped(np.zeros(10, np.float32)) == 0


def test_ballistic_attack_is_instant_by_default_and_release_is_linear() -> None:
    assert ballistic(-60.0, -10.0, 0.02, 0.0, 24.0) == -10.0
    assert ballistic(-10.0, -60.0, 0.5, 0.0, 24.0) == pytest.approx(-22.0)
    assert ballistic(-10.0, -15.0, 1.0, 0.0, 24.0) == -15.0  # never falls below the live level


def test_ballistic_attack_time_constant() -> None:
    level = ballistic(-60.0, 0.0, 0.01, 0.01, 24.0)  # one time constant: 63 % of the way
    assert level == pytest.approx(-60.0 + 60.0 * (1 - math.exp(-1)), abs=1e-9)
    assert ballistic(-60.0, 0.0, 0.0, 0.01, 24.0) == -60.0


@given(
    prev=st.floats(-120, 0),
    target=st.floats(-120, 0),
    dt=st.floats(0, 5),
    attack=st.floats(0, 1),
    release=st.floats(0.1, 100),
)
def test_ballistic_stays_between_previous_and_target(
    prev: float, target: float, dt: float, attack: float, release: float
) -> None:
    out = ballistic(prev, target, dt, attack, release)
    assert min(prev, target) - 1e-9 <= out <= max(prev, target) + 1e-9


def test_peak_hold_holds_then_falls() -> None:
    held, age = hold_peak(FLOOR_DBFS, 0.0, -6.0, 0.02, 1.5, 20.0)
    assert (held, age) == (-6.0, 0.0)
    held, age = hold_peak(held, age, -40.0, 1.0, 1.5, 20.0)
    assert held == -6.0  # within the hold time
    held, age = hold_peak(held, age, -40.0, 1.0, 1.5, 20.0)  # 0.5 s past the hold
    assert held == pytest.approx(-16.0)
    held, age = hold_peak(held, age, -40.0, 10.0, 1.5, 20.0)
    assert held == -40.0  # never below the live peak
    assert hold_peak(-20.0, 3.0, -3.0, 0.02, 1.5, 20.0) == (-3.0, 0.0)  # a new peak restarts it


def test_meter_follows_blocks_and_counts_clipping() -> None:
    clock = Clock()
    meter = LevelMeter(clock=clock, clip_hold_s=1.0)
    assert meter.snapshot().updated_at == 0.0
    meter.update(sine(0.5))
    snap = meter.snapshot()
    assert snap.raw_peak_dbfs == pytest.approx(-6.02, abs=0.05)
    assert snap.peak_dbfs == snap.raw_peak_dbfs and snap.held_peak_dbfs == snap.raw_peak_dbfs
    assert not snap.clipping and snap.clip_count == 0 and snap.updated_at == clock.t

    clock.t += 0.02
    meter.update(sine(1.0))
    assert meter.snapshot().clipping and meter.snapshot().clip_count == 1
    clock.t += 0.5
    meter.update(sine(0.1))
    assert meter.snapshot().clipping  # held for clip_hold_s
    clock.t += 0.6
    meter.update(sine(0.1))
    snap = meter.snapshot()
    assert not snap.clipping and snap.clip_count == 1
    assert snap.held_peak_dbfs > snap.raw_peak_dbfs  # peak hold still above the quiet block
    with pytest.raises(dataclasses.FrozenInstanceError):
        snap.clipping = True  # type: ignore[misc]


def test_meter_no_signal_after_three_seconds_of_silence() -> None:
    clock = Clock()
    meter = LevelMeter(clock=clock, no_signal_s=3.0)
    silence = np.zeros(BLOCK, np.float32)
    for _ in range(149):  # 2.98 s
        clock.t += 0.02
        meter.update(silence, duration=BLOCK / RATE)
    assert not meter.snapshot().no_signal
    clock.t += 0.02
    meter.update(silence, duration=BLOCK / RATE)
    assert meter.snapshot().no_signal
    assert meter.quiet_seconds == pytest.approx(3.0)
    meter.update(sine(0.1), duration=BLOCK / RATE)
    assert not meter.snapshot().no_signal and meter.quiet_seconds == 0.0
    assert meter.signal_seconds == pytest.approx(0.02)


def test_meter_overflow_counter_and_reset() -> None:
    meter = LevelMeter()
    meter.add_overflow()
    meter.add_overflow(2)
    assert meter.snapshot().overflows == 3
    meter.update(sine(0.2))
    assert meter.snapshot().overflows == 3 and meter.snapshot().blocks == 1
    meter.reset()
    snap = meter.snapshot()
    assert snap.overflows == 0 and snap.blocks == 0 and snap.rms_dbfs == FLOOR_DBFS


def test_meter_release_after_signal_stops() -> None:
    clock = Clock()
    meter = LevelMeter(clock=clock, release_db_per_s=24.0)
    meter.update(sine(1.0 / math.sqrt(2) * 0.5))
    loud = meter.snapshot().rms_dbfs
    clock.t += 0.25
    meter.update(np.zeros(BLOCK, np.float32))
    assert meter.snapshot().rms_dbfs == pytest.approx(loud - 6.0)
