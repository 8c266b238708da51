"""k-means initialisation for :class:`emlab.GaussianMixture`, without scikit-learn.

Both functions take a ``numpy.random.Generator`` made from the estimator's
``random_state``, so a fixed seed gives the same start every time.
"""

from __future__ import annotations

import numpy as np

__all__ = ["kmeans_labels", "kmeans_plusplus_indices"]


def kmeans_plusplus_indices(X: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of k seed points chosen by k-means++ (Arthur & Vassilvitskii, 2007).

    The first seed is uniform; each further seed is drawn with probability
    proportional to its squared distance to the nearest seed so far. scipy's
    ``kmeans2(minit='++')`` does the same but does not expose the indices,
    which the 'k-means++' initialisation needs (one point per component).
    """
    m = X.shape[0]
    idx = np.empty(k, dtype=np.intp)
    idx[0] = rng.integers(m)
    d2 = ((X - X[idx[0]]) ** 2).sum(axis=1)
    for j in range(1, k):
        total = d2.sum()
        if total > 0:
            cand = int(np.searchsorted(np.cumsum(d2), rng.uniform() * total, side="right"))
            idx[j] = min(cand, m - 1)
        else:  # fewer distinct points than seeds: any point will do
            idx[j] = rng.integers(m)
        d2 = np.minimum(d2, ((X - X[idx[j]]) ** 2).sum(axis=1))
    return idx


def kmeans_labels(X: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Hard k-means labels: k-means++ seeds, then Lloyd iterations by ``scipy.cluster.vq.kmeans``.

    Lloyd stops when the mean distance to the nearest centre changes by less
    than 1e-4 of the data's spread (scikit-learn's KMeans uses the same
    relative tolerance 1e-4).
    """
    if k == 1:
        return np.zeros(X.shape[0], dtype=np.intp)
    from scipy.cluster.vq import kmeans, vq  # here, not at the top: it would double `import emlab`'s time

    seeds = X[kmeans_plusplus_indices(X, k, rng)]
    thresh = 1e-4 * float(np.sqrt(X.var(axis=0).mean()))
    centres, _ = kmeans(X, seeds, thresh=thresh, check_finite=False)
    if centres.shape[0] < k:
        # scipy drops a centre whose cluster empties (duplicate points): keep the seeds' own partition.
        centres = seeds
    labels, _ = vq(X, centres, check_finite=False)
    return np.asarray(labels, dtype=np.intp)
