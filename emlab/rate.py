"""How fast EM converges, how to make it faster, and EM on data streams (notebook 10).

Notation as in the notebooks: data x^(1..m) in R^n as rows of ``X``, responsibilities
w_j^(i), parameters Theta = (phi, mu, Sigma), l(Theta) the observed-data
log-likelihood, and M(Theta) the EM map (one E-step and one M-step).

- **The rate.** Near its fixed point Theta*, EM is linear:
  Theta^(t+1) - Theta* ~ J (Theta^(t) - Theta*), with J the Jacobian of M at Theta*.
  Its largest eigenvalue lambda is the rate. :func:`linear_rate` estimates it from a
  run, :func:`em_jacobian` computes J by finite differences and
  :func:`largest_eigenvalue` reads lambda off it. :func:`aitken_limit` extrapolates
  the log-likelihood to its limit (a better stopping rule than a small change).
- **Missing information** (Dempster, Laird & Rubin 1977, section 3.2; Louis 1982):
  J = I_c^{-1} I_m, with I_c the complete-data information and I_m = I_c - I_o
  the missing information (:func:`complete_information`, :func:`missing_information`,
  :func:`observed_information`, :func:`fraction_of_missing_information`).
- **An unconstrained parametrisation** for a general optimiser:
  :func:`to_unconstrained` / :func:`from_unconstrained`, the analytic gradient
  :func:`log_likelihood_gradient` (Fisher's identity: the responsibility-weighted
  complete-data gradient) and :func:`fit_lbfgs` (scipy's L-BFGS).
- **SQUAREM** (Varadhan & Roland 2008, step length SqS3) with a monotone safeguard:
  :func:`squarem_step_length`, :func:`squarem_extrapolate`, :func:`squarem_step`.
- **Stepwise (online) EM** (Cappe & Moulines 2009): :func:`step_size`,
  :func:`sufficient_statistics`, :func:`stepwise_update`, :func:`m_step_from_statistics`.

The functions work on :class:`~emlab.params.GMMParams` (full covariances) and are
written to be read next to the maths; :class:`emlab.GaussianMixture` uses the same
SQUAREM step and stepwise update on its fast engine (``accelerate="squarem"`` and
``partial_fit``).

The unconstrained vector theta~ holds, in this order,

- a_j = ln(phi_j / phi_K), j = 1..K-1 (so phi = softmax(a_1, ..., a_{K-1}, 0));
- the means mu_1, ..., mu_K;
- for each component, the lower-triangular Cholesky factor L_j of the *precision*
  Sigma_j^{-1} = L_j L_j^T, its entries in ``np.tril_indices(n)`` order, with the
  diagonal entries stored as ln L_j,aa.

Every theta~ in R^p is a valid mixture, and the count p = (K-1) + K n + K n(n+1)/2
is the number of free parameters. The precision's factor (rather than the
covariance's) makes ln N(x; mu, Sigma) = -n/2 ln 2 pi + sum_a ln L_aa - 1/2 ||L^T (x - mu)||^2
free of matrix inverses, and so is its gradient.

References
----------
- Dempster, Laird & Rubin (1977). Maximum likelihood from incomplete data via the EM
  algorithm. JRSS B 39(1), 1-38 (section 3: the rate is the largest fraction of missing information).
- Louis (1982). Finding the observed information matrix when using the EM algorithm.
  JRSS B 44(2), 226-233.
- Varadhan & Roland (2008). Simple and globally convergent methods for accelerating the
  convergence of any EM algorithm. Scand. J. Statist. 35(2), 335-353; and the SQUAREM R package
  (Varadhan, github.com/cran/SQUAREM, ``squarem1`` in R/squarem.R), whose step-length bounds
  and their adaptation are followed here.
- Cappe & Moulines (2009). On-line expectation-maximization algorithm for latent data
  models. JRSS B 71(3), 593-613.
- Neal & Hinton (1998). A view of the EM algorithm that justifies incremental, sparse, and
  other variants. In Jordan (ed.), Learning in Graphical Models, 355-368 (incremental EM).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._engine import blas_threads_limited
from .core import as_data, e_step, m_step
from .params import GMMParams

__all__ = [
    "SquaremInfo",
    "aitken_limit",
    "SufficientStatistics",
    "complete_data_gradient",
    "complete_data_scores",
    "complete_information",
    "em_jacobian",
    "em_map",
    "expected_statistics",
    "fit_lbfgs",
    "fraction_of_missing_information",
    "IncrementalEM",
    "incremental_em",
    "from_unconstrained",
    "largest_eigenvalue",
    "linear_rate",
    "log_likelihood_gradient",
    "log_likelihood_steps",
    "m_step_from_statistics",
    "missing_information",
    "n_unconstrained",
    "negative_log_likelihood_and_gradient",
    "numerical_jacobian",
    "observed_information",
    "parameter_steps",
    "squarem_extrapolate",
    "squarem_step",
    "squarem_step_length",
    "step_size",
    "stepwise_update",
    "successive_ratios",
    "sufficient_statistics",
    "to_unconstrained",
]

_LOG_2PI = math.log(2.0 * math.pi)


# -- the rate from a run -------------------------------------------------------------------------


def _as_params(obj) -> GMMParams:
    """A GMMParams from GMMParams or a fitted estimator (its ``params_``)."""
    if isinstance(obj, GMMParams):
        return obj
    if hasattr(obj, "params_"):
        return obj.params_
    raise ValueError(f"expected a GMMParams or a fitted GaussianMixture; got {type(obj).__name__}.")


def _raw_vector(params) -> np.ndarray:
    """(phi, mu, Sigma) flattened; an array is taken as the parameter vector itself."""
    if isinstance(params, np.ndarray):
        return params.ravel()
    params = _as_params(params)
    return np.concatenate([params.phi, params.mu.ravel(), params.Sigma.ravel()])


def parameter_steps(history) -> np.ndarray:
    """||Theta^(t+1) - Theta^(t)|| for t = 0..T-1, from a run that recorded its parameters.

    Parameters
    ----------
    history : EMHistory, or list of GMMParams or of parameter vectors
        ``GaussianMixture(record_params=True).fit(X).history_``, the history of
        ``run_em(..., record_params=True)``, or the list Theta^(0..T) itself.

    Returns
    -------
    steps : ndarray of shape (T,)
        Euclidean norms of the differences of (phi, mu, Sigma) flattened.
    """
    if isinstance(history, dict) and "params" not in history:
        raise ValueError("the history has no 'params': run EM with record_params=True to keep Theta^(0..T).")
    params = history["params"] if isinstance(history, dict) else history
    thetas = np.array([_raw_vector(p) for p in params])
    return np.linalg.norm(np.diff(thetas, axis=0), axis=1)


def log_likelihood_steps(history) -> np.ndarray:
    """l(Theta^(t+1)) - l(Theta^(t)) for t = 0..T-1 (from ``history.trace`` or an array l(Theta^(0..T)))."""
    trace = history.trace if isinstance(history, dict) else np.asarray(history, dtype=float)
    return np.diff(trace)


def successive_ratios(steps, floor: float = 0.0) -> np.ndarray:
    """d_(t+1) / d_t for a sequence of step sizes, NaN where a step is at or below ``floor``.

    For a linearly convergent sequence the ratios settle at the rate. Steps at
    round-off level (below ``floor``) carry no information, so they give NaN.
    """
    d = np.abs(np.asarray(steps, dtype=float))
    ok = (d[:-1] > floor) & (d[1:] > floor)
    out = np.full(max(d.size - 1, 0), np.nan)
    np.divide(d[1:], d[:-1], out=out, where=ok)
    return out


def linear_rate(history, using: str = "params", window: int = 10, floor: float | None = None) -> float:
    """Estimate EM's linear rate lambda from a run: the limit of successive step ratios.

    Near the fixed point Theta^(t) - Theta* ~ lambda^t v, so

    - parameter steps shrink by lambda per iteration:
      ||Theta^(t+1) - Theta^(t)|| / ||Theta^(t) - Theta^(t-1)|| -> lambda;
    - l is quadratic about its maximum, so l* - l(Theta^(t)) ~ lambda^(2t) and the
      log-likelihood steps shrink by lambda^2: lambda = sqrt(Delta l_(t+1) / Delta l_t).

    Parameters
    ----------
    history : EMHistory
        A run's history (``history_`` of a fitted GaussianMixture, or the second
        result of ``run_em``); ``using="params"`` needs ``record_params=True``.
        A plain array is read as l(Theta^(0..T)) for ``using="log_likelihood"``.
    using : {"params", "log_likelihood"}
    window : int, default=10
        The estimate is the median of the last ``window`` informative ratios.
    floor : float, optional
        Steps at or below it are round-off, not signal. Default: 1e-10 times the
        size of the parameters, or 1e-11 times ``|l|``.

    Returns
    -------
    float
        The estimated rate in [0, 1) for a converging run.
    """
    if using == "params":
        steps = parameter_steps(history)
        if floor is None:
            last = history["params"][-1] if isinstance(history, dict) else history[-1]
            floor = 1e-10 * (1.0 + np.abs(_raw_vector(last)).max())
        ratios = successive_ratios(steps, floor)
    elif using == "log_likelihood":
        steps = log_likelihood_steps(history)
        if floor is None:
            trace = history.trace if isinstance(history, dict) else np.asarray(history, dtype=float)
            floor = 1e-11 * (1.0 + np.abs(trace).max())
        ratios = np.sqrt(successive_ratios(steps, floor))
    else:
        raise ValueError(f"using must be 'params' or 'log_likelihood'; got {using!r}.")
    good = ratios[np.isfinite(ratios)]
    if good.size == 0:
        raise ValueError(
            "no informative steps: the run is too short or already at round-off. Run more iterations "
            "(smaller tol) from a start further from the fixed point."
        )
    return float(np.median(good[-window:]))


def aitken_limit(history) -> np.ndarray:
    """Aitken's estimate of l* = lim l(Theta^(t)) after each iteration, from three successive values.

    With c_t = Delta l_t / Delta l_(t-1) (-> lambda^2), the tail of a linear sequence is a geometric
    series: l* ~ l(Theta^(t)) + Delta l_t c_t / (1 - c_t) (Bohning et al. 1994; McLachlan & Krishnan 2008,
    section 4.8). ``l*_t - l(Theta^(t)) < tol`` is a stopping rule that, unlike ``Delta l_t < tol``,
    does not stop a slow run far from its limit.

    Parameters
    ----------
    history : EMHistory or array-like
        A run's history (its ``trace``) or the values l(Theta^(0..T)).

    Returns
    -------
    ndarray of shape (T - 1,)
        The estimate after iterations 2..T; NaN where c_t is not in [0, 1) (no linear tail yet).
    """
    trace = history.trace if isinstance(history, dict) else np.asarray(history, dtype=float)
    d = np.diff(trace)
    out = np.full(max(d.size - 1, 0), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = d[1:] / d[:-1]
        ok = (d[:-1] > 0) & (c >= 0) & (c < 1)
    out[ok] = trace[2:][ok] + d[1:][ok] * c[ok] / (1.0 - c[ok])
    return out


# -- the unconstrained parametrisation -------------------------------------------------------------


def n_unconstrained(k: int, n: int) -> int:
    """Length p = (K-1) + K n + K n(n+1)/2 of the unconstrained vector theta~."""
    return (k - 1) + k * n + k * n * (n + 1) // 2


def to_unconstrained(params) -> np.ndarray:
    """theta~ = (a, mu, ln-diagonal Cholesky factors of the precisions) from Theta.

    Parameters
    ----------
    params : GMMParams or fitted GaussianMixture
        Every phi_j must be > 0 (a_j = ln(phi_j / phi_K) is finite).

    Returns
    -------
    theta : ndarray of shape (p,)
    """
    params = _as_params(params)
    if np.any(params.phi <= 0):
        raise ValueError("every phi_j must be > 0 for the softmax parametrisation (ln phi_j is finite).")
    k, n = params.k, params.n
    il = np.tril_indices(n)
    diag = il[0] == il[1]
    parts = [np.log(params.phi[:-1]) - np.log(params.phi[-1]), params.mu.ravel()]
    for j in range(k):
        L = np.linalg.cholesky(np.linalg.inv(params.Sigma[j]))
        entries = L[il].copy()
        entries[diag] = np.log(entries[diag])
        parts.append(entries)
    return np.concatenate(parts)


def _split(theta, k: int, n: int):
    """(phi, mu, L) from theta~: softmax weights, means, lower Cholesky factors of the precisions."""
    theta = np.asarray(theta, dtype=float)
    if theta.shape != (n_unconstrained(k, n),):
        raise ValueError(f"theta must have shape ({n_unconstrained(k, n)},) for k={k}, n={n}; got {theta.shape}.")
    a = np.append(theta[: k - 1], 0.0)
    phi = np.exp(a - a.max())
    phi /= phi.sum()
    mu = theta[k - 1 : k - 1 + k * n].reshape(k, n)
    il = np.tril_indices(n)
    diag = il[0] == il[1]
    entries = theta[k - 1 + k * n :].reshape(k, -1).copy()
    with np.errstate(over="ignore"):
        entries[:, diag] = np.exp(entries[:, diag])
    L = np.zeros((k, n, n))
    L[:, il[0], il[1]] = entries
    return phi, mu, L


def from_unconstrained(theta, k: int, n: int) -> GMMParams:
    """Theta = (phi, mu, Sigma) from theta~ (the inverse of :func:`to_unconstrained`).

    Sigma_j = (L_j L_j^T)^{-1} = L_j^{-T} L_j^{-1}.
    """
    phi, mu, L = _split(theta, k, n)
    Linv = np.linalg.inv(L)
    Sigma = np.matmul(Linv.transpose(0, 2, 1), Linv)
    return GMMParams(phi=phi, mu=mu, Sigma=0.5 * (Sigma + Sigma.transpose(0, 2, 1)))


def _log_joint_chol(X, phi, mu, L) -> np.ndarray:
    """ln phi_j + ln N(x^(i); mu_j, Sigma_j) with Sigma_j^{-1} = L_j L_j^T, shape (m, k)."""
    m, n = X.shape
    k = phi.size
    out = np.empty((m, k))
    with np.errstate(divide="ignore"):
        log_phi = np.log(phi)
    for j in range(k):
        Y = (X - mu[j]) @ L[j]  # rows (L^T d)^T
        out[:, j] = (
            log_phi[j] - 0.5 * n * _LOG_2PI + np.log(np.diagonal(L[j])).sum() - 0.5 * np.einsum("ij,ij->i", Y, Y)
        )
    return out


def _responsibilities(L_joint):
    mx = L_joint.max(axis=1, keepdims=True)
    W = np.exp(L_joint - mx)
    s = W.sum(axis=1, keepdims=True)
    return W / s, float((mx[:, 0] + np.log(s[:, 0])).sum())


def complete_data_gradient(X, params, W) -> np.ndarray:
    """sum_i sum_j w_ij grad_theta~ ln p(x^(i), z = j; Theta) for fixed responsibilities W.

    This is the gradient of Q(Theta | Theta_old) = E_q[ln p(x, z; Theta)] when W is
    the E-step at Theta_old. In the sufficient statistics N_j = sum_i w_ij and
    S_j = sum_i w_ij (x^(i) - mu_j)(x^(i) - mu_j)^T:

    - d/da_j = N_j - m phi_j (softmax, j < K);
    - d/dmu_j = Sigma_j^{-1} sum_i w_ij (x^(i) - mu_j);
    - d/dL_j = lower triangle of (-S_j L_j), and on the diagonal
      d/d(ln L_j,aa) = N_j - (S_j L_j)_aa L_j,aa.

    Parameters
    ----------
    X : array-like of shape (m, n)
    params : GMMParams
    W : array-like of shape (m, k), rows summing to 1

    Returns
    -------
    grad : ndarray of shape (p,)
    """
    params = _as_params(params)
    X = as_data(X, params.n)
    W = np.asarray(W, dtype=float)
    theta = to_unconstrained(params)
    phi, mu, L = _split(theta, params.k, params.n)
    return _complete_gradient(X, phi, mu, L, W)


def _complete_gradient(X, phi, mu, L, W) -> np.ndarray:
    m, n = X.shape
    k = phi.size
    il = np.tril_indices(n)
    diag = il[0] == il[1]
    N = W.sum(axis=0)
    parts = [N[:-1] - W.sum() * phi[:-1]]
    grad_mu = np.empty((k, n))
    grad_L = []
    for j in range(k):
        D = X - mu[j]
        P = L[j] @ L[j].T
        grad_mu[j] = P @ (W[:, j] @ D)
        S = (W[:, j, None] * D).T @ D
        G = -S @ L[j]
        g = G[il]
        g[diag] = N[j] + g[diag] * np.diagonal(L[j])  # chain rule for ln L_aa, plus d ln|L| = N_j
        grad_L.append(g)
    parts.append(grad_mu.ravel())
    parts.extend(grad_L)
    return np.concatenate(parts)


def log_likelihood_gradient(X, params) -> np.ndarray:
    """grad_theta~ l(Theta): the complete-data gradient weighted by the responsibilities.

    Fisher's identity: grad l(Theta) = sum_i E_{z ~ p(z | x^(i); Theta)}[grad ln p(x^(i), z; Theta)],
    i.e. :func:`complete_data_gradient` with W = the E-step at Theta itself. At a
    fixed point of EM the M-step cannot move, so this gradient is zero.

    Returns
    -------
    grad : ndarray of shape (p,)
    """
    params = _as_params(params)
    X = as_data(X, params.n)
    phi, mu, L = _split(to_unconstrained(params), params.k, params.n)
    W, _ = _responsibilities(_log_joint_chol(X, phi, mu, L))
    return _complete_gradient(X, phi, mu, L, W)


def negative_log_likelihood_and_gradient(theta, X, k: int):
    """(-l / m, -grad l / m) at theta~, the objective scipy.optimize.minimize(jac=True) wants.

    Per-sample values keep the objective O(1) whatever m is, so the optimiser's
    default tolerances mean the same thing for small and large data.
    """
    m, n = X.shape
    phi, mu, L = _split(theta, k, n)
    W, log_lik = _responsibilities(_log_joint_chol(X, phi, mu, L))
    if not np.isfinite(log_lik):
        return np.inf, np.zeros_like(theta)
    return -log_lik / m, -_complete_gradient(X, phi, mu, L, W) / m


def fit_lbfgs(X, params, tol: float = 1e-10, max_iter: int = 1000):
    """Maximise l(Theta) with scipy's L-BFGS on theta~ (no constraints needed there).

    Parameters
    ----------
    X : array-like of shape (m, n)
    params : GMMParams
        The start Theta^(0).
    tol : float, default=1e-10
        ``ftol`` and ``gtol`` of L-BFGS-B, on the per-sample objective.
    max_iter : int, default=1000

    Returns
    -------
    params : GMMParams
        The maximiser found.
    result : scipy.optimize.OptimizeResult
        ``nit`` iterations, ``nfev`` objective-and-gradient evaluations (each one
        pass over the data, like one EM iteration), ``fun`` = -l / m.
    """
    from scipy.optimize import minimize  # loaded only when needed (import emlab stays light)

    params = _as_params(params)
    X = as_data(X, params.n)
    # L-BFGS-B calls scipy's BLAS between our numpy calls; with several BLAS threads each switch
    # between the two libraries costs milliseconds, so the whole optimisation runs on one thread.
    with blas_threads_limited(X.size * params.k * n_unconstrained(params.k, params.n)):
        result = minimize(
            negative_log_likelihood_and_gradient,
            to_unconstrained(params),
            args=(X, params.k),
            jac=True,
            method="L-BFGS-B",
            options={"ftol": tol, "gtol": tol, "maxiter": max_iter, "maxfun": 2 * max_iter},
        )
    return from_unconstrained(result.x, params.k, params.n), result


# -- the EM map, its Jacobian and the information matrices ------------------------------------------


def em_map(X, k: int, reg_covar: float = 0.0):
    """The EM map theta~ -> theta~ of one E-step and one M-step, on the unconstrained vector.

    Parameters
    ----------
    X : array-like of shape (m, n)
    k : int
        Number of components.
    reg_covar : float, default=0.0
        Ridge of the M-step. Keep 0 to study the maximum-likelihood fixed point
        (the identity J = I_c^{-1} I_m needs the exact M-step).

    Returns
    -------
    callable
        ``M(theta) -> theta``.
    """
    X = as_data(X)
    n = X.shape[1]

    def M(theta):
        params = from_unconstrained(theta, k, n)
        return to_unconstrained(m_step(X, e_step(X, params), reg_covar=reg_covar))

    return M


def numerical_jacobian(f, theta, h: float = 1e-5) -> np.ndarray:
    """J_ab = d f_a / d theta_b by central differences (f(theta + h e_b) - f(theta - h e_b)) / 2h.

    The error is O(h^2) from the third derivative plus O(eps / h) from round-off;
    h = 1e-5 balances the two for smooth maps of O(1) parameters.
    """
    theta = np.asarray(theta, dtype=float)
    cols = []
    for b in range(theta.size):
        e = np.zeros_like(theta)
        e[b] = h
        cols.append((np.asarray(f(theta + e)) - np.asarray(f(theta - e))) / (2 * h))
    return np.column_stack(cols)


def em_jacobian(X, params, reg_covar: float = 0.0, h: float = 1e-5) -> np.ndarray:
    """J = dM/dtheta~ at ``params`` (a fixed point of EM), by central finite differences.

    Returns
    -------
    J : ndarray of shape (p, p)
    """
    params = _as_params(params)
    return numerical_jacobian(em_map(X, params.k, reg_covar), to_unconstrained(params), h)


def largest_eigenvalue(J) -> float:
    """The spectral radius ``max |eig(J)|``: EM's linear rate when J is the EM map's Jacobian.

    J = I_c^{-1} I_m is similar to the symmetric I_c^{-1/2} I_m I_c^{-1/2}, so its
    eigenvalues are real and lie in [0, 1]; a tiny imaginary part is round-off.
    """
    return float(np.max(np.abs(np.linalg.eigvals(np.asarray(J, dtype=float)))))


def complete_data_scores(X, params) -> np.ndarray:
    """g_ij = grad_theta~ ln p(x^(i), z = j; Theta), shape (m, k, p).

    The per-point, per-component pieces of :func:`complete_data_gradient`:
    the weight block is e_j - phi (without the K-th entry), the mean block is
    Sigma_j^{-1} (x^(i) - mu_j), and the factor block is -(d d^T L_j) on its lower
    triangle with 1 - (d d^T L_j)_aa L_j,aa on the diagonal (d = x^(i) - mu_j).
    """
    params = _as_params(params)
    X = as_data(X, params.n)
    k, n = params.k, params.n
    m = X.shape[0]
    phi, mu, L = _split(to_unconstrained(params), k, n)
    il = np.tril_indices(n)
    diag = il[0] == il[1]
    t = n * (n + 1) // 2
    g = np.zeros((m, k, n_unconstrained(k, n)))
    g[:, :, : k - 1] = np.eye(k)[:, : k - 1][None] - phi[:-1]
    for j in range(k):
        D = X - mu[j]
        g[:, j, k - 1 + j * n : k - 1 + (j + 1) * n] = D @ (L[j] @ L[j].T)
        DL = D @ L[j]  # rows (L^T d)^T
        G = -D[:, :, None] * DL[:, None, :]  # -(d d^T L), shape (m, n, n)
        block = G[:, il[0], il[1]]
        block[:, diag] = 1.0 + block[:, diag] * np.diagonal(L[j])
        start = k - 1 + k * n + j * t
        g[:, j, start : start + t] = block
    return g


def missing_information(X, params) -> np.ndarray:
    """I_m = sum_i Cov_{z ~ p(z | x^(i))}[grad ln p(x^(i), z; Theta)] (Louis 1982).

    The information about Theta that the unobserved labels z would have carried:
    for each point, the variance of the complete-data score over the posterior of
    its label.

    Returns
    -------
    I_m : ndarray of shape (p, p), symmetric positive semi-definite
    """
    params = _as_params(params)
    W = e_step(X, params)
    g = complete_data_scores(X, params)
    gbar = np.einsum("ij,ijp->ip", W, g)
    second = np.einsum("ij,ijp,ijq->pq", W, g, g)
    return second - gbar.T @ gbar


def complete_information(X, params, h: float = 1e-5) -> np.ndarray:
    """I_c = -d^2 Q(Theta | Theta_0) / d theta~^2 at Theta = Theta_0: the complete-data information.

    Q(Theta | Theta_0) = sum_ij w_ij(Theta_0) ln p(x^(i), z = j; Theta) with the
    responsibilities frozen at Theta_0; its Hessian is taken by central differences
    of the analytic gradient :func:`complete_data_gradient`.
    """
    params = _as_params(params)
    X = as_data(X, params.n)
    W = e_step(X, params)
    k, n = params.k, params.n

    def grad_Q(theta):
        phi, mu, L = _split(theta, k, n)
        return _complete_gradient(X, phi, mu, L, W)

    H = numerical_jacobian(grad_Q, to_unconstrained(params), h)
    return -0.5 * (H + H.T)


def observed_information(X, params, h: float = 1e-5) -> np.ndarray:
    """I_o = -d^2 l / d theta~^2: the observed-data information (central differences of the gradient).

    Louis' identity I_o = I_c - I_m holds at every Theta.
    """
    params = _as_params(params)
    X = as_data(X, params.n)
    k, n = params.k, params.n

    def grad_l(theta):
        phi, mu, L = _split(theta, k, n)
        W, _ = _responsibilities(_log_joint_chol(X, phi, mu, L))
        return _complete_gradient(X, phi, mu, L, W)

    H = numerical_jacobian(grad_l, to_unconstrained(params), h)
    return -0.5 * (H + H.T)


def fraction_of_missing_information(X, params, h: float = 1e-5) -> np.ndarray:
    """I_c^{-1} I_m: at a fixed point of EM it equals the EM map's Jacobian J (Dempster, Laird & Rubin 1977).

    Differentiating the M-step's condition grad Q(M(Theta) | Theta) = 0 at Theta*
    gives J = (-d^2Q/dTheta^2)^{-1} (d^2Q/dTheta dTheta_0) = I_c^{-1} I_m.
    Much missing information (overlapping components) means J close to I: slow EM.
    """
    return np.linalg.solve(complete_information(X, params, h), missing_information(X, params))


# -- SQUAREM ------------------------------------------------------------------------------------


def squarem_step_length(r, v) -> float:
    """SqS3 step length alpha = ||r|| / ||v|| (Varadhan & Roland 2008, scheme S3).

    r = M(theta) - theta and v = M(M(theta)) - 2 M(theta) + theta. For a scalar
    linear map with rate lambda, r = (lambda - 1) e and v = (lambda - 1)^2 e, so
    alpha = 1 / (1 - lambda) and :func:`squarem_extrapolate` lands on the fixed point.
    (Sign as in the SQUAREM R package: alpha > 0 here is -alpha of the paper.)
    """
    r = np.asarray(r, dtype=float)
    v = np.asarray(v, dtype=float)
    vv = float(v @ v)
    if vv == 0.0:
        return 1.0  # M(M(theta)) - 2M(theta) + theta = 0: no curvature to extrapolate along
    return math.sqrt(float(r @ r) / vv)


def squarem_extrapolate(theta, r, v, alpha: float) -> np.ndarray:
    """theta' = theta + 2 alpha r + alpha^2 v; alpha = 1 gives M(M(theta)), two plain EM steps."""
    return np.asarray(theta) + 2.0 * alpha * np.asarray(r) + alpha**2 * np.asarray(v)


