"""emlab.plots._trace: loglik_trace."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from emlab import plots


def test_loglik_trace_plots_the_values_against_t_and_flags_decreases():
    vals = [-300.0, -250.0, -240.0, -239.5]
    art = plots.loglik_trace(vals)
    np.testing.assert_array_equal(art.line.get_xdata(), [0, 1, 2, 3])
    np.testing.assert_array_equal(art.line.get_ydata(), vals)
    assert art.decreases is None
    assert art.ax.get_xlabel() == "iteration $t$" and "ell" in art.ax.get_ylabel()
    bad = plots.loglik_trace({"log_likelihood": np.array([-300.0, -250.0, -251.0])})
    np.testing.assert_array_equal(bad.t, [1, 2, 3])
    np.testing.assert_allclose(bad.decreases.get_offsets(), [[3, -251.0]])
    assert "decrease: not exact EM" in [t.get_text() for t in bad.legend.get_texts()]
    with pytest.raises(ValueError, match="NaN"):
        plots.loglik_trace([1.0, np.nan])
    assert art.ax.get_title() == "log-likelihood over EM iterations"
    assert plots.loglik_trace(vals, title="my run").ax.get_title() == "my run"


def test_loglik_trace_keeps_the_title_and_labels_of_a_passed_in_axes():
    # Notebook 06 titles the axes and overlays two traces: the second call must not retitle it.
    first = plots.loglik_trace([-300.0, -250.0, -240.0], label="exact EM", title="the old-mean bug is slower EM")
    second = plots.loglik_trace([-300.0, -280.0, -265.0], ax=first.ax, label="old-mean bug")
    ax = first.ax
    assert second.ax is ax and ax.get_title() == "the old-mean bug is slower EM"
    assert [t.get_text() for t in second.legend.get_texts()] == ["exact EM", "old-mean bug"]
    # The overlay is told apart by colour and marker.
    assert first.line.get_color() != second.line.get_color()
    assert first.line.get_marker() != second.line.get_marker()

    fig, own = plt.subplots()
    own.set_title("my title")
    own.set_xlabel("EM cycle")
    plots.loglik_trace([1.0, 2.0], ax=own)
    assert own.get_title() == "my title" and own.get_xlabel() == "EM cycle"
    assert "ell" in own.get_ylabel()  # an empty label is filled in

    fig, bare = plt.subplots()
    plots.loglik_trace([1.0, 2.0], ax=bare)
    assert bare.get_title() == "log-likelihood over EM iterations"
    plots.loglik_trace([1.0, 2.0], ax=bare, title="explicit")
    assert bare.get_title() == "explicit"  # an explicit title is always applied


def test_loglik_trace_takes_a_y_label_for_other_objectives():
    out = plots.loglik_trace([-3.0, -2.0, -1.5], start=0, ylabel="log-posterior per image (nats)")
    assert out.ax.get_ylabel() == "log-posterior per image (nats)" and list(out.t) == [0, 1, 2]
    assert plots.loglik_trace([-3.0, -2.0]).ax.get_ylabel() == "$\\ell(\\Theta)$ (nats)"
    plt.close("all")
