"""Run the tests and the quick notebooks under other CPU kernels than this machine's own.

    .venv/bin/python tools/check_portability.py [--skip-notebooks]

Numbers computed through BLAS or torch's vector kernels differ in their last bits from one CPU
to another, and a GAN trained on another CPU is another GAN. Code whose outcome depends on those
bits passes on the machine it was written on and fails elsewhere (an exact float equality, a
k-NN tie, a verdict that crashes on one model's NaN). This check moves the kernels on purpose,
so such code fails on any machine:

1. the library tests (``pytest tests -m "not slow"``: all but the install tests, which build
   virtual environments and do not depend on the kernels) once under each switch alone: numpy/scipy/scikit-learn's
   OpenBLAS forced to its oldest x86 kernel (``OPENBLAS_CORETYPE=Prescott``), torch's vector
   kernels to the generic ones (``ATEN_CPU_CAPABILITY=default``) and MKL's matmuls to their
   compatible path (``MKL_CBWR=COMPATIBLE``);
2. every quick notebook of ``_toc.yml`` under all three switches at once, with the model cache
   off (every model trained anew under the switched kernels), into ``_build/portability/``; each
   must run to the end, and the outputs of its ``# NBVAL_CHECK_OUTPUT`` cells must equal those of
   the natively executed quick notebooks in ``_build/executed/quick/`` (``make notebooks
   QUICK=1`` makes them): those cells print only what must not depend on the CPU.

Preset kernel variables (``OPENBLAS_CORETYPE``, ``OPENBLAS_L2_SIZE``, ``MKL_CBWR``,
``MKL_ENABLE_INSTRUCTIONS``, ``ATEN_CPU_CAPABILITY``) are removed first, so each run sees only its
own switch. Exit status 1 if anything failed; a summary line per run either way.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT))

from drs_book.claims import toc_chapters  # noqa: E402

SWITCHES = {
    "openblas-prescott": {"OPENBLAS_CORETYPE": "Prescott"},
    "aten-default": {"ATEN_CPU_CAPABILITY": "default"},
    "mkl-compatible": {"MKL_CBWR": "COMPATIBLE"},
}
PRESET = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "MKL_CBWR", "MKL_ENABLE_INSTRUCTIONS", "ATEN_CPU_CAPABILITY")
CHECK_MARK = "# NBVAL_CHECK_OUTPUT"
OUT = ROOT / "_build" / "portability"


def environment(switches: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PRESET}
    env.update(switches)
    return env


def checked_outputs(path: Path) -> list[str]:
    """The text outputs of the NBVAL_CHECK_OUTPUT cells of an executed notebook, in order."""
    notebook = nbformat.read(path, as_version=4)
    texts = []
    for cell in notebook.cells:
        if cell.cell_type == "code" and CHECK_MARK in cell.source:
            parts = []
            for output in cell.get("outputs", []):
                if output.get("output_type") == "stream":
                    parts.append(output.get("text", ""))
                elif "data" in output and "text/plain" in output["data"]:
                    parts.append(output["data"]["text/plain"])
            texts.append("".join(parts))
    return texts


def run(label: str, command: list[str], env: dict[str, str]) -> bool:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env)
    print(f"[portability] {label}: {'passed' if result.returncode == 0 else 'FAILED'} "
          f"in {time.perf_counter() - start:.0f} s", flush=True)
    return result.returncode == 0


def notebooks_under_all_switches(python: str) -> bool:
    from execute_notebook import parameters_cell_names  # the runner's own reading of the cell
    import jupytext

    env = environment({k: v for switch in SWITCHES.values() for k, v in switch.items()})
    ok = True
    for name in toc_chapters(ROOT / "_toc.yml"):
        source = ROOT / "notebooks" / f"{name}.md"
        native = ROOT / "_build" / "executed" / "quick" / f"{name}.ipynb"
        if not native.is_file():
            print(f"[portability] {name}: no native quick run at {native.relative_to(ROOT)}; run make notebooks QUICK=1",
                  flush=True)
            return False
        defaults = parameters_cell_names(jupytext.read(source))
        overrides = [["results_dir", str(OUT / "results")]] if "results_dir" in defaults else []
        if "use_cache" in defaults:
            overrides.append(["use_cache", "False"])
        destination = OUT / f"{name}.ipynb"
        command = [python, "tools/execute_notebook.py", str(source), str(destination), "--mode", "quick"]
        for key, value in overrides:
            command += ["-p", key, value]
        if not run(f"{name} (quick, all switches, no model cache)", command, env):
            ok = False
            continue
        mine, theirs = checked_outputs(destination), checked_outputs(native)
        if mine != theirs:
            ok = False
            for i, (a, b) in enumerate(zip(mine, theirs)):
                if a != b:
                    print(f"[portability] {name}: checked cell {i} differs from the native run:\n"
                          f"--- native\n{b}--- switched\n{a}", flush=True)
            if len(mine) != len(theirs):
                print(f"[portability] {name}: {len(mine)} checked cells here, {len(theirs)} natively", flush=True)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-notebooks", action="store_true", help="only the library tests under each switch")
    args = parser.parse_args()
    python = sys.executable
    ok = True
    for label, switches in SWITCHES.items():
        # the install tests (marked slow) build venvs and import; they do not depend on the kernels
        ok &= run(f"pytest tests under {label}",
                  [python, "-m", "pytest", "tests", "-q", "-p", "no:cacheprovider", "-m", "not slow"],
                  environment(switches))
    if not args.skip_notebooks:
        ok &= notebooks_under_all_switches(python)
    print(f"[portability] {'all passed' if ok else 'FAILED'}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
