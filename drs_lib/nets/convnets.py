"""Small convolutional networks for the image experiments.

* :class:`Generator` and :class:`Discriminator`: a GAN "in the SAGAN spirit" (Zhang et al.,
  2018): spectral normalization in both networks, one self-attention block, trained with the
  hinge loss (see :mod:`drs_lib.training.train_images`). Sized for 8x8 digits, but any square image
  whose side is ``base * 2**k`` (e.g. 8, 16, 28, 32, 64) works.
* :class:`BCEHead`: the fully connected layer that the paper (Section 4.2) adds "on top of" the
  trained hinge discriminator and trains alone with binary cross-entropy, because DRS needs a
  logit of a sigmoid classifier. :class:`DRSCritic` chains the frozen discriminator features
  and that head: its output is the logit D̃(x) that DRS uses.
* :class:`Classifier`: the stand-in for the Inception network; its softmax gives p(y|x) for the
  Inception Score analogue and its penultimate layer the features for the FID analogue.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

__all__ = ["Generator", "Discriminator", "BCEHead", "DRSCritic", "Classifier", "SelfAttention", "NearestUpsample2x",
           "stage_plan"]


def stage_plan(size: int, max_stages: int = 3) -> tuple[int, int]:
    """``(base, n_stages)`` with ``size == base * 2**n_stages``, ``base >= 2`` and as many stages as allowed."""
    if not isinstance(size, int) or size < 4:
        raise ValueError(f"image side must be an integer >= 4; got {size!r}")
    for stages in range(max_stages, 0, -1):
        if size % (2**stages) == 0 and size // (2**stages) >= 2:
            return size // (2**stages), stages
    raise ValueError(f"image side {size} cannot be halved even once into a side >= 2")


def _square_side(image_shape: tuple[int, int, int]) -> int:
    channels, height, width = image_shape
    if height != width:
        raise ValueError(f"only square images are supported; got {height}x{width}")
    return int(height)


class SelfAttention(nn.Module):
    """SAGAN self-attention: x + γ·attention(x), γ initialised at 0 (spectrally normalised 1x1 convs)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        inner = max(channels // 8, 1)
        self.query = spectral_norm(nn.Conv2d(channels, inner, 1, bias=False))
        self.key = spectral_norm(nn.Conv2d(channels, inner, 1, bias=False))
        self.value = spectral_norm(nn.Conv2d(channels, channels, 1, bias=False))
        self.gamma = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        q = self.query(x).flatten(2)  # (n, c', hw)
        k = self.key(x).flatten(2)
        v = self.value(x).flatten(2)  # (n, c, hw)
        attention = torch.softmax(q.transpose(1, 2) @ k, dim=-1)  # (n, hw, hw)
        out = (v @ attention.transpose(1, 2)).view(n, c, h, w)
        return x + self.gamma * out


class NearestUpsample2x(nn.Module):
    """Doubles height and width by repeating each pixel: the values of ``nn.Upsample(scale_factor=2, mode="nearest")``.

    Without autograd (sampling, scoring) it copies through a broadcast view, which is about 4x faster
    than torch's CPU ``upsample_nearest2d`` on the generator's many small feature maps; a copy is
    exact, so the output is the same to the bit. With autograd (training) it is ``F.interpolate``
    itself, so the gradients keep torch's summation order and training is unchanged.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.is_grad_enabled() and x.requires_grad:
            return nn.functional.interpolate(x, scale_factor=2, mode="nearest")
        n, c, h, w = x.shape
        return x[:, :, :, None, :, None].expand(n, c, h, 2, w, 2).reshape(n, c, 2 * h, 2 * w)


class Generator(nn.Module):
    """z (n, z_dim) -> images (n, c, h, w) in [-1, 1]."""

    def __init__(self, image_shape: tuple[int, int, int] = (1, 8, 8), z_dim: int = 32, width: int = 32, attention: bool = True) -> None:
        super().__init__()
        channels = image_shape[0]
        self.image_shape = tuple(image_shape)
        self.z_dim = z_dim
        self.base, stages = stage_plan(_square_side(image_shape))
        widths = [width * 2 ** (stages - i) for i in range(stages + 1)]  # e.g. 128, 64, 32
        self.input = spectral_norm(nn.Linear(z_dim, widths[0] * self.base * self.base))
        self.widths = widths
        blocks: list[nn.Module] = []
        for i in range(stages):
            blocks += [
                nn.BatchNorm2d(widths[i]),
                nn.ReLU(),
                NearestUpsample2x(),
                spectral_norm(nn.Conv2d(widths[i], widths[i + 1], 3, padding=1)),
            ]
            if attention and i == 0:
                blocks.append(SelfAttention(widths[i + 1]))
        blocks += [nn.BatchNorm2d(widths[-1]), nn.ReLU(), spectral_norm(nn.Conv2d(widths[-1], channels, 3, padding=1)), nn.Tanh()]
        self.body = nn.Sequential(*blocks)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.input(z).view(z.shape[0], self.widths[0], self.base, self.base)
        return self.body(h)


class Discriminator(nn.Module):
    """Hinge-loss critic: ``features(x)`` (n, feature_dim) then a spectrally normalised linear output."""

    def __init__(self, image_shape: tuple[int, int, int] = (1, 8, 8), width: int = 32, attention: bool = True) -> None:
        super().__init__()
        channels = image_shape[0]
        self.image_shape = tuple(image_shape)
        base, stages = stage_plan(_square_side(image_shape))
        widths = [width * 2**i for i in range(stages + 1)]  # e.g. 32, 64, 128
        layers: list[nn.Module] = [spectral_norm(nn.Conv2d(channels, widths[0], 3, padding=1)), nn.LeakyReLU(0.2)]
        for i in range(stages):
            layers += [spectral_norm(nn.Conv2d(widths[i], widths[i + 1], 4, stride=2, padding=1)), nn.LeakyReLU(0.2)]
            if attention and i == 0:
                layers.append(SelfAttention(widths[i + 1]))
        layers.append(nn.Flatten())
        self.body = nn.Sequential(*layers)
        self.feature_dim = widths[-1] * base * base
        self.output = spectral_norm(nn.Linear(self.feature_dim, 1))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Hinge critic value, shape (n,)."""
        return self.output(self.features(x)).squeeze(-1)


class BCEHead(nn.Module):
    """The fully connected layer trained with binary cross-entropy on frozen discriminator features."""

    def __init__(self, feature_dim: int) -> None:
        super().__init__()
        self.linear = nn.Linear(feature_dim, 1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.linear(features).squeeze(-1)


class DRSCritic(nn.Module):
    """x -> logit D̃(x) of the BCE head on the (frozen) discriminator's features, shape (n,)."""

    def __init__(self, discriminator: Discriminator, head: BCEHead) -> None:
        super().__init__()
        self.discriminator = discriminator
        self.head = head

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.discriminator.features(x))


class Classifier(nn.Module):
    """Small CNN: ``features(x)`` is the penultimate layer (n, feature_dim); ``forward`` gives class logits."""

    def __init__(self, image_shape: tuple[int, int, int] = (1, 8, 8), n_classes: int = 10, width: int = 32, feature_dim: int = 64, dropout: float = 0.3) -> None:
        super().__init__()
        channels, height, width_px = image_shape
        self.image_shape = tuple(image_shape)
        self.n_classes = n_classes
        self.feature_dim = feature_dim
        self.conv = nn.Sequential(
            nn.Conv2d(channels, width, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(2 * width, 2 * width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
        )
        flat = 2 * width * math.floor(height / 4) * math.floor(width_px / 4)
        self.penultimate = nn.Sequential(nn.Linear(flat, feature_dim), nn.ReLU())
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(feature_dim, n_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.penultimate(self.conv(x))

    def logits(self, features: torch.Tensor) -> torch.Tensor:
        """Class logits from :meth:`features` (what ``forward`` does after them)."""
        return self.output(self.dropout(features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logits(self.features(x))
