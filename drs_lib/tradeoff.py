"""DRS's quality–diversity trade-off: what raising γ buys in sample quality and costs in diversity.

γ (eq. 8) sets how selective DRS is: γ at a low percentile of F̂ accepts almost everything, a
high percentile accepts few samples. The paper argues that DRS raises quality *without losing
modes*, where hard thresholding on the discriminator's logit (Appendix A, "Threshold") loses
them. A single score cannot show this; precision/recall and density/coverage
(:mod:`drs_lib.prdc_metrics`) split quality from diversity, so the question becomes: along the
γ sweep, does DRS raise precision without losing recall (coverage), and does thresholding at
the *same acceptance rate* lose it?

:func:`quality_diversity_sweep` answers it for one model: the plain generator (accept-all),
then for each γ percentile one DRS run (:func:`drs_lib.drs.drs_sample`, the paper's sampler
with BurnIn and D̃_M updates) and one thresholding run at DRS's realised acceptance rate
(:func:`drs_lib.drs.threshold_sample`), each scored by the caller's ``evaluate``. Methods are
compared at equal set sizes (``n_samples``) and the caller's ``evaluate`` should draw the same
real reference subset for every method (e.g. a fixed seed), so that differences between rows
are differences between samplers. :func:`verdicts` turns the rows at the paper's γ into the
book's computed claims (:mod:`drs_lib.claims`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor

from drs_lib import claims
from drs_lib.claims import Check
from drs_lib.device import resolve_device
from drs_lib.drs import Generate, Score, drs_sample, threshold_sample

if TYPE_CHECKING:  # annotations only; the frames come from the caller (claims needs pandas)
    import pandas as pd

__all__ = ["GENERATOR", "DRS", "THRESHOLD", "DIVERSITY_METRICS", "check_percentiles", "quality_diversity_sweep", "values", "verdicts"]

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

    ``generate(n, rng)`` and ``score(x)`` are the callables of :mod:`drs_lib.drs`; ``evaluate(samples)``
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


DIVERSITY_METRICS = ("recall", "coverage")


def verdicts(frame: pd.DataFrame, percentile: float, *, recall_margin: float = 0.05, diversity: str = "recall",
             over: str = "models") -> dict[str, Check]:
    """The paper's quality and diversity claims, made precise on the sweep's rows at γ ``percentile``.

    * ``"drs-raises-precision"``: DRS's precision is above the generator's (paired t-interval over seeds);
    * ``"drs-keeps-<diversity>"``: the change in ``diversity`` (recall, or coverage) with DRS has its
      interval above ``-recall_margin`` (a non-inferiority bound: noise makes it fail, never pass);
    * ``"threshold-loses-<diversity>"``: thresholding's ``diversity``, at DRS's acceptance rate, is
      below DRS's (paired t-interval).

    Recall (Kynkäänniemi et al.) is the chapters' stated measure; coverage (Naeem et al.) is its
    counterpart built to be robust to a few outlying generated samples, whose wide k-NN balls can
    raise recall on their own. ``frame`` needs ``seed``, ``method``, ``percentile``, ``precision``
    and the ``diversity`` column. The thresholding check is left out when ``frame`` has no
    thresholding rows at ``percentile`` (e.g. rows from a table of generator and DRS runs alone).
    """
    if not (isinstance(recall_margin, (int, float)) and math.isfinite(recall_margin) and recall_margin > 0):
        raise ValueError(f"recall_margin must be a finite number > 0; got {recall_margin!r}")
    if diversity not in DIVERSITY_METRICS:
        raise ValueError(f"diversity must be one of {DIVERSITY_METRICS}; got {diversity!r}")
    drs_precision, drs_spread = values(frame, DRS, "precision", percentile), values(frame, DRS, diversity, percentile)
    base_precision, base_spread = values(frame, GENERATOR, "precision"), values(frame, GENERATOR, diversity)
    checks = {
        "drs-raises-precision": claims.paired(drs_precision, base_precision, a_name="precision with DRS",
                                              b_name="generator", digits=3, over=over),
        f"drs-keeps-{diversity}": claims.versus(drs_spread - base_spread, -recall_margin, expect="above",
                                                name=f"change in {diversity} with DRS",
                                                reference_name="the margin", digits=3, over=over),
    }
    matched = frame[(frame["method"] == THRESHOLD) & (frame["percentile"] == float(percentile))]
    if not matched.empty:
        checks[f"threshold-loses-{diversity}"] = claims.paired(
            values(frame, THRESHOLD, diversity, percentile), drs_spread, expect="below",
            a_name=f"{diversity}, threshold", b_name="DRS", digits=3, over=over)
    return checks
