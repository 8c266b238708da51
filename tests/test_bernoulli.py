"""emlab.BernoulliMixture and emlab.bernoulli_core against a brute-force reference, saturation, monotonicity, bad input.

The reference below is written separately from the package: plain Python loops over points,
components and pixels, every probability a logarithm, ln 0 = -inf spelled out.
"""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emlab import BernoulliMixture
from emlab import bernoulli_core as bc
from emlab.base import ConvergenceWarning, NotFittedError
from emlab.datasets import load_digits_binary

SETTINGS = settings(max_examples=40, deadline=None)
PARAM_NAMES = [
    "alpha", "init_params", "max_iter", "means_init", "n_components", "n_init", "random_state", "tol",
    "verbose", "verbose_interval", "warm_start", "weights_init",
]  # fmt: skip


# ------------------------------------------------------------------------------ brute-force reference


def _ln(p):
    return math.log(p) if p > 0 else -math.inf


def ref_log_joint(X, phi, mu):
    """ln phi_j + sum_d ln p(x_d | mu_jd), one point, one component and one pixel at a time."""
    out = []
    for x in X.tolist():
        row = []
        for j in range(len(phi)):
            s = _ln(phi[j])
            for d, xd in enumerate(x):
                s += _ln(mu[j][d]) if xd == 1 else _ln(1.0 - mu[j][d])
            row.append(s)
        out.append(row)
    return out


def ref_lse(row):
    top = max(row)
    if top == -math.inf:
        return -math.inf
    return top + math.log(sum(math.exp(v - top) for v in row))


def ref_log_likelihood(X, phi, mu):
    return sum(ref_lse(row) for row in ref_log_joint(X, phi, mu))


def ref_log_prior(mu, alpha):
    """sum_jd ln Beta(mu_jd; alpha + 1, alpha + 1), from the Beta density's definition."""
    a = alpha + 1.0
    log_norm = math.lgamma(2 * a) - 2 * math.lgamma(a)
    total = 0.0
    for row in np.asarray(mu).tolist():
        for p in row:
            total += log_norm + (a - 1) * (_ln(p) if a != 1 else 0.0) + (a - 1) * (_ln(1 - p) if a != 1 else 0.0)
    return total


def ref_em_iteration(X, phi, mu, alpha):
    """One EM (MAP-EM) iteration: responsibilities by loops, then the closed-form updates."""
    m, n, k = X.shape[0], X.shape[1], len(phi)
    L = ref_log_joint(X, phi, mu)
    W = [[math.exp(v - ref_lse(row)) for v in row] for row in L]
    N = [sum(W[i][j] for i in range(m)) for j in range(k)]
    S = [[sum(W[i][j] * X[i, d] for i in range(m)) for d in range(n)] for j in range(k)]
    new_phi = np.array([N[j] / m for j in range(k)])
    new_mu = np.array([[(S[j][d] + alpha) / (N[j] + 2 * alpha) for d in range(n)] for j in range(k)])
    return new_phi, new_mu, np.array(W)


def binary_problem(m, n, k, seed=0, p_far=0.9):
    """m binary vectors from k random Bernoulli prototypes, and a random interior start."""
    rng = np.random.default_rng(seed)
    protos = np.where(rng.uniform(size=(k, n)) < 0.5, 1 - p_far, p_far)
    z = rng.integers(k, size=m)
    X = (rng.uniform(size=(m, n)) < protos[z]).astype(int)
    start = {"weights_init": rng.dirichlet(np.ones(k) * 3), "means_init": rng.uniform(0.2, 0.8, size=(k, n))}
    return X, start


