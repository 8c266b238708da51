"""Checkers for notebook 10 (how fast is EM): the linear rate from a trace, and one SQUAREM step with its safeguard.

The rate cases are log-likelihood traces l(Theta^(0..T)) with a known rate lambda: a fast transient first (a second
mode that dies out at a smaller rate), then the linear tail l* - l_t ~ A lambda^(2t), and at the end steps at
round-off level (exactly 0, or +-1 ulp of l*), as a run at a tight tolerance produces; plus a real EM run of
:class:`emlab.GaussianMixture`, whose rate is the largest eigenvalue of the EM map's Jacobian.

The SQUAREM cases are EM-like maps M with a log-likelihood: linear maps (where SQUAREM lands on the fixed point),
an oscillating map (where ||r|| / ||v|| < 1 and the step length is clamped to 1; M(theta2) and theta2 are both
accepted there), maps whose extrapolated point is
invalid (l = -inf or NaN) or worse than M(theta) (the safeguard must fall back to theta2), and the EM map of a
1-D Gaussian mixture on the unconstrained parametrisation of :mod:`emlab.rate`.
"""

from __future__ import annotations

import functools

import numpy as np

from ._harness import Case, CheckResult, Fail, checker, num, numeric, run_cases, scalar, versus, versus_arrays

__all__ = ["check_rate_from_trace", "check_squarem_step"]

# Steps at or below FLOOR * (1 + |l_T|) are round-off, as the notebook states.
FLOOR = 1e-10


# --------------------------------------------------------------------------------------------------
# The rate from a trace
# --------------------------------------------------------------------------------------------------


def _synthetic_trace(lam, mu, l_star, A, B, extra=6, stop_at=None):
    """l_t = l* - A lam^(2t) - B mu^(2t), computed in float64, run until A lam^(2t) is below round-off."""
    t_end = int(np.ceil(np.log(1e-16 * abs(l_star) / A) / (2 * np.log(lam)))) + extra
    if stop_at is not None:
        t_end = stop_at
    t = np.arange(t_end + 1)
    return l_star - A * lam ** (2.0 * t) - B * mu ** (2.0 * t)


@functools.cache
def _em_trace():
    """A real run: two unit-variance 1-D components 2.5 apart, plain EM at a tight tolerance; and its rate."""
    from .. import GaussianMixture, rate  # imported on first use: import emlab stays light

    rng = np.random.default_rng(2026_12_10)
    X = np.r_[rng.normal(0.0, 1.0, 300), rng.normal(2.5, 1.0, 200)][:, None]
    start = {"weights_init": [0.5, 0.5], "means_init": [[-1.0], [3.0]], "precisions_init": [[[1.0]], [[1.0]]]}
    gm = GaussianMixture(2, reg_covar=0.0, tol=1e-12, max_iter=5000, **start).fit(X)
    sq = GaussianMixture(2, reg_covar=0.0, tol=1e-15, max_iter=5000, accelerate="squarem", **start).fit(X)
    lam = rate.largest_eigenvalue(rate.em_jacobian(X, sq.params_))
    return np.asarray(gm.history_.trace, dtype=float), lam


def _rate_cases():
    out = []

    def add(label, trace, lam, *tags):
        trace = np.array(trace, dtype=float)
        trace.flags.writeable = False
        out.append(Case(label, (trace,), names=("trace",), tags=frozenset(tags), allowed_warnings=()))
        out[-1].lam = lam

    add("a trace with rate 0.9 (a transient at rate 0.5, then round-off steps at the end)",
        _synthetic_trace(0.9, 0.5, -1234.567, 5.0, 300.0), 0.9, "roundoff")
    add("a trace with rate 0.5 (transient at rate 0.1)", _synthetic_trace(0.5, 0.1, -87.25, 2.0, 80.0), 0.5, "roundoff")
    add("a slow trace with rate 0.99 (transient at rate 0.8)",
        _synthetic_trace(0.99, 0.8, -5021.3, 30.0, 900.0), 0.99, "roundoff")
    add("a run stopped by a tolerance, rate 0.8 (no round-off steps)",
        _synthetic_trace(0.8, 0.3, -412.0, 4.0, 60.0, stop_at=40), 0.8)
    trace, lam = _em_trace()
    add(f"a real EM run (two 1-D components 2.5 apart, {trace.size - 1} iterations; its Jacobian's largest "
        f"eigenvalue is {lam:.4f})", trace, lam, "em")
    return out


