"""How fast EM is (notebook 10): the rate against the separation, gaps to the limit, online EM's held-out score."""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

from ..style import component_style
from ._common import ArtistsRecord

__all__ = ["RateArtists", "GapArtists", "StreamArtists", "rate_vs_separation", "convergence_gaps", "stream_scores"]

_FIGSIZE = (7.5, 4.2)


@dataclass(repr=False)
class RateArtists(ArtistsRecord):
    """What :func:`rate_vs_separation` drew.

    Attributes
    ----------
    ax : Axes
        The rate lambda against the separation d.
    line : Line2D
    digits_ax : Axes
        The twin axis: iterations per decimal digit of accuracy, ln 10 / (-ln lambda), on a log scale.
    digits_line : Line2D
    legend : Legend
    """

    ax: object
    line: object
    digits_ax: object
    digits_line: object
    legend: object


def rate_vs_separation(separations, rates, ax=None,
                       title: str = "EM's rate against the separation of two components") -> RateArtists:
    """EM's rate lambda against the separation d of two components, with the iterations per digit it costs.

    Parameters
    ----------
    separations : array-like of float
        Distances d between the two means (in standard deviations).
    rates : array-like of float
        lambda for each d, each in [0, 1).
    ax : Axes, optional
    title : str

    Returns
    -------
    RateArtists
    """
    d = np.asarray(separations, dtype=float).ravel()
    lam = np.asarray(rates, dtype=float).ravel()
    if d.size == 0 or d.shape != lam.shape:
        raise ValueError(f"give one rate per separation; got {d.size} separations and {lam.size} rates.")
    if not np.all((lam >= 0) & (lam < 1)):
        raise ValueError("every rate must lie in [0, 1) (a converging EM run); check the rates passed in.")
    if ax is None:
        _, ax = plt.subplots(figsize=_FIGSIZE, layout="constrained")
    (line,) = ax.plot(d, lam, markersize=7, label="rate $\\lambda$ (left axis)", **component_style(0))
    ax.axhline(1.0, color="0.5", linewidth=1, linestyle=":")
    ax.set_xlabel("separation $d$ of the two means (standard deviations)")
    ax.set_ylabel("rate $\\lambda$ (largest eigenvalue of $J$)")
    ax.set_ylim(0, 1.05)
    twin = ax.twinx()
    per_digit = np.log(10.0) / -np.log(np.maximum(lam, 1e-300))
    (digits_line,) = twin.plot(d, per_digit, markersize=7, label="iterations per digit (right axis)",
                               **component_style(1))
    twin.set_yscale("log")
    twin.set_ylabel("iterations per digit, $\\ln 10 / (-\\ln \\lambda)$")
    twin.grid(False)
    ax.set_title(title)
    leg = ax.legend(handles=[line, digits_line], loc="lower left")
    return RateArtists(ax=ax, line=line, digits_ax=twin, digits_line=digits_line, legend=leg)


@dataclass(repr=False)
class GapArtists(ArtistsRecord):
    """What :func:`convergence_gaps` drew.

    Attributes
    ----------
    ax : Axes
    lines : dict str -> Line2D
        One line per method: l* - l against the passes over the data.
    legend : Legend
    """

    ax: object
    lines: dict
    legend: object


def convergence_gaps(gaps, ax=None, floor: float = 1e-13,
                     title: str = "distance to the maximum against the work done") -> GapArtists:
    """l* - l(Theta) (per sample, log scale) against the passes over the data, one line per method.

    Parameters
    ----------
    gaps : dict str -> (passes, gap)
        For each method the passes over the data (EM-map evaluations, or objective-and-gradient
        evaluations) after each iteration and l* - l there, in nats per sample.
    ax : Axes, optional
    floor : float, default 1e-13
        Gaps at or below it (round-off) are drawn at it, so a log axis can show them.
    title : str

    Returns
    -------
    GapArtists
    """
    if not gaps:
        raise ValueError("gaps is empty: pass {method name: (passes, gap)} for at least one method.")
    if ax is None:
        _, ax = plt.subplots(figsize=_FIGSIZE, layout="constrained")
    lines = {}
    for j, (name, (passes, gap)) in enumerate(gaps.items()):
        passes = np.asarray(passes, dtype=float).ravel()
        gap = np.asarray(gap, dtype=float).ravel()
        if passes.shape != gap.shape:
            raise ValueError(f"{name}: passes and gap must have the same length; got {passes.size} and {gap.size}.")
        if np.any(gap < -1e-9):
            raise ValueError(f"{name}: a negative gap l* - l means l* is not the maximum; pass the best l as l*.")
        every = max(1, passes.size // 25)  # markers on a few points only: the lines stay readable
        (lines[name],) = ax.semilogy(passes, np.maximum(gap, floor), label=name, markevery=every, markersize=6,
                                     **component_style(j))
    ax.set_xlabel("passes over the data (EM-map or gradient evaluations)")
    ax.set_ylabel("$\\ell^* - \\ell$ (nats per sample)")
    ax.set_title(title)
    leg = ax.legend(loc="upper right")
    return GapArtists(ax=ax, lines=lines, legend=leg)


@dataclass(repr=False)
class StreamArtists(ArtistsRecord):
    """What :func:`stream_scores` drew.

    Attributes
    ----------
    ax : Axes
    line : Line2D
        The held-out per-sample log-likelihood of the online fit against the points streamed.
    batch_line : Line2D
        The batch fit's held-out value (horizontal).
    legend : Legend
    """

    ax: object
    line: object
    batch_line: object
    legend: object


def stream_scores(n_seen, scores, batch_score, ax=None,
                  title: str = "online EM: held-out log-likelihood as the stream goes by") -> StreamArtists:
    """Held-out per-sample l of an online fit against the points streamed, with the batch fit's value.

    Parameters
    ----------
    n_seen : array-like of int
        Points streamed after each update.
    scores : array-like of float
        Held-out per-sample log-likelihood after each update.
    batch_score : float
        The same for a batch fit (the target).
    ax : Axes, optional
    title : str

    Returns
    -------
    StreamArtists
    """
    n_seen = np.asarray(n_seen, dtype=float).ravel()
    scores = np.asarray(scores, dtype=float).ravel()
    if n_seen.size == 0 or n_seen.shape != scores.shape:
        raise ValueError(f"give one score per update; got {n_seen.size} counts and {scores.size} scores.")
    if not (np.all(np.isfinite(scores)) and np.isfinite(batch_score)):
        raise ValueError("the scores must be finite.")
    if ax is None:
        _, ax = plt.subplots(figsize=_FIGSIZE, layout="constrained")
    every = max(1, n_seen.size // 20)
    (line,) = ax.plot(n_seen, scores, markevery=every, markersize=6, label="online EM (partial_fit)",
                      **component_style(0))
    batch_line = ax.axhline(batch_score, label="batch EM on all the points", **{
        k: v for k, v in component_style(1).items() if k != "marker"})
    ax.set_xscale("log")
    ax.set_xlabel("points streamed")
    ax.set_ylabel("held-out $\\ell$ per sample (nats)")
    ax.set_title(title)
    leg = ax.legend(loc="lower right")
    return StreamArtists(ax=ax, line=line, batch_line=batch_line, legend=leg)
