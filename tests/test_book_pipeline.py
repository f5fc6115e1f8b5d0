"""The executor's reader view, run facts and interrupt handling (tools/execute_notebook.py,
tools/reader_view.py, tools/run_facts.py), and the bibliography."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import jupytext
import nbformat
import psutil
import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import reader_view  # noqa: E402
import run_facts  # noqa: E402

from drs_lib.io import atomic_write_bytes  # noqa: E402

TINY = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A tiny chapter

Some prose under the title.

```{{code-cell}} ipython3
:tags: [parameters]

seconds = {seconds}   # how long the work cell sleeps
quick = False         # small, fast run
```

```{{code-cell}} ipython3
def check_parameters(namespace, schema):  # stands in for drs_book.params (no torch import: fast)
    for name, minimum in schema.items():
        if not isinstance(namespace[name], (int, float)) or namespace[name] < minimum:
            raise ValueError(f"parameter {{name!r}}: got {{namespace[name]!r}}; allowed: a number >= {{minimum}}")

def Float(minimum, quick):  # a spec: its minimum here, its quick value read by the runner from the source
    return minimum

PARAMETERS = {{"seconds": Float(minimum=0.0, quick=0.1)}}
check_parameters(globals(), PARAMETERS)
```

```{{code-cell}} ipython3
import time
time.sleep(seconds)
```

```{{code-cell}} ipython3
# NBVAL_CHECK_OUTPUT
print(6 * 7)
```
"""


def tiny_notebook(folder: Path, seconds: float = 0.0) -> Path:
    path = folder / "tiny.md"
    path.write_text(TINY.format(seconds=seconds))
    return path


def facts_for_tests() -> dict:
    return {"mode": "quick", "parameters": {"seconds": 0.1, "quick": True}, "date": "2026-01-01",
            "seconds": 3.0, "seconds_text": "3 s", "cache_sentence": "No model cache."}


# ------------------------------------------------------------------ reader view (no kernel)

def executed_like(source: Path) -> nbformat.NotebookNode:
    """The notebook as papermill leaves it: an injected-parameters cell after `parameters`."""
    notebook = jupytext.read(source)
    injected = nbformat.v4.new_code_cell("# Parameters\nseconds = 0.1\n")
    injected.metadata["tags"] = ["injected-parameters"]
    index = reader_view.parameters_index(notebook)
    notebook.cells.insert(index + 1, injected)
    return notebook


def test_machine_cells_are_hidden_and_prose_stays(tmp_path):
    notebook = executed_like(tiny_notebook(tmp_path))
    counts = reader_view.prepare(notebook, tmp_path / "tiny.md", REPO, facts_for_tests())
    assert counts == {"injected": 1, "check": 1, "nbval": 1, "folded_parameters": 1}
    hidden = [c.source.splitlines()[0] for c in notebook.cells if "remove-cell" in c.metadata.get("tags", [])]
    assert hidden == ["# Parameters", "def check_parameters(namespace, schema):  # stands in for drs_book.params (no torch import: fast)", "# NBVAL_CHECK_OUTPUT"]
    work = next(c for c in notebook.cells if c.source.startswith("import time"))
    assert "remove-cell" not in work.metadata.get("tags", [])
    # Title, then the two generated boxes, then the author's prose.
    sources = [c.source for c in notebook.cells if c.cell_type == "markdown"]
    assert sources[0] == "# A tiny chapter"
    assert sources[1].startswith(":::{admonition} How this page was computed")
    assert sources[2].startswith(":::{admonition} Rerun this chapter")
    assert sources[3] == "Some prose under the title."
    with pytest.raises(ValueError, match="already prepared"):
        reader_view.prepare(notebook, tmp_path / "tiny.md", REPO, facts_for_tests())


def test_rerun_box_is_generated_from_the_notebook(tmp_path):
    notebook = jupytext.read(tiny_notebook(tmp_path))
    box = reader_view.rerun_box(notebook, REPO / "notebooks" / "tiny.md", REPO)
    assert ".venv/bin/python tools/execute_notebook.py \\\n    notebooks/tiny.md out.ipynb -p seconds 0.0" in box
    assert "jupytext --to ipynb notebooks/tiny.md -o - \\\n    | papermill - out.ipynb -p seconds 0.0" in box
    # a downloaded .ipynb imports drs_lib and drs_book: the box says it needs a set-up checkout
    assert "imports `drs_lib` and `drs_book`" in box and "make setup" in box
    assert "PYTHONPATH=. .venv/bin/papermill tiny.ipynb out.ipynb -p seconds 0.0" in box
    assert "| `seconds` | `0.0` | `0.1` | how long the work cell sleeps |" in box
    assert "| `quick` | `False` | `True` | small, fast run |" in box
    assert box.startswith(":::{admonition} Rerun this chapter\n:class: tip dropdown") and box.endswith(":::")


