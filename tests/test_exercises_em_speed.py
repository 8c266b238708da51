"""Notebook 10's checkers (emlab/exercises/em_speed.py): the rate from a trace, and one SQUAREM step.

Each table row is an answer students really write; the checker must reject it and name the mistake.
"""

import numpy as np
import pytest
from _exercise_helpers import assert_fails_with, assert_passes, stub

from emlab import exercises, rate

FLOOR = 1e-10


# --------------------------------------------------------------------------------------------------
# The rate from a trace
# --------------------------------------------------------------------------------------------------


def informative_ratios(trace):
    d = np.diff(trace)
    floor = FLOOR * (1 + abs(trace[-1]))
    ok = (np.abs(d[:-1]) > floor) & (np.abs(d[1:]) > floor)
    return d[1:][ok] / d[:-1][ok]


def rate_right(trace):
    return float(np.sqrt(np.median(informative_ratios(trace)[-10:])))


def rate_last_good(trace):
    return float(np.sqrt(informative_ratios(trace)[-1]))


def rate_loglinear_fit(trace):
    # A straight line through ln(Delta l_t) over the last informative steps: slope = 2 ln(lambda).
    d = np.diff(trace)
    floor = FLOOR * (1 + abs(trace[-1]))
    good = np.flatnonzero(d > floor)[-8:]
    slope = np.polyfit(good, np.log(d[good]), 1)[0]
    return float(np.exp(slope / 2))


def rate_emlab(trace):
    return rate.linear_rate(np.asarray(trace), using="log_likelihood", floor=FLOOR * (1 + abs(trace[-1])))


def rate_all_ratios(trace):
    d = np.diff(trace)
    with np.errstate(all="ignore"):
        return float(np.sqrt(d[-1] / d[-2]))


def rate_last_abs(trace):
    # The last five ratios, with np.abs against negative steps: round-off ratios are 0/0 or noise.
    d = np.abs(np.diff(trace))
    with np.errstate(all="ignore"):
        return float(np.sqrt(np.mean(d[1:][-5:] / d[:-1][-5:])))


def rate_first(trace):
    d = np.diff(trace)
    return float(np.sqrt(d[1] / d[0]))


def rate_mean_informative(trace):
    return float(np.mean(np.sqrt(informative_ratios(trace))))


def rate_mutates(trace):
    trace -= trace[-1]  # "centre the trace" in place (the caller's array)
    return rate_right(trace)


def rate_gap_to_last(trace):
    # l* taken as the last value, and the gap ratio (l_T - l_(t+1)) / (l_T - l_t) at the first iterations.
    g = trace[-1] - trace
    return float(np.sqrt(g[2] / g[1]))


def rate_positive_only(trace):
    # Steps > 0 kept, no floor: two equal 1-ulp steps at the end have ratio 1.
    d = np.diff(trace)
    ok = (d[:-1] > 0) & (d[1:] > 0)
    return float(np.median(np.sqrt(d[1:][ok] / d[:-1][ok])[-10:]))


def rate_no_floor_dropna(trace):
    # No floor, and only the NaN/inf ratios (0/0, x/0) dropped: the 0 and 1-ulp ratios stay in the median.
    d = np.diff(trace)
    with np.errstate(all="ignore"):
        r = np.sqrt(d[1:] / d[:-1])
    return float(np.median(r[np.isfinite(r)][-10:]))


RATE_WRONG = [
    ("no square root", lambda t: rate_right(t) ** 2, ["lambda^2", "square root"]),
    ("square root twice", lambda t: np.sqrt(rate_right(t)), ["square root twice"]),
    ("ratio upside down", lambda t: 1 / rate_right(t), ["upside down"]),
    ("upside down, no root", lambda t: 1 / rate_right(t) ** 2, ["upside down"]),
    ("1 - lambda", lambda t: 1 - rate_right(t), ["1 - lambda"]),
    ("1 - lambda^2", lambda t: 1 - rate_right(t) ** 2, ["1 - lambda^2"]),
    ("log of the rate", lambda t: np.log(rate_right(t)), ["logarithm"]),
    ("ratio of l values", lambda t: t[-1] / t[-2], ["l_(t+1) / l_t", "np.diff"]),
    ("ratio of l values, rooted", lambda t: np.sqrt(t[-1] / t[-2]), ["l_(t+1) / l_t"]),
    ("last two steps (round-off)", rate_all_ratios, ["round-off"]),
    ("mean of the last |ratios|", rate_last_abs, ["round-off"]),
    ("steps > 0 only, no floor", rate_positive_only, ["round-off", "d > 0", "ratio is 1"]),
    ("no floor, NaN ratios dropped", rate_no_floor_dropna, ["round-off", "dropping only the nan"]),
    ("first two steps (transient)", rate_first, ["first iterations"]),
    ("mean of all informative ratios", rate_mean_informative, ["first iterations"]),
    ("gap to the last value at the start", rate_gap_to_last, ["first iterations"]),
    ("all the ratios, not one number", lambda t: np.sqrt(informative_ratios(t)), ["single number"]),
    ("returns None", lambda t: None, ["return"]),
    ("returns text", lambda t: f"{rate_right(t):.3f}", ["text"]),
    ("changes the trace in place", rate_mutates, ["in place"]),
    ("math.sqrt of an array", lambda t: __import__("math").sqrt(np.diff(t)[1:] / np.diff(t)[:-1]), ["math"]),
    ("a rate of 0.9 hard-coded", lambda t: 0.9, ["the rate ="]),
    ("a percentage", lambda t: 100 * rate_right(t), ["the rate ="]),
]


