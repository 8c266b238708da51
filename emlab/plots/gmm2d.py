"""Two-dimensional Gaussian-mixture figures: points by responsibility, probability ellipses, EM panels.

Every function takes ``ax=None`` (a new figure is made when it is None), returns the artists it drew, and
never fits a model: parameters come in as :class:`~emlab.params.GMMParams` or as a fitted emlab/scikit-learn
``GaussianMixture`` (``means_``, ``covariances_``, ``covariance_type``), and responsibilities are computed
with :func:`emlab.e_step` when they are not given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Ellipse
from matplotlib.ticker import MaxNLocator
from scipy.stats import chi2

from ..core import as_data, e_step
from ..covariance import n_parameters
from ..params import GMMParams, mixture_arrays
from ..style import PALETTE, component_style

__all__ = [
    "GMM2DArtists",
    "EllipseArtists",
    "EMPanelsArtists",
    "TraceArtists",
    "CriteriaArtists",
    "gmm_2d",
    "ellipses",
    "em_panels",
    "loglik_trace",
    "information_criteria",
    "mixture_arrays",
    "faithful_em_run",
]

# Bishop, PRML Fig. 9.8: after t = 1, 2, 5 and 20 complete EM iterations (Bishop's "L"; this course keeps
# the letter L for the ELBO, so the panels say t).
BISHOP_SCHEDULE = (1, 2, 5, 20)
_GREY = (0.45, 0.45, 0.45)
_MEAN_MARKER = "X"


# ----------------------------------------------------------------------------------------------------------
# Parameters in, arrays out
# ----------------------------------------------------------------------------------------------------------
def _check_mass(mass: float) -> float:
    if not (np.isscalar(mass) and 0.0 < float(mass) < 1.0):
        raise ValueError(f"mass must be a probability strictly between 0 and 1 (e.g. 0.95); got {mass!r}.")
    return float(mass)


def _ellipse_geometry(Sigma: np.ndarray, mass: float):
    """(width, height, angle in degrees) of the ellipse holding ``mass`` of N(mu, Sigma) in 2-D.

    (x - mu)^T Sigma^{-1} (x - mu) is chi-square with 2 degrees of freedom, so the region of probability
    ``mass`` is that quadratic form <= c = chi2.ppf(mass, 2): semi-axes sqrt(c lambda) along the
    eigenvectors of Sigma. The angle is the direction of the major axis, in (-90, 90].
    """
    vals, vecs = np.linalg.eigh(Sigma)
    if vals[0] <= 0:
        raise ValueError(f"a covariance is not positive definite (eigenvalues {vals}); it has no ellipse.")
    c = chi2.ppf(mass, df=2)
    width, height = 2.0 * np.sqrt(c * vals[1]), 2.0 * np.sqrt(c * vals[0])
    if np.isclose(vals[1], vals[0], rtol=1e-12, atol=0.0):
        return width, height, 0.0  # a circle: every direction is an eigenvector
    angle = np.degrees(np.arctan2(vecs[1, 1], vecs[0, 1]))
    if angle <= -90.0:
        angle += 180.0
    elif angle > 90.0:
        angle -= 180.0
    return width, height, angle


def _view_limits(X: np.ndarray, snapshots, mass: float):
    """Axis limits (xlim, ylim) holding the data and every ellipse of every snapshot, with a margin."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    for s in snapshots:
        for j in range(s.k):
            # The ellipse lies inside the disc of radius half its major axis around mu_j.
            w, _, _ = _ellipse_geometry(s.Sigma[j], mass)
            lo = np.minimum(lo, s.mu[j] - w / 2)
            hi = np.maximum(hi, s.mu[j] + w / 2)
    pad = 0.04 * (hi - lo)
    return (lo[0] - pad[0], hi[0] + pad[0]), (lo[1] - pad[1], hi[1] + pad[1])


def _check_2d(mu: np.ndarray) -> None:
    if mu.shape[1] != 2:
        raise ValueError(
            f"these figures draw 2-D data, but the parameters have n = {mu.shape[1]} features; "
            "select two columns (and the matching rows/columns of the covariances) first."
        )


def _colors(k: int) -> np.ndarray:
    return np.array([component_style(j)["color"] for j in range(k)], dtype=float)


