"""Plots of sections 1-4 (emlab.plots.density, .jensen, .bounds): assertions on what was drawn."""

import base64
import importlib
import io
import warnings

import matplotlib

matplotlib.use("Agg")  # headless: set here, never through MPLBACKEND

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402

from emlab import GMMParams, datasets, plots, style  # noqa: E402
from emlab import e_step as emlab_e_step  # noqa: E402
from emlab import elbo as emlab_elbo  # noqa: E402
from emlab import kl_divergence as emlab_kl  # noqa: E402
from emlab import log_likelihood as emlab_log_likelihood  # noqa: E402
from emlab import m_step as emlab_m_step  # noqa: E402
from emlab.plots import density  # noqa: E402

# emlab.plots.jensen is the function (re-exported); the module is reached through the import system.
jensen_module = importlib.import_module("emlab.plots.jensen")
bounds_module = importlib.import_module("emlab.plots.bounds")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _render_png(fig) -> bytes:
    """Draw the figure to PNG with every warning raised as an error."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.savefig(buf, format="png", dpi=50)  # low dpi: same drawing code path, less pixel work
    data = buf.getvalue()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return data


def _legend_texts(legend):
    return [t.get_text() for t in legend.get_texts()]


# ---------------------------------------------------------------- mixture_1d


@pytest.fixture(scope="module")
def sample_1d():
    return datasets.two_gaussians_1d(seed=0)


def test_mixture_1d_hist_one_artist_per_label(sample_1d):
    x, z = sample_1d
    out = plots.mixture_1d(x, z)
    assert out.groups == [0, 1]
    assert len(out.strip) == 2 and len(out.density) == 2
    assert out.mixture is None and out.components == []
    for g, (sc, bars) in enumerate(zip(out.strip, out.density, strict=True)):
        # every point of the group is on the strip, below y = 0
        offsets = sc.get_offsets()
        np.testing.assert_array_equal(np.sort(offsets[:, 0]), np.sort(x[z == g]))
        assert np.all(offsets[:, 1] < 0)
        np.testing.assert_allclose(to_rgb(bars.patches[0].get_facecolor()), style.component_style(g)["color"])
        # heights are densities of the whole sample: group g has area m_g / m = 1/2
        area = sum(p.get_height() * p.get_width() for p in bars.patches)
        assert area == pytest.approx(0.5, rel=1e-9)
    # colour AND shape: the two strips use different markers
    assert out.strip[0].get_paths()[0] != out.strip[1].get_paths()[0]
    assert _legend_texts(out.legend) == ["$z = 1$: points, histogram", "$z = 2$: points, histogram"]
    assert out.ax.get_xlabel() == "$x$" and out.ax.get_title()
    _render_png(out.fig)


def test_mixture_1d_kde_with_params_draws_weighted_components(sample_1d):
    x, z = sample_1d
    p = GMMParams(phi=[0.3, 0.7], mu=[1.0, 10.0], Sigma=[1.0, 2.0])
    out = plots.mixture_1d(x, z, params=p, kind="kde")
    assert len(out.density) == 2 and len(out.components) == 2
    xs = np.asarray(out.mixture.get_xdata())
    total = np.asarray(out.mixture.get_ydata())
    parts = [np.asarray(c.get_ydata()) for c in out.components]
    # the mixture density is the sum of the weighted components, and integrates to 1
    np.testing.assert_allclose(parts[0] + parts[1], total, rtol=1e-12)
    assert np.trapezoid(total, xs) == pytest.approx(1.0, abs=2e-3)
    assert np.trapezoid(parts[1], xs) == pytest.approx(0.7, abs=2e-3)
    peak = parts[0].max()
    assert peak == pytest.approx(0.3 / np.sqrt(2 * np.pi), rel=1e-4)
    # KDE of each group integrates to its share (1/2)
    for line in out.density:
        assert np.trapezoid(line.get_ydata(), line.get_xdata()) == pytest.approx(0.5, abs=0.01)
    texts = _legend_texts(out.legend)
    assert len(texts) == 5
    assert r"$p(x;\Theta)$ (mixture)" in texts
    assert r"$\phi_{2}\,\mathcal{N}(x;\mu_{2},\sigma_{2}^2)$" in texts
    _render_png(out.fig)


def test_mixture_1d_accepts_a_fitted_gaussian_mixture(sample_1d):
    from emlab import GaussianMixture

    x, z = sample_1d
    gm = GaussianMixture(n_components=2, covariance_type="spherical", random_state=0).fit(x[:, None])
    out = plots.mixture_1d(x, z, params=gm)
    p = gm.params_
    peaks = [line.get_ydata().max() for line in out.components]
    expected = p.phi / np.sqrt(2 * np.pi * p.Sigma[:, 0, 0])
    np.testing.assert_allclose(np.sort(peaks), np.sort(expected), rtol=1e-3)
    with pytest.raises(ValueError, match="params must be"):
        plots.mixture_1d(x, params={"phi": [1.0]})


def test_mixture_1d_component_with_zero_weight(sample_1d):
    x, z = sample_1d
    out = plots.mixture_1d(x, z, params=GMMParams(phi=[0.0, 1.0], mu=[1.0, 10.0], Sigma=[1.0, 1.0]))
    assert len(out.components) == 2
    assert np.all(out.components[0].get_ydata() == 0)  # phi_1 = 0: a flat zero curve, no NaN
    assert np.all(np.isfinite(out.mixture.get_ydata()))
    _render_png(out.fig)


def test_mixture_1d_without_labels_and_on_given_axes(sample_1d):
    x, _ = sample_1d
    fig, axes = plt.subplots(1, 2)
    out = plots.mixture_1d(x, ax=axes[1])
    assert out.ax is axes[1] and out.fig is fig
    assert len(out.strip) == 1 and len(out.density) == 1
    assert not axes[0].has_data()
    _render_png(fig)


def test_mixture_1d_bad_input():
    with pytest.raises(ValueError, match="labels"):
        plots.mixture_1d(np.arange(5.0), labels=[0, 1])
    with pytest.raises(ValueError, match="kind"):
        plots.mixture_1d(np.arange(5.0), kind="violin")
    with pytest.raises(ValueError, match="1-D"):
        plots.mixture_1d(np.zeros((5, 2)))
    with pytest.raises(ValueError, match="distinct points"):
        plots.mixture_1d([0.0, 1.0, 2.0, 5.0], labels=[0, 0, 0, 1], kind="kde")
    p2 = GMMParams(phi=[1.0], mu=[[0.0, 0.0]], Sigma=[np.eye(2)])
    with pytest.raises(ValueError, match="n = 2"):
        plots.mixture_1d(np.arange(5.0), params=p2)


# ---------------------------------------------------------------- loglik_surface


def test_loglik_surface_two_symmetric_maxima(sample_1d):
    x, _ = sample_1d
    grid = np.linspace(-2.0, 13.0, 61)
    out = plots.loglik_surface(x, grid, grid)
    assert out.l.shape == (61, 61)
    # l is symmetric under label switching (equal phi and sigma2)
    np.testing.assert_allclose(out.l, out.l.T, rtol=0, atol=1e-9)
    assert out.maxima.shape == (2, 2)
    (a1, b1), (a2, b2) = out.maxima
    assert (a1, b1) == (b2, a2)  # mirror images
    assert abs(a1 - b1) > 7  # one mean near 1, the other near 10
    assert {round(min(a1, b1)), round(max(a1, b1))} == {1, 10}
    # the surface value at the marked maxima is the grid maximum
    assert out.l.max() == pytest.approx(
        float(np.max([out.l[np.searchsorted(grid, v), np.searchsorted(grid, u)] for u, v in out.maxima]))
    )
    # not concave: the saddle on mu_1 = mu_2 is lower than both maxima
    assert out.saddle[0] == out.saddle[1]
    assert 4 < out.saddle[0] < 7
    assert len(out.maxima_markers) == 2
    texts = _legend_texts(out.ax.get_legend())
    assert sum(t.startswith("maximum") for t in texts) == 2 and r"saddle on $\mu_1=\mu_2$" in texts
    assert out.ax.get_xlabel() == r"$\mu_1$" and out.ax.get_ylabel() == r"$\mu_2$"
    assert out.colorbar.ax.get_ylabel() == r"$\ell(\mu_1,\mu_2)$"
    _render_png(out.fig)


def test_loglik_surface_matches_core(sample_1d):
    from emlab import log_likelihood

    x, _ = sample_1d
    mu1 = np.linspace(0.0, 11.0, 5)
    mu2 = np.linspace(-1.0, 12.0, 4)
    out = plots.loglik_surface(x, mu1, mu2, phi=(0.3, 0.7), sigma2=(1.5, 0.8))
    for b, v in enumerate(mu2):
        for a, u in enumerate(mu1):
            p = GMMParams(phi=[0.3, 0.7], mu=[u, v], Sigma=[1.5, 0.8])
            assert out.l[b, a] == pytest.approx(log_likelihood(x, p), rel=1e-12)


def test_loglik_surface_readable_legend_and_round_ticks(sample_1d):
    x, _ = sample_1d
    out = plots.loglik_surface(x, np.linspace(-2.0, 13.0, 41), np.linspace(-2.0, 13.0, 41))
    # the mirror line is drawn in a colour that shows on the light legend background
    assert to_rgb(out.diagonal.get_color()) == (0.0, 0.0, 0.0)
    handle = out.ax.get_legend().legend_handles[0]
    assert to_rgb(handle.get_color()) == (0.0, 0.0, 0.0) and handle.get_linestyle() == "--"
    # colour-bar ticks are round numbers (multiples of 100 here), not the contour levels
    ticks = [t for t in out.colorbar.get_ticks() if out.colorbar.vmin <= t <= out.colorbar.vmax]
    assert 3 <= len(ticks) <= 8
    assert all(t % 100 == 0 for t in ticks), ticks
    _render_png(out.fig)


def test_loglik_surface_bad_input(sample_1d):
    x, _ = sample_1d
    with pytest.raises(ValueError, match="phi"):
        plots.loglik_surface(x, [0, 1, 2], [0, 1, 2], phi=(0.5, 0.6))
    with pytest.raises(ValueError, match="mu1"):
        plots.loglik_surface(x, [[0, 1, 2]], [0, 1, 2])



# ---------------------------------------------------------------- jensen


def test_jensen_classic_log_two_points():
    out = plots.jensen()  # ln x, x in {1, 4}, p = 1/2
    # the chord passes through (x1, ln x1) and (x2, ln x2)
    np.testing.assert_allclose(out.chord.get_xydata(), [[1.0, 0.0], [4.0, np.log(4.0)]])
    np.testing.assert_allclose(out.points.get_xydata(), [[1.0, 0.0], [4.0, np.log(4.0)]])
    assert out.Ex == pytest.approx(2.5)
    assert out.f_Ex == pytest.approx(np.log(2.5))
    assert out.E_fx == pytest.approx(0.5 * np.log(4.0))
    # ln E[x] - E[ln x] = ln 2.5 - ln 2 = ln 1.25
    assert -out.gap == pytest.approx(np.log(1.25), rel=1e-12)
    assert out.shape == "concave"
    # drawn where the numbers say: f(E[x]) on the curve, E[f(x)] on the chord at x = E[x]
    np.testing.assert_allclose(out.f_of_mean.get_xydata(), [[2.5, np.log(2.5)]])
    np.testing.assert_allclose(out.mean_of_f.get_xydata(), [[2.5, np.log(2.0)]])
    assert np.interp(2.5, *out.chord.get_data()) == pytest.approx(np.log(2.0))
    assert out.mean_line.get_xdata()[0] == pytest.approx(2.5)
    arrow = out.gap_arrow
    np.testing.assert_allclose(sorted([arrow.xy[1], arrow.xyann[1]]), [np.log(2.0), np.log(2.5)])
    assert "0.223" in out.gap_text.get_text()
    curve_x, curve_y = out.curve.get_data()
    assert curve_x.min() == pytest.approx(0.1) and curve_x.max() == pytest.approx(5.0)
    np.testing.assert_allclose(curve_y, np.log(curve_x))
    assert _legend_texts(out.legend) == [
        r"$\ln x$",
        r"$(x_i, \ln x_i)$",
        "chord",
        r"$\mathbb{E}[x] = 2.500$",
        r"$\ln \mathbb{E}[x] = 0.916$",
        r"$\mathbb{E}[\ln x] = 0.693$",
    ]
    assert out.ax.get_xlabel() == "$x$" and out.ax.get_ylabel() == r"$\ln x$"
    assert "concave" in out.ax.get_title()
    _render_png(out.fig)


def test_jensen_convex_many_points_uses_hull():
    x = np.array([-1.0, 0.0, 0.7, 1.5])
    p = np.array([0.2, 0.3, 0.3, 0.2])
    out = plots.jensen(np.exp, x, p, xlim=(-1.5, 2.0))
    assert out.chord is None and out.hull is not None
    assert out.shape == "convex"
    assert out.gap == pytest.approx(p @ np.exp(x) - np.exp(p @ x))
    assert out.gap > 0
    # (E[x], E[f(x)]) lies inside the convex hull of the points
    assert out.hull.get_path().contains_point((out.Ex, out.E_fx))
    assert not out.hull.get_path().contains_point((out.Ex, out.E_fx + 5))
    assert "convex hull of the points" in _legend_texts(out.legend)
    _render_png(out.fig)


def test_jensen_generic_function_and_point_mass():
    out = plots.jensen(lambda t: t**2, x=(0.5, 2.0, 3.0), p=(0.0, 1.0, 0.0), xlim=(0, 4))
    assert out.gap == pytest.approx(0.0, abs=1e-12)  # a point mass: no gap
    assert out.gap_arrow is None
    assert out.ax.get_ylabel() == "$f(x)$"
    assert out.shape == "convex"
    wavy = plots.jensen(np.sin, x=(0.0, 3.0), p=(0.5, 0.5), xlim=(0, 6))
    assert wavy.shape == "neither" and "no Jensen guarantee" in wavy.ax.get_title()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"x": (1.0, 4.0), "p": (0.5, 0.6)}, "sum to 1"),
        ({"x": (1.0, 4.0), "p": (1.5, -0.5)}, "non-negative"),
        ({"x": (1.0, 4.0), "p": (1.0,)}, "one probability per point"),
        ({"x": (-1.0, 4.0), "p": (0.5, 0.5)}, "not finite"),
        ({"xlim": (5, 1)}, "xlim"),
        ({"f": "log"}, "function"),
    ],
)
def test_jensen_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        plots.jensen(**kwargs)


def _inside(inner, outer) -> bool:
    return inner.x0 >= outer.x0 and inner.x1 <= outer.x1 and inner.y0 >= outer.y0 and inner.y1 <= outer.y1


def test_jensen_labels_stay_inside_and_off_the_guides():
    # the point at x = 0.5 is next to the y axis: its label must not spill onto the tick labels
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    out = plots.jensen(np.log, x=(0.5, 1.5, 4.5), p=(0.2, 0.5, 0.3), ax=left, xlim=(0.1, 5.0))
    plots.jensen(np.exp, x=(-1.0, 1.5), p=(0.6, 0.4), ax=right, xlim=(-1.5, 2.0))
    fig.draw_without_rendering()
    assert [t.get_text() for t in out.p_labels] == ["$p=0.20$", "$p=0.50$", "$p=0.30$"]
    box = left.get_window_extent()
    for t in out.p_labels:
        assert _inside(t.get_window_extent(), box), t.get_text()
    # p = 0.9 on a point right next to E[x]: the label keeps off the dotted guides at f(E[x]) and E[f(x)]
    lopsided = plots.jensen(np.log, x=(1.0, 4.0), p=(0.9, 0.1))
    lopsided.fig.draw_without_rendering()
    label = lopsided.p_labels[0].get_window_extent()
    for yy in (lopsided.f_Ex, lopsided.E_fx):
        y_px = lopsided.ax.transData.transform((1.0, yy))[1]
        assert not label.y0 <= y_px <= label.y1
    assert not label.overlaps(lopsided.gap_text.get_window_extent())


def test_jensen_small_gap_stays_visible():
    big = plots.jensen(np.log, x=(0.5, 4.9), p=(0.5, 0.5))  # gap 0.545: the bracket alone is long enough
    assert big.gap_pointers == [] and big.gap_arrow is not None
    small = plots.jensen(np.log, x=(1.0, 1.5), p=(0.5, 0.5))  # gap ~0.02: a few pixels
    assert abs(small.gap) < 0.03
    assert len(small.gap_pointers) == 2  # two arrows point at the bracket's ends from outside
    tips = sorted(a.xy[1] for a in small.gap_pointers)
    np.testing.assert_allclose(tips, sorted([small.f_Ex, small.E_fx]))
    # the bracket ends at the two values, drawn to the right of x = E[x] (clear of the markers)
    np.testing.assert_allclose(sorted([small.gap_arrow.xy[1], small.gap_arrow.xyann[1]]),
                               sorted([small.f_Ex, small.E_fx]))  # fmt: skip
    small.fig.draw_without_rendering()
    x_bracket = small.gap_arrow.get_window_extent().x0
    x_marker = small.ax.transData.transform((small.Ex, small.E_fx))[0]
    assert x_bracket > x_marker + 5
    assert "0.020" in small.gap_text.get_text()
    _render_png(small.fig)


def test_jensen_widget_falls_back_headless():
    out = plots.jensen_widget()  # no kernel here: the static figure
    assert isinstance(out, plots.jensen_static().__class__)
    assert len(out.panels) == 3
    assert out.panels[0].gap == pytest.approx(np.log(2.0) - np.log(2.5))
    # the gap shrinks as the distribution concentrates
    gaps = [abs(a.gap) for a in out.panels]
    assert gaps[0] > gaps[1] and gaps[0] > gaps[2]
    assert out.panels[0].legend is not None and out.panels[1].legend is None
    _render_png(out.fig)


def test_jensen_widget_sliders_redraw(capsys):
    w = plots.jensen_widget(interactive=True)
    assert set(w.sliders) == {"x1", "x2", "p"}
    assert w.artists.Ex == pytest.approx(2.5)
    w.sliders["p"].value = 0.9
    assert w.artists.Ex == pytest.approx(0.9 * 1.0 + 0.1 * 4.0)
    w.sliders["x2"].value = 3.0
    np.testing.assert_allclose(w.artists.chord.get_xydata()[1], [3.0, np.log(3.0)])
    # one set of artists on the axes after several redraws (each redraw clears the old one)
    assert len(w.ax.lines) == len(w.artists.ax.lines) and w.artists.ax is w.ax
    assert sum(line.get_label() == "chord" for line in w.ax.lines) == 1
    assert repr(w) == f"JensenWidget(x=(1.00, 3.00), p=0.90, gap={w.artists.gap:.3f})"
    assert all(not s.continuous_update for s in w.sliders.values())
    with pytest.raises(ValueError, match="two points"):
        plots.jensen_widget(x=(1.0, 2.0, 3.0), interactive=True)


def test_jensen_widget_leaves_no_pyplot_figure(capsys):
    plt.close("all")
    w = plots.jensen_widget(interactive=True)
    # the widget's figure is not tracked by pyplot: the next plotting cell shows no stale copy of it
    assert plt.get_fignums() == []
    w.sliders["p"].value = 0.3
    assert plt.get_fignums() == []
    w.static_png()
    assert plt.get_fignums() == []
    _render_png(w.fig)


def test_jensen_widget_mimebundle_has_static_fallback(capsys):
    w = plots.jensen_widget(interactive=True)
    bundle = w._repr_mimebundle_()
    # widget view for JupyterLab; a PNG and a fixed text for GitHub, nbviewer, print and nbval
    assert "application/vnd.jupyter.widget-view+json" in bundle
    png = base64.b64decode(bundle["image/png"])
    assert png.startswith(b"\x89PNG")
    assert bundle["text/plain"].startswith("Jensen explorer: sliders for x_1, x_2 and p_1")
    assert "VBox" not in bundle["text/plain"] and " at 0x" not in bundle["text/plain"]
    w.sliders["x1"].value = 2.0  # the fallback picture and text do not depend on the slider state
    again = w._repr_mimebundle_()
    assert again["text/plain"] == bundle["text/plain"] and again["image/png"] == bundle["image/png"]
    # what display() showed when the widget was made is this same bundle (no VBox(...) text)
    shown = capsys.readouterr().out
    assert "VBox(children" not in shown
    with pytest.raises(ValueError, match="widen xlim"):
        plots.jensen_widget(x=(1.0, 7.0), interactive=True)
    with pytest.raises(ValueError, match="p0"):
        plots.jensen_widget(p0=1.5)



# ---------------------------------------------------------------- em_bound


def _slice(params, j, d, value):
    mu = params.mu.copy()
    mu[j, d] = value
    return GMMParams(phi=params.phi, mu=mu, Sigma=params.Sigma)


@pytest.fixture(scope="module")
def start_1d():
    x, _ = datasets.two_gaussians_1d(seed=0)
    return x, GMMParams(phi=[0.5, 0.5], mu=[4.0, 6.0], Sigma=[9.0, 9.0])


def test_em_bound_touches_and_stays_below(start_1d):
    x, theta0 = start_1d
    out = plots.em_bound(x, theta0, index=(0, "mu"))
    i_t = np.flatnonzero(out.theta == out.theta_t)
    i_n = np.flatnonzero(out.theta == out.theta_next)
    assert i_t.size == 1 and i_n.size == 1  # both touching points are on the drawn grid
    tol = 1e-9 * abs(out.l_t)
    # the bound built at theta_t touches l there ...
    assert out.bound[i_t[0]] == pytest.approx(out.l[i_t[0]], abs=tol)
    assert out.l_t == pytest.approx(emlab_log_likelihood(x, theta0), abs=tol)
    # ... and is below l everywhere else (strictly, away from theta_t)
    away = np.abs(out.theta - out.theta_t) > 0.05
    assert np.all(out.bound <= out.l + tol)
    assert np.all(out.bound[away] < out.l[away])
    # its maximiser is theta_next: for 1-D data, the M-step's mean for component 1
    assert np.argmax(out.bound) == i_n[0]
    W = emlab_e_step(x, theta0)
    assert out.theta_next == pytest.approx(emlab_m_step(x, W).mu[0, 0], rel=1e-12)
    # monotonicity: l(theta_next) >= B_t(theta_next) >= B_t(theta_t) = l(theta_t)
    assert out.l_next >= out.bound_at_next >= out.l_t
    # the next bound touches at theta_next and is below l
    assert out.next_bound[i_n[0]] == pytest.approx(out.l_next, abs=tol)
    assert np.all(out.next_bound <= out.l + tol)
    # what was drawn is what was computed
    np.testing.assert_array_equal(out.lines["l"].get_ydata(), out.l)
    np.testing.assert_array_equal(out.lines["bound"].get_ydata(), out.bound)
    np.testing.assert_allclose(out.lines["touch_t"].get_xydata(), [[out.theta_t, out.l_t]])
    np.testing.assert_allclose(out.lines["bound_max"].get_xydata(), [[out.theta_next, out.bound_at_next]])
    texts = _legend_texts(out.legend)
    assert texts[0] == r"$\ell(\theta)$" and len(texts) == 6
    assert out.ax.get_xlabel().startswith(r"$\theta = \mu_{1}$")
    # the gap box names l - L (KL only comes in notebook 04), has an opaque background and points at the gap
    gap = out.l_next - out.bound_at_next
    assert out.gap_text.get_text() == rf"gap $\ell - \mathcal{{L}}$ at $\theta_{{t+1}}$: {gap:.2f}"
    assert out.gap_text.get_bbox_patch().get_alpha() == 1.0
    assert out.gap_text.xy == pytest.approx((out.theta_next, 0.5 * (out.l_next + out.bound_at_next)))
    _render_png(out.fig)
    # it sits clear of every curve: no drawn point of l or the bounds falls inside the box
    out.fig.canvas.draw()  # lay out at the figure's own dpi, the one transData uses
    box = out.gap_text.get_bbox_patch().get_window_extent()
    for key in ("l", "bound", "next_bound"):
        pts = out.ax.transData.transform(out.lines[key].get_xydata())
        assert box.count_contains(pts) == 0, key
    kl = plots.em_bound(x, theta0, gap_label="KL = {gap:.3f}")
    assert kl.gap_text.get_text() == f"KL = {gap:.3f}"


def test_em_bound_curves_match_core(start_1d):
    x, theta0 = start_1d
    out = plots.em_bound(x, theta0, index=(1, "mu"), grid=np.linspace(2.0, 12.0, 11))
    W = emlab_e_step(x, theta0)
    W_next = emlab_e_step(x, _slice(theta0, 1, 0, out.theta_next))
    for i in range(0, out.theta.size, 3):
        p = _slice(theta0, 1, 0, out.theta[i])
        assert out.l[i] == pytest.approx(emlab_log_likelihood(x, p), rel=1e-12)
        assert out.bound[i] == pytest.approx(emlab_elbo(x, W, p), rel=1e-12)
        assert out.next_bound[i] == pytest.approx(emlab_elbo(x, W_next, p), rel=1e-12)


def test_em_bound_2d_full_covariance_slice():
    Sigma = np.array([[[1.0, 0.6], [0.6, 2.0]], [[1.5, -0.4], [-0.4, 0.7]]])
    theta = GMMParams(phi=[0.4, 0.6], mu=[[0.0, 0.0], [3.0, 1.0]], Sigma=Sigma)
    X, _ = datasets.sample_gmm(GMMParams(phi=[0.5, 0.5], mu=[[-1, 1], [4, 0]], Sigma=Sigma), 150, seed=2)
    out = plots.em_bound(X, theta, index=(0, "mu", 1), grid=np.linspace(-3, 4, 701))
    W = emlab_e_step(X, theta)
    # the slice maximiser: check against emlab.elbo on both sides
    for eps in (-1e-3, 1e-3):
        assert emlab_elbo(X, W, _slice(theta, 0, 1, out.theta_next + eps)) < out.bound_at_next
    assert out.bound_at_next == pytest.approx(emlab_elbo(X, W, _slice(theta, 0, 1, out.theta_next)), rel=1e-12)
    i = np.flatnonzero(out.theta == out.theta_t)[0]
    assert out.bound[i] == pytest.approx(out.l[i], rel=1e-12)
    assert np.all(out.bound <= out.l + 1e-9 * abs(out.l_t))
    assert out.ax.get_xlabel().startswith(r"$\theta = \mu_{1,2}$")


@pytest.mark.parametrize(
    ("index", "match"), [((0, "Sigma"), "index"), ((2, "mu"), "index j"), ((0, "mu", 1), "index d"), (0, "index")]
)
def test_em_bound_bad_index(start_1d, index, match):
    x, theta0 = start_1d
    with pytest.raises(ValueError, match=match):
        plots.em_bound(x, theta0, index=index)


# ---------------------------------------------------------------- elbo_kl


def _history_by_hand(X, params, n_iter):
    h = {"log_likelihood": [], "elbo_after_e": [], "elbo_after_m": [], "kl_after_m": []}
    for _ in range(n_iter):
        W = emlab_e_step(X, params)
        h["elbo_after_e"].append(emlab_elbo(X, W, params))
        params = emlab_m_step(X, W)
        h["elbo_after_m"].append(emlab_elbo(X, W, params))
        h["log_likelihood"].append(emlab_log_likelihood(X, params))
        h["kl_after_m"].append(emlab_kl(W, emlab_e_step(X, params)))
    return {k: np.array(v) for k, v in h.items()}


@pytest.fixture(scope="module")
def history_1d(start_1d):
    x, theta0 = start_1d
    return _history_by_hand(x, theta0, 6)


def test_elbo_kl_stacks_to_l(history_1d):
    h = history_1d
    # the history itself obeys the identities the figure relies on
    np.testing.assert_allclose(h["elbo_after_m"] + h["kl_after_m"], h["log_likelihood"], rtol=1e-12)
    np.testing.assert_allclose(h["elbo_after_e"][1:], h["log_likelihood"][:-1], rtol=1e-12)
    out = plots.elbo_kl(h)
    assert len(out.elbo_bars.patches) == len(out.kl_bars.patches) == 12
    for e_bar, kl_bar, l_val, m in zip(out.elbo_bars.patches, out.kl_bars.patches, out.l, out.is_m_step, strict=True):
        # the KL bar sits on top of the ELBO bar and ends at l
        assert e_bar.get_y() == pytest.approx(out.baseline)
        assert e_bar.get_y() + e_bar.get_height() == pytest.approx(kl_bar.get_y(), rel=1e-12)
        assert kl_bar.get_y() + kl_bar.get_height() == pytest.approx(l_val, rel=1e-12)
        assert (kl_bar.get_height() > 0) if m else (kl_bar.get_height() == 0)  # E-steps close the gap
    np.testing.assert_allclose(out.l[out.is_m_step], h["log_likelihood"], rtol=1e-12)
    np.testing.assert_allclose(out.l[~out.is_m_step], h["elbo_after_e"], rtol=1e-12)
    np.testing.assert_array_equal(out.steps, [0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6])
    np.testing.assert_allclose(out.m_markers.get_ydata(), h["log_likelihood"])
    assert [t.get_text() for t in out.ax.get_xticklabels()][:4] == ["E1", "M1", "E2", "M2"]
    assert _legend_texts(out.legend) == [
        r"$\ell(\Theta)$ = ELBO + KL",
        "after E-step: KL = 0",
        "after M-step: KL gap opens",
        r"ELBO $\mathcal{L}(q,\Theta)$ after an E-step",
        r"ELBO $\mathcal{L}(q,\Theta)$ after an M-step",
        r"KL$(q\,\|\,p(z\,|\,x;\Theta))$",
    ]
    # the two ELBO legend swatches have the two shades the bars are drawn in
    e_patch, m_patch = out.legend.legend_handles[3:5]
    assert e_patch.get_facecolor() == out.elbo_bars.patches[0].get_facecolor()
    assert m_patch.get_facecolor() == out.elbo_bars.patches[1].get_facecolor()
    assert e_patch.get_facecolor() != m_patch.get_facecolor()
    # the cut axis: bars start at a round value below the lowest ELBO, and the y label names it
    assert out.baseline < out.elbo.min() and out.baseline == round(out.baseline, -1)
    assert out.ax.get_ylim()[0] == out.baseline
    assert f"bars start at {out.baseline:g}, not at 0" in out.ax.get_ylabel()
    _render_png(out.fig)


def test_elbo_kl_iteration_range_and_long_history(start_1d, history_1d):
    out = plots.elbo_kl(history_1d, iterations=(2, 4))
    np.testing.assert_array_equal(out.steps, [1.5, 2, 2.5, 3, 3.5, 4])
    np.testing.assert_allclose(out.l[1::2], history_1d["log_likelihood"][1:4])
    assert "iterations 2-4 of 6" in out.ax.get_title()
    x, theta0 = start_1d
    long = plots.elbo_kl(_history_by_hand(x, theta0, 11))
    assert len(long.elbo_bars.patches) == 22
    assert len(long.ax.get_xticks()) <= 10
    _render_png(long.fig)


def test_elbo_kl_from_gaussian_mixture(start_1d):
    from emlab import GaussianMixture

    x, theta0 = start_1d
    gm = GaussianMixture(
        n_components=2, weights_init=theta0.phi, means_init=theta0.mu,
        precisions_init=np.linalg.inv(theta0.Sigma),
    ).fit(x[:, None])  # fmt: skip
    assert gm.n_iter_ >= 3
    out = plots.elbo_kl(gm.history_)
    np.testing.assert_allclose(out.l[out.is_m_step], gm.history_["log_likelihood"], rtol=1e-12)
    np.testing.assert_allclose(out.elbo + out.kl, out.l, rtol=1e-12)


@pytest.mark.parametrize(
    ("history", "match"),
    [
        ({"log_likelihood": [1.0]}, "keys"),
        ([1, 2, 3], "dict"),
        ({"log_likelihood": [-1.0, -0.5], "elbo_after_e": [-2.0], "elbo_after_m": [-2.0], "kl_after_m": [0.0]},
         "same length"),
        ({"log_likelihood": [-1.0], "elbo_after_e": [-2.0], "elbo_after_m": [-0.5], "kl_after_m": [-0.5]}, ">= 0"),
        ({"log_likelihood": [np.nan], "elbo_after_e": [-2.0], "elbo_after_m": [-2.0], "kl_after_m": [0.0]}, "NaN"),
    ],
)  # fmt: skip
def test_elbo_kl_bad_history(history, match):
    with pytest.raises(ValueError, match=match):
        plots.elbo_kl(history)



def test_artists_reprs_have_no_addresses(start_1d):
    x, theta0 = start_1d
    for out in (plots.jensen(), plots.em_bound(x, theta0), plots.mixture_1d(x), plots.jensen_widget()):
        assert " at 0x" not in repr(out) and repr(out).startswith(type(out).__name__ + "(")


def test_gallery_registers_every_plots_a_figure():
    """Each module's GALLERY is collected by ``python -m emlab.gallery`` (whose own test renders them all)."""
    from emlab import gallery

    registry = gallery.collect()
    for module in (density, jensen_module, bounds_module):
        assert module.GALLERY, module.__name__
        for name, builder in module.GALLERY.items():
            assert registry[name] is builder
