"""A conjugate prior for Gaussian mixtures, and the MAP M-step it gives in closed form.

Maximum likelihood for a Gaussian mixture is unbounded: a component that sits on
one point and shrinks its covariance sends l(Theta) to +infinity (notebook 06).
Maximising the log-posterior l(Theta) + ln p(Theta) instead, with a conjugate
prior p(Theta), removes the spike, and EM keeps its closed-form M-step
(Fraley & Raftery 2007, "Bayesian regularization for normal mixture estimation
and model-based clustering", J. Classification 24; R's mclust ``priorControl()``).

The prior (scikit-learn's ``BayesianGaussianMixture`` names in brackets):

- phi ~ Dirichlet(alpha, ..., alpha)        [``weight_concentration_prior`` = alpha]
- mu_j | Sigma_j ~ N(mu_P, Sigma_j / kappa)  [``mean_prior`` = mu_P, ``mean_precision_prior`` = kappa]
- Sigma_j ~ inverse-Wishart(nu, Lambda)      [``degrees_of_freedom_prior`` = nu, ``covariance_prior`` = Lambda]

with density IW(Sigma; nu, Lambda) proportional to
``|Sigma|^(-(nu + n + 1)/2) exp(-tr(Lambda Sigma^-1) / 2)``. For 'tied' covariances
one Sigma is shared and has one inverse-Wishart; for 'diag' each variance
sigma_jd^2 has the one-dimensional inverse-Wishart, an inverse gamma
IG(nu / 2, Lambda_d / 2), and mu_jd | sigma_jd^2 ~ N(mu_Pd, sigma_jd^2 / kappa);
for 'spherical' the single variance sigma_j^2 ~ IG(nu / 2, Lambda / 2) and
mu_j | sigma_j^2 ~ N(mu_P, sigma_j^2 I / kappa).

Defaults (mclust's ``defaultPrior``, Fraley & Raftery 2007): mu_P = the data
mean, kappa = 0.01, nu = n + 2, Lambda = the data covariance / K^(2/n) (its
diagonal for 'diag', its mean variance tr / n for 'spherical'), and a flat
Dirichlet, alpha = 1, so phi_j = N_j / m as without a prior.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, multigammaln, xlogy

from ._validation import is_real
from .covariance import check_covariance_type

__all__ = [
    "PRIOR_KEYS",
    "ConjugatePrior",
    "default_prior",
    "log_prior",
    "map_m_step",
    "map_objective",
    "resolve_prior",
]

PRIOR_KEYS = (
    "weight_concentration_prior",
    "mean_prior",
    "mean_precision_prior",
    "degrees_of_freedom_prior",
    "covariance_prior",
)

_LOG_2PI = math.log(2.0 * math.pi)

# Fraley & Raftery (2007) / mclust defaults.
DEFAULT_MEAN_PRECISION = 0.01
DEFAULT_WEIGHT_CONCENTRATION = 1.0


@dataclass(frozen=True, eq=False)
class ConjugatePrior:
    """Hyperparameters of the Dirichlet / normal-inverse-Wishart prior of a K-component mixture in R^n.

    Build one with :func:`default_prior` or :func:`resolve_prior` (they validate).

    Attributes
    ----------
    covariance_type : {'full', 'tied', 'diag', 'spherical'}
    n_components : int
        K.
    weight_concentration_prior : float
        alpha >= 1 of the symmetric Dirichlet on phi.
    mean_prior : ndarray of shape (n,)
        mu_P.
    mean_precision_prior : float
        kappa > 0: the prior on mu_j is worth kappa data points.
    degrees_of_freedom_prior : float
        nu.
    covariance_prior : ndarray
        Lambda: (n, n) for 'full' and 'tied', (n,) for 'diag', a 0-d array for 'spherical'.
    """

    covariance_type: str
    n_components: int
    weight_concentration_prior: float
    mean_prior: np.ndarray
    mean_precision_prior: float
    degrees_of_freedom_prior: float
    covariance_prior: np.ndarray

    @property
    def n(self) -> int:
        """Dimension n of the data."""
        return self.mean_prior.shape[0]

    def as_dict(self) -> dict:
        """The five hyperparameters under scikit-learn's names (copies; 'spherical' Lambda as a float)."""
        cov = self.covariance_prior
        return {
            "weight_concentration_prior": float(self.weight_concentration_prior),
            "mean_prior": self.mean_prior.copy(),
            "mean_precision_prior": float(self.mean_precision_prior),
            "degrees_of_freedom_prior": float(self.degrees_of_freedom_prior),
            "covariance_prior": float(cov) if cov.ndim == 0 else cov.copy(),
        }

    def shifted(self, shift) -> ConjugatePrior:
        """The same prior for data expressed as x - shift (only mu_P moves)."""
        return ConjugatePrior(
            self.covariance_type,
            self.n_components,
            self.weight_concentration_prior,
            self.mean_prior - np.asarray(shift, dtype=float),
            self.mean_precision_prior,
            self.degrees_of_freedom_prior,
            self.covariance_prior,
        )