class SquaremInfo(NamedTuple):
    """What one :func:`squarem_step` did."""

    alpha: float  # step length used (after clamping to [1, step_max])
    accepted: bool  # False: the extrapolated point lowered l, the plain EM step was taken
    n_evaluations: int  # EM-map evaluations spent (2 or 3)
    step_max: float  # the next call's step_max (adapted as the SQUAREM R package does)


def squarem_step(theta, M, log_lik, step_max: float = 1.0, mstep: float = 4.0):
    """One SQUAREM cycle with the SqS3 step length and a monotone safeguard.

    theta_1 = M(theta), theta_2 = M(theta_1), r = theta_1 - theta, v = theta_2 - 2 theta_1 + theta,
    alpha = clip(||r|| / ||v||, 1, step_max), theta' = theta + 2 alpha r + alpha^2 v.
    If l(theta') >= l(theta_1) the result is the stabilised M(theta'); otherwise
    the extrapolation is rejected and the result is the plain EM iterate theta_2.
    Either way l(result) >= l(theta_1) >= l(theta): l never decreases. The safeguard
    compares with l(theta_1) because that value comes free with the E-step that
    computes theta_2.

    The maximum step length adapts as in ``squarem1`` of the SQUAREM R package
    (Varadhan, github.com/cran/SQUAREM, R/squarem.R): it starts at 1, grows by
    ``mstep`` whenever alpha reaches it, and shrinks by ``mstep`` (not below 1)
    when an extrapolation at the maximum is rejected. A step with alpha within
    0.01 of 1 is two plain EM steps and is taken as theta_2.

    Parameters
    ----------
    theta : ndarray
        Current point (any parametrisation in which M is smooth, e.g. theta~).
    M : callable
        The EM map.
    log_lik : callable
        l(theta); may return -inf or NaN for an invalid point (then rejected).
    step_max : float, default=1.0
    mstep : float, default=4.0

    Returns
    -------
    theta_new : ndarray
    info : SquaremInfo
    """
    theta = np.asarray(theta, dtype=float)
    theta1 = np.asarray(M(theta), dtype=float)
    theta2 = np.asarray(M(theta1), dtype=float)
    r = theta1 - theta
    v = theta2 - 2.0 * theta1 + theta
    alpha = min(max(squarem_step_length(r, v), 1.0), step_max)
    next_max = step_max * mstep if alpha == step_max else step_max
    if abs(alpha - 1.0) <= 0.01:
        return theta2, SquaremInfo(alpha, True, 2, next_max)
    theta_x = squarem_extrapolate(theta, r, v, alpha)
    try:
        l_x = log_lik(theta_x)
    except (ValueError, np.linalg.LinAlgError):
        l_x = -np.inf
    if np.isfinite(l_x) and l_x >= log_lik(theta1):
        return np.asarray(M(theta_x), dtype=float), SquaremInfo(alpha, True, 3, next_max)
    shrunk = max(1.0, step_max / mstep) if alpha == step_max else step_max
    return theta2, SquaremInfo(alpha, False, 3, shrunk)


