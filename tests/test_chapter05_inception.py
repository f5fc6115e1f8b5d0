"""Chapter 05's runs, tables and claims (drs_book.chapters.inception), on stand-in GANs, scores and classifiers:
the schema refuses bad input, Table 2's rows and display, the claims recorded and the pools' correlations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from drs_book import claims, params
from drs_book.chapters import inception as ch

SEEDS = [0, 1, 2, 3]


class FakeGan:
    """A 2D 'GAN': latents are images, the logit is the first coordinate (DRS keeps large ones)."""

    def latents(self, n, rng):
        return torch.randn(n, 2, generator=rng)

    def decode(self, z):
        return z

    def generate(self, n, rng):
        return self.decode(self.latents(n, rng))

    def score(self, x):
        return x[:, 0]


class FakeScores:
    """Scores that read the images: the 'IS' is the mean first coordinate, so DRS must raise it."""

    def all_scores(self, images, seed=0, with_kid=True):
        m = float(images[:, 0].mean())
        out = {"inception_score": 1.0 + m, "fid": 1.0 - m, "precision": 0.5 + m / 10, "recall": 0.5,
               "density": 1.0, "coverage": 0.9}
        if with_kid:
            out["kid"] = 0.01 - m / 100
        return out


class FakeClassifier:
    """Two classes, confident on large first coordinates: confidence tracks the logit."""

    def probabilities(self, images):
        p = 0.5 + 0.5 * torch.sigmoid(3 * images[:, 0])  # max p(y|x) = p, rising with the logit
        return torch.stack([p, 1 - p], dim=1)


def namespace(**changes):
    ns = dict(seed=0, n_seeds=2, n_repeats=2, n_samples=200, burn_in_samples=100, gamma_percentile=80.0,
              sweep_percentiles=[0.0, 50.0, 80.0, 90.0], sweep_samples=200, threshold_percentiles=[80.0],
              pool_size=1000, n_show=10, n_rows=2, dataset=ch.available_datasets()[0], gan_steps=1,
              classifier_steps=1, device="cpu", quick=True, use_cache=False, results_dir="results",
              cache_dir=".cache/models")
    ns.update(changes)
    return ns


def test_schema_refuses_bad_input_before_work():
    assert params.check_parameters(namespace(), ch.PARAMETERS)["n_show"] == 10
    with pytest.raises(params.ParameterError, match="n_show"):
        params.check_parameters(namespace(n_show=600), ch.PARAMETERS)  # more than half the pool
    with pytest.raises(params.ParameterError, match="threshold_percentiles"):
        params.check_parameters(namespace(threshold_percentiles=[70.0]), ch.PARAMETERS)  # not on the sweep
    with pytest.raises(params.ParameterError, match="dataset"):
        params.check_parameters(namespace(dataset="imagenet"), ch.PARAMETERS)


def test_quick_note():
    assert "quick mode" in ch.quick_note(params.check_parameters(namespace(), ch.PARAMETERS))
    full = ch.quick_note(params.check_parameters(namespace(quick=False, n_samples=10_000), ch.PARAMETERS))
    assert full.startswith("Table 2 uses 2 independently trained GANs × 2 sampling repeats × 10,000 samples")


@pytest.fixture(scope="module")
def table2():
    gans = {s: FakeGan() for s in SEEDS}
    return ch.table2_runs(gans, FakeScores(), SEEDS, n_repeats=2, n_samples=200, burn_in_samples=100,
                          gamma_percentile=80.0, device="cpu")


def test_table2_runs_pairs_plain_and_drs_sets(table2):
    assert len(table2) == len(SEEDS) * 2 * 2 and (table2.n_samples == 200).all()
    plain, with_drs = table2[table2.method == "without DRS"], table2[table2.method == "with DRS"]
    assert (plain.acceptance_rate == 1.0).all() and with_drs.acceptance_rate.between(0, 1, inclusive="right").all()
    assert with_drs.inception_score.mean() > plain.inception_score.mean()  # DRS keeps large logits


def test_table2_frame(table2):
    real = {"kid": 0.001, "precision": 0.7, "recall": 0.7, "density": 1.0, "coverage": 0.95}
    table, kid_text = ch.table2_frame(table2, real_is=9.5, real_fid=0.25, real_scores=real)
    assert table.columns[0] == "score" and list(table.columns[1:]) == ["without DRS", "with DRS", "real held-out digits"]
    shown = table.set_index("score")
    mean = table2[table2.method == "with DRS"].inception_score.mean()
    assert shown.loc["IS analogue (ours)", "with DRS"].startswith(f"{mean:.3f} ± ")
    assert shown.loc["IS, SAGAN (paper)", "with DRS"] == "61.44 ± 0.09"
    assert shown.loc["IS analogue (ours)", "real held-out digits"] == "9.500"
    assert shown.loc["KID analogue, kernel units (ours)", "real held-out digits"] == "0.00 (train vs held-out)"
    assert kid_text.startswith("10") and kid_text[2:] in ("⁻²", "⁻³")


def test_table2_claims_and_side_findings(table2):
    per_seed = table2.groupby(["method", "seed"])[list(ch.SCORES)].mean()
    ledger = claims.ClaimLedger("05_inception_vs_acceptance", full_scale=False)
    ch.record_table2_claims(ledger, per_seed)
    assert [r.claim_id for r in ledger.records] == ["drs-raises-is", "drs-lowers-fid"]
    assert ledger["drs-raises-is"].check.verdict == "reproduced"
    assert ledger["drs-lowers-fid"].check.verdict == "reproduced"
    findings = ch.table2_side_findings(per_seed)
    assert list(findings) == ["kid", "precision", "recall", "coverage"]
    assert findings["kid"] == claims.paired(per_seed.loc["with DRS"].kid, per_seed.loc["without DRS"].kid,
                                            expect="below", digits=2, a_name="KID analogue (kernel units) with DRS",
                                            b_name="without DRS", over="models").finding


def test_sweep_and_figure7_claims():
    gans = {s: FakeGan() for s in SEEDS}
    sweep_all = ch.sweep_runs(gans, FakeScores(), SEEDS, sweep_percentiles=[0.0, 50.0, 80.0, 90.0],
                              threshold_percentiles=[80.0], sweep_samples=200, burn_in_samples=100, device="cpu")
    assert (sweep_all.n_samples == 200).all() and "kid" not in sweep_all
    sweep = sweep_all[sweep_all.method == ch.tradeoff.DRS].reset_index(drop=True)
    pools, correlations = ch.acceptance_pools(gans, FakeClassifier(), SEEDS, pool_size=1000, burn_in_samples=100,
                                              gamma_percentile=80.0, device="cpu")
    assert set(pools) == set(SEEDS) and len(correlations) == len(SEEDS)
    first = pools[SEEDS[0]]
    assert first["acceptance"].shape == (1000,) and ((first["acceptance"] >= 0) & (first["acceptance"] <= 1)).all()
    assert (correlations.spearman_acceptance_maxp > 0.5).all()  # confidence tracks the logit by construction
    assert (correlations.maxp_top10pct_acceptance > correlations.maxp_bottom10pct_acceptance).all()
    ledger = claims.ClaimLedger("05_inception_vs_acceptance", full_scale=False)
    rise, flat, rate = ch.record_figure7_claims(ledger, sweep, correlations)
    assert [r.claim_id for r in ledger.records] == ["is-rises-then-flattens", "rate-at-90th-percentile",
                                                     "acceptance-tracks-confidence"]
    assert rise.verdict == "reproduced"  # a higher percentile keeps larger logits: the fake IS rises
    assert ledger["acceptance-tracks-confidence"].check.verdict == "reproduced"
    assert rate.verdict == claims.not_comparable("x", ours="y").verdict
    assert "90th percentile" in rate.ours


def test_paper_lowest_rate_is_the_appendix_value():
    assert ch.PAPER_LOWEST_RATE == pytest.approx(14.0) and np.isfinite(ch.PAPER_LOWEST_RATE)
    assert isinstance(ch.PAPER_TABLE2["with DRS"], dict) and pd.Series(ch.PAPER_TABLE2["with DRS"]).size == 4
