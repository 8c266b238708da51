"""emlab.plots._bounds: em_bound and elbo_kl, checked against the functional core."""

import numpy as np
import pytest
from plot_helpers import legend_texts, render_png

from emlab import GMMParams, datasets, plots
from emlab import e_step as emlab_e_step
from emlab import elbo as emlab_elbo
from emlab import kl_divergence as emlab_kl
from emlab import log_likelihood as emlab_log_likelihood
from emlab import m_step as emlab_m_step


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
    texts = legend_texts(out.legend)
    assert texts[0] == r"$\ell(\theta)$" and len(texts) == 6
    assert out.ax.get_xlabel().startswith(r"$\theta = \mu_{1}$")
    # the gap box names l - L (KL only comes in notebook 04), has an opaque background and points at the gap
    gap = out.l_next - out.bound_at_next
    assert out.gap_text.get_text() == rf"gap $\ell - \mathcal{{L}}$ at $\theta_{{t+1}}$: {gap:.2f}"
    assert out.gap_text.get_bbox_patch().get_alpha() == 1.0
    assert out.gap_text.xy == pytest.approx((out.theta_next, 0.5 * (out.l_next + out.bound_at_next)))
    render_png(out.fig)
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
    assert legend_texts(out.legend) == [
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
    render_png(out.fig)


def test_elbo_kl_iteration_range_and_long_history(start_1d, history_1d):
    out = plots.elbo_kl(history_1d, iterations=(2, 4))
    np.testing.assert_array_equal(out.steps, [1.5, 2, 2.5, 3, 3.5, 4])
    np.testing.assert_allclose(out.l[1::2], history_1d["log_likelihood"][1:4])
    assert "iterations 2-4 of 6" in out.ax.get_title()
    x, theta0 = start_1d
    long = plots.elbo_kl(_history_by_hand(x, theta0, 11))
    assert len(long.elbo_bars.patches) == 22
    assert len(long.ax.get_xticks()) <= 10
    render_png(long.fig)


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
