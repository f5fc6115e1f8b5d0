"""DRS, part 1 of 4, construction: the models are checked at once, then held with the latent,
the class labels and the sampler's rule; the proposer and scorer the core samples with.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from drs_lib.api.results import D_MAX_MODES, LatentSampler, ModelMismatchError, Calibration, FineTuneReport, _module_device, _chunks
from drs_lib.checks import check_float, check_int, check_percentile
from drs_lib.device import resolve_device
from drs_lib.samplers import drs


class _PackedConditional(nn.Module):
    """``D(x, y)`` as a one-argument module on rows ``[x flattened, y]``, so that the function
    ``drs_lib.training.keep_training.fit_discriminator`` (which draws single tensors) can KeepTrain it."""

    def __init__(self, discriminator: nn.Module, x_shape: tuple[int, ...]) -> None:
        super().__init__()
        self.discriminator = discriminator
        self.x_shape = x_shape

    def forward(self, packed: Tensor) -> Tensor:
        x = packed[:, :-1].reshape(packed.shape[0], *self.x_shape)
        return self.discriminator(x, packed[:, -1].round().long())


def _pack(x: Tensor, y: Tensor) -> Tensor:
    return torch.cat([x.reshape(x.shape[0], -1), y.to(x.dtype)[:, None]], 1)


class Construction:
    """DRS, part 1: checking and holding the generator and discriminator, the latent, the labels,
    and running the networks (the proposer and the scorer the core samples with)."""

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        latent: Sequence[int] | int | LatentSampler,
        *,
        n_classes: int | None = None,
        class_probs: Sequence[float] | Tensor | None = None,
        d_max_mode: str = "global",
        gamma_percentile: float | None = 80.0,
        epsilon: float = drs.EPSILON,
        update_max: bool = True,
        batch_size: int = 10_000,
        device: str | torch.device | None = "auto",
    ) -> None:
        for name, module in (("generator", generator), ("discriminator", discriminator)):
            if not isinstance(module, nn.Module):
                raise TypeError(f"{name} must be a torch.nn.Module; got {type(module).__name__}")
        self.latent_shape, self._latent_fn = self._parse_latent(latent)
        if n_classes is not None:
            check_int("n_classes", n_classes, 2)
        self.n_classes = n_classes
        if d_max_mode not in D_MAX_MODES:
            raise ValueError(f"d_max_mode must be one of {D_MAX_MODES}; got {d_max_mode!r}")
        if d_max_mode == "per_class" and n_classes is None:
            raise ValueError("d_max_mode='per_class' needs a class-conditional model (n_classes)")
        self.d_max_mode = d_max_mode
        if gamma_percentile is not None:
            check_percentile("gamma_percentile", gamma_percentile)
        self.gamma_percentile = None if gamma_percentile is None else float(gamma_percentile)
        self.epsilon = check_float("epsilon", epsilon, minimum=0.0)
        self.update_max = bool(update_max)
        self.batch_size = check_int("batch_size", batch_size, 1)
        if device is not None:
            target = resolve_device(device)
            generator.to(target)
            discriminator.to(target)
        self.generator = generator.eval()
        self._base_discriminator = discriminator.eval()
        self.discriminator = self._base_discriminator  # the one scored (a KeepTrained copy after fine_tune)
        fallback = resolve_device(device) if device is not None else torch.device("cpu")
        self.device = _module_device(generator) or fallback  # latents, labels and samples live here
        self.discriminator_device = _module_device(discriminator) or self.device
        self.class_probs = self._parse_class_probs(class_probs)
        self._critic: Callable[..., Tensor] = self.discriminator
        self._head: nn.Module | None = None
        self._features: Any = None
        self.fine_tuning: FineTuneReport | None = None
        self.calibration: Calibration | None = None
        self.sample_shape, self._logit_dtype = self._check_models()
        leaves = [m for m in discriminator.modules() if not list(m.children())]
        if leaves and isinstance(leaves[-1], (nn.Sigmoid, nn.Softmax, nn.LogSigmoid)):
            warnings.warn(f"the discriminator's last layer is {type(leaves[-1]).__name__}: DRS needs the logit "
                          "D̃ = log D/(1 − D) (eq. 4), so score with the layers before it", stacklevel=2)

    # construction helpers -------------------------------------------------------------------
    @staticmethod
    def _parse_latent(latent: object) -> tuple[tuple[int, ...] | None, LatentSampler | None]:
        if isinstance(latent, int) and not isinstance(latent, bool):
            latent = (latent,)
        if isinstance(latent, (tuple, list, torch.Size)):
            shape = tuple(latent)
            if not shape or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in shape):
                raise ValueError(f"latent must be the shape of one latent vector without the batch axis, positive "
                                 f"integers such as (128,) or (100, 1, 1); got {latent!r}")
            return shape, None
        if callable(latent):
            return None, latent
        raise ValueError(f"latent must be a shape such as (128,) or (100, 1, 1), or a callable latent(n, rng); got {latent!r}")

    def _parse_class_probs(self, class_probs: object) -> Tensor | None:
        if self.n_classes is None:
            if class_probs is not None:
                raise ValueError("class_probs needs a class-conditional model (n_classes)")
            return None
        if class_probs is None:
            return torch.full((self.n_classes,), 1.0 / self.n_classes, dtype=torch.float64, device=self.device)
        probs = torch.as_tensor(class_probs, dtype=torch.float64).reshape(-1)
        if probs.numel() != self.n_classes or not torch.isfinite(probs).all() or (probs < 0).any() or probs.sum() <= 0:
            raise ValueError(f"class_probs must be {self.n_classes} non-negative numbers, not all zero; got {class_probs!r}")
        return (probs / probs.sum()).to(self.device)

    @property
    def conditional(self) -> bool:
        return self.n_classes is not None

    def _latents(self, n: int, rng: torch.Generator) -> Tensor:
        if self._latent_fn is not None:
            return self._latent_fn(n, rng)
        return torch.randn((n, *self.latent_shape), generator=rng, device=rng.device)

    def _latent_text(self) -> str:
        return f"latent={self.latent_shape}" if self.latent_shape is not None else "the latent callable"

    @torch.no_grad()
    def _check_models(self) -> tuple[tuple[int, ...], torch.dtype]:
        """Run two latents through G and D; raise ModelMismatchError naming what was expected."""
        rng = torch.Generator(device=self.device).manual_seed(0)
        z = self._latents(2, rng)
        if not isinstance(z, Tensor) or z.shape[0] != 2:
            raise ModelMismatchError(f"the latent callable must return a tensor with n rows for latent(n, rng); for n = 2 it "
                                     f"returned {getattr(z, 'shape', type(z).__name__)}")
        y = torch.tensor([0, self.n_classes - 1], device=self.device) if self.conditional else None
        inputs = "latents of shape " + str(tuple(z.shape)) + (" and labels of shape (2,)" if y is not None else "")
        try:
            x = self._run_generator(z, y)
        except Exception as error:
            hint = (" If the generator is class-conditional, G(z, y), pass n_classes." if not self.conditional else
                    " A class-conditional generator is called as G(z, y) with y an int64 tensor of labels in [0, n_classes).")
            raise ModelMismatchError(
                f"the generator cannot take {inputs} ({type(error).__name__}: {error}). Expected: {self._latent_text()} is "
                f"the shape of one latent without the batch axis, e.g. (128,) for a linear input or (100, 1, 1) for "
                f"DCGAN.{hint}"
            ) from error
        if not isinstance(x, Tensor) or x.ndim < 1 or x.shape[0] != 2:
            raise ModelMismatchError(f"the generator returned {getattr(x, 'shape', type(x).__name__)} for {inputs}; expected "
                                     "a tensor of samples with the batch of 2 along its first axis")
        try:
            logits = self._run_critic(x, y)
        except Exception as error:
            raise ModelMismatchError(
                f"the discriminator cannot take the generator's output of shape {tuple(x.shape)} ({type(error).__name__}: "
                f"{error}). Expected: D accepts what G returns" + (", called as D(x, y)" if self.conditional else "")
            ) from error
        if not isinstance(logits, Tensor) or logits.ndim < 1 or logits.shape[0] != 2 or logits.numel() != 2:
            raise ModelMismatchError(
                f"the discriminator returned {getattr(logits, 'shape', type(logits).__name__)} for 2 samples; DRS needs "
                "one logit D̃(x) per sample, shape (n,) or (n, 1). A discriminator with several outputs per sample "
                "(class logits as in AC-GAN, a patch map as in PatchGAN) must first be reduced to one real-vs-fake logit"
            )
        if not logits.is_floating_point() or not torch.isfinite(logits).all():
            raise ModelMismatchError(f"the discriminator returned {logits.reshape(-1).tolist()} ({logits.dtype}); expected finite floating-point logits")
        return tuple(x.shape[1:]), logits.dtype

    # the networks --------------------------------------------------------------------------
    def _run_generator(self, z: Tensor, y: Tensor | None) -> Tensor:
        z = z.to(self.device)
        return self.generator(z) if y is None else self.generator(z, y.to(z.device))

    def _run_critic(self, x: Tensor, y: Tensor | None) -> Tensor:
        x = x.to(self.discriminator_device)
        out = self._critic(x) if y is None else self._critic(x, y.to(self.discriminator_device))
        return out.reshape(out.shape[0], -1).squeeze(1) if out.ndim > 1 else out

    def _proposer(self, label: int | None) -> drs.Generate:
        """``generate(n, rng)`` for the core: x, or (x, y) with y drawn (``label=None``) or fixed."""

        def generate(n: int, rng: torch.Generator) -> drs.Proposals:
            if not self.conditional:
                return self._run_generator(self._latents(n, rng), None).to(self.device)
            if label is None:
                y = torch.multinomial(self.class_probs, n, replacement=True, generator=rng)
            else:
                y = torch.full((n,), label, dtype=torch.long, device=rng.device)
            return self._run_generator(self._latents(n, rng), y).to(self.device), y.to(self.device)

        return generate

    def _scorer(self, shift: Tensor | None = None) -> drs.Score:
        """``score(proposals)`` for the core: D̃ on the sampler's device (minus ``shift[y]`` if given)."""

        def score(proposals: drs.Proposals) -> Tensor:
            if isinstance(proposals, tuple):
                x, y = proposals
                logits = self._run_critic(x, y).to(self.device)
                return logits if shift is None else logits.double() - shift[y]
            return self._run_critic(proposals, None).to(self.device)

        return score

    @torch.no_grad()
    def score(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        """D̃(x) (or D̃(x, y)) as DRS uses it (after fine-tuning), shape (n,), in batches of ``batch_size``."""
        if self.conditional != (y is not None):
            raise ValueError("a class-conditional sampler scores (x, y): pass the labels y" if self.conditional
                             else "labels are only for class-conditional models (n_classes)")
        parts = [self._run_critic(x[a : a + n], None if y is None else y[a : a + n]) for a, n in _chunks(len(x), self.batch_size)]
        return torch.cat(parts).to(self.device)

    # labels ------------------------------------------------------------------------------
    def _parse_labels(self, labels: object, n: int) -> Tensor | str | None:
        if not self.conditional:
            if labels is not None:
                raise ValueError("labels are only for class-conditional models (n_classes)")
            return None
        if labels is None:
            return None
        if isinstance(labels, str):
            if labels != "balanced":
                raise ValueError(f"labels must be None, 'balanced', a class index or a tensor of labels; got {labels!r}")
            return labels
        if isinstance(labels, int) and not isinstance(labels, bool):
            labels = torch.full((n,), labels, dtype=torch.long)
        if isinstance(labels, Tensor) and not labels.is_floating_point() and labels.dtype != torch.bool:
            labels = labels.reshape(-1).to("cpu", torch.long)
            if labels.numel() != n:
                raise ValueError(f"labels must hold one label per sample: {n}; got {labels.numel()}")
            if n and (labels.min() < 0 or labels.max() >= self.n_classes):
                raise ValueError(f"labels must lie in [0, {self.n_classes}); got values from {int(labels.min())} to {int(labels.max())}")
            return labels
        raise ValueError(f"labels must be None (drawn from class_probs), 'balanced', a class index or an integer tensor "
                         f"of n labels; got {labels!r}")

    def _plain_labels(self, labels: Tensor | str | None, start: int, n: int, rng: torch.Generator) -> Tensor | None:
        if labels is None:
            return None if not self.conditional else torch.multinomial(self.class_probs, n, replacement=True, generator=rng)
        if isinstance(labels, str):
            return (torch.arange(start, start + n) % self.n_classes).to(self.device)
        return labels[start : start + n].to(self.device)
