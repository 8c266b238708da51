"""Write emlab/data/digits_binary.csv: the 1,797 UCI 8x8 digits, binarised, from scikit-learn's local copy.

Run once at build time (scikit-learn installed; no network is used: scikit-learn ships the
data in its wheel as ``sklearn/datasets/data/digits.csv.gz``)::

    python scripts/build_digits.py            # writes emlab/data/digits_binary.csv
    python scripts/build_digits.py --check    # exits 1 if the shipped file differs from a rebuild

Format: a header line ``label,pixels``, then one line per image in scikit-learn's order: the
digit 0-9 and its 64 binarised pixels as 16 hexadecimal digits, row-major with pixel 0 (top
left) as the most significant bit. A pixel is 1 when its count of "on" cells in the 4x4 block
is >= THRESHOLD (the original values are 0..16). See emlab/data/README.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

THRESHOLD = 8
OUT = Path(__file__).resolve().parents[1] / "emlab" / "data" / "digits_binary.csv"


def build() -> str:
    from sklearn.datasets import load_digits

    digits = load_digits()
    X = (digits.data >= THRESHOLD).astype(np.uint8)
    assert X.shape == (1797, 64) and digits.target.shape == (1797,)
    packed = np.packbits(X, axis=1, bitorder="big")  # (1797, 8) bytes, pixel 0 = top bit of byte 0
    lines = ["label,pixels"]
    lines += [f"{int(y)},{row.tobytes().hex()}" for y, row in zip(digits.target, packed, strict=True)]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the shipped file instead of writing")
    args = parser.parse_args(argv)
    text = build()
    if args.check:
        same = OUT.read_text(encoding="utf-8") == text
        print(f"{OUT}: {'up to date' if same else 'DIFFERS from a rebuild'}")
        return 0 if same else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
