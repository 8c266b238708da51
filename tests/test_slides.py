"""scripts/build_slides.py builds reveal.js decks, and --offline links them to a local copy of the libraries.

Fast: the notebooks here are made on the fly (no kernel), and the offline layout is checked with a stand-in
for npm. The real npm download, opened in Chromium with the network blocked, is in test_browser.py.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent

# A 1x1 PNG: stands in for a figure output.
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def load_build_slides():
    """Import scripts/build_slides.py (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("build_slides", ROOT / "scripts" / "build_slides.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_slides", module)
    spec.loader.exec_module(module)
    return module


build_slides = load_build_slides()


def slide(cell, slide_type):
    cell.metadata["slideshow"] = {"slide_type": slide_type}
    return cell


@pytest.fixture
def notebook(tmp_path):
    """A three-slide notebook with a figure output, a skipped cell and speaker notes."""
    figure = nbformat.v4.new_code_cell("plot()", execution_count=1)
    figure.outputs = [nbformat.v4.new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"})]
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        slide(
            nbformat.v4.new_markdown_cell("# Title slide\n$\\ell(\\Theta) = \\sum_i \\ln p(x^{(i)}; \\Theta)$"), "slide"
        ),
        slide(nbformat.v4.new_code_cell("import numpy as np"), "skip"),
        slide(nbformat.v4.new_markdown_cell("## The figure slide"), "slide"),
        slide(figure, "fragment"),
        slide(nbformat.v4.new_markdown_cell("Say: the bound touches l at theta_t."), "notes"),
        slide(nbformat.v4.new_markdown_cell("## Summary slide"), "slide"),
    ]
    path = tmp_path / "01_demo.ipynb"
    nbformat.write(nb, path)
    return path


def local_urls(html: str) -> set[str]:
    """The src/href URLs of a deck that point at files (not CDNs, data URIs or #anchors), without queries."""
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    urls += re.findall(r'"([^"\s]+\.js)"', html)  # the require([...]) list that loads reveal.js
    return {url.split("?")[0] for url in urls if not url.startswith(("http:", "https:", "data:", "#", "//", "{{"))}


def test_builds_one_deck_per_notebook(notebook, tmp_path):
    out = tmp_path / "slides"
    decks = build_slides.build_decks([notebook], out)
    assert decks == [out / "01_demo.slides.html"]
    html = decks[0].read_text(encoding="utf-8")
    # The skipped cell is gone; the figure is inlined.
    # reveal.js nests a <section> per subslide inside a <section> per slide: 3 slides, no subslides.
    assert html.count("<section>") == 6
    for title in ("Title slide", "The figure slide", "Summary slide"):
        assert title in html
    assert "import numpy as np" not in html
    assert f"data:image/png;base64,{PNG}" in html
    assert 'class="fragment"' in html
    assert '<aside class="notes">' in html
    # Without --offline the libraries come from CDNs.
    assert "https://unpkg.com/reveal.js@4" in html
    assert not (out / build_slides.STATIC_DIR).exists()


def test_default_notebooks_are_the_course_notebooks(tmp_path):
    (tmp_path / "notebooks" / "solutions").mkdir(parents=True)
    for name in ("01_b.ipynb", "00_a.ipynb", "solutions/01_b_solutions.ipynb", "notes.md"):
        (tmp_path / "notebooks" / name).touch()
    assert [p.name for p in build_slides.default_notebooks(tmp_path)] == ["00_a.ipynb", "01_b.ipynb"]


def test_offline_points_every_library_at_the_local_copy(notebook, tmp_path):
    fetched = []

    def fake_fetch(static_dir):
        # Lay out the files where OFFLINE_URLS says npm's tarballs put them.
        fetched.append(static_dir)
        for url in build_slides.OFFLINE_URLS.values():
            target = static_dir.parent / url.split("?")[0]
            target = target if target.suffix else target / "dist" / "reveal.js"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.touch()
        return static_dir

    out = tmp_path / "slides"
    (deck,) = build_slides.build_decks([notebook], out, offline=True, fetch=fake_fetch)
    assert fetched == [out / build_slides.STATIC_DIR]
    html = deck.read_text(encoding="utf-8")
    for cdn in ("unpkg.com/reveal.js", "require.js/2", "ajax/libs/jquery", "ajax/libs/mathjax"):
        assert cdn not in html, f"offline deck still loads {cdn} from a CDN"
    urls = local_urls(html)
    prefix = build_slides.OFFLINE_URLS["reveal_url_prefix"]
    expected = {
        f"{prefix}/dist/reveal.js",
        f"{prefix}/dist/reveal.css",
        f"{prefix}/plugin/notes/notes.js",
        "_static/requirejs/require.js",
        "_static/jquery/dist/jquery.min.js",
        "_static/mathjax/MathJax.js",
    }
    assert expected <= urls, f"deck does not reference {sorted(expected - urls)}"
    assert all(url.startswith(build_slides.STATIC_DIR + "/") for url in urls), sorted(urls)


def test_offline_keeps_only_what_the_decks_load_from_mathjax():
    keep = build_slides._keep_member
    assert keep("mathjax", "MathJax.js")
    assert keep("mathjax", "config/TeX-AMS_CHTML-full.js")
    assert keep("mathjax", "jax/output/CommonHTML/jax.js")
    assert keep("mathjax", "fonts/HTML-CSS/TeX/woff/MathJax_Main-Regular.woff")
    assert keep("mathjax", "extensions/Safe.js")
    assert not keep("mathjax", "unpacked/MathJax.js")
    assert not keep("mathjax", "jax/output/SVG/jax.js")
    assert not keep("mathjax", "fonts/HTML-CSS/TeX/otf/MathJax_Main-Regular.otf")
    assert not keep("mathjax", "config/TeX-AMS-MML_SVG.js")
    assert keep("reveal.js", "dist/theme/simple.css")


def test_offline_without_npm_says_what_to_do(tmp_path):
    with pytest.raises(RuntimeError, match="not on PATH"):
        build_slides.fetch_offline_assets(tmp_path, npm="no-such-npm-here")


def test_cli_rejects_a_path_that_is_not_a_notebook(tmp_path, capsys):
    assert build_slides.main([str(tmp_path / "missing.ipynb"), "-o", str(tmp_path)]) == 1
    assert "is not an existing .ipynb file" in capsys.readouterr().err


def test_cli_builds_decks(notebook, tmp_path, capsys):
    out = tmp_path / "decks"
    assert build_slides.main([str(notebook), "--output-dir", str(out), "--no-input"]) == 0
    assert capsys.readouterr().out.strip() == str(out / "01_demo.slides.html")
    html = (out / "01_demo.slides.html").read_text(encoding="utf-8")
    assert "plot()" not in html and f"data:image/png;base64,{PNG}" in html


def test_builds_a_deck_for_the_start_notebook(tmp_path):
    notebook = ROOT / "notebooks" / "00_start.ipynb"
    if not notebook.exists():
        pytest.fail("notebooks/00_start.ipynb is missing: the README's Binder badge opens it")
    (deck,) = build_slides.build_decks([notebook], tmp_path)
    html = deck.read_text(encoding="utf-8")
    nb = nbformat.read(notebook, as_version=4)
    slides = sum(cell.metadata.get("slideshow", {}).get("slide_type") == "slide" for cell in nb.cells)
    assert slides > 1, "00_start.ipynb has no slide metadata: a deck of it would be one endless slide"
    assert html.count("<section>") >= 2 * slides
    assert "The EM algorithm, derived and checked in code" in html
