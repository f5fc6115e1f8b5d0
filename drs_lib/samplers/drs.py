"""Discriminator Rejection Sampling (Azadi et al., ICLR 2019), equations 3-8 and Figure 1 (right).

Notation follows the paper: D(x) = σ(D̃(x)) is the discriminator (eq. 4), D̃ its logit,
D̃_M the largest logit (the log of M = max p_d/p_g), F and F̂ the sigmoid inputs of eq. 7 and 8.

All functions are batched over a leading axis and run on whatever device their inputs live on.
The scalar maths is done in float64 so that no logit in [-1e4, 1e4] gives NaN or inf.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from drs_lib.checks import check_float, check_fraction, check_int, check_percentile
from drs_lib.device import resolve_device

#: ε of eq. 8: keeps F̂ finite when D̃(x) reaches D̃_M.
EPSILON = 1e-6
_LOG_HALF = -math.log(2.0)
# Smallest gap to D̃_M that eq. 7 can resolve in float64 (σ(F) = 1 − 2e-16 there).
_TINY = torch.finfo(torch.float64).eps

#: Proposals are a tensor, or a tuple of tensors sharing the leading (sample) axis, e.g.
#: ``(images, labels)`` for a class-conditional GAN; accepted ones are indexed and concatenated
#: element-wise.
Proposals = Tensor | tuple[Tensor, ...]
Generate = Callable[[int, torch.Generator], Proposals]
Score = Callable[[Proposals], Tensor]
#: ``round_maxima(largest logit of this batch)`` -> the largest logits of the round of batches this
#: one belongs to, in batch order, and this batch's position among them (see :func:`_judged`).
RoundMaxima = Callable[[float], tuple[Sequence[float], int]]


def _as_float64(values: Tensor | float) -> Tensor:
    return torch.as_tensor(values).to(torch.float64)


def _log1mexp(b: Tensor) -> Tensor:
    """log(1 − exp(b)) for b < 0, accurate over the whole range (Mächler, 2012)."""
    return torch.where(b > _LOG_HALF, torch.log(-torch.expm1(b)), torch.log1p(-torch.exp(b)))


def density_ratio(logit: Tensor) -> Tensor:
    """Eq. 5: p_d(x)/p_g(x) = exp(D̃*(x)) for the optimal discriminator's logit."""
    return torch.exp(_as_float64(logit))


def ideal_acceptance_probability(logit: Tensor, d_max: float | Tensor) -> Tensor:
    """Section 3.1: p_d(x) / (M p_g(x)) = exp(D̃(x) − D̃_M), capped at 1.

    A logit above ``d_max`` (possible when D̃_M is an estimate) is accepted with probability 1.
    """
    gap = _as_float64(logit) - _as_float64(d_max)
    return torch.exp(torch.clamp(gap, max=0.0))


def F(logit: Tensor, d_max: float | Tensor) -> Tensor:
    """Eq. 7: F(x) = D̃(x) − D̃_M − log(1 − exp(D̃(x) − D̃_M)), so that σ(F(x)) = exp(D̃(x) − D̃_M) (eq. 6).

    F is +∞ at D̃(x) = D̃_M exactly; here the gap is floored at the float64 resolution, which
    gives F ≈ 36 and σ(F) = 1 − 2e-16 there. Logits above ``d_max`` are treated as equal to it.
    """
    gap = torch.clamp(_as_float64(logit) - _as_float64(d_max), max=0.0)
    return gap - _log1mexp(torch.clamp(gap, max=-_TINY))


def F_hat(logit: Tensor, d_max: float | Tensor, gamma: float | Tensor = 0.0, epsilon: float = EPSILON) -> Tensor:
    """Eq. 8: F̂(x) = D̃(x) − D̃_M − log(1 − exp(D̃(x) − D̃_M − ε)) − γ.

    ε keeps F̂ finite as D̃(x) → D̃_M; γ shifts every acceptance logit (very positive γ rejects
    everything, very negative accepts everything). Logits above ``d_max`` are treated as equal to it.
    """
    if epsilon < 0:
        raise ValueError(f"epsilon must be >= 0; got {epsilon}")
    gap = torch.clamp(_as_float64(logit) - _as_float64(d_max), max=0.0)
    return gap - _log1mexp(torch.clamp(gap - epsilon, max=-_TINY)) - _as_float64(gamma)


