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


def tagged(cell, *tags):
    cell.metadata["tags"] = list(tags)
    return cell


def test_cell_tags_shape_the_decks(tmp_path):
    """remove-cell drops a cell (handing its slide start on), hide-input keeps only the outputs, remove-output
    only the code; the notebook itself is not changed."""
    check = nbformat.v4.new_code_cell("assert abs(total - 1) < 1e-12\nprint('check passed: the weights sum to 1')")
    check.outputs = [nbformat.v4.new_output("stream", name="stdout", text="check passed: the weights sum to 1\n")]
    setup = nbformat.v4.new_code_cell("import numpy as np  # setup")
    quiet = nbformat.v4.new_code_cell("fig = draw()")
    quiet.outputs = [nbformat.v4.new_output("stream", name="stdout", text="noisy output\n")]
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        slide(nbformat.v4.new_markdown_cell("# Title"), "slide"),
        slide(tagged(setup, "remove-cell"), "slide"),
        slide(nbformat.v4.new_markdown_cell("## After the setup"), "-"),
        slide(tagged(check, "hide-input"), "-"),
        slide(tagged(quiet, "remove-output"), "fragment"),
    ]
    path = tmp_path / "03_tags.ipynb"
    nbformat.write(nb, path)
    before = path.read_bytes()

    (deck,) = build_slides.build_decks([path], tmp_path / "out")
    html = deck.read_text(encoding="utf-8")
    assert "# setup" not in html
    # The removed cell opened slide 2: "After the setup" opens it now, so there are still two slides.
    assert html.count("<section>") == 4
    assert html.index("After the setup") > html.index("</section>")
    assert "check passed: the weights sum to 1" in html and "assert" not in html
    assert "draw" in html and "noisy output" not in html
    assert path.read_bytes() == before


def test_deck_notebook_keeps_the_strongest_slide_start():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        slide(nbformat.v4.new_markdown_cell("a"), "slide"),
        slide(tagged(nbformat.v4.new_code_cell("x = 1"), "remove-cell"), "slide"),
        slide(tagged(nbformat.v4.new_code_cell("y = 2"), "remove-cell"), "subslide"),
        slide(nbformat.v4.new_code_cell("z = 3"), "skip"),
        slide(nbformat.v4.new_markdown_cell("b"), "fragment"),
        slide(nbformat.v4.new_markdown_cell("c"), "subslide"),
    ]
    shown = build_slides.deck_notebook(nb)
    assert [c.source for c in shown.cells] == ["a", "z = 3", "b", "c"]
    assert [c.metadata["slideshow"]["slide_type"] for c in shown.cells] == ["slide", "skip", "slide", "subslide"]
    assert nb.cells[4].metadata["slideshow"]["slide_type"] == "fragment", "the input notebook must not change"


def test_widget_outputs_show_their_static_fallback(tmp_path):
    widget = nbformat.v4.new_code_cell("explorer = jensen_widget()", execution_count=1)
    widget.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={
                "application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2, "version_minor": 0},
                "image/png": PNG,
                "text/plain": "Jensen explorer",
            },
        )
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [slide(nbformat.v4.new_markdown_cell("# Widget"), "slide"), widget]
    nb.metadata["widgets"] = {
        "application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2, "version_minor": 0}
    }
    path = tmp_path / "02_widget.ipynb"
    nbformat.write(nb, path)
    (deck,) = build_slides.build_decks([path], tmp_path / "out")
    html = deck.read_text(encoding="utf-8")
    assert f"data:image/png;base64,{PNG}" in html
    assert "widget-view+json" not in html and "widget-state+json" not in html
    assert "html-manager" not in html


def test_decks_are_projector_sized_and_never_break_formulas(notebook, tmp_path):
    (deck,) = build_slides.build_decks([notebook], tmp_path)
    html = deck.read_text(encoding="utf-8")
    assert "linebreaks: {automatic: false}" in html and "automatic: true" not in html
    assert f"width: {build_slides.SLIDE_WIDTH}," in html and f"height: {build_slides.SLIDE_HEIGHT}," in html
    assert "--jp-content-font-size1: 24px" in html and "--jp-code-font-size: 20px" in html
    assert "/dist/theme/white.css" in html, "the white theme uses reveal.js's bundled fonts, not Google Fonts"
    assert 'class="jp-InputPrompt' not in html, "prompts cost a slide's width"


