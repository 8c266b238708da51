"""Walk every step of every slide deck in headless Chromium and list what does not fit a projector.

Usage (from the repository root)::

    python scripts/check_slides.py                    # all notebooks, all three forms, 1280x720
    python scripts/check_slides.py --viewport 1024x768
    python scripts/check_slides.py --forms code,no-input notebooks/02_jensen.ipynb
    python scripts/check_slides.py --update-budget    # shrink tests/slide_budget.json to what still fails

The three forms of a deck are the HTML deck with code (``build_slides.py --offline``), the HTML deck without
code (``--offline --no-input``) and the notebook presented with RISE in JupyterLab (``/rise/<path>``; this
starts a JupyterLab server on a copy of ``notebooks/``). Every step (slide, subslide and fragment) is shown in
turn, measured and saved as a screenshot; every deck also gets a contact sheet (the fully revealed state of
each slide as a thumbnail, in order) for previewing a lecture.

A step fails (an "offender") when

- ``overflow``: something visible runs past the bottom edge of the slide (px below it, in slide pixels);
- ``clipped``: something runs past the right (or left) edge, or is cut inside a box that scrolls or hides
  its overflow (a code line, an output, a table, a formula);
- ``small-text``: text is smaller than :data:`MIN_BODY_PX` (prose) or :data:`MIN_CODE_PX` (code and text
  outputs) on screen at 1280x720 (sizes are checked at that viewport only);
- ``raw-tex``: TeX source or a MathJax error is visible (``$...$``, ``\\frac``...);
- ``notes-visible``: a speaker note (a ``notes`` cell) is shown on the slide instead of the speaker view;
- ``under-controls``: text lies under reveal.js's navigation arrows or the slide number (bottom right), where
  the room cannot read it (at 1280x720, where the slide fills the screen; figures are not checked: their
  corner is the plot's margin);

and a deck fails on ``external-request`` (anything outside the deck folder for the offline HTML decks, outside
the JupyterLab server for RISE: every such request is blocked) and ``console-error``.

The report (``artifacts/slide_report.json`` by default) lists each offender with its notebook, form, step,
the notebook cell that opens the slide, the cells that cause it, the overflow in px and the reason, plus the
number of slides and steps of every deck, and for every figure how large it is drawn (screen px per image
px: a figure's text size on screen is its size in the PNG times this). ``tests/test_slide_walk.py`` runs the
same walk and fails on any offender that is not in ``tests/slide_budget.json`` (the list of known offenders,
which may only shrink).
"""

from __future__ import annotations

import argparse
import base64
import collections
import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_slides  # noqa: E402  (scripts/ is not a package)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FORMS = ("code", "no-input", "rise")
VIEWPORTS = {"1280x720": (1280, 720), "1024x768": (1024, 768)}
#: Smallest text on screen at 1280x720, in px: prose (markdown), and code or text outputs.
MIN_BODY_PX = 20
MIN_CODE_PX = 18
#: Slack for rounding, in px.
TOLERANCE_PX = 1
REASONS = (
    "overflow", "clipped", "small-text", "raw-tex", "notes-visible", "under-controls", "external-request",
    "console-error",
)
#: What the script walks by default: every form at 1280x720 (with screenshots), and the HTML deck with code
#: and RISE again at 1024x768. Every form has a fixed 1280x720 canvas that reveal.js scales as a whole (RISE
#: through notebooks/rise.css), so the layout does not depend on the screen; the 1024x768 walk checks that it
#: stays so. The test walks 1280x720 only (tests/test_slide_walk.py says why).
DEFAULT_JOBS = {"1280x720": FORMS, "1024x768": ("code", "rise")}
#: Extra ``jupyter lab`` options for presenting with RISE (jupyterlab-rise 0.43.1, the newest release): its
#: slideshow page (/rise/...) loads no JupyterLab extension from the labextensions folders. It would load them
#: all, and the ipywidgets manager (jupyterlab_widgets 3, ipywidgets 8) cannot load there: it needs
#: @jupyterlab/console, which RISE's page does not share ("Shared module @jupyterlab/console doesn't exist in
#: shared scope default", jupyterlab-contrib/rise#119), and extensions that need the widget manager (anywidget)
#: then fail to activate. So the slideshow shows each widget's stored PNG fallback, as it did with the error,
#: with a clean console. JupyterLab itself (/lab) keeps all its extensions: the option is RiseApp's only.
#: The option lives in ``binder/jupyter_server_config.json``, which binder/postBuild installs into Jupyter's
#: config folder on Binder; the test servers pass the same settings on the command line.
RISE_CONFIG = ROOT / "binder" / "jupyter_server_config.json"
RISE_SERVER_ARGS = tuple(
    f"--{section}.{name}={json.dumps(value)}"
    for section, options in json.loads(RISE_CONFIG.read_text(encoding="utf-8")).items()
    for name, value in options.items()
)
BUDGET = ROOT / "tests" / "slide_budget.json"
REPORT = ROOT / "artifacts" / "slide_report.json"
SHOTS = ROOT / "artifacts" / "slides"