def fit_quietly(est, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # tol=0 never converges by design
        return est.fit(X)


# ------------------------------------------------------------------------- functional core vs reference


@pytest.mark.parametrize("seed", range(4))
def test_log_joint_matches_reference_including_saturated_mu(seed):
    X, start = binary_problem(25, 6, 3, seed=seed)
    rng = np.random.default_rng(seed + 10)
    mu = start["means_init"].copy()
    mu[rng.uniform(size=mu.shape) < 0.25] = 0.0
    mu[rng.uniform(size=mu.shape) < 0.25] = 1.0
    phi = start["weights_init"].copy()
    if seed % 2:
        phi[0], phi[1] = 0.0, phi[0] + phi[1]  # ln phi_0 = -inf: component 0 is impossible for every point
    ours = bc.bernoulli_log_joint(X, (phi, mu))
    ref = np.array(ref_log_joint(X, phi, mu))
    assert not np.isnan(ours).any()
    np.testing.assert_array_equal(np.isneginf(ours), np.isneginf(ref))
    assert np.isneginf(ref).any() and np.isfinite(ref).any()
    fin = np.isfinite(ref)
    np.testing.assert_allclose(ours[fin], ref[fin], rtol=1e-12, atol=1e-12)


def test_e_m_step_and_bounds_match_reference():
    X, start = binary_problem(30, 5, 3, seed=3)
    phi, mu = start["weights_init"], start["means_init"]
    for alpha in (0.0, 0.5, 2.0):
        ref_phi, ref_mu, ref_W = ref_em_iteration(X, phi, mu, alpha)
        W = bc.e_step(X, bc.BernoulliParams(phi, mu))
        np.testing.assert_allclose(W, ref_W, rtol=1e-12, atol=1e-15)
        new = bc.m_step(X, W, alpha=alpha)
        np.testing.assert_allclose(new.phi, ref_phi, rtol=1e-12)
        np.testing.assert_allclose(new.mu, ref_mu, rtol=1e-12)
        assert bc.log_likelihood(X, new) == pytest.approx(ref_log_likelihood(X, new.phi, new.mu), rel=1e-12)
        expected = float((ref_W * np.array(ref_log_joint(X, new.phi, new.mu))).sum())
        assert bc.expected_complete_log_likelihood(X, W, new) == pytest.approx(expected, rel=1e-12)
        assert bc.log_prior(new, alpha) == pytest.approx(ref_log_prior(new.mu, alpha), rel=1e-12, abs=1e-12)


def test_log_prior_is_the_beta_density():
    beta = pytest.importorskip("scipy.stats").beta
    mu = np.array([[0.1, 0.5, 0.93], [0.7, 0.2, 0.4]])
    for alpha in (0.0, 0.3, 1.0, 4.0):
        assert bc.log_prior((np.ones(2) / 2, mu), alpha) == pytest.approx(
            beta.logpdf(mu, alpha + 1, alpha + 1).sum(), rel=1e-12, abs=1e-12
        )
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        assert bc.log_prior((np.ones(2) / 2, np.array([[0.0, 0.5], [1.0, 0.5]])), 1.0) == -np.inf
        assert bc.log_prior((np.ones(2) / 2, np.array([[0.0, 0.5], [1.0, 0.5]])), 0.0) == 0.0


def test_impossible_point_in_e_step_says_how_to_fix():
    X = np.array([[1, 0], [0, 0]])
    with pytest.raises(ValueError, match=r"Point 0 has probability 0 under every component.*alpha > 0"):
        bc.e_step(X, (np.array([0.5, 0.5]), np.array([[0.0, 0.5], [0.0, 0.2]])))


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda X, W, p: bc.e_step(X, (p.phi, p.mu[:, :2])), r"mu of shape \(k, n\) with n = 3.*got phi \(2,\)"),
        (lambda X, W, p: bc.e_step(X, (p.phi, p.mu + 1)), r"mu must lie in \[0, 1\]"),
        (lambda X, W, p: bc.log_likelihood(X, (p.phi * 2, p.mu)), r"phi must sum to 1.*Divide by its sum"),
        (lambda X, W, p: bc.e_step(X, p.mu), r"params need phi of shape \(k,\)"),
        (lambda X, W, p: bc.e_step(X * 0.5, p), r"X must be binary.*found 0.5 at row 0"),
        (lambda X, W, p: bc.m_step(X, W[:-1]), r"W must be an \(m, k\) array .* m = 6"),
        (lambda X, W, p: bc.m_step(X, -W), r"negative or NaN entries"),
        (lambda X, W, p: bc.m_step(X, W * 2), r"Each row of W must sum to 1.*row 0 sums to 2"),
        (lambda X, W, p: bc.m_step(X, W, alpha=-1), r"'alpha' parameter must be a finite float >= 0"),
        (lambda X, W, p: bc.log_prior(p, alpha=np.inf), r"'alpha' parameter must be a finite float >= 0"),
    ],
)
def test_functional_core_bad_input_says_what_to_do(call, pattern):
    X = np.array([[1, 0, 1], [0, 0, 1], [1, 1, 1], [0, 0, 0], [1, 0, 0], [0, 1, 1]])
    W = np.full((6, 2), 0.5)
    params = bc.BernoulliParams(np.array([0.4, 0.6]), np.full((2, 3), 0.3))
    with pytest.raises(ValueError, match=pattern):
        call(X, W, params)


