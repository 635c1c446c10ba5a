"""Resemblyzer's voice encoder (Apache-2.0, see NOTICE beside the weights) as a NumPy forward pass.

40-band mel power frames (16 kHz, 25 ms window, 10 ms hop, librosa's slaney mel) go through a
3-layer LSTM (hidden 256) whose last hidden state feeds a linear 256 + ReLU layer; the output is
L2-normalised. An utterance is cut into 1.6 s partial windows (1.3 per second) whose embeddings are
averaged, as ``resemblyzer.VoiceEncoder.embed_utterance`` does. A piece shorter than one window is
run over its own frames instead of being zero-padded to 1.6 s.

The weights (``voice_encoder.npz``, float16) were converted once from resemblyzer 0.1.4's
``pretrained.pt`` by ``scripts/convert_voice_encoder.py``. No torch, no librosa.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tui.errors import ModelLoadError

RATE = 16_000
N_FFT = 400
"""25 ms window."""
HOP = 160
"""10 ms hop."""
N_MELS = 40
PARTIAL_FRAMES = 160
"""Frames in one partial window (1.6 s)."""
PARTIALS_PER_SECOND = 1.3
MIN_COVERAGE = 0.75
NORM_TARGET_DBFS = -30.0
LAYERS = 3
HIDDEN = 256
EMBEDDING_SIZE = 256
BATCH = 128
"""Partial windows run through the LSTM at once (bounds memory to about 90 MB)."""
WEIGHTS = Path(__file__).with_name("voice_encoder.npz")


def _hz_to_mel(freqs: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (librosa ``htk=False``): linear to 1 kHz, logarithmic above."""
    f_sp = 200.0 / 3
    mels = freqs / f_sp
    min_log_mel = 1000.0 / f_sp
    logstep = np.log(6.4) / 27.0
    high = freqs >= 1000.0
    mels[high] = min_log_mel + np.log(freqs[high] / 1000.0) / logstep
    return mels


def _mel_to_hz(mels: np.ndarray) -> np.ndarray:
    f_sp = 200.0 / 3
    freqs = f_sp * mels
    min_log_mel = 1000.0 / f_sp
    logstep = np.log(6.4) / 27.0
    high = mels >= min_log_mel
    freqs[high] = 1000.0 * np.exp(logstep * (mels[high] - min_log_mel))
    return freqs


def mel_filterbank(rate: int = RATE, n_fft: int = N_FFT, n_mels: int = N_MELS) -> np.ndarray:
    """``librosa.filters.mel(sr=rate, n_fft=n_fft, n_mels=n_mels)``: slaney scale and area norm,
    0 Hz to Nyquist; shape ``(n_mels, n_fft // 2 + 1)``, float32."""
    fft_freqs = np.fft.rfftfreq(n_fft, d=1.0 / rate)
    edges = _mel_to_hz(
        np.linspace(_hz_to_mel(np.array([0.0]))[0], _hz_to_mel(np.array([rate / 2.0]))[0], n_mels + 2)
    )
    widths = np.diff(edges)
    ramps = np.subtract.outer(edges, fft_freqs)
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


_MEL_BASIS: np.ndarray | None = None
_WINDOW = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)
"""Periodic Hann window (scipy ``get_window("hann", N_FFT)``, librosa's default)."""


