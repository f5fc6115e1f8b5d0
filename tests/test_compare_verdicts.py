"""tools/compare_verdicts.py: one row per claim with both builds' verdicts, and a partial rebuild named."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from drs_book import claims
from drs_book.claims import ClaimLedger

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import compare_verdicts  # noqa: E402


def _build(folder: Path, chapters: dict[str, list[float]]) -> Path:
    for chapter, values in chapters.items():
        ledger = ClaimLedger(chapter)
        ledger.record("level", f"The level of {chapter} is about 70", "70",
                      claims.matches(values, 70.0, name="x", tolerance=5), kind="claim")
        ledger.write(folder)
    return folder


def test_a_flip_is_reported_and_a_partial_rebuild_says_which_chapters(tmp_path, capsys):
    native = _build(tmp_path / "native", {"01_a": [70.0, 70.5, 69.5], "02_b": [70.0, 71.0, 69.0]})
    other = _build(tmp_path / "other", {"01_a": [90.0, 90.5, 89.5]})
    out = tmp_path / "verdicts.csv"
    assert compare_verdicts.main([str(native), str(other), "--label", "K=1", "--out", str(out)]) == 0
    table = pd.read_csv(out)
    first = table[table.chapter == "01_a"].iloc[0]
    assert (first.verdict_native, first.verdict_other, bool(first.same)) == (claims.REPRODUCED, claims.CONTRADICTED, False)
    assert table[table.chapter == "02_b"].verdict_other.tolist() == ["missing"]
    assert set(table.other_kernels) == {"K=1; only chapters 01 were rebuilt under them"}
    assert "01_a level: reproduced -> contradicted" in capsys.readouterr().out
