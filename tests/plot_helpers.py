"""Helpers shared by the tests of the figure modules (tests/test_plots_*.py): data, and assertions on what
was drawn."""

import io
import warnings

import numpy as np
import pytest
from scipy.stats import chi2

from emlab.style import component_style

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MEANS3 = np.array([[0.0, 0.0], [5.0, 1.0], [2.0, 6.0]])


def two_blobs(seed=0, m=120):
    """Two correlated Gaussian blobs in 2-D, m points (a third of them in the first)."""
    rng = np.random.default_rng(seed)
    A = rng.multivariate_normal([0.0, 0.0], [[1.0, 0.6], [0.6, 0.8]], m // 3)
    B = rng.multivariate_normal([4.0, 3.0], [[0.5, -0.2], [-0.2, 1.0]], m - m // 3)
    return np.vstack([A, B])


def render_png(fig, dpi=50) -> bytes:
    """Draw the figure to PNG with every warning raised as an error."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.savefig(buf, format="png", dpi=dpi)  # low dpi: same drawing code path, less pixel work
    data = buf.getvalue()
    assert data[:8] == PNG_MAGIC
    return data


def legend_texts(legend):
    return [t.get_text() for t in legend.get_texts()]


def rot(deg):
    a = np.radians(deg)
    return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])


def covariances(kind):
    """Covariances of each sklearn type (k = 3, n = 2) and their full (k, 2, 2) form, built by hand."""
    if kind == "full":
        C = np.array([rot(a) @ np.diag(d) @ rot(a).T for a, d in ((30, (4, 1)), (-60, (2, 0.5)), (0, (1, 1)))])
        return C, C
    if kind == "tied":
        C = rot(110) @ np.diag([3.0, 0.7]) @ rot(110).T
        return C, np.array([C] * 3)
    if kind == "diag":
        C = np.array([[4.0, 1.0], [0.5, 2.0], [1.5, 1.5]])
        return C, np.array([np.diag(c) for c in C])
    C = np.array([1.0, 0.25, 3.0])
    return C, np.array([c * np.eye(2) for c in C])


def assert_ellipse_matches(e, mean, Sigma, mass):
    """Width/height = 2 sqrt(chi2_2(mass) lambda); the ellipse's own quadratic form is c^-1 Sigma^-1."""
    c = chi2.ppf(mass, df=2)
    lam = np.linalg.eigvalsh(Sigma)
    assert e.width == pytest.approx(2 * np.sqrt(c * lam[1]), rel=1e-10)
    assert e.height == pytest.approx(2 * np.sqrt(c * lam[0]), rel=1e-10)
    np.testing.assert_allclose(e.center, mean, atol=1e-12)
    R = rot(e.angle)
    rebuilt = R @ np.diag([(e.width / 2) ** 2, (e.height / 2) ** 2]) @ R.T / c
    np.testing.assert_allclose(rebuilt, Sigma, atol=1e-10)


def blend(W):
    return W @ np.array([component_style(j)["color"] for j in range(W.shape[1])])


def all_faces(art):
    """Face colours per point in the order of X (re-assembled from the per-component scatters)."""
    offsets = np.concatenate([c.get_offsets() for c in art.points])
    faces = np.concatenate([c.get_facecolors()[:, :3] for c in art.points])
    return offsets, faces
