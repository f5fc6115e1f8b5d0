"""The :class:`DRS` class, defined once: construction (the models checked, the latent and labels
held), fine-tuning (KeepTraining or a BCE head, Section 4.2), calibration (BurnIn), sampling
(``sample``, ``stream``, ``generate``) and persistence (``save``, ``load``). What it hands back
is in :mod:`drs_lib.api.results`, the chunked iterator in :mod:`drs_lib.api.stream`; every random
draw goes through the core, :mod:`drs_lib.samplers.drs`.

Longer than 450 lines because it is the whole class in one place (issue 26): its state is
declared once, at the top of the class, and its methods read top-down in the order a user calls
them, instead of five mixins that shared attributes none of them declared.
"""

from __future__ import annotations

import copy
import io
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

import drs_lib
from drs_lib.api import distributed
from drs_lib.api.results import (
    _DEFAULT, BCE_HEAD_OPTIONS, D_MAX_MODES, KEEP_TRAINING_OPTIONS, MIN_CLASS_BATCH, SAVE_FORMAT, Batch, Calibration,
    DRSSamples, FineTuneReport, LatentSampler, ModelMismatchError, _chunks, _gamma_text, _module_device, derived_seed,
)
from drs_lib.api.stream import DRSStream, _Budget, _Source
from drs_lib.checks import check_float, check_int, check_percentile
from drs_lib.device import resolve_device
from drs_lib.io import atomic_write_bytes
from drs_lib.nets.heads import BCEHead, ConditionalBCEHead, feature_extractor, fit_bce_head
from drs_lib.samplers import drs
from drs_lib.training.keep_training import fit_discriminator


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


