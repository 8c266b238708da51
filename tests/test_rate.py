"""EM's rate, the missing-information identity, the unconstrained gradient, and SQUAREM (emlab.rate, accelerate)."""

import warnings

import numpy as np
import pytest

from emlab import GaussianMixture, GMMParams, log_likelihood, rate, run_em

START_1D = {
    "weights_init": [0.5, 0.5],
    "means_init": [[-1.0], [3.0]],
    "precisions_init": np.array([[[1.0]], [[1.0]]]),
}


@pytest.fixture(scope="module")
def overlapping_1d():
    """Two unit-variance components 2.5 apart: EM's rate is close to 1 (about 0.98)."""
    rng = np.random.default_rng(0)
    return np.r_[rng.normal(0.0, 1.0, 300), rng.normal(2.5, 1.0, 200)][:, None]


@pytest.fixture(scope="module")
def fixed_point_1d(overlapping_1d):
    """Theta* of the 1-D example, to round-off (SQUAREM at a tolerance below round-off)."""
    gm = GaussianMixture(2, reg_covar=0.0, tol=1e-15, max_iter=5000, accelerate="squarem", **START_1D)
    return gm.fit(overlapping_1d).params_


def two_d_data(m=400, seed=1):
    rng = np.random.default_rng(seed)
    z = rng.integers(2, size=m)
    A = np.array([[[1.0, 0.3], [0.0, 0.7]], [[0.6, 0.0], [0.4, 1.0]]])
    return np.array([[0.0, 0.0], [2.0, 1.0]])[z] + np.einsum("iab,ib->ia", A[z], rng.normal(size=(m, 2)))


# -- the unconstrained parametrisation and its gradient ---------------------------------------------


def test_unconstrained_round_trip_and_size():
    p = GMMParams(
        phi=[0.2, 0.3, 0.5], mu=[[0, 0], [1, 2], [3, 1.0]], Sigma=[np.eye(2), [[1, 0.4], [0.4, 0.5]], np.eye(2)]
    )
    theta = rate.to_unconstrained(p)
    assert theta.shape == (rate.n_unconstrained(3, 2),) == (2 + 6 + 9,)
    back = rate.from_unconstrained(theta, 3, 2)
    np.testing.assert_allclose(back.phi, p.phi, rtol=1e-12)
    np.testing.assert_allclose(back.mu, p.mu, rtol=1e-12)
    np.testing.assert_allclose(back.Sigma, p.Sigma, rtol=1e-12, atol=1e-14)
    # Every vector is a valid mixture: random theta~ gives weights on the simplex and SPD covariances.
    q = rate.from_unconstrained(np.random.default_rng(0).normal(size=theta.size), 3, 2)
    assert np.isclose(q.phi.sum(), 1.0) and np.all(np.linalg.eigvalsh(q.Sigma) > 0)


@pytest.mark.parametrize("n", [1, 2])
def test_analytic_gradient_matches_finite_differences(n):
    X = two_d_data()[:, :n]
    p = GMMParams(
        phi=[0.3, 0.7], mu=[[-0.5, 0.2][:n], [2.5, 0.9][:n]], Sigma=[np.eye(n) * 1.3, np.eye(n) * 0.8 + 0.1 * (n == 2)]
    )
    theta = rate.to_unconstrained(p)
    grad = rate.log_likelihood_gradient(X, p)

    def l_of(t):
        return np.array([log_likelihood(X, rate.from_unconstrained(t, 2, n))])

    fd = rate.numerical_jacobian(l_of, theta, h=1e-6)[0]
    assert np.abs(grad).max() > 1.0  # not at a stationary point: the check has something to compare
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-6 * np.abs(grad).max())
    # The objective handed to L-BFGS is the same gradient, per sample and negated.
    f, g = rate.negative_log_likelihood_and_gradient(theta, X, 2)
    assert np.isclose(f, -log_likelihood(X, p) / len(X)) and np.allclose(g, -grad / len(X))


