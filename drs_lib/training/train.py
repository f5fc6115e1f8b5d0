"""2D GAN training for the toy experiments, S seeds at once, and the helpers training shares.

* :func:`train_gan`: non-saturating GAN (Sec. 2.1), Adam, one D step then one G step per
  iteration, for S seeds stacked into one batched computation (:class:`~drs_lib.nets.models.StackedMLP`).
* :func:`sample_generators`: unfiltered samples of every stacked generator, from per-seed streams.
* :func:`seed_generator`: the per-(seed, purpose) CPU random streams; :func:`check_seeds`,
  :func:`check_betas`, :func:`check_positive`, :func:`step_chunks` and :func:`bce_logits` are the
  small pieces that KeepTraining (:mod:`drs_lib.training.keep_training`) shares with GAN training.

The paper's KeepTraining lives in :mod:`drs_lib.training.keep_training`; the cached entry points (configs
as cache keys, load-or-train) in :mod:`drs_book.cached_training`.

Random streams. Seed s owns one CPU ``torch.Generator`` per purpose
(:func:`seed_generator`): the GAN stream initialises G_s, then D_s, then draws every batch
(real samples, then z for the D step, then z for the G step, ``chunk_steps`` steps at a time).
Nothing model s draws depends on the other seeds, and the loss is a sum of per-seed means, so
seed s trained inside a stack follows the same trajectory as seed s trained alone, up to float
rounding (``tests/test_train.py`` checks it). Batches are drawn on the CPU and moved to the
device, so a seed's data are the same on every device.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as nnf
from torch import Tensor

from drs_lib.device import resolve_device
from drs_lib.nets.models import StackedMLP, discriminator_sizes, generator_sizes
from drs_lib.checks import check_int

Sampler = Callable[[int, torch.Generator], Tensor]

#: Defaults of :func:`train_gan` (also what :func:`drs_book.cached_training.gan_config` fills in).
GAN_DEFAULTS: dict[str, Any] = {
    "steps": 5000,
    "batch_size": 256,
    "lr_g": 1e-4,
    "lr_d": 1e-4,
    "betas": [0.5, 0.999],
    "hidden": 128,
    "n_layers": 4,
    "latent_dim": 2,
    "data_dim": 2,
    "chunk_steps": 50,
    "checkpoints": [],
    "d_steps": 1,
    "lr_final_fraction": 1.0,
}


def seed_generator(seed: int, purpose: str) -> torch.Generator:
    """A CPU generator for (seed, purpose); different purposes give unrelated streams."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an integer; got {seed!r}")
    digest = hashlib.sha256(f"drs_lib:{purpose}:{seed}".encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "little") & ((1 << 63) - 1))


def check_positive(name: str, value: object) -> float:
    """A number > 0 (bools refused), as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{name} must be a number > 0; got {value!r}")
    return float(value)


def check_betas(betas: Sequence[float]) -> tuple[float, float]:
    """Adam's two betas, each in [0, 1)."""
    if len(betas) != 2 or not all(0.0 <= float(b) < 1.0 for b in betas):
        raise ValueError(f"betas must be two numbers in [0, 1); got {betas!r}")
    return float(betas[0]), float(betas[1])


def check_seeds(seeds: Sequence[int]) -> list[int]:
    """At least one seed, all integers (bools refused), all distinct; as a list."""
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, int):
            raise ValueError(f"seeds must be integers; got {s!r}")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct; got {seeds}")
    return seeds


def step_chunks(total: int, chunk: int):
    """(steps done, steps in this chunk) for ``total`` steps drawn ``chunk`` at a time."""
    done = 0
    while done < total:
        n = min(chunk, total - done)
        yield done, n
        done += n


