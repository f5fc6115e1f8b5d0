"""DRS over several processes (``torchrun``): numbered batches, their seeds, and the collectives.

The scheme that makes the samples of a seed the same whatever the number of processes:

* **Numbered batches.** Proposals come in batches of a fixed size, numbered 0, 1, 2, ... over the
  whole run. Batch ``b``'s latents (and labels), then its acceptance draws ψ, come from one
  ``torch.Generator`` seeded with :func:`batch_seed` ``(seed, purpose, b)``, a hash of the three,
  so that a batch's randomness does not depend on which process draws it or on what was drawn
  before it.
* **Ranks take batches in turn.** With W processes, round r is batches ``r·W, ..., r·W + W − 1``
  and rank k draws batch ``r·W + k`` (:func:`round_batches`).
* **Results in batch order.** The accepted samples of a round are gathered on one rank (or all)
  in batch order, and the first n accepted are kept: that is the single-process result.
* **D̃_M.** With ``update_max=False`` every batch is judged against the D̃_M of BurnIn (Figure 1,
  right) and batches are independent. With ``update_max=True`` batch b is judged against
  max(D̃_M of BurnIn, largest logit of batches 0..b), the running maximum of the serial sampler
  updated once per batch (:func:`drs_lib.samplers.drs.drs_batches`): the ranks share their batch maxima
  once per round, before judging (one all-gather of W numbers), and each rank takes the prefix
  maximum up to its own batch. Both options therefore give the same samples for any W; what
  ``update_max=True`` adds is that collective per round, a synchronisation point between
  scoring and judging.

Identity is exact (``torch.equal``), not approximate, because each batch is computed by the same
operations on the same inputs (same batch size, same device type, same thread settings) whichever
rank runs it; nothing is summed across ranks (a maximum is exact). Different devices (CPU vs CUDA)
or a different batch size give different, equally valid, samples.

Collectives are those of ``torch.distributed`` (gloo on CPU, NCCL on CUDA); nothing else
coordinates the processes. With no process group (or one process) every helper here works on a
world of one, without collectives. No global state: the group is passed (``None``: the default
group when initialised).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import Tensor

from drs_lib.rng import hashed_seed
from drs_lib.samplers import drs

__all__ = ["World", "world", "batch_seed", "round_batches", "NumberedBatch", "numbered_batches",
           "numbered_burn_in_logits", "all_gather_rows", "gather_rows"]


@dataclass(frozen=True)
class World:
    """This process's place among the processes: ``rank`` of ``size``, and where collectives run."""

    rank: int
    size: int
    group: object | None  #: the process group (None: the default one, or no group at all)
    comm_device: torch.device  #: tensors of collectives live here (CPU for gloo, this GPU for NCCL)
    active: bool  #: a process group is initialised (collectives are called even when size is 1)

    @property
    def is_root(self) -> bool:
        return self.rank == 0


def world(group: object | None = None, device: torch.device | str | None = None) -> World:
    """The current :class:`World`: from ``torch.distributed`` when initialised, else rank 0 of 1.

    ``device`` is where the sampler's tensors live; with NCCL the collectives run there.
    """
    if not (dist.is_available() and dist.is_initialized()):
        return World(0, 1, None, torch.device("cpu"), False)
    backend = dist.get_backend(group)
    if backend == "nccl":
        comm = torch.device(device) if device is not None else torch.device("cuda", torch.cuda.current_device())
        if comm.type != "cuda":
            raise ValueError(f"the process group uses NCCL, which needs CUDA tensors; the sampler runs on {comm}: "
                             "use device 'cuda' (or a gloo process group for the CPU)")
    else:
        comm = torch.device("cpu")
    return World(dist.get_rank(group), dist.get_world_size(group), group, comm, True)


def batch_seed(seed: int, purpose: str, index: int) -> int:
    """The ``torch.Generator`` seed of batch ``index`` of a run with ``seed``, for one ``purpose``.

    :func:`drs_lib.rng.hashed_seed` of ``("drs_lib.api.distributed", seed, purpose, index)``:
    independent of the world size, of the rank and of every other batch.
    """
    return hashed_seed("drs_lib.api.distributed", int(seed), purpose, int(index))