# Runs in the page: measure the step on screen. `root` is the innermost present <section>, `box` the slide
# canvas on screen and `scale` screen px per slide px. Returns the problems per cell (by DOM cell key).
MEASURE_JS = r"""
([rootSelector, minBody, minCode, tol, checkText]) => {
  const root = document.querySelector(rootSelector) ||
    [...document.querySelectorAll('.reveal .slides section.present')].pop();
  const canvas = document.querySelector('.reveal .slides');
  const box = canvas.getBoundingClientRect();
  const scale = window.Reveal && window.Reveal.getScale ? window.Reveal.getScale()
    : box.width / (canvas.offsetWidth || box.width);
  const cellKey = (el) => {
    const cell = el && el.closest('.jp-Cell');
    if (!cell) return null;
    if (cell.dataset.windowedListIndex !== undefined) return 'index:' + cell.dataset.windowedListIndex;
    if (cell.id && cell.id.startsWith('cell-id=')) return 'id:' + cell.id.slice(8);
    return null;
  };
  const skipSel = 'aside.notes, script, style, .reveal-skip, .MJX_Assistive_MathML, mjx-assistive-mml';
  const hiddenFragment = (el) => el.closest('.fragment:not(.visible)') !== null;
  const shown = (el) => {
    // Screen-reader copies of formulas are clipped to 1 px on purpose.
    if (hiddenFragment(el) || el.closest(skipSel)) return false;
    const cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.visibility === 'hidden') return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const problems = [];
  const add = (el, reason, px, detail) => problems.push({cell: cellKey(el), reason, px: Math.round(px), detail});
  const cells = [...root.querySelectorAll('.jp-Cell')].filter((c) => !c.closest('.reveal-skip'));
  const firstCell = cells.length ? cellKey(cells[0]) : null;
  const all = [...root.querySelectorAll('*')].filter(shown);
  const bottom = box.bottom, right = box.right, left = box.left;
  const worstBottom = new Map(), worstSide = new Map();
  for (const el of all) {
    if (el.closest('.jp-Cell') === null && el.querySelector('.jp-Cell')) continue;  // wrappers
    const r = el.getBoundingClientRect();
    const key = cellKey(el);
    if (r.bottom > bottom + tol) {
      const px = (r.bottom - bottom) / scale;
      if (!worstBottom.has(key) || worstBottom.get(key).px < px) worstBottom.set(key, {el, px});
    }
    const side = Math.max(r.right - right, left - r.left);
    if (side > tol) {
      const px = side / scale;
      if (!worstSide.has(key) || worstSide.get(key).px < px) worstSide.set(key, {el, px, what: 'past the edge'});
    }
    const cs = getComputedStyle(el);
    // MathJax 3 draws a stretched brace or bar as a long glyph cut to size inside mjx-ext on purpose.
    if (['hidden', 'auto', 'scroll', 'clip'].includes(cs.overflowX) && el.scrollWidth > el.clientWidth + tol
        && el.clientWidth > 0 && !el.closest('mjx-ext')) {
      const px = el.scrollWidth - el.clientWidth;
      if (!worstSide.has(key) || worstSide.get(key).px < px)
        worstSide.set(key, {el, px, what: `cut inside <${el.tagName.toLowerCase()} class="${el.className}">`});
    }
    if (['auto', 'scroll'].includes(cs.overflowY) && el.scrollHeight > el.clientHeight + tol && el.clientHeight > 0
        && !el.classList.contains('reveal') && !el.classList.contains('slides')) {
      const px = el.scrollHeight - el.clientHeight;
      if (!worstBottom.has(key) || worstBottom.get(key).px < px) worstBottom.set(key, {el, px, scroll: true});
    }
  }
  for (const [, v] of worstBottom)
    add(v.el, 'overflow', v.px, v.scroll ? 'scrolls inside its box' : 'below the bottom edge');
  for (const [, v] of worstSide) add(v.el, 'clipped', v.px, v.what);

  const mathSel = '.MathJax, .MathJax_CHTML, .MathJax_Display, .MathJax_Preview, mjx-container, .MathJax_SVG';
  const codeSel = 'pre, code, .jp-InputArea-editor, .cm-editor, .jp-RenderedText, .jp-OutputArea-output table, '
    + '.jp-RenderedHTML table';
  const tex = new RegExp([
    String.raw`\$[^$\s][^$]*\$`, String.raw`\$\$`, String.raw`\\\(`, String.raw`\\\[`,
    String.raw`\\(frac|math[a-z]+|operatorname|sum|prod|int|ln|log|exp|[lg]eq?|neq|approx|[Tt]heta|mu|[Ss]igma)\b`,
    String.raw`\\(phi|alpha|beta|lambda|pi|ell|left|right|begin|end|cdot|mid|top|quad|text|hat|bar|tilde)\b`,
    String.raw`\\(partial|nabla|infty|in)\b`,
  ].join('|'));
  // What reveal.js draws over the bottom right of the slide: the arrows that can be used, and the slide number.
  const controls = [...document.querySelectorAll('.reveal .controls button.enabled, .reveal .slide-number')]
    .filter((el) => getComputedStyle(el).display !== 'none' && getComputedStyle(el).visibility !== 'hidden')
    .map((el) => el.getBoundingClientRect()).filter((r) => r.width > 0 && r.height > 0);
  const underControls = (node) => {
    const range = document.createRange();
    range.selectNodeContents(node);
    return [...range.getClientRects()].some((r) => controls.some((c) =>
      r.right > c.left + tol && r.left < c.right - tol && r.bottom > c.top + tol && r.top < c.bottom - tol));
  };
  const covered = new Map();
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const smallest = new Map();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    if (!text) continue;
    const el = node.parentElement;
    if (!el || el.closest(mathSel) || !shown(el)) continue;
    const isCode = el.closest(codeSel) !== null;
    if (!isCode && tex.test(text)) add(el, 'raw-tex', 0, text.slice(0, 80));
    if (checkText && controls.length && !covered.has(cellKey(el)) && underControls(node))
      covered.set(cellKey(el), {el, text});
    if (!checkText) continue;
    const px = parseFloat(getComputedStyle(el).fontSize) * scale;
    const min = isCode ? minCode : minBody;
    if (px < min - 0.05) {
      const key = cellKey(el);
      if (!smallest.has(key) || smallest.get(key).px > px) smallest.set(key, {el, px, isCode, text});
    }
  }
  for (const [, v] of covered)
    add(v.el, 'under-controls', 0, 'under the arrows: ' + JSON.stringify(v.text.slice(0, 40)));
  for (const [, v] of smallest)
    add(v.el, 'small-text', 0, `${v.px.toFixed(1)} px ${v.isCode ? 'code' : 'text'} ` +
      `(min ${v.isCode ? minCode : minBody}): ${JSON.stringify(v.text.slice(0, 40))}`);
  for (const el of root.querySelectorAll('.MathJax_Error, mjx-merror, merror, .mjx-merror')) {
    if (shown(el)) add(el, 'raw-tex', 0, 'MathJax error: ' + el.textContent.slice(0, 80));
  }
  for (const el of root.querySelectorAll('aside.notes')) {
    const r = el.getBoundingClientRect();
    if (getComputedStyle(el).display !== 'none' && r.width > 0 && r.height > 0)
      add(el, 'notes-visible', 0, 'speaker notes shown on the slide: ' + el.innerText.slice(0, 60));
  }
  // How large each figure is drawn: screen px per image px (figure text in px = its size in the PNG x this).
  const images = [...root.querySelectorAll('img')].filter(shown).filter((img) => img.naturalWidth > 0)
    .map((img) => ({cell: cellKey(img), scale: img.getBoundingClientRect().width / img.naturalWidth}));
  return {problems, firstCell, scale, images};
}
"""

