"""Section 1 figures: a 1-D mixture (points, per-label histograms or KDEs, fitted density) and the
log-likelihood surface l(mu_1, mu_2) with its two symmetric maxima."""

from __future__ import annotations

from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib import patheffects
from matplotlib.legend_handler import HandlerTuple
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator
from scipy.ndimage import maximum_filter
from scipy.special import logsumexp

from ..core import as_data, log_normal_pdf
from ..params import GMMParams, mixture_arrays
from ..style import PALETTE, component_style
from ._common import GREY, figure_and_axes, no_address_repr

__all__ = ["mixture_1d", "loglik_surface", "Mixture1DArtists", "LoglikSurfaceArtists"]



def _group_name(label, ordinal_labels: bool) -> str:
    # Labels 0..K-1 are the 0-based component index; the notebooks number components from 1.
    return f"$z = {int(label) + 1}$" if ordinal_labels else f"label {label}"


@dataclass(repr=False)
class Mixture1DArtists:
    """What :func:`mixture_1d` drew.

    Attributes
    ----------
    fig, ax : the Figure and Axes.
    groups : list
        The distinct labels, in drawing order (one group of everything when ``labels`` is None).
    strip : list of PathCollection
        One scatter (rug/strip of the points) per group, below y = 0, marker shape per group.
    density : list
        One artist per group: the histogram's ``BarContainer`` (``kind="hist"``) or the KDE's ``Line2D``.
    mixture : Line2D or None
        The fitted mixture density p(x; Theta) (only when ``params`` was given).
    components : list of Line2D
        The weighted component curves phi_j N(x; mu_j, sigma_j^2), one per component.
    legend : Legend
    """

    fig: plt.Figure
    ax: plt.Axes
    groups: list
    strip: list = field(default_factory=list)
    density: list = field(default_factory=list)
    mixture: Line2D | None = None
    components: list = field(default_factory=list)
    legend: object = None

    _repr_fields = ("groups", "strip", "density", "components")
    __repr__ = no_address_repr


def _check_params_1d(params) -> GMMParams:
    if not isinstance(params, GMMParams):
        # A fitted emlab or scikit-learn GaussianMixture: read it the way every 2-D figure does.
        phi, mu, Sigma = mixture_arrays(params)
        if phi is None:
            raise ValueError("params carries no mixing weights: pass a GMMParams or a fitted GaussianMixture.")
        params = GMMParams(phi=phi, mu=mu, Sigma=Sigma)
    if params.n != 1:
        raise ValueError(f"mixture_1d draws 1-D mixtures, but params has n = {params.n} dimensions.")
    return params


