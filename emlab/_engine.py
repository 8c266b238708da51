"""Fast EM engine behind :class:`emlab.GaussianMixture` (the functional core stays the readable one).

One EM iteration is one blocked pass over the data. Each point x is expanded into a
feature vector f(x) = [1, x, second-order terms] held feature-major (one row per
feature, one column per point), so that

* the log joint ln phi_j + ln N(x; mu_j, Sigma_j) is a *linear* function C_j . f(x)
  of the features (the Gaussian exponent is a quadratic form in x), and
* the M-step's sufficient statistics sum_i w_ij f(x_i) = (N_j, sum w x, sum w x x^T)
  are one matrix product W^T F.

So each row block costs two BLAS calls (``C @ F_b`` and ``R_b @ F_b.T``) plus a
log-sum-exp, and nothing of size (m, k) is ever stored. The coefficients C come
from the Cholesky factors of the precisions (ln|Sigma| from their diagonals).

The data are shifted by their mean before the expansion: the second moments are
then taken about the centre of the data, which keeps the quadratic form and the
covariance update accurate (no cancellation between large raw moments). What
remains: a component much narrower than the data's spread loses about
log10(spread^2 / variance) of its 16 digits in the quadratic form (as in
scikit-learn's 'diag' and 'spherical' code), which matters only for a component
that has all but collapsed.

Missing values (NaN) keep the same pass: for 'full'/'tied' one pass per missing pattern
over the observed coordinates, whose statistics map affinely to the expected ones
(:class:`MissingDesign`); for 'diag'/'spherical' one pass over all rows with
observed-indicator features (:class:`MaskedDesign`).

Only numpy's BLAS/LAPACK run in the loop. numpy and scipy each load their own
OpenBLAS here, and alternating the two costs milliseconds per switch with
several threads; long loops additionally run with BLAS limited to one thread
(when threadpoolctl is installed), which is the fastest setting for these
thin matrix products.
"""

from __future__ import annotations

import contextlib
import functools
import math
from typing import NamedTuple

import numpy as np

__all__ = [
    "Design",
    "MissingDesign",
    "compile_log_joint",
    "em_pass",
    "em_pass_missing",
    "final_pass",
    "final_pass_missing",
    "impute_missing",
    "log_joint_blocks",
    "log_joint_missing",
    "m_step_from_stats",
    "map_m_step_from_stats",
]

_EPS = np.finfo(np.float64).eps
_LOG_2PI = math.log(2.0 * math.pi)
# A cached feature matrix may use up to this many bytes; beyond it the features
# are rebuilt block by block (Binder machines have 1-2 GB of RAM).
_FEATURE_CACHE_BYTES = 64 * 2**20
# Bytes of temporaries per row block: small enough to stay in the L2 cache.
_BLOCK_BYTES = 2**19
# Below this many multiply-adds per pass the thread-limiting context costs
# more than it can save.
_THREAD_LIMIT_WORK = 20_000


@functools.lru_cache(maxsize=64)
def _triu(n: int):
    # np.triu_indices costs ~30 us: too much to redo in every iteration of a small fit.
    iu0, iu1 = np.triu_indices(n)
    pair_weight = np.where(iu0 == iu1, -0.5, -1.0)
    for a in (iu0, iu1, pair_weight):
        a.setflags(write=False)
    return iu0, iu1, pair_weight


def n_second_order(n: int, covariance_type: str) -> int:
    """Number of second-order features for ``covariance_type`` in dimension n."""
    if covariance_type in ("full", "tied"):
        return n * (n + 1) // 2
    if covariance_type == "diag":
        return n
    return 1


