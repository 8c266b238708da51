"""Checkers for notebook 02 (Jensen's inequality): the gap E_p[f(x)] - f(E_p[x]), and its ln version."""

from __future__ import annotations

import numpy as np

from ._harness import Case, CheckResult, Fail, checker, close, diagnose_scalar, labels, run_cases, scalar, warn_note

__all__ = ["check_jensen_gap", "check_log_jensen_gap"]


def _jensen_gap(f, x, p) -> float:
    """E_p[f(x)] - f(E_p[x]); points with p = 0 contribute nothing even where f is infinite."""
    x = np.asarray(x, dtype=float)
    p = np.asarray(p, dtype=float)
    support = p > 0
    return float(np.sum(p[support] * f(x[support])) - f(np.sum(p * x)))


def _log_jensen_gap(x, p) -> float:
    """ln E[x] - E[ln x] >= 0 for x > 0 (Jensen for the concave ln)."""
    x = np.asarray(x, dtype=float)
    p = np.asarray(p, dtype=float)
    support = p > 0
    return float(np.log(np.sum(p * x)) - np.sum(p[support] * np.log(x[support])))


def _cube_abs(t):
    return np.abs(t) ** 3


def _jensen_cases():
    rng = np.random.default_rng(2)
    xr = rng.normal(0.0, 2.0, 50)
    pr = rng.dirichlet(np.ones(50))
    names = ("f", "x", "p")
    return [
        Case("f(x) = x^2, x = (1, 4), p = (0.3, 0.7)", (np.square, np.array([1.0, 4.0]), np.array([0.3, 0.7])), names),
        Case(
            "f = exp, x = (-1, 0, 2), p = (0.2, 0.5, 0.3)",
            (np.exp, np.array([-1.0, 0.0, 2.0]), np.array([0.2, 0.5, 0.3])),
            names,
        ),
        Case(
            "f = ln (concave, so the gap is negative), x = (1, 4), p = (1/2, 1/2)",
            (np.log, np.array([1.0, 4.0]), np.array([0.5, 0.5])),
            names,
        ),
        Case(
            "a point mass p = (0, 1, 0), where the gap is 0",
            (np.square, np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.0])),
            names,
        ),
        Case(
            "p with a zero where f is infinite (f = ln, x = (0, 1, 4), p = (0, 1/2, 1/2))",
            (np.log, np.array([0.0, 1.0, 4.0]), np.array([0.0, 0.5, 0.5])),
            names,
        ),
        Case("50 random points with f(x) = |x|^3", (_cube_abs, xr, pr), names),
    ]


