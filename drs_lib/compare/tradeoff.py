"""DRS's quality–diversity trade-off: what raising γ buys in sample quality and costs in diversity.

γ (eq. 8) sets how selective DRS is: γ at a low percentile of F̂ accepts almost everything, a
high percentile accepts few samples. The paper argues that DRS raises quality *without losing
modes*, where hard thresholding on the discriminator's logit (Appendix A, "Threshold") loses
them. A single score cannot show this; precision/recall and density/coverage
(:mod:`drs_lib.metrics.prdc_metrics`) split quality from diversity, so the question becomes: along the
γ sweep, does DRS raise precision without losing recall (coverage), and does thresholding at
the *same acceptance rate* lose it?

:func:`quality_diversity_sweep` answers it for one model: the plain generator (accept-all),
then for each γ percentile one DRS run (:func:`drs_lib.samplers.drs.drs_sample`, the paper's sampler
with BurnIn and D̃_M updates) and one thresholding run at DRS's realised acceptance rate
(:func:`drs_lib.samplers.drs.threshold_sample`), each scored by the caller's ``evaluate``. Methods are
compared at equal set sizes (``n_samples``) and the caller's ``evaluate`` should draw the same
real reference subset for every method (e.g. a fixed seed), so that differences between rows
are differences between samplers. The book turns the rows at the paper's γ into its computed
claims with ``drs_book.tradeoff.verdicts`` (the book's verdict rules are not part of the library).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor

from drs_lib.device import resolve_device
from drs_lib.samplers.drs import Generate, Score, drs_sample, threshold_sample

if TYPE_CHECKING:  # annotations only; the frames come from the caller
    import pandas as pd

__all__ = ["GENERATOR", "DRS", "THRESHOLD", "check_percentiles", "quality_diversity_sweep", "values"]

GENERATOR = "generator"
DRS = "DRS"
THRESHOLD = "threshold"

Evaluate = Callable[[Tensor], Mapping[str, float]]


def check_percentiles(percentiles: Sequence[float]) -> list[float]:
    """γ percentiles as floats, each in [0, 100], strictly increasing; ``ValueError`` otherwise."""
    values = list(percentiles)
    if not values:
        raise ValueError("percentiles must hold at least one γ percentile in [0, 100]")
    checked = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not 0 <= value <= 100:
            raise ValueError(f"percentiles: got {value!r}; allowed: numbers in [0, 100] (the 95th percentile is 95)")
        checked.append(float(value))
    if any(b <= a for a, b in zip(checked, checked[1:])):
        raise ValueError(f"percentiles must be strictly increasing; got {values}")
    return checked


def quality_diversity_sweep(
    generate: Generate,
    score: Score,
    evaluate: Evaluate,
    *,
    percentiles: Sequence[float],
    n_samples: int,
    burn_in_samples: int = 10_000,
    batch_size: int = 10_000,
    threshold_at: Sequence[float] | None = None,
    seed: int = 0,
    device: str | torch.device = "auto",
) -> list[dict[str, float | str]]:
    """One model's trade-off curve: rows for the generator, DRS at each γ percentile, and thresholding at DRS's rate.

    ``generate(n, rng)`` and ``score(x)`` are the callables of :mod:`drs_lib.samplers.drs`; ``evaluate(samples)``
    returns the metrics of one sample set (for instance precision, recall, density, coverage).
    Every set holds exactly ``n_samples`` samples. Rows: ``method`` (:data:`GENERATOR`,
    :data:`DRS`, :data:`THRESHOLD`), ``percentile`` (NaN for the generator), ``acceptance_rate``
    (realised), ``target_acceptance`` (thresholding: DRS's rate it was matched to), and the
    metrics. ``threshold_at``: the percentiles (a subset of ``percentiles``) at which thresholding
    is matched to DRS; ``None``: all of them. Seeds: the generator's draw uses ``seed``; the DRS and
    thresholding runs at the i-th percentile use ``seed + 1 + 2i`` and ``seed + 2 + 2i``.
    Arguments are checked before any work.
    """
    levels = check_percentiles(percentiles)
    matched = set(levels if threshold_at is None else check_percentiles(threshold_at))
    if not matched <= set(levels):
        raise ValueError(f"threshold_at must be a subset of percentiles {levels}; got {list(threshold_at or [])}")
    for name, value in (("n_samples", n_samples), ("burn_in_samples", burn_in_samples), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}")
    if not callable(evaluate):
        raise TypeError("evaluate must be a callable samples -> {metric: value}")
    rng = torch.Generator(device=resolve_device(device)).manual_seed(seed)
    rows: list[dict[str, float | str]] = [
        {"method": GENERATOR, "percentile": math.nan, "acceptance_rate": 1.0, "target_acceptance": 1.0,
         **evaluate(generate(n_samples, rng))}
    ]
    for i, level in enumerate(levels):
        drs_run = drs_sample(generate, score, n_samples, burn_in_samples=burn_in_samples, gamma_percentile=level,
                             batch_size=batch_size, seed=seed + 1 + 2 * i, device=device)
        rows.append({"method": DRS, "percentile": level, "acceptance_rate": drs_run.acceptance_rate,
                     "target_acceptance": drs_run.acceptance_rate, **evaluate(drs_run.samples)})
        if level not in matched:
            continue
        cut = threshold_sample(generate, score, n_samples, acceptance_rate=min(1.0, drs_run.acceptance_rate),
                               burn_in_samples=burn_in_samples, batch_size=batch_size, seed=seed + 2 + 2 * i,
                               device=device)
        rows.append({"method": THRESHOLD, "percentile": level, "acceptance_rate": cut.acceptance_rate,
                     "target_acceptance": drs_run.acceptance_rate, **evaluate(cut.samples)})
    return rows


def values(frame: pd.DataFrame, method: str, metric: str, percentile: float | None = None) -> np.ndarray:
    """Per-seed ``metric`` of ``method`` (at ``percentile`` for DRS and thresholding), ordered by ``seed``."""
    part = frame[frame["method"] == method]
    if percentile is not None:
        part = part[part["percentile"] == float(percentile)]
    if part.empty:
        raise ValueError(f"no {method!r} rows" + (f" at the {percentile:g}th percentile" if percentile is not None else ""))
    if part["seed"].duplicated().any():
        raise ValueError(f"{method!r} has more than one row per seed; pass the percentile")
    return part.sort_values("seed")[metric].to_numpy(dtype=float)
