"""The course website (``scripts/build_site.py``): what a student sees, offline, in a real browser.

The site is built once with ``--offline`` (a module fixture, into a temporary folder) and served on
127.0.0.1. Every page is opened in headless Chromium (Debian's ``/usr/bin/chromium`` driven by Playwright) with
every request outside the site aborted and recorded, and the test asserts:

- no request left the site, no local file is missing, and the page logged no console error;
- the maths is typeset by MathJax (one ``mjx-container`` per formula) and no raw TeX is visible;
- every image loaded and has a size;
- the Binder button opens that page's notebook in JupyterLab (the README's badge, with the notebook's path);
  a chapter's ".ipynb" button downloads the stored notebook and its "Slides" button finds its deck;
- search finds "Jensen" and "responsibilities" in the chapters that teach them.

The fast tests (no browser, no build) check the API reference's tables: every public name of emlab is
documented once, with the notebooks that use it.

Locally the browser tests skip, saying why, when Chromium, Playwright, Sphinx or npm is missing. In CI
(``CI=true``) they fail instead.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import inspect
import json
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

sys.path.insert(0, str(ROOT / "scripts"))
import build_site  # noqa: E402
from _browser import chromium, require  # noqa: E402


def expected_pages() -> list[str]:
    """Every HTML page the site must have (paths from the site root), known before it is built."""
    pages = ["index.html", "solutions.html", "docs/instructor-guide.html", "api/index.html"]
    pages += [f"{nb.relative_to(ROOT).with_suffix('.html').as_posix()}" for nb in build_site.course_notebooks()]
    pages += [f"api/{module}.html" for module in build_site.API_MODULES]
    pages += ["genindex.html", "py-modindex.html", "search.html"]
    return pages


#: Cell tags that keep a cell's outputs off the site (myst-nb honours them).
HIDDEN_OUTPUT_TAGS = {"remove-cell", "remove-output"}


def stored_figures(notebook: Path) -> int:
    """How many images a notebook's stored outputs hold, in the cells the site shows."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    count = 0
    for cell in nb["cells"]:
        if cell["cell_type"] != "code" or HIDDEN_OUTPUT_TAGS & set(cell["metadata"].get("tags", [])):
            continue
        count += sum("image/png" in out.get("data", {}) for out in cell["outputs"])
    return count


def badge_url() -> str:
    """The README's Binder badge link: the launch URL of the start notebook, written by hand."""
    match = re.search(r"\(https://mybinder\.org/v2/gh/[^)]*\)", (ROOT / "README.md").read_text(encoding="utf-8"))
    assert match, "README.md has no Binder badge"
    return match.group(0)[1:-1]


def expected_binder(page: str) -> str:
    """A chapter's Binder link opens its notebook; any other page opens the start notebook (the badge)."""
    url = badge_url()
    if page.startswith("notebooks/"):
        return url.replace("notebooks/00_start.ipynb", page.removesuffix(".html") + ".ipynb")
    return url


# ---------------------------------------------------------------------------------------------------------
# Fast checks of the API reference (no build, no browser)
# ---------------------------------------------------------------------------------------------------------
def test_every_public_name_is_documented_once():
    import emlab

    entries = build_site.api_entries()
    for module_name in build_site.API_MODULES:
        listed = [name for name, _, _ in entries[module_name]]
        assert listed == build_site.public_names(module_name), f"{module_name}: the table must follow __all__"
    # Each object has exactly one home, and every re-export points to it.
    objects = {}
    for rows in entries.values():
        for _, obj, as_ in rows:
            objects.setdefault(as_, obj)
            assert objects[as_] is obj, f"{as_} documents two different objects"
    public = [name for name in emlab.__all__ if not isinstance(getattr(emlab, name), type(emlab))]
    for name in public:
        obj = getattr(emlab, name)
        assert any(documented is obj for documented in objects.values()), f"emlab.{name} is not documented"