def mixture_1d(x, labels=None, params=None, ax=None, kind="hist", bins=None, title=None):
    """Points of a 1-D sample as a strip, per-label histograms or KDEs, and optionally a fitted mixture.

    Heights are densities of the whole sample: the group of label j is scaled by its share m_j / m,
    so the histograms of all groups together integrate to 1 and line up with the weighted component
    curves phi_j N(x; mu_j, sigma_j^2) of a fitted mixture.

    Parameters
    ----------
    x : array-like of shape (m,) or (m, 1)
        The points.
    labels : array-like of shape (m,), optional
        A label per point (for example the true z). Labels 0..K-1 are shown as z = 1..K.
        Each label gets its own colour AND marker shape (``emlab.style.component_style``).
        None: one grey group.
    params : GMMParams or fitted GaussianMixture, optional
        A 1-D mixture (already fitted; nothing is fitted here): a GMMParams, or a fitted emlab or
        scikit-learn ``GaussianMixture`` (any covariance type). Adds the mixture density
        p(x; Theta) and the weighted components phi_j N(x; mu_j, sigma_j^2).
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    kind : {"hist", "kde"}
        Per-label histograms (``seaborn.histplot``) or kernel density estimates (``seaborn.kdeplot``).
    bins : int, str or sequence, optional
        Histogram bins shared by all groups (numpy's ``histogram_bin_edges`` rules); default 40 equal
        bins over the data range.
    title : str, optional
        Axes title; a default describing the figure when None.

    Returns
    -------
    Mixture1DArtists
        The figure, axes and every artist drawn (see its attributes).
    """
    x = as_data(x)
    if x.shape[1] != 1:
        raise ValueError(f"x must be 1-D data of shape (m,) or (m, 1); got shape {x.shape}.")
    x = x[:, 0]
    m = x.size
    if kind not in ("hist", "kde"):
        raise ValueError(f'kind must be "hist" or "kde"; got {kind!r}.')
    if labels is None:
        labels = np.zeros(m, dtype=int)
        groups, named = [0], False
    else:
        labels = np.asarray(labels)
        if labels.shape != (m,):
            raise ValueError(f"labels must have one entry per point, shape ({m},); got shape {labels.shape}.")
        groups = list(np.unique(labels))
        named = True
    ordinal = named and np.issubdtype(labels.dtype, np.integer) and set(groups) <= set(range(len(groups)))
    if params is not None:
        params = _check_params_1d(params)

    fig, ax = figure_and_axes(ax)
    out = Mixture1DArtists(fig=fig, ax=ax, groups=groups)
    edges = np.histogram_bin_edges(x, bins=40 if bins is None else bins)
    group_handles = []
    styles = []
    for g, label in enumerate(groups):
        xs = x[labels == label]
        st = component_style(g) if named else {"color": GREY, "marker": "o", "linestyle": "-"}
        styles.append(st)
        share = xs.size / m
        if kind == "hist":
            n_before = len(ax.containers)
            sns.histplot(
                x=xs, bins=edges, stat="density", common_norm=False, ax=ax,
                color=st["color"], alpha=0.35, edgecolor=st["color"], linewidth=1.0,
            )  # fmt: skip
            if len(ax.containers) != n_before + 1:  # seaborn changed how it draws bars
                raise RuntimeError("seaborn.histplot did not draw one bar container per group")
            bars = ax.containers[-1]
            # stat="density" normalises each call to area 1; rescale to the group's share m_j / m.
            for patch in bars.patches:
                patch.set_height(patch.get_height() * share)
            out.density.append(bars)
            density_handle = plt.Rectangle((0, 0), 1, 1, facecolor=(*st["color"], 0.35), edgecolor=st["color"])
        else:
            if np.unique(xs).size < 2:
                raise ValueError(
                    f"group {_group_name(label, ordinal) if named else 'data'} has fewer than 2 distinct points, "
                    'so a KDE has no spread to estimate; use kind="hist".'
                )
            n_before = len(ax.lines)
            sns.kdeplot(x=xs, ax=ax, color=st["color"], linewidth=2.5)
            if len(ax.lines) != n_before + 1:
                raise RuntimeError("seaborn.kdeplot did not draw one line per group")
            line = ax.lines[-1]
            xk, yk = np.asarray(line.get_xdata()), np.asarray(line.get_ydata()) * share
            line.set_ydata(yk)
            ax.fill_between(xk, 0.0, yk, color=st["color"], alpha=0.2, linewidth=0)
            out.density.append(line)
            density_handle = line
        # The strip marker is drawn later; its legend handle is made now so each group gets ONE entry
        # showing its marker shape and its histogram/KDE together.
        marker_handle = Line2D([], [], linestyle="none", marker=st["marker"], markersize=9,
                               markerfacecolor=(*st["color"], 0.55), markeredgecolor=st["color"])  # fmt: skip
        what = "histogram" if kind == "hist" else "KDE"
        name = f"{_group_name(label, ordinal)}: points, {what}" if named else f"data: points, {what}"
        group_handles.append(((marker_handle, density_handle), name))

    handles = [h for h, _ in group_handles]
    names = [n for _, n in group_handles]
    if params is not None:
        pad = 3.0 * np.sqrt(params.Sigma[:, 0, 0].max())
        grid = np.linspace(min(x.min(), params.mu.min() - pad), max(x.max(), params.mu.max() + pad), 600)
        # phi_j = 0 gives ln 0 = -inf: that component's curve is exactly 0, as the model says.
        with np.errstate(divide="ignore"):
            log_phi = np.log(params.phi)
        log_parts = np.column_stack(
            [log_phi[j] + log_normal_pdf(grid, params.mu[j], params.Sigma[j]) for j in range(params.k)]
        )
        (out.mixture,) = ax.plot(grid, np.exp(logsumexp(log_parts, axis=1)), color="black", linewidth=2.0,
                                 zorder=4)  # fmt: skip
        handles.append(out.mixture)
        names.append(r"$p(x;\Theta)$ (mixture)")
        for j in range(params.k):
            st = component_style(j)
            # Dashed, with the component's marker along the curve (only where the curve is visibly above 0):
            # identity by shape as well as colour.
            yj = np.exp(log_parts[:, j])
            marks = [int(i) for i in range(8 * j, grid.size, 30) if yj[i] > 0.03 * yj.max()]
            (line,) = ax.plot(
                grid, yj, color=st["color"], linestyle="--", linewidth=2.2,
                marker=st["marker"], markevery=marks, markersize=7, markeredgecolor="black",
                markeredgewidth=0.6, zorder=5,
            )  # fmt: skip
            out.components.append(line)
            handles.append(line)
            names.append(rf"$\phi_{{{j + 1}}}\,\mathcal{{N}}(x;\mu_{{{j + 1}}},\sigma_{{{j + 1}}}^2)$")

    # The strip sits below y = 0, one row per group, so the points never hide the densities.
    ax.relim()
    ax.autoscale_view()
    peak = ax.get_ylim()[1]
    row = 0.07 * peak
    rng = np.random.default_rng(0)  # fixed jitter: the figure is identical on every run
    for g, label in enumerate(groups):
        xs = x[labels == label]
        st = styles[g]
        y = -row * (g + 1) + rng.uniform(-0.25, 0.25, xs.size) * row
        sc = ax.scatter(
            xs, y, marker=st["marker"], s=28, facecolor=(*st["color"], 0.55), edgecolor=st["color"],
            linewidth=0.8, zorder=3,
        )  # fmt: skip
        out.strip.append(sc)
    # Head-room above the curves for the legend, so it never covers the data.
    n_rows = len(handles) if len(handles) <= 3 else -(-len(handles) // 2)
    ax.set_ylim(-row * (len(groups) + 0.8), peak * (1.08 + 0.11 * n_rows))
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_xlabel("$x$")
    ax.set_ylabel("density")
    if title is None:
        what = "histogram" if kind == "hist" else "KDE"
        title = f"{m} points, {what} per label" if named else f"{m} points"
        if params is not None:
            title += f", fitted {params.k}-component mixture"
    ax.set_title(title)
    out.legend = ax.legend(
        handles, names, loc="upper center", ncols=1 if len(handles) <= 3 else 2,
        handler_map={tuple: HandlerTuple(ndivide=None)},
    )  # fmt: skip
    return out


@dataclass(repr=False)
class LoglikSurfaceArtists:
    """What :func:`loglik_surface` drew.

    Attributes
    ----------
    fig, ax : the Figure and Axes.
    mu1, mu2 : ndarray
        The grids (x axis mu_1, y axis mu_2).
    l : ndarray of shape (len(mu2), len(mu1))
        l(mu_1, mu_2) on the grid; ``l[b, a]`` is at (mu1[a], mu2[b]).
    maxima : ndarray of shape (r, 2)
        The grid's strict interior local maxima (mu_1, mu_2), best first (two for the 1-D example).
    contour : QuadContourSet
        The filled contours.
    colorbar : Colorbar
    maxima_markers : list of Line2D
        One marker per maximum.
    diagonal : Line2D
        The line mu_1 = mu_2, the mirror of label switching.
    saddle : ndarray of shape (2,)
        The best point on mu_1 = mu_2 (a saddle of l when the data have two clusters).
    saddle_marker : Line2D
    """

    fig: plt.Figure
    ax: plt.Axes
    mu1: np.ndarray
    mu2: np.ndarray
    l: np.ndarray
    maxima: np.ndarray
    contour: object
    colorbar: object
    maxima_markers: list
    diagonal: Line2D
    saddle: np.ndarray
    saddle_marker: Line2D

    _repr_fields = ("l", "maxima")
    __repr__ = no_address_repr


def _log_normal_1d(x, means, var):
    """ln N(x^(i); mean, var) for every mean of a grid and every point: shape (len(means), m).

    The closed form of the 1-D density, vectorised over the grid (one call instead of one
    ``log_normal_pdf`` per grid value; the test suite checks it against ``log_likelihood``).
    """
    return -0.5 * np.log(2 * np.pi * var) - 0.5 * (x[None, :] - means[:, None]) ** 2 / var


def loglik_surface(x, mu1, mu2, phi=(0.5, 0.5), sigma2=(1.0, 1.0), ax=None, n_levels=25, depth=None):
    """The log-likelihood l(mu_1, mu_2) = sum_i ln sum_j phi_j N(x^(i); mu_j, sigma_j^2) over a grid.

    Only the two means vary; phi and the variances are held fixed. With equal weights and variances the
    surface is symmetric about mu_1 = mu_2: swapping the labels gives the same l, so there are two
    maxima (label switching), and the surface is not concave.

    Parameters
    ----------
    x : array-like of shape (m,) or (m, 1)
    mu1, mu2 : 1-D array-like
        Grid values of mu_1 (x axis) and mu_2 (y axis).
    phi : (float, float), default (0.5, 0.5)
        Fixed mixing weights.
    sigma2 : (float, float), default (1.0, 1.0)
        Fixed variances sigma_1^2, sigma_2^2.
    ax : matplotlib Axes, optional
    n_levels : int, default 25
        Number of filled contour levels.
    depth : float, optional
        Contours cover [max l - depth, max l]; lower values share the darkest colour. Default:
        1.25 times the drop from the maximum to the best point on mu_1 = mu_2, so the saddle shows.

    Returns
    -------
    LoglikSurfaceArtists
    """
    x = as_data(x)
    if x.shape[1] != 1:
        raise ValueError(f"x must be 1-D data of shape (m,) or (m, 1); got shape {x.shape}.")
    mu1 = np.asarray(mu1, dtype=float)
    mu2 = np.asarray(mu2, dtype=float)
    for name, g in (("mu1", mu1), ("mu2", mu2)):
        if g.ndim != 1 or g.size < 3 or not np.all(np.isfinite(g)):
            raise ValueError(f"{name} must be a 1-D grid of at least 3 finite values; got shape {g.shape}.")
    phi = np.asarray(phi, dtype=float)
    sigma2 = np.asarray(sigma2, dtype=float)
    # Validates phi (simplex) and sigma2 (> 0) with the same messages as everywhere else.
    GMMParams(phi=phi, mu=[0.0, 0.0], Sigma=sigma2)
    if phi.shape != (2,):
        raise ValueError(f"phi must hold two weights (phi_1, phi_2); got shape {phi.shape}.")

    # ln phi_j + ln N(x^(i); mu, sigma_j^2) for every grid value: (grid, m) per component.
    with np.errstate(divide="ignore"):
        log_phi = np.log(phi)
    xv = x[:, 0]
    a = _log_normal_1d(xv, mu1, sigma2[0]) + log_phi[0]
    b = _log_normal_1d(xv, mu2, sigma2[1]) + log_phi[1]
    # l[b_idx, a_idx] = sum_i logaddexp(a[a_idx, i], b[b_idx, i]); row by row keeps memory at (len(mu1), m).
    L = np.array([np.logaddexp(a, b_row).sum(axis=1) for b_row in b])

    interior = np.zeros_like(L, dtype=bool)
    interior[1:-1, 1:-1] = True
    is_max = (L == maximum_filter(L, size=3, mode="nearest")) & interior
    idx = np.argwhere(is_max)
    order = np.argsort(-L[is_max], kind="stable")
    maxima = np.column_stack([mu1[idx[order, 1]], mu2[idx[order, 0]]])

    fig, ax = figure_and_axes(ax, figsize=(8.0, 6.5))
    top = L.max()
    # The best point with mu_1 = mu_2 (one component in effect): for two-cluster data, a saddle between
    # the two maxima, the clearest sign that l is not concave.
    lo = max(mu1.min(), mu2.min())
    hi = min(mu1.max(), mu2.max())
    on_diag = np.linspace(lo, hi, 201) if hi > lo else np.array([lo])
    l_diag = np.logaddexp(
        _log_normal_1d(xv, on_diag, sigma2[0]) + log_phi[0], _log_normal_1d(xv, on_diag, sigma2[1]) + log_phi[1]
    ).sum(axis=1)
    i_s = int(np.argmax(l_diag))
    saddle = np.array([on_diag[i_s], on_diag[i_s]])
    if depth is None:
        # Deep enough to show the saddle as a pass between the two hills.
        depth = 1.25 * float(top - l_diag[i_s])
    depth = max(depth, 1e-9)
    levels = np.linspace(top - depth, top, n_levels)
    cs = ax.contourf(mu1, mu2, np.maximum(L, top - depth), levels=levels, cmap="viridis")
    cb = fig.colorbar(cs, ax=ax)
    # Round ticks (-500, -1000, ...) instead of the contour levels, which fall on odd numbers.
    cb.locator = MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10])
    cb.update_ticks()
    cb.set_label(r"$\ell(\mu_1,\mu_2)$")
    # Black dashes on a white halo: visible on the dark and the bright end of viridis, and in the
    # (light) legend, which copies the halo.
    (diag,) = ax.plot([lo, hi], [lo, hi], color="black", linestyle="--", linewidth=1.8,
                      path_effects=[patheffects.withStroke(linewidth=4.0, foreground="white")],
                      label=r"$\mu_1=\mu_2$ (mirror line)")  # fmt: skip
    markers = []
    shapes = ["*", "P", "X", "D"]
    for r, (u, v) in enumerate(maxima):
        (mk,) = ax.plot(
            u, v, linestyle="none", marker=shapes[r % len(shapes)], markersize=20 if r == 0 else 15,
            markerfacecolor=PALETTE[1 + r % 2], markeredgecolor="black", markeredgewidth=1.2,
            label=rf"maximum: $\mu_1={u:.2f},\ \mu_2={v:.2f}$",
        )  # fmt: skip
        markers.append(mk)
    is_saddle = len(maxima) >= 2 and l_diag[i_s] < L[is_max].min()
    (saddle_mk,) = ax.plot(
        *saddle, linestyle="none", marker="X", markersize=14, markerfacecolor="white", markeredgecolor="black",
        label=r"saddle on $\mu_1=\mu_2$" if is_saddle else r"best point on $\mu_1=\mu_2$",
    )  # fmt: skip
    ax.set_xlabel(r"$\mu_1$")
    ax.set_ylabel(r"$\mu_2$")
    ax.set_title(r"$\ell(\mu_1,\mu_2)$: two symmetric maxima (label switching)")
    ax.set_aspect("equal", adjustable="box")
    ax.grid(False)
    ax.legend(loc="upper right", fontsize=11)
    return LoglikSurfaceArtists(
        fig=fig, ax=ax, mu1=mu1, mu2=mu2, l=L, maxima=maxima, contour=cs, colorbar=cb,
        maxima_markers=markers, diagonal=diag, saddle=saddle, saddle_marker=saddle_mk,
    )  # fmt: skip
