"""emlab.datasets: shapes, the stated distributions, determinism per seed, and Old Faithful as shipped."""

import csv
from importlib import resources

import numpy as np
import pytest

from emlab import GMMParams
from emlab import datasets as ds


def _faithful_rows_from_file():
    """The shipped CSV parsed with the csv module, independently of load_faithful."""
    with resources.files("emlab").joinpath("data", "faithful.csv").open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], np.array(rows[1:], dtype=float)


def test_faithful_file_is_r_faithful_not_geyser():
    header, body = _faithful_rows_from_file()
    assert header == ["eruptions", "waiting"]
    assert body.shape == (272, 2)  # MASS::geyser has 299 rows
    # R: colMeans(faithful) = 3.487783, 70.897059
    np.testing.assert_allclose(body.mean(axis=0), [3.487783, 70.897059], atol=5e-7)
    np.testing.assert_allclose(body.std(axis=0, ddof=1), [1.141371, 13.594974], atol=5e-7)
    np.testing.assert_array_equal(body[:3], [[3.6, 79], [1.8, 54], [3.333, 74]])
    assert body[:, 0].min() == 1.6 and body[:, 0].max() == 5.1
    assert body[:, 1].min() == 43 and body[:, 1].max() == 96


def test_load_faithful_matches_file():
    _, body = _faithful_rows_from_file()
    X = ds.load_faithful()
    assert X.shape == (272, 2) and X.dtype == float
    np.testing.assert_array_equal(X, body)
    df = ds.load_faithful(as_frame=True)
    assert list(df.columns) == ["eruptions", "waiting"]
    np.testing.assert_array_equal(df.to_numpy(), body)


def test_two_gaussians_1d_shape_labels_and_moments():
    x, labels = ds.two_gaussians_1d()
    assert x.shape == (200,) and labels.shape == (200,)
    assert labels.dtype.kind == "i" and set(labels.tolist()) == {0, 1}
    assert np.sum(labels == 0) == 100
    # means within ~4 standard errors (1/sqrt(100) = 0.1) of 1 and 10
    assert abs(x[labels == 0].mean() - 1.0) < 0.4
    assert abs(x[labels == 1].mean() - 10.0) < 0.4
    assert 0.7 < x[labels == 0].std() < 1.3


def test_two_clusters_2d_shape_and_moments():
    X, labels = ds.two_clusters_2d()
    assert X.shape == (70, 2) and labels.shape == (70,)
    assert np.sum(labels == 0) == 20 and np.sum(labels == 1) == 50
    np.testing.assert_allclose(X[labels == 0].mean(axis=0), [0, 3], atol=0.9)
    np.testing.assert_allclose(X[labels == 1].mean(axis=0), [20, 10], atol=0.6)
    # the small cluster's variances are 0.5 and 0.8, not 1: its spread is visibly smaller than the large one's
    assert X[labels == 0].var(axis=0).max() < 1.6


@pytest.mark.parametrize(
    "make",
    [
        ds.two_gaussians_1d,
        ds.two_clusters_2d,
        lambda seed: ds.sample_gmm(
            GMMParams(phi=[0.3, 0.7], mu=[[0, 0], [5, 5]], Sigma=[np.eye(2)] * 2), 50, seed
        ),
    ],
)
def test_deterministic_per_seed(make):
    a, la = make(seed=3)
    b, lb = make(seed=3)
    c, _ = make(seed=4)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(la, lb)
    assert not np.array_equal(a, c)


def test_sample_gmm_moments_2d():
    Sigma = np.array([[[1.0, 0.6], [0.6, 2.0]], [[0.5, -0.2], [-0.2, 0.3]]])
    p = GMMParams(phi=[0.25, 0.75], mu=[[0.0, 0.0], [10.0, -5.0]], Sigma=Sigma)
    X, z = ds.sample_gmm(p, 20000, seed=1)
    assert X.shape == (20000, 2) and z.shape == (20000,)
    assert abs(np.mean(z == 0) - 0.25) < 0.015
    for j in range(2):
        np.testing.assert_allclose(X[z == j].mean(axis=0), p.mu[j], atol=0.05)
        np.testing.assert_allclose(np.cov(X[z == j].T), Sigma[j], atol=0.07)


def test_sample_gmm_1d_and_phi_zero():
    p = GMMParams(phi=[0.0, 1.0], mu=[-100.0, 2.0], Sigma=[1.0, 4.0])
    X, z = ds.sample_gmm(p, 500, seed=0)
    assert X.shape == (500, 1)
    assert np.all(z == 1)  # a component with phi = 0 never generates a point
    assert abs(X.std() - 2.0) < 0.2


@pytest.mark.parametrize("m", [0, -3, 2.5, True])
def test_sample_gmm_rejects_bad_m(m):
    p = GMMParams(phi=[1.0], mu=[0.0], Sigma=[1.0])
    with pytest.raises(ValueError, match="m"):
        ds.sample_gmm(p, m)


def test_sample_gmm_rejects_non_params():
    with pytest.raises(ValueError, match="GMMParams"):
        ds.sample_gmm({"phi": [1.0]}, 10)


def test_bad_seed_is_a_clear_error():
    with pytest.raises(ValueError, match="seed"):
        ds.two_gaussians_1d(seed="zero")


def test_standardize_round_trip():
    X = ds.load_faithful()
    Xs, mean, std = ds.standardize(X)
    np.testing.assert_allclose(Xs.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Xs.std(axis=0), 1, atol=1e-12)
    np.testing.assert_allclose(Xs * std + mean, X)
    with pytest.raises(ValueError, match="constant"):
        ds.standardize(np.column_stack([np.arange(5.0), np.ones(5)]))
