"""Section 2 figures: Jensen's inequality for any convex or concave f and any discrete distribution,
as a static figure and as an ipywidgets explorer (with a static fallback when there is no frontend)."""

from __future__ import annotations

from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon
from scipy.spatial import ConvexHull, QhullError

from ..style import PALETTE
from .density import _axes, _no_address_repr

__all__ = ["jensen", "jensen_widget", "JensenArtists", "JensenWidget", "JensenStatic", "GALLERY"]

_SIMPLEX_TOL = 1e-8
# mathtext names of the functions the course uses; anything else is called f.
_KNOWN_NAMES = {np.log: r"\ln", np.exp: r"\exp"}


@dataclass(repr=False)
class JensenArtists:
    """What :func:`jensen` drew, and the numbers it drew.

    Attributes
    ----------
    fig, ax : the Figure and Axes.
    x, p : ndarray
        The support points x_i and their probabilities p_i.
    Ex : float
        E[x] = sum_i p_i x_i.
    f_Ex : float
        f(E[x]).
    E_fx : float
        E[f(x)] = sum_i p_i f(x_i).
    gap : float
        E[f(x)] - f(E[x]): >= 0 for convex f, <= 0 for concave f (ln: the gap ln E[x] - E[ln x] is -gap).
    shape : str
        "concave", "convex", "linear" or "neither": f's curvature on the plotted range
        (from second differences of f on the plotting grid).
    curve : Line2D
        y = f(x) over the plotted range.
    points : Line2D
        The points (x_i, f(x_i)) (markers only).
    chord : Line2D or None
        For two points: the chord from (x_1, f(x_1)) to (x_2, f(x_2)). None otherwise.
    hull : Polygon or None
        For three or more points: the convex hull of the (x_i, f(x_i)); (E[x], E[f(x)]) lies inside it.
    mean_line : Line2D
        The vertical line x = E[x].
    f_of_mean : Line2D
        Marker at (E[x], f(E[x])), on the curve.
    mean_of_f : Line2D
        Marker at (E[x], E[f(x)]), on the chord (inside the hull).
    gap_arrow : Annotation or None
        Double-headed arrow between the two markers (None when the gap is 0 to round-off).
    gap_text : Text
        The gap's value.
    legend : Legend
    """

    fig: plt.Figure
    ax: plt.Axes
    x: np.ndarray
    p: np.ndarray
    Ex: float
    f_Ex: float
    E_fx: float
    gap: float
    shape: str
    curve: Line2D
    points: Line2D
    chord: Line2D | None
    hull: Polygon | None
    mean_line: Line2D
    f_of_mean: Line2D
    mean_of_f: Line2D
    gap_arrow: object
    gap_text: object
    legend: object

    _repr_fields = ("Ex", "f_Ex", "E_fx", "gap", "shape")
    __repr__ = _no_address_repr


def _function_name(f, f_label):
    if f_label is not None:
        return f_label
    for known, name in _KNOWN_NAMES.items():
        if f is known:
            return name
    return "f"


def _apply(name: str, arg: str) -> str:
    # \ln x and \ln E[x] read as in the notebooks; a generic f gets parentheses: f(x), f(E[x]).
    return rf"{name} {arg}" if name.startswith("\\") else rf"{name}({arg})"


def _check_distribution(x, p):
    x = np.atleast_1d(np.asarray(x, dtype=float))
    p = np.atleast_1d(np.asarray(p, dtype=float))
    if x.ndim != 1 or x.size == 0:
        raise ValueError(f"x must be a non-empty 1-D sequence of support points; got shape {x.shape}.")
    if p.shape != x.shape:
        raise ValueError(f"p must give one probability per point: x has shape {x.shape}, p has shape {p.shape}.")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(p))):
        raise ValueError("x and p must be finite numbers.")
    if np.any(p < 0):
        raise ValueError(f"p must be non-negative (it is a probability distribution); got min p = {p.min():.3g}.")
    if abs(p.sum() - 1.0) > _SIMPLEX_TOL:
        raise ValueError(f"p must sum to 1; got sum = {p.sum():.12g}. Divide p by its sum.")
    return x, p


