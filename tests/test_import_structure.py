"""drs_lib's folders are its layers: no import circle, each folder imports only itself and the
folders listed before it in the package docstring, no sampler imports another sampler (or the
comparisons), no library module imports the book's machinery (``drs_book``), every module is
listed in the package docstring after the modules it imports, and no module is over 450 lines
unless its docstring says why (the phrase ``Longer than 450 lines because``).

Imports are read from the source with ``ast`` (function-level imports included: a circle or a
book import hidden inside a function still counts), then every module is imported for real.
Module names below are dotted paths relative to ``drs_lib`` (``samplers.drs``); a package's
``__init__`` is named by its folder (``api``).
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

import drs_lib

PACKAGE = Path(drs_lib.__file__).resolve().parent
ROOT = PACKAGE.parent
BOOK = ROOT / "drs_book"
#: The layers, in the order the package docstring lists them: the top level's foundations, the
#: folders, then the command line (``drs_lib/sample.py``, top level too, but last).
LAYERS = ["foundations", "samplers", "problems", "nets", "metrics", "training", "compare", "api", "cli"]
SAMPLERS = {"samplers.drs", "samplers.ddls", "samplers.mhgan", "samplers.dot"}
MAX_LINES = 450
REASON = "Longer than 450 lines because"


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_of(module: str, package: Path = PACKAGE) -> Path:
    base = package.joinpath(*module.split(".")) if module else package
    return base / "__init__.py" if (base / "__init__.py").is_file() else base.with_suffix(".py")


FILES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)
NODES = sorted(module_name(p) for p in FILES if p != PACKAGE / "__init__.py")  # modules and folders' __init__
PACKAGES = {module_name(p) for p in FILES if p.name == "__init__.py" and p.parent != PACKAGE}
MODULES = sorted(set(NODES) - PACKAGES)


def imports_of(path: Path, top: str) -> set[str]:
    """Everything under package ``top`` that ``path`` imports anywhere, as full dotted names."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == top}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level and node.module.split(".")[0] == top:
            found |= {f"{node.module}.{alias.name}" for alias in node.names}  # a submodule, or a name of node.module
    return found


def drs_lib_imports(module: str) -> set[str]:
    """The drs_lib nodes (modules, or folders' ``__init__``) that ``module`` imports."""
    out: set[str] = set()
    for name in imports_of(source_of(module), "drs_lib"):
        relative = name.removeprefix("drs_lib").removeprefix(".")
        if relative in NODES:
            out.add(relative)
        elif relative.rpartition(".")[0] in NODES:  # from drs_lib.x import a_function
            out.add(relative.rpartition(".")[0])
    out.discard(module)
    return out


GRAPH = {m: drs_lib_imports(m) for m in NODES}


def layer(module: str) -> str:
    if module == "sample":
        return "cli"
    return module.split(".")[0] if "." in module or module in PACKAGES else "foundations"


def expanded(module: str) -> set[str]:
    """``module``'s imports with a folder's ``__init__`` replaced by what it imports, recursively."""
    out: set[str] = set()
    todo = list(GRAPH[module])
    while todo:
        other = todo.pop()
        if other in PACKAGES:
            todo.extend(GRAPH[other] - out)
        else:
            out.add(other)
    return out - {module}


def test_the_graph_is_read():
    # known edges: the reader must see them, or the checks below would pass vacuously
    assert "device" in GRAPH["samplers.drs"]
    assert {"samplers.ddls", "samplers.dot", "samplers.mhgan", "samplers.drs"} <= GRAPH["compare.harness"]
    assert "api" in GRAPH["sample"] and "api.sampler" in expanded("sample")
    assert {"samplers", "api", "metrics", "training"} <= PACKAGES
    assert set(map(layer, MODULES)) == set(LAYERS)