def _tolerance(lam):
    # Any estimate from the linear tail is this close; the transient and the round-off ratios are not.
    return 0.05 * (1.0 - lam) + 2e-4


def _sqrt_ratios(trace):
    d = np.diff(trace)
    with np.errstate(all="ignore"):
        return d, np.sqrt(d[1:] / d[:-1])


def _compare_rate(case, out):
    (trace,) = case.args
    lam = case.lam
    value = scalar(out, case, "the rate lambda")
    if abs(value - lam) <= _tolerance(lam):
        return
    vs = versus(value, lam, "the rate")
    d, ratios = _sqrt_ratios(trace)
    floor = FLOOR * (1.0 + abs(trace[-1]))
    informative = (np.abs(d[:-1]) > floor) & (np.abs(d[1:]) > floor)
    if not np.isfinite(value):
        raise Fail(
            f"your rate is {num(value)} on {case.label}: a ratio of two round-off steps (0/0, or a division by an "
            f"exact 0) or the square root of a negative one. Steps at or below {FLOOR:g} (1 + |l_T|) are round-off, "
            "not signal: leave them out before dividing (mask d[:-1] > floor and d[1:] > floor)."
        )
    if value < 0:
        if abs(np.exp(value) - lam) <= _tolerance(lam) or abs(np.exp(value / 2) - lam) <= _tolerance(lam):
            raise Fail(f"you returned a logarithm of the rate; return lambda itself, between 0 and 1. ({vs}.)")
        raise Fail(f"a rate is between 0 and 1, and yours is negative on {case.label} ({vs}).")
    checks = [
        (lam**2, "you returned lambda^2: the log-likelihood steps shrink by lambda^2 per iteration (l* - l_t ~ "
         "lambda^(2t)), so the rate is the square root of their ratio."),
        (np.sqrt(lam), "you took the square root twice (or of a ratio that already was lambda): the ratio of "
         "successive log-likelihood steps is lambda^2, and lambda is its square root."),
        (1.0 / lam, "your ratio is upside down (a rate above 1 would mean divergence): divide the later step by the "
         "earlier one, Delta l_(t+1) / Delta l_t."),
        (1.0 / lam**2, "your ratio is upside down and lacks the square root: lambda = sqrt(Delta l_(t+1) / "
         "Delta l_t), the later step over the earlier one."),
        (1.0 - lam, "your answer is 1 - lambda, the fraction by which the error shrinks; the rate is lambda itself, "
         "the fraction that remains after each iteration."),
        (1.0 - lam**2, "your answer is 1 - lambda^2; the rate is lambda = sqrt(Delta l_(t+1) / Delta l_t)."),
    ]
    for ref, message in checks:
        if abs(value - ref) <= 1e-3 * max(abs(ref), 1e-3):
            raise Fail(f"{message} (On {case.label}: {vs}.)")
    with np.errstate(all="ignore"):
        roundoff = ~informative & np.isfinite(ratios)
        early = informative & (np.abs(ratios - lam) > _tolerance(lam))
        l_ratios = trace[1:] / trace[:-1]
    # Dividing l values gives l_(t+1) / l_t (or its root, or a summary of the last few): close to 1, and exactly 1
    # once l has stopped moving, where the ratio of two equal round-off steps is exactly 1 as well.
    divided_l = _tail_summary_of(value, l_ratios) or _tail_summary_of(value, np.sqrt(l_ratios))
    # The round-off diagnosis comes first: a ratio of two one-ulp steps (a filter d > 0 without the floor) is also
    # close to 1, and must not be taken for a division of l values.
    if "roundoff" in case.tags and (
        np.any(np.abs(ratios[roundoff] - value) <= 1e-9 * max(value, 1.0))
        or np.any(np.abs(ratios[roundoff] ** 2 - value) <= 1e-9 * max(value, 1.0))
        or _tail_summary_of(value, ratios[np.isfinite(ratios)])
    ):
        raise Fail(
            f"your estimate uses the last steps of the trace, which are round-off (|Delta l| <= {FLOOR:g} (1 + |l_T|) "
            f"= {floor:.2g} here: the run has converged to machine precision and its steps are noise; a filter "
            "d > 0 keeps steps of one ulp, whose ratio is 1, and dropping only the NaN ratios keeps the 0 and "
            "1-ulp ones). Leave them out (mask d > floor) and use the last informative steps. "
            f"(On {case.label}: {vs}.)",
            vague=divided_l,  # exactly 1 is also l_T / l_(T-1) here: a trace that still moves tells them apart
        )
    if divided_l or abs(value - np.sqrt(trace[-1] / trace[-2])) < 1e-9:
        raise Fail(
            "you divided log-likelihood values, l_(t+1) / l_t, which is always close to 1; the rate is in the ratio "
            f"of the steps Delta l_t = l_t - l_(t-1) (take np.diff of the trace first). (On {case.label}: {vs}.)"
        )
    if np.any(np.abs(ratios[early] - value) <= 1e-9) or _summary_of(value, ratios[informative]) or (
        early.any() and abs(value - lam) > _tolerance(lam) and min(ratios[early].min(), lam) <= value
        <= max(ratios[early].max(), lam)
    ):
        raise Fail(
            f"your estimate includes the first iterations, where a faster mode has not yet died out and the steps "
            f"do not shrink at the rate yet. Use the last informative steps (the tail of the run), not the start. "
            f"(On {case.label}: {vs}.)"
        )
    if "em" in case.tags:
        raise Fail(
            f"on {case.label} your estimate is off ({vs}): it works on exact synthetic traces but not on a real run; "
            "use the median of the last few informative ratios rather than a single one, and leave out round-off "
            f"steps (at or below {FLOOR:g} (1 + |l_T|) = {floor:.2g})."
        )
    raise Fail(f"on {case.label} {vs}. (Tolerance: {num(_tolerance(lam), 3)}.)", generic=True)


