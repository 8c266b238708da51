"""Section 2 figures: Jensen's inequality for any convex or concave f and any discrete distribution,
as a static figure and as an ipywidgets explorer (with a static fallback when there is no frontend)."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon
from matplotlib.transforms import ScaledTranslation
from scipy.spatial import ConvexHull, QhullError

from ..params import SIMPLEX_TOL
from ..style import PALETTE
from ._common import (
    SLIDE_DPI,
    SLIDE_FIGSIZE,
    check_layout,
    figure_and_axes,
    no_address_repr,
    with_layout,
)
from ._live import available as live_available
from ._live import canvas_axes, live_view, marker_polygon, png_of_canvas
from ._live import dashes_px as _dashes_px

__all__ = ["jensen", "jensen_static", "jensen_widget", "JensenArtists", "JensenWidget", "JensenStatic"]

# The gap bracket sits this far (points) right of x = E[x], clear of the markers; a gap drawn shorter
# than _MIN_GAP_PT gets two outside arrows pointing at it, so it is visible however small it is.
_BRACKET_OFFSET_PT = 13.0
_MIN_GAP_PT = 12.0
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
        The gap bracket: a vertical bar from f(E[x]) to E[f(x)] with end ticks, just right of the
        markers (None when the gap is 0 to round-off).
    gap_text : Text
        The gap's value.
    legend : Legend
    gap_pointers : list of Annotation
        Two arrows pointing at the bracket's ends from outside, drawn only when the gap is too
        small on screen for the bracket alone to be seen.
    p_labels : list of Text
        The labels p = p_i next to the points (only for at most 6 points), each placed where it
        overlaps nothing else that was drawn.
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
    gap_pointers: list = field(default_factory=list)
    p_labels: list = field(default_factory=list)
    guides: list = field(default_factory=list)
    _f: object = None
    _name: str = "f"

    _repr_fields = ("Ex", "f_Ex", "E_fx", "gap", "shape")
    __repr__ = no_address_repr

    @property
    def dynamic(self) -> list:
        """The artists :meth:`update` changes (for blitting: everything else stays as drawn)."""
        parts = [self.points, self.chord, self.hull, self.mean_line, self.f_of_mean, self.mean_of_f, *self.guides,
                 self.gap_arrow, *self.gap_pointers, self.gap_text, *self.p_labels, self.legend]
        return [a for a in parts if a is not None]

    def update(self, x, p, math: bool = True) -> None:
        """Move everything to a new distribution (same number of points) in place: the fast path of the
        live widget, which redraws while a slider is dragged.

        The curve, the axes and the title stay; points, chord or hull, E[x], both values, their guides and
        legend entries, the gap bracket and the p labels move. Each p label keeps the side of its point that
        the first drawing chose (placing labels anew costs more than a frame may). ``math=False`` writes
        the changing values in plain text: mathtext is parsed anew for every new string (~10 ms each), too
        slow for labels that change on every frame of a drag.
        """
        x, p = _check_distribution(x, p)
        if x.shape != self.x.shape:
            raise ValueError(f"update keeps the number of points ({self.x.size}); got {x.size}. Draw anew instead.")
        fx, Ex, f_Ex, E_fx = _jensen_values(self._f, x, p)
        self.points.set_data(x, fx)
        if self.chord is not None:
            self.chord.set_data(x, fx)
        if self.hull is not None:
            self.hull.set_xy(_hull_vertices(x, fx))
        self.mean_line.set_xdata([Ex, Ex])
        self.f_of_mean.set_data([Ex], [f_Ex])
        self.mean_of_f.set_data([Ex], [E_fx])
        for line, yy in zip(self.guides, (f_Ex, E_fx), strict=True):
            line.set_data([line.get_xdata()[0], Ex], [yy, yy])
        labels = _value_labels(self._name, Ex, f_Ex, E_fx, math)
        texts = {t.get_text(): t for t in self.legend.get_texts()} if self.legend is not None else {}
        for artist, label in zip((self.mean_line, self.f_of_mean, self.mean_of_f), labels, strict=True):
            if artist.get_label() in texts:
                texts[artist.get_label()].set_text(label)
            artist.set_label(label)
        for a in (self.gap_arrow, *self.gap_pointers, self.gap_text):
            if a is not None:
                a.remove()
        self.gap_arrow, self.gap_pointers, self.gap_text = _draw_gap(self.ax, self._name, Ex, f_Ex, E_fx, math)
        for label, xi, fxi, pi in zip(self.p_labels, x, fx, p, strict=False):
            label.xy = (xi, fxi)
            label.set_text(f"$p={pi:.2f}$" if math else f"p = {pi:.2f}")
        self.x, self.p, self.Ex, self.f_Ex, self.E_fx, self.gap = x, p, Ex, f_Ex, E_fx, E_fx - f_Ex


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
    if abs(p.sum() - 1.0) > SIMPLEX_TOL:
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


# Label positions around a point, (dx, dy) in points with the alignment that keeps the text on that side.
_AROUND = {
    "up-left": (-9, 9, "right", "bottom"), "up-right": (9, 9, "left", "bottom"),
    "down-right": (9, -9, "left", "top"), "down-left": (-9, -9, "right", "top"),
    "up": (0, 13, "center", "bottom"), "down": (0, -13, "center", "top"),
    "right": (13, 0, "left", "center"), "left": (-13, 0, "right", "center"),
}  # fmt: skip


def _obstacles(ax, skip=()):
    """Display coordinates of what is drawn on ``ax`` (lines densified, markers, hull edges), and the
    boxes of texts and the legend, for placing labels where they cover nothing."""
    points, weights = [], []
    for artist in [*ax.lines, *ax.patches]:
        if artist in skip or not artist.get_visible():
            continue
        if isinstance(artist, Line2D):
            verts = np.asarray(artist.get_xydata(), dtype=float)
            drawn_line = artist.get_linestyle() not in ("None", "none", "", " ")
        else:
            verts = np.asarray(artist.get_path().vertices, dtype=float)
            drawn_line = True
        pts = artist.get_transform().transform(verts)
        if drawn_line and len(pts) > 1:
            # one sample every ~2 pixels along each segment, so every line counts by the length it covers
            pieces = []
            for a, b in zip(pts[:-1], pts[1:], strict=True):
                n = int(min(np.hypot(*(b - a)) / 2.0, 2000)) + 2
                pieces.append(a + np.linspace(0.0, 1.0, n)[:, None] * (b - a))
            pts = np.concatenate(pieces)
        points.append(pts)
        # A marker covers a disc: weight it so a label never sits on a point. Lines count by their width
        # (text over a thin dotted guide stays more readable than over the curve or a dashed chord).
        weight = 100.0 if not drawn_line else max(1.0, artist.get_linewidth())
        weights.append(np.full(len(pts), weight))
    pts = np.concatenate(points) if points else np.empty((0, 2))
    w = np.concatenate(weights) if weights else np.empty(0)
    return pts, w


def _place_labels(ax, anchors, texts, order, style, extra_boxes=()):
    """Annotate each anchor with its text at the first position in ``order`` that stays inside the axes
    and covers the fewest drawn points (curve, chord, guides, markers, other labels, legend)."""
    fig = ax.figure
    pad = 3.0 * fig.dpi / 72
    ax_box = ax.get_window_extent()
    pts, w = _obstacles(ax)
    boxes = [b for b in extra_boxes if b is not None]
    placed = []
    for (xi, yi), text in zip(anchors, texts, strict=True):
        best = None
        for rank, where in enumerate(order):
            dx, dy, ha, va = _AROUND[where]
            t = ax.annotate(text, (xi, yi), xytext=(dx, dy), textcoords="offset points", ha=ha, va=va, **style)
            bb = t.get_window_extent()
            x0, y0, x1, y1 = bb.x0 - pad, bb.y0 - pad, bb.x1 + pad, bb.y1 + pad
            inside = (pts[:, 0] >= x0) & (pts[:, 0] <= x1) & (pts[:, 1] >= y0) & (pts[:, 1] <= y1)
            score = float(w[inside].sum()) + 50.0 * sum(bb.overlaps(b) for b in boxes)
            if not (bb.x0 >= ax_box.x0 and bb.x1 <= ax_box.x1 and bb.y0 >= ax_box.y0 and bb.y1 <= ax_box.y1):
                score += 1000.0
            if best is None or (score, rank) < best[:2]:
                if best is not None:
                    best[2].remove()
                best = (score, rank, t)
            else:
                t.remove()
            if score == 0:  # the most preferred free spot: take it
                break
        boxes.append(best[2].get_window_extent())
        placed.append(best[2])
    return placed


def _points_per_data_y(ax) -> float:
    """Screen points per unit of y data, at the axes' current size and limits."""
    y0, y1 = ax.get_ylim()
    return ax.get_window_extent().height * 72.0 / ax.figure.dpi / abs(y1 - y0)


