"""The quality–diversity figure: precision against recall and density against coverage as γ sweeps.

Draws the tidy rows of :func:`drs_lib.compare.tradeoff.quality_diversity_sweep` (one row per model seed,
method and γ percentile), averaged over seeds with ± one standard error of the mean as error
bars (the std over models is mostly model-to-model spread that every sampler of one model
shares; the chapters' paired verdicts remove it): DRS and thresholding at matched acceptance as
lines that start at the plain generator (accept all) and follow γ upwards, every other method
(MH-GAN, DDLS, ...) as a single point. Finished with :func:`drs_book.style.finish` (2x PNG, alt text).
"""

from __future__ import annotations

from collections.abc import Sequence

from drs_book import style
from drs_lib.compare.tradeoff import DRS, GENERATOR, THRESHOLD

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure


__all__ = ["quality_diversity_figure", "curve_means"]

_LABELS = {"precision": "precision (quality)", "recall": "recall (diversity)",
           "density": "density (quality)", "coverage": "coverage (diversity)"}
_POINT_MARKERS = ("*", "D", "^", "v", "P", "X", "s")


def curve_means(frame: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """Mean, std and standard error (``_sem``) over seeds of ``metrics`` and the acceptance rate, per method and γ percentile."""
    missing = [m for m in ("method", "percentile", "acceptance_rate", *metrics) if m not in frame.columns]
    if missing:
        raise ValueError(f"the trade-off frame lacks the columns {missing}; it has {list(frame.columns)}")
    grouped = frame.assign(percentile=frame["percentile"].fillna(-1.0)).groupby(["method", "percentile"], sort=False)
    means = grouped[["acceptance_rate", *metrics]].agg(["mean", "std", "sem"])
    means.columns = [f"{name}_{stat}" for name, stat in means.columns]
    means = means.reset_index()
    means["percentile"] = means["percentile"].where(means["percentile"] >= 0)
    return means


def quality_diversity_figure(frame: pd.DataFrame, *, pairs: Sequence[tuple[str, str]] = (("recall", "precision"), ("coverage", "density")),
                             highlight_percentile: float | None = None, highlight_label: str = "paper's γ",
                             alt: str | None = None) -> Figure:
    """One panel per (x, y) metric pair: DRS and thresholding as curves over γ, other methods as points.

    ``highlight_percentile``: the γ percentile to ring on the DRS and threshold curves (the paper's
    setting). Error bars: ± one standard error of the mean over seeds. The curves start at the
    :data:`~drs_lib.compare.tradeoff.GENERATOR` point when the frame has one.
    """
    metrics = list(dict.fromkeys(name for pair in pairs for name in pair))
    means = curve_means(frame, metrics)
    curves = {DRS: ("o", "-", style.method_colour("DRS")), THRESHOLD: ("s", "--", style.method_colour("threshold"))}
    others = [m for m in dict.fromkeys(means["method"]) if m not in curves]
    with style.context():
        fig, axes = plt.subplots(1, len(pairs), figsize=style.page_figsize(aspect=0.5), squeeze=False,
                                 constrained_layout=True)
        for ax, (x, y) in zip(axes.flat, pairs):
            start = means[means["method"] == GENERATOR]
            for method, (marker, line, color) in curves.items():
                part = means[means["method"] == method].sort_values("percentile")
                if part.empty:
                    continue
                label = "DRS (γ sweep)" if method == DRS else "threshold at DRS's acceptance"
                path = pd.concat([start, part])
                ax.plot(path[f"{x}_mean"], path[f"{y}_mean"], ls=line, color=color, lw=1.3, marker=marker, ms=4.5,
                        markevery=list(range(len(start), len(path))), label=label)
                ax.errorbar(part[f"{x}_mean"], part[f"{y}_mean"], xerr=part[f"{x}_sem"], yerr=part[f"{y}_sem"],
                            marker=marker, ls="none", color=color, ms=4.5, elinewidth=0.7, alpha=0.8, capsize=0)
                if highlight_percentile is not None:
                    ring = part[part["percentile"] == float(highlight_percentile)]
                    ax.scatter(ring[f"{x}_mean"], ring[f"{y}_mean"], s=110, facecolors="none", edgecolors="black",
                               linewidths=1.0, zorder=5, label=highlight_label if method == DRS else None)
            for i, method in enumerate(others):
                point = means[means["method"] == method]
                color = "black" if method == GENERATOR else style.method_colour(method, 3 + i)
                ax.errorbar(point[f"{x}_mean"], point[f"{y}_mean"], xerr=point[f"{x}_sem"], yerr=point[f"{y}_sem"],
                            marker=_POINT_MARKERS[i % len(_POINT_MARKERS)], ls="none", color=color, ms=8 if i == 0 else 6,
                            elinewidth=0.6, label="generator (accept all)" if method == GENERATOR else method, zorder=6)
            ax.set_xlabel(_LABELS.get(x, x))
            ax.set_ylabel(_LABELS.get(y, y))
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=min(3, len(labels)), frameon=False)
    if alt is None:
        names = ", ".join(f"{y} against {x}" for x, y in pairs)
        alt = (f"{len(pairs)} panel(s): {names}, mean over seeds with ± one standard error bars. DRS over its γ sweep and "
               f"thresholding at DRS's acceptance rate are drawn as lines from the generator's point; "
               + ", ".join(others) + " as single points.")
    return style.finish(fig, alt)
