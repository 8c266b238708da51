"""Tests of the 2-D GMM figures and the EM stepper: assert on what was drawn, not on pixels."""

import base64
import io
import re
import sys
import types
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.animation import FuncAnimation  # noqa: E402
from matplotlib.markers import MarkerStyle  # noqa: E402
from scipy.stats import chi2  # noqa: E402

from emlab import GMMParams, e_step, log_likelihood, m_step, plots  # noqa: E402
from emlab.style import component_style  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _rot(deg):
    a = np.radians(deg)
    return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])


def _data(seed=0, m=120):
    rng = np.random.default_rng(seed)
    A = rng.multivariate_normal([0.0, 0.0], [[1.0, 0.6], [0.6, 0.8]], m // 3)
    B = rng.multivariate_normal([4.0, 3.0], [[0.5, -0.2], [-0.2, 1.0]], m - m // 3)
    return np.vstack([A, B])


def _snapshots(X, T):
    snaps = [GMMParams(phi=[0.5, 0.5], mu=[[0.0, 4.0], [4.0, 0.0]], Sigma=[np.eye(2)] * 2)]
    for _ in range(T):
        snaps.append(m_step(X, e_step(X, snaps[-1]), reg_covar=1e-6))
    return snaps


@pytest.fixture(scope="module")
def run():
    X = _data()
    return X, _snapshots(X, 20)


def _covariances(kind):
    """Covariances of each sklearn type (k = 3, n = 2) and their full (k, 2, 2) form, built by hand."""
    if kind == "full":
        C = np.array([_rot(a) @ np.diag(d) @ _rot(a).T for a, d in ((30, (4, 1)), (-60, (2, 0.5)), (0, (1, 1)))])
        return C, C
    if kind == "tied":
        C = _rot(110) @ np.diag([3.0, 0.7]) @ _rot(110).T
        return C, np.array([C] * 3)
    if kind == "diag":
        C = np.array([[4.0, 1.0], [0.5, 2.0], [1.5, 1.5]])
        return C, np.array([np.diag(c) for c in C])
    C = np.array([1.0, 0.25, 3.0])
    return C, np.array([c * np.eye(2) for c in C])


MEANS3 = np.array([[0.0, 0.0], [5.0, 1.0], [2.0, 6.0]])


def _assert_ellipse_matches(e, mean, Sigma, mass):
    """Width/height = 2 sqrt(chi2_2(mass) lambda); the ellipse's own quadratic form is c^-1 Sigma^-1."""
    c = chi2.ppf(mass, df=2)
    lam = np.linalg.eigvalsh(Sigma)
    assert e.width == pytest.approx(2 * np.sqrt(c * lam[1]), rel=1e-10)
    assert e.height == pytest.approx(2 * np.sqrt(c * lam[0]), rel=1e-10)
    np.testing.assert_allclose(e.center, mean, atol=1e-12)
    R = _rot(e.angle)
    rebuilt = R @ np.diag([(e.width / 2) ** 2, (e.height / 2) ** 2]) @ R.T / c
    np.testing.assert_allclose(rebuilt, Sigma, atol=1e-10)


# ---------------------------------------------------------------------------------------------------------
# Ellipses
# ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["full", "tied", "diag", "spherical"])
@pytest.mark.parametrize("mass", [0.5, 0.95])
def test_ellipses_match_eigendecomposition_for_every_covariance_type(kind, mass):
    cov, full = _covariances(kind)
    art = plots.ellipses(MEANS3, cov, covariance_type=kind, mass=mass)
    assert len(art.ellipses) == 3 and len(art.ax.patches) == 3
    for j, e in enumerate(art.ellipses):
        _assert_ellipse_matches(e, MEANS3[j], full[j], mass)
    # Means marked, one marker per component, at mu_j.
    assert len(art.means) == 3
    for j, line in enumerate(art.means):
        np.testing.assert_allclose(np.column_stack(line.get_data())[0], MEANS3[j])


def test_ellipse_angle_is_the_major_eigenvector_direction():
    Sigma = _rot(30) @ np.diag([4.0, 1.0]) @ _rot(30).T
    e = plots.ellipses([[0.0, 0.0]], [Sigma]).ellipses[0]
    assert e.angle == pytest.approx(30.0)
    assert e.width > e.height
    # Pointing the other way: -60 degrees (not 120, not 300).
    Sigma = _rot(120) @ np.diag([4.0, 1.0]) @ _rot(120).T
    assert plots.ellipses([[0.0, 0.0]], [Sigma]).ellipses[0].angle == pytest.approx(-60.0)


def test_ellipses_reject_bad_mass_and_shapes():
    with pytest.raises(ValueError, match="mass"):
        plots.ellipses(MEANS3, _covariances("full")[0], mass=1.0)
    with pytest.raises(ValueError, match="shape"):
        plots.ellipses(MEANS3, np.ones((3, 2)), covariance_type="full")
    with pytest.raises(ValueError, match="covariance_type"):
        plots.ellipses(MEANS3, np.ones(3), covariance_type="isotropic")
    with pytest.raises(ValueError, match="2-D"):
        plots.ellipses(np.zeros((2, 3)), np.array([np.eye(3)] * 2))


# ---------------------------------------------------------------------------------------------------------
# gmm_2d
# ---------------------------------------------------------------------------------------------------------
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
        _assert_ellipse_matches(art.ellipses[j], p.mu[j], p.Sigma[j], 0.95)
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
    X = _data()
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

    X = _data(seed=1, m=90)
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
        _assert_ellipse_matches(art.ellipses[j], gm.means_[j], S, 0.95)
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
    _assert_ellipse_matches(art.ellipses[1], p.mu[1], np.diag(np.diag(p.Sigma[1])), 0.95)
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
        _assert_ellipse_matches(art.ellipses[j], snaps[5].mu[j], snaps[5].Sigma[j], 0.95)
    z = np.argmax(e_step(X, snaps[5]), axis=1)
    np.testing.assert_allclose(art.points[1].get_offsets(), X[z == 1])
    assert f"{snaps[5].phi[0]:.2f}" in art.legend.get_texts()[0].get_text()


# ---------------------------------------------------------------------------------------------------------
# em_panels, loglik_trace, information_criteria
# ---------------------------------------------------------------------------------------------------------
def _blend(W):
    return W @ np.array([component_style(j)["color"] for j in range(W.shape[1])])


def _all_faces(art):
    """Face colours per point in the order of X (re-assembled from the per-component scatters)."""
    offsets = np.concatenate([c.get_offsets() for c in art.points])
    faces = np.concatenate([c.get_facecolors()[:, :3] for c in art.points])
    return offsets, faces


def test_em_panels_follow_bishops_schedule(run, caplog):
    X, snaps = run
    art = plots.em_panels(X, snaps)
    assert art.steps == ["init", "E1", "t=1", "t=2", "t=5", "t=20"]
    assert [a.get_title() for a in art.axes] == [
        "(a) initial $\\Theta^{(0)}$",
        "(b) first E-step",
        "(c) $t = 1$ (after 1 EM cycle)",
        "(d) $t = 2$ (after 2 EM cycles)",
        "(e) $t = 5$ (after 5 EM cycles)",
        "(f) $t = 20$ (after 20 EM cycles)",
    ]
    # Bishop's "L" would clash with the course's ELBO L(q, Theta).
    assert not any("L =" in a.get_title() for a in art.axes)
    # Equal aspect (circles look round) and the same limits in every panel, with nothing logged on the
    # way (fixed limits + adjustable="datalim" make matplotlib log "Ignoring fixed x limits").
    with caplog.at_level("WARNING"):
        art.fig.canvas.draw()
    assert not caplog.records
    for a in art.axes:
        assert a.get_aspect() == 1.0 and a.get_adjustable() == "datalim"
        np.testing.assert_allclose(a.get_xlim(), art.axes[0].get_xlim())
        np.testing.assert_allclose(a.get_ylim(), art.axes[0].get_ylim())
        (x0, x1), (y0, y1) = a.get_xlim(), a.get_ylim()
        box = a.get_window_extent()
        np.testing.assert_allclose((y1 - y0) / (x1 - x0), box.height / box.width, rtol=1e-6)
    # (a): plain data under Theta^(0).
    assert len(art.panels[0].points) == 1
    _assert_ellipse_matches(art.panels[0].ellipses[0], snaps[0].mu[0], snaps[0].Sigma[0], 0.95)
    # (b): Theta^(0) with the first E-step's colours; (e): Theta^(5) coloured by e_step(Theta^(4)).
    for panel, p_idx, w_idx in ((art.panels[1], 0, 0), (art.panels[4], 5, 4)):
        for j in range(2):
            _assert_ellipse_matches(panel.ellipses[j], snaps[p_idx].mu[j], snaps[p_idx].Sigma[j], 0.95)
        offsets, faces = _all_faces(panel)
        W = e_step(X, snaps[w_idx])
        order_drawn, order_x = np.lexsort(offsets.T), np.lexsort(X.T)
        np.testing.assert_allclose(faces[order_drawn], _blend(W)[order_x], atol=1e-12)
    assert [t.get_text() for t in art.legend.get_texts()][-1] == "means $\\mu_j$"


def test_em_panels_clip_the_schedule_to_a_short_run(run):
    X, snaps = run
    art = plots.em_panels(X, {"params": snaps[:4]})
    assert art.steps == ["init", "E1", "t=1", "t=2", "t=3"]
    assert art.axes[-1].get_title() == "(e) $t = 3$ (after 3 EM cycles, the last recorded)"
    with pytest.raises(ValueError, match="record_params"):
        plots.em_panels(X, {"log_likelihood": [1.0]})


def test_loglik_trace_plots_the_values_against_t_and_flags_decreases():
    vals = [-300.0, -250.0, -240.0, -239.5]
    art = plots.loglik_trace(vals)
    np.testing.assert_array_equal(art.line.get_xdata(), [0, 1, 2, 3])
    np.testing.assert_array_equal(art.line.get_ydata(), vals)
    assert art.decreases is None
    assert art.ax.get_xlabel() == "iteration $t$" and "ell" in art.ax.get_ylabel()
    bad = plots.loglik_trace({"log_likelihood": np.array([-300.0, -250.0, -251.0])})
    np.testing.assert_array_equal(bad.t, [1, 2, 3])
    np.testing.assert_allclose(bad.decreases.get_offsets(), [[3, -251.0]])
    assert "decrease: not exact EM" in [t.get_text() for t in bad.legend.get_texts()]
    with pytest.raises(ValueError, match="NaN"):
        plots.loglik_trace([1.0, np.nan])
    assert art.ax.get_title() == "log-likelihood over EM iterations"
    assert plots.loglik_trace(vals, title="my run").ax.get_title() == "my run"


def test_loglik_trace_keeps_the_title_and_labels_of_a_passed_in_axes():
    # Notebook 06 titles the axes and overlays two traces: the second call must not retitle it.
    first = plots.loglik_trace([-300.0, -250.0, -240.0], label="exact EM", title="the old-mean bug is slower EM")
    second = plots.loglik_trace([-300.0, -280.0, -265.0], ax=first.ax, label="old-mean bug")
    ax = first.ax
    assert second.ax is ax and ax.get_title() == "the old-mean bug is slower EM"
    assert [t.get_text() for t in second.legend.get_texts()] == ["exact EM", "old-mean bug"]
    # The overlay is told apart by colour and marker.
    assert first.line.get_color() != second.line.get_color()
    assert first.line.get_marker() != second.line.get_marker()

    fig, own = plt.subplots()
    own.set_title("my title")
    own.set_xlabel("EM cycle")
    plots.loglik_trace([1.0, 2.0], ax=own)
    assert own.get_title() == "my title" and own.get_xlabel() == "EM cycle"
    assert "ell" in own.get_ylabel()  # an empty label is filled in

    fig, bare = plt.subplots()
    plots.loglik_trace([1.0, 2.0], ax=bare)
    assert bare.get_title() == "log-likelihood over EM iterations"
    plots.loglik_trace([1.0, 2.0], ax=bare, title="explicit")
    assert bare.get_title() == "explicit"  # an explicit title is always applied


def test_em_panels_on_shared_axes_use_an_equal_box(run):
    X, snaps = run
    fig, grid = plt.subplots(2, 3, sharex=True, sharey=True)
    art = plots.em_panels(X, snaps, ax=grid)
    fig.canvas.draw()  # adjustable="datalim" on axes sharing x and y would raise here
    assert all(a.get_aspect() == 1.0 and a.get_adjustable() == "box" for a in art.axes)


def test_information_criteria_marks_each_minimum():
    ks = [1, 2, 3, 4]
    art = plots.information_criteria(ks, bic=[10.0, 7.0, 8.0, 9.0], aic=[9.0, 6.0, 5.5, 5.8])
    assert art.best == {"BIC": 2, "AIC": 3}
    np.testing.assert_array_equal(art.minima["AIC"].get_xydata(), [[3, 5.5]])
    assert [t.get_text() for t in art.legend.get_texts()] == ["BIC", "min BIC: $K = 2$", "AIC", "min AIC: $K = 3$"]
    assert art.ax.get_xlabel() == "number of components $K$"
    with pytest.raises(ValueError, match="one value per K"):
        plots.information_criteria(ks, bic=[1.0, 2.0])


# ---------------------------------------------------------------------------------------------------------
# Stepper, animation, static fallback
# ---------------------------------------------------------------------------------------------------------
@pytest.fixture
def short(run):
    X, snaps = run
    return X, snaps[:5]


def test_stepper_half_steps_separate_e_and_m(short):
    X, snaps = short
    st = plots.em_stepper(X, snaps)
    assert st.n_frames == 2 * (len(snaps) - 1) + 1
    ids = [id(a) for a in (*st.scatter.points, *st.scatter.ellipses)]
    st.show(3)  # iteration 2, E-step: ellipses of Theta^(1), colours from Theta^(1)
    for j in range(2):
        _assert_ellipse_matches(st.scatter.ellipses[j], snaps[1].mu[j], snaps[1].Sigma[j], 0.95)
    faces_e = _all_faces(st.scatter)
    st.step()  # iteration 2, M-step: ellipses move to Theta^(2), colours unchanged
    assert st.index == 4
    for j in range(2):
        _assert_ellipse_matches(st.scatter.ellipses[j], snaps[2].mu[j], snaps[2].Sigma[j], 0.95)
    np.testing.assert_allclose(_all_faces(st.scatter)[1], faces_e[1])
    assert ids == [id(a) for a in (*st.scatter.points, *st.scatter.ellipses)]  # updated in place
    np.testing.assert_array_equal(st.progress.get_xdata(), [0, 1, 2])
    np.testing.assert_allclose(st.current.get_ydata(), [log_likelihood(X, snaps[2])])
    st.show(0)  # before any E-step: one grey cloud
    assert len(st.scatter.points[0].get_offsets()) == X.shape[0]
    assert len(st.scatter.points[1].get_offsets()) == 0
    with pytest.raises(ValueError, match="frame"):
        st.show(st.n_frames)


def test_stepper_blitted_frame_equals_a_full_redraw(short):
    X, snaps = short
    st = plots.em_stepper(X, snaps)
    st.frame_png()  # builds the background
    st.show(5)
    from PIL import Image

    fast = np.asarray(Image.open(io.BytesIO(st.frame_png())).convert("RGB"), dtype=float)
    full = np.asarray(Image.open(io.BytesIO(st.render_png())).convert("RGB"), dtype=float)
    assert fast.shape == full.shape
    assert np.abs(fast - full).mean() < 1.0  # same picture up to antialiasing of re-drawn edges


def test_stepper_widget_controls_drive_the_figure(short):
    pytest.importorskip("ipywidgets")
    X, snaps = short
    st = plots.em_stepper(X, snaps)
    box = st.widget
    controls, image = box.children
    play, reset, back, step, slider = controls.children
    before = image.value
    step.click()
    assert slider.value == 1 and st.index == 1 and image.value != before
    slider.value = 6
    assert st.index == 6
    back.click()
    assert st.index == 5
    reset.click()
    assert st.index == 0
    assert slider.max == st.n_frames - 1 == play.max


def test_stepper_display_falls_back_to_static_png_headless(short, monkeypatch):
    X, snaps = short
    # Without ipywidgets: no widget, and the display is the static panels plus a plain-text summary.
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    st = plots.em_stepper(X, snaps)
    assert st.widget is None
    bundle = st._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "image/png"}
    assert base64.b64decode(bundle["image/png"]).startswith(PNG_MAGIC)
    assert bundle["text/plain"].startswith("EMStepper: 4 EM iterations, 9 frames, m = 120 points, k = 2")
    assert "0x" not in bundle["text/plain"]
    # With ipywidgets, the same display also offers the widget view (JupyterLab picks it).
    monkeypatch.undo()
    pytest.importorskip("ipywidgets")
    b2 = st._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in b2
    assert b2["image/png"] == bundle["image/png"] and b2["text/plain"] == bundle["text/plain"]


def test_em_animation_is_a_funcanimation_with_deterministic_html_and_a_static_fallback(short):
    X, snaps = short
    snaps = snaps[:3]
    anim = plots.em_animation(X, snaps)
    assert isinstance(anim, FuncAnimation)
    html = anim.to_jshtml()
    assert html == anim.to_jshtml()  # no fresh uuid per call
    assert not re.search(r"[0-9a-f]{32}", html.split("data:image")[0])
    assert html.count('frames[') >= len(snaps) and f"frames[{len(snaps) - 1}]" in html
    static = base64.b64encode(anim.stepper.static_png()).decode("ascii")
    assert f'src="data:image/png;base64,{static}"' in html  # what a viewer without JavaScript shows
    bundle = anim._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "text/html", "image/png"}


