"""EM beyond Gaussians, written as notebook 08 derives it: a mixture of Bernoullis, and k-means as a hard limit.

Mixture of Bernoullis (Bishop, PRML 9.3.3). Binary data x^(1..m) in {0, 1}^n as
rows of ``X``; parameters Theta = (phi, mu) with mixing weights phi (k,) and
Bernoulli probabilities mu (k, n), as :class:`BernoulliParams`;

    ln p(x, z = j; Theta) = ln phi_j + sum_d [x_d ln mu_jd + (1 - x_d) ln(1 - mu_jd)]
                          = ln phi_j + x . (ln mu_j - ln(1 - mu_j)) + sum_d ln(1 - mu_jd),

so the E-step for all points is one matrix product in log space. A probability
mu_jd of exactly 0 or 1 makes ln 0 appear; it is kept exact (-inf where x
contradicts it, 0 * ln 0 = 0 where it does not), never NaN. Additive smoothing
``alpha`` in the M-step, mu_jd = (sum_i w_ij x_id + alpha) / (N_j + 2 alpha), is
the MAP estimate under a Beta(alpha + 1, alpha + 1) prior on every mu_jd and
keeps mu strictly inside (0, 1); alpha = 0 is maximum likelihood.

k-means as the hard limit: :func:`spherical_responsibilities` are the
responsibilities of a Gaussian mixture with equal weights and a shared
covariance sigma^2 I; as sigma -> 0 they become one-hot on the nearest mean
and EM becomes Lloyd's k-means, whose objective is :func:`distortion`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from .params import SIMPLEX_TOL

__all__ = [
    "BernoulliParams",
    "as_binary",
    "check_params",
    "bernoulli_log_joint",
    "log_likelihood",
    "e_step",
    "sufficient_statistics",
    "m_step",
    "m_step_from_stats",
    "expected_complete_log_likelihood",
    "log_prior",
    "spherical_log_joint",
    "spherical_responsibilities",
    "distortion",
]


class BernoulliParams(NamedTuple):
    """Theta of a mixture of Bernoullis: weights phi (k,) and probabilities mu (k, n)."""

    phi: np.ndarray
    mu: np.ndarray

    @property
    def k(self) -> int:
        return self.mu.shape[0]

    @property
    def n(self) -> int:
        return self.mu.shape[1]


class _Logs(NamedTuple):
    """ln phi, ln mu, ln(1 - mu) and the log-joint as one matrix product, computed once per Theta.

    The products act on X1 = [X, 1] (a column of ones appended), so the bias of the log-joint
    and N_j = sum_i w_ij come out of the same matrix products as the rest.
    """

    log_phi: np.ndarray
    log_mu: np.ndarray
    log_1m: np.ndarray
    C: np.ndarray  # [ln mu - ln(1 - mu) | ln phi_j + sum_d ln(1 - mu_jd)], finite: -inf terms left out
    V: np.ndarray | None  # [[mu == 0] - [mu == 1] | #(mu_jd == 1) + [phi_j == 0]]; None if nothing is 0 or 1


def as_binary(X, name: str = "X") -> np.ndarray:
    """X as a float array of shape (m, n) whose entries are all 0 or 1.

    Raises
    ------
    ValueError
        If X is not 2-D or holds anything other than 0/1/True/False (NaN included).
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(
            f"{name} must have shape (m, n) (one binary vector per row); got {X.ndim} dimension(s). "
            "Use X.reshape(-1, 1) for a single feature."
        )
    bad = (X != 0) & (X != 1)
    if bad.any():
        i, d = np.argwhere(bad)[0]
        raise ValueError(
            f"{name} must be binary (0/1 or True/False); found {X[i, d]:g} at row {i}, column {d}. "
            "Binarise it first, for example (X >= threshold).astype(int); remove or impute NaN."
        )
    return X


def check_params(params, n: int | None = None) -> BernoulliParams:
    """``params`` as a :class:`BernoulliParams` with phi on the simplex and mu in [0, 1] of shape (k, n).

    Raises
    ------
    ValueError
        Saying what is wrong (shape, range, sum) and how to fix it.
    """
    try:
        phi, mu = (np.asarray(a, dtype=float) for a in params)
    except (TypeError, ValueError):
        raise ValueError("params must be a BernoulliParams(phi, mu) or a pair (phi, mu) of arrays.") from None
    if mu.ndim != 2 or phi.shape != (mu.shape[0],) or (n is not None and mu.shape[1] != n):
        raise ValueError(
            f"params need phi of shape (k,) and mu of shape (k, n){f' with n = {n}, the columns of X' if n else ''}; "
            f"got phi {phi.shape} and mu {mu.shape}."
        )
    if not (np.all((mu >= 0) & (mu <= 1)) and np.all(phi >= 0)):
        raise ValueError("mu must lie in [0, 1] and phi must be >= 0 (they are probabilities); NaN is neither.")
    if abs(phi.sum() - 1.0) > SIMPLEX_TOL:
        raise ValueError(
            f"phi must sum to 1 (a distribution over components); got {phi.sum():.10g}. Divide by its sum."
        )
    return BernoulliParams(phi, mu)


