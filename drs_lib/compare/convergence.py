"""Have Langevin chains stopped moving? A flatness criterion on the energy, and DDLS run until it holds.

Chapter 06 (issue 25) runs DDLS with MALA until its mean latent energy is flat, with the step
size its pilot rule chose (:func:`drs_lib.samplers.ddls.choose_step_size`). The criterion
(:func:`energy_drift`) is the change of the mean energy between the last two windows of the run
(each ``window`` of the steps, 25 % by default), in units of the energies' spread over chains:
a relative change that stays defined when the mean energy is near zero. The chains are
independent, so the per-chain differences give its standard error; the run counts as flat when
``|drift| + 1.96 SE`` is below ``tolerance``: flatness is shown, not merely not refuted, so
fewer chains cannot make a run look flatter. :func:`ddls_until_flat` doubles the run, continuing
the same chains, while the criterion fails and the total stays within ``max_steps``, and says
whether it was met.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from drs_lib.device import resolve_device
from drs_lib.rng import make_rng
from drs_lib.samplers.ddls import DDLSResult, ddls_sample

Tensor = torch.Tensor

__all__ = ["EnergyDrift", "energy_drift", "ddls_until_flat"]


@dataclass(frozen=True)
class EnergyDrift:
    """The flatness criterion of a chain set (see :func:`energy_drift`)."""

    drift: float  #: change of the mean energy, last window minus the one before, in units of the chains' spread
    bound: float  #: |drift| + 1.96 standard errors (the chains are independent)
    tolerance: float
    window: float  #: each window's share of the steps
    n_steps: int  #: steps the trace covers

    @property
    def flat(self) -> bool:
        """True when the 95 % bound on the drift is below the tolerance."""
        return self.bound < self.tolerance


def energy_drift(trace: Tensor, *, window: float = 0.25, tolerance: float = 0.1) -> EnergyDrift:
    """Is the mean energy flat at the end of a run? ``trace`` is (steps, chains), e.g. ``DDLSResult.energy_trace``.

    Each chain's energy is averaged over the last ``window`` of the steps and over the window
    before it; the drift is the mean over chains of the difference, divided by the spread (std
    over chains) of the energy at the last step, so it reads as a relative change that stays
    defined when the energy's mean is near zero. Chains are independent, so the per-chain
    differences give a standard error; ``bound`` = |drift| + 1.96 SE, and the chain set is flat
    when ``bound < tolerance``. Chains with a non-finite energy make the trace not flat (inf).
    """
    if trace.ndim != 2 or trace.shape[1] < 2:
        raise ValueError(f"trace must be (steps, chains) with at least two chains; got {tuple(trace.shape)}")
    if not 0.0 < window <= 0.5:
        raise ValueError(f"window must be in (0, 0.5]; got {window!r}")
    if not tolerance > 0:
        raise ValueError(f"tolerance must be > 0; got {tolerance!r}")
    steps = int(trace.shape[0])
    width = max(1, int(round(window * steps)))
    if 2 * width > steps:
        raise ValueError(f"a trace of {steps} steps is too short for two windows of {width}")
    t = trace.double()
    last, before = t[steps - width:].mean(dim=0), t[steps - 2 * width:steps - width].mean(dim=0)
    diff = last - before
    spread = float(t[-1].std())
    if not (torch.isfinite(diff).all() and math.isfinite(spread)) or spread == 0.0:
        return EnergyDrift(math.inf, math.inf, float(tolerance), float(window), steps)
    drift = float(diff.mean()) / spread
    se = float(diff.std()) / math.sqrt(diff.numel()) / spread
    return EnergyDrift(drift, abs(drift) + 1.96 * se, float(tolerance), float(window), steps)


def ddls_until_flat(
    generator: Callable[[Tensor], Tensor],
    score: Callable[[Tensor], Tensor],
    n_samples: int,
    latent_dim: int,
    *,
    step_size: float = 0.01,
    n_steps: int = 100,
    max_steps: int = 400,
    tolerance: float = 0.1,
    window: float = 0.25,
    method: str = "mala",
    calibrator: Callable[[Tensor], Tensor] | None = None,
    checkpoints: Sequence[int] = (),
    batch_size: int = 10_000,
    rng: torch.Generator | int | None = 0,
    device="auto",
) -> tuple[DDLSResult, EnergyDrift]:
    """DDLS run until its energy is flat: ``n_steps`` steps, then the same chains again for as many
    steps as they have run (the run doubles) while :func:`energy_drift` says not flat and the total
    stays within ``max_steps``.

    The result is the last round's samples with the whole run's trace, ``n_steps`` the total,
    ``checkpoints`` those of the first round plus the end of every later round, ``acceptance_rate``
    over all steps and ``energy_trace`` the whole run's; with it the criterion at the end
    (``flat`` False when ``max_steps`` ran out first).
    """
    if isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < n_steps:
        raise ValueError(f"max_steps must be an integer >= n_steps = {n_steps}; got {max_steps!r}")
    device = resolve_device(device)
    rng = make_rng(rng, device)
    common = dict(method=method, calibrator=calibrator, batch_size=batch_size, rng=rng, device=device, trace=True)
    result = ddls_sample(generator, score, n_samples, latent_dim, step_size=step_size, n_steps=n_steps,
                         checkpoints=checkpoints, **common)
    traces, total = [result.energy_trace], n_steps
    accepted = result.acceptance_rate * n_steps
    drift = energy_drift(result.energy_trace, window=window, tolerance=tolerance)
    while not drift.flat and 2 * total <= max_steps:
        more = ddls_sample(generator, score, n_samples, latent_dim, step_size=step_size, n_steps=total,
                           checkpoints=[total], initial_latents=result.latents, **common)
        traces.append(more.energy_trace[1:] if method == "mala" else more.energy_trace)  # MALA's step 0 repeats
        accepted += more.acceptance_rate * total
        total *= 2
        result.checkpoints.append(total)
        result.checkpoint_energy.append(more.checkpoint_energy[-1])
        result.checkpoint_samples.append(more.checkpoint_samples[-1])
        result.checkpoint_acceptance.append(more.checkpoint_acceptance[-1] if method == "mala" else math.nan)
        result.samples, result.latents = more.samples, more.latents
        result.non_finite = more.non_finite
        drift = energy_drift(torch.cat(traces), window=window, tolerance=tolerance)
    result.n_steps = total
    result.acceptance_rate = accepted / total if method == "mala" else math.nan
    result.energy_trace = torch.cat(traces)
    return result, drift