def _evaluate(f, values, what):
    with np.errstate(all="ignore"):
        y = np.asarray(f(values), dtype=float)
    if y.shape != values.shape:
        raise ValueError(
            f"f must act elementwise on a numpy array (like np.log); f({what}) returned shape {y.shape} "
            f"for input shape {values.shape}."
        )
    if not np.all(np.isfinite(y)):
        bad = values[~np.isfinite(y)][0]
        raise ValueError(
            f"f is not finite at {what} = {bad:.4g}; keep the points and xlim inside f's domain "
            "(for np.log: x > 0)."
        )
    return y


def _curvature(y) -> str:
    d2 = np.diff(y, 2)
    tol = 1e-10 * max(1.0, float(np.abs(y).max()))
    concave, convex = bool(np.all(d2 <= tol)), bool(np.all(d2 >= -tol))
    if concave and convex:
        return "linear"
    return "concave" if concave else "convex" if convex else "neither"


def jensen(f=np.log, x=(1.0, 4.0), p=(0.5, 0.5), ax=None, xlim=(0.1, 5), f_label=None, title=None):
    """Jensen's inequality, drawn: f, the points, the chord (or hull), E[x], f(E[x]) against E[f(x)].

    For concave f, f(E[x]) >= E[f(x)]; for convex f the inequality reverses. With strictly
    concave/convex f the two are equal only when x is constant with probability 1.

    Parameters
    ----------
    f : callable, default np.log
        Acts elementwise on numpy arrays; finite on ``xlim`` and at the points.
    x : sequence of float, default (1.0, 4.0)
        Support points x_i of the discrete distribution (any number >= 1).
    p : sequence of float, default (0.5, 0.5)
        Their probabilities p_i (non-negative, summing to 1; zeros allowed).
    ax : matplotlib Axes, optional
        Where to draw; a new figure when None.
    xlim : (float, float), default (0.1, 5)
        Range of the curve; widened to include every point.
    f_label : str, optional
        mathtext name of f (for example ``r"\\sqrt"`` or ``"g"``); ``\\ln`` for np.log, ``\\exp``
        for np.exp, ``f`` otherwise.
    title : str, optional
        Axes title; by default it states the inequality for f's curvature.

    Returns
    -------
    JensenArtists
        Artists and the numbers E[x], f(E[x]), E[f(x)] and the gap E[f(x)] - f(E[x]).
    """
    if not callable(f):
        raise ValueError(f"f must be a function such as np.log; got {type(f).__name__}.")
    x, p = _check_distribution(x, p)
    lo, hi = (float(v) for v in xlim)
    if not hi > lo:
        raise ValueError(f"xlim must be (low, high) with low < high; got {xlim!r}.")
    span = max(hi - lo, float(np.ptp(x)))
    lo = min(lo, float(x.min()) - 0.05 * span)
    hi = max(hi, float(x.max()) + 0.05 * span)
    grid = np.linspace(lo, hi, 500)
    y = _evaluate(f, grid, "x")
    fx = _evaluate(f, x, "x_i")
    Ex = float(p @ x)
    f_Ex = float(_evaluate(f, np.array([Ex]), "E[x]")[0])
    E_fx = float(p @ fx)
    gap = E_fx - f_Ex
    shape = _curvature(y)
    name = _function_name(f, f_label)
    F = lambda a: _apply(name, a)  # noqa: E731
    E = r"\mathbb{E}"

    fig, ax = _axes(ax)
    (curve,) = ax.plot(grid, y, color="black", linewidth=2.5, label=f"${F('x')}$", zorder=2)
    (points,) = ax.plot(
        x, fx, linestyle="none", marker="o", markersize=11, color=PALETTE[0], markeredgecolor="black",
        label=f"$(x_i, {F('x_i')})$", zorder=5,
    )  # fmt: skip
    chord = hull = None
    if x.size == 2:
        (chord,) = ax.plot(x, fx, color=PALETTE[0], linestyle="--", linewidth=2.0, label="chord", zorder=3)
    elif x.size > 2:
        pts = np.column_stack([x, fx])
        try:
            verts = pts[ConvexHull(pts).vertices]
        except QhullError:  # all points on a line (linear f, or repeated points): the hull is a segment
            order = np.argsort(x)
            verts = pts[[order[0], order[-1]]]
        hull = Polygon(verts, closed=True, facecolor=(*PALETTE[0], 0.15), edgecolor=PALETTE[0],
                       linestyle="--", linewidth=1.5, label="convex hull of the points", zorder=1)  # fmt: skip
        ax.add_patch(hull)
    if x.size <= 6:
        # Each point's probability next to it (the weights are what the widget changes), on the side of
        # the curve away from the chord and the gap label: above-left for concave f, below-right otherwise.
        up = shape == "concave"
        for xi, yi, pi in zip(x, fx, p, strict=True):
            ax.annotate(f"$p={pi:.2f}$", (xi, yi), xytext=(-10, 10) if up else (10, -10),
                        textcoords="offset points", ha="right" if up else "left", va="bottom" if up else "top",
                        fontsize=12, color=PALETTE[0])  # fmt: skip
    mean_line = ax.axvline(Ex, color="0.35", linestyle=":", linewidth=1.8, label=f"${E}[x] = {Ex:.3f}$", zorder=1)
    (f_of_mean,) = ax.plot(
        Ex, f_Ex, linestyle="none", marker="s", markersize=12, color=PALETTE[2], markeredgecolor="black",
        label=f"${F(E + '[x]')} = {f_Ex:.3f}$", zorder=6,
    )  # fmt: skip
    (mean_of_f,) = ax.plot(
        Ex, E_fx, linestyle="none", marker="D", markersize=11, color=PALETTE[3], markeredgecolor="black",
        label=f"${E}[{F('x')}] = {E_fx:.3f}$", zorder=6,
    )  # fmt: skip
    # Dotted guides from the y axis, so both values can be read off the scale.
    for yy in (f_Ex, E_fx):
        ax.plot([lo, Ex], [yy, yy], color="0.5", linestyle=":", linewidth=1.2, zorder=1)

    dx = 0.025 * (hi - lo)
    gap_arrow = None
    if abs(gap) > 1e-12 * max(1.0, abs(f_Ex)):
        gap_arrow = ax.annotate(
            "", xy=(Ex + dx, E_fx), xytext=(Ex + dx, f_Ex),
            arrowprops={"arrowstyle": "<->", "color": PALETTE[5], "linewidth": 2.0, "shrinkA": 0, "shrinkB": 0},
        )  # fmt: skip
    # Name the larger side first, so the printed gap is >= 0 for concave and convex f alike.
    f_of_E, E_of_f = F(E + "[x]"), E + f"[{F('x')}]"
    larger, smaller = (f_of_E, E_of_f) if gap <= 0 else (E_of_f, f_of_E)
    # Put the label on the chord's side of E[f(x)], away from the curve: below for concave f, above for convex.
    below = gap <= 0
    gap_text = ax.annotate(
        f"gap $= {larger} - {smaller}$\n$= {abs(gap):.3f}$", xy=(Ex + dx, E_fx),
        xytext=(12, -18 if below else 18), textcoords="offset points",
        va="top" if below else "bottom", ha="left", fontsize=13, color="black",
        bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": PALETTE[5], "alpha": 0.9},
    )  # fmt: skip

    ax.set_xlim(lo, hi)
    ax.set_xlabel("$x$")
    ax.set_ylabel(f"${F('x')}$")
    if title is None:
        if shape == "concave":
            title = f"${F('x')}$ is concave: ${F(E + '[x]')} \\geq {E}[{F('x')}]$"
        elif shape == "convex":
            title = f"${F('x')}$ is convex: ${F(E + '[x]')} \\leq {E}[{F('x')}]$"
        elif shape == "linear":
            title = f"${F('x')}$ is linear: ${F(E + '[x]')} = {E}[{F('x')}]$"
        else:
            title = f"${F('x')}$ is neither convex nor concave here: no Jensen guarantee"
    ax.set_title(title)
    legend = ax.legend(loc="lower right" if shape == "concave" else "upper left", fontsize=12)
    return JensenArtists(
        fig=fig, ax=ax, x=x, p=p, Ex=Ex, f_Ex=f_Ex, E_fx=E_fx, gap=gap, shape=shape, curve=curve,
        points=points, chord=chord, hull=hull, mean_line=mean_line, f_of_mean=f_of_mean, mean_of_f=mean_of_f,
        gap_arrow=gap_arrow, gap_text=gap_text, legend=legend,
    )  # fmt: skip