class Design:
    """Feature-major expansion f(x) = [1, x - shift, second-order terms] of a data set.

    Parameters
    ----------
    X : ndarray of shape (m, n)
        Finite float data (validated by the caller).
    covariance_type : {'full', 'tied', 'diag', 'spherical'}
        Chooses the second-order terms: all products x_a x_b (a <= b) for
        'full' and 'tied', the squares x_a^2 for 'diag', ||x||^2 for 'spherical'.
    shift : ndarray of shape (n,)
        Subtracted from every point before the expansion.
    cache : bool or None, default=None
        Keep the whole feature matrix (None: when it fits in 64 MiB).
    """

    def __init__(self, X: np.ndarray, covariance_type: str, shift: np.ndarray, cache: bool | None = None):
        self.m, self.n = X.shape
        self.covariance_type = covariance_type
        self.shift = shift
        self.iu = _triu(self.n)[:2]
        self.n_features = self._count_features()
        XT = np.subtract(X.T, shift[:, None])  # feature-major copy
        if cache is None:
            cache = 8 * self.n_features * self.m <= _FEATURE_CACHE_BYTES
        if cache:
            self._F = self._expand(XT)
            self._XT = None
        else:
            self._F = None
            self._XT = XT
        self._XtX = None
        self.block = int(max(256, min(self.m, _BLOCK_BYTES // (8 * (self.n_features + 1)))))

    def _count_features(self) -> int:
        return 1 + self.n + n_second_order(self.n, self.covariance_type)

    def _expand(self, XT: np.ndarray) -> np.ndarray:
        n, b = XT.shape
        F = np.empty((self.n_features, b))
        F[0] = 1.0
        F[1 : 1 + n] = XT
        second = F[1 + n :]
        if self.covariance_type in ("full", "tied"):
            # Rows x_a x_b for a <= b in np.triu_indices order, without gathering copies of XT.
            row = 0
            for a in range(n):
                np.multiply(XT[a], XT[a:], out=second[row : row + n - a])
                row += n - a
        elif self.covariance_type == "diag":
            np.multiply(XT, XT, out=second)
        else:
            np.einsum("ij,ij->j", XT, XT, out=second[0])
        return F

    def blocks(self):
        """Yield the feature matrix in column blocks of shape (n_features, <= block)."""
        step = self.block
        for start in range(0, self.m, step):
            if self._F is not None:
                yield self._F[:, start : start + step]
            else:
                yield self._expand(self._XT[:, start : start + step])

    def scatter(self) -> np.ndarray:
        """sum_i (x_i - shift)(x_i - shift)^T, shape (n, n) (the tied M-step needs it)."""
        if self._XtX is None:
            XT = self._F[1 : 1 + self.n] if self._F is not None else self._XT
            self._XtX = XT @ XT.T
        return self._XtX


def compile_log_joint(weights, means, prec_chol, covariance_type: str) -> np.ndarray:
    """Coefficients C (k, n_features) with ln phi_j + ln N(x; mu_j, Sigma_j) = C_j . f(x).

    ``means`` are in the shifted coordinates of the :class:`Design`;
    ``prec_chol`` is scikit-learn's precisions_cholesky_ (P = U U^T), so
    ln|Sigma_j|^(-1/2) = sum ln diag(U_j).
    """
    k, n = means.shape
    if weights.min() > 0:
        log_w = np.log(weights)
    else:
        with np.errstate(divide="ignore"):  # phi_j = 0 gives ln phi_j = -inf: that component gets no points
            log_w = np.log(weights)
    if covariance_type in ("full", "tied"):
        U = prec_chol if covariance_type == "full" else prec_chol[None]
        P = np.matmul(U, U.transpose(0, 2, 1))
        log_det = np.log(np.diagonal(U, axis1=1, axis2=2)).sum(axis=1)
        Pmu = np.matmul(P, means[:, :, None])[:, :, 0]
        iu0, iu1, pair_weight = _triu(n)
        # x^T P x = sum_a P_aa x_a^2 + 2 sum_{a<b} P_ab x_a x_b
        second = P[:, iu0, iu1] * pair_weight
    elif covariance_type == "diag":
        P = prec_chol**2
        log_det = np.log(prec_chol).sum(axis=1)
        Pmu = P * means
        second = -0.5 * P
    else:  # spherical
        P = prec_chol**2
        log_det = n * np.log(prec_chol)
        Pmu = P[:, None] * means
        second = -0.5 * P[:, None]
    C = np.empty((k, 1 + n + second.shape[-1]))
    C[:, 0] = log_w + log_det - 0.5 * (n * _LOG_2PI + np.einsum("ka,ka->k", Pmu, means))
    C[:, 1 : 1 + n] = Pmu
    C[:, 1 + n :] = second
    return C


@contextlib.contextmanager
def _no_context():
    yield


_controller = None


def blas_threads_limited(work: float):
    """Context limiting BLAS to one thread when ``work`` (multiply-adds per pass) is large."""
    global _controller
    if work < _THREAD_LIMIT_WORK:
        return _no_context()
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # optional: without it BLAS keeps its default threads
            _controller = False
        else:
            _controller = ThreadpoolController()
    if _controller is False:
        return _no_context()
    return _controller.limit(limits=1, user_api="blas")


def em_pass(design: Design, C: np.ndarray):
    """One E-step with its sufficient statistics, in one pass over the data.

    Returns
    -------
    log_lik : float
        l(Theta) = sum_i ln sum_j exp(C_j . f(x_i)), the total log-likelihood
        at the parameters that produced C.
    T : ndarray of shape (k, n_features)
        T_j = sum_i w_ij f(x_i) with w the responsibilities: T[:, 0] = N_j,
        T[:, 1:1+n] = sum_i w_ij (x_i - shift), then the second-order sums.
    """
    k = C.shape[0]
    T = np.zeros((k, design.n_features))
    log_lik = 0.0
    for Fb in design.blocks():
        L = C @ Fb
        mx = L.max(axis=0)
        L -= mx
        np.exp(L, out=L)
        s = L.sum(axis=0)
        L /= s  # responsibilities of the block, (k, b)
        log_lik += mx.sum() + np.log(s).sum()
        T += L @ Fb.T
    return float(log_lik), T


def log_joint_blocks(design: Design, C: np.ndarray) -> np.ndarray:
    """ln p(x^(i), z = j; Theta) for all points, shape (m, k)."""
    out = np.empty((design.m, C.shape[0]))
    start = 0
    for Fb in design.blocks():
        stop = start + Fb.shape[1]
        out[start:stop] = (C @ Fb).T
        start = stop
    return out


def final_pass(design: Design, C: np.ndarray):
    """Total log-likelihood and the most probable component of every point."""
    labels = np.empty(design.m, dtype=np.intp)
    log_lik = 0.0
    start = 0
    for Fb in design.blocks():
        L = C @ Fb
        stop = start + L.shape[1]
        labels[start:stop] = L.argmax(axis=0)
        mx = L.max(axis=0)
        log_lik += mx.sum() + np.log(np.exp(L - mx).sum(axis=0)).sum()
        start = stop
    return float(log_lik), labels


def expected_log_joint(C: np.ndarray, T: np.ndarray) -> float:
    """sum_ij w_ij (C_j . f(x_i)) = sum_j C_j . T_j; a term with N_j = 0 counts 0 even if ln phi_j = -inf."""
    prod = np.multiply(C, T, out=np.zeros_like(T), where=T != 0)
    return float(prod.sum())


class CollapseError(ValueError):
    """A covariance became singular (a component collapsed onto too few points)."""


_COLLAPSE_MSG = (
    "Fitting the mixture failed: component {c} (index {j}) collapsed (its covariance is singular: {why}). "
    "This happens when a component sits on a single point or on a few coincident/collinear points. "
    "Increase reg_covar (for example to 1e-4 or 1e-3), use fewer components, or standardise X."
)


def cholesky_precisions(cov, covariance_type: str, scale):
    """precisions_cholesky_ from covariances, raising a clear error when one is singular.

    ``scale`` bounds the magnitude of the moments the covariance was computed
    from; a pivot below round-off of that size means "numerically singular".
    """
    if covariance_type in ("full", "tied"):
        S = cov if covariance_type == "full" else cov[None]
        n = S.shape[-1]
        try:
            Lc = np.linalg.cholesky(S)
        except np.linalg.LinAlgError:
            eig = np.linalg.eigvalsh(S).min(axis=1)
            j = int(np.argmin(eig))
            raise CollapseError(_COLLAPSE_MSG.format(c=j + 1, j=j, why=f"smallest eigenvalue {eig[j]:.3g}")) from None
        piv = np.diagonal(Lc, axis1=1, axis2=2).min(axis=1) ** 2
        bad = np.flatnonzero(piv <= 8 * n * _EPS * scale)
        if bad.size:
            j = int(bad[0])
            raise CollapseError(_COLLAPSE_MSG.format(c=j + 1, j=j, why=f"pivot {piv[j]:.3g} is round-off"))
        U = np.linalg.inv(Lc).transpose(0, 2, 1)
        return U if covariance_type == "full" else U[0]
    bad = np.flatnonzero((cov <= 8 * _EPS * scale).reshape(cov.shape[0], -1).any(axis=1))
    if bad.size:
        j = int(bad[0])
        raise CollapseError(_COLLAPSE_MSG.format(c=j + 1, j=j, why=f"variance {np.min(cov[j]):.3g}"))
    return 1.0 / np.sqrt(cov)


def m_step_from_stats(T: np.ndarray, design: Design, reg_covar: float, covariance_type: str, scatter=None):
    """M-step from the sufficient statistics T of :func:`em_pass`, as scikit-learn computes it.

    N_j gets scikit-learn's ``+ 10 * eps`` guard, so an empty component gives
    finite (if meaningless) parameters instead of 0/0. ``scatter`` replaces
    ``design.scatter()`` for 'tied' (the expected scatter when values are missing).

    Returns
    -------
    weights, means (shifted coordinates), covariances, precisions_cholesky
    """
    n = design.n
    nk_raw = T[:, 0]
    nk = nk_raw + 10 * _EPS
    Sx = T[:, 1 : 1 + n]
    # scikit-learn's mean sum_i w x_i / (N_j + 10 eps) in the original coordinates, expressed in the
    # shifted ones (an empty component gets mean 0 there, as in scikit-learn).
    means = (Sx - (10 * _EPS) * design.shift) / nk[:, None]
    second = T[:, 1 + n :]
    frac = nk_raw / nk
    # sum_i w (x - mu)(x - mu)^T / N_j = S2 / N_j - (Sx mu^T + mu Sx^T) / N_j + (N_raw / N_j) mu mu^T
    if covariance_type == "full":
        k = T.shape[0]
        iu0, iu1 = design.iu
        S2 = np.empty((k, n, n))
        S2[:, iu0, iu1] = second
        S2[:, iu1, iu0] = second
        S2 /= nk[:, None, None]
        cross = (Sx / nk[:, None])[:, :, None] * means[:, None, :]
        cov = S2 - cross - cross.transpose(0, 2, 1) + (frac[:, None, None] * means[:, :, None]) * means[:, None, :]
        scale = np.abs(np.diagonal(S2, axis1=1, axis2=2)).max(axis=1)
        cov.reshape(k, n * n)[:, :: n + 1] += reg_covar
    elif covariance_type == "tied":
        XtX = design.scatter() if scatter is None else scatter
        cov = (XtX - np.einsum("k,ka,kb->ab", nk, means, means)) / nk.sum()
        scale = np.abs(np.diagonal(XtX)).max() / nk.sum()
        cov.flat[:: n + 1] += reg_covar
    elif covariance_type == "diag":
        S2 = second / nk[:, None]
        cov = S2 - 2 * Sx / nk[:, None] * means + frac[:, None] * means**2 + reg_covar
        scale = np.abs(S2)
    else:
        S2 = second[:, 0] / nk
        sq = np.einsum("ka,ka->k", means, means)
        cov = (S2 - 2 * np.einsum("ka,ka->k", Sx, means) / nk + frac * sq) / n + reg_covar
        scale = np.abs(S2)
    prec_chol = cholesky_precisions(cov, covariance_type, scale)
    weights = nk / nk.sum()
    return weights, means, cov, prec_chol


# -- missing values ------------------------------------------------------------------------------
#
# A row with missing coordinates h and observed ones o contributes, for each component j, through
# the observed marginal N(x_o; mu_o, Sigma_oo) and the conditional x_h | x_o ~ N(a + B x_o, C) with
# B = Sigma_ho Sigma_oo^-1, a = mu_h - B mu_o, C = Sigma_hh - B Sigma_oh (shifted coordinates).
# The expected statistics sum_i w E[f(x)] are then AFFINE in the observed statistics
# sum_i w f(x_o) of the rows that share the pattern:
#   sum w E[x_h]      = N a + B s_o
#   sum w E[x_h x_o^T] = a s_o^T + B S_oo
#   sum w E[x_h x_h^T] = N (a a^T + C) + a (B s_o)^T + (B s_o) a^T + B S_oo B^T
# So one ordinary blocked pass per pattern over x_o (em_pass on that pattern's Design) and a few
# k x n x n products give the exact E-step: no loop over rows, no per-row conditional.


class _Pattern(NamedTuple):
    observed: np.ndarray  # indices o
    hidden: np.ndarray  # indices h
    rows: np.ndarray
    design: Design  # the rows' observed coordinates


class MaskedDesign(Design):
    """Features [1, x~, second-order terms of x~, o] with x~ = x - shift where observed, 0 where missing.

    For 'diag' and 'spherical' covariances the coordinates are independent given z, so
    ln N(x_o; mu_o, Sigma_oo) = sum_d o_d [-(1/2) ln(2 pi sigma_d^2) - mu_d^2 / (2 sigma_d^2)]
    + sum_d x~_d mu_d / sigma_d^2 - sum_d x~_d^2 / (2 sigma_d^2)
    is linear in these features, whatever the missing pattern: one pass over all rows,
    with n indicator features o_d (1 where coordinate d is observed) added.
    """

    def _count_features(self) -> int:
        return super()._count_features() + self.n

    def _expand(self, XT: np.ndarray) -> np.ndarray:
        n, b = XT.shape
        observed = ~np.isnan(XT)
        XT = np.where(observed, XT, 0.0)
        s = n_second_order(n, self.covariance_type)
        F = np.empty((self.n_features, b))
        F[0] = 1.0
        F[1 : 1 + n] = XT
        if self.covariance_type == "diag":
            np.multiply(XT, XT, out=F[1 + n : 1 + n + s])
        else:
            np.einsum("ij,ij->j", XT, XT, out=F[1 + n])
        F[1 + n + s :] = observed
        return F


def _masked_log_joint(weights, means, cov, covariance_type) -> np.ndarray:
    """Coefficients of ln p(x_o, z = j) on the features of :class:`MaskedDesign` ('diag'/'spherical')."""
    k, n = means.shape
    var = cov if covariance_type == "diag" else np.broadcast_to(cov[:, None], (k, n))
    P = 1.0 / var
    with np.errstate(divide="ignore"):
        log_w = np.log(weights)
    second = -0.5 * P if covariance_type == "diag" else -0.5 / cov[:, None]
    C = np.empty((k, 1 + n + second.shape[1] + n))
    C[:, 0] = log_w
    C[:, 1 : 1 + n] = P * means
    C[:, 1 + n : 1 + n + second.shape[1]] = second
    C[:, 1 + n + second.shape[1] :] = -0.5 * (_LOG_2PI + np.log(var) + P * means**2)
    return C


def _masked_expected_stats(Tm: np.ndarray, means, cov, n: int, covariance_type: str) -> np.ndarray:
    """Full-layout expected statistics from the masked ones: a missing x_d contributes mu_d and mu_d^2 + sigma_d^2."""
    k = Tm.shape[0]
    s = n_second_order(n, covariance_type)
    N = Tm[:, 0]
    hidden_mass = N[:, None] - Tm[:, 1 + n + s :]  # sum_i w_ij [x_d missing], (k, n)
    var = cov if covariance_type == "diag" else np.broadcast_to(cov[:, None], (k, n))
    T = np.empty((k, 1 + n + s))
    T[:, 0] = N
    T[:, 1 : 1 + n] = Tm[:, 1 : 1 + n] + hidden_mass * means
    filled = hidden_mass * (means**2 + var)
    T[:, 1 + n :] = Tm[:, 1 + n : 1 + n + s] + (filled if covariance_type == "diag" else filled.sum(axis=1)[:, None])
    return T


class MissingDesign:
    """Rows with missing values: one :class:`Design` of the observed coordinates per missing pattern
    ('full', 'tied'), or one :class:`MaskedDesign` of all rows ('diag', 'spherical').

    Parameters
    ----------
    X : ndarray of shape (m, n)
        NaN marks a missing value; every row has at least one observed value (checked by the caller).
    covariance_type : {'full', 'tied', 'diag', 'spherical'}
    shift : ndarray of shape (n,)
        Subtracted from every point, as in :class:`Design`.
    """

    def __init__(self, X: np.ndarray, covariance_type: str, shift: np.ndarray):
        self.m, self.n = X.shape
        self.covariance_type = covariance_type
        self.shift = shift
        self.iu = _triu(self.n)[:2]
        self.n_features = 1 + self.n + n_second_order(self.n, covariance_type)
        self.patterns = []
        self.masked = None
        if covariance_type in ("diag", "spherical"):
            self.masked = MaskedDesign(X, covariance_type, shift)
            return
        observed = ~np.isnan(X)
        if self.n <= 62:  # one integer code per row: much faster than np.unique(axis=0)
            codes = observed.astype(np.int64) @ (np.int64(1) << np.arange(self.n, dtype=np.int64))
            _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
            patterns = observed[first]
        else:
            patterns, inverse = np.unique(observed, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1)
        order = np.argsort(inverse, kind="stable")
        counts = np.bincount(inverse, minlength=len(patterns))
        sizes = [1 + int(p.sum()) + n_second_order(int(p.sum()), covariance_type) for p in patterns]
        cache = 8 * int(np.dot(sizes, counts)) <= _FEATURE_CACHE_BYTES
        self.masks = patterns
        for mask, rows in zip(patterns, np.split(order, np.cumsum(counts)[:-1]), strict=True):
            o, h = np.flatnonzero(mask), np.flatnonzero(~mask)
            design = Design(X[np.ix_(rows, o)], covariance_type, shift[o], cache=cache)
            self.patterns.append(_Pattern(o, h, rows, design))


class _Conditional(NamedTuple):
    C: np.ndarray  # log-joint coefficients of the observed marginal, (k, features of o)
    a: np.ndarray  # (k, |h|)
    B: np.ndarray  # (k or 1, |h|, |o|)
    cov: np.ndarray  # conditional covariance (k or 1, |h|, |h|)


# Patterns handled together in the batched conditional computation (bounds its temporaries).
_PATTERN_CHUNK = 256


def _conditionals(design: MissingDesign, weights, means, cov) -> list:
    """The observed marginal and the conditional x_h | x_o of every component, for every incomplete pattern.

    ('full'/'tied'; 'diag'/'spherical' use :class:`MaskedDesign`.) All patterns go through a few
    batched LAPACK calls: pattern p's Sigma_oo is embedded in the n x n matrix
    M_p = [[Sigma_oo, 0], [0, I]] (in the original coordinate order), whose inverse holds
    Sigma_oo^-1 in the same place and whose determinant is |Sigma_oo|. Then
    G = Sigma (M_p^-1 with its identity block zeroed) has B = Sigma_ho Sigma_oo^-1 in its (h, o)
    block, Sigma - G Sigma has the conditional covariance in its (h, h) block, and mu - G mu has
    a = mu_h - B mu_o.
    Python then only slices, once per pattern.

    Returns
    -------
    list with one entry per pattern of ``design.patterns``: None for the complete pattern, else a
    ``_Conditional``.
    """
    ctype, n = design.covariance_type, design.n
    k = means.shape[0]
    out = [None] * len(design.patterns)
    todo = [i for i, p in enumerate(design.patterns) if p.hidden.size]
    S = cov if ctype == "full" else cov[None]
    eye = np.eye(n)
    with np.errstate(divide="ignore"):
        log_w = np.log(weights)
    for c0 in range(0, len(todo), _PATTERN_CHUNK):
        idx = todo[c0 : c0 + _PATTERN_CHUNK]
        obs = design.masks[idx]  # (P, n), True where observed
        oo = obs[:, :, None] & obs[:, None, :]
        M = np.where(oo[:, None], S[None], eye)  # (P, kk, n, n)
        L = np.linalg.cholesky(M)  # a marginal of a positive definite matrix is positive definite
        half_log_det_prec = -np.log(np.diagonal(L, axis1=2, axis2=3)).sum(axis=2)  # ln|Sigma_oo|^(-1/2)
        Linv = np.linalg.inv(L)
        P = np.matmul(Linv.transpose(0, 1, 3, 2), Linv) * oo[:, None]  # Sigma_oo^-1, zero elsewhere
        G = np.matmul(S[None], P)
        cond_cov = S[None] - np.matmul(G, S[None])
        mu_P = np.broadcast_to(means, (len(idx), k, n))
        a = mu_P - np.matmul(np.broadcast_to(G, (len(idx), k, n, n)), mu_P[..., None])[..., 0]
        Pmu = np.matmul(np.broadcast_to(P, (len(idx), k, n, n)), mu_P[..., None])[..., 0]  # (P, k, n)
        mPm = np.einsum("pka,pka->pk", Pmu, mu_P)
        n_obs = obs.sum(axis=1)
        for q, i in enumerate(idx):
            p = design.patterns[i]
            o, h = p.observed, p.hidden
            iu0, iu1, pair_weight = _triu(o.size)
            Pq = P[q] if ctype == "full" else np.broadcast_to(P[q], (k, n, n))
            C = np.empty((k, 1 + o.size + iu0.size))
            C[:, 0] = log_w + half_log_det_prec[q] - 0.5 * (n_obs[q] * _LOG_2PI + mPm[q])
            C[:, 1 : 1 + o.size] = Pmu[q][:, o]
            C[:, 1 + o.size :] = Pq[:, o[iu0], o[iu1]] * pair_weight
            out[i] = _Conditional(C, a[q][:, h], G[q][:, h[:, None], o], cond_cov[q][:, h[:, None], h])
    return out


def _expected_stats(T_o: np.ndarray, p: _Pattern, cond: _Conditional, n: int, covariance_type: str) -> np.ndarray:
    """sum_i w_ij E[f(x^(i)) | x_o^(i), z = j] in the full feature layout, from the pattern's observed statistics.

    ('full'/'tied': the affine map in the comment above :class:`MissingDesign`.)
    """
    o, h = p.observed, p.hidden
    k, no = T_o.shape[0], o.size
    N, s_o, second = T_o[:, 0], T_o[:, 1 : 1 + no], T_o[:, 1 + no :]
    T = np.zeros((k, 1 + n + n_second_order(n, covariance_type)))
    T[:, 0] = N
    T[:, 1 + o] = s_o
    a = cond.a
    iu0, iu1, _ = _triu(no)
    S_oo = np.empty((k, no, no))
    S_oo[:, iu0, iu1] = second
    S_oo[:, iu1, iu0] = second
    Bs = np.matmul(cond.B, s_o[:, :, None])[:, :, 0]  # B s_o, (k, |h|)
    BS = np.matmul(cond.B, S_oo)  # B S_oo, (k, |h|, |o|)
    S_ho = a[:, :, None] * s_o[:, None, :] + BS
    aBs = a[:, :, None] * Bs[:, None, :]
    S_hh = (
        N[:, None, None] * (a[:, :, None] * a[:, None, :] + cond.cov)
        + aBs
        + aBs.transpose(0, 2, 1)
        + np.matmul(BS, cond.B.transpose(0, 2, 1))
    )
    S2 = np.empty((k, n, n))
    S2[:, o[:, None], o] = S_oo
    S2[:, h[:, None], o] = S_ho
    S2[:, o[:, None], h] = S_ho.transpose(0, 2, 1)
    S2[:, h[:, None], h] = S_hh
    T[:, 1 + h] = N[:, None] * a + Bs
    full_iu0, full_iu1 = _triu(n)[:2]
    T[:, 1 + n :] = S2[:, full_iu0, full_iu1]
    return T


def em_pass_missing(design: MissingDesign, weights, means, cov, C):
    """One E-step with missing values: the observed-data l(Theta) and the expected statistics T.

    ``C`` is the full-coordinate log-joint of Theta (used as is for the complete rows).
    T has the layout of :func:`em_pass` on complete data, with E[x] and E[x x^T]
    (including the conditional covariance) in place of x and x x^T.
    """
    if design.masked is not None:
        log_lik, Tm = em_pass(design.masked, _masked_log_joint(weights, means, cov, design.covariance_type))
        return log_lik, _masked_expected_stats(Tm, means, cov, design.n, design.covariance_type)
    T = np.zeros((C.shape[0], design.n_features))
    log_lik = 0.0
    for p, cond in zip(design.patterns, _conditionals(design, weights, means, cov), strict=True):
        if cond is None:
            ll, T_p = em_pass(p.design, C)
            T += T_p
        else:
            ll, T_o = em_pass(p.design, cond.C)
            T += _expected_stats(T_o, p, cond, design.n, design.covariance_type)
        log_lik += ll
    return log_lik, T


def _pattern_log_joint_coefficients(design: MissingDesign, weights, means, cov, C):
    for p, cond in zip(design.patterns, _conditionals(design, weights, means, cov), strict=True):
        yield p, (C if cond is None else cond.C), cond


def log_joint_missing(design: MissingDesign, weights, means, cov, C) -> np.ndarray:
    """ln p(x_o^(i), z = j; Theta) for all rows (each on its observed coordinates), shape (m, k)."""
    if design.masked is not None:
        return log_joint_blocks(design.masked, _masked_log_joint(weights, means, cov, design.covariance_type))
    out = np.empty((design.m, C.shape[0]))
    for p, Cp, _ in _pattern_log_joint_coefficients(design, weights, means, cov, C):
        out[p.rows] = log_joint_blocks(p.design, Cp)
    return out


def final_pass_missing(design: MissingDesign, weights, means, cov, C):
    """Observed-data log-likelihood and the most probable component of every row."""
    if design.masked is not None:
        return final_pass(design.masked, _masked_log_joint(weights, means, cov, design.covariance_type))
    labels = np.empty(design.m, dtype=np.intp)
    log_lik = 0.0
    for p, Cp, _ in _pattern_log_joint_coefficients(design, weights, means, cov, C):
        ll, lab = final_pass(p.design, Cp)
        labels[p.rows] = lab
        log_lik += ll
    return float(log_lik), labels


def impute_missing(design: MissingDesign, X: np.ndarray, weights, means, cov, C) -> np.ndarray:
    """X with each NaN replaced by E[x_h | x_o] = sum_j w_j (a_j + B_j x_o) (shifted coordinates)."""
    out = X.copy()
    if design.masked is not None:  # x_h is independent of x_o given z: E[x_h | x_o] = sum_j w_j mu_j,h
        L = log_joint_missing(design, weights, means, cov, C)
        L -= L.max(axis=1, keepdims=True)
        W = np.exp(L)
        W /= W.sum(axis=1, keepdims=True)
        nan = np.isnan(X)
        return np.where(nan, W @ means + design.shift, X)
    for p, Cp, cond in _pattern_log_joint_coefficients(design, weights, means, cov, C):
        if cond is None:
            continue
        L = log_joint_blocks(p.design, Cp)
        L -= L.max(axis=1, keepdims=True)
        W = np.exp(L)
        W /= W.sum(axis=1, keepdims=True)
        xo = X[np.ix_(p.rows, p.observed)] - design.shift[p.observed]
        B = np.broadcast_to(cond.B, (len(cond.a), *cond.B.shape[1:]))  # 'tied' shares one B
        means_h = cond.a[None] + np.einsum("kho,ro->rkh", B, xo)
        fill = np.einsum("rk,rkh->rh", W, means_h)
        out[np.ix_(p.rows, p.hidden)] = fill + design.shift[p.hidden]
    return out


def second_moments(T: np.ndarray, n: int, covariance_type: str) -> np.ndarray:
    """sum_i w_ij f_2(x_i) from T: (k, n, n) for 'full'/'tied', (k, n) squares for 'diag', (k,) for 'spherical'."""
    second = T[:, 1 + n :]
    if covariance_type in ("full", "tied"):
        iu0, iu1 = _triu(n)[:2]
        S2 = np.empty((T.shape[0], n, n))
        S2[:, iu0, iu1] = second
        S2[:, iu1, iu0] = second
        return S2
    return second if covariance_type == "diag" else second[:, 0]


def map_m_step_from_stats(T: np.ndarray, design, reg_covar: float, covariance_type: str, prior):
    """The MAP M-step (:func:`emlab.prior.map_m_step`) from the statistics T; ``prior`` in the design's coordinates.

    Returns
    -------
    weights, means (shifted coordinates), covariances, precisions_cholesky
    """
    from .prior import map_m_step

    n = design.n
    weights, means, cov = map_m_step(T[:, 0], T[:, 1 : 1 + n], second_moments(T, n, covariance_type), prior, reg_covar)
    if covariance_type in ("full", "tied"):
        scale = np.abs(np.diagonal(cov if covariance_type == "full" else cov[None], axis1=1, axis2=2)).max(axis=1)
        if covariance_type == "tied":
            scale = scale[0]
    else:
        scale = np.abs(cov)
    return weights, means, cov, cholesky_precisions(cov, covariance_type, scale)
