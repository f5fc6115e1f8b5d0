"""Training the image models (cached): classifier, hinge GAN, and the BCE head for DRS.

Every trained model goes through :meth:`drs_book.cache.ModelCache.get_or_create`; its config
holds everything that determines the result (dataset, split, architecture, optimiser, steps,
seed, device type). The public entry points return ready-to-use modules in eval mode:

* :func:`get_classifier` -> :class:`TrainedClassifier` (the Inception-network stand-in)
* :func:`get_image_gan`  -> :class:`ImageGAN` with ``generate(n, rng)`` and ``score(x)`` in the
  form :mod:`drs_lib.samplers.drs` expects (``score`` is the BCE head's logit D̃(x)).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as nnf
from torch import nn

from drs_lib.nets.convnets import BCEHead, Classifier, Discriminator, DRSCritic, Generator
from drs_lib.problems.digits import ImageDataset, load_dataset, split_dataset

__all__ = [
    "DEFAULT_DATA",
    "DEFAULT_CLASSIFIER",
    "DEFAULT_GAN",
    "DEFAULT_HEAD",
    "data_config",
    "load_split",
    "train_classifier",
    "train_gan",
    "train_hinge_gan",
    "train_bce_head",
    "get_classifier",
    "get_image_gan",
    "TrainedClassifier",
    "ImageGAN",
]

DEFAULT_DATA: dict[str, Any] = {"dataset": "sklearn_digits", "holdout_fraction": 0.3, "split_seed": 0}
DEFAULT_CLASSIFIER: dict[str, Any] = {
    "width": 32,
    "feature_dim": 64,
    "dropout": 0.3,
    "steps": 1500,
    "batch_size": 64,
    "lr": 1e-3,
    "weight_decay": 1e-4,
    "shift_pixels": 1,
    "seed": 0,
}
DEFAULT_GAN: dict[str, Any] = {
    "z_dim": 32,
    "width": 16,
    "attention": True,
    "steps": 2000,
    "batch_size": 64,
    "lr_g": 2e-4,
    "lr_d": 2e-4,
    "betas": [0.0, 0.9],
    "seed": 0,
}
DEFAULT_HEAD: dict[str, Any] = {"n_fake": 10_000, "steps": 500, "lr": 1e-2, "weight_decay": 1e-4, "seed": 0}


def data_config(**overrides: Any) -> dict[str, Any]:
    config = dict(DEFAULT_DATA)
    config.update(overrides)
    return config


def load_split(data: dict[str, Any]) -> tuple[ImageDataset, ImageDataset]:
    """(train, holdout) for a data config (see :data:`DEFAULT_DATA`)."""
    return split_dataset(load_dataset(data["dataset"]), data["holdout_fraction"], data["split_seed"])


def _merged(defaults: dict[str, Any], overrides: dict[str, Any] | None) -> dict[str, Any]:
    config = dict(defaults)
    for key, value in (overrides or {}).items():
        if key not in defaults:
            raise ValueError(f"unknown setting {key!r}; allowed: {', '.join(sorted(defaults))}")
        config[key] = value
    return config


def _random_shift(images: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Translate each image by up to ``max_shift`` pixels (zero = background -1 padding)."""
    if max_shift <= 0:
        return images
    n, c, h, w = images.shape
    padded = nnf.pad(images, (max_shift,) * 4, value=-1.0)
    dx = torch.randint(0, 2 * max_shift + 1, (n,), generator=generator)
    dy = torch.randint(0, 2 * max_shift + 1, (n,), generator=generator)
    rows = (dy[:, None] + torch.arange(h)[None, :]).to(images.device)  # (n, h)
    cols = (dx[:, None] + torch.arange(w)[None, :]).to(images.device)  # (n, w)
    batch = torch.arange(n, device=images.device)[:, None, None, None]
    channel = torch.arange(c, device=images.device)[None, :, None, None]
    return padded[batch, channel, rows[:, None, :, None], cols[:, None, None, :]]


# --------------------------------------------------------------------------------------------
# Classifier (Inception-network stand-in)


