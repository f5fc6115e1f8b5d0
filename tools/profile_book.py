"""Where each chapter's time went, from the executed notebooks of a build (no re-execution).

    .venv/bin/python tools/profile_book.py [_build/executed/full] [--cache .cache/models] [--top 3] [--markdown]

papermill stores every cell's wall time in the executed notebook (``metadata.papermill.duration``)
and the runner stores the run's facts (``metadata.drs_book.run``: total seconds, the model-cache
entries read and trained). For each chapter this prints the total, the time spent training the
models this run trained (the seconds their cache entries record), the split of the cells' time
into training, sampling, metrics and other by what each cell calls (the first matching phase of
:data:`PHASES`, on the cell's code), and the largest cells with their first line, so that a
chapter's cost can be read without a profiler. A cold build (empty model cache) shows training;
a warm one shows everything else.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from run_facts import describe_entries  # noqa: E402

#: A cell's phase: the first whose pattern occurs in its code (comments stripped).
PHASES = (
    ("training", re.compile(r"load_or_train|load_or_keep_train|train_gan|train_hinge|keep_train|fit_discriminator"
                            r"|train_classifier|train_conditional|get_or_create|fine_tune")),
    ("sampling", re.compile(r"drs_sample|threshold_sample|\.sample\(|\.stream\(|sampler|langevin|mala|ula\b|mh_gan"
                            r"|dot_|burn_in|compare_samplers|quality_diversity_sweep|harness", re.I)),
    ("metrics", re.compile(r"metrics|prdc|precision_recall|wasserstein|emd|scores|inception|frechet|kid|ks_", re.I)),
)


def phase(code: str) -> str:
    bare = "\n".join(line.split("#", 1)[0] for line in code.splitlines())
    for name, pattern in PHASES:
        if pattern.search(bare):
            return name
    return "other"


def first_line(code: str) -> str:
    for line in code.splitlines():
        text = line.strip()
        if text and not text.startswith(("#", "%", "import ", "from ")):
            return text[:70]
    return "(comment only)"


def profile(path: Path, cache: Path | None) -> dict:
    notebook = nbformat.read(path, as_version=4)
    run = notebook.metadata.get("drs_book", {}).get("run", {})
    cells = [(float(c.metadata.get("papermill", {}).get("duration") or 0.0), c.source)
             for c in notebook.cells if c.cell_type == "code"]
    by_phase = {name: 0.0 for name, _ in PHASES} | {"other": 0.0}
    for seconds, code in cells:
        by_phase[phase(code)] += seconds
    trained = run.get("cache", {}).get("trained", [])
    trained_seconds = sum(f.seconds or 0.0 for f in describe_entries(cache, trained)) if cache and trained else 0.0
    largest = sorted(cells, key=lambda c: -c[0])
    return {"chapter": path.stem, "total": float(run.get("seconds", sum(s for s, _ in cells))),
            "trained_models": trained_seconds, **by_phase, "largest": [(s, first_line(code)) for s, code in largest]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, default=ROOT / "_build/executed/full")
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache/models")
    parser.add_argument("--top", type=int, default=3)
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table (for the README)")
    args = parser.parse_args()
    paths = sorted(args.folder.glob("*.ipynb"))
    if not paths:
        raise SystemExit(f"error: no executed notebooks in {args.folder}; run make book first")
    rows = [profile(p, args.cache if args.cache.is_dir() else None) for p in paths]
    columns = ["total", "training", "sampling", "metrics", "other"]
    if args.markdown:
        print("| chapter | total (s) | training (s) | sampling (s) | metrics (s) | other (s) | largest cells |")
        print("|---|---:|---:|---:|---:|---:|---|")
    for row in rows:
        cells = "; ".join(f"{s:.0f} s `{text}`" for s, text in row["largest"][: args.top])
        numbers = [row[c] for c in columns]
        if args.markdown:
            print(f"| {row['chapter']} | " + " | ".join(f"{v:.0f}" for v in numbers) + f" | {cells} |")
        else:
            print(f"{row['chapter']:<30} " + " ".join(f"{c} {v:6.0f}" for c, v in zip(columns, numbers))
                  + f"  (models trained this run: {row['trained_models']:.0f} s)\n    largest: {cells}")
    total = sum(r["total"] for r in rows)
    print(f"\nall chapters: {total:.0f} s ({total / 60:.1f} min)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