@pytest.mark.parametrize("sampler", sorted(SAMPLERS))
def test_no_sampler_imports_another_sampler_or_the_comparisons(sampler):
    others = {m for m in expanded(sampler) if m in SAMPLERS or layer(m) == "compare"}
    assert not others, f"{sampler} imports {sorted(others)}"


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

    for module in NODES:
        if module not in state:
            visit(module, [module])


@pytest.mark.parametrize("module", NODES)
def test_each_folder_imports_only_itself_and_earlier_layers(module):
    later = {m for m in GRAPH[module] if LAYERS.index(layer(m)) > LAYERS.index(layer(module))}
    assert not later, f"{module} ({layer(module)}) imports {sorted(later)} of later layers; order: {LAYERS}"


@pytest.mark.parametrize("path", FILES + sorted(p for p in BOOK.rglob("*.py") if "__pycache__" not in p.parts),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_no_library_module_imports_the_book_and_no_module_is_long_without_a_reason(path):
    if path.is_relative_to(PACKAGE):
        assert not imports_of(path, "drs_book"), f"{path.relative_to(ROOT)} imports drs_book: the library must not need the book"
    lines = len(path.read_text().splitlines())
    docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
    assert lines <= MAX_LINES or REASON in docstring, (
        f"{path.relative_to(ROOT)} has {lines} lines: split it, or say in its docstring '{REASON} ...'")


@pytest.mark.parametrize("module", NODES)
def test_every_module_imports(module):
    importlib.import_module(f"drs_lib.{module}")


def test_package_docstring_lists_every_module_after_what_it_imports():
    listed = re.findall(r":mod:`drs_lib\.([\w.]+)`", drs_lib.__doc__)
    assert sorted(listed) == MODULES, "drs_lib/__init__.py's docstring must name every module once"
    for position, module in enumerate(listed):
        later = expanded(module) - set(listed[:position])
        assert not later, f"{module} imports {sorted(later)}, listed after it in drs_lib/__init__.py"
    assert [layer(m) for m in listed] == sorted((layer(m) for m in listed), key=LAYERS.index), "listed folder by folder"


def test_each_folder_docstring_lists_its_modules():
    for folder in PACKAGES:
        doc = importlib.import_module(f"drs_lib.{folder}").__doc__ or ""
        named = set(re.findall(rf":mod:`drs_lib\.{folder}\.(\w+)`", doc))
        assert named == {m.split(".")[-1] for m in MODULES if m.startswith(folder + ".")}, f"drs_lib/{folder}/__init__.py"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if layer(m) == "metrics"))
def test_metric_modules_import_no_sampler_and_no_training_code(module):
    bad = {m for m in expanded(module) if layer(m) in {"samplers", "training", "compare", "api"}}
    assert not bad, f"{module} imports {sorted(bad)}"


def test_training_is_layered_gan_training_then_keep_training():
    assert "training.keep_training" not in expanded("training.train")
    assert not {"training.keep_training"} & (expanded("training.train_images") | expanded("training.conditional_gan"))


def test_the_book_lists_its_modules():
    import drs_book

    named = set(re.findall(r":mod:`drs_book\.(\w+)`", drs_book.__doc__))
    on_disk = {p.stem for p in BOOK.glob("*.py") if p.stem != "__init__"} | {p.parent.name for p in BOOK.glob("*/__init__.py")}
    assert named == on_disk


@pytest.mark.parametrize("init", sorted(PACKAGE.rglob("__init__.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_package_re_exports_a_private_name(init):
    """A package's ``__init__`` imports and exports only public names (issue 26): the modules of a
    package import a private helper from the module that defines it."""
    tree = ast.parse(init.read_text())
    imported = [alias.asname or alias.name for node in tree.body if isinstance(node, ast.ImportFrom)
                and node.module != "__future__" for alias in node.names]
    exported = [ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
                and any(getattr(t, "id", None) == "__all__" for t in node.targets)]
    private = [name for name in imported + [n for names in exported for n in names] if name.startswith("_")]
    assert not private, f"{init.relative_to(ROOT)} re-exports {private}"
