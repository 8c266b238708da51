"""Render every figure of the course to PNG, for review at a glance.

Usage::

    python -m emlab.gallery OUTDIR            # all figures -> OUTDIR/<name>.png
    python -m emlab.gallery OUTDIR --only gmm_2d_soft em_panels_faithful
    python -m emlab.gallery --list

Each module of :mod:`emlab.plots` may define ``GALLERY = {name: zero-argument function returning a
matplotlib Figure}``; the gallery collects them all, so adding a figure never means editing this file.
Figures are drawn with the Agg backend (no display needed) in the course style.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["collect", "render", "main"]


def collect() -> dict[str, Callable]:
    """All registered figures: {name: builder}, from every ``emlab.plots`` module's ``GALLERY``.

    Raises
    ------
    ValueError
        If two modules register the same name (the PNGs would overwrite each other).
    """
    from . import plots

    found: dict[str, Callable] = {}
    owner: dict[str, str] = {}
    for info in sorted(pkgutil.iter_modules(plots.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{plots.__name__}.{info.name}")
        for name, builder in getattr(module, "GALLERY", {}).items():
            if name in found:
                raise ValueError(
                    f"gallery name {name!r} is registered by both {owner[name]} and {module.__name__}; "
                    "rename one of them."
                )
            if not callable(builder):
                raise ValueError(f"GALLERY[{name!r}] in {module.__name__} must be a zero-argument function.")
            found[name], owner[name] = builder, module.__name__
    return found


def render(outdir, names=None, dpi: float = 100, verbose: bool = False) -> list[Path]:
    """Draw the figures ``names`` (default: all) and save each as ``outdir/<name>.png``.

    Parameters
    ----------
    outdir : path-like
        Created if missing.
    names : iterable of str, optional
    dpi : float, default 100
    verbose : bool, default False
        Print one line per figure (path and seconds).

    Returns
    -------
    list of Path
        The files written, in name order.
    """
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from .style import course_style

    registry = collect()
    names = sorted(registry) if names is None else list(names)
    unknown = [n for n in names if n not in registry]
    if unknown:
        raise ValueError(f"unknown gallery figure(s) {unknown}; available: {sorted(registry)}.")
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        start = time.perf_counter()
        with course_style():
            fig = registry[name]()
            if not isinstance(fig, Figure):
                raise ValueError(f"GALLERY[{name!r}] returned {type(fig).__name__}, not a matplotlib Figure.")
            path = out / f"{name}.png"
            fig.savefig(path, dpi=dpi)
        plt.close(fig)
        written.append(path)
        if verbose:
            print(f"{path}  ({time.perf_counter() - start:.1f} s)")
    return written


def main(argv=None) -> int:
    """Command line: ``python -m emlab.gallery OUTDIR [--only NAME ...] [--dpi DPI] [--list]``."""
    parser = argparse.ArgumentParser(prog="python -m emlab.gallery", description=__doc__.splitlines()[0])
    parser.add_argument("outdir", nargs="?", help="folder for the PNG files")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="render only these figures")
    parser.add_argument("--dpi", type=float, default=100)
    parser.add_argument("--list", action="store_true", help="list the registered figures and exit")
    args = parser.parse_args(argv)
    import matplotlib

    # No display needed; set here, not at import, so importing this module never changes a notebook's backend.
    matplotlib.use("Agg")
    if args.list:
        for name, builder in sorted(collect().items()):
            print(f"{name:32s} {builder.__module__}")
        return 0
    if not args.outdir:
        parser.error("OUTDIR is required (or use --list)")
    written = render(args.outdir, names=args.only, dpi=args.dpi, verbose=True)
    print(f"{len(written)} figures written to {Path(args.outdir).resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
