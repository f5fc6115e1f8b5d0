"""GAN training for the toy experiments, S seeds at once, plus the paper's KeepTraining.

* :func:`train_gan`: non-saturating GAN (Sec. 2.1), Adam, one D step then one G step per
  iteration, for S seeds stacked into one batched computation (:class:`~drs_lib.models.StackedMLP`).
* :func:`keep_training_discriminator`: KeepTraining of Figure 1 (right): G fixed, D trained on
  fresh real and fake samples, early stopping on a held-out validation set, per seed.
* :func:`fit_discriminator`: the same for one ordinary discriminator module and any two
  samplers (e.g. 1D toy problems).

Random streams. Seed s owns one CPU ``torch.Generator`` per purpose
(:func:`seed_generator`): the GAN stream initialises G_s, then D_s, then draws every batch
(real samples, then z for the D step, then z for the G step, ``chunk_steps`` steps at a time).
Nothing model s draws depends on the other seeds, and the loss is a sum of per-seed means, so
seed s trained inside a stack follows the same trajectory as seed s trained alone, up to float
rounding (``tests/test_train.py`` checks it). Batches are drawn on the CPU and moved to the
device, so a seed's data are the same on every device.
"""

from __future__ import annotations

import copy
import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as nnf
from torch import Tensor, nn

from drs_lib.data import make_sampler
from drs_lib.device import resolve_device
from drs_lib.models import StackedMLP, discriminator_sizes, generator_sizes

Sampler = Callable[[int, torch.Generator], Tensor]

#: Defaults of :func:`train_gan` (also what :func:`gan_config` fills in).
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

#: Defaults of :func:`keep_training_discriminator` (also what :func:`keep_training_config` fills in).
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


