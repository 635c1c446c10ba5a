"""The Player on real PortAudio: barge-in, reuse after a stop, tags, callbacks."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from tests.audio.signals import peak_dbfs
from tui.audio.capture import Recorder
from tui.audio.clip import Clip
from tui.audio.player import Player
from tui.audio.sinks import AudioSink

pytestmark = pytest.mark.audio


def test_player_is_an_audio_sink() -> None:
    player: AudioSink = Player("virtual_speaker")
    assert not Player("virtual_speaker").speaking and player is not None


def test_barge_in_stops_playback_at_once(rec_dir: Path, endgame: Clip) -> None:
    """Play a 28 s, 24 kHz reply; stop it 1 s in; the speaker's monitor goes silent right away."""
    monitor = Recorder("virtual_speaker_monitor")
    heard_after_stop = threading.Event()
    stop_at: list[float] = []
    monitor.on_flush = lambda s: heard_after_stop.set() if stop_at and s > stop_at[0] + 1.2 else None
    monitor.start(rec_dir / "monitor.flac")

    started, finished = threading.Event(), threading.Event()
    interrupted: list[bool] = []
    player = Player(
        "virtual_speaker",
        on_started=started.set,
        on_finished=lambda i: (interrupted.append(i), finished.set()),
    )
    player.open(endgame.rate)
    for i in range(0, endgame.samples.size, 2400):
        player.write(endgame.samples[i : i + 2400], tag=i // 24000)
    assert started.wait(5)

    drained = threading.Event()
    drainer = threading.Thread(target=lambda: (player.drain(), drained.set()))
    drainer.start()
    tick, deadline = threading.Event(), time.monotonic() + 10
    while player.played_seconds < 1.0:  # let one second of the reply play
        assert time.monotonic() < deadline, "the reply never played a second"
        tick.wait(0.02)
    assert player.speaking and not drained.is_set()

    stop_at.append(monitor.elapsed)
    player.stop()
    assert drained.wait(1.0), "drain() did not return after stop()"
    drainer.join(1)
    assert finished.wait(2) and interrupted == [True]
    assert not player.speaking
    assert 0.5 < player.played_seconds < endgame.duration / 4
    player.write(endgame.samples[:24000])  # ignored after a stop, until the next open()
    assert player.queued_seconds == 0

    assert heard_after_stop.wait(5)
    clip = monitor.stop()
    player.close()
    cut = int(stop_at[0] * clip.rate)
    before, after = clip.samples[:cut], clip.samples[cut + int(0.25 * clip.rate) :]
    assert peak_dbfs(before) > -30  # the reply was heard...
    assert after.size > 0.5 * clip.rate and peak_dbfs(after) < -80  # ...and nothing 250 ms after the stop


def test_reuse_after_barge_in_and_tags(clone_test: Clip) -> None:
    finished: list[bool] = []
    done = threading.Event()
    player = Player("virtual_speaker", on_finished=lambda i: (finished.append(i), done.set()))
    player.open(clone_test.rate)
    player.write(clone_test.samples)
    player.stop()
    assert done.wait(2) and finished == [True]
    done.clear()

    player.open(clone_test.rate)
    half = clone_test.samples.size // 2
    player.write(clone_test.samples[:half], tag="first sentence")
    player.write(clone_test.samples[half:], tag="second sentence")
    player.drain()
    assert done.wait(2) and finished == [True, False]
    assert player.current_tag == "second sentence"
    assert player.played_seconds == pytest.approx(clone_test.duration, abs=0.01)
    # Writing after drain() starts a new utterance at the same rate.
    done.clear()
    player.write(clone_test.samples[:8000], tag="third")
    assert player.speaking
    player.drain()
    assert done.wait(2) and finished == [True, False, False]
    assert player.current_tag == "third"
    player.close()


def test_unknown_output_device() -> None:
    from tui.errors import AudioDeviceError

    with pytest.raises(AudioDeviceError, match="No output device named 'nowhere'"):
        Player("nowhere").open(24000)


def test_output_meter_moves_and_resets() -> None:
    player = Player("virtual_speaker")
    player.open(48000)
    tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(24000) / 48000)).astype(np.float32)
    player.write(tone)
    player.drain()
    level = player.level
    assert level.held_peak_dbfs == pytest.approx(-6.02, abs=0.1)
    assert level.blocks > 10
    player.open(48000)
    assert player.level.held_peak_dbfs < -100  # reset: only silence since open()
    player.close()
