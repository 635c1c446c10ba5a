"""Average-linkage agglomerative clustering of voice embeddings on cosine distance."""

from __future__ import annotations

import numpy as np

DEFAULT_THRESHOLD = 0.40
"""Cosine distance at which clusters stop merging. Measured on the clips in tests/data/audio
(pieces of 0.6-3.5 s): one reader's pieces merged at distances up to 0.30, two different readers
only from 0.435 (0.45 merged the two readers of half the endgame dialogue)."""


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