def _compare_jensen(case, out):
    f, x, p = case.args
    out = scalar(out, case, "the number E_p[f(x)] - f(E_p[x])")
    ref = _jensen_gap(f, x, p)
    if close(out, ref):
        return
    if not np.isfinite(out) and np.any(p == 0):
        raise Fail(
            f"on {case.label} your function returned {out}. A point with p = 0 must contribute nothing, but f is "
            "-inf there (ln 0) and 0 * (-inf) = NaN. Sum only over the points with p > 0 (mask = p > 0)."
            + warn_note(case)
        )
    keep = p > 0
    Ef = float(np.sum(p[keep] * f(x[keep])))
    Ex = float(np.sum(p * x))
    concave = f is np.log
    variants = [
        (
            -ref,
            "you returned |gap| or the gap with its sign forced: for a concave f such as ln the gap "
            "E_p[f(x)] - f(E_p[x]) is negative; do not take abs() or flip it."
            if concave
            else "the sign is flipped: you computed f(E[x]) - E[f(x)]. The gap is E_p[f(x)] - f(E_p[x]), >= 0 for a "
            "convex f.",
        ),
        (
            0.0 if ref != 0 else None,
            "the gap came out as 0: E_p[f(x)] and f(E_p[x]) came out the same, so one of them "
            "is computed like the other (or the gap is clipped at 0 with max(0, ...), which hides a negative gap for "
            "a concave f). E_p[f(x)] = sum_i p_i f(x_i); f(E_p[x]) = f(sum_i p_i x_i).",
        ),
        (
            float(np.mean(f(x[keep])) - f(np.mean(x))) if keep.all() else None,
            "you averaged without the weights p (plain means). Use E_p[x] = sum_i p_i x_i and E_p[f(x)] = "
            "sum_i p_i f(x_i).",
        ),
        (Ef - float(f(np.mean(x))), "f(E_p[x]) uses the plain mean of x: E_p[x] = sum_i p_i x_i, weighted by p."),
        (
            float(np.mean(f(x[keep]))) - float(f(Ex)) if keep.all() else None,
            "E_p[f(x)] is the plain mean of f(x): weight it by p, sum_i p_i f(x_i).",
        ),
        (
            (Ef - float(f(Ex))) / len(x),
            "you used np.mean(p * ...), which divides the weighted sum by the number of "
            "points: an expectation under p is the sum sum_i p_i f(x_i), with no division.",
        ),
        (Ex - float(f(Ex)), "the first term is E_p[x]: f is missing. The gap is E_p[f(x)] - f(E_p[x])."),
        (Ef - Ex, "the second term is E_p[x]: f is missing. The gap is E_p[f(x)] - f(E_p[x])."),
        (Ef, "you returned E_p[f(x)] alone: subtract f(E_p[x])."),
        (float(f(Ex)), "you returned f(E_p[x]) alone: the gap is E_p[f(x)] - f(E_p[x])."),
        (
            float(np.sum(f(p[keep] * x[keep]))) - float(f(Ex)),
            "E_p[f(x)] is sum_i p_i f(x_i): you applied f to p_i x_i instead.",
        ),
        (Ef - float(f(np.sum(x))), "f(E_p[x]) needs the weighted mean sum_i p_i x_i, not the plain sum of x."),
    ]
    for name, g in (("np.exp", np.exp), ("np.square", np.square)):
        if f is not g:
            hard = f"you used a fixed function ({name}) instead of the f you were given: call f(x) and f(E_p[x])."
            variants += [(float(p @ g(x)) - float(g(Ex)), hard), (float(p @ g(x)) - float(f(Ex)), hard)]
    diagnose_scalar(case, out, ref, "E_p[f(x)] - f(E_p[x])", variants, generic=False)


@checker("E_p[f(x)] - f(E_p[x])")
def check_jensen_gap(jensen_gap) -> CheckResult:
    """Check ``jensen_gap(f, x, p) -> E_p[f(x)] - f(E_p[x])``.

    ``x`` and ``p`` are 1-D arrays of the same length, ``p`` a probability vector that may contain
    zeros; ``f`` is a vectorised function such as ``np.square``, ``np.exp`` or ``np.log``. A point
    with ``p = 0`` must contribute nothing even where ``f`` is infinite.

    Parameters
    ----------
    jensen_gap : callable
        The student's function.

    Returns
    -------
    CheckResult
    """
    cases = _jensen_cases()
    run_cases(jensen_gap, cases, _compare_jensen)
    return f"matches E_p[f(x)] - f(E_p[x]) on {len(cases)} cases ({labels(cases)})."


def _log_jensen_cases():
    rng = np.random.default_rng(3)
    xr = np.exp(rng.uniform(np.log(1e-6), np.log(1e6), 40))
    pr = rng.dirichlet(np.ones(40))
    names = ("x", "p")
    return [
        Case("x = (1, 4), p = (0.3, 0.7)", (np.array([1.0, 4.0]), np.array([0.3, 0.7])), names),
        Case("x = (0.5, 2, 8), p = (0.2, 0.3, 0.5)", (np.array([0.5, 2.0, 8.0]), np.array([0.2, 0.3, 0.5])), names),
        Case("a point mass p = (0, 1), where the gap is 0", (np.array([3.0, 7.0]), np.array([0.0, 1.0])), names),
        Case(
            "p with zeros, x = (1, 10, 100, 1000), p = (0, 1/2, 1/2, 0)",
            (np.array([1.0, 10.0, 100.0, 1000.0]), np.array([0.0, 0.5, 0.5, 0.0])),
            names,
        ),
        Case("40 points spread from 1e-6 to 1e6", (xr, pr), names),
    ]


