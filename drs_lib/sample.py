"""Command line: DRS samples of your GAN into a folder of shards, in one process or under ``torchrun``.

    python -m drs_lib.sample --model mypkg.gan:load --latent 128 --n-samples 50000 --gamma-percentile 80 --out samples/
    torchrun --nproc_per_node=4 -m drs_lib.sample --model mypkg.gan:load --latent 128 --n-samples 50000 --out samples/
    torchrun --nproc_per_node=8 -m drs_lib.sample ... --device cuda          # GPUs: one per process, NCCL

``--model`` names a factory, ``package.module:function`` or ``path/to/file.py:function``, called
with no arguments; it returns ``(G, D)``, two ``torch.nn.Module`` s as :class:`drs_lib.api.DRS`
takes them (``D`` giving the logit D̃). ``--sampler drs.pt`` adds what ``DRS.save`` stored (a BCE
head or KeepTrained D from ``fine_tune``, the latent, the γ rule). Then: BurnIn spread over the
processes (``DRS.calibrate(numbered=True)``: one D̃_M for all), and the sampling phase over
numbered batches, written by rank 0 as shards plus a manifest
(:func:`drs_lib.api.shards.sample_to_folder`). The samples are the same for a seed whatever the
number of processes (on one kind of device). Interrupted? Run the same command again: it goes
on from the shards written and ends with what an uninterrupted run writes.

Every argument is checked before the process group, the models or BurnIn are touched; a bad one
stops with a message naming it, the value and what is allowed. Rank 0 prints a progress line
(accepted / n, proposals/s, acceptance, ETA) to stderr.

``--n`` is short for ``--n-samples`` with ``python -m``; under ``torchrun`` spell it out, since
torchrun's own argument parser reads ``--n`` as an ambiguous prefix of ``--nnodes`` and
``--nproc-per-node`` and stops.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from drs_lib.api import distributed
from drs_lib.api import DRS
from drs_lib.device import ALLOWED_DEVICES, resolve_device
from drs_lib.api.shards import Progress, sample_to_folder

__all__ = ["main", "load_factory", "parse_args"]


class UsageError(ValueError):
    """A bad command-line value (the message names it, the value, and what is allowed)."""


def _positive_int(name: str, minimum: int = 1):
    def parse(text: str) -> int:
        try:
            value = int(text.replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name}: got {text!r}; allowed: an integer >= {minimum}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{name}: got {value}; allowed: an integer >= {minimum}")
        return value
    return parse


def _percentile(text: str) -> float | None:
    if text.lower() in ("none", "0-gamma", "ideal"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--gamma-percentile: got {text!r}; allowed: a number in [0, 100], "
                                         "or 'none' for γ = 0") from None
    if not 0.0 <= value <= 100.0:
        hint = " (the 80th percentile is 80, not 0.8)" if 0 < value < 1 else ""
        raise argparse.ArgumentTypeError(f"--gamma-percentile: got {text}; allowed: a number in [0, 100], or 'none' "
                                         f"for γ = 0{hint}")
    return value


def _latent(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(part) for part in text.replace("x", ",").split(",") if part.strip())
    except ValueError:
        shape = ()
    if not shape or any(s < 1 for s in shape):
        raise argparse.ArgumentTypeError(f"--latent: got {text!r}; allowed: the shape of one latent without the batch "
                                         "axis, positive integers separated by commas, e.g. 128 or 100,1,1")
    return shape


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m drs_lib.sample", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="factory returning (G, D): package.module:function or file.py:function")
    # --n is also accepted, except under torchrun: its own parser takes --n for a prefix of --nnodes / --nproc-per-node
    p.add_argument("--n-samples", "--n", dest="n", type=_positive_int("--n-samples"), required=True, help="samples to write")
    p.add_argument("--out", required=True, help="output folder (shards + manifest.json); rerun to resume")
    p.add_argument("--latent", type=_latent, help="shape of one latent, e.g. 128 or 100,1,1 (not needed with --sampler)")
    p.add_argument("--sampler", help="a file written by DRS.save (fine-tuning, latent, γ rule)")
    p.add_argument("--n-classes", type=_positive_int("--n-classes", 2), help="class-conditional G(z, y), D(x, y): labels drawn per proposal")
    p.add_argument("--gamma-percentile", type=_percentile, default="80", help="γ at this percentile of F̂ per batch (paper: 80 for images); 'none': γ = 0")
    p.add_argument("--seed", type=_positive_int("--seed", 0), default=0, help="the samples are the same for a seed")
    p.add_argument("--n-burn-in", type=_positive_int("--n-burn-in"), default=10_000, help="BurnIn proposals for D̃_M (paper: 10,000)")
    p.add_argument("--batch-size", type=_positive_int("--batch-size"), default=10_000, help="proposals per numbered batch")
    p.add_argument("--shard-size", type=_positive_int("--shard-size"), default=10_000, help="samples per shard file")
    p.add_argument("--no-update-max", action="store_true", help="keep D̃_M of BurnIn instead of raising it while sampling")
    p.add_argument("--device", default="auto", help=f"{ALLOWED_DEVICES}; under torchrun 'cuda' means this process's GPU (LOCAL_RANK)")
    p.add_argument("--max-proposals", type=_positive_int("--max-proposals"), help="stop with an error after this many proposals")
    p.add_argument("--max-shards", type=_positive_int("--max-shards"), help="write at most this many new shards, then exit; rerun to continue")
    p.add_argument("--quiet", action="store_true", help="no progress line")
    return p


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse and check every argument (device, factory spec, output path) before any work."""
    p = parser()
    args = p.parse_args(argv)
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    try:
        device = resolve_device(args.device)
    except ValueError as error:
        p.error(f"--device: {error}")
    if device.type == "cuda" and device.index is None and "LOCAL_RANK" in os.environ:  # torchrun: one GPU per process
        if local_rank >= torch.cuda.device_count():
            p.error(f"--device {args.device}: this is process LOCAL_RANK={local_rank}, but only {torch.cuda.device_count()} "
                    "CUDA device(s) are present; allowed: --nproc_per_node up to the number of GPUs")
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    args.torch_device = device
    if ":" not in args.model or args.model.startswith(":") or args.model.endswith(":"):
        p.error(f"--model: got {args.model!r}; allowed: package.module:function or path/to/file.py:function (a factory "
                "returning (G, D))")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        p.error(f"--out: {args.out!r} is a file; allowed: a folder (created if missing)")
    if args.sampler is not None and not Path(args.sampler).is_file():
        p.error(f"--sampler: no file {args.sampler!r}; allowed: a file written by DRS.save")
    if args.sampler is None and args.latent is None:
        p.error("--latent is required without --sampler: the shape of one latent, e.g. 128 or 100,1,1")
    return args