@dataclass(repr=False)
class JensenStatic:
    """The static fallback of :func:`jensen_widget`: a few settings side by side.

    Attributes
    ----------
    fig : Figure
    panels : list of JensenArtists
        One per setting, left to right.
    """

    fig: plt.Figure
    panels: list = field(default_factory=list)

    _repr_fields = ("panels",)
    __repr__ = _no_address_repr


@dataclass(repr=False)
class JensenWidget:
    """The interactive explorer made by :func:`jensen_widget` (already displayed).

    Attributes
    ----------
    widget : ipywidgets.VBox
        Sliders on top, the figure below.
    sliders : dict
        ``"x1"``, ``"x2"``, ``"p"`` (the probability of x_1) FloatSliders.
    fig, ax : the Figure and Axes redrawn on every change.
    artists : JensenArtists
        What the latest redraw drew.
    """

    widget: object
    sliders: dict
    fig: plt.Figure
    ax: plt.Axes
    artists: JensenArtists | None = None

    def __repr__(self) -> str:  # no object addresses: notebooks stay reproducible
        a = self.artists
        return f"JensenWidget(x=({a.x[0]:.2f}, {a.x[1]:.2f}), p={a.p[0]:.2f}, gap={a.gap:.3f})"


def _frontend_available() -> bool:
    """True inside a Jupyter kernel with ipywidgets importable (a frontend may render widgets)."""
    try:
        import ipywidgets  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _static_settings(x, p0):
    x1, x2 = x
    return [
        ((x1, x2), (p0, 1 - p0)),
        ((x1, x2), (0.9, 0.1)),
        ((x1, x1 + (x2 - x1) / 3), (p0, 1 - p0)),
    ]