# Runs in the page: list every step (h, v, number of fragment indices) of the deck.
STEPS_JS = r"""
() => {
  const steps = [];
  const horizontal = [...document.querySelectorAll('.reveal .slides > section')];
  horizontal.forEach((h, hi) => {
    const vertical = [...h.children].filter((c) => c.tagName === 'SECTION');
    const leaves = vertical.length ? vertical : [h];
    leaves.forEach((leaf, vi) => {
      const indices = new Set([...leaf.querySelectorAll('.fragment')].map((f, i) =>
        f.hasAttribute('data-fragment-index') ? f.getAttribute('data-fragment-index') : 'n' + i));
      for (let f = -1; f < indices.size; f++) steps.push([hi, vi, f]);
    });
  });
  return steps;
}
"""

# Runs in the page: the step on screen, as [h, v, number of fragments shown].
STATE_JS = r"""
() => {
  const horizontal = [...document.querySelectorAll('.reveal .slides > section')];
  const hi = horizontal.findIndex((s) => s.classList.contains('present'));
  if (hi < 0) return null;
  const vertical = [...horizontal[hi].children].filter((c) => c.tagName === 'SECTION');
  const vi = Math.max(0, vertical.findIndex((s) => s.classList.contains('present')));
  const leaf = vertical.length ? vertical[vi] : horizontal[hi];
  const shown = new Set([...leaf.querySelectorAll('.fragment.visible')].map((f, i) =>
    f.hasAttribute('data-fragment-index') ? f.getAttribute('data-fragment-index') : 'n' + i));
  return [hi, vi, shown.size - 1];
}
"""

NO_ANIMATION_CSS = "*, *::before, *::after { transition: none !important; animation: none !important; }"

# Runs in a deck: wait until the images of the step on screen are decoded.
DECODED_JS = r"""
async () => {
  const present = [...document.querySelectorAll('.reveal .slides section.present img')];
  await Promise.all(present.map((img) => img.decode().catch(() => null)));
}
"""

# Runs in an HTML deck: wait until MathJax has typeset everything queued so far and the step's images are
# decoded. No animation frames: the measurements force layout themselves, and a screenshot captures a new frame
# of its own.
SETTLE_JS = r"""
async () => {
  if (window.MathJax && MathJax.Hub) await new Promise((r) => MathJax.Hub.Queue(r));
  await (DECODED)();
}
""".replace("DECODED", DECODED_JS.strip())


# Runs in the RISE page once it shows a slide: wait until JupyterLab has drawn the notebook (markdown
# rendered, MathJax typeset, outputs drawn: no change in the slides for `quietMs`, at most `maxMs`) and every
# image is decoded. A real condition instead of a fixed sleep: short when the page is ready, longer under load.
RISE_READY_JS = r"""
async ([quietMs, maxMs]) => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
  const target = document.querySelector('.reveal') || document.body;
  let last = performance.now();
  const observer = new MutationObserver(() => { last = performance.now(); });
  observer.observe(target, {subtree: true, childList: true, characterData: true});
  const start = performance.now();
  while (performance.now() - last < quietMs && performance.now() - start < maxMs) await sleep(25);
  observer.disconnect();
  await Promise.all([...target.querySelectorAll('img')].map((img) => img.decode().catch(() => null)));
  await frame(); await frame();
}
"""

# Runs in the RISE page: press Space (a keydown event, as reveal.js listens for; one round trip instead of
# Playwright's keydown and keyup), wait until the step `expected` ([h, v, fragments shown - 1], as STATE_JS
# reports it) is on screen (at most `maxMs`) and its images are decoded, then measure it (MEASURE_JS).
RISE_STEP_JS = r"""
async ([expected, maxMs, measureArgs]) => {
  const state = STATE;
  const measure = MEASURE;
  const key = {key: ' ', code: 'Space', keyCode: 32, which: 32, bubbles: true, cancelable: true};
  (document.activeElement || document.body).dispatchEvent(new KeyboardEvent('keydown', key));
  const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
  const start = performance.now();
  while (JSON.stringify(state()) !== JSON.stringify(expected) && performance.now() - start < maxMs) await frame();
  await (DECODED)();
  return measure(measureArgs);
}
""".replace("STATE", STATE_JS.strip()).replace("MEASURE", MEASURE_JS.strip()).replace("DECODED", DECODED_JS.strip())

# Runs in an HTML deck: show step [h, v, f], settle and measure it, in one round trip.
SLIDE_AND_MEASURE_JS = r"""
async ([[h, v, f], measureArgs]) => {
  Reveal.slide(h, v, f);
  await (SETTLE)();
  return (MEASURE)(measureArgs);
}
""".replace("SETTLE", SETTLE_JS.strip()).replace("MEASURE", MEASURE_JS.strip())


