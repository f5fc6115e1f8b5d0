"""Discriminator Driven Latent Sampling (DDLS): batched Langevin dynamics in latent space.

Che et al. (2020), "Your GAN is Secretly an Energy-based Model and You Should use
Discriminator Driven Latent Sampling", Theorem 1: with prior p0(z), generator G and
discriminator logit d (D = sigma(d)), define the latent energy

    E(z) = -log p0(z) - d(G(z)),        p_t(z) = exp(-E(z)) / Z.

If z ~ p_t then G(z) ~ p_d* = p_g(x) exp(d(x)) / Z0, which equals the data distribution
when d is the exact log density ratio log p_d / p_g. For the standard normal prior used here,
-log p0(z) = |z|^2 / 2 + const, so grad E(z) = z - grad_z d(G(z)).

Two samplers of p_t, both started at the prior (as in Che et al. 2020):

* ``"ula"``, unadjusted Langevin (the paper's DDLS):
      z <- z - (eps / 2) grad E(z) + sqrt(eps) n,        n ~ N(0, I).
  It has a step-size bias: with d = 0 and G = identity the chain is the AR(1) process
  z <- (1 - eps/2) z + sqrt(eps) n, stationary variance 1 / (1 - eps/4), not 1 (tested).
* ``"mala"``, Metropolis-adjusted Langevin (Roberts and Tweedie 1996): the ULA move is a
  proposal z', accepted with probability
      min(1, exp(E(z) - E(z') + log q(z | z') - log q(z' | z))),
      log q(b | a) = -|b - a + (eps / 2) grad E(a)|^2 / (2 eps),
  so p_t is the exact stationary law for every eps; the acceptance rate is reported.
  The energy and gradient of the current state are kept, so a MALA step costs the same one
  forward and backward pass through G and d as a ULA step.

The logit may be recalibrated first (``calibrator``): E(z) = |z|^2 / 2 - c(d(G(z))), where c is
a differentiable map such as Platt scaling a d + b (:mod:`drs_lib.samplers.calibration`). Isotonic
calibration is a step function whose gradient is zero almost everywhere; it is refused.

``checkpoints`` records, at a few step counts t, the mean energy over all chains and G(z_t)
(and, for MALA, the acceptance rate since the previous checkpoint), from the forward pass the
sampler makes anyway, so convergence can be plotted at no extra network evaluation (except one
discriminator pass when the last step is a checkpoint under ULA).

``trace=True`` keeps every chain's energy at every step and ``initial_latents`` continues chains
from given states: :mod:`drs_lib.compare.convergence` builds its flatness criterion and its
run-until-flat on them.

Callables follow :mod:`drs_lib.samplers.drs`: ``score(x) -> (n,)`` logits; the generator here is the
map ``generator(z) -> x`` (DDLS needs the latent, unlike DRS's ``generate(n, rng)``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import torch

from drs_lib.device import resolve_device
from drs_lib.rng import make_rng

Tensor = torch.Tensor
Logits = Callable[[Tensor], Tensor]

__all__ = [
    "LANGEVIN_METHODS",
    "DDLSResult",
    "calibrated_score",
    "latent_energy",
    "langevin_step",
    "mala_log_acceptance",
    "ddls_sample",
    "mala_acceptance_by_step_size",
    "choose_step_size",
]

#: The samplers :func:`ddls_sample` offers.
LANGEVIN_METHODS = ("ula", "mala")


def calibrated_score(score: Logits, calibrator: Callable[[Tensor], Tensor] | None) -> Logits:
    """``x -> c(score(x))``: the logit the energy uses; ``score`` itself when ``calibrator`` is None.

    Raises ValueError for a calibrator whose ``differentiable`` attribute is False (isotonic).
    """
    if calibrator is None:
        return score
    if not getattr(calibrator, "differentiable", True):
        raise ValueError(
            f"calibrator {calibrator!r} has no useful gradient (isotonic regression is a step function); "
            "Langevin dynamics needs a differentiable calibration: use fit_calibrator(..., method='logistic')"
        )
    return lambda x: calibrator(score(x).reshape(-1))


def latent_energy(z: Tensor, generator: Callable[[Tensor], Tensor], score: Logits) -> Tensor:
    """E(z) = |z|^2 / 2 - d(G(z)), the latent energy of Theorem 1 (standard normal prior, up to a constant).

    Returns shape (n,). Use :func:`calibrated_score` for an energy on a recalibrated logit.
    """
    return 0.5 * z.pow(2).sum(dim=1) - score(generator(z)).reshape(-1)


def _energy_grad(z: Tensor, generator: Callable[[Tensor], Tensor], score: Logits) -> tuple[Tensor, Tensor, Tensor]:
    """(E(z), grad E(z), G(z)) from one forward and one backward pass, all detached."""
    with torch.enable_grad():
        z_var = z.detach().requires_grad_(True)
        x = generator(z_var)
        energy = 0.5 * z_var.pow(2).sum(dim=1) - score(x).reshape(-1)
        (grad,) = torch.autograd.grad(energy.sum(), z_var)
    return energy.detach(), grad.detach(), x.detach()


def langevin_step(
    z: Tensor,
    generator: Callable[[Tensor], Tensor],
    score: Logits,
    step_size: float,
    rng: torch.Generator,
) -> Tensor:
    """One unadjusted Langevin step z - (eps/2) grad E(z) + sqrt(eps) n (DDLS, Che et al. 2020)."""
    _, grad, _ = _energy_grad(z, generator, score)
    noise = torch.randn(z.shape, generator=rng, device=z.device, dtype=z.dtype)
    return (z.detach() - 0.5 * step_size * grad + math.sqrt(step_size) * noise).detach()


def mala_log_acceptance(z: Tensor, z_new: Tensor, energy: Tensor, energy_new: Tensor, grad: Tensor,
                        grad_new: Tensor, step_size: float) -> Tensor:
    """log of MALA's acceptance ratio for the move z -> z_new (shape (n,), may be > 0).

    E(z) - E(z') + log q(z | z') - log q(z' | z), with the Langevin proposal
    q(b | a) = N(b; a - (eps/2) grad E(a), eps I).
    """
    forward = (z_new - z + 0.5 * step_size * grad).pow(2).sum(dim=1)
    backward = (z - z_new + 0.5 * step_size * grad_new).pow(2).sum(dim=1)
    return energy - energy_new + (forward - backward) / (2.0 * step_size)


@dataclass
class DDLSResult:
    """Output of :func:`ddls_sample`."""

    samples: Tensor  #: (n_samples, data_dim): G(z_T), one per chain
    latents: Tensor  #: (n_samples, latent_dim): z_T
    initial_samples: Tensor | None  #: G(z_0) of the same chains (only if keep_initial)
    step_size: float
    n_steps: int
    method: str = "ula"
    acceptance_rate: float = math.nan  #: MALA: accepted / proposed over all chains and steps (NaN for ULA)
    non_finite: int = 0  #: chains whose final sample is not finite (ULA at too large a step diverges)
    checkpoints: list[int] = field(default_factory=list)  #: step counts t recorded
    checkpoint_energy: list[float] = field(default_factory=list)  #: mean E(z_t) over chains with a finite energy
    checkpoint_samples: list[Tensor] = field(default_factory=list)  #: G(z_t), (n_samples, data_dim) each
    checkpoint_acceptance: list[float] = field(default_factory=list)  #: MALA acceptance over (previous checkpoint, t]
    energy_trace: Tensor | None = None  #: (steps recorded, n_samples) per-chain E(z_t) on the CPU (only if trace)


def _check_checkpoints(checkpoints: Sequence[int], n_steps: int) -> list[int]:
    if isinstance(checkpoints, (str, bytes)) or not isinstance(checkpoints, Sequence):
        raise ValueError(f"checkpoints must be a sequence of step counts in [0, n_steps]; got {checkpoints!r}")
    out = []
    for t in checkpoints:
        if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t <= n_steps:
            raise ValueError(f"checkpoints must be integers in [0, n_steps={n_steps}]; got {t!r}")
        out.append(int(t))
    return sorted(set(out))


def ddls_sample(
    generator: Callable[[Tensor], Tensor],
    score: Logits,
    n_samples: int,
    latent_dim: int,
    *,
    step_size: float = 0.01,
    n_steps: int = 100,
    method: str = "ula",
    calibrator: Callable[[Tensor], Tensor] | None = None,
    checkpoints: Sequence[int] = (),
    batch_size: int = 10_000,
    rng: torch.Generator | int | None = 0,
    device="auto",
    keep_initial: bool = False,
    initial_latents: Tensor | None = None,
    trace: bool = False,
) -> DDLSResult:
    """Draw ``n_samples`` with DDLS: ``n_steps`` Langevin steps of size ``step_size`` on E(z).

    ``method``: ``"ula"`` (unadjusted, the paper's) or ``"mala"`` (Metropolis-adjusted).
    ``calibrator``: a differentiable map of the raw logit (Platt scaling) used in the energy.
    Chains start from the prior N(0, I) and run ``batch_size`` at a time; each chain delivers
    one sample, G(z_T). Cost per delivered sample: ``n_steps`` forward and backward passes
    through G and d (MALA: one more, for the initial state) plus one forward of G (ULA).
    ``checkpoints``: step counts at which the mean energy and G(z_t) are recorded;
    ``keep_initial`` also returns G(z_0). ``initial_latents`` (n_samples, latent_dim) continues
    chains from those states instead of the prior. ``trace`` keeps every chain's energy at every
    step (MALA: steps 0..n_steps; ULA: 0..n_steps - 1, the states whose gradient it takes).
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1:
        raise ValueError(f"n_samples must be an integer >= 1, got {n_samples!r}")
    if isinstance(n_steps, bool) or not isinstance(n_steps, int) or n_steps < 0:
        raise ValueError(f"n_steps must be an integer >= 0, got {n_steps!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
    if not (isinstance(step_size, (int, float)) and math.isfinite(step_size) and step_size > 0):
        raise ValueError(f"step_size must be a finite number > 0, got {step_size!r}")
    if method not in LANGEVIN_METHODS:
        raise ValueError(f"method must be one of {LANGEVIN_METHODS}, got {method!r}")
    marks = _check_checkpoints(checkpoints, n_steps)
    if initial_latents is not None and tuple(initial_latents.shape) != (n_samples, latent_dim):
        raise ValueError(f"initial_latents must be ({n_samples}, {latent_dim}); got {tuple(initial_latents.shape)}")
    logit = calibrated_score(score, calibrator)
    device = resolve_device(device)
    rng = make_rng(rng, device)
    eps = float(step_size)
    sqrt_eps = math.sqrt(eps)
    mark_index = {t: i for i, t in enumerate(marks)}
    energy_sum = torch.zeros(len(marks), dtype=torch.float64, device=device)
    energy_count = torch.zeros(len(marks), dtype=torch.float64, device=device)
    mark_samples: list[list[Tensor]] = [[] for _ in marks]
    accepted = torch.zeros(max(n_steps, 1), dtype=torch.float64, device=device)
    outs, lats, inits, traces = [], [], [], []
    non_finite = 0

    def record(t: int, energy: Tensor | None, x: Tensor) -> None:
        i = mark_index.get(t)
        if i is None:
            return
        mark_samples[i].append(x)
        if energy is None:
            energy = 0.5 * z.pow(2).sum(dim=1) - logit(x).reshape(-1)
        ok = torch.isfinite(energy)
        energy_sum[i] += torch.where(ok, energy, torch.zeros_like(energy)).sum().double()
        energy_count[i] += ok.sum().double()

    done = 0
    while done < n_samples:
        b = min(batch_size, n_samples - done)
        if initial_latents is None:
            z = torch.randn(b, latent_dim, generator=rng, device=device)
        else:
            z = initial_latents[done:done + b].to(device=device, dtype=torch.float32)
        steps: list[Tensor] = []
        if method == "ula":
            x = None
            for t in range(n_steps):
                energy, grad, x = _energy_grad(z, generator, logit)
                if trace:
                    steps.append(energy)
                if t == 0 and keep_initial:
                    inits.append(x)
                record(t, energy, x)
                noise = torch.randn(z.shape, generator=rng, device=device, dtype=z.dtype)
                z = z - 0.5 * eps * grad + sqrt_eps * noise
            with torch.no_grad():
                x = generator(z)
                if n_steps == 0 and keep_initial:
                    inits.append(x)
                if n_steps in mark_index:
                    record(n_steps, None, x)
        else:  # MALA
            energy, grad, x = _energy_grad(z, generator, logit)
            if keep_initial:
                inits.append(x)
            record(0, energy, x)
            if trace:
                steps.append(energy)
            for t in range(1, n_steps + 1):
                noise = torch.randn(z.shape, generator=rng, device=device, dtype=z.dtype)
                z_new = z - 0.5 * eps * grad + sqrt_eps * noise
                energy_new, grad_new, x_new = _energy_grad(z_new, generator, logit)
                log_alpha = mala_log_acceptance(z, z_new, energy, energy_new, grad, grad_new, eps)
                u = torch.rand(b, generator=rng, device=device, dtype=log_alpha.dtype)
                accept = torch.log(u) < log_alpha  # NaN (a non-finite proposal) is never accepted
                z = torch.where(accept[:, None], z_new, z)
                grad = torch.where(accept[:, None], grad_new, grad)
                x = torch.where(accept[:, None], x_new, x)
                energy = torch.where(accept, energy_new, energy)
                accepted[t - 1] += accept.sum().double()
                record(t, energy, x)
                if trace:
                    steps.append(energy)
        if trace:
            traces.append(torch.stack(steps).cpu() if steps else torch.zeros(0, b))
        outs.append(x)
        lats.append(z.detach())
        non_finite += int((~torch.isfinite(x).all(dim=1)).sum())
        done += b

    acceptance_rate = math.nan
    mark_acceptance: list[float] = []
    if method == "mala" and n_steps > 0:
        per_step = (accepted[:n_steps] / n_samples).cpu()
        acceptance_rate = float(per_step.mean())
        previous = 0
        for t in marks:
            mark_acceptance.append(float(per_step[previous:t].mean()) if t > previous else math.nan)
            previous = t
    else:
        mark_acceptance = [math.nan] * len(marks)
    counts = energy_count.cpu()
    means = (energy_sum.cpu() / counts.clamp_min(1.0)).tolist()
    return DDLSResult(
        samples=torch.cat(outs),
        latents=torch.cat(lats),
        initial_samples=torch.cat(inits) if keep_initial else None,
        step_size=eps,
        n_steps=int(n_steps),
        method=method,
        acceptance_rate=acceptance_rate,
        non_finite=non_finite,
        checkpoints=marks,
        checkpoint_energy=[m if c > 0 else math.nan for m, c in zip(means, counts.tolist())],
        checkpoint_samples=[torch.cat(parts) for parts in mark_samples],
        checkpoint_acceptance=mark_acceptance,
        energy_trace=torch.cat(traces, dim=1) if trace else None,
    )


def mala_acceptance_by_step_size(
    generator: Callable[[Tensor], Tensor],
    score: Logits,
    latent_dim: int,
    step_sizes: Sequence[float],
    *,
    n_chains: int = 100,
    n_steps: int = 50,
    calibrator: Callable[[Tensor], Tensor] | None = None,
    rng: torch.Generator | int | None = 0,
    device="auto",
) -> dict[float, float]:
    """MALA's acceptance rate for each step size: ``n_chains`` pilot chains of ``n_steps`` from the prior.

    The pilot for :func:`choose_step_size`; every step size uses fresh chains from one generator.
    """
    if isinstance(step_sizes, (str, bytes)) or not isinstance(step_sizes, Sequence) or not step_sizes:
        raise ValueError(f"step_sizes must be a non-empty sequence of numbers > 0; got {step_sizes!r}")
    if n_steps < 1:
        raise ValueError(f"a pilot needs n_steps >= 1; got {n_steps!r}")
    device = resolve_device(device)
    rng = make_rng(rng, device)
    return {float(eps): ddls_sample(generator, score, n_chains, latent_dim, step_size=float(eps), n_steps=n_steps,
                                    method="mala", calibrator=calibrator, rng=rng, device=device).acceptance_rate
            for eps in step_sizes}


def choose_step_size(acceptance: Mapping[float, float], band: tuple[float, float] = (0.5, 0.8)) -> tuple[float, str]:
    """The step-size rule: the largest step size whose acceptance rate lies inside ``band``.

    MALA's acceptance falls as the step grows. When no step size of the grid is inside the band:
    every one accepting more than ``band[1]`` gives the largest step ("all above the band"),
    every one accepting less than ``band[0]`` the smallest ("all below the band"); otherwise the
    largest step accepting at least ``band[0]``. Returns (step size, which case applied).
    """
    if not acceptance:
        raise ValueError("no step sizes to choose from")
    low, high = band
    if not 0.0 <= low < high <= 1.0:
        raise ValueError(f"band must satisfy 0 <= low < high <= 1; got {band!r}")
    steps = sorted(acceptance)
    inside = [e for e in steps if low <= acceptance[e] <= high]
    if inside:
        return inside[-1], "in the band"
    if all(acceptance[e] > high for e in steps):
        return steps[-1], "all above the band"
    if all(acceptance[e] < low for e in steps):
        return steps[0], "all below the band"
    return max(e for e in steps if acceptance[e] >= low), "largest above the band's lower end"

