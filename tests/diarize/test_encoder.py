"""The NumPy voice encoder against references made once with librosa and ONNX Runtime's LSTM."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.diarize.conftest import clip16k
from tui.diarize.encoder import VoiceEncoder, mel_filterbank, mel_frames, partial_slices
from tui.errors import ModelLoadError

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "diarize" / "reference.npz"


@pytest.fixture(scope="module")
def reference() -> dict[str, np.ndarray]:
    with np.load(REFERENCE) as data:
        return {name: data[name] for name in data.files}


@pytest.fixture(scope="module")
def encoder() -> VoiceEncoder:
    return VoiceEncoder()


def test_mel_filterbank_and_frames_match_librosa(reference: dict[str, np.ndarray]) -> None:
    np.testing.assert_allclose(mel_filterbank(), reference["librosa_mel"], rtol=0, atol=1e-7)
    frames = mel_frames(reference["probe"])
    assert frames.shape == reference["probe_mel"].shape == (26, 40)
    np.testing.assert_allclose(frames, reference["probe_mel"], rtol=1e-4, atol=1e-6)


def test_embeddings_match_the_reference_within_float16(
    encoder: VoiceEncoder, reference: dict[str, np.ndarray]
) -> None:
    beckett = clip16k("beckett.wav")
    clips = [beckett, beckett[:16_000], clip16k("clone-test.wav")]  # 10 s, 1 s (one short window), 4 s
    got = encoder.embed_many(clips)
    assert got.shape == (3, 256) and got.dtype == np.float32
    cosines = (got * reference["embeddings"]).sum(axis=1)
    assert np.all(cosines >= 0.9999), cosines
    np.testing.assert_allclose(encoder.embed(clips[2]), got[2], atol=1e-6)  # batching changes nothing


def test_same_voice_is_closer_than_another_voice(encoder: VoiceEncoder) -> None:
    beckett = clip16k("beckett.wav")
    first, second = encoder.embed_many([beckett[: 5 * 16_000], beckett[5 * 16_000 :]])
    other = encoder.embed(clip16k("clone-test.wav"))
    for vector in (first, second, other):
        assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5
    assert float(first @ second) > float(first @ other) + 0.2


def test_partial_windows_follow_resemblyzer() -> None:
    # Values printed by resemblyzer 0.1.4's own compute_partial_slices(n, rate=1.3, min_coverage=0.75)
    assert partial_slices(16_000) == [(0, 160)]
    assert [start for start, _ in partial_slices(100_000)] == [0, 77, 154, 231, 308, 385, 462]
    assert partial_slices(48_000) == [(0, 160), (77, 237), (154, 314)]
    assert partial_slices(160 * 160 + 77 * 160) == [(0, 160), (77, 237)]


def test_silence_and_empty_input_give_unit_vectors_not_errors(encoder: VoiceEncoder) -> None:
    out = encoder.embed_many([np.zeros(8_000, np.float32), np.zeros(0, np.float32)])
    assert out.shape == (2, 256) and np.all(np.isfinite(out))
    assert encoder.embed_many([]).shape == (0, 256)


def test_unreadable_weights_are_a_model_load_error(tmp_path: Path) -> None:
    broken = tmp_path / "voice_encoder.npz"
    broken.write_bytes(b"not a zip file")
    with pytest.raises(ModelLoadError, match="voice encoder weights"):
        VoiceEncoder(broken).embed(np.zeros(16_000, np.float32))


def test_concurrent_first_use_loads_the_weights_once() -> None:
    import threading

    class Counting(VoiceEncoder):
        reads = 0

        def _read(self) -> dict[str, np.ndarray]:
            Counting.reads += 1
            return super()._read()

    encoder = Counting()
    clip = clip16k("clone-test.wav")
    start = threading.Barrier(4)
    results: list[np.ndarray] = []

    def run() -> None:
        start.wait(timeout=30)
        results.append(encoder.embed(clip))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert Counting.reads == 1 and len(results) == 4
    for vector in results[1:]:
        np.testing.assert_allclose(vector, results[0], atol=1e-6)


@pytest.mark.parametrize("voices", [False, True])
def test_backends_warm_up_loads_the_encoder_only_when_voices_are_matched(voices: bool) -> None:
    """A fresh process: with diarization on, start-up loads the encoder, so a turn's identification
    (before its reply) never pays for it; with it off, nothing about voices is loaded."""
    import subprocess
    import sys

    code = f"""
from tui.agent.base import NoAgent
from tui.backends import Backends

class Idle:
    name = "idle"
    def warm_up(self) -> None:
        pass

Backends(Idle(), NoAgent(), None, "test", {{}}, voices={voices}).warm_up()  # type: ignore[arg-type]
from tui.diarize.diarizer import shared_encoder
print(shared_encoder().loaded)
"""
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == str(voices)
