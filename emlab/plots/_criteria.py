"""Model choice: BIC (and AIC) against the number of components K, each minimum marked."""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from ..style import component_style
from ._common import ArtistsRecord

__all__ = ["CriteriaArtists", "information_criteria"]


@dataclass(repr=False)
class CriteriaArtists(ArtistsRecord):
    """What :func:`information_criteria` drew.

    Attributes
    ----------
    ax : Axes
    lines : dict str -> Line2D
        "BIC" (and "AIC") against K.
    minima : dict str -> Line2D
        A star at each criterion's minimum.
    best : dict str -> int
        The K that minimises each criterion.
    legend : Legend
    """

    ax: object
    lines: dict
    minima: dict
    best: dict
    legend: object


def information_criteria(ks, bic, aic=None, ax=None,
                         title: str = "choosing $K$: information criteria") -> CriteriaArtists:
    """BIC (and AIC) against the number of components K, each minimum starred and named.

    Parameters
    ----------
    ks : array-like of int
        Numbers of components tried.
    bic : array-like of float
        BIC = -2 l + p ln m for each K (lower is better).
    aic : array-like of float, optional
        AIC = -2 l + 2 p.
    ax : Axes, optional
    title : str

    Returns
    -------
    CriteriaArtists
    """
    ks = np.asarray(ks)
    if ks.ndim != 1 or ks.size == 0:
        raise ValueError("ks must be a non-empty 1-D sequence of component counts.")
    curves = {"BIC": bic} if aic is None else {"BIC": bic, "AIC": aic}
    if ax is None:
        _, ax = plt.subplots(layout="constrained")
    lines, minima, best = {}, {}, {}
    for c, (name, vals) in enumerate(curves.items()):
        vals = np.asarray(vals, dtype=float)
        if vals.shape != ks.shape:
            raise ValueError(f"{name} must have one value per K: shape {ks.shape}; got {vals.shape}.")
        if not np.all(np.isfinite(vals)):
            raise ValueError(f"{name} contains NaN or inf.")
        s = component_style(c)
        (lines[name],) = ax.plot(ks, vals, marker=s["marker"], linestyle=s["linestyle"], color=s["color"],
                                 markersize=8, label=name)
        i = int(np.argmin(vals))
        best[name] = int(ks[i])
        (minima[name],) = ax.plot([ks[i]], [vals[i]], linestyle="none", marker="*", markersize=24,
                                  color=s["color"], markeredgecolor="black", zorder=4,
                                  label=f"min {name}: $K = {ks[i]}$")
    ax.set_xlabel("number of components $K$")
    ax.set_ylabel("criterion (lower is better)")
    ax.set_title(title)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    leg = ax.legend(loc="best")
    return CriteriaArtists(ax=ax, lines=lines, minima=minima, best=best, legend=leg)
