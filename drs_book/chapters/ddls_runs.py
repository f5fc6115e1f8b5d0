"""Chapter 06's runs and tables: the parameter schema, the step-size pilot on the GANs, every sampler on every
seed, DRS's quality–diversity sweep, the tables built from the results CSV and the DDLS paper's claims
(tests/test_chapter06_runs.py).

The notebook keeps the prose and one short call per step; the loops live here so that they can be read and
tested on their own. Every function draws its random numbers from the same named streams the notebook used
(:func:`drs_lib.compare.harness.method_seed`, ``torch.Generator`` seeded per model), in the same order, so
moving them here changed no number.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from drs_book import claims, params, regime
from drs_book.cache import ModelCache
from drs_book.cached_training import gan_config, load_or_keep_train, load_or_train_gan
from drs_book.chapters import ddls as chapter
from drs_book.chapters import ddls_checks as checks
from drs_book.chapters import ddls_samplers as samplers_setup
from drs_book.plotting import scatter_panels
from drs_book.report import mean_std
from drs_lib.compare import tradeoff
from drs_lib.compare.harness import method_seed, run_method
from drs_lib.metrics.prdc_metrics import precision_recall_density_coverage
from drs_lib.nets.models import generator_callable, score_callable
from drs_lib.problems.data import data_spec, make_sampler
from drs_lib.problems.exact_toy import ExactRatioToy, default_toy
from drs_lib.samplers.calibration import fit_calibrator
from drs_lib.samplers.ddls import choose_step_size, mala_acceptance_by_step_size

__all__ = ["PARAMETERS", "FIELD", "MALAS", "QUALITY_DIVERSITY_POINTS", "PAPER_TABLE1", "parameter_texts",
           "verdicts_display", "samples_figure", "gan_models", "known_answer", "networks", "step_size_pilot",
           "sampler_runs", "flat_paragraph", "grid_table", "distance_table", "field_table", "quality_diversity",
           "field_finding", "record_claims", "toy_biased", "cost_tables"]

_STEP_SIZES = params.ListOf(params.Float(minimum=1e-6, maximum=10.0), allowed="a non-empty list of step sizes")

#: what each parameter of chapter 06's parameters cell may be, and its quick value; checked in order before any work
PARAMETERS: dict[str, params.Spec] = {
    "seed": params.Int(minimum=0),
    "n_seeds": params.Int(minimum=2, quick=2),
    "n_samples": params.Int(minimum=100, quick=1000),
    "n_chains": params.Int(minimum=100, maximum=lambda given: given["n_samples"], quick=200),
    "datasets": params.ListOf(params.Choice(["mixture", "swiss_roll"]), required=("mixture",),
                              allowed="a list holding 'mixture' (the training budget and the tables need it) "
                                      "and optionally 'swiss_roll'"),
    "gan_preset": params.Choice(sorted(regime.GAN_PRESETS), quick="quick"),
    "burn_in_samples": params.Int(minimum=1, quick=500),
    "drs_gamma_percentile": params.Percentile(),
    "mh_proposals": params.Int(minimum=1, quick=20),
    "mh_calibration": params.Choice(["isotonic", "logistic"]),
    "calibration_samples": params.Int(minimum=10, quick=500),
    "dot_step_size": params.Float(minimum=1e-6, maximum=10.0),
    "dot_steps": params.Int(minimum=0, quick=20),
    "ddls_step_grid": _STEP_SIZES,
    "toy_step_grid": _STEP_SIZES,
    "ddls_acceptance_band": params.Pair(
        params.Float(minimum=0.0, maximum=1.0),
        params.Float(minimum=lambda given: given["ddls_acceptance_band[0]"] + 1e-6, maximum=1.0),
        allowed="[low, high]"),
    "pilot_chains": params.Int(minimum=10, quick=50),
    "pilot_steps": params.Int(minimum=1, quick=10),
    "ddls_steps": params.Int(minimum=4, quick=40),
    "mala_max_steps": params.Int(minimum=lambda given: given["ddls_steps"], quick=160),
    "flat_tolerance": params.Float(minimum=1e-6, maximum=1.0),
    "flat_window": params.Float(minimum=0.01, maximum=0.5),
    "short_step_size": params.Float(minimum=1e-6, maximum=10.0),
    "short_steps": params.Int(minimum=1),
    "toy_samples": params.Int(minimum=100, quick=1000),
    "toy_reference_factor": params.Int(minimum=1),
    "toy_energy_points": params.Int(minimum=20, maximum=lambda given: given["toy_samples"]),
    "toy_steps": params.Int(minimum=1, quick=100),
    "toy_permutations": params.Int(minimum=79),
    "distance_projections": params.Int(minimum=1, quick=32),
    "energy_samples": params.Int(minimum=2, quick=300),
    "tradeoff_percentiles": params.PercentileList(holds=("drs_gamma_percentile",), quick=[80.0, 95.0]),
    "device": params.Device(),
    "quick": params.Bool(),
    "use_cache": params.Bool(),
    "cache_dir": params.Directory(),
    "results_dir": params.Directory(),
}

#: the quality–diversity columns of the results CSV: (table heading, digits)
FIELD = {"emd": ("EMD ↓", 3), "precision": ("precision ↑", 3), "recall": ("recall ↑", 3),
         "density": ("density ↑", 3), "coverage": ("coverage ↑", 3)}
#: the two MALA variants (the ones whose run length the flatness criterion sets)
MALAS = ["DDLS (MALA)", "DDLS (MALA, calibrated)"]
#: the samplers drawn as single points beside DRS's γ sweep (Figure 06-F)
QUALITY_DIVERSITY_POINTS = ["MH-GAN", "MH-GAN (calibrated)", "DOT", "DDLS (MALA)", "DDLS (MALA, calibrated)"]


def gan_models(cache: ModelCache, datasets: Sequence[str], seeds: Sequence[int], gan_preset: str,
               device: torch.device | str) -> tuple[dict[str, tuple], int]:
    """``{dataset: (data config, generators, KeepTraining discriminators)}`` at the training budget, via the
    cache, and the 25-Gaussian budget (the iteration the selection rule of chapter A1 picks).

    The grid uses the shared preset's models, snapshot and budget rule (cache hits after chapter 02); the
    Swiss roll, not in the DRS paper, a cheap fixed setting (:data:`drs_book.regime.SWISS_ROLL_GAN`).
    """
    mixture_config = regime.preset_gan_config(gan_preset, list(seeds), device=device)
    mixture_gan = load_or_train_gan(cache, mixture_config, name="gan_mixture", device=device)
    budget = regime.gan_preset(gan_preset)["budget_step"]
    models = {}
    for dataset in datasets:
        if dataset == "mixture":
            config, gan, step = mixture_config, mixture_gan, budget
            generators, _ = gan.at(budget)
        else:
            config = gan_config(data_spec(dataset), list(seeds), device=device, **regime.SWISS_ROLL_GAN[gan_preset])
            gan = load_or_train_gan(cache, config, name=f"gan_{dataset}", device=device)
            generators, step = gan.generator, config["steps"]
        kt = load_or_keep_train(cache, regime.preset_keep_training_config(gan_preset, config, step), gan,
                                name=f"kt_{dataset}", device=device)
        models[dataset] = (config, generators, kt.discriminator)
    return models, budget


def known_answer(p: Mapping, band: tuple[float, float], toy: ExactRatioToy | None = None):
    """The known-answer check: the MALA pilot on the exact-ratio toy picks the step size (same rule as on the
    GANs), then every sampler runs and is tested against a fresh target set.

    ``p`` holds the checked parameters. Returns (toy, step size, the rule's case, {sampler: (samples, info)},
    the per-sampler test frame of :func:`drs_book.chapters.ddls_checks.known_answer_frame`).
    """
    toy = default_toy() if toy is None else toy
    seed = p["seed"]
    pilot = mala_acceptance_by_step_size(toy.generator, toy.score, 2, list(p["toy_step_grid"]),
                                         n_chains=p["pilot_chains"], n_steps=p["pilot_steps"], rng=seed, device="cpu")
    eps, case = choose_step_size(pilot, band)
    toy_runs = checks.known_answer_runs(toy, n=p["toy_samples"], eps=eps, steps=p["toy_steps"],
                                        burn_in_samples=p["burn_in_samples"],
                                        gamma_percentile=p["drs_gamma_percentile"], seed=seed)
    frame = checks.known_answer_frame(toy_runs, toy, seed=seed, n_permutations=p["toy_permutations"],
                                      reference_factor=p["toy_reference_factor"],
                                      energy_points=p["toy_energy_points"])
    return toy, eps, case, toy_runs, frame


def networks(models: Mapping[str, tuple], dataset: str, s_index: int, device: torch.device | str):
    """(data config, G, D, latent size) of one seed's model, frozen on ``device``.

    ``models[dataset]`` is (data config, seed-stacked generators, seed-stacked discriminators).
    """
    config, generators, discriminators = models[dataset]
    G = generators.member(s_index).to(device).requires_grad_(False)
    D = discriminators.member(s_index).to(device).requires_grad_(False)
    return config, G, D, generators.sizes[0]


def step_size_pilot(models: Mapping[str, tuple], datasets: Sequence[str], seeds: Sequence[int], *,
                    step_grid: Sequence[float], band: tuple[float, float], pilot_chains: int, pilot_steps: int,
                    calibration_samples: int, device: torch.device | str
                    ) -> tuple[pd.DataFrame, dict[tuple[str, str], tuple[float, str]]]:
    """MALA's acceptance per data set, seed, energy and step size, and the step size the rule picks.

    For the calibrated energy, a Platt calibrator is fitted on held-out real and generated samples first (like
    the DDLS runs). The rule (:func:`drs_lib.samplers.ddls.choose_step_size`) reads the acceptance averaged
    over seeds. Returns the pilot's rows and ``{(dataset, energy): (step size, case)}``.
    """
    rows = []
    for dataset in datasets:
        for s_index, s in enumerate(seeds):
            config, G, D, latent_dim = networks(models, dataset, s_index, device)
            score = lambda x: D(x).reshape(-1)  # noqa: E731
            sample_real = make_sampler(config["data"])
            for energy, calibration in samplers_setup.ENERGIES.items():
                calibrator = None
                if calibration is not None:
                    g_cal = torch.Generator(device=device).manual_seed(method_seed(s, f"pilot calibration {dataset}"))
                    with torch.no_grad():
                        real = sample_real(calibration_samples, g_cal).to(device)
                        fake = G(torch.randn(calibration_samples, latent_dim, generator=g_cal, device=device))
                        calibrator = fit_calibrator(score(real), score(fake), calibration)
                acc = mala_acceptance_by_step_size(G, score, latent_dim, list(step_grid), n_chains=pilot_chains,
                                                   n_steps=pilot_steps, calibrator=calibrator,
                                                   rng=method_seed(s, f"pilot {dataset} {energy}"), device=device)
                rows += [{"dataset": dataset, "seed": s, "energy": energy, "step_size": eps, "acceptance": a}
                         for eps, a in acc.items()]
    pilot = pd.DataFrame(rows)
    chosen = {}
    for (dataset, energy), sub in pilot.groupby(["dataset", "energy"]):
        eps, case = choose_step_size(sub.groupby("step_size").acceptance.mean().to_dict(), band)
        chosen[(dataset, energy)] = (eps, case)
    return pilot, chosen


def sampler_runs(models: Mapping[str, tuple], datasets: Sequence[str], seeds: Sequence[int], p: Mapping,
                 methods_for: Callable[[str], Mapping[str, dict]], *, grid: Mapping, length_scale: Mapping[str, float],
                 directions: torch.Tensor, device: torch.device | str):
    """Every method on every seed's model: the results rows, the DDLS checkpoint rows, the first seed's panels and
    each model's independent real reference set.

    ``p`` holds the checked parameters (``n_samples``, ``n_chains``, ``energy_samples``); ``grid`` the
    25-Gaussian geometry (``means``, ``mode_std``, ``scale``, ``outside_limit``). Every sampler is scored on
    its first ``n_chains`` samples against the same ``n_chains`` real points per model.
    """
    n_samples, n_chains = p["n_samples"], p["n_chains"]

    def distances(samples, reference, s, dataset):  # SW₂, energy distance, EMD, PRDC (k = 5)
        return chapter.set_distances(samples, reference, directions=directions, seed=s, length=length_scale[dataset],
                                     energy_samples=p["energy_samples"])

    rows, conv_rows, panels, references = [], [], {}, {}
    for dataset in datasets:
        for s_index, s in enumerate(seeds):
            config, G, D, latent_dim = networks(models, dataset, s_index, device)
            sample_real = make_sampler(config["data"])
            rng_real = torch.Generator().manual_seed(10_000 + s)
            truth = sample_real(n_samples, rng_real).to(device)
            reference = sample_real(n_chains, rng_real).to(device)  # an independent real set for the distances
            references[(dataset, s)] = reference
            runs = {"ground truth": truth}
            base = {"dataset": dataset, "seed": s, "n_scored": n_chains}
            rows.append({**base, "method": "ground truth", "n_samples": n_samples,
                         **distances(truth[:n_chains], reference, s, dataset)})
            for name, spec in methods_for(dataset).items():
                n = samplers_setup.delivered(name, spec, n_chains, n_samples)
                try:
                    run = run_method(name, spec, G, D, sample_real, n, latent_dim=latent_dim, seed=s, device=device)
                except RuntimeError as error:  # a proposal budget ran out (exact DRS): a row with no samples
                    if "max_proposals" not in str(error):
                        raise
                    rows.append({**base, "method": name, "n_samples": 0, "max_proposals": spec["max_proposals"]})
                    continue
                runs[name] = run.samples
                rows.append({**base, **run.cost_row(), **distances(run.samples[:n_chains], reference, s, dataset)})
                if spec["kind"] == "ddls" and run.result.checkpoints:
                    conv_rows += samplers_setup.checkpoint_rows(run.result, base, name, reference, directions,
                                                                length_scale[dataset],
                                                                grid if dataset == "mixture" else None)
            if dataset == "mixture":
                for name, x in runs.items():  # modes and HQ on the same n_chains samples for every sampler
                    row = next(r for r in rows if r["dataset"] == dataset and r["seed"] == s and r["method"] == name)
                    row.update(chapter.grid_metrics(x[:n_chains], grid["means"], grid["mode_std"], grid["scale"]))
            if s_index == 0:
                panels[dataset] = {k: v[:n_chains].cpu() for k, v in runs.items()}
    return pd.DataFrame(rows), pd.DataFrame(conv_rows), panels, references


def samples_figure(panels: Mapping[str, torch.Tensor], dataset: str, grid: Mapping):
    """Figures 06-C/D: the first seed's samples per sampler. On the grid in the paper's units, with every mode's
    4-std circle and the modes a panel misses ringed in red; the Swiss roll as plain scatter panels."""
    if dataset == "mixture":
        means, scale = grid["means"], grid["scale"]
        return chapter.mode_panels({k: v * scale for k, v in panels.items()}, means * scale, grid["mode_std"] * scale,
                                   limit=1.25 * float(means.abs().max()) * scale, ncols=4)
    return scatter_panels(panels, ncols=3, point_size=3.0, alpha=0.45, limit=2.2)


def flat_paragraph(results: pd.DataFrame, datasets: Sequence[str], labels: Mapping[str, str], *, ddls_steps: int,
                   mala_max_steps: int) -> str:
    """The flatness verdict of every MALA run, MALA's mean run length and how many ULA runs met the criterion."""
    parts = [f"{labels[d]}, {chapter.flatness_sentence(results[results.dataset == d], m, ddls_steps, mala_max_steps)}"
             for d in datasets for m in MALAS]
    ula = results[results.method.isin(["DDLS (ULA)", "DDLS (ULA, calibrated)"])]
    mala_steps = results[results.method.isin(MALAS)].n_steps
    return ("By the flatness criterion: " + "; ".join(parts) + ". " +
            f"MALA ran {mala_steps.mean():,.0f} steps per chain on average, {mala_steps.mean() / ddls_steps:.1f} "
            f"times the first round; the cost table counts every step. ULA is not extended; its {ddls_steps:,}-step "
            f"runs meet the criterion on {int(ula.energy_flat.astype(bool).sum())} of {len(ula)}.")


