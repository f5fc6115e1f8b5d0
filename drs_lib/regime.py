"""Which GAN settings put the 25-Gaussian baseline in the paper's regime (Table 1, first row).

The paper fixes the design (four fully connected ReLU layers in G and D, a 2D standard normal
prior, the standard non-saturating loss) but not the width, learning rates, batch size or number
of steps. Those change the baseline a lot: long or fast training gives sharp generators that drop
modes, short or slow training gives generators that keep every mode but put many samples between
them. The paper's unfiltered generator keeps 24.8 ± 0.4 of 25 modes at 70 ± 9 % high quality.

This module trains candidate settings (each one a :func:`drs_lib.cached_training.gan_config` option set,
five seeds stacked), measures the unfiltered generator along training (:func:`trajectory_rows`)
and applies a selection rule fixed before DRS is looked at (:func:`choose_regime`):

1. a snapshot is *in the paper's regime* when, averaged over seeds, it recovers at least
   ``min_modes`` (24) modes with ``hq_range`` (60-80) % high-quality samples;
2. a snapshot is *affordable* when training up to it costs at most ``MAX_TRAINING_COST``: the
   cost of 6,000 iterations of the 128-wide nets at batch 256 (:func:`training_cost`; about the
   most the book's 15-minute cold build on two cores leaves for these five GANs, since chapter
   02 trains them and every other chapter needs its share);
3. among all affordable snapshots of all settings with mean % HQ inside ``hq_range``, take the
   one with the most modes; ties (within 0.2 modes, one seed's mode in five) go to the % HQ
   closest to 70, then to the cheaper training.

The rule looks at the unfiltered generator only; DRS never enters the choice.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor

from drs_lib.cached_training import gan_config, keep_training_config
from drs_lib.metrics import mixture_metrics
from drs_lib.train import GANTraining, sample_generators

#: The rule's thresholds (the issue's and the paper's numbers: 24.8 modes, 70 ± 9 % HQ).
MIN_MODES = 24.0
HQ_RANGE = (60.0, 80.0)
HQ_TARGET = 70.0
MODE_TIE = 0.2


def trajectory_rows(gan: GANTraining, steps: Sequence[int], means: Tensor, std: float, n_samples: int,
                    **labels: Any) -> list[dict]:
    """One row per (snapshot step, seed): modes, % HQ and HQ std of ``n_samples`` unfiltered samples.

    Samples come from the stream of purpose ``"regime"`` (used for nothing else), so the rows are
    the same whichever notebook or script computes them. ``labels`` are copied into every row.
    """
    rows: list[dict] = []
    for step in steps:
        generator, _ = gan.at(int(step))
        with torch.no_grad():
            m = mixture_metrics(sample_generators(generator, n_samples, gan.seeds, "regime"), means, std)
        for i, seed in enumerate(gan.seeds):
            rows.append({**labels, "step": int(step), "seed": int(seed),
                         "modes_recovered": float(m["modes_recovered"][i]),
                         "pct_high_quality": float(m["pct_high_quality"][i]),
                         "radial_rms_high_quality": float(m["radial_rms_high_quality"][i])})
    return rows


def training_cost(setting: Mapping[str, Any], step: int) -> float:
    """Relative training cost of ``step`` iterations: steps x (1 + d_steps) x batch x width²."""
    width = float(setting.get("hidden", 128))
    return float(step) * (1 + int(setting.get("d_steps", 1))) * float(setting.get("batch_size", 256)) * width * width


#: Rule 2: the most training a chosen snapshot may cost (6,000 iterations, width 128, batch 256).
MAX_TRAINING_COST = training_cost({"hidden": 128, "batch_size": 256, "d_steps": 1}, 6000)


def affordable(setting: Mapping[str, Any], step: int, max_cost: float = MAX_TRAINING_COST) -> bool:
    """Rule 2: training ``setting`` up to ``step`` costs at most ``max_cost``."""
    return training_cost(setting, step) <= max_cost


def summarise(rows: Sequence[Mapping[str, Any]]) -> list[dict]:
    """Mean and std over seeds of every (setting, step): one dict each, in first-seen order."""
    groups: dict[tuple[str, int], list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault((str(row["setting"]), int(row["step"])), []).append(row)
    out = []
    for (setting, step), members in groups.items():
        summary: dict[str, Any] = {"setting": setting, "step": step, "n_seeds": len(members)}
        for key in ("modes_recovered", "pct_high_quality", "radial_rms_high_quality"):
            values = torch.tensor([float(m[key]) for m in members], dtype=torch.float64)
            summary[f"{key}_mean"] = float(values.mean())
            summary[f"{key}_std"] = float(values.std()) if len(members) > 1 else 0.0
        out.append(summary)
    return out


def in_regime(modes_mean: float, hq_mean: float, *, min_modes: float = MIN_MODES,
              hq_range: tuple[float, float] = HQ_RANGE) -> bool:
    """The paper's regime: at least ``min_modes`` modes with % HQ inside ``hq_range`` (means over seeds)."""
    return modes_mean >= min_modes and hq_range[0] <= hq_mean <= hq_range[1]


