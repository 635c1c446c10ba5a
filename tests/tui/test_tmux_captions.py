"""Live captions in a real terminal: ``voxroom`` in a tmux pane (private socket, 80x24) with the real
recorder on the virtual sound server; a clip played into the virtual microphone shows its words
under "Listening" while the recording runs (offline: Whisper; online: the stand-in's realtime
socket), and the diarized lines take their place at the stop. The screen is read back with
``capture-pane``."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.standin import MistralStandIn

from .conftest import PASS_VARS
from .test_tmux import CLIP as QUESTION
from .test_tmux import REPO, VOXROOM, Tmux, app_env, tmux  # noqa: F401  (tmux: the fixture)

CLIP = REPO / "tests" / "data" / "audio" / "beckett.wav"

pytestmark = [pytest.mark.audio, pytest.mark.display, pytest.mark.tmux]


@pytest.mark.offline_models
def test_offline_captions_show_while_recording_and_give_way_to_the_lines(
    tmux: Tmux,  # noqa: F811
    devices_env: dict[str, str],
    tmp_path: Path,
) -> None:
    config = tmp_path / "config" / "voxroom" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[hotkey]\nglobal_listener = false\n", encoding="utf-8")
    env = {
        **{k: devices_env[k] for k in PASS_VARS},
        "TERM": "xterm-256color",
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "HOME": str(tmp_path),
        # The code under test (a worktree), when the runner points Python at it.
        **({"PYTHONPATH": os.environ["PYTHONPATH"]} if os.environ.get("PYTHONPATH") else {}),
    }
    args = ["new-session", "-d", "-s", "vox", "-x", "80", "-y", "24"]
    for key, value in env.items():
        args += ["-e", f"{key}={value}"]
    tmux(*args, f"{VOXROOM} --offline --input-device virtual_mic --output-device virtual_speaker")
    tmux("set-option", "-t", "vox", "remain-on-exit", "on")
    tmux.wait_for("mic: virtual_mic", 60)
    tmux("send-keys", "-t", "vox", "space")
    tmux.wait_for("● RECORDING")
    started = time.monotonic()
    play = subprocess.Popen(
        ["paplay", "--device=micfeed", str(CLIP)],
        env={**os.environ, **{k: devices_env[k] for k in PASS_VARS}},
    )
    try:
        # While the clip plays: its first words, under "Listening", with no speaker, still recording.
        screen = tmux.wait_for(lambda s: "Listening" in s and "… ever" in s.lower(), 30)
        assert "● RECORDING" in screen and "speaker_" not in screen and "live" not in screen, screen
        assert "appears here" not in screen  # the caption took the placeholder's place
        print(f"\n'Ever' on screen {time.monotonic() - started:.1f} s after the clip began playing")
        assert play.wait(30) == 0
    finally:
        if play.poll() is None:
            play.kill()
            play.wait()
    tmux("send-keys", "-t", "vox", "space")
    screen = tmux.wait_for(lambda s: "speaker_1 :" in s and "Listening" not in s and "… " not in s, 60)
    assert screen.count("speaker_1 : Ever") == 1, screen  # the caption did not stay as well
    tmux("send-keys", "-t", "vox", "C-q")


def test_online_captions_show_while_recording_and_give_way_to_the_lines(
    tmux: Tmux,  # noqa: F811
    devices_env: dict[str, str],
    mistral_server: MistralStandIn,
    tmp_path: Path,
) -> None:
    held = mistral_server.hold_realtime_done()  # the diarized lines come when the test says
    env = app_env(devices_env, mistral_server, tmp_path)
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    args = ["new-session", "-d", "-s", "vox", "-x", "80", "-y", "24"]
    for key, value in env.items():
        args += ["-e", f"{key}={value}"]
    tmux(*args, f"{VOXROOM} --input-device virtual_mic --output-device virtual_speaker")
    tmux("set-option", "-t", "vox", "remain-on-exit", "on")
    tmux.wait_for("mic: virtual_mic", 30)
    tmux("send-keys", "-t", "vox", "space")
    tmux.wait_for("● RECORDING")
    play = subprocess.Popen(
        ["paplay", "--device=micfeed", str(QUESTION)],
        env={**os.environ, **{k: devices_env[k] for k in PASS_VARS}},
    )
    try:
        screen = tmux.wait_for(lambda s: "Listening" in s and "… Good morning" in s, 30)
        assert "● RECORDING" in screen and "speaker_" not in screen and "live" not in screen, screen
        assert play.wait(30) == 0
    finally:
        if play.poll() is None:
            play.kill()
            play.wait()
    tmux("send-keys", "-t", "vox", "space")
    held.set()
    screen = tmux.wait_for(lambda s: "speaker_2 : Yes." in s and "Listening" not in s and "… " not in s, 30)
    assert screen.count("speaker_1 : Good") == 1, screen  # the caption did not stay as well
    tmux("send-keys", "-t", "vox", "C-q")