def load_factory(spec: str) -> Any:
    """The function named by ``package.module:function`` or ``path/to/file.py:function``."""
    where, _, name = spec.rpartition(":")
    if where.endswith(".py"):
        path = Path(where)
        if not path.is_file():
            raise UsageError(f"--model: no file {where!r}")
        module_spec = importlib.util.spec_from_file_location(f"_drs_model_{path.stem}", path)
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
    else:
        try:
            module = importlib.import_module(where)
        except ImportError as error:
            raise UsageError(f"--model: cannot import {where!r} ({error}); allowed: an importable module or a .py file") from None
    factory = getattr(module, name, None)
    if not callable(factory):
        raise UsageError(f"--model: {where!r} has no function {name!r}")
    return factory


def build_models(spec: str) -> tuple[nn.Module, nn.Module]:
    """Call the factory and check that it returned two modules (G, D)."""
    made = load_factory(spec)()
    if not (isinstance(made, (tuple, list)) and len(made) == 2 and all(isinstance(m, nn.Module) for m in made)):
        kinds = type(made).__name__ if not isinstance(made, (tuple, list)) else \
            f"{type(made).__name__} of {len(made)}: " + ", ".join(type(m).__name__ for m in made)
        raise UsageError(f"--model: {spec} returned {kinds}; allowed: a pair (G, D) of torch.nn.Module, G(z) -> samples "
                         "and D(x) -> one logit per sample")
    return made[0], made[1]


def _print_progress(every: float = 2.0):
    last = [0.0]

    def show(p: Progress) -> None:
        now = time.perf_counter()
        if now - last[0] < every and p.accepted < p.n:
            return
        last[0] = now
        eta = "?" if p.eta_seconds == float("inf") else str(timedelta(seconds=round(p.eta_seconds)))
        print(f"accepted {p.accepted:,} / {p.n:,}, {p.proposals_per_second:,.0f} proposals/s, acceptance {p.acceptance:.3f}, "
              f"ETA {eta}, shards {p.shards}", file=sys.stderr, flush=True)

    return show


def run(args: argparse.Namespace) -> int:
    G, D = build_models(args.model)
    device = args.torch_device
    options: dict[str, Any] = {"update_max": not args.no_update_max, "batch_size": args.batch_size}
    if args.sampler is not None:
        sampler = DRS.load(args.sampler, G, D, latent=args.latent, device=device)
        sampler.update_max, sampler.batch_size = options["update_max"], options["batch_size"]
    else:
        sampler = DRS(G, D, args.latent, n_classes=args.n_classes, gamma_percentile=args.gamma_percentile,
                      device=device, **options)
    started_group = False
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        started_group = True
    try:
        where = distributed.world(device=device)
        start = time.perf_counter()
        calibration = sampler.calibrate(args.n_burn_in, seed=args.seed, numbered=True)
        if where.is_root and not args.quiet:
            print(f"{where.size} process(es) on {device.type}; " + calibration.summary().replace("\n", "\n  "),
                  file=sys.stderr, flush=True)
        result = sample_to_folder(sampler, args.n, args.out, seed=args.seed, shard_size=args.shard_size,
                                  gamma_percentile=args.gamma_percentile, max_proposals=args.max_proposals,
                                  max_shards=args.max_shards, progress=None if args.quiet else _print_progress(),
                                  note={"model": args.model, "sampler": args.sampler})
        if where.is_root:
            state = "complete" if result.complete else f"stopped after {args.max_shards} new shard(s); run the same command again to continue"
            print(f"{args.out}: {result.samples:,} samples in {result.shards} shard(s), {state}; "
                  f"acceptance {result.acceptance_rate:.4f} over {result.proposals:,} proposals; "
                  f"{time.perf_counter() - start:.1f} s here", flush=True)
    finally:
        if started_group:
            dist.destroy_process_group()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except (UsageError, ValueError) as error:  # ModelMismatchError is a ValueError
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
