"""Training speed: five seeds as one batched computation vs five sequential runs.

    .venv/bin/python benchmarks/bench_train.py [--steps 300] [--seeds 5] [--threads N] [--plain]

Prints a small table (seed-steps per second, speed-up) and checks that every seed trained in the
stack ends with the same parameters as the same seed trained alone (up to float rounding).
"Sequential (same code)" runs :func:`drs_lib.training.train.train_gan` with one seed at a time;
"--plain" adds an independent textbook loop with ``nn.Sequential`` models, one seed at a time.
Timings on a shared machine are noisy: run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import os
import time

import torch
import torch.nn.functional as nnf

from drs_lib.problems.data import data_spec, make_sampler
from drs_lib.nets.models import discriminator_sizes, generator_sizes, mlp
from drs_lib.training.train import seed_generator, train_gan


def plain_run(sample_real, seed: int, steps: int, batch_size: int, lr: float) -> float:
    """A textbook single-seed GAN loop (nn.Sequential, fresh batch every step); returns seconds."""
    rng = seed_generator(seed, "plain")
    g, d = mlp(generator_sizes(), rng), mlp(discriminator_sizes(), rng)
    opt_g = torch.optim.Adam(g.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=lr, betas=(0.5, 0.999))
    start = time.perf_counter()
    for _ in range(steps):
        real = sample_real(batch_size, rng)
        with torch.no_grad():
            fake = g(torch.randn(batch_size, 2, generator=rng))
        loss_d = nnf.softplus(-d(real)).mean() + nnf.softplus(d(fake)).mean()
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = nnf.softplus(-d(g(torch.randn(batch_size, 2, generator=rng)))).mean()
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--plain", action="store_true", help="also time a textbook nn.Sequential loop")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    sample = make_sampler(data_spec("mixture"))
    seeds = list(range(args.seeds))
    options = dict(steps=args.steps, batch_size=args.batch_size, lr_g=1e-3, lr_d=1e-3)
    train_gan(sample, [0], steps=20, batch_size=args.batch_size)  # warm-up

    start = time.perf_counter()
    stacked = train_gan(sample, seeds, **options)
    batched_s = time.perf_counter() - start

    singles, sequential_s = [], 0.0
    for s in seeds:
        start = time.perf_counter()
        singles.append(train_gan(sample, [s], **options))
        sequential_s += time.perf_counter() - start

    diff = 0.0
    for i, single in enumerate(singles):
        for a, b in zip(list(stacked.generator.parameters()) + list(stacked.discriminator.parameters()),
                        list(single.generator.parameters()) + list(single.discriminator.parameters())):
            diff = max(diff, float((a[i] - b[0]).abs().max()))

    rows = [("batched (one stack of %d seeds)" % len(seeds), batched_s), ("sequential (same code, 1 seed)", sequential_s)]
    if args.plain:
        rows.append(("sequential (plain nn.Sequential)", sum(plain_run(sample, s, args.steps, args.batch_size, 1e-3) for s in seeds)))
    work = len(seeds) * args.steps
    print(f"GAN training, {len(seeds)} seeds x {args.steps} steps, batch {args.batch_size}, "
          f"torch threads {torch.get_num_threads()}, cpus {os.cpu_count()}")
    print(f"{'method':36s} {'seconds':>8s} {'seed-steps/s':>13s} {'batched speed-up':>17s}")
    for name, seconds in rows:
        print(f"{name:36s} {seconds:8.2f} {work / seconds:13.1f} {seconds / batched_s:16.2f}x")
    print(f"max |batched - sequential| over all parameters after {args.steps} steps: {diff:.2e}")
    print("(float rounding differences between bmm batch sizes are amplified by Adam and GAN dynamics over many "
          "steps; tests/test_train.py checks equality to 1e-4 over 30 steps)")


if __name__ == "__main__":
    main()
