"""Exact streaming polyphase resampling (the recorder's, and the file loader's, block by block)."""

from __future__ import annotations

import math
from functools import lru_cache
from math import gcd

import numpy as np

_CHUNK = 1024
_KAISER_BETA = 5.0


class StreamResampler:
    """Polyphase resampling of a stream delivered in blocks of any size.

    Gives the same samples as ``scipy.signal.resample_poly(x, up, down)`` applied to the whole
    signal at once (same Kaiser-windowed FIR filter, same alignment), but block by block: it keeps
    the last ``K - 1`` input samples between calls, so there are no seams, gaps or duplicated
    samples at block edges. Call :meth:`flush` once at the end to get the filter's tail.
    """

    def __init__(self, src_rate: int, dst_rate: int) -> None:
        if src_rate <= 0 or dst_rate <= 0:
            raise ValueError("sample rates must be positive")
        g = gcd(int(src_rate), int(dst_rate))
        self.src_rate = int(src_rate)
        self.dst_rate = int(dst_rate)
        self.up = self.dst_rate // g
        self.down = self.src_rate // g
        self.passthrough = self.up == self.down
        self.n_in = 0
        self.n_out = 0
        self.flushed = False
        if self.passthrough:
            return
        self._delay = 10 * max(self.up, self.down)
        self._bank = _filter_bank(self.up, self.down)
        self._taps = k = self._bank.shape[1]
        self._buf = np.zeros(k - 1, dtype=np.float32)
        self._buf_start = -(k - 1)  # global index of _buf[0]; negative = zeros before the signal

    def process(self, block: np.ndarray) -> np.ndarray:
        """Feed input samples (1-D float32), get every output sample that is now complete."""
        x = np.asarray(block, dtype=np.float32).reshape(-1)
        self.n_in += x.size
        if self.passthrough:
            self.n_out += x.size
            return x
        if x.size:
            self._buf = np.concatenate((self._buf, x))
        return self._emit(self.n_in)

    def flush(self) -> np.ndarray:
        """The remaining output once the input has ended (zeros assumed after the last sample)."""
        self.flushed = True
        if self.passthrough:
            return np.zeros(0, dtype=np.float32)
        total = -(-self.n_in * self.up // self.down)  # ceil, as resample_poly
        need = (total * self.down + self._delay) // self.up + 1  # input samples the last output needs
        missing = need - (self._buf_start + self._buf.size)
        if missing > 0:
            self._buf = np.concatenate((self._buf, np.zeros(missing, dtype=np.float32)))
        return self._emit(need, limit=total)

    def _emit(self, available: int, limit: int | None = None) -> np.ndarray:
        up, down, k = self.up, self.down, self._taps
        # Last output n whose newest input index (n*down + delay) // up is < available.
        numerator = available * up - 1 - self._delay
        end = numerator // down + 1 if numerator >= 0 else 0
        if limit is not None:
            end = min(end, limit)
        if end <= self.n_out:
            return np.zeros(0, dtype=np.float32)
        view = np.lib.stride_tricks.sliding_window_view(self._buf, k)
        y = np.empty(end - self.n_out, dtype=np.float32)
        # In slices, so the gathered windows stay small (cache-friendly, no big temporaries).
        for lo in range(self.n_out, end, _CHUNK):
            ns = np.arange(lo, min(lo + _CHUNK, end), dtype=np.int64)
            p = ns * down + self._delay
            windows = view[p // up - (k - 1) - self._buf_start]
            bank = self._bank[0] if up == 1 else self._bank[p % up]
            np.einsum(
                "nk,nk->n" if up > 1 else "nk,k->n",
                windows,
                bank,
                out=y[lo - self.n_out : lo - self.n_out + ns.size],
            )
        self.n_out = end
        # Keep what the next output still needs.
        next_oldest = (end * down + self._delay) // up - (k - 1)
        drop = next_oldest - self._buf_start
        if drop > 0:
            self._buf = self._buf[drop:]
            self._buf_start += drop
        return y


@lru_cache(maxsize=8)
def _filter_bank(up: int, down: int) -> np.ndarray:
    """The polyphase taps of ``resample_poly(x, up, down)``'s filter: row ``r`` holds phase ``r``'s
    taps, reversed to line up with a forward input window. Read-only (shared between resamplers).

    The filter is ``scipy.signal.firwin(2 * 10 * max_rate + 1, 1 / max_rate, window=("kaiser", 5.0))``
    (a windowed sinc scaled to unit gain at DC), written with numpy alone: importing
    ``scipy.signal`` takes 0.8-1.4 s, which the first recording of a process would otherwise wait for.
    """
    max_rate = max(up, down)
    half_len = 10 * max_rate
    n = 2 * half_len + 1
    h = np.sinc((np.arange(n) - half_len) / max_rate) * np.kaiser(n, _KAISER_BETA)
    h *= up / h.sum()
    k = math.ceil(n / up)
    padded = np.zeros(k * up)
    padded[:n] = h
    bank = np.ascontiguousarray(padded.reshape(k, up).T[:, ::-1], dtype=np.float32)
    bank.flags.writeable = False
    return bank