# -- stepwise (online) EM ------------------------------------------------------------------------


def step_size(t, learning_offset: float = 10.0, learning_decay: float = 0.7) -> float:
    """rho_t = (learning_offset + t)^(-learning_decay), the step of the t-th stepwise update (t = 1, 2, ...).

    Stepwise EM converges when sum_t rho_t = inf and sum_t rho_t^2 < inf, i.e. for
    learning_decay in (0.5, 1] (Cappe & Moulines 2009). The names and defaults are
    those of scikit-learn's online ``LatentDirichletAllocation``.
    """
    if not 0.5 < learning_decay <= 1.0:
        raise ValueError(
            f"learning_decay must lie in (0.5, 1] so that the steps sum to infinity but their squares do not; "
            f"got {learning_decay!r}. The default is 0.7."
        )
    if not learning_offset >= 0:
        raise ValueError(f"learning_offset must be >= 0; got {learning_offset!r}. The default is 10.0.")
    return float((learning_offset + t) ** (-learning_decay))


class SufficientStatistics(NamedTuple):
    """Per-sample averages of a Gaussian mixture's complete-data sufficient statistics.

    n[j] = (1/m) sum_i w_ij, sx[j] = (1/m) sum_i w_ij x^(i), sxx[j] = (1/m) sum_i w_ij x^(i) x^(i)^T.
    """

    n: np.ndarray  # (k,)
    sx: np.ndarray  # (k, n)
    sxx: np.ndarray  # (k, n, n)


