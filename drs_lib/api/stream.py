"""The iterator behind :meth:`DRS.stream <drs_lib.api.DRS.stream>`: exactly n samples in chunks,
pulled from the core's numbered DRS batches under a proposal budget.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import torch
from torch import Tensor

from drs_lib.api.results import Batch
from drs_lib.samplers import drs


class _Budget:
    """Shared proposal count of one run, with the ``max_proposals`` stop."""

    def __init__(self, max_proposals: int | None, n: int) -> None:
        self.max_proposals = max_proposals
        self.n = n
        self.proposals = 0

    def check(self, done: int) -> None:
        if self.max_proposals is not None and self.proposals >= self.max_proposals:
            raise RuntimeError(
                f"only about {done} of {self.n} samples accepted after {self.proposals:,} proposals (max_proposals="
                f"{self.max_proposals:,}, checked before each batch); the acceptance rate is too low for this request. Check "
                "calibration.expected_acceptance, lower gamma_percentile, or raise max_proposals"
            )


class _Source:
    """One DRS process (the core's :func:`drs_lib.samplers.drs.drs_batches`) plus a buffer of accepted samples."""

    def __init__(self, batches: Iterator[drs.DRSBatch], budget: _Budget, n_classes: int | None,
                 shift: Tensor | None, logit_dtype: torch.dtype) -> None:
        self.batches = batches
        self.budget = budget
        self.n_classes = n_classes
        self.shift = shift  # per-class D̃_M added back to the logits (per-class mode, drawn labels)
        self.logit_dtype = logit_dtype
        self.buffer: list[tuple[Tensor, Tensor | None, Tensor]] = []
        self.buffered = 0
        self.proposals = 0
        self.accepted = 0
        self.proposed_per_class = torch.zeros(n_classes or 0, dtype=torch.long)
        self.accepted_per_class = torch.zeros(n_classes or 0, dtype=torch.long)
        self.max_updates = 0
        self.max_increase = 0.0

    def take(self, k: int, done: int) -> tuple[Tensor, Tensor | None, Tensor]:
        """The next ``k`` accepted samples, in proposal order (``done``: samples the stream gave before)."""
        if self.buffered < k:
            self.budget.check(done + self.buffered)
            for batch in self.batches:  # the core's judged batches; left open for the next call
                positions = torch.nonzero(batch.keep).reshape(-1)
                if isinstance(batch.proposals, tuple):
                    x, y = batch.proposals[0][positions], batch.proposals[1][positions]
                    self.proposed_per_class += torch.bincount(batch.proposals[1], minlength=self.n_classes).cpu()
                    self.accepted_per_class += torch.bincount(y, minlength=self.n_classes).cpu()
                else:
                    x, y = batch.proposals[positions], None
                logits = batch.logits[positions]
                if self.shift is not None:
                    logits = logits + self.shift[y]
                self.buffer.append((x, y, logits.to(self.logit_dtype)))
                self.buffered += positions.numel()
                self.accepted += positions.numel()
                self.proposals += batch.logits.numel()
                self.budget.proposals += batch.logits.numel()
                self.max_updates, self.max_increase = batch.max_updates, batch.max_increase
                if self.buffered >= k:
                    break
                self.budget.check(done + self.buffered)
        if len(self.buffer) == 1:
            x, y, logits = self.buffer[0]
        else:
            x = torch.cat([b[0] for b in self.buffer])
            y = None if self.buffer[0][1] is None else torch.cat([b[1] for b in self.buffer])
            logits = torch.cat([b[2] for b in self.buffer])
        rest = self.buffered - k
        # the surplus is copied, so that it does not keep the whole concatenation alive
        self.buffer = [(x[k:].clone(), None if y is None else y[k:].clone(), logits[k:].clone())] if rest else []
        self.buffered = rest
        return x[:k], None if y is None else y[:k], logits[:k]


class DRSStream(Iterator[Batch]):
    """Accepted samples of one DRS run in chunks: ``n`` in all, ``chunk_size`` at a time (the last may be shorter).

    Memory is bounded by a chunk plus one proposal batch per active process, whatever ``n``.
    The counters (``proposals``, ``accepted``, ``acceptance_rate``, per-class counts) grow as
    the stream is read. Concatenating the chunks gives exactly ``DRS.sample(n, ...)`` with the
    same arguments, whatever ``chunk_size``.
    """

    def __init__(self, n: int, chunk_size: int, make_source: Callable[[int | None], _Source],
                 labels: Tensor | str | None, n_classes: int | None, budget: _Budget) -> None:
        self.n = n
        self.chunk_size = chunk_size
        self.yielded = 0
        self._make_source = make_source
        self._labels = labels
        self._n_classes = n_classes
        self._budget = budget
        self._sources: dict[int | None, _Source] = {}

    def __iter__(self) -> DRSStream:
        return self

    def _source(self, label: int | None) -> _Source:
        if label not in self._sources:
            self._sources[label] = self._make_source(label)
        return self._sources[label]

    def _chunk_labels(self, start: int, size: int) -> Tensor:
        if isinstance(self._labels, str):  # "balanced": 0, 1, ..., K−1, 0, 1, ...
            return torch.arange(start, start + size) % self._n_classes
        return self._labels[start : start + size]

    def __next__(self) -> Batch:
        if self.yielded >= self.n:
            raise StopIteration
        size = min(self.chunk_size, self.n - self.yielded)
        if self._labels is None:
            x, y, logits = self._source(None).take(size, self.yielded)
        else:
            chunk_labels = self._chunk_labels(self.yielded, size)
            x = y = logits = None
            for label in torch.unique(chunk_labels).tolist():
                where = torch.nonzero(chunk_labels == label).reshape(-1)
                part_x, part_y, part_logits = self._source(int(label)).take(where.numel(), self.yielded)
                if x is None:
                    x = part_x.new_empty((size, *part_x.shape[1:]))
                    y = part_y.new_empty(size)
                    logits = part_logits.new_empty(size)
                where_x = where.to(part_x.device)
                x[where_x], y[where_x], logits[where.to(part_logits.device)] = part_x, part_y, part_logits
        self.yielded += size
        return Batch(x, y, logits)

    # diagnostics ---------------------------------------------------------------------------
    @property
    def proposals(self) -> int:
        return sum(s.proposals for s in self._sources.values())

    @property
    def accepted(self) -> int:
        return sum(s.accepted for s in self._sources.values())

    @property
    def acceptance_rate(self) -> float:
        return self.accepted / self.proposals if self.proposals else math.nan

    @property
    def proposed_per_class(self) -> Tensor | None:
        return self._per_class("proposals", "proposed_per_class")

    @property
    def accepted_per_class(self) -> Tensor | None:
        return self._per_class("accepted", "accepted_per_class")

    def _per_class(self, total: str, per_class: str) -> Tensor | None:
        if self._n_classes is None:
            return None
        counts = torch.zeros(self._n_classes, dtype=torch.long)
        for label, source in self._sources.items():
            if label is None:
                counts += getattr(source, per_class)
            else:
                counts[label] += getattr(source, total)
        return counts

    @property
    def max_updates(self) -> int:
        return sum(s.max_updates for s in self._sources.values())

    @property
    def max_increase(self) -> float:
        return max((s.max_increase for s in self._sources.values()), default=0.0)
