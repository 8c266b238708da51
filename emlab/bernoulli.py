"""A mixture of Bernoullis for binary data, fitted by EM (MAP-EM with smoothing), in scikit-learn's style.

One model on the EM driver of :mod:`emlab.base`; the maths is :mod:`emlab.bernoulli_core` (notebook 08).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import bernoulli_core as core
from ._engine import blas_threads_limited
from ._kmeans import kmeans_labels
from ._validation import check_random_state
from .base import BaseMixture

__all__ = ["BernoulliMixture"]



class _State(NamedTuple):
    params: core.BernoulliParams
    logs: core._Logs


class BernoulliMixture(BaseMixture):
    """Mixture of multivariate Bernoulli distributions for binary vectors, fitted by EM.

    p(x; Theta) = sum_j phi_j prod_d mu_jd^x_d (1 - mu_jd)^(1 - x_d) (Bishop, PRML 9.3.3).

    Parameters
    ----------
    n_components : int, default=1
        Number K of mixture components.
    tol : float, default=1e-3
        EM stops when the per-sample mean objective changes by less than ``tol``
        (``tol=0`` runs exactly ``max_iter`` iterations).
    max_iter : int, default=100
        Maximum number of EM iterations per initialisation.
    n_init : int, default=1
        Number of initialisations; the run with the best final objective is kept.
    init_params : {'random', 'random_from_data', 'kmeans'}, default='random'
        'random': mu_jd uniform in [0.25, 0.75], equal weights (Bishop's digits example);
        'random_from_data': mu_j = (x + 1) / 3 for k distinct random rows x (one-hot
        responsibilities, Laplace-smoothed so no mu starts at 0 or 1), equal weights;
        'kmeans': the M-step of hard k-means labels.
    weights_init : array-like of shape (n_components,), default=None
        Starting weights phi (on the simplex).
    means_init : array-like of shape (n_components, n_features), default=None
        Starting probabilities mu, in [0, 1].
    alpha : float, default=1.0
        Additive smoothing, as in scikit-learn's ``BernoulliNB``: mu_jd =
        (sum_i w_ij x_id + alpha) / (N_j + 2 alpha), the MAP estimate under a
        Beta(alpha + 1, alpha + 1) prior on every mu_jd. ``alpha=0`` is maximum
        likelihood (mu_jd may then reach 0 or 1; handled exactly, no NaN).
    random_state : int, RandomState, Generator or None, default=None
        Seeds the initialisation and :meth:`sample`.
    warm_start : bool, default=False
        If True, each ``fit`` continues from the previous solution.
    verbose, verbose_interval : int, default=0 and 10
        As in ``GaussianMixture``: progress messages every ``verbose_interval`` iterations.

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
        Mixing weights phi_j = N_j / m.
    means_ : ndarray of shape (n_components, n_features)
        Bernoulli probabilities mu_jd = p(x_d = 1 | z = j).
    converged_, n_iter_ : bool, int
        Whether the best run met ``tol`` within ``max_iter``; its EM iterations.
    lower_bound_, lower_bounds_ : float, list of float
        Per-sample mean objective (l(Theta) + ln p(mu)) / m at the last E-step of the best
        run, and at every iteration (never decreasing); the Beta log-prior ln p(mu) is 0 for alpha=0.
    history_ : EMHistory
        Per-iteration totals (see :mod:`emlab.history`), of the log-posterior when alpha > 0.
    n_features_in_ : int
        Number of features seen during fit.

    Raises
    ------
    ValueError
        X not binary, NaN, 1-D X, ``means_init`` outside [0, 1] or wrongly shaped,
        ``weights_init`` off the simplex, more components than samples, the wrong
        number of features after fit, or a point that every component gives
        probability 0 (only possible with mu_jd in {0, 1}: use alpha > 0).

    Examples
    --------
    >>> import numpy as np
    >>> from emlab import BernoulliMixture
    >>> X = np.array([[1, 1, 0, 0]] * 5 + [[0, 0, 1, 1]] * 5)
    >>> sorted(BernoulliMixture(2, random_state=0).fit(X).means_[:, 0].round(3).tolist())
    [0.143, 0.857]
    """

    _init_params_options = ("random", "random_from_data", "kmeans")
    # The driver's teaching extras; not constructor parameters of this model.
    callback = None
    record_params = False

    def __init__(
        self,
        n_components=1,
        *,
        tol=1e-3,
        max_iter=100,
        n_init=1,
        init_params="random",
        weights_init=None,
        means_init=None,
        alpha=1.0,
        random_state=None,
        warm_start=False,
        verbose=0,
        verbose_interval=10,
    ):
        self.n_components = n_components
        self.tol = tol
        self.max_iter = max_iter
        self.n_init = n_init
        self.init_params = init_params
        self.weights_init = weights_init
        self.means_init = means_init
        self.alpha = alpha
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.verbose_interval = verbose_interval

    # -- the model on the EM driver ------------------------------------------------------------------

    def _check_parameters(self, X):
        core._check_alpha(self.alpha)
        weights, means = self._check_weights_means_init(X)
        if means is not None and (means.min() < 0 or means.max() > 1):
            raise ValueError(
                f"means_init must lie in [0, 1] (they are Bernoulli probabilities); got values from {means.min():.5g} "
                f"to {means.max():.5g}. Clip it, for example np.clip(means_init, 0.01, 0.99)."
            )
        return weights, means

    def _prepare(self, X, fitted=False):
        # F = [X, 1]^T, feature-major: the log-joint's bias and N_j come out of the same matrix products.
        return core._feature_major(core.as_binary(X, f"X passed to {type(self).__name__}"))

    def _em_context(self, F):
        return blas_threads_limited(F.size * self.n_components * 2)

    def _state(self, params) -> _State:
        return _State(params, core._logs(params))

    def _initialize(self, X, data, random_state, inits):
        weights, means = inits
        k, (m, n) = self.n_components, X.shape
        if weights is None or means is None:
            if self.init_params == "random":
                start = core.BernoulliParams(np.full(k, 1.0 / k), random_state.uniform(0.25, 0.75, size=(k, n)))
            elif self.init_params == "random_from_data":
                rows = X[random_state.choice(m, size=k, replace=False)]
                start = core.BernoulliParams(np.full(k, 1.0 / k), (rows + 1.0) / 3.0)
            else:
                W = np.zeros((m, k))
                W[np.arange(m), kmeans_labels(X, k, random_state)] = 1.0
                start = core.m_step_from_stats(*core.sufficient_statistics(X, W), self.alpha)
            weights = start.phi if weights is None else weights
            means = start.mu if means is None else means
        return self._state(core.BernoulliParams(weights, means))

    def _fitted_state(self, data):
        return self._state(core.BernoulliParams(self.weights_, self.means_))

    def _log_joint(self, data, state):
        return core._log_joint_fm(data, state.logs).T

    def _e_step(self, data, state):
        """l(Theta) and the sufficient statistics (N_j, sum_i w_ij x_i), in one blocked pass over the data."""
        log_lik, T = core._em_pass(data, state.logs, "the starting parameters")
        return log_lik, (T[:, -1], T[:, :-1])

    def _expected_log_joint(self, data, state, stats):
        return core._expected_from_stats(*stats, state.logs)

    def _m_step(self, data, stats):
        return self._state(core.m_step_from_stats(*stats, self.alpha))

    def _log_prior(self, state) -> float:
        return core.log_prior(state.params, self.alpha)

    def _set_parameters(self, state, data):
        self.weights_ = np.array(state.params.phi, dtype=float)
        self.means_ = np.array(state.params.mu, dtype=float)

    def _as_params(self, state, data):
        return core.BernoulliParams(state.params.phi.copy(), state.params.mu.copy())

    def _n_parameters(self) -> int:
        """Free parameters: k - 1 weights and k n probabilities."""
        k, n = self.means_.shape
        return k - 1 + k * n

    # -- prediction: a point that no component can produce (alpha=0, mu_jd in {0, 1}) has ln p = -inf --
    # and no posterior; the driver's methods would give NaN and warnings for it.

    def _final_pass(self, data, state):
        L = core._log_joint_fm(data, state.logs).T
        return float(core._logsumexp_rows(L).sum()), L.argmax(axis=1)

    def _impossible_point_message(self, i: int) -> str:
        return str(core._impossible_point(i, f"this model (alpha={self.alpha})"))

    def sample(self, n_samples=1):
        """Draw binary samples from the fitted mixture (uses ``random_state``).

        Parameters
        ----------
        n_samples : int, default=1

        Returns
        -------
        X : ndarray of shape (n_samples, n_features), int, entries 0 or 1
        y : ndarray of shape (n_samples,), the component of each sample
        """
        self._check_n_samples(n_samples)
        rng = check_random_state(self.random_state)
        y = np.repeat(np.arange(self.weights_.size), rng.multinomial(n_samples, self.weights_))
        X = (rng.uniform(size=(n_samples, self.means_.shape[1])) < self.means_[y]).astype(np.int64)
        return X, y
