"""Exercise stubs and their solutions cannot drift apart.

For every exercise, the function a notebook's stub asks for and the function its solution notebook
writes have the same signature and docstring, and are checked by the same ``exercises.check_*`` call.
Both are read from the notebooks' code cells with ``ast``: no kernel is started.
"""

import ast
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
PAIRS = sorted(
    (nb, NOTEBOOKS / "solutions" / f"{nb.stem}_solutions.ipynb")
    for nb in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")
    if (NOTEBOOKS / "solutions" / f"{nb.stem}_solutions.ipynb").exists()
)


def _exercises(path: Path) -> dict[str, dict]:
    """{function name: its signature, docstring and checker} for every function a checker is called on."""
    trees = [ast.parse(cell.source) for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]
    functions, checked = {}, {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                functions[node.name] = node
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "exercises"
                and node.func.attr.startswith("check_")
            ):
                assert len(node.args) == 1 and isinstance(node.args[0], ast.Name), ast.unparse(node)
                checked[node.args[0].id] = ast.unparse(node)
    out = {}
    for name, call in checked.items():
        assert name in functions, f"{path.name}: {call} checks a function the notebook does not define"
        fn = functions[name]
        out[name] = {
            "signature": f"def {name}({ast.unparse(fn.args)})",
            "docstring": ast.get_docstring(fn),
            "checker call": call,
        }
    return out


def test_every_exercise_notebook_has_a_solution_notebook():
    with_checkers = [nb for nb in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) if _exercises(nb)]
    assert [nb for nb, _ in PAIRS if nb in with_checkers] == with_checkers
    assert {"02", "03", "04", "05", "06", "07", "08", "09", "10"} <= {nb.stem[:2] for nb in with_checkers}


# Stubs allowed to differ from their solution (none): an entry makes the pair a strict xfail.
KNOWN_DRIFT: dict = {}


def _params():
    for stub, solution in PAIRS:
        for name in _exercises(stub):
            key = (stub.stem[:2], name)
            marks = [pytest.mark.xfail(strict=True, reason=KNOWN_DRIFT[key])] if key in KNOWN_DRIFT else []
            yield pytest.param(stub, solution, name, id=f"{stub.stem}:{name}", marks=marks)


@pytest.mark.parametrize(("stub", "solution", "name"), list(_params()))
def test_stub_and_solution_agree(stub, solution, name):
    mine, theirs = _exercises(stub)[name], _exercises(solution).get(name)
    assert theirs is not None, f"{solution.name} does not define and check {name}"
    for what in ("signature", "docstring", "checker call"):
        assert mine[what] == theirs[what], (
            f"{name}: the {what} differs\n stub:     {mine[what]!r}\n solution: {theirs[what]!r}"
        )


@pytest.mark.parametrize(("stub", "solution"), PAIRS, ids=[nb.stem for nb, _ in PAIRS])
def test_solutions_solve_exactly_the_stubbed_exercises(stub, solution):
    assert sorted(_exercises(solution)) == sorted(_exercises(stub))