def grid_table(results: pd.DataFrame, order: Sequence[str]) -> pd.DataFrame:
    """Table 06-E: modes, % HQ, std of HQ (mean ± std over models) and the mean acceptance rate on the grid."""
    table = pd.DataFrame(index=list(order))
    table.index.name = "method"
    table["modes"] = pd.Series(chapter.summary(results, "mixture", "modes_recovered", 1, order))
    table["% HQ"] = pd.Series(chapter.summary(results, "mixture", "pct_high_quality", 1, order))
    table["std of HQ"] = pd.Series(chapter.summary(results, "mixture", "radial_rms_high_quality", 3, order))
    acc = results[results.dataset == "mixture"].groupby("method").acceptance_rate.mean()
    table["acceptance"] = pd.Series({m: f"{a:.2f}" for m, a in acc.items() if np.isfinite(a)})
    return table.fillna("–").reset_index()


def distance_table(results: pd.DataFrame, datasets: Sequence[str], order: Sequence[str],
                   labels: Mapping[str, str]) -> pd.DataFrame:
    """Table 06-F: SW₂ to an independent real set, mean ± std over models, one column per data set."""
    table = pd.DataFrame(index=list(order))
    table.index.name = "method"
    for dataset in datasets:
        table[f"SW₂, {labels[dataset]}"] = pd.Series(chapter.summary(results, dataset, "sliced_wasserstein", 3, order))
    return table.fillna("–").reset_index()


