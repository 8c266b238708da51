"""The EM algorithm for Gaussian mixtures, written as the notebooks derive it.

Notation: data x^(1..m) in R^n as rows of ``X``; responsibilities
w_j^(i) = q_i(z^(i) = j) as ``W`` of shape (m, k); parameters
Theta = (phi, mu, Sigma) as :class:`~emlab.params.GMMParams`.

Every probability is handled as a logarithm and normalised with
log-sum-exp, so points far from every component still get valid
responsibilities (no underflow to 0/0 = NaN).
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp, rel_entr

from .history import HistoryRecorder
from .params import SIMPLEX_TOL, GMMParams

__all__ = [
    "as_data",
    "log_normal_pdf",
    "log_joint",
    "e_step",
    "m_step",
    "log_likelihood",
    "elbo",
    "kl_divergence",
    "run_em",
]

def as_data(X, n: int | None = None) -> np.ndarray:
    """Return X as a finite float array of shape (m, n).

    ``X`` of shape (m,) is read as m one-dimensional points. If ``n`` is
    given, the number of features must match it.
    """
    try:
        X = np.asarray(X, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"X must be numeric, an array of shape (m,) or (m, n); converting it failed: {err}") from None
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise ValueError(f"X must have shape (m,) or (m, n); got an array with {X.ndim} dimensions.")
    if X.shape[0] == 0:
        raise ValueError("X is empty: EM needs at least one data point.")
    if not np.all(np.isfinite(X)):
        bad = np.argwhere(~np.isfinite(X))[0]
        raise ValueError(
            f"X contains NaN or inf (first at row {bad[0]}, column {bad[1]}); "
            "remove or impute those values before running EM."
        )
    if n is not None and X.shape[1] != n:
        hint = " Did you pass X transposed? Use X.T." if X.shape[0] == n else ""
        raise ValueError(f"X has {X.shape[1]} features but the parameters have n = {n}; they must match.{hint}")
    return X


def _check_W(W, m: int | None = None, name: str = "W") -> np.ndarray:
    W = np.asarray(W, dtype=float)
    if W.ndim != 2:
        raise ValueError(f"{name} must have shape (m, k); got shape {W.shape}.")
    if m is not None and W.shape[0] != m:
        raise ValueError(f"{name} has {W.shape[0]} rows but X has {m} points: one row of {name} per data point.")
    if not np.all(np.isfinite(W)) or np.any(W < 0):
        raise ValueError(f"{name} must hold finite, non-negative probabilities.")
    row_err = np.abs(W.sum(axis=1) - 1.0)
    if np.any(row_err > SIMPLEX_TOL):
        i = int(np.argmax(row_err))
        raise ValueError(
            f"each row of {name} must sum to 1 (it is a distribution over z); row {i} sums to {W[i].sum():.12g}."
        )
    return W


def log_normal_pdf(X, mu, Sigma) -> np.ndarray:
    """ln N(x^(i); mu, Sigma) for every row of X.

    Uses the Cholesky factor L of Sigma: ln|Sigma| = 2 sum ln L_dd and the
    Mahalanobis term is ||L^{-1}(x - mu)||^2, which is stable and never
    forms Sigma^{-1}.

    Parameters
    ----------
    X : array-like of shape (m, n) or (m,)
    mu : array-like of shape (n,)
    Sigma : array-like of shape (n, n), symmetric positive definite

    Returns
    -------
    ndarray of shape (m,)
    """
    X = as_data(X)
    mu = np.atleast_1d(np.asarray(mu, dtype=float))
    Sigma = np.atleast_2d(np.asarray(Sigma, dtype=float))
    n = X.shape[1]
    if mu.shape != (n,) or Sigma.shape != (n, n):
        raise ValueError(f"mu must have shape ({n},) and Sigma ({n}, {n}); got {mu.shape} and {Sigma.shape}.")
    try:
        L = np.linalg.cholesky(Sigma)
    except np.linalg.LinAlgError:
        raise ValueError("Sigma is not positive definite; add a ridge (reg_covar) to its diagonal.") from None
    return _log_normal_chol(X, mu, L)


def _log_normal_chol(X, mu, L) -> np.ndarray:
    n = X.shape[1]
    # y = L^{-1}(x - mu), shape (n, m). numpy's solver rather than scipy's solve_triangular: numpy and
    # scipy each load their own OpenBLAS, and switching between them costs milliseconds per call.
    y = np.linalg.solve(L, (X - mu).T)
    half_log_det = np.log(np.diag(L)).sum()
    return -0.5 * n * np.log(2 * np.pi) - half_log_det - 0.5 * np.einsum("ij,ij->j", y, y)


def log_joint(X, params: GMMParams) -> np.ndarray:
    """ln p(x^(i), z^(i) = j; Theta) = ln phi_j + ln N(x^(i); mu_j, Sigma_j), shape (m, k).

    A component with phi_j = 0 gives -inf in its column: it contributes
    nothing to any sum, as the model says.
    """
    X = as_data(X, params.n)
    with np.errstate(divide="ignore"):
        log_phi = np.log(params.phi)
    cols = [_log_normal_chol(X, params.mu[j], params.chol[j]) for j in range(params.k)]
    return np.column_stack(cols) + log_phi


def e_step(X, params: GMMParams) -> np.ndarray:
    """E-step: responsibilities w_j^(i) = p(z^(i) = j | x^(i); Theta).

    w_j^(i) = phi_j N(x^(i); mu_j, Sigma_j) / sum_l phi_l N(x^(i); mu_l, Sigma_l),
    computed as exp(ln p(x, z=j) - logsumexp_l ln p(x, z=l)). The largest
    term of each row is factored out, so rows stay valid even when every
    density underflows in linear space.

    Returns
    -------
    W : ndarray of shape (m, k)
        Non-negative; each row sums to 1.
    """
    lj = log_joint(X, params)
    return np.exp(lj - logsumexp(lj, axis=1, keepdims=True))


def m_step(X, W, reg_covar: float = 0.0) -> GMMParams:
    """M-step: the Theta that maximises the lower bound for fixed responsibilities W.

    With N_j = sum_i w_j^(i) (the effective number of points in component j):

    - phi_j = N_j / m
    - mu_j = sum_i w_j^(i) x^(i) / N_j
    - Sigma_j = sum_i w_j^(i) (x^(i) - mu_j)(x^(i) - mu_j)^T / N_j + reg_covar I,
      centred on the NEW mu_j (centring on the old mean is not the maximiser).

    A component with N_j = 0 gets phi_j = 0; its mu_j and Sigma_j then do
    not affect the likelihood, and are set to the data mean and the identity
    so the parameters stay valid.

    Parameters
    ----------
    X : array-like of shape (m, n) or (m,)
    W : array-like of shape (m, k), rows summing to 1
    reg_covar : float, default 0.0
        Ridge added to every covariance diagonal; keeps Sigma_j invertible
        when a component collapses onto a few points.

    Raises
    ------
    ValueError
        If W is not row-stochastic, shapes disagree, or a Sigma_j is singular
        (the message suggests raising ``reg_covar``).
    """
    X = as_data(X)
    m, n = X.shape
    W = _check_W(W, m)
    if not (np.isfinite(reg_covar) and reg_covar >= 0):
        raise ValueError(f"reg_covar must be a finite number >= 0; got {reg_covar!r}.")
    k = W.shape[1]
    Nk = W.sum(axis=0)
    phi = Nk / m
    mu = np.empty((k, n))
    Sigma = np.empty((k, n, n))
    for j in range(k):
        if Nk[j] == 0:
            mu[j], Sigma[j] = X.mean(axis=0), np.eye(n)
            continue
        mu[j] = W[:, j] @ X / Nk[j]
        D = X - mu[j]  # centred on the new mean
        S = (W[:, j, None] * D).T @ D / Nk[j]
        Sigma[j] = 0.5 * (S + S.T) + reg_covar * np.eye(n)
        try:
            np.linalg.cholesky(Sigma[j])
        except np.linalg.LinAlgError:
            raise ValueError(
                f"component {j + 1} (index {j}) collapsed onto too few points (N_{j + 1} = {Nk[j]:.3g}): "
                f"Sigma_{j + 1} is singular "
                f"(smallest eigenvalue {np.linalg.eigvalsh(Sigma[j])[0]:.3g}) and l -> infinity there. "
                "Pass reg_covar > 0 (for example 1e-6) to add a ridge to every Sigma_j, or re-initialise."
            ) from None
    return GMMParams(phi=phi / phi.sum(), mu=mu, Sigma=Sigma)


def log_likelihood(X, params: GMMParams) -> float:
    """l(Theta) = sum_i ln sum_j phi_j N(x^(i); mu_j, Sigma_j): the total, not a mean."""
    return float(logsumexp(log_joint(X, params), axis=1).sum())


def elbo(X, W, params: GMMParams) -> float:
    """The evidence lower bound L(q, Theta) for q_i(z = j) = w_j^(i).

    L = sum_i sum_j w_j^(i) [ln(phi_j N(x^(i); mu_j, Sigma_j)) - ln w_j^(i)], with 0 ln 0 = 0.
    It is -inf if q puts mass where the model has none.
    """
    lj = log_joint(X, params)
    W = _check_W(W, lj.shape[0])
    if W.shape[1] != params.k:
        raise ValueError(f"W has {W.shape[1]} columns but the parameters have k = {params.k} components.")
    # Skip w = 0 entries: 0 * (-inf) would be NaN, but the term is 0 by convention.
    expected = np.multiply(W, lj, out=np.zeros_like(lj), where=W > 0)
    entropy = rel_entr(W, 1.0)  # w ln w, with 0 ln 0 = 0
    return float(expected.sum() - entropy.sum())


def kl_divergence(q, p) -> float:
    """KL(q || p) = sum_i sum_j q_ij ln(q_ij / p_ij) for row-stochastic arrays.

    0 ln(0 / p) = 0, so ``kl_divergence(q, q) == 0`` even where q has zeros;
    the result is +inf where p_ij = 0 < q_ij.
    """
    q = np.asarray(q, dtype=float)
    p = np.asarray(p, dtype=float)
    if q.ndim == 1:
        q, p = q[None, :], p[None, :]
    if q.shape != p.shape:
        raise ValueError(f"q and p must have the same shape; got {q.shape} and {p.shape}.")
    _check_W(q, name="q")
    _check_W(p, name="p")
    return float(rel_entr(q, p).sum())


def run_em(X, params: GMMParams, max_iter: int = 100, tol: float = 1e-6, reg_covar: float = 0.0,
           record_params: bool = False):
    """Run EM from ``params`` until l changes by less than ``tol`` (or ``max_iter`` steps).

    The textbook loop: E-step, M-step, recompute l(Theta). The stopping rule
    is two-sided, ``|l_new - l_old| < tol``, although EM guarantees l_new >= l_old.

    Parameters
    ----------
    X : array-like of shape (m, n) or (m,)
    params : GMMParams
        The start Theta^(0).
    max_iter : int, default 100
    tol : float, default 1e-6
        Tolerance on the change of the total log-likelihood l.
    reg_covar : float, default 0.0
        Ridge passed to :func:`m_step`.
    record_params : bool, default False
        Keep every iterate Theta^(0..T) in ``history["params"]``.

    Returns
    -------
    params : GMMParams
        The final parameters.
    history : EMHistory
        The record of the run, with the keys of ``GaussianMixture.history_`` (see
        :mod:`emlab.history`); ``history.trace`` is l(Theta^(0)), ..., l(Theta^(T)).
    """
    X = as_data(X, params.n)
    if max_iter < 1 or tol < 0:
        raise ValueError("max_iter must be >= 1 and tol >= 0.")
    recorder = HistoryRecorder(params if record_params else None)
    log_lik = log_likelihood(X, params)
    for _ in range(max_iter):
        W = e_step(X, params)
        new = m_step(X, W, reg_covar=reg_covar)
        recorder.m_step_done(log_lik, elbo(X, W, new), new)
        params, log_lik_old, log_lik = new, log_lik, log_likelihood(X, new)
        recorder.likelihood_known(log_lik)
        if abs(log_lik - log_lik_old) < tol:
            break
    return params, recorder.result()
