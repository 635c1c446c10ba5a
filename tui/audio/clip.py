"""A recorded or loaded piece of audio, and the file decoding / resampling / encoding around it."""

from __future__ import annotations

import io
import os
from math import gcd
from pathlib import Path
from typing import BinaryIO

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
            loaded = load_clip(self.path, rate=self.rate)
            self._samples = loaded.samples
            self._frames = len(loaded.samples)
        return self._samples

    @property
    def frames(self) -> int:
        if self._frames is None:
            import soundfile as sf

            assert self.path is not None
            try:
                with open_audio_file(self.path) as f, sf.SoundFile(f) as info:
                    self._frames = round(info.frames * self.rate / info.samplerate)
            except (RuntimeError, sf.LibsndfileError, AudioInputError):
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
            with open_audio_file(self.path) as f:
                for block in sf.blocks(f, blocksize=65536, dtype="float32"):
                    peak = max(peak, float(np.max(np.abs(block))) if block.size else 0.0)
        except (RuntimeError, sf.LibsndfileError, AudioInputError):
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
                with open_audio_file(self.path) as f:
                    with sf.SoundFile(f) as info:
                        same = info.samplerate == rate and info.channels == 1 and info.frames > 0
                    if same:
                        f.seek(0)
                        return f.read()
            except (RuntimeError, OSError, sf.LibsndfileError):
                pass
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


MIN_FILE_RATE = 1_000
MAX_FILE_RATE = 384_000
MAX_FILE_CHANNELS = 64
DEFAULT_MAX_SECONDS = 4 * 3600.0
"""Longest file :func:`load_clip` decodes unless told otherwise (``audio.max_recording_s``'s default)."""
_BLOCK_FRAMES = 65_536
_UNKNOWN_SIZES = (0, 0xFFFFFFFF)  # streamed WAVs leave the data size at 0 or all ones


def open_audio_file(path: Path) -> BinaryIO:
    """An audio file opened for reading by the one reader (:func:`tui.fsutil.open_regular`): a
    regular file, never through a link (a clip that is a link is not that person's voice), never a
    FIFO. Raises :class:`AudioInputError` in one sentence."""
    from tui.fsutil import UnreadableFile, open_regular

    try:
        return open_regular(path)
    except UnreadableFile as err:
        if err.missing:
            raise AudioInputError(f"{path} does not exist.", hint="Check the file name.") from None
        if os.path.isdir(path) and not os.path.islink(path):
            raise AudioInputError(
                f"{path} is a folder, not an audio file.", hint="Give an audio file."
            ) from None
        if "link" in err.reason:
            raise AudioInputError(
                f"{path.name} is a link, which Voxroom never reads through.", hint="Give the file itself."
            ) from None
        if "regular" in err.reason:
            raise AudioInputError(f"{path} is not a regular file.", hint="Give an audio file.") from None
        if "ermission" in err.reason:
            raise AudioInputError(
                f"Cannot read {path}: permission denied.", hint="Check its permissions."
            ) from None
        raise AudioInputError(f"Cannot read {path}: {err.reason}.") from None


def _wav_claimed_bytes(f: BinaryIO) -> tuple[int, int] | None:
    """``(claimed data bytes, data offset)`` from a RIFF/WAVE header, or ``None`` if not one."""
    f.seek(0)
    head = f.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    offset = 12
    for _ in range(64):  # a header has a handful of chunks; stop on garbage
        chunk = f.read(8)
        if len(chunk) < 8:
            return None
        size = int.from_bytes(chunk[4:8], "little")
        offset += 8
        if chunk[:4] == b"data":
            return size, offset
        offset += size + (size & 1)
        f.seek(offset)
    return None


