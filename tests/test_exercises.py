"""The exercise checkers: each passes the reference, reports a stub as not implemented, and names each mistake.

The wrong answers below are small student-style functions, one per mistake the course promises to
diagnose; every test asserts the words of the diagnosis, not just ``passed is False``.
"""

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal, norm
from threadpoolctl import threadpool_limits

from emlab import GMMParams, core, exercises
from emlab.exercises import CheckResult


@pytest.fixture(autouse=True, scope="module")
def one_blas_thread():
    # The checkers run hundreds of tiny numpy/scipy calls; with 2 BLAS threads each switch between
    # numpy's and scipy's OpenBLAS costs milliseconds (docs/facts.md), which would dominate this file.
    with threadpool_limits(1):
        yield


# --------------------------------------------------------------------------------------------------
# Helpers written the way a student would
# --------------------------------------------------------------------------------------------------


def _2d(X):
    X = np.asarray(X, dtype=float)
    return X[:, None] if X.ndim == 1 else X


def densities(X, params):
    """phi_j N(x^(i); mu_j, Sigma_j) in linear space, shape (m, k)."""
    X = _2d(X)
    cols = [params.phi[j] * multivariate_normal.pdf(X, params.mu[j], params.Sigma[j]) for j in range(params.k)]
    return np.column_stack([np.atleast_1d(c) for c in cols])


def densities_sd(X, params):
    """The 1-D classic: Sigma read as a standard deviation (norm.pdf(x, mu, Sigma))."""
    X = _2d(X)
    cols = [params.phi[j] * multivariate_normal.pdf(X, params.mu[j], params.Sigma[j] ** 2) for j in range(params.k)]
    return np.column_stack([np.atleast_1d(c) for c in cols])


def stub(*args):
    raise NotImplementedError


def assert_fails_with(result, *words):
    assert isinstance(result, CheckResult)
    assert result.passed is False
    assert not result
    text = result.message.lower()
    for word in words:
        assert word.lower() in text, f"{word!r} not in: {result.message}"


def assert_passes(result):
    assert result.passed is True, result.message
    assert result.message.startswith("Correct:")


# --------------------------------------------------------------------------------------------------
# CheckResult and the common behaviour
# --------------------------------------------------------------------------------------------------

ALL_CHECKERS = [
    exercises.check_jensen_gap,
    exercises.check_log_jensen_gap,
    exercises.check_log_likelihood,
    exercises.check_e_step,
    exercises.check_elbo,
    exercises.check_kl_divergence,
    exercises.check_m_step,
    exercises.check_loop_m_step,
    exercises.check_phi_update,
    exercises.check_bic,
]


def test_check_result_contract():
    r = CheckResult(False, "Not yet: something.")
    assert not r and r.passed is False
    assert repr(r) == str(r) == "Not yet: something."
    assert CheckResult(True, "Correct: fine.")


@pytest.mark.parametrize("checker", ALL_CHECKERS, ids=lambda c: c.__name__)
def test_stub_is_not_implemented_yet_and_never_raises(checker):
    result = checker(stub)
    assert_fails_with(result, "not implemented yet", "NotImplementedError")


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


def test_messages_are_deterministic_and_free_of_addresses():
    class Weird:
        pass

    def returns_object(X, params):
        return Weird()

    def linear(X, params):
        D = densities(X, params)
        return D / D.sum(axis=1, keepdims=True)

    for fn in (returns_object, linear, core.e_step, stub):
        first = exercises.check_e_step(fn).message
        assert first == exercises.check_e_step(fn).message
        assert "0x" not in first


def test_checkers_do_not_leak_warnings_even_under_filterwarnings_error():
    # pytest runs with filterwarnings=error: a student's 0/0 must become a diagnosis, not an exception.
    def linear(X, params):
        D = densities(X, params)
        return D / D.sum(axis=1, keepdims=True)

    result = exercises.check_e_step(linear)
    assert_fails_with(result, "underflow", "numpy also warned", "invalid value")


