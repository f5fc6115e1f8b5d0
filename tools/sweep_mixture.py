"""Run the 25-Gaussian regime sweep (drs_lib.regime) and write its tidy CSV.

    .venv/bin/python tools/sweep_mixture.py [--out book/data/regime_sweep.csv] [--only NAME ...]

Each setting (drs_lib.regime.SWEEP_SETTINGS) trains five seeds stacked, keeps a snapshot every
``eval_every`` steps and measures the unfiltered generator there. Settings already in the CSV are
skipped (delete the file to start over); the CSV is rewritten atomically after each setting, so
an interrupted sweep keeps every finished setting and nothing half-written.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import pandas as pd
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from drs_lib import regime  # noqa: E402
from drs_lib.cache import ModelCache  # noqa: E402
from drs_lib.cached_training import gan_config, load_or_train_gan  # noqa: E402
from drs_lib.data import data_spec, grid_means  # noqa: E402
from drs_lib.io import write_csv_atomic  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "book/data/regime_sweep.csv"))
    parser.add_argument("--only", nargs="*", default=None, help="setting names to run (default: all)")
    parser.add_argument("--cache-dir", default=str(ROOT / ".cache/models"))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    unknown = set(args.only or []) - set(regime.SWEEP_SETTINGS)
    if unknown:
        parser.error(f"unknown setting(s) {sorted(unknown)}; known: {sorted(regime.SWEEP_SETTINGS)}")
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    frame = pd.read_csv(out) if out.exists() else pd.DataFrame()
    done = set(frame["setting"]) if len(frame) else set()
    cache = ModelCache(args.cache_dir)
    means = grid_means(5, regime.SWEEP_DATA["spacing"])
    data = data_spec("mixture", **regime.SWEEP_DATA)
    for name, setting in regime.SWEEP_SETTINGS.items():
        if (args.only and name not in args.only) or name in done:
            continue
        config = gan_config(data, regime.SWEEP_SEEDS, device="cpu", **regime.sweep_options(setting))
        start = time.perf_counter()
        gan = load_or_train_gan(cache, config, name="gan_mixture", device="cpu")
        seconds = time.perf_counter() - start
        rows = regime.trajectory_rows(gan, regime.sweep_steps(setting), means, regime.SWEEP_DATA["std"],
                                      regime.SWEEP_SAMPLES, setting=name, train_seconds=round(seconds, 1),
                                      options=json.dumps(setting, sort_keys=True), threads=args.threads,
                                      torch_version=torch.__version__, machine=platform.machine())
        frame = pd.concat([frame, pd.DataFrame(rows)], ignore_index=True)
        write_csv_atomic(frame, out)
        best = pd.DataFrame(regime.summarise(rows))
        print(f"{name}: {seconds:.0f} s", flush=True)
        print(best[["step", "modes_recovered_mean", "pct_high_quality_mean", "radial_rms_high_quality_mean"]]
              .round(2).to_string(index=False), flush=True)


if __name__ == "__main__":
    main()
