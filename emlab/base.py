"""The EM driver shared by every mixture model in emlab (in the style of scikit-learn's ``BaseMixture``).

:class:`BaseMixture` writes the EM loop once: initialisation, the E- and M-step
calls, the stopping rule, ``n_init`` restarts, ``warm_start``, ``max_iter``, the
per-iteration ``history_`` and ``callback``, ``verbose`` output and the
convergence warning, plus the prediction methods and BIC/AIC. A model supplies
only what is specific to it (see :class:`BaseMixture` for the hooks), so a new
mixture is a short subclass. The scikit-learn estimator protocol lives in
:mod:`emlab._estimator`; SQUAREM and stepwise (online) EM around the same hooks
in :mod:`emlab._squarem_online`.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from time import perf_counter

import numpy as np

from ._estimator import ConvergenceWarning, EstimatorProtocol, NotFittedError, _with_sklearn_twin
from ._kmeans import kmeans_labels, kmeans_plusplus_indices
from ._squarem_online import SquaremOnlineEM
from ._validation import check_random_state, is_int, is_real, valid_random_state
from .history import HistoryRecorder

__all__ = ["BaseMixture", "ConvergenceWarning", "NotFittedError"]


class BaseMixture(EstimatorProtocol, SquaremOnlineEM):
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
