"""emlab/__init__.py: the light import and the lazily loaded names."""

import subprocess
import sys

import pytest

import emlab

HEAVY = ("matplotlib", "seaborn", "pandas", "scipy.stats", "sklearn")


@pytest.mark.parametrize("statement", ["import emlab", "from emlab import GaussianMixture, e_step, GMMParams, run_em"])
def test_import_loads_no_plotting_stack(statement):
    probe = f"import sys; {statement}; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout.strip()
    assert out == "", f"{statement!r} loaded {out}"


def test_lazy_names_resolve_to_their_modules():
    from emlab import mixture, plots

    assert emlab.GaussianMixture is mixture.GaussianMixture
    assert emlab.plots is plots
    assert callable(emlab.loop_em_step)
    for name in emlab.__all__:
        assert getattr(emlab, name) is not None
        assert name in dir(emlab)


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'GaussianMixtur'"):
        emlab.GaussianMixtur  # noqa: B018
