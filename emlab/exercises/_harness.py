"""The harness every checker shares: run the student's function safely, compare, say what is wrong.

A checker is a list of :class:`Case` objects and a ``compare(case, out)`` function that raises
:class:`Fail` with a diagnosis. :func:`checker` turns such a body into a public ``check_*`` function
that never raises and always returns a :class:`CheckResult`. :func:`call` runs the student's function
on copies of a case's arguments, with a time limit (where the platform has ``SIGALRM``), with its
warnings recorded, and reports a function that changes its inputs in place.
"""

from __future__ import annotations

import copy
import functools
import re
import signal
import threading
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from ..params import GMMParams

# A correct answer may differ from the reference by round-off only (a different but exact
# formula, e.g. an explicit inverse instead of a Cholesky solve): well below these tolerances.
RTOL = 1e-7
ATOL = 1e-9

# Seconds one call of the student's function may take before it is stopped. Generous: the slowest
# correct answers (Python loops over 2000 points) take well under a second here.
TIME_LIMIT = 10.0


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


class Fail(Exception):
    """Raised inside a checker to stop at the first problem; carries the message in words.

    ``vague`` marks a diagnosis that a later case may sharpen (a 1-D Sigma that is too large could be
    centred elsewhere or mis-normalised; a 2-D case tells which). ``generic`` marks a message that only
    reports a wrong value, shape or exception without naming a mistake: only such a message gets a
    pointer to the dimension (n or k) that the failing case adds.
    """

    def __init__(self, message: str, vague: bool = False, generic: bool = False):
        super().__init__(message)
        self.vague = vague
        self.generic = generic


class NotImplementedYet(Exception):
    """The student's function raised NotImplementedError."""


class _Timeout(BaseException):
    # BaseException, so that a student's `except Exception:` cannot swallow it.
    pass


@dataclass
class Case:
    """One call of the student's function: a label for messages and the arguments.

    ``names`` name the arguments in messages ("X", "W", "params"). ``n`` and ``k`` (features and
    components) are set for mixture cases: a generic failure then names the dimension that the case
    adds to those already passed. ``takes_X`` marks cases whose first argument is the data X: a crash
    on 1-D X gets the reshape hint, if re-running with 2-D X succeeds. ``shape_hint`` is the sentence
    added to a shape error. ``tags`` name what is awkward about the case ("far", "zero_phi", ...).
    ``allowed_warnings`` are warnings that the right answer itself implies there (ln(q / 0) = +inf).
    """

    label: str
    args: tuple
    names: tuple = ()
    n: int | None = None
    k: int | None = None
    takes_X: bool = False
    shape_hint: str = ""
    tags: frozenset = frozenset()
    allowed_warnings: tuple = ()
    warned: list = field(default_factory=list)


MIXTURE_SHAPES = (
    " Check the shapes: X is (m,) for 1-D data or (m, n), W is (m, k), params.mu is (k, n) and "
    "params.Sigma is (k, n, n)."
)


# --------------------------------------------------------------------------------------------------
# Numbers in words
# --------------------------------------------------------------------------------------------------


def num(v, digits: int = 6) -> str:
    v = float(v)
    if np.isnan(v):
        return "NaN"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return f"{v:.{digits}g}"


def arr(a, digits: int = 6) -> str:
    return np.array2string(
        np.asarray(a, dtype=float),
        formatter={"float_kind": lambda v: num(v, digits)},
        separator=", ",
        threshold=10,
        edgeitems=2,
    )


def _distinct_digits(a, b, fmt) -> int:
    """The fewest significant digits (at least 6) at which a and b print differently."""
    for digits in range(6, 18):
        if fmt(a, digits) != fmt(b, digits):
            return digits
    return 17


def versus(out, ref, what: str) -> str:
    """'you returned A; <what> = B (difference D, relative R)', printed so that A and B never look equal."""
    out, ref = float(out), float(ref)
    digits = _distinct_digits(out, ref, num)
    text = f"you returned {num(out, digits)}; {what} = {num(ref, digits)}"
    if np.isfinite(out) and np.isfinite(ref):
        diff = out - ref
        rel = f", relative {abs(diff) / abs(ref):.2g}" if ref != 0 else ""
        text += f" (difference {diff:+.3g}{rel})"
    return text


def pair(a, b) -> tuple[str, str]:
    """Two arrays printed with enough digits to differ."""
    digits = _distinct_digits(a, b, arr) if np.shape(a) == np.shape(b) else 6
    return arr(a, digits), arr(b, digits)