def acceptance_probability(
    logit: Tensor, d_max: float | Tensor, gamma: float | Tensor = 0.0, epsilon: float = EPSILON
) -> Tensor:
    """DRS acceptance probability σ(F̂(x)) (eq. 8 through the sigmoid of eq. 6)."""
    return torch.sigmoid(F_hat(logit, d_max, gamma, epsilon))


def gamma_for_percentile(F_values: Tensor, percentile: float) -> Tensor:
    """γ as the given percentile (0..100) of F over a batch (Sec. 4.1: 95th; Sec. 4.2: 80th).

    With γ at the p-th percentile, the batch's samples above that percentile get F̂ > 0, i.e.
    an acceptance probability above 1/2.
    """
    q = check_percentile("percentile", percentile) / 100.0
    values = _as_float64(F_values).reshape(-1)
    if values.numel() == 0:
        raise ValueError("gamma_for_percentile needs at least one F value")
    return _linear_quantile(values, q)


def _linear_quantile(values: Tensor, q: float) -> Tensor:
    """``torch.quantile(values, q)`` (linear interpolation, NumPy's default) by two O(n) selections.

    torch.quantile sorts the whole batch; on the sampler's hot path that sort was the largest
    cost after the networks themselves.
    """
    position = q * (values.numel() - 1)
    below = math.floor(position)
    above = min(below + 1, values.numel() - 1)
    low = torch.kthvalue(values, below + 1).values
    high = torch.kthvalue(values, above + 1).values if above != below else low
    return low + (high - low) * (position - below)


def latent_proposals(generator: Callable[[Tensor], Tensor], latent_dim: int) -> Generate:
    """Wrap a generator network as a proposal sampler: z ~ N(0, I_latent_dim), x = G(z)."""

    def generate(n: int, rng: torch.Generator) -> Tensor:
        z = torch.randn(n, latent_dim, generator=rng, device=rng.device)
        return generator(z)

    return generate


@torch.no_grad()
def burn_in_logits(generate: Generate, score: Score, n_samples: int = 10_000, batch_size: int = 10_000,
                   rng: torch.Generator | None = None) -> Tensor:
    """The logits D̃(x) of the ``n_samples`` BurnIn proposals of Figure 1 (right), shape (n_samples,).

    Their maximum is the D̃_M estimate (:func:`burn_in`); the rest describe the logit
    distribution (e.g. how far D̃_M lies above the bulk, which sets the γ = 0 acceptance rate).
    """
    check_int("n_samples", n_samples, 1)
    check_int("batch_size", batch_size, 1)
    rng = rng if rng is not None else torch.Generator().manual_seed(0)
    logits = []
    remaining = n_samples
    while remaining > 0:
        n = min(batch_size, remaining)
        logits.append(score(generate(n, rng)).reshape(-1))
        remaining -= n
    return torch.cat(logits)


@torch.no_grad()
def burn_in(generate: Generate, score: Score, n_samples: int = 10_000, batch_size: int = 10_000,
            rng: torch.Generator | None = None) -> float:
    """BurnIn of Figure 1 (right): estimate D̃_M as the largest logit over ``n_samples`` generated samples."""
    return float(burn_in_logits(generate, score, n_samples, batch_size, rng).max())


@dataclass(frozen=True)
class DRSResult:
    """Output of :func:`drs_sample`: exactly ``n_samples`` accepted samples plus diagnostics."""

    samples: Proposals  #: a tensor, or a tuple of tensors when the proposals are tuples
    logits: Tensor  #: D̃ of the accepted samples
    proposals: int  #: proposals drawn in the sampling phase (burn-in not counted)
    proposals_used: int  #: proposals up to and including the last returned sample
    acceptance_rate: float  #: accepted / drawn over all proposals of the sampling phase
    d_max_initial: float  #: D̃_M after BurnIn
    d_max_final: float  #: D̃_M at the end, after running updates
    max_updates: int  #: how many batches raised D̃_M
    max_increase: float  #: total rise of D̃_M while sampling
    gammas: Tensor  #: γ used for each batch
    burn_in_samples: int


