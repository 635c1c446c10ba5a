"""A real run: ``voxroom`` in a tmux pane (private socket) with the real recorder and player on the
virtual sound server, the stand-in Mistral server on 127.0.0.1, and the room "speaking" a clip into
the virtual microphone. The screen is read back with ``capture-pane``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.standin import MistralStandIn, SpeechScript

from .conftest import PASS_VARS

REPO = Path(__file__).resolve().parents[2]
CLIP = REPO / "tests" / "data" / "audio" / "clone-test.wav"
VOXROOM = Path(sys.executable).with_name("voxroom")

pytestmark = [pytest.mark.audio, pytest.mark.display, pytest.mark.tmux]


class Tmux:
    """A private tmux server. It runs with a minimal environment: a COLUMNS/LINES inherited from
    pytest would override the pane's real size in the app."""

    def __init__(self, socket: Path) -> None:
        self.socket = socket
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(socket.parent)}

    def __call__(self, *args: str, check: bool = True) -> str:
        done = subprocess.run(
            ["tmux", "-S", str(self.socket), *args],
            capture_output=True,
            text=True,
            timeout=20,
            check=check,
            env=self.env,
        )
        return done.stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "vox")

    def wait_for(self, what: Callable[[str], bool] | str, timeout: float = 20.0) -> str:
        """Poll the screen (capture-pane) until ``what`` is on it."""
        test = (lambda s: what in s) if isinstance(what, str) else what
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if test(screen):
                return screen
            time.sleep(0.05)  # polling interval of the screen read, not synchronisation
        raise AssertionError(f"timed out waiting for {what!r}; the screen was:\n{screen}")


def app_env(devices_env: dict[str, str], server: MistralStandIn, home: Path) -> dict[str, str]:
    """The environment of a Voxroom in tmux: the virtual devices, the stand-in, and a fresh home,
    data, cache and config in ``home``. The X display may be shared with other test runs injecting
    Right Shift, so the config turns the global listener off: these runs drive the fallback key
    (the listener has its own tests in tests/trigger)."""
    config = home / "config" / "voxroom" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[hotkey]\nglobal_listener = false\n", encoding="utf-8")
    return {
        **{k: devices_env[k] for k in PASS_VARS},
        "TERM": "xterm-256color",
        "MISTRAL_API_KEY": "test-key",
        "MISTRAL_SERVER_URL": server.url,
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "HOME": str(home),
    }


def speak_clip(tmux: Tmux, devices_env: dict[str, str]) -> None:
    """Record one question as a user would: the fallback key, :data:`CLIP` played into the virtual
    microphone, the key again."""
    tmux("send-keys", "-t", "vox", "space")
    tmux.wait_for("● RECORDING")
    subprocess.run(
        ["paplay", "--device=micfeed", str(CLIP)],
        env={**os.environ, **{k: devices_env[k] for k in PASS_VARS}},
        check=True,
        timeout=30,
    )
    tmux("send-keys", "-t", "vox", "space")


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    t = Tmux(tmp_path / "tmux.sock")
    yield t
    t("kill-server", check=False)


def test_voxroom_in_tmux_records_the_virtual_mic_and_shows_transcript_and_reply(
    tmux: Tmux, devices_env: dict[str, str], mistral_server: MistralStandIn, tmp_path: Path
) -> None:
    assert VOXROOM.is_file(), f"{VOXROOM} is missing: install the project (pip install -e .)"
    env = app_env(devices_env, mistral_server, tmp_path)
    exit_file = tmp_path / "exit-status"
    command = f"{VOXROOM} --input-device virtual_mic --output-device virtual_speaker; echo $? > {exit_file}"
    args = ["new-session", "-d", "-s", "vox", "-x", "120", "-y", "34"]
    for key, value in env.items():
        args += ["-e", f"{key}={value}"]
    started = time.monotonic()
    tmux(*args, command)
    tmux("set-option", "-t", "vox", "remain-on-exit", "on")
    tmux.wait_for("mic: virtual_mic")  # the core is up, with the real recorder
    first_frame_s = time.monotonic() - started

    speak_clip(tmux, devices_env)

    screen = tmux.wait_for(lambda s: "speaker_2 : Yes. What is" in s and "Stand-in reply to:" in s, 30)
    assert "speaker_1 : Good morning everyone, shall we start?" in screen, screen
    # The timings, long or (when the session's name takes the room) short.
    assert re.search(r"stt \d+ ms · (agent 1st token|llm) \d+ ms", tmux.wait_for("stt ")), tmux.screen()

    # What reached the (stand-in) service, live over the realtime socket while the room spoke, is
    # the clip recorded through the virtual microphone (16 kHz, 16-bit PCM).
    (live,) = mistral_server.requests_to("realtime")
    audio = np.frombuffer(bytes(live.ws_audio), dtype="<i2").astype(np.float32) / 32768.0
    assert len(audio) / 16_000 > 3.5  # the 4.1 s clip (plus whatever silence around it)
    assert float(np.sqrt(np.mean(audio**2))) > 0.01  # real signal, not the silence of a dead mic
    assert mistral_server.call_count("transcriptions") == 0  # nothing left to upload at the stop

    tmux("send-keys", "-t", "vox", "C-q")
    tmux.wait_for(lambda _s: exit_file.exists() and exit_file.read_text().strip() != "", 20)
    assert exit_file.read_text().strip() == "0", f"voxroom exited with {exit_file.read_text()}"
    assert first_frame_s < 10  # generous: timing goals are measured by bench/startup.py, not here