@dataclass
class Offender:
    """One problem on one step of one deck."""

    notebook: str
    form: str
    viewport: str
    reason: str
    step: str = ""
    slide: int = 0
    slide_cell: int | None = None
    slide_cell_id: str | None = None
    cells: list[int] = field(default_factory=list)
    px: int = 0
    detail: str = ""

    def key(self) -> tuple[str, str, str, str]:
        """What the budget matches on: notebook, form, reason and the slide (its opening cell's id), or for a
        deck-level problem (request, console) its text."""
        where = self.slide_cell_id if self.reason not in ("external-request", "console-error") else self.detail
        return (self.notebook, self.form, self.reason, where or "")


@dataclass
class DeckResult:
    notebook: str
    form: str
    viewport: str
    slides: int = 0
    steps: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    offenders: list[Offender] = field(default_factory=list)
    #: (slide number, cell index, screen px per image px) of every figure shown, smallest scale per cell.
    figures: list[tuple[int, int | None, float]] = field(default_factory=list)
    screenshots: list[str] = field(default_factory=list)
    contact_sheet: str | None = None


def cell_table(notebook: Path) -> tuple[dict[str, int], list[str]]:
    """Map cell id -> index, and index -> id, for one notebook."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    ids = [cell.get("id", "") for cell in nb["cells"]]
    return {cid: i for i, cid in enumerate(ids)}, ids


def speaker_notes(notebook: Path) -> list[str]:
    """The source of every ``notes`` cell of a notebook."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    return [
        "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for cell in nb["cells"]
        if cell.get("metadata", {}).get("slideshow", {}).get("slide_type") == "notes"
    ]


def _resolve(key: str | None, ids: dict[str, int], index_to_id: list[str]) -> tuple[int | None, str | None]:
    if key is None:
        return None, None
    kind, _, value = key.partition(":")
    if kind == "index":
        index = int(value)
        return index, index_to_id[index] if index < len(index_to_id) else None
    return ids.get(value), value


def build_html_decks(notebooks: list[Path], out_dir: Path) -> dict[str, dict[str, Path]]:
    """Build the offline decks with and without code (one npm download); return form -> stem -> deck."""
    out_dir = Path(out_dir)
    decks: dict[str, dict[str, Path]] = {}
    static = out_dir / "code" / build_slides.STATIC_DIR

    def copy_static(dest: Path) -> Path:
        shutil.copytree(static, dest, dirs_exist_ok=True)
        return dest

    for form, no_input in (("code", False), ("no-input", True)):
        fetch = build_slides.fetch_offline_assets if form == "code" else copy_static
        built = build_slides.build_decks(notebooks, out_dir / form, offline=True, no_input=no_input, fetch=fetch)
        decks[form] = {deck.name.removesuffix(".slides.html"): deck for deck in built}
    return decks


def _walk(page, notebook: Path, result: DeckResult, shots: Path | None, check_text: bool, advance) -> None:
    """Step through the deck on ``page``; ``advance(number, step, measure_args)`` shows a step and returns what
    MEASURE_JS measures on it. Fills ``result``."""
    ids, index_to_id = cell_table(notebook)
    steps = page.evaluate(STEPS_JS)
    result.steps = len(steps)
    result.slides = len({(h, v) for h, v, _ in steps})
    slide_numbers = {}
    seen = set()
    session = page.context.new_cdp_session(page) if shots is not None else None
    for number, (h, v, f) in enumerate(steps):
        slide_numbers.setdefault((h, v), len(slide_numbers) + 1)
        measured = advance(number, (h, v, f), [None, MIN_BODY_PX, MIN_CODE_PX, TOLERANCE_PX, check_text])
        step = f"{h}.{v}.{f + 1}"
        if shots is not None:
            path = shots / f"{number:03d}_{h:02d}-{v:02d}-{f + 1:02d}.jpg"
            screenshot(session, path)
            result.screenshots.append(str(path))
        slide_cell, slide_cell_id = _resolve(measured["firstCell"], ids, index_to_id)
        for image in measured["images"]:
            index, _ = _resolve(image["cell"], ids, index_to_id)
            entry = (slide_numbers[(h, v)], index, round(image["scale"], 3))
            same = [f for f in result.figures if f[:2] == entry[:2]]
            if not same:
                result.figures.append(entry)
            elif entry[2] < same[0][2]:
                result.figures[result.figures.index(same[0])] = entry
        grouped: dict[tuple[str, str], Offender] = {}
        for problem in measured["problems"]:
            index, _ = _resolve(problem["cell"], ids, index_to_id)
            key = (problem["reason"], problem["detail"] if problem["reason"] == "raw-tex" else "")
            offender = grouped.get(key)
            if offender is None:
                offender = grouped[key] = Offender(
                    notebook=notebook.name,
                    form=result.form,
                    viewport=result.viewport,
                    reason=problem["reason"],
                    step=step,
                    slide=slide_numbers[(h, v)],
                    slide_cell=slide_cell,
                    slide_cell_id=slide_cell_id,
                    detail=problem["detail"],
                )
            if index is not None and index not in offender.cells:
                offender.cells.append(index)
            if problem["px"] > offender.px:
                offender.px, offender.detail = problem["px"], problem["detail"]
        for offender in grouped.values():
            offender.cells.sort()
            # A problem seen on an earlier step of the same slide is reported once, at its worst.
            same = (offender.reason, offender.slide, offender.detail if offender.reason == "raw-tex" else "")
            if same in seen:
                earlier = next(
                    o
                    for o in result.offenders
                    if (o.reason, o.slide, o.detail if o.reason == "raw-tex" else "") == same
                )
                if offender.px > earlier.px:
                    earlier.px, earlier.step, earlier.detail = offender.px, offender.step, offender.detail
                earlier.cells = sorted(set(earlier.cells) | set(offender.cells))
                continue
            seen.add(same)
            result.offenders.append(offender)