def bce_logits(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """Per-model discriminator loss: mean −log σ(D̃(real)) + mean −log(1 − σ(D̃(fake))); shape (S,)."""
    return nnf.softplus(-real_logits).flatten(1).mean(1) + nnf.softplus(fake_logits).flatten(1).mean(1)


# --------------------------------------------------------------------------------------------
# GAN training
# --------------------------------------------------------------------------------------------


@dataclass
class GANTraining:
    """S trained GANs (stacked) with optional snapshots and a loss history."""

    seeds: list[int]
    generator: StackedMLP
    discriminator: StackedMLP
    latent_dim: int
    steps: int
    checkpoints: dict[int, dict[str, dict[str, Tensor]]] = field(default_factory=dict)
    history: dict[str, Tensor] = field(default_factory=dict)
    seconds: float = 0.0

    def at(self, step: int) -> tuple[StackedMLP, StackedMLP]:
        """(generator, discriminator) stacks after ``step`` iterations (a checkpoint or the end)."""
        if step == self.steps:
            return self.generator, self.discriminator
        if step not in self.checkpoints:
            raise KeyError(f"no snapshot at step {step}; available: {sorted(self.checkpoints) + [self.steps]}")
        snap = self.checkpoints[step]
        return (StackedMLP.from_state(self.generator.sizes, snap["generator"]).to(self.generator.weights[0].device),
                StackedMLP.from_state(self.discriminator.sizes, snap["discriminator"]).to(self.generator.weights[0].device))

    def to_payload(self) -> dict:
        return {
            "seeds": list(self.seeds),
            "generator_sizes": list(self.generator.sizes),
            "discriminator_sizes": list(self.discriminator.sizes),
            "latent_dim": self.latent_dim,
            "steps": self.steps,
            "generator": {k: v.detach().cpu() for k, v in self.generator.state_dict().items()},
            "discriminator": {k: v.detach().cpu() for k, v in self.discriminator.state_dict().items()},
            "checkpoints": {str(k): v for k, v in self.checkpoints.items()},
            "history": dict(self.history),
            "seconds": float(self.seconds),
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any], device: str | torch.device = "cpu") -> "GANTraining":
        dev = resolve_device(device)
        return cls(
            seeds=list(payload["seeds"]),
            generator=StackedMLP.from_state(payload["generator_sizes"], payload["generator"]).to(dev),
            discriminator=StackedMLP.from_state(payload["discriminator_sizes"], payload["discriminator"]).to(dev),
            latent_dim=int(payload["latent_dim"]),
            steps=int(payload["steps"]),
            checkpoints={int(k): v for k, v in payload["checkpoints"].items()},
            history=dict(payload["history"]),
            seconds=float(payload.get("seconds", 0.0)),
        )