def _compare_log_jensen(case, out):
    x, p = case.args
    out = scalar(out, case, "the number ln E[x] - E[ln x]")
    ref = _log_jensen_gap(x, p)
    if close(out, ref):
        return
    Ex = float(p @ x)
    Elog = float(p @ np.log(x))
    variants = [
        (
            -ref,
            "the sign is flipped: you computed E[ln x] - ln E[x], which is <= 0. Because ln is concave, "
            "ln E[x] >= E[ln x], so the gap ln E[x] - E[ln x] is >= 0.",
        ),
        (
            0.0 if ref != 0 else None,
            "the gap came out as 0: ln E[x] and E[ln x] came out the same, so one is computed like "
            "the other. ln E[x] = ln(sum_i p_i x_i); E[ln x] = sum_i p_i ln x_i.",
        ),
        (
            float(np.log(np.mean(x)) - np.mean(np.log(x))),
            "you averaged without the weights p (plain means). Use "
            "E[x] = sum_i p_i x_i and E[ln x] = sum_i p_i ln x_i.",
        ),
        (ref / np.log(10.0), "you used log10; the course uses the natural log ln (np.log)."),
        (ref / np.log(2.0), "you used log2; the course uses the natural log ln (np.log)."),
        (
            ref / len(x),
            "you used np.mean(p * ...), which divides the weighted sum by the number of points: an "
            "expectation under p is a plain sum sum_i p_i (...).",
        ),
        (float(np.log(Ex)), "you returned ln E[x] alone: subtract E[ln x] = sum_i p_i ln x_i."),
        (-Elog, "the first term is missing: the gap is ln E[x] - E[ln x]."),
        (Ex - Elog, "the first term is E[x]: take its log, ln E[x] - E[ln x]."),
        (
            float(np.log(Ex) - np.sum(np.log(p[p > 0] * x[p > 0]))),
            "E[ln x] is sum_i p_i ln x_i: you took ln(p_i x_i) instead.",
        ),
        (float(np.log(Ex) - np.log(Elog)) if Elog > 0 else None, "the second term is E[ln x], not ln E[ln x]."),
        (float(np.log(np.sum(x)) - Elog), "ln E[x] needs the weighted mean sum_i p_i x_i, not the plain sum of x."),
        (
            float(np.log(Ex) - np.sum(x[p > 0] * np.log(p[p > 0]))),
            "E[ln x] is sum_i p_i ln x_i: you swapped p and x (sum_i x_i ln p_i).",
        ),
        (float(np.log(Ex) - np.mean(np.log(x))), "E[ln x] uses the plain mean of ln x: weight it by p."),
        (float(np.log(np.mean(x)) - Elog), "ln E[x] uses the plain mean of x: E[x] = sum_i p_i x_i, weighted by p."),
    ]
    diagnose_scalar(case, out, ref, "ln E[x] - E[ln x]", variants, generic=False)


@checker("ln E[x] - E[ln x]")
def check_log_jensen_gap(fn) -> CheckResult:
    """Check ``fn(x, p) -> ln E_p[x] - E_p[ln x]`` for x > 0 (the gap of Jensen's inequality for ln).

    Parameters
    ----------
    fn : callable
        The student's function; ``x`` and ``p`` are 1-D arrays, ``p`` may contain zeros.

    Returns
    -------
    CheckResult
    """
    cases = _log_jensen_cases()
    run_cases(fn, cases, _compare_log_jensen)
    return f"matches ln E[x] - E[ln x] on {len(cases)} cases ({labels(cases)})."