def test_spherical_responsibilities_become_one_hot_and_em_becomes_lloyd():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 0.6, size=(40, 2)) for c in ([0, 0], [4, 0], [0, 4])])
    means0 = X[[0, 45, 90]] + 0.5
    gaps = []
    for sigma in (3.0, 1.0, 0.3, 0.1, 0.03, 0.01):
        W = bc.spherical_responsibilities(X, means0, sigma)
        np.testing.assert_allclose(W.sum(axis=1), 1.0)
        gaps.append(float(np.abs(W - np.eye(3)[W.argmax(axis=1)]).sum(axis=1).mean()))  # mean distance from one-hot
    assert all(b < a for a, b in zip(gaps[:-1], gaps[1:], strict=True)) and gaps[-1] < 1e-6
    # EM with equal weights and fixed tiny sigma vs Lloyd's k-means (written out here) from the same start
    em, lloyd = means0.copy(), means0.copy()
    for _ in range(20):
        W = bc.spherical_responsibilities(X, em, 1e-3)
        em = (W.T @ X) / W.sum(axis=0)[:, None]
        z = ((X[:, None, :] - lloyd[None]) ** 2).sum(axis=2).argmin(axis=1)
        lloyd = np.array([X[z == j].mean(axis=0) for j in range(3)])
    np.testing.assert_allclose(em, lloyd, atol=1e-10)
    z = ((X[:, None, :] - lloyd[None]) ** 2).sum(axis=2).argmin(axis=1)
    J = sum(float(((X[i] - lloyd[z[i]]) ** 2).sum()) for i in range(len(X)))
    assert bc.distortion(X, lloyd) == pytest.approx(J) == pytest.approx(bc.distortion(X, lloyd, z))
    with pytest.raises(ValueError, match="sigma must be a finite number > 0"):
        bc.spherical_responsibilities(X, means0, 0.0)
    # sigma^2 E_q[ln p(x, z)] -> -J / 2 with q the posterior, as sigma -> 0
    for sigma, tol in ((0.1, 0.5), (0.01, 0.01)):
        W = bc.spherical_responsibilities(X, lloyd, sigma)
        scaled = sigma**2 * float((W * bc.spherical_log_joint(X, lloyd, sigma)).sum())
        assert abs(scaled + J / 2) < tol * J


