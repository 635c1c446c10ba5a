"""Clustering and the diarizer's piece handling on made-up embeddings (no audio, no model)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.diarize.cluster import DISTINCT_DISTANCE, centroids, cluster, split_distinct
from tui.diarize.diarizer import Piece, assemble, split_pieces
from tui.model import Segment, Word


def voices(count: int, seed: int = 3) -> np.ndarray:
    """``count`` random unit directions, nearly orthogonal to each other in 256 dimensions."""
    v = np.random.default_rng(seed).standard_normal((count, 256))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def noisy(voice: np.ndarray, distance: float, seed: int) -> np.ndarray:
    """A unit vector at cosine distance ``distance`` from ``voice``."""
    rng = np.random.default_rng(1000 + seed)  # never the seed of voices()
    other = rng.standard_normal(voice.shape)
    other -= (other @ voice) * voice
    other /= np.linalg.norm(other)
    sim = 1.0 - distance
    return sim * voice + np.sqrt(1 - sim**2) * other


def test_threshold_separates_voices_and_numbers_them_by_first_appearance() -> None:
    a, b, c = voices(3)
    rows = np.array(
        [noisy(b, 0.15, 1), noisy(a, 0.15, 2), noisy(b, 0.15, 3), noisy(c, 0.15, 4), noisy(a, 0.1, 5)]
    )
    assert cluster(rows).tolist() == [0, 1, 0, 2, 1]
    assert cluster(rows, threshold=0.05).tolist() == [0, 1, 2, 3, 4]  # everyone alone
    assert cluster(rows, threshold=1.5).tolist() == [0, 0, 0, 0, 0]  # everyone together


def test_number_of_speakers_hint_overrides_the_threshold() -> None:
    a, b = voices(2)
    rows = np.array([noisy(a, 0.1, 1), noisy(a, 0.1, 2), noisy(b, 0.1, 3)])
    assert cluster(rows, num_speakers=2).tolist() == [0, 0, 1]
    assert cluster(rows, num_speakers=1).tolist() == [0, 0, 0]
    assert cluster(rows, num_speakers=9).tolist() == [0, 1, 2]  # never more than the rows
    assert cluster(rows[:1]).tolist() == [0] and cluster(rows[:0]).tolist() == []


def test_centroids_are_weighted_unit_means() -> None:
    a, b = voices(2)
    got = centroids(np.array([a, b, b]), np.array([0, 0, 1]), np.array([3.0, 1.0, 1.0]))
    expected = (3 * a + b) / np.linalg.norm(3 * a + b)
    np.testing.assert_allclose(got[0], expected, atol=1e-6)
    np.testing.assert_allclose(got[1], b, atol=1e-6)


def two_close_voices(apart: float) -> np.ndarray:
    """Three pieces of one voice, then two of another about ``apart`` (cosine distance) away."""
    (base,) = voices(1)
    near = 1.0 - np.sqrt(1.0 - apart)  # each voice this far from base: about ``apart`` between them
    a, b = noisy(base, near, 1), noisy(base, near, 2)
    return np.array(
        [noisy(a, 0.01, 3), noisy(a, 0.01, 4), noisy(b, 0.01, 5), noisy(a, 0.01, 6), noisy(b, 0.01, 7)]
    )


def test_a_cluster_of_two_voices_heard_long_enough_is_split() -> None:
    rows = two_close_voices(0.33)
    assert cluster(rows).tolist() == [0, 0, 0, 0, 0]  # average linkage merges them at 0.40
    seconds = np.array([1.5, 1.5, 2.5, 1.0, 0.5])
    assert split_distinct(rows, cluster(rows), seconds).tolist() == [0, 0, 1, 0, 1]
    # Too little of the second voice to be sure of (under 2 s): the cluster stays whole.
    assert split_distinct(rows, cluster(rows), np.array([1.5, 1.5, 1.2, 1.0, 0.5])).tolist() == [0] * 5
    # One voice's halves closer than DISTINCT_DISTANCE stay one voice.
    same = two_close_voices(DISTINCT_DISTANCE - 0.1)
    assert split_distinct(same, cluster(same), seconds).tolist() == [0] * 5
    assert split_distinct(rows[:1], np.array([0]), seconds[:1]).tolist() == [0]


def word(start: float, end: float, text: str) -> Word:
    return Word(start, end, text)


def test_a_sentence_is_split_at_pauses_and_rejoined_when_the_voice_does_not_change() -> None:
    segments = [
        Segment(0.0, 3.0, "speaker_1", "Is it ready? Yes it is."),
        Segment(4.0, 5.0, "speaker_1", "Good."),
    ]
    words = [
        word(0.0, 0.4, " Is"), word(0.4, 0.8, " it"), word(0.8, 1.2, " ready?"),
        word(1.8, 2.2, " Yes"), word(2.2, 2.5, " it"), word(2.5, 3.0, " is."),
        word(4.0, 5.0, " Good."),
    ]  # fmt: skip
    pieces = split_pieces(segments, words)
    assert [(p.start, p.end, p.segment) for p in pieces] == [(0.0, 1.2, 0), (1.8, 3.0, 0), (4.0, 5.0, 1)]
    a, b = voices(2)

    # Two voices inside the first sentence: it becomes two segments with the words' own times.
    split = assemble(segments, pieces, np.array([a, b, a]))
    assert [(s.start, s.end, s.speaker, s.text) for s in split.segments] == [
        (0.0, 1.2, "speaker_1", "Is it ready?"),
        (1.8, 3.0, "speaker_2", "Yes it is."),
        (4.0, 5.0, "speaker_1", "Good."),
    ]
    assert split.seconds == {"speaker_1": 2.2, "speaker_2": 1.2}
    np.testing.assert_allclose(split.voiceprints["speaker_2"], b, atol=1e-6)

    # One voice: the sentence is whole again, text and times untouched.
    same = assemble(segments, pieces, np.array([a, noisy(a, 0.1, 1), a]))
    assert [(s.text, s.speaker) for s in same.segments] == [(s.text, "speaker_1") for s in segments]


def test_short_pieces_follow_the_closest_voice_and_prefer_a_neighbour_when_close() -> None:
    a, b = voices(2)
    pieces = [
        Piece(0.0, 2.0, 0),
        Piece(2.5, 2.8, 1),
        Piece(3.0, 5.0, 2),
        Piece(5.5, 5.8, 3),
        Piece(6.0, 8.0, 4),
    ]
    pieces.append(Piece(9.0, 11.0, 5))
    segments = [Segment(p.start, p.end, "speaker_1", f"line {i}") for i, p in enumerate(pieces)]
    leaning_b = 0.49 * a + 0.51 * b  # a little closer to B, within NEIGHBOUR_MARGIN
    rows = np.array([a, noisy(b, 0.2, 1), a, leaning_b / np.linalg.norm(leaning_b), a, b])
    labels = [s.speaker for s in assemble(segments, pieces, rows).segments]
    # The 0.3 s "yes" between two lines of A is clearly B's voice: it gets B (speaker_2) even with
    # A on both sides; the ambiguous short piece keeps its neighbours' label.
    assert labels == ["speaker_1", "speaker_2", "speaker_1", "speaker_1", "speaker_1", "speaker_2"]


def test_segments_without_words_are_single_pieces() -> None:
    segments = [Segment(0.0, 1.0, "speaker_1", "a"), Segment(1.0, 2.0, "speaker_1", "b")]
    assert [(p.start, p.end, p.segment, p.words) for p in split_pieces(segments, None)] == [
        (0.0, 1.0, 0, []),
        (1.0, 2.0, 1, []),
    ]


@settings(max_examples=60, deadline=None)
@given(
    gaps=st.lists(st.floats(min_value=0.0, max_value=1.2), min_size=1, max_size=40),
    ends=st.lists(st.booleans(), min_size=40, max_size=40),
    voice_of=st.lists(st.integers(min_value=0, max_value=2), min_size=40, max_size=40),
)
def test_relabelling_never_loses_moves_or_repeats_a_word(
    gaps: list[float], ends: list[bool], voice_of: list[int]
) -> None:
    """Whatever the pauses, sentence ends and voices, the output holds every word once, in order,
    each segment inside its sentence's time span, labels numbered by first appearance."""
    words, t = [], 0.0
    for i, gap in enumerate(gaps):
        t += gap
        words.append(Word(round(t, 2), round(t + 0.3, 2), f" w{i}{'.' if ends[i] else ''}"))
        t += 0.3
    segments, run = [], []
    for w in words:
        run.append(w)
        if w.text.endswith(".") or w is words[-1]:
            segments.append(
                Segment(run[0].start, run[-1].end, "speaker_1", "".join(x.text for x in run).strip())
            )
            run = []
    pieces = split_pieces(segments, words)
    assert sum(len(p.words) for p in pieces) == len(words)
    table = voices(3)
    rows = np.array([noisy(table[voice_of[i % 40]], 0.1, i) for i in range(len(pieces))])
    result = assemble(segments, pieces, rows)
    assert " ".join(s.text for s in result.segments).split() == [w.text.strip() for w in words]
    labels = [s.speaker for s in result.segments]
    assert labels[0] == "speaker_1"
    seen: list[str] = []
    for label in labels:
        if label not in seen:
            assert label == f"speaker_{len(seen) + 1}"
            seen.append(label)
    assert set(result.voiceprints) == set(seen) == set(result.seconds)
    starts = [s.start for s in result.segments]
    assert starts == sorted(starts)
    for out in result.segments:
        assert any(seg.start - 0.01 <= out.start <= out.end <= seg.end + 0.01 for seg in segments)
