"""Build the course website: every notebook as a chapter, with its stored outputs, maths and figures.

Usage (from the repository root)::

    python scripts/build_site.py                  # into site/ (git-ignored); MathJax and the decks' libraries from CDNs
    python scripts/build_site.py --offline        # nothing outside the folder is ever requested
    python scripts/build_site.py -o /tmp/site     # elsewhere

It needs the ``docs`` extra (``python -m pip install -e ".[docs]"``), and npm for ``--offline``. Nothing is
executed: the pages show the outputs stored in the notebooks (what nbval checks), rendered by Sphinx with
myst-nb and sphinx-book-theme. The Sphinx configuration is ``docs/site/conf.py``; the sources are staged in a
temporary folder that mirrors the repository (so the README's and the guide's relative links resolve):

- ``index.md``: the start page (``docs/site/index.md``): the README's course map, how to run the course and
  the notation table of notebook 00;
- ``notebooks/NN_*.ipynb``: a chapter per notebook, in order; ``notebooks/solutions/``: the appendix;
- ``docs/instructor-guide.md``;
- ``api/``: the API reference of ``emlab`` from its numpydoc docstrings, generated here. Each public function
  and class is listed with the notebooks that use it, found by reading the notebooks' code (their imports
  and the names they call), so the table cannot drift from the notebooks.

Every page has a "Binder" button (JupyterLab on that notebook; the other pages open the start notebook), and
every chapter a ".ipynb" download and a "Slides" link to its reveal.js deck, built by
``scripts/build_slides.py`` into ``<site>/slides/``. The Binder URL comes from the README's badge, the one
place that names the repository. Warnings are errors (``-W --keep-going``).

``--offline`` is for classrooms without a network: MathJax 3 is fetched from the npm registry at build time
and copied into ``_static/mathjax/``, the decks are built with ``build_slides.py --offline``, and the pages
load nothing from outside the folder (the theme's fonts and icons are bundled). Copy the folder anywhere.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import inspect
import json
import re
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONF_DIR = ROOT / "docs" / "site"
README = ROOT / "README.md"
NOTEBOOKS = ROOT / "notebooks"

#: Folder of the slide decks inside the site.
SLIDES_DIR = "slides"
#: The start notebook: what the Binder button opens on pages that are not a notebook.
START_NOTEBOOK = "notebooks/00_start.ipynb"

#: MathJax 3 from the npm registry for ``--offline``, and what of its ``es5/`` folder the pages use: the
#: combined TeX-to-CommonHTML component, its fonts, and the parts its menu loads on demand.
MATHJAX_NPM = "mathjax@3.2.2"
MATHJAX_SCRIPT = "tex-chtml-full.js"
MATHJAX_KEEP = (MATHJAX_SCRIPT, "output/chtml/fonts/woff-v2/", "ui/", "a11y/", "sre/", "input/tex/extensions/")
#: Where the pages find it, relative to ``_static/`` (Sphinx's ``mathjax_path``).
MATHJAX_PATH = f"mathjax/{MATHJAX_SCRIPT}"

#: The public modules of emlab, in the order of the API reference. A name listed in several ``__all__``
#: (a re-export) is documented once, in the first module here that defines it or re-exports it from a
#: private module; the other modules' tables link there.
API_MODULES = (
    "emlab",
    "emlab.core",
    "emlab.params",
    "emlab.mixture",
    "emlab.base",
    "emlab.history",
    "emlab.covariance",
    "emlab.bernoulli",
    "emlab.bernoulli_core",
    "emlab.missing",
    "emlab.prior",
    "emlab.rate",
    "emlab.loop",
    "emlab.datasets",
    "emlab.plots",
    "emlab.style",
    "emlab.exercises",
    "emlab.gallery",
)


# ---------------------------------------------------------------------------------------------------------
# Links: Binder, download, slides
# ---------------------------------------------------------------------------------------------------------
def binder_repo(readme: Path = README) -> tuple[str, str, str]:
    """``(owner, repository, branch)`` from the Binder badge of the README, the one place that names them.

    Raises
    ------
    ValueError
        When the README has no ``https://mybinder.org/v2/gh/OWNER/REPO/BRANCH`` link.
    """
    match = re.search(r"https://mybinder\.org/v2/gh/([\w.-]+)/([\w.-]+)/([\w./-]+?)[?)]", readme.read_text("utf-8"))
    if match is None:
        raise ValueError(f"{readme} has no Binder badge link https://mybinder.org/v2/gh/OWNER/REPO/BRANCH?...")
    return match.group(1), match.group(2), match.group(3)


def binder_branch() -> str:
    """The branch Binder launches (from the README's badge)."""
    return binder_repo()[2]


def repository_url() -> str:
    """The GitHub repository of the course (from the README's badge)."""
    owner, repo, _ = binder_repo()
    return f"https://github.com/{owner}/{repo}"


def pages_url() -> str:
    """Where GitHub Pages publishes the site of that repository."""
    owner, repo, _ = binder_repo()
    return f"https://{owner}.github.io/{repo}/"


def binder_url(notebook: str) -> str:
    """The Binder link that opens ``notebook`` (a path from the repository root) in JupyterLab."""
    owner, repo, branch = binder_repo()
    return f"https://mybinder.org/v2/gh/{owner}/{repo}/{branch}?urlpath=lab/tree/{notebook}"


def page_notebook(pagename: str) -> str | None:
    """The notebook (path from the repository root) a page shows, or None for the other pages.

    The staged sources mirror the repository, so a chapter's Sphinx page name is the notebook's path without
    ``.ipynb``.
    """
    if pagename.startswith("notebooks/") and (ROOT / f"{pagename}.ipynb").is_file():
        return f"{pagename}.ipynb"
    return None


def page_buttons(pagename: str, pathto) -> list[dict]:
    """The header buttons of a page, in sphinx-book-theme's format (see ``docs/site/conf.py``).

    Every page: "Binder" (its notebook, or the start notebook). A chapter also gets ".ipynb" (the stored
    notebook, from ``_sources/``) and "Slides" (its deck in ``slides/``).
    """
    notebook = page_notebook(pagename)
    buttons = [
        {
            "type": "link",
            "url": binder_url(notebook or START_NOTEBOOK),
            "text": "Binder",
            "tooltip": "Launch this notebook in JupyterLab on Binder" if notebook else "Launch the course on Binder",
            "icon": "_static/images/logo_binder.svg",
            "label": "emlab-launch",
        }
    ]
    if notebook:
        stem = Path(notebook).stem
        buttons += [
            {
                "type": "link",
                "url": f"{pathto('_sources', 1)}/{notebook}",
                "text": ".ipynb",
                "tooltip": "Download this notebook",
                "icon": "fas fa-download",
                "label": "emlab-download",
            },
            {
                "type": "link",
                "url": pathto(f"{SLIDES_DIR}/{stem}.slides.html", 1),
                "text": "Slides",
                "tooltip": "This notebook as a slide deck (press S for the speaker notes)",
                "icon": "fas fa-person-chalkboard",
                "label": "emlab-slides",
            },
        ]
    return buttons


# ---------------------------------------------------------------------------------------------------------
# Which notebook teaches which name
# ---------------------------------------------------------------------------------------------------------
def course_notebooks(root: Path = ROOT) -> list[Path]:
    """The chapters (``notebooks/NN_*.ipynb``) then the solutions, each sorted by name."""
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb")) + sorted(
        (root / "notebooks" / "solutions").glob("*.ipynb")
    )