def test_em_static_draws_the_default_iterations_and_the_trace(run):
    X, snaps = run
    art = plots.em_static(X, snaps)
    assert art.iterations == [0, 1, 2, 5, 20]
    assert len(art.panels) == 5 and len(art.axes) == 6
    for panel, t in zip(art.panels, art.iterations, strict=True):
        _assert_ellipse_matches(panel.ellipses[1], snaps[t].mu[1], snaps[t].Sigma[1], 0.95)
    np.testing.assert_allclose(art.trace.line.get_ydata(), [log_likelihood(X, s) for s in snaps])
    assert [t.get_text() for t in art.legend.get_texts()][-1] == "means $\\mu_j$"


# ---------------------------------------------------------------------------------------------------------
# Every figure renders under warnings-as-errors
# ---------------------------------------------------------------------------------------------------------
def test_every_figure_renders_to_png_without_warnings(run):
    X, snaps = run
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figs = [
            plots.gmm_2d(X, snaps[2]).ax.figure,
            plots.gmm_2d(X, snaps[2], soft=False, mass=0.5).ax.figure,
            plots.ellipses(MEANS3, _covariances("tied")[0], "tied").ax.figure,
            plots.em_panels(X, snaps).fig,
            plots.loglik_trace([log_likelihood(X, s) for s in snaps]).ax.figure,
            plots.information_criteria([1, 2, 3], [3.0, 1.0, 2.0], [2.5, 0.5, 1.0]).ax.figure,
            plots.em_stepper(X, snaps[:3]).fig,
        ]
        for fig in figs:
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=40)
            assert buf.getvalue().startswith(PNG_MAGIC)