def train_classifier(train: ImageDataset, holdout: ImageDataset, config: dict[str, Any], device: torch.device) -> dict:
    """Train the classifier; returns its state_dict, held-out accuracy and training time."""
    torch.manual_seed(config["seed"])
    generator = torch.Generator().manual_seed(config["seed"])
    model = Classifier(train.image_shape, train.n_classes, config["width"], config["feature_dim"], config["dropout"]).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config["lr"], weight_decay=config["weight_decay"])
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config["lr"], total_steps=config["steps"])
    images, labels = train.images.to(device), train.labels.to(device)
    start = time.perf_counter()
    model.train()
    for _ in range(config["steps"]):
        index = torch.randint(0, len(train), (config["batch_size"],), generator=generator).to(device)
        batch = _random_shift(images[index], config["shift_pixels"], generator)
        loss = nnf.cross_entropy(model(batch), labels[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
    seconds = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        accuracy = (model(holdout.images.to(device)).argmax(1).cpu() == holdout.labels).float().mean().item()
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    return {"state_dict": state, "holdout_accuracy": accuracy, "train_seconds": seconds}


@dataclass
class TrainedClassifier:
    """A trained classifier in eval mode with batched helpers (inputs on any device)."""

    model: Classifier
    holdout_accuracy: float
    train_seconds: float
    config: dict[str, Any] = field(default_factory=dict)

    @torch.no_grad()
    def probabilities(self, images: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
        """p(y|x), shape (n, n_classes), on the CPU as float64."""
        device = next(self.model.parameters()).device
        out = [torch.softmax(self.model(images[i : i + batch_size].to(device)).double(), dim=1).cpu() for i in range(0, len(images), batch_size)]
        return torch.cat(out)

    @torch.no_grad()
    def features(self, images: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
        """Penultimate-layer features, shape (n, feature_dim), on the CPU as float64."""
        device = next(self.model.parameters()).device
        out = [self.model.features(images[i : i + batch_size].to(device)).double().cpu() for i in range(0, len(images), batch_size)]
        return torch.cat(out)

    @torch.no_grad()
    def features_and_probabilities(self, images: torch.Tensor, batch_size: int = 4096) -> tuple[torch.Tensor, torch.Tensor]:
        """``(features(images), probabilities(images))`` from one pass through the network, the same to the bit.

        The logits are :meth:`Classifier.logits` of the features, as in the model's own ``forward``.
        """
        device = next(self.model.parameters()).device
        features, probabilities = [], []
        for i in range(0, len(images), batch_size):
            hidden = self.model.features(images[i : i + batch_size].to(device))
            features.append(hidden.double().cpu())
            probabilities.append(torch.softmax(self.model.logits(hidden).double(), dim=1).cpu())
        return torch.cat(features), torch.cat(probabilities)


def get_classifier(cache, data: dict[str, Any] | None = None, settings: dict[str, Any] | None = None, device: str | torch.device = "cpu") -> TrainedClassifier:
    """The cached classifier for a data config and settings (defaults: :data:`DEFAULT_CLASSIFIER`)."""
    device = torch.device(device)
    data = data_config(**(data or {}))
    config = _merged(DEFAULT_CLASSIFIER, settings)
    train, holdout = load_split(data)
    key = {"data": data, "classifier": config, "device_type": device.type}
    payload = cache.get_or_create("digits-classifier", key, lambda: train_classifier(train, holdout, config, device))
    model = Classifier(train.image_shape, train.n_classes, config["width"], config["feature_dim"], config["dropout"])
    model.load_state_dict(payload["state_dict"])
    model.to(device).eval()
    return TrainedClassifier(model, float(payload["holdout_accuracy"]), float(payload["train_seconds"]), config)


# --------------------------------------------------------------------------------------------
# Hinge GAN and the BCE head


def train_hinge_gan(G: nn.Module, D: nn.Module, train: ImageDataset, config: dict[str, Any], device: torch.device,
                    generator_rng: torch.Generator, *, conditional: bool = False) -> dict:
    """The hinge-loss training loop of the image GANs (this module's and :mod:`drs_lib.training.conditional_gan`'s).

    ``config["steps"]`` iterations, each: a batch of real images drawn with replacement and a
    latent z (both from ``generator_rng``); one Adam step on D with the hinge loss
    mean relu(1 − D(real)) + mean relu(1 + D(G(z))), then one on G with −mean D(G(z)), the same
    fakes. Adam for both with ``config``'s ``lr_g``, ``lr_d`` and ``betas``. ``conditional``:
    the models are called as ``G(z, y)`` and ``D(x, y)`` with the real batch's labels y, and z
    has shape (n, z_dim, 1, 1) instead of (n, z_dim). The models, already built (and seeded) by
    the caller, are trained in place; returns their state dicts (CPU), the loss history and the
    seconds taken, the payload the model cache stores.
    """
    betas = tuple(config["betas"])
    opt_g = torch.optim.Adam(G.parameters(), lr=config["lr_g"], betas=betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=config["lr_d"], betas=betas)
    images, labels = train.images.to(device), train.labels.to(device)
    batch_size = config["batch_size"]
    z_shape = (batch_size, config["z_dim"], 1, 1) if conditional else (batch_size, config["z_dim"])
    history: dict[str, list[float]] = {"step": [], "loss_d": [], "loss_g": []}
    log_every = max(config["steps"] // 50, 1)
    start = time.perf_counter()
    G.train()
    D.train()
    for step in range(config["steps"]):
        index = torch.randint(0, len(train), (batch_size,), generator=generator_rng).to(device)
        real = images[index]
        y = (labels[index],) if conditional else ()
        z = torch.randn(*z_shape, generator=generator_rng).to(device)
        fake = G(z, *y)
        loss_d = nnf.relu(1.0 - D(real, *y)).mean() + nnf.relu(1.0 + D(fake.detach(), *y)).mean()
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        loss_g = -D(fake, *y).mean()
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        if step % log_every == 0 or step == config["steps"] - 1:
            history["step"].append(step)
            history["loss_d"].append(float(loss_d.detach()))
            history["loss_g"].append(float(loss_g.detach()))
    return {
        "generator": {k: v.detach().cpu() for k, v in G.state_dict().items()},
        "discriminator": {k: v.detach().cpu() for k, v in D.state_dict().items()},
        "history": history,
        "train_seconds": time.perf_counter() - start,
    }


def train_gan(train: ImageDataset, config: dict[str, Any], device: torch.device) -> dict:
    """Hinge-loss GAN with spectral normalization (one D step per G step, Adam; :func:`train_hinge_gan`)."""
    torch.manual_seed(config["seed"])
    generator_rng = torch.Generator().manual_seed(config["seed"])
    G = Generator(train.image_shape, config["z_dim"], config["width"], config["attention"]).to(device)
    D = Discriminator(train.image_shape, config["width"], config["attention"]).to(device)
    return train_hinge_gan(G, D, train, config, device, generator_rng)


def train_bce_head(G: Generator, D: Discriminator, train: ImageDataset, config: dict[str, Any], device: torch.device) -> dict:
    """Paper Section 4.2: a linear layer on the frozen discriminator features, trained alone with BCE.

    ``n_fake`` generated images against the real training images (classes balanced with
    ``pos_weight`` when the counts differ). Features are computed once; full-batch Adam.
    """
    torch.manual_seed(config["seed"])
    rng = torch.Generator().manual_seed(config["seed"])
    G.eval()
    D.eval()
    with torch.no_grad():
        z = torch.randn(config["n_fake"], G.z_dim, generator=rng).to(device)
        fake_features = torch.cat([D.features(G(z[i : i + 4096])) for i in range(0, len(z), 4096)])
        real_features = D.features(train.images.to(device))
    features = torch.cat([real_features, fake_features])
    targets = torch.cat([torch.ones(len(real_features)), torch.zeros(len(fake_features))]).to(device)
    scale = features.std(0).clamp_min(1e-6)  # conditioning only; folded back into the weights below
    head = BCEHead(D.feature_dim).to(device)
    optimizer = torch.optim.Adam(head.parameters(), lr=config["lr"], weight_decay=config["weight_decay"])
    pos_weight = torch.tensor(len(fake_features) / len(real_features), device=device)
    start = time.perf_counter()
    for _ in range(config["steps"]):
        loss = nnf.binary_cross_entropy_with_logits(head(features / scale), targets, pos_weight=pos_weight)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        head.linear.weight /= scale
        logits = head(features)
        final_loss = float(nnf.binary_cross_entropy_with_logits(logits, targets, pos_weight=pos_weight))
        accuracy = float(((logits > 0).float() == targets).float().mean())
    return {
        "head": {k: v.detach().cpu() for k, v in head.state_dict().items()},
        "final_loss": final_loss,
        "train_accuracy": accuracy,
        "n_real": len(real_features),
        "n_fake": len(fake_features),
        "train_seconds": time.perf_counter() - start,
    }


@dataclass
class ImageGAN:
    """A trained generator and DRS critic, with the callables :mod:`drs_lib.samplers.drs` expects."""

    generator: Generator
    discriminator: Discriminator
    critic: DRSCritic
    seed: int
    gan_seconds: float
    head_seconds: float
    head_train_accuracy: float
    history: dict[str, list[float]]

    @property
    def device(self) -> torch.device:
        return next(self.generator.parameters()).device

    @torch.no_grad()
    def latents(self, n: int, rng: torch.Generator) -> torch.Tensor:
        return torch.randn(n, self.generator.z_dim, generator=rng, device=rng.device).to(self.device)

    @torch.no_grad()
    def decode(self, z: torch.Tensor, batch_size: int = 8192) -> torch.Tensor:
        return torch.cat([self.generator(z[i : i + batch_size].to(self.device)) for i in range(0, len(z), batch_size)])

    @torch.no_grad()
    def generate(self, n: int, rng: torch.Generator) -> torch.Tensor:
        """``n`` samples on the model's device (the ``generate`` callable of :mod:`drs_lib.samplers.drs`)."""
        return self.decode(self.latents(n, rng))

    @torch.no_grad()
    def score(self, x: torch.Tensor, batch_size: int = 8192) -> torch.Tensor:
        """Logit D̃(x) of the BCE head, shape (n,) (the ``score`` callable of :mod:`drs_lib.samplers.drs`)."""
        return torch.cat([self.critic(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])


def get_image_gan(
    cache,
    seed: int,
    data: dict[str, Any] | None = None,
    gan_settings: dict[str, Any] | None = None,
    head_settings: dict[str, Any] | None = None,
    device: str | torch.device = "cpu",
) -> ImageGAN:
    """The cached GAN for ``seed`` plus its cached BCE head, in eval mode on ``device``."""
    device = torch.device(device)
    data = data_config(**(data or {}))
    gan_config = _merged(DEFAULT_GAN, {**(gan_settings or {}), "seed": seed})
    head_config = _merged(DEFAULT_HEAD, {**(head_settings or {}), "seed": seed})
    train, _ = load_split(data)
    gan_key = {"data": data, "gan": gan_config, "device_type": device.type}
    gan = cache.get_or_create("digits-gan", gan_key, lambda: train_gan(train, gan_config, device))
    G = Generator(train.image_shape, gan_config["z_dim"], gan_config["width"], gan_config["attention"])
    D = Discriminator(train.image_shape, gan_config["width"], gan_config["attention"])
    G.load_state_dict(gan["generator"])
    D.load_state_dict(gan["discriminator"])
    G.to(device).eval()
    D.to(device).eval()
    for p in list(G.parameters()) + list(D.parameters()):
        p.requires_grad_(False)
    head_key = {**gan_key, "head": head_config}
    head_payload = cache.get_or_create("digits-bce-head", head_key, lambda: train_bce_head(G, D, train, head_config, device))
    head = BCEHead(D.feature_dim)
    head.load_state_dict(head_payload["head"])
    head.to(device).eval()
    for p in head.parameters():
        p.requires_grad_(False)
    return ImageGAN(
        G,
        D,
        DRSCritic(D, head).eval(),
        seed,
        float(gan["train_seconds"]),
        float(head_payload["train_seconds"]),
        float(head_payload["train_accuracy"]),
        gan["history"],
    )