def test_gradient_is_zero_at_em_fixed_point_and_lbfgs_finds_the_same_maximum(overlapping_1d, fixed_point_1d):
    X = overlapping_1d
    assert np.abs(rate.log_likelihood_gradient(X, fixed_point_1d)).max() < 1e-6
    start = GMMParams(phi=[0.5, 0.5], mu=[-1.0, 3.0], Sigma=[1.0, 1.0])
    found, result = rate.fit_lbfgs(X, start, tol=1e-14)
    assert abs(log_likelihood(X, found) - log_likelihood(X, fixed_point_1d)) < 1e-7
    np.testing.assert_allclose(np.sort(found.mu[:, 0]), np.sort(fixed_point_1d.mu[:, 0]), rtol=1e-4)
    assert result.nfev > 0


# -- the rate: from a run, from the Jacobian, from missing information --------------------------------


def test_rate_of_a_linear_iteration_is_its_largest_eigenvalue():
    """Known answer: theta_(t+1) - theta* = A (theta_t - theta*) with eigenvalues 0.9, 0.5, 0.2."""
    rng = np.random.default_rng(3)
    V = rng.normal(size=(3, 3))
    A = V @ np.diag([0.9, 0.5, 0.2]) @ np.linalg.inv(V)
    star = np.array([1.0, -2.0, 0.5])

    def M(theta):
        return star + A @ (theta - star)

    thetas = [star + rng.normal(size=3)]
    for _ in range(150):
        thetas.append(M(thetas[-1]))
    assert rate.linear_rate(thetas) == pytest.approx(0.9, abs=1e-6)
    assert rate.largest_eigenvalue(rate.numerical_jacobian(M, thetas[0])) == pytest.approx(0.9, abs=1e-8)
    # A quadratic objective l = -e^T H e / 2 along the same run converges at rate 0.9^2: linear_rate takes the root.
    H = np.eye(3)
    trace = np.array([-0.5 * (t - star) @ H @ (t - star) for t in thetas])
    assert rate.linear_rate(trace, using="log_likelihood") == pytest.approx(0.9, abs=1e-5)


def test_run_rate_matches_jacobian_and_missing_information(overlapping_1d, fixed_point_1d):
    X = overlapping_1d
    J = rate.em_jacobian(X, fixed_point_1d)
    lam = rate.largest_eigenvalue(J)
    assert 0.95 < lam < 1.0  # overlapping components: slow EM
    # The rate a plain-EM run shows, from its parameter steps and from its log-likelihood steps.
    run = GaussianMixture(2, reg_covar=0.0, tol=0.0, max_iter=200, record_params=True, **START_1D)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tol=0: ConvergenceWarning by design
        history = run.fit(X).history_
    assert rate.linear_rate(history) == pytest.approx(lam, abs=1e-4)
    assert rate.linear_rate(history, using="log_likelihood") == pytest.approx(lam, abs=1e-4)
    # The same from the functional loop's history.
    start = GMMParams(phi=[0.5, 0.5], mu=[-1.0, 3.0], Sigma=[1.0, 1.0])
    _, loop_history = run_em(X, start, max_iter=200, tol=0.0, record_params=True)
    assert rate.linear_rate(loop_history) == pytest.approx(lam, abs=1e-4)
    # Dempster, Laird & Rubin: J = I_c^{-1} I_m, and Louis: I_o = I_c - I_m.
    I_c = rate.complete_information(X, fixed_point_1d)
    I_m = rate.missing_information(X, fixed_point_1d)
    I_o = rate.observed_information(X, fixed_point_1d)
    np.testing.assert_allclose(I_c - I_m, I_o, atol=1e-6 * np.abs(I_c).max())
    F = rate.fraction_of_missing_information(X, fixed_point_1d)
    np.testing.assert_allclose(J, F, atol=1e-6)
    assert rate.largest_eigenvalue(F) == pytest.approx(lam, abs=1e-8)
    # The eigenvalues are fractions of missing information: real, in [0, 1).
    eig = np.linalg.eigvals(F)
    assert np.all(np.abs(eig.imag) < 1e-6) and np.all(eig.real > -1e-6) and np.all(eig.real < 1)


