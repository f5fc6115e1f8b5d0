"""The notebook pipeline: parameter handling and atomic execution (tools/execute_notebook.py),
and the single source of pinned versions."""

import sys
from pathlib import Path

import jupytext
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import execute_notebook  # noqa: E402
import reader_view  # noqa: E402

NOTEBOOK_01 = REPO / "notebooks" / "01_ideal_rejection_sampling.md"


def all_notebooks():
    return sorted((REPO / "notebooks").glob("*.md"))


def test_every_toc_notebook_has_a_source_and_every_source_is_in_the_toc():
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    listed = {Path(f).name for f in files if f.startswith("book/executed/")}
    assert listed == {p.stem for p in all_notebooks()}


@pytest.mark.parametrize("source", all_notebooks(), ids=lambda p: p.stem)
def test_notebook_conventions(source):
    notebook = jupytext.read(source)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    defaults = execute_notebook.parameters_cell_names(notebook)
    for name in ("seed", "device", "quick", "results_dir"):
        assert name in defaults, f"{source.name}: parameters cell lacks {name!r}"
    assert defaults["quick"] is False and defaults["device"] == "auto"
    assert "quick_parameters" not in notebook.metadata.get("drs_book", {}), \
        f"{source.name}: quick values are written once, as quick= on the specs of PARAMETERS"
    quick = reader_view.quick_values(notebook, REPO)
    assert set(quick) <= set(defaults), f"{source.name}: quick parameters not in the parameters cell"
    sources = [c.source for c in notebook.cells if c.cell_type == "code"]
    assert any(s.startswith("# NBVAL_CHECK_OUTPUT") for s in sources), "no cell checked by nbval"
    assert any("params.check_" in s for s in sources), "parameters are not checked"


def test_quick_mode_injects_the_notebooks_own_small_values():
    notebook = jupytext.read(NOTEBOOK_01)
    parameters = execute_notebook.build_parameters(notebook, "quick", [])
    assert parameters["quick"] is True
    assert parameters["results_dir"] == execute_notebook.QUICK_RESULTS_DIR
    assert parameters["n_samples"] == reader_view.quick_values(notebook, REPO)["n_samples"]  # quick= on its spec
    assert parameters["n_samples"] != execute_notebook.parameters_cell_names(notebook)["n_samples"]


def test_quick_values_left_in_the_front_matter_are_refused():
    """The front matter used to hold a second copy of the quick values: one found there stops the run."""
    notebook = jupytext.read(NOTEBOOK_01)
    notebook.metadata["drs_book"] = {"quick_parameters": {"n_samples": 100}}
    for mode in ("quick", "full"):
        with pytest.raises(SystemExit, match="quick_parameters is not read.*quick= on its parameter's spec"):
            execute_notebook.build_parameters(notebook, mode, [])


def test_overrides_are_parsed_as_literals():
    notebook = jupytext.read(NOTEBOOK_01)
    parameters = execute_notebook.build_parameters(notebook, "full", [("n_seeds", "3"), ("device", "cpu")])
    assert parameters == {"n_seeds": 3, "device": "cpu"}


def test_unknown_parameter_is_refused_before_anything_runs():
    notebook = jupytext.read(NOTEBOOK_01)
    with pytest.raises(SystemExit, match=r"unknown parameter\(s\) \['n_sample'\].*defines"):
        execute_notebook.build_parameters(notebook, "full", [("n_sample", "10")])


def test_wrong_parameter_value_stops_the_notebook_at_once_and_leaves_nothing(tmp_path):
    """The check cell fails before any work, naming the parameter; no output notebook appears."""
    from papermill.exceptions import PapermillExecutionError

    destination = tmp_path / "out" / "01.ipynb"
    with pytest.raises(PapermillExecutionError) as info:
        execute_notebook.execute(NOTEBOOK_01, destination, "full", [("n_seeds", "0")], timeout=120)
    assert "parameter 'n_seeds': got 0 (int); allowed: an integer >= 2" in str(info.value)
    assert not destination.exists()
    assert list(destination.parent.iterdir()) == []


def test_versions_have_one_source():
    requirements = (REPO / "requirements.txt").read_text().splitlines()
    pins = [line for line in requirements if line and not line.startswith("#")]
    assert all("==" in line for line in pins), "every requirement is pinned exactly"
    assert "torch==2.13.0" in pins
    assert any(line.startswith("jupyter-book==1.") for line in pins)
    environment = yaml.safe_load((REPO / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    assert "-r requirements.txt" in pip_section
    conda_packages = [d for d in environment["dependencies"] if isinstance(d, str)]
    assert all("=" not in d or d.startswith("python=") for d in conda_packages), "no second set of pins"
