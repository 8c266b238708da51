"""Unit tests of the functional EM core against brute force and the identities the notebooks derive."""

import warnings

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from emlab import (
    GMMParams,
    e_step,
    elbo,
    kl_divergence,
    log_joint,
    log_likelihood,
    log_normal_pdf,
    m_step,
    run_em,
)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


# ---------------------------------------------------------------- densities


@pytest.mark.parametrize("n", [1, 2, 4])
def test_log_joint_matches_scipy_brute_force(rng, n, random_params):
    p = random_params(rng, k=3, n=n)
    X = rng.normal(0, 3, size=(25, n))
    brute = np.array(
        [
            [np.log(p.phi[j] * multivariate_normal(p.mu[j], p.Sigma[j]).pdf(x)) for j in range(p.k)]
            for x in X
        ]
    )
    np.testing.assert_allclose(log_joint(X, p), brute, rtol=1e-10)
    np.testing.assert_allclose(log_normal_pdf(X, p.mu[1], p.Sigma[1]), brute[:, 1] - np.log(p.phi[1]), rtol=1e-10)
    # l and the E-step by brute force in linear space (fine here: the points are near the components).
    lin = np.exp(brute)
    assert log_likelihood(X, p) == pytest.approx(np.log(lin.sum(axis=1)).sum(), rel=1e-10)
    np.testing.assert_allclose(e_step(X, p), lin / lin.sum(axis=1, keepdims=True), rtol=1e-9, atol=1e-15)


def test_1d_data_may_be_given_flat(rng):
    p = GMMParams(phi=[0.4, 0.6], mu=[0.0, 3.0], Sigma=[1.0, 0.5])
    x = rng.normal(size=30)
    np.testing.assert_array_equal(e_step(x, p), e_step(x[:, None], p))
    assert log_likelihood(x, p) == log_likelihood(x[:, None], p)


def test_log_likelihood_is_a_total_not_a_mean(rng):
    p = GMMParams(phi=[1.0], mu=[0.0], Sigma=[1.0])
    x = rng.normal(size=50)
    assert log_likelihood(x, p) == pytest.approx(multivariate_normal(0, 1).logpdf(x).sum(), rel=1e-12)


# ---------------------------------------------------------------- stability


def test_far_point_gives_valid_responsibilities_without_warnings():
    p = GMMParams(phi=[0.5, 0.5], mu=[0.0, 1.0], Sigma=[1.0, 1.0])
    x = np.array([1e3, -1e3, 1e5, 0.5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        W = e_step(x, p)
        ll = log_likelihood(x, p)
    assert np.all(np.isfinite(W)) and np.isfinite(ll)
    np.testing.assert_allclose(W.sum(axis=1), 1.0)
    # Far to the right the nearer component (mu = 1) takes all of it; far left, mu = 0 does.
    np.testing.assert_allclose(W[0], [0.0, 1.0])
    np.testing.assert_allclose(W[1], [1.0, 0.0])
    np.testing.assert_allclose(W[3], [0.5, 0.5])
    # In linear space this point underflows: the densities are 0/0, which is why we work in logs.
    with np.errstate(all="ignore"):
        assert np.all(multivariate_normal(0, 1).pdf(1e3) == 0.0)


def test_zero_weight_component_contributes_nothing(rng, random_params):
    X = rng.normal(size=(40, 2))
    base = random_params(rng, k=2, n=2)
    with_empty = GMMParams(
        phi=np.r_[base.phi, 0.0], mu=np.r_[base.mu, [[5.0, 5.0]]], Sigma=np.r_[base.Sigma, [np.eye(2)]]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        W = e_step(X, with_empty)
        ll = log_likelihood(X, with_empty)
        L = elbo(X, W, with_empty)
        new = m_step(X, W)
    assert np.all(W[:, 2] == 0)
    np.testing.assert_allclose(W[:, :2], e_step(X, base), rtol=1e-12)
    assert ll == pytest.approx(log_likelihood(X, base), rel=1e-12)
    assert L == pytest.approx(ll, rel=1e-12)
    assert new.phi[2] == 0 and np.all(np.isfinite(new.mu)) and np.all(np.isfinite(new.Sigma))


# ---------------------------------------------------------------- M-step


def test_m_step_closed_form_uses_new_mean(rng):
    X = rng.normal(size=(60, 2)) * [1.0, 3.0]
    W = rng.dirichlet(np.ones(3), size=60)
    p = m_step(X, W, reg_covar=0.0)
    Nk = W.sum(axis=0)
    np.testing.assert_allclose(p.phi, Nk / 60)
    for j in range(3):
        mu = (W[:, j, None] * X).sum(axis=0) / Nk[j]
        Sigma = sum(W[i, j] * np.outer(X[i] - mu, X[i] - mu) for i in range(60)) / Nk[j]
        np.testing.assert_allclose(p.mu[j], mu, rtol=1e-12)
        np.testing.assert_allclose(p.Sigma[j], Sigma, rtol=1e-10)


def test_m_step_adds_reg_covar_to_the_diagonal(rng):
    X = rng.normal(size=(30, 3))
    W = rng.dirichlet(np.ones(2), size=30)
    ridge = np.broadcast_to(0.25 * np.eye(3), (2, 3, 3))
    np.testing.assert_allclose(m_step(X, W, 0.25).Sigma - m_step(X, W).Sigma, ridge)


def test_collapsed_component_raises_with_reg_covar_hint():
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.5], [3.0, 3.0]])
    W = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0]])  # component 0 owns one point
    # Numbered from 1 like the notebooks' Sigma_1, with the array index alongside.
    with pytest.raises(ValueError, match=r"component 1 \(index 0\) collapsed.*N_1 = 1.*Sigma_1 is singular.*reg_covar"):
        m_step(X, W)
    assert np.all(np.linalg.eigvalsh(m_step(X, W, reg_covar=1e-6).Sigma[0]) > 0)


