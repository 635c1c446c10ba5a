"""Average-linkage agglomerative clustering of voice embeddings on cosine distance."""

from __future__ import annotations

import numpy as np

DEFAULT_THRESHOLD = 0.40
"""Cosine distance at which clusters stop merging. Measured on the clips in tests/data/audio
(pieces of 0.6-3.5 s): one reader's pieces merged at distances up to 0.30, two different readers
only from 0.435 (0.45 merged the two readers of half the endgame dialogue)."""
DISTINCT_DISTANCE = 0.29
"""Cosine distance between the voiceprints of two halves of one cluster, each of at least
``DISTINCT_MIN_S`` seconds, from which they are two voices. Measured on four-voice mixes of the
clips in tests/data/audio (bench/README.md "Diarization"): two voices merged into one cluster lay
0.303-0.350 apart; one voice's halves 0.004-0.209, and 0.254-0.271 once (Nagg's two identical
"Do you hear me?" against the rest of his lines). The margin is thin: a room's voices are checked
again against the session's people (people.MATCH_THRESHOLD, 0.25)."""
DISTINCT_MIN_S = 2.0
"""Seconds of speech each half needs before its voiceprint is trusted to split a cluster. Below
that a piece's embedding is too noisy (one reader's 0.8 s piece lay 0.29-0.34 from his others)."""


def cluster(
    embeddings: np.ndarray,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    num_speakers: int | None = None,
) -> np.ndarray:
    """Cluster ids ``0..k-1`` per row of ``embeddings`` ``(n, d)``, numbered in order of first row.

    ``num_speakers`` (when > 0) cuts the tree into that many clusters (at most ``n``) instead of at
    ``threshold``.
    """
    count = len(embeddings)
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    if count == 1:
        return np.zeros(1, dtype=np.int64)
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    distances = np.clip(pdist(np.asarray(embeddings, dtype=np.float64), metric="cosine"), 0.0, 2.0)
    tree = linkage(distances, method="average")
    if num_speakers and num_speakers > 0:
        raw = fcluster(tree, t=min(int(num_speakers), count), criterion="maxclust")
    else:
        raw = fcluster(tree, t=float(threshold), criterion="distance")
    return first_appearance(raw)


def first_appearance(labels: np.ndarray) -> np.ndarray:
    """Renumber ``labels`` ``0..k-1`` in order of first occurrence."""
    order: dict[int, int] = {}
    return np.array([order.setdefault(int(x), len(order)) for x in labels], dtype=np.int64)


def centroids(embeddings: np.ndarray, labels: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Unit-norm (weighted) mean embedding per cluster id, ``(k, d)``."""
    k = int(labels.max()) + 1 if len(labels) else 0
    w = np.ones(len(labels)) if weights is None else np.asarray(weights, dtype=np.float64)
    out = np.zeros((k, embeddings.shape[1]), dtype=np.float64)
    np.add.at(out, labels, embeddings * w[:, None])
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return (out / np.maximum(norms, 1e-12)).astype(np.float32)


def split_distinct(
    embeddings: np.ndarray,
    labels: np.ndarray,
    seconds: np.ndarray,
    *,
    distance: float = DISTINCT_DISTANCE,
    min_seconds: float = DISTINCT_MIN_S,
) -> np.ndarray:
    """Split clusters that hold two voices, each heard long enough to be sure of.

    Average linkage on a few pieces merges two voices whose pieces lie closer than the threshold
    (two readers saying the same sentence were 0.32-0.35 apart, one reader's short pieces up to
    0.34). Each cluster is cut in two along its own tree; when both halves have ``min_seconds``
    of speech and their seconds-weighted voiceprints are more than ``distance`` apart, they become
    two clusters, and each half is tried again. Returns ids ``0..k-1`` in order of first row."""
    out = np.asarray(labels, dtype=np.int64).copy()
    spoken = np.asarray(seconds, dtype=np.float64)
    weights = np.maximum(spoken, 0.1)
    if out.size < 2:
        return out
    todo = list(range(int(out.max()) + 1))
    fresh = int(out.max()) + 1
    while todo:
        current = todo.pop()
        members = np.flatnonzero(out == current)
        if members.size < 2 or float(spoken[members].sum()) < 2 * min_seconds:
            continue
        halves = cluster(embeddings[members], num_speakers=2)
        first, second = members[halves == 0], members[halves == 1]
        if min(float(spoken[first].sum()), float(spoken[second].sum())) < min_seconds:
            continue
        pair = centroids(
            embeddings[np.concatenate([first, second])],
            np.concatenate([np.zeros(first.size, np.int64), np.ones(second.size, np.int64)]),
            np.concatenate([weights[first], weights[second]]),
        )
        if 1.0 - float(pair[0] @ pair[1]) <= distance:
            continue
        out[second] = fresh
        todo += [current, fresh]
        fresh += 1
    return first_appearance(out)
