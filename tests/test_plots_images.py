"""emlab.plots._images: image_grid (Bernoulli prototypes and samples)."""

import numpy as np
import pytest

from emlab import plots


def test_image_grid_shows_each_row_as_an_image_with_its_title():
    rng = np.random.default_rng(0)
    images = rng.uniform(size=(13, 64))
    art = plots.image_grid(images, titles=[f"#{i}" for i in range(13)], ncols=5, title="thirteen")
    assert len(art.images) == 13 and len(art.axes) == 15  # 3 rows of 5; two empty cells
    np.testing.assert_array_equal(art.images[4].get_array(), images[4].reshape(8, 8))
    assert art.images[0].get_clim() == (0.0, 1.0)
    assert [ax.get_title() for ax in art.axes[:3]] == ["#0", "#1", "#2"]
    assert not art.axes[-1].axison  # unused cells are blank
    assert art.fig.get_suptitle() == "thirteen"
    assert repr(art) == "ImageGridArtists(images=13)"


def test_image_grid_takes_other_shapes_and_rejects_mismatches():
    art = plots.image_grid(np.ones((2, 6)), shape=(2, 3))
    assert art.images[1].get_array().shape == (2, 3)
    with pytest.raises(ValueError, match="shape"):
        plots.image_grid(np.ones((2, 63)))
    with pytest.raises(ValueError, match="one per image"):
        plots.image_grid(np.ones((2, 64)), titles=["only one"])
