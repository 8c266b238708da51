"""emlab.plots._jensen: jensen, jensen_static and jensen_widget, asserted on what was drawn."""

import base64
import io

import matplotlib.pyplot as plt
import numpy as np
import pytest
from plot_helpers import legend_texts, render_png

from emlab import plots
from emlab.style import PALETTE


def test_jensen_classic_log_two_points():
    out = plots.jensen()  # ln x, x in {1, 4}, p = 1/2
    # the chord passes through (x1, ln x1) and (x2, ln x2)
    np.testing.assert_allclose(out.chord.get_xydata(), [[1.0, 0.0], [4.0, np.log(4.0)]])
    np.testing.assert_allclose(out.points.get_xydata(), [[1.0, 0.0], [4.0, np.log(4.0)]])
    assert out.Ex == pytest.approx(2.5)
    assert out.f_Ex == pytest.approx(np.log(2.5))
    assert out.E_fx == pytest.approx(0.5 * np.log(4.0))
    # ln E[x] - E[ln x] = ln 2.5 - ln 2 = ln 1.25
    assert -out.gap == pytest.approx(np.log(1.25), rel=1e-12)
    assert out.shape == "concave"
    # drawn where the numbers say: f(E[x]) on the curve, E[f(x)] on the chord at x = E[x]
    np.testing.assert_allclose(out.f_of_mean.get_xydata(), [[2.5, np.log(2.5)]])
    np.testing.assert_allclose(out.mean_of_f.get_xydata(), [[2.5, np.log(2.0)]])
    assert np.interp(2.5, *out.chord.get_data()) == pytest.approx(np.log(2.0))
    assert out.mean_line.get_xdata()[0] == pytest.approx(2.5)
    arrow = out.gap_arrow
    np.testing.assert_allclose(sorted([arrow.xy[1], arrow.xyann[1]]), [np.log(2.0), np.log(2.5)])
    assert "0.223" in out.gap_text.get_text()
    curve_x, curve_y = out.curve.get_data()
    assert curve_x.min() == pytest.approx(0.1) and curve_x.max() == pytest.approx(5.0)
    np.testing.assert_allclose(curve_y, np.log(curve_x))
    assert legend_texts(out.legend) == [
        r"$\ln x$",
        r"$(x_i, \ln x_i)$",
        "chord",
        r"$\mathbb{E}[x] = 2.500$",
        r"$\ln \mathbb{E}[x] = 0.916$",
        r"$\mathbb{E}[\ln x] = 0.693$",
    ]
    assert out.ax.get_xlabel() == "$x$" and out.ax.get_ylabel() == r"$\ln x$"
    assert "concave" in out.ax.get_title()
    render_png(out.fig)


def test_jensen_convex_many_points_uses_hull():
    x = np.array([-1.0, 0.0, 0.7, 1.5])
    p = np.array([0.2, 0.3, 0.3, 0.2])
    out = plots.jensen(np.exp, x, p, xlim=(-1.5, 2.0))
    assert out.chord is None and out.hull is not None
    assert out.shape == "convex"
    assert out.gap == pytest.approx(p @ np.exp(x) - np.exp(p @ x))
    assert out.gap > 0
    # (E[x], E[f(x)]) lies inside the convex hull of the points
    assert out.hull.get_path().contains_point((out.Ex, out.E_fx))
    assert not out.hull.get_path().contains_point((out.Ex, out.E_fx + 5))
    assert "convex hull of the points" in legend_texts(out.legend)
    render_png(out.fig)


def test_jensen_generic_function_and_point_mass():
    out = plots.jensen(lambda t: t**2, x=(0.5, 2.0, 3.0), p=(0.0, 1.0, 0.0), xlim=(0, 4))
    assert out.gap == pytest.approx(0.0, abs=1e-12)  # a point mass: no gap
    assert out.gap_arrow is None
    assert out.ax.get_ylabel() == "$f(x)$"
    assert out.shape == "convex"
    wavy = plots.jensen(np.sin, x=(0.0, 3.0), p=(0.5, 0.5), xlim=(0, 6))
    assert wavy.shape == "neither" and "no Jensen guarantee" in wavy.ax.get_title()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"x": (1.0, 4.0), "p": (0.5, 0.6)}, "sum to 1"),
        ({"x": (1.0, 4.0), "p": (1.5, -0.5)}, "non-negative"),
        ({"x": (1.0, 4.0), "p": (1.0,)}, "one probability per point"),
        ({"x": (-1.0, 4.0), "p": (0.5, 0.5)}, "not finite"),
        ({"xlim": (5, 1)}, "xlim"),
        ({"f": "log"}, "function"),
    ],
)
def test_jensen_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        plots.jensen(**kwargs)


