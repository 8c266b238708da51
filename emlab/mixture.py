"""A scikit-learn-compatible Gaussian mixture estimator that records what EM does.

:class:`GaussianMixture` takes scikit-learn 1.9's parameters, defaults, fitted
attributes and stopping rule, so a notebook can swap it for
``sklearn.mixture.GaussianMixture`` (and back) without other changes. On top it
keeps a per-iteration ``history_`` (log-likelihood, ELBO after each E- and
M-step, the KL gap), optional parameter snapshots, and a ``callback``.

scikit-learn is not needed: it is imported only when it is already loaded, so
that errors and warnings raised here are also instances of scikit-learn's
``NotFittedError`` and ``ConvergenceWarning``.
"""

from __future__ import annotations

import inspect
import math
import sys
import warnings
from time import perf_counter

import numpy as np

from . import _engine
from ._kmeans import kmeans_labels, kmeans_plusplus_indices
from ._validation import check_random_state, is_int, is_real, valid_random_state
from .covariance import check_covariance_type, expand_covariances, n_parameters
from .params import GMMParams

__all__ = ["BaseMixture", "ConvergenceWarning", "GaussianMixture", "NotFittedError"]

_INIT_PARAMS = ("kmeans", "k-means++", "random", "random_from_data")


class NotFittedError(ValueError, AttributeError):
    """Raised when a method that needs a fitted model is called before ``fit``.

    Like scikit-learn's ``NotFittedError`` it is both a ``ValueError`` and an
    ``AttributeError``; when scikit-learn is loaded the raised error is also an
    instance of scikit-learn's class.
    """


class ConvergenceWarning(UserWarning):
    """EM stopped at ``max_iter`` before the lower bound changed by less than ``tol``."""


_sklearn_twins: dict = {}


def _with_sklearn_twin(cls, name: str):
    """``cls``, or a subclass that is also ``sklearn.exceptions.<name>`` when scikit-learn is loaded.

    Importing scikit-learn here would make it a runtime dependency (and cost a
    second of import time), so only an already-imported scikit-learn is used.
    """
    sk = sys.modules.get("sklearn.exceptions")
    if sk is None:
        return cls
    twin = _sklearn_twins.get(name)
    if twin is None:
        twin = type(name, (cls, getattr(sk, name)), {"__module__": cls.__module__, "__doc__": cls.__doc__})
        _sklearn_twins[name] = twin
    return twin


