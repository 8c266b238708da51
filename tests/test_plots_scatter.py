"""emlab.plots._scatter: ellipses and gmm_2d, asserted on what was drawn."""

import types

import numpy as np
import pytest
from matplotlib.markers import MarkerStyle
from plot_helpers import MEANS3, assert_ellipse_matches, covariances, rot, two_blobs

from emlab import e_step, plots
from emlab.style import component_style


@pytest.mark.parametrize("kind", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize("mass", [0.5, 0.95])
def test_ellipses_match_eigendecomposition_for_every_covariance_type(kind, mass):
    cov, full = covariances(kind)
    art = plots.ellipses(MEANS3, cov, covariance_type=kind, mass=mass)
    assert len(art.ellipses) == 3 and len(art.ax.patches) == 3
    for j, e in enumerate(art.ellipses):
        assert_ellipse_matches(e, MEANS3[j], full[j], mass)
    # Means marked, one marker per component, at mu_j.
    assert len(art.means) == 3
    for j, line in enumerate(art.means):
        np.testing.assert_allclose(np.column_stack(line.get_data())[0], MEANS3[j])


def test_ellipse_angle_is_the_major_eigenvector_direction():
    Sigma = rot(30) @ np.diag([4.0, 1.0]) @ rot(30).T
    e = plots.ellipses([[0.0, 0.0]], [Sigma]).ellipses[0]
    assert e.angle == pytest.approx(30.0)
    assert e.width > e.height
    # Pointing the other way: -60 degrees (not 120, not 300).
    Sigma = rot(120) @ np.diag([4.0, 1.0]) @ rot(120).T
    assert plots.ellipses([[0.0, 0.0]], [Sigma]).ellipses[0].angle == pytest.approx(-60.0)


def test_ellipses_reject_bad_mass_and_shapes():
    with pytest.raises(ValueError, match="mass"):
        plots.ellipses(MEANS3, covariances("full")[0], mass=1.0)
    with pytest.raises(ValueError, match="shape"):
        plots.ellipses(MEANS3, np.ones((3, 2)), covariance_type="full")
    with pytest.raises(ValueError, match="covariance_type"):
        plots.ellipses(MEANS3, np.ones(3), covariance_type="isotropic")
    with pytest.raises(ValueError, match="2-D"):
        plots.ellipses(np.zeros((2, 3)), np.array([np.eye(3)] * 2))


def _marker_vertices(marker):
    ms = MarkerStyle(marker)
    return ms.get_path().transformed(ms.get_transform()).vertices


def test_gmm_2d_hard_puts_each_point_under_its_components_marker_and_colour(run):
    X, snaps = run
    p = snaps[3]
    W = e_step(X, p)
    art = plots.gmm_2d(X, p, soft=False)
    z = np.argmax(W, axis=1)
    assert len(art.points) == p.k == len(art.ellipses) == len(art.means)
    for j, coll in enumerate(art.points):
        np.testing.assert_allclose(coll.get_offsets(), X[z == j])
        np.testing.assert_allclose(coll.get_paths()[0].vertices, _marker_vertices(component_style(j)["marker"]))
        colour = np.tile(component_style(j)["color"], ((z == j).sum(), 1))
        np.testing.assert_allclose(coll.get_facecolors()[:, :3], colour)
        assert_ellipse_matches(art.ellipses[j], p.mu[j], p.Sigma[j], 0.95)
    assert not np.array_equal(art.points[0].get_paths()[0].vertices, art.points[1].get_paths()[0].vertices)


def test_gmm_2d_soft_blends_component_colours_by_responsibility(run):
    X, snaps = run
    p = snaps[1]
    W = e_step(X, p)
    art = plots.gmm_2d(X, p, soft=True)
    C = np.array([component_style(j)["color"] for j in range(p.k)])
    z = np.argmax(W, axis=1)
    for j, coll in enumerate(art.points):
        np.testing.assert_allclose(coll.get_facecolors()[:, :3], (W @ C)[z == j], atol=1e-12)
    # Some point is genuinely shared, so its colour is a mix, not a palette colour.
    shared = (W.min(axis=1) > 0.2)
    assert shared.any()


def test_gmm_2d_legend_has_one_entry_per_component_and_the_means(run):
    X, snaps = run
    p = snaps[-1]
    art = plots.gmm_2d(X, p)
    texts = [t.get_text() for t in art.legend.get_texts()]
    assert texts == [f"$j = {j + 1}$, $\\phi_{{{j + 1}}} = {p.phi[j]:.2f}$" for j in range(p.k)] + ["means $\\mu_j$"]
    for j, h in enumerate(art.legend.legend_handles[: p.k]):
        assert h.get_marker() == component_style(j)["marker"]
    assert art.ax.get_xlabel() == "$x_1$" and art.ax.get_ylabel() == "$x_2$" and art.ax.get_title()


def test_gmm_2d_without_params_or_W_draws_plain_points():
    X = two_blobs()
    art = plots.gmm_2d(X)
    assert len(art.points) == 1 and art.ellipses == [] and art.means == []
    np.testing.assert_allclose(art.points[0].get_offsets(), X)


def test_gmm_2d_uses_given_W_and_does_not_fit(run):
    X, snaps = run
    W = np.tile([0.9, 0.1], (X.shape[0], 1))
    art = plots.gmm_2d(X, snaps[0], W=W, soft=False)
    assert len(art.points[0].get_offsets()) == X.shape[0] and len(art.points[1].get_offsets()) == 0
    np.testing.assert_allclose(art.ellipses[0].center, snaps[0].mu[0])


@pytest.mark.parametrize("kind", ["full", "tied", "diag", "spherical"])
def test_gmm_2d_reads_a_fitted_sklearn_mixture(kind):
    from sklearn.mixture import GaussianMixture

    X = two_blobs(seed=1, m=90)
    gm = GaussianMixture(n_components=2, covariance_type=kind, random_state=0).fit(X)
    art = plots.gmm_2d(X, gm)
    for j in range(2):
        if kind == "full":
            S = gm.covariances_[j]
        elif kind == "tied":
            S = gm.covariances_
        elif kind == "diag":
            S = np.diag(gm.covariances_[j])
        else:
            S = gm.covariances_[j] * np.eye(2)
        assert_ellipse_matches(art.ellipses[j], gm.means_[j], S, 0.95)
    # The colours come from an E-step with the estimator's parameters: the same hard labels as predict().
    z = np.concatenate([np.full(len(c.get_offsets()), j) for j, c in enumerate(art.points)])
    offsets = np.concatenate([c.get_offsets() for c in art.points])
    order = np.lexsort(offsets.T)
    np.testing.assert_array_equal(z[order], gm.predict(offsets[order]))


def test_gmm_2d_reads_a_duck_typed_estimator_and_rejects_an_unfitted_one(run):
    X, snaps = run
    p = snaps[-1]
    duck = types.SimpleNamespace(weights_=p.phi, means_=p.mu, covariances_=np.diagonal(p.Sigma, axis1=1, axis2=2),
                                 covariance_type="diag")
    art = plots.gmm_2d(X, duck, covariance_type="full")  # the estimator's own type wins
    assert_ellipse_matches(art.ellipses[1], p.mu[1], np.diag(np.diag(p.Sigma[1])), 0.95)
    unfitted = types.SimpleNamespace(covariance_type="full", fit=lambda X: None)
    with pytest.raises(ValueError, match="not fitted"):
        plots.gmm_2d(X, unfitted)


def test_gmm_2d_rejects_bad_input(run):
    X, snaps = run
    with pytest.raises(ValueError, match="2-D"):
        plots.gmm_2d(np.zeros((5, 3)))
    with pytest.raises(ValueError, match="rows"):
        plots.gmm_2d(X, W=np.full((3, 2), 0.5))
    with pytest.raises(ValueError, match="components"):
        plots.gmm_2d(X, snaps[0], W=np.full((X.shape[0], 3), 1 / 3))
    with pytest.raises(ValueError, match="GMMParams"):
        plots.gmm_2d(X, "not parameters")


def test_gmm_2d_update_moves_the_same_artists(run):
    X, snaps = run
    art = plots.gmm_2d(X, snaps[0])
    ids = [id(a) for a in (*art.points, *art.ellipses, *art.means)]
    art.update(snaps[5])
    assert ids == [id(a) for a in (*art.points, *art.ellipses, *art.means)]
    for j in range(2):
        assert_ellipse_matches(art.ellipses[j], snaps[5].mu[j], snaps[5].Sigma[j], 0.95)
    z = np.argmax(e_step(X, snaps[5]), axis=1)
    np.testing.assert_allclose(art.points[1].get_offsets(), X[z == 1])
    assert f"{snaps[5].phi[0]:.2f}" in art.legend.get_texts()[0].get_text()
