"""Optional dependencies: what each module imports matches pyproject's groups, and a missing
package fails with the extra that installs it.

The first part reads every drs_lib module's imports with ``ast`` (function-level imports
included) and checks them against ``pyproject.toml``: outside an ``optional_imports`` block only
the core dependencies (torch, numpy) and the standard library; inside ``optional_imports("x")``
only packages that the extra ``x`` lists. The second part hides a package (``sys.modules[name] =
None``, which makes ``import name`` fail as if it were not installed) and imports or calls the
module that needs it. ``tests/test_install.py`` checks the same groups with real installs.
"""

from __future__ import annotations

import ast
import importlib
import re
import sys
import tomllib
from pathlib import Path

import pytest
import torch

import drs_lib
from drs_lib._optional import DISTRIBUTIONS, optional_imports

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(drs_lib.__file__).resolve().parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
EXTRAS = PROJECT["optional-dependencies"]
CORE = {re.split(r"[<>=!~;\[ ]", d)[0].lower() for d in PROJECT["dependencies"]}
#: Imported by library functions only the book's notebooks call (none since the book's machinery
#: moved to drs_book, which is not in the wheel and gets its packages from requirements.txt).
BOOK_TOOLCHAIN: set[tuple[str, str]] = set()


def distribution(import_name: str) -> str:
    return DISTRIBUTIONS.get(import_name, import_name).lower()


def extra_packages(extra: str) -> set[str]:
    """The distributions an extra installs, self-references (drs-lib[a,b]) followed."""
    out: set[str] = set()
    for requirement in EXTRAS[extra]:
        name = re.split(r"[<>=!~;\[ ]", requirement)[0].lower()
        if name == PROJECT["name"]:
            for inner in re.search(r"\[(.*)\]", requirement).group(1).split(","):
                out |= extra_packages(inner.strip())
        else:
            out.add(name)
    return out


