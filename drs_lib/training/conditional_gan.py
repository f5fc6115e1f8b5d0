"""A small class-conditional DCGAN with a hinge loss: the "your own GAN" of the how-to chapter.

It differs on purpose from the GAN of the other image chapters (:mod:`drs_lib.nets.convnets`), so
that the DRS API (:mod:`drs_lib.api`) is shown on a model it was not written around:

* :class:`ConditionalGenerator`: DCGAN's layout (Radford et al., 2016): the latent has shape
  ``(n, z_dim, 1, 1)``, is concatenated with a label embedding along the channels and grown by
  transposed convolutions 1 → 2 → 4 → 8 with BatchNorm and ReLU, ``tanh`` output. Called as
  ``G(z, y)``.
* :class:`ProjectionDiscriminator`: a spectrally normalised CNN with a projection output
  (Miyato & Koyama, 2018): D(x, y) = w·φ(x) + ⟨E[y], φ(x)⟩, as in SAGAN, the paper's
  conditional model. Trained with the hinge loss, its output is not a BCE logit, so DRS needs
  the paper's BCE head on φ(x) (Section 4.2; :mod:`drs_lib.nets.heads`).

:func:`get_conditional_gan` trains one (cached with :class:`drs_book.cache.ModelCache`, keyed
by the data, every setting, the seed and the device type) and returns it in eval mode.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from drs_lib.problems.digits import ImageDataset
from drs_lib.training.train_images import data_config, load_split, train_hinge_gan

__all__ = ["ConditionalGenerator", "ProjectionDiscriminator", "ConditionalGAN", "DEFAULT_CONDITIONAL_GAN",
           "train_conditional_gan", "get_conditional_gan"]

#: Chosen by a small sweep (1,000-2,000 steps, seed 0; FID analogue of 5,000 balanced samples):
#: Adam betas (0.5, 0.999) collapsed each class to one image (FID analogue 203); betas (0, 0.9)
#: with a label embedding as wide as z gave 112; an 8-wide embedding gave 37, and two-timescale
#: learning rates (D 4e-4, G 1e-4) 33 at 1,000 steps and 12.5 at 2,000.
DEFAULT_CONDITIONAL_GAN: dict[str, Any] = {
    "z_dim": 32,
    "embed_dim": 8,
    "width": 16,
    "steps": 2000,
    "batch_size": 64,
    "lr_g": 1e-4,
    "lr_d": 4e-4,
    "betas": [0.0, 0.9],
    "seed": 0,
}


def _check_side(image_shape: tuple[int, int, int]) -> None:
    if tuple(image_shape[1:]) != (8, 8):
        raise ValueError(f"this small DCGAN makes 8x8 images; got image shape {tuple(image_shape)}")


class ConditionalGenerator(nn.Module):
    """``G(z, y)``: z of shape (n, z_dim, 1, 1) and labels (n,) -> images (n, c, 8, 8) in [-1, 1]."""

    def __init__(self, n_classes: int = 10, image_shape: tuple[int, int, int] = (1, 8, 8), z_dim: int = 32, width: int = 16,
                 embed_dim: int = 8) -> None:
        super().__init__()
        _check_side(image_shape)
        self.z_dim = z_dim
        self.embedding = nn.Embedding(n_classes, embed_dim)
        self.body = nn.Sequential(
            nn.ConvTranspose2d(z_dim + embed_dim, 4 * width, 2, 1, 0, bias=False),  # 1 -> 2
            nn.BatchNorm2d(4 * width),
            nn.ReLU(),
            nn.ConvTranspose2d(4 * width, 2 * width, 4, 2, 1, bias=False),  # 2 -> 4
            nn.BatchNorm2d(2 * width),
            nn.ReLU(),
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1, bias=False),  # 4 -> 8
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.Conv2d(width, image_shape[0], 3, 1, 1),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        label = self.embedding(y)[:, :, None, None]
        return self.body(torch.cat([z, label], 1))


class ProjectionDiscriminator(nn.Module):
    """``D(x, y) = w·φ(x) + b + ⟨E[y], φ(x)⟩``, spectrally normalised; ``features(x)`` is φ(x)."""

    def __init__(self, n_classes: int = 10, image_shape: tuple[int, int, int] = (1, 8, 8), width: int = 16) -> None:
        super().__init__()
        _check_side(image_shape)
        self.body = nn.Sequential(
            spectral_norm(nn.Conv2d(image_shape[0], width, 3, 1, 1)),
            nn.LeakyReLU(0.2),
            spectral_norm(nn.Conv2d(width, 2 * width, 4, 2, 1)),  # 8 -> 4
            nn.LeakyReLU(0.2),
            spectral_norm(nn.Conv2d(2 * width, 4 * width, 4, 2, 1)),  # 4 -> 2
            nn.LeakyReLU(0.2),
            nn.Flatten(),
        )
        self.feature_dim = 4 * width * 2 * 2
        self.output = spectral_norm(nn.Linear(self.feature_dim, 1))
        self.embedding = spectral_norm(nn.Embedding(n_classes, self.feature_dim))

    def features(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """φ(x), shape (n, feature_dim); the label is not used (it enters through the projection)."""
        return self.body(x)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        phi = self.features(x)
        return self.output(phi).squeeze(-1) + (self.embedding(y) * phi).sum(-1)


def train_conditional_gan(train: ImageDataset, config: dict[str, Any], device: torch.device) -> dict:
    """Hinge loss, one D step per G step, Adam with two learning rates; fake labels are those of the real batch
    (:func:`drs_lib.training.train_images.train_hinge_gan`, ``conditional=True``)."""
    generator_rng = torch.Generator().manual_seed(config["seed"])
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config["seed"])
        G = ConditionalGenerator(train.n_classes, train.image_shape, config["z_dim"], config["width"], config["embed_dim"]).to(device)
        D = ProjectionDiscriminator(train.n_classes, train.image_shape, config["width"]).to(device)
    return train_hinge_gan(G, D, train, config, device, generator_rng, conditional=True)


@dataclass
class ConditionalGAN:
    """A trained class-conditional DCGAN in eval mode, as a user would bring it to :class:`drs_lib.api.DRS`."""

    generator: ConditionalGenerator
    discriminator: ProjectionDiscriminator
    seed: int
    train_seconds: float
    history: dict[str, list[float]]
    config: dict[str, Any] = field(default_factory=dict)


def get_conditional_gan(cache, seed: int, data: dict[str, Any] | None = None, settings: dict[str, Any] | None = None,
                        device: str | torch.device = "cpu") -> ConditionalGAN:
    """The cached conditional DCGAN for ``seed`` (settings: :data:`DEFAULT_CONDITIONAL_GAN`), in eval mode on ``device``."""
    device = torch.device(device)
    data = data_config(**(data or {}))
    config = dict(DEFAULT_CONDITIONAL_GAN)
    for key, value in (settings or {}).items():
        if key not in config:
            raise ValueError(f"unknown setting {key!r}; allowed: {', '.join(sorted(config))}")
        config[key] = value
    config["seed"] = seed
    train, _ = load_split(data)
    key = {"data": data, "gan": config, "device_type": device.type}
    payload = cache.get_or_create("digits-conditional-dcgan", key, lambda: train_conditional_gan(train, config, device))
    G = ConditionalGenerator(train.n_classes, train.image_shape, config["z_dim"], config["width"], config["embed_dim"])
    D = ProjectionDiscriminator(train.n_classes, train.image_shape, config["width"])
    G.load_state_dict(payload["generator"])
    D.load_state_dict(payload["discriminator"])
    return ConditionalGAN(G.to(device).eval(), D.to(device).eval(), seed, float(payload["train_seconds"]),
                          payload["history"], config)
