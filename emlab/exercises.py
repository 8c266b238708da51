"""Exercise checkers: run a student's function against the reference and say, in words, what is wrong.

Every ``check_*`` function takes the student's function itself (not its result), calls it on several
prepared cases -- 1-D and 2-D data, k = 1, 2 and 3, a tiny mixing weight, a point 1000 standard
deviations from every component, responsibilities with exact zeros -- and returns a
:class:`CheckResult`. When the answer is wrong, the checker compares it with the usual mistakes
(rows that do not sum to 1, underflow in linear space, Sigma centred on the old mean, a missing
division by N_j, a sum over the wrong axis, a mean instead of a total, ...) and names the one it
recognises.

A checker never raises: a stub that raises ``NotImplementedError`` gets "Not implemented yet", any
other exception is reported by name. Messages contain no memory addresses and print numbers with six
significant digits, so stored notebook outputs are reproducible.

=======================  ===============================================================
checker                  the student's function
=======================  ===============================================================
check_jensen_gap         ``jensen_gap(f, x, p) -> E_p[f(x)] - f(E_p[x])`` (p may have zeros)
check_log_jensen_gap     ``fn(x, p) -> ln E[x] - E[ln x]`` (x > 0)
check_log_likelihood     ``fn(X, params) -> l(Theta)``, a total over the points
check_e_step             ``fn(X, params) -> W`` of shape (m, k)
check_elbo               ``fn(X, W, params) -> L(q, Theta)``, a total
check_kl_divergence      ``fn(q, p) -> KL(q || p)``, summed over every entry
check_m_step             ``fn(X, W) -> GMMParams`` or ``(phi, mu, Sigma)``, no reg_covar
check_loop_m_step        ``fn(X, W, old_params) -> GMMParams`` or ``(phi, mu, Sigma)``
check_phi_update         ``fn(W) -> phi`` of shape (k,)
check_bic                ``fn(X, params) -> -2 l + p ln m``, p = (k-1) + k n + k n(n+1)/2
=======================  ===============================================================

``X`` is (m,) for 1-D data or (m, n); ``params`` is a :class:`~emlab.params.GMMParams`. For 1-D
data an M-step may return ``mu`` of shape (k,) and ``Sigma`` as (k,) variances.

Examples
--------
>>> from emlab import exercises
>>> def e_step(X, params):
...     raise NotImplementedError
>>> result = exercises.check_e_step(e_step)
>>> result.passed
False
>>> result.message.startswith("Not implemented yet")
True
"""

from __future__ import annotations

import functools
import re
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from scipy.special import logsumexp, rel_entr

from .core import e_step as _ref_e_step
from .core import elbo as _ref_elbo
from .core import kl_divergence as _ref_kl
from .core import log_joint as _ref_log_joint
from .core import log_likelihood as _ref_log_likelihood
from .core import m_step as _ref_m_step
from .covariance import n_parameters
from .params import GMMParams

__all__ = [
    "CheckResult",
    "check_jensen_gap",
    "check_log_jensen_gap",
    "check_log_likelihood",
    "check_e_step",
    "check_elbo",
    "check_kl_divergence",
    "check_m_step",
    "check_loop_m_step",
    "check_phi_update",
    "check_bic",
]

# A correct answer may differ from the reference by round-off only (a different but exact
# formula, e.g. an explicit inverse instead of a Cholesky solve): well below these tolerances.
_RTOL = 1e-7
_ATOL = 1e-9
# Below ln(tiny) ~ -708 a density is subnormal or exactly 0 in float64: linear space breaks there.
_LOG_TINY = float(np.log(np.finfo(float).tiny))


class CheckResult:
    """The verdict of a checker: ``passed`` and a ``message`` in words.

    ``bool(result)`` is ``result.passed``; the repr is the message, so a notebook cell that ends
    with a checker call shows the feedback as plain text.

    Attributes
    ----------
    passed : bool
        True when the student's function matched the reference on every case.
    message : str
        What was checked (on success) or what is wrong and how to fix it.
    """

    __slots__ = ("passed", "message")

    def __init__(self, passed: bool, message: str):
        self.passed = bool(passed)
        self.message = str(message)

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return self.message

    __str__ = __repr__


# --------------------------------------------------------------------------------------------------
# Machinery shared by the checkers
# --------------------------------------------------------------------------------------------------


class _Fail(Exception):
    """Raised inside a checker to stop at the first problem; carries the message in words.

    ``vague`` marks a diagnosis that a later case may sharpen (e.g. a 1-D Sigma that is too large
    could be centred elsewhere or mis-normalised; a 2-D case tells which). ``generic`` marks a message
    that only reports a wrong value, shape or exception without naming a mistake: only such a message
    gets the "it passed the 1-D case, check 2-D data" pointer (a named mistake, such as 0 ln 0 = NaN,
    already explains the failure, and the pointer would send the student the wrong way).
    """

    def __init__(self, message: str, vague: bool = False, generic: bool = False):
        super().__init__(message)
        self.vague = vague
        self.generic = generic


class _NotImplemented(Exception):
    """The student's function raised NotImplementedError."""


@dataclass
class _Case:
    label: str
    args: tuple
    warned: list = field(default_factory=list)
    # True when args[0] is the data X (m,) or (m, n): a crash on 1-D X then gets the reshape hint.
    takes_X: bool = False


def _with_X(cases):
    """Mark cases whose first argument is the data X."""
    for case in cases:
        case.takes_X = True
    return cases


def _num(v) -> str:
    v = float(v)
    if np.isnan(v):
        return "NaN"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return f"{v:.6g}"


def _arr(a) -> str:
    return np.array2string(
        np.asarray(a, dtype=float), formatter={"float_kind": _num}, separator=", ", threshold=10, edgeitems=2
    )


def _clean(exc: BaseException) -> str:
    # Object reprs can carry memory addresses; strip them so messages are reproducible.
    text = re.sub(r" at 0x[0-9a-fA-F]+", "", str(exc))
    return text if len(text) <= 300 else text[:297] + "..."


def _warn_note(case: _Case) -> str:
    if not case.warned:
        return ""
    return f" (numpy also warned: {'; '.join(case.warned[:2])}.)"


def _call(fn, case: _Case):
    """Call the student's function on copies of the case's arguments, catching everything."""
    args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in case.args)
    # Record warnings instead of printing them (or raising them, under filterwarnings=error):
    # they are clues for the diagnosis, not output for the notebook.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(divide="warn", over="warn", invalid="warn", under="ignore"):
            try:
                out = fn(*args)
            except NotImplementedError:
                raise _NotImplemented from None
            except Exception as exc:
                hint = ""
                X = case.args[0] if case.takes_X else None
                if "read-only" in str(exc):
                    hint = " Do not modify the inputs in place: work on a copy (e.g. X = X.copy())."
                elif np.ndim(X) == 1 and isinstance(exc, (ValueError, IndexError, TypeError)):
                    # The usual cause: `m, n = X.shape` or X[:, j] on data of shape (m,).
                    hint = (
                        f" This case has X of shape {np.shape(X)} (1-D data); start your function with "
                        "X = np.asarray(X).reshape(len(X), -1)."
                    )
                elif isinstance(exc, (IndexError, ValueError)) and ("shape" in str(exc) or "index" in str(exc)):
                    hint = (
                        " Check the shapes: X is (m,) for 1-D data or (m, n), W is (m, k), params.mu is (k, n) "
                        "and params.Sigma is (k, n, n)."
                    )
                text = _clean(exc).rstrip(".")
                raise _Fail(
                    f"your function raised {type(exc).__name__} on {case.label}: {text}.{hint}", generic=True
                ) from None
    for w in caught:
        msg = str(w.message)
        if msg not in case.warned:
            case.warned.append(msg)
    return out


