"""Run every benchmarks/bench_*.py script in turn, one process each, and keep their output.

    make benchmark          # or: .venv/bin/python benchmarks/run_all.py [name ...]

Scripts run one at a time (never side by side: on 2 cores two torch processes slow each other
down severalfold) and their combined output is also written to benchmarks/out/latest.txt.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(selected: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if selected:
        scripts = [s for s in scripts if s.stem in selected or s.stem.removeprefix("bench_") in selected]
        if not scripts:
            print(f"error: no benchmark named {selected}; have {[s.stem for s in HERE.glob('bench_*.py')]}")
            return 2
    report: list[str] = []
    failed = 0
    for script in scripts:
        start = time.perf_counter()
        completed = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=HERE.parent)
        elapsed = time.perf_counter() - start
        block = f"=== {script.name} ({elapsed:.1f} s, exit {completed.returncode})\n{completed.stdout}"
        if completed.returncode:
            failed += 1
            block += completed.stderr[-3000:]
        print(block, flush=True)
        report.append(block)
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    (out / "latest.txt").write_text("\n".join(report))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
