"""Cached training runs of the 2D GANs and of KeepTraining: configs as cache keys, load or train.

A config (:func:`gan_config`, :func:`keep_training_config`) holds everything that determines
the trained models, as JSON-able data: it is the :class:`drs_book.cache.ModelCache` key, so
chapters that build the same config share one cache entry. :func:`load_or_train_gan` and
:func:`load_or_keep_train` train once (:func:`drs_lib.training.train.train_gan`,
:func:`drs_lib.training.keep_training.keep_training_discriminator`) and then read from the cache.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import torch

from drs_lib.problems.data import make_sampler
from drs_lib.device import resolve_device
from drs_lib.training.keep_training import KEEP_TRAINING_DEFAULTS, KeepTraining, keep_training_discriminator
from drs_lib.training.train import GAN_DEFAULTS, GANTraining, check_seeds, train_gan


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
    """Everything that determines :func:`~drs_lib.training.train.train_gan`'s result, as a JSON-able cache key.

    ``data`` is a spec for :func:`drs_lib.problems.data.make_sampler` (use :func:`drs_lib.problems.data.data_spec`);
    ``options`` are :func:`~drs_lib.training.train.train_gan` keywords (defaults in :data:`~drs_lib.training.train.GAN_DEFAULTS` are filled in).
    """
    make_sampler(data)  # validates
    return {
        "kind": "gan",
        "data": dict(data),
        "seeds": check_seeds(seeds),
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


__all__ = [
    "gan_config",
    "keep_training_config",
    "load_or_keep_train",
    "load_or_train_gan",
]