_E = r"\mathbb{E}"


def _jensen_values(f, x, p):
    """f(x_i), E[x], f(E[x]) and E[f(x)] of the distribution (checked finite)."""
    fx = _evaluate(f, x, "x_i")
    Ex = float(p @ x)
    f_Ex = float(_evaluate(f, np.array([Ex]), "E[x]")[0])
    return fx, Ex, f_Ex, float(p @ fx)


def _value_labels(name, Ex, f_Ex, E_fx, math=True):
    """Legend labels of x = E[x], f(E[x]) and E[f(x)], with their values (plain text for ``math=False``)."""
    if not math:
        F = lambda a: _apply(name, a).replace("\\", "")  # noqa: E731  (\ln x -> ln x)
        return f"E[x] = {Ex:.3f}", f"{F('E[x]')} = {f_Ex:.3f}", f"E[{F('x')}] = {E_fx:.3f}"
    return (f"${_E}[x] = {Ex:.3f}$", f"${_apply(name, _E + '[x]')} = {f_Ex:.3f}$",
            f"${_E}[{_apply(name, 'x')}] = {E_fx:.3f}$")


def _hull_vertices(x, fx):
    pts = np.column_stack([x, fx])
    try:
        return pts[ConvexHull(pts).vertices]
    except QhullError:  # all points on a line (linear f, or repeated points): the hull is a segment
        order = np.argsort(x)
        return pts[[order[0], order[-1]]]


