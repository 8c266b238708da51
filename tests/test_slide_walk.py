"""Issue 8: every step of every deck, in all three forms, fits a projector.

In a module of its own so that pytest-xdist (``--dist loadscope``) runs it on one worker while the other runs
the notebooks in JupyterLab (tests/test_browser.py): the two take about the same time. ``check_decks`` starts
its own JupyterLab for the RISE walk, with the setting presenters use (binder/jupyter_server_config.json).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
sys.path.insert(0, str(ROOT / "scripts"))
import check_slides  # noqa: E402
from _browser import chromium, require  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    # Playwright's sync API runs its own asyncio loop and transport; their teardown is not ours to fix.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]

#: What the test walks: all three forms at 1280x720, as the issue asks. Every form is one 1280x720 canvas that
#: reveal.js scales to the screen, so the layout does not depend on it: test_the_walk_finds_each_kind_of_misfit
#: checks that an HTML deck's misfits come out the same at 1024x768, tests/test_browser.py that RISE keeps its
#: canvas on screens of other shapes, and ``python scripts/check_slides.py`` (its default,
#: check_slides.DEFAULT_JOBS) walks the deck with code and RISE at 1024x768 too. That walk took a fifth of the test.
JOBS = {"1280x720": check_slides.FORMS}


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def test_every_slide_step_fits(browser):
    """Issue 8: every step of every deck, in all three forms, fits a 1280x720 projector (within the known offenders).

    ``scripts/check_slides.py`` builds the ``--offline`` decks (with and without code) once, walks every step
    of them and of the RISE slideshows with every request outside the deck (or the JupyterLab server) blocked,
    and lists what overflows, is clipped, is too small, shows raw TeX, asks the network or logs an error. The
    report goes to artifacts/slide_report.json, screenshots and a contact sheet per deck to artifacts/slides/.
    Offenders already listed in tests/slide_budget.json are tolerated until they are fixed; a new one fails.
    Listed ones that are fixed are printed: `python scripts/check_slides.py --update-budget` drops them (the
    list may only shrink; a run near a tolerance must not fail the suite, so they do not fail the test).
    """
    require(shutil.which("npm") is not None, "npm is missing, so --offline cannot fetch reveal.js")
    report = check_slides.check_decks(browser, jobs=JOBS)
    check_slides.REPORT.parent.mkdir(parents=True, exist_ok=True)
    check_slides.REPORT.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(check_slides.format_report(report))

    notebooks = sorted(NOTEBOOKS.glob("*.ipynb"))
    walked = {(deck["notebook"], deck["form"], deck["viewport"]) for deck in report["decks"]}
    expected = {
        (nb.name, form, viewport)
        for viewport, forms in JOBS.items()
        for form in forms
        for nb in notebooks
    }
    assert walked == expected, f"decks not walked: {sorted(expected - walked)}"
    for deck in report["decks"]:
        where = f"{deck['notebook']} [{deck['form']} {deck['viewport']}]"
        assert deck["steps"] >= deck["slides"] > 1, f"{where}: {deck['slides']} slides, {deck['steps']} steps"
        if deck["viewport"] == "1280x720":
            assert deck["contact_sheet"] and Path(deck["contact_sheet"]).is_file(), f"{where}: no contact sheet"
        if deck["form"] != "rise":
            # Speaker notes reach the deck (as reveal.js notes, for the speaker view), every one of them.
            notes = check_slides.speaker_notes(NOTEBOOKS / deck["notebook"])
            assert len(deck["notes"]) == len(notes), f"{where}: {len(notes)} notes cells, {len(deck['notes'])} notes"

    new, fixed = check_slides.compare_with_budget(report, check_slides.load_budget())
    assert not new, (
        f"{len(new)} slide offenders that tests/slide_budget.json does not list (report: "
        f"{check_slides.REPORT}, screenshots: {check_slides.SHOTS}):\n"
        + "\n".join(check_slides.format_offender(o) for o in new)
    )
    if fixed:
        print(
            f"{len(fixed)} offenders listed in tests/slide_budget.json are fixed: run "
            "`python scripts/check_slides.py --update-budget` and commit the shorter list:\n"
            + "\n".join(map(str, fixed))
        )


def test_the_walk_finds_each_kind_of_misfit(browser, tmp_path):
    """The walk is only as good as what it catches: a deck made to fail, with one misfit per slide, is reported
    slide by slide (and the slides that fit are not), at both sizes, with a screenshot of every step."""
    import nbformat

    def cell(source, slide_type):
        made = nbformat.v4.new_markdown_cell(source)
        made.metadata["slideshow"] = {"slide_type": slide_type}
        return made

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        cell("# A deck made to fail\nIt fits.", "slide"),
        cell("## Too long\n" + "\n".join(f"- point {i}" for i in range(30)), "slide"),
        cell('## Too wide\n<div style="width: 1700px; background: #eee">a wide box</div>', "slide"),
        cell('## Too small\n<span style="font-size: 10px">text nobody at the back can read</span>', "slide"),
        cell("## Raw TeX\nThe bound is \\frac{a}{b} with no dollar signs.", "slide"),
        cell('## Under the arrows\n<p style="margin-top: 580px; text-align: right">the last word</p>', "slide"),
        cell("## It fits\nFirst this,", "slide"),
        cell("then this.", "fragment"),
        cell("Speaker note: say why.", "notes"),
    ]
    notebook = tmp_path / "99_misfits.ipynb"
    nbformat.write(nb, notebook)

    jobs = {"1280x720": ("code",), "1024x768": ("code",)}
    report = check_slides.check_decks(browser, [notebook], jobs, work_dir=tmp_path / "decks", shots_dir=tmp_path)
    decks = {deck["viewport"]: deck for deck in report["decks"]}
    assert set(decks) == set(jobs)
    # Slide numbers as the report counts them (from 1). Text sizes and the arrows' corner are checked at 1280x720 only.
    expected = {
        "1280x720": {2: {"overflow"}, 3: {"clipped"}, 4: {"small-text"}, 5: {"raw-tex"}, 6: {"under-controls"}},
        "1024x768": {2: {"overflow"}, 3: {"clipped"}, 5: {"raw-tex"}},
    }
    for viewport, deck in decks.items():
        assert (deck["slides"], deck["steps"], len(deck["notes"])) == (7, 8, 1), viewport
        found: dict[int, set[str]] = {}
        for offender in deck["offenders"]:
            found.setdefault(offender["slide"], set()).add(offender["reason"])
        assert found == expected[viewport], f"{viewport}: {deck['offenders']}"
    # The HTML deck is one 1280x720 canvas scaled to the screen: what runs over does so by the same slide px.
    px = {vp: sorted((o["slide"], o["reason"], o["px"]) for o in d["offenders"] if o["px"]) for vp, d in decks.items()}
    assert [(s, r) for s, r, _ in px["1280x720"]] == [(s, r) for s, r, _ in px["1024x768"]]
    assert all(abs(a[2] - b[2]) <= 2 for a, b in zip(px["1280x720"], px["1024x768"], strict=True)), px
    shots = sorted((tmp_path / "code" / notebook.stem).glob("*.jpg"))
    assert len(shots) == 8 and all(shot.stat().st_size > 1000 for shot in shots)
    assert Path(decks["1280x720"]["contact_sheet"]).is_file()
