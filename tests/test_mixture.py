"""emlab.GaussianMixture: parity with scikit-learn, agreement with the functional core, history_, bad input."""

import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emlab import GaussianMixture, GMMParams, e_step, elbo, kl_divergence, log_likelihood, run_em
from emlab.mixture import ConvergenceWarning, NotFittedError

sklearn_mixture = pytest.importorskip("sklearn.mixture")
SkGaussianMixture = sklearn_mixture.GaussianMixture

COV_TYPES = ["full", "tied", "diag", "spherical"]
ATTRS = ["weights_", "means_", "covariances_", "precisions_", "precisions_cholesky_"]


def blobs(m, n, k, seed=0, spread=4.0):
    """m points from k well-separated Gaussian blobs in R^n with unequal scales."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=spread, size=(k, n))
    z = np.arange(m) % k
    scales = rng.uniform(0.5, 1.5, size=k)
    return centres[z] + rng.normal(size=(m, n)) * scales[z, None]


def common_start(X, k, covariance_type, seed=1):
    """The same Theta^(0) for both estimators: uniform weights, data points as means, unit-ish precisions."""
    rng = np.random.default_rng(seed)
    n = X.shape[1]
    prec = 1.0 / X.var(axis=0).mean()
    precisions = {
        "full": np.broadcast_to(np.eye(n) * prec, (k, n, n)).copy(),
        "tied": np.eye(n) * prec,
        "diag": np.full((k, n), prec),
        "spherical": np.full(k, prec),
    }[covariance_type]
    return {
        "weights_init": np.full(k, 1.0 / k),
        "means_init": X[rng.choice(X.shape[0], size=k, replace=False)],
        "precisions_init": precisions,
    }


def fit_both(X, k, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both warn alike when max_iter is hit; checked elsewhere
        ours = GaussianMixture(k, **kw).fit(X)
        theirs = SkGaussianMixture(k, **kw).fit(X)
    return ours, theirs


def assert_same_fit(ours, theirs, rtol=1e-6):
    for name in ATTRS:
        a, b = getattr(ours, name), getattr(theirs, name)
        assert a.shape == b.shape, name
        scale = np.max(np.abs(b))
        np.testing.assert_allclose(a, b, rtol=0, atol=rtol * scale, err_msg=name)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.converged_ == theirs.converged_
    np.testing.assert_allclose(ours.lower_bounds_, theirs.lower_bounds_, rtol=1e-9)
    np.testing.assert_allclose(ours.lower_bound_, theirs.lower_bound_, rtol=1e-9)


# ------------------------------------------------------------------------------------ parity


@pytest.mark.parametrize("covariance_type", COV_TYPES)
@pytest.mark.parametrize(("m", "n", "k"), [(40, 1, 2), (300, 2, 3), (1500, 4, 4)])
def test_parity_with_sklearn_from_the_same_start(covariance_type, m, n, k):
    X = blobs(m, n, k, seed=m + n)
    start = common_start(X, k, covariance_type)
    ours, theirs = fit_both(X, k, covariance_type=covariance_type, tol=1e-5, max_iter=300, **start)
    assert theirs.n_iter_ > 1  # a real run, not a stop at the first check
    assert_same_fit(ours, theirs)
    # The fitted models then agree on every prediction method.
    Xt = blobs(50, n, k, seed=99)
    np.testing.assert_allclose(ours.score_samples(Xt), theirs.score_samples(Xt), rtol=1e-6)
    np.testing.assert_allclose(ours.predict_proba(Xt), theirs.predict_proba(Xt), atol=1e-6)
    np.testing.assert_array_equal(ours.predict(Xt), theirs.predict(Xt))
    assert ours.score(Xt) == pytest.approx(theirs.score(Xt), rel=1e-6)
    assert ours.bic(Xt) == pytest.approx(theirs.bic(Xt), rel=1e-6)
    assert ours.aic(Xt) == pytest.approx(theirs.aic(Xt), rel=1e-6)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_parity_iterate_by_iterate_when_max_iter_stops_early(covariance_type):
    X = blobs(400, 3, 3, seed=5, spread=1.5)  # overlapping: EM needs many iterations
    start = common_start(X, 3, covariance_type)
    for max_iter in (1, 2, 7):
        ours, theirs = fit_both(X, 3, covariance_type=covariance_type, tol=0.0, max_iter=max_iter, **start)
        assert ours.n_iter_ == max_iter and not ours.converged_
        assert_same_fit(ours, theirs, rtol=1e-9)


def test_parity_of_warm_start_and_max_iter_zero():
    X = blobs(200, 2, 3, seed=3, spread=2.0)
    start = common_start(X, 3, "full")
    ours = GaussianMixture(3, warm_start=True, max_iter=2, tol=0.0, **start)
    theirs = SkGaussianMixture(3, warm_start=True, max_iter=2, tol=0.0, **start)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(3):
            ours.fit(X)
            theirs.fit(X)
            assert_same_fit(ours, theirs, rtol=1e-9)
    zero_ours, zero_theirs = fit_both(X, 3, max_iter=0, init_params="random_from_data", random_state=0)
    assert zero_ours.n_iter_ == zero_theirs.n_iter_ == 0
    assert zero_ours.lower_bound_ == zero_theirs.lower_bound_ == -np.inf


def test_empty_component_guard_matches_sklearn():
    # A mean far from all data gets no responsibility: N_j = 0 and the nk + 10 eps guard decides the result.
    X = blobs(120, 2, 2, seed=8)
    start = common_start(X, 3, "full")
    start["means_init"][2] = [1e3, 1e3]
    ours, theirs = fit_both(X, 3, tol=1e-6, **start)
    assert np.all(np.isfinite(ours.covariances_))
    assert_same_fit(ours, theirs)


def test_convergence_warning_like_sklearn():
    X = blobs(100, 2, 2, seed=1, spread=0.5)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        GaussianMixture(2, max_iter=1, tol=0.0, random_state=0).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        GaussianMixture(2, max_iter=0, random_state=0).fit(X)  # max_iter=0 is an initialisation, no warning


# ------------------------------------------------------------------- agreement with the core


def test_estimator_agrees_with_functional_core_on_full_covariances():
    X = blobs(150, 2, 3, seed=11, spread=2.5)
    start = common_start(X, 3, "full")
    n_steps = 12
    gm = GaussianMixture(3, reg_covar=0.0, tol=0.0, max_iter=n_steps, record_params=True, **start)
    with pytest.warns(ConvergenceWarning):
        gm.fit(X)
    p0 = GMMParams(phi=start["weights_init"], mu=start["means_init"], Sigma=np.linalg.inv(start["precisions_init"]))
    # tol=0 never stops run_em early: |change| < 0 is impossible.
    p_core, core_history = run_em(X, p0, max_iter=n_steps, tol=0.0, reg_covar=0.0)
    l_core = core_history.trace

    def close(a, b):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10 * np.max(np.abs(b)))

    close(gm.weights_, p_core.phi)
    close(gm.means_, p_core.mu)
    close(gm.covariances_, p_core.Sigma)
    close(gm.params_.Sigma, p_core.Sigma)
    h = gm.history_
    close(h["log_likelihood"], l_core[1:])
    close(h["elbo_after_e"], l_core[:-1])
    close(np.asarray(gm.lower_bounds_) * X.shape[0], l_core[:-1])
    for key in ("elbo_after_m", "kl_after_m"):  # one schema for the functional loop and the estimator
        close(h[key], core_history[key])

    snaps = h["params"]
    assert len(snaps) == gm.n_iter_ + 1
    close(snaps[0].Sigma, p0.Sigma)
    for t in range(1, gm.n_iter_ + 1):
        W = e_step(X, snaps[t - 1])  # q^(t)
        assert h["elbo_after_m"][t - 1] == pytest.approx(elbo(X, W, snaps[t]), rel=1e-10)
        assert h["kl_after_m"][t - 1] == pytest.approx(kl_divergence(W, e_step(X, snaps[t])), abs=1e-8)
        assert h["log_likelihood"][t - 1] == pytest.approx(log_likelihood(X, snaps[t]), rel=1e-10)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_history_obeys_the_em_identities(covariance_type):
    X = blobs(300, 2, 3, seed=2, spread=1.5)
    gm = GaussianMixture(3, covariance_type=covariance_type, reg_covar=0.0, tol=1e-8, max_iter=500, random_state=0)
    gm.fit(X)
    h = gm.history_
    assert set(h) == {"log_likelihood", "elbo_after_e", "elbo_after_m", "kl_after_m"}
    assert all(v.shape == (gm.n_iter_,) for v in h.values())
    scale = np.abs(h["log_likelihood"]).max()
    # EM never lowers l; the E-step closes the gap; the M-step raises the ELBO; l = ELBO + KL with KL >= 0.
    assert np.all(np.diff(h["log_likelihood"]) >= -1e-10 * scale)
    np.testing.assert_allclose(h["elbo_after_e"][1:], h["log_likelihood"][:-1], rtol=1e-12)
    assert np.all(h["elbo_after_m"] >= h["elbo_after_e"] - 1e-10 * scale)
    assert np.all(h["kl_after_m"] >= 0)
    np.testing.assert_allclose(h["elbo_after_m"] + h["kl_after_m"], h["log_likelihood"], rtol=1e-12)
    assert gm.score(X) * X.shape[0] == pytest.approx(h["log_likelihood"][-1], rel=1e-10)


def test_callback_sees_each_iterate():
    X = blobs(200, 2, 2, seed=4, spread=1.0)
    seen = []

    def callback(est, iteration, record):
        seen.append((iteration, record, est.means_.copy()))

    gm = GaussianMixture(2, random_state=1, tol=1e-6, callback=callback, record_params=True).fit(X)
    assert [s[0] for s in seen] == list(range(1, gm.n_iter_ + 1))
    for t, record, means in seen:
        for key in ("log_likelihood", "elbo_after_e", "elbo_after_m", "kl_after_m"):
            assert record[key] == gm.history_[key][t - 1]
        assert record["lower_bound"] == gm.lower_bounds_[t - 1]
        np.testing.assert_allclose(means, gm.history_["params"][t].mu)  # the estimator holds Theta^(t)
        np.testing.assert_allclose(record["params"].mu, means)
    np.testing.assert_allclose(seen[-1][2], gm.means_)


# --------------------------------------------------------------------------- API behaviour


@pytest.mark.parametrize("init_params", ["kmeans", "k-means++", "random", "random_from_data"])
def test_random_state_makes_fits_reproducible(init_params):
    X = blobs(150, 2, 3, seed=6, spread=10.0)
    a = GaussianMixture(3, init_params=init_params, random_state=7, max_iter=300).fit(X)
    b = GaussianMixture(3, init_params=init_params, random_state=7, max_iter=300).fit(X)
    for name in ATTRS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(a.sample(20)[0], b.sample(20)[0])
    # The k-means initialisations find the three separated blobs: each gets a third of the weight.
    if init_params in ("kmeans", "k-means++"):
        np.testing.assert_allclose(np.sort(a.weights_), np.full(3, 1 / 3), atol=0.02)


def test_n_init_keeps_the_best_run():
    X = blobs(200, 2, 4, seed=9, spread=3.0)
    best = GaussianMixture(4, n_init=4, init_params="random_from_data", random_state=0).fit(X)
    singles = [GaussianMixture(4, init_params="random_from_data", random_state=s).fit(X).lower_bound_ for s in range(3)]
    assert best.lower_bound_ >= min(singles)
    assert best.lower_bound_ == pytest.approx(best.lower_bounds_[-1])


def test_fit_predict_predict_and_shapes():
    X = blobs(90, 3, 3, seed=12)
    for cov in COV_TYPES:
        gm = GaussianMixture(3, covariance_type=cov, random_state=0)
        labels = gm.fit_predict(X)
        np.testing.assert_array_equal(labels, gm.predict(X))
        W = gm.predict_proba(X)
        np.testing.assert_allclose(W.sum(axis=1), 1.0)
        assert gm.score(X) == pytest.approx(gm.score_samples(X).mean())
        sk = SkGaussianMixture(3, covariance_type=cov, random_state=0).fit(X)
        for name in ATTRS:
            assert getattr(gm, name).shape == getattr(sk, name).shape
        Xs, ys = gm.sample(31)
        assert Xs.shape == (31, 3) and ys.shape == (31,) and set(ys) <= {0, 1, 2}
        assert gm.params_.Sigma.shape == (3, 3, 3)


def test_far_points_get_valid_probabilities():
    gm = GaussianMixture(2, random_state=0).fit(blobs(100, 1, 2, seed=0))
    far = np.array([[1e6], [-1e6], [1e3]])
    W = gm.predict_proba(far)
    assert np.all(np.isfinite(W)) and np.allclose(W.sum(axis=1), 1.0)
    assert np.all(np.isfinite(gm.score_samples(far)))


def test_get_set_params_and_clone():
    from sklearn.base import clone

    def cb(est, it, rec):
        return None

    gm = GaussianMixture(3, covariance_type="diag", callback=cb, record_params=True)
    params = gm.get_params()
    assert params["n_components"] == 3 and params["callback"] is cb
    defaults = SkGaussianMixture().get_params()
    ours = GaussianMixture().get_params()
    assert {k: ours[k] for k in defaults} == defaults  # same names and defaults as scikit-learn
    assert set(ours) - set(defaults) == {
        "callback", "record_params", "accelerate", "learning_decay", "learning_offset", "missing", "prior"
    }
    twin = clone(gm)
    assert twin.get_params() == params and twin is not gm
    gm.set_params(n_components=2, tol=1e-5)
    assert gm.n_components == 2 and gm.tol == 1e-5
    with pytest.raises(ValueError, match="Invalid parameter 'bogus'"):
        gm.set_params(bogus=1)
    assert repr(GaussianMixture(2, covariance_type="tied")) == "GaussianMixture(n_components=2, covariance_type='tied')"


def test_passes_sklearn_check_estimator():
    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not inherit from")
        warnings.filterwarnings("ignore", message="Skipping check")
        results = check_estimator(GaussianMixture(), on_fail=None)
    failed = [(r["check_name"], repr(r["exception"])) for r in results if r["status"] == "failed"]
    assert not failed
    assert sum(r["status"] == "passed" for r in results) >= 35


def test_emlab_imports_and_fits_without_sklearn():
    code = (
        "import sys; sys.modules['sklearn'] = None\n"
        "import numpy as np, emlab\n"
        "X = np.random.default_rng(0).normal(size=(50, 2))\n"
        "gm = emlab.GaussianMixture(2, random_state=0).fit(X)\n"
        "assert gm.predict(X).shape == (50,)\n"
        "try:\n    emlab.GaussianMixture().predict(X)\n"
        "except ValueError as e:\n    assert 'fit' in str(e)\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


# ------------------------------------------------------------------------------- bad input


@pytest.fixture(scope="module")
def fitted():
    return GaussianMixture(2, random_state=0).fit(blobs(60, 2, 2, seed=1))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("method", ["fit", "predict", "predict_proba", "score", "score_samples"])
def test_nan_or_inf_in_X(fitted, bad, method):
    X = blobs(60, 2, 2, seed=1)
    X[7, 1] = bad
    est = GaussianMixture(2) if method == "fit" else fitted
    with pytest.raises(ValueError, match=r"NaN or inf \(first at row 7, column 1\).*Remove or impute"):
        getattr(est, method)(X)


def test_1d_X_to_fit():
    with pytest.raises(ValueError, match=r"Expected 2D array.*reshape\(-1, 1\)"):
        GaussianMixture(2).fit(np.arange(10.0))


def test_too_many_components():
    with pytest.raises(ValueError, match=r"n_samples >= n_components.*Use at most 5 components"):
        GaussianMixture(6).fit(blobs(5, 2, 1))


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"covariance_type": "banana"}, r"Unknown covariance_type 'banana'; use one of 'full'"),
        ({"init_params": "kmeanz"}, r"Unknown init_params 'kmeanz'; use one of 'kmeans'"),
        ({"n_components": 0}, r"'n_components' parameter must be an int >= 1"),
        ({"tol": -1.0}, r"'tol' parameter must be a finite float >= 0"),
        ({"reg_covar": -1e-6}, r"'reg_covar' parameter must be a finite float >= 0"),
        ({"max_iter": 1.5}, r"'max_iter' parameter must be an int >= 0"),
        ({"random_state": "seed"}, r"random_state must be None, an int"),
        ({"callback": 3}, r"'callback' parameter must be None or a callable"),
    ],
)
def test_bad_parameters(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        GaussianMixture(**{"n_components": 2, **kwargs}).fit(blobs(30, 2, 2))


@pytest.mark.parametrize(
    ("covariance_type", "name", "value", "pattern"),
    [
        ("full", "weights_init", np.ones(3) / 3, r"weights_init must have shape \(n_components,\) = \(2,\)"),
        ("full", "means_init", np.zeros((2, 3)), r"means_init must have shape .* = \(2, 2\); got shape \(2, 3\)"),
        ("full", "precisions_init", np.ones((2, 2)), r"precisions_init must have shape .* = \(2, 2, 2\)"),
        ("tied", "precisions_init", np.ones((2, 2, 2)), r"precisions_init must have shape .* = \(2, 2\)"),
        ("diag", "precisions_init", np.ones(2), r"precisions_init must have shape .* = \(2, 2\)"),
        ("spherical", "precisions_init", np.ones((2, 2)), r"precisions_init must have shape .* = \(2,\)"),
        ("full", "weights_init", np.array([1.2, -0.2]), r"weights_init must lie in \[0, 1\]"),
        ("full", "weights_init", np.array([0.5, 0.6]), r"weights_init must sum to 1.*Divide it by its sum"),
        ("full", "means_init", np.array([[0, np.nan], [1, 1]]), r"means_init contains NaN or inf"),
        ("full", "precisions_init", np.array([[[1, 0.5], [0, 1]]] * 2), r"not symmetric.*\(P \+ P.T\) / 2"),
        ("full", "precisions_init", np.array([[[1, 2], [2, 1]]] * 2), r"not positive definite.*np.linalg.inv"),
        ("tied", "precisions_init", -np.eye(2), r"not positive definite"),
        ("diag", "precisions_init", np.array([[1, 1], [1, 0]]), r"must be positive .*inverse variances"),
        ("spherical", "precisions_init", np.array([1, -1]), r"must be positive"),
    ],
)
def test_bad_init_arrays(covariance_type, name, value, pattern):
    with pytest.raises(ValueError, match=pattern):
        GaussianMixture(2, covariance_type=covariance_type, **{name: value}).fit(blobs(30, 2, 2))


def test_wrong_number_of_features_after_fit(fitted):
    for method in ("predict", "predict_proba", "score", "score_samples", "bic", "aic"):
        with pytest.raises(ValueError, match=r"X has 3 features, but GaussianMixture is expecting 2 .*same columns"):
            getattr(fitted, method)(np.zeros((4, 3)))


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score", "score_samples", "bic", "aic", "sample"])
def test_methods_before_fit(method):
    gm = GaussianMixture(2)
    args = () if method == "sample" else (np.zeros((3, 2)),)
    with pytest.raises(NotFittedError, match=r"not fitted yet.*Call 'fit'") as info:
        getattr(gm, method)(*args)
    assert isinstance(info.value, ValueError) and isinstance(info.value, AttributeError)
    from sklearn.exceptions import NotFittedError as SkNotFittedError

    assert isinstance(info.value, SkNotFittedError)
    with pytest.raises(NotFittedError):
        gm.params_  # noqa: B018


@pytest.mark.parametrize("name", ["history_", "weights_", "means_", "covariances_", "converged_", "n_iter_",
                                  "lower_bound_", "lower_bounds_", "n_features_in_", "params_"])
def test_fitted_attributes_before_fit_raise_not_fitted(name):
    gm = GaussianMixture(2)
    with pytest.raises(NotFittedError, match=rf"not fitted yet, so it has no '{name}'.*Call 'fit'") as info:
        getattr(gm, name)
    from sklearn.exceptions import NotFittedError as SkNotFittedError

    assert isinstance(info.value, SkNotFittedError) and isinstance(info.value, AttributeError)
    assert not hasattr(gm, name)  # an AttributeError: hasattr and scikit-learn still see "missing"
    gm.fit(np.random.default_rng(0).normal(size=(30, 2)))
    assert hasattr(gm, name)


def test_unknown_attributes_stay_plain_attribute_errors():
    from sklearn.exceptions import NotFittedError as SkNotFittedError
    from sklearn.utils.validation import check_is_fitted

    gm = GaussianMixture(2)
    for name in ("bogus", "_private_", "__deepcopy__"):
        with pytest.raises(AttributeError) as info:
            getattr(gm, name)
        assert not isinstance(info.value, NotFittedError)
    with pytest.raises(SkNotFittedError):
        check_is_fitted(gm)
    gm.fit(np.random.default_rng(0).normal(size=(30, 2)))
    check_is_fitted(gm)
    with pytest.raises(AttributeError, match="has no attribute 'feature_names_in_'") as info:
        gm.feature_names_in_  # noqa: B018
    assert not isinstance(info.value, NotFittedError)  # fitted: the ordinary error, not "not fitted yet"
    assert pickle.loads(pickle.dumps(gm)).weights_.tolist() == gm.weights_.tolist()


def test_more_components_than_distinct_points_leaves_an_empty_component_silently():
    # Documented in the class Notes: like scikit-learn (whose KMeans init warns here), the fit ends with
    # a weight of ~0; this class does not warn (pytest runs with filterwarnings=error).
    X = np.repeat(np.array([[0.0, 0.0], [5.0, 5.0]]), 10, axis=0)
    gm = GaussianMixture(3, random_state=0).fit(X)
    assert gm.converged_
    assert np.sort(gm.weights_)[0] < 1e-12
    assert np.allclose(np.sort(gm.weights_)[1:], 0.5)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_collapsing_component_suggests_reg_covar(covariance_type):
    # Three distinct points, each repeated: with reg_covar=0 every component collapses onto one point.
    X = np.repeat(np.array([[0.0, 0.0], [5.0, 1.0], [1.0, 7.0]]), 10, axis=0)
    kw = dict(covariance_type=covariance_type, reg_covar=0.0, init_params="random_from_data", random_state=0)
    if covariance_type == "tied":
        X = np.repeat(np.array([[0.0, 0.0], [5.0, 5.0], [1.0, 1.0]]), 10, axis=0)  # collinear: tied Sigma singular
    with pytest.raises(ValueError, match=r"collapsed.*Increase reg_covar"):
        GaussianMixture(3, **kw).fit(X)
    with pytest.raises(ValueError):  # scikit-learn fails on the same data too
        SkGaussianMixture(3, **kw).fit(X)
    # The advertised fix works.
    gm = GaussianMixture(3, **{**kw, "reg_covar": 1e-3}).fit(X)
    assert np.all(np.isfinite(gm.score_samples(X)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    m=st.integers(2, 25),
    n=st.integers(1, 3),
    k=st.integers(1, 4),
    distinct=st.integers(1, 6),
    scale=st.sampled_from([1e-8, 1e-3, 1.0, 1e4]),
    covariance_type=st.sampled_from(COV_TYPES),
    init_params=st.sampled_from(["kmeans", "k-means++", "random", "random_from_data"]),
    seed=st.integers(0, 2**16),
)
def test_never_linalgerror_or_nan(m, n, k, distinct, scale, covariance_type, init_params, seed):
    """Awkward data (duplicates, tiny or huge scales): either a finite fit or a ValueError, nothing else."""
    rng = np.random.default_rng(seed)
    X = (rng.normal(size=(distinct, n)) * scale)[rng.integers(distinct, size=m)]
    gm = GaussianMixture(k, covariance_type=covariance_type, init_params=init_params, random_state=seed, max_iter=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            gm.fit(X)
        except ValueError as exc:
            assert any(word in str(exc) for word in ("reg_covar", "n_components")), str(exc)
            return
    for name in ATTRS + ["lower_bound_"]:
        assert np.all(np.isfinite(getattr(gm, name))), name
    assert np.all(np.isfinite(gm.score_samples(X)))
    assert np.all(np.isfinite(gm.predict_proba(X)))
    assert np.all(gm.history_["kl_after_m"] >= 0)


@pytest.mark.parametrize("covariance_type", COV_TYPES)
def test_blocked_and_uncached_passes_give_the_same_fit(monkeypatch, covariance_type):
    """Large data are processed in row blocks with features rebuilt per block: same numbers as one block."""
    from emlab import _engine

    X = blobs(1100, 3, 3, seed=21, spread=2.0)
    start = common_start(X, 3, covariance_type)
    kw = dict(covariance_type=covariance_type, tol=1e-8, max_iter=200, **start)
    one_block = GaussianMixture(3, **kw).fit(X)
    monkeypatch.setattr(_engine, "_FEATURE_CACHE_BYTES", 0)
    monkeypatch.setattr(_engine, "_BLOCK_BYTES", 1)  # the minimum block, 256 rows: 5 blocks here
    assert _engine.Design(X, covariance_type, X.mean(axis=0)).block == 256
    blocked = GaussianMixture(3, **kw).fit(X)
    assert blocked.n_iter_ == one_block.n_iter_
    for name in ATTRS:
        np.testing.assert_allclose(getattr(blocked, name), getattr(one_block, name), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(blocked.score_samples(X), one_block.score_samples(X), rtol=1e-12)
    np.testing.assert_array_equal(blocked.predict(X), one_block.predict(X))


def test_warm_start_on_different_features_says_how_to_restart():
    gm = GaussianMixture(2, warm_start=True, random_state=0).fit(blobs(40, 2, 2))
    with pytest.raises(ValueError, match="Set warm_start=False"):
        gm.fit(blobs(40, 3, 2))


@pytest.mark.parametrize("covariance_type", ["tied", "diag", "spherical"])
def test_history_matches_the_core_for_every_covariance_type(covariance_type):
    """history_ is computed from sufficient statistics; the core's elbo/kl on the snapshots give the same."""
    X = blobs(120, 2, 3, seed=13, spread=2.0)
    gm = GaussianMixture(3, covariance_type=covariance_type, random_state=3, tol=1e-6, record_params=True).fit(X)
    h, snaps = gm.history_, gm.history_["params"]
    assert len(snaps) == gm.n_iter_ + 1 >= 3
    np.testing.assert_allclose(gm.params_.Sigma, snaps[-1].Sigma)
    for t in range(1, gm.n_iter_ + 1):
        W = e_step(X, snaps[t - 1])
        assert h["elbo_after_e"][t - 1] == pytest.approx(log_likelihood(X, snaps[t - 1]), rel=1e-10)
        assert h["elbo_after_m"][t - 1] == pytest.approx(elbo(X, W, snaps[t]), rel=1e-10)
        assert h["log_likelihood"][t - 1] == pytest.approx(log_likelihood(X, snaps[t]), rel=1e-10)
