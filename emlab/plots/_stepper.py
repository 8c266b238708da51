"""Watch EM run: a step-by-step widget, an animation, and the static panels both fall back to.

All three replay recorded parameters Theta^(0..T) (``GaussianMixture(record_params=True).history_["params"]``
or any list of :class:`~emlab.params.GMMParams`); none of them fits anything. The widget is drawn in the
browser (``_live.py`` / ``_live.js``: every step's data is sent once, so a dragged slider needs no kernel
round trip; ``benchmarks/bench_live_browser.py``). The kernel keeps its own figure current by updating the
artists in place (scatter offsets and colours, ellipse centre/size/angle, the trace's data): that figure
draws ``frame_png()``, the animation's frames and the static fallback (``benchmarks/bench_stepper.py``).

Where widgets or JavaScript are missing (nbval, GitHub's notebook viewer, a printed handout) the objects
returned here still show something meaningful: their rich display carries a static multi-panel PNG
(:func:`em_static`) next to the widget view / the animation's HTML, and a plain-text summary.
"""

from __future__ import annotations

import base64
import io
import itertools
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation, HTMLWriter
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..core import as_data, e_step, log_likelihood
from ..style import PALETTE, component_style
from ._common import (
    FRAME_FORMATS,
    GREY,
    MEAN_MARKER,
    SLIDE_DPI,
    SLIDE_FIGSIZE,
    SLIDE_RC,
    SUBSCRIPTS,
    ArtistsRecord,
    BlitFrames,
    as_snapshots,
    check_layout,
    ellipse_geometry,
    legend_handles,
    panel_axes,
    view_limits,
    with_layout,
)
from ._live import available as live_available
from ._live import canvas_axes, dashes_px, live_view, marker_polygon, png_of_canvas
from ._scatter import gmm_2d
from ._trace import loglik_trace

__all__ = ["EMStepper", "EMAnimation", "StaticArtists", "em_stepper", "em_animation", "em_static"]


def _loglik(X, snapshots, loglik) -> np.ndarray:
    if loglik is None:
        return np.array([log_likelihood(X, s) for s in snapshots])
    loglik = np.asarray(loglik, dtype=float).ravel()
    if loglik.shape != (len(snapshots),):
        raise ValueError(
            f"loglik must hold l(Theta^(t)) for each of the {len(snapshots)} snapshots t = 0..T; "
            f"got {loglik.size} values. (history_['log_likelihood'] starts at t = 1: prepend l(Theta^(0)).)"
        )
    return loglik


def _states(T: int, half_steps: bool) -> list:
    """(params index, W index or None, label) for every frame.

    Full steps: Theta^(t) with its own posterior. Half steps separate the two moves of iteration t:
    the E-step recolours the points (W from Theta^(t-1)) while the ellipses stay, the M-step then moves
    the ellipses to Theta^(t) while the colours stay.
    """
    # Titles in plain Unicode: mathtext is re-parsed for every new string, a large part of a frame's cost.
    if not half_steps:
        return [(t, t, f"t = {t}: \u0398{_sup(t)} and its responsibilities") for t in range(T + 1)]
    states = [(0, None, "initial \u0398\u207d\u2070\u207e, no responsibilities yet")]
    for t in range(1, T + 1):
        states.append((t - 1, t - 1, f"iteration {t}: E-step (recolour by \u0398{_sup(t - 1)})"))
        states.append((t, t - 1, f"iteration {t}: M-step (move to \u0398{_sup(t)})"))
    return states


