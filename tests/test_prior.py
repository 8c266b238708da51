"""MAP-EM: emlab.prior (conjugate prior, log density, closed-form MAP M-step) and GaussianMixture(prior=...)."""

import warnings

import numpy as np
import pytest
from scipy import stats

from emlab import GaussianMixture, GMMParams, datasets, e_step, run_em
from emlab import prior as pr

COV_TYPES = ["full", "tied", "diag", "spherical"]


def blobs(m=150, seed=0):
    rng = np.random.default_rng(seed)
    means = np.array([[0.0, 0.0, 0.0], [5.0, 2.0, -1.0], [-2.0, 5.0, 3.0]])
    z = np.arange(m) % 3
    A = rng.normal(size=(3, 3, 3)) * 0.5
    return means[z] + np.einsum("iab,ib->ia", A[z] + np.eye(3), rng.normal(size=(m, 3)))


def random_theta(covariance_type, k=3, n=3, seed=3):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(k, n, n))
    full = np.eye(n) + 0.3 * A @ A.transpose(0, 2, 1)
    cov = {
        "full": full,
        "tied": full[0],
        "diag": np.diagonal(full, axis1=1, axis2=2).copy(),
        "spherical": np.diagonal(full, axis1=1, axis2=2).mean(axis=1),
    }[covariance_type]
    return rng.dirichlet(np.ones(k) * 3), rng.normal(size=(k, n)), cov


def some_prior(covariance_type, X, alpha=2.5):
    """A prior with every hyperparameter away from its default, so each one is exercised."""
    n = X.shape[1]
    lam = {
        "full": np.cov(X, rowvar=False) * 0.3,
        "tied": np.cov(X, rowvar=False) * 0.3,
        "diag": X.var(axis=0) * 0.3,
        "spherical": float(X.var(axis=0).mean() * 0.3),
    }[covariance_type]
    return pr.resolve_prior(
        {
            "weight_concentration_prior": alpha,
            "mean_prior": X.mean(axis=0) + 0.5,
            "mean_precision_prior": 0.7,
            "degrees_of_freedom_prior": n + 1.5,
            "covariance_prior": lam,
        },
        X,
        3,
        covariance_type,
    )


def statistics(X, W):
    """N_j, s_j, sum_i w_ij x x^T from responsibilities."""
    return W.sum(axis=0), W.T @ X, np.einsum("ik,ia,ib->kab", W, X, X)


# ------------------------------------------------------------------------------- defaults, density


def test_default_prior_is_fraley_raftery():
    X = blobs()
    m, n = X.shape
    S = np.cov(X, rowvar=False)
    for covariance_type, expected in [
        ("full", S / 3 ** (2 / n)),
        ("tied", S / 3 ** (2 / n)),
        ("diag", np.diag(S) / 3 ** (2 / n)),
        ("spherical", np.trace(S) / n / 3 ** (2 / n)),
    ]:
        p = pr.default_prior(X, 3, covariance_type).as_dict()
        assert p["weight_concentration_prior"] == 1.0 and p["mean_precision_prior"] == 0.01
        assert p["degrees_of_freedom_prior"] == n + 2
        np.testing.assert_allclose(p["mean_prior"], X.mean(axis=0))
        np.testing.assert_allclose(p["covariance_prior"], expected, rtol=1e-12)


def test_default_prior_with_missing_values_uses_the_observed_entries():
    X = blobs()
    Xm = X.copy()
    Xm[::7, 1] = np.nan
    p = pr.default_prior(Xm, 2, "diag")
    np.testing.assert_allclose(p.mean_prior, np.nanmean(Xm, axis=0))
    np.testing.assert_allclose(p.covariance_prior[1], np.nanvar(Xm[:, 1], ddof=1) / 2 ** (2 / 3), rtol=1e-12)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_log_prior_matches_scipy_densities(covariance_type):
    X = blobs()
    prior = some_prior(covariance_type, X)
    phi, mu, cov = random_theta(covariance_type)
    k, n = mu.shape
    alpha, kappa, nu = 2.5, 0.7, n + 1.5
    mu_p, lam = prior.mean_prior, prior.covariance_prior
    ref = stats.dirichlet(np.full(k, alpha)).logpdf(phi)
    if covariance_type in ("full", "tied"):
        covs = cov if covariance_type == "full" else [cov] * k
        ref += sum(stats.multivariate_normal(mu_p, c / kappa).logpdf(mu[j]) for j, c in enumerate(covs))
        ref += sum(stats.invwishart(df=nu, scale=lam).logpdf(c) for c in (cov if covariance_type == "full" else [cov]))
    elif covariance_type == "diag":
        ref += stats.norm(mu_p, np.sqrt(cov / kappa)).logpdf(mu).sum()
        ref += stats.invgamma(nu / 2, scale=lam / 2).logpdf(cov).sum()
    else:
        ref += sum(stats.multivariate_normal(mu_p, cov[j] / kappa * np.eye(n)).logpdf(mu[j]) for j in range(k))
        ref += stats.invgamma(nu / 2, scale=lam / 2).logpdf(cov).sum()
    np.testing.assert_allclose(pr.log_prior(phi, mu, cov, prior), ref, rtol=1e-12)


