"""Declarative parameter checks: the specs of drs_book.params, and every notebook's schema.

Each notebook's cell after ``parameters`` holds ``PARAMETERS = {name: spec}`` and one call,
``params.check_parameters(globals(), PARAMETERS)``. The tests below run that cell on the
notebook's own defaults and quick values (it does no work), and require the schema to name
exactly the parameters of the ``parameters`` cell: a parameter added without a check fails here.

Each fact about a parameter is written once: its default (a literal) and meaning (a comment) in
the ``parameters`` cell, what it may be and its quick value (``quick=``) in its spec. The tests
require the front matter to hold no quick values, the runner's reading of the source to give
the same quick values as the schema at run time, and no quick value to restate its default.
"""

from __future__ import annotations

import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
import torch

from drs_book import params

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))
import execute_notebook  # noqa: E402
import reader_view  # noqa: E402

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.md"))

#: Names the rest of each notebook uses, defined by its checking cell (with their types).
DERIVED = {
    "00_claims": {"claims_dir": Path},
    "00_intro": {"claims_dir": Path},
    "01_ideal_rejection_sampling": {"torch_device": torch.device, "results_path": Path},
    "02_mixture_table1": {"torch_device": torch.device, "results_path": Path, "cache_path": Path},
    "03_ablation_table3": {"torch_device": torch.device, "results_path": Path, "cache_path": Path},
    "04_figure2_histograms": {"torch_device": torch.device, "results_path": Path, "cache_path": Path},
    "05_inception_vs_acceptance": {"torch_device": torch.device, "results_folder": Path, "cache_path": Path},
    "06_ddls_comparison": {"torch_device": torch.device, "cache_path": Path, "results_root": Path, "results_path": Path,
                           "convergence_path": Path, "pilot_path": Path, "toy_path": Path},
    "07_own_gan": {"torch_device": torch.device, "results_folder": Path, "cache_path": Path},
    "08_gamma_explorer": {"torch_device": torch.device, "results_path": Path, "cache_path": Path},
    "A1_gan_regime": {"csv_path": Path, "torch_device": torch.device, "results_path": Path, "cache_path": Path},
}


def _cells(source: Path) -> tuple[dict, str, str, dict]:
    """(defaults, parameters cell source, checking cell source, quick parameters) of a notebook."""
    notebook = jupytext.read(source)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    index = next(i for i, c in enumerate(code) if "parameters" in c.metadata.get("tags", []))
    quick = execute_notebook.build_parameters(notebook, "quick", [])
    return execute_notebook.parameters_cell_names(notebook), code[index].source, code[index + 1].source, quick


def _run_checking_cell(source: Path, overrides: dict | None = None) -> dict:
    _, parameters_source, checking_source, _ = _cells(source)
    namespace: dict = {}
    exec(parameters_source, namespace)
    namespace.update(overrides or {})
    exec(checking_source, namespace)
    return namespace


def test_every_notebook_has_a_derived_names_entry():
    assert {p.stem for p in NOTEBOOKS} == set(DERIVED)


@pytest.mark.parametrize("source", NOTEBOOKS, ids=lambda p: p.stem)
def test_schema_names_exactly_the_parameters(source, monkeypatch):
    monkeypatch.chdir(REPO)
    defaults, _, checking_source, _ = _cells(source)
    assert "params.check_parameters(globals(), PARAMETERS)" in checking_source
    schema = _run_checking_cell(source)["PARAMETERS"]
    unchecked, unknown = sorted(set(defaults) - set(schema)), sorted(set(schema) - set(defaults))
    assert not unchecked and not unknown, f"{source.name}: parameters without a check {unchecked}; checks of no parameter {unknown}"


