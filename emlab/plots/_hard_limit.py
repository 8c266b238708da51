"""Soft assignments hardening into k-means: an equal-weight, shared sigma^2 I mixture as sigma shrinks."""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

from ..params import GMMParams
from ._scatter import gmm_2d

__all__ = ["SoftToHardArtists", "soft_to_hard"]


@dataclass(repr=False)
class SoftToHardArtists:
    """What :func:`soft_to_hard` drew: the figure, one axes per sigma, and each panel's ``GMM2DArtists``."""

    fig: object
    axes: list
    panels: list

    def __repr__(self) -> str:
        return f"SoftToHardArtists(panels={len(self.panels)})"


def soft_to_hard(X, means, sigmas=(1.5, 0.6, 0.1), figsize=(12.0, 4.2)) -> SoftToHardArtists:
    """The responsibilities of an equal-weight, shared sigma^2 I mixture for shrinking sigma, one panel each.

    Parameters
    ----------
    X : array-like of shape (m, 2)
    means : array-like of shape (k, 2)
        The component means mu_j (kept fixed across the panels).
    sigmas : sequence of float
        Standard deviations sigma, one panel each, from soft (large) to hard (small).
    figsize : (float, float)
        Figure size in inches; the default fits a 16:9 slide.

    Returns
    -------
    SoftToHardArtists
    """
    means = np.asarray(means, dtype=float)
    sigmas = [float(s) for s in sigmas]
    if means.ndim != 2 or means.shape[1] != 2:
        raise ValueError(f"means must have shape (k, 2); got {means.shape}.")
    if not sigmas or min(sigmas) <= 0:
        raise ValueError(f"sigmas must be a non-empty list of positive numbers; got {sigmas}.")
    k = means.shape[0]
    fig, axes = plt.subplots(1, len(sigmas), figsize=figsize, sharex=True, sharey=True, layout="constrained")
    axes = list(np.atleast_1d(axes))
    panels = []
    for ax, sigma in zip(axes, sigmas, strict=True):
        params = GMMParams(phi=np.full(k, 1.0 / k), mu=means, Sigma=np.broadcast_to(sigma**2 * np.eye(2), (k, 2, 2)))
        panels.append(gmm_2d(X, params, soft=True, ax=ax, legend=False, title=f"$\\sigma = {sigma:g}$",
                             point_size=22.0))
        ax.set_aspect("equal", adjustable="box")
    for ax in axes[1:]:
        ax.set_ylabel("")
    fig.suptitle("responsibilities $w_j^{(i)}$ of an equal-weight, $\\sigma^2 I$ mixture: soft to hard")
    return SoftToHardArtists(fig=fig, axes=axes, panels=panels)
