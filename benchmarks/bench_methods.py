"""Cost of each sampler per delivered sample: counted G/D evaluations and wall time per 10,000.

    .venv/bin/python benchmarks/bench_methods.py [--n-samples 10000] [--device auto] [--threads 1]

Uses the 25-Gaussian architecture (4 fully connected layers, 128 wide, 2D prior) with freshly
initialised weights: evaluation counts and time per sample do not depend on training (except
DRS's and MH-GAN's acceptance, which an untrained D makes unrepresentative; the notebook's cost
table uses the trained GANs). Evaluations are counted by wrapping G and D
(:class:`drs_lib.compare.harness.EvaluationCounter`), not by formula. Prints one line per method.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drs_lib.problems.data import make_sampler  # noqa: E402
from drs_lib.compare.harness import DEFAULT_METHODS, run_method  # noqa: E402
from drs_lib.device import resolve_device  # noqa: E402
from drs_lib.nets.models import discriminator_sizes, generator_sizes, mlp  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n-samples", type=int, default=10_000)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per method; the fastest is reported")
    args = parser.parse_args(argv)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    G = mlp(generator_sizes(), torch.Generator().manual_seed(0)).to(device).eval().requires_grad_(False)
    D = mlp(discriminator_sizes(), torch.Generator().manual_seed(1)).to(device).eval().requires_grad_(False)
    sample_real = make_sampler({"name": "mixture"})
    print(f"device {device}, torch threads {torch.get_num_threads()}, {args.n_samples:,} samples per method")
    print(f"{'method':22s} {'G fwd':>7s} {'G bwd':>7s} {'D fwd':>7s} {'D bwd':>7s} {'s / 10k':>9s}")
    for name, spec in DEFAULT_METHODS.items():
        best = None
        for r in range(args.repeats):
            run = run_method(name, spec, G, D, sample_real, args.n_samples, seed=r, device=device)
            if best is None or run.seconds < best.seconds:
                best = run
        c = best.cost_row()
        print(f"{name:22s} {c['g_forward_per_sample']:7.1f} {c['g_backward_per_sample']:7.1f} "
              f"{c['d_forward_per_sample']:7.1f} {c['d_backward_per_sample']:7.1f} {c['seconds_per_10k']:9.2f}",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
