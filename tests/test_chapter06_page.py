"""Static checks of chapter 06's source (no execution): what a reader saw go wrong once must not return."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import jupytext

from drs_book.chapters import ddls_runs as runs

SOURCE = Path(__file__).resolve().parents[1] / "notebooks" / "06_ddls_comparison.md"


def _text() -> str:
    return SOURCE.read_text(encoding="utf-8")


def _code() -> str:
    notebook = jupytext.read(SOURCE)
    return "\n".join(c.source for c in notebook.cells if c.cell_type == "code")


def test_figure_and_table_labels_are_unique():
    text = _text()
    for kind in ("Figure", "Table"):
        labels = re.findall(rf"{kind} 06-([A-Z])\.", text)
        assert labels, f"no {kind} labels found"
        assert len(labels) == len(set(labels)), f"{kind} labels used twice: {sorted(labels)}"


def test_no_glue_role_inside_inline_code():
    # `{glue:text}`x`` renders the role literally
    assert not re.search(r"`\{glue(?::\w+)?\}`", _text())


def test_every_claim_names_the_ddls_paper():
    # the notebook records its claims through drs_book.chapters.ddls_runs.record_claims: read both
    code = _code() + "\n" + inspect.getsource(runs.record_claims)
    assert "runs.record_claims(ledger" in _code()
    calls = code.count("ledger.record(")
    assert calls >= 4
    assert len(re.findall(r'source="DDLS"', code)) == calls


def test_tables_are_cell_outputs_not_glued_figures():
    # a table inside a glued figure is clipped by the figure box; the book shows tables with style.html_table
    assert not re.search(r"```\{glue:figure\} table_", _text())


def test_no_development_history_in_the_prose():
    text = _text().lower()
    for phrase in ("earlier version", "former ", "previous version", "used to "):
        assert phrase not in text, phrase
