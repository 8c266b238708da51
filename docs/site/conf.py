"""Sphinx configuration of the course website; ``scripts/build_site.py`` is the way to build it.

The sources are staged by build_site.py into a build folder that mirrors the repository (``index.md`` from
this folder, ``README.md``, ``notebooks/``, ``docs/instructor-guide.md`` and the generated API pages), and
Sphinx runs with ``-c docs/site`` so this file stays here. Everything that must live in one place (the
Binder URL read from the README's badge, which notebook a page is, where its deck is) is in build_site.py.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))  # this checkout's emlab, for autodoc

import build_site  # noqa: E402

project = "emlab: the EM algorithm, derived and checked in code"
author = "the emlab authors"
copyright = "the emlab authors (MIT licence)"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "numpydoc",
    "sphinx.ext.mathjax",
]

exclude_patterns = ["README.md", "_*.md", "**/.ipynb_checkpoints"]
# index.md pulls the course map from README.md and the notation from a fragment of notebook 00.
root_doc = "index"

# -- MyST and notebooks --------------------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
# The stored outputs are what the tests check: render them, never re-run a notebook.
nb_execution_mode = "off"
# Widgets show their static fallback (the image/png next to the widget view): no widget JavaScript from a
# CDN, no kernel. Dropping the view mime type (priority None) lets the picture win.
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]
nb_ipywidgets_js = {}
# A stderr output on a page would be a bug in the notebook (the notebook rules forbid warnings): fail.
nb_output_stderr = "error"

# -- API reference ---------------------------------------------------------------------------------------
# Methods are documented by autodoc's :members: (numpydoc's member tables would need autosummary stubs).
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
autodoc_member_order = "bysource"
# The numpydoc "Parameters" sections give the types in words; signatures stay short.
autodoc_typehints = "none"

# -- HTML ------------------------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "emlab: the EM course"
html_static_path = [str(HERE / "_static")]
html_css_files = ["emlab-site.css"]
html_theme_options = {
    "repository_url": build_site.repository_url(),
    "repository_branch": build_site.binder_branch(),
    "use_repository_button": True,
    "use_download_button": False,  # our ".ipynb" button downloads the notebook
    "use_fullscreen_button": False,
    "show_toc_level": 2,
    "navigation_with_keys": False,
}
# The figures are drawn for a white page (and a projector); without a default the theme logs a console error.
html_context = {"default_mode": "light"}
html_copy_source = True  # the .ipynb behind the "Download .ipynb" button lives in _sources/
html_show_sourcelink = False
# build_site.py sets mathjax_path to the local MathJax 3 for --offline; otherwise Sphinx's CDN default.


def _page_buttons(app, pagename, templatename, context, doctree):
    """Binder, download and slides buttons in every page's header (after the theme's own buttons)."""
    if "header_buttons" not in context:
        return
    context["header_buttons"][:0] = build_site.page_buttons(pagename, context["pathto"])


def setup(app):
    # The book theme fills header_buttons at priority 501; ours go in front of them.
    app.connect("html-page-context", _page_buttons, priority=502)
    # MathJax on every page, not only on pages with maths: the navigation lists every chapter's title, and
    # some have maths ("the $\phi$ update"), as do the search results.
    app.set_html_assets_policy("always")
    app.add_js_file("emlab-search-math.js")
