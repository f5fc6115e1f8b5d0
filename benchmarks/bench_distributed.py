"""DRS over processes: proposals per second with 1 and 2 processes against the G + D forward floor,
and the cost of the collectives per batch.

    .venv/bin/python benchmarks/bench_distributed.py [--samples 20000] [--batch 5000] [--repeats 2]

* **model**: the class-conditional DCGAN of the how-to chapter (:mod:`drs_lib.training.conditional_gan`,
  latents (n, 32, 1, 1), labels drawn per proposal), untrained: speed does not depend on the
  weights. Its projection discriminator's output is used as the logit (no BCE head here).
* **1 process**: ``drs_lib.api.shards.sample_to_folder`` in a plain process (no process group, no
  collectives), the single-process path of ``python -m drs_lib.sample``.
* **2 processes**: the same call under ``torchrun --standalone --nproc_per_node=2`` (gloo), each
  process with one torch thread. Numbered BurnIn first, then the timed sampling phase.
* **floor**: what no sampler can skip, in one process and one thread: draw z and y, G(z, y),
  D(x, y), for as many proposals in batches of the same size. "x floor" is the sampler's
  proposals/s over the floor's; with two processes on two free cores the ideal is 2.
* **collectives per batch**: in the 2-process run, the time each rank spent inside the
  collectives of ``drs_lib.api.distributed`` (all-gather of batch maxima and counts, gather of the
  accepted rows) per batch it drew, which includes waiting for the other rank; and, alone, the
  same three collectives for a round with no model work between them (pure overhead).

Every process runs with ``OMP_NUM_THREADS=1``. On a machine where another job holds the cores,
two processes compete with it: the table states the CPU count, and the numbers are this machine's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.distributed as dist

from drs_lib.api import distributed, shards
from drs_lib.api import DRS
from drs_lib.training.conditional_gan import ConditionalGenerator, ProjectionDiscriminator

ROOT = Path(__file__).resolve().parents[1]


def build_sampler(batch: int) -> DRS:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        G, D = ConditionalGenerator(10), ProjectionDiscriminator(10)
    return DRS(G, D, latent=(G.z_dim, 1, 1), n_classes=10, gamma_percentile=80.0, batch_size=batch, device="cpu")


@torch.no_grad()
def floor_seconds(sampler: DRS, proposals: int, batch: int) -> float:
    G, D = sampler.generator, sampler.discriminator
    rng = torch.Generator().manual_seed(123)
    start = time.perf_counter()
    for _ in range(0, proposals, batch):
        z = torch.randn(batch, G.z_dim, 1, 1, generator=rng)
        y = torch.multinomial(sampler.class_probs, batch, replacement=True, generator=rng)
        D(G(z, y), y)
    return time.perf_counter() - start


class Timed:
    """Wraps the collectives of drs_lib.api.distributed (looked up at call time) and adds up their wall time."""

    NAMES = ("all_gather_scalars", "gather_rows", "all_gather_rows")

    def __init__(self) -> None:
        self.seconds = 0.0
        self.originals = {name: getattr(distributed, name) for name in self.NAMES}

    def __enter__(self) -> Timed:
        for name, original in self.originals.items():
            setattr(distributed, name, self._wrap(original))
        return self

    def _wrap(self, function):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start
        return timed

    def __exit__(self, *exc) -> None:
        for name, original in self.originals.items():
            setattr(distributed, name, original)


def pure_collectives(where: distributed.World, batch: int, acceptance: float, rounds: int = 100) -> float:
    """Seconds per round of the three collectives alone (shapes as in a round of the sampler)."""
    rows = int(batch * acceptance)
    x, y, logits = torch.zeros(rows, 1, 8, 8), torch.zeros(rows, dtype=torch.long), torch.zeros(rows, dtype=torch.float64)
    counts = [rows] * where.size
    dist.barrier()
    start = time.perf_counter()
    for _ in range(rounds):
        distributed.all_gather_scalars([1.0], where)
        distributed.all_gather_scalars([rows, 0.5], where)
        for part in (x, y, logits):
            distributed.gather_rows(part, counts, where)
    dist.barrier()
    return (time.perf_counter() - start) / rounds


def worker(args: argparse.Namespace) -> None:
    torch.set_num_threads(1)
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        dist.init_process_group("gloo")
    where = distributed.world()
    sampler = build_sampler(args.batch)
    sampler.calibrate(args.batch, seed=0, numbered=True)
    results = []
    for repeat in range(args.repeats):
        out = Path(args.out) / f"run{repeat}"
        with Timed() as timer:
            start = time.perf_counter()
            result = shards.sample_to_folder(sampler, args.samples, out, seed=repeat, shard_size=args.samples)
            seconds = time.perf_counter() - start
        # the rounds drawn: the last round may hold batches beyond the one that completed n
        batches = result.proposals // args.batch  # up to the one that completed n
        rounds = -(-batches // where.size)  # each rank drew one batch per round
        per_rank = distributed.all_gather_scalars([timer.seconds / rounds], where)[:, 0].tolist() if where.active else [0.0]
        results.append({"seconds": seconds, "proposals": result.proposals, "drawn": rounds * where.size * args.batch,
                        "acceptance": result.acceptance_rate, "collective_per_batch": per_rank})
    pure = pure_collectives(where, args.batch, results[0]["acceptance"]) if where.active else 0.0
    if where.is_root:
        print(json.dumps({"world": where.size, "runs": results, "pure_collectives_per_round": pure}))
    if where.active:
        dist.destroy_process_group()


def launch(nproc: int, args: argparse.Namespace, out: Path) -> dict:
    worker_args = [str(Path(__file__).resolve()), "--worker", "--samples", str(args.samples), "--batch", str(args.batch),
                   "--repeats", str(args.repeats), "--out", str(out)]
    command = [sys.executable, *worker_args] if nproc == 1 else \
        [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}", *worker_args]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT)
    if done.returncode:
        raise SystemExit(f"{nproc}-process run failed:\n{done.stderr[-3000:]}")
    return json.loads([line for line in done.stdout.splitlines() if line.startswith("{")][-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as folder:
        runs = {n: launch(n, args, Path(folder) / f"p{n}") for n in (1, 2)}
    one, two = runs[1]["runs"], runs[2]["runs"]
    assert [r["proposals"] for r in one] == [r["proposals"] for r in two]  # the same run, world-size independent
    sampler = build_sampler(args.batch)
    floor_seconds(sampler, args.batch, args.batch)  # warm-up
    floors = [floor_seconds(sampler, r["proposals"], args.batch) for r in one]
    floor_rate = statistics.median(r["proposals"] / f for r, f in zip(one, floors))

    def rate(rows: list[dict]) -> float:  # proposals the processes drew (the last round's extra batches included)
        return statistics.median(r["drawn"] / r["seconds"] for r in rows)

    print(f"DRS over processes on the conditional DCGAN (untrained), {args.samples:,} samples per run, batches of "
          f"{args.batch:,}, gamma at the 80th percentile, acceptance {one[0]['acceptance']:.3f}; one torch thread per "
          f"process, cpus {os.cpu_count()}; median of {args.repeats} runs")
    print(f"{'':34s} {'proposals/s':>12s} {'x floor':>8s}")
    print(f"{'floor: z, y, G, D (1 process)':34s} {floor_rate:12,.0f} {1.0:8.2f}")
    for n, rows in ((1, one), (2, two)):
        print(f"{f'sample_to_folder, {n} process(es)':34s} {rate(rows):12,.0f} {rate(rows) / floor_rate:8.2f}")
    per_batch = [statistics.median(r["collective_per_batch"][k] for r in two) for k in range(2)]
    print(f"2 vs 1 process: {rate(two) / rate(one):.2f}x")
    print(f"collectives per batch, 2 processes: rank 0 {1e3 * per_batch[0]:.2f} ms, rank 1 {1e3 * per_batch[1]:.2f} ms "
          f"(waiting for the other rank included); the same collectives alone: "
          f"{1e3 * runs[2]['pure_collectives_per_round']:.2f} ms per round of 2 batches; one batch of the floor: "
          f"{1e3 * args.batch / floor_rate:.1f} ms")


if __name__ == "__main__":
    main()
