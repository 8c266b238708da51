"""emlab/base.py: the EM driver serves any model that supplies its log-joint and M-step.

A mixture of Poissons, written here in a few lines on :class:`~emlab.base.BaseMixture` with only the
default (responsibility-based) E-step, gets the driver's stopping rule, n_init, warm_start, history_,
prediction and BIC for free.
"""

import warnings

import numpy as np
import pytest
from scipy.special import gammaln
from scipy.stats import poisson

from emlab.base import BaseMixture, ConvergenceWarning


class PoissonMixture(BaseMixture):
    _init_params_options = ("random_from_data",)

    def __init__(self, n_components=1, *, tol=1e-3, max_iter=100, n_init=1, init_params="random_from_data",
                 random_state=None, warm_start=False, verbose=0, verbose_interval=10):
        self.n_components, self.tol, self.max_iter, self.n_init = n_components, tol, max_iter, n_init
        self.init_params, self.random_state, self.warm_start = init_params, random_state, warm_start
        self.verbose, self.verbose_interval = verbose, verbose_interval

    def _check_parameters(self, X):
        if np.any(X < 0) or np.any(X != np.round(X)):
            raise ValueError("counts must be non-negative integers")

    def _initialize(self, X, data, random_state, inits):
        return self._m_step(data, self._initial_resp(X, random_state) * 0.9 + 0.1 / self.n_components)

    def _fitted_state(self, data):
        return (self.weights_, self.means_)

    def _log_joint(self, X, state):
        phi, lam = state
        return np.log(phi) + (X @ np.log(lam).T) - lam.sum(axis=1) - gammaln(X + 1).sum(axis=1, keepdims=True)

    def _m_step(self, X, W):
        N = W.sum(axis=0)
        return N / len(X), (W.T @ X) / N[:, None]

    def _set_parameters(self, state, data):
        self.weights_, self.means_ = (np.array(a) for a in state)

    def _as_params(self, state, data):
        return state

    def _n_parameters(self):
        return self.n_components - 1 + self.means_.size


def _counts(seed=0):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.poisson(2.0, 150), rng.poisson(12.0, 100)]).reshape(-1, 1).astype(float)


def test_a_new_model_gets_the_whole_driver():
    X = _counts()
    pm = PoissonMixture(2, tol=1e-8, n_init=3, random_state=0).fit(X)
    order = np.argsort(pm.means_[:, 0])
    np.testing.assert_allclose(pm.means_[order, 0], [2.0, 12.0], atol=1.0)
    np.testing.assert_allclose(pm.weights_[order], [0.6, 0.4], atol=0.08)
    assert pm.converged_ and pm.n_iter_ == len(pm.lower_bounds_) == pm.history_.n_iter
    assert np.all(np.diff(pm.lower_bounds_) >= -1e-12)  # EM never lowers l
    h = pm.history_
    np.testing.assert_allclose(h["log_likelihood"] - h["kl_after_m"], h["elbo_after_m"])
    # score_samples is ln p(x) under the fitted mixture, computed independently with scipy.
    dens = sum(w * poisson.pmf(X[:, 0], lam) for w, lam in zip(pm.weights_, pm.means_[:, 0], strict=True))
    np.testing.assert_allclose(pm.score_samples(X), np.log(dens), rtol=1e-12)
    np.testing.assert_allclose(pm.predict_proba(X).sum(axis=1), 1.0)
    assert pm.bic(X) == pytest.approx(-2 * pm.score(X) * len(X) + 3 * np.log(len(X)))


def test_the_driver_keeps_its_rules_for_any_model():
    X = _counts(1)
    with pytest.warns(ConvergenceWarning):
        PoissonMixture(2, tol=0.0, max_iter=3, random_state=0).fit(X)
    first = PoissonMixture(2, max_iter=2, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        first.fit(X)
        bound_after_2 = first.lower_bound_
        first.fit(X)  # continues from the previous fit
    assert first.lower_bound_ >= bound_after_2
    with pytest.raises(ValueError, match="non-negative integers"):
        PoissonMixture(2).fit(-X)
    with pytest.raises(ValueError, match="Unknown init_params 'kmeans'"):
        PoissonMixture(2, init_params="kmeans").fit(X)
    assert "callback" not in PoissonMixture().get_params()  # the teaching extras are optional
