"""Static checks of every notebook's JSON: the authoring rules of CONTRIBUTING (README), enforced.

These run without a kernel; nbval (collected from notebooks/) then executes each notebook and compares outputs.
"""

import ast
import importlib.util
import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").rglob("*.ipynb"))
NOTEBOOKS = [p for p in NOTEBOOKS if ".ipynb_checkpoints" not in p.parts]
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}
IDS = [str(p.relative_to(ROOT)) for p in NOTEBOOKS]
#: The presented notebooks (the solutions are not slides).
COURSE = [p for p in NOTEBOOKS if p.parent.name == "notebooks"]


def _run_notebooks_script():
    spec = importlib.util.spec_from_file_location("run_notebooks", ROOT / "scripts" / "run_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def test_the_course_has_its_notebooks():
    names = [p.name for p in COURSE]
    assert names and names[0].startswith("00_"), "notebooks/00_... is the start page"
    prefixes = [int(n[:2]) for n in names]
    assert prefixes == list(range(len(names))), f"notebooks must be numbered 00, 01, ... without gaps: {names}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_kernel_is_python3(path):
    assert load(path)["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_outputs_stored_from_a_top_to_bottom_run(path):
    counts = [c.get("execution_count") for c in code_cells(load(path))]
    assert all(c is not None for c in counts), "every code cell must be executed (stored outputs)"
    assert counts == list(range(1, len(counts) + 1)), "execution counts must be 1..N: run the notebook top to bottom"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_errors_or_warnings_in_outputs(path):
    for i, cell in enumerate(code_cells(load(path))):
        tags = cell.get("metadata", {}).get("tags", [])
        for out in cell.get("outputs", []):
            if out["output_type"] == "error":
                assert "raises-exception" in tags, f"code cell {i}: stored error without the raises-exception tag"
            if out["output_type"] == "stream":
                assert out["name"] == "stdout", f"code cell {i}: output on stderr (a warning?)"
                assert "Warning" not in "".join(out["text"]), f"code cell {i}: a warning in the output"
            text = json.dumps(out.get("data", {}).get("text/plain", ""))
            assert not re.search(r"np\.float64\(", text), f"code cell {i}: print floats at fixed precision"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_timing_metadata_and_tags_not_comments(path):
    nb = load(path)
    for i, cell in enumerate(nb["cells"]):
        assert "execution" not in cell.get("metadata", {}), f"cell {i}: timing metadata (use record_timing=False)"
        if cell["cell_type"] == "code":
            assert "NBVAL_" not in source(cell), f"cell {i}: use nbval-* cell tags, not # NBVAL comments"
            assert "MPLBACKEND" not in source(cell), f"cell {i}: never set MPLBACKEND"
            lines = [ln for ln in source(cell).splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
            # nbval executes with store_history=False, so IPython ignores a trailing ';' and the hidden
            # repr (with its memory address) appears only under nbval.
            assert not (lines and lines[-1].rstrip().endswith(";")), (
                f"cell {i}: a trailing ';' does not hide output under nbval; assign the result or call plt.show()"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_widget_model_ids_are_deterministic(path):
    """Stored ipywidgets state uses the ids scripts/run_notebooks.py gives, not the random uuid4s of a plain run,
    so re-running a notebook with no change changes no byte. Regenerate with ``python scripts/run_notebooks.py NB``."""
    nb = load(path)
    script = _run_notebooks_script()
    fixed = script.canonical_widget_ids(nb, path.stem)
    n = len(script.widget_id_order(nb))
    assert fixed == nb, f"{n} widget model ids are random (a plain nbconvert run): re-run with scripts/run_notebooks.py"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_stream_outputs_are_joined(path):
    """One stdout output per cell, as scripts/run_notebooks.py stores it: how the kernel splits a cell's printing
    into chunks depends on the machine's load, so split chunks would make re-runs differ."""
    nb = load(path)
    script = _run_notebooks_script()
    assert script.coalesce_streams(json.loads(json.dumps(nb))) == nb, "re-run with scripts/run_notebooks.py"


def test_run_notebooks_script_renumbers_widget_ids_deterministically():
    script = _run_notebooks_script()
    state = {"a" * 32: {"state": {"children": ["IPY_MODEL_" + "b" * 32]}}, "b" * 32: {"state": {"value": 1}},
             "c" * 32: {"state": {"value": 2}}}  # fmt: skip
    nb = {"cells": [{"cell_type": "code", "outputs": [{"data": {script.WIDGET_VIEW: {"model_id": "a" * 32}}}]}],
          "metadata": {"widgets": {script.WIDGET_STATE: {"state": state}}}}  # fmt: skip
    out = script.canonical_widget_ids(nb, "02_jensen")
    ids = [script.deterministic_id("02_jensen", i) for i in range(3)]
    assert out["cells"][0]["outputs"][0]["data"][script.WIDGET_VIEW]["model_id"] == ids[0]
    assert list(out["metadata"]["widgets"][script.WIDGET_STATE]["state"]) == ids
    box = out["metadata"]["widgets"][script.WIDGET_STATE]["state"][ids[0]]
    assert box["state"]["children"] == [f"IPY_MODEL_{ids[1]}"]
    assert script.canonical_widget_ids(out, "02_jensen") == out  # idempotent
    # the same notebook run again gets other random ids, and the same result
    text = json.dumps(nb)
    for old, new in (("a", "d"), ("b", "e"), ("c", "f")):
        text = text.replace(old * 32, new * 32)
    again = json.loads(text)
    assert script.canonical_widget_ids(again, "02_jensen") == out


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_cell_has_slideshow_metadata(path):
    for i, cell in enumerate(load(path)["cells"]):
        slide_type = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
        assert slide_type in SLIDE_TYPES, f"cell {i}: slideshow.slide_type is {slide_type!r}"


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.name)
def test_goals_at_the_top_and_summary_at_the_bottom(path):
    md = [source(c).lower() for c in load(path)["cells"] if c["cell_type"] == "markdown"]
    assert any("goal" in t for t in md[:3]), "state the learning goals at the top"
    assert any("summary" in t or "what next" in t for t in md[-3:]), "end with a summary and what next"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_cells_are_valid_python_and_import_emlab(path):
    sources = [source(c) for c in code_cells(load(path))]
    for s in sources:
        ast.parse("\n".join(line for line in s.splitlines() if not line.lstrip().startswith(("%", "!"))))
    imports_emlab = any(re.search(r"^\s*(from emlab|import emlab)", s, re.M) for s in sources)
    assert imports_emlab, "import the course code from emlab"


def test_no_helper_is_defined_in_two_notebooks():
    """A function two notebooks need belongs in emlab (exercise stubs and their solutions are exempt)."""
    where = defaultdict(set)
    for path in NOTEBOOKS:
        if path.parent.name == "solutions":
            continue
        for cell in code_cells(load(path)):
            tree = ast.parse("\n".join(ln for ln in source(cell).splitlines() if not ln.lstrip().startswith("%")))
            for node in tree.body:
                if isinstance(node, ast.FunctionDef):
                    where[node.name].add(path.name)
    shared = {name: sorted(paths) for name, paths in where.items() if len(paths) > 1}
    assert not shared, f"move these helpers into emlab: {shared}"


#: A course notebook has at least this many speaker notes, and at least one per SLIDES_PER_NOTE slides.
MIN_SPEAKER_NOTES = 3
SLIDES_PER_NOTE = 6


def slide_type(cell):
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-")


def shown_in_decks(cell):
    removed = {"remove-cell", "slides-skip"} & set(cell.get("metadata", {}).get("tags", []))
    return not removed and slide_type(cell) not in ("skip", "notes")


def input_hidden(cell):
    """The decks show only the cell's outputs (and JupyterLab collapses its code)."""
    return bool({"hide-input", "remove-input"} & set(cell.get("metadata", {}).get("tags", [])))


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.name)
def test_speaker_notes_reach_the_speaker_view_only(path):
    """Every course notebook has speaker notes (``notes`` cells: the decks' speaker view, press S), and a remark for
    the instructor never lands on a slide: a markdown cell starting "Speaker note" must be of type ``notes``, and a
    ``notes`` cell is a markdown cell starting "Speaker note:" (so students reading the notebook see whom it is for)
    that follows a shown cell (a note attaches to the slide before it)."""
    cells = load(path)["cells"]
    shown = [shown_in_decks(c) for c in cells]
    notes = [i for i, c in enumerate(cells) if slide_type(c) == "notes"]
    slides = sum(slide_type(c) in ("slide", "subslide") for c, s in zip(cells, shown, strict=True) if s)
    wanted = max(MIN_SPEAKER_NOTES, slides // SLIDES_PER_NOTE)
    assert len(notes) >= wanted, f"{len(notes)} speaker notes for {slides} slides; write at least {wanted}"
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "markdown" and source(cell).lstrip().lower().startswith("speaker note"):
            assert slide_type(cell) == "notes", (
                f"cell {i} is a speaker note, but its slide type is {slide_type(cell)!r}: it shows on the slide"
            )
    for i in notes:
        assert cells[i]["cell_type"] == "markdown" and source(cells[i]).startswith("Speaker note: "), (
            f"cell {i}: a notes cell is a markdown cell starting 'Speaker note: '"
        )
        assert any(shown[:i]), f"cell {i}: a speaker note before the first slide belongs to no slide"


def speaker_note_slides(path):
    """The slide (numbered as the decks count them: every slide and sub-slide, from 1) of each speaker note."""
    slides, where = 0, []
    for cell in load(path)["cells"]:
        if shown_in_decks(cell) and slide_type(cell) in ("slide", "subslide"):
            slides += 1
        elif slide_type(cell) == "notes":
            where.append(slides)
    return where


def test_instructor_guide_lists_every_speaker_note():
    """docs/instructor-guide.md ("Presenting each notebook") lists each notebook's speaker notes by slide, so an
    instructor can read them in one place: the list must follow the notebooks when notes or slides change."""
    guide = (ROOT / "docs" / "instructor-guide.md").read_text(encoding="utf-8")
    section = guide[guide.index("**Speaker notes**") :]
    entry = r"^- \*\*(\d\d)\*\* \((\d+)(?: notes)?\): (.*?)(?=^- \*\*|^\s*$|\Z)"  # "- **03** (10): 1 ...; 3 ..."
    entries = {}
    for match in re.finditer(entry, section, re.M | re.S):
        number, count, text = match.groups()
        slides = [int(re.match(r"\d+", item).group()) for item in " ".join(text.split()).rstrip(".").split("; ")]
        entries[number] = (int(count), slides)
    assert sorted(entries) == [p.name[:2] for p in COURSE], "one entry per course notebook"
    for path in COURSE:
        where = speaker_note_slides(path)
        assert entries[path.name[:2]] == (len(where), where), f"{path.name}: the guide's list is out of date"


def test_instructor_guide_slide_counts_match_the_notebooks():
    """The guide's table ("Slides (steps)") gives each deck's length for planning a lecture: it must follow the
    notebooks' slide metadata (slides and sub-slides; steps add the fragments), as the decks count them."""
    guide = (ROOT / "docs" / "instructor-guide.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| (\d\d) [^|]*\|[^|]*\| (\d+ \(\d+\)) \|$", guide, re.M))
    assert sorted(rows) == [p.name[:2] for p in COURSE], "one row per course notebook in the presenting table"
    for path in COURSE:
        cells = [c for c in load(path)["cells"] if shown_in_decks(c)]
        slides = sum(slide_type(c) in ("slide", "subslide") for c in cells)
        steps = slides + sum(slide_type(c) == "fragment" for c in cells)
        assert rows[path.name[:2]] == f"{slides} ({steps})", f"{path.name}: the guide's slide count is out of date"


#: A check's code may stay on its slide when it is this short (source lines); a longer one shows only its output.
MAX_SHOWN_CHECK_LINES = 6
#: A check is announced by a markdown cell opening with "Check" ("**Check.**", "**Check 2: ...**", "## Check ...").
CHECK_INTRO = re.compile(r"^(#+\s*)?\**Check\b")


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.name)
def test_check_cells_show_their_confirmation_not_their_code(path):
    """Issue 8: in a check cell the slide shows the one-line confirmation, not the code. The code cells after a
    markdown cell announcing a check (up to the next shown markdown cell) are tagged ``hide-input`` unless they are
    at most MAX_SHOWN_CHECK_LINES lines; the notebook keeps the code (collapsed in JupyterLab, one click away). A
    hidden one must print its confirmation, or its slide shows nothing of the check."""
    cells = load(path)["cells"]
    problems = []
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "markdown" or not shown_in_decks(cell) or not CHECK_INTRO.match(source(cell).lstrip()):
            continue
        for j in range(i + 1, len(cells)):
            check = cells[j]
            if check["cell_type"] == "markdown" and shown_in_decks(check):
                break
            if check["cell_type"] != "code" or not shown_in_decks(check):
                continue
            hidden = input_hidden(check)
            lines = len(source(check).splitlines())
            if not hidden and lines > MAX_SHOWN_CHECK_LINES:
                problems.append(f"cell {j} ({lines} lines of code) is the check cell {i} announces: tag it hide-input")
            printed = any(out.get("name") == "stdout" or "data" in out for out in check.get("outputs", []))
            if hidden and not printed:
                problems.append(f"cell {j} hides its code but prints nothing, so its slide shows nothing of the check")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


#: Code on a slide: 20 px monospace on the 1280-px canvas wraps at about 96 characters, and 18 lines (26 px each,
#: 470 px) leave a 720-px slide room for its heading and output. Longer code is for the notebook: hide it on the
#: slides (``hide-input``: the output stays) or split the cell.
SLIDE_CODE_COLUMNS, MAX_SLIDE_CODE_LINES = 96, 18


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.name)
def test_code_shown_on_a_slide_is_short_enough_to_read(path):
    """Issue 8: code shown on slides is short enough to read from the back of the room."""
    long = []
    for i, cell in enumerate(load(path)["cells"]):
        if cell["cell_type"] != "code" or input_hidden(cell) or not shown_in_decks(cell):
            continue
        lines = sum(max(1, -(-len(line) // SLIDE_CODE_COLUMNS)) for line in source(cell).splitlines())
        if lines > MAX_SLIDE_CODE_LINES:
            long.append(f"cell {i}: {lines} lines on the slide")
    assert not long, f"{path.name}: tag hide-input or split (at most {MAX_SLIDE_CODE_LINES} lines):\n" + "\n".join(long)
