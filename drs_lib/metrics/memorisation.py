"""Memorisation check: how close generated images lie to their nearest training image.

The paper's Appendix B (Azadi et al., ICLR 2019) shows, for DRS samples, their nearest
neighbours in the training set, to argue that DRS does not simply accept copies of training
images. This module makes that check a number, on any feature space (raw pixels, or a
classifier's penultimate features):

* :func:`nearest_neighbours` / :func:`nearest_distances` give, for every query row, the Euclidean distance to its nearest
  row of a reference set (the training images), computed with ``torch.cdist`` in chunks of
  queries so that memory stays ``chunk_size × n_reference``;
* :func:`copy_threshold` states the near-copy threshold from *real* images the model never saw:
  a low percentile (default the 1st) of the held-out real images' nearest-training distances.
  A held-out image is a new draw from the data distribution, not a copy, so by construction
  ``percentile`` % of held-out images fall below it; a generator that copies its training set puts
  many more of its samples below it;
* :func:`memorisation_summary` reports, per group of samples (accepted, rejected, held-out real),
  the median distance and the share of near-copies.

All ours: the definitions are a few lines of torch; no library offers them for arbitrary
feature spaces. Distances are computed in float64.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import torch

from drs_lib.checks import check_int, check_percentile

__all__ = ["nearest_neighbours", "nearest_distances", "copy_threshold", "GroupDistances", "memorisation_summary"]


def _rows(name: str, values: torch.Tensor | np.ndarray) -> torch.Tensor:
    tensor = torch.as_tensor(values).detach()
    if tensor.ndim < 1 or tensor.shape[0] == 0:
        raise ValueError(f"{name}: got shape {tuple(tensor.shape)}; allowed: at least one row")
    tensor = tensor.reshape(tensor.shape[0], -1).to(device="cpu", dtype=torch.float64)
    if not torch.isfinite(tensor).all():
        raise ValueError(f"{name}: holds NaN or infinite values")
    return tensor


@torch.no_grad()
def nearest_neighbours(queries: torch.Tensor | np.ndarray, reference: torch.Tensor | np.ndarray, *,
                       chunk_size: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """For every query row, the Euclidean distance to its nearest reference row and that row's index.

    Images are flattened (``(n, C, H, W)`` → ``(n, C·H·W)``); both sets must have the same number
    of columns. The work is done ``chunk_size`` queries at a time. Returns two arrays of shape
    (n_queries,): float64 distances and int64 indices into ``reference``.
    """
    check_int("chunk_size", chunk_size, minimum=1)
    q, r = _rows("queries", queries), _rows("reference", reference)
    if q.shape[1] != r.shape[1]:
        raise ValueError(f"queries have {q.shape[1]} columns and reference {r.shape[1]}; they must be equal")
    nearest = [torch.cdist(q[i: i + chunk_size], r).min(dim=1) for i in range(0, len(q), chunk_size)]
    return torch.cat([m.values for m in nearest]).numpy(), torch.cat([m.indices for m in nearest]).numpy()


def nearest_distances(queries: torch.Tensor | np.ndarray, reference: torch.Tensor | np.ndarray, *,
                      chunk_size: int = 2048) -> np.ndarray:
    """The distances of :func:`nearest_neighbours` alone, shape (n_queries,)."""
    return nearest_neighbours(queries, reference, chunk_size=chunk_size)[0]


def copy_threshold(holdout_distances: np.ndarray, percentile: float = 1.0) -> float:
    """The near-copy threshold: the ``percentile``-th percentile of held-out real images' distances.

    ``holdout_distances`` are :func:`nearest_distances` of held-out real images to the training set.
    """
    check_percentile("percentile", percentile)
    values = np.asarray(holdout_distances, dtype=np.float64).ravel()
    if values.size == 0 or not np.isfinite(values).all():
        raise ValueError("holdout_distances: a non-empty array of finite distances is required")
    return float(np.percentile(values, percentile))


@dataclass(frozen=True)
class GroupDistances:
    """One group's nearest-training distances, summarised."""

    group: str
    n: int
    median: float
    mean: float
    q01: float
    near_copy_share: float
    """Share of the group strictly below the near-copy threshold."""

    def as_row(self) -> dict[str, float | int | str]:
        return {"group": self.group, "n": self.n, "median_distance": self.median, "mean_distance": self.mean,
                "q01_distance": self.q01, "near_copy_share": self.near_copy_share}


def memorisation_summary(distances: Mapping[str, np.ndarray], threshold: float) -> list[GroupDistances]:
    """Median, mean, 1st percentile and near-copy share (``distance < threshold``) of each group.

    A group with no samples (e.g. no rejected sample) gets ``n = 0`` and NaN statistics.
    """
    if not np.isfinite(threshold) or threshold < 0:
        raise ValueError(f"threshold: got {threshold!r}; allowed: a finite number >= 0")
    summary = []
    for group, values in distances.items():
        d = np.asarray(values, dtype=np.float64).ravel()
        if d.size == 0:
            summary.append(GroupDistances(group, 0, np.nan, np.nan, np.nan, np.nan))
            continue
        summary.append(GroupDistances(group, int(d.size), float(np.median(d)), float(d.mean()),
                                      float(np.percentile(d, 1.0)), float((d < threshold).mean())))
    return summary