def _inside(inner, outer) -> bool:
    return inner.x0 >= outer.x0 and inner.x1 <= outer.x1 and inner.y0 >= outer.y0 and inner.y1 <= outer.y1


def test_jensen_labels_stay_inside_and_off_the_guides():
    # the point at x = 0.5 is next to the y axis: its label must not spill onto the tick labels
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    out = plots.jensen(np.log, x=(0.5, 1.5, 4.5), p=(0.2, 0.5, 0.3), ax=left, xlim=(0.1, 5.0))
    plots.jensen(np.exp, x=(-1.0, 1.5), p=(0.6, 0.4), ax=right, xlim=(-1.5, 2.0))
    fig.draw_without_rendering()
    assert [t.get_text() for t in out.p_labels] == ["$p=0.20$", "$p=0.50$", "$p=0.30$"]
    box = left.get_window_extent()
    for t in out.p_labels:
        assert _inside(t.get_window_extent(), box), t.get_text()
    # p = 0.9 on a point right next to E[x]: the label keeps off the dotted guides at f(E[x]) and E[f(x)]
    lopsided = plots.jensen(np.log, x=(1.0, 4.0), p=(0.9, 0.1))
    lopsided.fig.draw_without_rendering()
    label = lopsided.p_labels[0].get_window_extent()
    for yy in (lopsided.f_Ex, lopsided.E_fx):
        y_px = lopsided.ax.transData.transform((1.0, yy))[1]
        assert not label.y0 <= y_px <= label.y1
    assert not label.overlaps(lopsided.gap_text.get_window_extent())


def test_jensen_small_gap_stays_visible():
    big = plots.jensen(np.log, x=(0.5, 4.9), p=(0.5, 0.5))  # gap 0.545: the bracket alone is long enough
    assert big.gap_pointers == [] and big.gap_arrow is not None
    small = plots.jensen(np.log, x=(1.0, 1.5), p=(0.5, 0.5))  # gap ~0.02: a few pixels
    assert abs(small.gap) < 0.03
    assert len(small.gap_pointers) == 2  # two arrows point at the bracket's ends from outside
    tips = sorted(a.xy[1] for a in small.gap_pointers)
    np.testing.assert_allclose(tips, sorted([small.f_Ex, small.E_fx]))
    # the bracket ends at the two values, drawn to the right of x = E[x] (clear of the markers)
    np.testing.assert_allclose(sorted([small.gap_arrow.xy[1], small.gap_arrow.xyann[1]]),
                               sorted([small.f_Ex, small.E_fx]))  # fmt: skip
    small.fig.draw_without_rendering()
    x_bracket = small.gap_arrow.get_window_extent().x0
    x_marker = small.ax.transData.transform((small.Ex, small.E_fx))[0]
    assert x_bracket > x_marker + 5
    assert "0.020" in small.gap_text.get_text()
    render_png(small.fig)


def test_jensen_widget_falls_back_headless():
    out = plots.jensen_widget()  # no kernel here: the static figure
    assert isinstance(out, plots.jensen_static().__class__)
    assert len(out.panels) == 3
    assert out.panels[0].gap == pytest.approx(np.log(2.0) - np.log(2.5))
    # the gap shrinks as the distribution concentrates
    gaps = [abs(a.gap) for a in out.panels]
    assert gaps[0] > gaps[1] and gaps[0] > gaps[2]
    assert out.panels[0].legend is not None and out.panels[1].legend is None
    render_png(out.fig)


