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


# ------------------------------------------------------------------------------------ binarised digits


def _digits_rows_from_file():
    """The shipped digits file decoded with int(hex, 16) bit by bit, independently of load_digits_binary."""
    text = resources.files("emlab").joinpath("data", "digits_binary.csv").read_text(encoding="ascii")
    header, *rows = text.splitlines()
    labels = np.array([int(r.split(",")[0]) for r in rows])
    X = np.array([[(int(r.split(",")[1], 16) >> (63 - d)) & 1 for d in range(64)] for r in rows])
    return header, X, labels


def test_load_digits_binary_shapes_values_and_label_counts():
    X, labels = ds.load_digits_binary()
    assert X.shape == (1797, 64) and labels.shape == (1797,)
    assert X.dtype.kind == "i" and labels.dtype.kind == "i"
    assert set(np.unique(X).tolist()) == {0, 1}
    # UCI optdigits.tes class counts (the test set scikit-learn ships)
    np.testing.assert_array_equal(np.bincount(labels), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    # the borders of an 8x8 digit are mostly off, the centre columns often on
    img = X.reshape(-1, 8, 8).mean(axis=0)
    assert img[:, 0].mean() < 0.05 and img[2:6, 3:5].mean() > 0.3


def test_load_digits_binary_matches_the_file():
    header, X_file, labels_file = _digits_rows_from_file()
    assert header == "label,pixels"
    X, labels = ds.load_digits_binary()
    np.testing.assert_array_equal(X, X_file)
    np.testing.assert_array_equal(labels, labels_file)


def test_load_digits_binary_is_sklearns_digits_thresholded_at_8():
    sk_datasets = pytest.importorskip("sklearn.datasets")
    digits = sk_datasets.load_digits()
    X, labels = ds.load_digits_binary()
    assert ds.DIGITS_THRESHOLD == 8
    np.testing.assert_array_equal(X, (digits.data >= 8).astype(int))
    np.testing.assert_array_equal(labels, digits.target)
    # the rule is ">= 8", not "> 8": pixels equal to 8 are on
    assert np.all(X[digits.data == 8] == 1) and np.all(X[digits.data == 7] == 0)


def test_load_digits_binary_needs_no_sklearn():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['sklearn'] = None\n"
        "from emlab.datasets import load_digits_binary\n"
        "X, y = load_digits_binary(); print(X.shape, int(X.sum()), int(y.sum()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    X, y = ds.load_digits_binary()
    assert out.stdout.strip() == f"(1797, 64) {int(X.sum())} {int(y.sum())}"


def test_build_script_reproduces_the_shipped_file():
    pytest.importorskip("sklearn.datasets")
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / "build_digits.py"
    spec = importlib.util.spec_from_file_location("build_digits", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shipped = resources.files("emlab").joinpath("data", "digits_binary.csv").read_text(encoding="ascii")
    assert module.build() == shipped