def test_voxroom_without_an_api_key_opens_and_says_what_to_do(tmux: Tmux, tmp_path: Path) -> None:
    exit_file = tmp_path / "exit-status"
    env = {
        "TERM": "xterm-256color",
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "HOME": str(tmp_path),
        "PULSE_SERVER": "unix:/nonexistent",  # no sound server either (pitfall A9)
    }
    args = ["new-session", "-d", "-s", "vox", "-x", "120", "-y", "34"]
    for key, value in env.items():
        args += ["-e", f"{key}={value}"]
    tmux(*args, f"{VOXROOM} --backend mistral; echo $? > {exit_file}")
    tmux("set-option", "-t", "vox", "remain-on-exit", "on")
    screen = tmux.wait_for("needs an API key")
    assert "MISTRAL_API_KEY" in screen, screen
    assert "no backend" in screen and "Transcript" in screen  # the app is up, not an error exit
    tmux("send-keys", "-t", "vox", "f1")
    tmux.wait_for("Record / stop (interrupts speech)")  # the help screen opens
    tmux("send-keys", "-t", "vox", "Escape")
    tmux("send-keys", "-t", "vox", "C-q")
    tmux.wait_for(lambda _s: exit_file.exists() and exit_file.read_text().strip() != "", 20)
    assert exit_file.read_text().strip() == "0"


def test_a_first_run_as_a_new_user_would(
    tmux: Tmux, devices_env: dict[str, str], mistral_server: MistralStandIn, tmp_path: Path
) -> None:
    """Launch, record a clip through the virtual microphone, read the answer, shrink the terminal to
    80x24 and ask again, export, quit, relaunch and find the session in the browser. This repository's
    code runs (``python -m tui`` with PYTHONPATH), with a fresh home, data and config."""
    work = tmp_path / "work"
    work.mkdir()
    # The replies play at their own pace before the app is idle again: a third of the stand-in's
    # default speech length (0.02 s a character) is enough to hear them and see their timings.
    mistral_server.script(SpeechScript(seconds_per_char=0.02), repeat=True)
    env = {**app_env(devices_env, mistral_server, tmp_path), "PYTHONPATH": str(REPO)}
    exit_file = tmp_path / "exit-status"
    command = (
        f"{sys.executable} -m tui --input-device virtual_mic --output-device virtual_speaker; "
        f"echo $? > {exit_file}"
    )

    def launch(width: int, height: int) -> None:
        exit_file.unlink(missing_ok=True)
        args = ["new-session", "-d", "-s", "vox", "-x", str(width), "-y", str(height), "-c", str(work)]
        for key, value in env.items():
            args += ["-e", f"{key}={value}"]
        tmux(*args, command)
        tmux("set-option", "-t", "vox", "remain-on-exit", "on")
        tmux.wait_for("mic: virtual_mic", 30)

    def quit_app() -> None:
        tmux("send-keys", "-t", "vox", "C-q")
        tmux.wait_for(lambda _s: exit_file.exists() and exit_file.read_text().strip() != "", 20)
        assert exit_file.read_text().strip() == "0", f"voxroom exited with {exit_file.read_text()}"
        tmux("kill-session", "-t", "vox")

    def ask() -> str:
        speak_clip(tmux, devices_env)
        return tmux.wait_for(lambda s: "● IDLE" in s and "stt " in s, 40)

    launch(120, 40)
    screen = tmux.screen()
    assert "no turn yet" in screen and "Press space to record." in screen
    screen = ask()
    assert "speaker_1 : Good morning everyone, shall we start?" in screen, screen
    assert "Stand-in reply to:" in screen and "no turn yet" not in screen

    tmux("resize-window", "-t", "vox", "-x", "80", "-y", "24")
    tmux.wait_for(lambda s: max(len(line) for line in s.splitlines()) <= 80)
    screen = ask()
    lines = screen.splitlines()
    assert len(lines) <= 24 and "space Record" in lines[-1], screen
    # Below 100 columns the replies and the transcript get half the width each.
    transcript = " ".join(" ".join(line[40:].strip("│ ") for line in lines[:-2]).split())
    assert transcript.count("speaker_1 : Good morning") == 2, screen  # the new turn is in view
    replies = [line[:40] for line in lines if line.startswith("│")]
    assert any("today?" in line for line in replies), screen  # so is the end of the new reply
    assert re.search(r"stt \d+ ms · llm \d+ ms · tts", screen), screen  # timings not cut at 80 columns

    tmux("send-keys", "-t", "vox", "C-e")
    tmux.wait_for("Export this session")
    tmux("send-keys", "-t", "vox", "Enter")
    tmux.wait_for("Exported to")
    exported = list(work.glob("voxroom-*.md"))
    assert len(exported) == 1 and "Good morning everyone" in exported[0].read_text(encoding="utf-8")
    quit_app()

    launch(80, 24)
    tmux("send-keys", "-t", "vox", "C-o")
    screen = tmux.wait_for("Enter: open read-only")
    assert "Meeting " in screen and "Sample · " in screen, screen
    tmux("send-keys", "-t", "vox", "Enter")
    screen = tmux.wait_for(lambda s: "Read-only" in s and "Stand-in reply to:" in s)
    assert "speaker_1 : Good" in screen, screen
    quit_app()
