"""``voxroom ask`` speaks through real PortAudio: recorded back from the virtual speaker's monitor."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.audio.env import ensure_audio
from tests.conftest import clip_path
from tests.standin import MistralStandIn, Reply
from tui.cli import main

pytestmark = pytest.mark.audio

ensure_audio()


def test_ask_plays_the_reply_on_the_output_device(
    mistral_env: MistralStandIn, isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sounddevice as sd

    mistral_env.script(Reply(text="One short sentence. And a second one."))
    blocks: list[np.ndarray] = []
    first_block = threading.Event()

    def capture(indata: np.ndarray, frames: int, time_info: object, status: object) -> None:
        blocks.append(indata[:, 0].copy())
        first_block.set()

    with sd.InputStream(device="virtual_speaker_monitor", channels=1, samplerate=48000, callback=capture):
        assert first_block.wait(5)
        code = main(["ask", str(clip_path("clone-test.wav")), "--output-device", "virtual_speaker", "--json"])
        heard_until = len(blocks)
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    folder = isolated_env / "sessions" / data["session_id"]
    turn = json.loads((folder / "session.json").read_text())["turns"][0]
    spoken, rate = sf.read(str(folder / turn["reply"]["audio"]))
    recorded = np.concatenate(blocks[:heard_until])
    window = 4800  # 0.1 s at 48 kHz
    rms = np.sqrt(np.mean(recorded[: len(recorded) // window * window].reshape(-1, window) ** 2, axis=1))
    loud_seconds = float(np.sum(rms > 0.02)) * 0.1
    # All of the reply was played (drain waited for it) before `ask` returned.
    assert loud_seconds >= 0.9 * len(spoken) / rate, (loud_seconds, len(spoken) / rate)
