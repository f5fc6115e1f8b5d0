"""Toy 2D data sets: the 25-Gaussian grid (Sec. 4.1) and a 2D Swiss roll.

Every sampler is a pure function of ``(n, rng)``: all randomness comes from the
``torch.Generator`` passed in, so the same generator state gives the same samples. Samples are
drawn on the generator's device unless ``device`` says otherwise (then they are drawn on the
generator's device and moved), so a CPU generator gives the same numbers whatever the device.

The grid follows VEEGAN and PacGAN, which the DRS paper cites: means (−4 + 2i, −4 + 2j) for
i, j in 0..4 (``spacing=2``), isotropic components with std 0.05, equal weights. Spacing and std
are parameters because later repositories rescale the grid.

``scale`` divides every sample (means and noise alike) by a constant. Many public 25-Gaussian
codes train on the grid divided by :data:`NORMALISED_SCALE` = 2.828 (≈ 2√2), so that it spans
about ±1.4 like the N(0, I) prior: the WGAN-GP toy code (Gulrajani et al. 2017,
``gan_toy.py``), the DOT code (Tanaka 2019, ``AkinoriTanaka-phys/DOT``) and collaborative
sampling (Liu et al. 2020, ``vita-epfl/collaborative-gan-sampling``). VEEGAN and PacGAN use the
raw grid (``scale=1``). A common scale changes nothing that the benchmark counts (nearest mean,
"within k std" and modes are ratios of distances); lengths measured on the scaled grid are
turned back into the paper's units by :func:`to_paper_units` (× ``scale``).

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

MIXTURE_DEFAULTS = {"n_per_side": 5, "spacing": 2.0, "std": 0.05, "scale": 1.0}
#: The divisor of the "normalised" grid of the WGAN-GP, DOT and collaborative-sampling codes.
NORMALISED_SCALE = 2.828
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


def _check_scale(scale: object) -> float:
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a finite number > 0 (the grid is divided by it; 1 = raw, "
                         f"{NORMALISED_SCALE} = normalised); got {scale!r}")
    return float(scale)


def sample_mixture(n: int, rng: torch.Generator, *, n_per_side: int = 5, spacing: float = 2.0,
                   std: float = 0.05, scale: float = 1.0, device: str | torch.device | None = None) -> Tensor:
    """n samples (n, 2) of the equal-weight grid mixture: a uniform component plus N(0, std² I), divided by ``scale``.

    The random draws do not depend on ``scale``: the same ``rng`` state gives the raw grid's
    samples divided by ``scale``.
    """
    _check_n(n)
    if not std > 0:
        raise ValueError(f"std must be > 0; got {std!r}")
    scale = _check_scale(scale)
    means = grid_means(n_per_side, spacing, device=rng.device)
    component = torch.randint(0, means.shape[0], (n,), generator=rng, device=rng.device)
    noise = torch.randn(n, 2, generator=rng, device=rng.device)
    x = means[component] + std * noise
    return _finish(x if scale == 1.0 else x / scale, device)


def mixture_geometry(spec: Mapping[str, Any]) -> tuple[Tensor, float]:
    """(means (K, 2), component std) of a mixture spec in the units of its samples (divided by ``scale``).

    These are what the benchmark's metrics (:func:`drs_lib.metrics.mixture.mixture_metrics`) must be
    given for samples of that data set.
    """
    options = {**MIXTURE_DEFAULTS, **{k: v for k, v in spec.items() if k != "name"}}
    if spec.get("name", "mixture") != "mixture":
        raise ValueError(f"mixture_geometry needs a mixture spec; got name {spec.get('name')!r}")
    scale = _check_scale(options["scale"])
    return grid_means(options["n_per_side"], options["spacing"] / scale), float(options["std"]) / scale


def to_paper_units(value: Any, spec: Mapping[str, Any]) -> Any:
    """A length (or array of lengths) measured on the scaled grid, in the raw grid's units (× ``scale``)."""
    return value * _check_scale(spec.get("scale", MIXTURE_DEFAULTS["scale"]))


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

    ``{"name": "mixture", "n_per_side": 5, "spacing": 2.0, "std": 0.05, "scale": 1.0}`` or
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
        _check_scale(options["scale"])
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
    "NORMALISED_SCALE",
    "SWISS_ROLL_DEFAULTS",
    "Sampler",
    "data_spec",
    "grid_means",
    "make_sampler",
    "mixture_geometry",
    "sample_mixture",
    "sample_swiss_roll",
    "to_paper_units",
]