@pytest.mark.parametrize(("name", "fn", "words"), RATE_WRONG, ids=[row[0] for row in RATE_WRONG])
def test_rate_checker_names_the_mistake(name, fn, words):
    result = exercises.check_rate_from_trace(fn)
    assert_fails_with(result, *words)
    if "round-off" in words:  # not sent to the wrong fix
        assert "divided log-likelihood" not in result.message and "first iterations" not in result.message


@pytest.mark.parametrize(
    "fn", [rate_right, rate_last_good, rate_loglinear_fit, rate_emlab], ids=["median", "last", "polyfit", "emlab"]
)
def test_rate_checker_accepts_correct_variants(fn):
    assert_passes(exercises.check_rate_from_trace(fn))


def test_rate_checker_stub_is_not_implemented():
    result = exercises.check_rate_from_trace(stub)
    assert not result and result.message.startswith("Not implemented yet")


def test_rate_cases_know_their_rate():
    # The real run's rate (its Jacobian's largest eigenvalue) is what the median of its tail ratios says.
    from emlab.exercises import em_speed

    trace, lam = em_speed._em_trace()
    assert 0.95 < lam < 0.999
    assert abs(rate_right(trace) - lam) < em_speed._tolerance(lam)


# --------------------------------------------------------------------------------------------------
# One SQUAREM step
# --------------------------------------------------------------------------------------------------


def sq_right(theta, M, log_lik):
    theta1 = M(theta)
    theta2 = M(theta1)
    r = theta1 - theta
    v = theta2 - 2 * theta1 + theta
    alpha = max(np.linalg.norm(r) / np.linalg.norm(v), 1.0)
    theta_x = theta + 2 * alpha * r + alpha**2 * v
    if log_lik(theta_x) >= log_lik(theta1):
        return M(theta_x)
    return theta2


def sq_emlab(theta, M, log_lik):
    # emlab's step with an unbounded step length, minus its "alpha within 0.01 of 1" shortcut.
    out, info = rate.squarem_step(theta, M, log_lik, step_max=np.inf)
    if info.n_evaluations == 2:
        return M(out)  # alpha = 1: theta' = theta2, accepted, stabilised
    return out


def sq_try_except(theta, M, log_lik):
    t1 = M(theta)
    t2 = M(t1)
    r, v = t1 - theta, t2 - 2 * t1 + theta
    a = max(np.sqrt(r @ r / (v @ v)), 1)
    x = theta + 2 * a * r + a * a * v
    lx = log_lik(x)
    return M(x) if np.isfinite(lx) and lx >= log_lik(t1) else t2


def make_sq(
    sign=1.0,
    a_power=2,
    two=2.0,
    clamp="max",
    alpha="s3",
    v_wrong=False,
    start="theta",
    safeguard="theta1",
    fallback="theta2",
    stabilise=True,
    nan_accepts=False,
    extra_calls=False,
):
    """SQUAREM written the way students write it, with switchable mistakes."""

    def step(theta, M, log_lik):
        theta1 = M(theta)
        if extra_calls:
            r = M(theta) - theta
            theta2 = M(M(theta))
        else:
            r = theta1 - theta
            theta2 = M(theta1)
        v = theta2 - theta1 if v_wrong else theta2 - 2 * theta1 + theta
        nr, nv = np.linalg.norm(r), np.linalg.norm(v)
        a = {"s3": nr / nv, "inv": nv / nr, "sq": (nr / nv) ** 2, "s1": -(r @ v) / (v @ v), "s2": -(r @ r) / (r @ v)}[
            alpha
        ]
        if clamp == "max":
            a = max(a, 1.0)
        elif clamp == "min":
            a = min(a, 1.0)
        base = theta if start == "theta" else theta1
        theta_x = base + sign * two * a * r + a**a_power * v
        if safeguard is None:
            return M(theta_x) if stabilise else theta_x
        l_x = log_lik(theta_x)
        l_ref = log_lik(theta1) if safeguard == "theta1" else log_lik(theta)
        reject = (l_x < l_ref) if nan_accepts else not (l_x >= l_ref)
        if reject:
            return {"theta2": theta2, "theta1": theta1, "theta": theta}[fallback]
        return M(theta_x) if stabilise else theta_x

    return step