def _checker(noun: str):
    """Wrap a checker body so that it never raises and always returns a CheckResult."""

    def decorate(body):
        @functools.wraps(body)
        def check(fn, *args, **kwargs):
            name = body.__name__
            if not callable(fn):
                return CheckResult(
                    False,
                    f"Not yet: {name} expects your function itself, for example {name}(my_function) "
                    f"with no parentheses after my_function; it received an object of type "
                    f"{type(fn).__name__} instead.",
                )
            fname = getattr(fn, "__name__", "your function")
            fname = "your function" if fname == "<lambda>" else f"`{fname}`"
            try:
                # The checker's own variant formulas (the known mistakes) may overflow or divide by 0:
                # that is expected and must not print warnings into the student's notebook.
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    summary = body(fn, *args, **kwargs)
            except _NotImplemented:
                return CheckResult(
                    False,
                    f"Not implemented yet: {fname} raises NotImplementedError. Replace the "
                    f"`raise NotImplementedError` line with your {noun}, then run the check again.",
                )
            except _Fail as fail:
                return CheckResult(False, f"Not yet: {fail}")
            except Exception as exc:  # a bug in the checker must not break a student's notebook
                return CheckResult(
                    False, f"The checker itself failed ({type(exc).__name__}: {_clean(exc)}); please report this."
                )
            return CheckResult(True, f"Correct: {summary}")

        return check

    return decorate


_MIX_SUMMARY = "1-D and 2-D data, k = 1, 2 and 3, a mixing weight of 1e-12, and a point 1000 sd from every component"


def _labels(cases) -> str:
    return "; ".join(c.label for c in cases)


def _close(a, b) -> bool:
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    scale = max(1.0, float(np.max(np.abs(b[np.isfinite(b)]), initial=0.0)))
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=_RTOL, atol=_ATOL * scale))


def _match(value, variants):
    """The message of the first known-wrong variant that ``value`` equals, or None."""
    for v, message in variants:
        if v is not None and _close(value, v):
            return message
    return None


def _a(obj) -> str:
    """'a tuple', 'an ndarray': the type of the student's output, in words."""
    name = type(obj).__name__
    return f"an {name}" if name[0].lower() in "aeiou" else f"a {name}"


def _numeric(out, case: _Case, what: str) -> np.ndarray:
    """The student's output as a float array, or fail with a message about None, type or complex numbers."""
    if out is None:
        raise _Fail(
            f"your function returned None on {case.label}. Did you forget the `return` statement? "
            f"It should return {what}."
        )
    try:
        a = np.asarray(out)
        if np.iscomplexobj(a):
            raise _Fail(
                f"your function returned complex numbers on {case.label}: was a negative number passed to "
                f"np.sqrt, or np.emath used? It should return {what}, real-valued."
            )
        return a.astype(float)
    except (TypeError, ValueError):
        raise _Fail(f"your function returned {_a(out)}, not numbers; it should return {what}.") from None


def _scalar(out, case: _Case, what: str) -> float:
    """Read the student's output as one number, or fail with a message about its type/shape."""
    a = _numeric(out, case, what)
    if a.size != 1:
        raise _Fail(
            f"your function returned an array of shape {a.shape} on {case.label}, but it should return {what}: "
            "a single number. Did you forget to sum over the points (or over both axes)?",
            generic=True,
        )
    return float(a.reshape(()))


@contextmanager
def _dimension_note(cases, idx: int):
    """Add a pointer to 2-D data when a function that passed the 1-D cases fails on a 2-D one.

    Only a generic failure (a wrong value, shape or an exception) gets the pointer: a named mistake
    already says what to fix.
    """
    try:
        yield
    except _Fail as fail:
        X = cases[idx].args[0]
        if fail.generic and np.ndim(X) == 2 and any(np.ndim(c.args[0]) == 1 for c in cases[:idx]):
            raise _Fail(
                f"{fail} Your function passed the 1-D case, so check that it also handles 2-D data: X of shape "
                "(m, n), mu_j of shape (n,), Sigma_j of shape (n, n).",
                vague=fail.vague,
                generic=True,
            ) from None
        raise


def _far_rows(X, params) -> np.ndarray:
    """Rows where every phi_j N(x; mu_j, Sigma_j) underflows in linear space."""
    return np.flatnonzero(_ref_log_joint(X, params).max(axis=1) < _LOG_TINY)


def _describe_point(X, i) -> str:
    X = np.asarray(X, dtype=float)
    return f"x = {_num(X[i])}" if X.ndim == 1 else f"x = {_arr(X[i])}"


def _underflow_message(case: _Case, X, params, rows, consequence: str) -> str:
    i = int(rows[0])
    top = float(_ref_log_joint(X, params)[i].max())
    return (
        f"underflow far from the components. Your answer is right on the earlier cases but wrong on {case.label}: "
        f"at the point {_describe_point(X, i)} every phi_j N(x; mu_j, Sigma_j) is at most exp({_num(top)}), "
        f"which is exactly 0 in floating point, so {consequence} Densities multiplied or normalised in linear "
        "space (or exponentiated before subtracting the largest term, or patched with a small epsilon) cannot "
        "survive this: work in log space, ln phi_j + ln N(x; mu_j, Sigma_j), and combine the components with "
        "scipy.special.logsumexp." + _warn_note(case)
    )


# --------------------------------------------------------------------------------------------------
# Problems (data + parameters), all seeded: the same cases and messages on every run
# --------------------------------------------------------------------------------------------------

_SIGMA_2D3 = [[[1.0, 0.3], [0.3, 0.8]], [[2.0, -0.5], [-0.5, 1.0]], [[0.7, 0.0], [0.0, 1.5]]]


def _problems(far: bool = True, many: bool = False):
    """(label, X, params) triples covering 1-D/2-D data, k = 1..3, tiny phi and far points."""
    rng = np.random.default_rng(20261126)
    out = []
    x = np.concatenate([rng.normal(1.0, 1.0, 100), rng.normal(10.0, 1.0, 100)])
    out.append(("1-D data, k = 2 (m = 200)", x, GMMParams(phi=[0.4, 0.6], mu=[2.0, 8.0], Sigma=[1.5, 2.5])))
    centres = np.array([[0.0, 3.0], [6.0, 0.0], [3.0, 8.0]])
    X2 = np.vstack([rng.multivariate_normal(c, np.eye(2), 20) for c in centres])
    p3 = GMMParams(phi=[0.2, 0.3, 0.5], mu=[[0.5, 2.5], [5.0, 1.0], [3.0, 7.0]], Sigma=_SIGMA_2D3)
    out.append(("2-D data, k = 3 (m = 60)", X2, p3))
    out.append(("2-D data, k = 1", X2[:25], GMMParams(phi=[1.0], mu=[[1.0, 2.0]], Sigma=[[[2.0, 0.4], [0.4, 1.0]]])))
    out.append(
        (
            "a tiny mixing weight phi_1 = 1e-12 (1-D, k = 2)",
            x[::4],
            GMMParams(phi=[1e-12, 1 - 1e-12], mu=[5.0, 4.0], Sigma=[2.0, 9.0]),
        )
    )
    if many:
        xm = np.concatenate([rng.normal(0.0, 1.0, 1000), rng.normal(4.0, 2.0, 1000)])
        out.append(
            (
                "m = 2000 points (1-D, k = 2)",
                xm,
                GMMParams(phi=[0.5, 0.5], mu=[0.0, 4.0], Sigma=[1.0, 4.0]),
            )
        )
    if far:
        out.append(
            (
                "a point 1000 sd from every component (1-D, x = 1000, unit-variance components at 0 and 1)",
                np.array([-0.5, 0.0, 0.5, 1.0, 1.5, 1000.0]),
                GMMParams(phi=[0.5, 0.5], mu=[0.0, 1.0], Sigma=[1.0, 1.0]),
            )
        )
        out.append(
            (
                "a point 1000 sd away in 2-D (x = [1000, -1000], k = 3)",
                np.vstack([X2[::6], [[1000.0, -1000.0]]]),
                p3,
            )
        )
    return out


