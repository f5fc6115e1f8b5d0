"""BCE heads on a discriminator's features (Section 4.2 of Azadi et al., 2019), for any discriminator.

DRS needs the logit D̃ of a discriminator trained with binary cross-entropy: only then is
exp(D̃(x)) the density ratio p_d(x)/p_g(x) (eq. 3-5). A discriminator trained with the hinge
loss (SAGAN, BigGAN, most modern GANs) or a Wasserstein critic outputs something else. The
paper's remedy for SAGAN: "we add a fully connected layer on top of" the trained
discriminator's features and train only that layer with BCE, G and D frozen. This module does
that for any discriminator:

* :func:`feature_extractor` turns "where are D's features" (a callable, the name of D's final
  layer, or D's own ``features`` method) into a function of (x) or (x, y);
* :class:`ConditionalBCEHead` is the head for class-conditional discriminators: a projection
  head (Miyato & Koyama, 2018), one shared linear layer plus a per-class direction and bias;
* :func:`fit_bce_head` trains a head on precomputed real and fake features, with the same
  recipe as :func:`drs_lib.training.train_images.train_bce_head` (features standardised for the
  optimiser and folded back, full-batch Adam, classes balanced by ``pos_weight``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as nnf
from torch import Tensor, nn

from drs_lib.nets.convnets import BCEHead

__all__ = ["BCEHead", "ConditionalBCEHead", "HeadFit", "feature_extractor", "fit_bce_head"]

Features = Callable[..., Tensor]


class ConditionalBCEHead(nn.Module):
    """logit(f, y) = w·f + b + v_y·f + c_y: a BCE head for class-conditional discriminators.

    ``v_y`` and ``c_y`` start at zero, so an untrained head is the unconditional
    :class:`~drs_lib.nets.convnets.BCEHead`; training lets each class move its own decision boundary.
    """

    def __init__(self, feature_dim: int, n_classes: int) -> None:
        super().__init__()
        self.linear = nn.Linear(feature_dim, 1)
        self.embedding = nn.Embedding(n_classes, feature_dim)
        self.class_bias = nn.Embedding(n_classes, 1)
        nn.init.zeros_(self.embedding.weight)
        nn.init.zeros_(self.class_bias.weight)

    def forward(self, features: Tensor, labels: Tensor) -> Tensor:
        projection = (self.embedding(labels) * features).sum(-1)
        return self.linear(features).squeeze(-1) + projection + self.class_bias(labels).squeeze(-1)


def _final_layers(module: nn.Module) -> list[str]:
    names = [name for name, m in module.named_modules() if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d))]
    return names[-3:]


def feature_extractor(discriminator: nn.Module, features: Features | str | None, conditional: bool) -> Features:
    """A function ``f(x)`` (or ``f(x, y)`` when ``conditional``) returning D's features, shape (n, d).

    ``features`` is one of:

    * a callable taking the discriminator's inputs (x, or x and y) and returning (n, ...) features;
    * the name of a submodule of ``discriminator`` (as in ``named_modules()``), usually its final
      layer: the features are that layer's input, captured while D runs forward;
    * ``None``: ``discriminator.features``, which must exist.

    Features of more than two dimensions are flattened to (n, d).
    """
    if callable(features):
        extract = features
    elif isinstance(features, str):
        modules = dict(discriminator.named_modules())
        if features not in modules or features == "":
            raise ValueError(
                f"the discriminator has no submodule named {features!r}; name the layer whose input are the "
                f"features (its final layer), e.g. one of {_final_layers(discriminator)}"
            )
        extract = _input_of(discriminator, modules[features], features)
    elif features is None:
        method = getattr(discriminator, "features", None)
        if not callable(method):
            raise ValueError(
                "the discriminator has no features() method; pass features= the name of its final layer "
                f"(its input are the features), e.g. one of {_final_layers(discriminator)}, or a callable "
                "returning the features for the discriminator's inputs"
            )
        extract = method
    else:
        raise ValueError(f"features must be a callable, a submodule name or None; got {features!r}")

    def run(*inputs: Tensor) -> Tensor:
        out = extract(*inputs) if conditional else extract(inputs[0])
        return out.reshape(out.shape[0], -1)

    return run


def _input_of(discriminator: nn.Module, layer: nn.Module, name: str) -> Features:
    def extract(*inputs: Tensor) -> Tensor:
        captured: list[Tensor] = []
        handle = layer.register_forward_hook(lambda _m, args, _out: captured.append(args[0]))
        try:
            discriminator(*inputs)
        finally:
            handle.remove()
        if not captured:
            raise ValueError(f"the discriminator's forward pass never called its submodule {name!r}")
        return captured[-1]

    return extract


@dataclass(frozen=True)
class HeadFit:
    """What :func:`fit_bce_head` did: the final (balanced) BCE loss and training accuracy."""

    final_loss: float
    train_accuracy: float
    n_real: int
    n_fake: int
    seconds: float


def fit_bce_head(
    head: nn.Module,
    real_features: Tensor,
    fake_features: Tensor,
    *,
    real_labels: Tensor | None = None,
    fake_labels: Tensor | None = None,
    steps: int = 500,
    lr: float = 1e-2,
    weight_decay: float = 1e-4,
) -> HeadFit:
    """Train ``head`` alone with BCE: real features → 1, fake features → 0 (paper, Section 4.2).

    The recipe of :func:`drs_lib.training.train_images.train_bce_head`: features divided by their
    standard deviation while training (conditioning only; the scale is folded back into the
    weights afterwards, so the head takes raw features), full-batch Adam for ``steps`` steps,
    real and fake weighted equally through ``pos_weight``. With ``real_labels``/``fake_labels``
    the head is called as ``head(features, labels)`` (:class:`ConditionalBCEHead`). Full-batch
    training draws no random numbers: the result depends only on the head's initial weights.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be an integer >= 1; got {steps!r}")
    if real_features.ndim != 2 or fake_features.ndim != 2 or real_features.shape[1] != fake_features.shape[1]:
        raise ValueError(f"features must be (n, d) with the same d; got {tuple(real_features.shape)} and {tuple(fake_features.shape)}")
    conditional = real_labels is not None
    if conditional != (fake_labels is not None):
        raise ValueError("give labels for both the real and the fake features, or for neither")
    device = real_features.device
    features = torch.cat([real_features, fake_features]).float()
    labels = torch.cat([real_labels, fake_labels]).to(device) if conditional else None
    targets = torch.cat([torch.ones(len(real_features)), torch.zeros(len(fake_features))]).to(device)
    scale = features.std(0).clamp_min(1e-6)
    pos_weight = torch.tensor(len(fake_features) / len(real_features), device=device)
    optimizer = torch.optim.Adam(head.parameters(), lr=lr, weight_decay=weight_decay)

    def logits_of(f: Tensor) -> Tensor:
        return head(f, labels) if conditional else head(f)

    start = time.perf_counter()
    head.train()
    for _ in range(steps):
        loss = nnf.binary_cross_entropy_with_logits(logits_of(features / scale), targets, pos_weight=pos_weight)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    head.eval()
    with torch.no_grad():
        head.linear.weight /= scale
        if conditional:
            head.embedding.weight /= scale
        logits = logits_of(features)
        final_loss = float(nnf.binary_cross_entropy_with_logits(logits, targets, pos_weight=pos_weight))
        accuracy = float(((logits > 0).float() == targets).float().mean())
    return HeadFit(final_loss, accuracy, len(real_features), len(fake_features), time.perf_counter() - start)
