"""k-means initialisation for :class:`emlab.GaussianMixture`, without scikit-learn.

Both functions take a numpy ``RandomState`` (the estimator's ``random_state``),
so a fixed seed gives the same start every time.
"""

from __future__ import annotations

import numpy as np
from scipy.cluster.vq import ClusterError, kmeans2, vq

__all__ = ["kmeans_labels", "kmeans_plusplus_indices"]


def kmeans_plusplus_indices(X: np.ndarray, k: int, random_state: np.random.RandomState) -> np.ndarray:
    """Indices of k seed points chosen by k-means++ (Arthur & Vassilvitskii, 2007).

    The first seed is uniform; each further seed is drawn with probability
    proportional to its squared distance to the nearest seed so far. scipy's
    ``kmeans2(minit='++')`` does the same but does not expose the indices,
    which the 'k-means++' initialisation needs (one point per component).
    """
    m = X.shape[0]
    idx = np.empty(k, dtype=np.intp)
    idx[0] = random_state.randint(m)
    d2 = ((X - X[idx[0]]) ** 2).sum(axis=1)
    for j in range(1, k):
        total = d2.sum()
        if total > 0:
            cand = int(np.searchsorted(np.cumsum(d2), random_state.uniform() * total, side="right"))
            idx[j] = min(cand, m - 1)
        else:  # fewer distinct points than seeds: any point will do
            idx[j] = random_state.randint(m)
        d2 = np.minimum(d2, ((X - X[idx[j]]) ** 2).sum(axis=1))
    return idx


def kmeans_labels(X: np.ndarray, k: int, random_state: np.random.RandomState, n_iter: int = 20) -> np.ndarray:
    """Hard k-means labels (k-means++ seeds, then Lloyd iterations by ``scipy.cluster.vq.kmeans2``)."""
    seeds = X[kmeans_plusplus_indices(X, k, random_state)]
    if k == 1:
        return np.zeros(X.shape[0], dtype=np.intp)
    try:
        # missing="raise": an empty cluster must not pass silently (or with a warning).
        _, labels = kmeans2(X, seeds, iter=n_iter, minit="matrix", missing="raise", check_finite=False)
    except ClusterError:
        # Lloyd emptied a cluster (duplicate points): keep the seeds' own partition.
        labels, _ = vq(X, seeds, check_finite=False)
    return np.asarray(labels, dtype=np.intp)
