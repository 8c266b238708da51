"""emlab.plots._hard_limit: soft_to_hard (k-means as the sigma -> 0 limit of EM)."""

import numpy as np
import pytest
from plot_helpers import two_blobs

from emlab import plots
from emlab.bernoulli_core import spherical_responsibilities


def test_soft_to_hard_draws_one_panel_per_sigma_with_the_limit_responsibilities():
    X = two_blobs()
    means = np.array([[0.0, 0.0], [3.0, 3.0]])
    art = plots.soft_to_hard(X, means, sigmas=(2.0, 0.5, 0.05))
    assert len(art.axes) == len(art.panels) == 3
    assert [ax.get_title() for ax in art.axes] == ["$\\sigma = 2$", "$\\sigma = 0.5$", "$\\sigma = 0.05$"]
    assert art.axes[0].get_xlabel() == "$x_1$" and art.axes[0].get_ylabel() == "$x_2$"
    assert "soft to hard" in art.fig.get_suptitle()
    for panel, sigma in zip(art.panels, (2.0, 0.5, 0.05), strict=True):
        np.testing.assert_allclose(panel.W, spherical_responsibilities(X, means, sigma), atol=1e-12)
    # Large sigma blends; small sigma is (almost) one-hot at the nearest mean.
    assert np.mean(art.panels[0].W.max(axis=1)) < 0.95
    assert np.mean(art.panels[-1].W.max(axis=1)) > 1 - 1e-6
    nearest = ((X[:, None, :] - means[None]) ** 2).sum(axis=2).argmin(axis=1)
    assert np.array_equal(art.panels[-1].W.argmax(axis=1), nearest)
    assert repr(art) == "SoftToHardArtists(panels=3)"


@pytest.mark.parametrize(
    ("means", "sigmas", "match"),
    [
        (np.zeros((2, 3)), (1.0,), "shape"),
        (np.zeros((2, 2)), (), "positive"),
        (np.zeros((2, 2)), (1.0, 0.0), "positive"),
    ],
)
def test_soft_to_hard_rejects_bad_input(means, sigmas, match):
    with pytest.raises(ValueError, match=match):
        plots.soft_to_hard(two_blobs(), means, sigmas=sigmas)
