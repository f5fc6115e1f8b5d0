"""Training speed: one training step against its matmul floor, and stacked seeds vs sequential runs.

    .venv/bin/python benchmarks/bench_train.py [--steps 300] [--seeds 5] [--threads N] [--plain]
    .venv/bin/python benchmarks/bench_train.py --floor-only [--floor-stacks 5 10]

**Floor.** For the book's 25-Gaussian GAN (the ``paper_regime`` preset: 4 layers of width 256,
batch 256), every matrix product one training step performs (forward, backward, both players)
is recorded once with a dispatch hook, then replayed alone on preallocated tensors. The replay
time is the floor: a training step cannot do less than those products. The table gives the
measured step time, the floor, and their ratio, for 5 and 10 models in one stack, plus the
floor's arithmetic rate (GFLOP/s) so that it can be compared with one large matmul.

**Stacked vs sequential.** A small table (seed-steps per second, speed-up), and a check that every
seed trained in the stack ends with the same parameters as the same seed trained alone (up to
float rounding). "Sequential (same code)" runs :func:`drs_lib.training.train.train_gan` with one
seed at a time; "--plain" adds an independent textbook loop with ``nn.Sequential`` models.

Timings on a shared machine are noisy: run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as nnf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # drs_book (not installed) for the preset

from matmul_floor import big_matmul_rate, record_matmuls, replay_seconds  # noqa: E402  (benchmarks/, the script's folder)

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


def record_training_matmuls(sample_real, n_models: int, options: dict, steps: int) -> list:
    """(op, input shapes, scalar args) of every matrix product ``steps`` training steps perform, in order."""
    return record_matmuls(lambda: train_gan(sample_real, list(range(n_models)), steps=steps, chunk_steps=steps,
                                            **options))


def step_seconds(sample_real, n_models: int, options: dict, steps: int) -> float:
    """Seconds per training step: the difference of a long and a short run cancels set-up costs."""
    seeds = list(range(n_models))
    timings = []
    for n in (steps, 2 * steps):
        start = time.perf_counter()
        train_gan(sample_real, seeds, steps=n, chunk_steps=50, **options)
        timings.append(time.perf_counter() - start)
    return (timings[1] - timings[0]) / steps


def floor_table(stacks: list[int], steps: int) -> None:
    from drs_book import regime

    preset = regime.gan_preset("paper_regime")
    sample = make_sampler(preset["data"])
    options = {k: v for k, v in preset["gan"].items() if k not in ("steps", "checkpoints", "chunk_steps")}
    train_gan(sample, [0], steps=20, **options)  # warm-up
    big_rate = big_matmul_rate()
    print(f"Training step vs its matmul floor (paper_regime GAN: {options}), "
          f"torch threads {torch.get_num_threads()}, cpus {os.cpu_count()}")
    print(f"one (2048 x 2048) matmul: {big_rate:.1f} GFLOP/s")
    print(f"{'models':>6s} {'matmuls/step':>12s} {'step ms':>8s} {'floor ms':>9s} {'floor GFLOP/s':>14s} "
          f"{'step / floor':>12s}")
    for n_models in stacks:
        calls = record_training_matmuls(sample, n_models, options, steps=2)
        per_step = calls[len(calls) // 2:]  # the second step (the first may differ: optimiser state)
        floor_s, gflop = replay_seconds(per_step, repeats=20)
        step_s = step_seconds(sample, n_models, options, steps)
        print(f"{n_models:6d} {len(per_step):12d} {step_s * 1e3:8.2f} {floor_s * 1e3:9.2f} {gflop / floor_s:14.1f} "
              f"{step_s / floor_s:11.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--plain", action="store_true", help="also time a textbook nn.Sequential loop")
    parser.add_argument("--floor-stacks", type=int, nargs="+", default=[5, 10],
                        help="models per stack in the floor table (default: 5 10)")
    parser.add_argument("--floor-steps", type=int, default=200, help="training steps timed per floor row")
    parser.add_argument("--floor-only", action="store_true", help="only the floor table")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    floor_table(args.floor_stacks, args.floor_steps)
    if args.floor_only:
        return
    print()
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
