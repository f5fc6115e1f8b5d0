"""Chapter 06's runs and tables (drs_book.chapters.ddls_runs): the parameter schema refuses bad input, the
prose's parameter texts, the tables built from a results frame, the paired findings, the claims recorded, the
known-answer verdicts read back, the cost table and the figures; the loops on tiny stand-in networks."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import math

import numpy as np
import pandas as pd
import pytest
import torch

from drs_book import claims, params
from drs_book.chapters import ddls as chapter
from drs_book.chapters import ddls_runs as runs

SEEDS = [0, 1, 2, 3, 4, 5]
WOBBLE = np.array([-1.0, 0.5, 1.0, -0.5, 0.2, -0.2])


def namespace(**changes):
    """The parameters cell's quick values (front matter) as a notebook namespace, with ``changes``."""
    ns = dict(seed=0, n_seeds=2, n_samples=1000, n_chains=200, datasets=["mixture", "swiss_roll"],
              gan_preset="quick", burn_in_samples=500, drs_gamma_percentile=95.0, mh_proposals=20,
              mh_calibration="isotonic", calibration_samples=500, dot_step_size=0.01, dot_steps=20,
              ddls_step_grid=[0.001, 0.002, 0.005], ddls_acceptance_band=[0.5, 0.8], pilot_chains=50,
              pilot_steps=10, ddls_steps=40, mala_max_steps=160, flat_tolerance=0.05, flat_window=0.25,
              short_step_size=0.001, short_steps=100, toy_samples=1000, toy_reference_factor=10,
              toy_energy_points=1000, toy_step_grid=[0.01, 0.02], toy_steps=100, toy_permutations=199,
              distance_projections=32, energy_samples=300, tradeoff_percentiles=[80.0, 95.0], device="cpu",
              quick=True, results_dir="results", use_cache=True, cache_dir=".cache/models")
    ns.update(changes)
    return ns


def results_frame() -> pd.DataFrame:
    """Per-seed rows of a results CSV: the grid for four methods and the Swiss roll for two, with made-up but
    clearly separated values."""
    levels = {"ground truth": (100.0, 25.0, 0.01, 1.0), "generator": (70.0, 24.0, 0.2, 1.0),
              "DRS": (90.0, 24.0, 0.1, 0.3), "DDLS (MALA)": (80.0, 23.0, 0.15, 0.9)}
    rows = []
    for dataset in ["mixture", "swiss_roll"]:
        for method, (hq, modes, sw, acc) in levels.items():
            if dataset == "swiss_roll" and method not in ("generator", "DRS"):
                continue
            for i, s in enumerate(SEEDS):
                rows.append({"dataset": dataset, "seed": s, "method": method, "pct_high_quality": hq + WOBBLE[i],
                             "modes_recovered": modes, "radial_rms_high_quality": 0.07 + 0.001 * i,
                             "sliced_wasserstein": sw + 0.001 * WOBBLE[i],
                             "acceptance_rate": acc if method in ("DRS", "DDLS (MALA)") else np.nan,
                             "emd": sw * 2, "precision": hq / 100, "recall": 0.5 + 0.01 * WOBBLE[i],
                             "density": 1.0, "coverage": 0.9,
                             "g_forward_per_sample": 3.0 if method == "DRS" else 50.0, "g_backward_per_sample": 0.0,
                             "d_forward_per_sample": 3.0, "d_backward_per_sample": 0.0,
                             "seconds_per_10k": 0.5 + i, "n_steps": 40 + 40 * (i % 2),
                             "energy_flat": bool(i % 2)})
    return pd.DataFrame(rows)


def test_schema_accepts_the_quick_values_and_refuses_bad_input_before_work():
    checked = params.check_parameters(namespace(), runs.PARAMETERS)
    assert checked["n_chains"] == 200 and checked["datasets"] == ["mixture", "swiss_roll"]
    with pytest.raises(params.ParameterError, match="n_chains"):
        params.check_parameters(namespace(n_chains=5000), runs.PARAMETERS)  # more chains than samples
    with pytest.raises(params.ParameterError, match="datasets"):
        params.check_parameters(namespace(datasets=["swiss_roll"]), runs.PARAMETERS)  # the grid is required
    with pytest.raises(params.ParameterError, match="ddls_acceptance_band"):
        params.check_parameters(namespace(ddls_acceptance_band=[0.8, 0.5]), runs.PARAMETERS)
    with pytest.raises(params.ParameterError, match="mala_max_steps"):
        params.check_parameters(namespace(mala_max_steps=10), runs.PARAMETERS)  # fewer than the first round


