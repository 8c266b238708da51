"""Measure the notebook budgets: time per notebook, slowest cell, and each kernel's peak memory.

Usage: python benchmarks/notebook_budget.py [NOTEBOOK ...]   (default: every notebook, solutions included)

Budgets (issue "notebook series"): no cell over 5 s, each kernel under 500 MB peak RSS; the nbval suite
itself is timed by running pytest. Nothing is written back to the notebooks.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
PEAK_RSS = "import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"


def measure(path: Path) -> tuple[float, float, int, float]:
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PEAK_RSS))
    client = NotebookClient(nb, timeout=120, kernel_name="python3", record_timing=True,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    total = time.perf_counter() - start
    slowest, slowest_index = 0.0, -1
    for i, cell in enumerate(nb.cells[:-1]):
        timing = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            t0 = datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
            t1 = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
            if (t1 - t0).total_seconds() > slowest:
                slowest, slowest_index = (t1 - t0).total_seconds(), i
    peak_mb = int(nb.cells[-1].outputs[0]["text"].strip()) / 1024  # ru_maxrss is in KiB on Linux
    return total, slowest, slowest_index, peak_mb


def main(argv: list[str]) -> int:
    found = sorted((ROOT / "notebooks").rglob("[0-9]*.ipynb"))
    paths = [Path(a) for a in argv] or [p for p in found if ".ipynb_checkpoints" not in p.parts]
    print(f"{'notebook':58s} {'total s':>8s} {'slowest cell s':>15s} {'peak MB':>8s}")
    worst_cell, worst_mem = 0.0, 0.0
    for path in paths:
        total, slowest, index, peak = measure(path)
        worst_cell, worst_mem = max(worst_cell, slowest), max(worst_mem, peak)
        print(f"{path.name:58s} {total:8.2f} {slowest:10.2f} (#{index:<2d}) {peak:8.0f}")
    print(f"slowest cell {worst_cell:.2f} s (budget 5 s); largest kernel {worst_mem:.0f} MB (budget 500 MB)")
    return 0 if worst_cell <= 5 and worst_mem <= 500 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
