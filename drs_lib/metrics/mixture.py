"""Sample-quality metrics of the 25-Gaussian benchmark (Table 1 and Table 3), batched in torch.

Definitions (VEEGAN / PacGAN, which the DRS paper follows):

* each sample is assigned to its nearest mixture mean (Euclidean distance);
* "within k std": the distance to that mean is at most k·std (std = the components' std, 0.05).
  For the true distribution, a 2D isotropic Gaussian, that fraction is 1 − exp(−k²/2): 39.3,
  86.5, 98.9, 99.97 % for k = 1..4 (the paper's ground-truth row of Table 3);
* "high quality" (HQ): within 4 std;
* a mode is "recovered" if at least one HQ sample is assigned to it;
* "std of HQ samples" (Table 1's third column; the paper does not define it): here the root
  mean square of the offsets x − μ(x) from the assigned mean, pooled over both coordinates and all
  HQ samples: sqrt(mean over HQ samples of ‖x − μ‖² / 2). It equals the component std (0.05, up
  to the 4-std truncation) for samples from the true distribution, which is the comparison the
  paper makes ("the standard deviation of the target Gaussian distribution is 0.05").
  ``radial_rms_high_quality`` = sqrt(mean ‖x − μ‖²) is the same number times √2 (0.0707 for the
  true distribution), reported as well since the paper's definition is unknown.

Every function accepts samples of shape (..., N, 2) (e.g. (S, N, 2) for S seeds) and returns
results with the leading shape (...).

Besides these benchmark-specific numbers, :func:`sample_set_scores` gives the field-standard
two-sample metrics on one pair of sets: the exact Earth Mover's Distance (POT, via
:mod:`drs_lib.metrics.distances`; the DOT paper's metric on this grid) and precision, recall, density and
coverage (``prdc``, via :mod:`drs_lib.metrics.prdc_metrics`), on equal-size subsets.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from drs_lib.metrics.distances import exact_wasserstein
from drs_lib.metrics.prdc_metrics import DEFAULT_K, precision_recall_density_coverage

WITHIN = (1, 2, 3, 4)
HQ_STDS = 4.0


def _check(samples: Tensor, means: Tensor, std: float) -> None:
    if samples.dim() < 2 or samples.shape[-1] != means.shape[-1]:
        raise ValueError(f"samples must have shape (..., N, {means.shape[-1]}); got {tuple(samples.shape)}")
    if means.dim() != 2:
        raise ValueError(f"means must have shape (K, d); got {tuple(means.shape)}")
    if not std > 0:
        raise ValueError(f"std must be > 0; got {std!r}")


def assign_modes(samples: Tensor, means: Tensor) -> tuple[Tensor, Tensor]:
    """Nearest mean of each sample: (index (..., N) long, distance (..., N))."""
    means = means.to(device=samples.device, dtype=samples.dtype)
    d2 = ((samples.unsqueeze(-2) - means) ** 2).sum(-1)  # (..., N, K)
    best, index = d2.min(-1)
    return index, best.clamp_min(0).sqrt()


def mixture_metrics(samples: Tensor, means: Tensor, std: float, *, within: Sequence[float] = WITHIN,
                    hq_stds: float = HQ_STDS) -> dict[str, Tensor]:
    """Table 1 and Table 3 metrics of ``samples`` (..., N, 2) against the grid ``means`` (K, 2).

    Returns float64 tensors of shape (...):
    ``modes_recovered`` (count of modes with >= 1 HQ sample), ``pct_high_quality`` (%),
    ``std_high_quality`` (pooled RMS offset, NaN if no HQ sample), ``radial_rms_high_quality`` (√2 times it), ``pct_within_{k}std`` (%),
    and ``hq_per_mode`` (..., K) counts.
    """
    _check(samples, means, std)
    index, distance = assign_modes(samples, means)
    n = samples.shape[-2]
    hq = distance <= hq_stds * std
    k = means.shape[0]
    counts = torch.zeros(*index.shape[:-1], k, dtype=torch.long, device=samples.device)
    counts.scatter_add_(-1, index, hq.long())
    sq = (distance.double() ** 2) * hq
    n_hq = hq.sum(-1)
    rms = torch.where(n_hq > 0, torch.sqrt(sq.sum(-1) / (2.0 * n_hq.clamp_min(1))), torch.full_like(sq.sum(-1), math.nan))
    out = {
        "modes_recovered": (counts > 0).sum(-1).double(),
        "pct_high_quality": 100.0 * n_hq.double() / n,
        "std_high_quality": rms,
        "radial_rms_high_quality": rms * math.sqrt(2.0),
    }
    for w in within:
        out[f"pct_within_{w:g}std"] = 100.0 * (distance <= w * std).double().mean(-1)
    out["hq_per_mode"] = counts
    return out


def pct_beyond(samples: Tensor, means: Tensor, std: float, *, stds: float = 2.0, among_hq: bool = True) -> Tensor:
    """% of samples farther than ``stds``·std from their nearest mean (by default among HQ samples only).

    For the true distribution, among HQ samples: (exp(−stds²/2) − exp(−8)) / (1 − exp(−8)), 13.5 % for 2 std.
    Used to show that DRS accepts samples in the tails of each Gaussian, not only at the centres.
    """
    _check(samples, means, std)
    _, distance = assign_modes(samples, means)
    beyond = distance > stds * std
    if among_hq:
        hq = distance <= HQ_STDS * std
        return 100.0 * (beyond & hq).double().sum(-1) / hq.double().sum(-1).clamp_min(1)
    return 100.0 * beyond.double().mean(-1)


def ranking_auc(scores: Tensor, positive: Tensor) -> float:
    """Probability that a random positive scores above a random negative (ties count half): the ROC AUC.

    Computed from ranks (the Mann-Whitney statistic), so it is exact and needs no threshold.
    Used to ask how well a discriminator's logit separates high-quality proposals from the rest.
    NaN when either class is empty.
    """
    scores = torch.as_tensor(scores, dtype=torch.float64).reshape(-1)
    positive = torch.as_tensor(positive, dtype=torch.bool).reshape(-1)
    if scores.shape != positive.shape:
        raise ValueError(f"scores and positive must have the same length; got {scores.numel()} and {positive.numel()}")
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return math.nan
    order = torch.argsort(scores)
    ranks = torch.empty_like(scores)
    ranks[order] = torch.arange(1, scores.numel() + 1, dtype=torch.float64)
    sorted_scores = scores[order]  # average ranks over ties
    unique, inverse, counts = torch.unique_consecutive(sorted_scores, return_inverse=True, return_counts=True)
    ends = torch.cumsum(counts, 0).double()
    mean_rank = ends - (counts.double() - 1) / 2
    ranks[order] = mean_rank[inverse]
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def gaussian_within(k: float, dim: int = 2) -> float:
    """P(‖x − μ‖ ≤ k·σ) for an isotropic Gaussian in ``dim`` = 2 dimensions: 1 − exp(−k²/2)."""
    if dim != 2:
        raise ValueError("only dim=2 is implemented")
    return 1.0 - math.exp(-k * k / 2.0)


LENGTHS = ("std_high_quality", "radial_rms_high_quality")


def metrics_rows(samples: Tensor, means: Tensor, std: float, *, length_scale: float = 1.0, **labels) -> list[dict]:
    """One plain dict per leading index (e.g. per seed) of :func:`mixture_metrics` plus ``pct_beyond_2std_hq``.

    ``labels`` are copied into every row; a list/tuple label is indexed per row (e.g. ``seed=[0, 1, 2]``).
    ``length_scale`` multiplies the lengths (the spreads of HQ samples), e.g. the grid's scale to
    report a normalised grid's spreads in the paper's units; counts and shares are unit-free.
    """
    if samples.dim() == 2:
        samples = samples.unsqueeze(0)
    flat = samples.reshape(-1, *samples.shape[-2:])
    m = mixture_metrics(flat, means, std)
    beyond = pct_beyond(flat, means, std)
    rows = []
    for i in range(flat.shape[0]):
        row = {key: (value[i] if isinstance(value, (list, tuple)) else value) for key, value in labels.items()}
        for key, value in m.items():
            if key != "hq_per_mode":
                row[key] = float(value[i]) * (length_scale if key in LENGTHS else 1.0)
        row["pct_beyond_2std_hq"] = float(beyond[i])
        rows.append(row)
    return rows


def sample_set_scores(reference: Tensor, samples: Tensor, *, n_points: int, seed: int, k: int = DEFAULT_K) -> dict[str, float]:
    """Exact EMD (W_1) and precision, recall, density, coverage of ``samples`` against ``reference``.

    Both sets (shape (N, d)) are first drawn down to ``n_points`` points each, without
    replacement, with ``numpy.random.default_rng(seed)`` (reference first), and both metrics are
    computed on those same subsets: the EMD by POT's exact solver
    (:func:`drs_lib.metrics.distances.exact_wasserstein`), the other four by ``prdc`` with ``k`` nearest
    neighbours (:func:`drs_lib.metrics.prdc_metrics.precision_recall_density_coverage`). Equal sizes
    matter: both the EMD between two samples of one distribution and the k-NN balls shrink as
    the sets grow. Pass the same ``seed`` for every method so they meet the same reference subset.
    """
    if isinstance(n_points, bool) or not isinstance(n_points, int) or not 2 <= n_points <= min(len(reference), len(samples)):
        raise ValueError(f"n_points must be an integer in [2, min(len(reference), len(samples))] = "
                         f"[2, {min(len(reference), len(samples))}]; got {n_points!r}")
    rng = np.random.default_rng(seed)
    real = reference[torch.as_tensor(np.sort(rng.choice(len(reference), n_points, replace=False)))]
    fake = samples[torch.as_tensor(np.sort(rng.choice(len(samples), n_points, replace=False)))]
    return {"emd": exact_wasserstein(real, fake, p=1.0),
            **precision_recall_density_coverage(real, fake, k=k).scores()}


__all__ = ["HQ_STDS", "WITHIN", "assign_modes", "gaussian_within", "metrics_rows", "mixture_metrics", "pct_beyond", "ranking_auc",
           "sample_set_scores"]
