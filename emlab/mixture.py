"""A scikit-learn-compatible Gaussian mixture estimator that records what EM does.

:class:`GaussianMixture` takes scikit-learn 1.9's parameters, defaults, fitted
attributes and stopping rule, so a notebook can swap it for
``sklearn.mixture.GaussianMixture`` (and back) without other changes. On top it
keeps a per-iteration ``history_`` (log-likelihood, ELBO after each E- and
M-step, the KL gap), optional parameter snapshots, and a ``callback``.

It is one model on the EM driver of :mod:`emlab.base`; what it adds is the
Gaussian E- and M-step, computed by the fast engine of :mod:`emlab._engine`.
Two opt-in course extras: ``missing='marginalize'`` (EM with NaN entries as
missing at random, :mod:`emlab.missing`) and ``prior`` (MAP-EM with a conjugate
prior, :mod:`emlab.prior`).
"""

from __future__ import annotations

import math
import sys
from typing import NamedTuple

import numpy as np

from . import _engine
from . import prior as _prior
from ._validation import check_random_state, is_real
from .base import BaseMixture, ConvergenceWarning, NotFittedError
from .covariance import check_covariance_type, covariance_shape, expand_covariances, n_parameters
from .params import GMMParams

__all__ = ["BaseMixture", "ConvergenceWarning", "GaussianMixture", "NotFittedError"]

MISSING_OPTIONS = ("error", "marginalize")


class _State(NamedTuple):
    """Theta in the engine's form: means in the design's shifted coordinates, and the log-joint coefficients C."""

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray
    precisions_cholesky: np.ndarray
    C: np.ndarray


