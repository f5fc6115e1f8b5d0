"""DRS, part 2 of 4, fine-tuning the discriminator before calibration: KeepTraining (a BCE
discriminator) or a BCE head on its features (a hinge-loss one), Section 4.2 of the paper.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import Tensor, nn

from drs_lib.api.construction import _PackedConditional, _pack
from drs_lib.api.results import KEEP_TRAINING_OPTIONS, BCE_HEAD_OPTIONS, FineTuneReport, derived_seed, _chunks
from drs_lib.checks import check_int
from drs_lib.nets.heads import BCEHead, ConditionalBCEHead, feature_extractor, fit_bce_head
from drs_lib.training.keep_training import fit_discriminator


class FineTuning:
    """DRS's fine-tuning: KeepTraining the discriminator or a BCE head on its features (Section 4.2)."""

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