def test_offline_decks_name_no_cdn(notebook, tmp_path):
    def fake_fetch(static_dir):
        return static_dir

    (deck,) = build_slides.build_decks([notebook], tmp_path, offline=True, fetch=fake_fetch)
    html = deck.read_text(encoding="utf-8")
    for host in ("unpkg.com", "cdnjs.cloudflare.com", "cdn.jsdelivr.net", "fonts.googleapis.com", "mermaid"):
        assert host not in html, f"the offline deck still names {host}"


def test_offline_refuses_mermaid(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [slide(nbformat.v4.new_markdown_cell("```mermaid\ngraph LR; E-->M\n```"), "slide")]
    path = tmp_path / "00_mermaid.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(ValueError, match="mermaid"):
        build_slides.build_decks([path], tmp_path / "out", offline=True, fetch=lambda d: d)


def load_script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


slide_metadata = load_script("slide_metadata")


def test_slide_metadata_sets_rise_and_hides_tagged_inputs(tmp_path, capsys):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        slide(nbformat.v4.new_markdown_cell("# Title"), "slide"),
        slide(tagged(nbformat.v4.new_code_cell("assert ok"), "hide-input"), "-"),
        slide(tagged(nbformat.v4.new_code_cell("import numpy"), "remove-cell"), "-"),
        slide(tagged(nbformat.v4.new_code_cell("setup()"), "remove-cell"), "slide"),
        slide(nbformat.v4.new_code_cell("plot()"), "-"),
    ]
    path = tmp_path / "01_meta.ipynb"
    nbformat.write(nb, path)
    assert slide_metadata.main(["--check", str(path)]) == 1
    assert slide_metadata.main([str(path)]) == 0
    out = nbformat.read(path, as_version=4)
    assert out.metadata["rise"] == slide_metadata.RISE_METADATA
    assert out.metadata["rise"]["theme"] == "white"
    assert out.cells[1].metadata["jupyter"]["source_hidden"] is True
    assert out.cells[2].metadata["slideshow"]["slide_type"] == "skip"
    assert out.cells[3].metadata["slideshow"]["slide_type"] == "slide", "a slide start is the author's call"
    assert "opens a slide" in capsys.readouterr().err
    assert "jupyter" not in out.cells[4].metadata
    # Idempotent, and byte-stable once applied.
    written = path.read_bytes()
    assert slide_metadata.main(["--check", str(path)]) == 0
    assert slide_metadata.main([str(path)]) == 0
    assert path.read_bytes() == written


def test_rise_stylesheet_ships_next_to_the_notebooks():
    # jupyterlab-rise loads <notebook folder>/rise.css when presenting.
    css = (ROOT / "notebooks" / "rise.css").read_text(encoding="utf-8")
    assert "--jp-content-font-size1: 24px" in css and "--jp-code-font-size: 20px" in css


def test_rise_stylesheet_keeps_the_canvas_of_the_rise_metadata():
    # jupyterlab-rise stretches the canvas to the window unless rise.css pins it (with !important, as RISE does)
    # to the size reveal.js scales from; the browser test checks the result on screens of four shapes.
    css = (ROOT / "notebooks" / "rise.css").read_text(encoding="utf-8")
    rule = re.search(r"^\.rise-enabled \.reveal \.slides \{([^}]*)\}", css, re.MULTILINE)
    assert rule, "rise.css has no .rise-enabled .reveal .slides rule"
    sizes = dict(re.findall(r"(width|height):\s*(\d+)px !important", rule.group(1)))
    canvas = slide_metadata.RISE_METADATA
    assert sizes == {"width": str(canvas["width"]), "height": str(canvas["height"])}
