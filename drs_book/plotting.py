"""Scatter panels for the 2D toy experiments (Figures 3 and 6), returning matplotlib figures.

Figures are drawn in the book's style (:mod:`drs_book.style`: at most four panels per row, as
wide as the page column, legible fonts) and finished with :func:`drs_book.style.finish`, so
``glue``/``display`` give a 2x PNG with descriptive alt text. Callers glue or show the figure
and then ``plt.close(fig)`` so no ``<Figure ...>`` text repr is printed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from torch import Tensor

from drs_book import style

import matplotlib.patches
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator


__all__ = ["scatter_panels", "snapshot_pairs"]


def _numpy(x: Tensor):
    return x.detach().to("cpu", torch.float64).numpy()


def scatter_panels(panels: Mapping[str, Tensor], *, means: Tensor | None = None, std: float | None = None,
                   ncols: int | None = None, size: float | None = None, limit: float | None = None,
                   point_size: float = 1.0, alpha: float = 0.25, colors: Sequence | None = None,
                   annotations: Mapping[str, str] | None = None, alt: str | None = None) -> Figure:
    """One square scatter panel per entry of ``panels`` (title → samples (N, 2)).

    ``means``: mixture means drawn as small crosses; with ``std`` also a 4-std circle (the
    high-quality radius) around each. ``limit``: axes span [−limit, limit] (default: from data).
    ``annotations``: optional text per panel (lower left corner).
    ``ncols``: panels per row, at most :data:`drs_book.style.MAX_PANELS_PER_ROW` (larger values
    are capped so that panels stay legible; more panels wrap onto further rows). ``size``:
    panel width in inches, capped so the figure fits the page column. ``alt``: alt text
    (default: generated from the panel titles).
    """
    if not panels:
        raise ValueError("scatter_panels needs at least one panel")
    n = len(panels)
    per_row = min(ncols or style.MAX_PANELS_PER_ROW, style.MAX_PANELS_PER_ROW, n)
    nrows, ncols = style.wrap_panels(n, per_row)
    page_width = style.page_figsize()[0]
    size = min(size or page_width / ncols, page_width / ncols)
    palette = (list(colors) if colors is not None
               else [style.method_colour(title, i) for i, title in enumerate(panels)])
    with style.context():
        fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.25 * nrows), squeeze=False,
                                 sharex=True, sharey=True, constrained_layout=True)
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
                ax.scatter(mu[:, 0], mu[:, 1], marker="+", s=14, color="black", linewidths=0.7)
                if std is not None:
                    for cx, cy in mu:
                        ax.add_patch(matplotlib.patches.Circle((cx, cy), 4 * std, fill=False, lw=0.5, color="0.4"))
            ax.set_title(title, fontsize=11)
            ax.set_xlim(-limit, limit)
            ax.set_ylim(-limit, limit)
            ax.set_aspect("equal")
            ax.tick_params(labelsize=9)
            # No ticks at the panel edges, where neighbouring panels' labels would collide.
            ax.xaxis.set_major_locator(MaxNLocator(nbins=4, prune="both"))
            ax.yaxis.set_major_locator(MaxNLocator(nbins=4, prune="both"))
            if annotations and title in annotations:
                ax.text(0.02, 0.02, annotations[title], transform=ax.transAxes, fontsize=9, va="bottom",
                        bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none", "pad": 1.5})
    if alt is None:
        marks = ""
        if means is not None:
            marks = " Crosses mark the mixture means" + (", circles their 4-std (high-quality) radius." if std is not None else ".")
        alt = (f"Scatter plots of two-dimensional samples, one panel each for {', '.join(panels)}, "
               f"on the same axes from {-limit:.1f} to {limit:.1f}.{marks}")
    return style.finish(fig, alt)


def snapshot_pairs(frame, *, x: str, y: str, hue: str, unit: str = "seed", order: Sequence[str] | None = None,
                   xlabel: str = "GAN iteration", ylabel: str | None = None, reference: float | None = None,
                   reference_label: str | None = None, alt: str | None = None) -> Figure:
    """``y`` at a few snapshots ``x`` per method ``hue``: paired points per model, not a curve.

    One group per method (in ``order``), named under the axis; inside it one categorical position
    per snapshot, labelled with its step (``f"{step:,}"``). A thin grey line joins each model's
    (``unit``) values from snapshot to snapshot, and a marker in the method's book colour
    (:func:`drs_book.style.method_colour`) gives the mean ± std over models at each. With two
    snapshots this draws two points of training as two points, not as a trend.
    """
    methods = list(order) if order is not None else list(dict.fromkeys(frame[hue]))
    steps = sorted(frame[x].unique())
    inside = np.linspace(-0.22, 0.22, len(steps)) if len(steps) > 1 else np.zeros(1)
    with style.context():
        # Narrower than the column, with larger text than the book's default: it stays legible when
        # a phone shrinks it to the width of its column (about 360 px).
        fig, ax = plt.subplots(figsize=(5.2, 3.5), constrained_layout=True)
        for group, method in enumerate(methods):
            part = frame[frame[hue] == method].pivot_table(index=unit, columns=x, values=y).reindex(columns=steps)
            where = group + inside
            for _, values in part.iterrows():
                ax.plot(where, values.to_numpy(), color="0.7", lw=0.8, marker="o", ms=2.5, zorder=1)
            ax.errorbar(where, part.mean().to_numpy(), yerr=part.std(ddof=1).fillna(0).to_numpy(), fmt="o", ms=8,
                        capsize=4, lw=1.8, color=style.method_colour(method, group), markeredgecolor="white",
                        markeredgewidth=0.8, zorder=3)
        ax.plot([], [], color="0.7", lw=0.8, marker="o", ms=2.5, label="one model")
        if reference is not None:
            ax.axhline(reference, color="0.3", ls="--", lw=1.2, label=reference_label, zorder=2)
        ax.set_xticks([g + d for g in range(len(methods)) for d in inside],
                      [f"{int(step):,}" for _ in methods for step in steps])
        ax.set_xlim(-0.5, len(methods) - 0.5)
        ax.grid(axis="x", visible=False)
        names = ax.secondary_xaxis("bottom")
        names.set_xticks(range(len(methods)), [method.replace(" ", "\n", 1) for method in methods])
        names.tick_params(length=0, pad=22, labelsize=12)
        for label, method in zip(names.get_xticklabels(), methods):
            label.set_color(style.method_colour(method, methods.index(method)))
        for group in range(1, len(methods)):
            ax.axvline(group - 0.5, color="0.85", lw=0.8, zorder=0)
        names.set_xlabel(f"{xlabel}, by method", fontsize=11)
        ax.set_ylabel(ylabel or y, fontsize=12)
        ax.tick_params(labelsize=11)
        fig.legend(loc="outside lower center", ncols=2, fontsize=11, frameon=False)
    if alt is None:
        shown = " and ".join(f"{int(step):,}" for step in steps)
        alt = (f"Dot plot of {ylabel or y} at {xlabel} {shown}, one group each for {', '.join(methods)}: per "
               f"group, the mean over models at each snapshot with a bar of ± one std, and a thin grey line per "
               f"model joining its values" + (f"; dashed line: {reference_label or 'reference'}" if reference is not None else "") + ".")
    return style.finish(fig, alt)