class GaussianMixture(BaseMixture):
    """Gaussian mixture fitted by EM: scikit-learn's API, plus a record of every iteration.

    Parameters, defaults, fitted attributes and the stopping rule are those of
    ``sklearn.mixture.GaussianMixture`` 1.9; from the same ``weights_init``,
    ``means_init`` and ``precisions_init`` both reach the same parameters with
    the same ``n_iter_``. Random initialisations are reproducible for a fixed
    ``random_state`` but do not replay scikit-learn's k-means.

    Parameters
    ----------
    n_components : int, default=1
        Number K of mixture components.
    covariance_type : {'full', 'tied', 'diag', 'spherical'}, default='full'
        'full': each component has its own covariance matrix; 'tied': all share
        one; 'diag': each has a diagonal covariance; 'spherical': each has a
        single variance.
    tol : float, default=1e-3
        EM stops when the per-sample mean log-likelihood, computed in the E-step
        before each M-step, changes by less than ``tol``.
    reg_covar : float, default=1e-6
        Added to every covariance diagonal so no component can collapse to a
        singular covariance. Raise it if fitting reports a collapsed component.
    max_iter : int, default=100
        Maximum number of EM iterations per initialisation.
    n_init : int, default=1
        Number of initialisations; the run with the best final lower bound is kept.
    init_params : {'kmeans', 'k-means++', 'random', 'random_from_data'}, default='kmeans'
        How the starting responsibilities are chosen: hard k-means labels
        (scipy's k-means with k-means++ seeds), one k-means++ seed point per
        component, random responsibilities, or one random data point per component.
    weights_init : array-like of shape (n_components,), default=None
        Starting mixing weights phi (on the simplex).
    means_init : array-like of shape (n_components, n_features), default=None
        Starting means mu.
    precisions_init : array-like, default=None
        Starting precisions (inverse covariances), shaped as ``covariances_``.
    random_state : int, RandomState, Generator or None, default=None
        Seeds the initialisation and :meth:`sample`. An int seeds a
        ``numpy.random.default_rng``, so the same int gives the same fit
        every time (but not scikit-learn's random numbers).
    warm_start : bool, default=False
        If True, each ``fit`` continues from the previous solution (``n_init``
        is then ignored after the first fit).
    verbose : int, default=0
        1 prints each initialisation and iteration, 2 adds timings and changes.
    verbose_interval : int, default=10
        Iterations between two verbose messages.
    callback : callable or None, default=None
        Teaching extra. ``callback(estimator, iteration, record)`` is called once
        per EM iteration t = 1..n_iter_ of every initialisation, as soon as
        l(Theta^(t)) is known (right after the E-step of iteration t + 1, or
        after the final pass). At that moment the estimator's fitted attributes
        hold Theta^(t). ``record`` is a dict with keys 'iteration', 'init',
        'lower_bound' (scikit-learn's per-sample value), 'log_likelihood',
        'elbo_after_e', 'elbo_after_m', 'kl_after_m' (see ``history_``) and
        'params' (Theta^(t) as a :class:`~emlab.GMMParams`).
    record_params : bool, default=False
        Teaching extra. If True, ``history_['params']`` keeps every iterate
        Theta^(0..n_iter_) as :class:`~emlab.GMMParams` (for small data: figures
        and the EM stepper).
    accelerate : {None, 'squarem'}, default=None
        Extension. None runs plain EM (scikit-learn's algorithm). 'squarem'
        wraps the EM map in SQUAREM (Varadhan & Roland 2008, step length SqS3,
        extrapolating in softmax weights, means and log-diagonal Cholesky factors
        of the precisions) with a safeguard that takes the plain EM step whenever
        the extrapolated point would lower l: the same fixed point, l never
        decreases, and typically several times fewer passes over the data when
        components overlap (EM's rate close to 1). ``n_iter_`` then counts
        EM-map evaluations (passes over the data), ``lower_bounds_`` and
        ``history_`` the kept points; see :meth:`emlab._squarem_online.SquaremOnlineEM._run_squarem`.
    learning_decay : float, default=0.7
        Extension, for :meth:`partial_fit`. Step sizes rho_t = (learning_offset
        + t)^(-learning_decay) of stepwise EM; must lie in (0.5, 1] for
        convergence. Name and default of scikit-learn's online
        ``LatentDirichletAllocation``.
    learning_offset : float, default=10.0
        Extension, for :meth:`partial_fit`. A positive offset damps the first
        updates.
    missing : {'error', 'marginalize'}, default='error'
        Course extra. 'error': NaN in X raises a ValueError, as in scikit-learn.
        'marginalize': NaN entries are missing at random and integrated out, for
        every ``covariance_type``. ``fit`` runs EM with the missing coordinates as
        latent variables (Ghahramani & Jordan 1994): responsibilities from each
        row's observed coordinates o, and expected statistics E[x] and
        E[x x^T] = x_hat x_hat^T + C_j with the conditional mean and covariance of
        the missing coordinates h,
        x_h | x_o, z = j ~ N(mu_j,h + Sigma_j,ho Sigma_j,oo^-1 (x_o - mu_j,o),
        Sigma_j,hh - Sigma_j,ho Sigma_j,oo^-1 Sigma_j,oh) (see :mod:`emlab.missing`).
        ``score_samples``, ``score``, ``predict``, ``predict_proba`` use each row's
        observed coordinates; ``lower_bound_`` and ``lower_bounds_`` are the
        per-sample observed-data log-likelihood; :meth:`impute` fills in NaN.
        Every row needs at least one observed value. Without NaN in X the fit is
        the ordinary one. Rows are grouped by missing pattern: one pass over the
        observed coordinates per pattern, no loop over rows.
    prior : None, 'conjugate' or dict, default=None
        Course extra: MAP-EM. None: maximum likelihood (scikit-learn). 'conjugate':
        a Dirichlet prior on phi and a normal-inverse-Wishart prior on (mu_j, Sigma_j)
        with the Fraley & Raftery (2007) / mclust defaults; a dict overrides some of
        them, under scikit-learn's ``BayesianGaussianMixture`` names:

        - ``weight_concentration_prior`` alpha >= 1 (default 1: flat, phi_j = N_j / m);
        - ``mean_prior`` mu_P, shape (n_features,) (default: the data mean);
        - ``mean_precision_prior`` kappa > 0 (default 0.01);
        - ``degrees_of_freedom_prior`` nu (default n_features + 2; > n_features - 1
          for 'full'/'tied', > 0 for 'diag'/'spherical');
        - ``covariance_prior`` Lambda: (n_features, n_features) symmetric positive
          definite for 'full'/'tied', (n_features,) for 'diag', a float for
          'spherical' (default: the data covariance / K^(2/n), its diagonal for
          'diag', its mean variance for 'spherical').

        The prior is mu_j | Sigma_j ~ N(mu_P, Sigma_j / kappa), Sigma_j ~ IW(nu, Lambda)
        (one shared Sigma for 'tied'; an inverse gamma IG(nu/2, Lambda_d/2) per
        variance for 'diag' and 'spherical'), phi ~ Dirichlet(alpha). The M-step is
        then, with N_j, s_j = sum_i w_ij x_i (expected values if data are missing),
        B_j = sum_i w_ij x_i x_i^T + kappa mu_P mu_P^T - (N_j + kappa) mu_j mu_j^T
        and m the number of rows:

        - phi_j = (N_j + alpha - 1) / (m + K (alpha - 1));
        - mu_j = (s_j + kappa mu_P) / (N_j + kappa);
        - 'full': Sigma_j = (Lambda + B_j) / (N_j + nu + n + 2);
          'tied': Sigma = (Lambda + sum_j B_j) / (m + K + nu + n + 1);
          'diag': sigma_jd^2 = (Lambda_d + [B_j]_dd) / (N_j + nu + 3);
          'spherical': sigma_j^2 = (Lambda + tr B_j) / (n (N_j + 1) + nu + 2);

        each followed by ``+ reg_covar`` on the variances (:func:`emlab.prior.map_m_step`).
        EM then maximises the log-posterior l(Theta) + ln p(Theta): ``lower_bound_``,
        ``lower_bounds_`` and ``history_`` hold it per sample (totals in
        ``history_``), and it never decreases. How the prior and ``reg_covar``
        combine: the prior alone keeps every Sigma_j >= Lambda / (N_j + nu + n + 2),
        so no component can collapse; ``reg_covar`` is still added on top, as in
        scikit-learn, which makes each M-step the maximiser only up to that ridge.
        Pass ``reg_covar=0`` for exact MAP-EM. Works with ``missing='marginalize'``.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
        Mixing weights phi_j.
    means_ : ndarray of shape (n_components, n_features)
        Component means mu_j.
    covariances_ : ndarray
        (n_components, n_features, n_features) if 'full', (n_features, n_features)
        if 'tied', (n_components, n_features) if 'diag', (n_components,) if 'spherical'.
    precisions_ : ndarray
        Inverses of the covariances, same shapes.
    precisions_cholesky_ : ndarray
        Upper-triangular U with precision = U U^T (square roots for 'diag'/'spherical').
    converged_ : bool
        Whether the best run met ``tol`` within ``max_iter``.
    n_iter_ : int
        EM iterations of the best run. With ``accelerate='squarem'``, the number
        of EM-map evaluations (each one E-step pass over the data, the cost of one
        plain EM iteration), including passes spent on extrapolations the
        safeguard rejected. After :meth:`partial_fit`, the number of updates.
    lower_bound_ : float
        Per-sample mean log-likelihood ``l(Theta^(n_iter_ - 1)) / m`` computed in the
        last E-step of the best run (scikit-learn's value).
    lower_bounds_ : list of float
        ``lower_bound`` of every iteration of the best run. With
        ``accelerate='squarem'``, of every kept point (never decreasing); after
        :meth:`partial_fit`, of every batch before its update.
    n_features_in_ : int
        Number of features seen during fit.
    prior_ : dict or None
        The hyperparameters used (defaults filled in from the data), under the
        keys of ``prior``; None without a prior.
    history_ : dict of ndarray
        Teaching extra. One entry per iteration ``t = 1..n_iter_`` of the best run,
        all TOTALS over the data in nats:

        - ``'log_likelihood'``: l(Theta^(t)) after the M-step of iteration t;
        - ``'elbo_after_e'``: L(q^(t), Theta^(t-1)), which equals l(Theta^(t-1))
          because the E-step makes the KL gap zero;
        - ``'elbo_after_m'``: L(q^(t), Theta^(t));
        - ``'kl_after_m'``: KL(q^(t) || p(z | x; Theta^(t))) = l(Theta^(t)) -
          L(q^(t), Theta^(t)) >= 0 (round-off below zero is clipped to 0);
        - ``'params'`` (only with ``record_params=True``): list of ``n_iter_ + 1``
          :class:`~emlab.GMMParams` ``Theta^(0..n_iter_)`` with full covariances;
          Theta^(0) is the initialisation of the best run.

        The ELBO after the M-step is computed from the E-step's sufficient
        statistics (it is linear in them), so recording costs no extra pass.
    params_ : GMMParams
        (property) The fitted parameters with covariances expanded to (k, n, n).

    Raises
    ------
    ValueError
        For bad input, with a message that names the problem and the fix: NaN or
        inf in X, X not 2-D, fewer samples than components, unknown
        ``covariance_type``/``init_params``, wrongly shaped ``*_init``,
        ``weights_init`` off the simplex, ``precisions_init`` not symmetric
        positive definite, the wrong number of features after fit, or a
        component collapsing to a singular covariance (raise ``reg_covar``);
        an unknown ``accelerate``, ``learning_decay`` outside (0.5, 1], a
        :meth:`partial_fit` batch with NaN or the wrong number of features;
        an unknown ``missing`` or ``prior``, a prior hyperparameter of the wrong
        shape, out of range or not positive definite; with
        ``missing='marginalize'``, a row (or, in fit, a column) with no observed value.
    NotFittedError
        (a ValueError and AttributeError) when a method or a fitted attribute
        (``weights_``, ``history_``, ``params_``, ...) is used before ``fit``.

    Warns
    -----
    ConvergenceWarning
        When the best run did not converge within ``max_iter`` (not for ``max_iter=0``).

    Notes
    -----
    Fewer distinct clusters than components: when the data hold fewer well-separated
    groups than ``n_components`` (in the extreme, 3 components on data with only 2
    distinct points), EM can end with a component whose weight ``weights_[j]`` is ~0
    (1e-16) and whose mean and covariance are then meaningless. scikit-learn's
    ``GaussianMixture`` behaves the same; with ``init_params='kmeans'`` its KMeans
    initialisation also warns "Number of distinct clusters (2) found smaller than
    n_clusters (3)". This class does not warn (course notebooks run with warnings
    as errors): check ``weights_.min()`` and use fewer components, or let BIC choose
    ``n_components``.

    Examples
    --------
    >>> import numpy as np
    >>> from emlab import GaussianMixture
    >>> X = np.array([[1, 2], [1, 4], [1, 0], [10, 2], [10, 4], [10, 0]])
    >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
    >>> sorted(gm.means_[:, 0].round(3).tolist())
    [1.0, 10.0]
    >>> bool(np.all(gm.history_["kl_after_m"] >= 0))
    True
    """

    def __init__(
        self,
        n_components=1,
        *,
        covariance_type="full",
        tol=1e-3,
        reg_covar=1e-6,
        max_iter=100,
        n_init=1,
        init_params="kmeans",
        weights_init=None,
        means_init=None,
        precisions_init=None,
        random_state=None,
        warm_start=False,
        verbose=0,
        verbose_interval=10,
        callback=None,
        record_params=False,
        accelerate=None,
        learning_decay=0.7,
        learning_offset=10.0,
        missing="error",
        prior=None,
    ):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.tol = tol
        self.reg_covar = reg_covar
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.precisions_init = precisions_init
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self.callback = callback
        self.record_params = record_params
        self.accelerate = accelerate
        self.learning_decay = learning_decay
        self.learning_offset = learning_offset
        self.missing = missing
        self.prior = prior

    # -- the model on the EM driver ------------------------------------------------------------------

    def _check_parameters(self, X):
        """Validate the settings and the *_init arrays; return the arrays.

        The only thing stored (privately) is the resolved prior, whose defaults depend on X.
        """
        check_covariance_type(self.covariance_type)
        if not (is_real(self.reg_covar) and self.reg_covar >= 0 and math.isfinite(self.reg_covar)):
            raise ValueError(f"The 'reg_covar' parameter must be a finite float >= 0; got {self.reg_covar!r}.")
        self._check_missing_option()
        # The prior's data-dependent defaults (mean, covariance of X) are fixed here, in X's coordinates.
        self._prior_resolved = _prior.resolve_prior(self.prior, X, self.n_components, self.covariance_type)
        return self._check_inits(X)

    def _check_missing_option(self):
        if not (isinstance(self.missing, str) and self.missing in MISSING_OPTIONS):
            raise ValueError(
                f"Unknown missing={self.missing!r}; use 'error' (NaN in X raises, as in scikit-learn) or "
                "'marginalize' (NaN entries are missing at random and integrated out)."
            )

    def _validate_data(self, X, *, reset: bool, method: str) -> np.ndarray:
        """X as in :class:`BaseMixture`; with ``missing='marginalize'`` NaN entries are kept (inf still raises)."""
        self._check_missing_option()
        if self.missing == "error":  # scikit-learn's behaviour, at no extra cost; the error names the option
            try:
                return super()._validate_data(X, reset=reset, method=method)
            except ValueError as exc:
                arr = _real_array_or_none(X) if "NaN" in str(exc) else None
                if arr is None or not np.isnan(arr).any():
                    raise
                raise ValueError(
                    f"{exc} Or, to treat NaN entries as missing at random, use "
                    f"{type(self).__name__}(missing='marginalize')."
                ) from None
        arr = _real_array_or_none(X)
        nan = None if arr is None else np.isnan(arr)
        if nan is None or not nan.any():
            return super()._validate_data(X, reset=reset, method=method)
        # Validate everything else with the NaN entries set to 0, then put them back.
        out = super()._validate_data(np.where(nan, 0.0, arr), reset=reset, method=method)
        out[nan] = np.nan
        if reset and nan.all(axis=0).any():
            c = int(np.flatnonzero(nan.all(axis=0))[0])
            raise ValueError(
                f"Column {c} of X has no observed value, so nothing can be learnt about it; drop that column."
            )
        _check_rows_observed(nan, f"{type(self).__name__}.{method}")
        return out

    def _check_inits(self, X):
        k, n = self.n_components, X.shape[1]
        weights, means = self._check_weights_means_init(X)
        precisions = None
        if self.precisions_init is not None:
            words = {
                "full": "(n_components, n_features, n_features)",
                "tied": "(n_features, n_features)",
                "diag": "(n_components, n_features)",
                "spherical": "(n_components,)",
            }[self.covariance_type]
            shape = covariance_shape(self.covariance_type, k, n)
            precisions = self._init_array(
                self.precisions_init, "precisions_init", shape, f"{words} for covariance_type={self.covariance_type!r}"
            )
            if self.covariance_type in ("full", "tied"):
                mats = precisions if self.covariance_type == "full" else precisions[None]
                for j, P in enumerate(mats):
                    if not np.allclose(P, P.T, rtol=1e-5, atol=1e-8):
                        raise ValueError(
                            f"precisions_init[{j}] is not symmetric; a precision matrix must equal its transpose. "
                            "Use (P + P.T) / 2."
                        )
                    eig = np.linalg.eigvalsh(P).min()
                    if not eig > 0:
                        raise ValueError(
                            f"precisions_init[{j}] is not positive definite (smallest eigenvalue {eig:.3g}). "
                            "Pass inverse covariance matrices, for example np.linalg.inv(Sigma)."
                        )
            elif np.any(precisions <= 0):
                raise ValueError(
                    f"precisions_init must be positive for covariance_type={self.covariance_type!r} "
                    "(they are inverse variances); got a value <= 0."
                )
        return weights, means, precisions

    def _prepare(self, X, fitted=False):
        """The engine's feature expansion of X, about the data mean (fit) or the mixture mean (prediction)."""
        missing = self.missing == "marginalize" and np.isnan(X).any()
        # Expanding about a central point keeps the second moments accurate (no cancellation).
        shift = self.weights_ @ self.means_ if fitted else (np.nanmean(X, axis=0) if missing else X.mean(axis=0))
        if not fitted:
            resolved = getattr(self, "_prior_resolved", None)
            self._prior_fit = None if resolved is None else resolved.shifted(shift)
        if missing:
            return _engine.MissingDesign(X, self.covariance_type, shift)
        return _engine.Design(X, self.covariance_type, shift)

    def _em_context(self, design):
        return _engine.blas_threads_limited(design.m * design.n_features * self.n_components * 2)

    def _state(self, weights, means, cov, prec_chol) -> _State:
        C = _engine.compile_log_joint(weights, means, prec_chol, self.covariance_type)
        return _State(weights, means, cov, prec_chol, C)

    def _e_step(self, design, state):
        """E-step: l(Theta) and the responsibility-weighted sufficient statistics T, in one pass."""
        if isinstance(design, _engine.MissingDesign):
            return _engine.em_pass_missing(design, state.weights, state.means, state.covariances, state.C)
        return _engine.em_pass(design, state.C)

    def _expected_log_joint(self, design, state, T):
        return _engine.expected_log_joint(state.C, T)

    def _m_step(self, design, T):
        """M-step from sufficient statistics (scikit-learn's closed form and nk + 10 eps guard)."""
        try:
            prior = getattr(self, "_prior_fit", None)
            if prior is not None:
                return self._state(
                    *_engine.map_m_step_from_stats(T, design, self.reg_covar, self.covariance_type, prior)
                )
            scatter = None
            if isinstance(design, _engine.MissingDesign) and self.covariance_type == "tied":
                scatter = _engine.second_moments(T, design.n, "tied").sum(axis=0)  # expected sum x x^T
            return self._state(*_engine.m_step_from_stats(T, design, self.reg_covar, self.covariance_type, scatter))
        except _engine.CollapseError as exc:
            raise ValueError(f"{exc} (reg_covar is {self.reg_covar:g}.)") from None

    def _log_joint(self, design, state):
        if isinstance(design, _engine.MissingDesign):  # each row on its observed coordinates
            return _engine.log_joint_missing(design, state.weights, state.means, state.covariances, state.C)
        return _engine.log_joint_blocks(design, state.C)

    def _final_pass(self, design, state):
        if isinstance(design, _engine.MissingDesign):
            return _engine.final_pass_missing(design, state.weights, state.means, state.covariances, state.C)
        return _engine.final_pass(design, state.C)

    def _log_prior(self, state) -> float:
        """ln p(Theta) of the conjugate prior (0 without one): the driver then maximises the log-posterior."""
        prior = getattr(self, "_prior_fit", None)
        if prior is None:
            return 0.0
        return _prior.log_prior(state.weights, state.means, state.covariances, prior)

    def _initialize(self, X, design, random_state, inits):
        """Theta^(0) from init_params and the *_init arrays, as scikit-learn builds it."""
        weights_init, means_init, precisions_init = inits
        if isinstance(design, _engine.MissingDesign):
            # k-means and the first M-step need complete rows: start from the column means filled in.
            X = np.where(np.isnan(X), design.shift, X)
            design = _engine.Design(X, self.covariance_type, design.shift)
        weights = means = cov = prec_chol = None
        if weights_init is None or means_init is None or precisions_init is None:
            resp = self._initial_resp(X, random_state)
            T = np.zeros((self.n_components, design.n_features))
            start = 0
            for Fb in design.blocks():
                stop = start + Fb.shape[1]
                T += resp[start:stop].T @ Fb.T
                start = stop
            weights, means, cov, prec_chol, _ = self._m_step(design, T)
        if weights_init is not None:
            weights = weights_init
        if means_init is not None:
            means = means_init - design.shift
        if precisions_init is not None:
            cov, prec_chol = _from_precisions(precisions_init, self.covariance_type)
        return self._state(weights, means, cov, prec_chol)

    def _fitted_state(self, design):
        return self._state(self.weights_, self.means_ - design.shift, self.covariances_, self.precisions_cholesky_)

    def _set_parameters(self, state, design):
        weights, means, cov, prec_chol, _ = state
        self.weights_ = np.array(weights, dtype=float)
        self.means_ = means + design.shift
        self.covariances_ = np.array(cov, dtype=float)
        self.precisions_cholesky_ = np.array(prec_chol, dtype=float)
        if self.covariance_type == "full":
            self.precisions_ = np.matmul(prec_chol, prec_chol.transpose(0, 2, 1))
        elif self.covariance_type == "tied":
            self.precisions_ = prec_chol @ prec_chol.T
        else:
            self.precisions_ = prec_chol**2
        resolved = getattr(self, "_prior_resolved", None)
        self.prior_ = None if resolved is None else resolved.as_dict()

    def _as_params(self, state, design) -> GMMParams:
        k, n = state.means.shape
        return GMMParams(
            phi=state.weights,
            mu=state.means + design.shift,
            Sigma=expand_covariances(state.covariances, self.covariance_type, k, n),
        )

    # -- public extras ---------------------------------------------------------------------------

    @property
    def params_(self) -> GMMParams:
        """The fitted parameters as a :class:`~emlab.GMMParams` (covariances expanded to (k, n, n))."""
        self._check_is_fitted()
        k, n = self.means_.shape
        return GMMParams(
            phi=self.weights_, mu=self.means_, Sigma=expand_covariances(self.covariances_, self.covariance_type, k, n)
        )

    def impute(self, X):
        """A copy of X with every NaN replaced by its conditional mean under the fitted mixture.

        For a row with observed coordinates o and missing ones h,
        E[x_h | x_o] = sum_j w_j m_j: the responsibilities w_j = p(z = j | x_o)
        (from the observed coordinates only) weight the components' conditional
        means m_j = mu_j,h + Sigma_j,ho Sigma_j,oo^-1 (x_o - mu_j,o). Works for any
        fitted model, whatever its ``missing`` setting.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            NaN marks a missing value; every row needs at least one observed value.

        Returns
        -------
        X_imputed : ndarray of shape (n_samples, n_features)
            Observed values unchanged.

        Raises
        ------
        ValueError
            If a row has no observed value, X contains inf, or has the wrong number of features.
        """
        self._check_is_fitted()
        arr = _real_array_or_none(X)
        nan = np.isnan(arr) if arr is not None else None
        if nan is None or not nan.any():
            return super()._validate_data(X, reset=False, method="impute").copy()
        X = super()._validate_data(np.where(nan, 0.0, arr), reset=False, method="impute")
        X[nan] = np.nan
        _check_rows_observed(nan, f"{type(self).__name__}.impute")
        design = _engine.MissingDesign(X, self.covariance_type, self.weights_ @ self.means_)
        state = self._fitted_state(design)
        return _engine.impute_missing(design, X, state.weights, state.means, state.covariances, state.C)

    def _n_parameters(self) -> int:
        """Number of free parameters: (k - 1) weights, k n means, and the covariance entries."""
        k, n = self.means_.shape
        return n_parameters(k, n, self.covariance_type)

    def sample(self, n_samples=1):
        """Draw samples from the fitted mixture (uses ``random_state`` as scikit-learn does).

        Parameters
        ----------
        n_samples : int, default=1

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        y : ndarray of shape (n_samples,)
            The component of each sample.
        """
        self._check_n_samples(n_samples)
        rng = check_random_state(self.random_state)
        n_features = self.means_.shape[1]
        counts = rng.multinomial(n_samples, self.weights_)
        if self.covariance_type == "full":
            parts = [
                rng.multivariate_normal(mu, S, int(c))
                for mu, S, c in zip(self.means_, self.covariances_, counts, strict=True)
            ]
        elif self.covariance_type == "tied":
            parts = [
                rng.multivariate_normal(mu, self.covariances_, int(c))
                for mu, c in zip(self.means_, counts, strict=True)
            ]
        else:
            parts = [
                mu + rng.standard_normal(size=(c, n_features)) * np.sqrt(v)
                for mu, v, c in zip(self.means_, self.covariances_, counts, strict=True)
            ]
        y = np.concatenate([np.full(int(c), j, dtype=np.int64) for j, c in enumerate(counts)])
        return np.vstack(parts), y

    # -- SQUAREM and stepwise EM: hooks of the driver (emlab.base) --------------------------------
    # theta~ for SQUAREM: a_j = ln(phi_j / phi_K), the means (shifted coordinates), and the
    # precision factors with their diagonals as logarithms (every vector is a valid mixture).

    def _pack(self, state, design) -> np.ndarray:
        weights, means, _, prec_chol, _ = state
        log_w = np.log(np.maximum(weights, np.finfo(float).tiny))
        if self.covariance_type in ("full", "tied"):
            U = prec_chol if self.covariance_type == "full" else prec_chol[None]
            iu0, iu1 = np.triu_indices(means.shape[1])
            factors = U[:, iu0, iu1].copy()
            diag = iu0 == iu1
            factors[:, diag] = np.log(factors[:, diag])
        else:
            factors = np.log(prec_chol)
        return np.concatenate([log_w[:-1] - log_w[-1], means.ravel(), factors.ravel()])

    def _unpack(self, theta, design) -> _State:
        k, n = self.n_components, design.n
        a = np.append(theta[: k - 1], 0.0)
        weights = np.exp(a - a.max())
        weights /= weights.sum()
        means = theta[k - 1 : k - 1 + k * n].reshape(k, n)
        rest = theta[k - 1 + k * n :]
        if self.covariance_type in ("full", "tied"):
            iu0, iu1 = np.triu_indices(n)
            diag = iu0 == iu1
            factors = rest.reshape(-1, iu0.size).copy()
            factors[:, diag] = np.exp(factors[:, diag])
            U = np.zeros((factors.shape[0], n, n))
            U[:, iu0, iu1] = factors
            Uinv = np.linalg.inv(U)
            cov = np.matmul(Uinv.transpose(0, 2, 1), Uinv)  # (U U^T)^(-1)
            cov = 0.5 * (cov + cov.transpose(0, 2, 1))
            prec_chol = U if self.covariance_type == "full" else U[0]
            cov = cov if self.covariance_type == "full" else cov[0]
        else:
            prec_chol = np.exp(rest).reshape((k, n) if self.covariance_type == "diag" else (k,))
            cov = 1.0 / prec_chol**2
        if not (np.all(np.isfinite(cov)) and np.all(np.isfinite(prec_chol)) and np.all(np.isfinite(means))):
            raise ValueError("extrapolated parameters are not a valid mixture")
        return self._state(weights, means, cov, prec_chol)

    def _online_frame(self, X):
        """The stream's shift: the first batch's mean, or the fitted mixture's mean."""
        if self.prior is not None:
            # Stepwise EM averages per-sample statistics; a prior's pseudo-counts would be weighed against one
            # sample instead of the whole stream.
            raise ValueError(
                "partial_fit runs stepwise EM for maximum likelihood and does not support a prior: its "
                "pseudo-counts would count as much as the whole stream. Use prior=None with partial_fit, or fit."
            )
        return X.mean(axis=0) if X is not None else self.weights_ @ self.means_

    def _prepare_batch(self, X, shift):
        return _BatchDesign(X, self.covariance_type, shift)

    def _expected_statistics(self, state, shift) -> np.ndarray:
        """Per-sample statistics of the model itself, in the engine's layout (N_j, sum w x, second order)."""
        weights, means, cov, _, _ = state
        k, n = means.shape
        if self.covariance_type in ("full", "tied"):
            S = expand_covariances(cov, self.covariance_type, k, n) + means[:, :, None] * means[:, None, :]
            iu0, iu1 = np.triu_indices(n)
            second = S[:, iu0, iu1]
        elif self.covariance_type == "diag":
            second = cov + means**2
        else:
            second = (n * cov + np.einsum("ka,ka->k", means, means))[:, None]
        return weights[:, None] * np.column_stack([np.ones(k), means, second])

    def _m_step_online(self, stats, shift):
        return self._m_step(_StatisticsFrame(stats, shift), stats)


