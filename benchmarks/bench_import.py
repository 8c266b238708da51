"""How long ``import emlab`` takes, against importing numpy and the scipy parts it needs.

Usage::

    python benchmarks/bench_import.py [--repeats 15]

Each import runs in a fresh interpreter (``python -c ...``), the three commands
interleaved so machine noise hits all alike; the table shows the median wall time
of each, with the interpreter's own start-up (``python -c pass``) subtracted, and
the ratio to the numpy/scipy baseline. Goal (issue "Structure", item 6): at most 1.5x.
It also lists any plotting module (matplotlib, seaborn, pandas) the import loaded: none is the goal.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "python (start-up only)": "pass",
    "numpy, scipy.linalg, scipy.special": "import numpy, scipy.linalg, scipy.special",
    "import emlab": "import emlab",
    "from emlab import GaussianMixture, e_step": "from emlab import GaussianMixture, e_step",
}
HEAVY = ("matplotlib", "seaborn", "pandas")


def wall(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    times = {name: [] for name in COMMANDS}
    for _ in range(args.repeats):
        for name, code in COMMANDS.items():
            times[name].append(wall(code))
    med = {name: statistics.median(t) for name, t in times.items()}
    start_up = med.pop("python (start-up only)")
    base = med["numpy, scipy.linalg, scipy.special"] - start_up
    print(f"median of {args.repeats} fresh interpreters, interpreter start-up ({start_up * 1e3:.0f} ms) subtracted")
    for name, t in med.items():
        print(f"  {name:45s} {(t - start_up) * 1e3:7.0f} ms   {(t - start_up) / base:5.2f} x baseline")
    probe = (
        "import sys, emlab; from emlab import GaussianMixture, e_step; "
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout.strip()
    print(f"plotting modules loaded by the import: {loaded}")


if __name__ == "__main__":
    main()
