"""The naive EM step that popular tutorials write: loops over points and components.

It is here to be timed against the vectorised code (notebook 07) and to show a
bug that is copied widely: centring the covariance on the OLD mean. It works in
linear space with ``scipy.stats.multivariate_normal.pdf``, so far from every
component its densities underflow; use :func:`emlab.e_step` / :func:`emlab.m_step`
for real work.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import multivariate_normal

from .core import as_data
from .params import GMMParams

__all__ = ["loop_em_step"]


def loop_em_step(X, params: GMMParams, centre_on: str = "new") -> GMMParams:
    """One EM iteration written as explicit loops (per point, per component).

    Parameters
    ----------
    X : array-like of shape (m, n) or (m,)
    params : GMMParams
        Theta^(t).
    centre_on : {'new', 'old'}, default='new'
        Which mean the covariance update is centred on. 'new' is the M-step
        (the maximiser of the lower bound); 'old' reproduces the widespread
        tutorial bug Sigma_j = sum_i w_ij (x_i - mu_j^(t))(...)^T / N_j. That
        Sigma_j is too large by d_j d_j^T (d_j = new mean - old mean), so the
        step is not the maximiser of the bound: no longer exact EM. It still
        raises the bound (a conditional step: Sigma at the old mean, then mu),
        so l does not fall, but the run is slower.

    Returns
    -------
    GMMParams
        Theta^(t+1).

    Raises
    ------
    ValueError
        If ``centre_on`` is not 'new' or 'old', if X and params disagree, or if
        every density of a point underflows to 0 (the linear-space weakness
        this loop demonstrates: use :func:`emlab.e_step`, which works in log space).
    """
    if centre_on not in ("new", "old"):
        raise ValueError(f"centre_on must be 'new' or 'old'; got {centre_on!r}.")
    X = as_data(X, params.n)
    m, n = X.shape
    k = params.k

    # E-step: w_ij = phi_j N(x_i; mu_j, Sigma_j) / sum_l phi_l N(x_i; mu_l, Sigma_l)
    W = np.zeros((m, k))
    for i in range(m):
        for j in range(k):
            W[i, j] = params.phi[j] * multivariate_normal.pdf(X[i], mean=params.mu[j], cov=params.Sigma[j])
        total = W[i].sum()
        if total == 0.0:
            raise ValueError(
                f"every density of point {i} underflowed to 0 in linear space, so its responsibilities are "
                "0/0. Use emlab.e_step, which works with log-densities and log-sum-exp."
            )
        W[i] /= total

    # M-step
    phi = np.zeros(k)
    mu = np.zeros((k, n))
    Sigma = np.zeros((k, n, n))
    for j in range(k):
        N_j = 0.0
        for i in range(m):
            N_j += W[i, j]
        if N_j == 0.0:
            raise ValueError(
                f"component {j + 1} (index {j}) has no responsibility at all (N_j = 0), so its mean is 0/0. "
                "Give it a weight phi_j > 0 or remove it; emlab.m_step handles this case."
            )
        phi[j] = N_j / m
        for i in range(m):
            mu[j] += W[i, j] * X[i]
        mu[j] /= N_j
        centre = mu[j] if centre_on == "new" else params.mu[j]
        for i in range(m):
            d = X[i] - centre
            Sigma[j] += W[i, j] * np.outer(d, d)
        Sigma[j] /= N_j
    return GMMParams(phi=phi, mu=mu, Sigma=Sigma)