def _logs(params) -> _Logs:
    phi, mu = params
    with np.errstate(divide="ignore"):  # ln 0 = -inf is wanted here and handled below
        log_phi, log_mu, log_1m = np.log(phi), np.log(mu), np.log1p(-mu)
    zero, one, no_weight = mu == 0, mu == 1, phi == 0
    saturated = zero | one
    # At a saturated mu_jd the term x_d ln mu + (1 - x_d) ln(1 - mu) is 0 or -inf, and phi_j = 0 makes
    # ln phi_j = -inf: keep every -inf out of the matrix product (0 * -inf would be NaN, even in BLAS's
    # padding) and count the contradictions separately, in V.
    finite_1m = np.where(saturated, 0.0, log_1m)
    bias = np.where(no_weight, 0.0, log_phi) + finite_1m.sum(axis=1)
    C = np.hstack([np.where(saturated, 0.0, log_mu - finite_1m), bias[:, None]])
    V = None
    if saturated.any() or no_weight.any():
        V = np.hstack([zero.astype(float) - one, (one.sum(axis=1) + no_weight)[:, None]])
    return _Logs(log_phi, log_mu, log_1m, C, V)


def _with_ones(X: np.ndarray) -> np.ndarray:
    """X1 = [X, 1]: the data with a column of ones appended."""
    X1 = np.empty((X.shape[0], X.shape[1] + 1))
    X1[:, :-1] = X
    X1[:, -1] = 1.0
    return X1


def _feature_major(X: np.ndarray) -> np.ndarray:
    """F = X1^T, shape (n + 1, m), C-contiguous: one row per pixel, then a row of ones.

    The fast pass works on column blocks of F (as emlab's Gaussian engine does): on these
    thin products (k ~ 10 rows) that is ~2x faster than X @ C.T on row-major data.
    """
    F = np.empty((X.shape[1] + 1, X.shape[0]))
    F[:-1] = X.T
    F[-1] = 1.0
    return F


def _log_joint_fm(F: np.ndarray, logs: _Logs) -> np.ndarray:
    """ln p(x^(i), z = j; Theta) for the columns of F, shape (k, m): C F, with -inf where x contradicts mu."""
    L = logs.C @ F
    if logs.V is not None:
        # sum_d x_d [mu_jd = 0] + (1 - x_d) [mu_jd = 1]: the number of d where x has probability 0.
        L[(logs.V @ F) > 0.5] = -np.inf
    return L


# Columns of F per block in the fast pass: the block and its (k, block) temporaries stay in cache.
_BLOCK = 4096


def _em_pass(F: np.ndarray, logs: _Logs, where: str):
    """One E-step over column blocks of F: l(Theta) and T = W^T X1 = [S | N], shape (k, n + 1)."""
    T = np.zeros((logs.C.shape[0], F.shape[0]))
    log_lik = 0.0
    for start in range(0, F.shape[1], _BLOCK):
        Fb = F[:, start : start + _BLOCK]
        L = _log_joint_fm(Fb, logs)
        mx = L.max(axis=0)
        if not np.all(np.isfinite(mx)):
            raise _impossible_point(start + int(np.flatnonzero(~np.isfinite(mx))[0]), where)
        L -= mx
        np.exp(L, out=L)
        s = L.sum(axis=0)
        L /= s  # the block's responsibilities, (k, b)
        log_lik += mx.sum() + np.log(s).sum()
        T += L @ Fb.T
    return float(log_lik), T


def bernoulli_log_joint(X, params) -> np.ndarray:
    """ln p(x^(i), z^(i) = j; Theta) for every point and component, shape (m, k).

    Computed as X (ln mu - ln(1 - mu))^T + sum_d ln(1 - mu_jd) + ln phi_j. Where
    mu_jd is 0 or 1 the entry is exactly -inf if some x_d contradicts it, and
    finite otherwise (0 ln 0 = 0); never NaN.
    """
    X = as_binary(X)
    return _log_joint_fm(_feature_major(X), _logs(check_params(params, X.shape[1]))).T


def _logsumexp_rows(L):
    mx = L.max(axis=1)
    safe = np.where(np.isfinite(mx), mx, 0.0)
    with np.errstate(divide="ignore"):
        return safe + np.log(np.exp(L - safe[:, None]).sum(axis=1))