def _sd_params(params: GMMParams):
    """Parameters a student gets by reading 1-D Sigma_j as a standard deviation (scale = Sigma_j)."""
    if params.n != 1 or np.allclose(params.Sigma, 1.0):
        return None
    return GMMParams(phi=params.phi, mu=params.mu, Sigma=params.Sigma**2)


def _posterior(lj, axis=1):
    return np.exp(lj - logsumexp(lj, axis=axis, keepdims=True))


# --------------------------------------------------------------------------------------------------
# Private references for the items the core does not provide
# --------------------------------------------------------------------------------------------------


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


def _bic(X, params: GMMParams) -> float:
    """BIC = -2 l(Theta) + p ln m, with l the total log-likelihood."""
    m = np.asarray(X).shape[0]
    return -2.0 * _ref_log_likelihood(X, params) + n_parameters(params.k, params.n) * np.log(m)


# --------------------------------------------------------------------------------------------------
# Jensen
# --------------------------------------------------------------------------------------------------


def _cube_abs(t):
    return np.abs(t) ** 3


def _jensen_cases():
    rng = np.random.default_rng(2)
    xr = rng.normal(0.0, 2.0, 50)
    pr = rng.dirichlet(np.ones(50))
    return [
        _Case("f(x) = x^2, x = (1, 4), p = (1/2, 1/2)", (np.square, np.array([1.0, 4.0]), np.array([0.5, 0.5]))),
        _Case(
            "f = exp, x = (-1, 0, 2), p = (0.2, 0.5, 0.3)",
            (np.exp, np.array([-1.0, 0.0, 2.0]), np.array([0.2, 0.5, 0.3])),
        ),
        _Case(
            "f = ln (concave, so the gap is negative), x = (1, 4)", (np.log, np.array([1.0, 4.0]), np.array([0.5, 0.5]))
        ),
        _Case(
            "a point mass p = (0, 1, 0), where the gap is 0",
            (np.square, np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.0])),
        ),
        _Case(
            "p with a zero where f is infinite (f = ln, x = (0, 1, 4), p = (0, 1/2, 1/2))",
            (np.log, np.array([0.0, 1.0, 4.0]), np.array([0.0, 0.5, 0.5])),
        ),
        _Case("50 random points with f(x) = |x|^3", (_cube_abs, xr, pr)),
    ]


@_checker("E_p[f(x)] - f(E_p[x])")
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
    for case in cases:
        f, x, p = case.args
        out = _scalar(_call(jensen_gap, case), case, "the number E_p[f(x)] - f(E_p[x])")
        ref = _jensen_gap(f, x, p)
        if _close(out, ref):
            continue
        if not np.isfinite(out) and np.any(p == 0):
            raise _Fail(
                f"on {case.label} your function returned {_num(out)}. A point with p = 0 must contribute "
                "nothing, but f is -inf there (ln 0) and 0 * (-inf) = NaN. Sum only over the points with p > 0 "
                "(mask = p > 0)." + _warn_note(case)
            )
        with np.errstate(all="ignore"):
            variants = [
                (
                    -ref,
                    "the sign is flipped: you computed f(E[x]) - E[f(x)]. The gap is E_p[f(x)] - f(E_p[x]), "
                    ">= 0 for a convex f.",
                ),
                (
                    float(np.mean(f(x)) - f(np.mean(x))),
                    "you averaged without the weights p (plain means). "
                    "Use E_p[x] = sum_i p_i x_i and E_p[f(x)] = sum_i p_i f(x_i).",
                ),
            ]
        hint = _match(out, variants)
        if hint:
            raise _Fail(f"{hint} (On {case.label}: you returned {_num(out)}, the gap is {_num(ref)}.)")
        raise _Fail(
            f"on {case.label} your function returned {_num(out)}, but E_p[f(x)] - f(E_p[x]) = {_num(ref)}."
            + _warn_note(case)
        )
    return f"matches E_p[f(x)] - f(E_p[x]) on {len(cases)} cases ({_labels(cases)})."


def _log_jensen_cases():
    rng = np.random.default_rng(3)
    xr = np.exp(rng.uniform(np.log(1e-6), np.log(1e6), 40))
    pr = rng.dirichlet(np.ones(40))
    return [
        _Case("x = (1, 4), p = (1/2, 1/2)", (np.array([1.0, 4.0]), np.array([0.5, 0.5]))),
        _Case("x = (0.5, 2, 8), p = (0.2, 0.3, 0.5)", (np.array([0.5, 2.0, 8.0]), np.array([0.2, 0.3, 0.5]))),
        _Case("a point mass p = (0, 1), where the gap is 0", (np.array([3.0, 7.0]), np.array([0.0, 1.0]))),
        _Case(
            "p with zeros, x = (1, 10, 100, 1000), p = (0, 1/2, 1/2, 0)",
            (np.array([1.0, 10.0, 100.0, 1000.0]), np.array([0.0, 0.5, 0.5, 0.0])),
        ),
        _Case("40 points spread from 1e-6 to 1e6", (xr, pr)),
    ]


@_checker("ln E[x] - E[ln x]")
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
    for case in cases:
        x, p = case.args
        out = _scalar(_call(fn, case), case, "the number ln E[x] - E[ln x]")
        ref = _log_jensen_gap(x, p)
        if _close(out, ref):
            continue
        variants = [
            (
                -ref,
                "the sign is flipped: you computed E[ln x] - ln E[x], which is <= 0. Because ln is concave, "
                "ln E[x] >= E[ln x], so the gap ln E[x] - E[ln x] is >= 0.",
            ),
            (
                float(np.log(np.mean(x)) - np.mean(np.log(x))),
                "you averaged without the weights p (plain means). "
                "Use E[x] = sum_i p_i x_i and E[ln x] = sum_i p_i ln x_i.",
            ),
            (ref / np.log(10.0), "you used log10; the course uses the natural log ln (np.log)."),
        ]
        hint = _match(out, variants)
        if hint:
            raise _Fail(f"{hint} (On {case.label}: you returned {_num(out)}, the gap is {_num(ref)}.)")
        raise _Fail(
            f"on {case.label} your function returned {_num(out)}, but ln E[x] - E[ln x] = {_num(ref)}."
            + _warn_note(case)
        )
    return f"matches ln E[x] - E[ln x] on {len(cases)} cases ({_labels(cases)})."


# --------------------------------------------------------------------------------------------------
# Log-likelihood, E-step
# --------------------------------------------------------------------------------------------------