def test_aitken_limit_sees_where_a_slow_run_is_heading(overlapping_1d, fixed_point_1d):
    run = GaussianMixture(2, reg_covar=0.0, tol=0.0, max_iter=60, **START_1D)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trace = run.fit(overlapping_1d).history_.trace
    l_star = log_likelihood(overlapping_1d, fixed_point_1d)
    limits = rate.aitken_limit(trace)
    assert limits.shape == (trace.size - 2,)
    # After 60 slow iterations l is still visibly short of l*; Aitken's estimate is far closer.
    assert l_star - trace[-1] > 1e-3
    assert abs(limits[-1] - l_star) < 0.05 * (l_star - trace[-1])
    # A geometric sequence is extrapolated exactly.
    geometric = -(0.8 ** np.arange(10))
    np.testing.assert_allclose(rate.aitken_limit(geometric), 0.0, atol=1e-12)


def test_well_separated_components_converge_fast():
    rng = np.random.default_rng(2)
    X = np.r_[rng.normal(0.0, 1.0, 300), rng.normal(8.0, 1.0, 200)][:, None]
    star = GaussianMixture(2, reg_covar=0.0, tol=1e-14, max_iter=500, **START_1D).fit(X).params_
    assert rate.largest_eigenvalue(rate.fraction_of_missing_information(X, star)) < 0.05


def test_linear_rate_refuses_histories_without_information():
    with pytest.raises(ValueError, match="record_params=True"):
        rate.linear_rate({"log_likelihood": np.zeros(3)})
    with pytest.raises(ValueError, match="no informative steps"):
        rate.linear_rate(np.full(5, -3.0), using="log_likelihood")
    with pytest.raises(ValueError, match="using must be"):
        rate.linear_rate([np.zeros(2)] * 3, using="steps")


# -- SQUAREM: the functional step --------------------------------------------------------------------


def test_squarem_step_length_lands_on_the_fixed_point_of_a_scalar_linear_map():
    lam, star, theta = 0.95, 2.0, np.array([5.0])

    def M(t):
        return star + lam * (t - star)

    new, info = rate.squarem_step(theta, M, lambda t: -float((t - star) @ (t - star)), step_max=100.0)
    assert info.accepted and info.alpha == pytest.approx(1 / (1 - lam)) and info.n_evaluations == 3
    np.testing.assert_allclose(new, [star], atol=1e-12)


def test_squarem_safeguard_falls_back_to_the_em_step():
    def M(t):
        return 0.9 * t

    def l_bad_far_out(t):  # l rises towards 0 along the EM path but punishes the extrapolated point
        return -float(t @ t) - (1e6 if abs(t[0]) < 0.5 else 0.0)

    new, info = rate.squarem_step(np.array([1.0]), M, l_bad_far_out, step_max=16.0)
    assert not info.accepted and info.alpha == pytest.approx(10.0)
    np.testing.assert_allclose(new, [0.81])  # M(M(theta)): the plain EM iterate
    assert info.step_max == 16.0  # alpha did not hit the maximum, so the maximum stays
    _, capped = rate.squarem_step(np.array([1.0]), M, l_bad_far_out, step_max=4.0)
    assert not capped.accepted and capped.step_max == 1.0  # rejected at the maximum: shrink 4x (not below 1)


def test_squarem_steps_on_the_em_map_are_monotone(overlapping_1d):
    X = overlapping_1d
    M = rate.em_map(X, 2)
    theta = rate.to_unconstrained(GMMParams(phi=[0.5, 0.5], mu=[-1.0, 3.0], Sigma=[1.0, 1.0]))

    def l_of(t):
        return log_likelihood(X, rate.from_unconstrained(t, 2, 1))

    values, step_max = [l_of(theta)], 1.0
    for _ in range(15):
        theta, info = rate.squarem_step(theta, M, l_of, step_max)
        step_max = info.step_max
        values.append(l_of(theta))
    assert np.all(np.diff(values) >= -1e-9)
    assert np.abs(rate.log_likelihood_gradient(X, rate.from_unconstrained(theta, 2, 1))).max() < 1e-3


