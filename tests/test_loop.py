"""emlab.loop_em_step: the naive per-point loop agrees with the vectorised EM step, and shows the old-mean bug."""

import numpy as np
import pytest

from emlab import GMMParams, e_step, elbo, loop_em_step, m_step


@pytest.mark.parametrize(("n", "k"), [(1, 1), (1, 2), (2, 3), (3, 2)])
def test_loop_step_equals_vectorised_em_step(n, k, random_params):
    rng = np.random.default_rng(n * 10 + k)
    X = rng.normal(0, 2, size=(40, n))
    p = random_params(rng, k, n, spread=2.0)
    ours = loop_em_step(X, p)
    ref = m_step(X, e_step(X, p))
    for a, b in ((ours.phi, ref.phi), (ours.mu, ref.mu), (ours.Sigma, ref.Sigma)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_loop_accepts_1d_data():
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(1, 1, 20), rng.normal(10, 1, 20)])
    p = GMMParams(phi=[0.5, 0.5], mu=[0.0, 8.0], Sigma=[1.0, 1.0])
    np.testing.assert_allclose(loop_em_step(x, p).mu, m_step(x, e_step(x, p)).mu, rtol=1e-12)


def test_old_mean_bug_adds_the_mean_shift_and_lowers_the_bound(random_params):
    rng = np.random.default_rng(3)
    X = rng.normal(0, 2, size=(50, 2))
    p = random_params(rng, 2, 2, spread=2.0)
    good = loop_em_step(X, p, centre_on="new")
    bad = loop_em_step(X, p, centre_on="old")
    np.testing.assert_allclose(bad.mu, good.mu)
    np.testing.assert_allclose(bad.phi, good.phi)
    # Centring on the old mean adds (mu_new - mu_old)(mu_new - mu_old)^T to every covariance.
    d = good.mu - p.mu
    np.testing.assert_allclose(bad.Sigma, good.Sigma + d[:, :, None] * d[:, None, :], rtol=1e-10)
    assert np.abs(d).max() > 0.1  # the means did move, so the two updates differ
    # Only the correct update maximises the ELBO for the E-step's responsibilities.
    W = e_step(X, p)
    assert elbo(X, W, good) > elbo(X, W, bad)


def test_loop_rejects_bad_centre_and_reports_linear_space_underflow():
    p = GMMParams(phi=[0.5, 0.5], mu=[0.0, 1.0], Sigma=[1.0, 1.0])
    with pytest.raises(ValueError, match="centre_on must be 'new' or 'old'"):
        loop_em_step(np.zeros(3), p, centre_on="middle")
    # At x = 1e3 both densities underflow to 0 in linear space; the log-space e_step has no trouble.
    x = np.array([0.0, 0.5, 1e3])
    with pytest.raises(ValueError, match="underflowed to 0.*log-densities"):
        loop_em_step(x, p)
    assert np.all(np.isfinite(e_step(x, p)))


def test_loop_reports_an_empty_component():
    p = GMMParams(phi=[1.0, 0.0], mu=[0.0, 1.0], Sigma=[1.0, 1.0])
    with pytest.raises(ValueError, match=r"component 2 \(index 1\) has no responsibility.*N_j = 0"):
        loop_em_step(np.array([0.0, 0.5, 1.0]), p)
