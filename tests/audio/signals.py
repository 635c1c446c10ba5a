"""Signal helpers for the audio tests."""

from __future__ import annotations

import numpy as np
from scipy.signal import fftconvolve


def align(recorded: np.ndarray, reference: np.ndarray) -> tuple[int, float]:
    """Lag of ``reference`` inside ``recorded`` (cross-correlation peak) and the Pearson correlation
    of the overlapping part at that lag."""
    cc = fftconvolve(recorded, reference[::-1], mode="full")
    lag = int(np.argmax(np.abs(cc))) - (len(reference) - 1)
    r0, f0 = max(lag, 0), max(-lag, 0)
    n = min(len(recorded) - r0, len(reference) - f0)
    if n <= 1:
        return lag, 0.0
    a, b = recorded[r0 : r0 + n], reference[f0 : f0 + n]
    if not np.any(a) or not np.any(b):
        return lag, 0.0
    return lag, float(np.corrcoef(a, b)[0, 1])


def peak_dbfs(x: np.ndarray) -> float:
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    return 20 * np.log10(max(peak, 1e-10))
