"""What the figure modules of :mod:`emlab.plots` share: records, axes, the 2-D mixture's geometry and legend,
and the slide layout. Private to the package; the figure modules import from here and never from each other's
private names.
"""

from __future__ import annotations

import functools

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from scipy.stats import chi2

from ..params import GMMParams
from ..style import component_style

# Plain data points, and anything drawn "before the model has a say".
GREY = (0.45, 0.45, 0.45)
MEAN_MARKER = "X"
SUBSCRIPTS = str.maketrans("0123456789", "\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089")


# ----------------------------------------------------------------------------------------------------------
# Records of what was drawn
# ----------------------------------------------------------------------------------------------------------
class ArtistsRecord:
    """Base of the records the 2-D figures return.

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


def no_address_repr(self) -> str:
    """Short repr of a record with ``_repr_fields``: its class and sizes, never an object address.

    A notebook cell that ends with a plotting call shows this text (nbval compares it), so it must be
    the same on every run.
    """
    parts = []
    for name in self._repr_fields:
        v = getattr(self, name)
        if isinstance(v, np.ndarray):
            parts.append(f"{name}=array{tuple(v.shape)}")
        elif isinstance(v, (list, tuple)):
            parts.append(f"{name}=[{len(v)} item{'s' if len(v) != 1 else ''}]")
        elif isinstance(v, (float, np.floating)):
            parts.append(f"{name}={float(v):.6f}")
        else:
            parts.append(f"{name}={v!r}")
    return f"{type(self).__name__}({', '.join(parts)})"


def figure_and_axes(ax, figsize=None):
    """The given axes and its figure, or a new figure with one axes when ``ax`` is None."""
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
    return ax.figure, ax


# ----------------------------------------------------------------------------------------------------------
# Slide layout: multi-panel figures sized for a 16:9 slide
# ----------------------------------------------------------------------------------------------------------
LAYOUTS = ("notebook", "slide")
#: A slide figure at 100 dpi is at most 1200 x 600 px: it fits a 1280 x 720 slide under a one-line heading
#: at its natural size, so every text of >= 12 pt is >= 16 px on the slide (>= 12 px even when the deck
#: shrinks the picture to 75%). The notebook layouts of the multi-panel figures are 1380-1800 px wide and are
#: shrunk to 7-10 px text on a slide.
SLIDE_FIGSIZE = (12.0, 6.0)
SLIDE_DPI = 100
# Smaller titles and labels than the notebook style (which has 16 pt titles), so a third of a slide holds
# them; nothing below 12 pt. Tick labels keep the style's 13 pt.
SLIDE_RC = {
    "font.size": 13,
    "axes.titlesize": 14,
    "axes.labelsize": 13,
    "legend.fontsize": 12,
    "figure.titlesize": 15,
}


def check_layout(layout: str) -> str:
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS} ('slide': sized for a 16:9 slide); got {layout!r}.")
    return layout


def with_layout(fn):
    """Decorator for figure functions with a ``layout`` keyword: checks it, and draws a "slide" figure with
    :data:`SLIDE_RC` (sizes are read when each text is made, so they stay after the function returns)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if check_layout(kwargs.get("layout", "notebook")) == "slide":
            with plt.rc_context(SLIDE_RC):
                return fn(*args, **kwargs)
        return fn(*args, **kwargs)

    return wrapper