def test_flat_dirichlet_and_an_empty_component_give_no_nan():
    X = blobs()
    prior = pr.default_prior(X, 3)
    _, mu, cov = random_theta("full")
    assert np.isfinite(pr.log_prior([0.5, 0.5, 0.0], mu, cov, prior))


# -------------------------------------------------------------------------------- the MAP M-step


def fraley_raftery_m_step(N, s, sxx, prior, covariance_type):
    """Table 2 of Fraley & Raftery (2007), in its own algebra: scatter about xbar_j plus a shrinkage term."""
    k, n = s.shape
    alpha, kappa, nu = prior.weight_concentration_prior, prior.mean_precision_prior, prior.degrees_of_freedom_prior
    mu_p, lam = prior.mean_prior, prior.covariance_prior
    phi = (N + alpha - 1) / (N.sum() + k * (alpha - 1))
    mu, B = [], []
    for j in range(k):
        xbar = s[j] / N[j]
        W = sxx[j] - N[j] * np.outer(xbar, xbar)
        B.append(W + kappa * N[j] / (kappa + N[j]) * np.outer(xbar - mu_p, xbar - mu_p))
        mu.append((N[j] * xbar + kappa * mu_p) / (N[j] + kappa))
    if covariance_type == "full":
        cov = np.array([(lam + B[j]) / (nu + N[j] + n + 2) for j in range(k)])
    elif covariance_type == "tied":
        cov = (lam + sum(B)) / (nu + N.sum() + k + n + 1)
    elif covariance_type == "diag":
        cov = np.array([(lam + np.diag(B[j])) / (nu + N[j] + 3) for j in range(k)])
    else:
        cov = np.array([(lam + np.trace(B[j])) / (nu + (N[j] + 1) * n + 2) for j in range(k)])
    return phi, np.array(mu), cov


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_map_m_step_is_fraley_raftery_table_2(covariance_type):
    X = blobs()
    prior = some_prior(covariance_type, X)
    W = np.random.default_rng(0).dirichlet(np.ones(3), size=len(X))
    N, s, sxx = statistics(X, W)
    ours = pr.map_m_step(N, s, sxx, prior)
    for a, b in zip(ours, fraley_raftery_m_step(N, s, sxx, prior, covariance_type), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def _perturb(theta, covariance_type, direction, rng):
    """Theta + t * (a direction that keeps phi on the simplex and Sigma symmetric), as a function of t."""
    phi, mu, cov = theta
    d_phi = rng.normal(size=phi.shape)
    d_phi -= d_phi.mean()
    d_mu = rng.normal(size=mu.shape)
    d_cov = rng.normal(size=cov.shape)
    if cov.ndim >= 2 and covariance_type in ("full", "tied"):
        d_cov = d_cov + np.swapaxes(d_cov, -1, -2)
    parts = {"phi": (d_phi, 0, 0), "mu": (0, d_mu, 0), "cov": (0, 0, d_cov)}[direction]
    return lambda t: (phi + t * parts[0], mu + t * parts[1], cov + t * parts[2])


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_finite_difference_gradient_of_the_map_bound_vanishes_at_the_closed_form(covariance_type):
    X = blobs()
    prior = some_prior(covariance_type, X)
    W = np.random.default_rng(1).dirichlet(np.ones(3), size=len(X))
    N, s, sxx = statistics(X, W)
    theta = pr.map_m_step(N, s, sxx, prior)

    def objective(th):
        return pr.map_objective(*th, N, s, sxx, prior)

    rng = np.random.default_rng(2)
    h = 1e-5
    for direction in ("phi", "mu", "cov"):
        for _ in range(3):
            path = _perturb(theta, covariance_type, direction, rng)
            slope = (objective(path(h)) - objective(path(-h))) / (2 * h)
            # round-off of the difference is ~1e-8 here; a denominator off by one gives slopes ~0.1-3
            assert abs(slope) < 1e-5, (direction, slope)
            # and a step either way lowers it: a maximum, not a saddle
            assert objective(path(1e-3)) < objective(path(0)) and objective(path(-1e-3)) < objective(path(0))


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_random_perturbations_never_raise_the_map_bound(covariance_type):
    X = blobs()
    prior = some_prior(covariance_type, X)
    W = e_step(X, GMMParams(phi=[0.3, 0.3, 0.4], mu=X[:3], Sigma=[np.eye(3) * 4] * 3))
    N, s, sxx = statistics(X, W)
    best = pr.map_m_step(N, s, sxx, prior)
    top = pr.map_objective(*best, N, s, sxx, prior)
    rng = np.random.default_rng(5)
    for _ in range(40):
        phi = rng.dirichlet(best[0] * 200)
        mu = best[1] + rng.normal(scale=0.05, size=best[1].shape)
        cov = best[2] * np.exp(rng.normal(scale=0.05)) if covariance_type != "full" else best[2] * 1.05
        assert pr.map_objective(phi, mu, cov, N, s, sxx, prior) < top


# -------------------------------------------------------------------------------------- estimator


def one_map_step(X, covariance_type, prior, reg_covar=0.0):
    rng = np.random.default_rng(4)
    k, n = 3, X.shape[1]
    prec = {
        "full": np.broadcast_to(np.eye(n) / 4, (k, n, n)).copy(),
        "tied": np.eye(n) / 4,
        "diag": np.full((k, n), 0.25),
        "spherical": np.full(k, 0.25),
    }[covariance_type]
    init = {
        "weights_init": [0.3, 0.3, 0.4],
        "means_init": X[rng.choice(len(X), 3, replace=False)],
        "precisions_init": prec,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter=1 does not converge
        gm = GaussianMixture(
            3, covariance_type=covariance_type, max_iter=1, tol=0, reg_covar=reg_covar, prior=prior, **init
        ).fit(X)
    return gm, init


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_estimator_map_step_and_log_posterior(covariance_type):
    X = blobs()
    prior = some_prior(covariance_type, X)
    gm, init = one_map_step(X, covariance_type, prior.as_dict())
    n = X.shape[1]
    prec = init["precisions_init"]
    cov0 = np.linalg.inv(prec) if covariance_type in ("full", "tied") else 1.0 / prec
    full0 = {
        "full": lambda c: c,
        "tied": lambda c: np.broadcast_to(c, (3, n, n)),
        "diag": lambda c: np.array([np.diag(v) for v in c]),
        "spherical": lambda c: np.array([v * np.eye(n) for v in c]),
    }[covariance_type](cov0)
    theta0 = GMMParams(phi=init["weights_init"], mu=init["means_init"], Sigma=full0)
    W = e_step(X, theta0)
    expected = fraley_raftery_m_step(*statistics(X, W), prior, covariance_type)
    for name, value in zip(("weights_", "means_", "covariances_"), expected, strict=True):
        np.testing.assert_allclose(getattr(gm, name), value, rtol=1e-9, atol=1e-12)
    # lower_bounds_[0] is the per-sample log-posterior at Theta^(0)
    from emlab import log_likelihood

    log_post = log_likelihood(X, theta0) + pr.log_prior(init["weights_init"], init["means_init"], cov0, prior)
    np.testing.assert_allclose(gm.lower_bounds_[0], log_post / len(X), rtol=1e-12)
    assert gm.prior_.keys() == set(pr.PRIOR_KEYS)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_reg_covar_is_added_on_top_of_the_map_covariance(covariance_type):
    X = blobs()
    a, _ = one_map_step(X, covariance_type, "conjugate")
    b, _ = one_map_step(X, covariance_type, "conjugate", reg_covar=0.1)
    diff = b.covariances_ - a.covariances_
    expected = 0.1 * (np.eye(3) if covariance_type in ("full", "tied") else 1.0)
    np.testing.assert_allclose(diff, np.broadcast_to(expected, diff.shape), atol=1e-12)
    np.testing.assert_allclose(b.means_, a.means_, atol=1e-14)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize("missing", [False, True])
def test_the_log_posterior_never_decreases(covariance_type, missing):
    X = blobs(300, seed=1)
    if missing:
        X[np.random.default_rng(0).random(X.shape) < 0.25] = np.nan
        X = X[~np.isnan(X).all(axis=1)]
    gm = GaussianMixture(
        3,
        covariance_type=covariance_type,
        prior="conjugate",
        reg_covar=0.0,
        tol=1e-10,
        max_iter=500,
        random_state=0,
        missing="marginalize",
    ).fit(X)
    lb = np.asarray(gm.lower_bounds_)
    assert gm.converged_ and len(lb) > 3
    assert np.all(np.diff(lb) >= -1e-12 * np.abs(lb[-1]))
    assert np.all(gm.history_["kl_after_m"] >= 0)
    assert gm.history_["log_likelihood"][-1] == pytest.approx(lb[-1] * len(X), rel=1e-6)


def spike_start():
    """Notebook 06's collapse: the two-cluster fit plus a narrow third component on the loneliest point."""
    X, labels = datasets.two_clusters_2d(seed=0)
    m = len(X)
    rng = np.random.default_rng(7)
    start = rng.choice(m, size=2, replace=False)
    Sigma_X = np.cov(X, rowvar=False, bias=True)
    theta, _ = run_em(X, GMMParams(phi=[0.5, 0.5], mu=X[start], Sigma=[Sigma_X, Sigma_X]), tol=1e-6)
    small = np.flatnonzero(labels == 0)
    i0 = small[np.argmax(np.linalg.norm(X[small] - X[small].mean(axis=0), axis=1))]
    spike = GMMParams(
        phi=np.append(theta.phi * (1 - 1 / m), 1 / m), mu=[*theta.mu, X[i0]], Sigma=[*theta.Sigma, 0.01 * np.eye(2)]
    )
    init = {"weights_init": spike.phi, "means_init": spike.mu, "precisions_init": np.linalg.inv(spike.Sigma)}
    return X, init


def test_collapse_of_notebook_06_is_stopped_by_the_prior():
    X, init = spike_start()
    with pytest.raises(ValueError, match="collapsed"):
        GaussianMixture(3, reg_covar=0.0, tol=1e-8, max_iter=500, **init).fit(X)
    gm = GaussianMixture(3, reg_covar=0.0, tol=1e-8, max_iter=500, prior="conjugate", **init).fit(X)
    n = X.shape[1]
    lam = gm.prior_["covariance_prior"]
    bound = np.linalg.eigvalsh(lam).min() / (len(X) + gm.prior_["degrees_of_freedom_prior"] + n + 2)
    eig = np.linalg.eigvalsh(gm.covariances_).min(axis=1)
    assert gm.converged_ and np.all(eig >= bound) and np.all(np.isfinite(gm.score_samples(X)))
    assert np.all(np.diff(gm.lower_bounds_) >= -1e-12 * abs(gm.lower_bound_))


def test_without_a_prior_nothing_changes():
    X = blobs()
    a = GaussianMixture(3, random_state=0).fit(X)
    b = GaussianMixture(3, random_state=0, prior=None).fit(X)
    assert np.array_equal(a.covariances_, b.covariances_) and a.prior_ is None


# ---------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("prior", "covariance_type", "pattern"),
    [
        ("mclust", "full", r"Unknown prior 'mclust'.*'conjugate'"),
        (3.0, "full", r"Unknown prior 3.0"),
        ({"mean_precision": 1.0}, "full", r"Unknown prior key\(s\) \['mean_precision'\].*mean_precision_prior"),
        ({"weight_concentration_prior": 0.5}, "full", r"weight_concentration_prior.*>= 1.*use 1"),
        ({"mean_prior": [0.0, 0.0]}, "full", r"mean_prior.*shape \(n_features,\) = \(3,\).*one prior mean per"),
        ({"mean_prior": [0.0, np.nan, 0.0]}, "full", r"mean_prior.*finite"),
        ({"mean_precision_prior": 0.0}, "full", r"mean_precision_prior.*> 0.*0.01"),
        ({"degrees_of_freedom_prior": 1.5}, "full", r"degrees_of_freedom_prior.*> 2.*n_features \+ 2 = 5"),
        ({"degrees_of_freedom_prior": -1.0}, "diag", r"degrees_of_freedom_prior.*> 0"),
        ({"covariance_prior": np.eye(2)}, "full", r"covariance_prior.*\(3, 3\).*got shape \(2, 2\)"),
        ({"covariance_prior": np.eye(3)}, "diag", r"covariance_prior.*\(n_features,\).*vector of variances"),
        ({"covariance_prior": [1.0, 2.0]}, "spherical", r"covariance_prior.*a float.*one variance"),
        ({"covariance_prior": np.diag([1.0, -1.0, 1.0])}, "tied", r"positive definite.*smallest eigenvalue -1"),
        ({"covariance_prior": np.triu(np.ones((3, 3)))}, "full", r"symmetric.*\(L \+ L.T\) / 2"),
        ({"covariance_prior": [1.0, 0.0, 1.0]}, "diag", r"positive.*variances > 0"),
    ],
)
def test_bad_priors_say_what_to_do(prior, covariance_type, pattern):
    X = blobs(60)
    with pytest.raises(ValueError, match=pattern):
        GaussianMixture(2, covariance_type=covariance_type, prior=prior).fit(X)


def test_constant_feature_with_default_prior():
    X = blobs(60)
    X[:, 2] = 1.0
    with pytest.raises(ValueError, match=r"constant feature.*pass 'covariance_prior'"):
        GaussianMixture(2, prior="conjugate").fit(X)


def test_a_column_with_one_observed_value_has_no_default_variance():
    X = blobs(60)
    X[1:, 2] = np.nan
    with pytest.raises(ValueError, match=r"Column 2 of X has fewer than 2 observed values.*'covariance_prior'"):
        GaussianMixture(2, missing="marginalize", prior="conjugate").fit(X)
