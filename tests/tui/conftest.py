"""Fixtures for the TUI tests: settings pointed at the stand-in Mistral server, a room fed from a
speech file instead of a microphone, and the app built around it (no patching: everything injected)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.standin import MistralStandIn
from tui.backends import make_backends
from tui.config import Secret, Settings
from tui.room import Room
from tui.room.wiring import live_transcription, new_log
from tui.testing import FileRecorder

REPO = Path(__file__).resolve().parents[2]
CLIP = REPO / "tests" / "data" / "audio" / "clone-test.wav"
PASS_VARS = ("DISPLAY", "PULSE_SERVER", "PULSE_COOKIE", "ALSA_CONFIG_PATH")


@pytest.fixture(autouse=True)
def _deterministic_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")


@pytest.fixture
def clip() -> Path:
    assert CLIP.is_file(), f"{CLIP} is missing: tests/data/audio ships with the repository"
    return CLIP


@pytest.fixture
def tui_settings(mistral_server: MistralStandIn, tmp_path: Path) -> Settings:
    settings = Settings(
        backend="mistral",
        api_key=Secret("test-key"),
        server_url=mistral_server.url,
        data_dir=tmp_path / "data",
        timeout_s=10.0,
    )
    settings.hotkey.debounce_ms = 0
    settings.hotkey.global_listener = False
    return settings


RoomFactory = Callable[..., Room]


@pytest.fixture
def make_room(tui_settings: Settings, clip: Path) -> Iterator[RoomFactory]:
    rooms: list[Room] = []

    def build(
        settings: Settings | None = None,
        *,
        realtime: bool = False,
        recorder: object = "file",
        live: bool = False,
        player: object = None,
    ) -> Room:
        """``realtime``: the file is "heard" at its own pace; ``live``: transcribe while recording, as
        the app does (the realtime socket for Mistral); ``player``: where replies are played (none
        by default)."""
        settings = settings or tui_settings
        backends = make_backends(settings)
        room = Room(
            recorder=FileRecorder(clip, realtime=realtime, device="clone-test.wav")
            if recorder == "file"
            else recorder,  # type: ignore[arg-type]
            runner=backends.runner(settings),
            player=player,  # type: ignore[arg-type]
            log=new_log(settings, backends),
            live=live_transcription(settings, backends) if live else None,
            debounce_s=settings.hotkey.debounce_ms / 1000.0,
            backends=backends,
        )
        rooms.append(room)
        return room

    yield build
    for room in rooms:
        room.close()


def env_without_color() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("NO_COLOR", None)
    return env


def _exports(script: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("VAUDIO_DIR", "/tmp/vx-audio")
    env.setdefault("VDISPLAY_DIR", "/tmp/vx-display")
    out = subprocess.run(
        [str(REPO / "scripts" / script)], env=env, capture_output=True, text=True, check=True, timeout=120
    ).stdout
    found = {}
    for line in out.splitlines():
        m = re.match(r"export (\w+)=(.*)", line)
        if m:
            found[m.group(1)] = shlex.split(m.group(2))[0]
    return found


@pytest.fixture(scope="module")
def devices_env() -> dict[str, str]:
    """The virtual sound server and X display (started if needed), as environment variables."""
    env = {**_exports("setup_audio.sh"), **_exports("setup_display.sh")}
    missing = [v for v in PASS_VARS if not env.get(v)]
    assert not missing, f"setup scripts did not export {missing}"
    return env