@_checker("log-likelihood")
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
    cases = _with_X([_Case(label, (X, p)) for label, X, p in _problems(many=True)])
    for idx, case in enumerate(cases):
        with _dimension_note(cases, idx):
            X, params = case.args
            out = _scalar(_call(fn, case), case, "the total log-likelihood l(Theta)")
            ref = _ref_log_likelihood(X, params)
            if _close(out, ref):
                continue
            rows = _far_rows(X, params)
            if rows.size:
                raise _Fail(
                    _underflow_message(
                        case, X, params, rows, f"ln p(x) is lost (you returned {_num(out)}; l(Theta) = {_num(ref)})."
                    )
                )
            if not np.isfinite(out):
                if ref < _LOG_TINY:
                    raise _Fail(
                        f"densities multiplied in linear space: on {case.label} the likelihood prod_i p(x^(i)) = "
                        f"exp(l) = exp({_num(ref)}) underflows to 0, and ln 0 = -inf. Work in log space: add up "
                        "l = sum_i ln p(x^(i)), each ln p(x^(i)) from logsumexp over the components." + _warn_note(case)
                    )
                raise _Fail(
                    f"on {case.label} your function returned {_num(out)}; l(Theta) = {_num(ref)}." + _warn_note(case),
                    generic=True,
                )
            m = X.shape[0]
            lj = _ref_log_joint(X, params)
            variants = [
                (
                    ref / m,
                    f"a mean instead of a total: you returned l / m (m = {m}). l(Theta) is the total "
                    "sum_i ln p(x^(i)); do not divide by the number of points.",
                ),
                (-ref, "the sign is flipped: l(Theta) = sum_i ln p(x^(i)) is negative here."),
                (
                    float(logsumexp(lj - np.log(params.phi), axis=1).sum()) if params.k > 1 else None,
                    "the mixing weights phi_j are missing: p(x) = sum_j phi_j N(x; mu_j, Sigma_j).",
                ),
                (
                    float(logsumexp(lj, axis=0).sum()) if params.k > 1 else None,
                    "summed over the wrong axis: for each point, log-sum-exp runs over the components j (axis=1); "
                    "then add up the points.",
                ),
                (
                    float(lj.sum()) if params.k > 1 else None,
                    "the sum over the components must sit inside the log: l = sum_i ln sum_j phi_j N(...), "
                    "not sum_i sum_j ln(phi_j N(...)).",
                ),
            ]
            sd = _sd_params(params)
            if sd is not None:
                variants.append(
                    (
                        _ref_log_likelihood(X, sd),
                        "for 1-D data Sigma_j holds variances, but you used "
                        "it as a standard deviation (e.g. norm.pdf(x, mu, Sigma)); use scale=sqrt(Sigma_j).",
                    )
                )
            hint = _match(out, variants)
            if hint:
                raise _Fail(f"{hint} (On {case.label}: you returned {_num(out)}, l(Theta) = {_num(ref)}.)")
            raise _Fail(
                f"on {case.label} your function returned {_num(out)}, but l(Theta) = {_num(ref)}." + _warn_note(case),
                generic=True,
            )
    return (
        f"matches the reference log-likelihood, a total over the points, on {len(cases)} cases, including "
        f"{_MIX_SUMMARY} and m = 2000 points (where a product of densities would underflow)."
    )


@_checker("E-step")
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
    cases = _with_X([_Case(label, (X, p)) for label, X, p in _problems()])
    for idx, case in enumerate(cases):
        with _dimension_note(cases, idx):
            X, params = case.args
            W = _numeric(_call(fn, case), case, "the responsibilities W of shape (m, k)")
            ref = _ref_e_step(X, params)
            m, k = ref.shape
            if W.shape != ref.shape:
                if W.shape == (k, m):
                    raise _Fail(
                        f"W has shape {W.shape} on {case.label}: it is transposed. W must be (m, k) = ({m}, {k}): "
                        "one row per point, one column per component."
                    )
                if W.shape == (m,):
                    raise _Fail(
                        f"your function returned one value per point (shape ({m},)) on {case.label}. The E-step "
                        f"returns the soft responsibilities, one column per component: shape (m, k) = ({m}, {k})."
                    )
                raise _Fail(f"W has shape {W.shape} on {case.label}, but it must be (m, k) = ({m}, {k}).", generic=True)
            lj = _ref_log_joint(X, params)
            if not np.all(np.isfinite(W)):
                rows = _far_rows(X, params)
                bad = np.flatnonzero(~np.all(np.isfinite(W), axis=1))
                if rows.size and np.isin(bad, rows).any():
                    raise _Fail(
                        _underflow_message(
                            case, X, params, np.intersect1d(bad, rows), "the normalisation is 0/0 = NaN."
                        )
                    )
                raise _Fail(
                    f"W contains NaN or inf on {case.label} (first in row {bad[0]})." + _warn_note(case), generic=True
                )
            if _close(W, ref):
                continue
            rows = _far_rows(X, params)
            bad = np.flatnonzero(~np.isclose(W, ref, rtol=_RTOL, atol=_ATOL).all(axis=1))
            far_bad = np.intersect1d(bad, rows)
            if far_bad.size:
                i = int(far_bad[0])
                raise _Fail(
                    _underflow_message(
                        case,
                        X,
                        params,
                        far_bad,
                        f"its row cannot be normalised (you returned {_arr(W[i])}; the posterior is {_arr(ref[i])}).",
                    )
                )
            with np.errstate(all="ignore"):
                pre_variants = [
                    (
                        np.exp(lj),
                        "the rows of W do not sum to 1: you returned phi_j N(x^(i); mu_j, Sigma_j) without "
                        "normalising. Divide each row by its sum over the components (in log space: subtract "
                        "logsumexp over axis=1).",
                    ),
                    (
                        _posterior(lj, axis=0) if k > 1 else None,
                        "the rows of W do not sum to 1: you normalised over the wrong axis (each column sums to 1). "
                        "Normalise each row, i.e. over the components j (axis=1), not over the points.",
                    ),
                    (
                        lj - logsumexp(lj, axis=1, keepdims=True),
                        "you returned ln w_j^(i), the log-responsibilities; "
                        "exponentiate them (np.exp) so the rows sum to 1.",
                    ),
                ]
            hint = _match(W, pre_variants)
            if hint:
                raise _Fail(f"{hint} (Seen on {case.label}.)")
            row_sums = W.sum(axis=1)
            if not np.allclose(row_sums, 1.0, rtol=0, atol=1e-6):
                i = int(np.argmax(np.abs(row_sums - 1.0)))
                raise _Fail(
                    f"the rows of W do not sum to 1 on {case.label}: row {i} sums to {_num(row_sums[i])}. Each row is "
                    "a distribution over the components: w_j^(i) = phi_j N_j / sum_l phi_l N_l."
                )
            variants = [
                (
                    _posterior(lj - np.log(params.phi)) if k > 1 else None,
                    "the mixing weights phi_j are missing: w_j^(i) is proportional to phi_j N(x^(i); mu_j, Sigma_j).",
                ),
                (
                    (lj == lj.max(axis=1, keepdims=True)).astype(float) if k > 1 else None,
                    "you returned hard 0/1 assignments (the argmax); the E-step gives soft responsibilities "
                    "w_j^(i) = p(z^(i) = j | x^(i)).",
                ),
            ]
            sd = _sd_params(params)
            if sd is not None:
                variants.append(
                    (
                        _ref_e_step(X, sd),
                        "for 1-D data Sigma_j holds variances, but you used it as a "
                        "standard deviation (e.g. norm.pdf(x, mu, Sigma)); use scale=sqrt(Sigma_j).",
                    )
                )
            hint = _match(W, variants)
            if hint:
                raise _Fail(f"{hint} (Seen on {case.label}.)")
            err = np.abs(W - ref)
            i, j = np.unravel_index(int(np.argmax(err)), err.shape)
            raise _Fail(
                f"W differs from the posterior on {case.label}: the largest difference is at row {i}, column {j} "
                f"(you: {_num(W[i, j])}, reference: {_num(ref[i, j])})." + _warn_note(case),
                generic=True,
            )
    return (
        f"matches the reference E-step on {len(cases)} cases, including {_MIX_SUMMARY}; every row sums to 1 "
        "and nothing underflows far from the components."
    )


# --------------------------------------------------------------------------------------------------
# ELBO and KL
# --------------------------------------------------------------------------------------------------