def versus_arrays(out, ref, what: str = "expected") -> str:
    """'you returned [A]; expected [B] (largest difference D)', printed so that A and B differ."""
    out = np.asarray(out, dtype=float)
    ref = np.asarray(ref, dtype=float)
    digits = _distinct_digits(out, ref, arr) if out.shape == ref.shape else 6
    text = f"you returned {arr(out, digits)}; {what} {arr(ref, digits)}"
    if out.shape == ref.shape:
        with np.errstate(invalid="ignore"):
            diff = np.abs(out - ref)
        if np.all(np.isfinite(diff)):
            text += f" (largest difference {float(diff.max()):.3g})"
    return text


def clean(exc: BaseException) -> str:
    # Object reprs can carry memory addresses; strip them so messages are reproducible.
    text = re.sub(r" at 0x[0-9a-fA-F]+", "", str(exc))
    return text if len(text) <= 300 else text[:297] + "..."


def a_type(obj) -> str:
    """'a tuple', 'an ndarray': the type of the student's output, in words."""
    name = type(obj).__name__
    return f"an {name}" if name[0].lower() in "aeiou" else f"a {name}"


def warn_note(case: Case) -> str:
    if not case.warned:
        return ""
    return f" (numpy also warned: {'; '.join(case.warned[:2])}.)"


def labels(cases) -> str:
    return "; ".join(c.label for c in cases)


# --------------------------------------------------------------------------------------------------
# Calling the student's function
# --------------------------------------------------------------------------------------------------


@contextmanager
def _time_limit(seconds):
    """Raise _Timeout in the main thread after ``seconds`` (Unix only; elsewhere no limit)."""
    usable = (
        seconds
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
        and signal.getitimer(signal.ITIMER_REAL)[0] == 0  # never override somebody else's timer
    )
    if not usable:
        yield
        return

    def handler(signum, frame):
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _copy(a):
    if isinstance(a, np.ndarray):
        return a.copy()
    if isinstance(a, GMMParams):
        # GMMParams is frozen, but its arrays are not: give the student arrays of their own.
        return GMMParams(phi=a.phi.copy(), mu=a.mu.copy(), Sigma=a.Sigma.copy())
    return copy.deepcopy(a) if isinstance(a, (list, dict)) else a


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, GMMParams):
        return all(_same(getattr(a, f), getattr(b, f)) for f in ("phi", "mu", "Sigma", "chol"))
    return True


def _changed_inputs(case: Case, given) -> list[str]:
    names = case.names or tuple(f"argument {i + 1}" for i in range(len(case.args)))
    out = []
    for name, original, mine in zip(names, case.args, given, strict=False):
        if not _same(original, mine):
            if isinstance(original, GMMParams):
                parts = [f for f in ("phi", "mu", "Sigma") if not _same(getattr(original, f), getattr(mine, f))]
                out.append(" and ".join(f"{name}.{p}" for p in parts) or name)
            else:
                out.append(name)
    return out


_BROADCAST = re.compile(r"shapes \((\d+),(\d+)\) \((\d+),\)|shapes \((\d+),\) \((\d+),(\d+)\)")


def _missing_keepdims(exc) -> bool:
    """A reduction over axis=1 without keepdims, then combined with the (m, k) array it came from."""
    match = _BROADCAST.search(str(exc))
    if not match:
        return False
    g = match.groups()
    return g[0] == g[2] if g[0] is not None else g[3] == g[4]


KEEPDIMS = (
    "a missing keepdims. A row reduction such as a.max(axis=1) or logsumexp(a, axis=1) has shape (m,), and "
    "numpy lines a shape-(m,) array up with the LAST axis of an (m, k) array, not with its rows. Keep the "
    "axis: a.max(axis=1, keepdims=True), logsumexp(a, axis=1, keepdims=True) (or index with [:, None])."
)


