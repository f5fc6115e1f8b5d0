"""DRS API speed and memory on a conv GAN: ``sample`` and ``stream`` against the G + D forward floor.

    .venv/bin/python benchmarks/bench_api.py [--samples 20000] [--repeats 5] [--memory-samples 10000 100000]

* **model**: the class-conditional DCGAN of the how-to chapter (:mod:`drs_lib.training.conditional_gan`,
  latents of shape (n, 32, 1, 1)) with a hinge-style projection discriminator and the paper's BCE
  head on its features (``fine_tune(method="bce_head")``, briefly trained on the digits). The
  weights are not trained: speed does not depend on them, and γ at the 80th percentile keeps
  the acceptance rate near that of a trained model.
* **sample**: ``DRS.sample(n)`` (labels drawn per proposal, batches of 10,000 proposals).
* **stream**: ``DRS.stream(n, chunk_size=2,000)``, every chunk read and dropped.
* **floor**: for the number of proposals the run drew, in the same batches, only what no
  sampler can skip: draw z and y, G(z, y), D's features, the BCE head.

Timings are interleaved (sample, stream, floor, sample, ...) and each takes at least a second
(``--samples``), so that load drifting on a shared machine hits all three alike; the table gives
the median over repeats of each ratio to the floor of the same repeat, and the spread.

**Memory**: in a fresh process that builds the sampler, the rise of the peak resident memory
(Linux ``VmHWM``, reset through ``/proc/self/clear_refs`` just before sampling) while drawing
``n`` samples, for two values of n, with ``stream`` (chunks dropped) and with ``sample``
(everything kept). ``stream`` should stay flat in n; ``sample`` grows by the samples it keeps.
The children run with glibc's ``MALLOC_MMAP_THRESHOLD_`` fixed at 64 KiB: with the default,
dynamic threshold, freed batch buffers are recycled through the heap and the high-water mark
creeps up with the number of batches whatever the program holds (stream: +27 MiB from 10,000
to 100,000 samples on this machine; +0.2 MiB with the threshold fixed).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

import torch

from drs_lib.api import DRS
from drs_lib.training.conditional_gan import ConditionalGenerator, ProjectionDiscriminator
from drs_lib.training.train_images import DEFAULT_DATA, load_split

BATCH = 10_000
CHUNK = 2_000


def build_sampler() -> DRS:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        G, D = ConditionalGenerator(10), ProjectionDiscriminator(10)
    train, _ = load_split(DEFAULT_DATA)
    sampler = DRS(G, D, latent=(G.z_dim, 1, 1), n_classes=10, gamma_percentile=80.0, batch_size=BATCH, device="cpu")
    sampler.fine_tune((train.images, train.labels), method="bce_head", n_fake=2_000, steps=100)
    sampler.calibrate(10_000, seed=0)
    return sampler


@torch.no_grad()
def floor_seconds(sampler: DRS, proposals: int) -> float:
    """Draw z and y, G(z, y), D's features and the BCE head, for ``proposals`` proposals in batches of BATCH."""
    G, D, head = sampler.generator, sampler.discriminator, sampler._head
    rng = torch.Generator().manual_seed(123)
    probs = sampler.class_probs
    start = time.perf_counter()
    for offset in range(0, proposals, BATCH):
        n = min(BATCH, proposals - offset)
        z = torch.randn(n, G.z_dim, 1, 1, generator=rng)
        y = torch.multinomial(probs, n, replacement=True, generator=rng)
        head(D.features(G(z, y), y), y)
    return time.perf_counter() - start


def time_sample(sampler: DRS, n: int, seed: int) -> tuple[float, int, float]:
    start = time.perf_counter()
    result = sampler.sample(n, seed=seed)
    return time.perf_counter() - start, result.proposals, result.acceptance_rate


def time_stream(sampler: DRS, n: int, seed: int) -> tuple[float, int]:
    start = time.perf_counter()
    stream = sampler.stream(n, chunk_size=CHUNK, seed=seed)
    for _ in stream:
        pass
    return time.perf_counter() - start, stream.proposals


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as handle:
        return int(re.search(field + r":\s+(\d+)", handle.read()).group(1))