def screenshot(session, path: Path) -> None:
    """A JPEG of the viewport from a DevTools session on the page (Page.captureScreenshot), without the font
    wait and caret hiding that Playwright's page.screenshot adds to every shot."""
    shot = session.send("Page.captureScreenshot", {"format": "jpeg", "quality": 70, "optimizeForSpeed": True})
    Path(path).write_bytes(base64.b64decode(shot["data"]))


def _deck_level(result: DeckResult, requests: list[str], errors: list[str]) -> None:
    for url in sorted(set(requests)):
        result.offenders.append(
            Offender(notebook=result.notebook, form=result.form, viewport=result.viewport,
                     reason="external-request", detail=url)
        )
    for text in sorted(set(errors)):
        if any(pattern.search(text) for pattern in IGNORED_CONSOLE):
            continue
        result.offenders.append(
            Offender(notebook=result.notebook, form=result.form, viewport=result.viewport,
                     reason="console-error", detail=text)
        )


#: Console errors that are not problems: RISE always links an optional ``<notebook>.css`` next to the
#: notebook, and the browser reports the 404 page it gets for a missing one as a stylesheet of the wrong type.
IGNORED_CONSOLE = (re.compile(r"Refused to apply style from '.*/files/.*\.css' because its MIME type"),)


def _console_text(message) -> str:
    # The first line is the message; stacks and cache-busting hashes differ from run to run.
    first = message.splitlines()[0] if message else ""
    return re.sub(r"[0-9a-f]{16,}", "<hash>", first)[:200]


def walk_html_deck(
    browser, deck: Path, notebook: Path, form: str, viewports: tuple[str, ...], shots: Path | None
) -> list[DeckResult]:
    """Walk one HTML deck opened from disk with every request outside its folder blocked, at each of
    ``viewports`` in turn on the same page (resized: loading a deck, with MathJax typesetting every slide,
    costs as much as walking 40 steps). Screenshots (into ``shots``) are taken at 1280x720."""
    folder = deck.parent.resolve().as_uri() + "/"
    blocked, errors, results = [], [], []
    started = time.monotonic()
    width, height = VIEWPORTS[viewports[0]]
    page = browser.new_page(viewport={"width": width, "height": height})

    def only_local(route):
        url = route.request.url
        if url.startswith(folder) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    def advance(number, step, measure_args):
        return page.evaluate(SLIDE_AND_MEASURE_JS, [list(step), measure_args])

    try:
        page.route("**/*", only_local)
        page.on("console", lambda msg: errors.append(_console_text(msg.text)) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(_console_text(f"{exc.name}: {exc.message}")))
        page.goto(deck.resolve().as_uri())
        page.wait_for_selector(".reveal.ready", timeout=60_000)
        page.add_style_tag(content=NO_ANIMATION_CSS)
        page.evaluate("() => Reveal.configure({transition: 'none', backgroundTransition: 'none'})")
        page.evaluate(SETTLE_JS)
        notes = page.evaluate("() => [...document.querySelectorAll('aside.notes')].map((n) => n.innerText.trim())")
        for viewport in viewports:
            result = DeckResult(notebook=notebook.name, form=form, viewport=viewport, notes=notes)
            width, height = VIEWPORTS[viewport]
            if page.viewport_size != {"width": width, "height": height}:
                page.set_viewport_size({"width": width, "height": height})
                page.evaluate("() => Reveal.layout()")  # as its resize handler does, without waiting for it
            here = shots if viewport == "1280x720" else None
            if here is not None:
                here.mkdir(parents=True, exist_ok=True)
            _walk(page, notebook, result, here, viewport == "1280x720", advance)
            result.seconds = round(time.monotonic() - started, 1)
            started = time.monotonic()
            results.append(result)
    finally:
        page.close()
    # A request or console error belongs to the deck, not to one size: report it with the first.
    _deck_level(results[0], blocked, errors)
    return results


def walk_rise(browser, base_url: str, rel_path: str, notebook: Path, viewport: str, shots: Path | None) -> DeckResult:
    """Walk one notebook presented with RISE (``/rise/<path>`` of a running JupyterLab server)."""
    width, height = VIEWPORTS[viewport]
    result = DeckResult(notebook=notebook.name, form="rise", viewport=viewport)
    started = time.monotonic()
    blocked, errors = [], []
    page = browser.new_page(viewport={"width": width, "height": height})

    def only_server(route):
        url = route.request.url
        if url.startswith(base_url) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    try:
        page.route("**/*", only_server)
        page.on("console", lambda msg: errors.append(_console_text(msg.text)) if msg.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(_console_text(f"{exc.name}: {exc.message}")))
        page.goto(f"{base_url}/rise/{rel_path}?activeCellIndex=0", wait_until="domcontentloaded")
        page.wait_for_selector(".reveal .slides section.present", timeout=90_000)
        page.add_style_tag(content=NO_ANIMATION_CSS)
        # RISE typesets with MathJax 3 and draws outputs asynchronously: let it finish.
        page.evaluate(RISE_READY_JS, [300, 10_000])
        if shots is not None:
            shots.mkdir(parents=True, exist_ok=True)

        def advance(number, step, measure_args):
            if number == 0:
                return page.evaluate(MEASURE_JS, measure_args)
            return page.evaluate(RISE_STEP_JS, [list(step), 2000, measure_args])

        _walk(page, notebook, result, shots, viewport == "1280x720", advance)
        result.notes = speaker_notes(notebook)
    finally:
        page.close()
    _deck_level(result, blocked, errors)
    result.seconds = round(time.monotonic() - started, 1)
    return result