def test_parameters_cells_are_folded_short_or_long_unless_hidden(tmp_path):
    for extra in (0, 12):
        source = TINY.format(seconds=0.0).replace(
            "quick = False         # small, fast run\n",
            "quick = False         # small, fast run\n" + "".join(f"extra_{i} = {i}\n" for i in range(extra)))
        path = tmp_path / f"p{extra}.md"
        path.write_text(source)
        notebook = jupytext.read(path)
        counts = reader_view.hide_machine_cells(notebook)
        assert counts["folded_parameters"] == 1
        assert "hide-input" in notebook.cells[reader_view.parameters_index(notebook)].metadata["tags"]
    landing = jupytext.read(REPO / "notebooks" / "00_intro.md")  # hidden there: never folded as well
    assert reader_view.hide_machine_cells(landing)["folded_parameters"] == 0


def test_every_real_notebook_gets_its_boxes_and_hides_its_checks():
    for source in sorted((REPO / "notebooks").glob("*.md")):
        notebook = jupytext.read(source)
        counts = reader_view.prepare(notebook, source, REPO, facts_for_tests())
        assert counts["check"] == 1, f"{source.name}: no parameter-checking cell after `parameters`"
        assert counts["nbval"] >= 1, source.name
        titles = [i for i, c in enumerate(notebook.cells) if c.cell_type == "markdown" and c.source.startswith("# ")]
        rerun = (len(notebook.cells) - 1 if notebook.metadata.get("drs_book", {}).get("boxes") == "end"
                 else titles[0] + 2)
        assert titles and notebook.cells[rerun].source.startswith(":::{admonition} Rerun this chapter"), source.name
        assert f"    notebooks/{source.name} out.ipynb -p seed 1" in notebook.cells[rerun].source


def test_the_landing_page_answers_first_and_keeps_its_boxes_for_the_end():
    source = REPO / "notebooks" / "00_intro.md"
    notebook = jupytext.read(source)
    reader_view.prepare(notebook, source, REPO, facts_for_tests())
    markdown = [c.source for c in notebook.cells if c.cell_type == "markdown"]
    title, _, rest = markdown[0].partition("\n")
    assert title == "# Discriminator Rejection Sampling, reproduced"
    assert rest.lstrip().startswith("```{glue:md} in_short"), "the generated answer comes right under the title"
    assert markdown[-2].startswith(":::{admonition} How this page was computed")
    assert markdown[-1].startswith(":::{admonition} Rerun this chapter")
    fresh = jupytext.read(source)
    fresh.metadata["drs_book"]["boxes"] = "middle"
    with pytest.raises(ValueError, match="drs_book.boxes: got 'middle'"):
        reader_view.prepare(fresh, source, REPO, facts_for_tests())


# ------------------------------------------------------------------ run facts (no kernel)

def test_cache_watcher_tells_read_entries_from_trained_ones(tmp_path):
    import io

    import torch

    cache = tmp_path / "models"
    buffer = io.BytesIO()
    torch.save({"seconds": 12.5}, buffer)
    old = json.dumps({"key": {"name": "gan_mixture"}}).encode() + b"\n" + buffer.getvalue()
    atomic_write_bytes(cache / "gan_mixture-aaaa.pt", old)
    atomic_write_bytes(cache / "never_touched-cccc.pt", old)
    with run_facts.CacheWatcher(cache) as watcher:
        (cache / "gan_mixture-aaaa.pt").read_bytes()
        time.sleep(0.01)
        buffer = io.BytesIO()
        torch.save({"train_seconds": 3.0}, buffer)
        atomic_write_bytes(cache / "digits-gan-bbbb.pt",
                           json.dumps({"key": {"name": "digits-gan"}}).encode() + b"\n" + buffer.getvalue())
    activity = watcher.activity
    assert activity.trained == ["digits-gan-bbbb.pt"]
    if activity.reads_known:  # Linux (inotify)
        assert activity.read == ["gan_mixture-aaaa.pt"]
    read = run_facts.describe_entries(cache, activity.read)
    trained = run_facts.describe_entries(cache, activity.trained)
    sentence = run_facts.cache_sentence(activity, read, trained)
    assert "trained in this run (and stored in the cache): `digits-gan`, which took 3 s of this run" in sentence
    if activity.reads_known:
        assert sentence.startswith("Models read from the cache, not trained in this run: `gan_mixture`; "
                                   "training it took 12 s when first built.")


