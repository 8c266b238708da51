"""emlab.plots._rate: rate_vs_separation, convergence_gaps and stream_scores (notebook 10)."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from emlab import plots
from emlab.style import component_style


def test_rate_vs_separation_draws_the_rate_and_the_iterations_per_digit():
    art = plots.rate_vs_separation([1.0, 2.0, 4.0], [0.99, 0.9, 0.5])
    np.testing.assert_allclose(art.line.get_xydata(), [[1.0, 0.99], [2.0, 0.9], [4.0, 0.5]])
    # ln 10 / (-ln lambda): 0.9 costs about 21.9 iterations per decimal digit, 0.5 about 3.3.
    np.testing.assert_allclose(art.digits_line.get_ydata(), np.log(10) / -np.log([0.99, 0.9, 0.5]))
    assert art.digits_ax.get_yscale() == "log"
    assert art.line.get_marker() != art.digits_line.get_marker()
    assert art.ax.get_xlabel().startswith("separation") and "lambda" in art.ax.get_ylabel()
    assert [t.get_text() for t in art.legend.get_texts()] == [
        "rate $\\lambda$ (left axis)",
        "iterations per digit (right axis)",
    ]
    with pytest.raises(ValueError, match="one rate per separation"):
        plots.rate_vs_separation([1.0, 2.0], [0.5])
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        plots.rate_vs_separation([1.0], [1.2])
    plt.close("all")


def test_convergence_gaps_one_line_per_method_on_a_log_axis():
    gaps = {"plain EM": ([1, 2, 3], [1e-2, 1e-4, 0.0]), "SQUAREM": ([2, 5], [1e-3, 1e-9])}
    art = plots.convergence_gaps(gaps, floor=1e-13)
    assert list(art.lines) == ["plain EM", "SQUAREM"]
    assert art.ax.get_yscale() == "log"
    # A gap of exactly 0 (round-off) is drawn at the floor, so the log axis can show it.
    np.testing.assert_allclose(art.lines["plain EM"].get_ydata(), [1e-2, 1e-4, 1e-13])
    assert art.lines["SQUAREM"].get_marker() == component_style(1)["marker"]
    with pytest.raises(ValueError, match="same length"):
        plots.convergence_gaps({"EM": ([1, 2], [1.0])})
    with pytest.raises(ValueError, match="negative gap"):
        plots.convergence_gaps({"EM": ([1, 2], [1.0, -1.0])})
    with pytest.raises(ValueError, match="empty"):
        plots.convergence_gaps({})
    plt.close("all")


def test_stream_scores_against_the_batch_value():
    art = plots.stream_scores([100, 200, 400], [-3.5, -3.3, -3.28], batch_score=-3.27)
    np.testing.assert_allclose(art.line.get_xydata(), [[100, -3.5], [200, -3.3], [400, -3.28]])
    np.testing.assert_allclose(art.batch_line.get_ydata(), [-3.27, -3.27])
    assert art.ax.get_xscale() == "log" and art.ax.get_xlabel() == "points streamed"
    assert [t.get_text() for t in art.legend.get_texts()] == ["online EM (partial_fit)", "batch EM on all the points"]
    with pytest.raises(ValueError, match="one score per update"):
        plots.stream_scores([1, 2], [-1.0], batch_score=-1.0)
    with pytest.raises(ValueError, match="finite"):
        plots.stream_scores([1], [np.nan], batch_score=-1.0)
    fig, ax = plt.subplots()
    assert plots.stream_scores([1], [-1.0], -0.9, ax=ax).ax is ax
    plt.close("all")
