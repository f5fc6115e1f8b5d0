"""Chapter 06's samplers: which methods run on which data set, with which settings, and the rows a DDLS run's
checkpoints give (tests/test_chapter06_logic.py).

:func:`methods_for` reads the notebook's checked parameters (``drs_book.params.check_parameters``'s result)
and the step sizes the pilot rule chose, and returns the specs :func:`drs_lib.compare.harness.run_method`
runs; :func:`checkpoint_rows` turns one DDLS run's checkpoints into rows of the convergence CSV.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from drs_book.chapters.ddls import grid_metrics
from drs_lib.metrics.distances import sliced_wasserstein
from drs_lib.metrics.mixture import assign_modes

__all__ = ["DDLS_VARIANTS", "SWISS_VARIANTS", "ITERATIVE", "ENERGIES", "EXACT_DRS", "EXACT_DRS_MAX_PROPOSALS", "methods_for", "delivered",
           "checkpoint_rows"]

#: name: (Langevin method, energy)
DDLS_VARIANTS = {
    "DDLS (ULA)": ("ula", "raw"),
    "DDLS (ULA, calibrated)": ("ula", "calibrated"),
    "DDLS (MALA)": ("mala", "raw"),
    "DDLS (MALA, calibrated)": ("mala", "calibrated"),
}
#: the Swiss roll gets the MALA runs only (time budget)
SWISS_VARIANTS = ["DDLS (MALA)", "DDLS (MALA, calibrated)"]
#: samplers that deliver one sample per chain (they deliver n_chains)
ITERATIVE = {"mhgan", "dot", "ddls"}
#: the logit the Langevin energy uses: raw, or Platt-calibrated
ENERGIES = {"raw": None, "calibrated": "logistic"}
#: exact rejection sampling of p_d: accepts about 1/M of the proposals, so it delivers n_chains too
EXACT_DRS = "DRS (γ = 0)"
#: exact DRS gives up after this many proposals: a model whose largest logit sits far above the rest
#: (one Swiss-roll GAN: acceptance ~3e-5 and falling as D̃_M rises) would otherwise never deliver its samples
EXACT_DRS_MAX_PROPOSALS = 5_000_000


def methods_for(dataset: str, p: Mapping, chosen: Mapping[tuple[str, str], tuple[float, str]],
                checkpoints: Sequence[int]) -> dict[str, dict]:
    """The specs of every method on ``dataset``; ``p`` holds the notebook's parameters, ``chosen`` the step size
    per (data set, energy). MALA runs until flat (``max_steps``); ULA's flatness criterion is recorded only."""
    methods = {
        "generator": {"kind": "generator"},
        "DRS": {"kind": "drs", "gamma_percentile": p["drs_gamma_percentile"], "burn_in_samples": p["burn_in_samples"]},
        EXACT_DRS: {"kind": "drs", "gamma_percentile": None, "burn_in_samples": p["burn_in_samples"],
                    "max_proposals": EXACT_DRS_MAX_PROPOSALS},
        "MH-GAN": {"kind": "mhgan", "n_proposals": p["mh_proposals"], "calibration": None},
        "MH-GAN (calibrated)": {"kind": "mhgan", "n_proposals": p["mh_proposals"], "calibration": p["mh_calibration"],
                                "calibration_samples": p["calibration_samples"]},
        "DOT": {"kind": "dot", "step_size": p["dot_step_size"], "n_steps": p["dot_steps"],
                "k_eff_samples": p["n_chains"]},
    }
    if dataset == "mixture":
        methods["DDLS (ULA, short chains)"] = {"kind": "ddls", "step_size": p["short_step_size"],
                                               "n_steps": p["short_steps"]}
    for name, (method, energy) in DDLS_VARIANTS.items():
        if dataset == "mixture" or name in SWISS_VARIANTS:
            spec = {"kind": "ddls", "method": method, "step_size": chosen[(dataset, energy)][0],
                    "n_steps": p["ddls_steps"], "checkpoints": list(checkpoints),
                    "flat_tolerance": p["flat_tolerance"], "flat_window": p["flat_window"]}
            if method == "mala":
                spec["max_steps"] = p["mala_max_steps"]
            if ENERGIES[energy] is not None:
                spec.update(calibration=ENERGIES[energy], calibration_samples=p["calibration_samples"])
            methods[name] = spec
    return methods


def delivered(name: str, spec: Mapping, n_chains: int, n_samples: int) -> int:
    """How many samples a method delivers: ``n_chains`` for the iterative samplers and exact DRS, else
    ``n_samples`` (every sampler is scored on its first ``n_chains``)."""
    return n_chains if spec["kind"] in ITERATIVE or name == EXACT_DRS else n_samples


def checkpoint_rows(result, base: Mapping, name: str, reference: torch.Tensor, directions, length: float,
                    grid: Mapping | None = None) -> list[dict]:
    """One convergence row per checkpoint of a DDLS ``result``: mean energy, acceptance, SW₂ to ``reference``
    (× ``length``) and, on the grid (``grid``: ``means``, ``mode_std``, ``scale``, ``outside_limit``), % HQ,
    modes, the share of chains nearest to another mode than at step 0 and the share outside the grid."""
    rows = []
    start_modes = assign_modes(result.checkpoint_samples[0].cpu(), grid["means"])[0] if grid else None
    for t, x, e, a in zip(result.checkpoints, result.checkpoint_samples, result.checkpoint_energy,
                          result.checkpoint_acceptance):
        row = {**base, "method": name, "step": t, "mean_energy": e, "acceptance": a,
               "sliced_wasserstein": length * sliced_wasserstein(x, reference, directions=directions)}
        if grid:
            row.update(grid_metrics(x, grid["means"], grid["mode_std"], grid["scale"]))
            row["pct_changed_mode"] = 100.0 * float((assign_modes(x.cpu(), grid["means"])[0] != start_modes).double().mean())
            row["pct_outside_grid"] = 100.0 * float((x.abs().amax(dim=1) > grid["outside_limit"]).double().mean())
        rows.append(row)
    return rows