# -- defaults and validation ---------------------------------------------------------------------


def _data_covariance(X) -> np.ndarray:
    """Sample covariance (divisor m - 1) of X; with NaN entries, each entry from the rows where both are observed.

    The pairwise estimate need not be positive definite; then, and when there are
    no more rows than features (mclust's rule), only its diagonal is kept.
    """
    m, n = X.shape
    observed = ~np.isnan(X)
    if observed.all():
        S = np.cov(X, rowvar=False).reshape(n, n)
    else:
        Z = np.where(observed, X - np.nanmean(X, axis=0), 0.0)
        O = observed.astype(float)
        pairs = O.T @ O  # rows where both coordinates are observed
        if np.any(np.diag(pairs) < 2):
            c = int(np.flatnonzero(np.diag(pairs) < 2)[0])
            raise ValueError(
                f"Column {c} of X has fewer than 2 observed values, so the default prior has no variance for it. "
                "Drop that column, or pass 'covariance_prior' in the prior dict."
            )
        # Means of each pair's common rows would be more exact; the column means keep it simple and
        # are what the prior centres on anyway.
        S = (Z.T @ Z) / np.maximum(pairs - 1, 1)
        S = 0.5 * (S + S.T)
    if m <= n or np.linalg.eigvalsh(S).min() <= 0:
        S = np.diag(np.diag(S))
    return S


def default_prior(X, n_components: int, covariance_type: str = "full") -> ConjugatePrior:
    """The Fraley & Raftery (2007) / mclust default conjugate prior for data X.

    - ``weight_concentration_prior`` alpha = 1 (flat Dirichlet: phi_j = N_j / m);
    - ``mean_prior`` mu_P = the data mean;
    - ``mean_precision_prior`` kappa = 0.01;
    - ``degrees_of_freedom_prior`` nu = n + 2;
    - ``covariance_prior`` Lambda = S / K^(2/n) with S the sample covariance of X
      (divisor m - 1): S itself for 'full' and 'tied', its diagonal for 'diag'
      (mclust uses the mean variance there; the diagonal keeps features of
      different scales apart, as scikit-learn's ``BayesianGaussianMixture``
      does), and its mean variance tr(S) / n for 'spherical'.

    NaN entries of X are left out: the mean per column, the covariance from the
    rows where both coordinates are observed. As in mclust, only the diagonal of
    S is kept when m <= n; it is also kept when S is not positive definite
    (collinear features, or a pairwise estimate from missing data). K^(2/n) spreads the data's volume over K components:
    K ellipsoids of covariance Lambda fill about the volume of one of covariance S.

    Parameters
    ----------
    X : array-like of shape (m, n)
    n_components : int
        K.
    covariance_type : {'full', 'tied', 'diag', 'spherical'}, default='full'

    Returns
    -------
    ConjugatePrior

    Raises
    ------
    ValueError
        If X has a constant feature (the default Lambda would be singular).
    """
    return resolve_prior("conjugate", X, n_components, covariance_type)


