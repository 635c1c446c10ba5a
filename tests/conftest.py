"""Shared fixtures: the stand-in Mistral server, settings pointed at it, the speech clips
(tests/data/audio)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.standin import MistralStandIn
from tui.config import Settings, load_settings

pytest_plugins = ["tests.standin.fixtures", "tests.reliability.ledger"]

REPO = Path(__file__).resolve().parent.parent
SHARED_AUDIO = REPO / "tests" / "data" / "audio"
FAKE_KEY = "test-key"


DEVICE_DIRS = (
    ("VAUDIO_DIR", "/tmp/vx-audio", "setup_audio.sh"),
    ("VDISPLAY_DIR", "/tmp/vx-display", "setup_display.sh"),
)
"""The state folder of the virtual sound server and of the Xvfb display, and the script that starts it."""


def _worker(config: pytest.Config) -> str:
    """The pytest-xdist worker this process is (``gw1``), or ``""`` for the first one or no xdist."""
    worker = str(getattr(config, "workerinput", {}).get("workerid", ""))
    return "" if worker in ("", "gw0") else worker


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist every worker after the first starts its own virtual sound server (its own
    microphone and speaker) and its own Xvfb display (its own keyboard), in folders named after it,
    before any test module imports sounddevice or pynput; the first worker uses the ones
    scripts/run-tests.sh started. So tests that record, play, inject keys or look at the sound
    devices never share them with a test running at the same time, and run on any worker. (Each
    tmux test starts a private tmux server on its own socket.)"""
    worker = _worker(config)
    if not worker:
        return
    from tests.audio.env import apply_exports

    for var, default, script in DEVICE_DIRS:
        os.environ[var] = f"{os.environ.get(var, default)}-{worker}"
        apply_exports(script)


def pytest_unconfigure(config: pytest.Config) -> None:
    """A worker's own sound server and display stop with it."""
    if not _worker(config):
        return
    for _, _, script in DEVICE_DIRS:  # the folders named in os.environ by pytest_configure
        subprocess.run(
            [str(REPO / "scripts" / script), "stop"],
            capture_output=True,
            timeout=30,
            check=False,
        )


def clip_path(name: str) -> Path:
    path = SHARED_AUDIO / name
    assert path.is_file(), f"{path} is missing: tests/data/audio ships with the repository"
    return path


def spoken(*parts: tuple[float, float], rate: int = 16_000) -> np.ndarray:
    """Test audio (float32 at ``rate``) as ``(seconds, level)`` parts: a 220 Hz tone at ``level``
    ("speech" for loudness and turn detection), or silence at 0."""
    out = [np.zeros(0, np.float32)]
    for seconds, level in parts:
        t = np.arange(int(seconds * rate)) / rate
        out.append((level * np.sin(2 * np.pi * 220 * t)).astype(np.float32))
    return np.concatenate(out)


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``voxroom ARGS...`` in this process (:func:`tui.cli.main`): exit code, stdout, stderr."""
    from tui.cli import main

    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def shared_audio() -> Path:
    return SHARED_AUDIO


@pytest.fixture
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No user config, no user data: everything Voxroom writes goes under ``tmp_path``."""
    for name in ("MISTRAL_API_KEY", "MISTRAL_SERVER_URL", "VOXROOM_BACKEND", "VOXROOM_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("VOXROOM_DATA_DIR", str(tmp_path / "voxroom"))
    yield tmp_path / "voxroom"


@pytest.fixture
def mistral_env(
    isolated_env: Path, mistral_server: MistralStandIn, monkeypatch: pytest.MonkeyPatch
) -> MistralStandIn:
    """The environment a user would set, pointed at the stand-in server."""
    monkeypatch.setenv("MISTRAL_API_KEY", FAKE_KEY)
    monkeypatch.setenv("MISTRAL_SERVER_URL", mistral_server.url)
    return mistral_server


@pytest.fixture
def mistral_settings(mistral_env: MistralStandIn) -> Settings:
    settings = load_settings()
    settings.timeout_s = 10.0
    settings.retry_max_s = 1.5
    return settings