# -- SQUAREM inside GaussianMixture ------------------------------------------------------------------


@pytest.fixture(scope="module")
def moderate_2d():
    """Two overlapping 2-D components (EM rate about 0.9): plain EM also reaches round-off in a few hundred steps."""
    rng = np.random.default_rng(4)
    return np.r_[rng.normal([0.0, 0.0], 1.0, (400, 2)), rng.normal([2.6, 0.8], [1.0, 0.6], (300, 2))]


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_squarem_reaches_the_same_fixed_point_monotonically(moderate_2d, covariance_type):
    X = moderate_2d
    common = dict(covariance_type=covariance_type, tol=1e-14, max_iter=20000, random_state=0, reg_covar=1e-6)
    plain = GaussianMixture(2, **common).fit(X)
    fast = GaussianMixture(2, accelerate="squarem", **common).fit(X)
    assert plain.converged_ and fast.converged_
    for name in ("weights_", "means_", "covariances_", "precisions_"):
        a, b = getattr(plain, name), getattr(fast, name)
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-6 * np.abs(a).max(), err_msg=name)
    bounds = np.asarray(fast.lower_bounds_)
    assert np.all(np.diff(bounds) >= -1e-13)  # never decreases (up to round-off of the sum over points)
    assert np.all(np.diff(fast.history_.trace) >= -1e-13 * len(X))
    assert np.all(fast.history_["kl_after_m"] >= 0)
    assert fast.lower_bound_ >= plain.lower_bound_ - 1e-12
    # n_iter_ counts EM-map evaluations; the kept points are a subset of them.
    assert len(bounds) <= fast.n_iter_ < plain.n_iter_
    assert fast.history_.n_iter == len(bounds)


def test_squarem_needs_far_fewer_map_evaluations_when_em_is_slow(overlapping_1d):
    common = dict(reg_covar=0.0, tol=1e-12, max_iter=20000, **START_1D)
    plain = GaussianMixture(2, **common).fit(overlapping_1d)
    fast = GaussianMixture(2, accelerate="squarem", **common).fit(overlapping_1d)
    assert fast.n_iter_ * 3 <= plain.n_iter_
    assert fast.lower_bound_ >= plain.lower_bound_ - 1e-12


def test_squarem_respects_max_iter_records_params_and_calls_back(moderate_2d):
    seen = []
    gm = GaussianMixture(
        2,
        accelerate="squarem",
        max_iter=7,
        tol=0.0,
        random_state=0,
        record_params=True,
        callback=lambda est, t, rec: seen.append((t, rec["log_likelihood"])),
    )
    with pytest.warns(UserWarning, match="did not converge"):
        gm.fit(moderate_2d)
    assert gm.n_iter_ == 7 and not gm.converged_
    k = len(gm.lower_bounds_)
    assert len(gm.history_["params"]) == k + 1 and [t for t, _ in seen] == list(range(1, k + 1))
    np.testing.assert_allclose([v for _, v in seen], gm.history_["log_likelihood"])
    np.testing.assert_allclose(gm.history_["params"][-1].mu, gm.means_)
    assert gm.history_["log_likelihood"][-1] == pytest.approx(gm.score(moderate_2d) * len(moderate_2d), rel=1e-12)


def test_squarem_with_n_init_and_warm_start(moderate_2d):
    gm = GaussianMixture(2, accelerate="squarem", n_init=3, random_state=0, tol=1e-10, max_iter=2000).fit(moderate_2d)
    ref = GaussianMixture(2, n_init=3, random_state=0, tol=1e-12, max_iter=5000).fit(moderate_2d)
    assert gm.lower_bound_ == pytest.approx(ref.lower_bound_, abs=1e-9)
    warm = GaussianMixture(2, accelerate="squarem", warm_start=True, max_iter=3, tol=0.0, random_state=0)
    with pytest.warns(UserWarning):
        warm.fit(moderate_2d)
    first = warm.lower_bound_
    with pytest.warns(UserWarning):
        warm.fit(moderate_2d)
    assert warm.lower_bound_ >= first - 1e-12


