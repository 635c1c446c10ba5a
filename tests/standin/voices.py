"""Synthetic "voices" for diarization tests: harmonic buzz at a fixed pitch per person.

The three named voices also differ in timbre (:func:`harmonics`), so that Voxroom's own voice
encoder (:mod:`tui.diarize.encoder`) tells them apart too, not only the stand-in's pitch detector.

:func:`render_voices` builds test audio from ``(pitch, seconds)`` parts; the stand-in finds the voiced
stretches again with :func:`voiced_stretches` and tells the voices apart by their pitch
(:func:`label_stretches`), so a diarized answer follows the audio deterministically.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

RATE = 16_000
LOW, MID, HIGH = 110.0, 180.0, 260.0
"""Three distinct voices (Hz), far enough apart that no two are ever confused."""
MAX_HARMONIC_HZ = 7_000.0
GAP = 0.3
"""Silence (s) :func:`render_voices` puts between parts."""
FRAME = 0.02
MIN_GAP = 0.12
"""A silence at least this long ends a stretch."""
MIN_STRETCH = 0.15
PITCH_TOLERANCE = 0.08
"""Two pitches within 8 % of each other are the same voice."""
MIN_PITCH, MAX_PITCH = 70.0, 400.0


@dataclass(frozen=True)
class Stretch:
    """One voiced stretch of audio: times in seconds and its pitch (Hz, rounded)."""

    start: float
    end: float
    pitch: float


def harmonics(pitch: float) -> list[tuple[int, float]]:
    """(harmonic number, weight) of a voice. ``MID`` is bright (1/sqrt(k) up to 7 kHz), ``HIGH``
    has formants at 1.0, 2.3 and 3.4 kHz, any other pitch (``LOW``) is a plain 5-harmonic buzz
    (1/k). The fundamental is the strongest component below 400 Hz in each, so pitch finds it."""
    count = int(MAX_HARMONIC_HZ // pitch)
    if pitch == MID:
        return [(k, k**-0.5) for k in range(1, count + 1)]
    if pitch == HIGH:
        formants = (1000.0, 2300.0, 3400.0)
        return [(1, 1.0)] + [
            (k, 0.9 * sum(np.exp(-0.5 * ((pitch * k - f) / (0.15 * f)) ** 2) for f in formants) / k**0.3)
            for k in range(2, count + 1)
        ]
    return [(k, 1.0 / k) for k in range(1, min(5, count) + 1)]


def render_voices(
    parts: Iterable[tuple[float, float]], *, rate: int = RATE, gap: float = GAP, amplitude: float = 0.3
) -> np.ndarray:
    """Float32 mono audio: each ``(pitch_hz, seconds)`` part as a harmonic buzz (:func:`harmonics`,
    peak ``amplitude``, 10 ms fades), ``gap`` seconds of silence before, between and after the
    parts. A pitch of 0 is silence of that length."""
    silence = np.zeros(round(gap * rate), dtype=np.float64)
    pieces = [silence]
    for pitch, seconds in parts:
        count = round(seconds * rate)
        if pitch <= 0:
            pieces.append(np.zeros(count))
            continue
        t = np.arange(count, dtype=np.float64) / rate
        tone = sum(weight * np.sin(2 * np.pi * pitch * k * t) for k, weight in harmonics(pitch))
        tone = tone / max(float(np.max(np.abs(tone))), 1e-9)
        fade = min(count // 2, rate // 100)
        envelope = np.ones(count)
        if fade:
            envelope[:fade] = np.linspace(0.0, 1.0, fade)
            envelope[-fade:] = np.linspace(1.0, 0.0, fade)
        pieces.extend([amplitude * envelope * tone, silence])
    return np.concatenate(pieces).astype(np.float32)


def write_voices(
    path: Path, parts: Iterable[tuple[float, float]], *, rate: int = RATE, gap: float = GAP
) -> Path:
    """:func:`render_voices` written to ``path`` (the format follows the suffix: .wav, .flac...)."""
    sf.write(str(path), render_voices(parts, rate=rate, gap=gap), rate, subtype="PCM_16")
    return path


def voices_bytes(parts: Iterable[tuple[float, float]], *, fmt: str = "WAV", rate: int = RATE) -> bytes:
    """:func:`render_voices` encoded in memory (``fmt``: a libsndfile format such as WAV or FLAC)."""
    buffer = io.BytesIO()
    sf.write(buffer, render_voices(parts, rate=rate), rate, format=fmt, subtype="PCM_16")
    return buffer.getvalue()


def decode(data: bytes) -> tuple[np.ndarray, int] | None:
    """Mono float32 samples and rate of an encoded file (WAV/FLAC/OGG), or ``None`` if undecodable."""
    try:
        samples, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError, TypeError, ValueError):
        return None
    return samples.mean(axis=1), int(rate)


def pitch_of(samples: np.ndarray, rate: int) -> float | None:
    """The strongest spectral peak between 70 and 400 Hz (the fundamental of a buzz), to 1 Hz."""
    if len(samples) < rate // 20:
        return None
    windowed = samples.astype(np.float64) * np.hanning(len(samples))
    size = max(len(samples), rate)  # zero-padded to at most 1 Hz per bin
    spectrum = np.abs(np.fft.rfft(windowed, n=size))
    freqs = np.fft.rfftfreq(size, 1.0 / rate)
    band = (freqs >= MIN_PITCH) & (freqs <= MAX_PITCH)
    if not band.any() or spectrum[band].max() <= 0:
        return None
    return round(float(freqs[band][np.argmax(spectrum[band])]))


def voiced_stretches(samples: np.ndarray, rate: int) -> list[Stretch]:
    """Voiced stretches (20 ms frames above -40 dBFS RMS), split at silences of 120 ms or more,
    each with its pitch. Stretches shorter than 150 ms are dropped."""
    frame = max(1, round(FRAME * rate))
    count = len(samples) // frame
    if count == 0:
        return []
    frames = samples[: count * frame].astype(np.float64).reshape(count, frame)
    voiced = np.sqrt((frames**2).mean(axis=1)) > 0.01
    stretches: list[Stretch] = []
    max_gap = round(MIN_GAP / FRAME)
    index = 0
    while index < count:
        if not voiced[index]:
            index += 1
            continue
        start = end = index
        silent = 0
        while index < count and silent < max_gap:
            if voiced[index]:
                end, silent = index, 0
            else:
                silent += 1
            index += 1
        begin, stop = start * frame, (end + 1) * frame
        if (stop - begin) / rate >= MIN_STRETCH:
            pitch = pitch_of(samples[begin:stop], rate)
            if pitch is not None:
                stretches.append(Stretch(round(begin / rate, 3), round(stop / rate, 3), pitch))
    return stretches


def same_voice(a: float, b: float) -> bool:
    return abs(a - b) <= PITCH_TOLERANCE * min(a, b)


def label_stretches(stretches: Sequence[Stretch], references: Mapping[str, float] | None = None) -> list[str]:
    """A speaker label per stretch: a reference's name when its pitch matches one in
    ``references`` (name -> pitch), else ``speaker_1``, ``speaker_2``... in order of first hearing."""
    refs = dict(references or {})
    heard: list[float] = []
    labels: list[str] = []
    for stretch in stretches:
        named = next((name for name, pitch in refs.items() if same_voice(pitch, stretch.pitch)), None)
        if named is not None:
            labels.append(named)
            continue
        number = next((i for i, pitch in enumerate(heard) if same_voice(pitch, stretch.pitch)), None)
        if number is None:
            heard.append(stretch.pitch)
            number = len(heard) - 1
        labels.append(f"speaker_{number + 1}")
    return labels


def stretch_text(stretch: Stretch, part: int) -> str:
    """The scripted text of the ``part``-th stretch (1-based): ``"Voice at 180 hertz, part 2."``."""
    return f"Voice at {stretch.pitch:g} hertz, part {part}."