class _ArtistsRecord:
    """Base of the records the plotting functions return.

    The repr is short and free of object addresses. In a notebook the record displays nothing: the figure
    is the output. (A trailing ``;`` hides a cell's value under nbconvert but not under nbval, which runs
    cells with store_history=False; a record with no display of its own gives the same outputs in both.)
    """

    def __repr__(self) -> str:
        parts = []
        for name, v in vars(self).items():
            if name.startswith("_"):
                continue
            if isinstance(v, np.ndarray):
                parts.append(f"{name}=array{tuple(v.shape)}")
            elif isinstance(v, list | tuple | dict):
                parts.append(f"{name}=[{len(v)} item{'' if len(v) == 1 else 's'}]")
            elif isinstance(v, float | np.floating):
                parts.append(f"{name}={float(v):.6f}")
            elif v is None or isinstance(v, bool | int | str):
                parts.append(f"{name}={v!r}")
            else:
                parts.append(f"{name}=<{type(v).__name__}>")
        return f"{type(self).__name__}({', '.join(parts)})"

    def _ipython_display_(self) -> None:
        return None


# ----------------------------------------------------------------------------------------------------------
# Ellipses
# ----------------------------------------------------------------------------------------------------------
@dataclass(repr=False)
class EllipseArtists(_ArtistsRecord):
    """What :func:`ellipses` drew.

    Attributes
    ----------
    ax : matplotlib Axes
    ellipses : list of matplotlib.patches.Ellipse
        One per component, in component order.
    means : list of matplotlib.lines.Line2D
        One marker per component at mu_j (empty when ``mark_means=False``).
    mass : float
        Probability mass inside each ellipse.
    """

    ax: object
    ellipses: list
    means: list
    mass: float

    def update(self, means, covariances) -> None:
        """Move ellipses and mean markers in place: new ``means`` (k, 2), full ``covariances`` (k, 2, 2)."""
        if len(means) != len(self.ellipses):
            raise ValueError(f"expected {len(self.ellipses)} components, got {len(means)}.")
        for j, e in enumerate(self.ellipses):
            w, h, a = _ellipse_geometry(covariances[j], self.mass)
            e.set_center(means[j])
            e.set_width(w)
            e.set_height(h)
            e.set_angle(a)
        for j, line in enumerate(self.means):
            line.set_data([means[j][0]], [means[j][1]])


def ellipses(means, covariances, covariance_type: str = "full", mass: float = 0.95, ax=None,
             mark_means: bool = True, fill_alpha: float = 0.08) -> EllipseArtists:
    """Draw the ellipse holding probability ``mass`` of each Gaussian component, and mark its mean.

    Axes lengths and angle come from the eigen-decomposition Sigma_j = V diag(lambda) V^T: the semi-axes
    are sqrt(c lambda) with c = chi2.ppf(mass, df=2), the angle is that of the major eigenvector.

    Parameters
    ----------
    means : array-like of shape (k, 2)
    covariances : array-like
        Shapes by ``covariance_type``: "full" (k, 2, 2), "tied" (2, 2), "diag" (k, 2), "spherical" (k,).
    covariance_type : {"full", "tied", "diag", "spherical"}, default "full"
    mass : float in (0, 1), default 0.95
    ax : matplotlib Axes, optional
    mark_means : bool, default True
        Mark each mu_j with a large "X" in the component's colour.
    fill_alpha : float, default 0.08
        Opacity of the ellipse fill (0 for outlines only).

    Returns
    -------
    EllipseArtists
        ``.ellipses`` (one Ellipse per component) and ``.means`` (one Line2D per component).
    """
    mass = _check_mass(mass)
    _, mu, Sigma = mixture_arrays((means, covariances), covariance_type)
    _check_2d(mu)
    if ax is None:
        _, ax = plt.subplots(layout="constrained")
    patches, marks = [], []
    for j in range(mu.shape[0]):
        style = component_style(j)
        w, h, a = _ellipse_geometry(Sigma[j], mass)
        e = Ellipse(xy=mu[j], width=w, height=h, angle=a, facecolor=(*style["color"], fill_alpha),
                    edgecolor=style["color"], linewidth=2.5, linestyle=style["linestyle"], zorder=3)
        ax.add_patch(e)
        patches.append(e)
        if mark_means:
            (line,) = ax.plot([mu[j, 0]], [mu[j, 1]], linestyle="none", marker=_MEAN_MARKER, markersize=15,
                              markerfacecolor=style["color"], markeredgecolor="black", markeredgewidth=1.5,
                              zorder=5)
            marks.append(line)
    ax.autoscale_view()
    return EllipseArtists(ax=ax, ellipses=patches, means=marks, mass=mass)


