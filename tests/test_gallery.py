"""The gallery command renders one PNG per registered figure."""

import functools

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure
from plot_helpers import PNG_MAGIC

from emlab import GMMParams, datasets, e_step, gallery, m_step, plots

# Figures the gallery cannot draw: the live widget and the animation (their static fallbacks are drawn), and
# mixture_arrays, which reads parameters and draws nothing.
NOT_DRAWN = {"jensen_widget", "em_animation", "mixture_arrays"}


def test_gallery_registers_the_course_figures():
    registry = gallery.collect()
    assert registry == gallery.GALLERY and registry is not gallery.GALLERY
    assert {"gmm_2d_soft", "ellipses_covariance_types", "em_panels_faithful", "em_static_faithful"} <= set(registry)
    assert {"mixture_1d_hist", "loglik_surface", "jensen_log", "jensen_widget_static", "em_bound", "elbo_kl"} <= set(
        registry
    )
    assert all(fn.__module__ == "emlab.gallery" for fn in registry.values())


def test_faithful_em_run_is_plain_em_from_the_bishop_like_start():
    Xs, snaps = gallery.faithful_em_run()
    assert len(snaps) == 21 and not Xs.flags.writeable
    X, _, _ = datasets.standardize(datasets.load_faithful())
    np.testing.assert_array_equal(Xs, X)
    expected = GMMParams(**gallery.FAITHFUL_START)
    for t, s in enumerate(snaps):
        for a, b in ((s.phi, expected.phi), (s.mu, expected.mu), (s.Sigma, expected.Sigma)):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=f"Theta^({t})")
        expected = m_step(X, e_step(X, expected))


def test_gallery_command_writes_a_png_per_registered_figure(tmp_path, capsys, monkeypatch):
    # Every public figure function is drawn by some gallery figure (spied on while the gallery renders).
    called = set()
    for name in set(plots.__all__) - NOT_DRAWN:
        original = getattr(plots, name)

        @functools.wraps(original)
        def spy(*args, _name=name, _original=original, **kwargs):
            called.add(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(plots, name, spy)
    # pyproject's filterwarnings = error makes any warning from any figure fail this test.
    assert gallery.main([str(tmp_path), "--dpi", "40"]) == 0
    assert called == set(plots.__all__) - NOT_DRAWN
    names = sorted(gallery.collect())
    written = sorted(p.stem for p in tmp_path.glob("*.png"))
    assert written == names
    for name in names:
        assert (tmp_path / f"{name}.png").read_bytes().startswith(PNG_MAGIC)
    assert f"{len(names)} figures written" in capsys.readouterr().out
    assert plt.get_fignums() == []  # every figure closed


def test_gallery_rejects_unknown_names_and_non_figures(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="unknown gallery figure"):
        gallery.render(tmp_path, names=["no_such_figure"])
    monkeypatch.setattr(gallery, "collect", lambda: {"oops": lambda: 42})
    with pytest.raises(ValueError, match="not a matplotlib Figure"):
        gallery.render(tmp_path)
    monkeypatch.setattr(gallery, "collect", lambda: {"fine": lambda: Figure()})
    assert [p.name for p in gallery.render(tmp_path)] == ["fine.png"]


def test_gallery_list(capsys):
    assert gallery.main(["--list"]) == 0
    out = capsys.readouterr().out
    assert out.split() == sorted(gallery.GALLERY)