def choose_regime(summary: Sequence[Mapping[str, Any]], settings: Mapping[str, Mapping[str, Any]], *,
                  hq_range: tuple[float, float] = HQ_RANGE, hq_target: float = HQ_TARGET,
                  mode_tie: float = MODE_TIE, max_cost: float = MAX_TRAINING_COST) -> dict[str, Any]:
    """The selection rule of the module docstring, applied to :func:`summarise` rows.

    Returns the chosen summary row plus ``in_regime`` (bool), ``candidates`` (affordable
    snapshots with % HQ inside ``hq_range``) and ``too_costly`` (snapshots inside ``hq_range``
    that rule 2 excluded). Raises ValueError when no snapshot qualifies.
    """
    unknown = {row["setting"] for row in summary} - set(settings)
    if unknown:
        raise ValueError(f"summary rows name settings that are not given: {sorted(unknown)}")
    in_range = [row for row in summary if hq_range[0] <= row["pct_high_quality_mean"] <= hq_range[1]]
    candidates = [row for row in in_range if affordable(settings[row["setting"]], row["step"], max_cost)]
    if not candidates:
        raise ValueError(f"no affordable snapshot has a mean % HQ inside {hq_range}; widen the step grid or the settings")
    best_modes = max(row["modes_recovered_mean"] for row in candidates)
    tied = [row for row in candidates if row["modes_recovered_mean"] >= best_modes - mode_tie]
    chosen = min(tied, key=lambda row: (abs(row["pct_high_quality_mean"] - hq_target),
                                        training_cost(settings[row["setting"]], row["step"])))
    return {**chosen, "candidates": len(candidates), "too_costly": len(in_range) - len(candidates),
            "in_regime": in_regime(chosen["modes_recovered_mean"], chosen["pct_high_quality_mean"], hq_range=hq_range)}


# --------------------------------------------------------------------------------------------
# The sweep itself (tools/sweep_mixture.py runs it; the appendix notebook reads its CSV)
# --------------------------------------------------------------------------------------------

#: Data, seeds and sample size of every sweep run (the paper's: 5 models, 10,000 samples).
SWEEP_DATA = {"spacing": 2.0, "std": 0.05}
SWEEP_SEEDS = [0, 1, 2, 3, 4]
SWEEP_SAMPLES = 10_000

#: Candidate settings: train_gan options plus ``eval_every`` (snapshot spacing). Names say what
#: differs: width (w), learning rates of G and D (g/d), batch (b), D steps per G step (k),
#: linear learning-rate decay to a fraction (decay), Adam beta1 (beta).
SWEEP_SETTINGS: dict[str, dict[str, Any]] = {
    "w128 lr1e-3 b256": {"hidden": 128, "lr_g": 1e-3, "lr_d": 1e-3, "batch_size": 256, "steps": 6000, "eval_every": 500},
    "w128 g1e-4 d1e-3 b256": {"hidden": 128, "lr_g": 1e-4, "lr_d": 1e-3, "batch_size": 256, "steps": 8000, "eval_every": 500},
    "w128 lr2e-4 b256": {"hidden": 128, "lr_g": 2e-4, "lr_d": 2e-4, "batch_size": 256, "steps": 10000, "eval_every": 1000},
    "w128 lr1e-3 b1024": {"hidden": 128, "lr_g": 1e-3, "lr_d": 1e-3, "batch_size": 1024, "steps": 4000, "eval_every": 500},
    "w256 lr1e-4 b256": {"hidden": 256, "lr_g": 1e-4, "lr_d": 1e-4, "batch_size": 256, "steps": 10000, "eval_every": 1000},
    "w256 lr2e-4 b256 decay0.1": {"hidden": 256, "lr_g": 2e-4, "lr_d": 2e-4, "batch_size": 256, "steps": 6000, "lr_final_fraction": 0.1, "eval_every": 1000},
}


def sweep_steps(setting: Mapping[str, Any]) -> list[int]:
    """Snapshot steps of a sweep setting: every ``eval_every`` iterations up to ``steps``."""
    every, steps = int(setting["eval_every"]), int(setting["steps"])
    return list(range(every, steps + 1, every))


