"""The log-likelihood l(Theta^(t)) against the EM iteration t, decreases flagged."""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from ..style import PALETTE, component_style
from ._common import ArtistsRecord

__all__ = ["TraceArtists", "loglik_trace"]

@dataclass(repr=False)
class TraceArtists(ArtistsRecord):
    """What :func:`loglik_trace` drew.

    Attributes
    ----------
    ax : Axes
    line : Line2D
        l(Theta^(t)) against t.
    t : ndarray
        The iteration numbers on the x axis.
    values : ndarray
    decreases : PathCollection or None
        Red crosses where l went down (impossible for exact EM: a bug, e.g. Sigma centred on the old mean).
    legend : Legend
    """

    ax: object
    line: object
    t: np.ndarray
    values: np.ndarray
    decreases: object
    legend: object


_TRACE_GID = "emlab-loglik-trace"


def loglik_trace(values, ax=None, start: int | None = None, label: str = "$\\ell(\\Theta^{(t)})$",
                 title: str | None = None, tol: float = 1e-9, ylabel: str | None = None) -> TraceArtists:
    """Plot the log-likelihood l(Theta^(t)) (a total over the data, in nats) against the iteration t.

    Parameters
    ----------
    values : array-like of float, or a history dict
        The trace, e.g. ``run_em``'s ``history.trace`` (t = 0, 1, ...), or ``GaussianMixture.history_``
        (its "log_likelihood" entry, t = 1, ...).
    ax : Axes, optional
        Draw here, e.g. to overlay a second trace: the title and axis labels the axes already has are
        kept, and each further trace on the same axes takes the next component colour and marker.
    start : int, optional
        Iteration number of the first value: 0 for a list, 1 for a history dict unless given.
    label : str
        Legend entry of the trace.
    title : str, optional
        Set when given. Otherwise "log-likelihood over EM iterations" is used when this function makes
        the axes or the axes passed in has no title yet.
    tol : float, default 1e-9
        A drop larger than ``tol * max(1, |l|)`` is marked as a decrease.
    ylabel : str, optional
        The y-axis label, when the values are not the total l(Theta) in nats (a per-sample mean, or a
        log-posterior); set when given, otherwise as the title is.

    Returns
    -------
    TraceArtists
    """
    if isinstance(values, dict):
        if "log_likelihood" not in values:
            raise ValueError("the history dict has no 'log_likelihood' entry; pass the values themselves.")
        values = values["log_likelihood"]
        start = 1 if start is None else start
    v = np.asarray(values, dtype=float).ravel()
    if v.size == 0:
        raise ValueError("values is empty: pass at least one log-likelihood value.")
    if not np.all(np.isfinite(v)):
        raise ValueError("values contain NaN or inf; a log-likelihood trace must be finite.")
    start = 0 if start is None else int(start)
    t = np.arange(start, start + v.size)
    created = ax is None
    if created:
        _, ax = plt.subplots(layout="constrained")
    n_before = sum(line.get_gid() == _TRACE_GID for line in ax.get_lines())
    look = {"color": PALETTE[0], "marker": "o"} if n_before == 0 else component_style(n_before)
    (line,) = ax.plot(t, v, markersize=5, label=label, gid=_TRACE_GID, **look)
    drop = np.flatnonzero(np.diff(v) < -tol * np.maximum(1.0, np.abs(v[:-1]))) + 1
    dec = None
    if drop.size:
        dec = ax.scatter(t[drop], v[drop], marker="x", s=120, linewidths=3, color=PALETTE[3], zorder=4,
                         label="decrease: not exact EM")
    # A caller's axes keeps its own title and labels (a notebook titles the axes, then overlays two traces).
    if created or not ax.get_xlabel():
        ax.set_xlabel("iteration $t$")
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    elif created or not ax.get_ylabel():
        ax.set_ylabel("$\\ell(\\Theta)$ (nats)")
    if title is not None:
        ax.set_title(title)
    elif created or not ax.get_title():
        ax.set_title("log-likelihood over EM iterations")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    leg = ax.legend(loc="lower right")
    return TraceArtists(ax=ax, line=line, t=t, values=v, decreases=dec, legend=leg)
