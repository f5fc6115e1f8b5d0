"""Write make dependencies: each executed notebook depends on the drs_lib and drs_book modules it imports.

    python3 tools/notebook_deps.py NAME [NAME ...] > _build/deps.mk

Imports are read from the notebook's code cells and followed through drs_lib's own imports,
so editing, say, drs_lib/problems/digits.py re-executes only the notebooks that use it. Uses only the
standard library, so it runs before the virtual environment exists.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("drs_lib", "drs_book")
CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.S | re.M)


def imported_modules(source: str) -> set[str]:
    """drs_lib and drs_book modules named by the imports in ``source`` (cell options and magics skipped)."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith((":", "%", "!"))]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] in PACKAGES}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in PACKAGES:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if module_path(name) is not None}


def module_path(name: str) -> Path | None:
    relative = Path(*name.split("."))
    for candidate in (REPO / relative.with_suffix(".py"), REPO / relative / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def closure(names: set[str]) -> set[Path]:
    paths = {REPO / "drs_lib" / "__init__.py"}
    todo = list(names)
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))  # the enclosing packages' __init__
        path = module_path(name)
        if path is None:
            continue
        paths.add(path)
        todo.extend(imported_modules(path.read_text()))
    return paths


def main(names: list[str]) -> None:
    for name in names:
        source = (REPO / "notebooks" / f"{name}.md").read_text()
        modules: set[str] = set()
        for cell in CODE_CELL.findall(source):
            modules |= imported_modules(cell)
        deps = sorted(str(p.relative_to(REPO)) for p in closure(modules))
        print(f"_build/executed/full/{name}.ipynb _build/executed/quick/{name}.ipynb: {' '.join(deps)}")


if __name__ == "__main__":
    main(sys.argv[1:])