def _check_header(path: Path, f: BinaryIO, max_seconds: float) -> None:
    """Refuse, before decoding, a file whose header claims more than the file holds or allows."""
    import soundfile as sf

    size = os.fstat(f.fileno()).st_size
    if size == 0:
        raise AudioInputError(f"{path.name} is empty (0 bytes).", hint="Give a file that holds audio.")
    claimed = _wav_claimed_bytes(f)
    if claimed is not None:
        data_bytes, offset = claimed
        if data_bytes not in _UNKNOWN_SIZES and data_bytes > size - offset + 4096:
            raise AudioInputError(
                f"{path.name} is cut short or damaged: its header claims {data_bytes / 1e6:.2f} MB of audio "
                f"but the file holds {max(0, size - offset) / 1e6:.2f} MB.",
                hint="Export the recording again.",
            )
    try:
        f.seek(0)
        with sf.SoundFile(f) as info:
            pass
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError):
        return  # not a libsndfile format: PyAV decodes it with the same bounds
    finally:
        f.seek(0)
    _check_format(path, int(info.samplerate), int(info.channels))
    if info.samplerate and info.frames / info.samplerate > max_seconds:
        raise _too_long(path, info.frames / info.samplerate, max_seconds)


def _check_format(path: Path, rate: int, channels: int) -> None:
    if not MIN_FILE_RATE <= rate <= MAX_FILE_RATE:
        raise AudioInputError(
            f"{path.name} claims a sample rate of {rate} Hz; Voxroom reads {MIN_FILE_RATE // 1000} to "
            f"{MAX_FILE_RATE // 1000} kHz.",
            hint="Convert it to a common rate such as 48 kHz.",
        )
    if not 1 <= channels <= MAX_FILE_CHANNELS:
        raise AudioInputError(
            f"{path.name} claims {channels} channels; Voxroom reads 1 to {MAX_FILE_CHANNELS}.",
            hint="Mix it down to mono or stereo.",
        )


def _too_long(path: Path, seconds: float, max_seconds: float) -> AudioInputError:
    return AudioInputError(
        f"{path.name} is {seconds / 60:.1f} minutes long; the limit is {max_seconds / 60:.0f} minutes "
        "(audio.max_recording_s).",
        hint="Cut it into shorter files or raise that setting.",
    )


