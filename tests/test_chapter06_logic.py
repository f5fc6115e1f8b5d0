"""Chapter 06's logic (drs_book.chapters.ddls): number agreement, the rules on every sampler, the generated
paragraph on the paper's 98 %, the flatness sentence and Figure 06-C's missing-mode rings."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import torch

from drs_book import claims
from drs_book.chapters import ddls as ch

SEEDS = range(6)


def frames(levels: dict[str, tuple[float, float]], noise: float = 0.5):
    """Per-seed % HQ and modes, one column per sampler: {name: (hq, modes)} plus a little deterministic noise."""
    wobble = noise * np.array([-1.0, 0.5, 1.0, -0.5, 0.2, -0.2])
    hq = pd.DataFrame({m: h + wobble for m, (h, _) in levels.items()}, index=list(SEEDS))
    modes = pd.DataFrame({m: k + 0.2 * wobble for m, (_, k) in levels.items()}, index=list(SEEDS))
    return hq, modes


def test_number_agreement():
    assert ch.count_phrase(1, "sampler") == "1 sampler" and ch.count_phrase(3, "sampler") == "3 samplers"
    assert ch.count_phrase(0, "mode") == "0 modes" and ch.count_phrase(1.04, "mode", digits=1) == "1.0 mode"
    assert ch.count_phrase(10_000, "sample") == "10,000 samples"
    assert ch.agree(1, "lies", "lie") == "lies" and ch.agree(2, "lies", "lie") == "lie"


def test_every_rule_on_every_sampler_and_the_paragraph_names_who_reaches_98():
    hq, modes = frames({"generator": (70.0, 24.0), "DRS": (88.0, 24.0), "DDLS (MALA)": (80.0, 24.0),
                        "DDLS (ULA)": (97.0, 13.0)})
    table, checks = ch.rules_table(hq, modes, ["DRS", "DDLS (MALA)", "DDLS (ULA)"], 500)
    assert list(table.sampler) == ["DRS", "DDLS (MALA)", "DDLS (ULA)"]
    assert set(checks["DDLS (ULA)"]) == {"raises HQ", "beats DRS", "level", "keeps modes"}
    assert "beats DRS" not in checks["DRS"] and table.set_index("sampler").loc["DRS", "beats DRS"] == "–"
    assert checks["DDLS (ULA)"]["level"].verdict == claims.REPRODUCED
    assert checks["DDLS (MALA)"]["level"].verdict == claims.CONTRADICTED
    assert checks["DDLS (ULA)"]["keeps modes"].verdict == claims.CONTRADICTED
    text = ch.level_paragraph(checks, hq, modes, exact="DDLS (MALA)", biased={"DDLS (ULA)": True})
    assert text.startswith("Only DDLS (ULA) (97.0 %") and "loses 11.0 modes" in text and " reaches " in text
    assert "known-answer check finds biased" in text and "not the energy-based target" in text
    # when nobody reaches the level, the paragraph says so and names the best
    hq2, modes2 = frames({"generator": (70.0, 24.0), "DRS": (88.0, 24.0), "DDLS (MALA)": (80.0, 24.0)})
    _, checks2 = ch.rules_table(hq2, modes2, ["DRS", "DDLS (MALA)"], 500)
    text2 = ch.level_paragraph(checks2, hq2, modes2, exact="DDLS (MALA)", biased={})
    assert text2.startswith("No sampler reaches") and "DRS's, 88.0 %" in text2


def test_flatness_sentence_counts_models_and_steps():
    rows = pd.DataFrame({"method": ["M"] * 3 + ["X"], "energy_flat": [True, False, True, True],
                         "n_steps": [800, 3200, 1600, 5]})
    text = ch.flatness_sentence(rows, "M", 800, 3200)
    assert "met on 2 of 3 models" in text and "800 to 3,200 steps (median 1,600)" in text
    one = ch.flatness_sentence(rows, "X", 5, 5)
    assert "1 of 1 model," in one and "after 5 steps" in one


def test_mode_panels_ring_exactly_the_missing_modes():
    means = torch.tensor([[-2.0, 0.0], [2.0, 0.0], [0.0, 2.0]])
    g = torch.Generator().manual_seed(0)
    near = means[[0, 1]].repeat_interleave(50, 0) + 0.05 * torch.randn(100, 2, generator=g)  # mode 2 missing
    fig = ch.mode_panels({"all": means.repeat_interleave(30, 0), "two": near}, means, 0.1, limit=3.0, ncols=2)
    red = [[p for p in ax.patches if p.get_linewidth() == 2.0] for ax in fig.axes[:2]]
    assert [len(r) for r in red] == [0, 1] and tuple(red[1][0].center) == (0.0, 2.0)
    notes = [t.get_text() for t in fig.axes[1].texts]
    assert "2 of 3 modes" in notes


def test_yardstick_sentence_compares_with_exact_drs():
    hq, modes = frames({"DDLS (MALA)": (80.0, 24.0), "DRS (γ = 0)": (90.0, 24.0)})
    text = ch.yardstick_sentence(hq, modes, exact="DDLS (MALA)")
    assert "90.0 % HQ" in text and "lies below it" in text and "recovers as many modes as it." in text


def test_known_answer_paragraph_reads_the_verdicts():
    from drs_book.chapters import ddls_checks

    labels = ["target (fresh set)", "generator", "DRS, γ = 0", "DRS, γ at the 95th percentile", "DDLS MALA",
              "DDLS ULA", "DDLS ULA, ε/10"]
    frame = pd.DataFrame({"sampler": labels, "acceptance": [np.nan, np.nan, 0.3, 0.8, 0.61, np.nan, np.nan],
                          "matches": [True, False, True, False, True, False, True]})
    text = ddls_checks.known_answer_paragraph(frame, eps=0.2, case="in the band", gamma_percentile=95.0)
    assert "ε = 0.2 (in the band; MALA accepts 0.61" in text
    assert "the paper's practical γ does not match" in text and "generator does not match" in text
    frame.loc[3, "matches"] = True
    assert "matches too" in ddls_checks.known_answer_paragraph(frame, eps=0.2, case="x", gamma_percentile=95.0)


def test_stopped_moving_compares_the_middle_with_each_models_last_step():
    from drs_book.chapters import ddls_checks

    rows = []
    for seed in range(4):
        last = 800 if seed < 2 else 1600  # MALA ran on for two of the models
        for step, energy in [(0, 5.0), (400, 1.0 + 0.01 * seed), (last, 0.5 + 0.01 * seed)]:
            rows.append({"dataset": "mixture", "method": "DDLS (MALA)", "seed": seed, "step": step,
                         "mean_energy": energy, "pct_high_quality": 50.0 + seed})
    verdicts = ddls_checks.stopped_moving(pd.DataFrame(rows), ["mixture"], ["DDLS (MALA)"], {"mixture": "grid"}, 400)
    row = verdicts.loc[("grid", "DDLS (MALA)")]
    assert row["mean energy"] == "kept falling" and row["quality"] == "stopped moving"
    assert row["mean energy: change"] == "-0.50 ± 0.00"


def test_grid_paragraphs_read_every_number_from_the_results():
    methods = {"ground truth": (100.0, 0.02), "generator": (70.0, 0.10), "DRS": (85.0, 0.08), "DRS (γ = 0)": (84.0, 0.06),
               "MH-GAN": (80.0, 0.09), "MH-GAN (calibrated)": (81.0, 0.09), "DOT": (72.0, 0.10),
               "DDLS (ULA, short chains)": (71.0, 0.10), "DDLS (ULA)": (96.0, 0.30), "DDLS (ULA, calibrated)": (95.0, 0.3),
               "DDLS (MALA)": (80.0, 0.07), "DDLS (MALA, calibrated)": (82.0, 0.07)}
    rows = []
    for seed in SEEDS:
        for m, (h, sw) in methods.items():
            rows.append({"dataset": "mixture", "seed": seed, "method": m, "pct_high_quality": h + 0.3 * (seed % 3),
                         "sliced_wasserstein": sw + 0.0012 * seed, "radial_rms_high_quality": 0.07 + 0.001 * seed,
                         "acceptance_rate": 0.5, "calibration_slope": 1.5 + 0.012 * seed})
    text = ch.grid_paragraphs(pd.DataFrame(rows), ["mixture"], short_step_size=0.001, short_steps=100)
    assert text["grid"].startswith("On the grid, DRS's share of high-quality samples is above the generator's "
                                   "(85.3 % against 70.3 %)")
    assert "1.53 ± 0.02, above 1 by the rule" in text["grid"] and "0.1 units of Langevin time" in text["grid"]
    assert "11 lie below that range, 0 overlap it and 0 lie above it" in text["grid"]
    assert "DRS is smaller than the generator's (0.083 against 0.103" in text["distance"]
    assert "Swiss roll" not in text["distance"]


def test_chain_diagnostics_and_the_convergence_paragraph():
    from drs_book.chapters import ddls_checks

    variants = ["DDLS (ULA)", "DDLS (ULA, calibrated)", "DDLS (MALA)", "DDLS (MALA, calibrated)"]
    rows = []
    for seed in range(4):
        for name in variants:
            ula = "ULA" in name
            for step, e in [(0, 5.0), (400, 1.0), (800, 1.0 - (0.3 if ula else 0.0) + 0.01 * seed)]:
                rows.append({"dataset": "mixture", "method": name, "seed": seed, "step": step, "mean_energy": e,
                             "pct_high_quality": 50.0 + seed, "pct_changed_mode": 0.0 if step == 0 else 20.0,
                             "pct_outside_grid": (12.0 + seed) if ula and step == 800 else 1.0 + 0.1 * seed})
    conv = pd.DataFrame(rows)
    diag = ddls_checks.chain_diagnostics(conv, variants)
    assert list(diag.index) == variants and diag.loc["DDLS (ULA)", "% outside the grid at the end"] == 13.5
    verdicts = ddls_checks.stopped_moving(conv, ["mixture"], variants, {"mixture": "grid"}, 400)
    text = ddls_checks.convergence_paragraph(conv, verdicts, diag, grid_label="grid", middle_step=400)
    assert "MALA's mean energy has stopped moving" in text and "share of HQ samples has stopped moving" in text
    assert "13.5 % of its samples" in text and "ULA leaves the grid more often than MALA" in text
    assert "By the end, 20 % of the MALA chains" in text


def test_methods_for_gives_every_sampler_its_spec():
    from drs_book.chapters import ddls_samplers
    from drs_lib.compare.harness import check_spec

    p = {"drs_gamma_percentile": 95.0, "burn_in_samples": 100, "mh_proposals": 5, "mh_calibration": "isotonic",
         "calibration_samples": 50, "dot_step_size": 0.01, "dot_steps": 3, "n_chains": 100, "short_step_size": 0.001,
         "short_steps": 10, "ddls_steps": 40, "flat_tolerance": 0.05, "flat_window": 0.25, "mala_max_steps": 160}
    chosen = {(d, e): (0.05, "in the band") for d in ("mixture", "swiss_roll") for e in ("raw", "calibrated")}
    grid = ddls_samplers.methods_for("mixture", p, chosen, [0, 20, 40])
    roll = ddls_samplers.methods_for("swiss_roll", p, chosen, [0, 20, 40])
    for name, spec in {**grid, **roll}.items():
        check_spec(name, spec)
    assert grid["DRS (γ = 0)"]["gamma_percentile"] is None and "DDLS (ULA)" not in roll
    assert grid["DDLS (MALA)"]["max_steps"] == 160 and "max_steps" not in grid["DDLS (ULA)"]
    assert grid["DDLS (ULA)"]["flat_tolerance"] == 0.05 and grid["DDLS (MALA, calibrated)"]["calibration"] == "logistic"
    assert ddls_samplers.delivered("DRS (γ = 0)", grid["DRS (γ = 0)"], 100, 1000) == 100
    assert ddls_samplers.delivered("DRS", grid["DRS"], 100, 1000) == 1000
