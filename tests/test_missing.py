"""EM with missing values: emlab.missing and GaussianMixture(missing='marginalize') against a brute-force reference."""

import warnings

import numpy as np
import pytest
from scipy import integrate
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from emlab import GaussianMixture, GMMParams, e_step, log_likelihood, m_step
from emlab import missing as ms
from emlab.covariance import expand_covariances

COV_TYPES = ["full", "tied", "diag", "spherical"]


def mixture_data(m=240, seed=0):
    """Three correlated 3-D Gaussian blobs."""
    rng = np.random.default_rng(seed)
    means = np.array([[0.0, 0.0, 0.0], [4.0, 3.0, -1.0], [-3.0, 4.0, 2.0]])
    covs = np.array([[[1.0, 0.6, 0.2], [0.6, 1.5, -0.3], [0.2, -0.3, 0.8]], np.eye(3) * 0.7, np.diag([0.5, 2.0, 1.0])])
    z = np.arange(m) % 3
    return np.array([rng.multivariate_normal(means[j], covs[j]) for j in z])


def remove_values(X, fraction, seed=1):
    """X with a random ``fraction`` of entries set to NaN, keeping at least one value per row."""
    rng = np.random.default_rng(seed)
    Xm = X.copy()
    Xm[rng.random(X.shape) < fraction] = np.nan
    empty = np.isnan(Xm).all(axis=1)
    Xm[empty, 0] = X[empty, 0]
    return Xm


def start_for(covariance_type, X, k=3, seed=2):
    """Theta^(0) as *_init arguments (any covariance type) and as full covariances."""
    rng = np.random.default_rng(seed)
    n = X.shape[1]
    rows = X[~np.isnan(X).any(axis=1)]
    means = rows[rng.choice(len(rows), size=k, replace=False)]
    A = rng.normal(size=(k, n, n))
    full = np.eye(n) + 0.2 * A @ A.transpose(0, 2, 1)
    cov = {
        "full": full,
        "tied": full[0],
        "diag": np.diagonal(full, axis1=1, axis2=2).copy(),
        "spherical": np.diagonal(full, axis1=1, axis2=2).mean(axis=1),
    }[covariance_type]
    weights = np.array([0.5, 0.3, 0.2])
    prec = np.linalg.inv(cov) if covariance_type in ("full", "tied") else 1.0 / cov
    init = {"weights_init": weights, "means_init": means, "precisions_init": prec}
    return init, GMMParams(phi=weights, mu=means, Sigma=expand_covariances(cov, covariance_type, k, n))


# ---------------------------------------------------------------------------- the brute-force reference


def brute_force_e_step(X, params):
    """One row at a time: its observed and missing coordinates, scipy densities, explicit inverses."""
    m, n = X.shape
    k = params.k
    W = np.zeros((m, k))
    row_ll = np.zeros(m)
    x_hat = np.zeros((m, k, n))
    Exx = np.zeros((m, k, n, n))
    for i in range(m):
        o = np.flatnonzero(~np.isnan(X[i]))
        h = np.flatnonzero(np.isnan(X[i]))
        log_p = np.array(
            [
                np.log(params.phi[j])
                + multivariate_normal(params.mu[j][o], params.Sigma[j][np.ix_(o, o)]).logpdf(X[i, o])
                for j in range(k)
            ]
        )
        row_ll[i] = logsumexp(log_p)
        W[i] = np.exp(log_p - row_ll[i])
        for j in range(k):
            S = params.Sigma[j]
            inv_oo = np.linalg.inv(S[np.ix_(o, o)])
            xh = X[i].copy()
            xh[h] = params.mu[j][h] + S[np.ix_(h, o)] @ inv_oo @ (X[i, o] - params.mu[j][o])
            C = np.zeros((n, n))
            C[np.ix_(h, h)] = S[np.ix_(h, h)] - S[np.ix_(h, o)] @ inv_oo @ S[np.ix_(o, h)]
            x_hat[i, j] = xh
            Exx[i, j] = np.outer(xh, xh) + C
    N = W.sum(axis=0)
    sum_x = np.array([sum(W[i, j] * x_hat[i, j] for i in range(m)) for j in range(k)])
    sum_xx = np.array([sum(W[i, j] * Exx[i, j] for i in range(m)) for j in range(k)])
    return W, row_ll, x_hat, N, sum_x, sum_xx


