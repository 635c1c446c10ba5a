"""Shared pieces for the diarization tests: who reads which line of the two-reader dialogue."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import permutations

import numpy as np
import pytest

from tests.offline.conftest import offline_settings, shared_clip
from tui.audio.clip import TRANSCRIBE_RATE, load_clip
from tui.model import Segment
from tui.stt.offline import WhisperTranscriber

ENDGAME_LINES = (
    (0.00, 1.24, "A"), (1.63, 1.87, "B"), (2.64, 3.52, "A"), (3.98, 4.24, "B"),
    (4.88, 8.06, "A"), (8.80, 9.92, "B"), (10.12, 11.46, "B"), (12.04, 14.18, "A"),
    (14.66, 15.64, "B"), (16.04, 17.02, "B"), (17.68, 19.10, "A"), (19.70, 20.12, "B"),
    (20.50, 21.96, "A"), (22.61, 23.21, "B"), (23.83, 27.43, "A"), (28.11, 28.25, "B"),
)  # fmt: skip
"""The 16 lines (Whisper tiny.en sentences) of endgame_nagg_nell.wav: start, end (s), reader.

A is Nagg (the first voice; median pitch 118-131 Hz on every one of his lines), B is Nell
(165-208 Hz). The readers alternate; two of Nell's turns ("Laugh less heartily so. / We have still
that resource." and "Ah, that's a good story. / Ah, that's a good story?") are two sentences
each. Pitch was measured once by autocorrelation, independently of the voice encoder."""


def reader_labels(segments: Sequence[Segment], lines: Sequence[tuple[float, float, str]]) -> list[set[str]]:
    """For each reference line, the labels of the segments that overlap it."""
    return [{s.speaker for s in segments if s.start < end and s.end > start} for start, end, _ in lines]


def lines_right(segments: Sequence[Segment], lines: Sequence[tuple[float, float, str]]) -> int:
    """How many lines are covered by exactly their reader's label, under the best one-to-one map
    between labels and readers."""
    found = reader_labels(segments, lines)
    labels = sorted(set().union(*found))
    readers = sorted({reader for _, _, reader in lines})
    best = 0
    for chosen in permutations(labels, min(len(labels), len(readers))):
        mapping = dict(zip(chosen, readers, strict=True))
        right = sum(
            len(have) == 1 and mapping.get(next(iter(have))) == reader
            for have, (_, _, reader) in zip(found, lines, strict=True)
        )
        best = max(best, right)
    return best


@pytest.fixture(scope="session")
def whisper() -> WhisperTranscriber:
    """The embedded Whisper model with the default settings (diarization on)."""
    transcriber = WhisperTranscriber(offline_settings())
    transcriber.warm_up()
    return transcriber


def clip16k(name: str) -> np.ndarray:
    return load_clip(shared_clip(name)).at_rate(TRANSCRIBE_RATE).samples