def test_parameter_texts_quote_the_parameters():
    texts = runs.parameter_texts(params.check_parameters(namespace(), runs.PARAMETERS))
    assert texts["band_text"] == "[0.5, 0.8]"
    assert texts["step_grid_text"] == "0.001, 0.002, 0.005"
    assert texts["toy_reference_n"] == "10,000" and texts["toy_steps_long"] == "1,000"
    assert texts["n_chains_text"] == "200" and texts["flat_tolerance_text"] == "0.05"
    assert "quick mode" in texts["quick_note"]
    full = runs.parameter_texts(params.check_parameters(namespace(quick=False, n_seeds=10), runs.PARAMETERS))
    assert full["quick_note"].startswith("Every number on the GANs comes from 10 ")


def test_grid_and_distance_tables():
    results = results_frame()
    order = ["ground truth", "generator", "DRS", "DDLS (MALA)", "DOT"]
    table = runs.grid_table(results, order).set_index("method")
    assert list(table.index) == order
    assert table.loc["DRS", "% HQ"] == chapter.summary(results, "mixture", "pct_high_quality", 1, order)["DRS"]
    assert table.loc["DRS", "acceptance"] == "0.30" and table.loc["generator", "acceptance"] == "–"
    assert (table.loc["DOT"] == "–").all()  # a method that did not run gets dashes, not a number
    sw = runs.distance_table(results, ["mixture", "swiss_roll"], order, {"mixture": "grid", "swiss_roll": "roll"})
    sw = sw.set_index("method")
    assert list(sw.columns) == ["SW₂, grid", "SW₂, roll"]
    assert sw.loc["DDLS (MALA)", "SW₂, roll"] == "–" and sw.loc["DRS", "SW₂, roll"] != "–"


def test_field_table_lists_only_the_methods_that_ran():
    table = runs.field_table(results_frame(), "swiss_roll", ["ground truth", "generator", "DRS"])
    assert list(table.method) == ["generator", "DRS"]
    assert list(table.columns) == ["method", *(label for label, _ in runs.FIELD.values())]


def test_field_finding_is_the_paired_rule():
    mix = results_frame().query("dataset == 'mixture'")
    finding = runs.field_finding(mix, "DRS", "generator", "precision")
    pivot = mix.pivot(index="seed", columns="method", values="precision")
    expected = claims.paired(pivot["DRS"], pivot["generator"], expect="above", a_name="precision, DRS",
                             b_name="generator", digits=3, over="models")
    assert finding == expected.finding and expected.verdict == "reproduced"
    below = runs.field_finding(mix, "generator", "DRS", "emd", expect="below")
    assert "EMD, generator" in below


def test_record_claims_records_the_four_claims_and_the_ula_check():
    hq = pd.DataFrame({m: h + WOBBLE for m, h in
                       {"generator": 70.0, "DRS": 90.0, "DDLS (MALA)": 98.0, "DDLS (ULA)": 80.0}.items()},
                      index=SEEDS)
    modes = pd.DataFrame({m: 25.0 + 0.0 * WOBBLE for m in hq.columns}, index=SEEDS)
    _, rule_checks = chapter.rules_table(hq, modes, ["DRS", "DDLS (MALA)", "DDLS (ULA)"], 500)
    ledger = claims.ClaimLedger("06_ddls_comparison", full_scale=False)
    runs.record_claims(ledger, rule_checks)
    ids = [r.claim_id for r in ledger.records]
    assert ids == ["ddls-raises-hq", "ddls-beats-drs", "ddls-hq-level", "ddls-keeps-modes", "ddls-ula-hq-level"]
    assert [r.kind for r in ledger.records] == ["claim"] * 4 + ["check"]
    assert ledger.records[0].verdict == rule_checks["DDLS (MALA)"]["raises HQ"].verdict
    without_ula = claims.ClaimLedger("06_ddls_comparison", full_scale=False)
    runs.record_claims(without_ula, {k: v for k, v in rule_checks.items() if k != "DDLS (ULA)"})
    assert len(without_ula.records) == 4


def test_toy_biased_reads_the_known_answer_verdicts():
    frame = pd.DataFrame({"sampler": ["DDLS ULA", "DDLS MALA", "DRS, γ at the 95th percentile"],
                          "matches": [False, True, True]})
    assert runs.toy_biased(frame, 95.0) == {"DDLS (ULA)": True, "DDLS (ULA, calibrated)": True, "DRS": False}
    with pytest.raises(KeyError):
        runs.toy_biased(frame, 80.0)  # a percentile the check did not run is an error, not a silent "unbiased"


def test_cost_tables():
    cost, shown = runs.cost_tables(results_frame(), ["generator", "DRS", "DDLS (MALA)"])
    assert list(cost.index) == ["generator", "DRS", "DDLS (MALA)"]
    assert math.isclose(cost.loc["DRS", "seconds per 10,000"], np.mean([0.5 + i for i in range(6)]) , rel_tol=1e-9)
    assert cost.loc["DRS", "G forward"] == pytest.approx(3.0)
    assert shown.columns[0] == "method" and shown.loc[1, "G forward"] == "3.0"
    assert shown.loc[1, "seconds per 10,000"] == "3.00"