def _prior_error(name, what, got, fix):
    return ValueError(f"The prior's {name!r} must be {what}; got {got}. {fix}")


def resolve_prior(prior, X, n_components: int, covariance_type: str = "full") -> ConjugatePrior | None:
    """Validate a ``prior`` setting of :class:`~emlab.GaussianMixture` and fill in the defaults.

    Parameters
    ----------
    prior : None, 'conjugate' or dict
        None: no prior (maximum likelihood). 'conjugate': :func:`default_prior`.
        A dict: keys among :data:`PRIOR_KEYS` (scikit-learn's
        ``BayesianGaussianMixture`` names) override those defaults.
    X : array-like of shape (m, n)
        The data (NaN allowed); only read for defaults the dict does not set.
    n_components : int
    covariance_type : {'full', 'tied', 'diag', 'spherical'}, default='full'

    Returns
    -------
    ConjugatePrior or None

    Raises
    ------
    ValueError
        For an unknown ``prior`` or key, a hyperparameter of the wrong shape,
        not finite, out of range, or a ``covariance_prior`` that is not
        symmetric positive definite; the message names the fix.
    """
    check_covariance_type(covariance_type)
    if prior is None:
        return None
    if isinstance(prior, str) and prior == "conjugate":
        given = {}
    elif isinstance(prior, dict):
        unknown = sorted(set(prior) - set(PRIOR_KEYS))
        if unknown:
            raise ValueError(
                f"Unknown prior key(s) {unknown}; the prior dict takes scikit-learn's BayesianGaussianMixture "
                f"names: {', '.join(PRIOR_KEYS)}."
            )
        given = dict(prior)
    else:
        raise ValueError(
            f"Unknown prior {prior!r}; use None (maximum likelihood), 'conjugate' (the Fraley & Raftery "
            f"defaults) or a dict with some of the keys {', '.join(PRIOR_KEYS)}."
        )
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (m, n) to set the prior; got an array with {X.ndim} dimensions.")
    n = X.shape[1]
    k = n_components

    alpha = given.get("weight_concentration_prior", DEFAULT_WEIGHT_CONCENTRATION)
    if not (is_real(alpha) and math.isfinite(alpha) and alpha >= 1):
        raise _prior_error(
            "weight_concentration_prior",
            "a finite float >= 1",
            repr(alpha),
            "Below 1 the Dirichlet density is infinite at the edge of the simplex and has no maximum; "
            "use 1 for a flat prior (phi_j = N_j / m).",
        )

    if "mean_prior" in given:
        mu_p = np.asarray(given["mean_prior"], dtype=float)
        if mu_p.shape != (n,):
            raise _prior_error(
                "mean_prior",
                f"an array of shape (n_features,) = ({n},)",
                f"shape {mu_p.shape}",
                "Pass one prior mean per feature of X.",
            )
        if not np.all(np.isfinite(mu_p)):
            raise _prior_error("mean_prior", "finite", "NaN or inf", "Pass finite values (for example X.mean(axis=0)).")
    else:
        with np.errstate(invalid="ignore"):
            mu_p = np.nanmean(X, axis=0) if np.isnan(X).any() else X.mean(axis=0)
        if not np.all(np.isfinite(mu_p)):
            raise ValueError("A column of X has no observed value; drop it, or pass 'mean_prior' in the prior dict.")

    kappa = given.get("mean_precision_prior", DEFAULT_MEAN_PRECISION)
    if not (is_real(kappa) and math.isfinite(kappa) and kappa > 0):
        raise _prior_error(
            "mean_precision_prior",
            "a finite float > 0",
            repr(kappa),
            "It is the number of data points the prior mean is worth; mclust uses 0.01.",
        )

    min_dof = n - 1 if covariance_type in ("full", "tied") else 0
    nu = given.get("degrees_of_freedom_prior", n + 2)
    if not (is_real(nu) and math.isfinite(nu) and nu > min_dof):
        raise _prior_error(
            "degrees_of_freedom_prior",
            f"a finite float > {min_dof} for covariance_type={covariance_type!r}",
            repr(nu),
            f"The inverse-Wishart needs it; mclust uses n_features + 2 = {n + 2}.",
        )

    if "covariance_prior" in given:
        Lam = _check_covariance_prior(given["covariance_prior"], covariance_type, n)
    else:
        S = _data_covariance(X)
        scale = float(k) ** (2.0 / n)
        if covariance_type in ("full", "tied"):
            Lam = S / scale
        elif covariance_type == "diag":
            Lam = np.diag(S) / scale
        else:
            Lam = np.asarray(np.trace(S) / n / scale)
        if np.min(np.diag(S)) <= 0:
            raise ValueError(
                "The data covariance has a zero variance (a constant feature of X), so the default prior's "
                "covariance_prior would be singular. Drop constant features, or pass 'covariance_prior'."
            )
    return ConjugatePrior(covariance_type, int(k), float(alpha), mu_p, float(kappa), float(nu), Lam)