def log_likelihood(X, params) -> float:
    """l(Theta) = sum_i ln sum_j p(x^(i), z = j; Theta), with log-sum-exp (-inf if a point is impossible)."""
    return float(_logsumexp_rows(bernoulli_log_joint(X, params)).sum())


def e_step(X, params) -> np.ndarray:
    """Responsibilities w_ij = p(z^(i) = j | x^(i); Theta), shape (m, k), normalised in log space.

    Raises
    ------
    ValueError
        If a point has probability 0 under every component (some mu_jd of exactly
        0 or 1 contradicts it), so that its posterior is undefined.
    """
    L = bernoulli_log_joint(X, params)
    lse = _logsumexp_rows(L)
    if not np.all(np.isfinite(lse)):
        raise _impossible_point(int(np.flatnonzero(~np.isfinite(lse))[0]), "these parameters")
    return np.exp(L - lse[:, None])


def _impossible_point(i: int, where: str) -> ValueError:
    return ValueError(
        f"Point {i} has probability 0 under every component of {where}: a mu_jd of exactly 0 or 1 "
        "contradicts one of its entries, so ln 0 appears and its responsibilities are undefined. "
        "Keep mu inside (0, 1): smooth with alpha > 0 (for example alpha=1), or clip mu."
    )


def sufficient_statistics(X, W) -> tuple[np.ndarray, np.ndarray]:
    """N_j = sum_i w_ij (k,) and S_jd = sum_i w_ij x_id (k, n): all the M-step needs."""
    X, W = np.asarray(X, dtype=float), np.asarray(W, dtype=float)
    if W.ndim != 2 or W.shape[0] != X.shape[0] or not np.all(W >= 0):
        raise ValueError(
            f"W must be an (m, k) array of responsibilities >= 0 with m = {X.shape[0]} (the rows of X); "
            f"got shape {W.shape}{'' if W.ndim != 2 or np.all(W >= 0) else ' with negative or NaN entries'}."
        )
    T = W.T @ _with_ones(X)
    return T[:, -1], T[:, :-1]


def m_step_from_stats(N, S, alpha: float = 0.0) -> BernoulliParams:
    """phi_j = N_j / m and mu_jd = (S_jd + alpha) / (N_j + 2 alpha) (MAP under Beta(alpha + 1, alpha + 1)).

    An empty component (N_j = 0) gets phi_j = 0 and, for alpha = 0, mu_j = 1/2 instead of 0/0: the limit of
    (S_jd + alpha) / (N_j + 2 alpha) as alpha -> 0 with S_jd = N_j = 0, the value notebook 08's exercise asks for
    (any value leaves the likelihood unchanged, and 1/2 keeps every image possible for the component).
    mu is clipped to [0, 1] against round-off in S_jd <= N_j.
    """
    N, S = np.asarray(N, dtype=float), np.asarray(S, dtype=float)
    denom = N + 2.0 * alpha
    mu = np.divide(S + alpha, denom[:, None], out=np.full(S.shape, 0.5), where=denom[:, None] > 0)
    return BernoulliParams(N / N.sum(), np.clip(mu, 0.0, 1.0))


def m_step(X, W, alpha: float = 0.0) -> BernoulliParams:
    """The M-step: maximise E_q[ln p(x, z; Theta)] (+ ln p(mu) for alpha > 0) given responsibilities W.

    Parameters
    ----------
    X : array-like of shape (m, n), binary
    W : array-like of shape (m, k)
        Responsibilities; each row sums to 1.
    alpha : float, default 0.0
        Additive smoothing (scikit-learn ``BernoulliNB``'s meaning); 0 is maximum likelihood.

    Returns
    -------
    BernoulliParams
    """
    X = as_binary(X)
    N, S = sufficient_statistics(X, W)
    rows = np.asarray(W, dtype=float).sum(axis=1)
    if np.any(np.abs(rows - 1.0) > 1e-8):
        i = int(np.argmax(np.abs(rows - 1.0)))
        raise ValueError(
            f"Each row of W must sum to 1 (a distribution over components); row {i} sums to {rows[i]:.10g}."
        )
    return m_step_from_stats(N, S, _check_alpha(alpha))


def _check_alpha(alpha) -> float:
    if (
        isinstance(alpha, bool)
        or not isinstance(alpha, (int, float, np.integer, np.floating))
        or not (math.isfinite(alpha) and alpha >= 0)
    ):
        raise ValueError(f"The 'alpha' parameter must be a finite float >= 0; got {alpha!r}. Use 0 for no smoothing.")
    return float(alpha)


