"""Checker for notebook 07 (real data and model choice): BIC = -2 l + p ln m.

Notebook 07's second exercise (the total log-likelihood) uses :func:`check_log_likelihood`.
"""

from __future__ import annotations

import numpy as np

from ..core import log_joint
from ..core import log_likelihood as _ref_log_likelihood
from ..covariance import n_parameters
from ..params import GMMParams
from ._cases import data_params_cases, far_rows, log_joint_variants, summary, underflow_message
from ._harness import CheckResult, Fail, checker, close, diagnose_scalar, match, run_cases, scalar, versus, warn_note

__all__ = ["check_bic"]


def _bic(X, params: GMMParams) -> float:
    """BIC = -2 l(Theta) + p ln m, with l the total log-likelihood."""
    m = np.asarray(X).shape[0]
    return -2.0 * _ref_log_likelihood(X, params) + n_parameters(params.k, params.n) * np.log(m)


def _compare_bic(case, out):
    X, params = case.args
    out = scalar(out, case, "the BIC")
    ref = _bic(X, params)
    if close(out, ref):
        return
    vs = versus(out, ref, "BIC")
    rows = far_rows(X, params)
    if rows.size:
        raise Fail(underflow_message(case, X, params, rows, f"ln p(x) is lost ({vs})."))
    if not np.isfinite(out):
        raise Fail(
            f"on {case.label} {vs}. Compute l(Theta) in log space (densities multiplied in linear space "
            "underflow)." + warn_note(case),
            generic=True,
        )
    m = X.shape[0]
    k, n = params.k, params.n
    p = n_parameters(k, n)
    ll = _ref_log_likelihood(X, params)
    lj = log_joint(X, params)
    variants = [
        (
            -2 * ll / m + p * np.log(m),
            "you used the mean log-likelihood l / m; BIC uses the total l(Theta) = sum_i ln p(x^(i)).",
        ),
        (2 * ll - p * np.log(m), "the sign is flipped: BIC = -2 l + p ln m (lower is better)."),
        (-2 * ll + 2 * p, "that is the AIC (penalty 2 p); the BIC's penalty is p ln m."),
        (-ll + 0.5 * p * np.log(m), "you computed -l + (p/2) ln m, half the BIC; BIC = -2 l + p ln m."),
        (
            -2 * ll + p * np.log(n) if n > 1 else None,  # ln 1 = 0: the same as no penalty
            f"the penalty uses ln n, the number of features (n = {n}); BIC's penalty is "
            f"p ln m, with m = {m} the number of points.",
        ),
        (
            -2 * ll + p * np.log(k),
            f"the penalty uses ln k, the number of components (k = {k}); BIC's penalty is "
            f"p ln m, with m = {m} the number of points.",
        ),
        (-2 * ll + p * np.log10(m), "the penalty uses log10(m); BIC uses the natural log, p ln m."),
        (-2 * ll + p * m, "the penalty is p m; BIC's penalty is p ln m."),
        (-2 * ll + np.log(m), "the penalty is ln m, without the number of parameters p: BIC = -2 l + p ln m."),
        (
            -2 * ll + p * np.log(m * n) if n > 1 else None,
            f"the penalty uses ln(X.size) = ln(m n): m = X.shape[0] = {m} is the number of points, not of entries.",
        ),
        (
            -2 * float(lj.max(axis=1).sum()) + p * np.log(m),
            "l keeps only the largest term of each point (max_j "
            "instead of log-sum-exp): l = sum_i ln sum_j phi_j N(x^(i); mu_j, Sigma_j).",
        ),
    ]
    variants += [
        (-2 * float(np.logaddexp.reduce(v, axis=1).sum()) + p * np.log(m), "in l(Theta): " + msg)
        for v, msg in log_joint_variants(X, params)
    ]
    hint = match(out, variants)
    if hint:
        raise Fail(f"{hint} (On {case.label}: {vs}.)")
    counted = _penalty_count(out, ll, m, k, n, p)
    if counted:
        # With n = 1 feature several counting mistakes agree (and p ln n = 0 is no penalty): n >= 2 tells them apart.
        message, ambiguous = counted
        raise Fail(f"{message} (On {case.label}: {vs}.)", vague=ambiguous)
    diagnose_scalar(case, out, ref, "BIC", variants)


def _penalty_count(out, ll, m, k, n, p) -> tuple[str, bool] | None:
    """Name the parameter count the student used, when -2 l is right and only p is wrong.

    Returns the message and whether it is ambiguous on this case (two counting mistakes give the same p,
    as with n = 1 feature): a later case then tells them apart."""
    p_student = (out + 2 * ll) / np.log(m)
    ps = int(round(p_student))
    if ps == p or abs(p_student - ps) > 1e-6 * max(1.0, abs(p_student)):
        return None
    ndim = 2  # X.ndim of 2-D data: a common stand-in for n
    counts = [
        (p + 1, "You counted k mixing weights; they sum to 1, so only k - 1 are free."),
        (
            (k - 1) + k * n + k * n * n,
            "You counted all n^2 entries of each Sigma_j; it is symmetric, so only n(n+1)/2 are free.",
        ),
        ((k - 1) + 2 * k * n, "You counted only the diagonal of each Sigma_j (that is the 'diag' model)."),
        (
            (k - 1) + k * n + k * n * (n - 1) // 2,
            "You counted n(n-1)/2 entries per Sigma_j: with the diagonal it is n(n+1)/2.",
        ),
        ((k - 1) + k * n, "You left out the covariances: each Sigma_j has n(n+1)/2 free entries."),
        (k * n + k * n * (n + 1) // 2, "You left out the k - 1 free mixing weights."),
        (
            (k - 1) + k * ndim + k * ndim * (ndim + 1) // 2,
            f"You used n = X.ndim = 2, but these data have n = {n} feature{'s' if n > 1 else ''}: n = X.shape[1].",
        ),
        (0, "Your value has no penalty term at all."),
    ]
    reasons = [reason for count, reason in counts if count == ps]
    if not reasons:
        return None
    message = (
        f"the penalty counts p = {ps} free parameters, but a full-covariance mixture with k = {k}, n = {n} has "
        f"p = (k-1) + k n + k n(n+1)/2 = {p}. {reasons[0]}"
    )
    return message, len(reasons) > 1 or (ps == 0 and n == 1)


@checker("BIC")
def check_bic(fn) -> CheckResult:
    """Check ``fn(X, params) -> BIC = -2 l(Theta) + p ln m`` with p = (k-1) + k n + k n(n+1)/2.

    l(Theta) is the total log-likelihood and p the number of free parameters of a full-covariance
    Gaussian mixture (lower BIC is better).

    Parameters
    ----------
    fn : callable
        The student's function; ``X`` is (m,) or (m, n), ``params`` a GMMParams.

    Returns
    -------
    CheckResult
    """
    probs, cases = data_params_cases(many=True)
    run_cases(fn, cases, _compare_bic)
    return (
        f"matches BIC = -2 l + p ln m on {len(cases)} cases: {summary(probs)}; l is the total log-likelihood and "
        "p counts the free parameters."
    )
