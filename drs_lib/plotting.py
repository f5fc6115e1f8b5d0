"""Scatter panels for the 2D toy experiments (Figures 3 and 6), returning matplotlib figures.

Callers glue or show the figure and then ``plt.close(fig)`` so no ``<Figure ...>`` text repr
is printed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.patches
import matplotlib.pyplot as plt
import seaborn as sns
import torch
from matplotlib.figure import Figure
from torch import Tensor

__all__ = ["scatter_panels", "sweep_plot"]


def _numpy(x: Tensor):
    return x.detach().to("cpu", torch.float64).numpy()


def scatter_panels(panels: Mapping[str, Tensor], *, means: Tensor | None = None, std: float | None = None,
                   ncols: int | None = None, size: float = 3.0, limit: float | None = None,
                   point_size: float = 1.0, alpha: float = 0.25, colors: Sequence | None = None,
                   annotations: Mapping[str, str] | None = None) -> Figure:
    """One square scatter panel per entry of ``panels`` (title → samples (N, 2)).

    ``means``: mixture means drawn as small crosses; with ``std`` also a 4-std circle (the
    high-quality radius) around each. ``limit``: axes span [−limit, limit] (default: from data).
    ``annotations``: optional text per panel (lower left corner).
    """
    if not panels:
        raise ValueError("scatter_panels needs at least one panel")
    n = len(panels)
    ncols = ncols or n
    nrows = -(-n // ncols)
    palette = list(colors) if colors is not None else sns.color_palette("deep", n)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False,
                             sharex=True, sharey=True)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    if limit is None:
        largest = max(float(abs(_numpy(x)).max()) for x in panels.values() if x.numel())
        limit = 1.1 * largest
    for i, (ax, (title, x)) in enumerate(zip(axes.flat, panels.items())):
        xy = _numpy(x)
        ax.scatter(xy[:, 0], xy[:, 1], s=point_size, alpha=alpha, color=palette[i % len(palette)],
                   linewidths=0, rasterized=True)
        if means is not None:
            mu = _numpy(means)
            ax.scatter(mu[:, 0], mu[:, 1], marker="+", s=12, color="black", linewidths=0.6)
            if std is not None:
                for cx, cy in mu:
                    ax.add_patch(matplotlib.patches.Circle((cx, cy), 4 * std, fill=False, lw=0.4, color="0.4"))
        ax.set_title(title, fontsize=10)
        ax.set_xlim(-limit, limit)
        ax.set_ylim(-limit, limit)
        ax.set_aspect("equal")
        ax.tick_params(labelsize=7)
        if annotations and title in annotations:
            ax.text(0.02, 0.02, annotations[title], transform=ax.transAxes, fontsize=7, va="bottom",
                    bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1.5})
    fig.tight_layout()
    return fig


def sweep_plot(frame, *, x: str, y: str, hue: str, xlabel: str | None = None, ylabel: str | None = None,
               reference: float | None = None, reference_label: str | None = None, size=(5.0, 3.4)) -> Figure:
    """Mean ± std over seeds of ``y`` against ``x`` for each ``hue`` (a tidy pandas frame)."""
    fig, ax = plt.subplots(figsize=size)
    sns.lineplot(data=frame, x=x, y=y, hue=hue, marker="o", errorbar="sd", ax=ax)
    if reference is not None:
        ax.axhline(reference, color="0.5", ls="--", lw=1, label=reference_label)
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel(ylabel or y)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
