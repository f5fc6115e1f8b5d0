"""Discriminator Driven Latent Sampling (DDLS), batched Langevin dynamics in latent space.

Che et al. (2020), "Your GAN is Secretly an Energy-based Model and You Should use
Discriminator Driven Latent Sampling", Theorem 1: with prior p0(z), generator G and
discriminator logit d (D = sigma(d)), define the latent energy

    E(z) = -log p0(z) - d(G(z)),        p_t(z) = exp(-E(z)) / Z.

If z ~ p_t then G(z) ~ p_d* = p_g(x) exp(d(x)) / Z0, which equals the data distribution
when D is optimal. DDLS samples p_t with (unadjusted) Langevin dynamics started at the prior,

    z <- z - (eps / 2) * grad E(z) + sqrt(eps) * n,        n ~ N(0, I).

For the standard normal prior used here, -log p0(z) = |z|^2 / 2 + const, so
grad E(z) = z - grad_z d(G(z)).

Unadjusted Langevin has a step-size bias: with d = 0 and G = identity the chain is the
AR(1) process z <- (1 - eps/2) z + sqrt(eps) n whose stationary variance is
1 / (1 - eps/4), not 1 (tested in tests/test_ddls_mhgan_dot.py).

Callables follow :mod:`drs_lib.drs`: ``score(x) -> (n,)`` logits; the generator here is the
map ``generator(z) -> x`` (DDLS needs the latent, unlike DRS's ``generate(n, rng)``).

This module also holds :class:`EvaluationCounter`, the wrapper that counts forward and
backward evaluations of a callable per sample (used by the cost comparison in notebook 06
and ``benchmarks/bench_methods.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import torch

Tensor = torch.Tensor

__all__ = [
    "EvaluationCounter",
    "DDLSResult",
    "make_rng",
    "latent_energy",
    "langevin_step",
    "ddls_sample",
]


def make_rng(rng: torch.Generator | int | None, device: torch.device | str) -> torch.Generator:
    """A torch.Generator on ``device``: ``rng`` itself, or a fresh one seeded with the int."""
    if isinstance(rng, torch.Generator):
        return rng
    generator = torch.Generator(device=torch.device(device))
    generator.manual_seed(0 if rng is None else int(rng))
    return generator


def _resolve(device) -> torch.device:
    from drs_lib.device import resolve_device

    return resolve_device(device)


class EvaluationCounter:
    """Wrap a callable ``f(x) -> Tensor`` and count what it costs, per sample.

    ``forward`` counts rows passed through ``f`` (a batch of 100 adds 100). ``backward``
    counts rows whose output received a gradient: a hook on the output fires when autograd
    propagates through it, so a Langevin step that differentiates ``d(G(z))`` adds one
    backward evaluation of the discriminator *and* of the generator per chain.
    Counting happens by observing calls, not by formula.
    """

    def __init__(self, fn: Callable[[Tensor], Tensor], name: str = ""):
        self.fn = fn
        self.name = name
        self.forward = 0
        self.backward = 0

    def reset(self) -> None:
        self.forward = 0
        self.backward = 0

    def _count_backward(self, n: int):
        def hook(grad):
            self.backward += n
            return grad

        return hook

    def __call__(self, x: Tensor) -> Tensor:
        out = self.fn(x)
        n = int(x.shape[0])
        self.forward += n
        if out.requires_grad:
            out.register_hook(self._count_backward(n))
        return out

    def __repr__(self) -> str:
        return f"EvaluationCounter({self.name!r}, forward={self.forward}, backward={self.backward})"


def latent_energy(z: Tensor, generator: Callable[[Tensor], Tensor], score: Callable[[Tensor], Tensor]) -> Tensor:
    """E(z) = -log p0(z) - d(G(z)) for the standard normal prior, up to the constant (Theorem 1).

    Returns shape (n,).
    """
    return 0.5 * z.pow(2).sum(dim=1) - score(generator(z)).reshape(-1)


def langevin_step(
    z: Tensor,
    generator: Callable[[Tensor], Tensor],
    score: Callable[[Tensor], Tensor],
    step_size: float,
    rng: torch.Generator,
) -> Tensor:
    """One unadjusted Langevin step z - (eps/2) grad E(z) + sqrt(eps) n (DDLS, Che et al. 2020)."""
    with torch.enable_grad():
        z_var = z.detach().requires_grad_(True)
        energy = latent_energy(z_var, generator, score)
        (grad,) = torch.autograd.grad(energy.sum(), z_var)
    noise = torch.randn(z.shape, generator=rng, device=z.device, dtype=z.dtype)
    return (z.detach() - 0.5 * step_size * grad + math.sqrt(step_size) * noise).detach()


@dataclass
class DDLSResult:
    samples: Tensor  # (n_samples, data_dim): G(z_T)
    latents: Tensor  # (n_samples, latent_dim): z_T
    initial_samples: Tensor | None  # G(z_0) from the same chains (only if keep_initial)
    step_size: float
    n_steps: int
    energy_trace: list[float] = field(default_factory=list)  # mean E(z) per step (if traced)


def ddls_sample(
    generator: Callable[[Tensor], Tensor],
    score: Callable[[Tensor], Tensor],
    n_samples: int,
    latent_dim: int,
    *,
    step_size: float = 0.01,
    n_steps: int = 100,
    batch_size: int = 10_000,
    rng: torch.Generator | int | None = 0,
    device="auto",
    trace_energy: bool = False,
    keep_initial: bool = False,
) -> DDLSResult:
    """Draw ``n_samples`` with DDLS: ``n_steps`` Langevin steps of size ``step_size`` on E(z).

    Chains start from the prior N(0, I) (as in Che et al. 2020) and run in batches of
    ``batch_size`` chains at once; each chain delivers one sample, G(z_T). The cost per
    delivered sample is therefore ``n_steps`` forward + backward passes through G and d
    (plus one forward of G for the output). ``keep_initial`` also returns G(z_0) and
    ``trace_energy`` the mean energy per step; both cost extra evaluations.
    """
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    if n_steps < 0:
        raise ValueError(f"n_steps must be >= 0, got {n_steps}")
    if not step_size > 0:
        raise ValueError(f"step_size must be > 0, got {step_size}")
    device = _resolve(device)
    rng = make_rng(rng, device)
    outs, lats, inits = [], [], []
    trace = torch.zeros(n_steps + 1, dtype=torch.float64) if trace_energy else None
    done = 0
    while done < n_samples:
        b = min(batch_size, n_samples - done)
        z = torch.randn(b, latent_dim, generator=rng, device=device)
        if keep_initial:
            with torch.no_grad():
                inits.append(generator(z))
        if trace is not None:
            with torch.no_grad():
                trace[0] += latent_energy(z, generator, score).sum().double().cpu()
        for t in range(n_steps):
            z = langevin_step(z, generator, score, step_size, rng)
            if trace is not None:
                with torch.no_grad():
                    trace[t + 1] += latent_energy(z, generator, score).sum().double().cpu()
        with torch.no_grad():
            outs.append(generator(z))
        lats.append(z)
        done += b
    return DDLSResult(
        samples=torch.cat(outs),
        latents=torch.cat(lats),
        initial_samples=torch.cat(inits) if keep_initial else None,
        step_size=float(step_size),
        n_steps=int(n_steps),
        energy_trace=(trace / n_samples).tolist() if trace is not None else [],
    )


# --------------------------------------------------------------------------------------------
# Comparing samplers on one trained GAN (notebook 06, benchmarks/bench_methods.py)
# --------------------------------------------------------------------------------------------

#: The methods of notebook 06 and their default settings (``kind`` picks the sampler).
DEFAULT_METHODS: dict[str, dict] = {
    "generator": {"kind": "generator"},
    "DRS": {"kind": "drs", "gamma_percentile": 95.0, "burn_in_samples": 10_000},
    "MH-GAN": {"kind": "mhgan", "n_proposals": 100, "calibration": None},
    "MH-GAN (calibrated)": {"kind": "mhgan", "n_proposals": 100, "calibration": "isotonic", "calibration_samples": 10_000},
    "DOT": {"kind": "dot", "step_size": 0.01, "n_steps": 100, "k_eff_samples": 10_000},
    "DDLS": {"kind": "ddls", "step_size": 0.01, "n_steps": 100},
}


@dataclass
class MethodRun:
    """One sampler run: its samples and what they cost (counted by :class:`EvaluationCounter`)."""

    method: str
    samples: Tensor
    seconds: float
    g_forward: int
    g_backward: int
    d_forward: int
    d_backward: int
    info: dict = field(default_factory=dict)

    def cost_row(self) -> dict:
        n = self.samples.shape[0]
        return {
            "method": self.method,
            "n_samples": n,
            "seconds": self.seconds,
            "seconds_per_10k": self.seconds * 10_000 / n,
            "g_forward_per_sample": self.g_forward / n,
            "g_backward_per_sample": self.g_backward / n,
            "d_forward_per_sample": self.d_forward / n,
            "d_backward_per_sample": self.d_backward / n,
            **self.info,
        }


def method_seed(seed: int, method: str) -> int:
    """A stable per-(seed, method) integer seed, so adding a method changes no other method's draws."""
    import hashlib

    digest = hashlib.sha256(f"drs_lib.compare:{method}:{seed}".encode()).digest()
    return int.from_bytes(digest[:8], "little") & ((1 << 62) - 1)


