"""One look for every figure of the course: colour-blind-safe, shape-coded, readable when projected."""

from __future__ import annotations

import contextlib

import matplotlib as mpl
import seaborn as sns

__all__ = ["PALETTE", "MARKERS", "LINESTYLES", "RC", "component_style", "use_style", "course_style"]

# seaborn's "colorblind" palette (Okabe-Ito-like): distinguishable under the common colour-vision deficiencies.
PALETTE = [tuple(c) for c in sns.color_palette("colorblind", 10)]
# Shapes carry the component identity too, so nothing depends on colour alone (or on a colour printer).
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*", "h", "<"]
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1))]

# Sized for a lecture room: 14 pt text on a 9 x 5.5 inch figure stays legible at the back.
RC = {
    "figure.figsize": (9.0, 5.5),
    "figure.dpi": 100,
    "savefig.dpi": 120,
    "figure.autolayout": False,
    "figure.constrained_layout.use": True,
    "font.size": 14,
    "axes.titlesize": 16,
    "axes.labelsize": 15,
    "xtick.labelsize": 13,
    "ytick.labelsize": 13,
    "legend.fontsize": 12,
    "legend.framealpha": 0.9,
    "lines.linewidth": 2.2,
    "lines.markersize": 7,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "image.cmap": "viridis",
}


def component_style(j: int) -> dict:
    """Colour, marker and line style of mixture component ``j`` (0-based), the same in every figure."""
    return {
        "color": PALETTE[j % len(PALETTE)],
        "marker": MARKERS[j % len(MARKERS)],
        "linestyle": LINESTYLES[j % len(LINESTYLES)],
    }


def use_style() -> None:
    """Apply the course style globally (call once at the top of a notebook)."""
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE)
    mpl.rcParams.update(RC)


@contextlib.contextmanager
def course_style():
    """Context manager: the course style inside the ``with`` block, the previous settings after it."""
    with mpl.rc_context():
        use_style()
        yield