def panel_axes(n_panels: int, ax, layout: str, notebook_figsize, needs: str, figure=None) -> list:
    """The axes of a multi-panel figure: the ``ax`` given (at least ``n_panels``; else ValueError saying
    ``needs``), or a new grid of up to 3 columns (extra cells hidden) in ``figure`` or a new constrained
    figure: :data:`SLIDE_FIGSIZE` for a slide, ``notebook_figsize(nrows, ncols)`` otherwise."""
    if ax is not None:
        axes = list(np.ravel(ax))
        if len(axes) < n_panels:
            raise ValueError(f"{needs}; got {len(axes)}.")
        return axes[:n_panels]
    ncols = 3 if n_panels > 4 else n_panels
    nrows = -(-n_panels // ncols)
    if figure is None:
        size = {"figsize": SLIDE_FIGSIZE, "dpi": SLIDE_DPI} if layout == "slide" else {
            "figsize": notebook_figsize(nrows, ncols)}
        figure = plt.figure(layout="constrained", **size)
    axes = list(figure.subplots(nrows, ncols, squeeze=False).ravel())
    for extra in axes[n_panels:]:
        extra.set_visible(False)
    return axes[:n_panels]


# ----------------------------------------------------------------------------------------------------------
# 2-D mixtures: ellipse geometry, recorded runs, the component legend
# ----------------------------------------------------------------------------------------------------------
def ellipse_geometry(Sigma: np.ndarray, mass: float):
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


def view_limits(X: np.ndarray, snapshots, mass: float):
    """Axis limits (xlim, ylim) holding the data and every ellipse of every snapshot, with a margin."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    for s in snapshots:
        for j in range(s.k):
            # The ellipse lies inside the disc of radius half its major axis around mu_j.
            w, _, _ = ellipse_geometry(s.Sigma[j], mass)
            lo = np.minimum(lo, s.mu[j] - w / 2)
            hi = np.maximum(hi, s.mu[j] + w / 2)
    pad = 0.04 * (hi - lo)
    return (lo[0] - pad[0], hi[0] + pad[0]), (lo[1] - pad[1], hi[1] + pad[1])


def as_snapshots(snapshots) -> list:
    """The recorded parameters Theta^(0..T) as a list of GMMParams (from a list or a history dict)."""
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


def component_label(j: int, phi, math: bool = True) -> str:
    """Legend label of component j; ``math=False`` avoids mathtext (parsed anew for every new string,
    too slow for a label that changes on every frame of the stepper)."""
    if phi is None:
        return f"component $j = {j + 1}$"
    if not math:
        return f"j = {j + 1}, \u03c6{str(j + 1).translate(SUBSCRIPTS)} = {phi[j]:.2f}"
    return f"$j = {j + 1}$, $\\phi_{{{j + 1}}} = {phi[j]:.2f}$"


def legend_handles(k: int | None, phi, with_means: bool) -> list:
    """Proxy artists: marker + colour + ellipse line style per component, then the mean marker."""
    handles = []
    for j in range(k or 0):
        s = component_style(j)
        handles.append(Line2D([], [], color=s["color"], marker=s["marker"], linestyle=s["linestyle"],
                              markersize=9, markeredgecolor="white", label=component_label(j, phi)))
    if with_means:
        handles.append(Line2D([], [], linestyle="none", marker=MEAN_MARKER, markersize=12,
                              markerfacecolor="white", markeredgecolor="black", markeredgewidth=1.5,
                              label="means $\\mu_j$"))
    return handles


# ----------------------------------------------------------------------------------------------------------
# Live figures: draw the unchanging part once, then only what moves
# ----------------------------------------------------------------------------------------------------------
#: Encoder settings of live frames. WebP lossless at its fastest method: the same pixels as PNG, ~30% less
#: time to encode and ~40% fewer bytes to send (measured on the Jensen widget's 900 x 550 frame: 6.0 ms,
#: 34 KiB against 8.3 ms, 55 KiB); JPEG is 5x faster still but blurs thin lines and text.
FRAME_FORMATS = ("webp", "png", "jpeg")
FRAME_OPTIONS = {
    "webp": {"lossless": True, "method": 0, "quality": 0},
    "png": {"compress_level": 1},
    # full chroma and high quality keep text and lines as crisp as JPEG can
    "jpeg": {"quality": 92, "subsampling": 0},
}


class BlitFrames:
    """Frames of a live figure for an ipywidgets ``Image``: the unchanging part is drawn once and kept as a
    bitmap; a frame restores it, draws the changing artists on top and encodes the result.

    Parameters
    ----------
    fig : Figure
        With an Agg canvas (``FigureCanvasAgg(fig)``), not managed by pyplot.
    dynamic : callable
        Returns the artists that change between frames (called for every frame, so artists that are
        re-created on update are drawn too).
    """

    def __init__(self, fig, dynamic):
        self.fig = fig
        self.dynamic = dynamic
        self._background = None

    @property
    def prepared(self) -> bool:
        return self._background is not None

    def prepare(self) -> None:
        """Draw everything that never changes, once. The layout engine runs on the first draw and is then
        switched off, so the axes keep their place (and cost nothing per frame)."""
        for a in self.dynamic():
            a.set_animated(True)
        canvas = self.fig.canvas
        canvas.draw()
        self.fig.set_layout_engine("none")
        canvas.draw()
        self._background = canvas.copy_from_bbox(self.fig.bbox)

    def encode(self, fmt: str = "png", **options) -> bytes:
        """The current frame as PNG, JPEG or WebP bytes (RGB: a quarter fewer bytes to encode and to send)."""
        import io

        from PIL import Image

        if self._background is None:
            self.prepare()
        canvas = self.fig.canvas
        canvas.restore_region(self._background)
        for a in self.dynamic():
            self.fig.draw_artist(a)
        buf = canvas.buffer_rgba()
        img = Image.frombuffer("RGBA", (buf.shape[1], buf.shape[0]), buf, "raw", "RGBA", 0, 1).convert("RGB")
        out = io.BytesIO()
        img.save(out, format=fmt, **{**FRAME_OPTIONS.get(fmt, {}), **options})
        return out.getvalue()
