"""Compare the verdicts of two full builds of the book, made under different CPU kernels.

    .venv/bin/python tools/compare_verdicts.py results OTHER/results --label "..." [--out book/data/verdicts_other_kernels.csv]

A verdict that flips when the same book is built on another CPU's numerics (every GAN trained
along another float path) reports the noise of the models, not the paper. This tool reads the
claims both builds wrote (``<results>/claims/*.csv``), writes one row per claim with both
verdicts (atomically) and prints the flips. The claims page reads the CSV and marks the claims
whose verdict depends on the machine. ``--label`` says what the other build's kernels were.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from drs_book.claims import read_claims  # noqa: E402
from drs_lib.io import write_csv_atomic  # noqa: E402


def compare(native: pd.DataFrame, other: pd.DataFrame, label: str) -> pd.DataFrame:
    keys = ["chapter", "claim_id"]
    merged = native[keys + ["verdict"]].merge(other[keys + ["verdict"]], on=keys, how="outer",
                                              suffixes=("_native", "_other"))
    merged["verdict_native"] = merged["verdict_native"].fillna("missing")
    merged["verdict_other"] = merged["verdict_other"].fillna("missing")
    merged["same"] = merged["verdict_native"] == merged["verdict_other"]
    merged["other_kernels"] = label
    return merged.sort_values(keys).reset_index(drop=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("native", type=Path, help="results folder of the build under this machine's own kernels")
    parser.add_argument("other", type=Path, help="results folder of the build under other kernels")
    parser.add_argument("--label", required=True, help="the other build's kernel switches, in words")
    parser.add_argument("--out", type=Path, default=ROOT / "book/data/verdicts_other_kernels.csv")
    args = parser.parse_args(argv)
    native, other = read_claims(args.native), read_claims(args.other)
    if native.empty or other.empty:
        raise SystemExit(f"error: no claims in {args.native if native.empty else args.other}/claims; build the book first")
    label = args.label
    rebuilt = sorted(set(other.chapter) & set(native.chapter))
    if len(rebuilt) < native.chapter.nunique():  # a partial rebuild says so wherever the label is shown
        label += "; only chapters " + ", ".join(c[:2] for c in rebuilt) + " were rebuilt under them"
    table = compare(native, other, label)
    write_csv_atomic(table, args.out)
    flips = table[~table["same"]]
    print(f"{len(table)} claims, {int(table['same'].sum())} with the same verdict, {len(flips)} flipped:")
    for row in flips.itertuples():
        print(f"  {row.chapter} {row.claim_id}: {row.verdict_native} -> {row.verdict_other}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