# ------------------------------------------------------------------------------ the estimator vs reference


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
def test_tol_zero_runs_exactly_max_iter_reference_iterations(alpha):
    X, start = binary_problem(40, 6, 3, seed=1)
    T = 7
    bm = fit_quietly(BernoulliMixture(3, tol=0.0, max_iter=T, alpha=alpha, **start), X)
    assert bm.n_iter_ == T and len(bm.lower_bounds_) == T and not bm.converged_
    phi, mu = start["weights_init"], start["means_init"]
    bounds = []
    for _ in range(T):
        bounds.append((ref_log_likelihood(X, phi, mu) + ref_log_prior(mu, alpha)) / X.shape[0])
        phi, mu, _ = ref_em_iteration(X, phi, mu, alpha)
    np.testing.assert_allclose(bm.weights_, phi, rtol=1e-10)
    np.testing.assert_allclose(bm.means_, mu, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(bm.lower_bounds_, bounds, rtol=1e-10)
    assert bm.lower_bound_ == bm.lower_bounds_[-1]
    final = ref_log_likelihood(X, phi, mu) + ref_log_prior(mu, alpha)
    assert bm.history_["log_likelihood"][-1] == pytest.approx(final, rel=1e-10)
    assert bm.score(X) == pytest.approx(ref_log_likelihood(X, phi, mu) / X.shape[0], rel=1e-10)


def test_scores_bic_aic_and_parameter_count():
    X, start = binary_problem(50, 5, 2, seed=2)
    bm = fit_quietly(BernoulliMixture(2, **start), X)
    ll = ref_log_likelihood(X, bm.weights_, bm.means_)
    np.testing.assert_allclose(bm.score_samples(X).sum(), ll, rtol=1e-12)
    p = 2 - 1 + 2 * 5
    assert bm.bic(X) == pytest.approx(-2 * ll + p * math.log(50), rel=1e-12)
    assert bm.aic(X) == pytest.approx(-2 * ll + 2 * p, rel=1e-12)
    W = bm.predict_proba(X)
    _, _, ref_W = ref_em_iteration(X, bm.weights_, bm.means_, 0.0)
    np.testing.assert_allclose(W, ref_W, rtol=1e-10, atol=1e-15)
    np.testing.assert_array_equal(bm.predict(X), ref_W.argmax(axis=1))
    np.testing.assert_array_equal(bm.fit_predict(X), bm.predict(X))


def test_far_points_get_valid_probabilities():
    X, start = binary_problem(40, 64, 2, seed=4)
    mu = np.full((2, 64), 1e-12)
    mu[1, :32] = 1 - 1e-12
    bm = fit_quietly(BernoulliMixture(2, max_iter=0, weights_init=[0.5, 0.5], means_init=mu), X)
    far = np.ones((3, 64), dtype=int)
    W = bm.predict_proba(far)
    assert np.all(np.isfinite(W)) and np.allclose(W.sum(axis=1), 1.0)
    np.testing.assert_array_equal(bm.predict(far), [1, 1, 1])
    s = bm.score_samples(far)
    assert np.all(np.isfinite(s)) and s[0] == pytest.approx(ref_log_likelihood(far[:1], [0.5, 0.5], mu), rel=1e-12)


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_saturated_start_without_contradiction(alpha):
    """mu in {0, 1} where the data never contradict it: finite for alpha = 0, -inf log-prior for alpha > 0."""
    X, start = binary_problem(60, 6, 2, seed=5)
    X[:, 0] = 0
    X[:, 1] = 1
    mu = start["means_init"].copy()
    mu[:, 0], mu[:, 1] = 0.0, 1.0
    bm = BernoulliMixture(2, alpha=alpha, tol=0.0, max_iter=5, weights_init=start["weights_init"], means_init=mu)
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        fit_quietly(bm, X)
    lb = np.array(bm.lower_bounds_)
    assert not np.isnan(lb).any()
    if alpha == 0:
        assert np.all(np.isfinite(lb)) and np.all(bm.means_[:, 0] == 0) and np.all(bm.means_[:, 1] == 1)
    else:
        assert lb[0] == -np.inf and np.all(np.isfinite(lb[1:]))  # Beta(2, 2) has density 0 at 0 and 1
        assert np.all(bm.means_ > 0) and np.all(bm.means_ < 1)
    for key in ("log_likelihood", "elbo_after_m", "kl_after_m"):
        assert not np.isnan(bm.history_[key]).any()
    assert np.all(np.diff(lb[np.isfinite(lb)]) >= -1e-12)


@pytest.mark.parametrize("init_params", ["random", "random_from_data", "kmeans"])
@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_more_components_than_distinct_points_leaves_empty_components_silently(init_params, alpha):
    X = np.array([[1, 0, 1]] * 10 + [[0, 1, 0]] * 10)
    bm = BernoulliMixture(4, init_params=init_params, alpha=alpha, random_state=0).fit(X)
    W = bm.predict_proba(X)
    assert np.all(np.isfinite(W)) and np.allclose(W.sum(axis=1), 1.0)
    assert np.all(np.isfinite(bm.lower_bounds_[1:])) and np.all(np.isfinite(bm.history_["elbo_after_m"]))
    assert bm.score(X) == pytest.approx(ref_log_likelihood(X, bm.weights_, bm.means_) / 20, rel=1e-12)


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_empty_component_gets_mu_one_half(alpha):
    # N_j = 0: no data set mu_j. The M-step gives (S + alpha) / (N + 2 alpha) = 1/2 for alpha > 0 and, at alpha = 0,
    # the same value (its limit) instead of 0/0; notebook 08's exercise asks for it too.
    X = np.array([[1, 0, 1], [1, 1, 0]])
    W = np.array([[1.0, 0.0], [1.0, 0.0]])
    params = bc.m_step(X, W, alpha)
    np.testing.assert_array_equal(params.mu[1], [0.5, 0.5, 0.5])
    assert params.phi[1] == 0.0
    np.testing.assert_allclose(params.mu[0], (np.array([2.0, 1.0, 1.0]) + alpha) / (2 + 2 * alpha))


def test_maximum_likelihood_on_digits_reaches_zero_probabilities_without_nan():
    X, _ = load_digits_binary()
    bm = BernoulliMixture(10, alpha=0.0, random_state=0, tol=1e-6, max_iter=300)
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        bm.fit(X)
    assert (bm.means_ == 0).any()  # the always-off border pixels: ln 0 appears in the model
    assert np.all(np.isfinite(bm.lower_bounds_)) and np.all(np.diff(bm.lower_bounds_) >= -1e-12)
    for key in ("log_likelihood", "elbo_after_e", "elbo_after_m", "kl_after_m"):
        assert np.all(np.isfinite(bm.history_[key])), key
    assert np.all(bm.history_["kl_after_m"] >= 0)
    # a new image with a border pixel on is impossible under this model: ln p = -inf, and predict says why
    x = np.zeros((1, 64), dtype=int)
    x[0, np.flatnonzero((bm.means_ == 0).all(axis=0))[0]] = 1
    assert bm.score_samples(x)[0] == -np.inf
    with pytest.raises(ValueError, match=r"probability 0 under every component of this model \(alpha=0.0\)"):
        bm.predict_proba(x)
    with pytest.raises(ValueError, match=r"smooth with alpha > 0"):
        bm.predict(x)
    smoothed = BernoulliMixture(10, alpha=1.0, random_state=0).fit(X)
    assert np.isfinite(smoothed.score_samples(x)[0])


def test_digits_clusters_follow_the_labels():
    X, labels = load_digits_binary()
    bm = BernoulliMixture(10, random_state=0, n_init=2).fit(X)
    z = bm.predict(X)
    # each cluster's most common digit covers most of it (the labels were never seen)
    purity = sum(np.bincount(labels[z == j]).max() for j in np.unique(z)) / len(labels)
    assert purity > 0.6
    assert np.all((bm.means_ > 0) & (bm.means_ < 1))


# ------------------------------------------------------------------------------------- the EM guarantees


@pytest.mark.parametrize("init_params", ["random", "random_from_data", "kmeans"])
@pytest.mark.parametrize("alpha", [0.0, 0.01, 1.0])
def test_objective_never_decreases_and_history_obeys_the_em_identities(init_params, alpha):
    X, _ = binary_problem(200, 12, 4, seed=6, p_far=0.8)
    bm = fit_quietly(BernoulliMixture(4, alpha=alpha, init_params=init_params, tol=0, max_iter=40, random_state=1), X)
    lb = np.array(bm.lower_bounds_)
    assert np.all(np.diff(lb) >= -1e-12 * np.abs(lb[1:]))
    h = bm.history_
    np.testing.assert_allclose(h["elbo_after_e"][1:], h["log_likelihood"][:-1], rtol=1e-12)
    np.testing.assert_allclose(h["elbo_after_e"] / 200, lb, rtol=1e-12)
    assert np.all(h["elbo_after_m"] >= h["elbo_after_e"] - 1e-9 * np.abs(h["elbo_after_e"]))
    assert np.all(h["kl_after_m"] >= 0)
    np.testing.assert_allclose(h["log_likelihood"] - h["elbo_after_m"], h["kl_after_m"], atol=1e-9)


def test_stopping_rule_and_convergence_warning():
    X, start = binary_problem(100, 8, 2, seed=7)
    bm = BernoulliMixture(2, tol=1e-3, **start).fit(X)
    lb = bm.lower_bounds_
    steps = np.abs(np.diff(lb))
    assert bm.converged_ and steps[-1] < 1e-3 and np.all(steps[:-1] >= 1e-3)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        BernoulliMixture(2, tol=1e-12, max_iter=2, **start).fit(X)


def test_initialisations():
    X, _ = binary_problem(80, 10, 3, seed=8)
    rand = BernoulliMixture(3, max_iter=0, random_state=0).fit(X)
    assert np.all((rand.means_ >= 0.25) & (rand.means_ <= 0.75)) and np.allclose(rand.weights_, 1 / 3)
    rows = BernoulliMixture(3, max_iter=0, init_params="random_from_data", random_state=0, alpha=0).fit(X)
    x = rows.means_ * 3 - 1  # (x + 1) / 3 undone: each row is a data row
    assert all(any(np.allclose(r, xi) for xi in X) for r in x)
    km = BernoulliMixture(3, max_iter=0, init_params="kmeans", random_state=0, alpha=0).fit(X)
    assert np.isclose(km.weights_.sum(), 1.0) and np.all((km.means_ >= 0) & (km.means_ <= 1))
    for init_params in ("random", "random_from_data", "kmeans"):
        a = BernoulliMixture(3, init_params=init_params, random_state=3).fit(X)
        b = BernoulliMixture(3, init_params=init_params, random_state=3).fit(X)
        np.testing.assert_array_equal(a.means_, b.means_)


def test_n_init_keeps_the_best_and_warm_start_continues():
    X, _ = binary_problem(150, 10, 3, seed=9)
    runs = [BernoulliMixture(3, random_state=s).fit(X).lower_bound_ for s in range(3)]
    best = BernoulliMixture(3, n_init=5, random_state=0).fit(X)
    assert best.lower_bound_ >= min(runs) - 1e-12
    warm = fit_quietly(BernoulliMixture(3, max_iter=3, tol=0, warm_start=True, random_state=0), X)
    first = warm.lower_bounds_[-1]
    fit_quietly(warm, X)
    assert warm.lower_bounds_[0] >= first - 1e-12


def test_sample_is_binary_and_follows_the_model():
    X, start = binary_problem(100, 6, 2, seed=10)
    bm = BernoulliMixture(2, random_state=0).fit(X)
    S, y = bm.sample(20000)
    assert S.shape == (20000, 6) and y.shape == (20000,)
    assert S.dtype.kind == "i" and set(np.unique(S).tolist()) <= {0, 1}
    np.testing.assert_allclose(np.bincount(y, minlength=2) / 20000, bm.weights_, atol=0.02)
    for j in range(2):
        np.testing.assert_allclose(S[y == j].mean(axis=0), bm.means_[j], atol=0.03)
    np.testing.assert_array_equal(bm.sample(5)[0], bm.sample(5)[0])  # seeded by random_state


# ----------------------------------------------------------------------------------- estimator protocol


def test_get_set_params_and_clone():
    from sklearn.base import clone

    bm = BernoulliMixture(4, alpha=0.5, init_params="kmeans")
    params = bm.get_params()
    assert sorted(params) == PARAM_NAMES
    assert params["alpha"] == 0.5 and params["n_components"] == 4
    defaults = BernoulliMixture().get_params()
    assert defaults["alpha"] == 1.0 and defaults["init_params"] == "random" and defaults["tol"] == 1e-3
    twin = clone(bm)
    assert twin.get_params() == params and twin is not bm
    bm.set_params(n_components=2, alpha=0.0)
    assert bm.n_components == 2 and bm.alpha == 0.0
    with pytest.raises(ValueError, match="Invalid parameter 'callback'"):
        bm.set_params(callback=print)
    assert repr(BernoulliMixture(3, alpha=0.0)) == "BernoulliMixture(n_components=3, alpha=0.0)"
    X, _ = binary_problem(30, 4, 2)
    fitted = BernoulliMixture(2, random_state=0).fit(X)
    assert not hasattr(clone(fitted), "means_")


def test_sklearn_checks_that_apply_to_binary_data():
    """scikit-learn's generic checks feed continuous data, which a Bernoulli mixture must refuse.

    Every check either passes or fails only on that refusal (our ValueError naming the fix).
    """
    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(BernoulliMixture(), on_fail=None)
    failed = [r for r in results if r["status"] == "failed"]
    other = [
        (r["check_name"], repr(r["exception"]))
        for r in failed
        if "must be binary" not in str(r["exception"]) + str(r["exception"].__cause__ or r["exception"].__context__)
    ]
    assert not other
    passed = {r["check_name"] for r in results if r["status"] == "passed"}
    assert {"check_get_params_invariance", "check_set_params", "check_no_attributes_set_in_init"} <= passed


# ------------------------------------------------------------------------------------------- bad input


@pytest.fixture(scope="module")
def fitted():
    X, _ = binary_problem(40, 4, 2, seed=11)
    return BernoulliMixture(2, random_state=0).fit(X)


@pytest.mark.parametrize("bad", [0.5, 2, -1])
@pytest.mark.parametrize("method", ["fit", "predict", "predict_proba", "score_samples", "score"])
def test_non_binary_X(fitted, bad, method):
    X, _ = binary_problem(40, 4, 2, seed=11)
    X = X.astype(float)
    X[3, 2] = bad
    est = BernoulliMixture(2) if method == "fit" else fitted
    pattern = r"must be binary \(0/1 or True/False\); found .* at row 3, column 2. Binarise"
    with pytest.raises(ValueError, match=pattern):
        getattr(est, method)(X)


def test_boolean_X_is_binary(fitted):
    X, _ = binary_problem(40, 4, 2, seed=11)
    np.testing.assert_allclose(fitted.score_samples(X.astype(bool)), fitted.score_samples(X))


@pytest.mark.parametrize("method", ["fit", "predict"])
def test_nan_in_X(fitted, method):
    X = np.zeros((10, 4))
    X[2, 1] = np.nan
    est = BernoulliMixture(2) if method == "fit" else fitted
    with pytest.raises(ValueError, match=r"NaN or inf \(first at row 2, column 1\).*Remove or impute"):
        getattr(est, method)(X)


def test_1d_X():
    with pytest.raises(ValueError, match=r"Expected 2D array.*reshape\(-1, 1\)"):
        BernoulliMixture(2).fit(np.array([0, 1, 1, 0]))


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"means_init": np.full((2, 4), 1.5)}, r"means_init must lie in \[0, 1\].*np.clip"),
        ({"means_init": np.full((2, 4), -0.1)}, r"means_init must lie in \[0, 1\]"),
        ({"means_init": np.full((2, 3), 0.5)}, r"means_init must have shape .* = \(2, 4\); got shape \(2, 3\)"),
        ({"means_init": np.full((3, 4), 0.5)}, r"means_init must have shape"),
        ({"weights_init": [0.5, 0.6]}, r"weights_init must sum to 1.*Divide it by its sum"),
        ({"weights_init": [1.2, -0.2]}, r"weights_init must lie in \[0, 1\]"),
        ({"weights_init": [1.0]}, r"weights_init must have shape \(n_components,\) = \(2,\)"),
        ({"alpha": -1.0}, r"'alpha' parameter must be a finite float >= 0"),
        ({"alpha": np.nan}, r"'alpha' parameter must be a finite float >= 0"),
        ({"init_params": "k-means++"}, r"Unknown init_params 'k-means\+\+'; use one of 'random'"),
        ({"n_components": 0}, r"'n_components' parameter must be an int >= 1"),
        ({"tol": -1.0}, r"'tol' parameter must be a finite float >= 0"),
    ],
)
def test_bad_parameters(kwargs, pattern):
    X, _ = binary_problem(30, 4, 2)
    with pytest.raises(ValueError, match=pattern):
        BernoulliMixture(**{"n_components": 2, **kwargs}).fit(X)