# ----------------------------------------------------------------------------------------------------------
# Points + ellipses
# ----------------------------------------------------------------------------------------------------------
@dataclass(repr=False)
class GMM2DArtists(_ArtistsRecord):
    """What :func:`gmm_2d` drew.

    Attributes
    ----------
    ax : matplotlib Axes
    points : list of PathCollection
        One scatter per component holding the points whose most probable component (argmax_j w_j^(i))
        is j, drawn with that component's marker; a single grey scatter when there are no components.
    ellipses : list of Ellipse
        One per component (empty without ``params``).
    means : list of Line2D
        One "X" marker per component mean (empty without ``params``).
    legend : matplotlib Legend or None
    X : ndarray of shape (m, 2)
        The data drawn (kept so :meth:`update` can re-assign points to components).
    W : ndarray of shape (m, k) or None
        The responsibilities the colours show.
    soft, mass : as passed to :func:`gmm_2d`.
    """

    ax: object
    points: list
    ellipses: list
    means: list
    legend: object
    X: np.ndarray
    W: np.ndarray | None
    soft: bool
    mass: float
    _ellipse_artists: EllipseArtists | None = field(default=None, repr=False)
    #: False: legend labels updated without mathtext (mathtext is re-parsed for every new string)
    math_labels: bool = True
    #: False: the legend keeps its labels on update (the stepper shows phi in its title instead)
    legend_phi: bool = True

    def update(self, params=None, W=None, covariance_type: str = "full") -> None:
        """Redraw in place for new parameters and/or responsibilities (the EM stepper's fast path).

        Only artist data change (offsets, face colours, ellipse centre/size/angle, legend text), so the
        next canvas draw shows the new state without rebuilding the axes. The number of components
        must stay the same. When ``params`` is given and ``W`` is not, W = e_step(X, params).
        """
        phi = None
        if params is not None:
            phi, mu, Sigma = mixture_arrays(params, covariance_type)
            if self._ellipse_artists is None:
                raise ValueError("this figure was drawn without params; draw it with params to update them.")
            self._ellipse_artists.update(mu, Sigma)
            if W is None and phi is not None:
                W = e_step(self.X, GMMParams(phi=phi, mu=mu, Sigma=Sigma))
        if W is not None:
            W = _check_responsibilities(W, self.X.shape[0], len(self.points))
            self.W = W
            _fill_points(self.points, self.X, W, self.soft)
        if phi is not None and self.legend is not None and self.legend_phi:
            texts = self.legend.get_texts()
            for j in range(len(phi)):
                texts[j].set_text(_component_label(j, phi, self.math_labels))


def _check_responsibilities(W, m: int, k: int | None) -> np.ndarray:
    W = np.asarray(W, dtype=float)
    if W.ndim != 2 or W.shape[0] != m:
        raise ValueError(f"W must have shape (m, k) with m = {m} rows, one per point; got {W.shape}.")
    if k is not None and W.shape[1] != k:
        raise ValueError(f"W has {W.shape[1]} columns but there are {k} components; they must match.")
    if not np.all(np.isfinite(W)) or np.any(W < 0):
        raise ValueError("W must hold finite, non-negative responsibilities.")
    return W


def _fill_points(points: list, X: np.ndarray, W: np.ndarray, soft: bool) -> None:
    k = W.shape[1]
    C = _colors(k)
    z = np.argmax(W, axis=1)
    # Soft: each point's colour is the responsibility-weighted mix of the component colours (Bishop's
    # red/blue -> purple); the marker still names the most probable component, so shape carries it too.
    face = np.clip(W @ C, 0.0, 1.0) if soft else C[z]
    for j, coll in enumerate(points):
        sel = z == j
        coll.set_offsets(X[sel])
        coll.set_facecolors(face[sel])


_SUBSCRIPTS = str.maketrans("0123456789", "\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089")


