"""Chapter 06's checks of the samplers themselves: the known-answer problem, the step-size pilot and
whether the chains stopped moving (tests/test_chapter06_logic.py).

* :func:`known_answer_runs`, :func:`known_answer_frame`, :func:`known_answer_table` and
  :func:`known_answer_paragraph`: every sampler on :func:`drs_lib.problems.exact_toy.default_toy`,
  judged by :func:`drs_lib.problems.exact_toy.match_test`, and the sentences its verdicts give;
* :func:`pilot_figure` and :func:`bracket_sentence`: MALA's pilot acceptance against the step size;
* :func:`convergence_figure` and :func:`stopped_moving`: energy and quality along the chains, and the
  paired rule between the middle step and each model's last step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from drs_book import style
from drs_book.chapters.ddls import paired_word
from drs_book.report import mean_std
from drs_lib.problems.exact_toy import ExactRatioToy, match_test
from drs_lib.samplers.ddls import ddls_sample
from drs_lib.samplers.drs import drs_sample

__all__ = [
    "known_answer_runs",
    "known_answer_frame",
    "known_answer_table",
    "known_answer_paragraph",
    "pilot_figure",
    "bracket_sentence",
    "convergence_figure",
    "stopped_moving",
    "chain_diagnostics",
    "convergence_paragraph",
]


def _percentile_label(gamma_percentile: float) -> str:
    return f"DRS, γ at the {gamma_percentile:g}th percentile"


def known_answer_runs(toy: ExactRatioToy, *, n: int, eps: float, steps: int, burn_in_samples: int,
                      gamma_percentile: float, seed: int) -> dict[str, tuple[torch.Tensor, dict]]:
    """Each sampler's ``n`` samples on the toy: a fresh target set, the generator, DRS at γ = 0 and at the
    ``gamma_percentile``, DDLS with MALA and ULA at ``eps`` for ``steps``, and ULA at ε/10 for ten times as many."""
    runs = {}
    g = torch.Generator().manual_seed(seed)
    runs["target (fresh set)"] = (toy.sample_real(n, g), {})
    runs["generator"] = (toy.generate(n, g), {})
    for label, percentile in [("DRS, γ = 0", None), (_percentile_label(gamma_percentile), gamma_percentile)]:
        res = drs_sample(toy.generate, toy.score, n, gamma_percentile=percentile, burn_in_samples=burn_in_samples,
                         seed=seed + 1, device="cpu")
        runs[label] = (res.samples, {"acceptance": res.acceptance_rate})
    for label, method, e, t in [("DDLS MALA", "mala", eps, steps), ("DDLS ULA", "ula", eps, steps),
                                ("DDLS ULA, ε/10", "ula", eps / 10, 10 * steps)]:
        res = ddls_sample(toy.generator, toy.score, n, 2, step_size=e, n_steps=t, method=method, rng=seed + 2,
                          device="cpu")
        runs[label] = (res.samples, {"acceptance": res.acceptance_rate, "step_size": e, "n_steps": t})
    return runs


def known_answer_frame(runs: Mapping[str, tuple[torch.Tensor, dict]], toy: ExactRatioToy, *, seed: int,
                       n_permutations: int, reference_factor: int, energy_points: int) -> pd.DataFrame:
    """One row per sampler: its settings, the four tests' statistics and p-values, the mode weights, matches."""
    rows = []
    for label, (x, extra) in runs.items():
        r = match_test(x, toy, rng=seed + 3, n_permutations=n_permutations, reference_factor=reference_factor,
                       energy_points=energy_points)
        rows.append({"sampler": label, **extra, "energy_distance": r.energy_distance, "null_95": r.null_quantile,
                     "energy_p": r.energy_p, "ks_p_min": min(r.ks_p), "modes_p": r.modes_p, "modes_kept": r.modes_kept,
                     **{f"weight_{k}": w for k, w in enumerate(r.weights)}, "matches": r.matches})
    return pd.DataFrame(rows)


def known_answer_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Table 06-A's cells (narrow: every p-value and the null quantile are in the CSV)."""
    def dash_or(fmt):
        return lambda v: "–" if pd.isna(v) else fmt(v)

    missing = pd.Series(np.nan, index=frame.index)
    return pd.DataFrame({
        "sampler": frame.sampler,
        "ε × steps": [("–" if pd.isna(e) else f"{e:g} × {int(n):,}") for e, n in
                      zip(frame.get("step_size", missing), frame.get("n_steps", missing))],
        "acceptance": frame["acceptance"].map(dash_or(lambda v: f"{v:.2f}")),
        "energy distance (null 95 %)": [f"{e:.4f} ({q:.4f})" for e, q in zip(frame.energy_distance, frame.null_95)],
        "smallest p": frame[["energy_p", "ks_p_min", "modes_p"]].min(axis=1).map(lambda v: f"{v:.3g}"),
        "mode weights": frame[[f"weight_{k}" for k in range(4)]].apply(lambda r: " / ".join(f"{w:.2f}" for w in r),
                                                                       axis=1),
        "matches": frame.matches.map({True: "yes", False: "no"}),
    })


