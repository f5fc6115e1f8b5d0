"""Each install line the README shows, run as a user runs it.

For each row of the table in the README's "Use drs_lib in your project": a fresh virtual
environment (no system site-packages), ``pip install torch==2.13.0``, then the row's line (the
wheel of this checkout, built once per session, with the row's extra). There:

* drs_lib is the installed copy, not this checkout;
* every module the row lists imports (an extra's row: the core's modules too), and every module
  that does not import fails with an ImportError naming an extra whose row lists it (a module
  may import where its row does not promise it: ``ideal`` needs only scipy, which
  scikit-learn brings to ``[calibration]``);
* the packages the line must not pull (``ABSENT``) are not installed;
* the functions the calibration and digits extras exist for work where the line installs
  scikit-learn, and elsewhere fail naming their extra;
* each README snippet whose drs_lib imports the row lists runs, by the functions of
  ``tests/test_readme_snippets.py`` (the extraction and the checks are those).

Every step (building the wheel, creating the venv, each ``pip`` and the checks) runs in its own
temporary working folder, as ``python -I`` (no current folder or script folder on ``sys.path``,
no ``PYTHON*`` variables, no user site-packages), with an environment cleaned of ``PYTHONPATH``
and of the ``PIP_*`` variables that move where pip installs (:func:`isolated_env`): what the
checkout holds cannot leak into the fresh venv. Issue 27: with the checkout on ``PYTHONPATH``
(``tools/execute_notebook.py`` used to export it on import, into every test process that imported it) and a
``drs_lib.egg-info`` in it (left by a ``pip install .`` in the checkout), pip judged drs-lib
"already installed" and skipped it, and the core row failed with "No module named 'drs_lib'".
``test_core_line_after_pip_install_in_the_checkout`` recreates that state.

Slow (20-30 s a row, 2 min 40 s for the file on a busy 2-core machine with pip's cache warm;
the first run downloads the extras from PyPI): marked ``slow``. ``pytest tests`` runs it;
``pytest -m "not slow"`` leaves it out; ``make test-install`` runs only this file.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import drs_lib

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
PACKAGE = Path(drs_lib.__file__).resolve().parent
#: Every module of the wheel, relative to drs_lib (``samplers.drs``); a folder by its ``__init__`` (``api``).
MODULES = sorted(".".join(p.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__")
                 for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts and p != PACKAGE / "__init__.py")
TORCH = "torch==2.13.0"
SECTION = "## Use drs_lib in your project"


def named_modules(text: str) -> set[str]:
    """The modules that ``drs_lib.x.y`` names in ``text`` mention: a module, or a folder and all its
    modules; a trailing function name (``drs_lib.samplers.calibration.fit_calibrator``) is dropped."""
    out: set[str] = set()
    for dotted in re.findall(r"\bdrs_lib\.([\w.]+\w)", text):
        parts = dotted.split(".")
        while parts and ".".join(parts) not in MODULES:
            parts.pop()
        if parts:
            name = ".".join(parts)
            out |= {m for m in MODULES if m == name or m.startswith(name + ".")}
    return out


def readme_rows() -> dict[str | None, set[str]]:
    """extra (None for ``pip install .``) -> the modules its README row lists (names written ``drs_lib.x``)."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index(SECTION):]
    section = section[:section.index("\n## ", 1)]
    rows: dict[str | None, set[str]] = {}
    for line, modules in re.findall(r"^\| `(pip install [^`]*)` \|[^|]*\|([^|]*)\|$", section, re.M):
        match = re.fullmatch(r'pip install (?:\.|"\.\[(\w+)\]")', line)
        assert match, f"README install line {line!r} is not `pip install .` or `pip install \".[extra]\"`"
        rows[match.group(1)] = set(MODULES) if modules.strip() == "every module" else named_modules(modules)
    return rows


ROWS = readme_rows()
#: private helpers and the folders' ``__init__`` (which import nothing optional) come with the core
CORE = ROWS.get(None, set()) | {m for m in MODULES if m.startswith("_") or (PACKAGE / m).is_dir()}
#: What a line must not pull (import names): nothing of another extra that its own packages do not need.
ABSENT = {
    None: {"pandas", "matplotlib", "seaborn", "sklearn", "scipy", "ot", "prdc", "torchmetrics"},
    "metrics": {"matplotlib", "seaborn"},
    "calibration": {"pandas", "matplotlib", "seaborn", "ot", "prdc", "torchmetrics"},
    "digits": {"pandas", "matplotlib", "seaborn", "ot", "prdc", "torchmetrics"},
    "all": set(),
}
#: Functions that need an extra but whose modules the core imports: (code, extra it names).
CALLS = {
    "fit_calibrator": ("from drs_lib.samplers.calibration import fit_calibrator\n"
                       "fit_calibrator(torch.randn(64), torch.randn(64) + 1.0)", "calibration"),
    "sklearn_digits": ("from drs_lib.problems.digits import load_dataset\n"
                       "assert load_dataset('sklearn_digits').images.shape == (1797, 1, 8, 8)", "digits"),
}
#: The README snippets: (function of tests/test_readme_snippets.py, the heading its snippet is under).
SNIPPETS = {
    "test_drs_snippet_runs_and_writes_its_files": SECTION,
    "test_quality_diversity_snippet_runs_and_gives_its_rows": "### Quality against diversity on your GAN",
}


