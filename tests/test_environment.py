"""The three dependency lists agree, and Binder builds the environment we test.

pyproject.toml is the source of truth. environment.yml (conda users) must list the same packages with the
same version bounds as its dependencies plus the ``lab``, ``test`` and ``docs`` extras (the test suite builds
the website); binder/environment.yml (the Binder image, for students, who do not build the website) must
list the dependencies plus the ``lab`` extra, each pinned to one version that pyproject accepts.
repo2docker's own code renders the Binder Dockerfile (no docker daemon needed) to check that Binder picks the
conda build pack, our Python, our environment file and our postBuild.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    tomllib = pytest.importorskip("tomli", reason="reading pyproject.toml on Python 3.10 needs tomli")
yaml = pytest.importorskip("yaml", reason="PyYAML (a JupyterLab dependency) reads the environment files")

ROOT = Path(__file__).resolve().parent.parent
PYTHON = "3.11"

#: conda-forge package name -> PyPI distribution name, where they differ. The ``-base``/``-core`` builds
#: are the conda-forge packages that depend on what the PyPI package depends on, and no more
#: (``seaborn`` adds statsmodels, ``matplotlib`` adds Qt, ``nbconvert`` adds pandoc).
CONDA_TO_PYPI = {
    "matplotlib-base": "matplotlib",
    "seaborn-base": "seaborn",
    "nbconvert-core": "nbconvert",
    "playwright-python": "playwright",
}

#: Entries of an environment file that are tools of conda itself, not packages pyproject lists.
NOT_PACKAGES = {"python", "pip"}


def pyproject() -> dict:
    """pyproject.toml, parsed."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)


def pyproject_requirements(*extras: str) -> dict[str, SpecifierSet]:
    """PyPI name -> version specifier for the dependencies plus the given extras (``emlab[...]`` expanded)."""
    project = pyproject()["project"]
    lines = list(project["dependencies"])
    for extra in extras:
        lines += project["optional-dependencies"][extra]
    reqs: dict[str, SpecifierSet] = {}
    for line in lines:
        req = Requirement(line)
        name = canonicalize_name(req.name)
        if name == canonicalize_name(project["name"]):
            continue  # "emlab[lab]" inside the test extra: the extras are listed explicitly
        if name in reqs and reqs[name] != req.specifier:
            raise AssertionError(f"pyproject lists {name} twice with different bounds: {reqs[name]} vs {req.specifier}")
        reqs[name] = req.specifier
    return reqs


def parse_conda_spec(spec: str) -> tuple[str, str]:
    """Split a conda match spec such as ``numpy>=1.24`` or ``numpy=2.4.6`` into ``(name, constraint)``."""
    match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*", spec)
    assert match, f"cannot read the conda dependency {spec!r}"
    return match.group(1), match.group(2)


def environment(path: Path) -> dict:
    """An environment file, parsed, with its dependencies split into conda and pip entries.

    Returns a dict with the file's ``channels``, ``python`` (the constraint on python), and ``packages``:
    PyPI name -> ``(constraint, source)`` where source is ``"conda"`` or ``"pip"`` and constraint is the
    text after the name (conda syntax for conda entries, PEP 440 for pip entries).
    """
    with open(path) as f:
        env = yaml.safe_load(f)
    packages: dict[str, tuple[str, str]] = {}
    python = None

    def add(name: str, constraint: str, source: str, original: str) -> None:
        pypi = canonicalize_name(CONDA_TO_PYPI.get(name, name))
        assert pypi not in packages, f"{path.name} lists {original!r} twice"
        packages[pypi] = (constraint, source)

    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            assert set(dep) == {"pip"}, f"{path.name}: unexpected dependency section {dep!r}"
            for line in dep["pip"]:
                assert not line.startswith("-"), (
                    f"{path.name} has the pip option {line!r}: conda runs pip from the file's folder; install "
                    "emlab itself with pip (README) or binder/postBuild instead"
                )
                req = Requirement(line)
                add(req.name, str(req.specifier), "pip", line)
            continue
        name, constraint = parse_conda_spec(dep)
        if name == "python":
            python = constraint
        elif name not in NOT_PACKAGES:
            add(name, constraint, "conda", dep)
    return {"channels": env.get("channels"), "python": python, "packages": packages}


def as_specifier(constraint: str, source: str) -> SpecifierSet:
    """A conda or pip version constraint as a PEP 440 specifier set (conda's ``=X.Y`` is ``X.Y.*``)."""
    if source == "conda" and re.fullmatch(r"=[0-9][0-9A-Za-z.]*", constraint):
        return SpecifierSet(f"=={constraint[1:]}.*")
    return SpecifierSet(constraint)


def exact_pin(constraint: str, source: str) -> Version | None:
    """The version a constraint pins, or None if it allows a range."""
    match = re.fullmatch(r"==?([0-9][0-9A-Za-z.]*)", constraint)
    if match is None or (source == "pip" and not constraint.startswith("==")):
        return None
    return Version(match.group(1))


@pytest.fixture(scope="module")
def top_env():
    return environment(ROOT / "environment.yml")


@pytest.fixture(scope="module")
def binder_env():
    return environment(ROOT / "binder" / "environment.yml")


@pytest.mark.parametrize("path", ["environment.yml", "binder/environment.yml"])
def test_channels_and_python(path):
    env = environment(ROOT / path)
    assert env["channels"] == ["conda-forge", "nodefaults"], (
        f"{path}: channels must be exactly [conda-forge, nodefaults] (no implicit defaults channel), "
        f"got {env['channels']}"
    )
    # Unpinned, repo2docker picks Python 3.10; conda users should get the Python we test on.
    assert env["python"] == f"={PYTHON}", f"{path}: pin python={PYTHON}, got python{env['python'] or ''}"