@pytest.mark.parametrize(
    "W, words",
    [
        (np.full((4, 2), 0.6), "sum to 1"),
        (np.full((3, 2), 0.5), "rows"),
        (np.array([[1.5, -0.5]] * 4), "non-negative"),
        (np.full(4, 0.5), "shape"),
    ],
)
def test_m_step_rejects_bad_responsibilities(W, words):
    with pytest.raises(ValueError, match=words):
        m_step(np.arange(4.0), W)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_data_is_rejected(bad):
    p = GMMParams(phi=[1.0], mu=[0.0], Sigma=[1.0])
    X = np.array([0.0, bad, 1.0])
    for fn in (lambda: e_step(X, p), lambda: log_likelihood(X, p), lambda: m_step(X, np.ones((3, 1)))):
        with pytest.raises(ValueError, match="NaN or inf"):
            fn()


def test_feature_mismatch_is_rejected():
    p = GMMParams(phi=[1.0], mu=[[0.0, 0.0]], Sigma=[np.eye(2)])
    with pytest.raises(ValueError, match="features"):
        e_step(np.zeros((5, 3)), p)
    with pytest.raises(ValueError, match="X.T"):
        e_step(np.zeros((2, 5)), p)


def test_non_numeric_data_is_rejected_in_words():
    with pytest.raises(ValueError, match="X must be numeric"):
        e_step(["a", "b"], GMMParams(phi=[1.0], mu=[0.0], Sigma=[1.0]))


# ---------------------------------------------------------------- ELBO and KL


def test_elbo_plus_kl_is_log_likelihood(rng, random_params):
    X = rng.normal(0, 2, size=(80, 2))
    p = random_params(rng, k=3, n=2)
    for W in (rng.dirichlet(np.ones(3), size=80), rng.dirichlet(np.full(3, 0.05), size=80), e_step(X, p)):
        total = elbo(X, W, p) + kl_divergence(W, e_step(X, p))
        assert total == pytest.approx(log_likelihood(X, p), rel=1e-12, abs=1e-9)


def test_elbo_at_the_posterior_is_tight(rng, random_params):
    X = rng.normal(size=(50, 1))
    p = random_params(rng, k=2, n=1)
    assert elbo(X, e_step(X, p), p) == pytest.approx(log_likelihood(X, p), rel=1e-12)


def test_elbo_handles_hard_assignments_with_0_ln_0():
    X = np.array([0.0, 5.0])
    p = GMMParams(phi=[0.5, 0.5], mu=[0.0, 5.0], Sigma=[1.0, 1.0])
    W = np.eye(2)
    expected = 2 * np.log(0.5) + multivariate_normal(0, 1).logpdf(0.0) + multivariate_normal(5, 1).logpdf(5.0)
    assert elbo(X, W, p) == pytest.approx(expected, rel=1e-12)


def test_elbo_is_minus_inf_where_q_puts_mass_on_an_impossible_component():
    p = GMMParams(phi=[1.0, 0.0], mu=[0.0, 1.0], Sigma=[1.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert elbo([0.0], [[0.5, 0.5]], p) == -np.inf


def test_kl_divergence_edge_cases():
    q = np.array([[1.0, 0.0], [0.25, 0.75]])
    assert kl_divergence(q, q) == 0.0
    p = np.array([[0.5, 0.5], [0.5, 0.5]])
    expected = np.log(2) + 0.25 * np.log(0.5) + 0.75 * np.log(1.5)
    assert kl_divergence(q, p) == pytest.approx(expected, rel=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert kl_divergence(p, q) == np.inf
    assert kl_divergence([0.2, 0.8], [0.5, 0.5]) > 0
    with pytest.raises(ValueError, match="same shape"):
        kl_divergence(q, p[:1])
    with pytest.raises(ValueError, match="each row of p must sum to 1"):
        kl_divergence(q, p * 2)


# ---------------------------------------------------------------- EM loop


def test_run_em_is_monotone_and_recovers_the_1d_example(rng):
    x = np.r_[rng.normal(1, 1, 100), rng.normal(10, 1, 100)]
    start = GMMParams(phi=[0.5, 0.5], mu=[0.0, 2.0], Sigma=[4.0, 4.0])
    p, history = run_em(x, start, max_iter=200, tol=1e-10)
    trace = history.trace
    assert len(trace) == history.n_iter + 1
    assert np.all(np.diff(trace) >= -1e-9)
    assert abs(trace[-1] - trace[-2]) < 1e-10
    np.testing.assert_allclose(history["elbo_after_e"], trace[:-1])  # the E-step makes the bound tight
    assert np.all(history["kl_after_m"] >= 0)
    np.testing.assert_allclose(history["log_likelihood"] - history["kl_after_m"], history["elbo_after_m"])
    order = np.argsort(p.mu[:, 0])
    np.testing.assert_allclose(p.mu[order, 0], [1.0, 10.0], atol=0.35)
    np.testing.assert_allclose(p.phi[order], [0.5, 0.5], atol=0.01)


def test_run_em_rejects_bad_settings():
    with pytest.raises(ValueError, match="max_iter"):
        run_em([0.0, 1.0], GMMParams(phi=[1.0], mu=[0.0], Sigma=[1.0]), max_iter=0)