def seed_generator(seed: int, purpose: str) -> torch.Generator:
    """A CPU generator for (seed, purpose); different purposes give unrelated streams."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an integer; got {seed!r}")
    digest = hashlib.sha256(f"drs_lib:{purpose}:{seed}".encode()).digest()
    return torch.Generator().manual_seed(int.from_bytes(digest[:8], "little") & ((1 << 63) - 1))


def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return value


def _check_positive(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{name} must be a number > 0; got {value!r}")
    return float(value)


def _check_betas(betas: Sequence[float]) -> tuple[float, float]:
    if len(betas) != 2 or not all(0.0 <= float(b) < 1.0 for b in betas):
        raise ValueError(f"betas must be two numbers in [0, 1); got {betas!r}")
    return float(betas[0]), float(betas[1])


def _check_seeds(seeds: Sequence[int]) -> list[int]:
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, int):
            raise ValueError(f"seeds must be integers; got {s!r}")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct; got {seeds}")
    return seeds


def _chunks(total: int, chunk: int):
    done = 0
    while done < total:
        n = min(chunk, total - done)
        yield done, n
        done += n


def _bce_logits(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
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
    seeds = _check_seeds(seeds)
    steps = _check_int("steps", steps, 1)
    batch_size = _check_int("batch_size", batch_size, 1)
    chunk_steps = _check_int("chunk_steps", chunk_steps, 1)
    log_every = _check_int("log_every", log_every, 1)
    d_steps = _check_int("d_steps", d_steps, 1)
    if isinstance(lr_final_fraction, bool) or not isinstance(lr_final_fraction, (int, float)) \
            or not 0.0 < lr_final_fraction <= 1.0:
        raise ValueError(f"lr_final_fraction must be a number in (0, 1]; got {lr_final_fraction!r}")
    lr_g, lr_d = _check_positive("lr_g", lr_g), _check_positive("lr_d", lr_d)
    betas = _check_betas(betas)
    checkpoints = sorted({_check_int("checkpoint", int(c) if not isinstance(c, bool) else c, 1) for c in checkpoints})
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
    for _, n in _chunks(steps, chunk_steps):
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
                loss_d = _bce_logits(discriminator(real_t[j]), discriminator(fake))
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
# KeepTraining
# --------------------------------------------------------------------------------------------


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
    seeds = _check_seeds(seeds)
    if len(seeds) != generator.n_models or len(seeds) != discriminator.n_models:
        raise ValueError(f"{len(seeds)} seeds for {generator.n_models} generators and {discriminator.n_models} discriminators")
    max_steps = _check_int("max_steps", max_steps, 0)
    batch_size = _check_int("batch_size", batch_size, 1)
    validation_size = _check_int("validation_size", validation_size, 1)
    eval_every = _check_int("eval_every", eval_every, 1)
    patience = _check_int("patience", patience, 1)
    chunk_steps = _check_int("chunk_steps", chunk_steps, 1)
    lr = _check_positive("lr", lr)
    betas = _check_betas(betas)
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
            return _bce_logits(disc(val_real), disc(val_fake)).cpu()

    initial = validate()
    best_loss = initial.clone()
    best_step = torch.zeros(n_seeds, dtype=torch.long)
    stopped_step = torch.full((n_seeds,), max_steps, dtype=torch.long)
    bad_evals = torch.zeros(n_seeds, dtype=torch.long)
    active = torch.ones(n_seeds, dtype=torch.bool)
    hist_step, hist_loss = [0], [initial]
    step = 0
    for _, n in _chunks(max_steps, chunk_steps):
        if not bool(active.any()):
            break
        real = torch.stack([sample_real(n * batch_size, r).reshape(n, batch_size, data_dim) for r in rngs], 1).to(dev)
        z = torch.stack([torch.randn(n, batch_size, latent_dim, generator=r) for r in rngs], 1).to(dev)
        for i in range(n):
            with torch.no_grad():
                fake = generator(z[i])
            loss = _bce_logits(disc(real[i]), disc(fake))
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
) -> FitResult:
    """Train ``discriminator`` (logits, shape (n,) or (n, 1)) to tell ``sample_real`` from ``sample_fake``.

    Binary cross-entropy with logits, Adam, a fresh batch from each sampler every step; early
    stopping on ``validation_size`` held-out samples from each (drawn first), evaluated every
    ``eval_every`` steps, stopping after ``patience`` evaluations without improvement. The module
    is left holding its best parameters (possibly the initial ones). Samplers are called as
    ``sample(n, rng)`` with a CPU generator derived from ``seed`` and must return (n, d) or (n,)
    tensors; they are moved to the module's device.
    """
    steps = _check_int("steps", steps, 0)
    batch_size = _check_int("batch_size", batch_size, 1)
    validation_size = _check_int("validation_size", validation_size, 1)
    patience = _check_int("patience", patience, 1)
    eval_every = _check_int("eval_every", eval_every, 1)
    lr = _check_positive("lr", lr)
    betas = _check_betas(betas)
    rng = seed_generator(int(seed) if not isinstance(seed, bool) else seed, "fit_discriminator")
    params = list(discriminator.parameters())
    dev = params[0].device if params else torch.device("cpu")

    def draw(sampler: Sampler, n: int) -> Tensor:
        x = sampler(n, rng)
        return (x.unsqueeze(-1) if x.dim() == 1 else x).to(dev)

    def loss_of(real: Tensor, fake: Tensor) -> Tensor:
        return (nnf.softplus(-discriminator(real).reshape(-1)).mean()
                + nnf.softplus(discriminator(fake).reshape(-1)).mean())

    val_real, val_fake = draw(sample_real, validation_size), draw(sample_fake, validation_size)

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


# --------------------------------------------------------------------------------------------
# Cached entry points (configs hold everything that determines the models)
# --------------------------------------------------------------------------------------------


def _normalise(options: Mapping[str, Any], defaults: Mapping[str, Any], what: str) -> dict[str, Any]:
    unknown = set(options) - set(defaults)
    if unknown:
        raise ValueError(f"unknown {what} option(s) {sorted(unknown)}; allowed: {sorted(defaults)}")
    out = {**copy.deepcopy(dict(defaults)), **options}
    for key, value in out.items():
        if isinstance(defaults[key], float) and isinstance(value, int) and not isinstance(value, bool):
            out[key] = float(value)  # 1 and 1.0 must give the same cache key
        if key == "betas":
            out[key] = [float(b) for b in value]
        if key == "checkpoints":
            out[key] = sorted({int(c) for c in value})
    return out


def gan_config(data: Mapping[str, Any], seeds: Sequence[int], *, device: str | torch.device = "cpu",
               **options: Any) -> dict[str, Any]:
    """Everything that determines :func:`train_gan`'s result, as a JSON-able cache key.

    ``data`` is a spec for :func:`drs_lib.data.make_sampler` (use :func:`drs_lib.data.data_spec`);
    ``options`` are :func:`train_gan` keywords (defaults in :data:`GAN_DEFAULTS` are filled in).
    """
    make_sampler(data)  # validates
    return {
        "kind": "gan",
        "data": dict(data),
        "seeds": _check_seeds(seeds),
        "device": resolve_device(device).type,
        **_normalise(options, GAN_DEFAULTS, "train_gan"),
    }


def load_or_train_gan(cache, config: Mapping[str, Any], *, name: str = "gan",
                      device: str | torch.device = "cpu") -> GANTraining:
    """The GANs of ``config`` (from :func:`gan_config`), trained once and then read from ``cache``."""
    config = dict(config)
    options = {k: v for k, v in config.items() if k in GAN_DEFAULTS}

    def build() -> dict:
        return train_gan(make_sampler(config["data"]), config["seeds"], device=device, **options).to_payload()

    return GANTraining.from_payload(cache.get_or_create(name, config, build), device=device)


def keep_training_config(gan: Mapping[str, Any], step: int | None = None, **options: Any) -> dict[str, Any]:
    """Cache key of KeepTraining applied to the GANs of config ``gan`` at iteration ``step`` (default: the end)."""
    step = gan["steps"] if step is None else int(step)
    if step != gan["steps"] and step not in gan["checkpoints"]:
        raise ValueError(f"step {step} is neither the end ({gan['steps']}) nor a checkpoint {gan['checkpoints']}")
    return {"kind": "keep_training", "gan": dict(gan), "step": step,
            **_normalise(options, KEEP_TRAINING_DEFAULTS, "keep_training_discriminator")}


def load_or_keep_train(cache, config: Mapping[str, Any], gan: GANTraining, *, name: str = "keep_training",
                       device: str | torch.device = "cpu") -> KeepTraining:
    """KeepTraining for ``config`` (from :func:`keep_training_config`), run once and then read from ``cache``."""
    config = dict(config)
    options = {k: v for k, v in config.items() if k in KEEP_TRAINING_DEFAULTS}

    def build() -> dict:
        generator, discriminator = gan.at(config["step"])
        return keep_training_discriminator(generator, discriminator, make_sampler(config["gan"]["data"]),
                                           config["gan"]["seeds"], **options).to_payload()

    return KeepTraining.from_payload(cache.get_or_create(name, config, build), device=device)


# --------------------------------------------------------------------------------------------
# Helpers shared by the 25-Gaussian notebooks (02, 03, 06 and the regime sweep)
# --------------------------------------------------------------------------------------------


@torch.no_grad()
def sample_generators(generator: StackedMLP, n: int, seeds: Sequence[int], purpose: str = "unfiltered") -> Tensor:
    """n unfiltered samples from each stacked generator, (S, n, data_dim); z from (seed, purpose) streams."""
    n = _check_int("n", n, 1)
    seeds = _check_seeds(seeds)
    latent_dim = generator.sizes[0]
    z = torch.stack([torch.randn(n, latent_dim, generator=seed_generator(s, purpose)) for s in seeds])
    return generator(z.to(generator.weights[0].device))


__all__ = [
    "FitResult",
    "GANTraining",
    "GAN_DEFAULTS",
    "KEEP_TRAINING_DEFAULTS",
    "KeepTraining",
    "fit_discriminator",
    "sample_generators",
    "gan_config",
    "keep_training_config",
    "keep_training_discriminator",
    "load_or_keep_train",
    "load_or_train_gan",
    "seed_generator",
    "train_gan",
]
