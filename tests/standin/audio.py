"""Audio for the stand-in: the duration of uploads, and a deterministic tone for speech."""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf

from tests.standin.scripts import SpeechScript


def audio_seconds(data: bytes) -> float | None:
    """The duration of an uploaded WAV/FLAC/OGG file, or ``None`` if it cannot be decoded."""
    try:
        info = sf.info(io.BytesIO(data))
    except (RuntimeError, sf.LibsndfileError, TypeError, ValueError):
        return None
    return float(info.frames) / float(info.samplerate) if info.samplerate else None


def synthesize(text: str, script: SpeechScript) -> np.ndarray:
    """A float32 mono tone, ``script.seconds_per_char`` per character of ``text``.

    Each character gets its own pitch (200-830 Hz from its code point), with 5 ms fades, so the
    result is deterministic, never silent for non-empty text, and differs between texts.
    """
    rate = script.sample_rate
    per_char = max(1, round(script.seconds_per_char * rate))
    t = np.arange(per_char, dtype=np.float64) / rate
    fade = min(per_char // 2, max(1, rate // 200))
    envelope = np.ones(per_char)
    envelope[:fade] = np.linspace(0.0, 1.0, fade)
    envelope[-fade:] = np.linspace(1.0, 0.0, fade)
    pieces = []
    for char in text:
        frequency = 200.0 + (ord(char) % 64) * 10.0
        pieces.append(script.amplitude * envelope * np.sin(2 * np.pi * frequency * t))
    if not pieces:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(pieces).astype(np.float32)


def blocks(samples: np.ndarray, script: SpeechScript) -> list[np.ndarray]:
    """``samples`` cut into blocks of ``script.block_seconds``."""
    size = max(1, round(script.block_seconds * script.sample_rate))
    return [samples[i : i + size] for i in range(0, len(samples), size)]


def encode(samples: np.ndarray, rate: int, response_format: str) -> bytes:
    """``pcm``: raw float32 little-endian; ``wav``/``flac``/``mp3``/``opus`` through libsndfile."""
    if response_format == "pcm":
        return samples.astype("<f4").tobytes()
    formats = {
        "wav": ("WAV", "PCM_16"),
        "flac": ("FLAC", "PCM_16"),
        "mp3": ("MP3", "MPEG_LAYER_III"),
        "opus": ("OGG", "OPUS"),
    }
    container, subtype = formats[response_format]
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format=container, subtype=subtype)
    return buffer.getvalue()
