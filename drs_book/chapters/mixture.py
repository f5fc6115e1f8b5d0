"""Chapter 02's runs: the parameter schema, DRS (with and without KeepTraining) at every snapshot of the
25-Gaussian GANs, and the field's metrics at the chosen budget (tests/test_chapter02_mixture.py).

The notebook keeps the prose and one short call per step. The functions draw from the same seeds the notebook
used (``drs_sample(..., seed=s)`` per model, :func:`drs_lib.training.train.seed_generator` streams for the
real sets), in the same order, so moving them here changed no number.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

import pandas as pd
import torch

from drs_book import params, regime
from drs_lib.metrics.mixture import metrics_rows, sample_set_scores
from drs_lib.nets.models import generator_callable, score_callable
from drs_lib.samplers import drs
from drs_lib.training.train import sample_generators, seed_generator

__all__ = ["PARAMETERS", "quick_note", "snapshot_runs", "metric_references", "field_scores"]

#: what each parameter of chapter 02's parameters cell may be, and its quick value; checked in order before any work
PARAMETERS: dict[str, params.Spec] = {
    "seed": params.Int(minimum=0),
    "n_seeds": params.Int(minimum=2, quick=2),
    "n_samples": params.Int(minimum=100, quick=2000),
    "burn_in_samples": params.Int(minimum=1, quick=2000),
    "gamma_percentile": params.Percentile(),
    "gan_preset": params.Choice(sorted(regime.GAN_PRESETS), quick="quick"),
    "metric_points": params.Int(minimum=10, maximum=lambda given: given["n_samples"], quick=500),
    "tradeoff_percentiles": params.PercentileList(holds=("gamma_percentile",), quick=[80.0, 95.0]),
    "device": params.Device(),
    "quick": params.Bool(),
    "use_cache": params.Bool(),
    "results_dir": params.Directory(),
    "cache_dir": params.Directory(),
}


def quick_note(p: Mapping) -> str:
    """The note under the title: how the page was built (``p``: the checked parameters)."""
    if p["quick"]:
        return "This page was built in quick mode: models are tiny and barely trained, and the numbers are noise."
    return (f"Every number on this page comes from {p['n_seeds']} independently trained GANs and "
            f"{p['n_samples']:,} samples per method and model.")


def snapshot_runs(gan, keep_trained: Callable[[int], object], step_grid: Sequence[int], budget: int,
                  seeds: Sequence[int], *, n_samples: int, burn_in_samples: int, gamma_percentile: float,
                  means: torch.Tensor, std: float, scale: float, device: torch.device | str):
    """The generator alone, DRS with the discriminator as trained (No FT) and DRS after KeepTraining, at every
    snapshot ``step`` of ``step_grid`` and on every seed's model; metrics per model (:func:`metrics_rows`, lengths
    × ``scale``).

    ``gan.at(step)`` gives the seed-stacked (generator, discriminator) of a snapshot; ``keep_trained(step)`` the
    KeepTraining result (``discriminator``, ``best_step``, ``initial_loss``, ``best_loss``). Returns the metric
    rows, the KeepTraining rows, the sample sets at ``budget`` ({"Without DRS", "DRS (No FT)", "With DRS"}:
    seed-stacked) and the seconds DRS took.
    """
    rows, panels_at_budget, kt_rows = [], {}, []
    sampling_seconds = 0.0
    for step in step_grid:
        generator, discriminator = gan.at(step)
        kt = keep_trained(step)
        kt_rows += [{"step": step, "seed": s, "best_step": int(kt.best_step[i]), "initial_loss": float(kt.initial_loss[i]),
                     "best_loss": float(kt.best_loss[i])} for i, s in enumerate(seeds)]
        unfiltered = sample_generators(generator, n_samples, seeds)
        rows += metrics_rows(unfiltered, means, std, length_scale=scale, step=step, seed=seeds, method="Without DRS",
                             acceptance_rate=1.0)
        if step == budget:
            panels_at_budget["Without DRS"] = unfiltered
        for method, discs in (("DRS (No FT)", discriminator), ("DRS", kt.discriminator)):
            accepted = []
            for i, s in enumerate(seeds):
                t0 = time.perf_counter()
                result = drs.drs_sample(generator_callable(generator.member(i)), score_callable(discs.member(i)),
                                        n_samples, burn_in_samples=burn_in_samples, gamma_percentile=gamma_percentile,
                                        seed=s, device=device)
                sampling_seconds += time.perf_counter() - t0
                accepted.append(result.samples)
                rows += metrics_rows(result.samples, means, std, length_scale=scale, step=step, seed=s, method=method,
                                     acceptance_rate=result.acceptance_rate, d_max_initial=result.d_max_initial,
                                     d_max_final=result.d_max_final)
            if step == budget:
                panels_at_budget["With DRS" if method == "DRS" else method] = torch.stack(accepted)
    return pd.DataFrame(rows), pd.DataFrame(kt_rows), panels_at_budget, sampling_seconds


def metric_references(sample_real: Callable, seeds: Sequence[int], metric_points: int) -> list[torch.Tensor]:
    """One fresh real reference subset per model (its own named stream), shared by every method's metrics."""
    return [sample_real(metric_points, seed_generator(s, "metric_reference")) for s in seeds]


def field_scores(references: Sequence[torch.Tensor], truth: torch.Tensor, panels_at_budget: Mapping[str, torch.Tensor],
                 seeds: Sequence[int], *, budget: int, metric_points: int, scale: float) -> pd.DataFrame:
    """The field's metrics (EMD in the paper's units, precision, recall, density, coverage) at the budget, every
    method against the same real reference subset per model (``references``; ``truth``: a second real set)."""
    rows = []
    for method, key, step_of in (("Real data", "Real data", 0), ("Without DRS", "Without DRS", budget),
                                 ("DRS (No FT)", "DRS (No FT)", budget), ("DRS", "With DRS", budget)):
        sets = truth if method == "Real data" else panels_at_budget[key]
        rows += [{"method": method, "step": step_of, "seed": s,
                  **sample_set_scores(references[i], sets[i], n_points=metric_points, seed=s)}
                 for i, s in enumerate(seeds)]
    field = pd.DataFrame(rows)
    field["emd"] *= scale  # a length: in the paper's units
    return field