class _BatchDesign(_engine.Design):
    """The Design of one mini-batch: read once, so its features are expanded block by block from X.

    A fit reads its features every iteration and caches them; a batch of a stream is read by one
    E-step, so expanding each block just before that block's E-step (while it is in cache) and
    never storing the whole feature matrix or a transposed copy of X is faster and lighter.
    """

    def __init__(self, X, covariance_type, shift):
        self.m, self.n = X.shape
        self.covariance_type = covariance_type
        self.shift = shift
        self.iu = _engine._triu(self.n)[:2]
        self.n_features = 1 + self.n + _engine.n_second_order(self.n, covariance_type)
        self._X = X
        self._F = None
        self._XtX = None
        self.block = int(max(256, min(self.m, _engine._BLOCK_BYTES // (8 * (self.n_features + 1)))))

    def blocks(self):
        for start in range(0, self.m, self.block):
            yield self._expand(np.subtract(self._X[start : start + self.block].T, self.shift[:, None]))

    def scatter(self) -> np.ndarray:
        if self._XtX is None:
            D = self._X - self.shift
            self._XtX = D.T @ D
        return self._XtX


class _StatisticsFrame:
    """What the engine's M-step reads from a Design, for running-average statistics instead of data."""

    def __init__(self, stats, shift):
        self.n = shift.shape[0]
        self.shift = shift
        self.iu = _engine._triu(self.n)[:2]  # cached: np.triu_indices costs more than this whole M-step
        self._stats = stats

    def scatter(self) -> np.ndarray:
        """sum_i (x - shift)(x - shift)^T per sample: the second-order statistics summed over components."""
        S = np.empty((self.n, self.n))
        second = self._stats[:, 1 + self.n :].sum(axis=0)
        S[self.iu] = second
        S[self.iu[1], self.iu[0]] = second
        return S


def _real_array_or_none(X):
    """X as a float ndarray if it is a real numeric 2-D array (where NaN can be looked for), else None."""
    if "scipy.sparse" in sys.modules and sys.modules["scipy.sparse"].issparse(X):
        return None
    try:
        arr = np.asarray(X)
        if arr.ndim != 2 or np.iscomplexobj(arr) or arr.dtype.kind not in "biuf":
            return None
        return np.asarray(arr, dtype=np.float64)
    except (TypeError, ValueError):
        return None


def _check_rows_observed(nan, where):
    empty = nan.all(axis=1)
    if empty.any():
        rows = np.flatnonzero(empty)
        more = f" (and {rows.size - 1} more)" if rows.size > 1 else ""
        raise ValueError(
            f"Row {rows[0]}{more} of X has no observed value (all NaN), so {where} cannot use it: with "
            "missing='marginalize' every row needs at least one observed coordinate. Drop such rows, "
            "e.g. X[~np.isnan(X).all(axis=1)]."
        )


def _from_precisions(precisions, covariance_type):
    """(covariances, precisions_cholesky) from validated precision arrays."""
    if covariance_type in ("full", "tied"):
        P = precisions if covariance_type == "full" else precisions[None]
        # U upper-triangular with P = U U^T: the Cholesky factor of P with rows and columns reversed.
        flipped = np.linalg.cholesky(P[:, ::-1, ::-1])
        U = flipped[:, ::-1, ::-1]
        cov = np.linalg.inv(P)
        cov = 0.5 * (cov + cov.transpose(0, 2, 1))
        if covariance_type == "tied":
            return cov[0], np.ascontiguousarray(U[0])
        return cov, np.ascontiguousarray(U)
    return 1.0 / precisions, np.sqrt(precisions)