def memory_child(mode: str, n: int) -> None:
    """Build the sampler, reset the peak-RSS mark (Linux: /proc/self/clear_refs), sample, report the peak's rise."""
    torch.set_num_threads(1)
    sampler = build_sampler()
    sampler.sample(1_000, seed=0)  # warm-up: the allocator has seen one batch
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")  # VmHWM := VmRSS
    before = _status_kib("VmRSS")
    if mode == "stream":
        kept = 0
        for chunk in sampler.stream(n, chunk_size=CHUNK, seed=1):
            kept += len(chunk.x)
    else:
        kept = len(sampler.sample(n, seed=1).x)
    print(json.dumps({"mode": mode, "n": n, "kept": kept, "rss_before_mib": before / 1024,
                      "peak_rise_mib": (_status_kib("VmHWM") - before) / 1024}))


def peak_memory(mode: str, n: int) -> dict:
    completed = subprocess.run([sys.executable, __file__, "--memory-child", mode, str(n)], capture_output=True, text=True,
                               check=True, env={**os.environ, "OMP_NUM_THREADS": "1", "MALLOC_MMAP_THRESHOLD_": "65536"})
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--memory-samples", type=int, nargs=2, default=[10_000, 100_000])
    parser.add_argument("--memory-child", nargs=2, metavar=("MODE", "N"), help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--memory-only", action="store_true", help="skip the timings")
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child[0], int(args.memory_child[1]))
        return
    torch.set_num_threads(args.threads)
    if not args.memory_only:
        timings(args)
    memory_table(args)


def timings(args: argparse.Namespace) -> None:
    sampler = build_sampler()
    time_sample(sampler, 2_000, seed=99)  # warm-up
    rows = []
    for r in range(args.repeats):
        t_sample, proposals, rate = time_sample(sampler, args.samples, seed=r)
        t_stream, stream_proposals = time_stream(sampler, args.samples, seed=r)
        assert stream_proposals == proposals  # the same run, read in chunks
        t_floor = floor_seconds(sampler, proposals)
        rows.append({"sample": t_sample, "stream": t_stream, "floor": t_floor, "proposals": proposals, "rate": rate})

    def ratio(key: str) -> list[float]:
        return [row[key] / row["floor"] for row in rows]

    print(f"DRS API on the conditional DCGAN + BCE head: {args.samples:,} samples per run, batches of {BATCH:,} proposals, "
          f"gamma at the 80th percentile; acceptance {statistics.median(r['rate'] for r in rows):.3f}, "
          f"{statistics.median(r['proposals'] for r in rows):,.0f} proposals per run; torch threads {torch.get_num_threads()}, "
          f"cpus {os.cpu_count()}; {args.repeats} interleaved repeats")
    print(f"{'measurement':40s} {'median s':>9s} {'min s':>8s} {'x floor (median)':>17s} {'x floor (min..max)':>19s}")
    for key, label in (("sample", "sample(n)"), ("stream", f"stream(n, chunk_size={CHUNK:,})"), ("floor", "floor: z, y, G, D features, head")):
        times = [row[key] for row in rows]
        ratios = ratio(key)
        print(f"{label:40s} {statistics.median(times):9.3f} {min(times):8.3f} {statistics.median(ratios):16.3f}x "
              f"{min(ratios):8.3f}..{max(ratios):.3f}")
    if min(row["floor"] for row in rows) < 1.0:
        print("warning: a floor measurement took under a second; raise --samples")
    print(f"sample / floor = {statistics.median(ratio('sample')):.2f}, stream / floor = {statistics.median(ratio('stream')):.2f} "
          "(target <= 1.3)")


def memory_table(args: argparse.Namespace) -> None:
    small, large = args.memory_samples
    results = {(mode, n): peak_memory(mode, n) for mode in ("stream", "sample") for n in (small, large)}
    print(f"\nrise of peak resident memory while drawing n samples, in a fresh process after building the sampler "
          f"(MiB; resident before: about {results[('stream', small)]['rss_before_mib']:.0f})")
    print(f"{'mode':34s} {'n = ' + f'{small:,}':>12s} {'n = ' + f'{large:,}':>12s} {'difference':>11s}")
    for mode, label in (("stream", f"stream (chunks of {CHUNK:,} dropped)"), ("sample", "sample (all kept)")):
        a, b = results[(mode, small)]["peak_rise_mib"], results[(mode, large)]["peak_rise_mib"]
        print(f"{label:34s} {a:12.1f} {b:12.1f} {b - a:11.1f}")
    print(f"(one sample is 1x8x8 float32 = 256 bytes: {large - small:,} more kept samples are "
          f"{(large - small) * 256 / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