def promised(extra: str | None) -> set[str]:
    return CORE | ROWS[extra]


def sibling(name: str):
    """Another test file of this folder, as a module (its helpers are reused, not copied)."""
    sys.path.insert(0, str(TESTS))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(TESTS))


def snippet_modules(heading: str) -> set[str]:
    code = sibling("test_readme_snippets").snippet(heading)
    return named_modules("\n".join(re.findall(r"^(?:from|import) (drs_lib\.[\w.]+)", code, re.M)))


def installs_scikit_learn(extra: str | None) -> bool:
    return extra is not None and "scikit-learn" in sibling("test_optional").extra_packages(extra)


def test_the_readme_table_is_read_and_covers_pyproject_and_every_module():
    import tomllib

    extras = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"])
    assert set(ROWS) == {None} | extras, "the README's table must show `pip install .` and one line per extra"
    assert set(ABSENT) == set(ROWS)
    assert {"samplers.drs", "api", "api.sampler", "samplers.mhgan", "samplers.dot", "samplers.ddls",
            "samplers.calibration", "sample"} <= ROWS[None]
    assert {"metrics.distances", "metrics.mixture", "problems.ideal"} <= ROWS["metrics"]
    assert not any(m.startswith("metrics.") for m in ROWS[None])
    rows = set().union(*(modules for extra, modules in ROWS.items() if extra != "all"))
    assert rows | CORE == set(MODULES), f"modules no install line but [all] gives: {sorted(set(MODULES) - rows - CORE)}"
    assert all(snippet_modules(h) for h in SNIPPETS.values())  # the snippets' imports are read
    assert [e for e in ROWS if installs_scikit_learn(e)] == ["metrics", "calibration", "digits", "all"]


#: Variables no step inherits: they put other code on sys.path or move where pip installs.
LEAKY = {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "PYTHONSAFEPATH", "VIRTUAL_ENV",
         "PIP_USER", "PIP_TARGET", "PIP_PREFIX", "PIP_ROOT", "PIP_SRC", "PIP_EDITABLE", "PIP_REQUIRE_VIRTUALENV",
         "PIP_BREAK_SYSTEM_PACKAGES", "PIP_FORCE_REINSTALL", "PIP_IGNORE_INSTALLED", "PIP_NO_DEPS"}


def isolated_env() -> dict[str, str]:
    """os.environ (as it is now, whatever other tests exported) without :data:`LEAKY`; no user site."""
    env = {k: v for k, v in os.environ.items() if k not in LEAKY}
    env["PYTHONNOUSERSITE"] = "1"
    env["OMP_NUM_THREADS"] = env.get("OMP_NUM_THREADS", "1")
    return env


def copy_package_source(target: Path) -> Path:
    """The files a wheel is built from, copied (the build writes beside its sources)."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, target / name)
    shutil.copytree(ROOT / "drs_lib", target / "drs_lib", ignore=shutil.ignore_patterns("__pycache__"))
    return target


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """This checkout's wheel, built once, from a copy, in a folder of its own."""
    source = copy_package_source(tmp_path_factory.mktemp("source"))
    out = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-I", "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(out), str(source)],
        cwd=tmp_path_factory.mktemp("build-cwd"))
    (built,) = out.glob("drs_lib-*.whl")
    import zipfile

    tops = {name.split("/")[0] for name in zipfile.ZipFile(built).namelist()}
    assert tops == {"drs_lib", f"{built.name.split('-')[0]}-{built.name.split('-')[1]}.dist-info"}, tops  # no drs_book
    return built


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """One step, in ``cwd`` (never the checkout), with :func:`isolated_env` unless ``env`` is given."""
    assert not Path(cwd).resolve().is_relative_to(ROOT), f"a step must not run in the checkout ({cwd})"
    result = subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=isolated_env() if env is None else env)
    assert result.returncode == 0, f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


CHECK = textwrap.dedent("""
    import importlib, importlib.util, json, sys
    import torch
    spec = json.loads(sys.argv[1])
    import drs_lib
    assert drs_lib.__file__.startswith(sys.prefix), f"drs_lib from {drs_lib.__file__}, not the venv {sys.prefix}"
    report = {"imported": [], "refused": {}, "present": [], "calls": {}}
    for module in spec["modules"]:
        try:
            importlib.import_module("drs_lib." + module)
            report["imported"].append(module)
        except ImportError as error:
            report["refused"][module] = str(error)
    report["present"] = [name for name in spec["absent"] if importlib.util.find_spec(name) is not None]
    for name, code in spec["calls"].items():
        try:
            exec(code, {"torch": torch})
            report["calls"][name] = None
        except ImportError as error:
            report["calls"][name] = str(error)
    sys.path.append(spec["tests"])  # after site-packages; the checkout's drs_lib is not on the path
    import inspect, pathlib, test_readme_snippets
    for name in spec["snippets"]:  # a function's one parameter, if any, is the folder to run in
        function = getattr(test_readme_snippets, name)
        function(*[pathlib.Path(spec["folder"])] * len(inspect.signature(function).parameters))
    print(json.dumps(report))
""")