def field_table(results: pd.DataFrame, dataset: str, order: Sequence[str]) -> pd.DataFrame:
    """Tables 06-G/H: EMD, precision, recall, density, coverage (mean ± std) of every method that ran."""
    sub = results[results.dataset == dataset]
    present = [m for m in order if len(sub[sub.method == m])]
    return pd.DataFrame([{"method": m, **{label: mean_std(sub[sub.method == m][key], digits)
                                          for key, (label, digits) in FIELD.items()}} for m in present])


def quality_diversity(models: Mapping[str, tuple], seeds: Sequence[int], references: Mapping, mix: pd.DataFrame, *,
                      n_chains: int, percentiles: Sequence[float], burn_in_samples: int,
                      device: torch.device | str) -> pd.DataFrame:
    """DRS's γ sweep on the grid (precision, recall, density, coverage against each model's real reference set),
    with the other samplers' rows of ``mix`` (the grid's results) as single points (percentile NaN)."""
    sweep_rows = []
    for s_index, s in enumerate(seeds):
        _, G, D, latent_dim = networks(models, "mixture", s_index, device)
        reference = references[("mixture", s)]

        def evaluate(samples, reference=reference, s=s):
            return precision_recall_density_coverage(reference, samples, n_points=n_chains, seed=s).scores()
        sweep_rows += [{"dataset": "mixture", "seed": s, **row} for row in tradeoff.quality_diversity_sweep(
            generator_callable(G, latent_dim), score_callable(D), evaluate, percentiles=percentiles,
            n_samples=n_chains, burn_in_samples=burn_in_samples, seed=method_seed(s, "quality-diversity sweep"),
            device=device)]
    points = mix[mix.method.isin(QUALITY_DIVERSITY_POINTS)][["seed", "method", "acceptance_rate", *FIELD]]
    return pd.concat([pd.DataFrame(sweep_rows), points.assign(percentile=np.nan)], ignore_index=True)