def _check_covariance_prior(value, covariance_type, n):
    Lam = np.asarray(value, dtype=float)
    shape = {"full": (n, n), "tied": (n, n), "diag": (n,), "spherical": ()}[covariance_type]
    words = {
        "full": "(n_features, n_features)",
        "tied": "(n_features, n_features)",
        "diag": "(n_features,)",
        "spherical": "a float",
    }[covariance_type]
    if Lam.shape != shape:
        raise _prior_error(
            "covariance_prior",
            f"{words} = {shape} for covariance_type={covariance_type!r}",
            f"shape {Lam.shape}",
            "Pass a covariance matrix for 'full'/'tied', a vector of variances for 'diag', one variance for "
            "'spherical'.",
        )
    if not np.all(np.isfinite(Lam)):
        raise _prior_error("covariance_prior", "finite", "NaN or inf", "Pass finite values.")
    if Lam.ndim == 2:
        if not np.allclose(Lam, Lam.T, rtol=1e-8, atol=0):
            raise _prior_error("covariance_prior", "symmetric", "a non-symmetric matrix", "Use (L + L.T) / 2.")
        eig = np.linalg.eigvalsh(Lam).min()
        if not eig > 0:
            raise _prior_error(
                "covariance_prior",
                "positive definite",
                f"smallest eigenvalue {eig:.3g}",
                "Pass a covariance matrix, for example np.cov(X, rowvar=False).",
            )
    elif np.any(Lam <= 0):
        raise _prior_error("covariance_prior", "positive (they are variances)", "a value <= 0", "Pass variances > 0.")
    return Lam.copy()


# -- the prior density -----------------------------------------------------------------------------


def _second_moments(sum_xx, covariance_type):
    """sum_xx as the covariance type needs it: (k, n, n), diagonals (k, n), or traces (k,)."""
    sum_xx = np.asarray(sum_xx, dtype=float)
    if sum_xx.ndim == 3 and covariance_type == "diag":
        return np.diagonal(sum_xx, axis1=1, axis2=2)
    if sum_xx.ndim == 3 and covariance_type == "spherical":
        return np.trace(sum_xx, axis1=1, axis2=2)
    return sum_xx