_SUPERSCRIPTS = str.maketrans("0123456789", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")


def _sup(t: int) -> str:
    """(t) as Unicode superscripts."""
    return "\u207d" + str(t).translate(_SUPERSCRIPTS) + "\u207e"


class EMStepper:
    """Replay EM one step at a time: ellipses, responsibilities and the log-likelihood trace together.

    Build it with :func:`em_stepper`. ``show(i)`` moves to frame ``i`` by updating the artists in place;
    ``widget`` is the ipywidgets control (Play, back/step/reset buttons and a slider, or None when
    ipywidgets is not installed); displaying the object shows the widget where a widget manager runs and
    the static panels (:func:`em_static`) everywhere else.

    Attributes
    ----------
    fig : matplotlib Figure
        Not managed by pyplot, so the inline backend does not print it a second time.
    scatter : GMM2DArtists
        Left panel: points, ellipses, means.
    trace : TraceArtists
        Right panel: the whole trace in grey, the part so far in colour (``progress``), the current point
        (``current``).
    states : list of (int, int or None, str)
        Per frame: index of the parameters drawn, index of the parameters whose E-step colours the points
        (None: plain points), and the title.
    index : int
        The frame shown.
    view : anywidget.AnyWidget or None
        The live figure inside ``widget``, drawn in the browser (None until ``widget`` is built).
    """

    def __init__(self, X, snapshots, loglik=None, mass: float = 0.95, soft: bool = True,
                 half_steps: bool = True, xlabel: str = "$x_1$", ylabel: str = "$x_2$",
                 figsize=(13.0, 5.6), dpi: float = 72, image_format: str = "webp", layout: str = "notebook"):
        if check_layout(layout) == "slide":
            # 1200 x 520 px: the frame and the controls above it fit a 16:9 slide at their natural size.
            figsize, dpi = (SLIDE_FIGSIZE[0], 5.2), SLIDE_DPI
        self.layout = layout
        if image_format not in FRAME_FORMATS:
            raise ValueError(f"image_format must be one of {FRAME_FORMATS}; got {image_format!r}.")
        self.image_format = image_format
        self.X = as_data(X)
        self.snapshots = as_snapshots(snapshots)
        self.loglik = _loglik(self.X, self.snapshots, loglik)
        self.states = _states(len(self.snapshots) - 1, half_steps)
        self.mass, self.soft, self.half_steps = mass, soft, half_steps
        self.labels = (xlabel, ylabel)
        self.dpi = dpi
        # Every responsibility matrix up front, so a step only moves artists and never waits for an E-step.
        self._W = {i: e_step(self.X, s) for i, s in enumerate(self.snapshots)}
        self._widget = None
        self.view = None
        self._static_png = None

        with plt.rc_context(SLIDE_RC if layout == "slide" else {}):
            # Titles change on every frame, after this block: keep the size of this layout for them.
            self._title_size = plt.rcParams["axes.titlesize"]
            self.fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
            FigureCanvasAgg(self.fig)
            ax_gmm, ax_tr = self.fig.subplots(1, 2, width_ratios=[1.3, 1.0])
            p0 = self.snapshots[0]
            # Draw with a W so there is one scatter per component; frame 0 may then grey them out.
            self.scatter = gmm_2d(self.X, p0, W=self.W(0), soft=soft, mass=mass, ax=ax_gmm,
                                  xlabel=xlabel, ylabel=ylabel)
            # The legend is drawn once into the background (text is a large part of a frame's cost), so it
            # names the components only; the changing phi_j go into the title. Below the axes, it leaves
            # the panel its full width.
            self.scatter.legend_phi = False
            self.scatter.legend.remove()
            self.scatter.legend = ax_gmm.legend(handles=legend_handles(p0.k, None, True), loc="upper center",
                                                bbox_to_anchor=(0.5, -0.14), ncols=p0.k + 1, borderaxespad=0.0)
            # Fix the view on the data and every recorded ellipse so the axes do not jump between steps.
            self._fix_limits(ax_gmm)
            self.trace = loglik_trace(self.loglik, ax=ax_tr, label="whole run")
            self.trace.line.set(color=GREY, alpha=0.35, marker="o", markersize=4)
            t = np.arange(len(self.loglik))
            (self.progress,) = ax_tr.plot(t[:1], self.loglik[:1], color=PALETTE[0], marker="o", markersize=6,
                                          label="$\\ell(\\Theta^{(t)})$ so far")
            (self.current,) = ax_tr.plot(t[:1], self.loglik[:1], linestyle="none", marker="o", markersize=15,
                                         markerfacecolor="none", markeredgecolor=PALETTE[3], markeredgewidth=3,
                                         label="current $\\Theta$")
            self.trace.legend.remove()
            self.trace.legend = ax_tr.legend(loc="lower right")
        self._frames = BlitFrames(self.fig, self._dynamic)
        self.index = -1
        self.show(0)

    # -- state ------------------------------------------------------------------------------------------
    def W(self, i: int) -> np.ndarray:
        """Responsibilities e_step(X, Theta^(i)) (precomputed)."""
        return self._W[i]

    @property
    def n_frames(self) -> int:
        return len(self.states)

    def _fix_limits(self, ax) -> None:
        xlim, ylim = view_limits(self.X, self.snapshots, self.mass)
        ax.set_xlim(xlim)
        ax.set_ylim(ylim)
        ax.set_autoscale_on(False)

    def show(self, i: int) -> None:
        """Move every artist to frame ``i`` (in place; the next draw shows it)."""
        i = int(i)
        if not 0 <= i < self.n_frames:
            raise ValueError(f"frame must be in 0..{self.n_frames - 1}; got {i}.")
        p_idx, w_idx, _ = self.states[i]
        if w_idx is None:
            self.scatter.update(self.snapshots[p_idx], W=self.W(p_idx))
            # Before the first E-step nobody has been assigned: one grey, round cloud.
            for j, coll in enumerate(self.scatter.points):
                coll.set_offsets(self.X if j == 0 else np.empty((0, 2)))
                coll.set_facecolors([GREY])
        else:
            self.scatter.update(self.snapshots[p_idx], W=self.W(w_idx))
        title_gmm, title_trace = self._titles(i)
        self.scatter.ax.set_title(title_gmm, fontsize=self._title_size)
        t = np.arange(p_idx + 1)
        self.progress.set_data(t, self.loglik[: p_idx + 1])
        self.current.set_data([p_idx], [self.loglik[p_idx]])
        self.trace.ax.set_title(title_trace, fontsize=self._title_size)
        self.index = i

    def _titles(self, i: int) -> tuple[str, str]:
        """The two panels' titles at frame ``i`` (plain Unicode: the browser writes them too)."""
        p_idx, _, label = self.states[i]
        phi = self.snapshots[p_idx].phi
        weights = ", ".join(f"\u03c6{str(j + 1).translate(SUBSCRIPTS)} = {v:.2f}" for j, v in enumerate(phi))
        return f"{label}\n{weights}", f"\u2113(\u0398{_sup(p_idx)}) = {self.loglik[p_idx]:.2f}"

    def step(self) -> None:
        """Next frame (stays on the last one)."""
        self.show(min(self.index + 1, self.n_frames - 1))

    def _dynamic(self) -> list:
        """The artists a frame changes: points, ellipses, means, titles, the trace so far."""
        sc = self.scatter
        return [*sc.points, *sc.ellipses, *sc.means, sc.ax.title, self.progress, self.current, self.trace.ax.title]

    def _prepare_blit(self) -> None:
        """Draw everything that never changes once, and keep it as a background bitmap (:class:`BlitFrames`):
        a frame is then restore, draw the few changing artists, encode."""
        # Apply the pending autoscale first: switching it off before the view limits are computed (they are
        # computed lazily) would freeze the trace's axes at the empty default 0..1.
        self.trace.ax.autoscale_view()
        self.trace.ax.set_autoscale_on(False)
        self._frames.prepare()

    def frame_png(self, compress_level: int = 1) -> bytes:
        """The current frame as PNG bytes, drawn by blitting (the fast path; the widget sends
        ``image_format``, WebP by default)."""
        return self._frame_bytes("png", compress_level=compress_level)

    def _frame_bytes(self, fmt: str, **options) -> bytes:
        if not self._frames.prepared:
            self._prepare_blit()
        return self._frames.encode(fmt, **options)

    def render_png(self) -> bytes:
        """The current frame as PNG bytes via a full ``savefig`` (slow path; same picture)."""
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png", dpi=self.dpi)
        return buf.getvalue()

    # -- widget -----------------------------------------------------------------------------------------
    @property
    def widget(self):
        """The ipywidgets control, built on first use; None when ipywidgets or anywidget is not installed.

        The figure is :attr:`view`, drawn in the browser from the data of every frame (:meth:`live_scene`),
        so dragging the slider redraws it with no kernel round trip; the kernel's figure follows ``index``.
        """
        if self._widget is None:
            if not live_available():
                return None
            import ipywidgets as widgets

            last = self.n_frames - 1
            slider = widgets.IntSlider(value=self.index, min=0, max=last, description="step",
                                       continuous_update=True, layout=widgets.Layout(width="420px"))
            play = widgets.Play(value=self.index, min=0, max=last, interval=700, description="play")
            widgets.jslink((play, "value"), (slider, "value"))
            back = widgets.Button(description="back", icon="step-backward", layout=widgets.Layout(width="90px"))
            step = widgets.Button(description="step", icon="step-forward", button_style="primary",
                                  layout=widgets.Layout(width="90px"))
            reset = widgets.Button(description="reset", icon="undo", layout=widgets.Layout(width="90px"))
            scene, background, arrays = self.live_scene()
            self.view = live_view(scene, background, [slider], arrays)
            slider.observe(lambda change: self.show(change["new"]), names="value")
            step.on_click(lambda _: setattr(slider, "value", min(slider.value + 1, last)))
            back.on_click(lambda _: setattr(slider, "value", max(slider.value - 1, 0)))
            reset.on_click(lambda _: setattr(slider, "value", 0))
            self._widget = widgets.VBox([widgets.HBox([play, reset, back, step, slider]), self.view])
        return self._widget

    def live_scene(self) -> tuple[dict, bytes, dict]:
        """What the browser needs to draw every frame: (scene, background PNG, binary arrays).

        The background is the figure without what moves (:class:`BlitFrames`' bitmap). The scene holds the
        axes' boxes and limits, the styles, each frame's (parameters index, responsibilities index or -1,
        titles), each snapshot's ellipses (centre, width, height, angle) and means, and the trace. The arrays
        are X (float64, m x 2) and, per snapshot, the points' colours (uint8 RGB, as :func:`gmm_2d` mixes them)
        and their most probable component (uint8: the marker and the drawing order).
        """
        if not self._frames.prepared:
            self._prepare_blit()
        canvas = self.fig.canvas
        canvas.restore_region(self._frames._background)
        background = png_of_canvas(self.fig)
        k = self.snapshots[0].k
        colors = np.array([component_style(j)["color"] for j in range(k)], dtype=float)
        z, rgb = [], []
        for s in range(len(self.snapshots)):
            W = self.W(s)
            zs = np.argmax(W, axis=1)
            face = np.clip(W @ colors, 0.0, 1.0) if self.soft else colors[zs]
            z.append(zs.astype(np.uint8))
            rgb.append(np.round(face * 255).astype(np.uint8))
        px = self.fig.dpi / 72.0
        height = self.fig.bbox.height
        titles = []
        for ax in (self.scatter.ax, self.trace.ax):
            x, y = ax.title.get_transform().transform(ax.title.get_position())
            titles.append({"x": float(x), "y": float(height - y), "size": float(ax.title.get_fontsize() * px)})
        ellipse = self.scatter.ellipses[0]
        scatter = self.scatter.points[0]
        scene = {
            "kind": "stepper",
            "alt": f"EM on {self.X.shape[0]} points: ellipses, responsibilities and the log-likelihood, live",
            "width": int(round(self.fig.bbox.width)), "height": int(round(height)), "dpi": float(self.fig.dpi),
            "axes": [canvas_axes(self.scatter.ax), canvas_axes(self.trace.ax)],
            "m": int(self.X.shape[0]), "k": int(k),
            "frames": [[int(p), -1 if w is None else int(w), *self._titles(i)]
                       for i, (p, w, _) in enumerate(self.states)],
            "ellipses": [[[*map(float, s.mu[j]), *map(float, ellipse_geometry(s.Sigma[j], self.mass))]
                          for j in range(k)] for s in self.snapshots],
            "means": [np.asarray(s.mu, dtype=float).tolist() for s in self.snapshots],
            "loglik": [float(v) for v in self.loglik],
            "colors": colors.tolist(), "grey": list(GREY),
            "point": {"area_pt2": float(scatter.get_sizes()[0]), "edge_pt": float(scatter.get_linewidths()[0]),
                      "alpha": float(scatter.get_alpha()),
                      "markers": [marker_polygon(component_style(j)["marker"]) for j in range(k)]},
            "ellipse": {"fill_alpha": float(ellipse.get_facecolor()[3]), "width_pt": float(ellipse.get_linewidth()),
                        "dashes": [dashes_px(component_style(j)["linestyle"], ellipse.get_linewidth(), self.fig.dpi)
                                   for j in range(k)]},
            "mean": {"marker": marker_polygon(MEAN_MARKER), "size_pt": float(self.scatter.means[0].get_markersize()),
                     "edge_pt": float(self.scatter.means[0].get_markeredgewidth())},
            "progress": {"color": list(PALETTE[0]), "width_pt": float(self.progress.get_linewidth()),
                         "size_pt": float(self.progress.get_markersize())},
            "current": {"color": list(PALETTE[3]), "size_pt": float(self.current.get_markersize()),
                        "edge_pt": float(self.current.get_markeredgewidth())},
            "titles": titles,
        }  # fmt: skip
        arrays = {"X": np.ascontiguousarray(self.X, dtype="<f8").tobytes(), "z": np.concatenate(z).tobytes(),
                  "rgb": np.concatenate(rgb).tobytes()}
        return scene, background, arrays

    def static_png(self) -> bytes:
        """PNG of the static fallback (:func:`em_static`), rendered once."""
        if self._static_png is None:
            slide = self.layout == "slide"
            fig = Figure(figsize=SLIDE_FIGSIZE if slide else (14, 8.5), layout="constrained")
            art = em_static(self.X, self.snapshots, loglik=self.loglik, mass=self.mass, soft=self.soft,
                            xlabel=self.labels[0], ylabel=self.labels[1], figure=fig, layout=self.layout)
            buf = io.BytesIO()
            art.fig.savefig(buf, format="png", dpi=self.dpi)
            self._static_png = buf.getvalue()
        return self._static_png

    def __repr__(self) -> str:
        T = len(self.snapshots) - 1
        return (f"EMStepper: {T} EM iterations, {self.n_frames} frames, m = {self.X.shape[0]} points, "
                f"k = {self.snapshots[0].k} components (step with the buttons or the slider; "
                "static panels shown where widgets are unavailable)")

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = {"text/plain": repr(self), "image/png": base64.b64encode(self.static_png()).decode("ascii")}
        w = self.widget
        if w is not None:
            view = w._repr_mimebundle_()
            view.pop("text/plain", None)  # ours is deterministic; the widget's embeds the PNG bytes
            bundle.update(view)
        return bundle


def em_stepper(X, snapshots, loglik=None, mass: float = 0.95, soft: bool = True, half_steps: bool = True,
               xlabel: str = "$x_1$", ylabel: str = "$x_2$", image_format: str = "webp",
               layout: str = "notebook") -> EMStepper:
    """An EM stepper for live teaching: step through recorded EM iterations with a button or a slider.

    Left: the points coloured by responsibility, the ellipses and means of the current Theta. Right: the
    log-likelihood trace so far. With ``half_steps`` each iteration is two frames, the E-step
    (points recoloured, ellipses unchanged) and the M-step (ellipses move, colours unchanged).

    Parameters
    ----------
    X : array-like of shape (m, 2)
    snapshots : list of GMMParams Theta^(0..T), or a history dict with key "params"
    loglik : array-like of shape (T + 1,), optional
        l(Theta^(t)); computed with :func:`emlab.log_likelihood` when omitted.
    mass : float, default 0.95
        Probability mass inside the ellipses.
    soft : bool, default True
        Colour points by mixing component colours with their responsibilities (else by argmax).
    half_steps : bool, default True
    xlabel, ylabel : str
    image_format : {"webp", "png", "jpeg"}, default "webp"
        Kept for compatibility: the widget used to send frames in this encoding; it now draws them in the
        browser (see :meth:`EMStepper.live_scene`).
    layout : {"notebook", "slide"}, default "notebook"
        "slide": frames of 1200 x 520 px (12 x 5.2 inches at 100 dpi) that fit a 16:9 slide with the
        controls at their natural size, no text under 12 pt, and a slide-sized static fallback; "notebook":
        936 x 403 px (13 x 5.6 inches at 72 dpi).

    Returns
    -------
    EMStepper
        Display it (last expression of a cell, with no trailing ``;``: a ``;`` hides the output under
        nbconvert but not under nbval, so the stored and the tested outputs would differ) to get the widget
        in JupyterLab; where no widget manager runs (nbval, GitHub, nbconvert to PDF) the display carries
        the static panels instead. Its text output is deterministic, so strict nbval passes untagged.
        ``.widget`` is the ipywidgets box (None without ipywidgets), ``.show(i)``/``.step()`` drive it.
    """
    return EMStepper(X, snapshots, loglik=loglik, mass=mass, soft=soft, half_steps=half_steps,
                     xlabel=xlabel, ylabel=ylabel, image_format=image_format, layout=layout)


# ----------------------------------------------------------------------------------------------------------
# Animation
# ----------------------------------------------------------------------------------------------------------
_anim_counter = itertools.count(1)


class _StepperHTMLWriter(HTMLWriter):
    """HTMLWriter whose frames are the stepper's blitted PNGs (HTMLWriter keeps them in _saved_frames)."""

    def __init__(self, stepper: EMStepper, **kwargs):
        self._stepper = stepper
        super().__init__(**kwargs)

    def grab_frame(self, **savefig_kwargs):
        self._saved_frames.append(base64.encodebytes(self._stepper.frame_png()).decode("ascii"))


class EMAnimation(FuncAnimation):
    """A :class:`~matplotlib.animation.FuncAnimation` of an :class:`EMStepper` with a static fallback.

    ``save`` (GIF, MP4) works as for any FuncAnimation.

    ``to_jshtml()`` gives matplotlib's JavaScript player, with two changes: its element id is
    deterministic (so stored notebook outputs do not change between runs), and its image starts out as
    the static panels (:func:`em_static`), which is what a viewer without JavaScript keeps showing.
    Displaying the object gives that HTML, the static PNG (for PDF/print) and a text summary.
    """

    def __init__(self, stepper: EMStepper, interval: int = 600):
        self.stepper = stepper
        super().__init__(stepper.fig, self._frame, frames=stepper.n_frames, interval=interval, blit=False,
                         repeat=True, cache_frame_data=False)

    def _frame(self, i):
        self.stepper.show(i)
        return []

    def to_jshtml(self, fps=None, embed_frames=True, default_mode="loop"):
        """matplotlib's JS player as HTML, with a deterministic id and the static panels as fallback.

        Frames come from the stepper's blitting path rather than one full ``savefig`` per frame.
        """
        if not embed_frames:
            raise ValueError("EMAnimation.to_jshtml embeds its frames; embed_frames=False is not supported.")
        fps = 1000.0 / self._interval if fps is None else fps
        writer = _StepperHTMLWriter(self.stepper, fps=fps, embed_frames=True, default_mode=default_mode)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp, "animation.html")
            writer.setup(self._fig, path, dpi=self.stepper.dpi)
            for i in range(self.stepper.n_frames):
                self.stepper.show(i)
                writer.grab_frame()
            writer.finish()
            html = path.read_text()
        # Rendered: matplotlib warns when an animation is deleted without ever being drawn.
        self._draw_was_started = True
        if getattr(self, "_emlab_id", None) is None:
            self._emlab_id = f"emlab{next(_anim_counter)}"
        # matplotlib names the player's elements with a fresh uuid4 on every call; use ours instead.
        found = re.search(r'<img id="_anim_img([0-9a-f]{32})">', html)
        if found:
            html = html.replace(found.group(1), self._emlab_id)
        png = base64.b64encode(self.stepper.static_png()).decode("ascii")
        return html.replace(f'<img id="_anim_img{self._emlab_id}">',
                            f'<img id="_anim_img{self._emlab_id}" src="data:image/png;base64,{png}" '
                            'alt="EM iterations (static panels; the player needs JavaScript)">', 1)

    def __repr__(self) -> str:
        st = self.stepper
        return (f"EMAnimation: {len(st.snapshots) - 1} EM iterations, {st.n_frames} frames, "
                f"m = {st.X.shape[0]} points, k = {st.snapshots[0].k} components (JavaScript player; "
                "static panels shown where JavaScript is unavailable)")

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/plain": repr(self), "text/html": self.to_jshtml(),
                "image/png": base64.b64encode(self.stepper.static_png()).decode("ascii")}