def _tail_summary_of(value, values, longest=30) -> bool:
    """True when value is one of the last ``longest`` values, or a mean or median of the last few (or the root
    of one of their squares): what an estimate from the tail of a trace returns."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    with np.errstate(all="ignore"):
        for k in range(1, min(longest, values.size) + 1):
            tail = values[-k:]
            candidates = [tail[0], np.mean(tail), np.median(tail), np.sqrt(np.mean(tail**2)),
                          np.sqrt(np.median(tail**2))]
            if any(np.isfinite(c) and abs(value - c) <= 1e-12 * max(abs(c), 1.0) for c in candidates):
                return True
    return False


def _summary_of(value, ratios) -> bool:
    """True when value is the mean or median of ``ratios`` (or of their squares)."""
    if ratios.size == 0:
        return False
    candidates = [np.mean(ratios), np.median(ratios), np.mean(ratios**2), np.median(ratios**2)]
    return any(np.isfinite(c) and abs(value - c) <= 1e-9 * max(abs(c), 1.0) for c in candidates)


@checker("rate estimate")
def check_rate_from_trace(fn) -> CheckResult:
    """Check ``fn(trace) -> lambda``: EM's linear rate estimated from a log-likelihood trace l(Theta^(0..T)).

    Near the fixed point the steps Delta l_t = l_t - l_(t-1) shrink by lambda^2 per iteration, so lambda is the
    square root of the ratio of successive steps, read off the tail of the run: after the first iterations (a
    faster transient) and before the round-off steps (at or below ``1e-10 (1 + |l_T|)``).

    Parameters
    ----------
    fn : callable
        The student's estimator; ``trace`` is a 1-D float array (read-only).

    Returns
    -------
    CheckResult
    """
    cases = _rate_cases()
    run_cases(fn, cases, _compare_rate)
    return (
        f"estimates the rate on {len(cases)} traces: rates 0.5 to 0.99 after a faster transient, runs that end in "
        "round-off steps and one stopped by a tolerance, and a real EM run whose rate is its Jacobian's largest "
        "eigenvalue."
    )


# --------------------------------------------------------------------------------------------------
# One SQUAREM step
# --------------------------------------------------------------------------------------------------


class _Map:
    """An EM-like map that counts its evaluations (each one an E-step and an M-step in real EM)."""

    def __init__(self, f):
        self.f = f
        self.calls = 0

    def __call__(self, theta):
        self.calls += 1
        theta = np.asarray(theta, dtype=float)
        return np.asarray(self.f(theta), dtype=float)


def _linear(target, A):
    target = np.asarray(target, dtype=float)
    A = np.atleast_2d(np.asarray(A, dtype=float))
    return lambda th: target + A @ (th - target)


def _quadratic(target, H, valid=None, dip=None, nan=False):
    target = np.asarray(target, dtype=float)
    H = np.atleast_2d(np.asarray(H, dtype=float))

    def log_lik(th):
        th = np.asarray(th, dtype=float)
        if valid is not None and not valid(th):
            return np.nan if nan else -np.inf
        e = th - target
        value = -0.5 * float(e @ H @ e)
        if dip is not None:
            center, depth, width = dip
            value -= depth * float(np.exp(-np.sum((th - center) ** 2) / width**2))
        return value

    return log_lik


@functools.cache
def _gmm_problem():
    from .. import GMMParams, rate  # imported on first use

    rng = np.random.default_rng(2026_12_11)
    X = np.r_[rng.normal(0.0, 1.0, 150), rng.normal(2.0, 1.0, 100)][:, None]
    M = rate.em_map(X, 2)

    def log_lik(th):
        value, _ = rate.negative_log_likelihood_and_gradient(np.asarray(th, dtype=float), X, 2)
        return -value * X.shape[0]

    start = GMMParams(phi=[0.5, 0.5], mu=[[-1.0], [3.0]], Sigma=[[[1.5]], [[1.5]]])
    theta = rate.to_unconstrained(start)
    for _ in range(5):  # a few plain EM steps first: SQUAREM's usual situation, mid-run
        theta = M(theta)
    return theta, M, log_lik


def _squarem_cases():
    out = []
    state = {}  # what the cases so far say the mistake is

    def add(label, theta, f, log_lik, *tags):
        theta = np.array(theta, dtype=float)
        theta.flags.writeable = False
        out.append(Case(label, (theta, _Map(f), log_lik), names=("theta", "M", "log_lik"), tags=frozenset(tags)))
        out[-1].state = state

    add("a 1-D linear map with rate 0.9 (SQUAREM lands on the fixed point 2)", [5.0], _linear([2.0], 0.9),
        _quadratic([2.0], 1.0), "scalar")
    add("a fast 1-D linear map with rate 0.3", [-1.0], _linear([0.5], 0.3), _quadratic([0.5], 2.0), "fast")
    A = np.diag([0.95, 0.6, 0.2])
    add("a 3-D linear map with rates 0.95, 0.6 and 0.2", [1.0, -2.0, 0.5], _linear([0.0, 0.0, 0.0], A),
        _quadratic([0.0, 0.0, 0.0], np.diag([1.0, 2.0, 0.5])), "multi")
    add("an oscillating 1-D map, M(theta) - 1 = -0.6 (theta - 1), where ||r|| / ||v|| < 1",
        [3.0], _linear([1.0], -0.6), _quadratic([1.0], 1.0), "clamp")
    # The extrapolated point of a slow map leaves the valid region (a variance below 0): l = -inf there.
    add("a 2-D map whose extrapolated point is invalid (l = -inf for theta_1 < 0.5)", [4.0, 1.0],
        _linear([0.3, 0.0], np.diag([0.9, 0.85])),
        _quadratic([0.3, 0.0], np.eye(2), valid=lambda th: th[0] >= 0.5), "invalid")
    add("the same map, but l returns NaN at invalid points", [4.0, 1.0],
        _linear([0.3, 0.0], np.diag([0.9, 0.85])),
        _quadratic([0.3, 0.0], np.eye(2), valid=lambda th: th[0] >= 0.5, nan=True), "nan")
    # l dips where the extrapolation lands: l(theta') lies between l(theta) and l(M(theta)).
    add("a 1-D map whose l dips at the extrapolated point (l(theta) < l(theta') < l(M(theta)))", [5.0],
        _linear([2.0], 0.9), _quadratic([2.0], 1.0, dip=(np.array([2.0]), 4.0, 0.3)), "between")
    theta, M, log_lik = _gmm_problem()
    add("the EM map of a two-component 1-D Gaussian mixture (theta~ as in emlab.rate, 5 values)", theta, M, log_lik,
        "gmm")
    return out


def _reference(theta, f, log_lik, variant=None):
    """One SQUAREM step, and the usual slips in it (``variant``)."""
    theta = np.asarray(theta, dtype=float)
    t1 = f(theta)
    t2 = f(t1)
    r = t1 - theta
    v = t2 - 2 * t1 + theta
    if variant == "v_wrong":
        v = t2 - t1
    nr, nv = np.linalg.norm(r), np.linalg.norm(v)
    alpha = nr / nv if nv > 0 else 1.0
    if variant == "alpha_inverted":
        alpha = nv / nr if nr > 0 else 1.0
    elif variant == "alpha_squared":
        alpha = (nr / nv) ** 2 if nv > 0 else 1.0
    elif variant == "s1":
        alpha = -float(r @ v) / float(v @ v)
    elif variant == "s2":
        alpha = -float(r @ r) / float(r @ v)
    if variant != "no_clamp":
        alpha = max(alpha, 1.0) if variant != "min_clamp" else min(alpha, 1.0)
    if variant == "sign":
        theta_x = theta - 2 * alpha * r + alpha**2 * v
    elif variant == "alpha_not_squared":
        theta_x = theta + 2 * alpha * r + alpha * v
    elif variant == "no_two":
        theta_x = theta + alpha * r + alpha**2 * v
    elif variant == "from_theta1":
        theta_x = t1 + 2 * alpha * r + alpha**2 * v
    else:
        theta_x = theta + 2 * alpha * r + alpha**2 * v
    l_x = log_lik(theta_x)
    with np.errstate(invalid="ignore"):
        accept = bool(np.isfinite(l_x) and l_x >= log_lik(t1))
    return theta_x, t1, t2, accept, (f(theta_x) if np.all(np.isfinite(theta_x)) else theta_x)


_VARIANTS = {
    "sign": "the signs: with r = M(theta) - theta and v = M(M(theta)) - 2 M(theta) + theta, the extrapolation is "
    "theta' = theta + 2 alpha r + alpha^2 v (alpha = 1 gives M(M(theta))).",
    "alpha_not_squared": "v is multiplied by alpha^2, not alpha: theta' = theta + 2 alpha r + alpha^2 v.",
    "no_two": "r is multiplied by 2 alpha, not alpha: theta' = theta + 2 alpha r + alpha^2 v (alpha = 1 must "
    "give M(M(theta)) = theta + 2 r + v).",
    "from_theta1": "you extrapolated from theta1 = M(theta); the extrapolation starts at theta: theta' = theta + "
    "2 alpha r + alpha^2 v.",
    "v_wrong": "v is the second difference M(M(theta)) - 2 M(theta) + theta = (theta2 - theta1) - (theta1 - "
    "theta), not theta2 - theta1.",
    "alpha_inverted": "alpha is upside down: alpha = ||r|| / ||v||, with r = M(theta) - theta (for a linear map "
    "with rate lambda that is 1 / (1 - lambda)).",
    "alpha_squared": "alpha = ||r|| / ||v|| (the norms themselves, not their squares).",
    "s1": "you used the step length -r.v / v.v (scheme S1); this exercise uses S3, alpha = ||r|| / ||v|| (the "
    "same for a 1-D map, different in several dimensions).",
    "s2": "you used the step length -r.r / r.v (scheme S2); this exercise uses S3, alpha = ||r|| / ||v||.",
    "no_clamp": "alpha is not clamped: use alpha = max(||r|| / ||v||, 1), so that the step never does less "
    "than two EM steps (an oscillating map has ||r|| / ||v|| < 1).",
    "min_clamp": "you clamped alpha from above (min(alpha, 1)), so it is never above 1 and nothing is "
    "extrapolated; the clamp is from below, alpha = max(||r|| / ||v||, 1).",
}


def _compare_squarem(case, out):
    theta, M, log_lik = case.args
    calls, M.calls = M.calls, 0
    if isinstance(out, tuple) and len(out) == 2 and np.ndim(out[0]) == 1:
        raise Fail(
            f"your function returned a pair on {case.label}; return only the new point theta (an array of shape "
            f"{theta.shape}), not whether the extrapolation was accepted or how long the step was."
        )
    new = numeric(out, case, f"the new point theta, an array of shape {theta.shape}")
    f = M.f
    theta_x, t1, t2, accept, stabilised = _reference(theta, f, log_lik)
    ref = stabilised if accept else t2
    if new.shape != theta.shape:
        raise Fail(f"you returned shape {new.shape} on {case.label}; the new point has theta's shape {theta.shape}.",
                   generic=True)
    ok = np.allclose(new, ref, rtol=1e-9, atol=1e-12)
    nv = np.linalg.norm(t2 - 2 * t1 + theta)
    if not ok and (nv == 0 or np.linalg.norm(t1 - theta) / nv <= 1.0):
        # The clamp binds (alpha = 1): theta' = theta2, and returning theta2 without the third evaluation of M is
        # the shortcut of rate.squarem_step and R's SQUAREM. Both answers are right.
        ok = np.allclose(new, t2, rtol=1e-9, atol=1e-12)
    if ok and calls > 3:
        raise Fail(
            f"your new point is right on {case.label}, but your function evaluated M {calls} times. Each evaluation is "
            "an E-step and an M-step over all the data, the expensive part: keep theta1 = M(theta) and theta2 = "
            "M(theta1) in variables and reuse them. One SQUAREM step needs 3 evaluations."
        )
    if ok:
        return
    vs = versus_arrays(new, ref, "the SQUAREM step is")
    if not np.all(np.isfinite(new)):
        raise Fail(
            f"your new point contains NaN or inf on {case.label}: l(theta') is NaN there, and NaN must count as a "
            "rejection (any comparison with NaN is False: write `if l_x >= l_1: ...accept... else: ...fall back...` "
            "so that NaN falls back, not `if l_x < l_1: ...fall back...`)."
        )

    def same(a):
        return np.allclose(new, a, rtol=1e-9, atol=1e-12)

    def differs(a):
        return not np.allclose(a, ref, rtol=1e-9, atol=1e-12) and not np.allclose(a, t2, rtol=1e-9, atol=1e-12)

    if not accept:
        if (same(stabilised) and differs(stabilised)) or (same(theta_x) and differs(theta_x)):
            if "nan" in case.tags:
                raise Fail(
                    f"on {case.label} l(theta') is NaN and you accepted theta': NaN must count as a rejection. Any "
                    "comparison with NaN is False, so write `if l_x >= l_1: accept, else: fall back to theta2`, not "
                    "`if l_x < l_1: fall back`."
                )
            if "between" in case.tags and _reference_compares_theta(theta, f, log_lik):
                raise Fail(
                    f"on {case.label} the extrapolated point theta' is better than theta but worse than theta1 = "
                    "M(theta), and you accepted it: the safeguard compares l(theta') with l(theta1), not with "
                    "l(theta); otherwise the step can do worse than plain EM. Fall back to theta2 = M(theta1)."
                )
            raise Fail(
                f"the safeguard is missing on {case.label}: l(theta') < l(M(theta)) there (or theta' is invalid, "
                "l = -inf), so the extrapolation must be rejected and the step falls back to the plain EM point "
                "theta2 = M(M(theta)). Without it l can decrease."
            )
        if same(t1) and differs(t1):
            raise Fail(
                f"on {case.label} the extrapolation is rightly rejected, but you fell back to theta1 = M(theta); "
                "theta2 = M(theta1) has already been computed and is better: return it."
            )
        if same(theta) and differs(theta):
            raise Fail(
                f"on {case.label} the extrapolation is rightly rejected, but you returned theta unchanged; fall back "
                "to theta2 = M(M(theta)), two plain EM steps, so the step always makes progress."
            )
    elif same(theta_x) and differs(theta_x):
        raise Fail(
            f"on {case.label} you returned the extrapolated point theta' itself; SQUAREM applies one more EM step "
            f"to an accepted theta' (return M(theta')), which stabilises it and makes the step monotone. ({vs}.)"
        )
    matches = set()
    for variant in _VARIANTS:
        try:
            with np.errstate(all="ignore"):
                vx, _, _, vacc, vstab = _reference(theta, f, log_lik, variant)
        except (ValueError, ZeroDivisionError, FloatingPointError):
            continue
        if vacc and np.all(np.isfinite(vstab)) and same(vstab) and differs(vstab):
            matches.add(variant)
    state = case.state
    if matches:
        # A wrong point can fit several slips on one case; the cases together tell them apart.
        state["suspects"] = (state.get("suspects") or matches) & matches or matches
        suspects = [v for v in _VARIANTS if v in state["suspects"]]
        raise Fail(f"{_VARIANTS[suspects[0]]} (On {case.label}: {vs}.)", vague=len(suspects) > 1)
    if accept and same(t2):
        raise Fail(
            f"on {case.label} you returned theta2 = M(M(theta)), two plain EM steps, though the extrapolation is "
            "accepted here (l(theta') >= l(M(theta))): return M(theta'). If your extrapolated point is always "
            "rejected, check it: theta' = theta + 2 alpha r + alpha^2 v with r = M(theta) - theta, alpha = "
            "max(||r|| / ||v||, 1) (a wrong sign or factor moves theta' away, and the safeguard hides it).",
            vague=True,  # a mistake in theta' that the safeguard rejected: a later case may name it
        )
    raise Fail(f"your new point is wrong on {case.label}: {vs}.", generic=True)


def _reference_compares_theta(theta, f, log_lik) -> bool:
    """True when comparing l(theta') with l(theta) (instead of l(M(theta))) would accept here."""
    theta_x, _, _, _, _ = _reference(theta, f, log_lik)
    l_x = log_lik(theta_x)
    return bool(np.isfinite(l_x) and l_x >= log_lik(theta))


@checker("SQUAREM step")
def check_squarem_step(fn) -> CheckResult:
    """Check ``fn(theta, M, log_lik) -> theta_new``: one SQUAREM step (scheme S3) with the monotone safeguard.

    theta1 = M(theta), theta2 = M(theta1), r = theta1 - theta, v = theta2 - 2 theta1 + theta,
    alpha = max(||r|| / ||v||, 1), theta' = theta + 2 alpha r + alpha^2 v. If l(theta') >= l(theta1) (a NaN or -inf
    l(theta') is a rejection) the result is M(theta'), otherwise theta2; at most 3 evaluations of M. Where the clamp
    binds (alpha = 1, so theta' = theta2), returning theta2 itself is accepted too: that is rate.squarem_step's (and
    R's SQUAREM's) shortcut.

    Parameters
    ----------
    fn : callable
        The student's step; ``theta`` is a 1-D float array (read-only), ``M`` the EM map and ``log_lik`` the
        log-likelihood, both callables on such arrays.

    Returns
    -------
    CheckResult
    """
    cases = _squarem_cases()
    run_cases(fn, cases, _compare_squarem)
    return (
        f"matches one SQUAREM step on {len(cases)} cases: linear maps in 1 and 3 dimensions, an oscillating map "
        "(alpha clamped to 1), extrapolations to invalid points (l = -inf and NaN) and to a point worse than M(theta), "
        "and the EM map of a Gaussian mixture; at most 3 evaluations of M each."
    )

