"""What the DRS API hands back (batches, the calibration, the fine-tuning report), its defaults
and the small helpers :class:`~drs_lib.api.DRS`, the stream and the shard writer share.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn
from drs_lib.rng import hashed_seed
from drs_lib.training.keep_training import KEEP_TRAINING_DEFAULTS


#: Version of the file written by :meth:`DRS.save`; :meth:`DRS.load` refuses other versions.
SAVE_FORMAT = 1
#: Defaults of ``fine_tune(method="keep_training")`` (the toy experiments' KeepTraining settings).
KEEP_TRAINING_OPTIONS: dict[str, Any] = {
    "steps": KEEP_TRAINING_DEFAULTS["max_steps"],
    "lr": KEEP_TRAINING_DEFAULTS["lr"],
    "betas": tuple(KEEP_TRAINING_DEFAULTS["betas"]),
    "batch_size": KEEP_TRAINING_DEFAULTS["batch_size"],
    "patience": KEEP_TRAINING_DEFAULTS["patience"],
    "eval_every": KEEP_TRAINING_DEFAULTS["eval_every"],
    "validation_fraction": 0.2,
}
#: Defaults of ``fine_tune(method="bce_head")`` (those of :data:`drs_lib.training.train_images.DEFAULT_HEAD`).
BCE_HEAD_OPTIONS: dict[str, Any] = {"features": None, "n_fake": 10_000, "steps": 500, "lr": 1e-2, "weight_decay": 1e-4}
D_MAX_MODES = ("global", "per_class")
#: Smallest default batch of a per-class process (fixed labels): γ is a percentile over it.
MIN_CLASS_BATCH = 1000
_DEFAULT: Any = object()  # "use the value given to the constructor" (None is a meaningful γ rule)

LatentSampler = Callable[[int, torch.Generator], Tensor]


class ModelMismatchError(ValueError):
    """The generator, discriminator and latent specification do not fit together (the message says how)."""


class Batch(NamedTuple):
    """Samples ``x`` with their labels ``y`` (None for unconditional models) and logits D̃(x) (None if not scored)."""

    x: Tensor
    y: Tensor | None
    logits: Tensor | None


@dataclass(frozen=True)


class Calibration:
    """Result of :meth:`DRS.calibrate`: D̃_M (BurnIn, Figure 1 right) and what the logits look like."""

    d_max: float  #: D̃_M, the largest BurnIn logit over all classes
    d_max_per_class: tuple[float, ...] | None  #: per-class maxima (conditional models)
    d_max_mode: str  #: which of the two the sampler uses
    n_burn_in: int
    seed: int
    logit_mean: float
    logit_std: float
    logit_quantiles: dict[str, float]  #: "q01", "q50", "q99", "q999" of the BurnIn logits
    ideal_acceptance: float  #: mean exp(D̃(x) − D̃_M) over BurnIn: the acceptance rate of γ = 0 (Sec. 3.1)
    expected_acceptance: float  #: mean σ(F̂(x) − γ) over BurnIn with the sampler's γ rule (eq. 8)
    gamma_percentile: float | None
    looks_like_probabilities: bool  #: every logit in [0, 1]: D probably ends with a sigmoid
    logits: Tensor | None = field(default=None, repr=False)  #: the BurnIn logits (CPU; not saved)
    labels: Tensor | None = field(default=None, repr=False)  #: their labels (conditional models)

    def summary(self) -> str:
        """A few lines for a log or a notebook."""
        q = self.logit_quantiles
        lines = [
            f"BurnIn: {self.n_burn_in:,} proposals; D̃_M = {self.d_max:.3f} ({self.d_max_mode})",
            f"logits: mean {self.logit_mean:.3f}, std {self.logit_std:.3f}; 1% {q['q01']:.3f}, median {q['q50']:.3f}, "
            f"99% {q['q99']:.3f}, 99.9% {q['q999']:.3f}",
            f"acceptance with γ = 0: {self.ideal_acceptance:.4f}; with the sampler's γ rule "
            f"({_gamma_text(self.gamma_percentile)}): {self.expected_acceptance:.4f}",
        ]
        if self.d_max_per_class is not None:
            lines.append("per-class D̃_M: " + ", ".join(f"{v:.2f}" for v in self.d_max_per_class))
        if self.looks_like_probabilities:
            lines.append("note: every logit lies in [0, 1]; if D ends with a sigmoid, remove it: DRS needs D̃ = log D/(1 − D)")
        return "\n".join(lines)

    def to_payload(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__ if k not in ("logits", "labels")}


@dataclass(frozen=True)


class FineTuneReport:
    """What :meth:`DRS.fine_tune` did (``details``: losses, steps, accuracy)."""

    method: str
    seconds: float
    details: dict[str, Any]


@dataclass(frozen=True)


class DRSSamples:
    """Output of :meth:`DRS.sample`: exactly n samples and the run's diagnostics."""

    x: Tensor
    y: Tensor | None  #: labels (conditional models), in the order asked for
    logits: Tensor  #: D̃ of the returned samples
    proposals: int  #: proposals drawn (BurnIn not included)
    accepted: int  #: proposals accepted (can exceed n: the last batch is not all needed)
    acceptance_rate: float  #: accepted / proposals
    proposed_per_class: Tensor | None
    accepted_per_class: Tensor | None
    max_updates: int  #: batches that raised D̃_M while sampling
    max_increase: float  #: largest total rise of D̃_M while sampling
    seed: int
    gamma_percentile: float | None

    @property
    def acceptance_per_class(self) -> Tensor | None:
        """accepted / proposed per class (NaN for a class never proposed)."""
        if self.proposed_per_class is None:
            return None
        return self.accepted_per_class.double() / self.proposed_per_class.double()


def _gamma_text(percentile: float | None) -> str:
    return "γ = 0" if percentile is None else f"γ at the {percentile:g}th percentile of F̂"


def derived_seed(seed: int, *purpose: object) -> int:
    """The seed of the API's generator for ``purpose`` (e.g. ``"class", 3``) in a call with ``seed``."""
    return hashed_seed("drs_lib.api", seed, *purpose)


def _module_device(module: nn.Module) -> torch.device | None:
    for tensors in (module.parameters(), module.buffers()):
        for tensor in tensors:
            return tensor.device
    return None


def _chunks(total: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, total, size):
        yield start, min(size, total - start)
