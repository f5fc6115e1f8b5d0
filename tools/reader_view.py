"""Prepare an executed notebook for readers of the book (run by tools/execute_notebook.py).

Applied to the executed notebook before it is moved into place; it changes cell tags and
inserts two generated Markdown cells, never code or outputs, so nbval still re-runs and
compares every cell (tags such as ``remove-cell`` only matter to Jupyter Book).

* papermill's ``injected-parameters`` cell, the parameter-checking cell right after the
  ``parameters`` cell, and every cell whose first line is ``# NBVAL_CHECK_OUTPUT`` are tagged
  ``remove-cell``: they are for the machine, not the reader.
* the ``parameters`` cell is folded (``hide-input``) unless the page hides it.
* under the chapter's title: a "How this page was computed" note (mode, parameters given,
  execution time, what came from the model cache) and a folded "Rerun this chapter" box
  generated from the notebook itself (commands, how to install drs_lib, and a parameter table:
  defaults and meanings from the ``parameters`` cell, quick values from the ``quick=`` of the
  specs of its ``PARAMETERS`` schema, :func:`quick_values`).
  A page whose front matter says ``drs_book: {boxes: end}`` (the landing page, whose first
  screen is its answer) gets both at its end instead.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

import nbformat

HIDDEN = "remove-cell"
FOLDED = "hide-input"
NBVAL_MARKER = "# NBVAL_CHECK_OUTPUT"
GENERATED = "drs-book-generated"
EXAMPLE_OVERRIDE = ("seed", "1")


@dataclass
class Parameter:
    name: str
    default: str
    meaning: str


def tags(cell) -> list[str]:
    return cell.setdefault("metadata", {}).setdefault("tags", [])


def add_tag(cell, tag: str) -> None:
    if tag not in tags(cell):
        tags(cell).append(tag)


def is_nbval_checked(cell) -> bool:
    return cell.cell_type == "code" and cell.source.lstrip().startswith(NBVAL_MARKER)


def parameters_index(notebook) -> int | None:
    for i, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            return i
    return None


def parameter_table(source: str) -> list[Parameter]:
    """(name, default as written, trailing comment) for each assignment of a parameters cell."""
    comments: dict[int, str] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                comments[token.start[0]] = token.string.lstrip("#").strip()
    except (tokenize.TokenError, IndentationError):
        pass
    rows = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = ast.get_source_segment(source, node.value) or ""
            for target in targets:
                if isinstance(target, ast.Name):
                    rows.append(Parameter(target.id, value, comments.get(node.end_lineno, "")))
    return rows


SCHEMA = "PARAMETERS"


def checking_cell(notebook):
    """The code cell right after ``parameters`` (papermill's injected cell skipped), or None."""
    index = parameters_index(notebook)
    if index is None:
        return None
    return next((c for c in notebook.cells[index + 1 :]
                 if c.cell_type == "code" and "injected-parameters" not in tags(c)), None)


def _schema_literal(source: str, where: str, repo_root: Path) -> ast.Dict | None:
    """The ``PARAMETERS = {...}`` dict of ``source``, or of the module it is imported from."""
    for node in ast.parse(source).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Dict):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == SCHEMA for t in targets):
                return node.value
        if isinstance(node, ast.ImportFrom) and node.module and any(a.name == SCHEMA and a.asname in (None, SCHEMA)
                                                                    for a in node.names):
            module = repo_root / (node.module.replace(".", "/") + ".py")
            if not module.is_file():
                raise ValueError(f"{where}: {SCHEMA} is imported from {node.module}, not a module of this checkout")
            return _schema_literal(module.read_text(), str(module.relative_to(repo_root)), repo_root)
    return None


def quick_values(notebook, repo_root: Path) -> dict[str, object]:
    """The notebook's quick values, read from its source: the ``quick=`` literal of each spec of its
    ``PARAMETERS`` schema (in the checking cell, or in the module that cell imports it from).

    The one place quick values are written (``drs_book.params.Spec``); read without running the
    notebook's code, so the runner imports no torch. ``tests/test_parameter_schemas.py`` checks
    that this reading equals ``params.quick_values(PARAMETERS)`` at run time.
    """
    cell = checking_cell(notebook)
    schema = _schema_literal(cell.source, "the checking cell", repo_root) if cell is not None else None
    if schema is None:
        raise ValueError(f"no {SCHEMA} schema in the cell after the parameters cell")
    values: dict[str, object] = {}
    for key, spec in zip(schema.keys, schema.values):
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            raise ValueError(f"{SCHEMA}: every key must be a parameter's name as a string, got {ast.unparse(key)}")
        for keyword in spec.keywords if isinstance(spec, ast.Call) else []:
            if keyword.arg == "quick":
                try:
                    values[key.value] = ast.literal_eval(keyword.value)
                except ValueError:
                    raise ValueError(f"{SCHEMA}[{key.value!r}]: quick={ast.unparse(keyword.value)} "
                                     "is not a Python literal") from None
    return values


def hide_machine_cells(notebook) -> dict[str, int]:
    """Tag the cells readers should not see or should see folded; returns counts per kind."""
    counts = {"injected": 0, "check": 0, "nbval": 0, "folded_parameters": 0}
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        if "injected-parameters" in tags(cell):
            add_tag(cell, HIDDEN)
            counts["injected"] += 1
        if is_nbval_checked(cell):
            add_tag(cell, HIDDEN)
            counts["nbval"] += 1
    index = parameters_index(notebook)
    if index is not None:
        parameters = notebook.cells[index]
        # Folded on every page: shown inline, its trailing comments were clipped at the column's edge;
        # the "Rerun this chapter" box lists the same parameters in a table that wraps.
        if HIDDEN not in tags(parameters):
            add_tag(parameters, FOLDED)
            counts["folded_parameters"] = 1
        check = checking_cell(notebook)
        if check is not None and "check_" in check.source:  # the drs_book.params checks (DEVELOPING.md convention)
            add_tag(check, HIDDEN)
            counts["check"] += 1
    return counts