def test_jensen_widget_sliders_redraw(capsys):
    w = plots.jensen_widget(interactive=True)
    assert set(w.sliders) == {"x1", "x2", "p"}
    assert w.artists.Ex == pytest.approx(2.5)
    w.sliders["p"].value = 0.9
    assert w.artists.Ex == pytest.approx(0.9 * 1.0 + 0.1 * 4.0)
    w.sliders["x2"].value = 3.0
    np.testing.assert_allclose(w.artists.chord.get_xydata()[1], [3.0, np.log(3.0)])
    # one set of artists on the axes after several redraws (each redraw clears the old one)
    assert len(w.ax.lines) == len(w.artists.ax.lines) and w.artists.ax is w.ax
    assert sum(line.get_label() == "chord" for line in w.ax.lines) == 1
    assert repr(w) == f"JensenWidget(x=(1.00, 3.00), p=0.90, gap={w.artists.gap:.3f})"
    assert all(s.continuous_update for s in w.sliders.values())  # redrawn while dragged
    with pytest.raises(ValueError, match="two points"):
        plots.jensen_widget(x=(1.0, 2.0, 3.0), interactive=True)


def test_jensen_widget_leaves_no_pyplot_figure(capsys):
    plt.close("all")
    w = plots.jensen_widget(interactive=True)
    # the widget's figure is not tracked by pyplot: the next plotting cell shows no stale copy of it
    assert plt.get_fignums() == []
    w.sliders["p"].value = 0.3
    assert plt.get_fignums() == []
    w.static_png()
    assert plt.get_fignums() == []
    render_png(w.fig)


def test_jensen_widget_mimebundle_has_static_fallback(capsys):
    w = plots.jensen_widget(interactive=True)
    bundle = w._repr_mimebundle_()
    # widget view for JupyterLab; a PNG and a fixed text for GitHub, nbviewer, print and nbval
    assert "application/vnd.jupyter.widget-view+json" in bundle
    png = base64.b64decode(bundle["image/png"])
    assert png.startswith(b"\x89PNG")
    assert bundle["text/plain"].startswith("Jensen explorer: sliders for x_1, x_2 and p_1")
    assert "VBox" not in bundle["text/plain"] and " at 0x" not in bundle["text/plain"]
    w.sliders["x1"].value = 2.0  # the fallback picture and text do not depend on the slider state
    again = w._repr_mimebundle_()
    assert again["text/plain"] == bundle["text/plain"] and again["image/png"] == bundle["image/png"]
    # what display() showed when the widget was made is this same bundle (no VBox(...) text)
    shown = capsys.readouterr().out
    assert "VBox(children" not in shown
    with pytest.raises(ValueError, match="widen xlim"):
        plots.jensen_widget(x=(1.0, 7.0), interactive=True)
    with pytest.raises(ValueError, match="p0"):
        plots.jensen_widget(p0=1.5)


def test_jensen_update_moves_the_drawing_to_what_a_fresh_drawing_shows():
    live = plots.jensen(np.log, x=(1.0, 4.0), p=(0.5, 0.5))
    ids = [id(a) for a in (live.points, live.chord, live.mean_line, live.f_of_mean, live.mean_of_f, *live.guides)]
    live.update((0.1, 3.0), (0.9, 0.1))  # x_1 at the sliders' lower end
    fresh = plots.jensen(np.log, x=(0.1, 3.0), p=(0.9, 0.1))
    assert ids == [id(a) for a in (live.points, live.chord, live.mean_line, live.f_of_mean, live.mean_of_f,
                                   *live.guides)]  # moved in place  # fmt: skip
    assert (live.Ex, live.f_Ex, live.E_fx, live.gap) == pytest.approx((fresh.Ex, fresh.f_Ex, fresh.E_fx, fresh.gap))
    for name in ("points", "chord", "f_of_mean", "mean_of_f"):
        np.testing.assert_allclose(getattr(live, name).get_xydata(), getattr(fresh, name).get_xydata())
    assert live.mean_line.get_xdata()[0] == pytest.approx(fresh.Ex)
    for a, b in zip(live.guides, fresh.guides, strict=True):
        np.testing.assert_allclose(a.get_ydata(), b.get_ydata())
        assert a.get_xdata()[1] == pytest.approx(b.get_xdata()[1])
    assert legend_texts(live.legend) == legend_texts(fresh.legend)
    assert live.gap_text.get_text() == fresh.gap_text.get_text()
    ends = sorted([live.gap_arrow.xy[1], live.gap_arrow.xyann[1]])
    np.testing.assert_allclose(ends, sorted([fresh.f_Ex, fresh.E_fx]))
    assert [t.get_text() for t in live.p_labels] == ["$p=0.90$", "$p=0.10$"]
    np.testing.assert_allclose([t.xy for t in live.p_labels], fresh.points.get_xydata())
    # no gap (x_1 = x_2): no bracket, and it comes back when the points part again
    live.update((2.0, 2.0), (0.5, 0.5))
    assert live.gap == pytest.approx(0.0, abs=1e-12) and live.gap_arrow is None
    live.update((1.0, 1.5), (0.5, 0.5))
    assert live.gap_arrow is not None and len(live.gap_pointers) == 2  # a small gap gets its pointers
    assert sum(line.get_label() == "chord" for line in live.ax.lines) == 1
    with pytest.raises(ValueError, match="number of points"):
        live.update((1.0, 2.0, 3.0), (0.2, 0.3, 0.5))
    render_png(live.fig)


