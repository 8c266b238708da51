"""Two-dimensional Gaussian-mixture figures: points coloured by responsibility, probability ellipses.

Every function takes ``ax=None`` (a new figure is made when it is None), returns the artists it drew, and
never fits a model: parameters come in as :class:`~emlab.params.GMMParams` or as a fitted emlab/scikit-learn
``GaussianMixture`` (``means_``, ``covariances_``, ``covariance_type``), and responsibilities are computed
with :func:`emlab.e_step` when they are not given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Ellipse

from ..core import as_data, e_step
from ..params import GMMParams, mixture_arrays
from ..style import component_style
from ._common import GREY, MEAN_MARKER, ArtistsRecord, component_label, ellipse_geometry, legend_handles

__all__ = ["GMM2DArtists", "EllipseArtists", "gmm_2d", "ellipses"]


def _check_mass(mass: float) -> float:
    if not (np.isscalar(mass) and 0.0 < float(mass) < 1.0):
        raise ValueError(f"mass must be a probability strictly between 0 and 1 (e.g. 0.95); got {mass!r}.")
    return float(mass)


def _check_2d(mu: np.ndarray) -> None:
    if mu.shape[1] != 2:
        raise ValueError(
            f"these figures draw 2-D data, but the parameters have n = {mu.shape[1]} features; "
            "select two columns (and the matching rows/columns of the covariances) first."
        )


def _colors(k: int) -> np.ndarray:
    return np.array([component_style(j)["color"] for j in range(k)], dtype=float)


# ----------------------------------------------------------------------------------------------------------
# Ellipses
# ----------------------------------------------------------------------------------------------------------
@dataclass(repr=False)
class EllipseArtists(ArtistsRecord):
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
            w, h, a = ellipse_geometry(covariances[j], self.mass)
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
        w, h, a = ellipse_geometry(Sigma[j], mass)
        e = Ellipse(xy=mu[j], width=w, height=h, angle=a, facecolor=(*style["color"], fill_alpha),
                    edgecolor=style["color"], linewidth=2.5, linestyle=style["linestyle"], zorder=3)
        ax.add_patch(e)
        patches.append(e)
        if mark_means:
            (line,) = ax.plot([mu[j, 0]], [mu[j, 1]], linestyle="none", marker=MEAN_MARKER, markersize=15,
                              markerfacecolor=style["color"], markeredgecolor="black", markeredgewidth=1.5,
                              zorder=5)
            marks.append(line)
    ax.autoscale_view()
    return EllipseArtists(ax=ax, ellipses=patches, means=marks, mass=mass)


# ----------------------------------------------------------------------------------------------------------
# Points + ellipses
# ----------------------------------------------------------------------------------------------------------
@dataclass(repr=False)
class GMM2DArtists(ArtistsRecord):
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
                texts[j].set_text(component_label(j, phi, self.math_labels))


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
        points.append(ax.scatter(X[:, 0], X[:, 1], s=point_size, color=GREY, marker="o", alpha=0.8,
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
        handles = legend_handles(k if W is not None or mu is not None else None, phi, mu is not None)
        if W is None and mu is None:
            handles = [points[0]]
        leg = ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    return GMM2DArtists(ax=ax, points=points, ellipses=ell.ellipses if ell else [],
                        means=ell.means if ell else [], legend=leg, X=X, W=W, soft=soft, mass=mass,
                        _ellipse_artists=ell)
