"""Vectors shown as small images: Bernoulli means mu_j (prototypes) and binary samples."""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["ImageGridArtists", "image_grid"]


@dataclass(repr=False)
class ImageGridArtists:
    """What :func:`image_grid` drew: the figure, its axes and the images."""

    fig: object
    axes: list
    images: list

    def __repr__(self) -> str:
        return f"ImageGridArtists(images={len(self.images)})"


def image_grid(images, titles=None, shape=(8, 8), ncols=10, title=None, vmax=1.0, cell=1.25) -> ImageGridArtists:
    """Show vectors as small grey-scale images in a grid (Bernoulli means mu_j, or binary samples).

    Parameters
    ----------
    images : array-like of shape (k, shape[0] * shape[1])
        One image per row, values in [0, vmax] (0 white, vmax black).
    titles : sequence of str, optional
        One caption per image.
    shape : (int, int), default (8, 8)
    ncols : int, default 10
    title : str, optional
        Figure title.
    vmax : float, default 1.0
    cell : float, default 1.25
        Inches per image.

    Returns
    -------
    ImageGridArtists
    """
    images = np.asarray(images, dtype=float)
    if images.ndim != 2 or images.shape[1] != shape[0] * shape[1]:
        raise ValueError(f"images must have shape (k, {shape[0] * shape[1]}) for {shape} images; got {images.shape}.")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"titles has {len(titles)} entries for {len(images)} images; give one per image.")
    k = images.shape[0]
    ncols = min(ncols, k)
    nrows = -(-k // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(cell * ncols, cell * nrows + 0.6), squeeze=False,
                             layout="constrained")
    shown = []
    for idx, ax in enumerate(axes.flat):
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
        for spine in ax.spines.values():  # a thin frame all round, so white pixels at the edge still show
            spine.set(visible=True, color="0.6", linewidth=0.8)
        if idx >= k:
            ax.set_axis_off()
            continue
        shown.append(ax.imshow(images[idx].reshape(shape), cmap="Greys", vmin=0.0, vmax=vmax))
        if titles is not None:
            ax.set_title(titles[idx])
    if title:
        fig.suptitle(title)
    return ImageGridArtists(fig=fig, axes=list(axes.flat), images=shown)
