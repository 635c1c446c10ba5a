"""Recordings left behind by a crash or ``kill -9``, and their repair.

While recording, :class:`~tui.audio.capture.Recorder` writes ``<name>.flac.partial`` and renames it
to ``<name>.flac`` on a clean stop. So any ``*.partial`` file means the process died mid-recording.

What such a file looks like: libsndfile writes the FLAC STREAMINFO header first with the total
sample count left at 0 ("unknown") and fills it in on close, which never happens. Every complete
FLAC frame (4096 samples, 0.26 s at 16 kHz) is already in the file, because libsndfile hands each
encoded frame straight to ``write(2)`` and the recorder flushes every second. libsndfile itself
then reports an absurd length and cannot read the file back, but a streaming FLAC decoder (PyAV,
which faster-whisper already brings) decodes every complete frame. :func:`recover` decodes them and
writes a proper FLAC file under the final name, so at most the last second of audio is lost.

WAV files whose RIFF/data sizes are 0 (a WAV writer killed before it closed) are repaired by
patching those sizes from the file's length.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tui.audio.capture import PARTIAL_SUFFIX
from tui.audio.clip import write_flac
from tui.errors import AudioInputError


@dataclass(frozen=True)
class RecoveredRecording:
    path: Path
    """The repaired, valid audio file (``<name>.flac`` for ``<name>.flac.partial``)."""
    duration: float
    """Seconds of audio saved."""
    rate: int
    source: Path
    """The broken file it came from (deleted once the repaired file is safely written)."""


def find_unfinished(directory: Path | str, *, recursive: bool = True) -> list[Path]:
    """Recordings in ``directory`` that were never finished, oldest first.

    That is every ``*.partial`` file, plus ``*.wav`` files whose header still says 0 bytes of data.
    """
    root = Path(directory)
    if not root.is_dir():
        return []
    pattern = "**/*" if recursive else "*"
    found: list[Path] = []
    for path in root.glob(pattern):
        if not path.is_file():
            continue
        if path.name.endswith(PARTIAL_SUFFIX) or (path.suffix.lower() == ".wav" and _wav_needs_patch(path)):
            found.append(path)
    return sorted(found, key=lambda p: (p.stat().st_mtime, str(p)))


def recover(path: Path | str) -> RecoveredRecording:
    """Repair one unfinished recording; see the module docstring.

    Raises :class:`AudioInputError` when nothing usable is in it (the broken file is then left
    alone for the caller to delete or keep).
    """
    src = Path(path)
    if not src.is_file():
        raise AudioInputError(f"{src} does not exist.")
    with src.open("rb") as f:
        magic = f.read(4)
    final = _final_name(src)
    if magic == b"fLaC":
        return _recover_flac(src, final)
    if magic == b"RIFF":
        return _recover_wav(src, final)
    if not magic:
        raise AudioInputError(f"{src.name} is empty: the recording stopped before any audio was saved.")
    raise AudioInputError(f"{src.name} is not a FLAC or WAV recording Voxroom can repair.")


def recover_all(directory: Path | str) -> tuple[list[RecoveredRecording], list[tuple[Path, AudioInputError]]]:
    """Repair every unfinished recording under ``directory`` (call once at start-up).

    Returns what was recovered, and the files that could not be (with why); those are left as
    they are, for the caller to delete or keep.
    """
    done: list[RecoveredRecording] = []
    failed: list[tuple[Path, AudioInputError]] = []
    for path in find_unfinished(directory):
        try:
            done.append(recover(path))
        except AudioInputError as err:
            failed.append((path, err))
    return done, failed


def _final_name(src: Path) -> Path:
    final = src.with_name(src.name[: -len(PARTIAL_SUFFIX)]) if src.name.endswith(PARTIAL_SUFFIX) else src
    if final != src and final.exists() and final.stat().st_size > 0:  # an empty one was only reserved
        final = final.with_name(f"{final.stem}.recovered{final.suffix}")
    return final


def _decode_stream(src: Path) -> tuple[np.ndarray, int]:
    """Decode every complete frame of a (possibly truncated) audio file to mono float32."""
    try:
        import av
    except ImportError:  # pragma: no cover - av comes with faster-whisper
        raise AudioInputError(f"{src.name} needs PyAV to be repaired; install faster-whisper.") from None
    chunks: list[np.ndarray] = []
    rate = 0
    try:
        with av.open(str(src), format="flac") as container:
            stream = container.streams.audio[0]
            rate = int(stream.rate or stream.codec_context.sample_rate or 0)
            try:
                for frame in container.decode(stream):
                    data = frame.to_ndarray()
                    if data.dtype.kind == "i":
                        data = data.astype(np.float32) / float(np.iinfo(data.dtype).max + 1)
                    data = np.asarray(data, dtype=np.float32)
                    # planar: (channels, n); packed: (1, n * channels)
                    channels = len(frame.layout.channels)
                    if data.shape[0] == channels and channels > 1:
                        data = data.mean(axis=0)
                    elif channels > 1:
                        data = data.reshape(-1, channels).mean(axis=1)
                    chunks.append(data.reshape(-1))
            except (av.error.FFmpegError, ValueError):  # a frame cut short by the kill: stop there
                pass
    except (av.error.FFmpegError, IndexError, ValueError) as err:
        raise AudioInputError(f"{src.name} cannot be decoded: {err}.") from None
    samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    return samples, rate


def _recover_flac(src: Path, final: Path) -> RecoveredRecording:
    samples, rate = _decode_stream(src)
    if samples.size == 0 or rate <= 0:
        raise AudioInputError(f"{src.name} holds no complete audio frame; nothing to recover.")
    tmp = final.with_name(final.name + ".tmp")
    write_flac(tmp, samples, rate)
    os.replace(tmp, final)
    if final != src:
        src.unlink(missing_ok=True)
    return RecoveredRecording(final, samples.size / rate, rate, src)


def _wav_chunks(data: bytes) -> list[tuple[bytes, int, int]]:
    """(id, size field offset, payload offset) for each chunk header found after ``WAVE``."""
    out = []
    pos = 12
    while pos + 8 <= len(data):
        cid = data[pos : pos + 4]
        size = struct.unpack_from("<I", data, pos + 4)[0]
        out.append((cid, pos + 4, pos + 8))
        if cid == b"data":
            break
        pos += 8 + size + (size & 1)
    return out


def _wav_needs_patch(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            head = f.read(4096)
        size = path.stat().st_size
    except OSError:
        return False
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return False
    riff = struct.unpack_from("<I", head, 4)[0]
    for cid, size_at, payload in _wav_chunks(head):
        if cid == b"data":
            data_size = struct.unpack_from("<I", head, size_at)[0]
            return (data_size == 0 or riff == 0) and size > payload
    return False


def _recover_wav(src: Path, final: Path) -> RecoveredRecording:
    import soundfile as sf

    size = src.stat().st_size
    with src.open("rb") as f:
        head = f.read(65536)
    if head[8:12] != b"WAVE":
        raise AudioInputError(f"{src.name} is not a WAV file.")
    chunks = _wav_chunks(head)
    fmt = next((c for c in chunks if c[0] == b"fmt "), None)
    data = next((c for c in chunks if c[0] == b"data"), None)
    if fmt is None or data is None:
        raise AudioInputError(f"{src.name} has no WAV header to repair.")
    block_align = struct.unpack_from("<H", head, fmt[2] + 12)[0] or 1
    data_size = (size - data[2]) // block_align * block_align
    if data_size <= 0:
        raise AudioInputError(f"{src.name} holds no audio; nothing to recover.")
    with src.open("r+b") as f:
        f.seek(4)
        f.write(struct.pack("<I", min(0xFFFFFFFF, data[2] + data_size - 8)))
        f.seek(data[1])
        f.write(struct.pack("<I", min(0xFFFFFFFF, data_size)))
        f.flush()
        os.fsync(f.fileno())
    if final != src:
        os.replace(src, final)
    info = sf.info(str(final))
    return RecoveredRecording(final, info.frames / info.samplerate, int(info.samplerate), src)
