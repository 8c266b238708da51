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

@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def test_every_slide_step_fits(browser):
    """Issue 8: every step of every deck, in all three forms, fits a projector (within the known offenders).

    ``scripts/check_slides.py`` builds the ``--offline`` decks (with and without code) once, walks every step
    of them and of the RISE slideshows with every request outside the deck (or the JupyterLab server) blocked,
    and lists what overflows, is clipped, is too small, shows raw TeX, asks the network or logs an error. The
    report goes to artifacts/slide_report.json, screenshots and a contact sheet per deck to artifacts/slides/.
    Offenders already listed in tests/slide_budget.json are tolerated until they are fixed; a new one fails.
    Listed ones that are fixed are printed: `python scripts/check_slides.py --update-budget` drops them (the
    list may only shrink; a run near a tolerance must not fail the suite, so they do not fail the test).
    """
    require(shutil.which("npm") is not None, "npm is missing, so --offline cannot fetch reveal.js")
    report = check_slides.check_decks(browser)
    check_slides.REPORT.parent.mkdir(parents=True, exist_ok=True)
    check_slides.REPORT.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(check_slides.format_report(report))

    notebooks = sorted(NOTEBOOKS.glob("*.ipynb"))
    walked = {(deck["notebook"], deck["form"], deck["viewport"]) for deck in report["decks"]}
    expected = {
        (nb.name, form, viewport)
        for viewport, forms in check_slides.DEFAULT_JOBS.items()
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
