"""Checkers for notebook 03 (the EM algorithm): the E-step and the log-likelihood, in log space.

notebook 06 (an E-step that survives far points) and notebook 07 (the total log-likelihood) reuse them.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

from ..core import e_step as _ref_e_step
from ..core import log_joint
from ..core import log_likelihood as _ref_log_likelihood
from ._cases import (
    LOG_TINY,
    data_params_cases,
    far_rows,
    log_joint_variants,
    summary,
    underflow_message,
)
from ._harness import (
    ATOL,
    KEEPDIMS,
    RTOL,
    CheckResult,
    Fail,
    checker,
    close,
    match,
    numeric,
    run_cases,
    scalar,
    versus,
    versus_arrays,
    warn_note,
)

__all__ = ["check_e_step", "check_log_likelihood"]

EPSILON_PHI = (
    "a small epsilon on phi (np.log(phi + 1e-10), np.maximum(phi, eps), np.clip) changes the answer: "
    "next to phi_j = 1e-12 or phi_j = 0 the epsilon is not small. Write ln phi_j = -inf for phi_j = 0, without "
    "np.log's warning: np.log(phi, out=np.full_like(phi, -np.inf), where=phi > 0)."
)


def _posterior(lj, axis=1):
    return np.exp(lj - logsumexp(lj, axis=axis, keepdims=True))


def _close_w(W, ref) -> bool:
    """Close in absolute terms, and every responsibility above 1e-250 to 1e-6 relative (a weight of
    1e-12 made 100 times too large is a real mistake, though it is 1e-10 in absolute terms)."""
    if not close(W, ref):
        return False
    big = ref > 1e-250
    return bool(np.allclose(W[big], ref[big], rtol=1e-6, atol=0) and np.all(np.abs(W[~big]) <= 1e-200))


def _small_weight_epsilon(W, ref, params) -> str | None:
    """The diagnosis when only the components with phi_j <= 1e-10 get too much responsibility."""
    small = np.flatnonzero(params.phi <= 1e-10)
    if small.size == 0:
        return None
    rest = np.setdiff1d(np.arange(params.k), small)
    j = int(small[0])
    too_big = np.any(W[:, small] > 2 * ref[:, small] + 1e-300)
    if not too_big or W[:, rest].sum() > ref[:, rest].sum() + 1e-9 * W.shape[0]:
        return None
    i = int(np.argmax(W[:, j] - ref[:, j]))
    return (
        f"the component with phi_{j + 1} = {params.phi[j]:.3g} gets too much responsibility: at row {i} you gave it "
        f"w = {W[i, j]:.3g} where the posterior is {ref[i, j]:.3g}. " + EPSILON_PHI[0].upper() + EPSILON_PHI[1:]
    )


def _compare_e_step(case, out):
    X, params = case.args
    W = numeric(out, case, "the responsibilities W of shape (m, k)")
    ref = _ref_e_step(X, params)
    m, k = ref.shape
    lj = log_joint(X, params)
    if W.shape != ref.shape:
        if W.shape == (k, m):
            raise Fail(
                f"W has shape {W.shape} on {case.label}: it is transposed. W must be (m, k) = ({m}, {k}): "
                "one row per point, one column per component."
            )
        if W.shape == (m,):
            raise Fail(
                f"your function returned one value per point (shape ({m},)) on {case.label}. The E-step "
                f"returns the soft responsibilities, one column per component: shape (m, k) = ({m}, {k})."
            )
        if W.shape == (m, m):
            raise Fail(f"W has shape ({m}, {m}) on {case.label}, not (m, k) = ({m}, {k}). This is " + KEEPDIMS)
        raise Fail(f"W has shape {W.shape} on {case.label}, but it must be (m, k) = ({m}, {k}).", generic=True)
    if not np.all(np.isfinite(W)):
        rows = far_rows(X, params)
        bad = np.flatnonzero(~np.all(np.isfinite(W), axis=1))
        if rows.size and np.isin(bad, rows).any():
            raise Fail(underflow_message(case, X, params, np.intersect1d(bad, rows), "the normalisation is 0/0 = NaN."))
        raise Fail(f"W contains NaN or inf on {case.label} (first in row {bad[0]})." + warn_note(case), generic=True)
    if _close_w(W, ref):
        return
    rows = far_rows(X, params)
    bad = np.flatnonzero(~np.isclose(W, ref, rtol=RTOL, atol=ATOL).all(axis=1))
    far_bad = np.intersect1d(bad, rows)
    if far_bad.size and not np.setdiff1d(bad, rows).size:
        i = int(far_bad[0])
        raise Fail(
            underflow_message(
                case,
                X,
                params,
                far_bad,
                f"its row cannot be normalised ({versus_arrays(W[i], ref[i], 'the posterior is')}).",
            )
        )
    pre_variants = [
        (
            np.exp(lj),
            "the rows of W do not sum to 1: you returned phi_j N(x^(i); mu_j, Sigma_j) without normalising. Divide "
            "each row by its sum over the components (in log space: subtract logsumexp over axis=1).",
        ),
        (
            _posterior(lj, axis=0) if k > 1 else None,
            "the rows of W do not sum to 1: you normalised over the wrong axis (each column sums to 1). Normalise "
            "each row, i.e. over the components j (axis=1), not over the points.",
        ),
        (
            lj - logsumexp(lj, axis=1, keepdims=True),
            "you returned ln w_j^(i), the log-responsibilities; exponentiate them (np.exp) so the rows sum to 1.",
        ),
        (np.exp(lj - logsumexp(lj, axis=1)) if m == k else None, "the rows of W do not sum to 1: " + KEEPDIMS),
        (
            np.exp(lj - lj.max(axis=1)) / np.exp(lj - lj.max(axis=1)).sum(axis=1) if m == k else None,
            "the rows of W do not sum to 1: " + KEEPDIMS,
        ),
    ]
    hint = match(W, pre_variants)
    if hint:
        raise Fail(f"{hint} (Seen on {case.label}.)")
    hint = _small_weight_epsilon(W, ref, params)
    if hint:
        raise Fail(f"{hint} (Seen on {case.label}.)")
    row_sums = W.sum(axis=1)
    if not np.allclose(row_sums, 1.0, rtol=0, atol=1e-6):
        i = int(np.argmax(np.abs(row_sums - 1.0)))
        raise Fail(
            f"the rows of W do not sum to 1 on {case.label}: row {i} sums to {row_sums[i]:.6g}. Each row is a "
            "distribution over the components: w_j^(i) = phi_j N_j / sum_l phi_l N_l."
        )
    if k > 1 and np.all(np.isin(W, (0.0, 1.0))):
        raise Fail(
            f"you returned hard 0/1 assignments on {case.label}; the E-step gives soft responsibilities "
            "w_j^(i) = p(z^(i) = j | x^(i)), which are between 0 and 1."
        )
    variants = [(_posterior(v), msg) for v, msg in log_joint_variants(X, params, constants=False)]
    hint = match(W, variants)
    if hint:
        raise Fail(f"{hint} (Seen on {case.label}.)")
    err = np.abs(W - ref)
    i, j = np.unravel_index(int(np.argmax(err)), err.shape)
    raise Fail(
        f"W differs from the posterior on {case.label}: the largest difference is at row {i}, column {j} "
        f"({versus_arrays(W[i, j], ref[i, j], 'the posterior is')})." + warn_note(case),
        generic=True,
    )


@checker("E-step")
def check_e_step(fn) -> CheckResult:
    """Check ``fn(X, params) -> W`` of shape (m, k): the responsibilities w_j^(i) = p(z^(i) = j | x^(i)).

    Parameters
    ----------
    fn : callable
        The student's E-step; ``X`` is (m,) for 1-D data or (m, n); ``params`` a GMMParams.

    Returns
    -------
    CheckResult
    """
    probs, cases = data_params_cases(zero_phi=True)
    run_cases(fn, cases, _compare_e_step)
    return (
        f"matches the reference E-step on {len(cases)} cases: {summary(probs)}; every row sums to 1 and nothing "
        "underflows far from the components."
    )


def _compare_log_likelihood(case, out):
    X, params = case.args
    out = scalar(out, case, "the total log-likelihood l(Theta)")
    ref = _ref_log_likelihood(X, params)
    if close(out, ref):
        return
    lj = log_joint(X, params)
    m, k = lj.shape
    vs = versus(out, ref, "l(Theta)")
    rows = far_rows(X, params)
    if rows.size and np.isfinite(out) and close(out, float(lj.max(axis=1).sum())):
        raise Fail(
            f"you kept only the largest term of each point: max_j a_ij instead of ln sum_j e^(a_ij) (on "
            f"{case.label}: {vs}). That is right only when one component has all the posterior mass; use "
            "logsumexp(a, axis=1), which subtracts the maximum and keeps the other terms."
        )
    if rows.size:
        near = np.setdiff1d(np.arange(m), rows)
        ref_near = float(logsumexp(lj[near], axis=1).sum())
        raise Fail(
            underflow_message(case, X, params, rows, f"ln p(x) is lost ({vs}; the other points give {ref_near:.6g}).")
        )
    if not np.isfinite(out):
        if ref < LOG_TINY:
            raise Fail(
                f"densities multiplied in linear space: on {case.label} the likelihood prod_i p(x^(i)) = exp(l) = "
                f"exp({ref:.6g}) underflows to 0, and ln 0 = -inf. Work in log space: add up l = sum_i ln p(x^(i)), "
                "each ln p(x^(i)) from logsumexp over the components." + warn_note(case)
            )
        raise Fail(f"on {case.label} {vs}." + warn_note(case), generic=True)
    if "zero_phi" in case.tags and out > ref:
        raise Fail(
            f"the component with phi_j = 0 still contributes on {case.label} ({vs}): a point sits on that component, "
            "so any density it gets there shows. " + EPSILON_PHI[0].upper() + EPSILON_PHI[1:]
        )
    variants = [
        (
            ref / m,
            f"a mean instead of a total: you returned l / m (m = {m}). l(Theta) is the total sum_i ln p(x^(i)); "
            "do not divide by the number of points.",
        ),
        (-ref, "the sign is flipped: l(Theta) = sum_i ln p(x^(i)) is negative here."),
        (ref / np.log(10.0), "you used log10; the course uses the natural log ln (np.log)."),
        (
            float(logsumexp(lj, axis=0).sum()) if k > 1 else None,
            "summed over the wrong axis: for each point, log-sum-exp runs over the components j (axis=1); then "
            "add up the points.",
        ),
        (
            float(lj.sum()) if k > 1 else None,
            "the sum over the components must sit inside the log: l = sum_i ln sum_j phi_j N(...), not "
            "sum_i sum_j ln(phi_j N(...)).",
        ),
        (
            ref - m * np.log(k) if k > 1 else None,
            "you averaged over the components (a mean inside the log): p(x) = sum_j phi_j N(x; mu_j, Sigma_j), a "
            "sum; the weights phi_j already do the averaging.",
        ),
        (
            float(lj.max(axis=1).sum()) if k > 1 else None,
            "you kept only the largest term of each point: max_j a_ij instead of ln sum_j e^(a_ij). Use "
            "logsumexp(a, axis=1).",
        ),
    ]
    if k in (1, m):
        a_max = lj.max(axis=1)
        variants.append((float(np.sum(a_max + np.log(np.exp(lj - a_max).sum(axis=1)))), KEEPDIMS))
        variants.append((float(np.sum(logsumexp(lj, axis=1)[:, None] * np.ones(k))) if k > 1 else None, KEEPDIMS))
    variants += [(float(logsumexp(v, axis=1).sum()), msg) for v, msg in log_joint_variants(X, params)]
    hint = match(out, variants)
    if hint:
        raise Fail(f"{hint} (On {case.label}: {vs}.)")
    raise Fail(f"on {case.label} {vs}." + warn_note(case), generic=True)


@checker("log-likelihood")
def check_log_likelihood(fn) -> CheckResult:
    """Check ``fn(X, params) -> l(Theta) = sum_i ln sum_j phi_j N(x^(i); mu_j, Sigma_j)`` (a total).

    Parameters
    ----------
    fn : callable
        The student's function; ``X`` is (m,) for 1-D data or (m, n); ``params`` a GMMParams.

    Returns
    -------
    CheckResult
    """
    probs, cases = data_params_cases(many=True, zero_phi=True)
    run_cases(fn, cases, _compare_log_likelihood)
    return (
        f"matches the reference log-likelihood, a total over the points, on {len(cases)} cases: {summary(probs)} "
        "(where a product of densities would underflow)."
    )