def _elbo_cases():
    probs = _problems()
    rng = np.random.default_rng(4)
    (l1, x1, p1), (l2, X2, p3), (lk1, Xk1, pk1) = probs[0], probs[1], probs[2]
    far_label, xf, pf = probs[4]
    Wd = rng.dirichlet(np.ones(3), X2.shape[0])
    Wd[:5] = [0.0, 0.3, 0.7]  # exact zeros: 0 ln 0 = 0
    hard = np.eye(3)[np.argmax(_ref_log_joint(X2, p3), axis=1)]
    return _with_X(
        [
            _Case(f"W = the posterior, {l1}", (x1, _ref_e_step(x1, p1), p1)),
            _Case(f"W not the posterior (random, some exact zeros), {l2}", (X2, Wd, p3)),
            _Case(f"hard 0/1 responsibilities (exact zeros), {l2}", (X2, hard, p3)),
            _Case(lk1, (Xk1, np.ones((Xk1.shape[0], 1)), pk1)),
            _Case(f"W = the posterior, {far_label}", (xf, _ref_e_step(xf, pf), pf)),
        ]
    )


@_checker("ELBO")
def check_elbo(fn) -> CheckResult:
    """Check ``fn(X, W, params) -> L(q, Theta)``, the evidence lower bound for q_i(z = j) = W[i, j].

    L = sum_i sum_j w_j^(i) [ln(phi_j N(x^(i); mu_j, Sigma_j)) - ln w_j^(i)], with 0 ln 0 = 0 (a total).

    Parameters
    ----------
    fn : callable
        The student's function.

    Returns
    -------
    CheckResult
    """
    cases = _elbo_cases()
    for idx, case in enumerate(cases):
        with _dimension_note(cases, idx):
            X, W, params = case.args
            out = _scalar(_call(fn, case), case, "the ELBO L(q, Theta)")
            ref = _ref_elbo(X, W, params)
            if _close(out, ref):
                continue
            rows = _far_rows(X, params)
            if rows.size:
                raise _Fail(
                    _underflow_message(
                        case, X, params, rows, f"ln(phi_j N) is lost (you returned {_num(out)}; L = {_num(ref)})."
                    )
                )
            if not np.isfinite(out):
                if np.any(W == 0):
                    raise _Fail(
                        f"your function returned {_num(out)} on {case.label}, where some w_j^(i) = 0. The term "
                        "w ln w must be 0 when w = 0 (0 ln 0 = 0 by continuity), but 0 * ln 0 = 0 * (-inf) = NaN in "
                        "numpy. Use scipy.special.xlogy(W, W) or mask the entries with W > 0." + _warn_note(case)
                    )
                raise _Fail(
                    f"your function returned {_num(out)} on {case.label}; L = {_num(ref)}." + _warn_note(case),
                    generic=True,
                )
            m = W.shape[0]
            lj = _ref_log_joint(X, params)
            expected = float(np.sum(np.where(W > 0, W * lj, 0.0)))
            neg_entropy = float(rel_entr(W, 1.0).sum())  # sum w ln w <= 0
            variants = [
                (
                    ref / m,
                    f"a mean instead of a total: you returned L / m (m = {m}). The ELBO is the total over the "
                    "points, like l(Theta).",
                ),
                (-ref, "the sign is flipped."),
                (
                    expected if neg_entropy != 0 else None,
                    "the entropy term is missing: L = sum_i sum_j w_j^(i) "
                    "[ln(phi_j N(x^(i); mu_j, Sigma_j)) - ln w_j^(i)]; you left out the - w ln w part.",
                ),
                (
                    expected + neg_entropy if neg_entropy != 0 else None,
                    "the entropy term has the wrong sign: "
                    "subtract sum w ln w (it is <= 0, so the entropy -sum w ln w adds to L).",
                ),
                (
                    _ref_log_likelihood(X, params),
                    "you returned l(Theta), which does not depend on W. The ELBO equals "
                    "l(Theta) only when W is the posterior; here it is not, and L < l.",
                ),
                (
                    float(np.sum(np.where(W > 0, W * (lj - np.log(params.phi)), 0.0)) - neg_entropy)
                    if params.k > 1
                    else None,
                    "the mixing weights are missing: the expected term uses ln(phi_j N(x; mu_j, Sigma_j)).",
                ),
            ]
            hint = _match(out, variants)
            if hint:
                raise _Fail(f"{hint} (On {case.label}: you returned {_num(out)}, L = {_num(ref)}.)")
            raise _Fail(
                f"on {case.label} your function returned {_num(out)}, but L(q, Theta) = {_num(ref)}."
                + _warn_note(case),
                generic=True,
            )
    return (
        f"matches the reference ELBO, a total over the points, on {len(cases)} cases: W equal to the posterior "
        "(where L = l), W not the posterior, responsibilities with exact zeros (0 ln 0 = 0), k = 1, and a point "
        "1000 sd from every component."
    )