def _component_label(j: int, phi, math: bool = True) -> str:
    """Legend label of component j; ``math=False`` avoids mathtext (parsed anew for every new string,
    too slow for a label that changes on every frame of the stepper)."""
    if phi is None:
        return f"component $j = {j + 1}$"
    if not math:
        return f"j = {j + 1}, \u03c6{str(j + 1).translate(_SUBSCRIPTS)} = {phi[j]:.2f}"
    return f"$j = {j + 1}$, $\\phi_{{{j + 1}}} = {phi[j]:.2f}$"


def gmm_2d(X, params=None, W=None, soft: bool = True, mass: float = 0.95, covariance_type: str = "full",
           ax=None, legend: bool = True, title: str | None = None, xlabel: str = "$x_1$",
           ylabel: str = "$x_2$", point_size: float = 36.0) -> GMM2DArtists:
    """Scatter 2-D data coloured by responsibility, with each component's probability ellipse and mean.

    Parameters
    ----------
    X : array-like of shape (m, 2)
    params : GMMParams, fitted GaussianMixture, or tuple, optional
        See :func:`mixture_arrays`. A fitted estimator's own ``covariance_type`` is used.
    W : array-like of shape (m, k), optional
        Responsibilities w_j^(i). When omitted and ``params`` has weights, W = e_step(X, params)
        (an E-step, not a fit). Without both, the points are drawn plain grey.
    soft : bool, default True
        True: colour each point by mixing the component colours with its responsibilities.
        False: colour by the most probable component. Either way the marker shape is that of the most
        probable component (``emlab.style.component_style``).
    mass : float in (0, 1), default 0.95
        Probability mass inside each ellipse (chi-square quantile with 2 degrees of freedom).
    covariance_type : {"full", "tied", "diag", "spherical"}, default "full"
        Used only for tuple ``params``.
    ax : matplotlib Axes, optional
    legend : bool, default True
        One entry per component (marker, colour, ellipse line style, phi_j) and one for the means;
        placed outside the axes so it never hides data.
    title, xlabel, ylabel : str, optional
    point_size : float, default 36

    Returns
    -------
    GMM2DArtists
        The scatters (one per component), ellipses, mean markers and legend; ``.update(params, W)``
        redraws them in place.
    """
    X = as_data(X)
    if X.shape[1] != 2:
        raise ValueError(f"gmm_2d draws 2-D data; X has {X.shape[1]} columns. Select two columns first.")
    mass = _check_mass(mass)
    phi = mu = Sigma = None
    if params is not None:
        phi, mu, Sigma = mixture_arrays(params, covariance_type)
        _check_2d(mu)
        if W is None and phi is not None:
            W = e_step(X, GMMParams(phi=phi, mu=mu, Sigma=Sigma))
    k = mu.shape[0] if mu is not None else None
    if W is not None:
        W = _check_responsibilities(W, X.shape[0], k)
        k = W.shape[1]
    if ax is None:
        _, ax = plt.subplots(layout="constrained")

    points = []
    if W is None:
        points.append(ax.scatter(X[:, 0], X[:, 1], s=point_size, color=_GREY, marker="o", alpha=0.8,
                                 linewidths=0.5, edgecolors="white", zorder=2, label="data $x^{(i)}$"))
    else:
        for j in range(k):
            points.append(ax.scatter(np.empty(0), np.empty(0), s=point_size,
                                     marker=component_style(j)["marker"], linewidths=0.5, edgecolors="white",
                                     alpha=0.9, zorder=2))
        _fill_points(points, X, W, soft)
        ax.update_datalim(X)

    ell = None
    if mu is not None:
        ell = ellipses(mu, Sigma, "full", mass=mass, ax=ax)
    ax.autoscale_view()
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title is None:
        if W is None:
            title = "data" if mu is None else f"components, {mass:.0%} ellipses"
        else:
            title = (f"{'soft' if soft else 'hard'} assignments $w_j^{{(i)}}$"
                     + ("" if mu is None else f", {mass:.0%} ellipses"))
    ax.set_title(title)

    leg = None
    if legend:
        handles = _legend_handles(k if W is not None or mu is not None else None, phi, mu is not None)
        if W is None and mu is None:
            handles = [points[0]]
        leg = ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    return GMM2DArtists(ax=ax, points=points, ellipses=ell.ellipses if ell else [],
                        means=ell.means if ell else [], legend=leg, X=X, W=W, soft=soft, mass=mass,
                        _ellipse_artists=ell)


