"""Checker for notebook 06 (GMM in practice): the loop M-step that also sees the old parameters.

Notebook 06's second exercise (an E-step that survives far points) uses :func:`check_e_step`.
"""

from __future__ import annotations

import numpy as np

from ..core import e_step as _ref_e_step
from ..params import GMMParams
from ._cases import mixture_case, problems
from ._harness import CheckResult, checker, run_cases
from .gmm_derivations import compare_m_step

__all__ = ["check_loop_m_step"]


def _loop_cases():
    rng = np.random.default_rng(6)
    # The course's 2-D example: 20 points near (0, 3), 50 near (20, 10), started away from both.
    Xc = np.vstack(
        [
            rng.multivariate_normal([0.0, 3.0], np.diag([0.5, 0.8]), 20),
            rng.multivariate_normal([20.0, 10.0], np.eye(2), 50),
        ]
    )
    oldc = GMMParams(phi=[0.5, 0.5], mu=[[5.0, 5.0], [15.0, 8.0]], Sigma=[np.eye(2) * 20.0, np.eye(2) * 20.0])
    cases = []
    for p in problems(far=False, tiny=False):
        if p.n == 2 and p.k == 2:
            X, old, label = Xc, oldc, "the 2-D course example (m = 70, k = 2)"
        else:
            X, label = p.X, p.label
            shift = rng.normal(0.0, 1.0, p.params.mu.shape)
            phi = np.linspace(1.0, 2.0, p.k) / np.linspace(1.0, 2.0, p.k).sum()
            old = GMMParams(phi=phi, mu=p.params.mu + shift, Sigma=p.params.Sigma * 1.5)
        W = _ref_e_step(X, old)
        W.flags.writeable = False
        case = mixture_case(
            f"W from an E-step at the old parameters, {label}", (X, W, old), ("X", "W", "old_params"), p
        )
        cases.append(case)
    return cases


def _compare_loop(case, out):
    compare_m_step(case, out, old_params=case.args[2])


@checker("loop M-step")
def check_loop_m_step(fn) -> CheckResult:
    """Check ``fn(X, W, old_params) -> GMMParams`` (or ``(phi, mu, Sigma)``): an M-step that also sees Theta^(t).

    For the "fix the loop implementation" exercise: the widely copied loop code has the previous
    parameters at hand and centres Sigma_j on the OLD mean. Here ``W = e_step(X, old_params)`` and
    the answer must be the exact M-step, ``m_step(X, W)``; a Sigma centred on ``old_params.mu``, and
    parameters left at their old values, are recognised and named.

    Parameters
    ----------
    fn : callable
        The student's function ``fn(X, W, old_params)``; ``old_params`` is a GMMParams.

    Returns
    -------
    CheckResult
    """
    cases = _loop_cases()
    run_cases(fn, cases, _compare_loop)
    return (
        f"matches the exact M-step on {len(cases)} cases (n = 1, 2 and 3 features, k = 1, 2 and 3 components, "
        "including the course's 2-D example), with Sigma centred on the new mean, not the old one."
    )
