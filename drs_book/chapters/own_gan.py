"""Chapter 07's logic: the parameter schema, the direction sentence over GANs and Table 07-A (before and after
DRS) (tests/test_chapter07_own_gan.py). The notebook keeps the prose, the dozen lines of DRS on a GAN of one's
own, and one short call per step.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from drs_book import params
from drs_book.image_checks import all_of
from drs_book.report import mean_std
from drs_lib.problems.digits import available_datasets

__all__ = ["PARAMETERS", "paired_claim", "before_after_table"]

#: what each parameter of chapter 07's parameters cell may be, and its quick value; checked in order before any work
PARAMETERS: dict[str, params.Spec] = {
    "seed": params.Int(minimum=0),
    "n_models": params.Int(minimum=2, quick=3),
    "gan_steps": params.Int(minimum=1, quick=150),
    "classifier_steps": params.Int(minimum=1, quick=400),
    "head_fake": params.Int(minimum=100, quick=1000),
    "head_steps": params.Int(minimum=1, quick=100),
    "burn_in_samples": params.Int(minimum=100, quick=1000),
    "gamma_percentile": params.Percentile(),
    "n_samples": params.Int(minimum=100, quick=500),
    "n_repeats": params.Int(minimum=2, quick=2),
    "sweep_percentiles": params.ListOf(params.Percentile(), min_length=2,
                                       allowed="a list of at least two percentiles in [0, 100]",
                                       quick=[0.0, 80.0]),
    "dataset": params.Choice(available_datasets()),
    "device": params.Device(),
    "quick": params.Bool(),
    "use_cache": params.Bool(),
    "results_dir": params.Directory(),
    "cache_dir": params.Directory(),
}


def paired_claim(values_before: pd.Series, values_after: pd.Series, higher_is_better: bool, claim: str) -> str:
    """'<claim> for both GANs / for all n GANs / for k of n / for none': a direction only when every GAN agrees.

    The independent units are the GANs, not the sampling runs: each GAN's repeats are averaged first (the series
    are indexed by a level named ``seed``).
    """
    before = values_before.groupby(level="seed").mean()
    after = values_after.groupby(level="seed").mean()
    gain = (after - before) * (1 if higher_is_better else -1)
    k, n = int((gain > 0).sum()), len(gain)
    if k == n:
        return f"{claim} for {all_of(n, 'GANs')} (each averaged over its sampling repeats)"
    if k == 0:
        return f"{claim} for none of the {n} GANs (each averaged over its sampling repeats)"
    return f"{claim} for only {k} of {n} GANs: no consistent change"


def _summary(group: pd.DataFrame) -> Mapping[str, str]:
    return {"acceptance rate": mean_std(group.acceptance_rate, 3), "IS analogue": mean_std(group.inception_score, 3),
            "FID analogue": mean_std(group.fid, 2)}


def before_after_table(table: pd.DataFrame) -> pd.DataFrame:
    """Table 07-A: acceptance rate, IS and FID analogues (mean ± std over GANs × repeats) without DRS and with DRS
    on balanced labels, and with DRS on labels drawn per proposal."""
    balanced = table[table.labels == "balanced"]
    summary = {method: _summary(balanced[balanced.method == method]) for method in ["without DRS", "with DRS"]}
    summary["with DRS, labels drawn per proposal"] = _summary(table[table.labels == "drawn per proposal"])
    return pd.DataFrame(summary).T.rename_axis("method").reset_index()
