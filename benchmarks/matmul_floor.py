"""The arithmetic floor of a piece of torch code: its matrix products, recorded once and replayed alone.

Used by the benchmarks (not a benchmark itself: ``run_all.py`` runs only ``bench_*.py``).
:func:`record_matmuls` runs a callable under a dispatch hook (:func:`record_ops`) and keeps every
matrix product's op and input shapes, in order; :func:`replay_seconds` replays them on preallocated tensors. No
code that performs those products can be faster than the replay, so a measured time divided by
it is how far the code sits above its floor. :func:`big_matmul_rate` gives the machine's rate on
one large product, for comparison.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch

MATMULS = {"bmm", "baddbmm", "mm", "addmm"}

Call = tuple[str, list, list]


def record_ops(run: Callable[[], object], names: set[str]) -> list[tuple[str, list]]:
    """(op, its arguments with every tensor replaced by its shape) of every call ``run()`` makes to an
    op named in ``names`` (e.g. ``{"convolution"}``), in order."""
    from torch.utils._python_dispatch import TorchDispatchMode

    calls: list[tuple[str, list]] = []

    class Recorder(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            name = func.overloadpacket.__name__
            if name in names:
                calls.append((name, [tuple(a.shape) if isinstance(a, torch.Tensor) else a for a in args]))
            return func(*args, **(kwargs or {}))

    with Recorder():
        run()
    return calls


def record_matmuls(run: Callable[[], object]) -> list[Call]:
    """(op, input shapes, scalar args) of every matrix product ``run()`` performs, in order."""
    return [(name, [a for a in args if isinstance(a, tuple)], [a for a in args if not isinstance(a, tuple)])
            for name, args in record_ops(run, MATMULS)]


def replay_seconds(calls: list[Call], repeats: int) -> tuple[float, float]:
    """Seconds per replay of ``calls`` on preallocated tensors (best of ``repeats``), and their GFLOP."""
    prepared, flop = [], 0.0
    for name, shapes, _ in calls:
        tensors = [torch.randn(shape) for shape in shapes]
        op = getattr(torch, name)
        prepared.append((op, tensors))
        a, b = shapes[-2], shapes[-1]  # the two factors are the last two tensors (after the bias, if any)
        batch = a[0] if len(a) == 3 else 1
        flop += 2.0 * batch * a[-2] * a[-1] * b[-1]
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for op, tensors in prepared:
            op(*tensors)
        best = min(best, time.perf_counter() - start)
    return best, flop / 1e9


def big_matmul_rate(side: int = 2048, repeats: int = 5) -> float:
    """GFLOP/s of one (side x side) matmul on this machine (best of ``repeats``)."""
    big = torch.randn(side, side)
    big @ big
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        big @ big
        best = min(best, time.perf_counter() - start)
    return 2 * side**3 / best / 1e9