def _legend_handles(k: int | None, phi, with_means: bool) -> list:
    """Proxy artists: marker + colour + ellipse line style per component, then the mean marker."""
    handles = []
    for j in range(k or 0):
        s = component_style(j)
        handles.append(Line2D([], [], color=s["color"], marker=s["marker"], linestyle=s["linestyle"],
                              markersize=9, markeredgecolor="white", label=_component_label(j, phi)))
    if with_means:
        handles.append(Line2D([], [], linestyle="none", marker=_MEAN_MARKER, markersize=12,
                              markerfacecolor="white", markeredgecolor="black", markeredgewidth=1.5,
                              label="means $\\mu_j$"))
    return handles


# ----------------------------------------------------------------------------------------------------------
# Bishop's Fig. 9.8 panels
# ----------------------------------------------------------------------------------------------------------
@dataclass(repr=False)
class EMPanelsArtists(_ArtistsRecord):
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


def _as_snapshots(snapshots) -> list:
    if isinstance(snapshots, dict):
        if "params" not in snapshots:
            raise ValueError(
                "this history has no 'params' entry: fit the GaussianMixture with record_params=True."
            )
        snapshots = snapshots["params"]
    snapshots = list(snapshots)
    if not snapshots:
        raise ValueError("snapshots is empty: pass the list Theta^(0..T) of GMMParams (history_['params']).")
    for t, s in enumerate(snapshots):
        if not isinstance(s, GMMParams):
            raise ValueError(f"snapshots[{t}] is a {type(s).__name__}, not a GMMParams.")
    return snapshots