def run_method(
    name: str,
    spec: dict,
    generator_net: Callable[[Tensor], Tensor],
    discriminator_net: Callable[[Tensor], Tensor],
    sample_real: Callable[[int, torch.Generator], Tensor],
    n_samples: int,
    *,
    latent_dim: int = 2,
    seed: int = 0,
    device="auto",
    batch_size: int = 10_000,
) -> MethodRun:
    """Run one sampler (``spec["kind"]`` in generator, drs, mhgan, dot, ddls) for ``n_samples``.

    G and D are wrapped in :class:`EvaluationCounter` for the whole run, set-up included
    (BurnIn, calibration set, K_eff pairs), and the run is timed end to end.
    """
    import time

    from drs_lib import drs as drs_module
    from drs_lib.dot import dot_sample
    from drs_lib.mhgan import fit_calibrator, mhgan_sample

    device = _resolve(device)
    kind = spec.get("kind")
    opts = {k: v for k, v in spec.items() if k != "kind"}
    g = EvaluationCounter(generator_net, "G")
    d = EvaluationCounter(lambda x: discriminator_net(x).reshape(-1), "D")
    s = method_seed(seed, name)
    rng = make_rng(s, device)

    def generate(n: int, r: torch.Generator) -> Tensor:
        with torch.no_grad():
            return g(torch.randn(n, latent_dim, generator=r, device=r.device))

    def score(x: Tensor) -> Tensor:
        with torch.no_grad():
            return d(x)

    def real(n: int, r: torch.Generator) -> Tensor:
        return sample_real(n, r).to(device)

    info: dict = {}
    if kind == "mhgan" and opts.get("calibration") is not None:
        import sklearn.isotonic  # noqa: F401  (a one-off import of seconds is not a per-sample cost)
        import sklearn.linear_model  # noqa: F401
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    if kind == "generator":
        samples = torch.cat([generate(min(batch_size, n_samples - i), rng) for i in range(0, n_samples, batch_size)])
    elif kind == "drs":
        res = drs_module.drs_sample(generate, score, n_samples, seed=s, device=device, batch_size=batch_size, **opts)
        samples = res.samples
        info = {"acceptance_rate": res.acceptance_rate}
    elif kind == "mhgan":
        calibration = opts.pop("calibration", None)
        n_cal = opts.pop("calibration_samples", 10_000)
        calibrator = None
        if calibration is not None:
            calibrator = fit_calibrator(score(real(n_cal, rng)), score(generate(n_cal, rng)), calibration)
        res = mhgan_sample(generate, score, n_samples, real=real, calibrator=calibrator, rng=rng, device=device,
                           batch_size=batch_size, **opts)
        samples = res.samples
        info = {"acceptance_rate": res.acceptance_rate, "restarts": res.restarts}
    elif kind == "dot":
        res = dot_sample(generate, d, n_samples, rng=rng, device=device, batch_size=batch_size, **opts)
        samples = res.samples
        info = {"k_eff": res.k_eff}
    elif kind == "ddls":
        res = ddls_sample(g, d, n_samples, latent_dim, rng=rng, device=device, batch_size=batch_size, **opts)
        samples = res.samples
    else:
        raise ValueError(f"method {name!r}: kind must be one of generator, drs, mhgan, dot, ddls; got {kind!r}")
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    return MethodRun(name, samples.detach(), seconds, g.forward, g.backward, d.forward, d.backward, info)
