"""The Recorder's processing path without a device (``open_stream=False`` + ``feed``): the same code
the PortAudio callback runs, so these checks are exact and fast."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tui.audio.capture import PARTIAL_SUFFIX, Recorder
from tui.errors import AudioInputError

RATE = 48_000
BLOCK = 960


def tone(seconds: float, amplitude: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * 300 * t)).astype(np.float32)


def feed(rec: Recorder, samples: np.ndarray) -> None:
    for i in range(0, len(samples), BLOCK):
        rec.feed(samples[i : i + BLOCK])


def longest_quiet_run(x: np.ndarray, level: float = 1e-3) -> int:
    quiet = np.concatenate(([0], (np.abs(x) < level).astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(quiet))
    return int(np.max(edges[1::2] - edges[::2])) if edges.size else 0


def test_fed_audio_lands_in_the_file_at_16k(rec_dir: Path) -> None:
    rec = Recorder(rate=RATE)
    partial = rec.start(rec_dir / "fed.flac", open_stream=False)
    assert partial.name == "fed.flac" + PARTIAL_SUFFIX
    signal = tone(2.0)
    feed(rec, signal)
    feed(rec, np.stack([signal, signal], axis=1)[: RATE // 2])  # stereo blocks are mixed down
    clip = rec.stop()
    assert clip.rate == 16000 and clip.samples.size == int(2.5 * 16000)
    assert rec.elapsed == pytest.approx(2.5)
    expected = (0.3 * np.sin(2 * np.pi * 300 * np.arange(16000) / 16000))[100:15900]
    assert np.max(np.abs(clip.samples[100:15900] - expected)) < 2e-3  # 16-bit FLAC of the tone
    assert rec.level.blocks == 125 and rec.level.raw_peak_dbfs == pytest.approx(-10.46, abs=0.05)


def test_silence_and_auto_stop_hooks(rec_dir: Path) -> None:
    rec = Recorder(rate=RATE, silence_dbfs=-45.0)
    assert rec.auto_stop_reason(1.0, 1.0) == ""  # not recording
    rec.start(rec_dir / "quiet.flac", open_stream=False)
    feed(rec, tone(1.0))
    assert rec.silence_seconds == 0.0
    feed(rec, np.zeros(3 * RATE, np.float32))
    assert rec.silence_seconds == pytest.approx(3.0)
    assert rec.level.no_signal  # 3 s below the meter's floor
    assert rec.auto_stop_reason(max_seconds=3600, silence_seconds=600) == ""
    assert rec.auto_stop_reason(silence_seconds=2.0) == "Stopped after 2 s of silence."
    assert rec.auto_stop_reason(max_seconds=4.0) == "Stopped at the 4 s recording limit."
    assert rec.auto_stop_reason(max_seconds=4 * 3600.0) == ""
    feed(rec, tone(0.1))
    assert rec.silence_seconds == 0.0 and not rec.level.no_signal
    rec.stop(load=False)


@pytest.mark.parametrize("policy", ["silence", "drop"])
def test_muted_frames_are_not_written(rec_dir: Path, policy: str) -> None:
    rec = Recorder(rate=RATE, muted_frames=policy, mute_tail_s=0.2)  # type: ignore[arg-type]
    rec.start(rec_dir / "m.flac", open_stream=False)
    feed(rec, tone(1.0, 0.1))
    rec.muted = True
    feed(rec, tone(1.0, 0.5))  # Voxroom speaking, loud in the mic
    rec.muted = False
    assert not rec.muted
    feed(rec, tone(0.2, 0.5))  # its echo during the tail: still muted
    feed(rec, tone(1.0, 0.1))
    clip = rec.stop()
    assert rec.muted_seconds == pytest.approx(1.2)
    assert rec.elapsed == pytest.approx(3.2)
    assert clip.samples.max() < 0.11  # the loud part never reached the file
    if policy == "silence":
        assert clip.duration == pytest.approx(3.2)
        muted_part = clip.samples[int(1.01 * 16000) : int(2.19 * 16000)]
        assert not np.any(muted_part)
    else:
        assert clip.duration == pytest.approx(2.0)
        assert longest_quiet_run(clip.samples) < 20  # no silent gap either


def test_start_twice_and_stop_when_idle_are_errors(rec_dir: Path) -> None:
    rec = Recorder(rate=RATE)
    with pytest.raises(AudioInputError, match="Not recording"):
        rec.stop()
    rec.start(rec_dir / "x.flac", open_stream=False)
    with pytest.raises(AudioInputError, match="Already recording"):
        rec.start(rec_dir / "y.flac", open_stream=False)
    rec.stop(load=False)
    with pytest.raises(ValueError):
        Recorder(muted_frames="loud")  # type: ignore[arg-type]


def test_unwritable_folder_is_a_clear_error(rec_dir: Path) -> None:
    blocker = rec_dir / "file"
    blocker.write_text("not a folder")
    with pytest.raises((AudioInputError, OSError)):
        Recorder(rate=RATE).start(blocker / "x.flac", open_stream=False)


def test_flushed_to_disk_while_recording(rec_dir: Path) -> None:
    import threading

    rec = Recorder(rate=RATE, flush_every_s=0.2)
    flushed = threading.Event()
    seen: list[float] = []
    rec.on_flush = lambda s: (seen.append(s), flushed.set() if s >= 1.0 else None)
    partial = rec.start(rec_dir / "f.flac", open_stream=False)
    feed(rec, tone(2.0))
    assert flushed.wait(5)
    # While still recording, the partial file already holds (most of) that audio.
    assert partial.stat().st_size > 10_000
    assert sf.info(str(partial)).samplerate == 16000
    rec.stop(load=False)
    assert seen == sorted(seen) and seen[-1] == pytest.approx(2.0)


def test_the_partial_recording_is_private_from_its_first_byte(rec_dir: Path) -> None:
    import os
    import stat

    (rec_dir / "open.flac.partial").write_bytes(b"left by someone else")
    (rec_dir / "open.flac.partial").chmod(0o644)
    old = os.umask(0o022)
    try:
        rec = Recorder(rate=RATE)
        partial = rec.start(rec_dir / "open.flac", open_stream=False)
        assert stat.S_IMODE(partial.stat().st_mode) == 0o600
        feed(rec, tone(0.5))
        clip = rec.stop()
    finally:
        os.umask(old)
    assert stat.S_IMODE((rec_dir / "open.flac").stat().st_mode) == 0o600
    assert clip.duration > 0.4