@pytest.mark.parametrize("bad", ["SQUAREM", "aitken", 1, True])
def test_unknown_accelerate_names_the_options(bad):
    X = np.random.default_rng(0).normal(size=(20, 2))
    with pytest.raises(ValueError, match=r"Unknown accelerate .*None \(plain EM\) or 'squarem'"):
        GaussianMixture(2, accelerate=bad).fit(X)


def test_default_is_plain_em_bit_for_bit(moderate_2d):
    a = GaussianMixture(2, random_state=0).fit(moderate_2d)
    b = GaussianMixture(2, random_state=0, accelerate=None, learning_decay=0.9, learning_offset=3.0).fit(moderate_2d)
    assert a.n_iter_ == b.n_iter_ and np.array_equal(a.means_, b.means_) and a.lower_bounds_ == b.lower_bounds_


# -- incremental EM -------------------------------------------------------------------------------


def _three_clusters(m=600, seed=3):
    gen = np.random.default_rng(seed)
    z = gen.choice(3, size=m, p=[0.5, 0.3, 0.2])
    return np.array([[0.0, 0.0], [3.0, 1.0], [-1.0, 3.0]])[z] + 0.7 * gen.normal(size=(m, 2))


START3 = GMMParams(phi=[1 / 3] * 3, mu=[[1.0, 1.0], [2.0, 0.0], [0.0, 2.0]], Sigma=[np.eye(2)] * 3)


def test_incremental_em_bound_never_decreases_and_is_below_l():
    X = _three_clusters()
    run = rate.incremental_em(X, START3, n_blocks=7, n_sweeps=5)
    assert len(run.params) == 1 + 7 * 5 and run.bound.shape == (36,)
    assert np.all(np.diff(run.bound) >= -1e-12)
    ll = np.array([log_likelihood(X, p) / len(X) for p in run.params])
    assert np.all(run.bound <= ll + 1e-12)  # F = l - KL(q || posterior) <= l
    assert np.all(np.diff(ll) >= -1e-12)  # and here l itself never fell either


def test_incremental_em_reaches_the_batch_fixed_point():
    X = _three_clusters()
    run = rate.incremental_em(X, START3, n_blocks=5, n_sweeps=60)
    gm = GaussianMixture(3, reg_covar=0.0, tol=1e-14, max_iter=5000, weights_init=START3.phi, means_init=START3.mu,
                         precisions_init=np.linalg.inv(START3.Sigma)).fit(X)
    last = run.params[-1]
    np.testing.assert_allclose(last.phi, gm.weights_, atol=1e-7)
    np.testing.assert_allclose(last.mu, gm.means_, atol=1e-7)
    np.testing.assert_allclose(last.Sigma, gm.covariances_, atol=1e-7)
    # At the fixed point the bound is l itself: every block's q is the posterior.
    assert abs(run.bound[-1] - gm.score(X)) < 1e-10


def test_incremental_em_with_one_block_is_batch_em():
    X = _three_clusters(m=200)
    run = rate.incremental_em(X, START3, n_blocks=1, n_sweeps=3)
    _, history = run_em(X, START3, max_iter=4, tol=0.0, record_params=True)
    for p, q in zip(run.params, history["params"][1:], strict=False):
        np.testing.assert_allclose(p.mu, q.mu, atol=1e-12)
        np.testing.assert_allclose(p.Sigma, q.Sigma, atol=1e-12)


@pytest.mark.parametrize(("kwargs", "match"), [({"n_blocks": 0}, "n_blocks"), ({"n_blocks": 1000}, "n_blocks"),
                                               ({"n_blocks": 2.5}, "n_blocks"), ({"n_blocks": 2, "n_sweeps": -1},
                                                                                 "n_sweeps")])
def test_incremental_em_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        rate.incremental_em(_three_clusters(m=50), START3, **kwargs)
