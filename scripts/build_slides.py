"""Build one reveal.js HTML slide deck per course notebook.

Usage (from the repository root)::

    python scripts/build_slides.py                 # decks for notebooks/*.ipynb into slides/
    python scripts/build_slides.py --offline       # ... plus a local copy of reveal.js & co next to them
    python scripts/build_slides.py --no-input      # outputs only (figures, printed checks), no code
    python scripts/build_slides.py notebooks/02_jensen.ipynb --output-dir /tmp/decks

The decks come from nbconvert's slides exporter with the course template
(``scripts/slides_template/emlab_reveal``) and follow each cell's ``slideshow.slide_type`` metadata
(slide / subslide / fragment / - / skip / notes), so they show the same slides as presenting live with RISE
in JupyterLab:

- a 1280x720 canvas (16:9 projector pixels, scaled as a whole on other screens), body text 24 px, code and
  text outputs 20 px; long code and output lines wrap at spaces (a number is never split); figures are
  scaled to the slide; no input/output prompts;
- MathJax 2 with automatic line-breaking off (it split inline formulas in list items); a displayed formula
  wider than the slide is scaled down to fit, to no less than :data:`MIN_MATH_SCALE` of its size;
- cells of type ``notes`` become reveal.js speaker notes: press **S** for the speaker view;
- cell tags (:data:`REMOVE_CELL_TAGS`, :data:`REMOVE_INPUT_TAGS`, :data:`REMOVE_OUTPUT_TAGS`) drop a cell,
  its code or its outputs from the decks only, so a check cell can show just its one-line confirmation;
- widget outputs show their static fallback figure (a deck has no kernel to drive a widget).

By default a deck loads reveal.js, require.js, jQuery, MathJax (and, in nbconvert's template, mermaid) from
public CDNs, so it needs a network connection when it is opened. ``--offline`` is for classrooms without
one: it fetches those libraries from the npm registry at build time (``npm pack``, into a temporary folder),
unpacks them into ``<output-dir>/_static/`` and points the decks at that copy with relative URLs; the theme
uses reveal.js's bundled fonts (no Google Fonts) and nothing is requested outside the output folder. Copy the
whole output folder to the presenting machine. The libraries are never committed: ``slides/`` is git-ignored.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: nbconvert template folder of the course decks (a child of ``scripts/slides_template``).
TEMPLATE_DIR = Path(__file__).resolve().parent / "slides_template"
TEMPLATE_NAME = "emlab_reveal"

#: The deck canvas in CSS pixels (reveal.js scales it to the screen): 16:9 at projector resolution.
SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 720

#: A displayed formula wider than the slide is scaled down to fit, but not below this fraction of its size.
MIN_MATH_SCALE = 0.75

#: Cell tags honoured by the decks (the notebook itself is unchanged). ``remove-cell`` is Jupyter Book's name.
REMOVE_CELL_TAGS = ("remove-cell", "slides-skip")
#: The code is dropped, the outputs stay: for check cells whose one-line confirmation is the point.
REMOVE_INPUT_TAGS = ("hide-input", "remove-input")
REMOVE_OUTPUT_TAGS = ("hide-output", "remove-output")

#: The slide types that open a new (sub)slide, by strength.
_SLIDE_RANK = {"slide": 2, "subslide": 1}

#: nbconvert's HTML output priority without the widget view: decks show a widget's static fallback.
DISPLAY_PRIORITY = [
    "application/javascript",
    "text/html",
    "text/markdown",
    "image/svg+xml",
    "text/vnd.mermaid",
    "text/latex",
    "image/png",
    "image/jpeg",
    "text/plain",
]

#: reveal.js from a CDN for online decks: the same version as the offline copy.
ONLINE_REVEAL_URL = "https://unpkg.com/reveal.js@4.6.1"

#: Name of the folder, next to the decks, that holds the offline copies of the JavaScript libraries.
STATIC_DIR = "_static"

#: npm packages bundled by ``--offline``. reveal.js must stay on 4.x (the layout nbconvert's reveal
#: template expects: ``dist/reveal.js``, ``dist/theme/``, ``plugin/notes/``); MathJax on 2.x (the template
#: configures it with the MathJax 2 ``MathJax.Hub`` API).
NPM_PACKAGES = {
    "reveal.js": "reveal.js@4.6.1",
    "requirejs": "requirejs@2.3.7",
    "jquery": "jquery@3.7.1",
    "mathjax": "mathjax@2.7.9",
}

#: URLs (relative to a deck) of the files nbconvert's template loads, once bundled by ``--offline``.
OFFLINE_URLS = {
    "reveal_url_prefix": f"{STATIC_DIR}/reveal.js",
    "require_js_url": f"{STATIC_DIR}/requirejs/require.js",
    "jquery_url": f"{STATIC_DIR}/jquery/dist/jquery.min.js",
    # MathJax.js, not latest.js: latest.js looks the newest version up on a CDN.
    "mathjax_url": f"{STATIC_DIR}/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
}


def default_notebooks(root: Path = ROOT) -> list[Path]:
    """Return the course notebooks (``notebooks/*.ipynb``, not the solutions), sorted by name.

    Parameters
    ----------
    root : Path
        Repository root.

    Returns
    -------
    list of Path
    """
    return sorted((root / "notebooks").glob("*.ipynb"))


def _keep_member(package: str, name: str) -> bool:
    """Whether to unpack the tarball member ``name`` (a path below ``package/``)."""
    if package != "mathjax":
        return True
    # MathJax 2 ships ~2,500 files (unminified sources, every font in four formats, 40 translations, 30
    # combined configurations, three output processors). The decks load one configuration, the CommonHTML
    # output (PreviewHTML for the fast preview) and the TeX woff fonts: keep those, and extensions/, which
    # the configuration pulls in on demand.
    parts = name.split("/")
    if parts[0] in ("unpacked", "test", "docs"):
        return False
    if parts[0] == "config":
        return parts[1] in ("TeX-AMS_CHTML-full.js", "Safe.js", "local")
    if parts[0] == "fonts":
        return parts[1:4] == ["HTML-CSS", "TeX", "woff"]
    if parts[0] == "localization":
        return parts[1] in ("en", "en.js")
    if parts[:2] == ["jax", "output"] and len(parts) > 3:
        return parts[2] in ("CommonHTML", "PreviewHTML", "NativeMML")
    return True


def npm_pack(specs: list[str], folder: Path, npm: str = "npm", what: str = "the offline libraries") -> list[Path]:
    """Fetch npm packages as tarballs into ``folder`` (``npm pack``); return their paths, in the order of ``specs``.

    Raises
    ------
    RuntimeError
        When npm is missing or ``npm pack`` fails (for example without network access).
    """
    npm_path = shutil.which(npm)
    if npm_path is None:
        raise RuntimeError(
            f"--offline needs npm to fetch {what}, but {npm!r} is not on PATH: install Node.js/npm "
            "(Debian: apt-get install npm), or build without --offline to load the libraries from CDNs."
        )
    command = [npm_path, "pack", "--silent", *specs]
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"`npm pack {' '.join(specs)}` failed (exit {result.returncode}); the npm registry must be "
            f"reachable at build time for --offline.\n{result.stderr.strip()}"
        )
    tarballs = result.stdout.split()
    if len(tarballs) != len(specs):
        raise RuntimeError(f"npm pack printed {tarballs!r}; expected one tarball for each of {specs!r}")
    return [folder / tarball for tarball in tarballs]


def fetch_offline_assets(static_dir: Path, npm: str = "npm") -> Path:
    """Download reveal.js, require.js, jQuery and MathJax from the npm registry into ``static_dir``.

    Each package is fetched with ``npm pack`` into a temporary folder and unpacked to
    ``static_dir/<package>/`` (replacing an older copy).

    Parameters
    ----------
    static_dir : Path
        Destination folder, normally ``<output-dir>/_static``.
    npm : str
        The npm executable.

    Returns
    -------
    Path
        ``static_dir``.

    Raises
    ------
    RuntimeError
        When npm is missing or ``npm pack`` fails (for example without network access).
    """
    static_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="emlab-npm-") as tmp:
        tarballs = npm_pack(list(NPM_PACKAGES.values()), Path(tmp), npm, "reveal.js")
        for package, tarball in zip(NPM_PACKAGES, tarballs, strict=True):
            dest = static_dir / package
            if dest.exists():
                shutil.rmtree(dest)
            with tarfile.open(tarball) as tar:
                members = []
                for member in tar.getmembers():
                    # npm tarballs keep everything under a top folder, "package/" for all of ours.
                    top, _, rest = member.name.partition("/")
                    if not rest or not _keep_member(package, rest):
                        continue
                    member.name = rest
                    members.append(member)
                tar.extractall(dest, members=members, filter="data")
    return static_dir


def exporter_config(offline: bool = False, no_input: bool = False):
    """Return the traitlets configuration for nbconvert's ``SlidesExporter``.

    Parameters
    ----------
    offline : bool
        Point the decks at the local copies in ``_static/`` (see :data:`OFFLINE_URLS`) instead of CDNs.
    no_input : bool
        Hide code cells' input and show only their outputs.

    Returns
    -------
    traitlets.config.Config
    """
    from traitlets.config import Config

    config = Config()
    config.SlidesExporter.extra_template_basedirs = [str(TEMPLATE_DIR)]
    config.SlidesExporter.template_name = TEMPLATE_NAME
    # "white" loads reveal.js's bundled Source Sans Pro; nbconvert's default "simple" imports Google Fonts.
    config.SlidesExporter.reveal_theme = "white"
    config.SlidesExporter.reveal_transition = "slide"
    # A slide that does not fit must show (and be fixed), not hide behind a scroll bar.
    config.SlidesExporter.reveal_scroll = False
    config.SlidesExporter.reveal_number = "c/t"
    config.SlidesExporter.reveal_url_prefix = ONLINE_REVEAL_URL
    if offline:
        for trait, url in OFFLINE_URLS.items():
            setattr(config.SlidesExporter, trait, url)
    # Prompts cost 110 px of every code line on a slide.
    config.TemplateExporter.exclude_input_prompt = True
    config.TemplateExporter.exclude_output_prompt = True
    if no_input:
        config.TemplateExporter.exclude_input = True
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_input_tags = set(REMOVE_INPUT_TAGS)
    config.TagRemovePreprocessor.remove_all_outputs_tags = set(REMOVE_OUTPUT_TAGS)
    config.NbConvertBase.display_data_priority = list(DISPLAY_PRIORITY)
    return config


def deck_notebook(nb):
    """Return a copy of ``nb`` as the decks show it: cells tagged for removal gone, no widget state.

    A removed cell that opens a slide or subslide hands that to the next cell that is shown (unless that one
    opens a slide itself), so removing a cell never merges two slides. Widget state is dropped because the
    decks show widgets' static fallback.

    Parameters
    ----------
    nb : nbformat.NotebookNode

    Returns
    -------
    nbformat.NotebookNode
    """
    import copy

    nb = copy.deepcopy(nb)
    cells = []
    pending = 0  # the strongest slide start carried over from removed cells: 2 slide, 1 subslide, 0 none
    for cell in nb.cells:
        slide_type = cell.metadata.get("slideshow", {}).get("slide_type", "-")
        if set(cell.metadata.get("tags", [])) & set(REMOVE_CELL_TAGS):
            pending = max(pending, _SLIDE_RANK.get(slide_type, 0))
            continue
        if pending and slide_type not in ("skip", "notes"):
            if _SLIDE_RANK.get(slide_type, 0) < pending:
                cell.metadata.setdefault("slideshow", {})["slide_type"] = "slide" if pending == 2 else "subslide"
            pending = 0
        cells.append(cell)
    nb.cells = cells
    nb.metadata.pop("widgets", None)
    return nb


def uses_mermaid(nb) -> bool:
    """Whether a notebook draws mermaid diagrams (a markdown ```mermaid block or a text/vnd.mermaid output)."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "```mermaid" in cell.source:
            return True
        for output in cell.get("outputs", []):
            if "text/vnd.mermaid" in output.get("data", {}):
                return True
    return False


def build_decks(
    notebooks: list[Path] | None = None,
    output_dir: Path = ROOT / "slides",
    offline: bool = False,
    no_input: bool = False,
    fetch=fetch_offline_assets,
) -> list[Path]:
    """Write ``<output_dir>/<notebook stem>.slides.html`` for each notebook.

    Parameters
    ----------
    notebooks : list of Path, optional
        Notebooks to convert; default :func:`default_notebooks`.
    output_dir : Path
        Where the decks (and, with ``offline``, the ``_static/`` folder) go; created if needed.
    offline : bool
        Bundle reveal.js & co into ``output_dir/_static`` and link the decks to it.
    no_input : bool
        Hide code input in the decks.
    fetch : callable
        ``fetch(static_dir)`` that puts the libraries in place when ``offline``; the default downloads them
        with npm (tests pass a stand-in).

    Returns
    -------
    list of Path
        The decks written, in the order of ``notebooks``.

    Raises
    ------
    ValueError
        When there is no notebook to convert or a path is not an existing ``.ipynb`` file.
    """
    import nbformat
    from nbconvert import SlidesExporter

    notebooks = default_notebooks() if notebooks is None else [Path(nb) for nb in notebooks]
    if not notebooks:
        raise ValueError("no notebooks to convert: notebooks/*.ipynb is empty; pass notebook paths explicitly.")
    for nb in notebooks:
        if nb.suffix != ".ipynb" or not nb.is_file():
            raise ValueError(f"{nb} is not an existing .ipynb file; pass paths to notebooks.")
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    if offline:
        fetch(output_dir / STATIC_DIR)

    exporter = SlidesExporter(config=exporter_config(offline=offline, no_input=no_input))
    decks = []
    for nb in notebooks:
        node = deck_notebook(nbformat.read(nb, as_version=4))
        if offline and uses_mermaid(node):
            raise ValueError(
                f"{nb} draws mermaid diagrams, which need mermaid.js from a CDN: build it without --offline, "
                "or replace the diagram by an image."
            )
        resources = {
            "metadata": {"name": nb.stem},
            "emlab_slides": {
                "offline": offline,
                "width": SLIDE_WIDTH,
                "height": SLIDE_HEIGHT,
                "min_math_scale": MIN_MATH_SCALE,
            },
        }
        body, _ = exporter.from_notebook_node(node, resources=resources)
        deck = output_dir / f"{nb.stem}.slides.html"
        deck.write_text(body, encoding="utf-8")
        decks.append(deck)
    return decks


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to convert (default: notebooks/*.ipynb)")
    parser.add_argument("-o", "--output-dir", type=Path, default=ROOT / "slides", help="default: slides/")
    parser.add_argument(
        "--offline",
        action="store_true",
        help="fetch reveal.js, require.js, jQuery and MathJax with npm and link the decks to that local copy",
    )
    parser.add_argument("--no-input", action="store_true", help="hide code cells' input (outputs only)")
    args = parser.parse_args(argv)
    try:
        decks = build_decks(args.notebooks or None, args.output_dir, offline=args.offline, no_input=args.no_input)
    except (ValueError, RuntimeError) as exc:
        print(f"build_slides: {exc}", file=sys.stderr)
        return 1
    for deck in decks:
        print(deck)
    if args.offline:
        print(f"Offline copy of the libraries: {args.output_dir / STATIC_DIR} (keep it next to the decks).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
