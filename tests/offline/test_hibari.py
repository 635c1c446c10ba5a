"""Offline speech with hibari's bundled af_heart voice (the default offline engine)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from tests.offline.conftest import offline_settings
from tests.offline.intelligibility import normalise, word_errors
from tui.audio.clip import Clip
from tui.backends import make_speaker
from tui.config import load_settings
from tui.errors import ConfigError, ModelLoadError
from tui.speech.hibari import (
    SAMPLE_RATE,
    HibariSpeaker,
    bundled_model_path,
    check_voice_name,
    trim_silence,
)
from tui.speech.piper import PiperSpeaker, split_for_speech
from tui.stt.offline import WhisperTranscriber

SENTENCE = "Please remember to book the larger room for Thursday afternoon."
LONG = (
    "I think the best option is to book the larger room for Thursday afternoon because everyone on "
    "the team can attend then. Sure, see you there."
)


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if samples.size else 0.0


@pytest.mark.offline_models
def test_sentence_is_finite_bounded_audible_and_of_plausible_length(hibari: HibariSpeaker) -> None:
    blocks = list(hibari.synthesize(SENTENCE))
    assert blocks and all(b.dtype == np.float32 and b.ndim == 1 for b in blocks)
    audio = np.concatenate(blocks)
    assert np.isfinite(audio).all()
    assert float(np.max(np.abs(audio))) <= 1.0
    seconds = audio.size / SAMPLE_RATE
    assert 1.5 < seconds < 6.0, seconds  # 10 words
    assert rms(audio) > 0.03
    # Speech, not a tone or noise: loud and quiet 20 ms frames alternate.
    frame = SAMPLE_RATE // 50
    levels = np.array([rms(audio[i : i + frame]) for i in range(0, audio.size - frame, frame)])
    assert np.mean(levels < 0.01) > 0.05 and np.mean(levels > 0.05) > 0.3
    # hibari's own ~0.3 s of leading silence is trimmed: the first block speaks at once.
    assert np.flatnonzero(np.abs(blocks[0]) > 0.01)[0] < 0.05 * SAMPLE_RATE


@pytest.mark.offline_models
def test_bundled_whisper_reads_the_sentence_back(hibari: HibariSpeaker, whisper: WhisperTranscriber) -> None:
    audio = np.concatenate(list(hibari.synthesize(SENTENCE)))
    heard = whisper.transcribe(Clip(audio, SAMPLE_RATE)).text
    errors, words = word_errors(SENTENCE, heard)
    assert words == 10
    assert errors <= 1, heard


@pytest.mark.offline_models
def test_first_piece_streams_ahead_and_later_sentences_stay_whole(hibari: HibariSpeaker) -> None:
    assert [c for c, _ in split_for_speech(LONG, clauses=False)] == [
        "I think the best option is",
        "to book the larger room for Thursday afternoon because everyone on the team can attend then.",
        "Sure, see you there.",
    ]
    arrivals: list[tuple[float, int]] = []
    start = time.perf_counter()
    for block in hibari.synthesize(LONG):
        arrivals.append((time.perf_counter() - start, block.size))
    voiced = [(t, n) for t, n in arrivals if n > SAMPLE_RATE * 0.5]
    assert len(voiced) == 3, arrivals
    assert voiced[0][1] < voiced[1][1]  # the cut-short first piece
    assert voiced[0][0] < voiced[1][0] < voiced[2][0]


def test_trim_silence_keeps_a_short_margin() -> None:
    tone = np.sin(np.arange(2400, dtype=np.float32) / 5).astype(np.float32) * 0.5
    padded = np.concatenate([np.zeros(7200, np.float32), tone, np.full(9600, 1e-5, np.float32)])
    trimmed = trim_silence(padded)
    assert trimmed.size == pytest.approx(2400 + 0.02 * SAMPLE_RATE + 0.05 * SAMPLE_RATE, abs=2)
    assert trim_silence(np.zeros(100, np.float32)).size == 0


def test_empty_text_loads_nothing() -> None:
    speaker = HibariSpeaker(offline_settings())
    assert list(speaker.synthesize("  \n ")) == []
    assert not speaker.loaded


@pytest.mark.parametrize("voice", ["emma", "fenrir", "/voices/en_US-amy-medium.onnx"])
def test_other_voices_are_refused_without_any_download(
    voice: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HIBARI_HOME", str(tmp_path / "hibari-cache"))
    settings = offline_settings()
    settings.speech.offline_voice = voice
    speaker = HibariSpeaker(settings)
    with pytest.raises(ModelLoadError) as info:
        speaker.warm_up()
    err = info.value
    assert err.message == (
        f"The hibari voice '{voice}' is not available offline: Voxroom uses only the bundled voice "
        "'heart' (af_heart), since hibari downloads its other voices at run time."
    )
    assert 'speech.offline_engine = "piper"' in err.hint and not err.retryable
    with pytest.raises(ModelLoadError):
        list(speaker.synthesize("Hello there."))
    assert not speaker.loaded
    assert not (tmp_path / "hibari-cache").exists()


def test_bundled_voice_names_are_accepted() -> None:
    for name in ("", "heart", "af_heart", " heart "):
        settings = offline_settings()
        settings.speech.offline_voice = name
        check_voice_name(settings)  # no error
    assert bundled_model_path().stat().st_size > 7_000_000


def test_offline_engine_setting_picks_the_speaker(tmp_path: Path) -> None:
    settings = load_settings(
        env={"VOXROOM_CONFIG": str(tmp_path / "none.toml")}, overrides={"backend": "offline"}
    )
    assert settings.speech.offline_engine == "hibari"
    assert isinstance(make_speaker(settings), HibariSpeaker)
    settings = load_settings(
        env={"VOXROOM_CONFIG": str(tmp_path / "none.toml")},
        overrides={"backend": "offline", "speech.offline_engine": "piper"},
    )
    assert isinstance(make_speaker(settings), PiperSpeaker)
    config = tmp_path / "c.toml"
    config.write_text('[speech]\noffline_engine = "espeak"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(config, env={})
    assert "speech.offline_engine = 'espeak'" in info.value.message and "hibari" in info.value.message
    assert "piper" in info.value.message


def test_doctor_names_the_offline_engine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tui.cli import main

    args = ["doctor", "--no-audio", "--data-dir", str(tmp_path / "d"), "--config"]
    for engine, voice, expected in (
        ("hibari", "", f"[ok  ] hibari voice: af_heart (bundled) {bundled_model_path()}"),
        ("piper", "", "[ok  ] piper voice: "),
        ("hibari", "kore", "[FAIL] hibari voice: The hibari voice 'kore' is not available offline"),
    ):
        config = tmp_path / f"{engine}{voice}.toml"
        config.write_text(
            f'backend = "offline"\n[speech]\noffline_engine = "{engine}"\noffline_voice = "{voice}"\n'
        )
        main([*args, str(config)])
        assert expected in capsys.readouterr().out


def test_normaliser_spells_numbers_the_same_on_both_sides() -> None:
    assert normalise("At 3:30, $250,000 (12%) on the 21st. OK?") == normalise(
        "at 3.30 two hundred fifty thousand dollars twelve percent on the twenty-first okay"
    )
    assert word_errors(
        "The quarterly report is due on the 21st of March.", "The report is due on 21 March"
    ) == (
        4,
        11,
    )