def _exception_hint(fn, case: Case, exc) -> str:
    if _missing_keepdims(exc):
        return " This is " + KEEPDIMS
    if "arrays can be converted to Python scalars" in str(exc):
        return (
            " math.log, math.exp and math.sqrt work on one number at a time: use np.log, np.exp and np.sqrt, "
            "which work on whole arrays."
        )
    if "math domain error" in str(exc):
        return (
            " math.log got 0 (or a negative number): a density that underflowed to 0 in linear space? Work in log "
            "space (ln phi_j + ln N_j, combined with scipy.special.logsumexp), with numpy's np.log."
        )
    if "read-only" in str(exc):
        return " Do not modify the inputs in place: work on a copy (e.g. X = X.copy(), mu = params.mu.copy())."
    if "FrozenInstanceError" in type(exc).__name__ or "cannot assign to field" in str(exc):
        return " params is read-only (a frozen GMMParams): build new arrays or a new GMMParams instead."
    X = case.args[0] if case.takes_X else None
    if np.ndim(X) == 1 and isinstance(exc, (ValueError, IndexError, TypeError)):
        # The usual cause is `m, n = X.shape` or X[:, j] on data of shape (m,): re-run with (m, 1) to be sure.
        retry = (X.reshape(-1, 1).copy(), *(_copy(a) for a in case.args[1:]))
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"), _time_limit(TIME_LIMIT):
                warnings.simplefilter("ignore")
                fn(*retry)
        except (Exception, _Timeout):
            pass
        else:
            return (
                f" This case has X of shape {np.shape(X)} (1-D data), and your function runs when the same data "
                "come as shape (m, 1): start your function with X = np.asarray(X).reshape(len(X), -1)."
            )
    if isinstance(exc, (IndexError, ValueError)) and ("shape" in str(exc) or "index" in str(exc)):
        return case.shape_hint
    return ""


def call(fn, case: Case):
    """Call the student's function on copies of the case's arguments, catching everything."""
    given = tuple(_copy(a) for a in case.args)
    # Record warnings instead of printing them (or raising them, under filterwarnings=error):
    # they are clues for the diagnosis, not output for the notebook.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(divide="warn", over="warn", invalid="warn", under="ignore"):
            try:
                with _time_limit(TIME_LIMIT):
                    out = fn(*given)
            except NotImplementedError:
                raise NotImplementedYet from None
            except _Timeout:
                raise Fail(
                    f"your function did not return within {TIME_LIMIT:g} s on {case.label}, so it was stopped. "
                    "The usual causes are a while loop whose condition never becomes false (an index that is "
                    "never incremented, a tolerance that is never reached), or Python loops over every point and "
                    "component that are far too slow: loop over the k components at most, and let numpy handle "
                    "the points."
                ) from None
            except Exception as exc:
                text = clean(exc).rstrip(".")
                raise Fail(
                    f"your function raised {type(exc).__name__} on {case.label}: {text}."
                    + _exception_hint(fn, case, exc),
                    generic=True,
                ) from None
    for w in caught:
        msg = str(w.message)
        if msg not in case.warned:
            case.warned.append(msg)
    changed = _changed_inputs(case, given)
    if changed:
        raise Fail(
            f"your function changed its input {' and '.join(changed)} in place on {case.label}. The caller's "
            "arrays in your notebook change with it (X -= mu, W /= ..., params.mu[j] = ... write into the "
            "caller's data). Compute new arrays instead (D = X - mu_j), or copy first (X = X.copy())."
        )
    return out


def numeric(out, case: Case, what: str) -> np.ndarray:
    """The student's output as a float array, or fail with a message about None, type or complex numbers."""
    if out is None:
        raise Fail(
            f"your function returned None on {case.label}. Did you forget the `return` statement? "
            f"It should return {what}."
        )
    try:
        a = np.asarray(out)
        if a.dtype.kind in "USO" and not a.size == 0 and isinstance(np.ravel(a)[0], str):
            raise Fail(
                f"your function returned text ({a_type(out)}) on {case.label}, not a number: return the value itself; "
                "a formatted string such as f'{x:.3f}' is for printing."
            )
        if np.iscomplexobj(a):
            raise Fail(
                f"your function returned complex numbers on {case.label}: was a negative number passed to "
                f"np.sqrt, or np.emath used? It should return {what}, real-valued."
            )
        return a.astype(float)
    except (TypeError, ValueError):
        raise Fail(f"your function returned {a_type(out)}, not numbers; it should return {what}.") from None


def scalar(out, case: Case, what: str) -> float:
    """Read the student's output as one number, or fail with a message about its type/shape."""
    a = numeric(out, case, what)
    if a.size != 1:
        raise Fail(
            f"your function returned an array of shape {a.shape} on {case.label}, but it should return {what}: "
            "a single number. Did you forget to sum over the points (or over both axes)?",
            generic=True,
        )
    return float(a.reshape(()))


def close(a, b, rtol: float = RTOL) -> bool:
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return False
    scale = max(1.0, float(np.max(np.abs(b[np.isfinite(b)]), initial=0.0)))
    return bool(np.allclose(a, b, rtol=rtol, atol=ATOL * scale))


def match(value, variants):
    """The message of the first known-wrong variant that ``value`` equals, or None."""
    for v, message in variants:
        if v is not None and close(value, v):
            return message
    return None


