"""A recording process killed with SIGKILL leaves a file that recovery turns into a valid recording."""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.audio.env import REPO
from tests.audio.signals import align
from tui.audio.capture import Recorder
from tui.audio.clip import Clip, load_clip
from tui.audio.player import Player
from tui.audio.recovery import find_unfinished, recover, recover_all
from tui.errors import AudioInputError

pytestmark = pytest.mark.audio


def test_kill_9_mid_recording_then_recover(rec_dir: Path, beckett: Clip) -> None:
    target = rec_dir / "meeting.flac"
    child = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("record_child.py")), "virtual_mic", str(target)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    player = Player("virtual_mic_feed")
    flushed = 0.0
    try:
        assert child.stdout is not None
        first = child.stdout.readline()
        assert first.startswith("started "), first
        partial = Path(first.split(" ", 1)[1].strip())
        player.open(beckett.rate)
        player.write(beckett.samples)
        for line in child.stdout:  # wait for 4 s of audio flushed to disk, then kill -9
            flushed = float(line.split()[1])
            if flushed >= 4.0:
                break
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(5) == -signal.SIGKILL
    finally:
        player.stop()
        player.close()
        if child.poll() is None:
            child.kill()
            child.wait()

    assert not target.exists() and partial.exists()
    with pytest.raises((ValueError, sf.LibsndfileError)):  # libsndfile alone cannot read it back
        sf.read(str(partial))
    assert find_unfinished(rec_dir) == [partial]

    result = recover(partial)
    assert result.path == target and result.source == partial and not partial.exists()
    assert find_unfinished(rec_dir) == []
    info = sf.info(str(target))
    assert (info.format, info.samplerate, info.channels) == ("FLAC", 16000, 1)
    clip = load_clip(target)
    assert clip.duration == pytest.approx(result.duration)
    assert result.duration >= flushed - 0.3  # at most one unfinished FLAC frame (0.26 s) lost
    # What was recovered is the speech that was playing into the mic.
    _, corr = align(clip.samples, beckett.samples)
    assert corr > 0.9
    assert float(np.max(np.abs(clip.samples))) > 0.05


def test_clean_stop_leaves_nothing_to_recover(rec_dir: Path) -> None:
    rec = Recorder("virtual_mic")
    rec.start(rec_dir / "clean.flac")
    rec.stop(load=False)
    assert find_unfinished(rec_dir) == []
    assert (rec_dir / "clean.flac").exists()


def test_recover_a_wav_whose_header_sizes_are_zero(rec_dir: Path) -> None:
    samples = (0.25 * np.sin(np.arange(16000 * 2) * 0.07)).astype(np.float32)
    path = rec_dir / "crashed.wav"
    sf.write(str(path), samples, 16000, subtype="PCM_16")
    raw = bytearray(path.read_bytes())
    data_at = raw.index(b"data")
    raw[4:8] = struct.pack("<I", 0)
    raw[data_at + 4 : data_at + 8] = struct.pack("<I", 0)
    path.write_bytes(bytes(raw[:-3]))  # and cut mid-sample, as a kill would
    sf.write(str(rec_dir / "fine.wav"), samples, 16000, subtype="PCM_16")
    assert sf.info(str(path)).frames == 0

    assert find_unfinished(rec_dir) == [path]
    result = recover(path)
    assert result.path == path
    assert result.duration == pytest.approx((samples.size - 2) / 16000)
    data, rate = sf.read(str(path), dtype="float32")
    assert rate == 16000 and np.max(np.abs(data - samples[: data.size])) < 1e-4
    assert find_unfinished(rec_dir) == []


def test_recovering_nothing_says_so(rec_dir: Path) -> None:
    empty = rec_dir / "empty.flac.partial"
    empty.write_bytes(b"")
    with pytest.raises(AudioInputError, match="empty"):
        recover(empty)
    junk = rec_dir / "junk.flac.partial"
    junk.write_bytes(b"not audio at all")
    with pytest.raises(AudioInputError, match="not a FLAC or WAV"):
        recover(junk)
    header_only = rec_dir / "header.flac.partial"
    with sf.SoundFile(str(rec_dir / "x.flac"), "w", 16000, 1, format="FLAC") as f:
        f.write(np.zeros(16000, np.float32))
    header_only.write_bytes((rec_dir / "x.flac").read_bytes()[:42])  # STREAMINFO only
    with pytest.raises(AudioInputError):
        recover(header_only)
    assert set(find_unfinished(rec_dir)) == {empty, junk, header_only}


def test_recover_all_repairs_what_it_can(rec_dir: Path) -> None:
    good = rec_dir / "s1" / "turn-1.flac.partial"
    good.parent.mkdir()
    with sf.SoundFile(str(rec_dir / "src.flac"), "w", 16000, 1, format="FLAC", subtype="PCM_16") as f:
        f.write((0.2 * np.sin(np.arange(32000) * 0.05)).astype(np.float32))
    good.write_bytes((rec_dir / "src.flac").read_bytes())
    bad = rec_dir / "s2.flac.partial"
    bad.write_bytes(b"")
    done, failed = recover_all(rec_dir)
    assert [r.path for r in done] == [rec_dir / "s1" / "turn-1.flac"]
    assert done[0].duration == pytest.approx(2.0)
    assert [p for p, _ in failed] == [bad] and "empty" in str(failed[0][1])
    assert find_unfinished(rec_dir) == [bad]