def em_animation(X, snapshots, loglik=None, mass: float = 0.95, soft: bool = True, half_steps: bool = False,
                 interval: int = 600, xlabel: str = "$x_1$", ylabel: str = "$x_2$") -> EMAnimation:
    """A matplotlib animation of recorded EM iterations (same picture as :func:`em_stepper`).

    Parameters are those of :func:`em_stepper`, plus ``interval`` (ms per frame). ``half_steps`` is off
    by default to keep the embedded frames (one PNG each) small.

    Returns
    -------
    EMAnimation
        A FuncAnimation: in a notebook, ``IPython.display.HTML(anim.to_jshtml())`` or just ``anim`` as
        the cell's last expression. Without JavaScript the player's image shows the static panels.
        Its HTML is deterministic (same frames, fixed element ids), so strict nbval passes on the machine
        that stored it; tag the cell ``nbval-ignore-output`` if outputs are checked elsewhere (the
        frames are PNGs inside the HTML text, and font rendering may differ between machines). The
        frames make the output large (~70 KB per frame): keep T small or use ``half_steps=False``.
    """
    stepper = EMStepper(X, snapshots, loglik=loglik, mass=mass, soft=soft, half_steps=half_steps,
                        xlabel=xlabel, ylabel=ylabel)
    return EMAnimation(stepper, interval=interval)