def _expected_from_stats(N, S, logs: _Logs) -> float:
    """sum_j N_j ln phi_j + sum_jd [S_jd ln mu_jd + (N_j - S_jd) ln(1 - mu_jd)], a 0-weight term counting 0."""
    # A probability of exactly 0 next to a weight that is not exactly 0 comes from rounding: mu_jd =
    # S_jd / N_j underflows to 0, rounds to 1 (N_j - S_jd then holds only round-off), or phi_j to 0.
    # The exact term w ln p (w / N_j tiny) is then ~0, not -inf: count weights below 1e-9 N_j as 0.
    scale = 1e-9 * np.maximum(N, 1.0)
    total = 0.0
    for w, lg, tiny in (
        (N, logs.log_phi, 1e-9 * max(N.sum(), 1.0)),
        (S, logs.log_mu, scale[:, None]),
        (N[:, None] - S, logs.log_1m, scale[:, None]),
    ):
        keep = (w > 0) & ((lg > -np.inf) | (w > tiny))
        total += np.multiply(w, lg, out=np.zeros(np.shape(w)), where=keep).sum()
    return float(total)


def expected_complete_log_likelihood(X, W, params) -> float:
    """E_q[ln p(x, z; Theta)] = sum_ij w_ij ln p(x^(i), z = j; Theta) for responsibilities W (0 ln 0 = 0)."""
    X = as_binary(X)
    N, S = sufficient_statistics(X, W)
    return _expected_from_stats(N, S, _logs(check_params(params, X.shape[1])))


def log_prior(params, alpha: float) -> float:
    """ln p(mu) = sum_jd ln Beta(mu_jd; alpha + 1, alpha + 1); the weights phi get no prior.

    0 for alpha = 0 (the uniform Beta(1, 1)), so MAP-EM's objective l(Theta) + ln p(mu)
    is then the log-likelihood; -inf if alpha > 0 and some mu_jd is 0 or 1.
    """
    alpha, mu = _check_alpha(alpha), check_params(params).mu
    if alpha == 0:
        return 0.0
    with np.errstate(divide="ignore"):
        s = float(np.log(mu).sum() + np.log1p(-mu).sum())
    log_beta = 2 * math.lgamma(alpha + 1) - math.lgamma(2 * alpha + 2)
    return alpha * s - mu.size * log_beta


def _check_sigma(sigma) -> float:
    if not (isinstance(sigma, (int, float, np.integer, np.floating)) and sigma > 0 and math.isfinite(sigma)):
        raise ValueError(f"sigma must be a finite number > 0; got {sigma!r}. For sigma -> 0 use a small value.")
    return float(sigma)


def spherical_log_joint(X, means, sigma: float) -> np.ndarray:
    """ln p(x^(i), z = j) for a Gaussian mixture with equal weights 1/k and shared covariance sigma^2 I, (m, k).

    ln p(x, z = j) = -||x - mu_j||^2 / (2 sigma^2) - (n / 2) ln(2 pi sigma^2) - ln k, so sigma^2 times
    E_q[ln p(x, z)] tends to -(1/2) sum_ij w_ij ||x_i - mu_j||^2 as sigma -> 0 (the constants times
    sigma^2 vanish): for one-hot w on the nearest means that is -J / 2, k-means' :func:`distortion`.
    """
    sigma = _check_sigma(sigma)
    X, means = np.atleast_2d(np.asarray(X, dtype=float)), np.atleast_2d(np.asarray(means, dtype=float))
    d2 = ((X[:, None, :] - means[None, :, :]) ** 2).sum(axis=2)
    n, k = X.shape[1], means.shape[0]
    return -d2 / (2.0 * sigma**2) - 0.5 * n * math.log(2.0 * math.pi * sigma**2) - math.log(k)


def spherical_responsibilities(X, means, sigma: float) -> np.ndarray:
    """Responsibilities of a Gaussian mixture with equal weights 1/k and shared covariance sigma^2 I.

    w_ij = exp(-||x_i - mu_j||^2 / (2 sigma^2)) / sum_l exp(-||x_i - mu_l||^2 / (2 sigma^2)),
    computed in log space, so they stay valid (one-hot on the nearest mean) as sigma -> 0.
    """
    L = spherical_log_joint(X, means, sigma)
    L -= L.max(axis=1, keepdims=True)
    W = np.exp(L)
    return W / W.sum(axis=1, keepdims=True)


def distortion(X, means, labels=None) -> float:
    """k-means' objective J = sum_i ||x_i - mu_z(i)||^2, with z(i) the nearest mean unless ``labels`` are given."""
    X, means = np.asarray(X, dtype=float), np.asarray(means, dtype=float)
    d2 = ((X[:, None, :] - means[None, :, :]) ** 2).sum(axis=2)
    if labels is None:
        return float(d2.min(axis=1).sum())
    return float(d2[np.arange(X.shape[0]), np.asarray(labels)].sum())