@dataclass(frozen=True)
class ThresholdResult:
    """Output of :func:`threshold_sample` (the ablation's hard-threshold baseline)."""

    samples: Tensor
    logits: Tensor
    threshold: float
    proposals: int
    proposals_used: int
    acceptance_rate: float


def _take(proposals: Proposals, positions: Tensor) -> Proposals:
    if isinstance(proposals, tuple):
        return tuple(part[positions] for part in proposals)
    return proposals[positions]


def _concat(chunks: list[Proposals]) -> Proposals:
    if isinstance(chunks[0], tuple):
        return tuple(torch.cat(parts) for parts in zip(*chunks))
    return torch.cat(chunks)


def _up_to(positions: Tensor, needed: int, drawn: int) -> tuple[Tensor, int | None]:
    """A batch's accepted positions cut at the ``needed``-th, and the proposals used up to it (``None``: not reached)."""
    if positions.numel() < needed:
        return positions, None
    return positions[:needed], drawn + int(positions[needed - 1]) + 1


@dataclass(frozen=True)
class DRSBatch:
    """One batch of :func:`drs_batches`: every proposal, its logit and the accept decision."""

    proposals: Proposals
    logits: Tensor  #: D̃ of every proposal in the batch, shape (batch_size,)
    keep: Tensor  #: bool mask of the accepted proposals
    gamma: Tensor  #: γ used for this batch (float64 scalar)
    d_max: float  #: D̃_M the batch was judged against (after this batch's update)
    max_updates: int  #: batches so far that raised D̃_M
    max_increase: float  #: total rise of D̃_M so far
    d_max_before: float  #: D̃_M before this batch's update (``d_max`` when the batch did not raise it)


@torch.no_grad()
def drs_batches(
    generate: Generate,
    score: Score,
    *,
    d_max: float,
    rng: torch.Generator,
    gamma_percentile: float | None = 95.0,
    epsilon: float = EPSILON,
    batch_size: int = 10_000,
    update_max: bool = True,
) -> Iterator[DRSBatch]:
    """The sampling phase of DRS (Figure 1, right) as an endless stream of judged batches.

    Per batch of ``batch_size`` proposals: raise D̃_M to the batch's largest logit if it is larger
    (``update_max``), set γ to the ``gamma_percentile``-th percentile of F̂ over the batch (``None``:
    γ = 0), and accept x when ψ < σ(F̂(x) − γ) (eq. 8) with ψ ~ U(0, 1) drawn from ``rng``, which
    must live on the device of the logits. It is the one sampling loop, :func:`_judged`, with
    ``rng`` for every batch. :func:`drs_sample` is this stream after a BurnIn, consumed until it
    has accepted enough; a consumer that needs bounded memory (e.g. writing samples to disk)
    reads it directly.
    """
    check_int("batch_size", batch_size, 1)
    if gamma_percentile is not None:
        check_percentile("gamma_percentile", gamma_percentile)
    check_float("epsilon", epsilon, minimum=0.0)
    return _judged(generate, score, float(d_max), itertools.repeat(rng), gamma_percentile, epsilon, batch_size, update_max)


def judge(logits: Tensor, d_max: float, rng: torch.Generator, gamma_percentile: float | None,
          epsilon: float = EPSILON) -> tuple[Tensor, Tensor]:
    """One batch's accept decisions against a given D̃_M: ``(keep mask, γ)``.

    γ is the ``gamma_percentile``-th percentile of F̂ (eq. 8 with γ = 0) over the batch (``None``:
    γ = 0), and x is kept when ψ < σ(F̂(x) − γ) with ψ ~ U(0, 1) drawn (float64) from ``rng``.
    The step :func:`_judged`, the one sampling loop, applies to every batch (serial or numbered
    across processes); the γ explorer of the book applies it to one pool.
    """
    f = F_hat(logits, d_max, 0.0, epsilon)
    gamma = gamma_for_percentile(f, gamma_percentile) if gamma_percentile is not None else f.new_zeros(())
    psi = torch.rand(logits.shape, generator=rng, device=logits.device, dtype=torch.float64)
    return psi < torch.sigmoid(f - gamma), gamma