def test_too_many_components():
    X, _ = binary_problem(5, 4, 2)
    with pytest.raises(ValueError, match=r"n_samples >= n_components.*Use at most 5 components"):
        BernoulliMixture(6).fit(X)


def test_start_that_makes_a_point_impossible():
    X = np.array([[1, 0], [0, 0], [0, 1]])
    with pytest.raises(ValueError, match=r"Point 0 has probability 0 .* starting parameters.*alpha > 0"):
        BernoulliMixture(2, means_init=[[0.0, 0.5], [0.0, 0.5]]).fit(X)


def test_wrong_number_of_features_after_fit(fitted):
    for method in ("predict", "predict_proba", "score", "score_samples", "bic", "aic"):
        with pytest.raises(ValueError, match=r"X has 3 features, but BernoulliMixture is expecting 4 .*same columns"):
            getattr(fitted, method)(np.zeros((4, 3)))


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score", "score_samples", "bic", "aic", "sample"])
def test_methods_before_fit(method):
    args = () if method == "sample" else (np.zeros((3, 2)),)
    with pytest.raises(NotFittedError, match=r"not fitted yet.*Call 'fit'"):
        getattr(BernoulliMixture(2), method)(*args)


# ------------------------------------------------------------------------------------ property tests


@st.composite
def problems(draw):
    """Random binary data, interior or saturated parameters, random responsibilities, and an alpha."""
    seed = draw(st.integers(0, 2**32 - 1))
    k = draw(st.integers(1, 4))
    n = draw(st.integers(1, 8))
    m = draw(st.integers(max(k, 2), 40))
    rng = np.random.default_rng(seed)
    X = (rng.uniform(size=(m, n)) < rng.uniform(0.05, 0.95, size=n)).astype(int)
    mu = rng.uniform(0.02, 0.98, size=(k, n))
    params = bc.BernoulliParams(rng.dirichlet(np.ones(k)), mu)
    W = rng.dirichlet(np.full(k, draw(st.sampled_from([0.05, 1.0, 10.0]))), size=m)
    alpha = draw(st.sampled_from([0.0, 0.1, 1.0, 3.0]))
    return X, params, W, alpha, rng