def train_gan(
    sample_real: Sampler,
    seeds: Sequence[int],
    *,
    steps: int = GAN_DEFAULTS["steps"],
    batch_size: int = GAN_DEFAULTS["batch_size"],
    lr_g: float = GAN_DEFAULTS["lr_g"],
    lr_d: float = GAN_DEFAULTS["lr_d"],
    betas: Sequence[float] = tuple(GAN_DEFAULTS["betas"]),
    hidden: int = GAN_DEFAULTS["hidden"],
    n_layers: int = GAN_DEFAULTS["n_layers"],
    latent_dim: int = GAN_DEFAULTS["latent_dim"],
    data_dim: int = GAN_DEFAULTS["data_dim"],
    chunk_steps: int = GAN_DEFAULTS["chunk_steps"],
    checkpoints: Sequence[int] = (),
    d_steps: int = GAN_DEFAULTS["d_steps"],
    lr_final_fraction: float = GAN_DEFAULTS["lr_final_fraction"],
    log_every: int = 100,
    device: str | torch.device = "cpu",
) -> GANTraining:
    """Train one GAN per seed, all seeds as one batched computation.

    Non-saturating loss: L_D = −E log D(x) − E log(1 − D(G(z))), L_G = −E log D(G(z)), with
    D = σ(D̃). Each iteration: one Adam step on D (fresh real batch, fresh z), then one on G
    (fresh z). ``checkpoints``: iteration counts (< ``steps``) at which to keep a copy of every
    model. ``sample_real(n, rng)`` draws real data (any data set, e.g. the Swiss roll).

    ``d_steps``: discriminator steps per generator step (each on a fresh real batch and fresh z).
    ``lr_final_fraction``: both learning rates decay linearly from their value at iteration 0 to
    this fraction of it at iteration ``steps`` (1.0: constant, the default).
    """
    seeds = check_seeds(seeds)
    steps = check_int("steps", steps, 1)
    batch_size = check_int("batch_size", batch_size, 1)
    chunk_steps = check_int("chunk_steps", chunk_steps, 1)
    log_every = check_int("log_every", log_every, 1)
    d_steps = check_int("d_steps", d_steps, 1)
    if isinstance(lr_final_fraction, bool) or not isinstance(lr_final_fraction, (int, float)) \
            or not 0.0 < lr_final_fraction <= 1.0:
        raise ValueError(f"lr_final_fraction must be a number in (0, 1]; got {lr_final_fraction!r}")
    lr_g, lr_d = check_positive("lr_g", lr_g), check_positive("lr_d", lr_d)
    betas = check_betas(betas)
    checkpoints = sorted({check_int("checkpoint", int(c) if not isinstance(c, bool) else c, 1) for c in checkpoints})
    if checkpoints and checkpoints[-1] > steps:
        raise ValueError(f"checkpoints must be <= steps={steps}; got {checkpoints}")
    dev = resolve_device(device)
    start = time.perf_counter()

    rngs = [seed_generator(s, "gan") for s in seeds]
    generator = StackedMLP(generator_sizes(latent_dim, data_dim, hidden, n_layers), rngs).to(dev)
    discriminator = StackedMLP(discriminator_sizes(data_dim, hidden, n_layers), rngs).to(dev)
    opt_g = torch.optim.Adam(generator.parameters(), lr=lr_g, betas=betas)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr_d, betas=betas)
    n_seeds = len(seeds)

    snapshots: dict[int, dict[str, dict[str, Tensor]]] = {}
    log_steps: list[int] = []
    log_d: list[Tensor] = []
    log_g: list[Tensor] = []
    sum_d = torch.zeros(n_seeds, device=dev)
    sum_g = torch.zeros(n_seeds, device=dev)
    count = 0
    step = 0
    for _, n in step_chunks(steps, chunk_steps):
        real, z_d, z_g = [], [], []
        n_d = n * d_steps
        for rng in rngs:
            real.append(sample_real(n_d * batch_size, rng).reshape(n_d, batch_size, data_dim))
            z_d.append(torch.randn(n_d, batch_size, latent_dim, generator=rng))
            z_g.append(torch.randn(n, batch_size, latent_dim, generator=rng))
        real_t = torch.stack(real, 1).to(dev)  # (n * d_steps, S, B, data_dim)
        z_d_t = torch.stack(z_d, 1).to(dev)
        z_g_t = torch.stack(z_g, 1).to(dev)
        for i in range(n):
            if lr_final_fraction != 1.0:
                factor = 1.0 - (1.0 - lr_final_fraction) * step / steps
                for group in opt_d.param_groups:
                    group["lr"] = lr_d * factor
                for group in opt_g.param_groups:
                    group["lr"] = lr_g * factor
            # Discriminator step(s).
            for j in range(i * d_steps, (i + 1) * d_steps):
                with torch.no_grad():
                    fake = generator(z_d_t[j])
                loss_d = bce_logits(discriminator(real_t[j]), discriminator(fake))
                opt_d.zero_grad(set_to_none=True)
                loss_d.sum().backward()
                opt_d.step()
            # Generator step (non-saturating); D's parameters get no gradient.
            discriminator.requires_grad_(False)
            loss_g = nnf.softplus(-discriminator(generator(z_g_t[i]))).flatten(1).mean(1)
            opt_g.zero_grad(set_to_none=True)
            loss_g.sum().backward()
            opt_g.step()
            discriminator.requires_grad_(True)
            step += 1
            sum_d += loss_d.detach()
            sum_g += loss_g.detach()
            count += 1
            if step % log_every == 0 or step == steps:
                log_steps.append(step)
                log_d.append((sum_d / count).cpu())
                log_g.append((sum_g / count).cpu())
                sum_d.zero_()
                sum_g.zero_()
                count = 0
            if step in checkpoints and step != steps:
                snapshots[step] = {
                    "generator": {k: v.detach().cpu().clone() for k, v in generator.state_dict().items()},
                    "discriminator": {k: v.detach().cpu().clone() for k, v in discriminator.state_dict().items()},
                }
    history = {
        "step": torch.tensor(log_steps),
        "loss_d": torch.stack(log_d),
        "loss_g": torch.stack(log_g),
    }
    return GANTraining(seeds=seeds, generator=generator, discriminator=discriminator, latent_dim=latent_dim,
                       steps=steps, checkpoints=snapshots, history=history, seconds=time.perf_counter() - start)


# --------------------------------------------------------------------------------------------
# Helpers shared by the 25-Gaussian notebooks (02, 03, 06 and the regime sweep)
# --------------------------------------------------------------------------------------------


@torch.no_grad()
def sample_generators(generator: StackedMLP, n: int, seeds: Sequence[int], purpose: str = "unfiltered") -> Tensor:
    """n unfiltered samples from each stacked generator, (S, n, data_dim); z from (seed, purpose) streams."""
    n = check_int("n", n, 1)
    seeds = check_seeds(seeds)
    latent_dim = generator.sizes[0]
    z = torch.stack([torch.randn(n, latent_dim, generator=seed_generator(s, purpose)) for s in seeds])
    return generator(z.to(generator.weights[0].device))


__all__ = [
    "GANTraining",
    "GAN_DEFAULTS",
    "Sampler",
    "bce_logits",
    "check_betas",
    "check_positive",
    "check_seeds",
    "sample_generators",
    "seed_generator",
    "step_chunks",
    "train_gan",
]