def test_inputs_are_copies_so_a_mutating_student_cannot_corrupt_the_checker():
    def mutating(X, params):
        W = core.e_step(X, params)
        X *= 0  # a student bug that must not change the next case's data
        return W

    assert_passes(exercises.check_e_step(mutating))
    assert_passes(exercises.check_e_step(core.e_step))


# --------------------------------------------------------------------------------------------------
# Jensen
# --------------------------------------------------------------------------------------------------


X_CHECKERS = {
    "check_log_likelihood": (exercises.check_log_likelihood, core.log_likelihood),
    "check_e_step": (exercises.check_e_step, core.e_step),
    "check_elbo": (exercises.check_elbo, core.elbo),
    "check_m_step": (exercises.check_m_step, core.m_step),
    "check_loop_m_step": (exercises.check_loop_m_step, lambda X, W, old: core.m_step(X, W)),
    "check_bic": (exercises.check_bic, None),
}


def _reference_bic(X, params):
    m = X.shape[0]
    k, n = params.k, params.n
    p = (k - 1) + k * n + k * n * (n + 1) // 2
    return -2 * core.log_likelihood(X, params) + p * np.log(m)


@pytest.mark.parametrize("name", list(X_CHECKERS))
def test_a_crash_on_1d_data_gets_the_reshape_hint_and_the_hint_works(name):
    checker, ref = X_CHECKERS[name]
    ref = ref or _reference_bic

    def unpacks_shape(X, *rest):  # the common first line, written for 2-D data only
        m, n = X.shape
        return ref(X, *rest)

    result = checker(unpacks_shape)
    assert_fails_with(
        result,
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

    def fails_on_2d(X, params):  # right on 1-D data, crashes on 2-D: the 2-D pointer, no reshape hint
        if np.ndim(X) == 2:
            raise ValueError("shapes (60,2) and (3,) not aligned")
        return core.log_likelihood(X, params)

    result = exercises.check_log_likelihood(fails_on_2d)
    assert_fails_with(result, "raised ValueError", "passed the 1-D case", "2-D data")
    assert "reshape" not in result.message


def test_jensen_gap():
    assert_passes(exercises.check_jensen_gap(exercises._jensen_gap))

    def masked(f, x, p):
        keep = p > 0
        return np.dot(p[keep], f(x[keep])) - f(np.dot(p, x))

    assert_passes(exercises.check_jensen_gap(masked))

    def flipped(f, x, p):
        return f(np.dot(p, x)) - np.dot(p[p > 0], f(x[p > 0]))

    assert_fails_with(exercises.check_jensen_gap(flipped), "sign is flipped")

    def unweighted(f, x, p):
        return np.mean(f(x)) - f(np.mean(x))

    assert_fails_with(exercises.check_jensen_gap(unweighted), "without the weights p")

    def naive(f, x, p):  # right on every case except a zero-probability point where f = -inf
        return np.sum(p * f(x)) - f(np.sum(p * x))

    assert_fails_with(exercises.check_jensen_gap(naive), "p = 0", "NaN", "p > 0")

    def no_sum(f, x, p):
        return p * f(x) - f(np.sum(p * x))

    assert_fails_with(exercises.check_jensen_gap(no_sum), "shape (2,)", "single number")


def test_log_jensen_gap():
    assert_passes(exercises.check_log_jensen_gap(exercises._log_jensen_gap))
    assert_passes(exercises.check_log_jensen_gap(lambda x, p: np.log(p @ x) - p @ np.log(x)))
    assert_fails_with(
        exercises.check_log_jensen_gap(lambda x, p: p @ np.log(x) - np.log(p @ x)), "sign is flipped", "concave"
    )
    assert_fails_with(
        exercises.check_log_jensen_gap(lambda x, p: np.log(np.mean(x)) - np.mean(np.log(x))), "without the weights"
    )
    assert_fails_with(exercises.check_log_jensen_gap(lambda x, p: np.log10(p @ x) - p @ np.log10(x)), "log10")


# --------------------------------------------------------------------------------------------------
# Log-likelihood and E-step
# --------------------------------------------------------------------------------------------------


def test_log_likelihood():
    assert_passes(exercises.check_log_likelihood(core.log_likelihood))

    def mean(X, params):
        return core.log_likelihood(X, params) / _2d(X).shape[0]

    assert_fails_with(exercises.check_log_likelihood(mean), "mean instead of a total", "l / m")

    def product(X, params):  # multiplies the point likelihoods: underflows at m = 2000
        return np.log(np.prod(densities(X, params).sum(axis=1)))

    assert_fails_with(
        exercises.check_log_likelihood(product), "multiplied in linear space", "underflow", "m = 2000", "log space"
    )

    def linear(X, params):  # sums logs over points, but the mixture density in linear space
        return np.sum(np.log(densities(X, params).sum(axis=1)))

    assert_fails_with(
        exercises.check_log_likelihood(linear), "underflow far from the components", "x = 1000", "log space"
    )

    def epsilon(X, params):  # log(p + eps): finite, but wrong by about 5e5 at the far point
        return np.sum(np.log(densities(X, params).sum(axis=1) + 1e-300))

    assert_fails_with(exercises.check_log_likelihood(epsilon), "underflow far from the components", "log space")

    def wrong_axis(X, params):
        return logsumexp(core.log_joint(X, params), axis=0).sum()

    assert_fails_with(exercises.check_log_likelihood(wrong_axis), "wrong axis", "axis=1")

    def sum_outside_log(X, params):
        return core.log_joint(X, params).sum()

    assert_fails_with(exercises.check_log_likelihood(sum_outside_log), "inside the log")

    def no_phi(X, params):
        return logsumexp(core.log_joint(X, params) - np.log(params.phi), axis=1).sum()

    assert_fails_with(exercises.check_log_likelihood(no_phi), "mixing weights phi_j are missing")

    def per_point(X, params):
        return logsumexp(core.log_joint(X, params), axis=1)

    assert_fails_with(exercises.check_log_likelihood(per_point), "shape (200,)", "sum over the points")

    def sd(X, params):
        return np.sum(np.log(densities_sd(X, params).sum(axis=1)))

    assert_fails_with(exercises.check_log_likelihood(sd), "standard deviation")


def test_e_step():
    assert_passes(exercises.check_e_step(core.e_step))

    def log_space(X, params):
        lj = core.log_joint(X, params)
        return np.exp(lj - logsumexp(lj, axis=1)[:, None])

    assert_passes(exercises.check_e_step(log_space))

    def linear(X, params):
        D = densities(X, params)
        return D / D.sum(axis=1, keepdims=True)

    assert_fails_with(exercises.check_e_step(linear), "underflow far from the components", "NaN", "log space")

    def log_then_exp(X, params):  # logs, but exponentiated before subtracting the row maximum
        P = np.exp(core.log_joint(X, params))
        return P / P.sum(axis=1, keepdims=True)

    assert_fails_with(exercises.check_e_step(log_then_exp), "underflow far from the components", "0/0 = NaN")

    def epsilon(X, params):  # "fixes" the NaN with an epsilon: the far row becomes garbage instead
        D = densities(X, params)
        return D / (D.sum(axis=1, keepdims=True) + 1e-300)

    assert_fails_with(exercises.check_e_step(epsilon), "underflow far from the components", "x = 1000", "epsilon")

    def unnormalised(X, params):
        return np.exp(core.log_joint(X, params))

    assert_fails_with(exercises.check_e_step(unnormalised), "do not sum to 1", "without normalising")

    def wrong_axis(X, params):
        lj = core.log_joint(X, params)
        return np.exp(lj - logsumexp(lj, axis=0))

    assert_fails_with(exercises.check_e_step(wrong_axis), "do not sum to 1", "wrong axis", "axis=1")

    def half_rows(X, params):
        W = core.e_step(X, params)
        W[0] *= 0.5
        return W

    assert_fails_with(exercises.check_e_step(half_rows), "do not sum to 1", "row 0 sums to 0.5")

    def transposed(X, params):
        return core.e_step(X, params).T

    assert_fails_with(exercises.check_e_step(transposed), "transposed", "(200, 2)")

    def no_phi(X, params):
        lj = core.log_joint(X, params) - np.log(params.phi)
        return np.exp(lj - logsumexp(lj, axis=1, keepdims=True))

    assert_fails_with(exercises.check_e_step(no_phi), "mixing weights phi_j are missing")

    def hard(X, params):
        return np.eye(params.k)[np.argmax(core.log_joint(X, params), axis=1)]

    assert_fails_with(exercises.check_e_step(hard), "hard 0/1")

    def labels(X, params):
        return np.argmax(core.log_joint(X, params), axis=1)

    assert_fails_with(exercises.check_e_step(labels), "one value per point", "(m, k)")

    def log_w(X, params):
        lj = core.log_joint(X, params)
        return lj - logsumexp(lj, axis=1, keepdims=True)

    assert_fails_with(exercises.check_e_step(log_w), "log-responsibilities", "exponentiate")

    def sd(X, params):
        D = densities_sd(X, params)
        return D / D.sum(axis=1, keepdims=True)

    assert_fails_with(exercises.check_e_step(sd), "standard deviation")

    def only_1d(X, params):  # written for x of shape (m,) with scalar variances
        x = np.asarray(X, dtype=float)
        lj = np.column_stack(
            [
                np.log(params.phi[j]) + norm.logpdf(x, params.mu[j, 0], np.sqrt(params.Sigma[j, 0, 0]))
                for j in range(params.k)
            ]
        )
        return np.exp(lj - logsumexp(lj, axis=1, keepdims=True))

    assert_fails_with(exercises.check_e_step(only_1d), "passed the 1-D case", "2-D data")


# --------------------------------------------------------------------------------------------------
# ELBO and KL
# --------------------------------------------------------------------------------------------------


def _expected(X, W, params):
    lj = core.log_joint(X, params)
    return np.sum(np.where(W > 0, W * lj, 0.0))


def _w_ln_w(W):
    out = np.zeros_like(W)
    np.log(W, out=out, where=W > 0)
    return np.sum(W * out)


def test_elbo():
    assert_passes(exercises.check_elbo(core.elbo))

    def naive(X, W, params):  # 0 ln 0 = NaN
        return np.sum(W * core.log_joint(X, params)) - np.sum(W * np.log(W))

    assert_fails_with(exercises.check_elbo(naive), "0 ln 0", "NaN", "xlogy")

    def naive_one_sum(X, W, params):  # the usual one-liner; passes the 1-D case, NaN on exact zeros
        return np.sum(W * (core.log_joint(X, params) - np.log(W)))

    result = exercises.check_elbo(naive_one_sum)
    assert_fails_with(result, "0 ln 0", "NaN", "xlogy")
    # The NaN diagnosis explains the failure: no pointer to 2-D data as well.
    assert "passed the 1-D case" not in result.message and "handles 2-D data" not in result.message

    def mean(X, W, params):
        return core.elbo(X, W, params) / W.shape[0]

    assert_fails_with(exercises.check_elbo(mean), "mean instead of a total")

    def no_entropy(X, W, params):
        return _expected(X, W, params)

    assert_fails_with(exercises.check_elbo(no_entropy), "entropy term is missing")

    def entropy_sign(X, W, params):
        return _expected(X, W, params) + _w_ln_w(W)

    assert_fails_with(exercises.check_elbo(entropy_sign), "entropy term has the wrong sign")

    def just_l(X, W, params):
        return core.log_likelihood(X, params)

    assert_fails_with(exercises.check_elbo(just_l), "does not depend on W")

    def linear(X, W, params):  # handles 0 ln 0 but takes ln of linear-space densities
        with np.errstate(divide="ignore"):
            logp = np.log(densities(X, params))
        return np.sum(np.where(W > 0, W * logp, 0.0)) - _w_ln_w(W)

    assert_fails_with(exercises.check_elbo(linear), "underflow", "log space")


def test_kl_divergence():
    assert_passes(exercises.check_kl_divergence(core.kl_divergence))

    def naive(q, p):
        return np.sum(q * np.log(q / p))

    assert_fails_with(exercises.check_kl_divergence(naive), "exact zeros", "0 ln 0", "rel_entr")

    def masked(q, p):
        keep = q > 0
        return np.sum(q[keep] * np.log(q[keep] / p[keep]))

    assert_passes(exercises.check_kl_divergence(masked))

    def swapped(q, p):
        return masked(p, q)

    assert_fails_with(exercises.check_kl_divergence(swapped), "KL(p || q)", "not symmetric")

    def flipped(q, p):
        return -masked(q, p)

    assert_fails_with(exercises.check_kl_divergence(flipped), "sign is flipped")

    def mean_rows(q, p):
        return masked(q, p) / (q.shape[0] if q.ndim == 2 else 1)

    assert_fails_with(exercises.check_kl_divergence(mean_rows), "mean instead of a total")

    def per_row(q, p):
        return np.sum(q * np.log(q / p), axis=-1)

    assert_fails_with(exercises.check_kl_divergence(per_row), "one value per row")

    def per_component(q, p):
        return np.sum(q * np.log(q / p), axis=0)

    assert_fails_with(exercises.check_kl_divergence(per_component), "wrong axis")

    def epsilon(q, p):  # handles 0 ln 0 but turns KL = +inf into a large finite number
        keep = q > 0
        return np.sum(q[keep] * np.log(q[keep] / (p[keep] + 1e-12)))

    result = exercises.check_kl_divergence(epsilon)
    assert_fails_with(result, "KL is +inf where p = 0 < q", "q puts mass where p has none", "epsilon")
    finite = 0.2 * np.log(0.2 / 1e-12) + 0.3 * np.log(0.3 / 0.5)
    assert f"returned {finite:.6g} on q = (0.2, 0.3, 0.5) and p = (0, 0.5, 0.5)" in result.message

    def skip_p_zero(q, p):
        keep = (q > 0) & (p > 0)
        return np.sum(q[keep] * np.log(q[keep] / p[keep]))

    assert_fails_with(exercises.check_kl_divergence(skip_p_zero), "KL is +inf where p = 0 < q")


# --------------------------------------------------------------------------------------------------
# M-step, the loop M-step, phi
# --------------------------------------------------------------------------------------------------


def student_m_step(X, W, *, centre="new", sigma_div="N", mu_div="N", phi_axis=0, old=None):
    """A vectorised student M-step with switchable mistakes."""
    X = _2d(X)
    m, n = X.shape
    Nk = W.sum(axis=phi_axis)
    phi = Nk / m
    Nk = W.sum(axis=0)
    mu = W.T @ X / (Nk[:, None] if mu_div == "N" else 1.0)
    Sigma = np.empty((W.shape[1], n, n))
    for j in range(W.shape[1]):
        c = {"new": mu[j], "old": None if old is None else old.mu[j], "zero": 0.0, "shifted": mu[j] + 0.5}[centre]
        D = X - c
        S = (W[:, j, None] * D).T @ D
        Sigma[j] = S / {"N": Nk[j], "none": 1.0, "N-1": Nk[j] - 1}[sigma_div]
    return phi, mu, Sigma


def test_m_step():
    assert_passes(exercises.check_m_step(core.m_step))
    assert_passes(exercises.check_m_step(student_m_step))  # a tuple (phi, mu, Sigma) is accepted

    def as_dict(X, W):
        phi, mu, Sigma = student_m_step(X, W)
        return {"phi": phi, "mu": mu, "Sigma": Sigma}

    assert_passes(exercises.check_m_step(as_dict))

    def squeezed_1d(X, W):
        p = core.m_step(X, W)
        return (p.phi, p.mu.ravel(), p.Sigma.ravel()) if p.n == 1 else (p.phi, p.mu, p.Sigma)

    assert_passes(exercises.check_m_step(squeezed_1d))

    cases = {
        "Sigma_j is missing the division by N_j": dict(sigma_div="none"),
        "mu_j is missing the division by N_j": dict(mu_div="none"),
        "N_j - 1": dict(sigma_div="N-1"),
        "not centred": dict(centre="zero"),
        "centred on some other point": dict(centre="shifted"),
        "wrong axis": dict(phi_axis=1),
    }
    for words, mistake in cases.items():

        def wrong(X, W, mistake=mistake):
            return student_m_step(X, W, **mistake)

        assert_fails_with(exercises.check_m_step(wrong), words)

    def weighted_np_cov(X, W):  # np.cov's default (unbiased) weighting instead of bias=True
        phi, mu, _ = student_m_step(X, W)
        Sigma = [np.atleast_2d(np.cov(_2d(X).T, aweights=W[:, j])) for j in range(W.shape[1])]
        return phi, mu, np.stack(Sigma)

    assert_fails_with(exercises.check_m_step(weighted_np_cov), "np.cov", "bias=True")

    def np_cov_biased(X, W):
        phi, mu, _ = student_m_step(X, W)
        Sigma = [np.atleast_2d(np.cov(_2d(X).T, aweights=W[:, j], bias=True)) for j in range(W.shape[1])]
        return phi, mu, np.stack(Sigma)

    assert_passes(exercises.check_m_step(np_cov_biased))

    def phi_is_N(X, W):
        phi, mu, Sigma = student_m_step(X, W)
        return phi * _2d(X).shape[0], mu, Sigma

    assert_fails_with(exercises.check_m_step(phi_is_N), "without dividing by m", "lambda = -m")

    def sd_1d(X, W):
        phi, mu, Sigma = student_m_step(X, W)
        return phi, mu, np.sqrt(Sigma) if mu.shape[1] == 1 else Sigma

    assert_fails_with(exercises.check_m_step(sd_1d), "standard deviation")

    def one_sigma(X, W):
        phi, mu, Sigma = student_m_step(X, W)
        return phi, mu, Sigma[0]

    assert_fails_with(exercises.check_m_step(one_sigma), "Sigma has shape (1, 1)")

    def invalid_params(X, W):
        return GMMParams(phi=W.sum(axis=0), mu=[0.0] * W.shape[1], Sigma=[1.0] * W.shape[1])

    assert_fails_with(exercises.check_m_step(invalid_params), "raised ValueError", "phi must sum to 1")


def loop_m_step(X, W, old_params, centre_on="new"):
    """The tutorial loop M-step, point by point; centre_on="old" is the widely copied bug."""
    X = _2d(X)
    m, n = X.shape
    k = W.shape[1]
    phi, mu, Sigma = np.zeros(k), np.zeros((k, n)), np.zeros((k, n, n))
    for j in range(k):
        Nj = sum(W[i, j] for i in range(m))
        phi[j] = Nj / m
        centre = old_params.mu[j] if centre_on == "old" else sum(W[i, j] * X[i] for i in range(m)) / Nj
        S = np.zeros((n, n))
        for i in range(m):
            S += W[i, j] * np.outer(X[i] - centre, X[i] - centre)
        Sigma[j] = S / Nj
        mu[j] = sum(W[i, j] * X[i] for i in range(m)) / Nj
    return GMMParams(phi=phi, mu=mu, Sigma=Sigma)


def test_loop_m_step():
    assert_passes(exercises.check_loop_m_step(loop_m_step))
    assert_passes(exercises.check_loop_m_step(lambda X, W, old: core.m_step(X, W)))

    def old_mean(X, W, old_params):
        return loop_m_step(X, W, old_params, centre_on="old")

    result = exercises.check_loop_m_step(old_mean)
    assert_fails_with(result, "centred on the old mean", "old_params", "new mean", "not exact EM")

    def old_mean_vectorised(X, W, old_params):
        return student_m_step(X, W, centre="old", old=old_params)

    assert_fails_with(exercises.check_loop_m_step(old_mean_vectorised), "old mean")

    def no_division(X, W, old_params):
        return student_m_step(X, W, sigma_div="none")

    assert_fails_with(exercises.check_loop_m_step(no_division), "N_j times too big")

    def stale_mu(X, W, old_params):
        phi, _, Sigma = student_m_step(X, W)
        return phi, old_params.mu, Sigma

    assert_fails_with(exercises.check_loop_m_step(stale_mu), "still the old mean")

    # Without old_params, the plain check still says the centre is wrong (not which one).
    def old_mean_hidden(X, W):
        shifted = GMMParams(phi=[0.5, 0.5], mu=[3.0, 6.0], Sigma=[4.0, 4.0]) if W.shape[1] == 2 else None
        if shifted is None or _2d(X).shape[1] != 1:
            return core.m_step(X, W)
        return student_m_step(X, W, centre="old", old=shifted)

    assert_fails_with(exercises.check_m_step(old_mean_hidden), "Sigma is wrong", "new mu_j", "N_j")


def test_phi_update():
    assert_passes(exercises.check_phi_update(lambda W: W.sum(axis=0) / W.shape[0]))
    assert_passes(exercises.check_phi_update(lambda W: W.mean(axis=0)))
    assert_fails_with(exercises.check_phi_update(lambda W: W.sum(axis=0)), "divide by m", "lambda = -m")
    assert_fails_with(exercises.check_phi_update(lambda W: W.sum(axis=1) / W.shape[0]), "wrong axis", "axis=0")
    assert_fails_with(exercises.check_phi_update(lambda W: W.sum(axis=0) / W.shape[1]), "divided by k")

    def square_wrong_axis(W):  # only the square case can tell, the shapes agree there
        return W.mean(axis=1) if W.shape[0] == W.shape[1] else W.mean(axis=0)

    assert_fails_with(exercises.check_phi_update(square_wrong_axis), "wrong axis", "square")


# --------------------------------------------------------------------------------------------------
# BIC
# --------------------------------------------------------------------------------------------------


def _p(k, n):
    return (k - 1) + k * n + k * n * (n + 1) // 2


def test_bic():
    assert_passes(exercises.check_bic(exercises._bic))

    def bic(X, params, l_fn=core.log_likelihood, count=_p, mean=False):
        m = _2d(X).shape[0]
        ll = l_fn(X, params)
        return -2 * (ll / m if mean else ll) + count(params.k, params.n) * np.log(m)

    assert_passes(exercises.check_bic(bic))
    assert_fails_with(exercises.check_bic(lambda X, p: bic(X, p, mean=True)), "mean log-likelihood", "total")
    assert_fails_with(exercises.check_bic(lambda X, p: -bic(X, p)), "sign is flipped")
    assert_fails_with(
        exercises.check_bic(lambda X, p: bic(X, p, count=lambda k, n: k + k * n + k * n * (n + 1) // 2)),
        "p = 6",
        "k - 1 are free",
    )
    assert_fails_with(
        exercises.check_bic(lambda X, p: bic(X, p, count=lambda k, n: (k - 1) + k * n + k * n * n)),
        "symmetric",
        "n(n+1)/2",
    )
    assert_fails_with(exercises.check_bic(lambda X, p: bic(X, p, count=lambda k, n: 0)), "no penalty")

    def aic(X, params):
        return -2 * core.log_likelihood(X, params) + 2 * _p(params.k, params.n)

    assert_fails_with(exercises.check_bic(aic), "AIC")

    def linear_l(X, params):
        return np.sum(np.log(densities(X, params).sum(axis=1)))

    assert_fails_with(exercises.check_bic(lambda X, p: bic(X, p, l_fn=linear_l)), "underflow", "log space")