def install_line(extra: str | None, wheel: Path, tmp_path: Path) -> tuple[dict, str, list[str]]:
    """A fresh venv, torch, then the row's line; returns (the check's report, pip freeze, snippets run)."""
    folder = tmp_path / "run"
    folder.mkdir()
    venv = tmp_path / "venv"
    run([sys.executable, "-I", "-m", "venv", str(venv)], cwd=folder)
    python = str(venv / "bin" / "python")
    pip = [python, "-I", "-m", "pip", "install", "--no-compile", "--disable-pip-version-check", "--quiet"]
    run(pip + [TORCH], cwd=folder)
    run(pip + [str(wheel) if extra is None else f"{wheel}[{extra}]"], cwd=folder)
    freeze = run([python, "-I", "-m", "pip", "freeze"], cwd=folder).stdout

    snippets = [name for name, heading in SNIPPETS.items() if snippet_modules(heading) <= promised(extra)]
    spec = {"modules": MODULES, "absent": sorted(ABSENT[extra]), "calls": {k: c for k, (c, _) in CALLS.items()},
            "tests": str(TESTS), "snippets": snippets, "folder": str(folder)}
    result = run([python, "-I", "-c", CHECK, json.dumps(spec)], cwd=folder)
    return json.loads(result.stdout.strip().splitlines()[-1]), freeze, snippets


def check_line(extra: str | None, report: dict, freeze: str, snippets: list[str]) -> None:
    mine = promised(extra)
    line = "pip install ." if extra is None else f'pip install ".[{extra}]"'
    assert sorted(mine - set(report["imported"])) == [], f"{line}: {report['refused']}\n{freeze}"
    for module, message in report["refused"].items():
        named = re.search(r'pip install "drs-lib\[(\w+)\]"', message)
        assert named, f"{line}: drs_lib.{module} failed without naming an extra: {message}"
        assert module in promised(named.group(1)), f"{line}: drs_lib.{module} names [{named.group(1)}], whose row does not list it"
    assert report["present"] == [], f"{line} pulled {report['present']}:\n{freeze}"
    for name, (_, needs) in CALLS.items():
        message = report["calls"][name]
        if installs_scikit_learn(extra):
            assert message is None, f"{line}: {name} failed: {message}"
        else:
            assert message is not None and f'pip install "drs-lib[{needs}]"' in message, f"{line}: {name}: {message}"
    # the line the README names above each snippet runs it (and so does every line that gives its modules)
    expected = {None: ["test_drs_snippet_runs_and_writes_its_files"],
                "metrics": list(SNIPPETS)}.get(extra, [])
    assert set(expected) <= set(snippets), f"{line} runs {snippets}"


@pytest.mark.parametrize("extra", sorted(ROWS, key=lambda e: (e is not None, e or "")), ids=lambda e: e or "core")
def test_install_line(extra, wheel, tmp_path):
    check_line(extra, *install_line(extra, wheel, tmp_path))


def test_core_line_after_pip_install_in_the_checkout(wheel, tmp_path, monkeypatch):
    """Issue 27's failure, recreated: a checkout where ``pip install .`` ran (into another venv),
    so that it holds ``drs_lib.egg-info`` and ``build/``, is both the test process's working folder
    and on its ``PYTHONPATH``; the core line must still install drs_lib into the fresh venv."""
    checkout = copy_package_source(tmp_path / "checkout")
    other = tmp_path / "other-venv"
    run([sys.executable, "-I", "-m", "venv", str(other)], cwd=tmp_path)
    run([str(other / "bin" / "python"), "-I", "-m", "pip", "install", "--no-deps", "--quiet",
         "--disable-pip-version-check", "."], cwd=checkout)  # as a user runs it: in the checkout
    left = sorted(p.name for p in checkout.iterdir())
    assert "drs_lib.egg-info" in left, f"pip install . left {left}; the state of issue 27 was not recreated"
    monkeypatch.chdir(checkout)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(checkout), os.environ.get("PYTHONPATH", "")]))
    run_folder = tmp_path / "line"
    run_folder.mkdir()
    report, freeze, snippets = install_line(None, wheel, run_folder)
    assert re.search(r"^drs[-_]lib @ file:|^drs[-_]lib==", freeze, re.M | re.I), f"drs-lib is not in the fresh venv:\n{freeze}"
    check_line(None, report, freeze, snippets)
