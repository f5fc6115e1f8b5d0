"""Every import of drs_lib or drs_book in the notebooks' code cells, tools/, benchmarks/, the
README's snippets and drs_book itself resolves on the current layout.

Static: the sources are parsed, not run (a notebook takes minutes); each ``import X`` /
``from X import a, b`` of drs_lib or drs_book imports ``X`` and finds each name (an attribute
or a submodule). The old flat paths of before issue 18 are gone (issue 26), so one of them fails here.
"""

from __future__ import annotations

import ast
import importlib
import re
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.S | re.M)
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
OURS = ("drs_lib", "drs_book")


def sources() -> list[tuple[str, str]]:
    out = []
    for path in sorted((ROOT / "notebooks").glob("*.md")):
        cells = CODE_CELL.findall(path.read_text())
        code = "\n".join("\n".join(l for l in c.splitlines() if not l.lstrip().startswith((":", "%", "!"))) for c in cells)
        out.append((str(path.relative_to(ROOT)), code))
    for folder in ("tools", "benchmarks", "drs_book"):
        out += [(str(p.relative_to(ROOT)), p.read_text()) for p in sorted((ROOT / folder).rglob("*.py"))]
    for doc in ("README.md", "DEVELOPING.md"):  # blocks that are Python (some are sketches with "...": skipped)
        out.append((doc, "\n".join(b for b in PYTHON_BLOCK.findall((ROOT / doc).read_text()) if parses(b))))
    return out


def parses(code: str) -> bool:
    try:
        ast.parse(code)
    except SyntaxError:
        return False
    return True


def imports(code: str) -> list[tuple[str, list[str]]]:
    found = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names if alias.name.split(".")[0] in OURS]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level and node.module.split(".")[0] in OURS:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


SOURCES = sources()


def test_the_sources_are_read():
    by_name = dict(SOURCES)
    assert ("drs_lib.api", ["DRS"]) in imports(by_name["notebooks/07_own_gan.md"])
    assert any(module.startswith("drs_book") for module, _ in imports(by_name["notebooks/02_mixture_table1.md"]))


@pytest.mark.parametrize("name, code", SOURCES, ids=[name for name, _ in SOURCES])
def test_every_import_resolves_on_the_new_paths(name, code):
    for module, names in imports(code):
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeprecationWarning)
            imported = importlib.import_module(module)
            for n in names:
                if n == "*" or hasattr(imported, n):
                    continue
                importlib.import_module(f"{module}.{n}")  # a submodule (raises if it is not one)