# ----------------------------------------------------------------------------------------------------------
# Static fallback
# ----------------------------------------------------------------------------------------------------------
@dataclass(repr=False)
class StaticArtists(ArtistsRecord):
    """What :func:`em_static` drew.

    Attributes
    ----------
    fig : Figure
    axes : list of Axes
        The GMM panels, then the trace panel.
    panels : list of GMM2DArtists, one per iteration shown
    trace : TraceArtists
    iterations : list of int
        The t of each GMM panel (marked on the trace).
    legend : Legend
        The shared component legend.
    """

    fig: object
    axes: list
    panels: list
    trace: object
    iterations: list
    legend: object


@with_layout
def em_static(X, snapshots, iterations=None, loglik=None, mass: float = 0.95, soft: bool = True,
              xlabel: str = "$x_1$", ylabel: str = "$x_2$", ax=None, figure=None,
              layout: str = "notebook") -> StaticArtists:
    """Static multi-panel summary of recorded EM iterations: what the stepper shows, on paper.

    Panels show Theta^(t) with the points coloured by its posterior e_step(X, Theta^(t)), for t in
    ``iterations`` (default: 0, 1, 2, 5 and the last, T), and a last panel with the log-likelihood trace,
    those iterations marked.

    Parameters
    ----------
    X : array-like of shape (m, 2)
    snapshots : list of GMMParams Theta^(0..T), or a history dict with key "params"
    iterations : sequence of int, optional
        Iterations to draw (clipped to 0..T, repeats dropped).
    loglik : array-like of shape (T + 1,), optional
    mass, soft, xlabel, ylabel : see :func:`em_stepper`
    ax : sequence of Axes, optional
        len(iterations) + 1 axes; by default a grid is made.
    figure : matplotlib Figure, optional
        Draw into this figure (e.g. one not managed by pyplot) instead of a new pyplot figure.
    layout : {"notebook", "slide"}, default "notebook"
        "slide": a new figure of 12 x 6 inches at 100 dpi (1200 x 600 px) that fits a 16:9 slide at its
        natural size, no text under 12 pt.

    Returns
    -------
    StaticArtists
    """
    X = as_data(X)
    snapshots = as_snapshots(snapshots)
    T = len(snapshots) - 1
    loglik = _loglik(X, snapshots, loglik)
    if iterations is None:
        iterations = (0, 1, 2, 5, T)
    its = []
    for t in iterations:
        t = min(max(int(t), 0), T)
        if t not in its:
            its.append(t)
    n_panels = len(its) + 1
    axes = panel_axes(n_panels, ax, layout, lambda nrows, ncols: (4.8 * ncols, 4.3 * nrows),
                      f"em_static needs {n_panels} axes ({len(its)} iterations + the trace)", figure=figure)
    fig = axes[0].figure
    panels = []
    xlim, ylim = view_limits(X, [snapshots[t] for t in its], mass)
    for a, t in zip(axes[:-1], its, strict=True):
        panels.append(gmm_2d(X, snapshots[t], soft=soft, mass=mass, ax=a, legend=False, xlabel=xlabel,
                             ylabel=ylabel, title=f"$t = {t}$: $\\ell = {loglik[t]:.2f}$"))
        a.set_xlim(xlim)
        a.set_ylim(ylim)
    trace = loglik_trace(loglik, ax=axes[-1])
    axes[-1].plot(its, loglik[its], linestyle="none", marker="o", markersize=13, markerfacecolor="none",
                  markeredgecolor=PALETTE[3], markeredgewidth=2.5, label="panels shown")
    trace.legend.remove()
    trace.legend = axes[-1].legend(loc="lower right")
    # One legend for all panels, below them, so it hides no data.
    handles = legend_handles(snapshots[0].k, None, True)
    if ax is None:
        legend = fig.legend(handles=handles, loc="outside lower center", ncols=len(handles))
    else:
        legend = axes[0].legend(handles=handles, loc="best")
    return StaticArtists(fig=fig, axes=axes, panels=panels, trace=trace, iterations=its, legend=legend)