def known_answer_paragraph(frame: pd.DataFrame, *, eps: float, case: str, gamma_percentile: float) -> str:
    """The verdicts of Table 06-A in words (what the check should say, and what it says)."""
    rows = frame.set_index("sampler")
    v = {label: ("matches" if ok else "does not match") for label, ok in rows.matches.items()}
    drs95 = (("matches too: at this sample size the check cannot tell it from the target, although a percentile-based "
              "γ gives up exactness for acceptance by design") if rows.loc[_percentile_label(gamma_percentile), "matches"]
             else "does not match: a percentile-based γ gives up exactness for acceptance by design")
    return (f"The rule picks ε = {eps:g} ({case}; MALA accepts {rows.loc['DDLS MALA', 'acceptance']:.2f} of its moves "
            f"there). A fresh target set {v['target (fresh set)']} the target, which is what the check should say; the "
            f"generator {v['generator']}. DRS with γ = 0 {v['DRS, γ = 0']}, and DRS with the paper's practical γ {drs95}. "
            f"DDLS with MALA {v['DDLS MALA']}. ULA at the same step size {v['DDLS ULA']}, and at a tenth of it, for ten "
            f"times as many steps, it {v['DDLS ULA, ε/10']}: ULA's stationary law differs from the target by an amount "
            "that grows with ε, MALA's does not.")


def pilot_figure(pilot: pd.DataFrame, chosen: Mapping[tuple[str, str], tuple[float, str]], band: tuple[float, float],
                 datasets: Sequence[str], labels: Mapping[str, str]):
    """Figure 06-B: MALA's pilot acceptance against the step size (mean ± std over seeds), band and choices."""
    fig, axes = plt.subplots(1, len(datasets), figsize=style.page_figsize(aspect=0.42), squeeze=False)
    for ax, dataset in zip(axes[0], datasets):
        for energy, sub in pilot[pilot.dataset == dataset].groupby("energy"):
            stats = sub.groupby("step_size").acceptance.agg(["mean", "std"])
            ax.errorbar(stats.index, stats["mean"], yerr=stats["std"], marker="o", capsize=2, label=f"{energy} logit")
            ax.axvline(chosen[(dataset, energy)][0], ls=":", color=ax.lines[-1].get_color())
        ax.axhspan(*band, color="0.9", zorder=0)
        ax.set_xscale("log")
        ax.set_xlabel("step size ε")
        ax.set_ylabel("MALA acceptance (pilot)")
        ax.set_title(labels[dataset], fontsize=10)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return style.finish(fig, alt="MALA pilot acceptance rate against the Langevin step size on a log axis, per data "
                                 "set and logit (raw or calibrated); the grey band is the accepted range, dotted lines "
                                 "the chosen steps.")


def bracket_sentence(pilot: pd.DataFrame, chosen: Mapping[tuple[str, str], tuple[float, str]],
                     band: tuple[float, float], labels: Mapping[str, str]) -> str:
    """Does the grid bracket each choice: is there a larger step on it that accepts less than the band's lower end?"""
    unbracketed = []
    for (dataset, energy), (eps, case) in chosen.items():
        curve = pilot[(pilot.dataset == dataset) & (pilot.energy == energy)].groupby("step_size").acceptance.mean()
        larger = curve[curve.index > eps]
        if case == "all below the band" or not len(larger) or larger.iloc[0] >= band[0]:
            unbracketed.append(f"{labels[dataset]}, {energy} logit")
    if not unbracketed:
        return (f"On every problem and logit the next larger step size of the grid accepts less than {band[0]:g}, so "
                "the grid brackets the rule's choice.")
    return (f"The grid does not bracket the band for {'; '.join(unbracketed)}: the step taken there is an end of the "
            "grid, not the largest step the rule would accept.")


def convergence_figure(convergence: pd.DataFrame, datasets: Sequence[str], variants: Sequence[str],
                       labels: Mapping[str, str]):
    """Figure 06-E: mean energy (symlog) and quality along the chains, mean ± std over seeds."""
    spec = [("mixture", "mean_energy", "mean energy E(z)"), ("mixture", "pct_high_quality", "% high quality")]
    if "swiss_roll" in datasets:
        spec += [("swiss_roll", "mean_energy", "mean energy E(z)"),
                 ("swiss_roll", "sliced_wasserstein", "SW₂ to real samples")]
    fig, axes = style.panel_grid(len(spec), max_per_row=2, panel_aspect=0.75)
    for ax, (dataset, column, label) in zip(axes, spec):
        sub = convergence[convergence.dataset == dataset]
        for name in variants:
            stats = sub[sub.method == name].groupby("step")[column].agg(["mean", "std"])
            if len(stats):
                ax.errorbar(stats.index, stats["mean"], yerr=stats["std"], marker="o", ms=3, capsize=2,
                            label=name.replace("DDLS (", "").rstrip(")"))
        if column == "mean_energy":
            ax.set_yscale("symlog", linthresh=1.0)  # ULA's energies are an order of magnitude above MALA's
        ax.set_xlabel("Langevin step")
        ax.set_ylabel(label)
        ax.set_title(labels[dataset], fontsize=10)
    axes[0].legend(fontsize=8)
    return style.finish(fig, alt="Mean latent energy and sample quality against the Langevin step for each DDLS "
                                 "variant (ULA and MALA, raw and calibrated logits), mean and std over seeds.")


