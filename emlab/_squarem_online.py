"""SQUAREM acceleration and stepwise (online) EM around any model's EM map, for :class:`emlab.base.BaseMixture`.

Both are optional: a model that supplies ``_pack``/``_unpack`` (its parameters as one unconstrained vector) gets
``accelerate="squarem"``; one that supplies the online hooks gets ``partial_fit``. The maths is in
:mod:`emlab.rate`; this module is the loop around it.
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import check_random_state, is_real
from .history import HistoryRecorder
from .rate import squarem_extrapolate, squarem_step_length, step_size, stepwise_update

__all__ = ["SquaremOnlineEM"]


class SquaremOnlineEM:
    """SQUAREM and stepwise EM for the EM driver (a mixin of :class:`emlab.base.BaseMixture`)."""

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
        if accelerate == "squarem" and type(self)._pack is SquaremOnlineEM._pack:
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
        recorder = HistoryRecorder(self._as_params(state, data) if getattr(self, "record_params", False) else None)
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