def brute_force_m_step(N, sum_x, sum_xx, covariance_type, reg_covar=0.0):
    """The maximum-likelihood M-step of each covariance type from expected statistics."""
    k, n = sum_x.shape
    mu = sum_x / N[:, None]
    S = [sum_xx[j] / N[j] - np.outer(mu[j], mu[j]) for j in range(k)]
    if covariance_type == "full":
        cov = np.array(S) + reg_covar * np.eye(n)
    elif covariance_type == "tied":
        cov = sum(N[j] * S[j] for j in range(k)) / N.sum() + reg_covar * np.eye(n)
    elif covariance_type == "diag":
        cov = np.array([np.diag(s) for s in S]) + reg_covar
    else:
        cov = np.array([np.trace(s) / n for s in S]) + reg_covar
    return N / N.sum(), mu, cov


def one_em_step(X, covariance_type, init, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter=1 does not converge
        return GaussianMixture(
            3, covariance_type=covariance_type, max_iter=1, tol=0, reg_covar=0.0, missing="marginalize", **init, **kw
        ).fit(X)


# -------------------------------------------------------------------------------- functional module


@pytest.fixture(scope="module")
def data():
    X = mixture_data()
    return X, remove_values(X, 0.3)


def test_e_step_matches_the_brute_force_reference(data):
    _, Xm = data
    _, params = start_for("full", Xm)
    W, row_ll, x_hat, N, sum_x, sum_xx = brute_force_e_step(Xm, params)
    stats = ms.e_step(Xm, params)
    np.testing.assert_allclose(stats.W, W, atol=1e-12)
    np.testing.assert_allclose(stats.x_hat, x_hat, atol=1e-10)
    np.testing.assert_allclose(stats.N, N, rtol=1e-12)
    np.testing.assert_allclose(stats.sum_x, sum_x, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(stats.sum_xx, sum_xx, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(stats.log_likelihood, row_ll.sum(), rtol=1e-12)
    np.testing.assert_allclose(ms.observed_log_likelihood(Xm, params), row_ll.sum(), rtol=1e-12)
    # the conditional-covariance term is there, positive semidefinite, and zero without missing values
    assert np.all(np.linalg.eigvalsh(stats.sum_cond_cov) > -1e-12)
    assert np.trace(stats.sum_cond_cov, axis1=1, axis2=2).min() > 1.0


def test_m_step_and_impute_match_the_reference(data):
    _, Xm = data
    _, params = start_for("full", Xm)
    W, _, x_hat, N, sum_x, sum_xx = brute_force_e_step(Xm, params)
    new = ms.m_step(ms.e_step(Xm, params), reg_covar=1e-6)
    phi, mu, cov = brute_force_m_step(N, sum_x, sum_xx, "full", 1e-6)
    np.testing.assert_allclose(new.phi, phi, rtol=1e-12)
    np.testing.assert_allclose(new.mu, mu, atol=1e-10)
    np.testing.assert_allclose(new.Sigma, cov, atol=1e-10)
    expected = np.where(np.isnan(Xm), np.einsum("ik,ikn->in", W, x_hat), Xm)
    np.testing.assert_allclose(ms.impute(Xm, params), expected, atol=1e-10)


def test_with_nothing_missing_it_is_the_ordinary_em(data):
    X, _ = data
    _, params = start_for("full", X)
    stats = ms.e_step(X, params)
    np.testing.assert_allclose(stats.W, e_step(X, params), atol=1e-13)
    assert np.all(stats.sum_cond_cov == 0)
    ours, core = ms.m_step(stats), m_step(X, stats.W)
    np.testing.assert_allclose(ours.mu, core.mu, atol=1e-10)
    np.testing.assert_allclose(ours.Sigma, core.Sigma, atol=1e-10)
    np.testing.assert_allclose(ms.observed_log_likelihood(X, params), log_likelihood(X, params), rtol=1e-13)


def test_functional_em_never_lowers_the_observed_data_likelihood(data):
    _, Xm = data
    _, params = start_for("full", Xm)
    trace = []
    for _ in range(25):
        stats = ms.e_step(Xm, params)
        trace.append(stats.log_likelihood)
        params = ms.m_step(stats)
    steps = np.diff(trace)
    assert np.all(steps >= -1e-9 * np.abs(trace[-1])) and trace[-1] - trace[0] > 10


def test_conditional_gaussian_against_numerical_integration():
    mu = np.array([1.0, -2.0])
    Sigma = np.array([[2.0, 0.9], [0.9, 1.5]])
    x1 = 2.3
    joint = multivariate_normal(mu, Sigma)

    def moment(p):
        return integrate.quad(lambda t: t**p * joint.pdf([x1, t]), -np.inf, np.inf, epsabs=1e-13, epsrel=1e-12)[0]

    z, m1, m2 = moment(0), moment(1), moment(2)
    mean, cov = ms.conditional_gaussian(np.array([x1, np.nan]), [True, False], mu, Sigma)
    np.testing.assert_allclose(mean, [m1 / z], rtol=1e-9)
    np.testing.assert_allclose(cov, [[m2 / z - (m1 / z) ** 2]], rtol=1e-8)
    # and x_1 given x_2 (the missing coordinate first)
    x2 = -1.1
    z = integrate.quad(lambda t: joint.pdf([t, x2]), -np.inf, np.inf, epsabs=1e-13)[0]
    m1 = integrate.quad(lambda t: t * joint.pdf([t, x2]), -np.inf, np.inf, epsabs=1e-13)[0]
    mean, _ = ms.conditional_gaussian(np.array([np.nan, x2]), [False, True], mu, Sigma)
    np.testing.assert_allclose(mean, [m1 / z], rtol=1e-9)


def test_mixture_e_step_expectations_against_numerical_integration():
    params = GMMParams(phi=[0.4, 0.6], mu=[[0.0, 1.0], [3.0, -1.0]], Sigma=[[[1.0, 0.7], [0.7, 2.0]], np.eye(2) * 0.5])

    def p(x1, t):
        return sum(params.phi[j] * multivariate_normal(params.mu[j], params.Sigma[j]).pdf([x1, t]) for j in range(2))

    x1 = 1.4
    z, m1, m2 = (integrate.quad(lambda t, q=q: t**q * p(x1, t), -np.inf, np.inf, epsabs=1e-14)[0] for q in range(3))
    X = np.array([[x1, np.nan]])
    stats = ms.e_step(X, params)
    np.testing.assert_allclose(stats.log_likelihood, np.log(z), rtol=1e-9)  # p(x_o) = integral of p(x_o, x_h)
    np.testing.assert_allclose(stats.sum_x[:, 1].sum(), m1 / z, rtol=1e-8)  # E[x_h | x_o]
    np.testing.assert_allclose(stats.sum_xx[:, 1, 1].sum(), m2 / z, rtol=1e-8)  # E[x_h^2 | x_o], with C_j
    np.testing.assert_allclose(ms.impute(X, params)[0, 1], m1 / z, rtol=1e-8)
    # the posterior over z given x_o: w_j = integral of p(x_o, x_h, z = j) dx_h / p(x_o)
    w0 = integrate.quad(
        lambda t: params.phi[0] * multivariate_normal(params.mu[0], params.Sigma[0]).pdf([x1, t]), -np.inf, np.inf
    )[0]
    np.testing.assert_allclose(stats.W[0, 0], w0 / z, rtol=1e-8)


def test_missing_patterns_cover_every_row_once(data):
    _, Xm = data
    groups = ms.missing_patterns(Xm)
    rows = np.sort(np.concatenate([r for _, r in groups]))
    assert np.array_equal(rows, np.arange(len(Xm)))
    for observed, r in groups:
        assert np.array_equal(~np.isnan(Xm[r]), np.broadcast_to(observed, (len(r), Xm.shape[1])))


def test_functional_bad_input():
    params = GMMParams(phi=[1.0], mu=[[0.0, 0.0]], Sigma=[np.eye(2)])
    with pytest.raises(ValueError, match=r"row 1 of X has no observed value.*Drop such rows"):
        ms.e_step(np.array([[1.0, np.nan], [np.nan, np.nan]]), params)
    with pytest.raises(ValueError, match="inf"):
        ms.impute(np.array([[1.0, np.inf]]), params)
    with pytest.raises(ValueError, match="must agree on n"):
        ms.conditional_gaussian(np.zeros(3), [True, False], np.zeros(2), np.eye(2))


def test_m_step_names_an_empty_component_as_the_notebooks_do():
    # phi_2 = 0: the second component (index 1) gets no responsibility; the message counts from 1 like the prose.
    params = GMMParams(phi=[1.0, 0.0], mu=[[0.0, 0.0], [1.0, 1.0]], Sigma=[np.eye(2)] * 2)
    stats = ms.e_step(np.array([[0.0, np.nan], [1.0, 2.0], [0.5, 0.5]]), params)
    with pytest.raises(ValueError, match=r"component 2 \(index 1\) has no responsibility \(N_2 = 0\)"):
        ms.m_step(stats)


# ---------------------------------------------------------------------------------------- estimator


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_estimator_em_step_matches_the_brute_force_reference(data, covariance_type):
    _, Xm = data
    init, params = start_for(covariance_type, Xm)
    gm = one_em_step(Xm, covariance_type, init)
    W, row_ll, _, N, sum_x, sum_xx = brute_force_e_step(Xm, params)
    phi, mu, cov = brute_force_m_step(N, sum_x, sum_xx, covariance_type)
    np.testing.assert_allclose(gm.lower_bounds_[0], row_ll.mean(), rtol=1e-12)  # observed-data l / m at Theta^(0)
    np.testing.assert_allclose(gm.weights_, phi, rtol=1e-10)
    np.testing.assert_allclose(gm.means_, mu, atol=1e-9)
    np.testing.assert_allclose(gm.covariances_, cov, atol=1e-9)
    # prediction at the fitted parameters, each row on its observed coordinates
    fitted = GMMParams(phi=gm.weights_, mu=gm.means_, Sigma=expand_covariances(gm.covariances_, covariance_type, 3, 3))
    W, row_ll, x_hat, *_ = brute_force_e_step(Xm, fitted)
    np.testing.assert_allclose(gm.score_samples(Xm), row_ll, rtol=1e-10)
    np.testing.assert_allclose(gm.score(Xm), row_ll.mean(), rtol=1e-10)
    np.testing.assert_allclose(gm.predict_proba(Xm), W, atol=1e-10)
    assert np.array_equal(gm.predict(Xm), W.argmax(axis=1))
    np.testing.assert_allclose(gm.impute(Xm), np.where(np.isnan(Xm), np.einsum("ik,ikn->in", W, x_hat), Xm), atol=1e-9)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_estimator_observed_data_likelihood_never_decreases(data, covariance_type):
    _, Xm = data
    init, _ = start_for(covariance_type, Xm)
    gm = GaussianMixture(
        3, covariance_type=covariance_type, reg_covar=0.0, tol=1e-10, max_iter=500, missing="marginalize", **init
    ).fit(Xm)
    lb = np.asarray(gm.lower_bounds_)
    assert gm.converged_ and len(lb) > 5
    assert np.all(np.diff(lb) >= -1e-12 * np.abs(lb[-1]))
    np.testing.assert_allclose(gm.lower_bound_, lb[-1])
    # the EM identities hold with (z, x_h) latent: the gap after each M-step is a KL divergence >= 0
    assert np.all(gm.history_["kl_after_m"] >= 0)
    np.testing.assert_allclose(gm.history_["elbo_after_e"][1:], gm.history_["log_likelihood"][:-1], rtol=1e-10)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_without_nan_marginalize_is_the_ordinary_fit(data, covariance_type):
    X, _ = data
    plain = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    marg = GaussianMixture(3, covariance_type=covariance_type, random_state=0, missing="marginalize").fit(X)
    for name in ("weights_", "means_", "covariances_"):
        np.testing.assert_allclose(getattr(marg, name), getattr(plain, name), rtol=0, atol=1e-10)
    np.testing.assert_allclose(marg.lower_bounds_, plain.lower_bounds_, rtol=0, atol=1e-10)
    assert marg.n_iter_ == plain.n_iter_
    np.testing.assert_allclose(marg.score_samples(X), plain.score_samples(X), atol=1e-10)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_engine_agrees_with_the_functional_module(data, covariance_type):
    """The pattern-grouped engine and emlab.missing give the same observed-data fit."""
    _, Xm = data
    init, _ = start_for(covariance_type, Xm)
    gm = GaussianMixture(
        3, covariance_type=covariance_type, reg_covar=0.0, tol=1e-9, max_iter=300, missing="marginalize", **init
    ).fit(Xm)
    params = GMMParams(phi=gm.weights_, mu=gm.means_, Sigma=expand_covariances(gm.covariances_, covariance_type, 3, 3))
    np.testing.assert_allclose(gm.score(Xm) * len(Xm), ms.observed_log_likelihood(Xm, params), rtol=1e-12)
    np.testing.assert_allclose(gm.impute(Xm), ms.impute(Xm, params), atol=1e-10)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_rows_are_grouped_not_looped(monkeypatch, data, covariance_type):
    """One E-step is one engine pass per missing pattern ('full', 'tied'), or one pass over all rows
    with observed-indicator features ('diag', 'spherical'), whatever the number of rows."""
    from emlab import _engine

    _, Xm = data
    calls = []
    real = _engine.em_pass
    monkeypatch.setattr(_engine, "em_pass", lambda d, C: calls.append(d.m) or real(d, C))
    one_em_step(Xm, covariance_type, start_for(covariance_type, Xm)[0])
    n_passes = len(ms.missing_patterns(Xm)) if covariance_type in ("full", "tied") else 1
    assert len(calls) == n_passes and sum(calls) == len(Xm)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_blocked_and_uncached_passes_give_the_same_fit(monkeypatch, covariance_type):
    """Features rebuilt per 256-row block (large data on small machines): the same numbers."""
    from emlab import _engine

    Xm = remove_values(mixture_data(1200, seed=5), 0.2, seed=6)
    init, _ = start_for(covariance_type, Xm)
    kw = dict(covariance_type=covariance_type, tol=1e-8, max_iter=200, missing="marginalize", **init)
    cached = GaussianMixture(3, **kw).fit(Xm)
    monkeypatch.setattr(_engine, "_FEATURE_CACHE_BYTES", 0)
    monkeypatch.setattr(_engine, "_BLOCK_BYTES", 1)
    blocked = GaussianMixture(3, **kw).fit(Xm)
    assert blocked.n_iter_ == cached.n_iter_
    for name in ("weights_", "means_", "covariances_"):
        np.testing.assert_allclose(getattr(blocked, name), getattr(cached, name), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(blocked.score_samples(Xm), cached.score_samples(Xm), rtol=1e-12)
    np.testing.assert_allclose(blocked.impute(Xm), cached.impute(Xm), rtol=1e-12, atol=1e-12)


def test_fit_with_random_init_all_types_and_n_init(data):
    _, Xm = data
    for covariance_type in COV_TYPES:
        gm = GaussianMixture(3, covariance_type=covariance_type, missing="marginalize", n_init=2, random_state=0)
        labels = gm.fit_predict(Xm)
        assert gm.converged_ and np.array_equal(labels, gm.predict(Xm))
        assert np.all(np.isfinite(gm.score_samples(Xm)))


def test_impute_works_for_a_model_fitted_on_complete_data(data):
    X, Xm = data
    gm = GaussianMixture(3, random_state=0).fit(X)  # missing='error'
    filled = gm.impute(Xm)
    assert not np.isnan(filled).any() and np.array_equal(filled[~np.isnan(Xm)], Xm[~np.isnan(Xm)])
    # the conditional mean beats the column mean on the removed values
    gap = np.isnan(Xm)
    rmse = np.sqrt(np.mean((filled[gap] - X[gap]) ** 2))
    rmse_mean = np.sqrt(np.mean((np.where(gap, np.nanmean(Xm, axis=0), Xm)[gap] - X[gap]) ** 2))
    assert rmse < 0.8 * rmse_mean
    np.testing.assert_array_equal(gm.impute(X), X)


# ---------------------------------------------------------------------------------------- bad input


def test_nan_with_missing_error_names_the_option(data):
    _, Xm = data
    with pytest.raises(ValueError, match=r"NaN or inf.*missing='marginalize'"):
        GaussianMixture(2).fit(Xm)


@pytest.mark.parametrize("method", ["fit", "predict", "predict_proba", "score", "score_samples", "impute"])
def test_a_row_with_no_observed_value_raises(data, method):
    _, Xm = data
    fitted = GaussianMixture(3, random_state=0, missing="marginalize").fit(Xm)
    bad = Xm.copy()
    bad[5] = np.nan
    est = GaussianMixture(3, missing="marginalize") if method == "fit" else fitted
    with pytest.raises(ValueError, match=r"Row 5 of X has no observed value.*Drop such rows"):
        getattr(est, method)(bad)


def test_other_bad_input(data):
    X, Xm = data
    with pytest.raises(ValueError, match=r"Unknown missing='drop'.*'marginalize'"):
        GaussianMixture(2, missing="drop").fit(X)
    bad = Xm.copy()
    bad[:, 1] = np.nan
    with pytest.raises(ValueError, match=r"Column 1 of X has no observed value.*drop that column"):
        GaussianMixture(2, missing="marginalize").fit(bad)
    bad = Xm.copy()
    bad[3, 0] = np.inf
    with pytest.raises(ValueError, match="NaN or inf"):
        GaussianMixture(2, missing="marginalize").fit(bad)
    fitted = GaussianMixture(2, missing="marginalize", random_state=0).fit(Xm)
    with pytest.raises(ValueError, match="features"):
        fitted.predict(Xm[:, :2])
    with pytest.raises(ValueError, match="not fitted"):
        GaussianMixture(2).impute(Xm)