def _alone(batch_max: float) -> tuple[list[float], int]:
    """A serial run's round of batches: this batch alone."""
    return [batch_max], 0


@torch.no_grad()
def _judged(generate: Generate, score: Score, d_max: float, rngs: Iterable[torch.Generator],
            gamma_percentile: float | None, epsilon: float, batch_size: int, update_max: bool,
            round_maxima: RoundMaxima = _alone) -> Iterator[DRSBatch]:
    """The one loop that draws and judges batches: the sampling phase of Figure 1 (right), eq. 8.

    Every DRS path consumes it: :func:`drs_batches` (so :func:`drs_sample` and ``DRS.sample`` /
    ``stream``) with one generator repeated, :func:`drs_lib.api.distributed.numbered_batches` (so
    ``sample_to_folder``) with a generator seeded per numbered batch. Batch i draws its proposals
    from the i-th generator of ``rngs``, is scored, and is judged by :func:`judge` (ψ from the
    same generator) against D̃_M raised, with ``update_max``, to the largest logit so far.
    ``round_maxima`` gives the batch maxima of this batch's round in batch order: serially the
    batch alone; over W processes the W batches of a round, all-gathered, so that each is judged
    against the running maximum up to itself and every process carries the same D̃_M on.
    """
    updates, increase = 0, 0.0
    for rng in rngs:
        x = generate(batch_size, rng)
        logits = score(x).reshape(-1)
        before = judged_at = d_max
        if update_max:
            maxima, position = round_maxima(float(logits.max()))
            levels = list(itertools.accumulate(maxima, max, initial=d_max))  # D̃_M before the round, after each batch
            before, judged_at, d_max = levels[position], levels[position + 1], levels[-1]
            for low, high in zip(levels, levels[1:]):
                if high > low:
                    updates += 1
                    increase += high - low
        keep, gamma = judge(logits, judged_at, rng, gamma_percentile, epsilon)
        yield DRSBatch(x, logits, keep, gamma, judged_at, updates, increase, before)


@torch.no_grad()
def drs_sample(
    generate: Generate,
    score: Score,
    n_samples: int,
    *,
    burn_in_samples: int = 10_000,
    d_max: float | None = None,
    gamma_percentile: float | None = 95.0,
    epsilon: float = EPSILON,
    batch_size: int = 10_000,
    update_max: bool = True,
    max_proposals: int | None = None,
    seed: int = 0,
    device: str | torch.device = "auto",
) -> DRSResult:
    """Discriminator Rejection Sampling, Figure 1 (right), batched.

    1. BurnIn: D̃_M = the largest logit over ``burn_in_samples`` proposals (skipped if ``d_max`` is given).
    2. Per batch of ``batch_size`` proposals: raise D̃_M to the batch's largest logit if it is
       larger (``update_max``), set γ to the ``gamma_percentile``-th percentile of F over the batch
       (``None``: γ = 0, the idealized scheme), and accept x when ψ < σ(F̂(x)) with ψ ~ U(0, 1).
    3. Stop at exactly ``n_samples`` acceptances (in proposal order).

    The paper updates D̃_M sample by sample; updating it once per batch, before the batch is
    judged, means every sample in a batch is judged against the same, slightly larger, D̃_M.

    ``generate(n, rng)`` returns n proposals on the device of ``rng``; ``score(x)`` returns D̃(x).
    The same ``seed`` (on the same device) gives the same samples.
    """
    check_int("n_samples", n_samples, 1)
    check_int("batch_size", batch_size, 1)
    check_int("burn_in_samples", burn_in_samples, 1)
    if max_proposals is not None:
        check_int("max_proposals", max_proposals, 1)
    if gamma_percentile is not None:
        check_percentile("gamma_percentile", gamma_percentile)
    dev = resolve_device(device)
    rng = torch.Generator(device=dev).manual_seed(seed)
    d_max_initial = burn_in(generate, score, burn_in_samples, batch_size, rng) if d_max is None else float(d_max)
    kept: list[Proposals] = []
    kept_logits: list[Tensor] = []
    gammas: list[Tensor] = []
    n_kept = drawn = accepted = 0
    for batch in drs_batches(generate, score, d_max=d_max_initial, rng=rng, gamma_percentile=gamma_percentile,
                             epsilon=epsilon, batch_size=batch_size, update_max=update_max):
        positions = torch.nonzero(batch.keep).reshape(-1)
        accepted += positions.numel()
        positions, used = _up_to(positions, n_samples - n_kept, drawn)
        kept.append(_take(batch.proposals, positions))
        kept_logits.append(batch.logits[positions])
        gammas.append(batch.gamma)
        n_kept += positions.numel()
        drawn += batch_size
        if n_kept == n_samples:
            break
        _check_budget(n_kept, n_samples, drawn, max_proposals)
    return DRSResult(
        samples=_concat(kept),
        logits=torch.cat(kept_logits),
        proposals=drawn,
        proposals_used=used,
        acceptance_rate=accepted / drawn,
        d_max_initial=d_max_initial,
        d_max_final=batch.d_max,
        max_updates=batch.max_updates,
        max_increase=batch.max_increase,
        gammas=torch.stack(gammas).cpu(),
        burn_in_samples=0 if d_max is not None else burn_in_samples,
    )


