"""The speech (text-to-speech) interface."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import numpy as np


class Speaker(Protocol):
    """Synthesizes text into float32 mono PCM blocks at ``sample_rate``, streamed as produced.

    Raises :class:`tui.errors.SpeechError` on failure.
    """

    name: str
    sample_rate: int

    def warm_up(self) -> None:
        """Load the voice / open connections ahead of the first turn. Idempotent, may block."""

    def synthesize(self, text: str) -> Iterator[np.ndarray]: ...
