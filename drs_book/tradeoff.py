"""The book's verdicts on DRS's quality–diversity trade-off, from the rows of the library's sweep.

:func:`drs_lib.compare.tradeoff.quality_diversity_sweep` computes the rows (the plain generator,
DRS at each γ percentile, thresholding at DRS's acceptance rate); :func:`verdicts` turns the rows
at the paper's γ into the book's computed claims (:mod:`drs_book.claims`). The sweep's names are
re-exported here so that a chapter reads one module: ``tradeoff.quality_diversity_sweep``,
``tradeoff.values``, ``tradeoff.DRS`` are the library's own objects.
"""

from __future__ import annotations

import math

import pandas as pd

from drs_book import claims
from drs_book.claims import Check
from drs_lib.compare.tradeoff import (  # noqa: F401  (re-exported: the sweep whose rows the verdicts read)
    DRS, GENERATOR, THRESHOLD, check_percentiles, quality_diversity_sweep, values,
)

__all__ = ["GENERATOR", "DRS", "THRESHOLD", "DIVERSITY_METRICS", "check_percentiles", "quality_diversity_sweep", "values", "verdicts"]

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
