"""emlab.plots._density: mixture_1d and loglik_surface, asserted on what was drawn."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgb
from plot_helpers import legend_texts, render_png

from emlab import GMMParams, datasets, plots, style


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
    assert legend_texts(out.legend) == ["$z = 1$: points, histogram", "$z = 2$: points, histogram"]
    assert out.ax.get_xlabel() == "$x$" and out.ax.get_title()
    render_png(out.fig)


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
    texts = legend_texts(out.legend)
    assert len(texts) == 5
    assert r"$p(x;\Theta)$ (mixture)" in texts
    assert r"$\phi_{2}\,\mathcal{N}(x;\mu_{2},\sigma_{2}^2)$" in texts
    render_png(out.fig)


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
    render_png(out.fig)


def test_mixture_1d_without_labels_and_on_given_axes(sample_1d):
    x, _ = sample_1d
    fig, axes = plt.subplots(1, 2)
    out = plots.mixture_1d(x, ax=axes[1])
    assert out.ax is axes[1] and out.fig is fig
    assert len(out.strip) == 1 and len(out.density) == 1
    assert not axes[0].has_data()
    render_png(fig)


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
    texts = legend_texts(out.ax.get_legend())
    assert sum(t.startswith("maximum") for t in texts) == 2 and r"saddle on $\mu_1=\mu_2$" in texts
    assert out.ax.get_xlabel() == r"$\mu_1$" and out.ax.get_ylabel() == r"$\mu_2$"
    assert out.colorbar.ax.get_ylabel() == r"$\ell(\mu_1,\mu_2)$"
    render_png(out.fig)


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
    render_png(out.fig)


def test_loglik_surface_bad_input(sample_1d):
    x, _ = sample_1d
    with pytest.raises(ValueError, match="phi"):
        plots.loglik_surface(x, [0, 1, 2], [0, 1, 2], phi=(0.5, 0.6))
    with pytest.raises(ValueError, match="mu1"):
        plots.loglik_surface(x, [[0, 1, 2]], [0, 1, 2])
