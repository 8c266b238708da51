"""Put the slide settings into the course notebooks' metadata, so RISE presents them at projector size.

Usage (from the repository root)::

    python scripts/slide_metadata.py             # update notebooks/*.ipynb in place
    python scripts/slide_metadata.py --check     # exit 1 (listing them) if a notebook is not up to date
    python scripts/slide_metadata.py notebooks/02_jensen.ipynb

For each notebook it sets

- ``metadata.rise`` to :data:`RISE_METADATA`: the 1280x720 canvas of the HTML decks, scaled as a whole to
  any screen (jupyterlab-rise would stretch it to the window's width; ``notebooks/rise.css`` keeps it at
  this size, so a slide that fits at 1280x720 fits every screen), reveal.js's "white" theme
  (bundled fonts; RISE's default "simple" theme fetches Google Fonts), no transition, slide numbers, no
  scrolling. The font sizes
  themselves are in ``notebooks/rise.css``, which RISE loads next to the notebooks;
- ``metadata.jupyter.source_hidden`` on cells tagged ``hide-input``/``remove-input`` (the tags
  ``scripts/build_slides.py`` honours), so RISE shows those cells' outputs only, as the decks do. In
  JupyterLab the input is collapsed, one click away;
- ``slideshow.slide_type = "skip"`` on cells tagged ``remove-cell``/``slides-skip`` that do not open a slide
  (a cell that opens a slide is only reported: moving the slide start is the author's decision).

Only metadata changes; outputs are untouched, so no re-run is needed. The files are written as nbformat and
Jupyter write them (one-space indent), so an unchanged notebook stays byte-identical.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

# The decks' canvas and cell tags, so that RISE and the HTML decks agree.
from build_slides import REMOVE_CELL_TAGS, REMOVE_INPUT_TAGS, SLIDE_HEIGHT, SLIDE_WIDTH  # noqa: E402

#: RISE (jupyterlab-rise) settings for every course notebook; see the module docstring.
RISE_METADATA = {
    "width": SLIDE_WIDTH,
    "height": SLIDE_HEIGHT,
    "margin": 0,
    "minScale": 0.2,
    "maxScale": 2.0,
    "center": False,
    "scroll": False,
    "theme": "white",
    "transition": "none",
    "slideNumber": "c/t",
    "controls": True,
    "progress": True,
    "start_slideshow_at": "selected",
}


def default_notebooks(root: Path = ROOT) -> list[Path]:
    """The course notebooks, ``notebooks/*.ipynb`` (the solutions are not presented)."""
    return sorted((root / "notebooks").glob("*.ipynb"))


def apply_slide_metadata(nb) -> list[str]:
    """Set the slide metadata of ``nb`` in place.

    Parameters
    ----------
    nb : nbformat.NotebookNode

    Returns
    -------
    list of str
        Warnings for the author (cells tagged for removal that open a slide).
    """
    warnings = []
    nb.metadata["rise"] = dict(RISE_METADATA)
    for index, cell in enumerate(nb.cells):
        tags = set(cell.metadata.get("tags", []))
        if tags & set(REMOVE_INPUT_TAGS) and cell.cell_type == "code":
            cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
        if tags & set(REMOVE_CELL_TAGS):
            slideshow = cell.metadata.setdefault("slideshow", {})
            if slideshow.get("slide_type", "-") in ("slide", "subslide"):
                warnings.append(
                    f"cell {index} is tagged for removal but opens a {slideshow['slide_type']}: give that slide "
                    "type to the next shown cell, then run this again"
                )
            else:
                slideshow["slide_type"] = "skip"
    return warnings


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    import nbformat

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook needs changes")
    args = parser.parse_args(argv)
    paths = args.notebooks or default_notebooks()
    stale = []
    for path in paths:
        if path.suffix != ".ipynb" or not path.is_file():
            print(f"slide_metadata: {path} is not an existing .ipynb file", file=sys.stderr)
            return 1
        before = path.read_text(encoding="utf-8")
        nb = nbformat.reads(before, as_version=4)
        for warning in apply_slide_metadata(nb):
            print(f"{path}: {warning}", file=sys.stderr)
        after = nbformat.writes(nb) + "\n"
        if after != before:
            stale.append(path)
            if not args.check:
                path.write_text(after, encoding="utf-8")
    verb = "needs" if args.check else "updated"
    for path in stale:
        print(f"{verb}: {path}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
