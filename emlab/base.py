"""The EM driver shared by every mixture model in emlab (in the style of scikit-learn's ``BaseMixture``).

:class:`BaseMixture` writes the EM loop once: initialisation, the E- and M-step
calls, the stopping rule, ``n_init`` restarts, ``warm_start``, ``max_iter``, the
per-iteration ``history_`` and ``callback``, ``verbose`` output and the
convergence warning, plus the prediction methods and BIC/AIC. A model supplies
only what is specific to it (see :class:`BaseMixture` for the hooks), so a new
mixture is a short subclass.

scikit-learn is not needed: it is imported only when it is already loaded, so
that errors and warnings raised here are also instances of scikit-learn's
``NotFittedError`` and ``ConvergenceWarning``.
"""

from __future__ import annotations

import contextlib
import inspect
import math
import sys
import warnings
from time import perf_counter

import numpy as np

from ._kmeans import kmeans_labels, kmeans_plusplus_indices
from ._validation import check_random_state, is_int, is_real, valid_random_state
from .history import HistoryRecorder
from .params import SIMPLEX_TOL
from .rate import squarem_extrapolate, squarem_step_length, step_size, stepwise_update

__all__ = ["BaseMixture", "ConvergenceWarning", "NotFittedError"]


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
    """Base class for mixture models fitted by EM.

    It owns the parts every mixture shares: parameter handling (``get_params``,
    ``set_params``, cloning), validation of X, the EM driver and the prediction
    methods. The driver works on two opaque objects the model defines: ``data``
    (X prepared once per fit, e.g. centred or expanded into features) and
    ``state`` (the parameters Theta in whatever form the E-step wants).

    A subclass supplies the model:

    - ``_check_parameters(X)``: validate model-specific settings; return the
      validated ``*_init`` arrays (passed on to ``_initialize``);
    - ``_prepare(X, fitted=False)``: the ``data`` object (default: X itself);
    - ``_initialize(X, data, random_state, inits)``: Theta^(0) as a ``state``;
    - ``_fitted_state(data)``: the fitted parameters as a ``state`` (warm start, prediction);
    - ``_log_joint(data, state)``: ln p(x^(i), z^(i) = j; Theta), shape (m, k);
    - ``_m_step(data, stats)``: the new ``state`` from the E-step's statistics;
    - ``_set_parameters(state, data)``: store the fitted attributes;
    - ``_as_params(state, data)``: the parameters recorded with ``record_params``;
    - ``_n_parameters()``: the free-parameter count for BIC and AIC;
    - ``sample(n_samples)``.

    By default the E-step's statistics are the responsibilities W (m, k) computed
    from ``_log_joint`` with log-sum-exp. A model with sufficient statistics
    overrides ``_e_step`` (returning l(Theta) and its statistics in one pass),
    ``_expected_log_joint`` and, for speed, ``_final_pass``. A model with a prior
    overrides ``_log_prior``: the driver then maximises the log-posterior, and
    ``lower_bound_``, ``lower_bounds_`` and ``history_`` hold it.

    Two options of the driver need two more hooks each (a model without them
    raises a ValueError that says so):

    - ``accelerate="squarem"`` (SQUAREM around the model's EM map, see
      :meth:`_run_squarem`): ``_pack(state, data)`` -> a 1-D vector in an
      unconstrained parametrisation, and ``_unpack(vector, data)`` -> a ``state``
      (raising ValueError for a vector it cannot represent);
    - :meth:`partial_fit` (stepwise EM): the E-step's statistics must add up over
      data points (an array, as ``_e_step`` of a sufficient-statistics model
      returns), plus ``_online_frame(X)`` (the fixed coordinates of a stream,
      from its first batch, or from the fitted parameters when X is None),
      ``_prepare_batch(X, frame)``, ``_expected_statistics(state, frame)`` (the
      per-sample statistics whose M-step gives ``state`` back) and
      ``_m_step_online(stats, frame)``.
    """

    # The init_params a subclass accepts; the responsibility-based ones are built by _initial_resp.
    _init_params_options = ("kmeans", "k-means++", "random", "random_from_data")

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
        if name == "history_" and "_online" in self.__dict__:
            raise AttributeError(
                "history_ is recorded by fit; after partial_fit, lower_bounds_ holds each batch's per-sample "
                "score under the parameters before its update."
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
            ("max_iter", is_int(self.max_iter) and self.max_iter >= 0, "an int >= 0"),
            ("n_init", is_int(self.n_init) and self.n_init >= 1, "an int >= 1"),
            ("warm_start", isinstance(self.warm_start, (bool, np.bool_)), "True or False"),
            ("verbose", is_int(self.verbose) or isinstance(self.verbose, bool), "an int"),
            ("verbose_interval", is_int(self.verbose_interval) and self.verbose_interval >= 1, "an int >= 1"),
        ]
        # Optional teaching extras: a model without these constructor parameters records no iterates.
        if hasattr(self, "record_params"):
            checks.append(("record_params", isinstance(self.record_params, (bool, np.bool_)), "True or False"))
        if hasattr(self, "callback"):
            checks.append(("callback", self.callback is None or callable(self.callback), "None or a callable"))
        for name, ok, what in checks:
            if not ok:
                raise ValueError(f"The {name!r} parameter must be {what}; got {getattr(self, name)!r}.")
        if self.init_params not in self._init_params_options:
            raise ValueError(
                f"Unknown init_params {self.init_params!r}; use one of "
                f"{', '.join(map(repr, self._init_params_options))}."
            )
        if not valid_random_state(self.random_state):
            check_random_state(self.random_state)  # raises the explanatory error
        self._check_driver_options()

    def _check_weights_means_init(self, X):
        """Validated ``weights_init`` (on the simplex) and ``means_init`` (k, n), each None when not given."""
        k, n = self.n_components, X.shape[1]
        weights = means = None
        if self.weights_init is not None:
            weights = self._init_array(self.weights_init, "weights_init", (k,), "(n_components,)")
            if np.any(weights < 0) or np.any(weights > 1):
                raise ValueError(
                    f"weights_init must lie in [0, 1] (they are probabilities); got min {weights.min():.5g}, "
                    f"max {weights.max():.5g}."
                )
            if abs(weights.sum() - 1.0) > SIMPLEX_TOL:
                raise ValueError(
                    f"weights_init must sum to 1 (a distribution over the components); got sum "
                    f"{weights.sum():.10g}. Divide it by its sum."
                )
        if self.means_init is not None:
            means = self._init_array(self.means_init, "means_init", (k, n), "(n_components, n_features)")
        return weights, means

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
        data = self._prepare(X)
        self.__dict__.pop("_online", None)  # a fit ends any stream that partial_fit was following
        run_em = self._run_squarem if getattr(self, "accelerate", None) == "squarem" else self._run_em

        best = None
        with self._em_context(data):
            for init in range(n_init):
                self._print_verbose_msg_init_beg(init)
                state = self._initialize(X, data, random_state, inits) if do_init else self._fitted_state(data)
                lower_bound = -np.inf if do_init else self.lower_bound_
                run = run_em(data, state, lower_bound, init, m)
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
        self._set_parameters(best["state"], data)
        self.converged_ = best["converged"]
        self.n_iter_ = best["n_iter"]
        self.lower_bound_ = best["lower_bound"]
        self.lower_bounds_ = best["lower_bounds"]
        self.history_ = best["history"]
        return best["labels"]

    def _run_em(self, data, state, lower_bound, init, m):
        """One EM run from ``state``; returns its final state, bounds, history and labels.

        The stopping rule is scikit-learn's: stop when the per-sample objective,
        measured at the E-step, changes by less than ``tol``.
        """
        record_params = getattr(self, "record_params", False)
        callback = getattr(self, "callback", None)
        recorder = HistoryRecorder(self._as_params(state, data) if record_params else None)
        lower_bounds = []
        converged = False
        n_iter = 0

        def finish_record(t, objective):
            # The objective at Theta^(t) is only known after the next E-step's pass: complete iteration t then.
            record = recorder.likelihood_known(objective)
            if callback is not None:
                self._set_parameters(state, data)
                params = recorder.last_params if recorder.records_params else self._as_params(state, data)
                record.update(iteration=t, init=init, lower_bound=lower_bounds[-1], params=params)
                callback(self, t, record)

        for n_iter in range(1, self.max_iter + 1):
            prev_lower_bound = lower_bound
            log_lik, stats = self._e_step(data, state)
            objective = log_lik + self._log_prior(state)
            if n_iter > 1:
                finish_record(n_iter - 1, objective)
            lower_bound = objective / m
            lower_bounds.append(lower_bound)
            expected_old = self._expected_log_joint(data, state, stats)
            state = self._m_step(data, stats)
            # ELBO(q, Theta) = E_q[ln p(x, z; Theta)] + H(q) (+ ln p(Theta) with a prior), and
            # H(q) = l(Theta_old) - E_q[ln p(x, z; Theta_old)] because q is the posterior under Theta_old.
            expected_new = self._expected_log_joint(data, state, stats)
            elbo_after_m = expected_new + self._log_prior(state) + log_lik - expected_old
            recorder.m_step_done(objective, elbo_after_m, self._as_params(state, data) if record_params else None)
            change = lower_bound - prev_lower_bound
            self._print_verbose_msg_iter_end(n_iter, change)
            if abs(change) < self.tol:
                converged = True
                break

        log_lik, labels = self._final_pass(data, state)
        if n_iter >= 1:
            finish_record(n_iter, log_lik + self._log_prior(state))
        return {
            "state": state,
            "lower_bound": lower_bound,
            "lower_bounds": lower_bounds,
            "converged": converged,
            "n_iter": n_iter,
            "history": recorder.result(),
            "labels": labels,
        }

    # -- SQUAREM acceleration and stepwise (online) EM ----------------------------------------------

    _ACCELERATE_OPTIONS = (None, "squarem")

    def _check_driver_options(self):
        """Validate ``accelerate``, ``learning_decay`` and ``learning_offset`` (when the model has them)."""
        accelerate = getattr(self, "accelerate", None)
        if not (accelerate is None or (isinstance(accelerate, str) and accelerate in self._ACCELERATE_OPTIONS)):
            raise ValueError(
                f"Unknown accelerate {accelerate!r}; use None (plain EM) or 'squarem' (SQUAREM extrapolation, "
                "same fixed point in fewer EM-map evaluations)."
            )
        if accelerate == "squarem" and type(self)._pack is BaseMixture._pack:
            raise ValueError(
                f"{type(self).__name__} does not support accelerate='squarem' (it has no _pack/_unpack "
                "parametrisation); use accelerate=None."
            )
        if hasattr(self, "learning_decay"):
            decay = self.learning_decay
            if not (is_real(decay) and 0.5 < decay <= 1.0):
                raise ValueError(
                    f"The 'learning_decay' parameter must lie in (0.5, 1] (then the step sizes rho_t sum to "
                    f"infinity but their squares do not, and stepwise EM converges); got {decay!r}. "
                    "Use the default 0.7."
                )
        if hasattr(self, "learning_offset"):
            offset = self.learning_offset
            if not (is_real(offset) and offset >= 0 and math.isfinite(offset)):
                raise ValueError(
                    f"The 'learning_offset' parameter must be a finite float >= 0; got {offset!r}. "
                    "Use the default 10.0 (larger values damp the first updates)."
                )

    def _run_squarem(self, data, state, lower_bound, init, m):
        """One EM run accelerated by SQUAREM (Varadhan & Roland 2008), with a monotone safeguard.

        A cycle from a point theta evaluates the EM map twice, theta_1 = M(theta) and
        theta_2 = M(theta_1), extrapolates to theta' = theta + 2 alpha r + alpha^2 v
        (r = theta_1 - theta, v = theta_2 - 2 theta_1 + theta, SqS3 step length
        alpha = ||r|| / ||v|| clamped to [1, step_max]; see :mod:`emlab.rate`) in the
        model's unconstrained parametrisation (``_pack``/``_unpack``), and then

        - keeps theta' only if l(theta') >= l(theta_1) (the E-step at theta' computes
          l(theta') anyway), and continues with the stabilising step M(theta');
        - otherwise (or when the M-step at theta' fails, e.g. a jump towards a
          collapsing component, where l is unbounded) falls back to the plain EM
          iterate theta_2.

        So the kept log-likelihoods never decrease. Every E-step pass counts as one
        EM-map evaluation in ``n_iter``, including one spent on a rejected
        extrapolation; ``max_iter`` bounds that count. The stopping rule is plain
        EM's, applied to plain EM steps only: stop when one EM step changes the
        per-sample objective by less than ``tol``. The history records the kept
        points theta^(0), theta^(1), ... in order; ``elbo_after_m`` of a step is the
        bound of the previous E-step's q at the next kept point (for an
        extrapolated point it need not exceed ``elbo_after_e``).
        ``step_max`` adapts as in ``squarem1`` of the SQUAREM R package
        (github.com/cran/SQUAREM): it starts at 1, grows 4x when alpha reaches it,
        shrinks 4x (not below 1) when an extrapolation at the maximum is rejected.
        """
        recorder = HistoryRecorder(self._as_params(state, data) if self.record_params else None)
        lower_bounds = []
        converged = False
        n_eval = 0
        step_max, mstep = 1.0, 4.0
        kept = None  # (state, objective, log_lik, stats) of the last kept E-step
        x, phase = state, 0  # the next point to E-step; phase 0: cycle start, 1: theta_1, 2: extrapolated
        last_map = state  # M at the last kept point: the result if the run stops now
        vec0 = vec1 = None
        alpha = 1.0

        def keep(x, objective, log_lik, stats, t):
            # Record the step from the previous kept point to x, now that l(x) is known.
            if kept is not None:
                px, pobj, plog, pstats = kept
                elbo = (
                    self._expected_log_joint(data, x, pstats)
                    + self._log_prior(x)
                    + plog
                    - self._expected_log_joint(data, px, pstats)
                )
                recorder.m_step_done(pobj, elbo, self._as_params(x, data) if self.record_params else None)
                record = recorder.likelihood_known(objective)
                if self.callback is not None:
                    self._set_parameters(x, data)
                    params = recorder.last_params if recorder.records_params else self._as_params(x, data)
                    record.update(iteration=t, init=init, lower_bound=lower_bounds[-1], params=params)
                    self.callback(self, t, record)
            return (x, objective, log_lik, stats)

        while n_eval < self.max_iter:
            n_eval += 1
            if phase == 2:
                # An extrapolated point may be far out: overflow there means "reject", not a warning.
                with np.errstate(all="ignore"):
                    log_lik, stats = self._e_step(data, x)
                    objective = log_lik + self._log_prior(x)
                mapped = None
                if np.isfinite(objective) and objective >= kept[1]:
                    try:  # l is unbounded near a collapsed component: a jump there may not survive its M-step
                        mapped = self._m_step(data, stats)
                    except ValueError:
                        mapped = None
                if mapped is None:
                    if alpha == step_max:
                        step_max = max(1.0, step_max / mstep)
                    x, phase = last_map, 0  # the plain EM iterate theta_2
                    continue
            else:
                log_lik, stats = self._e_step(data, x)
                objective = log_lik + self._log_prior(x)
                mapped = self._m_step(data, stats)
            kept = keep(x, objective, log_lik, stats, len(lower_bounds))
            prev_lower_bound, lower_bound = lower_bound, objective / m
            lower_bounds.append(lower_bound)
            last_map = mapped
            change = lower_bound - prev_lower_bound
            self._print_verbose_msg_iter_end(n_eval, change)
            if phase != 2 and abs(change) < self.tol:  # the plain-EM rule, on a plain EM step
                converged = True
                break
            if phase == 0:
                vec0 = self._pack(x, data)
                x, phase = last_map, 1
            elif phase == 1:
                vec1 = self._pack(x, data)
                vec2 = self._pack(last_map, data)
                r, v = vec1 - vec0, vec2 - 2.0 * vec1 + vec0
                alpha = min(max(squarem_step_length(r, v), 1.0), step_max)
                x, phase = last_map, 0  # theta_2, unless the extrapolation below is possible
                if abs(alpha - 1.0) <= 0.01:
                    # alpha = 1 is two plain EM steps: theta' = theta_2 exactly.
                    if alpha == step_max:
                        step_max *= mstep
                else:
                    try:
                        with np.errstate(all="ignore"):
                            x, phase = self._unpack(squarem_extrapolate(vec0, r, v, alpha), data), 2
                    except (ValueError, np.linalg.LinAlgError):
                        if alpha == step_max:
                            step_max = max(1.0, step_max / mstep)
            else:  # phase 2, kept: continue from the stabilising step M(theta')
                if alpha == step_max:
                    step_max *= mstep
                x, phase = last_map, 0

        log_lik, labels = self._final_pass(data, last_map)
        if kept is not None:
            final_objective = log_lik + self._log_prior(last_map)
            keep(last_map, final_objective, log_lik, None, len(lower_bounds))
        return {
            "state": last_map,
            "lower_bound": lower_bound,
            "lower_bounds": lower_bounds,
            "converged": converged,
            "n_iter": n_eval,
            "history": recorder.result(),
            "labels": labels,
        }

    def partial_fit(self, X, y=None):
        """One stepwise-EM update from the mini-batch X (online EM, Cappe & Moulines 2009).

        The E-step's sufficient statistics add up over points, so EM can follow a
        running average of them instead of a full pass:

        s_bar_t = (1 - rho_t) s_bar_(t-1) + rho_t s(X_t; Theta_(t-1)),   Theta_t = M(s_bar_t),

        with s(X_t; Theta) the batch's statistics per sample and the step size
        rho_t = (learning_offset + t)^(-learning_decay), t = 1, 2, ... The data of
        earlier batches are never needed again, so a stream of any length fits in
        the memory of one batch.

        The first call (on an unfitted model) starts from ``Theta_0`` built as
        :meth:`fit` builds it from ``init_params`` and the ``*_init`` arrays, using
        this first batch for whatever is not given; on a model fitted by
        :meth:`fit` it continues from the fitted parameters. s_bar_0 is the
        statistics the model Theta_0 itself expects, so M(s_bar_0) = Theta_0.
        A later :meth:`fit` starts afresh (or, with ``warm_start``, from here).

        After each call every prediction and score method works. ``n_iter_`` is
        the number t of updates so far, ``lower_bound_`` the per-sample objective of
        this batch under Theta_(t-1) (measured before the batch was used, so it is
        an honest held-out score), ``lower_bounds_`` those values for every batch,
        and ``converged_`` is False (online EM has no stopping rule). ``n_init``,
        ``max_iter``, ``tol`` and ``accelerate`` do not apply; ``history_`` is
        only recorded by :meth:`fit`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            A mini-batch; it must have the same features as earlier batches.
        y : Ignored

        Returns
        -------
        self : object
        """
        started = self.__sklearn_is_fitted__()
        X = self._validate_data(X, reset=not started, method="partial_fit")
        self._check_common_parameters()
        inits = self._check_parameters(X)
        online = self.__dict__.get("_online")
        m = X.shape[0]
        if online is None:
            if started:  # fitted by fit(): follow the stream from the fitted parameters
                frame = self._online_frame(None)
                data = self._prepare_batch(X, frame)
                state = self._fitted_state(data)
            else:
                if any(a is None for a in inits) and m < max(2, self.n_components):
                    raise ValueError(
                        f"The first batch initialises the model, so it needs at least max(2, n_components) = "
                        f"{max(2, self.n_components)} points; got {m}. Pass a larger first batch, or give "
                        "weights_init, means_init and precisions_init."
                    )
                frame = self._online_frame(X)
                data = self._prepare_batch(X, frame)
                with self._em_context(data):
                    state = self._initialize(X, data, check_random_state(self.random_state), inits)
            settings = self._online_settings()
            online = {"frame": frame, "stats": self._expected_statistics(state, frame), "t": 0, "settings": settings}
            self.lower_bounds_ = []
        else:
            if online["settings"] != self._online_settings():
                raise ValueError(
                    f"The model's shape changed during the stream (was {online['settings']}, now "
                    f"{self._online_settings()}); the running statistics no longer fit it. Call fit, or start a "
                    "new estimator for a new stream."
                )
            data = self._prepare_batch(X, online["frame"])
            state = self._fitted_state(data)
        t = online["t"] + 1
        rho = step_size(t, self.learning_offset, self.learning_decay)
        with self._em_context(data):
            log_lik, stats = self._e_step(data, state)
        stats_bar = stepwise_update(online["stats"], stats / m, rho)
        state = self._m_step_online(stats_bar, online["frame"])
        self._set_parameters(state, data)
        online.update(stats=stats_bar, t=t)
        self.__dict__["_online"] = online
        self.__dict__.pop("history_", None)  # fit's record no longer describes these parameters
        self.n_iter_ = t
        self.lower_bound_ = (log_lik + self._log_prior(state)) / m
        self.lower_bounds_ = [*self.lower_bounds_, self.lower_bound_]
        self.converged_ = False
        return self

    # Hooks of the two options above (see the class docstring); a model that supports them overrides these.

    def _pack(self, state, data) -> np.ndarray:
        """``state`` as a 1-D vector in an unconstrained parametrisation (for accelerate='squarem')."""
        raise NotImplementedError

    def _unpack(self, theta, data):
        """The ``state`` of a vector made by :meth:`_pack` (ValueError if it is not a valid state)."""
        raise NotImplementedError

    def _online_settings(self) -> dict:
        """The parameters that fix the layout of the running statistics (they must not change mid-stream)."""
        return {name: getattr(self, name) for name in ("n_components", "covariance_type") if hasattr(self, name)}

    def _online_frame(self, X):
        """Fixed coordinates in which a stream's statistics are summed (default: none)."""
        return None

    def _prepare_batch(self, X, frame):
        """The ``data`` object of one mini-batch, in the stream's frame."""
        return self._prepare(X)

    def _expected_statistics(self, state, frame):
        """The per-sample statistics whose M-step gives ``state`` back (s_bar_0 of a stream)."""
        raise ValueError(f"{type(self).__name__} does not support partial_fit (no online statistics); use fit.")

    def _m_step_online(self, stats, frame):
        """M-step from the running average of per-sample statistics."""
        raise ValueError(f"{type(self).__name__} does not support partial_fit (no online statistics); use fit.")

    # -- model hooks with defaults -----------------------------------------------------------------

    def _prepare(self, X, fitted=False):
        """The ``data`` object the other hooks read (default: X itself)."""
        return X

    def _em_context(self, data):
        """Context the EM runs execute in (e.g. a BLAS thread limit); default: none."""
        return contextlib.nullcontext()

    def _e_step(self, data, state):
        """E-step: l(Theta) and the responsibilities W = p(z | x; Theta), shape (m, k), via log-sum-exp."""
        L = self._log_joint(data, state)
        mx = L.max(axis=1, keepdims=True)
        impossible = ~np.isfinite(mx[:, 0])
        if impossible.any():  # no component can produce this point: its posterior is 0/0
            raise ValueError(self._impossible_point_message(int(np.flatnonzero(impossible)[0])))
        W = np.exp(L - mx)
        s = W.sum(axis=1, keepdims=True)
        W /= s
        return float((mx[:, 0] + np.log(s[:, 0])).sum()), W

    def _expected_log_joint(self, data, state, stats):
        """E_q[ln p(x, z; Theta)] = sum_ij w_ij ln p(x^(i), z = j; Theta); a term with w_ij = 0 counts 0."""
        L = self._log_joint(data, state)
        return float(np.multiply(stats, L, out=np.zeros_like(L), where=stats > 0).sum())

    def _final_pass(self, data, state):
        """l(Theta) and the most probable component of every point, after the last M-step."""
        L = self._log_joint(data, state)
        return float(_logsumexp_rows(L).sum()), L.argmax(axis=1)

    def _log_prior(self, state) -> float:
        """ln p(Theta) of a prior on the parameters; 0 for maximum likelihood."""
        return 0.0

    def _initial_resp(self, X, random_state):
        """Responsibilities (m, k) to start from, as scikit-learn builds them for each ``init_params``."""
        m, k = X.shape[0], self.n_components
        resp = np.zeros((m, k))
        if self.init_params == "kmeans":
            resp[np.arange(m), kmeans_labels(X, k, random_state)] = 1.0
        elif self.init_params == "random":
            resp = random_state.uniform(size=(m, k))
            resp /= resp.sum(axis=1)[:, None]
        elif self.init_params == "random_from_data":
            resp[random_state.choice(m, size=k, replace=False), np.arange(k)] = 1.0
        elif self.init_params == "k-means++":
            resp[kmeans_plusplus_indices(X, k, random_state), np.arange(k)] = 1.0
        else:
            raise ValueError(f"init_params {self.init_params!r} does not start from responsibilities.")
        return resp

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
        data = self._prepare(X, fitted=True)
        return self._log_joint(data, self._fitted_state(data))

    def _posterior_log(self, X, method):
        """ln w_j^(i) up to a per-row constant; a point no component can produce has no posterior."""
        L = self._weighted_log_prob(X, method)
        mx = L.max(axis=1, keepdims=True)
        impossible = ~np.isfinite(mx[:, 0])
        if impossible.any():
            raise ValueError(self._impossible_point_message(int(np.flatnonzero(impossible)[0])))
        L -= mx
        return L

    def _impossible_point_message(self, i: int) -> str:
        """The error for a point that has probability 0 under every component (a model may say why)."""
        return (
            f"Point {i} has probability 0 under every component of this {type(self).__name__}, so its "
            "responsibilities are undefined. Its score_samples value is -inf."
        )

    def score_samples(self, X):
        """ln p(x^(i); Theta) for every sample of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_prob : ndarray of shape (n_samples,)
        """
        return _logsumexp_rows(self._weighted_log_prob(X, "score_samples"))

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

        Raises
        ------
        ValueError
            For a point that has probability 0 under every component.
        """
        return self._posterior_log(X, "predict").argmax(axis=1)

    def predict_proba(self, X):
        """Responsibilities w_j^(i) = p(z^(i) = j | x^(i); Theta), computed with log-sum-exp.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        W : ndarray of shape (n_samples, n_components)
            Each row sums to 1.

        Raises
        ------
        ValueError
            For a point that has probability 0 under every component.
        """
        L = self._posterior_log(X, "predict_proba")
        np.exp(L, out=L)
        L /= L.sum(axis=1, keepdims=True)
        return L

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

    def _check_n_samples(self, n_samples):
        self._check_is_fitted()
        if not is_int(n_samples) or n_samples < 1:
            raise ValueError(
                f"Invalid value for 'n_samples': {n_samples!r}. The sampling requires at least one sample."
            )


def _logsumexp_rows(L):
    """ln sum_j exp(L_ij) for every row, with the largest term factored out (a row of -inf gives -inf)."""
    mx = L.max(axis=1)
    safe = np.where(np.isfinite(mx), mx, 0.0)
    with np.errstate(divide="ignore"):  # ln 0 = -inf is the right answer for a point no component can produce
        return safe + np.log(np.exp(L - safe[:, None]).sum(axis=1))
