"""Bishop's PRML Fig. 9.8 for any recorded EM run: the start, the first E-step, then Theta^(t) after t cycles."""

from __future__ import annotations

from dataclasses import dataclass

from ..core import as_data, e_step
from ..params import GMMParams
from ._common import ArtistsRecord, as_snapshots, legend_handles, panel_axes, view_limits, with_layout
from ._scatter import GMM2DArtists, ellipses, gmm_2d

__all__ = ["EMPanelsArtists", "em_panels", "BISHOP_SCHEDULE"]

# Bishop, PRML Fig. 9.8: after t = 1, 2, 5 and 20 complete EM iterations (Bishop's "L"; this course keeps
# the letter L for the ELBO, so the panels say t).
BISHOP_SCHEDULE = (1, 2, 5, 20)

@dataclass(repr=False)
class EMPanelsArtists(ArtistsRecord):
    """What :func:`em_panels` drew.

    Attributes
    ----------
    fig : matplotlib Figure
    axes : list of Axes, one per panel
    panels : list of GMM2DArtists, one per panel
    steps : list of str
        What each panel shows: "init", "E1" (after the first E-step) or "t=<complete EM iterations>".
    legend : Legend or None
        The shared legend.
    """

    fig: object
    axes: list
    panels: list
    steps: list
    legend: object



@with_layout
def em_panels(X, snapshots, iterations=BISHOP_SCHEDULE, mass: float = 0.95, ax=None, soft: bool = True,
              xlabel: str = "$x_1$", ylabel: str = "$x_2$", layout: str = "notebook") -> EMPanelsArtists:
    """EM on 2-D data in Bishop's PRML Fig. 9.8 schedule, from recorded parameters (no fitting here).

    Panels: (a) the initial parameters Theta^(0) over the plain data; (b) the first E-step: points coloured
    by W = e_step(X, Theta^(0)); then Theta^(t) after t complete EM cycles (E-step + M-step) for t in
    ``iterations`` (default 1, 2, 5, 20; Bishop calls them L, a letter this course keeps for the ELBO),
    coloured, as in the book, by the responsibilities that M-step used, e_step(X, Theta^(t-1)). A t
    beyond the recorded run is replaced by the last iteration T. Every panel has the same limits (the
    data and every ellipse drawn) and an equal aspect, so circles look round.

    Parameters
    ----------
    X : array-like of shape (m, 2)
        For the book's figure: Old Faithful, standardised (``emlab.datasets.standardize``).
    snapshots : list of GMMParams, or a history dict with key "params"
        Theta^(0), ..., Theta^(T) (``GaussianMixture(record_params=True).history_["params"]``).
    iterations : sequence of int, default (1, 2, 5, 20)
    mass : float, default 0.95
    ax : array of Axes, optional
        One per panel (2 + len(iterations) after merging repeats); by default a 2 x 3 grid. Their limits
        and aspect are set (``adjustable="datalim"``, or ``"box"`` for axes sharing both x and y).
    soft : bool, default True
    xlabel, ylabel : str
    layout : {"notebook", "slide"}, default "notebook"
        "slide": a 12 x 6 inch figure at 100 dpi (1200 x 600 px) that fits a 16:9 slide at its natural
        size, with short panel titles and no text under 12 pt (used when ``ax`` is None).

    Returns
    -------
    EMPanelsArtists
    """
    X = as_data(X)
    snapshots = as_snapshots(snapshots)
    T = len(snapshots) - 1
    its = []
    for t in iterations:
        if int(t) < 1:
            raise ValueError(f"iterations must be >= 1 (complete EM iterations); got {t}.")
        t = min(int(t), T)
        if t >= 1 and t not in its:
            its.append(t)
    steps = ["init", "E1"] + [f"t={t}" for t in its]
    n_panels = len(steps)
    # Not shared: an equal aspect with adjustable="datalim" is refused on axes sharing both x and y;
    # identical limits (set below) line the panels up instead.
    axes = panel_axes(n_panels, ax, layout, lambda nrows, ncols: (4.6 * ncols, 4.2 * nrows + 0.6),
                      f"em_panels needs {n_panels} axes for the panels {steps}")
    fig = axes[0].figure
    letters = "abcdefghijklmnopqrstuvwxyz"
    panels = []
    for p, (a, step) in enumerate(zip(axes, steps, strict=True)):
        if step == "init":
            art = _panel(X, snapshots[0], None, mass, a, soft)
            label = "initial $\\Theta^{(0)}$" if layout != "slide" else "$\\Theta^{(0)}$"
        elif step == "E1":
            art = _panel(X, snapshots[0], e_step(X, snapshots[0]), mass, a, soft)
            label = "first E-step"
        else:
            t = int(step[2:])
            art = _panel(X, snapshots[t], e_step(X, snapshots[t - 1]), mass, a, soft)
            cycles = f"after {t} EM cycle{'s' if t > 1 else ''}"
            label = f"$t = {t}$ ({cycles}" + (", the last recorded)" if t == T and t < max(iterations) else ")")
            if layout == "slide":
                label = f"$t = {t}$" + (" (last)" if t == T and t < max(iterations) else "")
        a.set_title(f"({letters[p]}) {label}")
        a.set_xlabel(xlabel if a.get_subplotspec() is None or a.get_subplotspec().is_last_row() else "")
        a.set_ylabel(ylabel if a.get_subplotspec() is None or a.get_subplotspec().is_first_col() else "")
        panels.append(art)
    # The same data limits in every panel (data and every ellipse shown), left to autoscaling: fixed limits
    # plus adjustable="datalim" make matplotlib log "Ignoring fixed x limits" into the notebook.
    xlim, ylim = view_limits(X, [snapshots[0]] + [snapshots[t] for t in its], mass)
    for a in axes:
        a.update_datalim([(xlim[0], ylim[0]), (xlim[1], ylim[1])])
        a.autoscale_view()
        shared = len(a.get_shared_x_axes().get_siblings(a)) > 1 and len(a.get_shared_y_axes().get_siblings(a)) > 1
        a.set_aspect("equal", adjustable="box" if shared else "datalim")
        if ax is None:
            a.label_outer()  # same limits everywhere: tick labels on the outer panels only
    k = snapshots[0].k
    leg = None
    handles = legend_handles(k, None, True)
    if ax is None:
        leg = fig.legend(handles=handles, loc="outside lower center", ncols=len(handles))
    else:
        leg = axes[-1].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return EMPanelsArtists(fig=fig, axes=axes, panels=panels, steps=steps, legend=leg)


def _panel(X, params: GMMParams, W, mass: float, ax, soft: bool) -> GMM2DArtists:
    # W is None for Bishop's first panel: the plain data before any E-step, under the starting components.
    # W is passed separately from params because the book colours Theta^(L) by the W of Theta^(L-1).
    art = gmm_2d(X, None, W=W, soft=soft, mass=mass, ax=ax, legend=False)
    ell = ellipses(params.mu, params.Sigma, "full", mass=mass, ax=ax)
    art.ellipses, art.means, art._ellipse_artists = ell.ellipses, ell.means, ell
    return art