def sweep_options(setting: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`drs_lib.cached_training.gan_config` options of a sweep setting (its snapshots as checkpoints)."""
    options = {k: v for k, v in setting.items() if k != "eval_every"}
    options["checkpoints"] = sweep_steps(setting)[:-1]
    return options


# --------------------------------------------------------------------------------------------
# The settings the book's 25-Gaussian chapters use (02, 03 and 06 share these models)
# --------------------------------------------------------------------------------------------

#: ``"paper_regime"``: the sweep setting and snapshot that :func:`choose_regime` picks (the
#: appendix notebook recomputes the choice from the sweep CSV and fails if it differs, and
#: re-measures the chapters' models at that snapshot against the CSV).
#: ``"quick"``: tiny models for the tests. Keys: ``setting`` (a SWEEP_SETTINGS name or None),
#: ``gan`` (train_gan options), ``budget_step`` (the snapshot Table 1 uses), ``step_grid``
#: (snapshots at which chapter 02 also runs DRS, to show its gain along training) and
#: ``keep_training`` (KeepTraining options).
GAN_PRESETS: dict[str, dict[str, Any]] = {
    "paper_regime": {
        "setting": "w128 lr1e-3 b256",
        "budget_step": 3000,
        "step_grid": [1000, 2000, 3000, 4000],
        "keep_training": {"max_steps": 2000, "lr": 1e-3, "batch_size": 256, "validation_size": 10_000},
    },
    "quick": {
        "setting": None,
        "gan": {"hidden": 32, "lr_g": 1e-3, "lr_d": 1e-3, "batch_size": 256, "steps": 200, "checkpoints": [100]},
        "budget_step": 200,
        "step_grid": [100, 200],
        "keep_training": {"max_steps": 200, "lr": 1e-3, "batch_size": 256, "validation_size": 2000},
    },
}


#: GAN options for the Swiss roll of chapter 06, which is not in the DRS paper: the 25-Gaussian
#: setting the book used before the sweep (cheap to train), or the quick preset's in quick mode.
SWISS_ROLL_GAN: dict[str, dict[str, Any]] = {
    "paper_regime": {"hidden": 128, "lr_g": 1e-3, "lr_d": 1e-3, "batch_size": 256, "steps": 4000},
    "quick": {"hidden": 32, "lr_g": 1e-3, "lr_d": 1e-3, "batch_size": 256, "steps": 200},
}


def gan_preset(name: str) -> dict[str, Any]:
    """A copy of ``GAN_PRESETS[name]`` with its ``gan`` options filled in from the sweep setting.

    An unknown name raises ValueError listing the known ones.
    """
    if name not in GAN_PRESETS:
        raise ValueError(f"unknown GAN preset {name!r}; allowed: {sorted(GAN_PRESETS)}")
    preset = copy.deepcopy(GAN_PRESETS[name])
    if preset["setting"] is not None:
        # Train only as far as the chapters look. With a constant learning rate, a GAN trained
        # for S iterations (S a multiple of chunk_steps) is exactly the S-iteration snapshot of a
        # longer run: same random draws, same updates (tests/test_regime.py checks it), so the
        # chapters' models are the sweep's. A decaying rate depends on the total: keep it whole.
        options = {k: v for k, v in SWEEP_SETTINGS[preset["setting"]].items() if k != "eval_every"}
        wanted = sorted(set(preset["step_grid"]) | {preset["budget_step"]})
        if options.get("lr_final_fraction", 1.0) == 1.0:
            options["steps"] = wanted[-1]
        options["checkpoints"] = [step for step in wanted if step != options["steps"]]
        preset["gan"] = options
    snapshots = set(preset["gan"].get("checkpoints", [])) | {preset["gan"]["steps"]}
    wanted = set(preset["step_grid"]) | {preset["budget_step"]}
    if not wanted <= snapshots:
        raise ValueError(f"preset {name!r}: steps {sorted(wanted - snapshots)} are not snapshots of its GAN")
    return preset


def describe_gan(options: Mapping[str, Any]) -> str:
    """Plain-words summary of train_gan options, for the chapters' setup paragraphs."""
    lr_g, lr_d = options.get("lr_g", 1e-4), options.get("lr_d", 1e-4)
    lr = f"learning rate {lr_g:g}" if lr_g == lr_d else f"learning rates {lr_g:g} (G) and {lr_d:g} (D)"
    parts = [f"three hidden layers of {options.get('hidden', 128)} units", lr,
             f"batch {options.get('batch_size', 256)}"]
    if options.get("d_steps", 1) != 1:
        parts.append(f"{options['d_steps']} discriminator steps per generator step")
    if options.get("lr_final_fraction", 1.0) != 1.0:
        parts.append(f"learning rates decaying linearly to {options['lr_final_fraction']:g} of their initial value")
    parts.append(f"{options['steps']:,} iterations with snapshots along the way")
    return ", ".join(parts)


def preset_gan_config(name: str, data: Mapping[str, Any], seeds: Sequence[int], *,
                      device: str | torch.device = "cpu") -> dict[str, Any]:
    """:func:`drs_lib.cached_training.gan_config` of preset ``name`` (every chapter using it shares one cache entry)."""
    return gan_config(data, seeds, device=device, **gan_preset(name)["gan"])


def preset_keep_training_config(name: str, gan: Mapping[str, Any], step: int) -> dict[str, Any]:
    """:func:`drs_lib.cached_training.keep_training_config` of preset ``name`` for the GANs ``gan`` at ``step``."""
    return keep_training_config(gan, step, **gan_preset(name)["keep_training"])


__all__ = ["GAN_PRESETS", "HQ_RANGE", "SWISS_ROLL_GAN", "HQ_TARGET", "MAX_TRAINING_COST", "MIN_MODES", "MODE_TIE", "SWEEP_DATA", "SWEEP_SAMPLES", "SWEEP_SEEDS", "SWEEP_SETTINGS", "affordable", "choose_regime", "describe_gan", "gan_preset", "in_regime", "preset_gan_config", "preset_keep_training_config", "summarise",
           "sweep_options", "sweep_steps", "training_cost", "trajectory_rows"]
