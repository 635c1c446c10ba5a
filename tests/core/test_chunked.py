from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import soundfile as sf

from tui.stt.chunked import FRAME_S, energy_envelope, plan_chunks, read_chunk


def speech_with_gaps(path: Path, rate: int, parts: list[tuple[float, float]]) -> Path:
    """Noise bursts (``loud`` seconds) separated by silences (``quiet`` seconds)."""
    rng = np.random.default_rng(0)
    pieces = []
    for loud, quiet in parts:
        pieces.append(0.3 * rng.standard_normal(int(loud * rate)).astype(np.float32))
        pieces.append(np.zeros(int(quiet * rate), np.float32))
    sf.write(str(path), np.concatenate(pieces), rate, subtype="PCM_16")
    return path


def test_short_file_is_one_chunk(tmp_path: Path) -> None:
    path = speech_with_gaps(tmp_path / "a.wav", 16000, [(2.0, 0.5)])
    env, rate, total = energy_envelope(path)
    assert rate == 16000 and total == 40000
    assert len(env) == int(np.ceil(2.5 / FRAME_S))
    chunks = plan_chunks(env, rate, total, max_seconds=10)
    assert [(c.start, c.end) for c in chunks] == [(0, total)]


def test_cuts_fall_in_silences_and_cover_everything(tmp_path: Path) -> None:
    # 8 s speech, 1 s silence, repeated: cuts must land inside the silences.
    path = speech_with_gaps(tmp_path / "b.wav", 48000, [(8.0, 1.0)] * 5)
    env, rate, total = energy_envelope(path)
    chunks = plan_chunks(env, rate, total, max_seconds=10.0)
    assert chunks[0].start == 0 and chunks[-1].end == total
    for a, b in itertools.pairwise(chunks):
        assert a.end == b.start
    for c in chunks:
        assert (c.end - c.start) / rate <= 10.0
    for c in chunks[:-1]:
        t = c.end / rate
        assert 8.0 <= t % 9.0 <= 9.0, f"cut at {t:.2f}s is not in a silence"


def test_continuous_audio_is_still_cut_under_the_limit(tmp_path: Path) -> None:
    path = speech_with_gaps(tmp_path / "c.wav", 16000, [(25.0, 0.0)])
    env, rate, total = energy_envelope(path)
    chunks = plan_chunks(env, rate, total, max_seconds=10.0)
    assert len(chunks) == 3
    assert all((c.end - c.start) / rate <= 10.0 for c in chunks)


def test_read_chunk_resamples_to_16k_mono(tmp_path: Path) -> None:
    path = tmp_path / "st.wav"
    t = np.arange(48000 * 3) / 48000
    stereo = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 440 * t)], axis=1) * 0.5
    sf.write(str(path), stereo.astype(np.float32), 48000)
    env, rate, total = energy_envelope(path)
    chunk = plan_chunks(env, rate, total, max_seconds=1.0)[1]
    clip = read_chunk(path, chunk, tmp_path / "chunk.flac", block_seconds=0.25)
    assert sf.info(str(tmp_path / "chunk.flac")).samplerate == 16000
    assert clip.rate == 16000
    assert abs(len(clip.samples) - (chunk.end - chunk.start) / 3) <= 4
    spectrum = np.abs(np.fft.rfft(clip.samples))
    peak_hz = np.argmax(spectrum) * 16000 / len(clip.samples)
    assert abs(peak_hz - 440) < 5
