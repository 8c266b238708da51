"""emlab.plots._panels: em_panels in Bishop's Fig. 9.8 schedule."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from plot_helpers import all_faces, assert_ellipse_matches, blend

from emlab import e_step, plots


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
    assert_ellipse_matches(art.panels[0].ellipses[0], snaps[0].mu[0], snaps[0].Sigma[0], 0.95)
    # (b): Theta^(0) with the first E-step's colours; (e): Theta^(5) coloured by e_step(Theta^(4)).
    for panel, p_idx, w_idx in ((art.panels[1], 0, 0), (art.panels[4], 5, 4)):
        for j in range(2):
            assert_ellipse_matches(panel.ellipses[j], snaps[p_idx].mu[j], snaps[p_idx].Sigma[j], 0.95)
        offsets, faces = all_faces(panel)
        W = e_step(X, snaps[w_idx])
        order_drawn, order_x = np.lexsort(offsets.T), np.lexsort(X.T)
        np.testing.assert_allclose(faces[order_drawn], blend(W)[order_x], atol=1e-12)
    assert [t.get_text() for t in art.legend.get_texts()][-1] == "means $\\mu_j$"


def test_em_panels_clip_the_schedule_to_a_short_run(run):
    X, snaps = run
    art = plots.em_panels(X, {"params": snaps[:4]})
    assert art.steps == ["init", "E1", "t=1", "t=2", "t=3"]
    assert art.axes[-1].get_title() == "(e) $t = 3$ (after 3 EM cycles, the last recorded)"
    with pytest.raises(ValueError, match="record_params"):
        plots.em_panels(X, {"log_likelihood": [1.0]})


def test_em_panels_on_shared_axes_use_an_equal_box(run):
    X, snaps = run
    fig, grid = plt.subplots(2, 3, sharex=True, sharey=True)
    art = plots.em_panels(X, snaps, ax=grid)
    fig.canvas.draw()  # adjustable="datalim" on axes sharing x and y would raise here
    assert all(a.get_aspect() == 1.0 and a.get_adjustable() == "box" for a in art.axes)