def em_panels(X, snapshots, iterations=BISHOP_SCHEDULE, mass: float = 0.95, ax=None, soft: bool = True,
              xlabel: str = "$x_1$", ylabel: str = "$x_2$") -> EMPanelsArtists:
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

    Returns
    -------
    EMPanelsArtists
    """
    X = as_data(X)
    snapshots = _as_snapshots(snapshots)
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
    if ax is None:
        ncols = 3 if n_panels > 4 else n_panels
        nrows = -(-n_panels // ncols)
        # Not shared: an equal aspect with adjustable="datalim" is refused on axes sharing both x and y;
        # identical limits (set below) line the panels up instead.
        fig, grid = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 4.2 * nrows + 0.6), squeeze=False,
                                 layout="constrained")
        axes = list(grid.ravel())
        for extra in axes[n_panels:]:
            extra.set_visible(False)
        axes = axes[:n_panels]
    else:
        axes = list(np.ravel(ax))
        if len(axes) < n_panels:
            raise ValueError(f"em_panels needs {n_panels} axes for the panels {steps}; got {len(axes)}.")
        axes = axes[:n_panels]
        fig = axes[0].figure
    letters = "abcdefghijklmnopqrstuvwxyz"
    panels = []
    for p, (a, step) in enumerate(zip(axes, steps, strict=True)):
        if step == "init":
            art = _panel(X, snapshots[0], None, mass, a, soft)
            label = "initial $\\Theta^{(0)}$"
        elif step == "E1":
            art = _panel(X, snapshots[0], e_step(X, snapshots[0]), mass, a, soft)
            label = "first E-step"
        else:
            t = int(step[2:])
            art = _panel(X, snapshots[t], e_step(X, snapshots[t - 1]), mass, a, soft)
            cycles = f"after {t} EM cycle{'s' if t > 1 else ''}"
            label = f"$t = {t}$ ({cycles}" + (", the last recorded)" if t == T and t < max(iterations) else ")")
        a.set_title(f"({letters[p]}) {label}")
        a.set_xlabel(xlabel if a.get_subplotspec() is None or a.get_subplotspec().is_last_row() else "")
        a.set_ylabel(ylabel if a.get_subplotspec() is None or a.get_subplotspec().is_first_col() else "")
        panels.append(art)
    # The same data limits in every panel (data and every ellipse shown), left to autoscaling: fixed limits
    # plus adjustable="datalim" make matplotlib log "Ignoring fixed x limits" into the notebook.
    xlim, ylim = _view_limits(X, [snapshots[0]] + [snapshots[t] for t in its], mass)
    for a in axes:
        a.update_datalim([(xlim[0], ylim[0]), (xlim[1], ylim[1])])
        a.autoscale_view()
        shared = len(a.get_shared_x_axes().get_siblings(a)) > 1 and len(a.get_shared_y_axes().get_siblings(a)) > 1
        a.set_aspect("equal", adjustable="box" if shared else "datalim")
        if ax is None:
            a.label_outer()  # same limits everywhere: tick labels on the outer panels only
    k = snapshots[0].k
    leg = None
    handles = _legend_handles(k, None, True)
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


# ----------------------------------------------------------------------------------------------------------
# Log-likelihood trace and model choice
# ----------------------------------------------------------------------------------------------------------
@dataclass(repr=False)
class TraceArtists(_ArtistsRecord):
    """What :func:`loglik_trace` drew.

    Attributes
    ----------
    ax : Axes
    line : Line2D
        l(Theta^(t)) against t.
    t : ndarray
        The iteration numbers on the x axis.
    values : ndarray
    decreases : PathCollection or None
        Red crosses where l went down (impossible for exact EM: a bug, e.g. Sigma centred on the old mean).
    legend : Legend
    """

    ax: object
    line: object
    t: np.ndarray
    values: np.ndarray
    decreases: object
    legend: object


_TRACE_GID = "emlab-loglik-trace"


def loglik_trace(values, ax=None, start: int | None = None, label: str = "$\\ell(\\Theta^{(t)})$",
                 title: str | None = None, tol: float = 1e-9) -> TraceArtists:
    """Plot the log-likelihood l(Theta^(t)) (a total over the data, in nats) against the iteration t.

    Parameters
    ----------
    values : array-like of float, or a history dict
        The trace, e.g. ``run_em``'s ``history.trace`` (t = 0, 1, ...), or ``GaussianMixture.history_``
        (its "log_likelihood" entry, t = 1, ...).
    ax : Axes, optional
        Draw here, e.g. to overlay a second trace: the title and axis labels the axes already has are
        kept, and each further trace on the same axes takes the next component colour and marker.
    start : int, optional
        Iteration number of the first value: 0 for a list, 1 for a history dict unless given.
    label : str
        Legend entry of the trace.
    title : str, optional
        Set when given. Otherwise "log-likelihood over EM iterations" is used when this function makes
        the axes or the axes passed in has no title yet.
    tol : float, default 1e-9
        A drop larger than ``tol * max(1, |l|)`` is marked as a decrease.

    Returns
    -------
    TraceArtists
    """
    if isinstance(values, dict):
        if "log_likelihood" not in values:
            raise ValueError("the history dict has no 'log_likelihood' entry; pass the values themselves.")
        values = values["log_likelihood"]
        start = 1 if start is None else start
    v = np.asarray(values, dtype=float).ravel()
    if v.size == 0:
        raise ValueError("values is empty: pass at least one log-likelihood value.")
    if not np.all(np.isfinite(v)):
        raise ValueError("values contain NaN or inf; a log-likelihood trace must be finite.")
    start = 0 if start is None else int(start)
    t = np.arange(start, start + v.size)
    created = ax is None
    if created:
        _, ax = plt.subplots(layout="constrained")
    n_before = sum(line.get_gid() == _TRACE_GID for line in ax.get_lines())
    look = {"color": PALETTE[0], "marker": "o"} if n_before == 0 else component_style(n_before)
    (line,) = ax.plot(t, v, markersize=5, label=label, gid=_TRACE_GID, **look)
    drop = np.flatnonzero(np.diff(v) < -tol * np.maximum(1.0, np.abs(v[:-1]))) + 1
    dec = None
    if drop.size:
        dec = ax.scatter(t[drop], v[drop], marker="x", s=120, linewidths=3, color=PALETTE[3], zorder=4,
                         label="decrease: not exact EM")
    # A caller's axes keeps its own title and labels (a notebook titles the axes, then overlays two traces).
    if created or not ax.get_xlabel():
        ax.set_xlabel("iteration $t$")
    if created or not ax.get_ylabel():
        ax.set_ylabel("$\\ell(\\Theta)$ (nats)")
    if title is not None:
        ax.set_title(title)
    elif created or not ax.get_title():
        ax.set_title("log-likelihood over EM iterations")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    leg = ax.legend(loc="lower right")
    return TraceArtists(ax=ax, line=line, t=t, values=v, decreases=dec, legend=leg)


@dataclass(repr=False)
class CriteriaArtists(_ArtistsRecord):
    """What :func:`information_criteria` drew.

    Attributes
    ----------
    ax : Axes
    lines : dict str -> Line2D
        "BIC" (and "AIC") against K.
    minima : dict str -> Line2D
        A star at each criterion's minimum.
    best : dict str -> int
        The K that minimises each criterion.
    legend : Legend
    """

    ax: object
    lines: dict
    minima: dict
    best: dict
    legend: object


def information_criteria(ks, bic, aic=None, ax=None,
                         title: str = "choosing $K$: information criteria") -> CriteriaArtists:
    """BIC (and AIC) against the number of components K, each minimum starred and named.

    Parameters
    ----------
    ks : array-like of int
        Numbers of components tried.
    bic : array-like of float
        BIC = -2 l + p ln m for each K (lower is better).
    aic : array-like of float, optional
        AIC = -2 l + 2 p.
    ax : Axes, optional
    title : str

    Returns
    -------
    CriteriaArtists
    """
    ks = np.asarray(ks)
    if ks.ndim != 1 or ks.size == 0:
        raise ValueError("ks must be a non-empty 1-D sequence of component counts.")
    curves = {"BIC": bic} if aic is None else {"BIC": bic, "AIC": aic}
    if ax is None:
        _, ax = plt.subplots(layout="constrained")
    lines, minima, best = {}, {}, {}
    for c, (name, vals) in enumerate(curves.items()):
        vals = np.asarray(vals, dtype=float)
        if vals.shape != ks.shape:
            raise ValueError(f"{name} must have one value per K: shape {ks.shape}; got {vals.shape}.")
        if not np.all(np.isfinite(vals)):
            raise ValueError(f"{name} contains NaN or inf.")
        s = component_style(c)
        (lines[name],) = ax.plot(ks, vals, marker=s["marker"], linestyle=s["linestyle"], color=s["color"],
                                 markersize=8, label=name)
        i = int(np.argmin(vals))
        best[name] = int(ks[i])
        (minima[name],) = ax.plot([ks[i]], [vals[i]], linestyle="none", marker="*", markersize=24,
                                  color=s["color"], markeredgecolor="black", zorder=4,
                                  label=f"min {name}: $K = {ks[i]}$")
    ax.set_xlabel("number of components $K$")
    ax.set_ylabel("criterion (lower is better)")
    ax.set_title(title)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    leg = ax.legend(loc="best")
    return CriteriaArtists(ax=ax, lines=lines, minima=minima, best=best, legend=leg)


# ----------------------------------------------------------------------------------------------------------
# Gallery (``python -m emlab.gallery OUTDIR``): the course's figures on the course's data
# ----------------------------------------------------------------------------------------------------------
# Bishop-like start on standardised Old Faithful: two round components off the data's main diagonal; EM
# first stretches both along it, then separates the two clusters (converged by t = 20).
FAITHFUL_START = {"phi": [0.5, 0.5], "mu": [[-1.5, 1.0], [1.5, -1.0]], "Sigma": [0.5 * np.eye(2)] * 2}


@lru_cache(maxsize=2)
def faithful_em_run(T: int = 20):
    """(Xs, [Theta^(0), ..., Theta^(T)]) on standardised Old Faithful from :data:`FAITHFUL_START`.

    The demo run of the gallery and the benchmark: T plain EM iterations (e_step, m_step) of the
    functional core, with no stopping rule, so every panel of the Fig. 9.8 schedule exists.
    """
    from .. import datasets
    from ..core import m_step

    Xs, _, _ = datasets.standardize(datasets.load_faithful())
    snaps = [GMMParams(**FAITHFUL_START)]
    for _ in range(T):
        snaps.append(m_step(Xs, e_step(Xs, snaps[-1])))
    Xs.setflags(write=False)  # cached and shared between figures
    return Xs, tuple(snaps)


def _two_clusters_fit():
    from .. import datasets
    from ..core import run_em

    X, _ = datasets.two_clusters_2d(seed=0)
    start = GMMParams(phi=[0.5, 0.5], mu=[[5.0, 5.0], [15.0, 5.0]], Sigma=[20.0 * np.eye(2)] * 2)
    params, _ = run_em(X, start, max_iter=100, tol=1e-8)
    return X, start, params


def _gallery_gmm_soft():
    # Old Faithful two iterations in: the components still overlap, so many points are shared.
    Xs, snaps = faithful_em_run()
    return gmm_2d(Xs, snaps[2], soft=True, title="Old Faithful, $\\Theta^{(2)}$: soft responsibilities",
                  xlabel="eruptions (std.)", ylabel="waiting (std.)").ax.figure


def _gallery_gmm_hard():
    X, _, params = _two_clusters_fit()
    return gmm_2d(X, params, soft=False, title="converged: hard assignments (argmax $w_j^{(i)}$)").ax.figure


def _gallery_covariance_types():
    """One fitted full-covariance mixture drawn in each of the four covariance structures."""
    Xs, snaps = faithful_em_run()
    p = snaps[-1]
    full = np.asarray(p.Sigma)
    forms = {
        "full": full,
        "tied": np.einsum("j,jab->ab", p.phi, full),
        "diag": np.diagonal(full, axis1=1, axis2=2),
        "spherical": np.diagonal(full, axis1=1, axis2=2).mean(axis=1),
    }
    fig, axes = plt.subplots(2, 2, figsize=(11, 9), sharex=True, sharey=True, layout="constrained")
    for a, (ct, cov) in zip(axes.ravel(), forms.items(), strict=True):
        a.scatter(Xs[:, 0], Xs[:, 1], s=14, color=_GREY, alpha=0.6, linewidths=0)
        ellipses(p.mu, cov, ct, mass=0.95, ax=a)
        a.set_title(f'covariance_type="{ct}"')
        a.set_xlabel("eruption duration (std.)")
        a.set_ylabel("waiting time (std.)")
    fig.legend(handles=_legend_handles(p.k, None, True), loc="outside lower center", ncols=p.k + 1)
    fig.suptitle("95% ellipses for the four covariance structures")
    return fig


def _gallery_em_panels():
    Xs, snaps = faithful_em_run()
    art = em_panels(Xs, snaps, xlabel="eruptions (std.)", ylabel="waiting (std.)")
    art.fig.suptitle("EM on Old Faithful (standardised), PRML Fig. 9.8 schedule")
    return art.fig


def _gallery_loglik_trace():
    from ..core import log_likelihood

    Xs, snaps = faithful_em_run()
    return loglik_trace([log_likelihood(Xs, s) for s in snaps]).ax.figure


def _gallery_information_criteria():
    """BIC/AIC of K = 1..5 on Old Faithful (raw units), each K fitted by the functional core's run_em."""
    from .. import datasets
    from ..core import log_likelihood, run_em

    X = datasets.load_faithful()
    m, n = X.shape
    ks, bic, aic = np.arange(1, 6), [], []
    order = np.argsort(X[:, 0] + X[:, 1] / X[:, 1].std())
    for k in ks:
        # Deterministic start: k points spread along the data's main direction, shared covariance.
        idx = order[((np.arange(k) + 0.5) / k * m).astype(int)]
        start = GMMParams(phi=np.full(k, 1.0 / k), mu=X[idx], Sigma=[np.cov(X.T)] * k)
        params, _ = run_em(X, start, max_iter=300, tol=1e-6, reg_covar=1e-6)
        l = log_likelihood(X, params)
        p = n_parameters(k, n)
        bic.append(-2 * l + p * np.log(m))
        aic.append(-2 * l + 2 * p)
    return information_criteria(ks, bic, aic, title="Old Faithful: choosing $K$").ax.figure


GALLERY = {
    "gmm_2d_soft": _gallery_gmm_soft,
    "gmm_2d_hard": _gallery_gmm_hard,
    "ellipses_covariance_types": _gallery_covariance_types,
    "em_panels_faithful": _gallery_em_panels,
    "loglik_trace_faithful": _gallery_loglik_trace,
    "information_criteria_faithful": _gallery_information_criteria,
}
