"""EM for a Gaussian mixture when some coordinates of X are missing (NaN), written as notebook 09 derives it.

Missing values, missing at random, are latent variables like z (Ghahramani &
Jordan 1994; Little & Rubin). For row x^(i), o = its observed coordinates and
h = the missing ("hidden") ones. Per component j:

- the observed coordinates alone are Gaussian: x_o ~ N(mu_j,o, Sigma_j,oo), so
  ln p(x_o, z = j) = ln phi_j + ln N(x_o; mu_j,o, Sigma_j,oo) gives the
  responsibilities and the observed-data log-likelihood
  l(Theta) = sum_i ln sum_j phi_j N(x_o^(i); mu_j,o, Sigma_j,oo);
- the missing ones, given the observed ones, are Gaussian too
  (:func:`conditional_gaussian`): x_h | x_o, z = j ~ N(m_j, C_j) with
  m_j = mu_j,h + Sigma_j,ho Sigma_j,oo^-1 (x_o - mu_j,o) and
  C_j = Sigma_j,hh - Sigma_j,ho Sigma_j,oo^-1 Sigma_j,oh.

The E-step takes expectations over z and x_h: E[x | x_o, z = j] = x_hat_j (x_o
with m_j filled in) and E[x x^T | x_o, z = j] = x_hat_j x_hat_j^T + C_j (C_j in
the hh block, zeros elsewhere). The M-step is the ordinary one with these
expected statistics. The C_j term is what "impute, then fit" forgets: filling in
m_j and fitting as if it were data underestimates every covariance.

Rows are grouped by their pattern of missing coordinates, so each conditional
is computed once per pattern and component, not once per row.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import logsumexp

from .core import log_normal_pdf
from .params import GMMParams

__all__ = [
    "ExpectedStats",
    "conditional_gaussian",
    "e_step",
    "impute",
    "m_step",
    "missing_patterns",
    "observed_log_joint",
    "observed_log_likelihood",
]


def _as_data_with_nan(X) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X must have shape (m, n) with m >= 1; got shape {X.shape}.")
    if np.isinf(X).any():
        raise ValueError("X contains inf; only NaN marks a missing value. Replace inf by a finite value or NaN.")
    empty = np.isnan(X).all(axis=1)
    if empty.any():
        raise ValueError(
            f"row {int(np.flatnonzero(empty)[0])} of X has no observed value (all NaN); every row needs at least "
            "one observed coordinate. Drop such rows: X[~np.isnan(X).all(axis=1)]."
        )
    return X


def missing_patterns(X):
    """Group the rows of X by which coordinates are observed.

    Parameters
    ----------
    X : array-like of shape (m, n), NaN marking missing values

    Returns
    -------
    list of (observed, rows)
        ``observed``: boolean mask of shape (n,); ``rows``: the indices of the
        rows with exactly that mask. Every row is in one group.
    """
    observed = ~np.isnan(np.asarray(X, dtype=float))
    patterns, inverse = np.unique(observed, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    order = np.argsort(inverse, kind="stable")
    ends = np.cumsum(np.bincount(inverse, minlength=len(patterns)))
    return list(zip(patterns, np.split(order, ends[:-1]), strict=True))


def conditional_gaussian(x, observed_mask, mu, Sigma):
    """Mean and covariance of x_h given x_o when x ~ N(mu, Sigma) (h = the coordinates not observed).

    m = mu_h + Sigma_ho Sigma_oo^-1 (x_o - mu_o),   C = Sigma_hh - Sigma_ho Sigma_oo^-1 Sigma_oh.

    C does not depend on x_o: knowing x_o shrinks the uncertainty about x_h by
    the same amount wherever x_o is.

    Parameters
    ----------
    x : array-like of shape (n,) or (r, n)
        One point, or r points with the same missing pattern; entries at missing
        coordinates are ignored (they may be NaN).
    observed_mask : array-like of bool, shape (n,)
        True where x is observed.
    mu : array-like of shape (n,)
    Sigma : array-like of shape (n, n), symmetric positive definite

    Returns
    -------
    mean : ndarray of shape (n_missing,) or (r, n_missing)
    cov : ndarray of shape (n_missing, n_missing)
    """
    x = np.asarray(x, dtype=float)
    o = np.asarray(observed_mask, dtype=bool)
    mu = np.asarray(mu, dtype=float)
    Sigma = np.asarray(Sigma, dtype=float)
    n = mu.shape[0]
    if o.shape != (n,) or Sigma.shape != (n, n) or x.shape[-1] != n:
        raise ValueError(
            f"x (..., n), observed_mask (n,), mu (n,) and Sigma (n, n) must agree on n; got {x.shape}, "
            f"{o.shape}, {mu.shape}, {Sigma.shape}."
        )
    h = ~o
    if not o.any():
        return np.broadcast_to(mu, x.shape).copy(), Sigma.copy()
    S_oo, S_ho, S_hh = Sigma[np.ix_(o, o)], Sigma[np.ix_(h, o)], Sigma[np.ix_(h, h)]
    # B = Sigma_ho Sigma_oo^-1, by solving Sigma_oo B^T = Sigma_oh (no explicit inverse).
    B = np.linalg.solve(S_oo, S_ho.T).T
    mean = mu[h] + (x[..., o] - mu[o]) @ B.T
    cov = S_hh - B @ S_ho.T
    return mean, 0.5 * (cov + cov.T)


def observed_log_joint(X, params: GMMParams) -> np.ndarray:
    """ln p(x_o^(i), z^(i) = j; Theta) = ln phi_j + ln N(x_o^(i); mu_j,o, Sigma_j,oo), shape (m, k).

    Each row uses only its observed coordinates o (the missing ones are
    integrated out, which for a Gaussian means dropping them).
    """
    X = _as_data_with_nan(X)
    with np.errstate(divide="ignore"):
        log_phi = np.log(params.phi)
    out = np.empty((X.shape[0], params.k))
    for o, rows in missing_patterns(X):
        Xo = X[np.ix_(rows, o)]
        for j in range(params.k):
            out[rows, j] = log_phi[j] + log_normal_pdf(Xo, params.mu[j, o], params.Sigma[j][np.ix_(o, o)])
    return out


def observed_log_likelihood(X, params: GMMParams) -> float:
    """The observed-data log-likelihood l(Theta) = sum_i ln sum_j phi_j N(x_o^(i); mu_j,o, Sigma_j,oo) (a total)."""
    return float(logsumexp(observed_log_joint(X, params), axis=1).sum())


class ExpectedStats(NamedTuple):
    """What the E-step with missing values computes.

    Attributes
    ----------
    W : ndarray of shape (m, k)
        Responsibilities w_j^(i) = p(z^(i) = j | x_o^(i); Theta).
    x_hat : ndarray of shape (m, k, n)
        E[x^(i) | x_o^(i), z = j]: the observed values, and the conditional means m_j where missing.
    N : ndarray of shape (k,)
        N_j = sum_i w_j^(i).
    sum_x : ndarray of shape (k, n)
        sum_i w_j^(i) x_hat_j^(i).
    sum_xx : ndarray of shape (k, n, n)
        sum_i w_j^(i) E[x x^T | x_o, z = j] = sum_i w_j^(i) (x_hat x_hat^T + C_j^(i)).
    sum_cond_cov : ndarray of shape (k, n, n)
        sum_i w_j^(i) C_j^(i), the conditional-covariance part of ``sum_xx``
        (zero outside the missing blocks): the term impute-then-fit leaves out.
    log_likelihood : float
        l(Theta), the observed-data log-likelihood at the parameters of the E-step.
    """

    W: np.ndarray
    x_hat: np.ndarray
    N: np.ndarray
    sum_x: np.ndarray
    sum_xx: np.ndarray
    sum_cond_cov: np.ndarray
    log_likelihood: float


def e_step(X, params: GMMParams) -> ExpectedStats:
    """E-step with missing values: responsibilities from the observed coordinates, and expected statistics.

    For every missing pattern (o, h) and component j: the responsibilities
    w_j^(i) from ln phi_j + ln N(x_o; mu_j,o, Sigma_j,oo) with log-sum-exp; the
    conditional mean m_j^(i) and covariance C_j of x_h (:func:`conditional_gaussian`);
    then x_hat_j^(i) = (x_o, m_j^(i)) and E[x x^T] = x_hat x_hat^T + C_j (hh block).

    Parameters
    ----------
    X : array-like of shape (m, n), NaN marking missing values
    params : GMMParams

    Returns
    -------
    ExpectedStats
    """
    X = _as_data_with_nan(X)
    m, n = X.shape
    k = params.k
    L = observed_log_joint(X, params)
    row_ll = logsumexp(L, axis=1)
    W = np.exp(L - row_ll[:, None])
    x_hat = np.repeat(np.nan_to_num(X)[:, None, :], k, axis=1)
    sum_cond_cov = np.zeros((k, n, n))
    for o, rows in missing_patterns(X):
        h = ~o
        if not h.any():
            continue
        for j in range(k):
            mean, C = conditional_gaussian(X[rows], o, params.mu[j], params.Sigma[j])
            x_hat[np.ix_(rows, [j], h)] = mean[:, None, :]
            sum_cond_cov[j][np.ix_(h, h)] += W[rows, j].sum() * C
    N = W.sum(axis=0)
    sum_x = np.einsum("ik,ikn->kn", W, x_hat)
    sum_xx = np.einsum("ik,ika,ikb->kab", W, x_hat, x_hat) + sum_cond_cov
    return ExpectedStats(W, x_hat, N, sum_x, sum_xx, sum_cond_cov, float(row_ll.sum()))


def m_step(stats: ExpectedStats, reg_covar: float = 0.0, prior=None) -> GMMParams:
    """M-step from expected statistics (full covariances).

    Without a prior, the ordinary closed form with E[x] and E[x x^T] in place of x and x x^T:
    phi_j = N_j / m, mu_j = sum_x_j / N_j, Sigma_j = sum_xx_j / N_j - mu_j mu_j^T + reg_covar I.
    With a :class:`~emlab.prior.ConjugatePrior` (``covariance_type='full'``), the
    MAP step :func:`emlab.prior.map_m_step`.

    Parameters
    ----------
    stats : ExpectedStats
        From :func:`e_step`.
    reg_covar : float, default=0.0
    prior : ConjugatePrior or None, default=None

    Returns
    -------
    GMMParams

    Raises
    ------
    ValueError
        If a component has N_j = 0 without a prior, or a Sigma_j is singular
        (raise ``reg_covar`` or use a prior).
    """
    N, sx, sxx = stats.N, stats.sum_x, stats.sum_xx
    if prior is not None:
        if prior.covariance_type != "full":
            raise ValueError("emlab.missing.m_step returns full covariances: pass a prior with covariance_type='full'.")
        from .prior import map_m_step

        phi, mu, Sigma = map_m_step(N, sx, sxx, prior, reg_covar)
        return GMMParams(phi=phi, mu=mu, Sigma=Sigma)
    if np.any(N <= 0):
        j = int(np.flatnonzero(N <= 0)[0])
        raise ValueError(
            f"component {j + 1} (index {j}) has no responsibility (N_{j + 1} = 0): its mean is undefined. "
            "Re-initialise."
        )
    mu = sx / N[:, None]
    Sigma = sxx / N[:, None, None] - mu[:, :, None] * mu[:, None, :]
    Sigma = 0.5 * (Sigma + Sigma.transpose(0, 2, 1)) + reg_covar * np.eye(mu.shape[1])
    return GMMParams(phi=N / N.sum(), mu=mu, Sigma=Sigma)


def impute(X, params: GMMParams) -> np.ndarray:
    """X with every NaN replaced by its conditional mean under the mixture.

    E[x_h | x_o] = sum_j w_j m_j: the responsibilities (from x_o) weight the
    components' conditional means.

    Parameters
    ----------
    X : array-like of shape (m, n), NaN marking missing values
    params : GMMParams

    Returns
    -------
    ndarray of shape (m, n)
        A copy of X; observed values are unchanged.
    """
    X = _as_data_with_nan(X)
    stats = e_step(X, params)
    filled = np.einsum("ik,ikn->in", stats.W, stats.x_hat)
    return np.where(np.isnan(X), filled, X)
