"""The record of an EM run: one schema for every loop in emlab that keeps its iterates.

Iteration t (t = 1..T) takes Theta^(t-1) to Theta^(t). For each t the history holds

- ``elbo_after_e[t-1]``: L(q^(t), Theta^(t-1)) after the E-step, equal to l(Theta^(t-1));
- ``elbo_after_m[t-1]``: L(q^(t), Theta^(t)) after the M-step;
- ``log_likelihood[t-1]``: l(Theta^(t));
- ``kl_after_m[t-1]``: KL(q^(t) || p(z | x; Theta^(t))) = l(Theta^(t)) - L(q^(t), Theta^(t)) >= 0;
- ``params[t]`` (when parameters are recorded): Theta^(t), with ``params[0]`` the start.

For a model with a prior (MAP-EM) the same keys hold the log-posterior and its bound.
"""

from __future__ import annotations

import numpy as np

__all__ = ["HISTORY_KEYS", "EMHistory", "HistoryRecorder"]

HISTORY_KEYS = ("log_likelihood", "elbo_after_e", "elbo_after_m", "kl_after_m")


class EMHistory(dict):
    """A dict of per-iteration arrays with the keys :data:`HISTORY_KEYS` (and ``"params"`` if recorded)."""

    @property
    def trace(self) -> np.ndarray:
        """l(Theta^(0)), l(Theta^(1)), ..., l(Theta^(T)): the start followed by ``log_likelihood``."""
        return np.concatenate([self["elbo_after_e"][:1], self["log_likelihood"]])

    @property
    def n_iter(self) -> int:
        """Number T of completed EM iterations."""
        return len(self["log_likelihood"])


class HistoryRecorder:
    """Builds an :class:`EMHistory` as an EM loop runs.

    An EM loop calls :meth:`m_step_done` after each M-step and :meth:`likelihood_known` once
    l(Theta^(t)) is known (usually from the next E-step, which computes it anyway).

    Parameters
    ----------
    start : object or None
        Theta^(0) to keep as ``params[0]``; None records no parameters.
    """

    def __init__(self, start=None):
        self._h = {key: [] for key in HISTORY_KEYS}
        self._params = None if start is None else [start]

    @property
    def records_params(self) -> bool:
        return self._params is not None

    def m_step_done(self, log_lik_before: float, elbo_after_m: float, params=None) -> None:
        """Iteration t: the E-step at Theta^(t-1) made the bound equal l(Theta^(t-1)); the M-step raised it."""
        self._h["elbo_after_e"].append(float(log_lik_before))
        self._h["elbo_after_m"].append(float(elbo_after_m))
        if self._params is not None:
            self._params.append(params)

    def likelihood_known(self, log_lik: float) -> dict:
        """Complete iteration t with l(Theta^(t)); return its record (the keys of HISTORY_KEYS)."""
        h = self._h
        # KL >= 0, so L <= l; an ELBO above l by round-off is clipped to l.
        elbo_m = min(h["elbo_after_m"][-1], float(log_lik))
        h["elbo_after_m"][-1] = elbo_m
        h["log_likelihood"].append(float(log_lik))
        h["kl_after_m"].append(float(log_lik) - elbo_m)
        return {key: h[key][-1] for key in HISTORY_KEYS}

    @property
    def last_params(self):
        return None if self._params is None else self._params[-1]

    def result(self) -> EMHistory:
        out = EMHistory((key, np.asarray(self._h[key], dtype=float)) for key in HISTORY_KEYS)
        if self._params is not None:
            out["params"] = list(self._params)
        return out
