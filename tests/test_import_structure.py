"""drs_lib has no import circle, no sampler module imports another sampler (or the harness), and
every module is listed in the package docstring after the modules it imports.

Imports are read from the source with ``ast`` (function-level imports included: a circle
hidden inside a function is still a circle), then every module is imported for real.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

import drs_lib

PACKAGE = Path(drs_lib.__file__).resolve().parent
MODULES = sorted(p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__")
SAMPLERS = {"drs", "ddls", "mhgan", "dot"}
METRICS = {"metrics", "distances", "prdc_metrics", "scores"}
TRAINING = {"train", "keep_training", "cached_training", "train_images", "conditional_gan", "regime"}


def drs_lib_imports(module: str) -> set[str]:
    """The drs_lib modules that ``module`` imports anywhere in its source."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "drs_lib" and len(parts) > 1:
                    found.add(parts[1])
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            parts = node.module.split(".")
            if parts[0] != "drs_lib" or node.level:
                continue
            if len(parts) > 1:
                found.add(parts[1])
            else:  # from drs_lib import x, y
                found.update(alias.name for alias in node.names if alias.name in MODULES)
    found.discard(module)
    return found


GRAPH = {m: drs_lib_imports(m) for m in MODULES}


def test_the_graph_is_read():
    # known edges: the reader must see them, or the checks below would pass vacuously
    assert "device" in GRAPH["drs"]
    assert {"ddls", "dot", "mhgan", "drs"} <= GRAPH["harness"]


@pytest.mark.parametrize("sampler", sorted(SAMPLERS))
def test_no_sampler_imports_another_sampler_or_the_harness(sampler):
    assert GRAPH[sampler] & (SAMPLERS | {"harness"}) == set(), f"{sampler} imports {sorted(GRAPH[sampler])}"


def test_no_import_circle():
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for other in sorted(GRAPH.get(module, ())):
            if state.get(other) == 1:
                cycle = path[path.index(other):] + [other] if other in path else [module, other]
                pytest.fail(f"import circle: {' -> '.join(cycle)}")
            if state.get(other) is None:
                visit(other, path + [other])
        state[module] = 2

    for module in MODULES:
        if module not in state:
            visit(module, [module])


@pytest.mark.parametrize("module", MODULES)
def test_every_module_imports(module):
    importlib.import_module(f"drs_lib.{module}")


def test_package_docstring_lists_every_module_after_what_it_imports():
    listed = re.findall(r":mod:`drs_lib\.(\w+)`", drs_lib.__doc__)
    assert sorted(listed) == MODULES, "drs_lib/__init__.py's docstring must name every module once"
    for position, module in enumerate(listed):
        later = GRAPH[module] - set(listed[:position])
        assert not later, f"{module} imports {sorted(later)}, listed after it in drs_lib/__init__.py"


@pytest.mark.parametrize("module", sorted(METRICS))
def test_metric_modules_import_no_sampler_and_no_training_code(module):
    assert GRAPH[module] & (SAMPLERS | TRAINING | {"harness"}) == set(), f"{module} imports {sorted(GRAPH[module])}"


def test_training_is_layered_gan_training_then_keep_training_then_the_cached_entry_points():
    assert GRAPH["train"] & {"keep_training", "cached_training", "regime"} == set()
    assert GRAPH["keep_training"] & {"cached_training", "regime"} == set()
    assert "cached_training" not in GRAPH["train_images"] | GRAPH["conditional_gan"]
