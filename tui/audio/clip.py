"""A recorded or loaded piece of audio, and the file decoding / resampling / encoding around it."""

from __future__ import annotations

import io
from math import gcd
from pathlib import Path

import numpy as np

from tui.errors import AudioInputError

TRANSCRIBE_RATE = 16_000
SILENCE_DBFS = -60.0


def resample(samples: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Polyphase resampling (scipy), exact for any integer rates. Returns float32."""
    if src_rate == dst_rate or samples.size == 0:
        return samples.astype(np.float32, copy=False)
    from scipy.signal import resample_poly

    g = gcd(src_rate, dst_rate)
    out = resample_poly(samples, dst_rate // g, src_rate // g, axis=0)
    return np.asarray(out, dtype=np.float32)


def to_mono(samples: np.ndarray) -> np.ndarray:
    if samples.ndim == 1:
        return samples.astype(np.float32, copy=False)
    return samples.mean(axis=1, dtype=np.float32)


def dbfs(value: float) -> float:
    return 20.0 * float(np.log10(max(value, 1e-10)))


class Clip:
    """Mono float32 samples in [-1, 1] at ``rate``; ``path`` is the file it came from, if any.

    ``samples=None`` with a ``path`` makes a lazy clip: the file is decoded on first access of
    ``samples`` (a recording on disk can be sent as its file's bytes without ever being decoded).
    """

    __slots__ = ("_frames", "_samples", "path", "rate")

    def __init__(self, samples: np.ndarray | None, rate: int, path: Path | None = None) -> None:
        if samples is None and path is None:
            raise ValueError("a clip needs samples or a file")
        self._samples = samples
        self.rate = rate
        self.path = path
        self._frames: int | None = None if samples is None else len(samples)

    def __repr__(self) -> str:
        return f"Clip({self.duration:.2f} s at {self.rate} Hz, path={self.path})"

    @property
    def samples(self) -> np.ndarray:
        if self._samples is None:
            assert self.path is not None
            loaded = load_clip(self.path).at_rate(self.rate)
            self._samples = loaded.samples
            self._frames = len(loaded.samples)
        return self._samples

    @property
    def frames(self) -> int:
        if self._frames is None:
            import soundfile as sf

            assert self.path is not None
            try:
                info = sf.info(str(self.path))
                self._frames = round(info.frames * self.rate / info.samplerate)
            except (RuntimeError, sf.LibsndfileError):
                self._frames = len(self.samples)
        return self._frames

    @property
    def duration(self) -> float:
        return self.frames / self.rate if self.rate else 0.0

    @property
    def peak_dbfs(self) -> float:
        if self._samples is None and self.path is not None:
            return self._file_peak_dbfs()
        return dbfs(float(np.max(np.abs(self.samples)))) if self.samples.size else -200.0

    def _file_peak_dbfs(self) -> float:
        """Peak of a lazy clip, read a block at a time (a 3-hour file is never loaded whole)."""
        import soundfile as sf

        assert self.path is not None
        peak = 0.0
        try:
            for block in sf.blocks(str(self.path), blocksize=65536, dtype="float32"):
                peak = max(peak, float(np.max(np.abs(block))) if block.size else 0.0)
        except (RuntimeError, sf.LibsndfileError):
            return dbfs(float(np.max(np.abs(self.samples)))) if self.samples.size else -200.0
        return dbfs(peak) if peak else -200.0

    def at_rate(self, rate: int = TRANSCRIBE_RATE) -> Clip:
        if rate == self.rate:
            return self
        return Clip(resample(self.samples, self.rate, rate), rate, None)

    def flac_bytes(self, rate: int = TRANSCRIBE_RATE) -> bytes:
        """Compact lossless upload form: FLAC, 16-bit, mono, 16 kHz.

        When the clip already lives on disk in exactly that form (the recorder writes it while
        capturing), the file's bytes are sent as they are: nothing left to encode.
        """
        if self.path is not None and self.path.suffix.lower() == ".flac":
            import soundfile as sf

            try:
                info = sf.info(str(self.path))
            except (RuntimeError, OSError):
                info = None
            if info and info.samplerate == rate and info.channels == 1 and info.frames:
                return self.path.read_bytes()
        import soundfile as sf

        buf = io.BytesIO()
        samples = self.at_rate(rate).samples
        step = rate * 10
        with sf.SoundFile(buf, "w", rate, 1, format="FLAC", subtype="PCM_16") as f:
            for i in range(0, len(samples), step):
                f.write(np.clip(samples[i : i + step], -1.0, 1.0))
        return buf.getvalue()

    def check_usable(self, min_seconds: float = 0.3) -> None:
        """Raise a clear :class:`AudioInputError` for audio not worth sending anywhere."""
        name = self.path.name if self.path else "The recording"
        if self.frames == 0:
            raise AudioInputError(f"{name} holds no audio.")
        if self.duration < min_seconds:
            raise AudioInputError(
                f"{name} is too short ({self.duration:.2f} s; at least {min_seconds:g} s).",
                hint="Hold the recording a little longer.",
            )
        if self.peak_dbfs < SILENCE_DBFS:
            raise AudioInputError(
                f"{name} is silent (peak {self.peak_dbfs:.0f} dBFS).",
                hint="Check the microphone and its input level.",
            )


def load_clip(path: Path | str) -> Clip:
    """Decode WAV, FLAC, MP3, OGG (libsndfile) or anything PyAV reads, any rate and channel count.

    Errors are one sentence naming the file; nothing is sent anywhere.
    """
    path = Path(path)
    if not path.exists():
        raise AudioInputError(f"{path} does not exist.")
    if path.is_dir():
        raise AudioInputError(f"{path} is a folder, not an audio file.")
    if path.stat().st_size == 0:
        raise AudioInputError(f"{path.name} is empty (0 bytes).")
    import soundfile as sf

    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
        return Clip(to_mono(data), int(rate), path)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError):
        pass
    return _load_with_av(path)


def _load_with_av(path: Path) -> Clip:
    try:
        import av
    except ImportError:  # pragma: no cover - av comes with faster-whisper
        raise AudioInputError(f"{path.name} is not an audio file Voxroom can read.") from None
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise AudioInputError(f"{path.name} has no audio stream.")
            stream = container.streams.audio[0]
            resampler = av.AudioResampler(format="flt", layout="mono", rate=stream.rate or 48000)
            chunks = []
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            rate = stream.rate or 48000
    except AudioInputError:
        raise
    except Exception:  # PyAV raises many error types for non-audio input
        raise AudioInputError(f"{path.name} is not an audio file Voxroom can read.") from None
    samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    return Clip(samples, int(rate), path)