def jensen_static(f=np.log, x=(1.0, 4.0), p0=0.5, xlim=(0.1, 5), f_label=None):
    """Three settings of :func:`jensen` side by side: the given one, a lopsided weight, closer points.

    Returns
    -------
    JensenStatic
    """
    settings = _static_settings(x, p0)
    fig, axes = plt.subplots(1, len(settings), figsize=(18, 6), sharey=True)
    out = JensenStatic(fig=fig)
    for i, (ax, (xs, ps)) in enumerate(zip(axes, settings, strict=True)):
        art = jensen(f, xs, ps, ax=ax, xlim=xlim, f_label=f_label,
                     title=f"$x=({xs[0]:.2f}, {xs[1]:.2f})$, $p_1={ps[0]:.2f}$")  # fmt: skip
        if i > 0:
            art.legend.remove()
            art.legend = None
            ax.set_ylabel("")
        out.panels.append(art)
    fig.suptitle("Jensen's gap shrinks as the distribution concentrates (points closer, or weight on one)")
    return out


def jensen_widget(f=np.log, x=(1.0, 4.0), p0=0.5, xlim=(0.1, 5), f_label=None, interactive=None):
    """Explore Jensen's gap with sliders for x_1, x_2 and p_1 = P(x = x_1).

    In a Jupyter kernel with ipywidgets, displays sliders above a figure that is redrawn on every
    change (end the call with ``;``; tag the cell ``nbval-ignore-output``). Without ipywidgets or a
    kernel (a script, a test, nbconvert to HTML), draws the static fallback :func:`jensen_static`: three
    settings side by side, so a printed handout still shows the idea.

    Parameters
    ----------
    f : callable, default np.log
    x : (float, float), default (1.0, 4.0)
        Initial points x_1, x_2.
    p0 : float, default 0.5
        Initial probability of x_1.
    xlim : (float, float), default (0.1, 5)
        Range of the curve and of the x sliders.
    f_label : str, optional
        mathtext name of f (see :func:`jensen`).
    interactive : bool, optional
        Force the widget (True) or the static figure (False); None chooses by the environment.

    Returns
    -------
    JensenWidget or JensenStatic
    """
    x = tuple(float(v) for v in np.atleast_1d(np.asarray(x, dtype=float)))
    if len(x) != 2:
        raise ValueError(f"jensen_widget explores two points x_1, x_2; got {len(x)} points. Use jensen() for more.")
    if not 0.0 <= p0 <= 1.0:
        raise ValueError(f"p0 is the probability of x_1 and must lie in [0, 1]; got {p0!r}.")
    if interactive is None:
        interactive = _frontend_available()
    if not interactive:
        return jensen_static(f, x, p0, xlim=xlim, f_label=f_label)

    import ipywidgets as widgets
    from IPython.display import clear_output, display

    lo, hi = (float(v) for v in xlim)
    if not hi > lo:
        raise ValueError(f"xlim must be (low, high) with low < high; got {xlim!r}.")
    if not all(lo <= v <= hi for v in x):
        raise ValueError(f"the points {x} must lie inside xlim = {xlim!r} (the sliders' range); widen xlim.")
    step = 10.0 ** np.floor(np.log10((hi - lo) / 50))  # a round step: 0.01 for the default range
    # Redraw when the slider is released: one redraw costs one PNG render of the figure (~0.1-0.2 s
    # here), so redrawing on every pixel of a drag would queue up and lag on a slow Binder machine.
    common = {"continuous_update": False, "readout_format": ".2f"}
    sliders = {
        "x1": widgets.FloatSlider(value=x[0], min=lo, max=hi, step=step, description="$x_1$", **common),
        "x2": widgets.FloatSlider(value=x[1], min=lo, max=hi, step=step, description="$x_2$", **common),
        "p": widgets.FloatSlider(value=p0, min=0.0, max=1.0, step=0.01, description="$p_1$", **common),
    }
    out = widgets.Output()
    # Draw off-screen; the Output widget shows the one figure, so it is not displayed twice.
    with plt.ioff():
        fig, ax = plt.subplots()
    state = JensenWidget(
        widget=widgets.VBox([widgets.HBox(list(sliders.values())), out]), sliders=sliders, fig=fig, ax=ax
    )

    def redraw(_change=None):
        ax.clear()
        p1 = sliders["p"].value
        state.artists = jensen(f, (sliders["x1"].value, sliders["x2"].value), (p1, 1.0 - p1), ax=ax,
                               xlim=xlim, f_label=f_label)  # fmt: skip
        with out:
            clear_output(wait=True)
            display(fig)

    for s in sliders.values():
        s.observe(redraw, names="value")
    redraw()
    display(state.widget)
    return state


def _gallery_jensen_log():
    return jensen().fig


def _gallery_jensen_convex_many():
    return jensen(np.exp, x=(-1.0, 0.0, 0.7, 1.5), p=(0.2, 0.3, 0.3, 0.2), xlim=(-1.5, 2.0)).fig


def _gallery_jensen_static():
    return jensen_static().fig


GALLERY = {
    "jensen_log": _gallery_jensen_log,
    "jensen_convex_many": _gallery_jensen_convex_many,
    "jensen_widget_static": _gallery_jensen_static,
}