def field_finding(mix: pd.DataFrame, a: str, b: str, metric: str, expect: str = "above") -> str:
    """The paired finding (over models) of ``metric`` for sampler ``a`` against ``b`` (:func:`claims.paired`)."""
    table = mix.pivot(index="seed", columns="method", values=metric)
    label = "EMD" if metric == "emd" else metric
    return claims.paired(table[a], table[b], expect=expect, a_name=f"{label}, {a}", b_name=b, digits=3,
                         over="models").finding


def record_claims(ledger: claims.ClaimLedger, rule_checks: Mapping[str, Mapping[str, claims.Check]],
                  ddls: str = "DDLS (MALA)") -> None:
    """The DDLS paper's four Table 1 claims, decided on ``ddls``, and its level rule on ULA (as a check)."""
    rules = rule_checks[ddls]
    ledger.record(
        "ddls-raises-hq", "DDLS raises the share of high-quality samples over the generator (DDLS Table 1)",
        "70 ± 9 % → 98 ± 2 %", rules["raises HQ"], evidence="ch06-table", source="DDLS", kind="claim")
    ledger.record(
        "ddls-beats-drs", "DDLS reaches a higher share of high-quality samples than DRS", "98 ± 2 % vs 90 ± 2 %",
        rules["beats DRS"], evidence="ch06-table", source="DDLS", kind="claim")
    ledger.record(
        "ddls-hq-level", "DDLS reaches about 98 % high-quality samples", "98 ± 2 %",
        rules["level"], evidence="ch06-table", source="DDLS", kind="claim")
    ledger.record(
        "ddls-keeps-modes", "DDLS keeps the generator's modes", "24.8 ± 0.2 modes for all rows",
        rules["keeps modes"], evidence="ch06-table", source="DDLS", kind="claim")
    if "DDLS (ULA)" in rule_checks:  # the paper's DDLS has no accept/reject step: its level rule on our ULA
        ledger.record(
            "ddls-ula-hq-level",
            "Unadjusted Langevin (the paper's DDLS sampler) reaches about 98 % high-quality samples",
            "98 ± 2 %", rule_checks["DDLS (ULA)"]["level"], evidence="ch06-rules", source="DDLS", kind="check",
            test="ours")