def test_flat_paragraph_counts_the_runs():
    results = results_frame()
    extra = results[results.method == "DDLS (MALA)"].assign(method="DDLS (MALA, calibrated)")
    ula = results[results.method == "DDLS (MALA)"].assign(method="DDLS (ULA)")
    results = pd.concat([results, extra, ula], ignore_index=True)
    text = runs.flat_paragraph(results, ["mixture"], {"mixture": "25 Gaussians"}, ddls_steps=40, mala_max_steps=160)
    assert text.startswith("By the flatness criterion: 25 Gaussians, DDLS (MALA): the criterion is met on 3 of 6")
    assert "MALA ran 60 steps per chain on average, 1.5 times the first round" in text
    assert text.endswith("its 40-step runs meet the criterion on 3 of 6.")


def test_verdicts_display_joins_each_verdict_with_its_change():
    verdicts = pd.DataFrame({"mean energy": ["flat"], "mean energy: change": ["0.1 ± 0.2"], "quality": ["rising"],
                             "quality: change": ["3 ± 1"]}, index=pd.Index(["DDLS (MALA)"], name="chain"))
    shown = runs.verdicts_display(verdicts)
    assert shown.loc[0, "chain"] == "DDLS (MALA)" and shown.loc[0, "mean energy E(z)"] == "flat (0.1 ± 0.2)"


def test_paper_table_is_the_printed_table1():
    assert list(runs.PAPER_TABLE1["% HQ"]) == ["70 ± 9", "90 ± 2", "98 ± 2"]


class _Stacked:
    """Seed-stacked networks as the cache returns them: ``member(i)`` and the generator's ``sizes``."""

    def __init__(self, nets, sizes=(2,)):
        self.nets, self.sizes = nets, sizes

    def member(self, i):
        return self.nets[i]


def test_networks_freezes_one_seed_and_the_pilot_picks_from_the_grid():
    torch.manual_seed(0)
    gens = _Stacked([torch.nn.Linear(2, 2) for _ in range(2)])
    discs = _Stacked([torch.nn.Linear(2, 1) for _ in range(2)])
    config = {"data": {"name": "mixture"}}
    models = {"mixture": (config, gens, discs)}
    got_config, G, D, latent = runs.networks(models, "mixture", 1, "cpu")
    assert got_config is config and latent == 2 and G is gens.nets[1]
    assert not any(p.requires_grad for p in [*G.parameters(), *D.parameters()])
    pilot, chosen = runs.step_size_pilot(models, ["mixture"], [0, 1], step_grid=[0.01, 0.1], band=(0.5, 0.8),
                                         pilot_chains=10, pilot_steps=3, calibration_samples=50, device="cpu")
    assert len(pilot) == 2 * 2 * 2  # seeds × energies × step sizes
    assert set(chosen) == {("mixture", "raw"), ("mixture", "calibrated")}
    assert all(eps in (0.01, 0.1) for eps, _ in chosen.values())
    assert pilot.acceptance.between(0, 1).all()


def test_samples_figure_draws_one_panel_per_sampler():
    panels = {"truth": torch.randn(50, 2), "generator": torch.randn(50, 2)}
    grid = {"means": torch.tensor([[0.0, 0.0], [1.0, 1.0]]), "mode_std": 0.1, "scale": 2.0}
    fig = runs.samples_figure(panels, "swiss_roll", grid)
    assert len([ax for ax in fig.axes if ax.has_data()]) == 2
    fig = runs.samples_figure(panels, "mixture", grid)
    assert len([ax for ax in fig.axes if ax.has_data()]) == 2


def test_exact_drs_has_a_proposal_budget_whose_error_the_runs_recognise():
    """Exact DRS gives up after EXACT_DRS_MAX_PROPOSALS (a model whose largest logit is far above the rest would
    never deliver), and ``sampler_runs`` turns that error, recognised by its 'max_proposals' text, into an empty row."""
    from drs_book.chapters import ddls_samplers
    from drs_lib.samplers.drs import drs_sample

    chosen = {(d, e): (0.01, "in band") for d in ("mixture", "swiss_roll") for e in ("raw", "calibrated")}
    spec = ddls_samplers.methods_for("swiss_roll", namespace(), chosen, [0, 20, 40])[ddls_samplers.EXACT_DRS]
    assert spec["max_proposals"] == ddls_samplers.EXACT_DRS_MAX_PROPOSALS and spec["gamma_percentile"] is None

    def generate(n, rng):
        return torch.randn(n, 2, generator=rng)

    def score(x):  # every logit 30 below D̃_M: exact acceptance e^-30
        return torch.zeros(x.shape[0])

    with pytest.raises(RuntimeError, match="max_proposals"):
        drs_sample(generate, score, 500, gamma_percentile=None, d_max=30.0, max_proposals=50_000,
                   batch_size=10_000, seed=0, device="cpu")
