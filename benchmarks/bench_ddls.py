"""DDLS speed: one MALA step of :func:`drs_lib.samplers.ddls.ddls_sample` against what a step cannot avoid.

    .venv/bin/python benchmarks/bench_ddls.py [--chains 500] [--steps 200] [--repeats 5] [--threads N]

On the book's 25-Gaussian GAN (the ``paper_regime`` preset: 4-layer MLPs of width 256, latent
dimension 2; trained for ``--train-steps`` so that MALA's acceptance is a realistic one), with
``--chains`` chains in one batch, as chapter 06 runs them (500 chains per model):

* **MALA step**: ``ddls_sample(method="mala")`` per step (the difference of a run of ``2 * steps``
  and one of ``steps`` steps, so that set-up costs cancel), with its bookkeeping: the proposal,
  the acceptance test, the energy trace that the flatness rule reads.
* **floor, passes**: the passes every Langevin step must make, a forward of G and D and a backward
  to z on the same chains, in a bare loop.
* **floor, arithmetic**: the matrix products of those passes alone, recorded once and replayed on
  preallocated tensors (:mod:`matmul_floor`), with their rate against one 2048² matmul.

Chapter 06's DDLS time is then its steps (read from ``results/06_ddls_comparison.csv`` when it
exists) times the step. The entries are medians over ``--repeats`` runs, timed in turn. Timings
on a shared machine are noisy: run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # drs_book (not installed) for the preset

from matmul_floor import big_matmul_rate, record_matmuls, replay_seconds  # noqa: E402

from drs_lib.problems.data import make_sampler  # noqa: E402
from drs_lib.samplers.ddls import ddls_sample  # noqa: E402
from drs_lib.training.train import train_gan  # noqa: E402

RESULTS = Path(__file__).resolve().parents[1] / "results" / "06_ddls_comparison.csv"


def passes(G, score, z: torch.Tensor) -> torch.Tensor:
    """One Langevin step's unavoidable work: E(z) = |z|²/2 − D(G(z)) and its gradient in z."""
    z = z.detach().requires_grad_(True)
    energy = 0.5 * z.pow(2).sum(dim=1) - score(G(z))
    (grad,) = torch.autograd.grad(energy.sum(), z)
    return grad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chains", type=int, default=500)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--train-steps", type=int, default=500)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    from drs_book import regime

    preset = regime.gan_preset("paper_regime")
    options = {k: v for k, v in preset["gan"].items() if k not in ("steps", "checkpoints", "chunk_steps")}
    gan = train_gan(make_sampler(preset["data"]), [0], steps=args.train_steps, **options)
    G, D = gan.generator.member(0), gan.discriminator.member(0)
    latent_dim = G[0].in_features

    def score(x: torch.Tensor) -> torch.Tensor:
        return D(x).reshape(-1)

    def mala(n_steps: int) -> float:
        start = time.perf_counter()
        ddls_sample(G, score, args.chains, latent_dim, method="mala", step_size=0.01, n_steps=n_steps,
                    batch_size=args.chains, rng=0, device="cpu", trace=True)
        return time.perf_counter() - start

    z = torch.randn(args.chains, latent_dim, generator=torch.Generator().manual_seed(1))

    def bare(n_steps: int) -> float:
        start = time.perf_counter()
        for _ in range(n_steps):
            passes(G, score, z)
        return time.perf_counter() - start

    calls = record_matmuls(lambda: passes(G, score, z))
    mala(10), bare(10)  # warm-up
    runs = {"mala": [], "passes": [], "arithmetic": []}
    acceptance = ddls_sample(G, score, args.chains, latent_dim, method="mala", step_size=0.01, n_steps=args.steps,
                             batch_size=args.chains, rng=0, device="cpu").acceptance_rate
    for _ in range(args.repeats):
        runs["mala"].append((mala(2 * args.steps) - mala(args.steps)) / args.steps)
        runs["passes"].append(bare(args.steps) / args.steps)
        runs["arithmetic"].append(replay_seconds(calls, repeats=20)[0])
    median = {k: statistics.median(v) for k, v in runs.items()}
    gflop = replay_seconds(calls, repeats=1)[1]
    print(f"MALA on the paper_regime GAN ({options['hidden']}-wide), {args.chains} chains, step size 0.01 "
          f"(acceptance {acceptance:.2f}); threads {torch.get_num_threads()}; median of {args.repeats}")
    print(f"MALA step (ddls_sample)                      {median['mala'] * 1e3:7.2f} ms")
    print(f"floor, passes (G, D forward; backward to z)  {median['passes'] * 1e3:7.2f} ms  "
          f"(MALA step / passes: {median['mala'] / median['passes']:.2f}x)")
    print(f"floor, arithmetic ({len(calls)} matmuls, {gflop * 1e3:.0f} MFLOP)   {median['arithmetic'] * 1e3:7.2f} ms  "
          f"(MALA step / arithmetic: {median['mala'] / median['arithmetic']:.2f}x; "
          f"{gflop / median['arithmetic']:.0f} GFLOP/s, one 2048² matmul {big_matmul_rate():.0f})")
    if RESULTS.exists():
        import pandas as pd

        results = pd.read_csv(RESULTS)
        langevin = results[results.method.str.startswith("DDLS") & (results.dataset == "mixture")]
        steps = float(langevin.n_steps.sum())
        print(f"chapter 06 (25 Gaussians): {steps:,.0f} Langevin steps of {args.chains} chains took "
              f"{langevin.seconds.sum():.0f} s ({langevin.seconds.sum() / steps * 1e3:.2f} ms a step); at this "
              f"MALA step {steps * median['mala']:.0f} s, at the arithmetic floor {steps * median['arithmetic']:.0f} s")


if __name__ == "__main__":
    main()