def test_scanner_finds_names_through_imports_and_attributes():
    code = (
        "import emlab.style\nfrom emlab import plots, GaussianMixture as GM\n"
        "from emlab.covariance import n_parameters\nemlab.style.use_style()\n"
        "fig = plots.jensen_widget(np.log)\nGM(2).fit(X).bic(X)\nn_parameters('full', 2, 2)\n"
    )
    used = build_site.emlab_names_used(code)
    for name in (
        "emlab.style.use_style",
        "emlab.plots.jensen_widget",
        "emlab.GaussianMixture",
        "emlab.covariance.n_parameters",
    ):
        assert name in used, f"{name} not found in {sorted(used)}"
    assert not any(name.startswith("np") for name in used)


def test_api_tables_link_every_function_and_class_to_the_notebooks():
    uses = build_site.teaching_notebooks()
    import emlab

    jensen_users = build_site.users_of(emlab.plots.jensen_widget, {"emlab.plots.jensen_widget"}, uses)
    assert jensen_users[:1] == ["notebooks/02_jensen.ipynb"], jensen_users
    assert "notebooks/08_beyond_gaussians.ipynb" in build_site.users_of(emlab.BernoulliMixture, set(), uses)
    for module_name, rows in build_site.api_entries().items():
        page = build_site.api_page(module_name, rows, uses)
        table = [line for line in page.splitlines() if line.startswith("| {py:obj}")]
        assert len(table) == len(rows), f"{module_name}: {len(rows)} names, {len(table)} table rows"
        for line, (name, obj, _) in zip(table, rows, strict=True):
            cell = line.rsplit("|", 2)[1]
            # Every row says where the name is taught, or says plainly that no notebook uses it (plumbing
            # such as emlab.history's recorder, or the gallery command).
            assert "](../notebooks/" in cell or cell.strip() == "not used in the notebooks", f"{name}: {cell!r}"
            # What `import emlab` offers is what the notebooks teach: each of those names links to one.
            if module_name == "emlab" and (callable(obj) or inspect.ismodule(obj)):
                assert "](../notebooks/" in cell, f"emlab.{name}: no link to a notebook: {cell!r}"


def test_site_shows_setup_code_behind_a_toggle_and_leaves_speaker_notes_to_the_guide():
    nb = {
        "cells": [
            {"cell_type": "code", "metadata": {"tags": ["remove-cell"]}, "source": "import numpy as np"},
            {"cell_type": "markdown", "metadata": {"slideshow": {"slide_type": "notes"}}, "source": "Speaker note: x"},
            {"cell_type": "markdown", "metadata": {"tags": ["remove-input"]}, "source": "text"},
        ]
    }
    cells = build_site.site_notebook(nb)["cells"]
    assert [c["metadata"].get("tags") for c in cells] == [["hide-input"], ["remove-cell"], ["remove-input"]]
    # Every stored notes cell is left out of the chapters; the guide (a page of the site) lists them all.
    guide = (ROOT / "docs" / "instructor-guide.md").read_text(encoding="utf-8")
    for notebook in build_site.course_notebooks():
        staged = build_site.site_notebook(json.loads(notebook.read_text(encoding="utf-8")))
        for cell in staged["cells"]:
            if cell["metadata"].get("slideshow", {}).get("slide_type") == "notes":
                assert "remove-cell" in cell["metadata"]["tags"], notebook.name
    assert "Speaker notes" in guide


def test_build_refuses_to_replace_a_folder_that_is_not_a_site(tmp_path):
    pytest.importorskip("sphinx", reason="the build needs the docs extra")
    (tmp_path / "thesis.tex").write_text("months of work")
    with pytest.raises(ValueError, match="not a site"):
        build_site.build_site(tmp_path)
    assert (tmp_path / "thesis.tex").read_text() == "months of work"