def sq_mutates(theta, M, log_lik):
    out = sq_right(theta, M, log_lik)
    theta[...] = out  # "update theta in place"
    return out


SQ_WRONG = [
    ("no safeguard", make_sq(safeguard=None), ["safeguard is missing"]),
    ("no safeguard, no stabilising step", make_sq(safeguard=None, stabilise=False), ["theta'"]),
    ("no stabilising M(theta')", make_sq(stabilise=False), ["M(theta')"]),
    ("falls back to theta1", make_sq(fallback="theta1"), ["fell back to theta1"]),
    ("falls back to theta", make_sq(fallback="theta"), ["unchanged"]),
    ("safeguard against l(theta)", make_sq(safeguard="theta"), ["not with l(theta)"]),
    ("NaN accepted", make_sq(nan_accepts=True), ["NaN", "rejection"]),
    ("alpha not clamped", make_sq(clamp=None), ["not clamped"]),
    ("alpha clamped from above", make_sq(clamp="min"), ["from above"]),
    ("alpha upside down", make_sq(alpha="inv"), ["upside down"]),
    ("alpha from squared norms", make_sq(alpha="sq"), ["not their squares"]),
    ("step length S1", make_sq(alpha="s1"), ["S1"]),
    ("step length S2", make_sq(alpha="s2"), ["S2"]),
    ("sign of r", make_sq(sign=-1.0), ["always rejected", "wrong sign"]),
    ("alpha instead of alpha^2", make_sq(a_power=1), ["alpha^2, not alpha"]),
    ("alpha r instead of 2 alpha r", make_sq(two=1.0), ["always rejected", "2 alpha r"]),
    ("extrapolated from theta1", make_sq(start="theta1"), ["extrapolated from theta1"]),
    ("v = theta2 - theta1", make_sq(v_wrong=True), ["second difference"]),
    ("M evaluated five times", make_sq(extra_calls=True), ["evaluated M 5 times"]),
    ("plain EM twice", lambda th, M, ll: M(M(th)), ["two plain EM steps"]),
    ("returns (theta, accepted)", lambda th, M, ll: (sq_right(th, M, ll), True), ["only the new point"]),
    ("returns None", lambda th, M, ll: None, ["return"]),
    ("changes theta in place", sq_mutates, ["in place"]),
    ("scalar norm with np.abs", lambda th, M, ll: sq_right(th, M, ll)[:1], ["shape"]),
]


@pytest.mark.parametrize(("name", "fn", "words"), SQ_WRONG, ids=[row[0] for row in SQ_WRONG])
def test_squarem_checker_names_the_mistake(name, fn, words):
    assert_fails_with(exercises.check_squarem_step(fn), *words)


def sq_emlab_shortcut(theta, M, log_lik):
    # emlab's step as it is, with its shortcut: where the clamp binds (alpha = 1), theta' = theta2 is returned.
    return rate.squarem_step(theta, M, log_lik, step_max=np.inf)[0]


@pytest.mark.parametrize(
    "fn", [sq_right, sq_emlab, sq_emlab_shortcut, sq_try_except], ids=["plain", "emlab", "emlab as is", "dot products"]
)
def test_squarem_checker_accepts_correct_variants(fn):
    assert_passes(exercises.check_squarem_step(fn))


def test_squarem_checker_stub_is_not_implemented():
    result = exercises.check_squarem_step(stub)
    assert not result and result.message.startswith("Not implemented yet")


def test_squarem_checker_flags_a_warning_on_a_right_answer():
    def warns(theta, M, log_lik):
        theta1 = M(theta)
        theta2 = M(theta1)
        r, v = theta1 - theta, theta2 - 2 * theta1 + theta
        alpha = max(np.linalg.norm(r) / np.linalg.norm(v), 1.0)
        theta_x = theta + 2 * alpha * r + alpha**2 * v
        l_x = log_lik(theta_x)
        if np.array(l_x) - log_lik(theta1) >= 0:  # -inf - x is fine, but NaN - x ... is also silent
            return M(theta_x)
        np.log(np.zeros(1))  # a stray warning on the fallback path
        return theta2

    assert_fails_with(exercises.check_squarem_step(warns), "warning")