def test_top_level_environment_matches_pyproject(top_env):
    # The test extra includes emlab[lab,docs]: the test suite builds the website too.
    expected = pyproject_requirements("lab", "test", "docs")
    got = top_env["packages"]
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    assert not missing and not extra, (
        f"environment.yml must list pyproject's dependencies + [lab] + [test] + [docs]: missing {missing}, "
        f"not in pyproject {extra} (conda->PyPI names: {CONDA_TO_PYPI})"
    )
    for name, spec in expected.items():
        constraint, source = got[name]
        assert as_specifier(constraint, source) == spec, (
            f"environment.yml has {name} {constraint!r} but pyproject.toml says {str(spec)!r}: make them equal"
        )


def test_binder_environment_matches_pyproject(binder_env):
    expected = pyproject_requirements("lab")
    got = binder_env["packages"]
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    assert not missing and not extra, (
        f"binder/environment.yml must list pyproject's dependencies + [lab]: missing {missing}, "
        f"not in pyproject {extra} (conda->PyPI names: {CONDA_TO_PYPI})"
    )
    for name, spec in expected.items():
        constraint, source = got[name]
        version = exact_pin(constraint, source)
        assert version is not None, (
            f"binder/environment.yml: pin {name} to one version (conda `=X.Y.Z`, pip `==X.Y.Z`), "
            f"got {constraint!r}; unpinned Binder images rot"
        )
        assert spec.contains(version, prereleases=True), (
            f"binder/environment.yml pins {name} {version}, outside pyproject's {str(spec)!r}"
        )


def test_binder_pins_the_tested_jupyterlab_and_rise(binder_env):
    # repo2docker's base environment for Python 3.11 ships an older JupyterLab 4; the browser test runs 4.6.
    constraint, source = binder_env["packages"]["jupyterlab"]
    version = exact_pin(constraint, source)
    assert version is not None and (version.major, version.minor) == (4, 6), (
        f"binder/environment.yml must pin the JupyterLab the tests run (4.6.x), got {constraint!r}"
    )
    assert "jupyterlab-rise" in binder_env["packages"], "live presenting on Binder needs jupyterlab-rise"


def test_post_build_installs_emlab_and_stops_on_errors():
    path = ROOT / "binder" / "postBuild"
    lines = [line.strip() for line in path.read_text().splitlines()]
    code = [line for line in lines if line and not line.startswith("#")]
    # repo2docker carries on after a failing command unless the script says otherwise.
    assert code[0] == "set -euo pipefail", f"binder/postBuild must start with `set -euo pipefail`, got {code[0]!r}"
    assert "python -m pip install --no-deps -e ." in code, "binder/postBuild must install emlab (--no-deps -e .)"
    assert os.access(path, os.X_OK), "binder/postBuild must be executable (git update-index --chmod=+x)"
    # The RISE setting the browser test presents with (scripts/check_slides.py) is the one Binder gets.
    assert 'cp binder/jupyter_server_config.json "$config_dir/jupyter_server_config.json"' in code
    config = json.loads((ROOT / "binder" / "jupyter_server_config.json").read_text())
    assert config == {"RiseApp": {"labextensions_path": []}}, config


def _repo2docker():
    """Import repo2docker.app, or skip the test when it is not installed."""
    with warnings.catch_warnings():
        # repo2docker imports python-json-logger's old module path; not ours to fix.
        warnings.filterwarnings(
            "ignore", message="pythonjsonlogger.jsonlogger has been moved", category=DeprecationWarning
        )
        try:
            import repo2docker.app
        except ImportError as exc:
            pytest.skip(
                f"jupyter-repo2docker is not importable ({exc}); install the [test] extra to render Binder's build"
            )
    return repo2docker.app


def test_repo2docker_renders_the_conda_build(monkeypatch):
    app = _repo2docker()
    r2d = app.Repo2Docker()
    # What repo2docker's build does, minus docker: pick the first build pack that detects the repo.
    monkeypatch.chdir(ROOT)
    picked = next(bp for bp in (cls(base_image=r2d.base_image) for cls in r2d.buildpacks) if bp.detect())
    assert type(picked).__name__ == "CondaBuildPack", (
        f"Binder would build with {type(picked).__name__}, not conda: is binder/environment.yml there?"
    )
    assert picked.python_version == PYTHON, f"Binder would run Python {picked.python_version}, not {PYTHON}"
    assert picked.environment_yaml_path == os.path.join("binder", "environment.yml")
    assert picked.get_post_build_scripts() == [os.path.join("binder", "postBuild")]

    picked.platform = "linux/amd64"
    dockerfile = picked.render({"NB_USER": "jovyan", "NB_UID": "1000"})
    assert f"environment.py-{PYTHON}-linux-64.lock" in "\n".join(picked.get_build_script_files())
    assert '--file "binder/environment.yml"' in dockerfile
    assert '--file "environment.yml"' not in dockerfile, "Binder must not install the top-level environment.yml"
    assert "RUN ./binder/postBuild" in dockerfile
    # The environment is installed before the repository is copied, so notebook edits reuse the cached layer.
    assert dockerfile.index('--file "binder/environment.yml"') < dockerfile.index("COPY --chown=1000:1000 src/ ")