def sufficient_statistics(X, W) -> SufficientStatistics:
    """The E-step's statistics of a batch, averaged per sample (so batches of any size are comparable)."""
    X = as_data(X)
    W = np.asarray(W, dtype=float)
    m = X.shape[0]
    return SufficientStatistics(W.sum(axis=0) / m, W.T @ X / m, np.einsum("ij,ia,ib->jab", W, X, X) / m)


def expected_statistics(params) -> SufficientStatistics:
    """E_Theta[s(x, z)]: the statistics the model itself expects, so M(E_Theta[s]) = Theta (reg_covar = 0).

    n_j = phi_j, sx_j = phi_j mu_j, sxx_j = phi_j (Sigma_j + mu_j mu_j^T). A sensible s_bar_0
    for a stream that starts from given parameters.
    """
    p = _as_params(params)
    outer = p.mu[:, :, None] * p.mu[:, None, :]
    return SufficientStatistics(p.phi.copy(), p.phi[:, None] * p.mu, p.phi[:, None, None] * (p.Sigma + outer))


def stepwise_update(s_bar, s_batch, rho: float):
    """s_bar_t = (1 - rho_t) s_bar_(t-1) + rho_t s_batch: a running weighted average of the statistics.

    Works on :class:`SufficientStatistics` (field by field) and on arrays.
    """
    if isinstance(s_bar, tuple):
        return type(s_bar)(*((1.0 - rho) * a + rho * b for a, b in zip(s_bar, s_batch, strict=True)))
    return (1.0 - rho) * np.asarray(s_bar) + rho * np.asarray(s_batch)


