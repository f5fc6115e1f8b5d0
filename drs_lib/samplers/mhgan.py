"""Metropolis-Hastings GAN (MH-GAN): independence MH over generator proposals, batched.

Turner, Hung, Frank, Saatci and Yosinski (2019), "Metropolis-Hastings Generative
Adversarial Networks" (ICML). The generator density p_g is the proposal of an independence
Metropolis-Hastings sampler whose target is p_d; the discriminator supplies the density ratio

    p_d(x) / p_g(x) = D(x) / (1 - D(x)) = exp(d(x))        (d = logit, D = sigma(d)),

so a proposal x' ~ p_g replaces the chain's current state x_k with probability

    alpha(x_k, x') = min(1, (D(x_k)^-1 - 1) / (D(x')^-1 - 1)) = min(1, exp(d(x') - d(x_k))).

Each chain draws K proposals and delivers its final state. Following the paper, a chain
starts at a *real* sample (so no burn-in is needed); a chain that never accepts a proposal
is restarted from a generated sample, so the real starting point is never delivered.

The density-ratio reading of D needs a *calibrated* discriminator; the paper calibrates D
on held-out real and fake samples (isotonic regression or a logistic / Platt fit of the
logit). Those calibrators live in :mod:`drs_lib.samplers.calibration` (shared with DDLS's energy) and
are re-exported here: :func:`fit_calibrator` returns a map raw logit -> calibrated logit, and
:func:`calibration_z_statistic` is the Z statistic of Dawid (1997) the paper uses to test
calibration (|Z| > 2 rejects calibration at about the 5% level).

Callables follow :mod:`drs_lib.samplers.drs`: ``generate(n, rng) -> (n, dim)``, ``score(x) -> (n,)``,
and ``real(n, rng) -> (n, dim)`` draws real samples for the chains' initial states.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from drs_lib.samplers.calibration import Calibrator, calibration_z_statistic, fit_calibrator
from drs_lib.device import resolve_device
from drs_lib.rng import make_rng

Tensor = torch.Tensor

__all__ = [
    "mh_acceptance_probability",
    "Calibrator",
    "fit_calibrator",
    "calibration_z_statistic",
    "MHGANResult",
    "mhgan_sample",
]


def mh_acceptance_probability(logit_current: Tensor, logit_proposal: Tensor) -> Tensor:
    """alpha = min(1, exp(d(x') - d(x_k))), the MH-GAN acceptance rule for D = sigma(d).

    Equal to min(1, (1/D(x_k) - 1) / (1/D(x') - 1)) but computed on logits, which never
    overflows or divides by zero.
    """
    return torch.exp(torch.clamp(logit_proposal - logit_current, max=0.0))


@dataclass
class MHGANResult:
    samples: Tensor  # (n_samples, dim): each chain's final state
    n_proposals: int  # K, proposals per chain
    acceptance_rate: float  # accepted moves / proposals (all chains, restarts included)
    restarts: int  # chains that never accepted and were restarted from a generated sample
    unresolved: int  # chains still at their real start after max_restarts (delivered as a fresh generated sample)
    proposals_total: int  # generator samples drawn in all (incl. restart initial states)


def _run_chains(x, logit, n_steps, generate, score_fn, rng):
    """Advance the batched chains (x, logit) by n_steps independence-MH proposals."""
    moved = torch.zeros(x.shape[0], dtype=torch.bool, device=x.device)
    accepted = 0
    for _ in range(n_steps):
        proposal = generate(x.shape[0], rng)
        logit_p = score_fn(proposal)
        alpha = mh_acceptance_probability(logit, logit_p)
        u = torch.rand(alpha.shape, generator=rng, device=alpha.device, dtype=alpha.dtype)
        accept = u < alpha
        x = torch.where(accept[:, None], proposal, x)
        logit = torch.where(accept, logit_p, logit)
        moved |= accept
        accepted += int(accept.sum())
    return x, logit, moved, accepted


@torch.no_grad()
def mhgan_sample(
    generate: Callable[[int, torch.Generator], Tensor],
    score: Callable[[Tensor], Tensor],
    n_samples: int,
    *,
    n_proposals: int = 640,
    real: Callable[[int, torch.Generator], Tensor] | None = None,
    calibrator: Callable[[Tensor], Tensor] | None = None,
    max_restarts: int = 1,
    batch_size: int = 10_000,
    rng: torch.Generator | int | None = 0,
    device="auto",
) -> MHGANResult:
    """Draw ``n_samples`` with MH-GAN: ``n_samples`` independent chains of K = ``n_proposals``.

    ``real``: draws the chains' initial states (the paper's choice); with ``real=None``
    chains start at a generated sample instead (no restart is then needed).
    ``calibrator``: maps raw logits to calibrated logits (see :func:`fit_calibrator`);
    ``None`` uses the raw discriminator. Chains run ``batch_size`` at a time.
    """
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    if n_proposals < 1:
        raise ValueError(f"n_proposals must be >= 1, got {n_proposals}")
    device = resolve_device(device)
    rng = make_rng(rng, device)

    def score_fn(x):
        logit = score(x).reshape(-1)
        return calibrator(logit) if calibrator is not None else logit

    out = []
    accepted = proposals = restarts = unresolved = 0
    done = 0
    while done < n_samples:
        b = min(batch_size, n_samples - done)
        if real is not None:
            x = real(b, rng).to(device)
        else:
            x = generate(b, rng)
            proposals += b
        logit = score_fn(x)
        x, logit, moved, acc = _run_chains(x, logit, n_proposals, generate, score_fn, rng)
        accepted += acc
        proposals += b * n_proposals
        if real is not None:
            for _ in range(max_restarts):
                stuck = (~moved).nonzero().reshape(-1)
                if stuck.numel() == 0:
                    break
                restarts += stuck.numel()
                x0 = generate(stuck.numel(), rng)
                x_r, _, _, acc = _run_chains(x0, score_fn(x0), n_proposals, generate, score_fn, rng)
                accepted += acc
                proposals += stuck.numel() * (n_proposals + 1)
                x[stuck] = x_r
                moved[stuck] = True
            stuck = (~moved).nonzero().reshape(-1)
            if stuck.numel() > 0:  # never deliver a real sample
                unresolved += stuck.numel()
                x[stuck] = generate(stuck.numel(), rng)
                proposals += stuck.numel()
        out.append(x)
        done += b
    chain_proposals = n_samples * n_proposals + restarts * n_proposals
    return MHGANResult(
        samples=torch.cat(out),
        n_proposals=int(n_proposals),
        acceptance_rate=accepted / max(chain_proposals, 1),
        restarts=int(restarts),
        unresolved=int(unresolved),
        proposals_total=int(proposals),
    )
