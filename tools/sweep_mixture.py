"""Run the 25-Gaussian regime sweep (drs_book.regime) and write its tidy CSV.

    .venv/bin/python tools/sweep_mixture.py [--out book/data/regime_sweep.csv] [--only NAME ...]
    MKL_CBWR=COMPATIBLE ATEN_CPU_CAPABILITY=default .venv/bin/python tools/sweep_mixture.py --numerics switched --only NAME

Each setting (drs_book.regime.SWEEP_SETTINGS) trains five seeds stacked on its grid (raw or
normalised), keeps a snapshot every ``eval_every`` steps and measures the unfiltered generator
there. Settings already in the CSV (for the same ``--numerics``) are skipped (delete the file to
start over); the CSV is rewritten atomically after each setting, so an interrupted sweep keeps
every finished setting and nothing half-written.

``--numerics switched`` re-trains a setting with torch's vector kernels and MKL's matmuls forced
to other code paths, as on another CPU (the selection rule requires the chosen setting to stay in
the paper's regime there too). It refuses to run unless the two switches are set in the
environment (they must be set before torch starts), and it never reads or writes the model cache,
whose entries were trained under the native numerics.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import pandas as pd
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from drs_book import regime  # noqa: E402
from drs_book.cache import ModelCache  # noqa: E402
from drs_book.cached_training import gan_config, load_or_train_gan  # noqa: E402
from drs_lib.io import write_csv_atomic  # noqa: E402

#: The environment switches of ``--numerics switched`` (torch reads them when it starts).
SWITCHES = {"MKL_CBWR": "COMPATIBLE", "ATEN_CPU_CAPABILITY": "default"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "book/data/regime_sweep.csv"))
    parser.add_argument("--only", nargs="*", default=None, help="setting names to run (default: all)")
    parser.add_argument("--cache-dir", default=str(ROOT / ".cache/models"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--until", type=int, default=None,
                        help="train only up to this snapshot (with a constant learning rate the snapshots are the same)")
    parser.add_argument("--numerics", choices=["native", "switched"], default="native",
                        help="switched: re-train under " + " ".join(f"{k}={v}" for k, v in SWITCHES.items()))
    args = parser.parse_args()
    switched_env = all(os.environ.get(k) == v for k, v in SWITCHES.items())
    if args.numerics == "switched" and not switched_env:
        parser.error("--numerics switched needs " + " ".join(f"{k}={v}" for k, v in SWITCHES.items())
                     + " in the environment (set before python starts)")
    if args.numerics == "native" and any(k in os.environ for k in SWITCHES):
        parser.error("native numerics: unset " + " and ".join(k for k in SWITCHES if k in os.environ))
    unknown = set(args.only or []) - set(regime.SWEEP_SETTINGS)
    if unknown:
        parser.error(f"unknown setting(s) {sorted(unknown)}; known: {sorted(regime.SWEEP_SETTINGS)}")
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    frame = regime.read_sweep(out) if out.exists() else pd.DataFrame()
    done = set(frame.loc[frame["numerics"] == args.numerics, "setting"]) if len(frame) else set()
    cache = ModelCache(args.cache_dir, enabled=args.numerics == "native")
    for name, setting in regime.SWEEP_SETTINGS.items():
        if (args.only and name not in args.only) or name in done:
            continue
        data = regime.sweep_data(setting)
        if args.until is not None:
            if setting.get("lr_final_fraction", 1.0) != 1.0:
                parser.error(f"--until: {name!r} decays its learning rate, so a shorter run is not a snapshot of it")
            setting = {**setting, "steps": min(int(setting["steps"]), args.until)}
        config = gan_config(data, regime.SWEEP_SEEDS, device="cpu", **regime.sweep_options(setting))
        start = time.perf_counter()
        gan = load_or_train_gan(cache, config, name="gan_mixture", device="cpu")
        seconds = time.perf_counter() - start
        rows = regime.trajectory_rows(gan, regime.sweep_steps(setting), data, regime.SWEEP_SAMPLES,
                                      setting=name, scale=data["scale"], numerics=args.numerics,
                                      train_seconds=round(seconds, 1),
                                      options=json.dumps(setting, sort_keys=True), threads=args.threads,
                                      torch_version=torch.__version__, machine=platform.machine(),
                                      cpu_capability=torch.backends.cpu.get_cpu_capability())
        frame = pd.concat([frame, pd.DataFrame(rows)], ignore_index=True)
        write_csv_atomic(frame, out)
        best = pd.DataFrame(regime.summarise(rows))
        print(f"{name}: {seconds:.0f} s", flush=True)
        print(best[["step", "modes_recovered_mean", "pct_high_quality_mean", "radial_rms_high_quality_mean"]]
              .round(2).to_string(index=False), flush=True)


if __name__ == "__main__":
    main()
