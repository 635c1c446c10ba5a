"""When a live transcript may answer early: the service's turn events against the room's loudness.

:class:`TurnTracker` follows the realtime service's ``turn.start`` / ``turn.resume`` / ``turn.end``
events and where the last loud 20 ms frame of the audio fed so far ends. The turn is over when the
service said it ended, said nothing since, and nothing loud was heard after that end (within
:data:`LOUD_MARGIN_S`). Not thread-safe: its owner calls it under its own lock.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tui.audio.meter import frame_rms, is_loud

RATE = 16_000
FRAME = RATE // 50
"""Samples in the 20 ms frames whose loudness is measured (:func:`tui.audio.meter.is_loud`)."""
LOUD_MARGIN_S = 0.1
"""Loud audio may end this long after the service's ``turn.end`` time (frames differ)."""


class TurnTracker:
    def __init__(self) -> None:
        self.open = False
        """A turn started (or resumed) and has not ended."""
        self.end_s: float | None = None
        """Where (seconds of audio) the service said the last turn ended; None while one is open."""
        self._peak_rms = 0.0
        self.last_loud_s = 0.0

    @staticmethod
    def loudness(block: np.ndarray) -> np.ndarray:
        """The RMS of each 20 ms frame of ``block`` (computed outside the owner's lock)."""
        return frame_rms(block, FRAME)

    def note_loudness(self, rms: np.ndarray, fed_samples: int) -> None:
        """A block's frame loudness, the block starting ``fed_samples`` into the audio: where its last
        loud frame ends, if any, is the end of speech an early answer checks against ``turn.end``."""
        finite = rms[np.isfinite(rms)]
        if finite.size:
            self._peak_rms = max(self._peak_rms, float(finite.max()))
        loud = np.flatnonzero(is_loud(rms, self._peak_rms))
        if loud.size:
            self.last_loud_s = (fed_samples + (int(loud[-1]) + 1) * FRAME) / RATE

    def on_event(self, kind: str, time_s: Any, fed_s: float) -> None:
        """Speech began again, or the turn ended at ``time_s``. An end at an impossible time (not
        finite, negative, more than a second after the ``fed_s`` seconds of audio fed) is ignored."""
        if kind != "turn.end":
            self.open, self.end_s = True, None
        elif (
            isinstance(time_s, float | int) and not isinstance(time_s, bool) and 0.0 <= time_s <= fed_s + 1.0
        ):
            self.open, self.end_s = False, float(time_s)

    def over(self) -> bool:
        """The service said the turn ended, no turn began since, and nothing loud came after."""
        return not self.open and self.end_s is not None and self.last_loud_s <= self.end_s + LOUD_MARGIN_S