# --------------------------------------------------------------------------------------------------
# Running a checker
# --------------------------------------------------------------------------------------------------


def _dimension_pointer(case: Case, passed: list[Case]) -> str:
    """Name the dimension (n features or k components) that the failing case adds to those passed."""
    if case.n is None or case.k is None:
        return ""
    done = {(c.n, c.k) for c in passed if c.n is not None and c.k is not None}
    if not done or (case.n, case.k) in done:
        return ""
    same_k = sorted({n for n, k in done if k == case.k})
    same_n = sorted({k for n, k in done if n == case.n})
    if case.n >= 3 and max((n for n, _ in done), default=0) <= 2:
        return (
            f" Your function passed every case with n <= 2 features and fails with n = {case.n}: look for "
            "anything written for 2 x 2 matrices (a hand-written inverse or determinant, a*d - b*c), or n taken "
            "from X.ndim (always 2) instead of X.shape[1]."
        )
    if same_k and not same_n:
        return (
            f" Your function passed the case with n = {same_k[0]} feature(s) and the same k = {case.k}, so check "
            f"what changes with n = {case.n}: X of shape (m, n), mu_j of shape (n,), Sigma_j of shape (n, n)."
        )
    if same_n and not same_k:
        return (
            f" Your function passed k = {', '.join(map(str, same_n))} with the same n = {case.n}, so check what "
            f"changes with k = {case.k} components: a loop over range(k) (not a hard-coded 2), and sums over "
            "the right axis."
        )
    return ""


def run_cases(fn, cases, compare) -> None:
    """Call the student's function on every case and compare; a vague diagnosis waits for a sharper one."""
    passed: list[Case] = []
    vague = None
    for case in cases:
        try:
            compare(case, call(fn, case))
        except Fail as fail:
            if fail.generic and vague is None:
                pointer = _dimension_pointer(case, passed)
                if pointer:
                    fail = Fail(f"{fail}{pointer}", vague=fail.vague, generic=True)
            if not fail.vague:
                raise fail from None
            vague = vague or fail
        else:
            passed.append(case)
    if vague is not None:
        raise vague
    _no_warnings(cases)


_WARNING_CAUSES = (
    (
        "divide by zero encountered in log",
        "np.log(0): a zero (phi_j = 0, w = 0 or p = 0) went into a log. Where ln 0 = -inf is meant, write it "
        "without the warning (np.log(a, out=np.full_like(a, -np.inf), where=a > 0), or np.errstate(divide="
        "'ignore') around that line); where the term must vanish (0 ln 0 = 0), mask it or use "
        "scipy.special.xlogy.",
    ),
    (
        "invalid value",
        "an operation made NaN on the way (0 * inf, inf - inf, 0/0), even if later code removed it (np.nansum, "
        "np.nan_to_num). Mask the entries that must be 0 before computing them.",
    ),
    ("overflow", "np.exp of a large number overflowed: subtract the largest term first (log-sum-exp)."),
    ("divide by zero", "a division by zero: check which denominator can be 0 and handle that case."),
)


def _no_warnings(cases) -> None:
    seen = [(c, w) for c in cases for w in c.warned if not any(a in w for a in c.allowed_warnings)]
    if not seen:
        return
    case, text = seen[0]
    why = next((cause for key, cause in _WARNING_CAUSES if key in text), "")
    raise Fail(
        f"your values are right on every case, but your function raised a warning on {case.label}: "
        f"'{text}'. A warning usually means an edge case is not handled. {why}".rstrip()
    )


def checker(noun: str):
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
            except NotImplementedYet:
                return CheckResult(
                    False,
                    f"Not implemented yet: {fname} raises NotImplementedError. Replace the "
                    f"`raise NotImplementedError` line with your {noun}, then run the check again.",
                )
            except Fail as fail:
                return CheckResult(False, f"Not yet: {fail}")
            except Exception as exc:  # a bug in the checker must not break a student's notebook
                return CheckResult(
                    False, f"The checker itself failed ({type(exc).__name__}: {clean(exc)}); please report this."
                )
            return CheckResult(True, f"Correct: {summary}")

        return check

    return decorate


def diagnose_scalar(case: Case, out: float, ref: float, what: str, variants, generic: bool = True):
    """Fail with the first known mistake that ``out`` equals, or with the two numbers and their difference."""
    vs = versus(out, ref, what)
    hint = match(out, variants)
    if hint:
        raise Fail(f"{hint} (On {case.label}: {vs}.)")
    raise Fail(f"on {case.label} {vs}." + warn_note(case), generic=generic)