def _notebook_code(path: Path) -> str:
    """The code cells of a notebook as one Python source (IPython magics turned into plain calls)."""
    from IPython.core.inputtransformer2 import TransformerManager

    transform = TransformerManager().transform_cell
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = [cell for cell in nb["cells"] if cell["cell_type"] == "code"]
    return "\n".join(transform("".join(cell["source"])) for cell in cells)


def emlab_names_used(code: str) -> set[str]:
    """The dotted ``emlab...`` names a piece of code uses: imported, called, or read as attributes.

    ``from emlab import plots`` then ``plots.jensen_widget(...)`` gives ``emlab.plots`` and
    ``emlab.plots.jensen_widget``; ``import emlab.style`` then ``emlab.style.use_style()`` gives
    ``emlab.style.use_style``.
    """
    tree = ast.parse(code)
    aliases: dict[str, str] = {}
    used: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "emlab":
                    used.add(alias.name)
                    if alias.asname:
                        aliases[alias.asname] = alias.name
                    else:
                        aliases["emlab"] = "emlab"
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "emlab":
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                aliases[alias.asname or alias.name] = full
                used.add(full)

    def dotted(node) -> str | None:
        if isinstance(node, ast.Name):
            return aliases.get(node.id)
        if isinstance(node, ast.Attribute):
            base = dotted(node.value)
            return None if base is None else f"{base}.{node.attr}"
        return None

    for node in ast.walk(tree):
        if isinstance(node, ast.Name | ast.Attribute):
            name = dotted(node)
            if name:
                used.add(name)
    return used


