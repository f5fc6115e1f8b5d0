"""Execute one Jupytext (MyST) notebook with papermill, atomically.

    python tools/execute_notebook.py notebooks/01_x.md _build/executed/full/01_x.ipynb --mode full
    python tools/execute_notebook.py notebooks/01_x.md out.ipynb --mode quick -p seed 3

* ``--mode full`` runs the notebook's own (paper-scale) defaults.
* ``--mode quick`` injects ``quick=True`` plus the small values the notebook itself lists
  under ``drs_book: quick_parameters:`` in its front matter, and sends results to a
  separate folder so that quick runs never overwrite paper-scale results.
* ``-p NAME VALUE`` overrides one parameter (VALUE is read as a Python literal, else as a
  string). A name the notebook's ``parameters`` cell does not define is refused before
  anything runs.

The executed notebook is written beside its destination under a temporary name and moved
into place only when execution succeeded, so an interrupted run leaves nothing
half-written at the destination.
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
import tempfile
from pathlib import Path

import jupytext
import nbformat
import papermill

from drs_lib.io import ordinary_permissions

REPO_ROOT = Path(__file__).resolve().parents[1]
QUICK_RESULTS_DIR = "_build/quick/results"


def parameters_cell_names(notebook: nbformat.NotebookNode) -> dict[str, object]:
    """Names and default values assigned in the cell tagged ``parameters``."""
    cells = [c for c in notebook.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise SystemExit(f"error: expected exactly one cell tagged 'parameters', found {len(cells)}")
    names: dict[str, object] = {}
    for node in ast.parse(cells[0].source).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    try:
                        names[target.id] = ast.literal_eval(node.value)
                    except ValueError:
                        names[target.id] = None
    return names


def parse_value(text: str) -> object:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def build_parameters(notebook, mode: str, overrides: list[tuple[str, str]]) -> dict[str, object]:
    defaults = parameters_cell_names(notebook)
    parameters: dict[str, object] = {}
    if mode == "quick":
        quick = notebook.metadata.get("drs_book", {}).get("quick_parameters", {})
        parameters.update(quick)
        parameters["quick"] = True
        if "results_dir" in defaults:
            parameters["results_dir"] = QUICK_RESULTS_DIR
    for name, value in overrides:
        parameters[name] = parse_value(value)
    unknown = sorted(set(parameters) - set(defaults))
    if unknown:
        raise SystemExit(
            f"error: unknown parameter(s) {unknown} for this notebook; "
            f"its parameters cell defines {sorted(defaults)}"
        )
    return parameters


def tag_injected_cell(path: Path) -> None:
    """Hide papermill's injected-parameters cell in the book (it stays in the .ipynb)."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            tags.append("remove-cell")
    nbformat.write(notebook, path)


def execute(source: Path, destination: Path, mode: str, overrides, timeout: int) -> None:
    notebook = jupytext.read(source)
    notebook.metadata.setdefault(
        "kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"}
    )
    parameters = build_parameters(notebook, mode, overrides)
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, partial_name = tempfile.mkstemp(
        dir=destination.parent, prefix=f".{destination.stem}.", suffix=".partial.ipynb"
    )
    os.close(handle)
    partial = Path(partial_name)
    try:
        papermill.execute_notebook(
            notebook,
            str(partial),
            parameters=parameters,
            kernel_name=notebook.metadata["kernelspec"]["name"],
            cwd=str(REPO_ROOT),
            execution_timeout=timeout,
            progress_bar=False,
            log_output=False,
        )
        tag_injected_cell(partial)
        ordinary_permissions(partial)
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, help="Jupytext MyST notebook (notebooks/*.md)")
    parser.add_argument("destination", type=Path, help="executed .ipynb to write")
    parser.add_argument("--mode", choices=["full", "quick"], default="full")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    parser.add_argument("--timeout", type=int, default=3600, help="per-cell timeout in seconds")
    args = parser.parse_args(argv)
    if not args.source.is_file():
        raise SystemExit(f"error: notebook source {args.source} does not exist")
    execute(args.source, args.destination, args.mode, args.parameter, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
