"""Stepwise (online) EM: GaussianMixture.partial_fit and the functional pieces in emlab.rate."""

import numpy as np
import pytest

from emlab import GaussianMixture, GMMParams, e_step, rate

COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"]
MEANS = np.array([[0.0, 0.0], [3.0, 1.0], [-1.0, 3.0]])
FACTORS = np.array([[[1.0, 0.3], [0.0, 0.7]], [[0.6, 0.0], [0.2, 1.0]], [[0.8, -0.3], [0.0, 0.5]]])


def draw(m, rng):
    """m points of a fixed 3-component 2-D mixture (weights 0.5, 0.3, 0.2)."""
    z = rng.choice(3, size=m, p=[0.5, 0.3, 0.2])
    return MEANS[z] + np.einsum("iab,ib->ia", FACTORS[z], rng.normal(size=(m, 2)))


def stream(n_batches, batch, seed):
    rng = np.random.default_rng(seed)
    for _ in range(n_batches):
        yield draw(batch, rng)


def test_stream_of_a_million_points_matches_the_batch_fit_on_held_out_data():
    held_out = draw(100_000, np.random.default_rng(99))
    online = GaussianMixture(3, random_state=0)
    for X in stream(100, 10_000, seed=5):
        online.partial_fit(X)
    batch = GaussianMixture(3, random_state=0, tol=1e-6, max_iter=500).fit(np.vstack(list(stream(100, 10_000, seed=5))))
    assert online.n_iter_ == 100 and not online.converged_
    assert abs(online.score(held_out) - batch.score(held_out)) < 1e-2
    # Each batch was scored before it was used: the last scores are honest held-out values, near the fit's.
    assert abs(np.mean(online.lower_bounds_[-10:]) - batch.score(held_out)) < 2e-2


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_every_covariance_type_streams_to_the_batch_fit(covariance_type):
    held_out = draw(50_000, np.random.default_rng(98))
    online = GaussianMixture(3, covariance_type=covariance_type, random_state=0, reg_covar=1e-3)
    for X in stream(40, 5_000, seed=6):
        online.partial_fit(X)
    batch = GaussianMixture(3, covariance_type=covariance_type, random_state=0, reg_covar=1e-3, tol=1e-6).fit(
        np.vstack(list(stream(40, 5_000, seed=6)))
    )
    assert abs(online.score(held_out) - batch.score(held_out)) < 1e-2
    assert online.covariances_.shape == batch.covariances_.shape
    # After partial_fit every prediction and score method works.
    x = held_out[:50]
    assert online.predict(x).shape == (50,)
    W = online.predict_proba(x)
    assert np.allclose(W.sum(axis=1), 1.0)
    assert np.all(np.isfinite(online.score_samples(x)))
    assert np.isfinite(online.bic(x)) and np.isfinite(online.aic(x))
    assert online.sample(5)[0].shape == (5, 2)
    assert online.params_.Sigma.shape == (3, 2, 2)