def resolve(dotted: str):
    """The object a dotted ``emlab...`` name refers to, or None (an instance's attribute, a typo)."""
    parts = dotted.split(".")
    obj = importlib.import_module(parts[0])
    for i, part in enumerate(parts[1:], start=1):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            try:
                obj = importlib.import_module(".".join(parts[: i + 1]))
            except ImportError:
                return None
    return obj


def _key(obj, dotted: str):
    """How :func:`teaching_notebooks` files a use: by identity for functions, classes and modules (so a
    re-export counts), by dotted name for constants (two equal numbers may be the same object)."""
    return id(obj) if callable(obj) or inspect.ismodule(obj) else dotted


def teaching_notebooks(notebooks: list[Path] | None = None) -> dict:
    """Who uses what: ``id(object)`` (or a constant's dotted name) -> the notebooks, as paths from the
    repository root in course order (chapters, then solutions), whose code uses it. A notebook that uses a
    class also uses its emlab base classes."""
    uses: dict = {}
    for path in course_notebooks() if notebooks is None else notebooks:
        rel = _rel(path)
        for name in sorted(emlab_names_used(_notebook_code(path))):
            obj = resolve(name)
            if obj is None:
                continue
            keys = [_key(obj, name)]
            if inspect.isclass(obj):  # GaussianMixture(...).fit runs BaseMixture's EM driver
                keys += [id(base) for base in obj.__mro__[1:] if base.__module__.startswith("emlab")]
            for key in keys:
                users = uses.setdefault(key, [])
                if rel not in users:
                    users.append(rel)
    return uses


def users_of(obj, dotted_names, uses: dict) -> list[str]:
    """The notebooks that use ``obj``, known under ``dotted_names``, in course order."""
    if callable(obj) or inspect.ismodule(obj):
        return list(uses.get(id(obj), []))
    found = {rel for name in dotted_names for rel in uses.get(name, [])}
    return [rel for rel in map(_rel, course_notebooks()) if rel in found]


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


# ---------------------------------------------------------------------------------------------------------
# The API reference
# ---------------------------------------------------------------------------------------------------------
def public_names(module_name: str) -> list[str]:
    """The names a public module exports (its ``__all__``), submodules excluded."""
    module = importlib.import_module(module_name)
    return [name for name in module.__all__ if not inspect.ismodule(getattr(module, name))]


def _defined_in(obj, module_name: str) -> bool:
    """Whether ``module_name`` is where ``obj`` lives: its module, or the public face of a private one
    (``emlab.plots._jensen`` -> ``emlab.plots``). Constants have no module: they live where they are listed."""
    home = getattr(obj, "__module__", None)
    if not isinstance(home, str):
        return True
    return ".".join(part for part in home.split(".") if not part.startswith("_")) == module_name


