"""Execute one Jupytext (MyST) notebook with papermill, atomically.

    python tools/execute_notebook.py notebooks/01_x.md _build/executed/full/01_x.ipynb --mode full
    python tools/execute_notebook.py notebooks/01_x.md out.ipynb --mode quick -p seed 3

* ``--mode full`` runs the notebook's own (paper-scale) defaults.
* ``--mode quick`` injects ``quick=True`` plus the small values the notebook itself gives
  as ``quick=`` on the specs of its ``PARAMETERS`` schema (read from the source by
  ``reader_view.quick_values``), and sends results to a separate folder so that quick runs
  never overwrite paper-scale results.
* ``-p NAME VALUE`` overrides one parameter (VALUE is read as a Python literal, else as a
  string). A name the notebook's ``parameters`` cell does not define is refused before
  anything runs.

The executed notebook is written beside its destination under a temporary name and moved
into place only when execution succeeded, so an interrupted run (Ctrl-C, ``kill``: SIGINT
and SIGTERM alike) leaves nothing half-written at the destination; the kernel is shut down.

Before the rename the notebook is prepared for readers (``tools/reader_view.py``: machine
cells hidden, long parameters folded, "How this page was computed" and "Rerun this chapter"
boxes under the title). One line goes to stderr as the run starts and one as it ends (name,
seconds, and what the model cache did: read or trained, watched by ``tools/run_facts.py``).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import datetime
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

import jupytext
import nbformat
import papermill

from drs_lib.io import ordinary_permissions

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reader_view  # noqa: E402
import run_facts  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[1]


def kernel_sees_the_checkout() -> None:
    """drs_book (the book's machinery) is not installed: the notebook's kernel finds it through the
    checkout's root on PYTHONPATH (the Makefile exports it; set here for a run by hand). Done when a
    run starts, not on import, so that a test importing this module leaves its environment alone
    (an install test's pip would otherwise see the checkout and skip installing drs_lib)."""
    repo = str(REPO_ROOT)
    if repo not in os.environ.get("PYTHONPATH", "").split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (repo, os.environ.get("PYTHONPATH", "")) if p)
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
    if "quick_parameters" in notebook.metadata.get("drs_book", {}):
        raise SystemExit("error: the front matter's drs_book.quick_parameters is not read: a quick value is "
                         "written once, as quick= on its parameter's spec in the PARAMETERS schema")
    try:  # read in every mode, so that a schema the reader view cannot read stops the run before it starts
        quick = reader_view.quick_values(notebook, REPO_ROOT)
    except ValueError as error:
        raise SystemExit(f"error: {error}") from None
    if mode == "quick":
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


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when SIGTERM (or SIGHUP) arrives: unwinds like Ctrl-C, so the
    kernel is shut down and the partial notebook removed by the same ``finally`` clauses."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"terminated by {signal.Signals(signum).name}")
        self.signum = signum


@contextlib.contextmanager
def interrupts_unwind():
    """Turn SIGTERM/SIGHUP into :class:`Terminated` while the block runs (main thread only)."""
    def handler(signum, frame):
        # Only the first signal unwinds; later ones must not interrupt the cleanup.
        for number in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, signal.SIG_IGN)
        raise Terminated(signum)

    previous = {number: signal.signal(number, handler) for number in (signal.SIGTERM, signal.SIGHUP)}
    # A shell that starts a job in the background (`make book &`) makes it ignore SIGINT, and
    # Python then installs no Ctrl-C handler: restore it so SIGINT unwinds here too.
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        for number, old in previous.items():
            signal.signal(number, old)


def progress(message: str) -> None:
    print(f"[execute_notebook] {message}", file=sys.stderr, flush=True)


def cache_directory(notebook, parameters: dict[str, object]) -> Path | None:
    """The model cache folder this run will use (None if the notebook has none or it is off)."""
    values = {**parameters_cell_names(notebook), **parameters}
    if not values.get("use_cache", True) or not isinstance(values.get("cache_dir"), str):
        return None
    path = Path(values["cache_dir"])
    return path if path.is_absolute() else REPO_ROOT / path


def gather_facts(mode: str, parameters: dict, seconds: float, activity, trains: bool = True) -> dict:
    directory = activity.directory
    read = run_facts.describe_entries(directory, activity.read) if directory else []
    trained = run_facts.describe_entries(directory, activity.trained) if directory else []
    return {
        "mode": mode,
        "parameters": {k: v for k, v in parameters.items()},
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        "seconds": round(seconds, 1),
        "seconds_text": run_facts.format_seconds(seconds),
        "cache": activity.to_json(),
        "cache_read_training_seconds": [f.seconds for f in read],
        "cache_sentence": run_facts.cache_sentence(activity, read, trained, trains=trains),
    }


def execute(source: Path, destination: Path, mode: str, overrides, timeout: int) -> dict:
    """Execute ``source`` into ``destination`` atomically; returns the run facts."""
    notebook = jupytext.read(source)
    notebook.metadata.setdefault(
        "kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"}
    )
    parameters = build_parameters(notebook, mode, overrides)
    kernel_sees_the_checkout()
    destination.parent.mkdir(parents=True, exist_ok=True)
    name = source.stem
    progress(f"{name}: started ({mode} mode)")
    start = time.perf_counter()
    outcome = "failed"
    partial: Path | None = None
    try:
        with interrupts_unwind():
            handle, partial_name = tempfile.mkstemp(
                dir=destination.parent, prefix=f".{destination.stem}.", suffix=".partial.ipynb"
            )
            os.close(handle)
            partial = Path(partial_name)
            with run_facts.CacheWatcher(cache_directory(notebook, parameters)) as watcher:
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
            seconds = time.perf_counter() - start
            # 00_* pages summarise the chapters' results (the Makefile runs them last): they train nothing
            facts = gather_facts(mode, parameters, seconds, watcher.activity, trains=not name.startswith("00_"))
            executed = nbformat.read(partial, as_version=4)
            reader_view.prepare(executed, source, REPO_ROOT, facts)
            nbformat.write(executed, partial)
            ordinary_permissions(partial)
            os.replace(partial, destination)
            outcome = f"done in {facts['seconds_text']}; " + facts['cache_sentence'].replace('`', '')
            return facts
    except KeyboardInterrupt as interrupt:
        outcome = f"interrupted ({interrupt}); nothing written"
        raise
    finally:
        if partial is not None:
            partial.unlink(missing_ok=True)
        if outcome == "failed":
            outcome = f"failed after {run_facts.format_seconds(time.perf_counter() - start)}; nothing written"
        progress(f"{name}: {outcome}")


def main(argv: list[str] | None = None) -> int | None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", type=Path, help="Jupytext MyST notebook (notebooks/*.md)")
    parser.add_argument("destination", type=Path, help="executed .ipynb to write")
    parser.add_argument("--mode", choices=["full", "quick"], default="full")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    parser.add_argument("--timeout", type=int, default=3600, help="per-cell timeout in seconds")
    args = parser.parse_args(argv)
    if not args.source.is_file():
        raise SystemExit(f"error: notebook source {args.source} does not exist")
    try:
        execute(args.source, args.destination, args.mode, args.parameter, args.timeout)
    except Terminated as stop:
        return 128 + stop.signum
    except KeyboardInterrupt:
        return 128 + signal.SIGINT


if __name__ == "__main__":
    sys.exit(main())