def _draw_gap(ax, name, Ex, f_Ex, E_fx, math=True):
    """The gap bracket from f(E[x]) to E[f(x)], the pointers at its ends when it is short, and its label
    (mathtext, or plain text for ``math=False``).

    Returns (bracket or None, list of pointers, label).
    """
    gap = E_fx - f_Ex
    F = lambda a: _apply(name, a)  # noqa: E731
    # The bracket stands a fixed distance right of x = E[x] (in points, so it clears the markers at any
    # zoom); its ends are exactly at f(E[x]) and E[f(x)].
    beside = ax.transData + ScaledTranslation(_BRACKET_OFFSET_PT / 72, 0, ax.figure.dpi_scale_trans)
    gap_arrow, gap_pointers = None, []
    top, bottom = max(f_Ex, E_fx), min(f_Ex, E_fx)
    if abs(gap) > 1e-12 * max(1.0, abs(f_Ex)):
        # black: the light brown used before vanished next to the coloured markers
        style = {"color": "black", "linewidth": 2.0, "shrinkA": 0, "shrinkB": 0}
        gap_arrow = ax.annotate(
            "", xy=(Ex, E_fx), xycoords=beside, xytext=(Ex, f_Ex), textcoords=beside,
            arrowprops={"arrowstyle": "|-|,widthA=0.45,widthB=0.45", **style}, zorder=7,
        )  # fmt: skip
        if abs(gap) * _points_per_data_y(ax) < _MIN_GAP_PT:
            # Too short to see next to the markers: point at both ends from outside (a dimension line's
            # convention for small sizes), so the reader finds the gap and the label gives its value.
            for y_end, dy in ((top, 16), (bottom, -16)):
                gap_pointers.append(ax.annotate(
                    "", xy=(Ex, y_end), xycoords=beside, xytext=(0, dy), textcoords="offset points",
                    arrowprops={"arrowstyle": "-|>,head_length=0.5,head_width=0.3", **style}, zorder=7,
                ))  # fmt: skip
    # Name the larger side first, so the printed gap is >= 0 for concave and convex f alike.
    f_of_E, E_of_f = F(_E + "[x]"), _E + f"[{F('x')}]"
    larger, smaller = (f_of_E, E_of_f) if gap <= 0 else (E_of_f, f_of_E)
    # Put the label on the chord's side of the bracket, away from the curve: below for concave f, above
    # for convex; clear of the outside arrows when they are drawn.
    below = gap <= 0
    clear = 18 if gap_pointers else 0
    text = f"gap $= {larger} - {smaller}$\n$= {abs(gap):.3f}$"
    if not math:
        plain = {f_of_E: F("E[x]"), E_of_f: f"E[{F('x')}]"}
        text = f"gap = {plain[larger]} \u2212 {plain[smaller]}\n= {abs(gap):.3f}".replace("\\", "")
    gap_text = ax.annotate(
        text, xy=(Ex, bottom if below else top), xycoords=beside,
        xytext=(10, -(10 + clear) if below else 10 + clear), textcoords="offset points",
        va="top" if below else "bottom", ha="left", fontsize=13, color="black", zorder=8,
        bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": "black", "alpha": 0.9},
    )  # fmt: skip
    return gap_arrow, gap_pointers, gap_text


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
    # Widened (with a margin) only for points outside xlim: a point at the edge of f's domain (x_1 = 0.1 for
    # ln, the widget's slider end) must not push the curve out of it.
    span = max(hi - lo, float(np.ptp(x)))
    if x.min() < lo:
        lo = float(x.min()) - 0.05 * span
    if x.max() > hi:
        hi = float(x.max()) + 0.05 * span
    grid = np.linspace(lo, hi, 500)
    y = _evaluate(f, grid, "x")
    fx, Ex, f_Ex, E_fx = _jensen_values(f, x, p)
    gap = E_fx - f_Ex
    shape = _curvature(y)
    name = _function_name(f, f_label)
    F = lambda a: _apply(name, a)  # noqa: E731
    E = _E

    fig, ax = figure_and_axes(ax)
    (curve,) = ax.plot(grid, y, color="black", linewidth=2.5, label=f"${F('x')}$", zorder=2)
    (points,) = ax.plot(
        x, fx, linestyle="none", marker="o", markersize=11, color=PALETTE[0], markeredgecolor="black",
        label=f"$(x_i, {F('x_i')})$", zorder=5,
    )  # fmt: skip
    chord = hull = None
    if x.size == 2:
        (chord,) = ax.plot(x, fx, color=PALETTE[0], linestyle="--", linewidth=2.0, label="chord", zorder=3)
    elif x.size > 2:
        hull = Polygon(_hull_vertices(x, fx), closed=True, facecolor=(*PALETTE[0], 0.15), edgecolor=PALETTE[0],
                       linestyle="--", linewidth=1.5, label="convex hull of the points", zorder=1)  # fmt: skip
        ax.add_patch(hull)
    mean_label, f_of_mean_label, mean_of_f_label = _value_labels(name, Ex, f_Ex, E_fx)
    mean_line = ax.axvline(Ex, color="0.35", linestyle=":", linewidth=1.8, label=mean_label, zorder=1)
    (f_of_mean,) = ax.plot(
        Ex, f_Ex, linestyle="none", marker="s", markersize=12, color=PALETTE[2], markeredgecolor="black",
        label=f_of_mean_label, zorder=6,
    )  # fmt: skip
    (mean_of_f,) = ax.plot(
        Ex, E_fx, linestyle="none", marker="D", markersize=11, color=PALETTE[3], markeredgecolor="black",
        label=mean_of_f_label, zorder=6,
    )  # fmt: skip
    # Dotted guides from the y axis, so both values can be read off the scale.
    guides = [ax.plot([lo, Ex], [yy, yy], color="0.5", linestyle=":", linewidth=1.2, zorder=1)[0]
              for yy in (f_Ex, E_fx)]

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
    # Run the layout engine now (constrained layout in the course style), so the placement below measures
    # the axes at their final size; it is the same computation the next draw repeats.
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)

    gap_arrow, gap_pointers, gap_text = _draw_gap(ax, name, Ex, f_Ex, E_fx)

    p_labels = []
    if x.size <= 6:
        # Each point's probability next to it (the weights are what the widget changes): preferably on the
        # side of the curve away from the chord, otherwise wherever it covers nothing and stays inside.
        if shape == "concave":
            away = ["up-left", "up", "left", "up-right"]
        else:
            away = ["down-right", "right", "down", "down-left"]
        order = away + [k for k in _AROUND if k not in away]
        p_labels = _place_labels(
            ax, list(zip(x, fx, strict=True)), [f"$p={pi:.2f}$" for pi in p], order,
            {"fontsize": 12, "color": PALETTE[0], "zorder": 8},
            extra_boxes=(gap_text.get_window_extent(), legend.get_window_extent()),
        )  # fmt: skip
    return JensenArtists(
        fig=fig, ax=ax, x=x, p=p, Ex=Ex, f_Ex=f_Ex, E_fx=E_fx, gap=gap, shape=shape, curve=curve,
        points=points, chord=chord, hull=hull, mean_line=mean_line, f_of_mean=f_of_mean, mean_of_f=mean_of_f,
        gap_arrow=gap_arrow, gap_text=gap_text, legend=legend, gap_pointers=gap_pointers, p_labels=p_labels,
        guides=guides, _f=f, _name=name,
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
    __repr__ = no_address_repr


@dataclass(repr=False)
class JensenWidget:
    """The interactive explorer made by :func:`jensen_widget` (already displayed).

    Attributes
    ----------
    widget : ipywidgets.VBox
        Sliders on top, the live figure (``view``) below.
    sliders : dict
        ``"x1"``, ``"x2"``, ``"p"`` (the probability of x_1) FloatSliders: the explorer's state. Setting a
        value from Python redraws the figure as dragging does.
    view : anywidget.AnyWidget
        The figure, drawn in the browser: matplotlib's drawing of the unchanging part (axes, curve,
        legend) as a PNG, and on top of it, on a canvas, what the sliders move. It listens to the sliders'
        models, so a drag redraws it with no kernel round trip; a point can also be dragged on the figure.
    fig, ax : the Figure and Axes the background was drawn from; kept up to date with the sliders.
    artists : JensenArtists
        The kernel's copy of what is drawn, moved by :meth:`JensenArtists.update` on every change, so
        ``explorer.artists.gap`` is the gap the figure shows.
    """

    widget: object
    sliders: dict
    fig: plt.Figure
    ax: plt.Axes
    artists: JensenArtists | None = None
    static: dict = field(default_factory=dict)
    view: object = None

    def frame(self) -> bytes:
        """The kernel's copy of the figure as it is now, as PNG bytes (a full matplotlib draw; the browser
        draws the same state itself)."""
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png", dpi=self.fig.dpi)
        return buf.getvalue()

    def __repr__(self) -> str:  # no object addresses: notebooks stay reproducible
        a = self.artists
        return f"JensenWidget(x=({a.x[0]:.2f}, {a.x[1]:.2f}), p={a.p[0]:.2f}, gap={a.gap:.3f})"

    def static_png(self) -> bytes:
        """PNG of the static fallback (:func:`jensen_static` for the starting setting), rendered once.

        It goes into the displayed output next to the widget view, so a page without a widget frontend
        (GitHub, nbviewer, a static HTML export) shows a picture instead of the widget's text.
        """
        if "png" not in self.static:
            slide = self.static["args"].get("layout") == "slide"
            size = {"figsize": SLIDE_FIGSIZE, "dpi": SLIDE_DPI} if slide else {"figsize": (18, 6)}
            fig = Figure(layout="constrained", **size)
            FigureCanvasAgg(fig)
            art = jensen_static(figure=fig, **self.static["args"])
            buf = io.BytesIO()
            # 72 dpi for the notebook layout: an 18-inch figure is 1296 px wide, as wide as the notebook shows
            art.fig.savefig(buf, format="png", dpi=SLIDE_DPI if slide else 72)
            self.static["png"] = buf.getvalue()
        return self.static["png"]

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {
            "text/plain": "Jensen explorer: sliders for x_1, x_2 and p_1 = P(x = x_1), redrawing the figure "
            "(live with a widget frontend; elsewhere a static picture of three settings)",
            "image/png": base64.b64encode(self.static_png()).decode("ascii"),
        }
        view = self.widget._repr_mimebundle_()
        view.pop("text/plain", None)  # ours is fixed; the widget's lists every slider's state
        bundle.update(view)
        return bundle


def _frontend_available() -> bool:
    """True inside a Jupyter kernel with anywidget and ipywidgets importable (a frontend may render widgets)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    if not live_available():
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


@with_layout
def jensen_static(f=np.log, x=(1.0, 4.0), p0=0.5, xlim=(0.1, 5), f_label=None, figure=None, layout="notebook"):
    """Three settings of :func:`jensen` side by side: the given one, a lopsided weight, closer points.

    Parameters
    ----------
    f, x, p0, xlim, f_label
        As for :func:`jensen_widget`.
    figure : matplotlib Figure, optional
        An empty figure to draw into (for example one pyplot does not track); a new pyplot figure
        when None.
    layout : {"notebook", "slide"}, default "notebook"
        "slide": a new figure of 12 x 6 inches at 100 dpi (1200 x 600 px) that fits a 16:9 slide at its
        natural size, no text under 12 pt; "notebook": 18 x 6 inches.

    Returns
    -------
    JensenStatic
    """
    settings = _static_settings(x, p0)
    if figure is None:
        size = {"figsize": SLIDE_FIGSIZE, "dpi": SLIDE_DPI} if layout == "slide" else {"figsize": (18, 6)}
        fig, axes = plt.subplots(1, len(settings), sharey=True, **size)
    else:
        fig, axes = figure, figure.subplots(1, len(settings), sharey=True)
    out = JensenStatic(fig=fig)
    for i, (ax, (xs, ps)) in enumerate(zip(axes, settings, strict=True)):
        art = jensen(f, xs, ps, ax=ax, xlim=xlim, f_label=f_label,
                     title=f"$x=({xs[0]:.2f}, {xs[1]:.2f})$, $p_1={ps[0]:.2f}$")  # fmt: skip
        if i > 0:
            art.legend.remove()
            art.legend = None
            ax.set_ylabel("")
        out.panels.append(art)
    fig.suptitle("Jensen's gap shrinks as the distribution concentrates" + (
        "" if layout == "slide" else " (points closer, or weight on one)"))
    return out


_JS_FUNCTIONS = {np.log: "log", np.exp: "exp", np.sqrt: "sqrt", np.square: "square"}


def jensen_scene(art: JensenArtists, f, slider_range) -> tuple[dict, bytes, dict]:
    """What the browser needs to draw the live explorer: (scene, background PNG, binary arrays).

    The background is ``art``'s figure drawn without the moving parts, and with the legend's three value
    texts left blank (laid out for the widest value they can take); the scene gives where the axes, the
    legend texts and the p labels are, the styles, and f: by name for the numpy functions the browser has
    (``np.log``, ``np.exp``, ``np.sqrt``, ``np.square``), else sampled on the sliders' range every 1/20 step.
    ``art`` must have been drawn (or updated) with ``math=False`` labels; it is left as it was.
    """
    fig, ax = art.fig, art.ax
    lo, hi, step = (float(v) for v in slider_range)
    name = art._name
    F = lambda a: _apply(name, a).replace("\\", "")  # noqa: E731  (\ln x -> ln x)
    names = {"legend": ["E[x]", F("E[x]"), f"E[{F('x')}]"], "f_of_E": F("E[x]"), "E_of_f": f"E[{F('x')}]"}
    # The legend is drawn once: make its value texts as wide as the widest value they can show.
    y = np.asarray(art.curve.get_ydata(), dtype=float)
    widest = max((f"{v:.3f}" for v in (lo, hi, y.min(), y.max(), -abs(y).max())), key=len)
    texts = {t.get_text(): t for t in art.legend.get_texts()}
    value_texts = [texts[a.get_label()] for a in (art.mean_line, art.f_of_mean, art.mean_of_f)]
    shown = [t.get_text() for t in value_texts]
    for t, label in zip(value_texts, names["legend"], strict=True):
        t.set_text(f"{label} = {widest}")
    moving = [a for a in art.dynamic if a is not art.legend]
    for a in moving:
        a.set_visible(False)
    for t in value_texts:
        t.set_alpha(0.0)
    fig.canvas.draw()
    fig.set_layout_engine("none")  # the axes keep this place from now on (the browser's and the kernel's)
    fig.canvas.draw()
    background = png_of_canvas(fig)
    height = fig.bbox.height
    px = fig.dpi / 72.0
    legend_box = art.legend.get_window_extent()
    legend_texts = []
    for t in value_texts:
        bb = t.get_window_extent()
        legend_texts.append({"x": float(bb.x0), "y": float(height - (bb.y0 + bb.y1) / 2),
                             "size": float(t.get_fontsize() * px)})
    for a in moving:
        a.set_visible(True)
    for t, text in zip(value_texts, shown, strict=True):
        t.set_alpha(None)
        t.set_text(text)
    kind = _JS_FUNCTIONS.get(f, "table")
    arrays = {}
    f_spec = {"kind": kind}
    if kind == "table":
        dx = step / 20.0
        grid = np.linspace(lo, hi, int(round((hi - lo) / dx)) + 1)
        arrays["f"] = _evaluate(f, grid, "x").astype("<f8").tobytes()
        f_spec.update(x0=lo, dx=float(grid[1] - grid[0]))
    p_labels = [{"dx": float(t.xyann[0]), "dy": float(t.xyann[1]), "ha": t.get_ha(), "va": t.get_va()}
                for t in art.p_labels]
    scene = {
        "kind": "jensen",
        "alt": f"Jensen's inequality for {names['legend'][1].replace('E[x]', 'x')}: live figure",
        "width": int(round(fig.bbox.width)), "height": int(round(height)), "dpi": float(fig.dpi),
        "ax": canvas_axes(ax), "range": [lo, hi, step], "f": f_spec, "names": names,
        "guide_x0": float(art.guides[0].get_xdata()[0]),
        "colors": {"points": list(PALETTE[0]), "f_of_mean": list(PALETTE[2]), "mean_of_f": list(PALETTE[3])},
        "markers": {"s": marker_polygon("s"), "D": marker_polygon("D")},
        "dashes": {"guide": _dashes_px(":", 1.2, fig.dpi), "mean": _dashes_px(":", 1.8, fig.dpi),
                   "chord": _dashes_px("--", 2.0, fig.dpi)},
        "bracket_offset_pt": _BRACKET_OFFSET_PT, "min_gap_pt": _MIN_GAP_PT,
        "legend": {"x0": float(legend_box.x0), "x1": float(legend_box.x1), "y0": float(height - legend_box.y1),
                   "y1": float(height - legend_box.y0), "texts": legend_texts},
        "p_labels": p_labels,
    }  # fmt: skip
    return scene, background, arrays


def jensen_widget(f=np.log, x=(1.0, 4.0), p0=0.5, xlim=(0.1, 5), f_label=None, interactive=None, dpi=100,
                  layout="notebook"):
    """Explore Jensen's gap with sliders for x_1, x_2 and p_1 = P(x = x_1).

    In a Jupyter kernel with ipywidgets, displays sliders above a figure that is redrawn while a slider
    is dragged (assign the result, ``explorer = jensen_widget()``; tag the cell ``nbval-ignore-output``).
    The displayed output also holds a PNG of :func:`jensen_static` and a fixed text, which is what
    GitHub, nbviewer or a static export show where the widget cannot run. Without ipywidgets or a
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
    dpi : float, default 100
        Resolution of the live frames (the figure has the course's default size, 9 x 5.5 inches: 900 x 550
        px at 100 dpi, which fits a slide).
    layout : {"notebook", "slide"}, default "notebook"
        Layout of the static fallback (see :func:`jensen_static`).

    Returns
    -------
    JensenWidget or JensenStatic
    """
    check_layout(layout)
    x = tuple(float(v) for v in np.atleast_1d(np.asarray(x, dtype=float)))
    if len(x) != 2:
        raise ValueError(f"jensen_widget explores two points x_1, x_2; got {len(x)} points. Use jensen() for more.")
    if not 0.0 <= p0 <= 1.0:
        raise ValueError(f"p0 is the probability of x_1 and must lie in [0, 1]; got {p0!r}.")
    if interactive is None:
        interactive = _frontend_available()
    if not interactive:
        return jensen_static(f, x, p0, xlim=xlim, f_label=f_label, layout=layout)
    if not live_available():
        raise ImportError("the live Jensen explorer needs anywidget and ipywidgets: pip install 'emlab[lab]'")

    import ipywidgets as widgets
    from IPython.display import display

    lo, hi = (float(v) for v in xlim)
    if not hi > lo:
        raise ValueError(f"xlim must be (low, high) with low < high; got {xlim!r}.")
    if not all(lo <= v <= hi for v in x):
        raise ValueError(f"the points {x} must lie inside xlim = {xlim!r} (the sliders' range); widen xlim.")
    step = 10.0 ** np.floor(np.log10((hi - lo) / 50))  # a round step: 0.01 for the default range
    # Redraw while a slider is dragged: the browser draws each value itself (see _live.py), the kernel
    # only keeps its copy of the numbers in step.
    common = {"continuous_update": True, "readout_format": ".2f"}
    sliders = {
        "x1": widgets.FloatSlider(value=x[0], min=lo, max=hi, step=step, description="$x_1$", **common),
        "x2": widgets.FloatSlider(value=x[1], min=lo, max=hi, step=step, description="$x_2$", **common),
        "p": widgets.FloatSlider(value=p0, min=0.0, max=1.0, step=0.01, description="$p_1$", **common),
    }
    # A Figure that pyplot never tracks: no later cell shows a stale copy of it.
    fig = Figure(figsize=plt.rcParams["figure.figsize"], dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    artists = jensen(f, x, (p0, 1.0 - p0), ax=ax, xlim=xlim, f_label=f_label)
    artists.update(x, (p0, 1.0 - p0), math=False)  # the plain-text values the browser writes
    # The curve, axes and title never change: fix the view so a moving point never rescales it.
    ax.set_autoscale_on(False)
    state = JensenWidget(
        widget=None, sliders=sliders, fig=fig, ax=ax, artists=artists,
        static={"args": {"f": f, "x": x, "p0": p0, "xlim": xlim, "f_label": f_label, "layout": layout}},
    )  # fmt: skip
    scene, background, arrays = jensen_scene(artists, f, (lo, hi, step))
    state.view = live_view(scene, background, [sliders["x1"], sliders["x2"], sliders["p"]], arrays)
    state.widget = widgets.VBox([widgets.HBox(list(sliders.values())), state.view])

    def follow(_change=None):
        p1 = sliders["p"].value
        state.artists.update((sliders["x1"].value, sliders["x2"].value), (p1, 1.0 - p1), math=False)

    for s in sliders.values():
        s.observe(follow, names="value")
    display(state)
    return state
