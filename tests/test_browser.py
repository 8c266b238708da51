"""What a student does on Binder, in a real browser: open each notebook in JupyterLab and Run All.

One JupyterLab server (``check_slides.jupyterlab``: 127.0.0.1, no token) serves a copy of ``notebooks/``, and one
headless Chromium page (Debian's ``/usr/bin/chromium`` driven by Playwright) opens every notebook in turn,
clears its stored outputs, runs all cells and waits for the kernel to be idle. Then it asserts:

- every code cell ran, and no cell produced an error or wrote to stderr (cells tagged ``raises-exception``
  may raise: that is what the tag is for);
- every figure output is an image that the browser loaded and drew;
- every widget output rendered as a live ipywidgets view.

Screenshots go to ``artifacts/screenshots/`` (CI keeps ``artifacts/``). One notebook is then opened as a RISE
slideshow, stepping until a slide with a figure is on screen; and an ``--offline`` slide deck is opened from
disk with every network request blocked.

Locally the tests skip, saying why, when Chromium or Playwright is missing. In CI (``CI=true``) they fail
instead: the browser test must never be skipped there.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from _browser import chromium, require

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
sys.path.insert(0, str(ROOT / "scripts"))
import build_slides  # noqa: E402  (scripts/ is not a package)
import check_slides  # noqa: E402

SCREENSHOTS = ROOT / "artifacts" / "screenshots"
#: Seconds one notebook may take to run all its cells in the browser.
RUN_TIMEOUT = 180

pytestmark = [
    pytest.mark.browser,
    # Playwright's sync API runs its own asyncio loop and transport; their teardown is not ours to fix.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]


def course_notebooks() -> list[Path]:
    """notebooks/*.ipynb then notebooks/solutions/*.ipynb, each sorted by name."""
    return sorted(NOTEBOOKS.glob("*.ipynb")) + sorted((NOTEBOOKS / "solutions").glob("*.ipynb"))




# JupyterLab user settings for the test server: render every cell (the default content-visibility mode leaves
# off-screen outputs undrawn), never autosave (the notebooks are copies, but be sure), no network calls.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/extensionmanager-extension/plugin.jupyterlab-settings": {"enabled": False},
}


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        # Screenshots of an earlier run would pass for this run's in the CI artifacts.
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for old in SCREENSHOTS.glob("*.png"):
            old.unlink()
        yield launched


@pytest.fixture(scope="module")
def lab_server(browser):
    """A JupyterLab server on a copy of notebooks/, set up as instructors start it for RISE; yields its base URL."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    log_path = SCREENSHOTS.parent / "jupyterlab.log"
    with check_slides.jupyterlab(NOTEBOOKS, log_path, LAB_SETTINGS, ("--expose-app-in-browser",)) as base:
        yield base


@pytest.fixture(scope="module")
def lab_page(browser, lab_server):
    """One JupyterLab page, reused for every notebook."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{lab_server}/lab", wait_until="domcontentloaded")
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=90_000)
    page.evaluate("async () => { await window.jupyterapp.started; await window.jupyterapp.restored; }")
    yield page
    page.close()


# Runs in the page: open one notebook, clear the stored outputs, Run All, wait until the kernel is idle and
# the outputs are drawn, then report what is on the page. Returns a JSON-able report.
RUN_NOTEBOOK_JS = """
async ([path, timeoutMs]) => {
  const app = window.jupyterapp;
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const withTimeout = (promise, what) => Promise.race([
    promise,
    sleep(timeoutMs).then(() => { throw new Error(`${what} took more than ${timeoutMs / 1000} s`); }),
  ]);
  const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
  await panel.context.ready;
  await withTimeout(panel.sessionContext.ready, 'starting the kernel');
  app.shell.activateById(panel.id);
  await app.commands.execute('notebook:clear-all-cell-outputs');
  const started = performance.now();
  const completed = await withTimeout(app.commands.execute('notebook:run-all-cells'), 'Run All');
  const kernel = () => panel.sessionContext.session && panel.sessionContext.session.kernel;
  while (kernel() && kernel().status !== 'idle') {
    if (performance.now() - started > timeoutMs) throw new Error('kernel never became idle');
    await sleep(100);
  }
  const seconds = (performance.now() - started) / 1000;

  const node = panel.content.node;
  const model = panel.content.model;
  let expectedWidgets = 0;
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    if (cell.type !== 'code') continue;
    for (const o of cell.outputs.toJSON()) {
      if (o.data && o.data['application/vnd.jupyter.widget-view+json']) expectedWidgets += 1;
    }
  }
  // A widget output is drawn as a view (.jupyter-widgets) directly inside its output area; views nested in
  // another widget (a figure in an Output widget inside a VBox) are part of their parent.
  const widgetViews = () => [...node.querySelectorAll('.jp-OutputArea-output > .jupyter-widgets')]
    .filter((view) => view.parentElement.closest('.jupyter-widgets') === null);
  const images = () => [...node.querySelectorAll('.jp-OutputArea-output img')];
  const canvases = () => [...node.querySelectorAll('.jp-OutputArea-output .emlab-live canvas[role="img"]')];
  // Widgets are drawn after their comm messages arrive, images after they decode and a live demo's canvas after
  // its first frame: wait for all three.
  const drawn = () => widgetViews().length >= expectedWidgets && images().every((img) => img.complete)
    && canvases().every((c) => Number(c.dataset.frames || 0) > 0);
  for (let i = 0; i < 100 && !drawn(); i++) await sleep(100);

  const cells = [];
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    if (cell.type !== 'code') continue;
    cells.push({
      index: i,
      source: cell.sharedModel.getSource().slice(0, 80),
      executionCount: cell.executionCount,
      tags: cell.getMetadata('tags') || [],
      outputs: cell.outputs.toJSON().map((o) => ({
        type: o.output_type,
        name: o.name || null,
        text: o.output_type === 'stream' ? String(o.text).slice(0, 300)
          : o.output_type === 'error' ? `${o.ename}: ${o.evalue}` : null,
        mimes: Object.keys(o.data || {}),
      })),
    });
  }
  const firstImage = images()[0];
  if (firstImage) firstImage.scrollIntoView({block: 'center'});
  return {
    completed,
    seconds,
    cells,
    // A figure is an <img>, or the canvas a live demo (emlab/plots/_live.js) draws in the browser: that one
    // counts once it has drawn a frame.
    images: images().map((img) => ({
      complete: img.complete,
      width: img.naturalWidth,
      shown: img.getBoundingClientRect().width,
    })).concat(canvases().map((c) => ({
      complete: Number(c.dataset.frames || 0) > 0,
      width: c.width,
      shown: c.getBoundingClientRect().width,
    }))),
    widgetViews: widgetViews().length,
    widgetErrors: [...node.querySelectorAll('.jp-OutputArea-output')]
      .map((area) => area.innerText)
      .filter((text) => text.includes('Error displaying widget') || text.includes('Error rendering output'))
      .map((text) => text.slice(0, 200)),
    panelId: panel.id,
  };
}
"""

CLOSE_NOTEBOOK_JS = """
async (panelId) => {
  const app = window.jupyterapp;
  const panel = [...app.shell.widgets('main')].find((w) => w.id === panelId);
  if (!panel) return;
  await panel.sessionContext.shutdown();
  panel.context.model.dirty = false;
  panel.dispose();
}
"""

IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml")
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def notebook_id(path: Path) -> str:
    return str(path.relative_to(NOTEBOOKS))


@pytest.mark.parametrize("notebook", course_notebooks(), ids=notebook_id)
def test_notebook_runs_in_jupyterlab(lab_page, notebook):
    rel = notebook.relative_to(ROOT).as_posix()
    report = lab_page.evaluate(RUN_NOTEBOOK_JS, [rel, RUN_TIMEOUT * 1000])
    shot = SCREENSHOTS / f"{notebook.stem}.png"
    lab_page.screenshot(path=str(shot))
    lab_page.evaluate(CLOSE_NOTEBOOK_JS, report["panelId"])

    problems = []
    for cell in report["cells"]:
        where = f"cell {cell['index']} ({cell['source'].splitlines()[0] if cell['source'] else ''!r})"
        if cell["executionCount"] is None and cell["source"].strip():
            problems.append(f"{where} never ran")
        for out in cell["outputs"]:
            if out["type"] == "error" and "raises-exception" not in cell["tags"]:
                problems.append(f"{where} raised {out['text']}")
            if out["type"] == "stream" and out["name"] == "stderr":
                problems.append(f"{where} wrote to stderr: {out['text']!r}")
    assert report["completed"], f"Run All stopped early in {rel}: " + "; ".join(problems or ["no error output?"])
    assert not problems, f"{rel} in JupyterLab (screenshot {shot}):\n" + "\n".join(problems)

    figures = sum(any(m in out["mimes"] for m in IMAGE_MIMES) for c in report["cells"] for out in c["outputs"])
    broken = [img for img in report["images"] if not (img["complete"] and img["width"] > 0 and img["shown"] > 0)]
    assert len(report["images"]) >= figures, (
        f"{rel}: {figures} figure outputs but only {len(report['images'])} images on the page"
    )
    assert not broken, f"{rel}: {len(broken)} of {len(report['images'])} images did not render: {broken}"

    widgets = sum(WIDGET_MIME in out["mimes"] for c in report["cells"] for out in c["outputs"])
    assert not report["widgetErrors"], f"{rel}: outputs failed to render: {report['widgetErrors']}"
    assert report["widgetViews"] == widgets, (
        f"{rel}: {widgets} widget outputs but {report['widgetViews']} widget views drawn (screenshot {shot})"
    )


def first_figure_on_a_slide() -> tuple[Path, int] | None:
    """The first course notebook with a figure in a cell on a slide (not skipped, not notes), and that cell's index."""
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        for index, cell in enumerate(nb["cells"]):
            slide_type = cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-")
            if slide_type in ("skip", "notes"):
                continue
            if any(m in out.get("data", {}) for out in cell.get("outputs", []) for m in IMAGE_MIMES):
                return path, index
    return None


# In the RISE page: is an image of the current slide on screen (its fragment, if any, shown) and drawn?
FIGURE_ON_SLIDE_JS = """
() => [...document.querySelectorAll('.reveal .slides section.present img')].some((img) => {
  const fragment = img.closest('.fragment');
  const box = img.getBoundingClientRect();
  return img.complete && img.naturalWidth > 0 && box.width > 50 && box.height > 50
    && (fragment === null || fragment.classList.contains('visible'))
    && box.top < window.innerHeight && box.bottom > 0;
})
"""


# In the RISE page: the slide canvas's layout size and where it is drawn on screen.
CANVAS_JS = """
() => {
  const slides = document.querySelector('.reveal .slides');
  const r = slides.getBoundingClientRect();
  return {width: slides.offsetWidth, height: slides.offsetHeight,
          left: r.left, top: r.top, right: r.right, bottom: r.bottom, screenWidth: r.width};
}
"""

#: Screens a slideshow meets: an old 4:3 projector, the canvas itself, a 1080p projector, a 16:10 laptop.
SCREENS = ((1024, 768), (1280, 720), (1920, 1080), (1440, 900))


def test_rise_slideshow_shows_a_figure_on_any_screen(browser, lab_server):
    """RISE presents a figure slide, and on every screen shape the 1280x720 canvas of the notebooks' rise metadata
    is scaled as a whole to fit the screen (jupyterlab-rise alone stretches it to the window, and on a 1080p
    projector the slide then ran a quarter past each edge)."""
    found = first_figure_on_a_slide()
    if found is None:
        pytest.fail("no notebook in notebooks/ has a figure on a slide to present")
    notebook, index = found
    rel = notebook.relative_to(ROOT).as_posix()
    rise = json.loads(notebook.read_text(encoding="utf-8"))["metadata"]["rise"]
    canvas = (rise["width"], rise["height"])
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    try:
        # jupyterlab-rise serves a notebook as a slideshow at /rise/<path>, starting at the slide that holds
        # cell activeCellIndex: what its "Render as slideshow" button opens for the active cell.
        page.goto(f"{lab_server}/rise/{rel}?activeCellIndex={index}", wait_until="domcontentloaded")
        page.wait_for_selector(".reveal .slides section.present", timeout=90_000)
        slides = page.evaluate("() => document.querySelectorAll('.reveal .slides > section').length")
        assert slides > 1, f"RISE shows {slides} slides for {rel}"
        for _ in range(30):
            if page.evaluate(FIGURE_ON_SLIDE_JS):
                break
            page.keyboard.press("Space")  # next fragment or slide
            page.wait_for_timeout(150)
        else:
            pytest.fail(f"RISE slideshow of {rel}: no figure on screen within 30 steps of cell {index}")
        page.wait_for_timeout(500)  # let the slide transition finish for the screenshot
        page.screenshot(path=str(SCREENSHOTS / f"rise_{notebook.stem}.png"))

        for width, height in SCREENS:
            page.set_viewport_size({"width": width, "height": height})
            scale = min(width / canvas[0], height / canvas[1], rise["maxScale"])
            # reveal.js lays the slide out again on the window's resize event, which a window resized by hand
            # fires but a viewport set through DevTools does not; the page may not have the new size at once,
            # and RISE's stylesheet moves the canvas there in a 0.2 s transition. Wait until it stands still.
            drawn = None
            for _ in range(30):
                page.evaluate("() => window.dispatchEvent(new Event('resize'))")
                page.wait_for_timeout(150)
                drawn, before = page.evaluate(CANVAS_JS), drawn
                if drawn == before and abs(drawn["screenWidth"] - canvas[0] * scale) < 2:
                    break
            where = f"RISE at {width}x{height}"
            assert (drawn["width"], drawn["height"]) == canvas, f"{where}: canvas laid out at {drawn}, not {canvas}"
            assert abs(drawn["screenWidth"] - canvas[0] * scale) < 2, f"{where}: drawn {drawn}, scale {scale:.3f}"
            assert drawn["left"] > -1 and drawn["top"] > -1, f"{where}: the slide starts off screen: {drawn}"
            assert drawn["right"] < width + 1 and drawn["bottom"] < height + 1, f"{where}: slide cut: {drawn}"
            assert page.evaluate(FIGURE_ON_SLIDE_JS), f"{where}: the figure is no longer on screen"
    finally:
        page.close()


@pytest.fixture(scope="module")
def offline_static(tmp_path_factory):
    """reveal.js & co fetched once with npm (``build_slides.fetch_offline_assets``) for the offline-deck tests."""
    require(shutil.which("npm") is not None, "npm is missing, so --offline cannot fetch reveal.js")
    return build_slides.fetch_offline_assets(tmp_path_factory.mktemp("offline") / build_slides.STATIC_DIR)


def offline_deck(notebook: Path, out: Path, static: Path) -> Path:
    (deck,) = build_slides.build_decks(
        [notebook], out, offline=True, fetch=lambda dest: shutil.copytree(static, dest, dirs_exist_ok=True)
    )
    return deck


def only_inside(folder: Path, blocked: list):
    """A route handler that lets through requests for files under ``folder`` (and data:/blob:), aborting and
    recording every other one."""
    prefix = folder.resolve().as_uri() + "/"

    def handler(route):
        url = route.request.url
        if url.startswith(prefix) or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    return handler


def test_offline_deck_works_without_network(browser, tmp_path, offline_static):
    """``build_slides.py --offline``: reveal.js, require.js, jQuery and MathJax all load from disk."""
    found = first_figure_on_a_slide()
    if found is None:
        pytest.fail("no notebook in notebooks/ has a figure on a slide to build a deck from")
    notebook = found[0]
    deck = offline_deck(notebook, tmp_path, offline_static)

    page = browser.new_page(viewport={"width": 1280, "height": 800})
    blocked = []

    def only_local(route):
        if route.request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    failed = []
    try:
        page.route("**/*", only_local)
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.goto(deck.as_uri())
        # reveal.js marks its wrapper "ready" once initialised; MathJax typesets into .MathJax_CHTML.
        page.wait_for_selector(".reveal.ready", timeout=30_000)
        has_math = "$" in notebook.read_text(encoding="utf-8")
        if has_math:
            page.wait_for_selector(".MathJax_CHTML", state="attached", timeout=30_000)
        page.screenshot(path=str(SCREENSHOTS / f"offline_deck_{notebook.stem}.png"))
    finally:
        page.close()
    local_failures = [url for url in failed if url.startswith("file:")]
    assert not local_failures, f"the offline deck points at files that are not there: {local_failures}"
    libraries = ("reveal", "require", "jquery", "mathjax", "MathJax")
    from_network = [url for url in blocked if any(lib in url for lib in libraries)]
    assert not from_network, f"the offline deck still fetches libraries from the network: {from_network}"