def log_prior(weights, means, covariances, prior: ConjugatePrior) -> float:
    """ln p(Theta): the log density of the Dirichlet / normal-inverse-Wishart prior, normalising constants included.

    ln p(Theta) = ln Dir(phi; alpha) + sum_j [ln N(mu_j; mu_P, Sigma_j / kappa) + ln IW(Sigma_j; nu, Lambda)]

    with ln Dir(phi; alpha) = ln Gamma(K alpha) - K ln Gamma(alpha) + (alpha - 1) sum_j ln phi_j and
    ln IW(Sigma; nu, Lambda) = (nu/2) ln|Lambda| - (nu n / 2) ln 2 - ln Gamma_n(nu / 2)
    - ((nu + n + 1)/2) ln|Sigma| - tr(Lambda Sigma^-1) / 2. 'tied' has one IW term for the shared Sigma;
    'diag' and 'spherical' use the inverse gamma IG(nu/2, Lambda/2) per variance (module docstring).

    Parameters
    ----------
    weights : array-like of shape (k,)
    means : array-like of shape (k, n)
    covariances : array-like
        In the shape of ``prior.covariance_type`` (as ``GaussianMixture.covariances_``).
    prior : ConjugatePrior

    Returns
    -------
    float
        -inf if a weight is 0 and alpha > 1.
    """
    phi = np.asarray(weights, dtype=float)
    mu = np.asarray(means, dtype=float)
    cov = np.asarray(covariances, dtype=float)
    k, n = mu.shape
    alpha, kappa, nu = prior.weight_concentration_prior, prior.mean_precision_prior, prior.degrees_of_freedom_prior
    Lam = prior.covariance_prior
    d = mu - prior.mean_prior
    # 0 ln 0 = 0 for a flat Dirichlet (alpha = 1) and an empty component.
    out = gammaln(k * alpha) - k * gammaln(alpha) + float(np.sum(xlogy(alpha - 1.0, phi)))
    ctype = prior.covariance_type
    if ctype in ("full", "tied"):
        S = cov if ctype == "full" else cov[None]
        L = np.linalg.cholesky(S)
        log_det = 2.0 * np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1)  # ln|Sigma_j|
        Sd = np.broadcast_to(L, (k, n, n))
        y = np.linalg.solve(Sd, d[:, :, None])[:, :, 0]  # L^-1 (mu_j - mu_P)
        ld = np.broadcast_to(log_det, (k,))
        out += float(np.sum(-0.5 * n * _LOG_2PI + 0.5 * n * math.log(kappa) - 0.5 * ld - 0.5 * kappa * (y * y).sum(1)))
        # tr(Lambda Sigma^-1) = ||L^-1 Lambda^(1/2)||_F^2
        Lam_chol = np.linalg.cholesky(Lam)
        Z = np.linalg.solve(L, np.broadcast_to(Lam_chol, L.shape))
        log_det_lam = 2.0 * np.log(np.diag(Lam_chol)).sum()
        iw = (
            0.5 * nu * log_det_lam
            - 0.5 * nu * n * math.log(2.0)
            - multigammaln(0.5 * nu, n)
            - 0.5 * (nu + n + 1) * log_det
            - 0.5 * (Z * Z).sum(axis=(1, 2))
        )
        out += float(iw.sum())
        return float(out)
    var = cov if ctype == "diag" else np.broadcast_to(cov[:, None], (k, n))
    out += float(np.sum(-0.5 * _LOG_2PI + 0.5 * math.log(kappa) - 0.5 * np.log(var) - 0.5 * kappa * d * d / var))
    # Inverse gamma IG(a, b) with a = nu / 2, b = Lambda / 2, one per variance.
    a, b = 0.5 * nu, 0.5 * (Lam if ctype == "diag" else float(Lam))
    v = cov  # (k, n) for diag, (k,) for spherical
    b = np.broadcast_to(b, v.shape)
    out += float(np.sum(a * np.log(b) - gammaln(a) - (a + 1.0) * np.log(v) - b / v))
    return float(out)


# -- the MAP M-step -------------------------------------------------------------------------------