class BaseMixture:
    """Base class for mixture models fitted by EM (in the spirit of scikit-learn's ``BaseMixture``).

    It owns the parts every mixture shares: parameter handling (``get_params``,
    ``set_params``, cloning), validation of X, the EM driver with ``n_init``
    restarts, ``warm_start`` and the stopping rule, and the prediction methods.
    A subclass supplies the model: ``_check_parameters``, ``_initialize``,
    ``_e_step``, ``_m_step``, ``_compile`` and ``_set_parameters``.
    """

    # -- scikit-learn estimator protocol -------------------------------------------------------

    @classmethod
    def _get_param_names(cls):
        sig = inspect.signature(cls.__init__)
        return sorted(p.name for p in sig.parameters.values() if p.name != "self" and p.kind != p.VAR_KEYWORD)

    def get_params(self, deep=True):
        """Get the parameters of this estimator.

        Parameters
        ----------
        deep : bool, default=True
            Accepted for scikit-learn compatibility (there are no sub-estimators).

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params):
        """Set the parameters of this estimator.

        Returns
        -------
        self : estimator instance
        """
        valid = self._get_param_names()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(
                    f"Invalid parameter {key!r} for estimator {type(self).__name__}. Valid parameters are: {valid!r}."
                )
            setattr(self, key, value)
        return self

    def __repr__(self):
        defaults = {
            p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values() if p.name != "self"
        }
        shown = []
        for name in defaults:
            value = getattr(self, name)
            default = defaults[name]
            same = value is default or (
                not isinstance(value, np.ndarray) and type(value) is type(default) and value == default
            )
            if not same:
                shown.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def __sklearn_tags__(self):
        # Only scikit-learn calls this, so importing it here adds no dependency.
        from sklearn.utils import InputTags, Tags, TargetTags

        return Tags(
            estimator_type="density_estimator",
            target_tags=TargetTags(required=False),
            input_tags=InputTags(),
        )

    # -- validation ------------------------------------------------------------------------------

    def __sklearn_is_fitted__(self) -> bool:
        # ``converged_`` is set last in fit, so a callback running mid-fit still sees "not fitted".
        return "converged_" in self.__dict__

    def _check_is_fitted(self):
        if not self.__sklearn_is_fitted__():
            err = _with_sklearn_twin(NotFittedError, "NotFittedError")
            raise err(
                f"This {type(self).__name__} instance is not fitted yet. "
                "Call 'fit' with appropriate arguments before using this method."
            )

    def __getattr__(self, name):
        # Only reached when normal lookup fails. A fitted attribute (public, trailing underscore:
        # history_, weights_, ...) read before fit gets the same NotFittedError as params_ and the
        # methods, instead of a bare "no attribute" error. NotFittedError is an AttributeError, so
        # hasattr() and scikit-learn's checks still see the attribute as missing.
        if name.endswith("_") and not name.startswith("_") and not self.__sklearn_is_fitted__():
            err = _with_sklearn_twin(NotFittedError, "NotFittedError")
            raise err(
                f"This {type(self).__name__} instance is not fitted yet, so it has no {name!r}. "
                "Call 'fit' with appropriate arguments before using this attribute."
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _validate_data(self, X, *, reset: bool, method: str) -> np.ndarray:
        """X as a finite float64 array of shape (m, n); checks n against fit when ``reset`` is False."""
        name = type(self).__name__
        if "scipy.sparse" in sys.modules and sys.modules["scipy.sparse"].issparse(X):
            raise ValueError(
                f"Sparse data was passed to {name}.{method}, but dense data is required. Convert it with X.toarray()."
            )
        arr = np.asarray(X)
        if np.iscomplexobj(arr):
            raise ValueError(f"Complex data not supported: {name}.{method} needs real numbers. Pass X.real.")
        arr = np.asarray(arr, dtype=np.float64)  # object arrays of non-numbers raise numpy's TypeError
        if arr.ndim < 2:
            raise ValueError(
                f"Expected 2D array, got {arr.ndim}D array instead: {name}.{method} needs X of shape "
                "(n_samples, n_features). Reshape your data either using X.reshape(-1, 1) if your data "
                "has a single feature or X.reshape(1, -1) if it contains a single sample."
            )
        if arr.ndim > 2:
            raise ValueError(
                f"Found array with dim {arr.ndim}: {name}.{method} expects X of shape (n_samples, n_features)."
            )
        m, n = arr.shape
        if m == 0:
            raise ValueError(
                f"Found array with 0 sample(s) (shape={arr.shape}) while a minimum of 1 is required "
                f"by {name}.{method}. Pass at least one data point."
            )
        if n == 0:
            raise ValueError(
                f"Found array with 0 feature(s) (shape={arr.shape}) while a minimum of 1 is required "
                f"by {name}.{method}."
            )
        finite = np.isfinite(arr)
        if not finite.all():
            i, j = np.argwhere(~finite)[0]
            raise ValueError(
                f"Input X contains NaN or inf (first at row {i}, column {j}); {name}.{method} needs "
                "finite values. Remove or impute those entries first."
            )
        if reset:
            self.n_features_in_ = n
        elif n != self.n_features_in_:
            raise ValueError(
                f"X has {n} features, but {name} is expecting {self.n_features_in_} features as input. "
                "Pass X with the same columns as the data the model was fitted on (or refit)."
            )
        return arr

    def _check_common_parameters(self):
        checks = [
            ("n_components", is_int(self.n_components) and self.n_components >= 1, "an int >= 1"),
            ("tol", is_real(self.tol) and self.tol >= 0 and math.isfinite(self.tol), "a finite float >= 0"),
            (
                "reg_covar",
                is_real(self.reg_covar) and self.reg_covar >= 0 and math.isfinite(self.reg_covar),
                "a finite float >= 0",
            ),
            ("max_iter", is_int(self.max_iter) and self.max_iter >= 0, "an int >= 0"),
            ("n_init", is_int(self.n_init) and self.n_init >= 1, "an int >= 1"),
            ("warm_start", isinstance(self.warm_start, (bool, np.bool_)), "True or False"),
            ("verbose", is_int(self.verbose) or isinstance(self.verbose, bool), "an int"),
            ("verbose_interval", is_int(self.verbose_interval) and self.verbose_interval >= 1, "an int >= 1"),
            ("record_params", isinstance(self.record_params, (bool, np.bool_)), "True or False"),
            ("callback", self.callback is None or callable(self.callback), "None or a callable"),
        ]
        for name, ok, what in checks:
            if not ok:
                raise ValueError(f"The {name!r} parameter must be {what}; got {getattr(self, name)!r}.")
        if self.init_params not in _INIT_PARAMS:
            raise ValueError(
                f"Unknown init_params {self.init_params!r}; use one of {', '.join(map(repr, _INIT_PARAMS))}."
            )
        if not valid_random_state(self.random_state):
            check_random_state(self.random_state)  # raises the explanatory error

    # -- the EM driver ---------------------------------------------------------------------------

    def fit(self, X, y=None):
        """Estimate the model parameters with the EM algorithm.

        The model is fitted ``n_init`` times and the run with the largest final
        lower bound is kept. Each run alternates E- and M-steps until the
        per-sample mean log-likelihood changes by less than ``tol`` or
        ``max_iter`` iterations are done. With ``warm_start=True`` a second
        call continues from the previous fit.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        self : object
        """
        self.fit_predict(X, y)
        return self

    def fit_predict(self, X, y=None):
        """Fit the model and return the most probable component of every sample of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        X = self._validate_data(X, reset=True, method="fit")
        m = X.shape[0]
        if m < 2:
            raise ValueError(
                f"Found array with {m} sample (n_samples = {m}) while a minimum of 2 is required to fit "
                f"{type(self).__name__}. Pass more data points."
            )
        self._check_common_parameters()
        if m < self.n_components:
            raise ValueError(
                f"Expected n_samples >= n_components but got n_components = {self.n_components}, "
                f"n_samples = {m}. Use at most {m} components or pass more data."
            )
        inits = self._check_parameters(X)

        do_init = not (self.warm_start and hasattr(self, "converged_"))
        if not do_init and self.means_.shape != (self.n_components, X.shape[1]):
            self.n_features_in_ = self.means_.shape[1]  # the fitted model stays usable
            raise ValueError(
                f"warm_start=True continues the previous fit, which has {self.means_.shape[0]} components in "
                f"{self.means_.shape[1]} dimensions; got n_components={self.n_components} and X with "
                f"{X.shape[1]} features. Set warm_start=False to start afresh."
            )
        n_init = self.n_init if do_init else 1
        random_state = check_random_state(self.random_state)
        design = self._make_design(X)

        best = None
        with _engine.blas_threads_limited(design.m * design.n_features * self.n_components * 2):
            for init in range(n_init):
                self._print_verbose_msg_init_beg(init)
                state = self._initialize(X, design, random_state, inits) if do_init else self._fitted_state(design)
                lower_bound = -np.inf if do_init else self.lower_bound_
                run = self._run_em(design, state, lower_bound, init)
                self._print_verbose_msg_init_end(run["lower_bound"], run["converged"])
                # scikit-learn's rule: a better bound wins, and so does any run while the best is still -inf.
                if best is None or run["lower_bound"] > best["lower_bound"] or best["lower_bound"] == -np.inf:
                    best = run

        if not best["converged"] and self.max_iter > 0:
            warnings.warn(
                "Best performing initialization did not converge. Try different init parameters, "
                "or increase max_iter, tol, or check for degenerate data.",
                _with_sklearn_twin(ConvergenceWarning, "ConvergenceWarning"),
                stacklevel=2,
            )
        self._set_parameters(best["state"], design.shift)
        self.converged_ = best["converged"]
        self.n_iter_ = best["n_iter"]
        self.lower_bound_ = best["lower_bound"]
        self.lower_bounds_ = best["lower_bounds"]
        self.history_ = best["history"]
        return best["labels"]

    def _run_em(self, design, state, lower_bound, init):
        """One EM run from ``state``; returns its final state, bounds, history and labels."""
        m = design.m
        C = self._compile(state)
        keys = ("log_likelihood", "elbo_after_e", "elbo_after_m", "kl_after_m")
        hist = {key: [] for key in keys}
        snapshots = [self._as_params(state, design.shift)] if self.record_params else None
        lower_bounds = []
        converged = False
        n_iter = 0

        def finish_record(t, log_lik):
            # l(Theta^(t)) is only known after the next E-step's pass: complete iteration t then.
            elbo_m = min(hist["elbo_after_m"][-1], log_lik)  # KL >= 0; clip round-off
            hist["elbo_after_m"][-1] = elbo_m
            hist["log_likelihood"].append(log_lik)
            hist["kl_after_m"].append(log_lik - elbo_m)
            if self.callback is not None:
                self._set_parameters(state, design.shift)
                record = {key: hist[key][-1] for key in keys}
                record.update(
                    iteration=t,
                    init=init,
                    lower_bound=lower_bounds[-1],
                    params=snapshots[-1] if snapshots else self._as_params(state, design.shift),
                )
                self.callback(self, t, record)

        for n_iter in range(1, self.max_iter + 1):
            prev_lower_bound = lower_bound
            log_lik, T = self._e_step(design, C)
            if n_iter > 1:
                finish_record(n_iter - 1, log_lik)
            lower_bound = log_lik / m
            lower_bounds.append(lower_bound)
            expected_old = _engine.expected_log_joint(C, T)
            state = self._m_step(design, T)
            C = self._compile(state)
            # ELBO(q, Theta) = E_q[ln p(x, z; Theta)] + H(q), and H(q) = l(Theta_old) - E_q[ln p(x, z; Theta_old)]
            # because q is the posterior under Theta_old.
            hist["elbo_after_e"].append(log_lik)
            hist["elbo_after_m"].append(_engine.expected_log_joint(C, T) + log_lik - expected_old)
            if snapshots is not None:
                snapshots.append(self._as_params(state, design.shift))
            change = lower_bound - prev_lower_bound
            self._print_verbose_msg_iter_end(n_iter, change)
            if abs(change) < self.tol:
                converged = True
                break

        log_lik, labels = _engine.final_pass(design, C)
        if n_iter >= 1:
            finish_record(n_iter, log_lik)
        history = {key: np.asarray(hist[key], dtype=float) for key in keys}
        if snapshots is not None:
            history["params"] = snapshots
        return {
            "state": state,
            "lower_bound": lower_bound,
            "lower_bounds": lower_bounds,
            "converged": converged,
            "n_iter": n_iter,
            "history": history,
            "labels": labels,
        }

    # -- verbose messages (as scikit-learn prints them) ---------------------------------------------

    def _print_verbose_msg_init_beg(self, n_init):
        if self.verbose >= 1:
            print(f"Initialization {n_init}")
        if self.verbose >= 2:
            self._init_prev_time = self._iter_prev_time = perf_counter()

    def _print_verbose_msg_iter_end(self, n_iter, diff_ll):
        if n_iter % self.verbose_interval == 0:
            if self.verbose == 1:
                print(f"  Iteration {n_iter}")
            elif self.verbose >= 2:
                now = perf_counter()
                print(f"  Iteration {n_iter}\t time lapse {now - self._iter_prev_time:.5f}s\t ll change {diff_ll:.5f}")
                self._iter_prev_time = now

    def _print_verbose_msg_init_end(self, lb, converged):
        msg = "converged" if converged else "did not converge"
        if self.verbose == 1:
            print(f"Initialization {msg}.")
        elif self.verbose >= 2:
            print(
                f"Initialization {msg}. time lapse {perf_counter() - self._init_prev_time:.5f}s\t lower bound {lb:.5f}."
            )

    # -- prediction ------------------------------------------------------------------------------

    def _weighted_log_prob(self, X, method):
        self._check_is_fitted()
        X = self._validate_data(X, reset=False, method=method)
        design, C = self._design_for(X)
        return _engine.log_joint_blocks(design, C)

    def score_samples(self, X):
        """ln p(x^(i); Theta) for every sample of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_prob : ndarray of shape (n_samples,)
        """
        L = self._weighted_log_prob(X, "score_samples")
        mx = L.max(axis=1)
        return mx + np.log(np.exp(L - mx[:, None]).sum(axis=1))

    def score(self, X, y=None):
        """Per-sample mean log-likelihood (1/m) l(Theta) of X (a mean, as in scikit-learn).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        float
        """
        return float(np.mean(self.score_samples(X)))

    def predict(self, X):
        """The most probable component argmax_j w_j^(i) of every sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        return self._weighted_log_prob(X, "predict").argmax(axis=1)

    def predict_proba(self, X):
        """Responsibilities w_j^(i) = p(z^(i) = j | x^(i); Theta), computed with log-sum-exp.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        W : ndarray of shape (n_samples, n_components)
            Each row sums to 1.
        """
        L = self._weighted_log_prob(X, "predict_proba")
        L -= L.max(axis=1, keepdims=True)
        np.exp(L, out=L)
        L /= L.sum(axis=1, keepdims=True)
        return L


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
        EM iterations of the best run.
    lower_bound_ : float
        Per-sample mean log-likelihood l(Theta^(n_iter_ - 1)) / m computed in the
        last E-step of the best run (scikit-learn's value).
    lower_bounds_ : list of float
        ``lower_bound`` of every iteration of the best run.
    n_features_in_ : int
        Number of features seen during fit.
    history_ : dict of ndarray
        Teaching extra. One entry per iteration t = 1..n_iter_ of the best run,
        all TOTALS over the data in nats:

        - ``'log_likelihood'``: l(Theta^(t)) after the M-step of iteration t;
        - ``'elbo_after_e'``: L(q^(t), Theta^(t-1)), which equals l(Theta^(t-1))
          because the E-step makes the KL gap zero;
        - ``'elbo_after_m'``: L(q^(t), Theta^(t));
        - ``'kl_after_m'``: KL(q^(t) || p(z | x; Theta^(t))) = l(Theta^(t)) -
          L(q^(t), Theta^(t)) >= 0 (round-off below zero is clipped to 0);
        - ``'params'`` (only with ``record_params=True``): list of n_iter_ + 1
          :class:`~emlab.GMMParams` Theta^(0..n_iter_) with full covariances;
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
        component collapsing to a singular covariance (raise ``reg_covar``).
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

    # -- parameter checks --------------------------------------------------------------------------

    def _check_parameters(self, X):
        """Validate covariance_type and the *_init arrays; return the arrays (self is not modified)."""
        check_covariance_type(self.covariance_type)
        k, n = self.n_components, X.shape[1]
        weights = means = precisions = None
        if self.weights_init is not None:
            weights = self._init_array(self.weights_init, "weights_init", (k,), "(n_components,)")
            if np.any(weights < 0) or np.any(weights > 1):
                raise ValueError(
                    f"weights_init must lie in [0, 1] (they are probabilities); got min {weights.min():.5g}, "
                    f"max {weights.max():.5g}."
                )
            if abs(weights.sum() - 1.0) > 1e-8:
                raise ValueError(
                    f"weights_init must sum to 1 (a distribution over the components); got sum "
                    f"{weights.sum():.10g}. Divide it by its sum."
                )
        if self.means_init is not None:
            means = self._init_array(self.means_init, "means_init", (k, n), "(n_components, n_features)")
        if self.precisions_init is not None:
            shapes = {
                "full": ((k, n, n), "(n_components, n_features, n_features)"),
                "tied": ((n, n), "(n_features, n_features)"),
                "diag": ((k, n), "(n_components, n_features)"),
                "spherical": ((k,), "(n_components,)"),
            }
            shape, words = shapes[self.covariance_type]
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

    @staticmethod
    def _init_array(value, name, shape, words):
        arr = np.asarray(value)
        if np.iscomplexobj(arr):
            raise ValueError(f"{name} must be real; got complex values.")
        arr = np.array(arr, dtype=np.float64)
        if arr.shape != shape:
            raise ValueError(
                f"{name} must have shape {words} = {shape}; got shape {arr.shape}. "
                "Check n_components and the number of features of X."
            )
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains NaN or inf; pass finite values.")
        return arr

    # -- model pieces used by the EM driver ---------------------------------------------------------

    def _make_design(self, X):
        return _engine.Design(X, self.covariance_type, X.mean(axis=0))

    def _design_for(self, X):
        """Design of new data X and the log-joint coefficients of the fitted model."""
        # Expand around the mixture's mean (= the training mean at convergence) for accuracy.
        shift = self.weights_ @ self.means_
        design = _engine.Design(X, self.covariance_type, shift)
        state = (self.weights_, self.means_ - shift, self.covariances_, self.precisions_cholesky_)
        return design, self._compile(state)

    def _compile(self, state):
        weights, means, _, prec_chol = state
        return _engine.compile_log_joint(weights, means, prec_chol, self.covariance_type)

    def _e_step(self, design, C):
        """E-step: l(Theta) and the responsibility-weighted sufficient statistics, one pass."""
        return _engine.em_pass(design, C)

    def _m_step(self, design, T):
        """M-step from sufficient statistics (scikit-learn's closed form and nk + 10 eps guard)."""
        try:
            return _engine.m_step_from_stats(T, design, self.reg_covar, self.covariance_type)
        except _engine.CollapseError as exc:
            raise ValueError(f"{exc} (reg_covar is {self.reg_covar:g}.)") from None

    def _initialize(self, X, design, random_state, inits):
        """Theta^(0) from init_params and the *_init arrays, as scikit-learn builds it."""
        weights_init, means_init, precisions_init = inits
        m, k = X.shape[0], self.n_components
        shift = design.shift
        weights = means = cov = prec_chol = None
        if weights_init is None or means_init is None or precisions_init is None:
            resp = np.zeros((m, k))
            if self.init_params == "kmeans":
                resp[np.arange(m), kmeans_labels(X, k, random_state)] = 1.0
            elif self.init_params == "random":
                resp = random_state.uniform(size=(m, k))
                resp /= resp.sum(axis=1)[:, None]
            elif self.init_params == "random_from_data":
                resp[random_state.choice(m, size=k, replace=False), np.arange(k)] = 1.0
            else:  # k-means++
                resp[kmeans_plusplus_indices(X, k, random_state), np.arange(k)] = 1.0
            T = np.zeros((k, design.n_features))
            start = 0
            for Fb in design.blocks():
                stop = start + Fb.shape[1]
                T += resp[start:stop].T @ Fb.T
                start = stop
            weights, means, cov, prec_chol = self._m_step(design, T)
        if weights_init is not None:
            weights = weights_init
        if means_init is not None:
            means = means_init - shift
        if precisions_init is not None:
            cov, prec_chol = _from_precisions(precisions_init, self.covariance_type)
        return weights, means, cov, prec_chol

    def _fitted_state(self, design):
        return (self.weights_, self.means_ - design.shift, self.covariances_, self.precisions_cholesky_)

    def _set_parameters(self, state, shift):
        weights, means, cov, prec_chol = state
        self.weights_ = np.array(weights, dtype=float)
        self.means_ = means + shift
        self.covariances_ = np.array(cov, dtype=float)
        self.precisions_cholesky_ = np.array(prec_chol, dtype=float)
        if self.covariance_type == "full":
            self.precisions_ = np.matmul(prec_chol, prec_chol.transpose(0, 2, 1))
        elif self.covariance_type == "tied":
            self.precisions_ = prec_chol @ prec_chol.T
        else:
            self.precisions_ = prec_chol**2

    def _as_params(self, state, shift) -> GMMParams:
        weights, means, cov, _ = state
        return GMMParams(
            phi=weights, mu=means + shift, Sigma=expand_covariances(cov, self.covariance_type, *means.shape)
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

    def _n_parameters(self) -> int:
        """Number of free parameters: (k - 1) weights, k n means, and the covariance entries."""
        k, n = self.means_.shape
        return n_parameters(k, n, self.covariance_type)

    def bic(self, X):
        """Bayesian information criterion -2 l(Theta) + p ln m on X (lower is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        float
        """
        m = np.shape(X)[0] if np.ndim(X) else 0
        return -2 * self.score(X) * m + self._n_parameters() * math.log(m)

    def aic(self, X):
        """Akaike information criterion -2 l(Theta) + 2 p on X (lower is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        float
        """
        m = np.shape(X)[0] if np.ndim(X) else 0
        return -2 * self.score(X) * m + 2 * self._n_parameters()

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
        self._check_is_fitted()
        if not is_int(n_samples) or n_samples < 1:
            raise ValueError(
                f"Invalid value for 'n_samples': {n_samples!r}. The sampling requires at least one sample."
            )
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