@SETTINGS
@given(problems())
def test_em_never_lowers_the_map_objective(problem):
    X, params, _, alpha, _ = problem
    obj = [bc.log_likelihood(X, params) + bc.log_prior(params, alpha)]
    for _ in range(10):
        params = bc.m_step(X, bc.e_step(X, params), alpha=alpha)
        obj.append(bc.log_likelihood(X, params) + bc.log_prior(params, alpha))
    assert not np.isnan(obj).any()
    assert np.all(np.diff(obj) >= -1e-10 * (1 + np.abs(obj[:-1])))


@SETTINGS
@given(problems(), st.sampled_from([1e-1, 1e-2, 1e-3]))
def test_m_step_maximises_the_expected_log_posterior(problem, eps):
    X, _, W, alpha, rng = problem
    best = bc.m_step(X, W, alpha=alpha)

    def q(p):
        return bc.expected_complete_log_likelihood(X, W, p) + bc.log_prior(p, alpha)

    top = q(best)
    d = rng.normal(size=best.phi.shape)
    d -= d.mean()  # stays on the simplex
    phi = best.phi + eps * d / np.abs(d).max() * best.phi.min() if best.k > 1 else best.phi
    mu = np.clip(best.mu + eps * rng.normal(size=best.mu.shape) * best.mu * (1 - best.mu), 0, 1)
    for other in (bc.BernoulliParams(phi, best.mu), bc.BernoulliParams(best.phi, mu)):
        assert q(other) <= top + 1e-9 * abs(top)