def _check_budget(n_kept: int, n_samples: int, drawn: int, max_proposals: int | None) -> None:
    """Before the next batch: stop once ``max_proposals`` proposals were drawn without finishing."""
    if max_proposals is not None and drawn >= max_proposals:
        raise RuntimeError(
            f"only {n_kept} of {n_samples} samples accepted after {drawn} proposals (max_proposals="
            f"{max_proposals}); the acceptance rate is too low for this request"
        )


@torch.no_grad()
def threshold_sample(
    generate: Generate,
    score: Score,
    n_samples: int,
    *,
    acceptance_rate: float,
    burn_in_samples: int = 10_000,
    batch_size: int = 10_000,
    max_proposals: int | None = None,
    seed: int = 0,
    device: str | torch.device = "auto",
) -> ThresholdResult:
    """Hard thresholding (Appendix A's "Threshold" baseline and footnote 1): keep x iff D̃(x) ≥ T.

    T is the (1 − ``acceptance_rate``) quantile of the logits of ``burn_in_samples`` proposals, so
    that the realized acceptance rate matches the one asked for (e.g. DRS's) up to sampling noise.
    """
    check_int("n_samples", n_samples, 1)
    check_int("batch_size", batch_size, 1)
    check_int("burn_in_samples", burn_in_samples, 1)
    if max_proposals is not None:
        check_int("max_proposals", max_proposals, 1)
    check_fraction("acceptance_rate", acceptance_rate)
    dev = resolve_device(device)
    rng = torch.Generator(device=dev).manual_seed(seed)
    calibration = torch.cat([
        score(generate(min(batch_size, burn_in_samples - start), rng)).reshape(-1).to(torch.float64)
        for start in range(0, burn_in_samples, batch_size)
    ])
    threshold = float(torch.quantile(calibration, 1.0 - float(acceptance_rate)))
    kept: list[Proposals] = []
    kept_logits: list[Tensor] = []
    n_kept = drawn = accepted = 0
    used = None
    while used is None:
        _check_budget(n_kept, n_samples, drawn, max_proposals)
        x = generate(batch_size, rng)
        logits = score(x).reshape(-1)
        positions = torch.nonzero(logits >= threshold).reshape(-1)
        accepted += positions.numel()
        positions, used = _up_to(positions, n_samples - n_kept, drawn)
        kept.append(_take(x, positions))
        kept_logits.append(logits[positions])
        n_kept += positions.numel()
        drawn += batch_size
    return ThresholdResult(samples=_concat(kept), logits=torch.cat(kept_logits), threshold=threshold, proposals=drawn,
                           proposals_used=used, acceptance_rate=accepted / drawn)