def test_cache_sentence_without_cache_and_with_nothing_read(tmp_path):
    nothing = run_facts.CacheActivity(tmp_path)
    assert run_facts.cache_sentence(nothing, [], []) == \
        "No trained model was read from or written to the model cache in this run."
    assert "no model cache" in run_facts.cache_sentence(run_facts.CacheActivity(None), [], [])
    assert run_facts.cache_sentence(run_facts.CacheActivity(None), [], [], trains=False) == \
        "This page trains no model: it reads the results the chapters wrote."
    assert run_facts.format_seconds(42.4) == "42 s" and run_facts.format_seconds(600) == "10.0 min"


# ------------------------------------------------------------------ with a kernel (a few seconds each)

def runner(*args: str) -> list[str]:
    return [sys.executable, str(REPO / "tools" / "execute_notebook.py"), *args]


def child_env() -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_mid_run_leaves_nothing_behind(tmp_path, signum):
    source = tiny_notebook(tmp_path, seconds=60.0)
    out = tmp_path / "out"
    process = subprocess.Popen(runner(str(source), str(out / "tiny.ipynb")), env=child_env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    kernels: list[psutil.Process] = []
    while time.monotonic() < deadline and not kernels:  # wait until the kernel is running the sleep
        time.sleep(0.2)
        assert process.poll() is None, process.communicate()
        kernels = [p for p in psutil.Process(process.pid).children(recursive=True) if "ipykernel" in " ".join(p.cmdline())]
    assert kernels, "the kernel never started"
    assert any(p.name.endswith(".partial.ipynb") for p in out.iterdir()), "papermill writes beside the destination"
    time.sleep(1.0)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signum, stderr
    assert list(out.iterdir()) == [], "a partial notebook was left behind"
    assert "nothing written" in stderr
    gone, alive = psutil.wait_procs(kernels, timeout=10)
    assert not alive, "the kernel outlived the runner"


def test_hidden_nbval_cells_are_still_run_and_compared_by_nbval(tmp_path):
    """remove-cell only hides a cell in the book: nbval still compares it (a tampered output fails)."""
    source = tiny_notebook(tmp_path, seconds=0.0)
    good = tmp_path / "good.ipynb"
    result = subprocess.run(runner(str(source), str(good), "--mode", "quick"), env=child_env(),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "tiny: started (quick mode)" in result.stderr and "tiny: done in" in result.stderr
    notebook = nbformat.read(good, as_version=4)
    checked = next(c for c in notebook.cells if c.source.startswith("# NBVAL_CHECK_OUTPUT"))
    assert "remove-cell" in checked.metadata["tags"] and checked.outputs[0]["text"] == "42\n"
    checked.outputs[0]["text"] = "41\n"
    nbformat.write(notebook, tmp_path / "tampered.ipynb")
    result = subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider",
                             "-q", str(tampered := tmp_path / "tampered.ipynb")],
                            env=child_env(), capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert re.search(r"\b1 failed, \d+ passed\b", result.stdout), result.stdout[-2000:]
    assert f"{tampered.name}::Cell" in result.stdout


# ------------------------------------------------------------------ bibliography

def bib_entries() -> dict[str, str]:
    text = (REPO / "book" / "references.bib").read_text()
    return {m.group(1): m.group(0) for m in re.finditer(r"@\w+\{([^,]+),(.*?)\n\}", text, re.S)}


def cited_keys() -> set[str]:
    pages = [*(REPO / "notebooks").glob("*.md"), *(REPO / "book").glob("*.md")]
    keys: set[str] = set()
    for page in pages:
        for group in re.findall(r"\{cite(?::\w+)?\}`([^`]*)`", page.read_text()):
            keys |= {k.strip() for k in group.split(",")}
    return keys


def test_every_bibliography_entry_is_cited_and_every_citation_exists():
    entries, cited = bib_entries(), cited_keys()
    assert sorted(set(entries) - cited) == [], "uncited entries: remove them"
    assert sorted(cited - set(entries)) == [], "cited keys missing from references.bib"


def test_bibliography_entries_link_to_the_work_and_hold_no_raw_latex():
    for key, entry in bib_entries().items():
        assert re.search(r"\b(doi|url)\s*=", entry), f"{key}: needs a DOI or an arXiv/publisher link"
        commands = re.findall(r"\\([A-Za-z]+)", entry)
        assert commands == [], f"{key}: LaTeX commands {commands} would show as raw text"
