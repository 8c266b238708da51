"""emlab.plots._common and the package as a whole: records, layout rules, every figure renders."""

import ast
import io
import warnings
from pathlib import Path

import numpy as np
import pytest
from plot_helpers import MEANS3, PNG_MAGIC, assert_ellipse_matches, covariances, two_blobs

from emlab import GMMParams, datasets, log_likelihood, plots


def test_every_figure_renders_to_png_without_warnings(run):
    X, snaps = run
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figs = [
            plots.gmm_2d(X, snaps[2]).ax.figure,
            plots.gmm_2d(X, snaps[2], soft=False, mass=0.5).ax.figure,
            plots.ellipses(MEANS3, covariances("tied")[0], "tied").ax.figure,
            plots.em_panels(X, snaps).fig,
            plots.loglik_trace([log_likelihood(X, s) for s in snaps]).ax.figure,
            plots.information_criteria([1, 2, 3], [3.0, 1.0, 2.0], [2.5, 0.5, 1.0]).ax.figure,
            plots.em_stepper(X, snaps[:3]).fig,
        ]
        for fig in figs:
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=40)
            assert buf.getvalue().startswith(PNG_MAGIC)


def test_figures_read_emlabs_own_estimator_and_its_history():
    from emlab import GaussianMixture

    X = two_blobs(seed=2, m=90)
    gm = GaussianMixture(n_components=2, covariance_type="diag", record_params=True, random_state=0).fit(X)
    art = plots.gmm_2d(X, gm)
    for j in range(2):
        assert_ellipse_matches(art.ellipses[j], gm.means_[j], np.diag(gm.covariances_[j]), 0.95)
    panels = plots.em_panels(X, gm.history_)
    assert panels.steps[:3] == ["init", "E1", "t=1"]
    trace = plots.loglik_trace(gm.history_)
    np.testing.assert_array_equal(trace.t, np.arange(1, gm.n_iter_ + 1))


def test_records_have_address_free_reprs_and_no_display_of_their_own(run):
    X, snaps = run
    records = (plots.gmm_2d(X, snaps[1]), plots.loglik_trace([1.0, 2.0]),
               plots.information_criteria([1, 2], [2.0, 1.0]), plots.ellipses(MEANS3, covariances("diag")[0], "diag"))
    for record in records:
        text = repr(record)
        assert "0x" not in text and text.startswith(type(record).__name__ + "(")
        assert record._ipython_display_() is None  # the figure is the output, in nbconvert and nbval alike
    assert "ellipses=[3 items]" in repr(plots.ellipses(MEANS3, covariances("full")[0]))


def test_artists_reprs_have_no_addresses():
    x, _ = datasets.two_gaussians_1d(seed=0)
    theta0 = GMMParams(phi=[0.5, 0.5], mu=[4.0, 6.0], Sigma=[9.0, 9.0])
    for out in (plots.jensen(), plots.em_bound(x, theta0), plots.mixture_1d(x), plots.jensen_widget()):
        assert " at 0x" not in repr(out) and repr(out).startswith(type(out).__name__ + "(")


# ---------------------------------------------------------------------------------------------------------
# The package's layout: private modules, one per figure family, sharing only through _common
# ---------------------------------------------------------------------------------------------------------
PLOTS_DIR = Path(plots.__file__).parent


def _imports(path):
    """(module, names) of every ``from ... import ...`` in the file (relative modules as written, with dots)."""
    tree = ast.parse(path.read_text())
    return [("." * n.level + (n.module or ""), [a.name for a in n.names])
            for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]


def test_plot_modules_are_private_and_public_names_are_the_functions():
    modules = sorted(p.stem for p in PLOTS_DIR.glob("*.py") if p.stem != "__init__")
    assert modules and all(m.startswith("_") for m in modules), modules
    for name in plots.__all__:
        assert callable(getattr(plots, name)), name
    # the function plots.jensen is not shadowed by a module of the same name
    assert plots.jensen.__module__ == "emlab.plots._jensen"


def test_plot_modules_share_only_through_common_and_load_no_data():
    for path in PLOTS_DIR.glob("*.py"):
        for module, names in _imports(path):
            assert "datasets" not in module and "datasets" not in names, f"{path.name} imports emlab.datasets"
            if module.startswith(".") and not module.startswith("..") and module != "._common":
                private = [n for n in names if n.startswith("_")]
                assert not private, f"{path.name} imports private names {private} from {module}"


# ---------------------------------------------------------------------------------------------------------
# Slide layout: multi-panel figures that a 16:9 slide shows at their natural size, text >= 12 px
# ---------------------------------------------------------------------------------------------------------
def _texts_shown(fig):
    """Every visible, non-empty text the figure draws (tick labels only where they are inside the figure)."""
    from matplotlib.text import Text

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ticks = {t for ax in fig.axes for axis in (ax.xaxis, ax.yaxis)
             for t in axis.get_ticklabels(which="both")}  # fmt: skip
    for t in fig.findobj(Text):
        if t.get_visible() and t.get_text().strip():
            yield t, t.get_window_extent(renderer), t in ticks


def assert_fits_a_slide(fig, max_px=(1200, 600)):
    """At 1280 x 720 the figure is shown at its natural size, so a text of s pt is s * dpi / 72 px: >= 16 px
    leaves >= 12 px even if the deck shrinks the picture to 75%. Nothing may stick out of the figure."""
    width, height = fig.bbox.width, fig.bbox.height
    assert width <= max_px[0] + 0.5 and height <= max_px[1] + 0.5, (width, height)
    assert width / height > 1.3  # landscape, for a 16:9 slide
    n = 0
    for t, box, is_tick in _texts_shown(fig):
        assert t.get_fontsize() * fig.dpi / 72 >= 16, (t.get_text(), t.get_fontsize())
        inside = box.x0 >= -1 and box.y0 >= -1 and box.x1 <= width + 1 and box.y1 <= height + 1
        assert inside or is_tick, f"{t.get_text()!r} sticks out of the figure: {box}"
        n += 1
    assert n > 10


def test_multi_panel_figures_have_a_slide_layout(run):
    X, snaps = run
    panels = plots.em_panels(X, snaps, layout="slide")
    assert_fits_a_slide(panels.fig)
    assert [a.get_title() for a in panels.axes][2:] == ["(c) $t = 1$", "(d) $t = 2$", "(e) $t = 5$", "(f) $t = 20$"]
    assert_fits_a_slide(plots.em_static(X, snaps, layout="slide").fig)
    static = plots.jensen_static(layout="slide")
    assert_fits_a_slide(static.fig)
    assert plots.jensen_widget(layout="slide", interactive=False).fig.bbox.width == static.fig.bbox.width
    stepper = plots.em_stepper(X, snaps, layout="slide")
    stepper.show(7)
    assert_fits_a_slide(stepper.fig, max_px=(1200, 520))  # the controls go above the frame
    assert stepper.scatter.ax.title.get_fontsize() == stepper.trace.ax.title.get_fontsize() < 16
    from PIL import Image

    frame = Image.open(io.BytesIO(stepper.frame_png()))
    assert frame.size == (1200, 520)
    assert Image.open(io.BytesIO(stepper.static_png())).size == (1200, 600)
    # the notebook layouts are larger than a slide: shrunk to fit, their text would fall under 12 px
    assert plots.em_panels(X, snaps).fig.bbox.height > 600
    with pytest.raises(ValueError, match="layout"):
        plots.em_panels(X, snaps, layout="beamer")
    with pytest.raises(ValueError, match="layout"):
        plots.jensen_widget(layout="poster", interactive=True)
