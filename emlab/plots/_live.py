"""Live figures drawn in the browser: the anywidget view behind the Jensen explorer and the EM stepper.

A kernel round trip per slider move (the widget sends the value, the kernel redraws, encodes and sends a
frame, the browser decodes it) measured 58-140 ms from pointer to screen here, and the round trip alone, with
no redraw at all, 33-65 ms: more than the 50 ms a demo may take to follow the mouse. So Python draws the
unchanging part of the figure once with matplotlib (axes, ticks, labels, legend, the curve or the whole trace)
and sends it as a PNG with the numbers of every state; ``_live.js`` paints the moving parts on a canvas when a
slider changes or a point is dragged, in the browser, within one frame. The ipywidgets sliders stay the
single source of truth: the view listens to their models, so the kernel still hears every value.

anywidget is imported only when a live view is made, so ``import emlab`` stays light.
"""

from __future__ import annotations

import functools
import io
from pathlib import Path

import numpy as np
from matplotlib.markers import MarkerStyle

_ESM = Path(__file__).with_name("_live.js")

# matplotlib's dash patterns in points per unit of line width (rcParams lines.*_pattern, scaled by the width).
_DASHES = {"-": [], "solid": [], "--": [3.7, 1.6], "dashed": [3.7, 1.6], ":": [1.0, 1.65], "dotted": [1.0, 1.65],
           "-.": [6.4, 1.6, 1.0, 1.6], "dashdot": [6.4, 1.6, 1.0, 1.6]}  # fmt: skip


def available() -> bool:
    """True when anywidget (and so ipywidgets) can be imported: the live views can be made."""
    try:
        import anywidget  # noqa: F401
    except ImportError:
        return False
    return True


def dashes_px(linestyle, linewidth_pt: float, dpi: float) -> list:
    """The canvas dash array (pixels) of a matplotlib line style at a line width, as matplotlib scales it."""
    seq = list(linestyle[1] or []) if isinstance(linestyle, tuple) else _DASHES[linestyle]
    return [float(v) * linewidth_pt * dpi / 72.0 for v in seq]


def marker_polygon(marker: str):
    """A marker as the canvas draws it: "o", or the polygon of matplotlib's path in units of the marker size."""
    if marker == "o":
        return "o"
    style = MarkerStyle(marker)
    path = style.get_path().transformed(style.get_transform())
    verts = path.vertices if path.codes is None else path.vertices[path.codes != path.CLOSEPOLY]
    return np.round(verts, 6).tolist()


def canvas_axes(ax) -> dict:
    """An axes' box in canvas pixels (top-left origin) and its data limits (linear scales only)."""
    box = ax.get_window_extent()
    height = ax.figure.bbox.height
    return {"x0": float(box.x0), "x1": float(box.x1), "y0": float(height - box.y1), "y1": float(height - box.y0),
            "xlim": [float(v) for v in ax.get_xlim()], "ylim": [float(v) for v in ax.get_ylim()]}


def png_of_canvas(fig) -> bytes:
    """The Agg canvas as it is now (after a draw), as PNG bytes (RGB)."""
    from PIL import Image

    buf = fig.canvas.buffer_rgba()
    img = Image.frombuffer("RGBA", (buf.shape[1], buf.shape[0]), buf, "raw", "RGBA", 0, 1).convert("RGB")
    out = io.BytesIO()
    img.save(out, format="png", optimize=False, compress_level=6)
    return out.getvalue()


@functools.cache
def _view_class():
    import anywidget
    import ipywidgets as widgets
    import traitlets

    class LiveFigure(anywidget.AnyWidget):
        """A figure drawn in the browser: a PNG background, the numbers of every state, and the sliders
        whose values pick the state."""

        _esm = _ESM.read_text(encoding="utf-8")
        #: the unchanging part of the figure, drawn by matplotlib
        background = traitlets.Bytes(b"").tag(sync=True)
        #: sizes, axes, styles and the (small) numbers of every state
        scene = traitlets.Dict().tag(sync=True)
        #: large arrays, sent as binary buffers (name -> bytes)
        arrays = traitlets.Dict().tag(sync=True)
        #: the ipywidgets controls whose ``value`` the view shows (it listens to their models)
        controls = traitlets.List(traitlets.Instance(widgets.Widget)).tag(sync=True, **widgets.widget_serialization)

    return LiveFigure


def live_view(scene: dict, background: bytes, controls: list, arrays: dict | None = None):
    """A new browser-drawn figure (an anywidget ``DOMWidget``)."""
    return _view_class()(scene=scene, background=background, controls=list(controls), arrays=dict(arrays or {}))
