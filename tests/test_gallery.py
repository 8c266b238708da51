"""The gallery command renders one PNG per registered figure."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from emlab import gallery  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_gallery_collects_every_plots_modules_registry():
    registry = gallery.collect()
    # Both plotting helpers' modules contribute; names are unique by construction (collect checks).
    modules = {fn.__module__ for fn in registry.values()}
    assert {"emlab.plots.gmm2d", "emlab.plots.stepper"} <= modules
    assert {"gmm_2d_soft", "ellipses_covariance_types", "em_panels_faithful", "em_static_faithful"} <= set(registry)


def test_gallery_command_writes_a_png_per_registered_figure(tmp_path, capsys):
    # pyproject's filterwarnings = error makes any warning from any figure fail this test.
    assert gallery.main([str(tmp_path), "--dpi", "40"]) == 0
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
    assert "em_panels_faithful" in out and "emlab.plots.gmm2d" in out