class _Collector:
    """Mono blocks in, optionally resampled as they come; refuses more than ``max_seconds``."""

    def __init__(
        self, path: Path, src_rate: int, rate: int | None, max_seconds: float, frames: int = 0
    ) -> None:
        self.path = path
        self.src_rate = src_rate
        self.rate = rate or src_rate
        self.max_frames = int(max_seconds * src_rate)
        self.seen = 0
        self.max_seconds = max_seconds
        self.parts: list[np.ndarray] = []
        # With a known length the result is written into one array (no second copy to join parts).
        expected = -(-min(frames, self.max_frames) * self.rate // src_rate) if frames > 0 else 0
        self._out = np.empty(expected + 16, np.float32) if expected else None
        self._filled = 0
        self._resampler = None
        if self.rate != src_rate:
            from tui.audio.resample import StreamResampler

            self._resampler = StreamResampler(src_rate, self.rate)

    def add(self, block: np.ndarray) -> None:
        self.seen += len(block)
        if self.seen > self.max_frames:
            raise _too_long(self.path, self.seen / self.src_rate, self.max_seconds)
        block = np.nan_to_num(block.astype(np.float32, copy=False), nan=0.0, posinf=1.0, neginf=-1.0)
        mono = to_mono(block)
        self._keep(self._resampler.process(mono) if self._resampler is not None else mono)

    def _keep(self, out: np.ndarray) -> None:
        if not out.size:
            return
        if self._out is not None and self._filled + out.size <= self._out.size:
            self._out[self._filled : self._filled + out.size] = out
            self._filled += out.size
            return
        if self._out is not None:  # longer than the header said: fall back to parts
            self.parts.append(self._out[: self._filled])
            self._out = None
        self.parts.append(np.array(out, dtype=np.float32))  # a copy: decoders reuse their buffers

    def clip(self) -> Clip:
        if self._resampler is not None:
            self._keep(self._resampler.flush())
        if self._out is not None:
            samples = self._out[: self._filled]
        elif self.parts:
            samples = np.concatenate(self.parts)
        else:
            samples = np.zeros(0, np.float32)
        return Clip(samples, self.rate, self.path)


def check_audio_file(path: Path, max_seconds: float | None = None) -> None:
    """The checks :func:`load_clip` makes before decoding: a readable, non-empty regular file (never
    through a link) whose header agrees with its size and whose length is within ``max_seconds``.
    Raises :class:`AudioInputError`."""
    limit = DEFAULT_MAX_SECONDS if max_seconds is None else max_seconds
    with open_audio_file(Path(path)) as f:
        _checked_header(Path(path), f, limit)


def _checked_header(path: Path, f: BinaryIO, limit: float) -> None:
    try:
        _check_header(path, f, limit)
    except PermissionError:
        raise AudioInputError(
            f"Cannot read {path}: permission denied.", hint="Check its permissions."
        ) from None
    except OSError as err:
        raise AudioInputError(f"Cannot read {path}: {err.strerror or err}.") from None


def write_flac(path: Path, samples: np.ndarray, rate: int = TRANSCRIBE_RATE) -> None:
    """Write mono samples as 16-bit FLAC (how every recording is kept), clipped to full scale."""
    import soundfile as sf

    sf.write(str(path), np.clip(samples, -1.0, 1.0), rate, format="FLAC", subtype="PCM_16")


def load_clip(path: Path | str, *, rate: int | None = None, max_seconds: float | None = None) -> Clip:
    """Decode WAV, FLAC, MP3, OGG (libsndfile) or anything PyAV reads, any rate and channel count.

    The file is decoded in blocks, mixed to mono and (with ``rate``) resampled block by block, so
    memory holds only the mono result. The header is checked against the file's size, its rate and
    channel count against sane bounds, and its length against ``max_seconds`` (default
    :data:`DEFAULT_MAX_SECONDS`) before decoding. Errors are one sentence naming the file.
    """
    path = Path(path)
    limit = DEFAULT_MAX_SECONDS if max_seconds is None else max_seconds
    with open_audio_file(path) as source:  # opened once: what is checked is what is decoded
        _checked_header(path, source, limit)
        import soundfile as sf

        try:
            with sf.SoundFile(source) as f:
                _check_format(path, int(f.samplerate), int(f.channels))
                collector = _Collector(path, int(f.samplerate), rate, limit, frames=int(f.frames))
                for block in f.blocks(blocksize=_BLOCK_FRAMES, dtype="float32", always_2d=True):
                    collector.add(block)
            return collector.clip()
        except AudioInputError:
            raise
        except (sf.LibsndfileError, RuntimeError, TypeError, ValueError):
            pass
        except MemoryError:
            raise AudioInputError(
                f"{path.name} is too large to decode here.", hint="Cut it into shorter files."
            ) from None
        source.seek(0)
        return _load_with_av(path, source, rate, limit)


def _load_with_av(path: Path, source: BinaryIO, rate: int | None, max_seconds: float) -> Clip:
    try:
        import av
    except ImportError:  # pragma: no cover - av comes with faster-whisper
        raise AudioInputError(f"{path.name} is not an audio file Voxroom can read.") from None
    try:
        with av.open(source) as container:
            if not container.streams.audio:
                raise AudioInputError(f"{path.name} has no audio stream.", hint="Give an audio file.")
            stream = container.streams.audio[0]
            src_rate = int(stream.rate or 48000)
            _check_format(path, src_rate, 1)
            out_rate = rate or src_rate
            # PyAV resamples to mono at the wanted rate as it decodes; the limit counts output frames.
            resampler = av.AudioResampler(format="flt", layout="mono", rate=out_rate)
            collector = _Collector(path, out_rate, None, max_seconds)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    collector.add(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                collector.add(out.to_ndarray().reshape(-1))
    except AudioInputError:
        raise
    except MemoryError:
        raise AudioInputError(
            f"{path.name} is too large to decode here.", hint="Cut it into shorter files."
        ) from None
    except Exception:  # PyAV raises many error types for non-audio input
        raise AudioInputError(
            f"{path.name} is not an audio file Voxroom can read.",
            hint="Use WAV, FLAC, MP3 or OGG.",
        ) from None
    return collector.clip()
