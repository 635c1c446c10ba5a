"""load_clip: hostile headers give one sentence, long files are refused, decoding streams."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tui.audio.clip import load_clip, resample
from tui.errors import AudioInputError

AUDIO = Path(__file__).resolve().parents[1] / "data" / "audio"
PCM = (np.sin(np.arange(16_000) / 10) * 10_000).astype("<i2").tobytes()


def wav_header(
    data_bytes: int, *, channels: int = 2, rate: int = 48_000, bits: int = 16, fmt: int = 1
) -> bytes:
    align = (channels * bits // 8) & 0xFFFF
    return (
        b"RIFF"
        + struct.pack("<I", (36 + data_bytes) & 0xFFFFFFFF)
        + b"WAVE"
        + b"fmt "
        + struct.pack("<IHHIIHH", 16, fmt, channels, rate, (rate * align) & 0xFFFFFFFF, align, bits)
        + b"data"
        + struct.pack("<I", data_bytes & 0xFFFFFFFF)
    )


@pytest.mark.parametrize(
    ("body", "match"),
    [
        (wav_header(0xFFFFFF00) + PCM, r"cut short or damaged: its header claims 4294\.97 MB"),
        (wav_header(len(PCM) * 50) + PCM, "cut short or damaged"),
        (wav_header(len(PCM), rate=1) + PCM, "sample rate of 1 Hz"),
        (wav_header(len(PCM), channels=1000) + PCM, "claims 1000 channels"),
        (wav_header(len(PCM), channels=0) + PCM, "not an audio file Voxroom can read"),
        (wav_header(len(PCM), fmt=99) + PCM, "not an audio file Voxroom can read"),
        (b"\x00garbage" * 100, "not an audio file Voxroom can read"),
        (b"", r"is empty \(0 bytes\)"),
    ],
    ids=[
        "4GB-header",
        "truncated",
        "rate-1Hz",
        "1000-channels",
        "0-channels",
        "format-99",
        "garbage",
        "empty",
    ],
)
def test_hostile_files_give_one_sentence(tmp_path: Path, body: bytes, match: str) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(body)
    with pytest.raises(AudioInputError, match=match) as caught:
        load_clip(path)
    assert "\n" not in str(caught.value) and str(caught.value).endswith(".")


def test_float_header_over_integer_data_gives_finite_samples(tmp_path: Path) -> None:
    path = tmp_path / "f.wav"
    path.write_bytes(wav_header(len(PCM), fmt=3, bits=32) + PCM)
    clip = load_clip(path)
    assert clip.frames > 0 and np.isfinite(clip.samples).all()


def test_folder_missing_and_unreadable(tmp_path: Path) -> None:
    with pytest.raises(AudioInputError, match="is a folder"):
        load_clip(tmp_path)
    with pytest.raises(AudioInputError, match="does not exist"):
        load_clip(tmp_path / "nope.wav")


def test_length_is_bounded_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "long.flac"
    sf.write(path, np.zeros(48_000 * 5, np.float32), 48_000)
    with pytest.raises(AudioInputError, match=r"0\.1 minutes long; the limit is 0 minutes"):
        load_clip(path, max_seconds=3)
    assert load_clip(path, max_seconds=6).duration == pytest.approx(5.0)


def test_length_is_bounded_while_decoding_with_pyav(tmp_path: Path) -> None:
    import av  # ships with faster-whisper

    path = tmp_path / "long.m4a"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=24_000, layout="mono")
        frame_len = 1024
        for i in range(24_000 * 4 // frame_len):
            data = np.sin(np.arange(i * frame_len, (i + 1) * frame_len) / 20).astype(np.float32)[None, :]
            frame = av.AudioFrame.from_ndarray(data, format="fltp", layout="mono")
            frame.sample_rate = 24_000
            frame.pts = i * frame_len
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    with pytest.raises(AudioInputError, match="minutes long"):
        load_clip(path, max_seconds=2)
    clip = load_clip(path, rate=16_000)
    assert clip.rate == 16_000 and clip.duration == pytest.approx(4.0, abs=0.2)


def test_streamed_resampling_matches_whole_file_resampling() -> None:
    native = load_clip(AUDIO / "endgame_nagg_nell.wav")
    streamed = load_clip(AUDIO / "endgame_nagg_nell.wav", rate=16_000)
    whole = resample(native.samples, native.rate, 16_000)
    assert native.rate == 24_000 and streamed.rate == 16_000
    assert streamed.samples.shape == whole.shape
    assert float(np.max(np.abs(streamed.samples - whole))) < 1e-4


def test_stereo_is_mixed_to_mono(tmp_path: Path) -> None:
    path = tmp_path / "st.wav"
    left = np.full(4800, 0.5, np.float32)
    sf.write(path, np.stack([left, -left / 2], axis=1), 48_000, subtype="FLOAT")
    clip = load_clip(path)
    assert clip.samples.ndim == 1 and np.allclose(clip.samples, 0.125)