@pytest.mark.parametrize("source", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_quick_value_is_declared_once_on_its_spec(source, monkeypatch):
    monkeypatch.chdir(REPO)
    notebook = jupytext.read(source)
    assert "quick_parameters" not in notebook.metadata.get("drs_book", {}), \
        f"{source.name}: quick values belong on the specs (quick=), not in the front matter"
    defaults, _, _, _ = _cells(source)
    assert None not in defaults.values(), f"{source.name}: every default in the parameters cell must be a literal"
    schema = _run_checking_cell(source)["PARAMETERS"]
    quick = params.quick_values(schema)
    # what the runner and the reader view read from the source is what the specs hold at run time
    assert reader_view.quick_values(notebook, REPO) == quick
    restated = sorted(name for name, value in quick.items() if value == defaults[name])
    assert not restated, f"{source.name}: quick values equal to the default (leave quick= out): {restated}"
    runner_set = sorted({"quick", "results_dir"} & set(quick))
    assert not runner_set, f"{source.name}: the runner sets {runner_set} in quick mode; no quick= for them"


@pytest.mark.parametrize("source", NOTEBOOKS, ids=lambda p: p.stem)
def test_defaults_and_quick_values_pass_and_define_the_derived_names(source, monkeypatch, tmp_path):
    monkeypatch.chdir(REPO)
    _, _, _, quick = _cells(source)
    for overrides in ({}, {**quick, "results_dir": str(tmp_path / "results")}):
        namespace = _run_checking_cell(source, overrides)
        for name, kind in DERIVED[source.stem].items():
            assert isinstance(namespace[name], kind), f"{source.name}: {name} = {namespace.get(name)!r}"
    assert not (tmp_path / "results").exists(), "the checking cell must not create folders"


@pytest.mark.parametrize("source", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_bad_value_stops_the_checking_cell(source, monkeypatch):
    monkeypatch.chdir(REPO)
    with pytest.raises(params.ParameterError, match=r"^parameter 'seed': got -1 \(int\); allowed: an integer >= 0$"):
        _run_checking_cell(source, {"seed": -1})


# --- the specs keep the messages the notebooks' hand-written checks had --------------------------

def _message(namespace: dict, schema: dict) -> str:
    with pytest.raises(params.ParameterError) as info:
        params.check_parameters(namespace, schema)
    return str(info.value)


def test_simple_specs_give_the_check_functions_messages():
    assert _message({"n_seeds": 0}, {"n_seeds": params.Int(minimum=2)}) == \
        "parameter 'n_seeds': got 0 (int); allowed: an integer >= 2"
    assert _message({"p": 101}, {"p": params.Percentile()}) == \
        "parameter 'p': got 101 (int); allowed: a finite number in [0.0, 100.0] (a percentile: the 95th is 95, not 0.95)"
    assert _message({"q": "yes"}, {"q": params.Bool()}) == "parameter 'q': got 'yes' (str); allowed: True or False"
    assert _message({"c": "x"}, {"c": params.Choice(["a", "b"])}) == "parameter 'c': got 'x' (str); allowed: one of 'a', 'b'"
    assert "parameter 'device'" in _message({"device": "gpu0"}, {"device": params.Device()})


def test_specs_carry_their_quick_value():
    schema = {"n": params.Int(minimum=1, quick=2), "grid": params.ListOf(params.Float(), allowed="numbers", quick=[1.0]),
              "preset": params.Choice(["a", "b"]), "flag": params.Bool(quick=False)}
    assert params.quick_values(schema) == {"n": 2, "grid": [1.0], "flag": False}
    assert params.check_parameters({"n": 5, "grid": [2], "preset": "a", "flag": True}, schema)["n"] == 5  # quick: not a check
    with pytest.raises(TypeError):
        params.Int(1, 10, 2)  # quick is keyword only


def test_the_runner_reads_the_quick_values_from_the_source(tmp_path):
    cell = ('from drs_book import params\n\nPARAMETERS = {\n    "n": params.Int(minimum=1, quick=2),\n'
            '    "grid": params.ListOf(params.Float(), allowed="numbers", quick=[1.0]),\n'
            '    "preset": params.Choice(["a", "b"]),\n    "flag": params.Bool(quick=False),\n}\n'
            'valid = params.check_parameters(globals(), PARAMETERS)\n')
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("n = 1\n", metadata={"tags": ["parameters"]}),
                                               nbformat.v4.new_code_cell(cell)])
    assert reader_view.quick_values(notebook, tmp_path) == {"n": 2, "grid": [1.0], "flag": False}
    # a schema imported from a module of the checkout is read from that module
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "chapter.py").write_text(cell.replace("valid = params.check_parameters(globals(), PARAMETERS)\n", ""))
    notebook.cells[1].source = "from pkg.chapter import PARAMETERS\nvalid = params.check_parameters(globals(), PARAMETERS)\n"
    assert reader_view.quick_values(notebook, tmp_path) == {"n": 2, "grid": [1.0], "flag": False}
    notebook.cells[1].source = 'PARAMETERS = {"n": params.Int(quick=2 * 2)}\n'
    with pytest.raises(ValueError, match=r"quick=2 \* 2 is not a Python literal"):
        reader_view.quick_values(notebook, tmp_path)
    notebook.cells[1].source = "params.check_int('n', n)\n"
    with pytest.raises(ValueError, match="no PARAMETERS schema"):
        reader_view.quick_values(notebook, tmp_path)


def test_values_come_back_normalised():
    schema = {"n": params.Int(minimum=1), "lr": params.Float(minimum=0), "device": params.Device(),
              "out": params.Directory(), "grid": params.ListOf(params.Float(), allowed="numbers")}
    valid = params.check_parameters({"n": 3, "lr": 1, "device": "cpu", "out": "x/y", "grid": (1, 2.5), "other": 0}, schema)
    assert valid == {"n": 3, "lr": 1.0, "device": torch.device("cpu"), "out": Path("x/y"), "grid": [1.0, 2.5]}
    assert type(valid["lr"]) is float


