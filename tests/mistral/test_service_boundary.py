"""The Mistral client at the boundary: what it sends, what compressed answers it still reads."""

from __future__ import annotations

import pytest

from tests.conftest import clip_path
from tests.standin import Fault, MistralStandIn, ScriptedSegment, TranscriptionScript
from tui.audio.clip import load_clip
from tui.config import Settings
from tui.errors import TranscriptionError
from tui.mistral import MistralConnection
from tui.stt.mistral import MistralTranscriber


def transcribe(settings: Settings) -> list[str]:
    transcriber = MistralTranscriber(settings, MistralConnection.shared(settings))
    return [s.speaker for s in transcriber.transcribe(load_clip(clip_path("clone-test.wav"))).segments]


def test_language_is_never_sent_with_timestamp_granularities(
    mistral_settings: Settings, mistral_server: MistralStandIn
) -> None:
    transcribe(mistral_settings)
    mistral_settings.transcription.language = "fr"
    transcribe(mistral_settings)
    without, with_language = mistral_server.requests_to("transcriptions")
    assert "language" not in without.form
    assert any(k.startswith("timestamp_granularities") for k in without.form)
    assert with_language.form["language"] == ["fr"]
    assert not any(k.startswith("timestamp_granularities") for k in with_language.form)
    assert with_language.form["diarize"] == ["true"]


def test_null_speaker_is_unknown_not_speaker_1(
    mistral_settings: Settings, mistral_server: MistralStandIn
) -> None:
    mistral_server.script(
        TranscriptionScript(
            segments=(ScriptedSegment("Who?", None, 0, 1), ScriptedSegment("Me.", "speaker_1", 1, 2))
        )
    )
    assert transcribe(mistral_settings) == ["unknown", "speaker_1"]


def test_a_small_gzip_answer_is_decoded(mistral_settings: Settings, mistral_server: MistralStandIn) -> None:
    mistral_server.fail("transcriptions", Fault.gzip_bomb_reply(5000), times=1)
    transcriber = MistralTranscriber(mistral_settings, MistralConnection.shared(mistral_settings))
    transcript = transcriber.transcribe(load_clip(clip_path("clone-test.wav")))
    assert transcript.text == "a" * (
        5000 - len('{"model": "stand-in", "text": "", "language": "en", "segments": [], "usage": {}}')
    )
    (req,) = mistral_server.requests_to("transcriptions")
    assert req.headers["accept-encoding"] == "gzip, deflate"


def test_an_answer_past_the_deadline_fails_with_the_setting_named(
    mistral_settings: Settings, mistral_server: MistralStandIn
) -> None:
    mistral_settings.deadline_s = 1.0
    mistral_server.fail("transcriptions", Fault.slow_trickle(0.02))
    with pytest.raises(TranscriptionError, match=r"still coming after 1 s \(deadline_s\)") as caught:
        transcribe(mistral_settings)
    assert caught.value.retryable
    (req,) = mistral_server.requests_to("transcriptions")
    assert req.finished.wait(5.0) and req.client_disconnected  # the connection was dropped, not left open