def map_m_step(N, sum_x, sum_xx, prior: ConjugatePrior, reg_covar: float = 0.0):
    """The MAP M-step: the Theta maximising E_q[ln p(x, z; Theta)] + ln p(Theta) for fixed responsibilities.

    With N_j = sum_i w_j^(i), s_j = sum_i w_j^(i) x^(i), xbar_j = s_j / N_j and
    W_j = sum_i w_j^(i) (x^(i) - xbar_j)(x^(i) - xbar_j)^T (expected values when
    coordinates are missing), m = sum_j N_j and n the dimension:

    - phi_j = (N_j + alpha - 1) / (m + K (alpha - 1))   (= N_j / m for alpha = 1);
    - mu_j = (s_j + kappa mu_P) / (N_j + kappa), the data mean pulled towards mu_P
      by kappa pseudo-points;
    - with B_j = W_j + kappa N_j / (kappa + N_j) (xbar_j - mu_P)(xbar_j - mu_P)^T
      = sum_i w_j^(i) x x^T + kappa mu_P mu_P^T - (N_j + kappa) mu_j mu_j^T:

      * 'full':      Sigma_j = (Lambda + B_j) / (N_j + nu + n + 2);
      * 'tied':      Sigma = (Lambda + sum_j B_j) / (m + K + nu + n + 1);
      * 'diag':      sigma_jd^2 = (Lambda_d + [B_j]_dd) / (N_j + nu + 3);
      * 'spherical': sigma_j^2 = (Lambda + tr B_j) / (n (N_j + 1) + nu + 2).

    Each denominator counts the powers of ``|Sigma|`` (or sigma^2) in the posterior:
    N_j from the likelihood, 1 (or n for 'spherical') from N(mu_j; mu_P, Sigma_j / kappa),
    nu + n + 1 (or nu/2 + 1 per variance) from the inverse-Wishart (inverse gamma).
    These are Fraley & Raftery's (2007, table 2) and mclust's ``mstep*`` with a prior.
    Every Sigma_j is at least Lambda / denominator, so it never becomes singular,
    and an empty component (N_j = 0) gets mu_P and Lambda / (nu + n + 2).

    ``reg_covar`` is then added to every variance, as scikit-learn adds it to the
    maximum-likelihood covariance; with ``reg_covar > 0`` the step maximises the
    bound only up to that ridge (use 0 for exact MAP-EM).

    Derivation ('full'; the other types differ only in what Sigma may be). Up to
    constants the objective is, per component::

        (N_j + alpha - 1) ln phi_j - ((N_j + nu + n + 2) / 2) ln|Sigma_j|
        - (1/2) tr(Sigma_j^-1 [Lambda + sum_i w_j^(i) (x^(i) - mu_j)(x^(i) - mu_j)^T
                               + kappa (mu_j - mu_P)(mu_j - mu_P)^T]).

    d/d mu_j: Sigma_j^-1 [s_j - N_j mu_j - kappa (mu_j - mu_P)] = 0 gives mu_j. With that
    mu_j the bracket is Lambda + B_j, and the derivative of -(c/2) ln|Sigma| - tr(Sigma^-1 A)/2
    with respect to Sigma^-1 is (c Sigma - A)/2, zero at Sigma_j = (Lambda + B_j) / c. The
    weights maximise sum_j (N_j + alpha - 1) ln phi_j on the simplex (Lagrange multiplier
    m + K (alpha - 1)). :func:`map_objective` is this objective; the tests check that its
    finite-difference gradient vanishes at the closed form.

    Parameters
    ----------
    N : array-like of shape (k,)
    sum_x : array-like of shape (k, n)
        s_j = sum_i w_j^(i) E[x^(i)].
    sum_xx : array-like
        sum_i w_j^(i) E[x^(i) x^(i)^T], shape (k, n, n); for 'diag' also its
        diagonals (k, n), for 'spherical' its traces (k,).
    prior : ConjugatePrior
    reg_covar : float, default=0.0

    Returns
    -------
    weights : ndarray of shape (k,)
    means : ndarray of shape (k, n)
    covariances : ndarray
        In the shape of ``prior.covariance_type``.
    """
    N = np.asarray(N, dtype=float)
    sx = np.asarray(sum_x, dtype=float)
    k, n = sx.shape
    ctype = prior.covariance_type
    sxx = _second_moments(sum_xx, ctype)
    alpha, kappa, nu = prior.weight_concentration_prior, prior.mean_precision_prior, prior.degrees_of_freedom_prior
    mu_p, Lam = prior.mean_prior, prior.covariance_prior
    m = N.sum()
    weights = (N + (alpha - 1.0)) / (m + k * (alpha - 1.0))
    Nk = N + kappa
    means = (sx + kappa * mu_p) / Nk[:, None]
    if ctype in ("full", "tied"):
        B = sxx + kappa * np.outer(mu_p, mu_p) - Nk[:, None, None] * means[:, :, None] * means[:, None, :]
        if ctype == "full":
            cov = (Lam + B) / (N + nu + n + 2)[:, None, None]
        else:
            cov = (Lam + B.sum(axis=0)) / (m + k + nu + n + 1)
        cov = 0.5 * (cov + np.swapaxes(cov, -1, -2))
        cov[..., np.arange(n), np.arange(n)] += reg_covar
    elif ctype == "diag":
        B = sxx + kappa * mu_p**2 - Nk[:, None] * means**2
        cov = (Lam + B) / (N + nu + 3)[:, None] + reg_covar
    else:
        B = sxx + kappa * (mu_p @ mu_p) - Nk * np.einsum("ka,ka->k", means, means)
        cov = (float(Lam) + B) / (n * (N + 1) + nu + 2) + reg_covar
    return weights, means, cov


