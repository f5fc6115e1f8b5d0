"""Chapter 06's logic (DRS beside DDLS, MH-GAN and DOT), out of the notebook and under test.

The notebook keeps prose, short calls and figures; what decides a number or a sentence lives here
(tests/test_chapter06_logic.py):

* the measures of one sample set on the 25-Gaussian grid (:func:`grid_metrics`: modes, % HQ and
  the spread of HQ samples, always on the same number of samples per sampler) and against real
  samples (:func:`set_distances`);
* the DDLS paper's rules (its Table 1: 70 → 98 % HQ, above DRS's 90 %, 98 ± 2 %, modes kept),
  applied to every sampler (:func:`rules_for`, :func:`rules_table`) and the paragraph that
  explains the paper's 98 % against ours (:func:`level_paragraph`), generated from the verdicts;
* the flatness criterion of the MALA runs, per model, in words (:func:`flatness_sentence`);
* the paired wording rule (:func:`paired_word`, the book's 95 % t-interval of per-seed
  differences) and number agreement (:func:`agree`, :func:`count_phrase`);
* Figure 06-C's panels with the missing modes marked (:func:`mode_panels`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.patches
import numpy as np
import pandas as pd
import torch

from drs_book import claims
from drs_book.plotting import scatter_panels
from drs_book.report import mean_std
from drs_lib.metrics.distances import energy_distance, sliced_wasserstein
from drs_lib.metrics.mixture import mixture_metrics, sample_set_scores

__all__ = [
    "PAPER_HQ",
    "PAPER_HQ_STD",
    "LEVEL_TOLERANCE",
    "RULES",
    "agree",
    "count_phrase",
    "paired_word",
    "grid_metrics",
    "set_distances",
    "summary",
    "rules_for",
    "rules_table",
    "level_paragraph",
    "yardstick_sentence",
    "grid_paragraphs",
    "flatness_sentence",
    "mode_panels",
]

#: Che et al. (2020), Table 1: the generator and DRS rows repeat the DRS paper's numbers, DDLS is their own run.
PAPER_HQ = {"generator": 70.0, "DRS": 90.0, "DDLS": 98.0}
PAPER_HQ_STD = 2.0
#: The four rules, in the order of Table 06-I.
RULES = ("raises HQ", "beats DRS", "level", "keeps modes")
#: The widest half-width of our interval that still counts as matching the paper's level (% HQ).
LEVEL_TOLERANCE = 5.0


def agree(n: float, singular: str, plural: str) -> str:
    """``singular`` when ``n`` is one (as printed), else ``plural``: "1 lies", "2 lie", "0 lie"."""
    return singular if float(n) == 1.0 else plural


def count_phrase(n: float, singular: str, plural: str | None = None, digits: int = 0) -> str:
    """"1 sampler", "3 samplers", "1.5 modes": the number as printed and the noun that agrees with it."""
    shown = f"{n:,.{digits}f}"
    return f"{shown} {agree(float(shown.replace(',', '')), singular, plural or singular + 's')}"


def paired_word(a: Sequence[float], b: Sequence[float], words: tuple[str, str, str] = ("above", "below", "level with")) -> str:
    """The book's paired rule on per-seed values ``a`` and ``b`` (same seeds, same order): words[0] when the
    95 % t-interval of a - b lies above 0, words[1] when below, else words[2]."""
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    side = claims.interval(d, name="paired difference").side(0.0)
    return {"above": words[0], "below": words[1], "overlaps": words[2]}[side]


def grid_metrics(x: torch.Tensor, means: torch.Tensor, mode_std: float, scale: float) -> dict:
    """Modes, % HQ and the spreads of the HQ samples of ``x`` (lengths × ``scale``: the paper's units)."""
    m = mixture_metrics(x.detach().cpu(), means, mode_std)
    return {"n_scored": int(x.shape[0]), "modes_recovered": float(m["modes_recovered"]),
            "pct_high_quality": float(m["pct_high_quality"]),
            "std_high_quality": scale * float(m["std_high_quality"]),
            "radial_rms_high_quality": scale * float(m["radial_rms_high_quality"])}


def set_distances(samples: torch.Tensor, reference: torch.Tensor, *, directions, seed: int, length: float,
                  energy_samples: int) -> dict:
    """Distances of ``samples`` to an independent real set of the same size (SW₂, energy distance) and the
    field-standard EMD and PRDC (k = 5); lengths × ``length`` (the paper's units on the grid)."""
    scores = sample_set_scores(reference, samples, n_points=len(reference), seed=seed)
    scores["emd"] *= length
    return {"sliced_wasserstein": length * sliced_wasserstein(samples, reference, directions=directions),
            "energy_distance": length * energy_distance(samples[:energy_samples], reference[:energy_samples]),
            **scores}


def summary(results: pd.DataFrame, dataset: str, column: str, digits: int, order: Sequence[str]) -> dict[str, str]:
    """'mean ± std' over models per method; a model without a value (no high-quality sample, so no spread of
    them) is left out and the cell says on how many models it rests."""
    sub = results[results.dataset == dataset]
    out = {}
    for m in order:
        values = sub[sub.method == m][column]
        finite = values.dropna()
        if not len(values):
            continue
        part = "" if len(finite) == len(values) else f" ({len(finite)} of {len(values)} models)"
        out[m] = (mean_std(finite, digits) + part if len(finite) >= 2 else
                  f"{finite.iloc[0]:.{digits}f}{part}" if len(finite) == 1 else "–")
    return out


def rules_for(name: str, hq: pd.DataFrame, modes: pd.DataFrame, n_scored: int) -> dict[str, claims.Check]:
    """The DDLS paper's four rules on sampler ``name`` (``hq``, ``modes``: per-seed frames, one column per method).

    "raises HQ": the effect over the generator against the paper's 70 → 98; "beats DRS": the effect over
    DRS against 90 → 98 (not for DRS itself); "level": 98 ± 2 % matched within :data:`LEVEL_TOLERANCE`;
    "keeps modes": the change in modes against a loss of one mode.
    """
    unit = dict(digits=1, unit=" %", over="models")
    checks = {
        "raises HQ": claims.effect(hq[name], hq["generator"], paper_effect=PAPER_HQ["DDLS"] - PAPER_HQ["generator"],
                                   a_name=f"% HQ, {name}", b_name="generator", **unit),
        "beats DRS": claims.effect(hq[name], hq["DRS"], paper_effect=PAPER_HQ["DDLS"] - PAPER_HQ["DRS"],
                                   a_name=f"% HQ, {name}", b_name="DRS", **unit),
        "level": claims.matches(hq[name], PAPER_HQ["DDLS"], paper_std=PAPER_HQ_STD, tolerance=LEVEL_TOLERANCE,
                                name=f"% HQ, {name}", bounds=(0, 100), **unit),
        "keeps modes": claims.versus(modes[name].to_numpy() - modes["generator"].to_numpy(), -1.0, expect="above",
                                     name=f"change in modes recovered by {name}, on {n_scored:,} samples each",
                                     reference_name="a loss of one mode", digits=1, over="models"),
    }
    if name == "DRS":  # DRS against itself says nothing
        del checks["beats DRS"]
    return checks


def rules_table(hq: pd.DataFrame, modes: pd.DataFrame, samplers: Sequence[str], n_scored: int
                ) -> tuple[pd.DataFrame, dict[str, dict[str, claims.Check]]]:
    """Every rule on every sampler: a display frame (verdict and the numbers it rests on) and the checks."""
    checks = {m: rules_for(m, hq, modes, n_scored) for m in samplers if m in hq.columns and m != "generator"}
    rows = [{"sampler": m, "% HQ": mean_std(hq[m], 1), "modes": mean_std(modes[m], 1),
             **{rule: c[rule].verdict if rule in c else "–" for rule in RULES}} for m, c in checks.items()]
    return pd.DataFrame(rows), checks


def level_paragraph(checks: Mapping[str, Mapping[str, claims.Check]], hq: pd.DataFrame, modes: pd.DataFrame,
                    *, exact: str, biased: Mapping[str, bool]) -> str:
    """Why the paper's 98 % and ours differ, from the level rule and the mode counts.

    ``exact`` is the sampler the known-answer check validates (DDLS with MALA); ``biased`` says, per
    sampler, whether the known-answer check rejected its kind of chain (so the text may call it biased).
    """
    reach = [m for m, c in checks.items() if c["level"].verdict == claims.REPRODUCED]
    generator_modes = float(modes["generator"].mean())

    def cost(m: str) -> str:
        loss = generator_modes - float(modes[m].mean())
        kept = f"{float(modes[m].mean()):.1f} of 25 modes against the generator's {generator_modes:.1f}"
        verdict = checks[m]["keeps modes"].verdict
        if verdict == claims.CONTRADICTED:
            return f"{kept}: it loses {count_phrase(loss, 'mode', digits=1)} by the mode rule"
        if verdict == claims.REPRODUCED:
            return f"{kept}: it keeps them by the mode rule"
        return f"{kept}: whether it loses a mode is inconclusive by the mode rule"

    exact_hq = f"{float(hq[exact].mean()):.1f} %"
    exact_text = (f"{exact}, which samples the energy-based target exactly at every step size, ends at {exact_hq} HQ "
                  f"(level rule: {checks[exact]['level'].verdict})")
    if not reach:
        best = max(checks, key=lambda m: float(hq[m].mean()))
        return (f"No sampler reaches the DDLS paper's 98 ± 2 % HQ by the level rule. The highest share is "
                f"{best}'s, {float(hq[best].mean()):.1f} %, with {cost(best)}; {exact_text}.")
    names = []
    for m in reach:
        label = f"{m} ({float(hq[m].mean()):.1f} %; {cost(m)})"
        if biased.get(m, False):
            label += ", a chain the known-answer check finds biased"
        names.append(label)
    head = ("Only " if exact not in reach else "") + "; ".join(names)
    verb = agree(len(reach), "reaches", "reach")
    tail = (f" {exact_text}: the paper's level is reached here only by "
            f"{agree(len(reach), 'a sampler', 'samplers')} whose output is not the energy-based target, "
            "at the price in modes stated."
            if exact not in reach and any(biased.get(m, False) for m in reach) else f" {exact_text}.")
    return f"{head} {verb} the DDLS paper's 98 ± 2 % HQ by the level rule.{tail}"


def yardstick_sentence(hq: pd.DataFrame, modes: pd.DataFrame, *, exact: str, yardstick: str = "DRS (γ = 0)") -> str:
    """``exact`` (DDLS with MALA) against DRS with γ = 0, exact rejection sampling of the same target p_d:
    both measures by the paired rule."""
    words_hq = paired_word(hq[exact], hq[yardstick])
    words_modes = paired_word(modes[exact], modes[yardstick], ("more modes than", "fewer modes than", "as many modes as"))
    return (f"The yardstick for both is {yardstick}, exact rejection sampling of the target DDLS samples too: "
            f"{float(hq[yardstick].mean()):.1f} % HQ and {float(modes[yardstick].mean()):.1f} modes. By the paired "
            f"rule {exact}'s % HQ lies {words_hq} it, and it recovers {words_modes} it.")


def grid_paragraphs(results: pd.DataFrame, datasets: Sequence[str], *, short_step_size: float,
                    short_steps: int) -> dict[str, str]:
    """The prose of chapter 06's comparison (on the grid; distance to the truth), every comparison decided by the
    paired rule on per-model values and every number read from ``results`` (the chapter's results CSV)."""
    mix = results[results.dataset == "mixture"]
    per = {c: mix.pivot(index="seed", columns="method", values=c)
           for c in ["pct_high_quality", "sliced_wasserstein", "radial_rms_high_quality"]}
    hq = per["pct_high_quality"].mean()
    acc = mix.groupby("method").acceptance_rate.mean()

    def vs(a, b, column="pct_high_quality", words=("above", "below", "level with")):
        return paired_word(per[column][a], per[column][b], words)

    size = ("larger than", "smaller than", "level with")
    slopes = mix[mix.method == "DDLS (MALA, calibrated)"].set_index("seed").calibration_slope
    rms = per["radial_rms_high_quality"]
    samplers = [m for m in rms.columns if m != "ground truth"]
    wider = []
    for m in samplers:
        both = rms[[m, "ground truth"]].dropna()  # a sampler with no HQ sample on a model has no spread there
        wider.append(paired_word(both[m], both["ground truth"], ("wider", "narrower", "level")) if len(both) >= 2
                     else "level")
    paper_low, paper_high = 0.10 - 2 * 0.01, 0.11 + 2 * 0.01  # Che et al.: 0.10-0.11, each ± 0.01
    position = []
    for m in samplers:
        values = rms[m].dropna()
        mean, se = values.mean(), values.std(ddof=1) / np.sqrt(len(values))
        position.append("below" if mean + 2 * se < paper_low else "above" if mean - 2 * se > paper_high
                        else "overlapping")
    below, over, above = (position.count(w) for w in ("below", "overlapping", "above"))
    grid = (
        f"On the grid, DRS's share of high-quality samples is {vs('DRS', 'generator')} the generator's "
        f"({hq['DRS']:.1f} % against {hq['generator']:.1f} %). DDLS with MALA accepts {acc['DDLS (MALA)']:.2f} of "
        f"its moves and ends at {hq['DDLS (MALA)']:.1f} % HQ; how that compares with the generator, with DRS and "
        "with the DDLS paper, and whether it keeps the generator's modes, is decided once, in {ref}`ch06-claims`. "
        f"On the calibrated logit MALA ends {vs('DDLS (MALA, calibrated)', 'DRS')} DRS "
        f"({hq['DDLS (MALA, calibrated)']:.1f} %, acceptance {acc['DDLS (MALA, calibrated)']:.2f}; calibration puts "
        f"it {vs('DDLS (MALA, calibrated)', 'DDLS (MALA)')} the raw-logit MALA). The fitted Platt slope is $a$ = "
        f"{mean_std(slopes, 2)}, {paired_word(slopes, np.ones(len(slopes)))} 1 by the rule: $a > 1$ means the raw "
        "logit understates the log density ratio (the calibrated energy is steeper), $a < 1$ that it overstates it. "
        f"ULA at the same step sizes ends {vs('DDLS (ULA)', 'DRS')} DRS ({hq['DDLS (ULA)']:.1f} %; calibrated "
        f"{hq['DDLS (ULA, calibrated)']:.1f} %), and a short ULA run at a small step (ε = {short_step_size:g}, "
        f"{short_steps:,} steps, i.e. {short_step_size * short_steps:.2g} units of Langevin time, while the prior "
        f"alone relaxes on a scale of 1) ends {vs('DDLS (ULA, short chains)', 'DRS')} DRS "
        f"({hq['DDLS (ULA, short chains)']:.1f} %).\n\n"
        f"MH-GAN, with {acc['MH-GAN']:.2f} of its proposals accepted ({acc['MH-GAN (calibrated)']:.2f} after "
        f"calibration), ends {vs('MH-GAN', 'DRS')} DRS ({hq['MH-GAN']:.1f} %; calibrated "
        f"{hq['MH-GAN (calibrated)']:.1f} %, {vs('MH-GAN (calibrated)', 'DRS')} DRS), and DOT ends "
        f"{vs('DOT', 'generator')} the generator ({hq['DOT']:.1f} %). The spread of the high-quality samples around "
        f"their mode (radial RMS in the paper's units, {mix[mix.method == 'ground truth'].radial_rms_high_quality.mean():.3f} "
        f"for the truth) lies between {rms[samplers].mean().min():.3f}–{rms[samplers].mean().max():.3f} for the "
        f"samplers (means over seeds): by the rule, the high-quality samples of {wider.count('wider')} of the "
        f"{len(samplers)} samplers are wider than the truth's, of {wider.count('narrower')} narrower and of "
        f"{wider.count('level')} level with it. The DDLS paper reports 0.10–0.11 (± 0.01) for its rows; taking our "
        f"mean ± 2 SE against their values ± 2 of their std, {below} {agree(below, 'lies', 'lie')} below that range, "
        f"{over} {agree(over, 'overlaps', 'overlap')} it and {above} {agree(above, 'lies', 'lie')} above it.")
    sw = {d: results[results.dataset == d].groupby("method").sliced_wasserstein.mean() for d in datasets}
    distance = (
        "Distance to the truth: pulling samples onto the modes does not by itself bring the sample set closer to "
        "the truth when the mode weights are wrong. The sliced Wasserstein distance of DRS is "
        f"{vs('DRS', 'generator', 'sliced_wasserstein', size)} the generator's ({sw['mixture']['DRS']:.3f} against "
        f"{sw['mixture']['generator']:.3f}; real against real {sw['mixture']['ground truth']:.3f}), and that of DDLS "
        f"with MALA is {vs('DDLS (MALA)', 'DRS', 'sliced_wasserstein', size)} DRS's "
        f"({sw['mixture']['DDLS (MALA)']:.3f}).")
    if "swiss_roll" in datasets:
        roll = results[results.dataset == "swiss_roll"].pivot(index="seed", columns="method", values="sliced_wasserstein")
        r = sw["swiss_roll"]
        distance += (
            f" On the Swiss roll, DRS's distance is {paired_word(roll['DRS'], roll['generator'], size)} the "
            f"generator's ({r['DRS']:.3f} against {r['generator']:.3f}; real against real {r['ground truth']:.3f}) "
            f"and MALA's ({r['DDLS (MALA)']:.3f}) is {paired_word(roll['DDLS (MALA)'], roll['DRS'], size)} DRS's.")
    return {"grid": grid, "distance": distance}


def flatness_sentence(rows: pd.DataFrame, method: str, first_steps: int, max_steps: int) -> str:
    """How many models' runs of ``method`` met the flatness criterion, and the steps it took (per-model rows
    with ``energy_flat`` and ``n_steps``)."""
    sub = rows[rows.method == method]
    met = int(sub.energy_flat.astype(bool).sum())
    steps = sub.n_steps.astype(int)
    spent = (f"{int(steps.min()):,} steps" if steps.min() == steps.max()
             else f"{int(steps.min()):,} to {int(steps.max()):,} steps (median {int(steps.median()):,})")
    return (f"{method}: the criterion is met on {met} of {count_phrase(len(sub), 'model')}, after {spent}, "
            f"against {first_steps:,} in the first round and a cap of {max_steps:,}")


def mode_panels(panels: Mapping[str, torch.Tensor], means: torch.Tensor, std: float, limit: float,
                *, ncols: int = 4, point_size: float = 3.0):
    """Figure 06-C: one scatter panel per sampler with every mode's 4-std circle; a mode with no
    high-quality sample in that panel gets a thick red ring, so missing modes show at a glance.
    Each panel's corner says how many modes it recovers."""
    counts = {title: mixture_metrics(x.detach().cpu(), means, std)["hq_per_mode"] for title, x in panels.items()}
    notes = {title: f"{int((c > 0).sum())} of {len(c)} modes" for title, c in counts.items()}
    fig = scatter_panels(panels, ncols=ncols, limit=limit, point_size=point_size, alpha=0.45, annotations=notes,
                         alt=("Scatter plots of the 25-Gaussian grid, one panel per sampler, each mode's 4-std circle "
                              "in grey and every mode the panel misses ringed in red; a corner note gives the count."))
    mu = means.detach().cpu().numpy()
    for ax, (title, c) in zip(fig.axes, counts.items()):
        for (cx, cy), n in zip(mu, c.tolist()):
            missing = n == 0
            ax.add_patch(matplotlib.patches.Circle((cx, cy), 4 * std, fill=False, lw=2.0 if missing else 0.5,
                                                   color="#d62728" if missing else "0.55", zorder=3))
    return fig
