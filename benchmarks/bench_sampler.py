"""DRS sampling speed: batched sampler vs a per-sample loop vs the floor, on the Section 4.1 MLPs.

    .venv/bin/python benchmarks/bench_sampler.py [--samples 100000] [--repeats 5] [--naive 2000] [--threads N] [--train-steps 1500]

* **batched**: :func:`drs_lib.samplers.drs.drs_sample` (BurnIn over 10,000 proposals, γ = 95th percentile
  of F̂ per batch of 10,000).
* **naive loop**: Figure 1 (right) written one sample at a time in Python (BurnIn one proposal
  at a time, then draw z, x = G(z), D̃(x), update D̃_M, σ(F̂), ψ, accept). A per-sample loop cannot
  take a per-batch percentile, so γ is fixed to the 95th percentile of F̂ over the BurnIn
  proposals. It is timed on ``--naive`` proposals and its per-proposal cost is extrapolated to the
  number of proposals the batched sampler needed (BurnIn included); the table says so.
* **floor**: the time of only the G and D forward passes for that many proposals, in the same
  batch size: no sampler can avoid them.

Each measurement times at least a second of work (``--samples`` accepted samples; a warning is
printed otherwise), and the batched sampler and its floor are timed in turn, ``--repeats``
times (sampler, floor, sampler, floor, ...), so that load drifting on a shared machine hits
both alike. The ratio is taken per repeat (the floor on exactly the proposals that repeat drew);
the table gives the median and the spread.

The generator and discriminator are the 4-layer, 128-wide MLPs of Section 4.1, trained briefly
(``--train-steps``) so that the acceptance rate is a realistic one.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time

import torch

from drs_lib.samplers import drs
from drs_lib.problems.data import data_spec, make_sampler
from drs_lib.nets.models import generator_callable, score_callable
from drs_lib.training.train import train_gan


@torch.no_grad()
def naive_drs(generator, discriminator, n_proposals: int, burn_in: int, percentile: float, seed: int) -> tuple[int, float]:
    """Figure 1 (right), one sample at a time; returns (accepted, seconds) over n_proposals after a BurnIn."""
    rng = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    d_max = -math.inf
    logits = []
    for _ in range(burn_in):
        logit = float(discriminator(generator(torch.randn(1, 2, generator=rng))))
        logits.append(logit)
        d_max = max(d_max, logit)
    gamma = float(drs.gamma_for_percentile(drs.F_hat(torch.tensor(logits), d_max), percentile))
    accepted = 0
    for _ in range(n_proposals):
        x = generator(torch.randn(1, 2, generator=rng))
        logit = float(discriminator(x))
        d_max = max(d_max, logit)
        gap = logit - d_max
        f_hat = gap - math.log1p(-math.exp(min(gap - drs.EPSILON, -1e-16))) - gamma
        p = 1.0 / (1.0 + math.exp(-f_hat))
        if float(torch.rand(1, generator=rng)) <= p:
            accepted += 1
    return accepted, time.perf_counter() - start


@torch.no_grad()
def floor_seconds(generator, discriminator, n_proposals: int, batch_size: int) -> float:
    rng = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    remaining = n_proposals
    while remaining > 0:
        n = min(batch_size, remaining)
        discriminator(generator(torch.randn(n, 2, generator=rng)))
        remaining -= n
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--naive", type=int, default=2_000, help="proposals timed in the naive loop (after its BurnIn)")
    parser.add_argument("--naive-burn-in", type=int, default=1_000, help="BurnIn proposals of the timed naive loop")
    parser.add_argument("--train-steps", type=int, default=1500)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    gan = train_gan(make_sampler(data_spec("mixture")), [0], steps=args.train_steps, lr_g=1e-3, lr_d=1e-3)
    generator, discriminator = gan.generator.member(0), gan.discriminator.member(0)
    generate, score = generator_callable(generator), score_callable(discriminator)

    def run(seed: int) -> tuple[float, drs.DRSResult]:
        start = time.perf_counter()
        result = drs.drs_sample(generate, score, args.samples, burn_in_samples=10_000, gamma_percentile=95.0,
                                batch_size=10_000, seed=seed, device="cpu")
        return time.perf_counter() - start, result

    run(99)  # warm-up
    batched, floors, ratios = [], [], []
    result = None
    for r in range(args.repeats):  # interleaved: sampler, then its floor on the same number of proposals
        seconds, result = run(r)
        floor = floor_seconds(generator, discriminator, result.burn_in_samples + result.proposals, 10_000)
        batched.append(seconds)
        floors.append(floor)
        ratios.append(seconds / floor)
    proposals = result.burn_in_samples + result.proposals
    best = min(batched)

    accepted, naive = naive_drs(generator, discriminator, args.naive, args.naive_burn_in, 95.0, seed=0)
    per_proposal = naive / (args.naive + args.naive_burn_in)
    naive_total = per_proposal * proposals

    print(f"DRS, {args.samples:,} accepted samples; acceptance rate {result.acceptance_rate:.3f}; "
          f"{proposals:,} proposals (BurnIn {result.burn_in_samples:,} + sampling {result.proposals:,}); "
          f"torch threads {torch.get_num_threads()}, cpus {os.cpu_count()}; {args.repeats} interleaved repeats")
    print(f"{'method':52s} {'median s':>9s} {'min s':>8s} {'vs batched':>11s}")
    print(f"{'batched drs_sample':52s} {statistics.median(batched):9.3f} {best:8.3f} {1.0:10.2f}x")
    print(f"{'floor: G + D forward passes only':52s} {statistics.median(floors):9.3f} {min(floors):8.3f} "
          f"{statistics.median(floors) / statistics.median(batched):10.2f}x")
    label = f"naive per-sample loop (timed {args.naive_burn_in + args.naive:,}, extrapolated)"
    print(f"{label:52s} {naive_total:9.1f} {'':8s} {naive_total / best:10.0f}x")
    if min(floors) < 1.0:
        print("warning: a floor measurement took under a second; raise --samples")
    print(f"batched / floor = {statistics.median(ratios):.2f} (median over repeats; range {min(ratios):.2f}..{max(ratios):.2f}; "
          f"target <= 1.3); naive / batched = {naive_total / best:.0f} (target >= 100); "
          f"naive loop accepted {accepted} of {args.naive} timed proposals")


if __name__ == "__main__":
    main()