def test_bounds_across_parameters_show_their_value():
    schema = {"pool_size": params.Int(minimum=1000), "n_show": params.Int(minimum=1, maximum=lambda g: g["pool_size"] // 2)}
    assert _message({"pool_size": 1000, "n_show": 600}, schema) == \
        "parameter 'n_show': got 600 (int); allowed: an integer in [1, 500]"
    schema = {"half_width": params.Float(minimum=0.5), "target_std": params.Float(minimum=0.05, maximum=lambda g: g["half_width"])}
    assert _message({"half_width": 4, "target_std": 5.0}, schema) == \
        "parameter 'target_std': got 5.0 (float); allowed: a finite number in [0.05, 4]"  # the value as given


def test_lists_and_pairs_keep_the_notebooks_messages():
    percentiles = {"sweep_percentiles": params.ListOf(params.Percentile(), min_length=2,
                                                      allowed="a list of at least two percentiles in [0, 100]")}
    assert _message({"sweep_percentiles": [50.0]}, percentiles) == \
        "parameter 'sweep_percentiles': got [50.0]; allowed: a list of at least two percentiles in [0, 100]"
    assert _message({"sweep_percentiles": [50.0, 120]}, percentiles) == \
        "parameter 'sweep_percentiles': got 120 (int); allowed: a finite number in [0.0, 100.0] (a percentile: the 95th is 95, not 0.95)"
    datasets = {"datasets": params.ListOf(params.Choice(["mixture", "swiss_roll"]), required=("mixture",), allowed="A")}
    assert _message({"datasets": ["swiss_roll"]}, datasets) == "parameter 'datasets': got ['swiss_roll']; allowed: A"
    assert _message({"datasets": ["mixture", "x"]}, datasets) == \
        "parameter 'datasets': got 'x' (str); allowed: one of 'mixture', 'swiss_roll'"
    band = {"band": params.Pair(params.Float(minimum=0.0, maximum=1.0),
                                params.Float(minimum=lambda g: g["band[0]"] + 1e-6, maximum=1.0), allowed="[low, high]")}
    assert _message({"band": [0.5]}, band) == "parameter 'band': got [0.5]; allowed: [low, high]"
    assert _message({"band": [0.5, 0.4]}, band) == \
        f"parameter 'band[1]': got 0.4 (float); allowed: a finite number in [{0.5 + 1e-6}, 1.0]"
    assert params.check_parameters({"band": (0.5, 0.8)}, band) == {"band": [0.5, 0.8]}


def test_existing_file_is_located_and_otherwise_refused(tmp_path):
    (tmp_path / "sweep.csv").write_text("a\n1\n")
    spec = {"sweep_csv": params.ExistingFile(allowed="an existing CSV", locate=lambda name: tmp_path / name)}
    assert params.check_parameters({"sweep_csv": "sweep.csv"}, spec) == {"sweep_csv": tmp_path / "sweep.csv"}

    def nowhere(name):
        raise ValueError("not found")

    spec = {"sweep_csv": params.ExistingFile(allowed="an existing CSV", locate=nowhere)}
    assert _message({"sweep_csv": "missing.csv"}, spec) == "parameter 'sweep_csv': got 'missing.csv'; allowed: an existing CSV"


def test_a_broken_schema_is_a_notebook_mistake_not_a_bad_value():
    with pytest.raises(TypeError, match=r"\['n_seeds'\].*not defined"):
        params.check_parameters({}, {"n_seeds": params.Int()})
    with pytest.raises(TypeError, match="not a drs_book.params spec"):
        params.check_parameters({"n": 1}, {"n": int})
    with pytest.raises(TypeError, match="'pool_size'.*earlier"):
        params.check_parameters({"n_show": 1, "pool_size": 10},
                                {"n_show": params.Int(maximum=lambda g: g["pool_size"]), "pool_size": params.Int()})


def test_percentile_lists_are_increasing_and_hold_what_they_must():
    schema = {"gamma_percentile": params.Percentile(), "sweep": params.PercentileList(min_length=2),
              "matched": params.PercentileList(holds=("gamma_percentile",), within="sweep")}
    good = {"gamma_percentile": 80.0, "sweep": [0, 50.0, 80.0, 90.0], "matched": [80.0, 90.0]}
    assert params.check_parameters(good, schema) == {"gamma_percentile": 80.0, "sweep": [0.0, 50.0, 80.0, 90.0],
                                                     "matched": [80.0, 90.0]}
    assert _message({**good, "sweep": [90.0, 50.0]}, schema) == \
        "parameter 'sweep': got [90.0, 50.0]; allowed: a strictly increasing list of at least two percentiles in [0, 100]"
    assert _message({**good, "sweep": [50.0, 101]}, schema) == \
        "parameter 'sweep': got 101 (int); allowed: a finite number in [0.0, 100.0] (a percentile: the 95th is 95, not 0.95)"
    assert _message({**good, "matched": [90.0]}, schema) == (
        "parameter 'matched': got [90.0]; allowed: a strictly increasing list of percentiles in [0, 100] that holds "
        "gamma_percentile (80.0), each one of sweep ([0, 50.0, 80.0, 90.0])")
    assert "each one of sweep" in _message({**good, "matched": [80.0, 95.0]}, schema)
