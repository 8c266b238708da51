"""What the kernel does for the live demos, and what a frame costs where the kernel must draw it.

The live demos (the EM stepper, the Jensen widget) are drawn in the browser (``emlab/plots/_live.js``):
dragging a slider costs no kernel round trip, and ``benchmarks/bench_live_browser.py`` times that path,
pointer to pixels. The kernel still hears every slider value and keeps its copy of the figure current
(artists moved in place), and it draws whole frames where there is no browser view: ``frame_png()``,
``plots.em_animation`` and the static fallbacks. This script times those kernel-side parts.

Run from the repository root, in the environment emlab is installed in:

    python benchmarks/bench_stepper.py [--m 272 1000] [--frames 40]

EM stepper: prints, per data size m, the median time per step of
- update:       moving the artists (offsets, colours, ellipses, trace) -- what `show(i)` costs;
- update + frame: update plus one frame encoded as PNG, lossless WebP or JPEG (what an animation frame costs);
- full redraw:  update plus a full `savefig` (what a naive stepper would do), for comparison;
and the ratio of full redraw to the WebP path; then "slider -> kernel": setting the widget's slider from
Python, which runs the kernel's side of one step (also for the 1200 x 520 px frames of layout="slide").

Jensen widget: the median time from a new slider value to the kernel's updated artists, and a full redraw
(clear the axes, draw anew, render a PNG), and their ratio.

Timings on a shared machine are noisy: the median of many steps is shown.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from emlab import GMMParams, plots, run_em  # noqa: E402
from emlab.style import use_style  # noqa: E402


def snapshots(m: int, T: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = np.vstack([
        rng.multivariate_normal([-1.2, -1.0], [[0.2, 0.08], [0.08, 0.3]], m // 3),
        rng.multivariate_normal([0.8, 0.6], [[0.3, 0.1], [0.1, 0.25]], m - m // 3),
    ])
    start = GMMParams(phi=[0.5, 0.5], mu=[[-1.5, 1.0], [1.5, -1.0]], Sigma=[0.5 * np.eye(2)] * 2)
    # T iterations with no early stop (tol=0), every iterate recorded: the history_ schema.
    _, history = run_em(X, start, max_iter=T, tol=0.0, record_params=True)
    return X, history["params"]


def median_ms(fn, frames: int) -> tuple[float, float]:
    """Median wall-clock and median CPU time (ms) of fn(i) over ``frames`` calls.

    CPU time (this process only) is what a step costs on an idle machine; wall time includes waiting
    for the CPU when other processes share it.
    """
    wall, cpu = [], []
    for i in range(frames):
        w0, c0 = time.perf_counter(), time.process_time()
        fn(i)
        wall.append(time.perf_counter() - w0)
        cpu.append(time.process_time() - c0)
    return 1e3 * statistics.median(wall), 1e3 * statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--m", type=int, nargs="+", default=[272, 1000])
    parser.add_argument("--frames", type=int, default=40)
    args = parser.parse_args()
    use_style()
    print(f"cores: {os.cpu_count()}, load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("EM stepper, per step, median wall / CPU ms")
    print(f"{'m':>6} {'update':>14} {'+ PNG frame':>16} {'+ WebP frame':>16} {'+ JPEG frame':>16} "
          f"{'full redraw':>16} {'full/WebP (CPU)':>16}")
    for m in args.m:
        X, snaps = snapshots(m, T=20)
        t0 = time.perf_counter()
        st = plots.em_stepper(X, snaps)
        st.frame_png()  # first frame draws the static background once
        setup = time.perf_counter() - t0
        n = st.n_frames
        upd = median_ms(lambda i, st=st, n=n: st.show(i % n), args.frames)
        cols = []
        for fmt in ("png", "webp", "jpeg"):
            cols.append(median_ms(lambda i, st=st, n=n, fmt=fmt: (st.show(i % n), st._frame_bytes(fmt)), args.frames))
        full = median_ms(lambda i, st=st, n=n: (st.show(i % n), st.render_png()), max(5, args.frames // 4))
        print(f"{m:6d} {upd[0]:6.1f} / {upd[1]:5.1f} "
              + " ".join(f"{c[0]:8.1f} / {c[1]:5.1f}" for c in cols)
              + f" {full[0]:8.1f} / {full[1]:5.1f} {full[1] / cols[1][1]:15.1f}x"
              f"   (setup {setup:.2f} s, {n} frames, {st.fig.bbox.width:.0f} x {st.fig.bbox.height:.0f} px, "
              f"PNG {len(st.frame_png()) / 1024:.0f} KiB, WebP {len(st._frame_bytes('webp')) / 1024:.0f} KiB)")
        if st.widget is not None:
            slider = st.widget.children[0].children[-1]
            drag = median_ms(lambda i, slider=slider, n=n: setattr(slider, "value", (i + 1) % n), args.frames)
            slide = plots.em_stepper(X, snaps, layout="slide")
            slide.frame_png()
            slide_slider = slide.widget.children[0].children[-1]
            drag_slide = median_ms(lambda i, sl=slide_slider, n=n: setattr(sl, "value", (i + 1) % n), args.frames)
            print(f"{'':6s} slider -> kernel: {drag[0]:6.1f} / {drag[1]:5.1f} ms;"
                  f" layout='slide' (1200 x 520 px) {drag_slide[0]:6.1f} / {drag_slide[1]:5.1f} ms")
    jensen_benchmark(args.frames)
    print("the browser redraws on its own: see benchmarks/bench_live_browser.py for pointer -> pixels")


def jensen_benchmark(frames: int) -> None:
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    w = plots.jensen_widget(interactive=True)  # displays nothing outside a kernel
    xs = np.linspace(0.3, 3.0, frames)
    live = median_ms(lambda i: setattr(w.sliders["x1"], "value", float(xs[i])), frames)
    ps = np.linspace(0.05, 0.95, frames)
    live_p = median_ms(lambda i: setattr(w.sliders["p"], "value", float(ps[i])), frames)

    fig = Figure(figsize=w.fig.get_size_inches(), dpi=w.fig.dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()

    def full_redraw(i):
        ax.clear()
        plots.jensen(np.log, (float(xs[i]), 4.0), (0.5, 0.5), ax=ax)
        fig.savefig(io.BytesIO(), format="png", dpi=fig.dpi)

    full = median_ms(full_redraw, max(5, frames // 4))
    print("Jensen widget, slider -> kernel's artists, median wall / CPU ms")
    print(f"  x_1 slider {live[0]:6.1f} / {live[1]:5.1f}   p_1 slider {live_p[0]:6.1f} / {live_p[1]:5.1f}   "
          f"full redraw {full[0]:6.1f} / {full[1]:5.1f}   full/live (CPU) {full[1] / live[1]:5.1f}x   "
          f"({w.fig.bbox.width:.0f} x {w.fig.bbox.height:.0f} px)")


if __name__ == "__main__":
    main()
