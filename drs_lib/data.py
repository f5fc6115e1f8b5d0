"""Toy 2D data sets: the 25-Gaussian grid (Sec. 4.1) and a 2D Swiss roll.

Every sampler is a pure function of ``(n, rng)``: all randomness comes from the
``torch.Generator`` passed in, so the same generator state gives the same samples. Samples are
drawn on the generator's device unless ``device`` says otherwise (then they are drawn on the
generator's device and moved), so a CPU generator gives the same numbers whatever the device.

The grid follows VEEGAN and PacGAN, which the DRS paper cites: means (−4 + 2i, −4 + 2j) for
i, j in 0..4 (``spacing=2``), isotropic components with std 0.05, equal weights. Spacing and std
are parameters because later repositories rescale the grid; this book uses spacing 2, std 0.05.

The Swiss roll is a torch reimplementation of :func:`sklearn.datasets.make_swiss_roll`
projected onto its (x, z) plane: t = 1.5π(1 + 2u) with u ~ U(0, 1), (x, z) = (t cos t, t sin t)
+ N(0, noise²) per coordinate, then divided by ``scale`` (7.5 by default, so the roll spans
roughly [−1.9, 1.9] and has a per-coordinate std near 1). It uses the torch generator, not
numpy's, so that it can be seeded per model like every other stream in this library.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import torch
from torch import Tensor

Sampler = Callable[[int, torch.Generator], Tensor]

MIXTURE_DEFAULTS = {"n_per_side": 5, "spacing": 2.0, "std": 0.05}
SWISS_ROLL_DEFAULTS = {"noise": 0.25, "scale": 7.5}


def _check_n(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be an integer >= 0; got {n!r}")
    return n


def _finish(x: Tensor, device: str | torch.device | None) -> Tensor:
    return x if device is None else x.to(device)


def grid_means(n_per_side: int = 5, spacing: float = 2.0, *, device: str | torch.device | None = None,
               dtype: torch.dtype = torch.float32) -> Tensor:
    """Means of the grid, shape (n_per_side², 2), centred on the origin.

    For 5 per side and spacing 2: (−4 + 2i, −4 + 2j), i, j in 0..4, row-major in (i, j).
    """
    if isinstance(n_per_side, bool) or not isinstance(n_per_side, int) or n_per_side < 1:
        raise ValueError(f"n_per_side must be an integer >= 1; got {n_per_side!r}")
    if not spacing > 0:
        raise ValueError(f"spacing must be > 0; got {spacing!r}")
    axis = (torch.arange(n_per_side, dtype=torch.float64) - (n_per_side - 1) / 2.0) * spacing
    ii, jj = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack([ii.reshape(-1), jj.reshape(-1)], dim=1).to(dtype=dtype, device=device)


def sample_mixture(n: int, rng: torch.Generator, *, n_per_side: int = 5, spacing: float = 2.0,
                   std: float = 0.05, device: str | torch.device | None = None) -> Tensor:
    """n samples (n, 2) of the equal-weight grid mixture: a uniform component plus N(0, std² I)."""
    _check_n(n)
    if not std > 0:
        raise ValueError(f"std must be > 0; got {std!r}")
    means = grid_means(n_per_side, spacing, device=rng.device)
    component = torch.randint(0, means.shape[0], (n,), generator=rng, device=rng.device)
    noise = torch.randn(n, 2, generator=rng, device=rng.device)
    return _finish(means[component] + std * noise, device)


def sample_swiss_roll(n: int, rng: torch.Generator, *, noise: float = 0.25, scale: float = 7.5,
                      device: str | torch.device | None = None) -> Tensor:
    """n samples (n, 2) of the 2D Swiss roll (scikit-learn's formula, (x, z) plane, divided by ``scale``)."""
    _check_n(n)
    if noise < 0:
        raise ValueError(f"noise must be >= 0; got {noise!r}")
    if not scale > 0:
        raise ValueError(f"scale must be > 0; got {scale!r}")
    t = 1.5 * math.pi * (1.0 + 2.0 * torch.rand(n, generator=rng, device=rng.device))
    x = torch.stack([t * torch.cos(t), t * torch.sin(t)], dim=1)
    x = x + noise * torch.randn(n, 2, generator=rng, device=rng.device)
    return _finish(x / scale, device)


def make_sampler(spec: Mapping[str, Any]) -> Sampler:
    """A ``sample(n, rng)`` callable from a JSON-able spec (used in cache keys).

    ``{"name": "mixture", "n_per_side": 5, "spacing": 2.0, "std": 0.05}`` or
    ``{"name": "swiss_roll", "noise": 0.25, "scale": 7.5}``; omitted keys take the defaults.
    """
    spec = dict(spec)
    name = spec.pop("name", None)
    if name == "mixture":
        unknown = set(spec) - set(MIXTURE_DEFAULTS)
        options = {**MIXTURE_DEFAULTS, **spec}
    elif name == "swiss_roll":
        unknown = set(spec) - set(SWISS_ROLL_DEFAULTS)
        options = {**SWISS_ROLL_DEFAULTS, **spec}
    else:
        raise ValueError(f"data spec name must be 'mixture' or 'swiss_roll'; got {name!r}")
    if unknown:
        raise ValueError(f"unknown option(s) {sorted(unknown)} for data set {name!r}")
    if name == "mixture":
        grid_means(options["n_per_side"], options["spacing"])  # validates
        return lambda n, rng: sample_mixture(n, rng, **options)
    return lambda n, rng: sample_swiss_roll(n, rng, **options)


def data_spec(name: str, **options: Any) -> dict[str, Any]:
    """The full spec (defaults filled in), so that equal data give equal cache keys."""
    defaults = {"mixture": MIXTURE_DEFAULTS, "swiss_roll": SWISS_ROLL_DEFAULTS}.get(name)
    if defaults is None:
        raise ValueError(f"data set name must be 'mixture' or 'swiss_roll'; got {name!r}")
    spec = {"name": name, **defaults, **options}
    for key, value in spec.items():  # 2 and 2.0 must give the same cache key
        if key != "name" and key != "n_per_side" and isinstance(value, int) and not isinstance(value, bool):
            spec[key] = float(value)
    make_sampler(spec)  # validates
    return spec


__all__ = [
    "MIXTURE_DEFAULTS",
    "SWISS_ROLL_DEFAULTS",
    "Sampler",
    "data_spec",
    "grid_means",
    "make_sampler",
    "sample_mixture",
    "sample_swiss_roll",
]