def m_step_from_statistics(stats: SufficientStatistics, reg_covar: float = 0.0) -> GMMParams:
    """The M-step written in the statistics: phi_j = n_j / sum n, mu_j = sx_j / n_j,
    Sigma_j = sxx_j / n_j - mu_j mu_j^T + reg_covar I.

    (Centring through the raw second moment is fine for the course's well-scaled
    examples; the estimator's engine centres its statistics first.)
    """
    nk, sx, sxx = stats
    mu = sx / nk[:, None]
    Sigma = sxx / nk[:, None, None] - mu[:, :, None] * mu[:, None, :]
    Sigma = 0.5 * (Sigma + Sigma.transpose(0, 2, 1)) + reg_covar * np.eye(mu.shape[1])
    return GMMParams(phi=nk / nk.sum(), mu=mu, Sigma=Sigma)


# -- incremental EM (Neal & Hinton 1998) ---------------------------------------------------------


class IncrementalEM(NamedTuple):
    """What :func:`incremental_em` returns: the iterates and the bound after each step."""

    params: list  # GMMParams: [0] after the first full E- and M-step, then one entry per block step
    bound: np.ndarray  # F(q, Theta) per sample after each M-step: never decreases


def _expected_log_joint(stats: SufficientStatistics, params: GMMParams) -> float:
    """E_q[ln p(x, z; Theta)] per sample, written in the statistics q gives: linear in them."""
    nk, sx, sxx = stats
    P = np.linalg.inv(params.Sigma)
    _, logdet = np.linalg.slogdet(params.Sigma)
    with np.errstate(divide="ignore"):
        log_phi = np.where(nk > 0, np.log(params.phi), 0.0)
    quad = (
        np.einsum("jab,jab->j", P, sxx)
        - 2 * np.einsum("ja,jab,jb->j", sx, P, params.mu)
        + nk * np.einsum("ja,jab,jb->j", params.mu, P, params.mu)
    )
    return float(np.sum(nk * (log_phi - 0.5 * (params.mu.shape[1] * _LOG_2PI + logdet)) - 0.5 * quad))


