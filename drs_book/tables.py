"""The book's tables (re-exported by :mod:`drs_book.style`, the one module a chapter styles with).

:func:`results_table` turns tidy per-seed rows into one row per group with "mean ± std" strings
and readable headers; :func:`html_table` shows any frame with no index artefacts inside its own
horizontally scrolling container (wide tables stay inside the column and scroll on a phone);
:func:`split_columns` splits a wide table into narrower ones.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from drs_book.report import mean_std


_ABBREVIATIONS = {"drs": "DRS", "ddls": "DDLS", "gan": "GAN", "fid": "FID", "is": "IS", "kl": "KL",
                  "ks": "KS", "hq": "high-quality", "std": "std", "mh": "MH", "dot": "DOT", "id": "id"}


def readable_header(name: object) -> str:
    """``"acceptance_rate"`` → ``"acceptance rate"``; known abbreviations upper-cased."""
    if isinstance(name, tuple):
        return " ".join(readable_header(part) for part in name if str(part))
    words = str(name).replace("_", " ").split()
    return " ".join(_ABBREVIATIONS.get(word.lower(), word) for word in words)


def results_table(rows: pd.DataFrame, *, by: str | Sequence[str], values: Mapping[str, str] | Sequence[str],
                  digits: int | Mapping[str, int] = 2, headers: Mapping[str, str] | None = None,
                  order: Sequence | None = None, min_seeds: int = 2) -> pd.DataFrame:
    """One row per group of tidy per-seed ``rows``: each value column as a "mean ± std" string.

    ``by``: the grouping column(s) (kept as ordinary first columns, never as an index).
    ``values``: value columns, or a mapping column → header. ``digits``: decimals (per column).
    ``headers``: headers for the ``by`` columns (default :func:`readable_header`).
    ``order``: the groups' order (values of the single ``by`` column); default: first seen.
    A group with fewer than ``min_seeds`` rows is an error (a "± nan" would hide it).
    """
    by = [by] if isinstance(by, str) else list(by)
    columns = dict(values) if isinstance(values, Mapping) else {v: readable_header(v) for v in values}
    missing = [c for c in [*by, *columns] if c not in rows.columns]
    if missing:
        raise KeyError(f"results_table: columns {missing} not in the frame (it has {list(rows.columns)})")
    headers = dict(headers or {})
    out = []
    for key, group in rows.groupby(by, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        if len(group) < min_seeds:
            raise ValueError(f"group {key} has {len(group)} row(s); mean ± std needs at least {min_seeds}")
        record = {headers.get(b, readable_header(b)): k for b, k in zip(by, key)}
        for column, header in columns.items():
            d = digits[column] if isinstance(digits, Mapping) else digits
            record[header] = mean_std(group[column].to_numpy(dtype=float), digits=d)
        out.append(record)
    table = pd.DataFrame(out)
    if order is not None:
        if len(by) != 1:
            raise ValueError("order= needs a single 'by' column")
        first = headers.get(by[0], readable_header(by[0]))
        unknown = set(table[first]) - set(order)
        if unknown:
            raise ValueError(f"order= lacks groups {sorted(map(str, unknown))}")
        rank = {value: i for i, value in enumerate(order)}
        table = table.sort_values(first, key=lambda s: s.map(rank)).reset_index(drop=True)
    return table


class HTMLTable:
    """HTML for a table inside its own horizontally scrolling container (see :func:`html_table`)."""

    def __init__(self, html_text: str, frame: pd.DataFrame) -> None:
        self.html = html_text
        self.frame = frame

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:  # the text/plain fallback: a clean text table, no index
        return self.frame.to_string(index=False)


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """No index artefacts: named or non-default index → columns; MultiIndex headers joined."""
    frame = frame.copy()
    if not isinstance(frame.index, pd.RangeIndex) or any(name is not None for name in frame.index.names):
        frame = frame.reset_index()
    frame.columns = [readable_header(c) if isinstance(c, tuple) else str(c) for c in frame.columns]
    frame.columns.name = None
    return frame


def html_table(frame: pd.DataFrame, *, caption: str | None = None, headers: Mapping[str, str] | None = None,
               readable: bool = True, align_numbers: bool = True) -> HTMLTable:
    """A frame as a plain HTML table for people, in a container that scrolls sideways.

    The index is dropped (a meaningful index becomes a column first), MultiIndex headers are
    joined, no header row is left orphaned, headers are made readable (``headers`` overrides).
    The container (class ``drs-table``) has ``overflow-x: auto`` inline, so a wide table
    scrolls inside its own box on a phone instead of widening the page.
    """
    flat = _flat(frame)
    renames = {c: (headers or {}).get(c, readable_header(c) if readable else c) for c in flat.columns}
    flat = flat.rename(columns=renames)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in flat.columns)
    body = []
    for row in flat.itertuples(index=False):
        cells = []
        for value in row:
            text = _cell_text(value)
            numeric = align_numbers and _looks_numeric(text)
            cells.append(f'<td class="{"drs-num" if numeric else "drs-text"}">{html.escape(text)}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    caption_html = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    table = (f'<table class="drs-table-inner table">{caption_html}<thead><tr>{head}</tr></thead>'
             f"<tbody>{''.join(body)}</tbody></table>")
    container = (f'<div class="drs-table" style="overflow-x: auto; max-width: 100%;">{table}</div>')
    return HTMLTable(container, flat)


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    return str(value)


def _looks_numeric(text: str) -> bool:
    return bool(re.fullmatch(r"[-+−]?[\d.,]+(e[-+]?\d+)?( ± [\d.,]+(e[-+]?\d+)?)?\s*%?", text.strip()))


def split_columns(frame: pd.DataFrame, *, keep: Sequence[str], max_columns: int) -> list[pd.DataFrame]:
    """Split a wide table into several with at most ``max_columns`` columns each, every part
    repeating the ``keep`` columns (e.g. the method name) first."""
    missing = [c for c in keep if c not in frame.columns]
    if missing:
        raise KeyError(f"split_columns: keep columns {missing} not in the frame")
    rest = [c for c in frame.columns if c not in keep]
    width = max_columns - len(keep)
    if width < 1:
        raise ValueError(f"max_columns ({max_columns}) must exceed the {len(keep)} kept column(s)")
    return [frame[list(keep) + rest[i : i + width]] for i in range(0, len(rest), width)]