def test_one_update_is_the_stepwise_formula_from_given_inits():
    """The estimator's update is the functional one: s_bar_t = (1 - rho_t) s_bar_(t-1) + rho_t s(X_t), M(s_bar_t).

    s_bar_0 = E_Theta0[s], the statistics the starting model itself expects.
    """
    rng = np.random.default_rng(0)
    X1, X2 = draw(300, rng), draw(200, rng)
    inits = {
        "weights_init": np.array([0.4, 0.35, 0.25]),
        "means_init": MEANS + 0.5,
        "precisions_init": np.array([np.eye(2), 2 * np.eye(2), np.linalg.inv([[1.0, 0.3], [0.3, 0.5]])]),
    }
    reg = 1e-4
    gm = GaussianMixture(3, reg_covar=reg, learning_decay=0.8, learning_offset=4.0, **inits)
    params = GMMParams(inits["weights_init"], inits["means_init"], np.linalg.inv(inits["precisions_init"]))
    s_bar = rate.expected_statistics(params)
    for t, X in enumerate((X1, X2), start=1):
        rho = rate.step_size(t, learning_offset=4.0, learning_decay=0.8)
        assert rho == pytest.approx((4.0 + t) ** -0.8)
        s_bar = rate.stepwise_update(s_bar, rate.sufficient_statistics(X, e_step(X, params)), rho)
        params = rate.m_step_from_statistics(s_bar, reg_covar=reg)
        gm.partial_fit(X)
        np.testing.assert_allclose(gm.weights_, params.phi, rtol=1e-9)
        np.testing.assert_allclose(gm.means_, params.mu, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(gm.covariances_, params.Sigma, rtol=1e-8, atol=1e-12)
    assert gm.n_iter_ == 2 and len(gm.lower_bounds_) == 2


@pytest.mark.parametrize("covariance_type", COVARIANCE_TYPES)
def test_partial_fit_at_the_em_fixed_point_stays_there(covariance_type):
    """s_bar_0 = E_Theta*[s] and s(X; Theta*) have the same M-step at a fixed point, so the update changes nothing."""
    X = draw(2_000, np.random.default_rng(1))
    gm = GaussianMixture(3, covariance_type=covariance_type, reg_covar=0.0, tol=1e-14, max_iter=5000, random_state=0)
    gm.fit(X)
    before = {name: getattr(gm, name).copy() for name in ("weights_", "means_", "covariances_")}
    gm.partial_fit(X)
    for name, value in before.items():
        np.testing.assert_allclose(getattr(gm, name), value, rtol=1e-6, atol=1e-9, err_msg=name)
    with pytest.raises(AttributeError, match="history_ is recorded by fit"):
        _ = gm.history_  # fit's record does not describe the streamed parameters
    gm.fit(X)  # a fit starts afresh and records again
    assert gm.history_.n_iter == gm.n_iter_


def test_first_batch_initialises_from_data_and_later_batches_may_be_tiny():
    gm = GaussianMixture(3, random_state=0)
    with pytest.raises(ValueError, match=r"first batch initialises the model.*at least"):
        gm.partial_fit(draw(2, np.random.default_rng(0)))
    gm.partial_fit(draw(500, np.random.default_rng(1)))
    gm.partial_fit(draw(1, np.random.default_rng(2)))
    assert gm.n_iter_ == 2 and np.all(np.isfinite(gm.means_))
    full_inits = GaussianMixture(
        2, weights_init=[0.5, 0.5], means_init=[[0.0, 0.0], [1.0, 1.0]], precisions_init=np.array([np.eye(2)] * 2)
    )
    full_inits.partial_fit(np.array([[0.2, 0.1]]))  # one point suffices when nothing needs the data to start
    assert full_inits.n_features_in_ == 2


def test_partial_fit_bad_input_names_the_fix():
    gm = GaussianMixture(2, random_state=0).partial_fit(draw(100, np.random.default_rng(0)))
    with pytest.raises(ValueError, match=r"X has 3 features, but GaussianMixture is expecting 2.*same columns"):
        gm.partial_fit(np.ones((10, 3)))
    bad = draw(10, np.random.default_rng(1))
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match=r"NaN or inf \(first at row 3, column 1\).*Remove or impute"):
        gm.partial_fit(bad)
    gm.set_params(covariance_type="diag")
    with pytest.raises(ValueError, match=r"shape changed during the stream.*Call fit"):
        gm.partial_fit(draw(10, np.random.default_rng(2)))
    with pytest.raises(ValueError, match=r"Unknown accelerate 'fast'"):
        GaussianMixture(2, accelerate="fast").partial_fit(draw(10, np.random.default_rng(0)))


@pytest.mark.parametrize("decay", [0.5, 0.3, 1.01, 0, -1, float("nan"), "0.7", None])
def test_learning_decay_outside_half_open_interval_is_refused(decay):
    X = draw(50, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"'learning_decay' parameter must lie in \(0.5, 1\]"):
        GaussianMixture(2, learning_decay=decay).partial_fit(X)
    with pytest.raises(ValueError, match="learning_decay"):
        GaussianMixture(2, learning_decay=decay).fit(X)
    with pytest.raises(ValueError, match="learning_decay must lie"):
        rate.step_size(1, learning_decay=decay if isinstance(decay, float) else 2.0)


@pytest.mark.parametrize("offset", [-1.0, float("inf"), "10"])
def test_learning_offset_must_be_a_finite_non_negative_float(offset):
    with pytest.raises(ValueError, match="'learning_offset' parameter must be a finite float >= 0"):
        GaussianMixture(2, learning_offset=offset).partial_fit(draw(50, np.random.default_rng(0)))


def test_learning_decay_one_is_accepted_and_steps_shrink():
    rhos = [rate.step_size(t, 10.0, 1.0) for t in range(1, 5)]
    assert rhos == pytest.approx([1 / 11, 1 / 12, 1 / 13, 1 / 14])
    GaussianMixture(2, learning_decay=1.0, random_state=0).partial_fit(draw(50, np.random.default_rng(0)))


def test_partial_fit_refuses_a_prior():
    X = np.random.default_rng(0).normal(size=(50, 2))
    with pytest.raises(ValueError, match="does not support a prior"):
        GaussianMixture(2, prior="conjugate").partial_fit(X)