def contact_sheet(result: DeckResult, path: Path, columns: int = 5, thumb_width: int = 320) -> Path | None:
    """One image with the last step of every slide of a deck as a thumbnail, labelled with its number."""
    from PIL import Image, ImageDraw

    last: dict[str, str] = {}
    for shot in result.screenshots:
        h, v, _ = Path(shot).stem.split("_")[1].split("-")
        last[f"{h}-{v}"] = shot  # screenshots are in step order: the last one of a slide wins
    if not last:
        return None
    shots = list(last.values())
    with Image.open(shots[0]) as first:
        ratio = first.height / first.width
    thumb = (thumb_width, round(thumb_width * ratio))
    label = 22
    rows = -(-len(shots) // columns)
    sheet = Image.new("RGB", (columns * (thumb[0] + 8) + 8, rows * (thumb[1] + label + 8) + 8), "white")
    draw = ImageDraw.Draw(sheet)
    for i, shot in enumerate(shots):
        x = 8 + (i % columns) * (thumb[0] + 8)
        y = 8 + (i // columns) * (thumb[1] + label + 8)
        with Image.open(shot) as img:
            img.draft("RGB", thumb)  # a JPEG decodes at 1/4 size directly: most of the time of a sheet otherwise
            sheet.paste(img.convert("RGB").resize(thumb, Image.Resampling.LANCZOS), (x, y + label))
        draw.rectangle((x, y + label, x + thumb[0] - 1, y + label + thumb[1] - 1), outline="#999999")
        draw.text((x, y + 4), f"{i + 1}", fill="black")
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path, compress_level=1)  # PNG: optimize=True took 2 s a sheet for 5% less
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def jupyterlab(notebooks_dir: Path, log_path: Path, settings: dict | None = None, extra_args: tuple[str, ...] = ()):
    """A JupyterLab server (no token, 127.0.0.1) on a copy of ``notebooks_dir``, as instructors start it for RISE
    (:data:`RISE_SERVER_ARGS`), isolated from the machine's Jupyter configuration; yields its base URL.

    ``settings`` maps a settings file name (``"<extension>/<plugin>.jupyterlab-settings"``) to its values, for
    the server's user settings folder; ``extra_args`` go to ``jupyter lab`` as they are.
    """
    with tempfile.TemporaryDirectory(prefix="emlab-lab-") as tmp:
        tmp = Path(tmp)
        root = tmp / "root"
        shutil.copytree(notebooks_dir, root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        for name, values in (settings or {}).items():
            (tmp / "settings" / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / "settings" / name).write_text(json.dumps(values), encoding="utf-8")
        env = dict(os.environ)
        # The inline backend must draw the figures; a stray MPLBACKEND=Agg would hide them all.
        env.pop("MPLBACKEND", None)
        # No user config, and no user-level kernelspec that could point "python3" at another interpreter.
        env.update(
            JUPYTER_CONFIG_DIR=str(tmp / "config"),
            JUPYTER_DATA_DIR=str(tmp / "data"),
            JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
            IPYTHONDIR=str(tmp / "ipython"),
        )
        port = free_port()
        cmd = [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
            "--ServerApp.token=", "--ServerApp.password=", "--LabApp.news_url=None",
            f"--ServerApp.root_dir={root}", f"--LabApp.workspaces_dir={tmp / 'workspaces'}",
            f"--LabApp.user_settings_dir={tmp / 'settings'}", *RISE_SERVER_ARGS, *extra_args,
        ]  # fmt: skip
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-root")
        base = f"http://127.0.0.1:{port}"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "w") as log:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=root)
            try:
                deadline = time.monotonic() + 90
                while True:
                    if proc.poll() is not None:
                        raise RuntimeError(f"JupyterLab exited with code {proc.returncode}; see {log_path}")
                    try:
                        with urllib.request.urlopen(f"{base}/api/status", timeout=2):
                            break
                    except OSError:
                        if time.monotonic() > deadline:
                            raise RuntimeError(
                                f"JupyterLab did not answer on {base} within 90 s; see {log_path}"
                            ) from None
                        time.sleep(0.2)
                yield base
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def shutdown_kernels(base_url: str, path: str | None = None) -> None:
    """Stop the kernels of the server's sessions on ``path`` (default: every session); RISE starts one per
    notebook it presents. A DELETE needs the server's XSRF cookie, echoed in a header, even without a token."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base_url}/lab", timeout=30).close()  # sets the _xsrf cookie
    xsrf = next((cookie.value for cookie in jar if cookie.name == "_xsrf"), "")
    with opener.open(f"{base_url}/api/sessions", timeout=30) as response:
        sessions = json.load(response)
    for session in sessions:
        if path is not None and session.get("path") != path:
            continue
        request = urllib.request.Request(
            f"{base_url}/api/sessions/{session['id']}", method="DELETE", headers={"X-XSRFToken": xsrf}
        )
        opener.open(request, timeout=30).close()


def _walk_jobs(browser, jobs: collections.deque, take, shots_dir, decks: dict, lab_url, prepare=None) -> list:
    """Walk jobs (notebook, form, viewports) taken from ``jobs`` with ``take`` (its popleft or pop) until none is
    left, with one browser (None: launch one here, as a thread needs its own). ``prepare()``, if given, runs
    first (building the HTML decks); ``decks["ready"]`` is an Event set once they are built, which an HTML job
    waits for."""
    with contextlib.ExitStack() as stack:
        if browser is None:
            from playwright.sync_api import sync_playwright

            browser = launch_chromium(stack.enter_context(sync_playwright()))
            stack.callback(browser.close)
        if prepare is not None:
            prepare()
        results = []
        while True:
            try:
                notebook, form, viewports = take()
            except IndexError:
                return results
            shots = Path(shots_dir) / form / notebook.stem if shots_dir is not None else None
            if form == "rise":
                path = f"notebooks/{notebook.name}"
                walked = []
                for viewport in viewports:
                    here = shots if viewport == "1280x720" else None
                    walked.append(walk_rise(browser, lab_url, path, notebook, viewport, here))
                    shutdown_kernels(lab_url, path)
            else:
                decks["ready"].wait()
                if "error" in decks:
                    raise RuntimeError("building the HTML decks failed") from decks["error"]
                walked = walk_html_deck(browser, decks[form][notebook.stem], notebook, form, viewports, shots)
            for result in walked:
                if shots is not None and result.screenshots:
                    sheet = contact_sheet(result, Path(shots_dir) / f"contact_{form}_{notebook.stem}.png")
                    result.contact_sheet = str(sheet) if sheet else None
            results += walked


def check_decks(
    browser,
    notebooks: list[Path] | None = None,
    jobs: dict[str, tuple[str, ...]] | None = None,
    work_dir: Path | None = None,
    shots_dir: Path | None = SHOTS,
    lab_url: str | None = None,
) -> dict:
    """Build the decks once and walk every step of every deck; return the report (see :func:`report_dict`).

    Two browsers walk at once from one queue of decks: ``browser`` presents the RISE slideshows first, a second
    one on a worker thread builds the HTML decks and walks them from the other end of the queue; whichever is
    done first takes what is left. So the two kinds of waiting (MathJax, JupyterLab) overlap and the deck
    build overlaps the RISE walk.

    Parameters
    ----------
    browser : playwright.sync_api.Browser
        A launched Chromium.
    notebooks : list of Path, optional
        Default: the course notebooks (``notebooks/*.ipynb``).
    jobs : dict, optional
        Viewport (a key of :data:`VIEWPORTS`) -> the forms (from :data:`FORMS`) to walk at that size; default
        :data:`DEFAULT_JOBS`. Text sizes are checked at 1280x720 only, and screenshots and contact sheets are
        taken there.
    work_dir : Path, optional
        Where to build the HTML decks (default: a temporary folder).
    shots_dir : Path or None
        Screenshots go to ``shots_dir/<form>/<notebook>/``, contact sheets to
        ``shots_dir/contact_<form>_<notebook>.png``; None takes none.
    lab_url : str, optional
        A JupyterLab server whose root holds the notebooks under ``notebooks/`` (for ``rise``); default:
        start one on a copy of the notebooks' folder.
    """
    from concurrent.futures import ThreadPoolExecutor

    notebooks = build_slides.default_notebooks() if notebooks is None else [Path(nb) for nb in notebooks]
    jobs = DEFAULT_JOBS if jobs is None else jobs
    unknown = {f for forms in jobs.values() for f in forms} - set(FORMS)
    if unknown or set(jobs) - set(VIEWPORTS):
        raise ValueError(f"jobs {jobs!r}: viewports must be from {sorted(VIEWPORTS)} and forms from {FORMS}")
    started = time.monotonic()
    if shots_dir is not None:
        for form in FORMS:
            shutil.rmtree(Path(shots_dir) / form, ignore_errors=True)
    # One job per deck: a notebook in one form, at every viewport asked for (1280x720 first, for the screenshots).
    sizes = sorted(jobs, key=lambda viewport: viewport != "1280x720")
    walks = [
        (nb, form, tuple(vp for vp in sizes if form in jobs[vp]))
        for nb in notebooks
        for form in FORMS
        if any(form in jobs[vp] for vp in sizes)
    ]
    html_jobs = [job for job in walks if job[1] != "rise"]
    rise_jobs = [job for job in walks if job[1] == "rise"]
    with contextlib.ExitStack() as stack:
        if work_dir is None:
            work_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="emlab-decks-")))
        if rise_jobs and lab_url is None:
            folder = notebooks[0].parent
            lab_url = stack.enter_context(jupyterlab(folder, ROOT / "artifacts" / "jupyterlab-slides.log"))
        decks: dict = {"ready": threading.Event()}

        def build() -> None:
            try:
                if html_jobs:
                    decks.update(build_html_decks(notebooks, work_dir))
            except BaseException as error:
                decks["error"] = error
                raise
            finally:
                decks["ready"].set()

        # Two walkers share one queue, so neither idles while the other has work: this one takes the RISE
        # slideshows first (they need no build), a second browser on a thread builds the HTML decks and takes
        # jobs from the other end; whichever finishes first takes the rest. (A third walker gained nothing on
        # 2 cores: the walk is bound by Chromium's CPU time, not by waiting.)
        queue = collections.deque(rise_jobs + html_jobs)
        if html_jobs and rise_jobs:
            with ThreadPoolExecutor(max_workers=1) as pool:
                other = pool.submit(_walk_jobs, None, queue, queue.pop, shots_dir, decks, lab_url, build)
                results = _walk_jobs(browser, queue, queue.popleft, shots_dir, decks, lab_url)
                results += other.result()
        else:
            results = _walk_jobs(browser, queue, queue.popleft, shots_dir, decks, lab_url, build)
    order = {form: i for i, form in enumerate(FORMS)}
    results.sort(key=lambda r: (r.viewport != "1280x720", r.viewport, r.notebook, order[r.form]))
    return report_dict(results, time.monotonic() - started)


def report_dict(results: list[DeckResult], seconds: float) -> dict:
    """The JSON report: every deck (slides, steps, offenders) and the offender counts per notebook and form."""
    counts: dict[str, dict[str, int]] = {}
    for result in results:
        counts.setdefault(result.notebook, {})
        name = f"{result.form}@{result.viewport}"
        counts[result.notebook][name] = counts[result.notebook].get(name, 0) + len(result.offenders)
    return {
        "thresholds": {"min_body_px": MIN_BODY_PX, "min_code_px": MIN_CODE_PX, "tolerance_px": TOLERANCE_PX},
        "seconds": round(seconds, 1),
        "counts": counts,
        "decks": [
            {
                "notebook": r.notebook,
                "form": r.form,
                "viewport": r.viewport,
                "slides": r.slides,
                "steps": r.steps,
                "seconds": r.seconds,
                "notes": r.notes,
                "contact_sheet": r.contact_sheet,
                "figures": [{"slide": f[0], "cell": f[1], "screen_px_per_image_px": f[2]} for f in r.figures],
                "offenders": [asdict(o) for o in r.offenders],
            }
            for r in results
        ],
    }


def offenders(report: dict) -> list[Offender]:
    return [Offender(**o) for deck in report["decks"] for o in deck["offenders"]]


def budget_entry(offender: Offender) -> dict:
    entry = {"notebook": offender.notebook, "form": offender.form, "reason": offender.reason}
    if offender.reason in ("external-request", "console-error"):
        entry["detail"] = offender.detail
    else:
        entry["slide_cell_id"] = offender.slide_cell_id or ""
        # For people: where it is, not matched on.
        entry["slide_cell"] = offender.slide_cell
        entry["px"] = offender.px
    return entry


def entry_key(entry: dict) -> tuple[str, str, str, str]:
    where = entry.get("detail") if entry["reason"] in ("external-request", "console-error") else entry["slide_cell_id"]
    return (entry["notebook"], entry["form"], entry["reason"], where or "")


def load_budget(path: Path = BUDGET) -> list[dict]:
    if not path.exists():
        return []
    return json.loads(path.read_text(encoding="utf-8"))["known_offenders"]


def compare_with_budget(report: dict, budget: list[dict]) -> tuple[list[Offender], list[dict]]:
    """Return (offenders not in the budget, budget entries that no longer fail)."""
    allowed = {entry_key(entry) for entry in budget}
    found = offenders(report)
    new = [o for o in found if o.key() not in allowed]
    current = {o.key() for o in found}
    stale = [entry for entry in budget if entry_key(entry) not in current]
    return new, stale


def write_budget(entries: list[dict], path: Path = BUDGET) -> None:
    unique = {entry_key(e): e for e in entries}
    ordered = sorted(unique.values(), key=lambda e: (e["notebook"], e["form"], e["reason"], e.get("slide_cell") or 0))
    text = json.dumps(
        {
            "about": "Known slide offenders (scripts/check_slides.py), matched on notebook, form, reason and "
            "the id of the cell that opens the slide (slide_cell and px are for people). This list may only "
            "shrink: the browser test (tests/test_slide_walk.py::test_every_slide_step_fits) fails on an offender "
            "that is not here; `python scripts/check_slides.py --update-budget` drops the fixed ones.",
            "known_offenders": ordered,
        },
        indent=1,
    )
    path.write_text(text + "\n", encoding="utf-8")


def format_offender(o: Offender) -> str:
    if o.reason in ("external-request", "console-error"):
        return f"{o.notebook} [{o.form} {o.viewport}] {o.reason}: {o.detail}"
    cells = ", ".join(str(c) for c in o.cells) or "-"
    px = f" {o.px} px" if o.px else ""
    return (
        f"{o.notebook} [{o.form} {o.viewport}] slide {o.slide} (step {o.step}, opened by cell {o.slide_cell}) "
        f"{o.reason}{px} in cells {cells}: {o.detail}"
    )


def format_report(report: dict) -> str:
    lines = []
    for deck in report["decks"]:
        lines.append(
            f"{deck['notebook']} [{deck['form']} {deck['viewport']}]: {deck['slides']} slides, {deck['steps']} steps,"
            f" {len(deck['offenders'])} offenders ({deck['seconds']} s)"
        )
        for o in deck["offenders"]:
            lines.append("    " + format_offender(Offender(**o)))
    total = Counter(o.reason for o in offenders(report))
    lines.append(f"offenders by reason: {dict(total)}; walked in {report['seconds']} s")
    return "\n".join(lines)


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument("--forms", help=f"comma-separated, from {','.join(FORMS)} (default: all)")
    parser.add_argument(
        "--viewport",
        action="append",
        choices=sorted(VIEWPORTS),
        help="walk at this size (repeatable); default: " + repr(DEFAULT_JOBS),
    )
    parser.add_argument("--report", type=Path, default=REPORT, help=f"default: {REPORT.relative_to(ROOT)}")
    parser.add_argument("--shots", type=Path, default=SHOTS, help=f"default: {SHOTS.relative_to(ROOT)}")
    parser.add_argument(
        "--update-budget", action="store_true", help="drop fixed offenders from tests/slide_budget.json (never adds)"
    )
    parser.add_argument(
        "--init-budget", action="store_true", help="write tests/slide_budget.json from this run (all offenders)"
    )
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    jobs = dict(DEFAULT_JOBS)
    if args.forms or args.viewport:
        forms = tuple(f for f in (args.forms or ",".join(FORMS)).split(",") if f)
        jobs = {viewport: forms for viewport in (args.viewport or ["1280x720"])}
    if (args.update_budget or args.init_budget) and (jobs != DEFAULT_JOBS or args.notebooks):
        parser.error("--update-budget/--init-budget need the full default walk (no notebooks, --forms, --viewport)")
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            report = check_decks(browser, args.notebooks or None, jobs, shots_dir=args.shots)
        finally:
            browser.close()
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(format_report(report))
    print(f"report: {args.report}")
    budget = load_budget()
    new, stale = compare_with_budget(report, budget)
    if args.init_budget:
        write_budget([budget_entry(o) for o in offenders(report)])
        print(f"wrote {BUDGET} with {len(offenders(report))} offenders")
    elif args.update_budget:
        keep = [entry for entry in budget if entry not in stale]
        write_budget(keep)
        print(f"{BUDGET}: {len(stale)} fixed offenders removed, {len(keep)} left")
    if new:
        print(f"{len(new)} offenders not in {BUDGET.relative_to(ROOT)}:")
        for o in new:
            print("    " + format_offender(o))
    # Like the browser test: known offenders (tests/slide_budget.json) do not fail, new ones do.
    return 1 if new and not args.init_budget else 0


if __name__ == "__main__":
    sys.exit(main())
