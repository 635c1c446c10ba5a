"""Fixtures for the offline backends: the embedded models (loaded once per session), the shared
speech clips, and the OpenAI-compatible stand-in server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.offline.openai_standin import OpenAIStandin
from tui.config import Settings
from tui.speech.hibari import HibariSpeaker
from tui.speech.piper import PiperSpeaker
from tui.stt.offline import WhisperTranscriber

SHARED_AUDIO = Path(__file__).resolve().parents[2] / "tests" / "data" / "audio"


def shared_clip(name: str) -> Path:
    path = SHARED_AUDIO / name
    assert path.is_file(), f"{path} is missing: tests/data/audio ships with the repository"
    return path


def offline_settings() -> Settings:
    settings = Settings(backend="offline")
    return settings


@pytest.fixture(scope="session")
def whisper() -> WhisperTranscriber:
    transcriber = WhisperTranscriber(offline_settings())
    transcriber.warm_up()
    return transcriber


@pytest.fixture(scope="session")
def piper() -> PiperSpeaker:
    speaker = PiperSpeaker(offline_settings())
    speaker.warm_up()
    return speaker


@pytest.fixture(scope="session")
def hibari() -> HibariSpeaker:
    speaker = HibariSpeaker(offline_settings())
    speaker.warm_up()
    return speaker


@pytest.fixture
def openai_server() -> Iterator[OpenAIStandin]:
    with OpenAIStandin() as server:
        yield server


@pytest.fixture
def openai_settings(openai_server: OpenAIStandin) -> Settings:
    settings = offline_settings()
    settings.agent.backend = "openai"
    settings.agent.openai_url = openai_server.url
    settings.agent.openai_model = "standin-model"
    settings.timeout_s = 10.0
    return settings