def stopped_moving(convergence: pd.DataFrame, datasets: Sequence[str], variants: Sequence[str],
                   labels: Mapping[str, str], middle_step: int) -> pd.DataFrame:
    """Per data set and sampler, the paired rule between ``middle_step`` and each model's last step, on the mean
    energy and on quality (% HQ on the grid, SW₂ on the Swiss roll): 'kept rising', 'kept falling' or 'stopped
    moving', with the change ('mean ± std' over models) beside it."""
    rows = []
    for dataset in datasets:
        for name in variants:
            sub = convergence[(convergence.dataset == dataset) & (convergence.method == name)]
            if not len(sub):
                continue
            end = sub.loc[sub.groupby("seed").step.idxmax()].set_index("seed")  # each model's last step
            mid = sub[sub.step == middle_step].set_index("seed").loc[end.index]
            columns = {"mean energy": "mean_energy",
                       "quality": "pct_high_quality" if dataset == "mixture" else "sliced_wasserstein"}
            row = {"data": labels[dataset], "sampler": name}
            for label, column in columns.items():
                row[label] = paired_word(end[column], mid[column], ("kept rising", "kept falling", "stopped moving"))
                row[f"{label}: change"] = mean_std(end[column] - mid[column], 2)
            rows.append(row)
    return pd.DataFrame(rows).set_index(["data", "sampler"])


def chain_diagnostics(convergence: pd.DataFrame, variants: Sequence[str]) -> pd.DataFrame:
    """Table 06-C: on the grid, per sampler (mean over models), % HQ at step 0 and at each model's last step, the
    share of chains whose nearest mode changed, and the share of final samples outside the grid."""
    last = convergence.loc[convergence.groupby(["dataset", "method", "seed"]).step.idxmax()]
    end = last[last.dataset == "mixture"].groupby("method")
    start = convergence[(convergence.dataset == "mixture") & (convergence.step == 0)].groupby("method")
    diag = pd.DataFrame({
        "% HQ at step 0": start.pct_high_quality.mean(),
        "% HQ at the end": end.pct_high_quality.mean(),
        "% chains that changed mode": end.pct_changed_mode.mean(),
        "% outside the grid at the end": end.pct_outside_grid.mean(),
    }).reindex(list(variants))
    diag.index.name = "sampler"
    return diag


def convergence_paragraph(convergence: pd.DataFrame, verdicts: pd.DataFrame, diag: pd.DataFrame, *, grid_label: str,
                          middle_step: int) -> str:
    """What the chains did on the grid, in words: the stopped-moving verdicts, how often ULA and MALA leave the
    grid (and, by the paired rule, which leaves it more), how often a MALA chain changed mode."""
    v = verdicts.loc[grid_label]
    last = convergence.loc[convergence.groupby(["dataset", "method", "seed"]).step.idxmax()]
    outside = last[last.dataset == "mixture"].pivot(index="seed", columns="method", values="pct_outside_grid")
    more = paired_word(outside["DDLS (ULA)"], outside["DDLS (MALA)"], ("more", "fewer", "level"))
    why = ("By the rule above ULA leaves the grid more often than MALA. ULA has no accept/reject step: in the gaps "
           "between modes the generator stretches a small latent interval over a long distance, so the gradient of "
           "d(G(z)) is large there, and a ULA step of the size MALA tolerates can overshoot; MALA rejects such moves."
           if more == "more" else
           f"By the rule above ULA leaves the grid {'less often than' if more == 'fewer' else 'as often as'} MALA.")
    out = diag["% outside the grid at the end"]
    changed = diag["% chains that changed mode"]
    return (
        f"On the 25 Gaussians, by the rule above (step {middle_step:,} against each model's last step), MALA's mean "
        f"energy has {v.loc['DDLS (MALA)', 'mean energy']} and its % HQ has {v.loc['DDLS (MALA)', 'quality']} "
        f"(calibrated logit: {v.loc['DDLS (MALA, calibrated)', 'mean energy']}, "
        f"{v.loc['DDLS (MALA, calibrated)', 'quality']}). For ULA at the same step sizes the share of HQ samples has "
        f"{v.loc['DDLS (ULA)', 'quality']} (calibrated: {v.loc['DDLS (ULA, calibrated)', 'quality']}); at the end "
        f"{out['DDLS (ULA)']:.1f} % of its samples lie more than one unit (in the paper's units) outside the grid of "
        f"means (calibrated: {out['DDLS (ULA, calibrated)']:.1f} %), against {out['DDLS (MALA)']:.1f} % for MALA "
        f"(calibrated: {out['DDLS (MALA, calibrated)']:.1f} %). {why} By the end, {changed['DDLS (MALA)']:.0f} % of "
        f"the MALA chains (calibrated: {changed['DDLS (MALA, calibrated)']:.0f} %) sit nearest to a different mode "
        "than the one their starting point G(z₀) was nearest to: that is how often a chain left the latent basin it "
        "started in.")