# ---------------------------------------------------------------------------------------------------------
# The built site, in a browser
# ---------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site, built once with --offline into a temporary folder."""
    require(importlib.util.find_spec("sphinx") is not None, "Sphinx is missing: pip install -e '.[docs]'")
    require(importlib.util.find_spec("myst_nb") is not None, "myst-nb is missing: pip install -e '.[docs]'")
    require(shutil.which("npm") is not None, "npm is missing, so --offline cannot fetch MathJax")
    out = tmp_path_factory.mktemp("site") / "site"
    # The command a reader runs, in its own process: pytest's filterwarnings=error would turn the
    # deprecation warnings that Sphinx extensions raise about each other into build errors.
    cmd = [sys.executable, str(ROOT / "scripts" / "build_site.py"), "--offline", "-o", str(out)]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    return out


@pytest.fixture(scope="module")
def site_url(site):
    """The site served by a thread of this process on 127.0.0.1 (a file:// page cannot run Sphinx's search)."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="module")  # not session: a live sync Playwright would block the next module's
def browser():
    with chromium() as launched:
        yield launched


class Visit:
    """One page opened with every request outside the site blocked; what went wrong is collected."""

    def __init__(self, browser, site_url: str):
        self.site_url = site_url
        self.page = browser.new_page(viewport={"width": 1280, "height": 900})
        self.blocked: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("requestfailed", lambda request: self.failed.append(request.url))
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    def _route(self, route):
        url = route.request.url
        if url.startswith(self.site_url) or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def close(self):
        self.page.close()


@pytest.fixture
def visit(browser, site_url):
    visit = Visit(browser, site_url)
    yield visit
    visit.close()


# In the page, after load: wait for MathJax (when the page has maths) and for every image, then report.
PAGE_REPORT_JS = r"""
async () => {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  // Maths is in the chapters and in the navigation (chapter titles with a formula): the whole page counts.
  const formulas = document.querySelectorAll('.math').length;
  if (formulas > 0) {
    for (let i = 0; i < 300 && !(window.MathJax && MathJax.startup && MathJax.startup.promise); i++) await sleep(50);
    if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
  }
  const images = [...document.images];
  for (let i = 0; i < 200 && !images.every((img) => img.complete); i++) await sleep(50);
  // Text that a reader sees: not code (nor a signature in the API reference, which is code too), not the
  // typeset maths (its hidden MathML copy included).
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const texts = [];
  const skip = 'pre, code, .sig, mjx-container, script, style, template, .highlight';
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    // Hidden text is not seen (the theme's print-only header repeats the title as plain text).
    if (node.parentElement.closest(skip) || !node.parentElement.checkVisibility()) continue;
    texts.push(node.textContent);
  }
  return {
    formulas,
    typeset: document.querySelectorAll('mjx-container').length,
    text: texts.join(' '),
    images: images.map((img) => ({src: img.currentSrc || img.src, complete: img.complete, width: img.naturalWidth})),
    // myst-nb's classes for a stored stderr stream and an exception's traceback.
    errorOutputs: [...document.querySelectorAll('.output.stderr, .output.traceback')]
      .map((el) => el.innerText.slice(0, 200)),
    binder: [...document.querySelectorAll('a.btn-emlab-launch')].map((a) => a.href),
    download: [...document.querySelectorAll('a.btn-emlab-download')].map((a) => a.href),
    slides: [...document.querySelectorAll('a.btn-emlab-slides')].map((a) => a.href),
  };
}
"""

#: TeX that MathJax should have turned into maths: a control word, display or inline delimiters.
RAW_TEX = re.compile(
    r"\\(frac|mathbb|mathcal|sum|ln|mu|Sigma|phi|Theta|begin|left|right)\b|\$\$|\\\(|\\\[|\$[^$\s][^$]*\$"
)


@pytest.mark.browser
def test_site_has_every_page(site):
    built = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html") if p.parts[len(site.parts)] != "slides")
    built = [page for page in built if not page.startswith("_static/")]
    assert sorted(expected_pages()) == built


@pytest.mark.parametrize("page", expected_pages())
@pytest.mark.browser
# Playwright's sync API runs its own asyncio loop and transport; their teardown is not ours to fix.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_page(visit, site, site_url, page):
    response = visit.page.goto(site_url + page, wait_until="load")
    assert response is not None and response.ok, f"{page}: {response and response.status}"
    report = visit.page.evaluate(PAGE_REPORT_JS)

    assert not visit.blocked, f"{page} asked for something outside the site: {visit.blocked}"
    assert not visit.failed, f"{page}: requests failed (missing files?): {visit.failed}"
    assert not visit.errors, f"{page}: console errors: {visit.errors}"

    assert report["typeset"] >= report["formulas"], (
        f"{page}: {report['formulas']} formulas, {report['typeset']} typeset"
    )
    raw = RAW_TEX.search(report["text"])
    assert raw is None, (
        f"{page}: raw TeX on the page: ...{report['text'][max(raw.start() - 60, 0) : raw.end() + 60]}..."
    )
    assert not report["errorOutputs"], f"{page} shows error or warning output: {report['errorOutputs']}"
    broken = [img["src"] for img in report["images"] if not (img["complete"] and img["width"] > 0)]
    assert not broken, f"{page}: images that did not load: {broken}"

    assert report["binder"] == [expected_binder(page)], f"{page}: Binder button {report['binder']}"
    if page.startswith("notebooks/"):
        notebook = ROOT / page.replace(".html", ".ipynb")
        assert len(report["download"]) == 1 and len(report["slides"]) == 1, f"{page}: {report}"
        download = visit.page.request.get(report["download"][0])
        assert download.ok and download.body() == notebook.read_bytes(), f"{page}: the .ipynb is not the stored one"
        assert report["slides"][0].endswith(f"/slides/{notebook.stem}.slides.html"), report["slides"]
        deck = visit.page.request.get(report["slides"][0])
        assert deck.ok and "reveal" in deck.text(), f"{page}: no deck at {report['slides'][0]}"
        # Every figure the notebook stores (widgets: their static picture) is on the page.
        figures = [img for img in report["images"] if "/_images/" in img["src"]]
        assert len(figures) == stored_figures(notebook), f"{page}: {len(figures)} figures shown"


@pytest.mark.parametrize(
    ("query", "expected"),
    [("Jensen", "notebooks/02_jensen.html"), ("responsibilities", "notebooks/03_em_algorithm.html")],
)
@pytest.mark.browser
# Playwright's sync API runs its own asyncio loop and transport; their teardown is not ours to fix.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_search(visit, site_url, query, expected):
    visit.page.goto(f"{site_url}search.html?q={query}", wait_until="load")
    # Sphinx's search writes "Search finished, found N pages ..." when it is done.
    visit.page.wait_for_function(
        "() => /Search finished/.test(document.querySelector('#search-results')?.innerText || '')", timeout=30_000
    )
    links = visit.page.evaluate("() => [...document.querySelectorAll('#search-results a')].map((a) => a.href)")
    assert any(link.split("#")[0].split("?")[0].endswith(expected) for link in links), f"{query}: {links[:20]}"
    assert not visit.blocked and not visit.errors, (visit.blocked, visit.errors)


def test_workflow_is_valid():
    """.github/workflows/pages.yml: the GitHub Pages workflow parses and does what the README says."""
    yaml = pytest.importorskip("yaml", reason="PyYAML (a JupyterLab dependency) reads the workflow")
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pages.yml").read_text(encoding="utf-8"))
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on` as True
    assert triggers["push"]["branches"] == ["main"]
    assert workflow["permissions"] == {}, "grant permissions per job, not to the whole workflow"
    assert workflow["jobs"]["build"]["permissions"] == {"contents": "read"}
    assert workflow["jobs"]["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert workflow["jobs"]["deploy"]["environment"]["name"] == "github-pages"
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    uses = [step.get("uses", "").split("@")[0] for step in steps]
    for action in ("actions/configure-pages", "actions/upload-pages-artifact", "actions/deploy-pages"):
        assert action in uses, f"the workflow does not use {action}"
    runs = " ".join(step.get("run", "") for step in steps)
    assert "scripts/build_site.py --offline -o site" in runs