class DRS:
    """Discriminator Rejection Sampling for a trained generator and discriminator.

    Parameters
    ----------
    generator, discriminator:
        ``torch.nn.Module`` s. ``G(z)`` returns a batch of samples and ``D(x)`` one logit D̃(x)
        per sample, shape (n,) or (n, 1); class-conditional models (``n_classes`` given) are
        called as ``G(z, y)`` and ``D(x, y)`` with ``y`` an int64 tensor of labels. Both are put
        in ``eval()`` mode (BatchNorm and dropout behave as at test time) and never modified;
        fine-tuning works on a copy.
    latent:
        The shape of one latent vector without the batch axis, e.g. ``(128,)`` or DCGAN's
        ``(100, 1, 1)`` (z ~ N(0, I)), or a callable ``latent(n, rng)`` returning n latents on
        ``rng``'s device (for other priors).
    n_classes, class_probs:
        For class-conditional models: the number of classes and the probabilities with which
        labels are drawn when a sample call leaves ``labels=None`` (default uniform).
    d_max_mode:
        ``"global"`` (default): one D̃_M, the largest BurnIn logit over all classes.
        ``"per_class"``: D̃_M[y], the largest BurnIn logit of class y. The paper does not say
        which its class-conditional SAGAN used. Global is the default because (1) with labels
        drawn per proposal only a single bound M = max_y M_y keeps the accepted pairs (x, y)
        distributed as p_d(x, y): the ideal acceptance exp(D̃(x, y) − D̃_M) then removes the
        same fraction 1/M of every class and the class mix stays the one asked for, whereas
        per-class bounds reweight class y by 1/M_y; and (2) BurnIn over the paper's 10,000
        proposals gives each of ImageNet's 1,000 classes only ten, too few for a per-class
        maximum. Per-class bounds are the tighter choice when the labels are fixed in advance
        (``labels="balanced"`` or given): each class is then its own rejection sampler, and
        classes the discriminator rates lower lose fewer proposals; use them with enough
        BurnIn proposals per class.
    gamma_percentile, epsilon, update_max, batch_size:
        The sampler's rule, as in :func:`drs_lib.samplers.drs.drs_sample`: γ at this percentile of F̂
        over each batch (``None``: γ = 0, the idealized scheme; the paper uses 80 for images,
        95 for the toys), ε of eq. 8, whether D̃_M is raised while sampling, and proposals per
        batch. ``gamma_percentile`` can be overridden per call.
    device:
        ``"auto"`` (CUDA when present), ``"cpu"``, ``"cuda"``, ``"cuda:N"``: both models are
        moved there. ``None`` leaves each model where it is (e.g. G on one GPU and D on
        another): latents are drawn and samples returned on the generator's device, and samples
        are moved to the discriminator's device to be scored.

    The pair is checked at once on two latents: a latent G rejects, an output D rejects, or a
    D that returns more than one value per sample raises :class:`ModelMismatchError` saying
    what was expected, before any long work.
    """

    # the state, declared once ------------------------------------------------------------------
    generator: nn.Module  #: G, in eval mode, never modified
    discriminator: nn.Module  #: the D scored: the one given, or a KeepTrained copy after fine_tune
    _base_discriminator: nn.Module  #: the D given (fine-tuning starts from it, a BCE head reads its features)
    _critic: Callable[..., Tensor]  #: what scores: ``discriminator``, or a BCE head on its features
    _head: nn.Module | None  #: the BCE head, after ``fine_tune(method="bce_head")``
    _features: Any  #: how the head reads D's features (a layer name, a callable or None for ``D.features``)
    latent_shape: tuple[int, ...] | None  #: one latent's shape (None: a latent callable)
    _latent_fn: LatentSampler | None  #: the latent callable, if one was given
    n_classes: int | None  #: classes of a conditional pair (None: unconditional)
    class_probs: Tensor | None  #: probabilities of drawn labels (conditional pairs)
    d_max_mode: str  #: "global" or "per_class"
    gamma_percentile: float | None  #: γ's percentile of F̂ per batch (None: γ = 0)
    epsilon: float  #: ε of eq. 8
    update_max: bool  #: raise D̃_M while sampling
    batch_size: int  #: proposals per batch
    device: torch.device  #: where latents, labels and samples live (the generator's device)
    discriminator_device: torch.device  #: where samples are scored
    sample_shape: tuple[int, ...]  #: one sample's shape, read off G at construction
    _logit_dtype: torch.dtype  #: D's output dtype (returned logits keep it)
    fine_tuning: FineTuneReport | None  #: what fine_tune did (None: not fine-tuned)
    calibration: Calibration | None  #: BurnIn's result (None: not calibrated)

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

    def __repr__(self) -> str:
        kind = f"conditional, {self.n_classes} classes" if self.conditional else "unconditional"
        tuned = self.fine_tuning.method if self.fine_tuning else "not fine-tuned"
        calibrated = f"D̃_M = {self.calibration.d_max:.3f}" if self.calibration else "not calibrated"
        return (f"DRS({kind}; samples {self.sample_shape}; {_gamma_text(self.gamma_percentile)}; {tuned}; {calibrated}; "
                f"device {self.device})")

    # fine-tuning ----------------------------------------------------------------------------
    def fine_tune(self, real: Tensor | tuple[Tensor, Tensor] | Iterable, *, method: str, seed: int = 0,
                  **options: Any) -> FineTuneReport:
        """Make the discriminator's output the logit DRS needs, starting from the discriminator given.

        ``real``: real samples, as a tensor, an ``(x, y)`` pair for conditional models, or an
        iterable of such batches (e.g. a DataLoader; labels are ignored for unconditional
        models). They are held in memory.

        ``method="keep_training"`` (Figure 1, right): a copy of D is trained further with
        binary cross-entropy against G's samples, G fixed, with early stopping on a held-out
        part of ``real`` (``validation_fraction``) and as many fresh samples of G
        (:func:`drs_lib.training.keep_training.fit_discriminator`). Options: :data:`KEEP_TRAINING_OPTIONS`.
        For discriminators trained with BCE, as in the paper's toy experiments.

        ``method="bce_head"`` (Section 4.2): a linear layer on D's frozen features, trained
        with BCE on ``real`` against ``n_fake`` samples of G (:func:`drs_lib.nets.heads.fit_bce_head`;
        a projection head per class for conditional models). For hinge-loss or Wasserstein
        discriminators. ``features``: a callable, the name of D's final layer (its input are
        the features), or None for ``D.features``. Options: :data:`BCE_HEAD_OPTIONS`.

        A previous calibration is dropped: call :meth:`calibrate` again.
        """
        defaults = {"keep_training": KEEP_TRAINING_OPTIONS, "bce_head": BCE_HEAD_OPTIONS}
        if method not in defaults:
            raise ValueError(f"method must be 'keep_training' (a BCE-trained D) or 'bce_head' (hinge or other losses); got {method!r}")
        unknown = set(options) - set(defaults[method])
        if unknown:
            raise ValueError(f"unknown option(s) {sorted(unknown)} for method={method!r}; allowed: {sorted(defaults[method])}")
        settings = {**defaults[method], **options}
        check_int("seed", seed, 0)
        x, y = self._real_data(real)
        start = time.perf_counter()
        details = self._keep_train(x, y, seed, settings) if method == "keep_training" else self._fit_head(x, y, seed, settings)
        self.fine_tuning = FineTuneReport(method, time.perf_counter() - start, details)
        self.calibration = None
        return self.fine_tuning

    def _real_data(self, real: object) -> tuple[Tensor, Tensor | None]:
        if isinstance(real, Tensor):
            xs, ys = [real], [None]
        elif isinstance(real, tuple) and len(real) == 2 and all(isinstance(r, Tensor) for r in real) \
                and real[0].shape[:1] == real[1].shape and not real[1].is_floating_point():
            xs, ys = [real[0]], [real[1]]
        elif isinstance(real, Iterable):
            xs, ys = [], []
            for batch in real:
                if isinstance(batch, Tensor):
                    xs.append(batch), ys.append(None)
                elif isinstance(batch, (tuple, list)) and batch and isinstance(batch[0], Tensor):
                    xs.append(batch[0]), ys.append(batch[1] if len(batch) > 1 else None)
                else:
                    raise ValueError(f"each batch of real data must be a tensor or an (x, y) pair; got {type(batch).__name__}")
        else:
            raise ValueError(f"real must be a tensor, an (x, y) pair of tensors, or an iterable of batches; got {type(real).__name__}")
        if not xs:
            raise ValueError("real holds no samples")
        x = torch.cat([b.detach().cpu() for b in xs])
        if tuple(x.shape[1:]) != self.sample_shape:
            raise ValueError(f"real samples have shape {tuple(x.shape[1:])} each; the generator produces {self.sample_shape}")
        if len(x) < 2:
            raise ValueError(f"real needs at least 2 samples; got {len(x)}")
        if not self.conditional:
            return x.to(torch.float32) if x.dtype == torch.float64 else x, None
        if any(b is None for b in ys):
            raise ValueError("a class-conditional model needs labelled real data: pass (x, y) or batches of (x, y)")
        y = torch.cat([torch.as_tensor(b).reshape(-1).cpu() for b in ys]).long()
        if len(y) != len(x) or y.min() < 0 or y.max() >= self.n_classes:
            raise ValueError(f"real labels must be one per sample, in [0, {self.n_classes}); got {len(y)} labels for {len(x)} samples, "
                             f"values {int(y.min())}..{int(y.max())}")
        return x, y

    def _keep_train(self, x: Tensor, y: Tensor | None, seed: int, settings: dict[str, Any]) -> dict[str, Any]:
        fraction = float(settings["validation_fraction"])
        if not 0.0 < fraction < 1.0:
            raise ValueError(f"validation_fraction must lie in (0, 1); got {fraction!r}")
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(derived_seed(seed, "keep_training_split")))
        n_val = max(1, round(fraction * len(x)))
        if n_val >= len(x):
            raise ValueError(f"too few real samples ({len(x)}) to hold out a validation part and train on the rest")
        rows = _pack(x, y) if self.conditional else x
        validation, training = rows[order[:n_val]], rows[order[n_val:]]
        label_pool = y if self.conditional else None

        def sample_real(n: int, rng: torch.Generator) -> Tensor:
            return training[torch.randint(len(training), (n,), generator=rng)]

        @torch.no_grad()
        def sample_fake(n: int, rng: torch.Generator) -> Tensor:
            z = self._latents(n, rng)
            if not self.conditional:
                return self._run_generator(z, None)
            labels = label_pool[torch.randint(len(label_pool), (n,), generator=rng)]
            return _pack(self._run_generator(z, labels.to(self.device)), labels.to(self.device))

        trained = copy.deepcopy(self._base_discriminator).requires_grad_(True).train()
        module = _PackedConditional(trained, self.sample_shape) if self.conditional else trained
        fit = fit_discriminator(module, sample_real, sample_fake, steps=check_int("steps", settings["steps"], 0),
                                lr=settings["lr"], batch_size=settings["batch_size"], seed=seed, validation_size=n_val,
                                patience=settings["patience"], eval_every=settings["eval_every"], betas=settings["betas"],
                                validation_real=validation)  # the held-out rows, never trained on
        trained.eval().requires_grad_(False)
        self.discriminator = self._critic = trained
        self._head, self._features = None, None
        self._check_models()
        return {"initial_loss": fit.initial_loss, "best_loss": fit.best_loss, "best_step": fit.best_step,
                "stopped_step": fit.stopped_step, "stopped_early": fit.stopped_early, "n_validation": n_val,
                "history_step": fit.history_step, "history_loss": fit.history_loss}

    @torch.no_grad()
    def _features_of(self, extract: Callable[..., Tensor], x: Tensor, y: Tensor | None) -> Tensor:
        parts = []
        for a, n in _chunks(len(x), self.batch_size):
            xb = x[a : a + n].to(self.discriminator_device)
            parts.append(extract(xb) if y is None else extract(xb, y[a : a + n].to(self.discriminator_device)))
        return torch.cat(parts)

    def _fit_head(self, x: Tensor, y: Tensor | None, seed: int, settings: dict[str, Any]) -> dict[str, Any]:
        n_fake = check_int("n_fake", settings["n_fake"], 2)
        spec = settings["features"]
        base = self._base_discriminator
        extract = feature_extractor(base, spec, self.conditional)
        real_features = self._features_of(extract, x, y)
        rng = torch.Generator(device=self.device).manual_seed(derived_seed(seed, "bce_head"))
        fake_x, fake_y = [], []
        with torch.no_grad():
            for _, n in _chunks(n_fake, self.batch_size):
                labels = y[torch.randint(len(y), (n,), generator=rng, device=rng.device).cpu()].to(self.device) if self.conditional else None
                fake_x.append(self._run_generator(self._latents(n, rng), labels))
                fake_y.append(labels)
        fake_labels = torch.cat(fake_y) if self.conditional else None
        fake_features = self._features_of(extract, torch.cat(fake_x), fake_labels)
        feature_dim = real_features.shape[1]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(derived_seed(seed, "bce_head_init"))
            head = ConditionalBCEHead(feature_dim, self.n_classes) if self.conditional else BCEHead(feature_dim)
        head.to(self.discriminator_device)
        fit = fit_bce_head(head, real_features, fake_features,
                           real_labels=None if y is None else y.to(self.discriminator_device),
                           fake_labels=None if fake_labels is None else fake_labels.to(self.discriminator_device),
                           steps=check_int("steps", settings["steps"], 1), lr=settings["lr"],
                           weight_decay=settings["weight_decay"])
        self._install_head(head.requires_grad_(False), extract, spec)
        return {"final_loss": fit.final_loss, "train_accuracy": fit.train_accuracy, "n_real": fit.n_real,
                "n_fake": fit.n_fake, "feature_dim": feature_dim}

    def _install_head(self, head: nn.Module, extract: Callable[..., Tensor], spec: object) -> None:
        self.discriminator = self._base_discriminator
        self._head, self._features = head, spec

        def critic(x: Tensor, *y: Tensor) -> Tensor:
            return head(extract(x, *y), *y)

        self._critic = critic
        self._check_models()

    # calibration ---------------------------------------------------------------------------
    @torch.no_grad()
    def calibrate(self, n_burn_in: int = 10_000, *, seed: int = 0, numbered: bool | None = None) -> Calibration:
        """BurnIn (Figure 1, right): D̃_M as the largest logit over ``n_burn_in`` proposals, plus diagnostics.

        Conditional models: the proposals are split evenly over the classes (``n_burn_in`` in
        all), which gives the global D̃_M and the per-class maxima in one pass. The result is
        kept (``self.calibration``), saved by :meth:`save`, and used by every later sample.

        ``numbered``: draw BurnIn in batches numbered and seeded one by one, spread over the
        processes of ``torch.distributed`` and all-gathered, so that every rank gets the same
        D̃_M and the same diagnostics whatever the number of processes
        (:func:`drs_lib.api.distributed.numbered_burn_in_logits`). ``None`` (default): numbered when
        a process group of more than one process is initialised, otherwise the single random
        stream of earlier versions (the same calibration as before for a seed).
        """
        check_int("n_burn_in", n_burn_in, self.n_classes or 1)
        check_int("seed", seed, 0)
        score = self._scorer()
        where = distributed.world(device=self.device)
        if where.size > 1 if numbered is None else bool(numbered):
            counts = [(c, n_burn_in // self.n_classes + (c < n_burn_in % self.n_classes)) for c in range(self.n_classes)] \
                if self.conditional else [(None, n_burn_in)]
            jobs = [(c, size) for c, count in counts for _, size in _chunks(count, self.batch_size)]
            logits = distributed.numbered_burn_in_logits(jobs, self._proposer, score, seed=seed, device=self.device, where=where)
            labels = torch.cat([torch.full((size,), c, dtype=torch.long) for c, size in jobs]) if self.conditional else None
            per_class = tuple(float(logits[labels == c].max()) for c in range(self.n_classes)) if self.conditional else None
        elif not self.conditional:
            rng = torch.Generator(device=self.device).manual_seed(derived_seed(seed, "burn_in"))
            logits = drs.burn_in_logits(self._proposer(None), score, n_burn_in, self.batch_size, rng).double().cpu()
            labels, per_class = None, None
        else:
            parts, label_parts = [], []
            for c in range(self.n_classes):
                count = n_burn_in // self.n_classes + (c < n_burn_in % self.n_classes)
                rng = torch.Generator(device=self.device).manual_seed(derived_seed(seed, "burn_in", c))
                parts.append(drs.burn_in_logits(self._proposer(c), score, count, self.batch_size, rng).double().cpu())
                label_parts.append(torch.full((count,), c, dtype=torch.long))
            logits, labels = torch.cat(parts), torch.cat(label_parts)
            per_class = tuple(float(p.max()) for p in parts)
        if self.d_max_mode == "per_class" and n_burn_in // self.n_classes < 1000:
            warnings.warn(f"per-class D̃_M from only {n_burn_in // self.n_classes} BurnIn proposals per class; a maximum "
                          "over so few underestimates the bound: raise n_burn_in", stacklevel=2)
        if not torch.isfinite(logits).all():
            raise ValueError("the discriminator returned non-finite logits during BurnIn")
        d_max = float(logits.max())
        reference = torch.tensor(per_class, dtype=torch.float64)[labels] if self.d_max_mode == "per_class" else torch.tensor(d_max)
        f_hat = drs.F_hat(logits, reference, 0.0, self.epsilon)
        gamma = drs.gamma_for_percentile(f_hat, self.gamma_percentile) if self.gamma_percentile is not None else 0.0
        quantiles = torch.quantile(logits, torch.tensor([0.01, 0.5, 0.99, 0.999], dtype=torch.float64))
        self.calibration = Calibration(
            d_max=d_max, d_max_per_class=per_class, d_max_mode=self.d_max_mode, n_burn_in=n_burn_in, seed=seed,
            logit_mean=float(logits.mean()), logit_std=float(logits.std()) if len(logits) > 1 else 0.0,
            logit_quantiles=dict(zip(("q01", "q50", "q99", "q999"), map(float, quantiles))),
            ideal_acceptance=float(drs.ideal_acceptance_probability(logits, reference).mean()),
            expected_acceptance=float(torch.sigmoid(f_hat - gamma).mean()),
            gamma_percentile=self.gamma_percentile,
            looks_like_probabilities=bool((logits >= 0).all() and (logits <= 1).all()),
            logits=logits.float(), labels=labels,
        )
        return self.calibration

    def _require_calibration(self) -> Calibration:
        if self.calibration is None:
            raise RuntimeError("call calibrate() first: it estimates D̃_M by BurnIn (the paper uses 10,000 proposals)"
                               + (" after fine_tune()" if self.fine_tuning is not None else ""))
        return self.calibration

    # sampling ------------------------------------------------------------------------------
    def stream(self, n: int, *, chunk_size: int | None = None, seed: int = 0, labels: Tensor | str | int | None = None,
               gamma_percentile: float | None = _DEFAULT, batch_size: int | None = None,
               class_batch_size: int | None = None, max_proposals: int | None = None) -> DRSStream:
        """``n`` DRS samples in chunks of ``chunk_size`` (default ``batch_size``), in bounded memory.

        Each chunk is a :class:`Batch` ``(x, y, logits)``. ``labels`` (conditional models):
        ``None`` draws a label per proposal from ``class_probs``, so the accepted class mix is
        DRS's; ``"balanced"`` gives sample i the label i mod K; a class index or a tensor of n
        labels fixes every sample's label. Fixed labels run one DRS process per class, each with
        its own random stream and ``class_batch_size`` proposals per batch (default
        ``max(batch_size // n_classes, min(batch_size, 1000))``: one round over the classes costs
        about one batch, and γ, a percentile over a batch, still rests on enough values).

        The chunks concatenated equal :meth:`sample` with the same arguments, for any
        ``chunk_size``. A run that draws ``max_proposals`` proposals without finishing raises
        ``RuntimeError``. D̃_M starts from the calibration for every call (raises while
        sampling, with ``update_max``, last for the call only), so a seed gives the same samples
        whatever was sampled before.
        """
        check_int("n", n, 1)
        chunk_size = check_int("chunk_size", chunk_size if chunk_size is not None else self.batch_size, 1)
        check_int("seed", seed, 0)
        batch_size = check_int("batch_size", batch_size if batch_size is not None else self.batch_size, 1)
        percentile = self.gamma_percentile if gamma_percentile is _DEFAULT else gamma_percentile
        if percentile is not None:
            check_percentile("gamma_percentile", percentile)
        if max_proposals is not None:
            check_int("max_proposals", max_proposals, 1)
        if class_batch_size is None:
            class_batch_size = max(batch_size // (self.n_classes or 1), min(batch_size, MIN_CLASS_BATCH))
        check_int("class_batch_size", class_batch_size, 1)
        label_spec = self._parse_labels(labels, n)
        calibration = self._require_calibration()
        budget = _Budget(max_proposals, n)
        per_class = torch.tensor(calibration.d_max_per_class, dtype=torch.float64, device=self.device) \
            if self.d_max_mode == "per_class" else None

        def make_source(label: int | None) -> _Source:
            if label is None:
                rng = torch.Generator(device=self.device).manual_seed(seed)
                shift, d_max = per_class, (0.0 if per_class is not None else calibration.d_max)
            else:
                rng = torch.Generator(device=self.device).manual_seed(derived_seed(seed, "class", label))
                shift, d_max = None, (float(per_class[label]) if per_class is not None else calibration.d_max)
            batches = drs.drs_batches(self._proposer(label), self._scorer(shift), d_max=d_max, rng=rng,
                                      gamma_percentile=percentile, epsilon=self.epsilon,
                                      batch_size=batch_size if label is None else class_batch_size,
                                      update_max=self.update_max)
            return _Source(batches, budget, self.n_classes, shift, self._logit_dtype)

        return DRSStream(n, chunk_size, make_source, label_spec, self.n_classes, budget)

    def sample(self, n: int, *, seed: int = 0, labels: Tensor | str | int | None = None,
               gamma_percentile: float | None = _DEFAULT, batch_size: int | None = None,
               class_batch_size: int | None = None, max_proposals: int | None = None) -> DRSSamples:
        """Exactly ``n`` DRS samples (Figure 1, right), the same for the same seed and device.

        The arguments are those of :meth:`stream`; this is that stream read in one chunk.
        """
        stream = self.stream(n, chunk_size=n, seed=seed, labels=labels, gamma_percentile=gamma_percentile,
                             batch_size=batch_size, class_batch_size=class_batch_size, max_proposals=max_proposals)
        x, y, logits = next(stream)
        return DRSSamples(x=x, y=y, logits=logits, proposals=stream.proposals, accepted=stream.accepted,
                          acceptance_rate=stream.acceptance_rate, proposed_per_class=stream.proposed_per_class,
                          accepted_per_class=stream.accepted_per_class, max_updates=stream.max_updates,
                          max_increase=stream.max_increase, seed=seed,
                          gamma_percentile=self.gamma_percentile if gamma_percentile is _DEFAULT else gamma_percentile)

    @torch.no_grad()
    def generate(self, n: int, *, seed: int = 0, labels: Tensor | str | int | None = None) -> Batch:
        """``n`` plain generator samples, without DRS (the "before"), with the same label options."""
        check_int("n", n, 1)
        check_int("seed", seed, 0)
        label_spec = self._parse_labels(labels, n)
        rng = torch.Generator(device=self.device).manual_seed(derived_seed(seed, "plain"))
        xs, ys = [], []
        for start, size in _chunks(n, self.batch_size):
            y = self._plain_labels(label_spec, start, size, rng)
            xs.append(self._run_generator(self._latents(size, rng), y).to(self.device))
            ys.append(y)
        return Batch(torch.cat(xs), torch.cat(ys) if self.conditional else None, None)

    # persistence ---------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write D̃_M and the calibration, the γ rule, the fine-tuning (head or KeepTrained D) and the format version.

        The generator and the discriminator given to the constructor are not saved: pass them
        to :meth:`load` again. Written atomically (nothing half-written survives an interrupt).
        """
        if self.latent_shape is None:
            latent: Any = None
        else:
            latent = list(self.latent_shape)
        fine: dict[str, Any] | None = None
        if self.fine_tuning is not None:
            fine = {"method": self.fine_tuning.method, "details": _plain_details(self.fine_tuning.details),
                    "seconds": self.fine_tuning.seconds}
            if self.fine_tuning.method == "keep_training":
                fine["discriminator"] = {k: v.detach().cpu() for k, v in self.discriminator.state_dict().items()}
            else:
                fine["head"] = {k: v.detach().cpu() for k, v in self._head.state_dict().items()}
                fine["feature_dim"] = int(self._head.linear.in_features)
                fine["features"] = self._features if isinstance(self._features, str) or self._features is None else "<callable>"
        payload = {
            "format": "drs_lib.api.DRS", "format_version": SAVE_FORMAT, "library_version": drs_lib.__version__,
            "latent": latent, "n_classes": self.n_classes,
            "class_probs": None if self.class_probs is None else self.class_probs.cpu(),
            "d_max_mode": self.d_max_mode, "gamma_percentile": self.gamma_percentile, "epsilon": self.epsilon,
            "update_max": self.update_max, "batch_size": self.batch_size, "sample_shape": list(self.sample_shape),
            "calibration": None if self.calibration is None else self.calibration.to_payload(),
            "fine_tuning": fine,
        }
        buffer = io.BytesIO()
        torch.save(payload, buffer)
        return atomic_write_bytes(path, buffer.getvalue())

    @classmethod
    def load(cls, path: str | Path, generator: nn.Module, discriminator: nn.Module, *,
             latent: Sequence[int] | int | LatentSampler | None = None, features: Callable[..., Tensor] | None = None,
             device: str | torch.device | None = "auto") -> DRS:
        """Rebuild a sampler saved by :meth:`save` around the same generator and discriminator.

        ``latent`` is needed only if the saved sampler used a latent callable (callables are
        not saved), and ``features`` only if its BCE head read features through a callable.
        """
        payload = torch.load(Path(path), map_location="cpu", weights_only=True)
        if not isinstance(payload, dict) or payload.get("format") != "drs_lib.api.DRS":
            raise ValueError(f"{path} is not a file written by DRS.save")
        if payload.get("format_version") != SAVE_FORMAT:
            raise ValueError(f"{path} has format version {payload.get('format_version')}; this drs_lib "
                             f"({drs_lib.__version__}) reads version {SAVE_FORMAT}")
        if latent is None:
            if payload["latent"] is None:
                raise ValueError(f"{path} was saved with a latent callable, which is not stored: pass latent=")
            latent = tuple(payload["latent"])
        sampler = cls(generator, discriminator, latent, n_classes=payload["n_classes"], class_probs=payload["class_probs"],
                      d_max_mode=payload["d_max_mode"], gamma_percentile=payload["gamma_percentile"],
                      epsilon=payload["epsilon"], update_max=payload["update_max"], batch_size=payload["batch_size"],
                      device=device)
        if list(sampler.sample_shape) != payload["sample_shape"]:
            raise ModelMismatchError(f"the generator produces samples of shape {sampler.sample_shape}; the saved sampler's "
                                     f"produced {tuple(payload['sample_shape'])}")
        fine = payload["fine_tuning"]
        if fine is not None:
            if fine["method"] == "keep_training":
                trained = copy.deepcopy(sampler._base_discriminator)
                try:
                    trained.load_state_dict(fine["discriminator"])
                except RuntimeError as error:
                    raise ModelMismatchError(f"the discriminator given does not match the KeepTrained one saved in {path}: {error}") from None
                trained.to(sampler.discriminator_device).eval().requires_grad_(False)
                sampler.discriminator = sampler._critic = trained
                sampler._check_models()
            else:
                spec = fine["features"]
                if spec == "<callable>":
                    if features is None:
                        raise ValueError(f"{path} was saved with a features callable, which is not stored: pass features=")
                    spec = features
                extract = feature_extractor(sampler._base_discriminator, spec, sampler.conditional)
                head = (ConditionalBCEHead(fine["feature_dim"], sampler.n_classes) if sampler.conditional
                        else BCEHead(fine["feature_dim"]))
                head.load_state_dict(fine["head"])
                sampler._install_head(head.to(sampler.discriminator_device).eval().requires_grad_(False), extract, spec)
            sampler.fine_tuning = FineTuneReport(fine["method"], float(fine["seconds"]), dict(fine["details"]))
        if payload["calibration"] is not None:
            stored = dict(payload["calibration"])
            if stored["d_max_per_class"] is not None:
                stored["d_max_per_class"] = tuple(stored["d_max_per_class"])
            sampler.calibration = Calibration(**stored)
        return sampler


def _plain_details(details: dict[str, Any]) -> dict[str, Any]:
    """Details reduced to what ``torch.load(weights_only=True)`` reads back (numbers, strings, lists)."""
    out: dict[str, Any] = {}
    for key, value in details.items():
        if isinstance(value, (bool, int, float, str)) or value is None:
            out[key] = value
        elif isinstance(value, (list, tuple)) and all(isinstance(v, (int, float)) for v in value):
            out[key] = list(value)
    return out