def mel_frames(samples: np.ndarray) -> np.ndarray:
    """Mel power spectrogram, ``(frames, 40)`` float32, frame ``t`` centred on sample ``t * HOP``:
    ``librosa.feature.melspectrogram(y, sr=16000, n_fft=400, hop_length=160, n_mels=40).T``
    (centred frames, zero padding, power 2)."""
    global _MEL_BASIS
    if _MEL_BASIS is None:
        _MEL_BASIS = mel_filterbank()
    y = np.pad(np.asarray(samples, dtype=np.float32), N_FFT // 2)
    count = 1 + (y.size - N_FFT) // HOP
    frames = np.lib.stride_tricks.as_strided(
        y, shape=(count, N_FFT), strides=(y.strides[0] * HOP, y.strides[0]), writeable=False
    )
    spectrum = np.fft.rfft(frames * _WINDOW, axis=1)
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
    return power @ _MEL_BASIS.T


def normalize_volume(samples: np.ndarray, target_dbfs: float = NORM_TARGET_DBFS) -> np.ndarray:
    """Raise (never lower) the level to ``target_dbfs`` RMS, as resemblyzer's preprocessing does."""
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if samples.size else 0.0
    if rms <= 1e-9:
        return samples
    change = target_dbfs - 20.0 * np.log10(rms)
    if change <= 0:
        return samples
    return (samples * np.float32(10 ** (change / 20.0))).astype(np.float32)


def partial_slices(n_samples: int) -> list[tuple[int, int]]:
    """Frame ranges of the partial windows of an utterance (resemblyzer's ``compute_partial_slices``
    with rate 1.3 and coverage 0.75); a range may reach past the audio (zero-padded)."""
    n_frames = int(np.ceil((n_samples + 1) / HOP))
    step = int(np.round((RATE / PARTIALS_PER_SECOND) / HOP))
    steps = max(1, n_frames - PARTIAL_FRAMES + step + 1)
    ranges = [(i, i + PARTIAL_FRAMES) for i in range(0, steps, step)]
    last_start = ranges[-1][0] * HOP
    coverage = (n_samples - last_start) / (PARTIAL_FRAMES * HOP)
    if coverage < MIN_COVERAGE and len(ranges) > 1:
        ranges.pop()
    return ranges


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * np.tanh(0.5 * x) + 0.5


class VoiceEncoder:
    """The voice encoder; weights load on first use (thread-safe) and stay loaded.

    ``embed`` and ``embed_many`` take mono float32 samples at 16 kHz and return L2-normalised
    256-d float32 embeddings (cosine similarity is their dot product).
    """

    def __init__(self, weights: Path = WEIGHTS) -> None:
        self.weights = Path(weights)
        self._params: dict[str, np.ndarray] | None = None
        self._pools: Any = None
        self._lock = threading.Lock()
        self._run_lock = threading.Lock()  # the BLAS thread limit is process-wide: one run at a time

    @property
    def loaded(self) -> bool:
        return self._params is not None

    def load(self) -> None:
        if self._params is not None:
            return
        with self._lock:
            if self._params is None:
                from threadpoolctl import ThreadpoolController

                self._pools = ThreadpoolController()  # finding the BLAS libraries takes a while: once
                self._params = self._read()

    def _read(self) -> dict[str, np.ndarray]:
        try:
            with np.load(self.weights, allow_pickle=False) as data:
                params = {
                    name: np.ascontiguousarray(data[name], dtype=np.float32)
                    for name in data.files
                    if name != "source_sha256"
                }
        except (OSError, ValueError, KeyError) as err:
            raise ModelLoadError(
                f"Cannot read the voice encoder weights at {self.weights} ({err}).",
                hint="Reinstall Voxroom, or set diarization.enabled = false.",
                retryable=False,
            ) from None
        out: dict[str, np.ndarray] = {}
        order = np.r_[0 : 2 * HIDDEN, 3 * HIDDEN : 4 * HIDDEN, 2 * HIDDEN : 3 * HIDDEN]
        # The sigmoid gates are computed as (tanh(x / 2) + 1) / 2: their weights are halved here
        # (exact in floating point) so one tanh call covers all four gates.
        scale = np.ones(4 * HIDDEN, dtype=np.float32)
        scale[: 3 * HIDDEN] = 0.5
        for layer in range(LAYERS):
            # torch's gate order (i, f, g, o) becomes (i, f, o, g); transposed so each step is one
            # (batch, hidden) @ (hidden, 4 * hidden) product.
            ih = params[f"lstm_weight_ih_l{layer}"][order].T * scale
            hh = params[f"lstm_weight_hh_l{layer}"][order].T * scale
            bias = (params[f"lstm_bias_ih_l{layer}"] + params[f"lstm_bias_hh_l{layer}"])[order] * scale
            out[f"ih{layer}"] = np.ascontiguousarray(ih)
            out[f"hh{layer}"] = np.ascontiguousarray(hh)
            out[f"b{layer}"] = np.ascontiguousarray(bias)
        out["linear"] = np.ascontiguousarray(params["linear_weight"].T)
        out["linear_b"] = params["linear_bias"]
        return out

    def embed(self, samples: np.ndarray) -> np.ndarray:
        """One utterance's embedding, ``(256,)``."""
        return self.embed_many([samples])[0]

    def embed_many(self, clips: Sequence[np.ndarray]) -> np.ndarray:
        """Embeddings of several utterances, ``(len(clips), 256)``; all partial windows are batched."""
        self.load()
        windows: list[np.ndarray] = []
        lengths: list[int] = []
        owners: list[int] = []
        for index, clip in enumerate(clips):
            samples = normalize_volume(np.asarray(clip, dtype=np.float32).reshape(-1))
            if samples.size < PARTIAL_FRAMES * HOP:
                # Shorter than one window: the LSTM state is read at the piece's own last frame.
                mel = (
                    mel_frames(samples)[:PARTIAL_FRAMES]
                    if samples.size
                    else np.zeros((1, N_MELS), np.float32)
                )
                windows.append(np.pad(mel, ((0, PARTIAL_FRAMES - len(mel)), (0, 0))))
                lengths.append(len(mel))
                owners.append(index)
                continue
            ranges = partial_slices(samples.size)
            end = ranges[-1][1] * HOP
            if end >= samples.size:
                samples = np.pad(samples, (0, end - samples.size))
            mel = mel_frames(samples)
            for start, stop in ranges:
                windows.append(mel[start:stop])
                lengths.append(PARTIAL_FRAMES)
                owners.append(index)
        out = np.zeros((len(clips), EMBEDDING_SIZE), dtype=np.float32)
        if not windows:
            return out
        # Each LSTM step is a small product: BLAS threads cost more than they gain (7x slower when
        # the cores are busy, as they are while Whisper runs).
        with self._run_lock, self._pools.limit(limits=1, user_api="blas"):
            partials = np.concatenate(
                [
                    self._forward(np.stack(windows[i : i + BATCH]), np.array(lengths[i : i + BATCH]))
                    for i in range(0, len(windows), BATCH)
                ]
            )
        np.add.at(out, np.array(owners), partials)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)

    def _forward(self, mels: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Partial-window embeddings for ``mels`` ``(batch, frames, 40)``; item ``i`` ends at frame
        ``lengths[i]``. Items run longest first, and each step only computes the items still
        running (as torch's packed sequences do)."""
        params = self._params
        assert params is not None
        batch = mels.shape[0]
        by_length = np.argsort(-lengths, kind="stable")
        ends = lengths[by_length]
        steps = int(ends[0])
        running = [int(np.count_nonzero(ends > t)) for t in range(steps)]
        x = np.ascontiguousarray(mels[by_length, :steps].transpose(1, 0, 2))  # time-major
        gates = np.empty((batch, 4 * HIDDEN), dtype=np.float32)
        for layer in range(LAYERS):
            gates_in = (x.reshape(steps * batch, -1) @ params[f"ih{layer}"]).reshape(steps, batch, -1)
            gates_in += params[f"b{layer}"]
            hh = params[f"hh{layer}"]
            h = np.zeros((batch, HIDDEN), dtype=np.float32)
            c = np.zeros((batch, HIDDEN), dtype=np.float32)
            outputs = np.zeros((steps, batch, HIDDEN), dtype=np.float32)
            for t in range(steps):
                n = running[t]
                g, hn, cn = gates[:n], h[:n], c[:n]
                np.matmul(hn, hh, out=g)
                g += gates_in[t, :n]
                np.tanh(g, out=g)
                sig = g[:, : 3 * HIDDEN]  # input, forget, output gates: (tanh(x / 2) + 1) / 2
                sig *= 0.5
                sig += 0.5
                cell = g[:, 3 * HIDDEN :]
                cell *= sig[:, :HIDDEN]
                cn *= sig[:, HIDDEN : 2 * HIDDEN]
                cn += cell
                np.tanh(cn, out=hn)
                hn *= sig[:, 2 * HIDDEN :]
                outputs[t, :n] = hn
            x = outputs
        last = x[ends - 1, np.arange(batch)]
        raw = np.maximum(last @ params["linear"] + params["linear_b"], 0.0)
        raw /= np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-12)
        out = np.empty_like(raw)
        out[by_length] = raw
        return out