def _md_cell(text: str):
    cell = nbformat.v4.new_markdown_cell(text)
    add_tag(cell, GENERATED)
    return cell


def _escape_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def rerun_box(notebook, source: Path, repo_root: Path) -> str:
    """The "Rerun this chapter" admonition, generated from the notebook's parameters cell."""
    try:
        relative = source.resolve().relative_to(repo_root)
    except ValueError:
        relative = Path("notebooks") / source.name
    index = parameters_index(notebook)
    rows = parameter_table(notebook.cells[index].source) if index is not None else []
    quick = quick_values(notebook, repo_root)
    stem = source.stem
    name, value = EXAMPLE_OVERRIDE if any(r.name == EXAMPLE_OVERRIDE[0] for r in rows) else (
        (rows[0].name, rows[0].default) if rows else ("NAME", "VALUE"))
    table = ["| parameter | default | quick | meaning |", "| --- | --- | --- | --- |"]
    for row in rows:
        quick_value = f"`{quick[row.name]!r}`" if row.name in quick else ("`True`" if row.name == "quick" else "")
        table.append(f"| `{row.name}` | `{_escape_cell(row.default)}` | {quick_value} | {_escape_cell(row.meaning)} |")
    return "\n".join([
        ":::{admonition} Rerun this chapter",
        ":class: tip dropdown",
        "",
        f"This page is the executed notebook `{relative.as_posix()}`. In a checkout of the book's",
        "repository (after `make setup`), this project's runner executes it with other values:",
        "",
        "```bash",
        ".venv/bin/python tools/execute_notebook.py \\",
        f"    {relative.as_posix()} out.ipynb -p {name} {value}",
        "```",
        "",
        "`-p NAME VALUE` may be repeated (VALUE is read as a Python literal); `--mode quick` uses the",
        "small test values of the *quick* column. A name the notebook does not define is refused",
        "before anything runs, and a value it cannot run with stops the run in its first cell, with",
        "a message naming the parameter, the value and what is allowed.",
        "",
        "The same with Jupytext and papermill alone (papermill only warns about an unknown name):",
        "",
        "```bash",
        f"jupytext --to ipynb {relative.as_posix()} -o - \\",
        f"    | papermill - out.ipynb -p {name} {value}",
        "```",
        "",
        "**What the downloaded notebook needs.** The `.ipynb` of the download button (top right)",
        "imports `drs_lib` and `drs_book` (the book's machinery, which is not in `drs_lib`'s wheel), so it",
        "does not run alone: it needs a checkout of the repository set up with `make setup` (the",
        "pinned packages in `.venv/`). In the checkout's root folder, where results and the model cache",
        "are written:",
        "",
        "```bash",
        "make setup",
        f"PYTHONPATH=. .venv/bin/papermill {stem}.ipynb out.ipynb -p {name} {value}",
        "```",
        "",
        "The notebook's parameters (its `parameters` cell; *quick*: the values `--mode quick` sets):",
        "",
        *table,
        ":::",
    ])


def facts_box(facts: dict) -> str:
    """The "How this page was computed" note (facts gathered by the runner)."""
    mode = facts["mode"]
    scale = ("in **quick mode** (the notebook's small test values, so numbers are noisier than at "
             "paper scale)" if mode == "quick" else "at **paper scale** (the notebook's own defaults)")
    given = facts.get("parameters", {})
    shown = {k: v for k, v in given.items() if k not in ("quick", "results_dir")}
    lines = [
        ":::{admonition} How this page was computed",
        ":class: note",
        "",
        f"Executed on {facts['date']} {scale}, in {facts['seconds_text']} of wall time"
        + (f" on {facts['device']}" if facts.get("device") else "") + ".",
    ]
    if shown:
        lines.append("Values set for this run: " + ", ".join(f"`{k} = {v!r}`" for k, v in sorted(shown.items())) + ".")
    lines += [facts["cache_sentence"], ":::"]
    return "\n".join(lines)


_TITLE = re.compile(r"^# \S.*$", re.M)


def insert_under_title(notebook, cells: list) -> None:
    """Insert ``cells`` right under the first ``# Title`` (splitting its Markdown cell)."""
    for i, cell in enumerate(notebook.cells):
        if cell.cell_type != "markdown":
            continue
        match = _TITLE.search(cell.source)
        if not match:
            continue
        head = cell.source[: match.end()]
        rest = cell.source[match.end() :].lstrip("\n")
        cell.source = head
        notebook.cells[i + 1 : i + 1] = cells + ([nbformat.v4.new_markdown_cell(rest)] if rest.strip() else [])
        return
    notebook.cells[0:0] = cells


def prepare(notebook, source: Path, repo_root: Path, facts: dict) -> dict[str, int]:
    """All of the above, in place. ``facts``: see :func:`facts_box`."""
    if any(GENERATED in c.get("metadata", {}).get("tags", []) for c in notebook.cells):
        raise ValueError("notebook already prepared for readers")
    counts = hide_machine_cells(notebook)
    boxes = [_md_cell(facts_box(facts)), _md_cell(rerun_box(notebook, source, repo_root))]
    where = notebook.metadata.get("drs_book", {}).get("boxes", "under_title")
    if where not in ("under_title", "end"):
        raise ValueError(f"drs_book.boxes: got {where!r}; allowed: 'under_title' or 'end'")
    if where == "end":
        notebook.cells.extend(boxes)
    else:
        insert_under_title(notebook, boxes)
    notebook.metadata.setdefault("drs_book", {})["run"] = facts
    return counts
