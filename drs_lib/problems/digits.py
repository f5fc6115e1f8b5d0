"""Small labelled image datasets for the image experiments (stand-ins for ImageNet).

The paper's image results use ImageNet; here the default is scikit-learn's bundled 8x8
handwritten digits (1,797 images, 10 classes, no download). Datasets are looked up by name in
a registry, so a larger local dataset can be plugged in (e.g. on a GPU machine) without
touching the notebooks::

    @register_dataset("my_digits")
    def _load_mine() -> ImageDataset: ...

    data = load_dataset("my_digits")

Every loader returns an :class:`ImageDataset` whose images are float32 tensors of shape
``(n, channels, height, width)`` scaled to ``[-1, 1]`` (the range of a ``tanh`` generator).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from drs_lib._optional import optional_imports

__all__ = [
    "ImageDataset",
    "register_dataset",
    "available_datasets",
    "load_dataset",
    "split_dataset",
]


@dataclass(frozen=True)
class ImageDataset:
    """Labelled images in ``[-1, 1]``: ``images`` (n, c, h, w) float32, ``labels`` (n,) int64."""

    name: str
    images: torch.Tensor
    labels: torch.Tensor
    n_classes: int

    def __post_init__(self) -> None:
        if self.images.ndim != 4:
            raise ValueError(f"dataset {self.name!r}: images must have shape (n, c, h, w); got {tuple(self.images.shape)}")
        if self.labels.shape != (self.images.shape[0],):
            raise ValueError(
                f"dataset {self.name!r}: labels must have shape ({self.images.shape[0]},); got {tuple(self.labels.shape)}"
            )

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(int(s) for s in self.images.shape[1:])  # type: ignore[return-value]

    def subset(self, index: np.ndarray | torch.Tensor, name: str | None = None) -> ImageDataset:
        index = torch.as_tensor(index, dtype=torch.long)
        return ImageDataset(name or self.name, self.images[index], self.labels[index], self.n_classes)


_LOADERS: dict[str, Callable[[], ImageDataset]] = {}


def register_dataset(name: str) -> Callable[[Callable[[], ImageDataset]], Callable[[], ImageDataset]]:
    """Decorator adding a zero-argument loader to the registry under ``name``."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"dataset name must be a non-empty string; got {name!r}")

    def decorate(loader: Callable[[], ImageDataset]) -> Callable[[], ImageDataset]:
        if name in _LOADERS and _LOADERS[name] is not loader:
            raise ValueError(f"a dataset named {name!r} is already registered")
        _LOADERS[name] = loader
        return loader

    return decorate


def available_datasets() -> list[str]:
    """Names accepted by :func:`load_dataset`."""
    return sorted(_LOADERS)


def load_dataset(name: str) -> ImageDataset:
    """Load a registered dataset by name; an unknown name raises ``ValueError`` listing the known ones."""
    if name not in _LOADERS:
        raise ValueError(f"unknown dataset {name!r}; registered datasets: {', '.join(available_datasets())}")
    return _LOADERS[name]()


def split_dataset(dataset: ImageDataset, holdout_fraction: float = 0.3, seed: int = 0) -> tuple[ImageDataset, ImageDataset]:
    """Stratified split into (train, holdout); the same seed gives the same split."""
    if not 0.0 < holdout_fraction < 1.0:
        raise ValueError(f"holdout_fraction must be in (0, 1); got {holdout_fraction!r}")
    labels = dataset.labels.numpy()
    rng = np.random.default_rng(seed)
    train_index, holdout_index = [], []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        rng.shuffle(members)
        n_holdout = int(round(holdout_fraction * len(members)))
        holdout_index.append(members[:n_holdout])
        train_index.append(members[n_holdout:])
    train = np.sort(np.concatenate(train_index))
    holdout = np.sort(np.concatenate(holdout_index))
    return dataset.subset(train, f"{dataset.name}/train"), dataset.subset(holdout, f"{dataset.name}/holdout")


@register_dataset("sklearn_digits")
def _load_sklearn_digits() -> ImageDataset:
    """scikit-learn's bundled UCI handwritten digits: 1,797 gray 8x8 images, pixel values 0..16."""
    with optional_imports("digits"):
        from sklearn.datasets import load_digits

    bunch = load_digits()
    images = torch.as_tensor(bunch.images, dtype=torch.float32).unsqueeze(1) / 16.0 * 2.0 - 1.0
    labels = torch.as_tensor(bunch.target, dtype=torch.long)
    return ImageDataset("sklearn_digits", images.contiguous(), labels, n_classes=10)
