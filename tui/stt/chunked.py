"""Long recordings: split at silences into chunks under the request limit, transcribe them with
bounded concurrency, stitch the segments back with absolute timestamps, and resume after a stop.

Audio is read from the file in blocks, never whole, so a 2-hour file needs little memory: one pass
computes a coarse energy envelope (one float per 50 ms), then each chunk is read, resampled to
16 kHz and sent on its own.

Speaker labels: diarization runs per request, so ``speaker_1`` of one chunk need not be
``speaker_1`` of the next. Chunks after the first get their labels suffixed (``speaker_1_p2``)
so they stay distinct; rename or merge them in the session afterwards. People named after
``references`` (a diarizing service's ``speaker_references``) keep their name in every chunk.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import threading
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tui.audio.clip import TRANSCRIBE_RATE, Clip, resample, to_mono
from tui.errors import AudioInputError
from tui.model import UNKNOWN_SPEAKER, Segment, Transcript
from tui.stt.base import Transcriber
from tui.stt.references import reference_name

FRAME_S = 0.05
SEARCH_FRACTION = 0.25
"""Look for the quietest point in the last quarter of each chunk."""

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Chunk:
    index: int
    start: int
    """First frame (at the file's rate)."""
    end: int


def energy_envelope(path: Path, frame_s: float = FRAME_S) -> tuple[np.ndarray, int, int]:
    """RMS per ``frame_s`` window over the whole file, read block by block.

    Returns (envelope, sample rate, total frames).
    """
    import soundfile as sf

    try:
        info = sf.info(str(path))
    except (RuntimeError, sf.LibsndfileError):
        raise AudioInputError(f"{path.name} is not an audio file Voxroom can read.") from None
    rate = int(info.samplerate)
    hop = max(1, int(rate * frame_s))
    values: list[np.ndarray] = []
    carry = np.zeros(0, np.float32)
    for block in sf.blocks(str(path), blocksize=hop * 200, dtype="float32", always_2d=True):
        mono = np.concatenate([carry, to_mono(block)])
        whole = len(mono) // hop * hop
        if whole:
            frames = mono[:whole].reshape(-1, hop)
            values.append(np.sqrt(np.mean(frames * frames, axis=1)))
        carry = mono[whole:]
    if carry.size:
        values.append(np.array([np.sqrt(np.mean(carry * carry))], np.float32))
    env = np.concatenate(values) if values else np.zeros(0, np.float32)
    return env, rate, int(info.frames)


def plan_chunks(envelope: np.ndarray, rate: int, total: int, max_seconds: float) -> list[Chunk]:
    """Cut points at the quietest frame near the end of each ``max_seconds`` window."""
    hop = max(1, int(rate * FRAME_S))
    max_frames = int(max_seconds * rate)
    if total <= max_frames:
        return [Chunk(0, 0, total)]
    chunks: list[Chunk] = []
    start = 0
    while total - start > max_frames:
        limit = start + max_frames
        lo = int((limit - max_frames * SEARCH_FRACTION) // hop)
        hi = max(lo + 1, int(limit // hop))
        window = envelope[lo:hi]
        cut = (lo + int(np.argmin(window))) * hop if window.size else limit
        cut = min(max(cut, start + hop), limit)
        chunks.append(Chunk(len(chunks), start, cut))
        start = cut
    chunks.append(Chunk(len(chunks), start, total))
    return chunks


def read_chunk(path: Path, chunk: Chunk, out: Path, block_seconds: float = 5.0) -> Clip:
    """Write one chunk to ``out`` as 16 kHz mono FLAC, a block at a time; return it as a lazy clip.

    Memory stays at one block whatever the chunk's length: the Mistral backend sends the file's
    bytes as they are, and the offline one decodes it only when it needs the samples.
    """
    import soundfile as sf

    with (
        sf.SoundFile(str(path)) as src,
        sf.SoundFile(str(out), "w", TRANSCRIBE_RATE, 1, format="FLAC", subtype="PCM_16") as dst,
    ):
        rate = src.samplerate
        src.seek(chunk.start)
        left = chunk.end - chunk.start
        step = int(block_seconds * rate)
        while left > 0:
            data = src.read(min(step, left), dtype="float32", always_2d=True)
            if not len(data):
                break
            left -= len(data)
            dst.write(np.clip(resample(to_mono(data), rate, TRANSCRIBE_RATE), -1.0, 1.0))
    return Clip(None, TRANSCRIBE_RATE, out)


class ChunkProgress:
    """Finished chunks, kept in a JSON file so an interrupted run resumes where it stopped."""

    def __init__(self, path: Path, key: str) -> None:
        self.path = path
        self.key = key
        self._lock = threading.Lock()
        self.done: dict[int, Transcript] = {}
        from tui.fsutil import UnreadableFile, read_json

        try:  # the one reader: never a FIFO or a link, bounded in size and depth
            data = read_json(path, 64 * 1024 * 1024, within=path.parent.parent)
            if data.get("key") == key:
                self.done = {int(k): Transcript.from_dict(v) for k, v in data["chunks"].items()}
        except (UnreadableFile, ValueError, KeyError, TypeError, AttributeError):
            self.done = {}

    def add(self, index: int, transcript: Transcript) -> None:
        from tui.fsutil import atomic_write, make_private_dir

        with self._lock:
            self.done[index] = transcript
            data = {"key": self.key, "chunks": {str(k): v.to_dict() for k, v in self.done.items()}}
            make_private_dir(self.path.parent)
            atomic_write(self.path, json.dumps(data).encode("utf-8", errors="replace"))

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def progress_key(path: Path, chunks: list[Chunk], model: str) -> str:
    st = path.stat()
    blob = json.dumps(
        [str(path.resolve()), st.st_size, st.st_mtime_ns, model, [(c.start, c.end) for c in chunks]]
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def stitch(parts: list[tuple[Chunk, Transcript]], rate: int, names: Collection[str] = ()) -> Transcript:
    """The chunks' segments with absolute times; labels not in ``names`` get the chunk suffix."""
    segments: list[Segment] = []
    for chunk, transcript in sorted(parts, key=lambda p: p[0].index):
        offset = chunk.start / rate
        for seg in transcript.segments:
            keep = chunk.index == 0 or seg.speaker == UNKNOWN_SPEAKER or seg.speaker in names
            speaker = seg.speaker if keep else f"{seg.speaker}_p{chunk.index + 1}"
            segments.append(Segment(seg.start + offset, seg.end + offset, speaker, seg.text))
    model = next((t.model for _, t in parts if t.model), "")
    language = next((t.language for _, t in parts if t.language), None)
    return Transcript(segments, " ".join(s.text for s in segments), language, model)


def transcribe_long(
    path: Path,
    transcriber: Transcriber,
    *,
    max_seconds: float,
    concurrency: int = 3,
    progress: Progress | None = None,
    state_dir: Path | None = None,
    model: str = "",
    references: Mapping[str, Path] | None = None,
) -> Transcript:
    """Transcribe a file of any length. With ``state_dir``, finished chunks survive an interrupt.
    ``references`` go with every chunk (a diarizing service then names people the same way in each)."""
    envelope, rate, total = energy_envelope(path)
    if total == 0:
        raise AudioInputError(f"{path.name} holds no audio.")
    chunks = plan_chunks(envelope, rate, total, max_seconds)
    store = None
    if state_dir is not None:
        key = progress_key(path, chunks, model)
        store = ChunkProgress(state_dir / f"chunks-{key}.json", key)
    done: dict[int, Transcript] = dict(store.done) if store else {}
    count = {"n": len(done)}
    lock = threading.Lock()
    if progress:
        progress(count["n"], len(chunks))

    scratch = Path(tempfile.mkdtemp(prefix="voxroom-chunks-"))

    def work(chunk: Chunk) -> tuple[Chunk, Transcript]:
        piece = scratch / f"chunk-{chunk.index:04d}.flac"
        try:
            clip = read_chunk(path, chunk, piece)
            transcript = (
                transcriber.transcribe(clip, references=references)
                if references
                else transcriber.transcribe(clip)
            )
        finally:
            piece.unlink(missing_ok=True)
        if store:
            store.add(chunk.index, transcript)
        with lock:
            count["n"] += 1
            if progress:
                progress(count["n"], len(chunks))
        return chunk, transcript

    todo = [c for c in chunks if c.index not in done]
    parts = [(c, done[c.index]) for c in chunks if c.index in done]
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="voxroom-chunk")
    try:
        futures = [pool.submit(work, c) for c in todo]
        for future in as_completed(futures):
            parts.append(future.result())
    except BaseException:
        # Stop sending more chunks; the finished ones are saved for the resume.
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
        shutil.rmtree(scratch, ignore_errors=True)
    if store:
        store.clear()
    return stitch(parts, rate, {reference_name(name) for name in references or {}})