def incremental_em(X, params, n_blocks: int, n_sweeps: int = 1, reg_covar: float = 0.0) -> IncrementalEM:
    """Incremental EM (Neal & Hinton 1998): E-steps on one block at a time, a full M-step after each.

    Each block b keeps its own statistics s_b (and the entropy of its responsibilities). A step takes the
    next block, recomputes its responsibilities under the current Theta, replaces s_b in the running total
    s = sum_b (m_b / m) s_b, and sets Theta = M(s). Each step maximises the bound F(q, Theta) = l(Theta) -
    KL(q || p(z | x; Theta)) in q_b and then in Theta, so F never decreases (unlike stepwise EM with a step
    size); its fixed points are batch EM's. The memory is that of the per-block statistics,
    O(n_blocks k n^2), besides the block being processed.

    Parameters
    ----------
    X : array-like of shape (m, n)
        The data; block b is ``np.array_split(X, n_blocks)[b]``.
    params : GMMParams
        The start.
    n_blocks : int
        Number of blocks, 1 <= n_blocks <= m. ``n_blocks=1`` is batch EM.
    n_sweeps : int, default 1
        Passes over the blocks after the first full E- and M-step.
    reg_covar : float, default 0.0
        Added to every Sigma_j's diagonal in each M-step.

    Returns
    -------
    IncrementalEM
        ``params``: Theta after the first full E- and M-step, then after each of the n_sweeps * n_blocks
        block steps; ``bound``: F per sample after each of them.

    Examples
    --------
    >>> import numpy as np
    >>> from emlab import GMMParams, rate
    >>> X = np.r_[np.zeros(5), np.ones(5) * 4][:, None] + np.linspace(-1, 1, 10)[:, None]
    >>> start = GMMParams(phi=[0.5, 0.5], mu=[[0.0], [3.0]], Sigma=[[[1.0]], [[1.0]]])
    >>> run = rate.incremental_em(X, start, n_blocks=5, n_sweeps=3)
    >>> bool(np.all(np.diff(run.bound) >= 0))
    True
    """
    X = as_data(X)
    p = _as_params(params)
    m = X.shape[0]
    if isinstance(n_blocks, bool) or not isinstance(n_blocks, (int, np.integer)) or not 1 <= n_blocks <= m:
        raise ValueError(f"n_blocks must be an integer between 1 and the number of points ({m}); got {n_blocks!r}.")
    if isinstance(n_sweeps, bool) or not isinstance(n_sweeps, (int, np.integer)) or n_sweeps < 0:
        raise ValueError(f"n_sweeps must be a non-negative integer; got {n_sweeps!r}.")
    blocks = np.array_split(X, n_blocks)
    share = np.array([len(b) / m for b in blocks])

    def block_e_step(b, theta):
        W = e_step(blocks[b], theta)
        with np.errstate(divide="ignore", invalid="ignore"):
            entropy = -np.sum(np.where(W > 0, W * np.log(W), 0.0)) / m
        stats = sufficient_statistics(blocks[b], W)
        return SufficientStatistics(*(share[b] * a for a in stats)), entropy

    kept = [block_e_step(b, p) for b in range(n_blocks)]  # one full E-step to start
    total = SufficientStatistics(*(sum(k[0][f] for k in kept) for f in range(3)))
    entropy = sum(k[1] for k in kept)
    p = m_step_from_statistics(total, reg_covar)
    out, bound = [p], [_expected_log_joint(total, p) + entropy]
    for step in range(n_sweeps * n_blocks):
        b = step % n_blocks
        new_stats, new_entropy = block_e_step(b, p)
        # Replace block b's contribution in the running total: the other blocks keep theirs.
        total = SufficientStatistics(*(t - o + nw for t, o, nw in zip(total, kept[b][0], new_stats, strict=True)))
        entropy += new_entropy - kept[b][1]
        kept[b] = (new_stats, new_entropy)
        p = m_step_from_statistics(total, reg_covar)
        out.append(p)
        bound.append(_expected_log_joint(total, p) + entropy)
    return IncrementalEM(out, np.array(bound))