def third_party_imports(module: str) -> list[tuple[str, str | None, int]]:
    """(top-level package, extra of the enclosing optional_imports block or None, line) for each
    import of a package outside the standard library and drs_lib; ``if TYPE_CHECKING:`` skipped."""
    found: list[tuple[str, str | None, int]] = []

    def visit(node: ast.AST, extra: str | None) -> None:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            return
        if isinstance(node, ast.With):
            for item in node.items:
                call = item.context_expr
                if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "optional_imports":
                    extra = call.args[0].value
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            if top not in sys.stdlib_module_names and top not in {"drs_lib", "__future__"}:
                found.append((top, extra, node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child, extra)

    visit(ast.parse(source(module).read_text()), None)
    return found


def source(module: str) -> Path:
    """The file of a module named relative to drs_lib (``metrics.distances``; a folder: its ``__init__``)."""
    base = PACKAGE.joinpath(*module.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


#: Every module of every folder, relative to drs_lib (``samplers.drs``); folders by their ``__init__``.
MODULES = sorted(".".join(p.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__")
                 for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts and p != PACKAGE / "__init__.py")
IMPORTS = {m: third_party_imports(m) for m in MODULES}


def test_the_imports_are_read():
    # known imports: the reader must see them, or the checks below would pass vacuously
    assert ("torch", None) in {(top, extra) for top, extra, _ in IMPORTS["samplers.drs"]}
    assert ("ot", "metrics") in {(top, extra) for top, extra, _ in IMPORTS["metrics.distances"]}
    assert ("sklearn", "calibration") in {(top, extra) for top, extra, _ in IMPORTS["samplers.calibration"]}  # inside a function
    assert "pandas" not in {top for top, _, _ in IMPORTS["io"]}  # under TYPE_CHECKING


@pytest.mark.parametrize("module", MODULES)
def test_outside_optional_blocks_a_module_imports_only_the_core_dependencies(module):
    stray = [f"{top} (line {line})" for top, extra, line in IMPORTS[module]
             if extra is None and distribution(top) not in CORE and (module, top) not in BOOK_TOOLCHAIN]
    assert not stray, (f"{source(module).relative_to(ROOT)} imports {stray}: not in pyproject's dependencies {sorted(CORE)}; "
                       "wrap the import in `with optional_imports(<extra>):` and list the package in that extra")


@pytest.mark.parametrize("module", MODULES)
def test_an_optional_block_imports_only_what_its_extra_installs(module):
    for top, extra, line in IMPORTS[module]:
        if extra is None:
            continue
        assert extra in EXTRAS, f"{source(module).relative_to(ROOT)}:{line} names extra {extra!r}; pyproject has {sorted(EXTRAS)}"
        assert distribution(top) in extra_packages(extra), (
            f"{source(module).relative_to(ROOT)}:{line} imports {top!r} under optional_imports({extra!r}), "
            f"but that extra installs {sorted(extra_packages(extra))}")


def test_all_installs_every_extra():
    every = set().union(*(extra_packages(e) for e in EXTRAS if e != "all"))
    assert extra_packages("all") == every


# A missing package, simulated: every cached module of the package is replaced by None, so
# that `import pkg` and `import pkg.sub` both fail as on a machine without it.

def hide(monkeypatch: pytest.MonkeyPatch, package: str) -> None:
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")] or [package]:
        monkeypatch.setitem(sys.modules, name, None)


def reimport(monkeypatch: pytest.MonkeyPatch, module: str):
    # both restored after the test, so that other tests see the modules (and classes) they imported
    monkeypatch.delitem(sys.modules, f"drs_lib.{module}", raising=False)
    parent, _, leaf = f"drs_lib.{module}".rpartition(".")
    monkeypatch.delattr(importlib.import_module(parent), leaf, raising=False)
    return importlib.import_module(f"drs_lib.{module}")


def assert_names_extra(error: pytest.ExceptionInfo, module: str, package: str, extra: str) -> None:
    message = str(error.value)
    named = f"'{package}'" if package not in DISTRIBUTIONS else f"'{package}' ({DISTRIBUTIONS[package]})"
    assert f"drs_lib.{module} needs the optional package {named}" in message, message
    assert f'pip install "drs-lib[{extra}]"' in message, message
    assert f'pip install ".[{extra}]"' in message, message
    assert isinstance(error.value.__cause__, ModuleNotFoundError)  # the original error stays in the traceback


@pytest.mark.parametrize("module, package, extra", [
    ("metrics.distances", "ot", "metrics"),
    ("metrics.prdc_metrics", "prdc", "metrics"),
    ("metrics.prdc_metrics", "joblib", "metrics"),
    ("problems.ideal", "scipy", "metrics"),
])
def test_importing_a_module_without_its_package_names_the_extra(monkeypatch, module, package, extra):
    reimport(monkeypatch, module)  # it imports with the package present
    hide(monkeypatch, package)
    with pytest.raises(ImportError) as error:
        reimport(monkeypatch, module)
    assert_names_extra(error, module, package, extra)


def test_calibration_without_scikit_learn_names_the_calibration_extra(monkeypatch):
    from drs_lib.samplers.calibration import fit_calibrator

    hide(monkeypatch, "sklearn")
    with pytest.raises(ImportError) as error:
        fit_calibrator(torch.randn(20), torch.randn(20))
    assert_names_extra(error, "samplers.calibration", "sklearn", "calibration")


def test_digits_without_scikit_learn_names_the_digits_extra(monkeypatch):
    from drs_lib.problems.digits import load_dataset

    hide(monkeypatch, "sklearn")
    with pytest.raises(ImportError, match=re.escape('pip install "drs-lib[digits]"')):
        load_dataset("sklearn_digits")


def test_kid_without_torchmetrics_names_the_metrics_extra(monkeypatch):
    from drs_lib.metrics.scores import kernel_inception_distance

    hide(monkeypatch, "torchmetrics")
    with pytest.raises(ImportError, match=re.escape('pip install "drs-lib[metrics]"')):
        kernel_inception_distance(torch.randn(20, 3), torch.randn(20, 3), subset_size=10, n_subsets=2)


def test_other_errors_pass_through_unchanged():
    with pytest.raises(ModuleNotFoundError, match="drs_lib.no_such_module"):  # our bug, not an extra
        with optional_imports("metrics"):
            importlib.import_module("drs_lib.no_such_module")
    with pytest.raises(ValueError, match="not an import error"):
        with optional_imports("metrics"):
            raise ValueError("not an import error")
    with optional_imports("metrics"):  # nothing missing: nothing raised
        import numpy  # noqa: F401