def _kl_cases():
    rng = np.random.default_rng(5)
    Q = rng.dirichlet(np.ones(3), 6)
    P = rng.dirichlet(np.ones(3), 6)
    Qz = Q.copy()
    Qz[:3] = [[0.0, 0.4, 0.6], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    Pz = P.copy()
    Pz[0] = [0.0, 0.5, 0.5]
    Qzz = Qz.copy()
    Qzz[0] = [0.0, 0.25, 0.75]
    return [
        _Case(
            "two distributions over 4 values (1-D q and p)",
            (np.array([0.1, 0.2, 0.3, 0.4]), np.array([0.25, 0.25, 0.25, 0.25])),
        ),
        _Case("6 rows of 3 components (q and p of shape (6, 3))", (Q, P)),
        _Case("q = p, where KL = 0", (Q, Q.copy())),
        _Case("q with exact zeros (0 ln(0 / p) = 0)", (Qz, P)),
        _Case("q and p both 0 in the same entries", (Qzz, Pz)),
        _Case(
            "q = (0.2, 0.3, 0.5) and p = (0, 0.5, 0.5) (p = 0 < q, so KL = +inf)",
            (np.array([0.2, 0.3, 0.5]), np.array([0.0, 0.5, 0.5])),
        ),
    ]


@_checker("KL divergence")
def check_kl_divergence(fn) -> CheckResult:
    """Check ``fn(q, p) -> KL(q || p) = sum q ln(q / p)``, summed over every entry (a total).

    ``q`` and ``p`` are 1-D distributions, or (m, k) arrays whose rows are distributions; entries
    with q = 0 contribute 0, and an entry with p = 0 < q makes KL = +inf.

    Parameters
    ----------
    fn : callable
        The student's function.

    Returns
    -------
    CheckResult
    """
    cases = _kl_cases()
    for case in cases:
        q, p = case.args
        a = _numeric(_call(fn, case), case, "the number KL(q || p)")
        if q.ndim == 2:
            if a.shape == (q.shape[0],):
                raise _Fail(
                    f"you returned one value per row (shape {a.shape}) on {case.label}: KL between the "
                    "responsibilities is the total over the points as well; add up the rows too."
                )
            if a.shape == (q.shape[1],):
                raise _Fail(
                    f"you summed over the wrong axis (one value per component, shape {a.shape}) on "
                    f"{case.label}; KL(q || p) is summed over the components and over the points."
                )
        out = _scalar(a, case, "the number KL(q || p)")
        ref = _ref_kl(q, p)
        if _close(out, ref):
            continue
        if np.isposinf(ref):
            raise _Fail(
                f"your function returned {_num(out)} on {case.label}, but KL(q || p) = +inf: KL is +inf where "
                "p = 0 < q (q puts mass where p has none), because q ln(q / 0) = +inf. Return inf there: do not "
                "patch p with a small epsilon (that turns +inf into a large finite number) and do not skip the "
                "entries with p = 0. scipy.special.rel_entr(q, p) gets every case right." + _warn_note(case)
            )
        if not np.isfinite(out) and np.isfinite(ref):
            raise _Fail(
                f"your function returned {_num(out)} on {case.label}, where q has exact zeros. A term with q = 0 "
                "is 0 (0 ln 0 = 0), even when p = 0 there, but numpy computes 0 * ln 0 = NaN. Use "
                "scipy.special.rel_entr(q, p) or mask the entries with q > 0." + _warn_note(case)
            )
        with np.errstate(all="ignore"):
            variants = [
                (
                    float(rel_entr(p, q).sum()),
                    "you computed KL(p || q): the arguments are swapped. KL is not "
                    "symmetric; KL(q || p) = sum q ln(q / p) weights by q.",
                ),
                (-ref, "the sign is flipped: KL(q || p) = sum q ln(q / p) >= 0."),
                (
                    ref / q.shape[0] if q.ndim == 2 else None,
                    "a mean instead of a total: you divided by the number "
                    "of rows; KL here is the total over all points.",
                ),
            ]
        hint = _match(out, variants)
        if hint:
            raise _Fail(f"{hint} (On {case.label}: you returned {_num(out)}, KL = {_num(ref)}.)")
        raise _Fail(
            f"on {case.label} your function returned {_num(out)}, but KL(q || p) = {_num(ref)}." + _warn_note(case)
        )
    return f"matches the reference KL divergence on {len(cases)} cases ({_labels(cases)})."


# --------------------------------------------------------------------------------------------------
# M-step
# --------------------------------------------------------------------------------------------------


def _unpack_params(out, case: _Case, k: int, n: int, m: int):
    """The student's (phi, mu, Sigma) as arrays of shape (k,), (k, n), (k, n, n), or fail in words."""
    if out is None:
        raise _Fail(
            f"your function returned None on {case.label}. Did you forget the `return` statement? "
            "Return GMMParams(phi=..., mu=..., Sigma=...) or a tuple (phi, mu, Sigma)."
        )
    if all(hasattr(out, a) for a in ("phi", "mu", "Sigma")):
        parts = (out.phi, out.mu, out.Sigma)
    elif isinstance(out, dict) and {"phi", "mu", "Sigma"} <= set(out):
        parts = (out["phi"], out["mu"], out["Sigma"])
    elif isinstance(out, (tuple, list)) and len(out) == 3:
        parts = tuple(out)
    else:
        raise _Fail(
            f"your function returned {_a(out)}; return GMMParams(phi=..., mu=..., Sigma=...) "
            "or a tuple (phi, mu, Sigma)."
        )
    try:
        arrays = [np.asarray(a) for a in parts]
        if any(np.iscomplexobj(a) for a in arrays):
            raise _Fail(f"your function returned complex numbers on {case.label}; phi, mu and Sigma must be real.")
        phi, mu, Sigma = (a.astype(float) for a in arrays)
    except (TypeError, ValueError):
        raise _Fail("phi, mu and Sigma must be numeric arrays; one of them could not be read as numbers.") from None
    if phi.shape == (m,) and m != k:
        raise _Fail(
            f"phi has shape ({m},), one entry per point, on {case.label}: you summed the responsibilities "
            "over the wrong axis. N_j = sum_i w_j^(i) adds up the points, down each column of W (axis=0)."
        )
    if phi.size != k:
        raise _Fail(
            f"phi has shape {phi.shape} on {case.label}; it must have one weight per component, shape ({k},).",
            generic=True,
        )
    phi = phi.reshape(k)
    if n == 1 and mu.size == k:
        mu = mu.reshape(k, 1)
    if mu.shape == (n, k) and n != k:
        raise _Fail(
            f"mu has shape {mu.shape} on {case.label}: it is transposed; it must be (k, n) = ({k}, {n}), one "
            "row per component."
        )
    if mu.shape == (m, n) or mu.shape == (m,):
        raise _Fail(
            f"mu has shape {mu.shape}, one row per point, on {case.label}: you summed over the wrong axis. "
            f"mu_j = sum_i w_j^(i) x^(i) / N_j sums over the points i; mu must be (k, n) = ({k}, {n})."
        )
    if mu.shape != (k, n):
        raise _Fail(f"mu has shape {mu.shape} on {case.label}; it must be (k, n) = ({k}, {n}).", generic=True)
    if n == 1 and Sigma.size == k:
        Sigma = Sigma.reshape(k, 1, 1)
    if Sigma.shape == (n, n, k) and k != n:
        raise _Fail(
            f"Sigma has shape {Sigma.shape} on {case.label}: the components must be along the first axis, "
            f"(k, n, n) = ({k}, {n}, {n})."
        )
    if Sigma.shape == (n, n) and k > 1:
        raise _Fail(
            f"Sigma has shape {Sigma.shape} on {case.label}: one covariance for all components. Each "
            f"component has its own Sigma_j: shape (k, n, n) = ({k}, {n}, {n})."
        )
    if Sigma.shape != (k, n, n):
        raise _Fail(
            f"Sigma has shape {Sigma.shape} on {case.label}; it must be (k, n, n) = ({k}, {n}, {n}) "
            "(or (k,) variances for 1-D data).",
            generic=True,
        )
    for name, a in (("phi", phi), ("mu", mu), ("Sigma", Sigma)):
        if not np.all(np.isfinite(a)):
            raise _Fail(f"{name} contains NaN or inf on {case.label}." + _warn_note(case), generic=True)
    return phi, mu, Sigma


def _sigma_about(X, W, centres):
    """sum_i w_j^(i) (x^(i) - c_j)(x^(i) - c_j)^T / N_j for given centres c_j."""
    Nk = W.sum(axis=0)
    return np.stack([((W[:, j, None] * (X - c)).T @ (X - c)) / Nk[j] for j, c in enumerate(centres)])


def _other_centre(S, ref, mu_new):
    """If S - ref = d d^T (rank one, PSD) for one component, the other centre mu_new - d; else None."""
    for j in range(ref.shape[0]):
        D = S[j] - ref[j]
        D = 0.5 * (D + D.T)
        vals, vecs = np.linalg.eigh(D)
        scale = max(1.0, float(np.abs(ref[j]).max()))
        if vals[-1] <= 1e-6 * scale:
            continue
        if np.all(np.abs(vals[:-1]) <= 1e-6 * max(scale, vals[-1])):
            return j, mu_new[j] - np.sqrt(vals[-1]) * vecs[:, -1], mu_new[j] + np.sqrt(vals[-1]) * vecs[:, -1]
        return None
    return None


def _compare_m_step(out, case: _Case, X, W, old_params=None):
    """Compare the student's M-step output with the reference; raise _Fail with a diagnosis."""
    X2 = X[:, None] if X.ndim == 1 else X
    m, n = X2.shape
    k = W.shape[1]
    ref = _ref_m_step(X, W)
    phi, mu, Sigma = _unpack_params(out, case, k, n, m)
    Nk = W.sum(axis=0)
    seen = f" (Seen on {case.label}.)"
    if not _close(phi, ref.phi):
        variants = [
            (
                Nk,
                "phi_j must be N_j / m: you returned N_j = sum_i w_j^(i) without dividing by m. The Lagrange "
                "multiplier of the constraint sum_j phi_j = 1 is lambda = -m.",
            ),
            (Nk / k, "phi_j = N_j / m, the number of points m, not the number of components k."),
        ]
        hint = _match(phi, variants)
        if hint:
            raise _Fail(hint + seen)
        raise _Fail(f"phi is wrong: you returned {_arr(phi)}, expected N_j / m = {_arr(ref.phi)}." + seen, generic=True)
    if not _close(mu, ref.mu):
        variants = [
            (
                W.T @ X2,
                "mu_j is missing the division by N_j: mu_j = sum_i w_j^(i) x^(i) / N_j, with N_j = sum_i w_j^(i).",
            ),
            (W.T @ X2 / m, "mu_j is divided by m instead of N_j: mu_j = sum_i w_j^(i) x^(i) / N_j."),
            (
                np.tile(X2.mean(axis=0), (k, 1)) if k > 1 else None,
                "mu_j is the plain mean of all points: weight each point by w_j^(i).",
            ),
            (
                old_params.mu if old_params is not None else None,
                "mu_j is still the old mean: compute the new mu_j = sum_i w_j^(i) x^(i) / N_j from W.",
            ),
        ]
        hint = _match(mu, variants)
        if hint:
            raise _Fail(hint + seen)
        raise _Fail(f"mu is wrong: you returned {_arr(mu)}, expected {_arr(ref.mu)}." + seen, generic=True)
    if _close(Sigma, ref.Sigma):
        return
    with np.errstate(all="ignore"):
        variants = []
        if old_params is not None:
            variants.append(
                (
                    _sigma_about(X2, W, old_params.mu),
                    (
                        "Sigma_j is centred on the old mean: you used the mu_j from the previous parameters "
                        "(old_params) instead of the new mu_j computed from this W. Update mu_j first and use the NEW "
                        "mean in Sigma_j = sum_i w_j^(i) (x^(i) - mu_j)(x^(i) - mu_j)^T / N_j; with the old mean the "
                        "step no longer maximises the bound, so it is not exact EM."
                    ),
                )
            )
        variants += [
            (
                ref.Sigma * Nk[:, None, None],
                "Sigma_j is missing the division by N_j: it is N_j times too big. "
                "Sigma_j = sum_i w_j^(i) (x^(i) - mu_j)(x^(i) - mu_j)^T / N_j.",
            ),
            (ref.Sigma * (Nk / m)[:, None, None], "Sigma_j is divided by m instead of N_j."),
            (
                ref.Sigma * (Nk / (Nk - 1))[:, None, None] if np.all(Nk > 1) else None,
                "Sigma_j is divided by N_j - 1 (the unbiased sample covariance); the maximiser of the bound divides "
                "by N_j.",
            ),
            (
                ref.Sigma * (Nk / (Nk - (W**2).sum(axis=0) / Nk))[:, None, None],
                "Sigma_j has np.cov's default normalisation, N_j - sum_i (w_j^(i))^2 / N_j (the 'unbiased' "
                "weighted covariance); pass bias=True so it divides by N_j, the maximiser of the bound.",
            ),
            (
                _sigma_about(X2, W, np.zeros((k, n))),
                "Sigma_j is not centred: you used x x^T; subtract the new mean, (x^(i) - mu_j)(x^(i) - mu_j)^T.",
            ),
            (
                _sigma_about(X2, W, np.tile(X2.mean(axis=0), (k, 1))) if k > 1 else None,
                "Sigma_j is centred on the mean of all the data; centre it on the new mu_j of its component.",
            ),
            (
                np.sqrt(ref.Sigma) if n == 1 else None,
                "for 1-D data Sigma_j is a variance; you returned the standard deviation.",
            ),
        ]
    hint = _match(Sigma, variants)
    if hint:
        raise _Fail(hint + seen)
    if n == 1:
        # In 1-D any Sigma_j that is too large is "centred somewhere else" (by (mu_j - c)^2): not a diagnosis.
        j = int(np.argmax(np.abs(Sigma - ref.Sigma).ravel()))
        raise _Fail(
            f"Sigma is wrong on {case.label}: you returned {_arr(Sigma.ravel())}, expected {_arr(ref.Sigma.ravel())}. "
            "Check the centre (the NEW mu_j) and the division by N_j.",
            vague=True,
        )
    other = _other_centre(Sigma, ref.Sigma, ref.mu)
    if other is not None:
        j, c1, c2 = other
        raise _Fail(
            f"Sigma[{j}] is centred on some other point (about {_arr(c1)} or {_arr(c2)}) instead of the new mean "
            f"mu[{j}] = {_arr(ref.mu[j])}: it exceeds the right Sigma[{j}] by (mu_j - c)(mu_j - c)^T. Centre "
            "Sigma_j on the new mu_j computed from this W." + seen
        )
    j = int(np.argmax(np.abs(Sigma - ref.Sigma).reshape(k, -1).max(axis=1)))
    raise _Fail(
        f"Sigma[{j}] is wrong on {case.label}: you returned {_arr(Sigma[j])}, expected {_arr(ref.Sigma[j])}.",
        vague=True,
        generic=True,
    )


def _run_m_step_cases(fn, cases, with_old: bool):
    """Run the M-step cases; a vague diagnosis waits in case a later case names the mistake."""
    vague = None
    for idx, case in enumerate(cases):
        X, W = case.args[:2]
        old = case.args[2] if with_old else None
        try:
            if vague is None:
                with _dimension_note(cases, idx):
                    _compare_m_step(_call(fn, case), case, X, W, old_params=old)
            else:
                _compare_m_step(_call(fn, case), case, X, W, old_params=old)
        except _Fail as fail:
            if not fail.vague:
                raise
            vague = vague or fail
    if vague is not None:
        raise vague


def _m_step_cases():
    probs = _problems(far=False)
    (l1, x1, _), (l2, X2, p3), (lk1, Xk1, _), (lt, xt, pt) = probs
    start1 = GMMParams(phi=[0.5, 0.5], mu=[3.0, 6.0], Sigma=[4.0, 4.0])
    hard = np.eye(3)[np.argmax(_ref_log_joint(X2, p3), axis=1)]
    return _with_X(
        [
            _Case(f"W from an E-step, {l1}", (x1, _ref_e_step(x1, start1))),
            _Case(f"W from an E-step, {l2}", (X2, _ref_e_step(X2, p3))),
            _Case(f"hard 0/1 responsibilities (exact zeros), {l2}", (X2, hard)),
            _Case(lk1, (Xk1, np.ones((Xk1.shape[0], 1)))),
            _Case(lt, (xt, _ref_e_step(xt, pt))),
        ]
    )


@_checker("M-step")
def check_m_step(fn) -> CheckResult:
    """Check ``fn(X, W) -> GMMParams`` (or a tuple ``(phi, mu, Sigma)``): the M-step, without reg_covar.

    phi_j = N_j / m, mu_j = sum_i w_j^(i) x^(i) / N_j, Sigma_j = sum_i w_j^(i) (x^(i) - mu_j)(x^(i) - mu_j)^T / N_j
    with the new mu_j. For 1-D data ``mu`` may be (k,) and ``Sigma`` (k,) variances.

    Parameters
    ----------
    fn : callable
        The student's M-step.

    Returns
    -------
    CheckResult

    See Also
    --------
    check_loop_m_step : the same check for a function that also receives the old parameters, so a
        Sigma centred on the old mean can be recognised.
    """
    cases = _m_step_cases()
    _run_m_step_cases(fn, cases, with_old=False)
    return (
        f"matches the reference M-step (phi, mu, and Sigma around the new mean) on {len(cases)} cases: 1-D and "
        "2-D data, k = 1, 2 and 3, hard 0/1 responsibilities and a mixing weight of 1e-12."
    )


def _loop_cases():
    rng = np.random.default_rng(6)
    probs = _problems(far=False)
    (l1, x1, _), (l2, X2, p3), (lk1, Xk1, pk1) = probs[:3]
    old1 = GMMParams(phi=[0.5, 0.5], mu=[3.0, 6.0], Sigma=[4.0, 4.0])
    # The course's 2-D example: 20 points near (0, 3), 50 near (20, 10), started away from both.
    Xc = np.vstack(
        [
            rng.multivariate_normal([0.0, 3.0], np.diag([0.5, 0.8]), 20),
            rng.multivariate_normal([20.0, 10.0], np.eye(2), 50),
        ]
    )
    oldc = GMMParams(phi=[0.5, 0.5], mu=[[5.0, 5.0], [15.0, 8.0]], Sigma=[np.eye(2) * 20.0, np.eye(2) * 20.0])
    old3 = GMMParams(phi=p3.phi, mu=p3.mu + [[1.0, -1.0], [-1.5, 0.5], [0.5, 1.5]], Sigma=p3.Sigma)
    oldk1 = GMMParams(phi=[1.0], mu=[[3.0, 0.0]], Sigma=pk1.Sigma)
    cases = []
    for label, X, old in (
        (l1, x1, old1),
        ("the 2-D course example (m = 70, k = 2)", Xc, oldc),
        (l2, X2, old3),
        (lk1, Xk1, oldk1),
    ):
        cases.append(_Case(f"W from an E-step at the old parameters, {label}", (X, _ref_e_step(X, old), old)))
    return _with_X(cases)


@_checker("loop M-step")
def check_loop_m_step(fn) -> CheckResult:
    """Check ``fn(X, W, old_params) -> GMMParams`` (or ``(phi, mu, Sigma)``): an M-step that also sees Theta^(t).

    For the "fix the loop implementation" exercise: the widely copied loop code has the previous
    parameters at hand and centres Sigma_j on the OLD mean. Here ``W = e_step(X, old_params)`` and
    the answer must be the exact M-step, ``m_step(X, W)``; a Sigma centred on ``old_params.mu`` is
    recognised and named.

    Parameters
    ----------
    fn : callable
        The student's function ``fn(X, W, old_params)``; ``old_params`` is a GMMParams.

    Returns
    -------
    CheckResult
    """
    cases = _loop_cases()
    _run_m_step_cases(fn, cases, with_old=True)
    return (
        f"matches the exact M-step on {len(cases)} cases (1-D and 2-D data, k = 1, 2 and 3, including the "
        "course's 2-D example), with Sigma centred on the new mean, not the old one."
    )


@_checker("phi update")
def check_phi_update(fn) -> CheckResult:
    """Check ``fn(W) -> phi`` of shape (k,): phi_j = N_j / m, the maximiser from the Lagrangian.

    Parameters
    ----------
    fn : callable
        The student's function; ``W`` is (m, k) with rows summing to 1.

    Returns
    -------
    CheckResult
    """
    rng = np.random.default_rng(7)
    Wz = rng.dirichlet(np.ones(3), 8)
    Wz[:, 2] = 0.0  # a component no point belongs to: phi_j = 0
    Wz /= Wz.sum(axis=1, keepdims=True)
    cases = [
        _Case("m = 40 points, k = 2", (rng.dirichlet([1.0, 3.0], 40),)),
        _Case("m = 30 points, k = 3", (rng.dirichlet(np.ones(3), 30),)),
        _Case("k = 1 (W all ones)", (np.ones((10, 1)),)),
        _Case("a component with no responsibility (phi_j = 0), k = 3", (Wz,)),
        _Case("a square W (m = k = 3)", (rng.dirichlet(np.ones(3), 3),)),
    ]
    for case in cases:
        (W,) = case.args
        m, k = W.shape
        phi = _numeric(_call(fn, case), case, "phi, an array of shape (k,)")
        ref = W.sum(axis=0) / m
        if phi.shape == (m,) and m != k:
            raise _Fail(
                f"phi has shape ({m},), one value per point, on {case.label}: you summed over the wrong "
                "axis. phi_j = (1/m) sum_i w_j^(i) adds up each column of W (axis=0)."
            )
        if phi.size != k:
            raise _Fail(f"phi has shape {phi.shape} on {case.label}; it must be ({k},), one weight per component.")
        phi = phi.reshape(k)
        if _close(phi, ref):
            continue
        variants = [
            (
                W.sum(axis=0),
                "you returned N_j = sum_i w_j^(i): divide by m. The Lagrange multiplier of "
                "sum_j phi_j = 1 is lambda = -m, so phi_j = N_j / m and the weights sum to 1.",
            ),
            (
                W.sum(axis=1) / m if m == k else None,
                "you summed over the wrong axis (over the components j for each "
                "point): phi_j = (1/m) sum_i w_j^(i) adds up the column j of W (axis=0).",
            ),
            (W.sum(axis=0) / k, "you divided by k; divide N_j by the number of points m."),
        ]
        hint = _match(phi, variants)
        if hint:
            raise _Fail(f"{hint} (Seen on {case.label}.)")
        raise _Fail(f"on {case.label} you returned {_arr(phi)}, expected N_j / m = {_arr(ref)}.")
    return f"phi_j = N_j / m on {len(cases)} cases ({_labels(cases)})."


# --------------------------------------------------------------------------------------------------
# BIC
# --------------------------------------------------------------------------------------------------


@_checker("BIC")
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
    probs = _problems(many=True)
    cases = _with_X([_Case(label, (X, p)) for label, X, p in probs])
    for idx, case in enumerate(cases):
        with _dimension_note(cases, idx):
            X, params = case.args
            out = _scalar(_call(fn, case), case, "the BIC")
            ref = _bic(X, params)
            if _close(out, ref):
                continue
            rows = _far_rows(X, params)
            if rows.size:
                raise _Fail(
                    _underflow_message(
                        case, X, params, rows, f"ln p(x) is lost (you returned {_num(out)}; BIC = {_num(ref)})."
                    )
                )
            if not np.isfinite(out):
                raise _Fail(
                    f"your function returned {_num(out)} on {case.label}; BIC = {_num(ref)}. Compute l(Theta) "
                    "in log space (densities multiplied in linear space underflow)." + _warn_note(case),
                    generic=True,
                )
            m = X.shape[0]
            k, n = params.k, params.n
            p = n_parameters(k, n)
            ll = _ref_log_likelihood(X, params)
            variants = [
                (
                    -2 * ll / m + p * np.log(m),
                    "you used the mean log-likelihood l / m; BIC uses the total l(Theta) = sum_i ln p(x^(i)).",
                ),
                (2 * ll - p * np.log(m), "the sign is flipped: BIC = -2 l + p ln m (lower is better)."),
                (-2 * ll + 2 * p, "that is the AIC (penalty 2 p); the BIC's penalty is p ln m."),
                (-ll + 0.5 * p * np.log(m), "you computed -l + (p/2) ln m, half the BIC; BIC = -2 l + p ln m."),
            ]
            hint = _match(out, variants)
            if hint:
                raise _Fail(f"{hint} (On {case.label}: you returned {_num(out)}, BIC = {_num(ref)}.)")
            p_student = (out + 2 * ll) / np.log(m)
            if abs(p_student - round(p_student)) < 1e-6 * max(1.0, abs(p_student)):
                ps = int(round(p_student))
                why = {
                    p + 1: " You counted k mixing weights; they sum to 1, so only k - 1 are free.",
                    (k - 1) + k * n + k * n * n: " You counted all n^2 entries of each Sigma_j; it is symmetric, so "
                    "only n(n+1)/2 are free.",
                    (k - 1) + 2 * k * n: " You counted only the diagonal of each Sigma_j (that is the 'diag' model).",
                    0: " Your value has no penalty term at all.",
                }.get(ps, "")
                raise _Fail(
                    f"the penalty counts p = {ps} free parameters on {case.label}, but a full-covariance mixture with "
                    f"k = {k}, n = {n} has p = (k-1) + k n + k n(n+1)/2 = {p}.{why}"
                )
            raise _Fail(
                f"on {case.label} your function returned {_num(out)}, but BIC = -2 l + p ln m = {_num(ref)} "
                f"(l = {_num(ll)}, p = {p}, m = {m})." + _warn_note(case),
                generic=True,
            )
    return (
        f"matches BIC = -2 l + p ln m on {len(cases)} cases, including {_MIX_SUMMARY} and m = 2000 points; "
        "l is the total log-likelihood and p counts the free parameters."
    )