def api_entries() -> dict[str, list[tuple[str, object, str]]]:
    """Module -> ``[(name, object, documented_as), ...]`` in ``__all__`` order.

    ``documented_as`` is the dotted name under which the object's documentation appears (the first module of
    :data:`API_MODULES` that owns it); it differs from ``module.name`` for re-exports.
    """
    home: dict[int, str] = {}
    entries: dict[str, list[tuple[str, object, str]]] = {}
    for module_name in API_MODULES:
        module = importlib.import_module(module_name)
        for name in public_names(module_name):
            obj = getattr(module, name)
            if id(obj) not in home and module_name != "emlab" and _defined_in(obj, module_name):
                home[id(obj)] = f"{module_name}.{name}"
    for module_name in API_MODULES:
        module = importlib.import_module(module_name)
        rows = []
        for name in public_names(module_name):
            obj = getattr(module, name)
            if id(obj) not in home:  # defined in no public module above: document it here
                home[id(obj)] = f"{module_name}.{name}"
            rows.append((name, obj, home[id(obj)]))
        entries[module_name] = rows
    return entries


def _summary(obj) -> str:
    """The first sentence of an object's docstring, fit for a table cell."""
    doc = inspect.getdoc(obj) if callable(obj) or inspect.isclass(obj) else None
    if not doc:
        return ""
    first = doc.split("\n\n")[0].replace("\n", " ").strip()
    return first.replace("|", "\\|")


def constant_doc(module_name: str, name: str) -> list[str]:
    """The ``#:`` comment above a module-level constant (Sphinx's source analyser), as lines."""
    from sphinx.pycode import ModuleAnalyzer

    docs = ModuleAnalyzer.for_module(module_name).find_attr_docs()
    return list(docs.get(("", name), []))


def _kind(obj) -> str:
    if inspect.isclass(obj):
        return "class"
    if callable(obj):
        return "function"
    return "data"


def _links(notebooks: list[str], depth: str) -> str:
    """Markdown links to notebooks (paths from the repository root) from a page ``depth`` below the root."""
    links = []
    for rel in notebooks:
        label = Path(rel).stem[:2] + (" (solution)" if "/solutions/" in rel else "")
        links.append(f"[{label}]({depth}{rel})")
    return ", ".join(links)


def used_in_cell(direct: list[str], module_users: list[str], module_name: str, depth: str = "../") -> str:
    """The "Used in the notebooks" cell: the notebooks that use the name, else those that use its module."""
    if direct:
        return _links(direct, depth)
    if module_users:
        return f"not called directly; `{module_name}` in {_links(module_users, depth)}"
    return "not used in the notebooks"


def api_page(module_name: str, rows, uses: dict) -> str:
    """The MyST source of one module's API page."""
    lines = [f"# `{module_name}`", ""]
    lines += ["```{eval-rst}", f".. automodule:: {module_name}", "   :no-members:", "```", ""]
    lines += ["| Name | What it is | Used in the notebooks |", "|---|---|---|"]
    direct = {name: users_of(obj, {f"{module_name}.{name}", as_}, uses) for name, obj, as_ in rows}
    module_users = [rel for rel in map(_rel, course_notebooks()) if any(rel in users for users in direct.values())]
    for name, obj, documented_as in rows:
        target = f"{{py:obj}}`{name} <{documented_as}>`"
        note = "" if documented_as == f"{module_name}.{name}" else f" (see `{documented_as}`)"
        cell = used_in_cell(direct[name], module_users, module_name)
        lines.append(f"| {target} | {_summary(obj)}{note} | {cell} |")
    lines.append("")
    documented = [(name, obj) for name, obj, as_ in rows if as_ == f"{module_name}.{name}"]
    if documented:
        lines += ["```{eval-rst}"]
        for name, obj in documented:
            kind = _kind(obj)
            if kind == "class":
                lines += [f".. autoclass:: {module_name}.{name}", "   :members:", ""]
            elif kind == "function":
                lines += [f".. autofunction:: {module_name}.{name}", ""]
            else:
                # Not autodata: a constant without a doc comment would show its type's docstring (dict's).
                doc = constant_doc(module_name, name)
                lines += [f".. py:data:: {module_name}.{name}", "", *(f"   {line}" for line in doc), ""]
        lines += ["```", ""]
    return "\n".join(lines)


