"""Chapter 07's logic (drs_book.chapters.own_gan): the schema refuses bad input, the direction sentence over
GANs only claims a direction when every GAN agrees, and Table 07-A summarises the right rows."""

from __future__ import annotations

import pandas as pd
import pytest

from drs_book import params
from drs_book.chapters import own_gan as ch
from drs_book.report import mean_std


def namespace(**changes):
    ns = dict(seed=0, n_models=2, gan_steps=1, classifier_steps=1, head_fake=100, head_steps=1, burn_in_samples=100,
              gamma_percentile=80.0, n_samples=100, n_repeats=2, sweep_percentiles=[0.0, 80.0],
              dataset=ch.available_datasets()[0], device="cpu", quick=True, use_cache=False, results_dir="results",
              cache_dir=".cache/models")
    ns.update(changes)
    return ns


def test_schema_refuses_bad_input_before_work():
    assert params.check_parameters(namespace(), ch.PARAMETERS)["n_models"] == 2
    with pytest.raises(params.ParameterError, match="n_models"):
        params.check_parameters(namespace(n_models=1), ch.PARAMETERS)
    with pytest.raises(params.ParameterError, match="sweep_percentiles"):
        params.check_parameters(namespace(sweep_percentiles=[80.0]), ch.PARAMETERS)
    with pytest.raises(params.ParameterError, match="gamma_percentile"):
        params.check_parameters(namespace(gamma_percentile=101.0), ch.PARAMETERS)


def series(values):
    """Values per (seed, repeat): two repeats per GAN."""
    index = pd.MultiIndex.from_tuples([(s, r) for s in range(len(values)) for r in range(2)], names=["seed", "repeat"])
    return pd.Series([v + d for v in values for d in (-0.1, 0.1)], index=index)


def test_paired_claim_names_a_direction_only_when_every_gan_agrees():
    before = series([1.0, 1.0, 1.0])
    assert ch.paired_claim(before, series([2.0, 2.0, 2.0]), True, "DRS raises it") == \
        "DRS raises it for all 3 GANs (each averaged over its sampling repeats)"
    assert ch.paired_claim(series([1.0, 1.0]), series([2.0, 2.0]), True, "x").startswith("x for both GANs")
    assert ch.paired_claim(before, series([2.0, 0.5, 2.0]), True, "DRS raises it") == \
        "DRS raises it for only 2 of 3 GANs: no consistent change"
    assert ch.paired_claim(before, series([2.0, 2.0, 2.0]), False, "DRS lowers it") == \
        "DRS lowers it for none of the 3 GANs (each averaged over its sampling repeats)"


def test_before_after_table():
    rows = []
    for labels, method, acc, is_, fid in (("balanced", "without DRS", 1.0, 5.0, 10.0),
                                          ("balanced", "with DRS", 0.3, 6.0, 9.0),
                                          ("drawn per proposal", "with DRS", 0.2, 6.5, 12.0)):
        rows += [{"labels": labels, "method": method, "seed": s, "acceptance_rate": acc + 0.01 * s,
                  "inception_score": is_ + 0.1 * s, "fid": fid - 0.1 * s} for s in range(3)]
    table = pd.DataFrame(rows)
    shown = ch.before_after_table(table).set_index("method")
    assert list(shown.index) == ["without DRS", "with DRS", "with DRS, labels drawn per proposal"]
    assert list(shown.columns) == ["acceptance rate", "IS analogue", "FID analogue"]
    drawn = table[table.labels == "drawn per proposal"]
    assert shown.loc["with DRS, labels drawn per proposal", "FID analogue"] == mean_std(drawn.fid, 2)
    with_drs = table[(table.labels == "balanced") & (table.method == "with DRS")]
    assert shown.loc["with DRS", "IS analogue"] == mean_std(with_drs.inception_score, 3)
