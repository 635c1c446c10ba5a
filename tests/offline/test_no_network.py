"""The offline models load and run with the hub switched off and every socket call watched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.offline.conftest import shared_clip

pytestmark = pytest.mark.offline_models

REPO = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, sys

events = []

def watch(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "urllib.Request"):
        events.append([event, repr(args)[:200]])

sys.addaudithook(watch)

from tui.audio.clip import load_clip
from tui.backends import make_speaker
from tui.config import Settings
from tui.speech.piper import PiperSpeaker
from tui.stt.offline import WhisperTranscriber

settings = Settings(backend="offline")
transcript = WhisperTranscriber(settings).transcribe(load_clip(sys.argv[1]))
samples = sum(block.size for block in PiperSpeaker(settings).synthesize("Nothing leaves this machine."))
default = make_speaker(settings)  # hibari, the default offline engine
hibari = sum(block.size for block in default.synthesize("Nothing leaves this machine."))
print(json.dumps({"events": events, "text": transcript.text, "samples": samples, "hibari": hibari,
                  "default": type(default).__name__}))
"""


def test_models_load_and_run_without_any_network_call(tmp_path: Path) -> None:
    env = dict(os.environ)
    env.update(
        HF_HUB_OFFLINE="1",
        HF_HOME=str(tmp_path / "hf"),  # an empty hub cache: nothing could come from there either
        HIBARI_HOME=str(tmp_path / "hibari"),  # where hibari would cache a downloaded voice
        HTTP_PROXY="http://127.0.0.1:9",  # any attempt to go out would fail loudly
        HTTPS_PROXY="http://127.0.0.1:9",
        PYTHONPATH=str(REPO),
    )
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(shared_clip("beckett.wav"))],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["events"] == []
    assert result["text"].lower().startswith("ever tried")
    assert result["samples"] > 22_050
    assert result["default"] == "HibariSpeaker" and result["hibari"] > 24_000
    assert not (tmp_path / "hf").exists()
    assert not (tmp_path / "hibari").exists()
