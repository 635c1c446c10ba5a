"""Half-duplex: while Voxroom speaks, what the microphone picks up is not written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.audio.signals import align, peak_dbfs
from tui.audio.capture import Recorder
from tui.audio.clip import Clip
from tui.audio.player import Player

pytestmark = pytest.mark.audio


def speak(player: Player, clip: Clip) -> None:
    player.open(clip.rate)
    player.write(clip.samples)
    player.drain()


@pytest.mark.parametrize("policy", ["silence", "drop"])
def test_own_voice_is_not_recorded(rec_dir: Path, beckett: Clip, clone_test: Clip, policy: str) -> None:
    rec = Recorder("virtual_mic", muted_frames=policy)  # type: ignore[arg-type]
    rec.start(rec_dir / "turn.flac")
    # Voxroom answers through the (virtual) speaker, which the (virtual) mic hears.
    assistant = Player("virtual_mic_feed", mutes=rec)
    speak(assistant, clone_test)
    assert not rec.muted  # unmuted once the reply and its tail have been played
    assistant.close()
    assert rec.muted_seconds >= clone_test.duration
    # Then a person in the room speaks: this must be recorded.
    person = Player("virtual_mic_feed")
    person_clip = Clip(beckett.samples[: 3 * beckett.rate], beckett.rate)
    speak(person, person_clip)
    person.close()
    clip = rec.stop()

    assert rec.overflows == 0
    if policy == "silence":
        assert clip.duration == pytest.approx(rec.elapsed, abs=0.01)  # timeline kept
        assert clip.duration > clone_test.duration + person_clip.duration
    else:  # muted part left out
        assert clip.duration == pytest.approx(rec.elapsed - rec.muted_seconds, abs=0.01)
        assert clip.duration < rec.elapsed - clone_test.duration
    lag, corr_person = align(clip.samples, person_clip.samples)
    assert corr_person > 0.9
    before = clip.samples[: max(0, lag - 160)]  # everything up to 10 ms before the person speaks
    assert peak_dbfs(before) < -80, "the assistant's own voice leaked into the recording"
    _, corr_own = align(clip.samples, clone_test.samples)
    assert corr_own < 0.3
    assert np.max(np.abs(clip.samples)) > 0.05
