"""Hypothesis property tests: the facts the notebooks prove, checked on random problems."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from emlab import GMMParams, e_step, elbo, kl_divergence, log_likelihood, m_step

SETTINGS = settings(max_examples=40, deadline=None)


@st.composite
def problems(draw):
    """Random data, random parameters and random responsibilities of matching shapes."""
    seed = draw(st.integers(0, 2**32 - 1))
    k = draw(st.integers(1, 4))
    n = draw(st.integers(1, 3))
    m = draw(st.integers(max(k, 2) * (n + 2), 60))
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 4, size=(k, n))
    X = centres[rng.integers(k, size=m)] + rng.normal(size=(m, n)) * rng.uniform(0.3, 2.0)
    A = rng.normal(size=(k, n, n))
    params = GMMParams(
        phi=rng.dirichlet(np.ones(k)),
        mu=X[rng.choice(m, size=k, replace=False)] + rng.normal(size=(k, n)),
        Sigma=A @ A.transpose(0, 2, 1) + 0.3 * np.eye(n),
    )
    W = rng.dirichlet(np.full(k, draw(st.sampled_from([0.05, 1.0, 10.0]))), size=m)
    return X, params, W, rng


@SETTINGS
@given(problems())
def test_em_never_lowers_the_log_likelihood(problem):
    X, params, _, _ = problem
    ll = [log_likelihood(X, params)]
    for _ in range(15):
        params = m_step(X, e_step(X, params), reg_covar=1e-6)
        ll.append(log_likelihood(X, params))
    # A ridge of 1e-6 perturbs the exact maximiser by O(1e-6) per step: allow that much slack.
    assert np.all(np.diff(ll) >= -1e-6 * (1 + np.abs(ll[:-1])))


@SETTINGS
@given(problems())
def test_elbo_plus_kl_equals_log_likelihood_for_any_q(problem):
    X, params, W, _ = problem
    posterior = e_step(X, params)
    # A posterior below ~1e-308 is stored as 0 and KL(W || 0) = inf: the identity is exact only where
    # the posterior is representable, which is the case for all but far-out draws.
    assume(np.all(posterior > 0))
    lhs = elbo(X, W, params) + kl_divergence(W, posterior)
    assert lhs == pytest.approx(log_likelihood(X, params), rel=1e-10, abs=1e-8)
    assert elbo(X, W, params) <= log_likelihood(X, params) + 1e-8


def _perturbations(params, rng, eps):
    """Nearby parameters: phi moved on the simplex, mu moved, Sigma moved along a symmetric direction."""
    k, n = params.k, params.n
    out = []
    if k > 1:
        d = rng.normal(size=k)
        d -= d.mean()  # stays on sum(phi) = 1
        phi = params.phi + eps * d / np.abs(d).max() * params.phi.min()
        out.append(GMMParams(phi=phi / phi.sum(), mu=params.mu, Sigma=params.Sigma))
    out.append(GMMParams(phi=params.phi, mu=params.mu + eps * rng.normal(size=(k, n)), Sigma=params.Sigma))
    B = rng.normal(size=(k, n, n))
    scale = np.linalg.eigvalsh(params.Sigma).min(axis=1)[:, None, None]  # small enough to stay positive definite
    S = params.Sigma + eps * 0.5 * (B + B.transpose(0, 2, 1)) * scale
    out.append(GMMParams(phi=params.phi, mu=params.mu, Sigma=S))
    return out


@SETTINGS
@given(problems(), st.sampled_from([1e-1, 1e-2, 1e-3]))
def test_m_step_maximises_the_elbo(problem, eps):
    X, _, W, rng = problem
    best = m_step(X, W)
    top = elbo(X, W, best)
    for other in _perturbations(best, rng, eps):
        assert elbo(X, W, other) <= top + 1e-9 * abs(top)
