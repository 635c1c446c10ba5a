"""The streaming resampler gives exactly scipy's resample_poly, whatever the block sizes."""

from __future__ import annotations

from math import gcd

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import resample_poly

from tui.audio.resample import StreamResampler

PAIRS = [(48000, 16000), (44100, 16000), (24000, 48000), (22050, 48000), (16000, 48000), (16000, 16000)]


def streamed(x: np.ndarray, src: int, dst: int, sizes: list[int]) -> np.ndarray:
    r = StreamResampler(src, dst)
    out, i, k = [], 0, 0
    while i < len(x):
        n = sizes[k % len(sizes)]
        out.append(r.process(x[i : i + n]))
        i += n
        k += 1
    out.append(r.flush())
    return np.concatenate(out)


@pytest.mark.parametrize(("src", "dst"), PAIRS)
def test_matches_resample_poly(src: int, dst: int) -> None:
    rng = np.random.default_rng(src + dst)
    x = (0.3 * rng.standard_normal(src // 2 + 7)).astype(np.float32)
    g = gcd(src, dst)
    ref = resample_poly(x.astype(np.float64), dst // g, src // g)
    y = streamed(x, src, dst, [1, 960, 37, 4096, 3])
    assert len(y) == len(ref)
    assert np.max(np.abs(y - ref)) < 1e-5


@settings(max_examples=25, deadline=None)
@given(
    pair=st.sampled_from(PAIRS),
    n=st.integers(0, 5000),
    sizes=st.lists(st.integers(1, 2000), min_size=1, max_size=6),
)
def test_any_block_sizes(pair: tuple[int, int], n: int, sizes: list[int]) -> None:
    src, dst = pair
    x = np.sin(np.arange(n) * 0.05).astype(np.float32) * 0.5
    y = streamed(x, src, dst, sizes)
    g = gcd(src, dst)
    ref = resample_poly(x.astype(np.float64), dst // g, src // g) if n else np.zeros(0)
    assert len(y) == len(ref)
    if n:
        assert np.max(np.abs(y - ref)) < 1e-5


def test_no_samples_lost_over_a_long_stream() -> None:
    r = StreamResampler(48000, 16000)
    total_out = 0
    for _ in range(3000):  # 60 s in 20 ms blocks
        total_out += r.process(np.zeros(960, np.float32)).size
    total_out += r.flush().size
    assert total_out == 60 * 16000
    assert r._buf.size < 200  # the state stays small: bounded memory


def test_rejects_bad_rates() -> None:
    with pytest.raises(ValueError):
        StreamResampler(0, 16000)