def write_api_pages(dest: Path, uses: dict | None = None) -> list[Path]:
    """Write ``dest/index.md`` and one page per module of :data:`API_MODULES`; return the paths."""
    uses = teaching_notebooks() if uses is None else uses
    dest.mkdir(parents=True, exist_ok=True)
    pages = []
    entries = api_entries()
    for module_name, rows in entries.items():
        page = dest / f"{module_name}.md"
        page.write_text(api_page(module_name, rows, uses), encoding="utf-8")
        pages.append(page)
    index = [
        "# API reference",
        "",
        "Every public function and class of `emlab`, from its docstrings, with the notebooks whose code uses it",
        "(found by reading the notebooks' imports and calls when the site is built). Start with `emlab` itself:",
        "the names the notebooks import from it.",
        "",
        "```{toctree}",
        ":maxdepth: 1",
        "",
        *(module_name for module_name in entries),
        "```",
        "",
    ]
    (dest / "index.md").write_text("\n".join(index), encoding="utf-8")
    return [dest / "index.md", *pages]


# ---------------------------------------------------------------------------------------------------------
# Staging and building
# ---------------------------------------------------------------------------------------------------------
def notation_fragment(notebook: Path = NOTEBOOKS / "00_start.ipynb") -> str:
    """The notation table of the start notebook (its "## Notation" cell, without the heading)."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and source.startswith("## Notation"):
            return source.split("\n", 1)[1].strip() + "\n"
    raise ValueError(f"{notebook} has no markdown cell starting with '## Notation' for the site's start page")


def site_notebook(nb: dict) -> dict:
    """A notebook as the site shows it: the slide-only tags mean something else on a page that is read.

    - ``remove-cell`` hides setup code (the imports) from the slides; a reader of the page should still find
      where the names come from, so on the site it becomes ``hide-input`` (a "show code" toggle).
    - Speaker notes (``notes`` cells) are for the speaker view; the site's instructor guide lists them all, so
      the chapters leave them out (``remove-cell``).
    """
    for cell in nb["cells"]:
        meta = cell.setdefault("metadata", {})
        tags = meta.get("tags", [])
        if "remove-cell" in tags:
            meta["tags"] = [("hide-input" if tag == "remove-cell" else tag) for tag in tags]
        if meta.get("slideshow", {}).get("slide_type") == "notes":
            meta["tags"] = [*meta.get("tags", []), "remove-cell"]
    return nb


def stage_sources(src: Path) -> Path:
    """Lay out the Sphinx sources in ``src`` (mirroring the repository); return ``src``."""
    src.mkdir(parents=True, exist_ok=True)
    for name in ("index.md", "solutions.md"):
        shutil.copy2(CONF_DIR / name, src / name)
    shutil.copy2(README, src / "README.md")
    (src / "_notation.md").write_text(notation_fragment(), encoding="utf-8")
    (src / "docs").mkdir(exist_ok=True)
    shutil.copy2(ROOT / "docs" / "instructor-guide.md", src / "docs" / "instructor-guide.md")
    for notebook in course_notebooks():
        dest = src / notebook.relative_to(ROOT)
        dest.parent.mkdir(parents=True, exist_ok=True)
        nb = site_notebook(json.loads(notebook.read_text(encoding="utf-8")))
        dest.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    write_api_pages(src / "api")
    return src


def fetch_mathjax(static_dir: Path, npm: str = "npm") -> Path:
    """Download MathJax 3 from the npm registry into ``static_dir/mathjax`` (the parts in :data:`MATHJAX_KEEP`).

    Raises
    ------
    RuntimeError
        When npm is missing or ``npm pack`` fails (no network at build time).
    """
    import build_slides

    dest = static_dir / "mathjax"
    if dest.exists():
        shutil.rmtree(dest)
    with tempfile.TemporaryDirectory(prefix="emlab-mathjax-") as tmp:
        (tarball,) = build_slides.npm_pack([MATHJAX_NPM], Path(tmp), npm, "MathJax")
        with tarfile.open(tarball) as tar:
            members = []
            for member in tar.getmembers():
                rest = member.name.removeprefix("package/es5/")
                if rest != member.name and rest.startswith(MATHJAX_KEEP):
                    member.name = rest
                    members.append(member)
            tar.extractall(dest, members=members, filter="data")
    if not (dest / MATHJAX_SCRIPT).is_file():
        raise RuntimeError(f"{MATHJAX_NPM} has no es5/{MATHJAX_SCRIPT}")
    return dest


def build_site(output: Path, offline: bool = False, jobs: int = 1, keep_sources: Path | None = None) -> Path:
    """Build the site into ``output``; return the path of its ``index.html``.

    Parameters
    ----------
    output : Path
        The site folder (replaced).
    offline : bool
        Bundle MathJax and the decks' libraries (npm, at build time) so that no page requests anything
        outside the folder.
    jobs : int
        Sphinx's parallel jobs.
    keep_sources : Path, optional
        Stage the Sphinx sources here (kept, for debugging) instead of in a temporary folder.

    Raises
    ------
    ValueError
        When ``output`` is a non-empty folder that is not a site (it would be deleted).
    RuntimeError
        When Sphinx reports a warning or an error, or npm cannot fetch a library.
    """
    from sphinx.cmd.build import build_main

    sys.path.insert(0, str(ROOT / "scripts"))
    import build_slides

    output = Path(output).resolve()
    if output.exists():
        # The folder is replaced: make sure it is a site (or empty) before deleting it.
        if any(output.iterdir()) and not (output / "searchindex.js").is_file():
            raise ValueError(f"{output} is not empty and not a site built by this script; choose another -o")
        shutil.rmtree(output)
    with tempfile.TemporaryDirectory(prefix="emlab-site-") as tmp:
        src = stage_sources(Path(keep_sources) if keep_sources else Path(tmp) / "src")
        args = ["-b", "html", "-W", "--keep-going", "-q", "-j", str(jobs), "-c", str(CONF_DIR)]
        args += ["-d", str(Path(tmp) / "doctrees")]
        if offline:
            args += ["-D", f"mathjax_path={MATHJAX_PATH}"]
        status = build_main([*args, str(src), str(output)])
    if status != 0:
        raise RuntimeError(f"Sphinx failed (exit {status}); warnings are errors: see the messages above.")
    # The ".ipynb" button offers the stored notebook, not the staged copy with the site's tags.
    for notebook in course_notebooks():
        shutil.copy2(notebook, output / "_sources" / notebook.relative_to(ROOT))
    if offline:
        fetch_mathjax(output / "_static")
    build_slides.build_decks(course_notebooks(), output / SLIDES_DIR, offline=offline)
    return output / "index.html"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    # Document this checkout's emlab, even where another copy is installed (a git worktree, say).
    sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "site", help="default: site/")
    parser.add_argument(
        "--offline", action="store_true", help="bundle MathJax and the decks' libraries (npm): no request leaves"
    )
    parser.add_argument("-j", "--jobs", type=int, default=1, help="Sphinx's parallel jobs (default 1)")
    parser.add_argument("--keep-sources", type=Path, help="stage the Sphinx sources here and keep them")
    args = parser.parse_args(argv)
    try:
        index = build_site(args.output, offline=args.offline, jobs=args.jobs, keep_sources=args.keep_sources)
    except (ValueError, RuntimeError) as exc:
        print(f"build_site: {exc}", file=sys.stderr)
        return 1
    print(f"Site: {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
