"""Real PortAudio on the virtual PulseAudio server: devices virtual_mic, virtual_mic_feed,
virtual_speaker, virtual_speaker_monitor (see scripts/setup_audio.sh)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.audio.env import SHARED_AUDIO, ensure_audio

ensure_audio()  # at import: before any test module here imports sounddevice

from tui.audio.clip import Clip, load_clip  # noqa: E402


@pytest.fixture(scope="session")
def beckett() -> Clip:
    return load_clip(SHARED_AUDIO / "beckett.wav")


@pytest.fixture(scope="session")
def clone_test() -> Clip:
    return load_clip(SHARED_AUDIO / "clone-test.wav")


@pytest.fixture(scope="session")
def endgame() -> Clip:
    return load_clip(SHARED_AUDIO / "endgame_nagg_nell.wav")


@pytest.fixture
def rec_dir(tmp_path: Path) -> Iterator[Path]:
    d = tmp_path / "session"
    d.mkdir()
    yield d