@SETTINGS
@given(problems())
def test_elbo_plus_kl_is_the_log_likelihood(problem):
    X, params, W, _, _ = problem
    post = bc.e_step(X, params)
    entropy = -float(np.sum(W * np.log(W, out=np.zeros_like(W), where=W > 0)))
    elbo = bc.expected_complete_log_likelihood(X, W, params) + entropy
    kl = float(np.sum(W * (np.log(W, out=np.zeros_like(W), where=W > 0) - np.log(post))))
    assert elbo + kl == pytest.approx(bc.log_likelihood(X, params), rel=1e-10, abs=1e-8)
    assert elbo <= bc.log_likelihood(X, params) + 1e-8


@SETTINGS
@given(problems())
def test_estimator_iteration_equals_the_functional_core(problem):
    X, params, _, alpha, _ = problem
    k = params.k
    bm = fit_quietly(
        BernoulliMixture(k, alpha=alpha, tol=0, max_iter=3, weights_init=params.phi, means_init=params.mu), X
    )
    for _ in range(3):
        params = bc.m_step(X, bc.e_step(X, params), alpha=alpha)
    np.testing.assert_allclose(bm.weights_, params.phi, rtol=1e-9)
    np.testing.assert_allclose(bm.means_, params.mu, rtol=1e-9, atol=1e-15)