def test_figures_read_emlabs_own_estimator_and_its_history():
    from emlab import GaussianMixture

    X = _data(seed=2, m=90)
    gm = GaussianMixture(n_components=2, covariance_type="diag", record_params=True, random_state=0).fit(X)
    art = plots.gmm_2d(X, gm)
    for j in range(2):
        _assert_ellipse_matches(art.ellipses[j], gm.means_[j], np.diag(gm.covariances_[j]), 0.95)
    panels = plots.em_panels(X, gm.history_)
    assert panels.steps[:3] == ["init", "E1", "t=1"]
    trace = plots.loglik_trace(gm.history_)
    np.testing.assert_array_equal(trace.t, np.arange(1, gm.n_iter_ + 1))


def test_records_have_address_free_reprs_and_no_display_of_their_own(run):
    X, snaps = run
    records = (plots.gmm_2d(X, snaps[1]), plots.loglik_trace([1.0, 2.0]),
               plots.information_criteria([1, 2], [2.0, 1.0]), plots.ellipses(MEANS3, _covariances("diag")[0], "diag"))
    for record in records:
        text = repr(record)
        assert "0x" not in text and text.startswith(type(record).__name__ + "(")
        assert record._ipython_display_() is None  # the figure is the output, in nbconvert and nbval alike
    assert "ellipses=[3 items]" in repr(plots.ellipses(MEANS3, _covariances("full")[0]))
