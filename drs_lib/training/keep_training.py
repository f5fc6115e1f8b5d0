"""The paper's KeepTraining: train the discriminator further with the generator fixed.

* :func:`keep_training_discriminator`: KeepTraining of Figure 1 (right): G fixed, D trained on
  fresh real and fake samples, early stopping on a held-out validation set, per seed, for the
  stacked 2D GANs of :func:`drs_lib.training.train.train_gan`.
* :func:`fit_discriminator`: the same for one ordinary discriminator module and any two
  samplers (e.g. 1D toy problems, or :class:`drs_lib.api.DRS`'s ``fine_tune``).

Random streams as in :mod:`drs_lib.training.train`: seed s draws from ``seed_generator(s, "keep_training")``
(``fit_discriminator``: ``seed_generator(seed, "fit_discriminator")``).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as nnf
from torch import Tensor, nn

from drs_lib.device import resolve_device
from drs_lib.nets.models import StackedMLP
from drs_lib.checks import check_int
from drs_lib.training.train import Sampler, bce_logits, check_betas, check_positive, check_seeds, seed_generator, step_chunks

#: Defaults of :func:`keep_training_discriminator` (also what :func:`drs_book.cached_training.keep_training_config` fills in).
KEEP_TRAINING_DEFAULTS: dict[str, Any] = {
    "max_steps": 5000,
    "batch_size": 256,
    "lr": 1e-4,
    "betas": [0.5, 0.999],
    "validation_size": 10_000,
    "eval_every": 100,
    "patience": 5,
    "chunk_steps": 50,
}


@dataclass
class KeepTraining:
    """Result of :func:`keep_training_discriminator`: the best discriminator per seed."""

    discriminator: StackedMLP
    best_step: Tensor  #: (S,) step of the best validation loss (0 = the discriminator given)
    best_loss: Tensor  #: (S,) best validation loss
    initial_loss: Tensor  #: (S,) validation loss before KeepTraining
    stopped_step: Tensor  #: (S,) step at which early stopping fired (or max_steps)
    history_step: Tensor  #: (E,) evaluation steps
    history_loss: Tensor  #: (E, S) validation losses
    seconds: float = 0.0

    def to_payload(self) -> dict:
        return {
            "discriminator_sizes": list(self.discriminator.sizes),
            "discriminator": {k: v.detach().cpu() for k, v in self.discriminator.state_dict().items()},
            "best_step": self.best_step, "best_loss": self.best_loss, "initial_loss": self.initial_loss,
            "stopped_step": self.stopped_step, "history_step": self.history_step,
            "history_loss": self.history_loss, "seconds": float(self.seconds),
        }

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any], device: str | torch.device = "cpu") -> "KeepTraining":
        dev = resolve_device(device)
        return cls(
            discriminator=StackedMLP.from_state(payload["discriminator_sizes"], payload["discriminator"]).to(dev),
            best_step=payload["best_step"], best_loss=payload["best_loss"], initial_loss=payload["initial_loss"],
            stopped_step=payload["stopped_step"], history_step=payload["history_step"],
            history_loss=payload["history_loss"], seconds=float(payload.get("seconds", 0.0)),
        )


def keep_training_discriminator(
    generator: StackedMLP,
    discriminator: StackedMLP,
    sample_real: Sampler,
    seeds: Sequence[int],
    *,
    max_steps: int = KEEP_TRAINING_DEFAULTS["max_steps"],
    batch_size: int = KEEP_TRAINING_DEFAULTS["batch_size"],
    lr: float = KEEP_TRAINING_DEFAULTS["lr"],
    betas: Sequence[float] = tuple(KEEP_TRAINING_DEFAULTS["betas"]),
    validation_size: int = KEEP_TRAINING_DEFAULTS["validation_size"],
    eval_every: int = KEEP_TRAINING_DEFAULTS["eval_every"],
    patience: int = KEEP_TRAINING_DEFAULTS["patience"],
    chunk_steps: int = KEEP_TRAINING_DEFAULTS["chunk_steps"],
) -> KeepTraining:
    """KeepTraining (Figure 1, right): train a copy of D with G fixed, early stopping per seed.

    Every step draws a fresh batch of real samples and of G's samples (no sample is reused). A
    validation set of ``validation_size`` fresh real and ``validation_size`` fresh fake samples
    per seed (drawn first, never trained on) is scored before training and every ``eval_every``
    steps with the discriminator loss; seed s stops when its loss has not improved for
    ``patience`` evaluations in a row, and its best discriminator (possibly the one given, step 0)
    is returned. Training ends when every seed has stopped or after ``max_steps``. A fresh Adam
    optimiser is used. ``seeds`` name the per-seed random streams (purpose ``"keep_training"``).
    The inputs are not modified.
    """
    seeds = check_seeds(seeds)
    if len(seeds) != generator.n_models or len(seeds) != discriminator.n_models:
        raise ValueError(f"{len(seeds)} seeds for {generator.n_models} generators and {discriminator.n_models} discriminators")
    max_steps = check_int("max_steps", max_steps, 0)
    batch_size = check_int("batch_size", batch_size, 1)
    validation_size = check_int("validation_size", validation_size, 1)
    eval_every = check_int("eval_every", eval_every, 1)
    patience = check_int("patience", patience, 1)
    chunk_steps = check_int("chunk_steps", chunk_steps, 1)
    lr = check_positive("lr", lr)
    betas = check_betas(betas)
    start = time.perf_counter()
    dev = discriminator.weights[0].device
    latent_dim, data_dim = generator.sizes[0], discriminator.sizes[0]
    n_seeds = len(seeds)

    disc = copy.deepcopy(discriminator).requires_grad_(True)
    best = copy.deepcopy(discriminator).requires_grad_(False)
    generator = generator.requires_grad_(False)
    opt = torch.optim.Adam(disc.parameters(), lr=lr, betas=betas)
    rngs = [seed_generator(s, "keep_training") for s in seeds]

    with torch.no_grad():
        val_real = torch.stack([sample_real(validation_size, r).reshape(validation_size, data_dim) for r in rngs]).to(dev)
        val_z = torch.stack([torch.randn(validation_size, latent_dim, generator=r) for r in rngs]).to(dev)
        val_fake = generator(val_z)

    def validate() -> Tensor:
        with torch.no_grad():
            return bce_logits(disc(val_real), disc(val_fake)).cpu()

    initial = validate()
    best_loss = initial.clone()
    best_step = torch.zeros(n_seeds, dtype=torch.long)
    stopped_step = torch.full((n_seeds,), max_steps, dtype=torch.long)
    bad_evals = torch.zeros(n_seeds, dtype=torch.long)
    active = torch.ones(n_seeds, dtype=torch.bool)
    hist_step, hist_loss = [0], [initial]
    step = 0
    for _, n in step_chunks(max_steps, chunk_steps):
        if not bool(active.any()):
            break
        real = torch.stack([sample_real(n * batch_size, r).reshape(n, batch_size, data_dim) for r in rngs], 1).to(dev)
        z = torch.stack([torch.randn(n, batch_size, latent_dim, generator=r) for r in rngs], 1).to(dev)
        for i in range(n):
            with torch.no_grad():
                fake = generator(z[i])
            loss = bce_logits(disc(real[i]), disc(fake))
            opt.zero_grad(set_to_none=True)
            loss.sum().backward()
            opt.step()
            step += 1
            if step % eval_every == 0:
                current = validate()
                hist_step.append(step)
                hist_loss.append(current)
                for s in range(n_seeds):
                    if not active[s]:
                        continue
                    if current[s] < best_loss[s]:
                        best_loss[s] = current[s]
                        best_step[s] = step
                        bad_evals[s] = 0
                        best.copy_member_from(s, disc)
                    else:
                        bad_evals[s] += 1
                        if bad_evals[s] >= patience:
                            active[s] = False
                            stopped_step[s] = step
                if not bool(active.any()):
                    break
    generator.requires_grad_(True)
    return KeepTraining(discriminator=best, best_step=best_step, best_loss=best_loss, initial_loss=initial,
                        stopped_step=stopped_step, history_step=torch.tensor(hist_step),
                        history_loss=torch.stack(hist_loss), seconds=time.perf_counter() - start)


# --------------------------------------------------------------------------------------------
# Generic discriminator fit (e.g. 1D toy problems)
# --------------------------------------------------------------------------------------------


@dataclass
class FitResult:
    """Result of :func:`fit_discriminator` (the module itself is updated in place)."""

    best_step: int
    best_loss: float
    initial_loss: float
    stopped_step: int
    stopped_early: bool
    history_step: list[int]
    history_loss: list[float]


def fit_discriminator(
    discriminator: nn.Module,
    sample_real: Sampler,
    sample_fake: Sampler,
    *,
    steps: int = 5000,
    lr: float = 1e-3,
    batch_size: int = 256,
    seed: int = 0,
    validation_size: int = 10_000,
    patience: int = 5,
    eval_every: int = 100,
    betas: Sequence[float] = (0.9, 0.999),
    validation_real: Tensor | None = None,
) -> FitResult:
    """Train ``discriminator`` (logits, shape (n,) or (n, 1)) to tell ``sample_real`` from ``sample_fake``.

    Binary cross-entropy with logits, Adam, a fresh batch from each sampler every step; early
    stopping on ``validation_size`` held-out samples from each (drawn first), evaluated every
    ``eval_every`` steps, stopping after ``patience`` evaluations without improvement
    (``validation_real``: the real half of that set, given, e.g. rows held out of the training
    data, instead of drawn from ``sample_real``). The module
    is left holding its best parameters (possibly the initial ones). Samplers are called as
    ``sample(n, rng)`` with a CPU generator derived from ``seed`` and must return (n, d) or (n,)
    tensors; they are moved to the module's device.
    """
    steps = check_int("steps", steps, 0)
    batch_size = check_int("batch_size", batch_size, 1)
    validation_size = check_int("validation_size", validation_size, 1)
    patience = check_int("patience", patience, 1)
    eval_every = check_int("eval_every", eval_every, 1)
    lr = check_positive("lr", lr)
    betas = check_betas(betas)
    rng = seed_generator(int(seed) if not isinstance(seed, bool) else seed, "fit_discriminator")
    params = list(discriminator.parameters())
    dev = params[0].device if params else torch.device("cpu")

    def on_device(x: Tensor) -> Tensor:
        return (x.unsqueeze(-1) if x.dim() == 1 else x).to(dev)

    def draw(sampler: Sampler, n: int) -> Tensor:
        return on_device(sampler(n, rng))

    def loss_of(real: Tensor, fake: Tensor) -> Tensor:
        return (nnf.softplus(-discriminator(real).reshape(-1)).mean()
                + nnf.softplus(discriminator(fake).reshape(-1)).mean())

    val_real = draw(sample_real, validation_size) if validation_real is None else on_device(validation_real)
    val_fake = draw(sample_fake, validation_size)

    def validate() -> float:
        was_training = discriminator.training
        discriminator.eval()
        with torch.no_grad():
            value = float(loss_of(val_real, val_fake))
        discriminator.train(was_training)
        return value

    opt = torch.optim.Adam(params, lr=lr, betas=betas)
    initial = best_loss = validate()
    best_state = copy.deepcopy(discriminator.state_dict())
    best_step, bad, stopped_step, stopped_early = 0, 0, steps, False
    hist_step, hist_loss = [0], [initial]
    for step in range(1, steps + 1):
        loss = loss_of(draw(sample_real, batch_size), draw(sample_fake, batch_size))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % eval_every == 0:
            current = validate()
            hist_step.append(step)
            hist_loss.append(current)
            if current < best_loss:
                best_loss, best_step, bad = current, step, 0
                best_state = copy.deepcopy(discriminator.state_dict())
            else:
                bad += 1
                if bad >= patience:
                    stopped_step, stopped_early = step, True
                    break
    discriminator.load_state_dict(best_state)
    return FitResult(best_step=best_step, best_loss=best_loss, initial_loss=initial, stopped_step=stopped_step,
                     stopped_early=stopped_early, history_step=hist_step, history_loss=hist_loss)


__all__ = [
    "FitResult",
    "KEEP_TRAINING_DEFAULTS",
    "KeepTraining",
    "fit_discriminator",
    "keep_training_discriminator",
]