def test_speaker_notes_reach_the_speaker_view(browser, tmp_path, offline_static):
    """A ``notes`` cell is hidden on its slide and shown in reveal.js's speaker view (key S), offline."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_markdown_cell("Say: ELBO + KL = l.")]
    nb.cells[0].metadata["slideshow"] = {"slide_type": "slide"}
    nb.cells[1].metadata["slideshow"] = {"slide_type": "notes"}
    notebook = tmp_path / "01_notes.ipynb"
    nbformat.write(nb, notebook)
    deck = offline_deck(notebook, tmp_path / "deck", offline_static)
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    blocked = []
    try:
        page.context.route("**/*", only_inside(deck.parent, blocked))
        page.goto(deck.as_uri())
        page.wait_for_selector(".reveal.ready", timeout=30_000)
        assert "ELBO + KL" not in page.evaluate("() => document.querySelector('.reveal .slides').innerText")
        with page.expect_popup() as popup:
            page.keyboard.press("s")
        speaker = popup.value
        speaker.wait_for_function("() => document.body.innerText.includes('ELBO + KL')", timeout=30_000)
        speaker.screenshot(path=str(SCREENSHOTS / "speaker_view.png"))
        speaker.close()
    finally:
        page.context.unroute("**/*")
        page.close()
    assert not blocked, f"the speaker view asked the network for {blocked}"