def map_objective(weights, means, covariances, N, sum_x, sum_xx, prior: ConjugatePrior) -> float:
    """E_q[ln p(x, z; Theta)] + ln p(Theta): the part of the log-posterior bound that depends on Theta.

    The bound is this plus the entropy H(q), which the M-step does not change, so
    :func:`map_m_step` maximises this function. It is linear in the expected
    sufficient statistics:

    sum_j [N_j ln phi_j - (N_j / 2)(n ln 2 pi + ln|Sigma_j|)
           - tr(Sigma_j^-1 (sum_xx_j - s_j mu_j^T - mu_j s_j^T + N_j mu_j mu_j^T)) / 2] + ln p(Theta).

    Parameters as in :func:`map_m_step` and :func:`log_prior`.

    Returns
    -------
    float
    """
    phi = np.asarray(weights, dtype=float)
    mu = np.asarray(means, dtype=float)
    cov = np.asarray(covariances, dtype=float)
    N = np.asarray(N, dtype=float)
    sx = np.asarray(sum_x, dtype=float)
    k, n = mu.shape
    ctype = prior.covariance_type
    sxx = _second_moments(sum_xx, ctype)
    value = float(np.sum(xlogy(N, phi)))
    if ctype in ("full", "tied"):
        S = np.broadcast_to(cov, (k, n, n))
        scatter = (
            sxx
            - sx[:, :, None] * mu[:, None, :]
            - mu[:, :, None] * sx[:, None, :]
            + N[:, None, None] * (mu[:, :, None] * mu[:, None, :])
        )
        log_det = np.linalg.slogdet(S)[1]
        quad = np.trace(np.linalg.solve(S, scatter), axis1=1, axis2=2)
    else:
        var = cov if ctype == "diag" else np.broadcast_to(cov[:, None], (k, n))
        if ctype == "diag":
            scatter = sxx - 2 * sx * mu + N[:, None] * mu**2
            quad = (scatter / var).sum(axis=1)
        else:
            scatter = sxx - 2 * np.einsum("ka,ka->k", sx, mu) + N * np.einsum("ka,ka->k", mu, mu)
            quad = scatter / cov
        log_det = np.log(var).sum(axis=1)
    value += float(np.sum(-0.5 * N * (n * _LOG_2PI + log_det) - 0.5 * quad))
    return value + log_prior(phi, mu, cov, prior)
