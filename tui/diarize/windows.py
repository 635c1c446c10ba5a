"""A turn's voice, embedded before its transcript exists: the voice encoder runs over the whole
recording's 1.6 s windows (every 0.77 s, as the encoder places them in an utterance) in a background
thread, while the transcription request is in flight. When the transcript arrives, each labelled
piece's voiceprint is the mean of the windows that lie inside its audio; a piece holding no whole
window (under about 1.6 s) is embedded then, on its own, as :func:`identity.label_voiceprints` does.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from tui.model import Segment

if TYPE_CHECKING:
    import numpy as np

    from tui.diarize.diarizer import Piece
    from tui.diarize.encoder import VoiceEncoder

RATE = 16_000
WINDOW_S = 1.6
STEP_S = 0.77
"""The encoder's partial windows: 160 frames, one every 77 frames (1.3 per second)."""
GROUP = 512
"""Windows handed to the encoder at once (bounds the memory of a long recording's mel frames)."""
SLACK_S = 0.2
"""A window may reach this far past a piece's padded audio and still count as inside it."""


class TurnVoices:
    """The recording's window embeddings, computed once in a background thread (:meth:`start`)."""

    def __init__(self, samples16k: np.ndarray, encoder: VoiceEncoder | None = None) -> None:
        import numpy as np

        self.samples = np.asarray(samples16k, dtype=np.float32).reshape(-1)
        self.encoder = encoder
        self.starts: list[float] = []
        self.embeddings: np.ndarray | None = None
        self.started = threading.Event()
        """Set when the encoder's work began (for tests and traces)."""
        self.done = threading.Event()
        """Set when every window is embedded, or the work failed (:attr:`error`)."""
        self.error: Exception | None = None
        self.started_at: float | None = None
        self.finished_at: float | None = None
        """``time.perf_counter()`` when the work began and ended."""
        self._thread: threading.Thread | None = None

    def start(self) -> TurnVoices:
        self._thread = threading.Thread(target=self._run, name="voxroom-voices", daemon=True)
        self._thread.start()
        return self

    def _encoder(self) -> VoiceEncoder:
        from tui.diarize.diarizer import shared_encoder

        return self.encoder or shared_encoder()

    def _run(self) -> None:
        import numpy as np

        self.started_at = time.perf_counter()
        self.started.set()
        try:
            size, step = int(WINDOW_S * RATE), int(STEP_S * RATE)
            offsets = list(range(0, max(0, self.samples.size - size) + 1, step))
            encoder = self._encoder()
            parts = [
                encoder.embed_many([self.samples[a : a + size] for a in offsets[i : i + GROUP]])
                for i in range(0, len(offsets), GROUP)
            ]
            self.embeddings = np.concatenate(parts) if parts else None
            self.starts = [a / RATE for a in offsets]
        except Exception as err:  # said, and the match embeds the segments itself
            self.error = err
            logging.getLogger("voxroom").warning("the turn's voice was not embedded early: %s", err)
        finally:
            self.finished_at = time.perf_counter()
            self.done.set()

    def voiceprints(self, segments: Sequence[Segment]) -> dict[str, np.ndarray]:
        """Each label's voiceprint: the seconds-weighted mean of its pieces' embeddings (unit length),
        as :func:`identity.label_voiceprints` gives it. Waits for the windows."""
        import numpy as np

        from tui.diarize.diarizer import piece_audio, split_pieces

        pieces = split_pieces(segments)
        if not pieces:
            return {}
        self.done.wait()
        bounds = _piece_bounds(pieces, self.samples.size)
        vectors: list[np.ndarray | None] = []
        missing: list[int] = []
        starts = np.asarray(self.starts)
        for k, (lo, hi) in enumerate(bounds):
            inside = np.nonzero((starts >= lo - SLACK_S) & (starts + WINDOW_S <= hi + SLACK_S))[0]
            if self.embeddings is None or not inside.size:
                vectors.append(None)
                missing.append(k)
                continue
            mean = self.embeddings[inside].sum(axis=0)
            vectors.append(mean / max(float(np.linalg.norm(mean)), 1e-12))
        if missing:
            audio = piece_audio(self.samples, pieces)
            embedded = self._encoder().embed_many([audio[k] for k in missing])
            for k, vector in zip(missing, embedded, strict=True):
                vectors[k] = vector
        sums: dict[str, np.ndarray] = {}
        for piece, vector in zip(pieces, vectors, strict=True):
            assert vector is not None
            label = segments[piece.segment].speaker
            sums[label] = sums.get(label, np.zeros_like(vector)) + vector * max(piece.seconds, 0.1)
        return {label: v / max(float(np.linalg.norm(v)), 1e-12) for label, v in sums.items()}


def _piece_bounds(pieces: Sequence[Piece], n_samples: int) -> list[tuple[float, float]]:
    """Seconds each piece's audio spans, as :func:`diarizer.piece_audio` cuts it."""
    from tui.diarize.diarizer import PAD_S

    out: list[tuple[float, float]] = []
    for k, piece in enumerate(pieces):
        lo, hi = piece.start - PAD_S, piece.end + PAD_S
        if k > 0 and pieces[k - 1].end <= piece.start:
            lo = max(lo, (pieces[k - 1].end + piece.start) / 2)
        if k + 1 < len(pieces) and pieces[k + 1].start >= piece.end:
            hi = min(hi, (piece.end + pieces[k + 1].start) / 2)
        out.append((max(0.0, lo), min(n_samples / RATE, hi)))
    return out
