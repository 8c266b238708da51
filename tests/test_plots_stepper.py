"""emlab.plots._stepper: the EM stepper, its animation and the static fallback."""

import base64
import io
import re
import sys

import numpy as np
import pytest
from matplotlib.animation import FuncAnimation
from plot_helpers import PNG_MAGIC, all_faces, assert_ellipse_matches

from emlab import log_likelihood, plots


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
        assert_ellipse_matches(st.scatter.ellipses[j], snaps[1].mu[j], snaps[1].Sigma[j], 0.95)
    faces_e = all_faces(st.scatter)
    st.step()  # iteration 2, M-step: ellipses move to Theta^(2), colours unchanged
    assert st.index == 4
    for j in range(2):
        assert_ellipse_matches(st.scatter.ellipses[j], snaps[2].mu[j], snaps[2].Sigma[j], 0.95)
    np.testing.assert_allclose(all_faces(st.scatter)[1], faces_e[1])
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
    pytest.importorskip("anywidget")
    X, snaps = short
    st = plots.em_stepper(X, snaps)
    box = st.widget
    controls, view = box.children
    play, reset, back, step, slider = controls.children
    assert view is st.view and list(view.controls) == [slider]  # the browser draws the slider's frame
    step.click()
    assert slider.value == 1 and st.index == 1
    slider.value = 6
    assert st.index == 6
    back.click()
    assert st.index == 5
    reset.click()
    assert st.index == 0
    slider.set_state({"value": 3})  # a drag in the browser: the kernel's figure follows
    assert st.index == 3
    assert slider.max == st.n_frames - 1 == play.max


def test_stepper_sends_the_browser_what_every_frame_draws(short):
    pytest.importorskip("anywidget")
    from PIL import Image

    X, snaps = short
    st = plots.em_stepper(X, snaps)
    scene, background, arrays = st.live_scene()
    m, k = X.shape[0], snaps[0].k
    assert (scene["m"], scene["k"], len(scene["frames"])) == (m, k, st.n_frames)
    np.testing.assert_array_equal(np.frombuffer(arrays["X"], dtype="<f8").reshape(m, 2), X)
    z = np.frombuffer(arrays["z"], dtype=np.uint8).reshape(len(snaps), m)
    rgb = np.frombuffer(arrays["rgb"], dtype=np.uint8).reshape(len(snaps), m, 3)
    assert Image.open(io.BytesIO(background)).size == (scene["width"], scene["height"])
    for i in range(st.n_frames):
        st.show(i)  # the kernel's figure at frame i, against what the browser is told to draw
        p_idx, w_idx, title_gmm, title_trace = scene["frames"][i]
        assert title_gmm == st.scatter.ax.get_title() and title_trace == st.trace.ax.get_title()
        for j, e in enumerate(st.scatter.ellipses):
            cx, cy, width, height, angle = scene["ellipses"][p_idx][j]
            assert (cx, cy) == pytest.approx(e.get_center()) and (width, height) == pytest.approx(
                (e.get_width(), e.get_height()))
            assert angle == pytest.approx(e.get_angle())
            np.testing.assert_allclose(scene["means"][p_idx][j], st.scatter.means[j].get_xydata()[0])
        np.testing.assert_allclose(st.current.get_xydata()[0], [p_idx, scene["loglik"][p_idx]])
        if w_idx < 0:
            assert i == 0 and len(st.scatter.points[0].get_offsets()) == m  # one grey cloud
            continue
        for j, coll in enumerate(st.scatter.points):
            sel = z[w_idx] == j
            np.testing.assert_array_equal(coll.get_offsets(), X[sel])
            np.testing.assert_allclose(coll.get_facecolors()[:, :3] * 255, rgb[w_idx][sel], atol=0.5)


def test_stepper_display_falls_back_to_static_png_headless(short, monkeypatch):
    X, snaps = short
    # Without anywidget (or ipywidgets): no widget, and the display is the static panels plus a plain-text summary.
    monkeypatch.setitem(sys.modules, "anywidget", None)
    st = plots.em_stepper(X, snaps)
    assert st.widget is None
    bundle = st._repr_mimebundle_()
    assert set(bundle) == {"text/plain", "image/png"}
    assert base64.b64decode(bundle["image/png"]).startswith(PNG_MAGIC)
    assert bundle["text/plain"].startswith("EMStepper: 4 EM iterations, 9 frames, m = 120 points, k = 2")
    assert "0x" not in bundle["text/plain"]
    # With ipywidgets, the same display also offers the widget view (JupyterLab picks it).
    monkeypatch.undo()
    pytest.importorskip("anywidget")
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
        assert_ellipse_matches(panel.ellipses[1], snaps[t].mu[1], snaps[t].Sigma[1], 0.95)
    np.testing.assert_allclose(art.trace.line.get_ydata(), [log_likelihood(X, s) for s in snaps])
    assert [t.get_text() for t in art.legend.get_texts()][-1] == "means $\\mu_j$"
