"""The embedded models are loaded once per process (tui/models.py): a second transcriber or speaker
for the same model, like the next ``voxroom`` command run in the same process, shares the loaded one."""

from __future__ import annotations

import threading

import pytest

from tests.offline.conftest import offline_settings
from tui.errors import ModelLoadError
from tui.models import shared_model
from tui.speech.hibari import HibariSpeaker
from tui.speech.piper import PiperSpeaker
from tui.stt.offline import WhisperTranscriber

pytestmark = pytest.mark.offline_models


def test_transcribers_of_one_model_share_it_and_take_turns_on_one_lock(whisper: WhisperTranscriber) -> None:
    again = WhisperTranscriber(offline_settings())
    again.warm_up()
    assert again._model is whisper._model and again._run_lock is whisper._run_lock
    assert again.model_path == whisper.model_path
    # Another thread count is another CTranslate2 model, with its own lock.
    other = WhisperTranscriber(offline_settings(), cpu_threads=whisper.cpu_threads + 1)
    other.warm_up()
    assert other._model is not whisper._model and other._run_lock is not whisper._run_lock


def test_speakers_of_one_voice_share_it(hibari: HibariSpeaker, piper: PiperSpeaker) -> None:
    again = HibariSpeaker(offline_settings())
    again.warm_up()
    assert again._tts is hibari._tts and again.model_path == hibari.model_path
    voice = PiperSpeaker(offline_settings())
    voice.warm_up()
    assert voice._voice is piper._voice and voice.sample_rate == piper.sample_rate == 22050


def test_a_failed_load_is_not_kept_and_one_load_serves_every_thread() -> None:
    key = ("test-model", id(object()))

    def broken() -> object:
        raise ModelLoadError("No model here.", retryable=False)

    with pytest.raises(ModelLoadError):
        shared_model(key, broken)
    loads: list[int] = []
    release = threading.Event()

    def slow() -> object:
        loads.append(1)
        release.wait(10)
        return object()

    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(shared_model(key, slow))) for _ in range(3)]
    for t in threads:
        t.start()
    release.set()
    for t in threads:
        t.join(10)
    assert len(loads) == 1 and len(got) == 3 and got[0] is got[1] is got[2]
    assert shared_model(key, broken) is got[0]  # loaded: the loader is not called again
