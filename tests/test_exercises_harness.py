"""The harness every checker shares (emlab/exercises/_harness.py): verdicts that never raise, inputs the
student's function cannot corrupt, a time limit, warnings reported, hints only where they apply, and
messages that never show two equal-looking numbers."""

import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _exercise_helpers import assert_fails_with, assert_passes, stub
from scipy.special import logsumexp

from emlab import bernoulli_core, core, exercises, missing, prior, rate
from emlab.exercises import CheckResult, _harness

ALL_CHECKERS = [getattr(exercises, name) for name in exercises.__all__ if name.startswith("check_")]

# A correct answer per checker, for the tests that need one that passes.
REFERENCE = {
    "check_jensen_gap": lambda f, x, p: float(p[p > 0] @ f(x[p > 0]) - f(p @ x)),
    "check_log_jensen_gap": lambda x, p: float(np.log(p @ x) - p[p > 0] @ np.log(x[p > 0])),
    "check_e_step": core.e_step,
    "check_log_likelihood": core.log_likelihood,
    "check_elbo": core.elbo,
    "check_kl_divergence": core.kl_divergence,
    "check_m_step": core.m_step,
    "check_phi_update": lambda W: W.mean(axis=0),
    "check_loop_m_step": lambda X, W, old: core.m_step(X, W),
    "check_bic": lambda X, p: (
        -2 * core.log_likelihood(X, p) + ((p.k - 1) + p.k * p.n + p.k * p.n * (p.n + 1) // 2) * np.log(len(X))
    ),
    "check_bernoulli_e_step": lambda X, phi, mu: bernoulli_core.e_step(X, bernoulli_core.BernoulliParams(phi, mu)),
    "check_bernoulli_m_step": lambda X, W, alpha: tuple(bernoulli_core.m_step(X, W, alpha)),
    "check_conditional_gaussian": lambda x, o, mu, Sigma: missing.conditional_gaussian(x, o, mu, Sigma),
    "check_map_sigma_update": lambda N, sx, sxx, mp, kappa, nu, Lam: prior.map_m_step(
        N, sx, sxx, prior.ConjugatePrior("full", len(N), 1.0, mp, kappa, nu, Lam)
    )[2],
    "check_rate_from_trace": lambda trace: rate.linear_rate(
        trace, using="log_likelihood", floor=1e-10 * (1 + abs(trace[-1]))
    ),
    "check_squarem_step": lambda theta, M, log_lik: _squarem_reference(theta, M, log_lik),
}


def _squarem_reference(theta, M, log_lik):
    # emlab's step with an unbounded step length; alpha = 1 there means theta' = theta2, stabilised by one more step.
    out, info = rate.squarem_step(theta, M, log_lik, step_max=np.inf)
    return M(out) if info.n_evaluations == 2 else out


def test_every_public_checker_is_listed_and_the_reference_passes():
    assert len(ALL_CHECKERS) == len(REFERENCE) and {c.__name__ for c in ALL_CHECKERS} == set(REFERENCE)
    for checker in ALL_CHECKERS:
        assert_passes(checker(REFERENCE[checker.__name__]))


def test_check_result_contract():
    r = CheckResult(False, "Not yet: something.")
    assert not r and r.passed is False
    assert repr(r) == str(r) == "Not yet: something."
    assert CheckResult(True, "Correct: fine.")


@pytest.mark.parametrize("checker", ALL_CHECKERS, ids=lambda c: c.__name__)
def test_stub_is_not_implemented_yet_and_never_raises(checker):
    assert_fails_with(checker(stub), "not implemented yet", "NotImplementedError")


@pytest.mark.parametrize("checker", ALL_CHECKERS, ids=lambda c: c.__name__)
def test_other_exceptions_and_none_are_reported_in_words(checker):
    def broken(*args):
        raise KeyError("phi")

    assert_fails_with(checker(broken), "raised KeyError")

    def forgot_return(*args):
        pass

    assert_fails_with(checker(forgot_return), "returned None", "return")


WEIRD_OUTPUTS = ["text", {"phi": 1}, 1 + 2j, [[1, 2], [3]], object(), (np.ones(2), "b", [1, [2]]), np.zeros(0), np.nan]


@pytest.mark.parametrize("checker", ALL_CHECKERS, ids=lambda c: c.__name__)
def test_any_output_gets_a_verdict_in_words_never_an_exception(checker):
    for weird in WEIRD_OUTPUTS:
        result = checker(lambda *args, weird=weird: weird)
        assert result.passed is False
        assert result.message.startswith("Not yet:"), result.message
        assert "checker itself" not in result.message and "0x" not in result.message


@pytest.mark.parametrize("checker", ALL_CHECKERS, ids=lambda c: c.__name__)
def test_passing_a_result_instead_of_the_function(checker):
    assert_fails_with(checker(np.zeros(3)), "expects your function itself", "ndarray")


@pytest.mark.parametrize("checker", ALL_CHECKERS, ids=lambda c: c.__name__)
def test_a_function_that_never_returns_is_stopped_and_the_timer_is_cleared(checker, monkeypatch):
    monkeypatch.setattr(_harness, "TIME_LIMIT", 0.2)
    before = signal.getsignal(signal.SIGALRM)

    def never_returns(*args):
        i = 0
        while i < 10:  # the student forgot i += 1
            pass

    result = checker(never_returns)
    assert_fails_with(result, "did not return within 0.2 s", "while loop", "loops over every point")
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0
    assert signal.getsignal(signal.SIGALRM) is before


def test_a_student_except_exception_cannot_swallow_the_time_limit(monkeypatch):
    monkeypatch.setattr(_harness, "TIME_LIMIT", 0.2)

    def retries_forever(X, params):
        while True:
            try:
                return core.e_step(X, params.mu)  # raises: params.mu is not a GMMParams
            except Exception:
                continue

    assert_fails_with(exercises.check_e_step(retries_forever), "did not return within")


def test_messages_are_deterministic_and_free_of_addresses():
    class Weird:
        pass

    def returns_object(X, params):
        return Weird()

    def linear(X, params):
        a = np.exp(core.log_joint(X, params))
        return a / a.sum(axis=1, keepdims=True)

    for fn in (returns_object, linear, core.e_step, stub):
        first = exercises.check_e_step(fn).message
        assert first == exercises.check_e_step(fn).message
        assert "0x" not in first


def test_checkers_do_not_leak_warnings_even_under_filterwarnings_error():
    # pytest runs with filterwarnings=error: a student's 0/0 must become a diagnosis, not an exception.
    def linear(X, params):
        a = np.exp(core.log_joint(X, params))
        return a / a.sum(axis=1, keepdims=True)

    assert_fails_with(exercises.check_e_step(linear), "underflow", "numpy also warned", "invalid value")


def test_warnings_of_a_right_answer_are_reported():
    def plain_log(X, params):  # right values, but np.log(0) warns on the phi_j = 0 case
        X = np.asarray(X, dtype=float).reshape(len(X), -1)
        a = np.column_stack([core.log_normal_pdf(X, params.mu[j], params.Sigma[j]) for j in range(params.k)])
        a = a + np.log(params.phi)
        return np.exp(a - logsumexp(a, axis=1, keepdims=True))

    result = exercises.check_e_step(plain_log)
    assert_fails_with(result, "values are right on every case", "divide by zero encountered in log", "phi_j = 0")


def test_changing_an_input_in_place_is_reported_and_cannot_corrupt_the_checker():
    def mutating(X, params):
        W = core.e_step(X, params)
        X *= 0
        return W

    assert_fails_with(exercises.check_e_step(mutating), "changed its input X in place", "X.copy()")
    assert_passes(exercises.check_e_step(core.e_step))

    def mutating_W(X, W, params):  # "cleans" the zeros of the caller's W
        W[W == 0] = 1e-300
        return core.elbo(X, W, params)

    assert_fails_with(exercises.check_elbo(mutating_W), "changed its input W in place")

    def mutating_params(X, params):  # GMMParams arrays are read-only: the attempt is an error, named
        params.mu[0] += 1.0
        return core.e_step(X, params)

    assert_fails_with(exercises.check_e_step(mutating_params), "read-only", "params.mu.copy()")


X_CHECKERS = ["check_log_likelihood", "check_e_step", "check_elbo", "check_m_step", "check_loop_m_step", "check_bic"]


@pytest.mark.parametrize("name", X_CHECKERS)
def test_a_crash_on_1d_data_gets_the_reshape_hint_and_the_hint_works(name):
    checker, ref = getattr(exercises, name), REFERENCE[name]

    def unpacks_shape(X, *rest):  # the common first line, written for 2-D data only
        m, n = X.shape
        return ref(X, *rest)

    assert_fails_with(
        checker(unpacks_shape),
        "raised ValueError",
        "not enough values to unpack",
        "this case has X of shape (200,) (1-D data)",
        "X = np.asarray(X).reshape(len(X), -1)",
    )

    def reshaped(X, *rest):  # the suggested fix
        X = np.asarray(X).reshape(len(X), -1)
        m, n = X.shape
        return ref(X, *rest)

    assert_passes(checker(reshaped))

    def column(X, *rest):  # X[:, 0] on 1-D data: IndexError, same hint
        X[:, 0]
        return ref(X, *rest)

    assert_fails_with(checker(column), "raised IndexError", "X of shape (200,) (1-D data)")


def test_the_reshape_hint_is_only_for_data_x():
    def unpack(q, p):  # q is a 1-D distribution in the first case: not data X
        a, b = q.shape
        return core.kl_divergence(q, p)

    result = exercises.check_kl_divergence(unpack)
    assert_fails_with(result, "raised ValueError", "not enough values to unpack")
    assert "reshape" not in result.message


def test_the_reshape_hint_needs_a_2d_retry_that_succeeds():
    def unpacks_shape(X, params):  # the common first line, written for 2-D data only
        m, n = X.shape
        return core.log_likelihood(X, params)

    result = exercises.check_log_likelihood(unpacks_shape)
    assert_fails_with(
        result,
        "raised ValueError",
        "not enough values to unpack",
        "X of shape (200,) (1-D data)",
        "X = np.asarray(X).reshape(len(X), -1)",
    )

    def reshaped_but_broken(X, params):  # has the reshape line; crashes for another reason
        X = np.asarray(X).reshape(len(X), -1)
        return float(np.sum(X[:, 5]))

    result = exercises.check_log_likelihood(reshaped_but_broken)
    assert_fails_with(result, "raised IndexError")
    assert "reshape" not in result.message


def test_a_missing_keepdims_is_named():
    def no_keepdims(X, params):
        a = core.log_joint(X, params)
        return np.exp(a - logsumexp(a, axis=1))

    result = exercises.check_e_step(no_keepdims)
    assert_fails_with(result, "missing keepdims", "keepdims=True")
    assert "reshape" not in result.message


@pytest.mark.parametrize(
    "checker",
    [exercises.check_jensen_gap, exercises.check_log_jensen_gap, exercises.check_kl_divergence],
    ids=lambda c: c.__name__,
)
def test_no_mixture_shape_hint_outside_the_mixture_checkers(checker):
    def index_error(*args):
        return args[-1][7]  # IndexError: index 7 is out of bounds

    result = checker(index_error)
    assert_fails_with(result, "raised IndexError", "index 7")
    assert "params.mu" not in result.message and "reshape" not in result.message


def test_math_log_on_an_array_is_named():
    import math

    result = exercises.check_log_jensen_gap(lambda x, p: math.log(p @ x) - p @ np.array([math.log(v) for v in x]))
    assert_passes(result)  # one number at a time is fine
    result = exercises.check_log_jensen_gap(lambda x, p: math.log(p @ x) - p @ math.log(x))
    assert_fails_with(result, "raised TypeError", "np.log")


@pytest.mark.parametrize(
    ("out", "ref"),
    [(-578.6561, -578.6562), (1.0000001, 1.0), (2.315431, 2.315432), (1e-12, 1.0000001e-12), (0.0, 1e-9), (5.0, -5.0)],
)
def test_versus_never_prints_two_equal_numbers(out, ref):
    text = _harness.versus(out, ref, "l(Theta)")
    a, b = text.removeprefix("you returned ").split(" (difference")[0].split("; l(Theta) = ")
    assert a != b and "difference" in text


def test_versus_arrays_never_prints_two_equal_arrays():
    text = _harness.versus_arrays(np.array([2.3154301, 6.34599]), np.array([2.31543, 6.34599]))
    a, b = text.removeprefix("you returned ").split(" (largest")[0].split("; expected ")
    assert a != b and "largest difference 1e-07" in text


def test_import_loads_neither_matplotlib_nor_the_plots():
    # Import emlab.exercises without running emlab/__init__ (which may load the plots eagerly): the
    # package itself must need only numpy, scipy and emlab's core.
    root = Path(__file__).resolve().parents[1]
    code = (
        "import sys, types; pkg = types.ModuleType('emlab'); pkg.__path__ = [sys.argv[1]]; sys.modules['emlab'] = pkg; "
        "import emlab.exercises; bad = [m for m in sys.modules if m.split('.')[0] in {'matplotlib', 'seaborn', "
        "'pandas'} or m.startswith('emlab.plots')]; print(bad); assert not bad"
    )
    done = subprocess.run([sys.executable, "-c", code, str(root / "emlab")], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