def test_jensen_update_moves_a_hull():
    live = plots.jensen(np.exp, x=(-1.0, 0.0, 0.7, 1.5), p=(0.2, 0.3, 0.3, 0.2), xlim=(-1.5, 2.0))
    live.update((-1.0, 0.2, 0.7, 1.2), (0.1, 0.4, 0.3, 0.2))
    fresh = plots.jensen(np.exp, x=(-1.0, 0.2, 0.7, 1.2), p=(0.1, 0.4, 0.3, 0.2), xlim=(-1.5, 2.0))
    np.testing.assert_allclose(live.hull.get_xy(), fresh.hull.get_xy())
    assert live.hull.get_path().contains_point((live.Ex, live.E_fx))


def test_jensen_widget_sends_the_browser_what_the_figure_draws(capsys):
    from PIL import Image

    w = plots.jensen_widget(interactive=True)
    scene, view = w.view.scene, w.view
    # the view listens to the three sliders (x_1, x_2, p_1, in that order): they are its whole state
    assert list(view.controls) == [w.sliders["x1"], w.sliders["x2"], w.sliders["p"]]
    assert scene["kind"] == "jensen" and scene["f"] == {"kind": "log"}  # the browser has Math.log
    assert scene["range"] == [0.1, 5.0, 0.01]
    # the axes where the kernel's figure has them (canvas pixels, top-left origin) and its limits
    box = w.ax.get_window_extent()
    H = w.fig.bbox.height
    assert (scene["width"], scene["height"]) == (round(w.fig.bbox.width), round(H))
    assert scene["ax"]["x0"] == pytest.approx(box.x0) and scene["ax"]["y1"] == pytest.approx(H - box.y0)
    assert scene["ax"]["xlim"] == pytest.approx(w.ax.get_xlim())
    assert scene["ax"]["ylim"] == pytest.approx(w.ax.get_ylim())
    # the legend's value texts: where the kernel's legend has them, inside its box, named as it names them
    leg = scene["legend"]
    assert scene["names"]["legend"] == ["E[x]", "ln E[x]", "E[ln x]"]
    for t, text in zip(leg["texts"], [t for t in w.artists.legend.get_texts()][-3:], strict=True):
        assert leg["x0"] < t["x"] < leg["x1"] and leg["y0"] < t["y"] < leg["y1"]
        assert text.get_text().startswith(scene["names"]["legend"][leg["texts"].index(t)] + " = ")
    # each p label keeps the side the first drawing chose
    assert [(d["dx"], d["dy"]) for d in scene["p_labels"]] == [tuple(t.xyann) for t in w.artists.p_labels]
    # the background is the figure without what moves: no point marker where the points are, but the frame
    # the kernel draws has them there
    bg = np.asarray(Image.open(io.BytesIO(view.background)).convert("RGB"), dtype=float)
    full = np.asarray(Image.open(io.BytesIO(w.frame())).convert("RGB"), dtype=float)
    assert bg.shape == full.shape == (scene["height"], scene["width"], 3)
    blue = np.array(PALETTE[0]) * 255
    for xi, fxi in w.artists.points.get_xydata():
        col, row = w.ax.transData.transform((xi, fxi))
        r, c = int(round(H - row)), int(round(col))
        assert np.abs(full[r, c] - blue).max() < 8 and np.abs(bg[r, c] - blue).max() > 60
    # the kernel's figure is unchanged by sending it: same numbers as before
    assert w.artists.Ex == pytest.approx(2.5) and "E[x] = 2.500" in legend_texts(w.artists.legend)


