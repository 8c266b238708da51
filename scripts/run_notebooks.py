"""Re-run notebooks top to bottom and store their outputs so that a re-run with no change changes no byte.

Usage (from the repository root)::

    python scripts/run_notebooks.py                          # every notebook and solution
    python scripts/run_notebooks.py notebooks/02_jensen.ipynb notebooks/06_gmm_in_practice.ipynb
    python scripts/run_notebooks.py --ids-only notebooks/02_jensen.ipynb   # only renumber widget ids

Each notebook is executed as the README says (``jupyter nbconvert --to notebook --execute --inplace
--ExecutePreprocessor.record_timing=False``; never with ``MPLBACKEND`` set). Then the ipywidgets models it
stored get deterministic ids: the widget manager names every model with a random uuid4, so without this
step every re-run of a notebook with a widget (02, 06) rewrote hundreds of lines of widget state. Each id is
replaced by a hash of the notebook's name and the model's place in a fixed walk (widget views in cell
order, then the models each one references, depth first), everywhere it occurs: the ``model_id`` of the
widget views in the outputs, the keys of ``metadata.widgets`` and the ``IPY_MODEL_<id>`` references inside
the state. Consecutive stdout chunks of a cell are joined into one, since how the kernel splits its output
depends on the machine's load. The widget state itself is kept (JupyterLab and embedded HTML can show the
widgets from it), and so are the static fallback pictures next to each widget view and every stored figure.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
_REF = re.compile(r"IPY_MODEL_([0-9A-Za-z_-]+)")


def deterministic_id(notebook_name: str, index: int) -> str:
    """The id of the ``index``-th widget model of a notebook: 32 hex digits, like the uuid4 it replaces."""
    return hashlib.sha1(f"{notebook_name}:widget:{index}".encode()).hexdigest()[:32]


def _view_ids(nb: dict) -> list[str]:
    ids = []
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(WIDGET_VIEW)
            if view and view.get("model_id") not in ids:
                ids.append(view["model_id"])
    return ids


def widget_id_order(nb: dict) -> list[str]:
    """Every stored model id, in the fixed walk: views in cell order, each followed by what it references
    (depth first, in the order the references appear in its state), then models nothing reaches, by their
    state with ids masked (so the order does not depend on the random ids)."""
    state = nb.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    order: list[str] = []

    def visit(model_id: str) -> None:
        if model_id in order:
            return
        order.append(model_id)
        if model_id in state:
            for ref in _REF.findall(json.dumps(state[model_id], sort_keys=True)):
                visit(ref)

    for model_id in _view_ids(nb):
        visit(model_id)
    rest = [m for m in state if m not in order]
    rest.sort(key=lambda m: _REF.sub("IPY_MODEL_", json.dumps(state[m], sort_keys=True)))
    for model_id in rest:
        visit(model_id)
    return order


def canonical_widget_ids(nb: dict, notebook_name: str) -> dict:
    """The notebook with every widget model id replaced by :func:`deterministic_id` (a new dict)."""
    order = widget_id_order(nb)
    if not order:
        return nb
    new = {old: deterministic_id(notebook_name, i) for i, old in enumerate(order)}
    text = json.dumps(nb)
    # Ids are 32 hex digits: replacing them as whole tokens cannot touch other text.
    text = re.sub("|".join(re.escape(old) for old in sorted(new, key=len, reverse=True)),
                  lambda m: new[m.group(0)], text)
    out = json.loads(text)
    widgets = out.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE)
    if widgets and "state" in widgets:
        widgets["state"] = {new[old]: widgets["state"][new[old]] for old in order if new[old] in widgets["state"]}
    return out


def execute(path: Path) -> None:
    """Run the notebook in place the way the README says (stored outputs, no timing metadata)."""
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # with Agg no figure would be stored
    subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute", "--inplace",
         "--ExecutePreprocessor.record_timing=False", str(path)],
        check=True, env=env,
    )  # fmt: skip


def coalesce_streams(nb: dict) -> dict:
    """Join consecutive stdout (or stderr) chunks of a cell into one output.

    A cell that prints several lines may be stored as one chunk or several, depending on how the kernel's
    output happened to be flushed (a busy machine splits more); joined, the stored text is the same every run.
    """
    for cell in nb.get("cells", []):
        merged = []
        for out in cell.get("outputs", []):
            prev = merged[-1] if merged else None
            if (
                out.get("output_type") == "stream"
                and prev is not None
                and prev.get("output_type") == "stream"
                and prev.get("name") == out.get("name")
            ):
                prev["text"] = "".join(prev["text"]) + "".join(out["text"])
            else:
                merged.append(out)
        if "outputs" in cell:
            cell["outputs"] = merged
    return nb


def fix_widget_ids(path: Path) -> bool:
    """Rewrite the notebook with deterministic widget ids and joined stream chunks; True when the file changed."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    fixed = nbformat.from_dict(coalesce_streams(canonical_widget_ids(nb, path.stem)))
    before = path.read_bytes()
    nbformat.write(fixed, path)
    return path.read_bytes() != before


def notebooks(paths) -> list[Path]:
    if paths:
        return [Path(p) for p in paths]
    found = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "notebooks" / "solutions").glob("*.ipynb"))
    return [p for p in found if ".ipynb_checkpoints" not in p.parts]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="notebooks to run (default: every notebook and solution)")
    parser.add_argument("--ids-only", action="store_true", help="do not execute; only make widget ids deterministic")
    args = parser.parse_args(argv)
    for path in notebooks(args.paths):
        if not path.is_file():
            raise SystemExit(f"no such notebook: {path}")
        if not args.ids_only:
            print(f"running {path}", flush=True)
            execute(path)
        if fix_widget_ids(path):
            print(f"  widget ids made deterministic (and stream chunks joined) in {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