def round_batches(round_index: int, start: int, world_size: int) -> range:
    """Global indices of the batches of one round: rank k draws ``start + round_index · W + k``."""
    first = start + round_index * world_size
    return range(first, first + world_size)


# --- collectives ---------------------------------------------------------------------------------

def all_gather_scalars(values: Sequence[float], where: World) -> Tensor:
    """Every rank's ``values`` (the same length on each), as a float64 CPU tensor of shape (W, k).

    Integers up to 2**53 (counts) pass exactly.
    """
    mine = torch.tensor([float(v) for v in values], dtype=torch.float64)
    if not where.active:
        return mine[None]
    local = mine.to(where.comm_device)
    parts = [torch.empty_like(local) for _ in range(where.size)]
    dist.all_gather(parts, local, group=where.group)
    return torch.stack(parts).cpu()


def _padded(rows: Tensor, length: int, device: torch.device) -> Tensor:
    out = rows.new_zeros((length, *rows.shape[1:]), device=device)
    out[: rows.shape[0]] = rows.to(device)
    return out


def all_gather_rows(rows: Tensor, counts: Sequence[int], where: World) -> list[Tensor]:
    """Every rank's ``rows`` (``counts[k]`` rows on rank k, same trailing shape and dtype), on every rank.

    Padded to the largest count for ``dist.all_gather``, then cut back; returned on ``rows.device``.
    """
    if not where.active:
        return [rows]
    longest = max(1, *(int(c) for c in counts))  # gloo refuses empty tensors
    parts = [rows.new_empty((longest, *rows.shape[1:]), device=where.comm_device) for _ in range(where.size)]
    dist.all_gather(parts, _padded(rows, longest, where.comm_device), group=where.group)
    return [part[: int(c)].to(rows.device) for part, c in zip(parts, counts)]


def gather_rows(rows: Tensor, counts: Sequence[int], where: World, dst: int = 0) -> list[Tensor] | None:
    """Like :func:`all_gather_rows`, but onto rank ``dst`` only (``None`` elsewhere): the output writer."""
    if not where.active:
        return [rows]
    longest = max(1, *(int(c) for c in counts))  # gloo refuses empty tensors
    local = _padded(rows, longest, where.comm_device)
    parts = [torch.empty_like(local) for _ in range(where.size)] if where.rank == dst else None
    dist.gather(local, parts, dst=dst, group=where.group)
    if parts is None:
        return None
    return [part[: int(c)].to(rows.device) for part, c in zip(parts, counts)]


def broadcast_object(value: object, where: World, src: int = 0) -> object:
    """Rank ``src``'s ``value`` (picklable) on every rank, e.g. the resume state a writer read from disk."""
    if not where.active:
        return value
    box = [value]
    dist.broadcast_object_list(box, src=src, group=where.group)
    return box[0]


# --- BurnIn over the ranks ------------------------------------------------------------------------

@torch.no_grad()
def numbered_burn_in_logits(jobs: Sequence[tuple[object, int]], generate_for: Callable[[object], drs.Generate],
                            score: drs.Score, *, seed: int, device: torch.device, where: World) -> Tensor:
    """BurnIn (Figure 1, right) spread over the ranks: the logits of every job, in job order, on every rank.

    ``jobs[j] = (label, count)``: ``count`` proposals of ``generate_for(label)``, drawn with a
    generator seeded by ``batch_seed(seed, "burn_in:<label>", j)``; rank k runs jobs k, k + W, ...
    The logits (float64, CPU) are all-gathered, so every rank computes the same D̃_M (their
    maximum: the all-reduce max of the issue) and the same diagnostics, the same for any W.
    """
    mine = []
    for j in range(where.rank, len(jobs), where.size):
        label, count = jobs[j]
        rng = torch.Generator(device=device).manual_seed(batch_seed(seed, f"burn_in:{label}", j))
        mine.append(score(generate_for(label)(count, rng)).reshape(-1).to(torch.float64))
    local = torch.cat(mine) if mine else torch.empty(0, dtype=torch.float64, device=device)
    counts = [sum(jobs[j][1] for j in range(k, len(jobs), where.size)) for k in range(where.size)]
    per_rank = all_gather_rows(local, counts, where)
    offsets = [0] * where.size
    ordered = []
    for j, (_, count) in enumerate(jobs):
        k = j % where.size
        ordered.append(per_rank[k][offsets[k] : offsets[k] + count])
        offsets[k] += count
    return torch.cat(ordered).cpu()