def test_jensen_widget_follows_a_value_from_the_browser(capsys):
    # Dragging a slider, or a point on the figure, sets the slider's value in the browser, which syncs it to
    # the kernel: the kernel's copy of the numbers follows (what explorer.artists reports).
    w = plots.jensen_widget(interactive=True)
    w.sliders["x1"].set_state({"value": 2.0})  # what the comm does with a message from the browser
    w.sliders["p"].set_state({"value": 0.25})
    assert w.artists.Ex == pytest.approx(0.25 * 2.0 + 0.75 * 4.0)
    assert w.artists.gap == pytest.approx(0.25 * np.log(2.0) + 0.75 * np.log(4.0) - np.log(3.5))
    assert repr(w) == f"JensenWidget(x=(2.00, 4.00), p=0.25, gap={w.artists.gap:.3f})"


def test_jensen_widget_samples_other_functions_finely_enough(capsys):
    # f the browser does not have: a table on the sliders' range, fine enough that linear interpolation
    # gives f(E[x]) to the 3 decimals shown, even where f bends most (ln near 0.1)
    w = plots.jensen_widget(f=lambda v: np.log(v) + 0.0, interactive=True)
    spec = w.view.scene["f"]
    table = np.frombuffer(w.view.arrays["f"], dtype="<f8")
    grid = spec["x0"] + spec["dx"] * np.arange(table.size)
    assert spec["kind"] == "table" and grid[-1] == pytest.approx(5.0)
    np.testing.assert_allclose(table, np.log(grid), atol=1e-12)
    fine = np.linspace(0.1, 5.0, 100_001)
    assert np.abs(np.interp(fine, grid, table) - np.log(fine)).max() < 5e-5


def test_jensen_widget_needs_anywidget(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "anywidget", None)
    with pytest.raises(ImportError, match="anywidget"):
        plots.jensen_widget(interactive=True)
    assert isinstance(plots.jensen_widget(), plots.jensen_static().__class__)  # and never chosen by default


def test_jensen_widget_browser_computes_what_the_kernel_draws(tmp_path, capsys):
    # The browser's numbers and texts (emlab/plots/_live.js, run here with node) equal the kernel's drawing
    # of the same state, for a function the browser has (ln) and one it reads from the sampled table.
    import json
    import shutil
    import subprocess
    from pathlib import Path

    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    js = Path(plots.__file__).with_name("_live.js").as_uri()
    states = [(1.0, 4.0, 0.5), (0.1, 3.0, 0.9), (2.0, 2.0, 0.3), (4.7, 0.35, 0.02), (1.23, 1.5, 1.0)]
    for f in (np.log, lambda v: np.sqrt(v) * 2.0):
        w = plots.jensen_widget(f=f, interactive=True)
        scene = w.view.scene
        table = list(np.frombuffer(w.view.arrays["f"], dtype="<f8")) if "f" in w.view.arrays else []
        script = (
            f"import {{ jensenFunction, jensenLabels, jensenState }} from {json.dumps(js)};\n"
            f"const S = {json.dumps(scene)};\n"
            f"const table = new Float64Array({json.dumps(table)});\n"
            "const f = jensenFunction(S, { f: new DataView(table.buffer) });\n"
            f"const out = {json.dumps(states)}.map(([a, b, p]) => {{\n"
            "  const st = jensenState(S, f, a, b, p);\n"
            "  return { ...jensenLabels(S, st), Ex: st.Ex, fEx: st.fEx, Efx: st.Efx };\n"
            "});\n"
            "console.log(JSON.stringify(out));\n"
        )
        (tmp_path / "check.mjs").write_text(script)
        run = subprocess.run([node, str(tmp_path / "check.mjs")], capture_output=True, text=True, check=True)
        for (a, b, p), got in zip(states, json.loads(run.stdout), strict=True):
            w.sliders["x1"].value, w.sliders["x2"].value, w.sliders["p"].value = a, b, p
            art = w.artists
            assert (got["Ex"], got["fEx"], got["Efx"]) == pytest.approx((art.Ex, art.f_Ex, art.E_fx), abs=5e-5)
            assert got["legend"] == legend_texts(art.legend)[-3:]
            assert got["gap"] == art.gap_text.get_text()
            assert got["p"] == [t.get_text() for t in art.p_labels]