def toy_biased(toy_frame: pd.DataFrame, gamma_percentile: float) -> dict[str, bool]:
    """Which GAN samplers the known-answer check failed (ULA, raw and calibrated alike, and DRS at the paper's γ)."""
    matches = toy_frame.set_index("sampler").matches
    ula = not bool(matches.loc["DDLS ULA"])
    return {"DDLS (ULA)": ula, "DDLS (ULA, calibrated)": ula,
            "DRS": not bool(matches.loc[f"DRS, γ at the {gamma_percentile:g}th percentile"])}


_COST_COLUMNS = {"g_forward_per_sample": "G forward", "g_backward_per_sample": "G backward",
                 "d_forward_per_sample": "D forward", "d_backward_per_sample": "D backward",
                 "seconds_per_10k": "seconds per 10,000"}


def cost_tables(results: pd.DataFrame, methods: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per method: network evaluations per delivered sample and seconds per 10,000 (means over seeds and data
    sets), as numbers and as Table 06-J's text."""
    cost = results[results.method != "ground truth"].groupby("method", sort=False)[list(_COST_COLUMNS)].mean()
    cost = cost.reindex(list(methods))
    cost.columns = list(_COST_COLUMNS.values())
    shown = cost.copy()
    for c in shown.columns[:4]:
        shown[c] = shown[c].map(lambda v: f"{v:.1f}")
    shown["seconds per 10,000"] = shown["seconds per 10,000"].map(lambda v: f"{v:.2f}")
    return cost, shown.rename_axis("method").reset_index()


#: Che et al. (2020), Table 1, as printed: the generator and DRS rows repeat the DRS paper's numbers
PAPER_TABLE1 = pd.DataFrame([
    {"row": "generator (DRS paper)", "modes": "24.8 ± 0.2", "% HQ": "70 ± 9", "std of HQ": "0.11 ± 0.01"},
    {"row": "DRS (DRS paper)", "modes": "24.8 ± 0.2", "% HQ": "90 ± 2", "std of HQ": "0.10 ± 0.01"},
    {"row": "DDLS (their GAN)", "modes": "24.8 ± 0.2", "% HQ": "98 ± 2", "std of HQ": "0.10 ± 0.01"},
])

#: the parameters the prose quotes as whole numbers: glue key -> how to compute it from the checked parameters
_COUNT_TEXTS: dict[str, Callable[[Mapping], int]] = {
    "pilot_chains": lambda p: p["pilot_chains"], "pilot_steps": lambda p: p["pilot_steps"],
    "ddls_steps": lambda p: p["ddls_steps"], "toy_steps": lambda p: p["toy_steps"],
    "toy_steps_long": lambda p: 10 * p["toy_steps"], "n_chains_text": lambda p: p["n_chains"],
    "n_samples_text": lambda p: p["n_samples"], "toy_samples_text": lambda p: p["toy_samples"],
    "toy_permutations": lambda p: p["toy_permutations"], "short_steps": lambda p: p["short_steps"],
    "toy_reference_n": lambda p: p["toy_reference_factor"] * p["toy_samples"],
    "toy_energy_points": lambda p: p["toy_energy_points"], "mala_max_steps": lambda p: p["mala_max_steps"],
}


def parameter_texts(p: Mapping) -> dict[str, str]:
    """The parameters the prose quotes, as text: step grids and band as written, counts with thousands
    separators (10,000, never 10000), and the note on how the page was built."""
    band = p["ddls_acceptance_band"]
    texts = {"band_text": f"[{float(band[0]):g}, {float(band[1]):g}]",
             "step_grid_text": ", ".join(f"{e:g}" for e in p["ddls_step_grid"]),
             "toy_grid_text": ", ".join(f"{e:g}" for e in p["toy_step_grid"]),
             "flat_tolerance_text": f"{p['flat_tolerance']:g}"}
    texts.update({key: f"{int(count(p)):,}" for key, count in _COUNT_TEXTS.items()})
    texts["quick_note"] = (
        "This page was built in quick mode: tiny GANs, few samples, short chains, and noisy numbers." if p["quick"]
        else f"Every number on the GANs comes from {p['n_seeds']} independently trained GANs per data set.")
    return texts


def verdicts_display(verdicts: pd.DataFrame) -> pd.DataFrame:
    """Table 06-B: one cell per measure, the stopped-moving verdict and, in brackets, the change it rests on."""
    return pd.DataFrame({
        "mean energy E(z)": verdicts["mean energy"] + " (" + verdicts["mean energy: change"] + ")",
        "% HQ (grid) or SW₂ (Swiss roll)": verdicts["quality"] + " (" + verdicts["quality: change"] + ")",
    }, index=verdicts.index).reset_index()