# --- sampling over the ranks ----------------------------------------------------------------------

@dataclass(frozen=True)
class NumberedBatch:
    """One global batch after its round: what every rank knows, plus the accepted rows where gathered."""

    index: int  #: global batch number
    size: int  #: proposals in the batch
    accepted: int  #: proposals accepted
    d_max_before: float  #: running D̃_M before this batch
    d_max: float  #: D̃_M the batch was judged against (its own maximum included with update_max)
    gamma: float  #: γ of the batch
    proposals: drs.Proposals | None  #: the accepted proposals in batch order (None off the gathering ranks)
    logits: Tensor | None  #: their logits D̃


# not under torch.no_grad itself: the loop it consumes runs under it, so no tensor here has a graph
def numbered_batches(generate: drs.Generate, score: drs.Score, *, d_max: float, seed: int, device: torch.device,
                     where: World, gamma_percentile: float | None = 95.0, epsilon: float = drs.EPSILON,
                     batch_size: int = 10_000, update_max: bool = True, start: int = 0,
                     collect: str = "root") -> Iterator[list[NumberedBatch]]:
    """The DRS sampling phase (Figure 1, right; eq. 8) over numbered batches, one round of W batches per item.

    ``d_max`` is the running D̃_M before batch ``start`` (BurnIn's, when ``start`` is 0); batches
    from ``start`` on are drawn, rank k taking ``start + r·W + k`` in round r. The batches are
    those of the core's one sampling loop (:func:`drs_lib.samplers.drs._judged`), fed a generator
    seeded by :func:`batch_seed` per batch and the round's batch maxima (one all-gather of W
    numbers, with ``update_max``); each is judged by :func:`drs_lib.samplers.drs.judge` (γ at
    ``gamma_percentile`` of F̂ over the batch, ψ from the batch's generator after its proposals).
    Here the ranks then share what they judged. Endless; every rank must consume it in step (each
    round calls the collectives). ``collect``: ``"root"`` gathers the accepted rows on rank 0
    (:func:`gather_rows`), ``"all"`` on every rank.
    """
    if collect not in ("root", "all"):
        raise ValueError(f"collect must be 'root' or 'all'; got {collect!r}")
    rngs = (torch.Generator(device=device).manual_seed(batch_seed(seed, "sample", index))
            for index in itertools.count(start + where.rank, where.size))

    def round_maxima(batch_max: float) -> tuple[list[float], int]:  # every rank's batch maximum, in batch order
        return all_gather_scalars([batch_max], where)[:, 0].tolist(), where.rank

    judged = drs._judged(generate, score, float(d_max), rngs, gamma_percentile, epsilon, batch_size, update_max,
                         round_maxima)
    for round_index, batch in enumerate(judged):
        positions = torch.nonzero(batch.keep).reshape(-1)
        stats = all_gather_scalars([positions.numel(), float(batch.gamma), batch.d_max_before, batch.d_max], where)
        counts = [int(c) for c in stats[:, 0].tolist()]
        tupled = isinstance(batch.proposals, tuple)
        gathered = []
        for part in [*(batch.proposals if tupled else [batch.proposals]), batch.logits]:
            rows = part[positions]
            gathered.append(gather_rows(rows, counts, where) if collect == "root" else all_gather_rows(rows, counts, where))
        have = gathered[0] is not None
        batches = []
        for k, index in enumerate(round_batches(round_index, start, where.size)):
            if have:
                proposals = tuple(g[k] for g in gathered[:-1]) if tupled else gathered[0][k]
                accepted_logits = gathered[-1][k]
            else:
                proposals = accepted_logits = None
            batches.append(NumberedBatch(index, batch_size, counts[k], float(stats[k, 2]), float(stats[k, 3]),
                                         float(stats[k, 1]), proposals, accepted_logits))
        yield batches
