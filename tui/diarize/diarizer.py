"""Offline diarization: who spoke each piece of an offline transcript.

Each Whisper sentence is split at pauses between its words (so a change of speaker inside one
sentence is not lost), each piece is embedded by the voice encoder, the pieces of at least
``SHORT_S`` are clustered (average linkage, cosine distance), and shorter pieces take the label
of the closest cluster, or of a neighbouring piece when that is nearly as close. Consecutive
pieces of one sentence with the same label become one segment again; labels are ``speaker_1..N``
in order of first appearance.

The stages are separate functions so a streaming transcription can embed pieces while the
recording goes on and only cluster at the end (:func:`split_pieces`, :func:`embed_pieces`,
:func:`assemble`); :func:`diarize` runs them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from tui.diarize.cluster import DEFAULT_THRESHOLD, centroids, cluster, first_appearance, split_distinct
from tui.diarize.encoder import RATE, WEIGHTS, VoiceEncoder
from tui.model import Segment, Word
from tui.models import shared_model
from tui.text import clean

SPLIT_GAP_S = 0.3
"""A pause of at least this long between two words of one sentence starts a new piece."""
SHORT_S = 0.6
"""Pieces shorter than this are not clustered: their voice is too little to found a speaker."""
PAD_S = 0.1
"""Audio taken around a piece (Whisper's word times are a little tight), up to halfway to the next."""
NEIGHBOUR_MARGIN = 0.05
"""A short piece keeps a neighbour's label when that speaker is within this cosine similarity of
the closest one."""


def shared_encoder() -> VoiceEncoder:
    """One encoder per process (:func:`tui.models.shared_model`; its weights load on first use, and
    its runs take turns on its own lock)."""
    return shared_model(("voice-encoder", str(WEIGHTS)), VoiceEncoder)


@dataclass(slots=True)
class Piece:
    """A run of words of one segment without a long pause; ``segment`` indexes the segment list."""

    start: float
    end: float
    segment: int
    words: list[Word] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return max(0.0, self.end - self.start)

    def shifted(self, seconds: float, segments: int) -> Piece:
        """The same piece ``seconds`` later, its segment index moved by ``segments``."""
        words = [Word(w.start + seconds, w.end + seconds, w.text) for w in self.words]
        return Piece(self.start + seconds, self.end + seconds, self.segment + segments, words)


@dataclass(slots=True)
class Diarization:
    segments: list[Segment]
    """The transcript's segments with speaker labels (a segment may have been split)."""
    voiceprints: dict[str, np.ndarray]
    """Label -> unit 256-d mean embedding (weighted by seconds) of that speaker's pieces."""
    seconds: dict[str, float]
    """Label -> seconds of speech attributed."""


def split_pieces(
    segments: Sequence[Segment], words: Sequence[Word] | None = None, *, gap_s: float = SPLIT_GAP_S
) -> list[Piece]:
    """Pieces of every segment: its words (those whose middle lies inside it) split at pauses of
    ``gap_s`` or more; a segment without words is one piece."""
    ordered = sorted(words or (), key=lambda w: w.start)
    pieces: list[Piece] = []
    cursor = 0
    for index, seg in enumerate(segments):
        mine: list[Word] = []
        while cursor < len(ordered) and (ordered[cursor].start + ordered[cursor].end) / 2 < seg.start - 0.01:
            cursor += 1
        scan = cursor
        while scan < len(ordered) and (ordered[scan].start + ordered[scan].end) / 2 <= seg.end + 0.01:
            mine.append(ordered[scan])
            scan += 1
        cursor = scan
        if not mine:
            pieces.append(Piece(seg.start, seg.end, index))
            continue
        run = [mine[0]]
        for word in mine[1:]:
            if word.start - run[-1].end >= gap_s:
                pieces.append(Piece(run[0].start, run[-1].end, index, run))
                run = []
            run.append(word)
        pieces.append(Piece(run[0].start, run[-1].end, index, run))
    return pieces


def piece_audio(samples: np.ndarray, pieces: Sequence[Piece], *, rate: int = RATE) -> list[np.ndarray]:
    """Each piece's samples, padded by ``PAD_S`` but never past halfway to the next piece."""
    out: list[np.ndarray] = []
    for k, piece in enumerate(pieces):
        lo = piece.start - PAD_S
        hi = piece.end + PAD_S
        if k > 0 and pieces[k - 1].end <= piece.start:
            lo = max(lo, (pieces[k - 1].end + piece.start) / 2)
        if k + 1 < len(pieces) and pieces[k + 1].start >= piece.end:
            hi = min(hi, (piece.end + pieces[k + 1].start) / 2)
        a = max(0, int(lo * rate))
        b = min(len(samples), max(a, int(hi * rate)))
        out.append(samples[a:b])
    return out


def embed_pieces(
    samples: np.ndarray, pieces: Sequence[Piece], encoder: VoiceEncoder | None = None
) -> np.ndarray:
    """Embeddings ``(len(pieces), 256)`` of the pieces of 16 kHz ``samples``."""
    if not pieces:
        return np.zeros((0, 256), dtype=np.float32)
    return (encoder or shared_encoder()).embed_many(piece_audio(samples, pieces))


def label_pieces(
    pieces: Sequence[Piece],
    embeddings: np.ndarray,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    num_speakers: int | None = None,
) -> np.ndarray:
    """Speaker ids ``0..k-1`` per piece, numbered in order of first appearance in time."""
    count = len(pieces)
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    seconds = np.array([p.seconds for p in pieces])
    long = np.flatnonzero(seconds >= SHORT_S)
    if long.size == 0:
        long = np.arange(count)
    labels = np.full(count, -1, dtype=np.int64)
    labels[long] = cluster(embeddings[long], threshold=threshold, num_speakers=num_speakers)
    if not num_speakers:
        labels[long] = split_distinct(embeddings[long], labels[long], seconds[long])
    voices = centroids(embeddings[long], labels[long], np.maximum(seconds[long], 0.1))
    order = np.argsort([p.start for p in pieces], kind="stable")
    rank = np.empty(count, dtype=np.int64)
    rank[order] = np.arange(count)
    long_by_time = long[np.argsort(rank[long], kind="stable")]
    long_ranks = rank[long_by_time]
    for i in np.flatnonzero(labels < 0):
        sims = voices @ embeddings[i]
        best = int(np.argmax(sims))
        at = int(np.searchsorted(long_ranks, rank[i]))
        near = {int(labels[long_by_time[j]]) for j in (at - 1, at) if 0 <= j < long_by_time.size}
        near_best = max(near, key=lambda n: sims[n], default=best)
        labels[i] = near_best if sims[near_best] >= sims[best] - NEIGHBOUR_MARGIN else best
    return first_appearance(labels[order])[rank]


def assemble(
    segments: Sequence[Segment],
    pieces: Sequence[Piece],
    embeddings: np.ndarray,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    num_speakers: int | None = None,
) -> Diarization:
    """Label the pieces and rebuild the segments: a segment whose pieces got different speakers is
    split between its words."""
    labels = label_pieces(pieces, embeddings, threshold=threshold, num_speakers=num_speakers)
    by_segment: dict[int, list[int]] = {}
    for k, piece in enumerate(pieces):
        by_segment.setdefault(piece.segment, []).append(k)
    out: list[Segment] = []
    for index, seg in enumerate(segments):
        ks = by_segment.get(index)
        if not ks:
            out.append(Segment(seg.start, seg.end, seg.speaker, seg.text))
            continue
        groups: list[list[int]] = []
        for k in ks:
            if groups and labels[groups[-1][-1]] == labels[k]:
                groups[-1].append(k)
            else:
                groups.append([k])
        if len(groups) == 1:
            out.append(Segment(seg.start, seg.end, _label(labels[ks[0]]), seg.text))
            continue
        for group in groups:
            text = clean("".join(w.text for k in group for w in pieces[k].words)).strip()
            if text:
                first, last = pieces[group[0]], pieces[group[-1]]
                out.append(Segment(round(first.start, 2), round(last.end, 2), _label(labels[group[0]]), text))
    seconds = np.array([p.seconds for p in pieces])
    voiceprints: dict[str, np.ndarray] = {}
    spoken: dict[str, float] = {}
    for speaker in range(int(labels.max()) + 1 if len(labels) else 0):
        mine = np.flatnonzero(labels == speaker)
        weights = np.maximum(seconds[mine], 0.1)
        vector = (embeddings[mine] * weights[:, None]).sum(axis=0)
        voiceprints[_label(speaker)] = (vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(np.float32)
        spoken[_label(speaker)] = round(float(seconds[mine].sum()), 2)
    return Diarization(out, voiceprints, spoken)


def diarize(
    samples16k: np.ndarray,
    segments: Sequence[Segment],
    *,
    words: Sequence[Word] | None = None,
    num_speakers: int | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    encoder: VoiceEncoder | None = None,
) -> Diarization:
    """Speaker labels for ``segments`` of the 16 kHz mono recording ``samples16k`` (segment and word
    times in seconds from its start). ``num_speakers`` (> 0) fixes the number of speakers."""
    pieces = split_pieces(segments, words)
    embeddings = embed_pieces(np.asarray(samples16k, dtype=np.float32), pieces, encoder)
    return assemble(segments, pieces, embeddings, threshold=threshold, num_speakers=num_speakers)


def _label(index: int | np.integer) -> str:
    return f"speaker_{int(index) + 1}"
