"""The digits chapters' checks beyond the paper (issue 25): memorisation, class balance, calibration.

The measurements are library code (:mod:`drs_lib.metrics.memorisation`,
:mod:`drs_lib.metrics.reliability`); this module holds what the chapters build on them: class
shares and their distance, the words for "all n models", the tables and the figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure

from drs_book import style
from drs_book.plotting_images import ACCEPTED, REJECTED, _show, image_grid
from drs_lib.metrics.reliability import CalibrationReport

__all__ = ["class_shares", "total_variation", "dominant_class", "all_of", "distance_table", "plot_memorisation",
           "plot_nearest_pairs", "plot_reliability", "HELD_OUT"]

HELD_OUT = "#4d4d4d"  # held-out real digits: neutral grey beside accepted (green) and rejected (red)
_NUMBER_WORDS = {2: "both"}


def class_shares(labels: Iterable[int] | torch.Tensor | np.ndarray, n_classes: int) -> np.ndarray:
    """Share of each class among ``labels`` (length ``n_classes``, sums to 1); NaN for no labels."""
    array = labels.cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(list(labels) if not isinstance(labels, np.ndarray) else labels)
    array = array.astype(np.int64).ravel()
    if array.size and ((array < 0).any() or (array >= n_classes).any()):
        raise ValueError(f"labels: integers in [0, {n_classes - 1}] are required")
    if array.size == 0:
        return np.full(n_classes, np.nan)
    return np.bincount(array, minlength=n_classes) / array.size


def total_variation(p: np.ndarray, q: np.ndarray) -> float:
    """Total-variation distance ½ Σ|p − q| of two class distributions (0: same mix, 1: disjoint)."""
    p, q = np.asarray(p, dtype=float), np.asarray(q, dtype=float)
    if p.shape != q.shape:
        raise ValueError(f"the two distributions have shapes {p.shape} and {q.shape}")
    return float(0.5 * np.abs(p - q).sum())


def dominant_class(shares: np.ndarray) -> tuple[int, float]:
    """The most frequent class and its share."""
    index = int(np.nanargmax(shares))
    return index, float(shares[index])


def all_of(n: int, noun: str) -> str:
    """'both GANs', 'all 3 GANs': never 'all 2'. ``noun`` is the plural."""
    if n < 2:
        raise ValueError(f"all_of needs at least two items; got {n}")
    word = _NUMBER_WORDS.get(n, f"all {n}")
    return f"{word} {noun}"


def distance_table(rows: pd.DataFrame, spaces: Mapping[str, str], groups: Mapping[str, str]) -> pd.DataFrame:
    """Median nearest-training distance and near-copy share per (space, group), mean ± std over models.

    ``rows``: one row per (seed, space, group) with ``median_distance`` and ``near_copy_share``.
    """
    out = []
    for space, space_label in spaces.items():
        for group, group_label in groups.items():
            part = rows[(rows.space == space) & (rows.group == group)]
            median, share = part.median_distance, 100 * part.near_copy_share
            out.append({"space": space_label, "samples": group_label,
                        "median distance to the nearest training digit": f"{median.mean():.3f} ± {median.std():.3f}",
                        "near-copies (%)": f"{share.mean():.2f} ± {share.std():.2f}"})
    return pd.DataFrame(out)


def plot_memorisation(distances: Mapping[str, Mapping[str, np.ndarray]], thresholds: Mapping[str, float],
                      titles: Mapping[str, str]) -> Figure:
    """One panel per feature space: densities of the nearest-training distance of accepted, rejected
    and held-out real images, and the near-copy threshold as a dashed line."""
    colours = {"accepted": ACCEPTED, "rejected": REJECTED, "held-out real": HELD_OUT}
    with style.context():
        fig, axes = plt.subplots(1, len(distances), figsize=style.page_figsize(aspect=0.4), constrained_layout=True)
        for ax, (space, groups) in zip(np.atleast_1d(axes), distances.items()):
            every = np.concatenate([np.asarray(v) for v in groups.values() if len(v)])
            bins = np.linspace(0.0, float(np.quantile(every, 0.999)) * 1.02, 40)
            for group, values in groups.items():
                if len(values):
                    ax.hist(values, bins=bins, density=True, histtype="step", linewidth=1.6,
                            color=colours.get(group, HELD_OUT), label=group)
            ax.axvline(thresholds[space], color="black", linestyle="--", linewidth=1.0, label="near-copy threshold")
            ax.set_title(titles[space])
            ax.set_xlabel("distance to nearest training digit")
            ax.set_ylabel("density")
        handles, labels = np.atleast_1d(axes)[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside upper center", ncol=4, frameon=False)
        return style.finish(fig, alt="Histograms of each sample's distance to its nearest training digit, in pixel space "
                            "and in the classifier's feature space, for accepted, rejected and held-out real digits, with "
                            "the near-copy threshold dashed.")


def plot_nearest_pairs(samples: torch.Tensor, neighbours: torch.Tensor, n_columns: int = 10) -> Figure:
    """Appendix B's display: accepted samples (top row of each pair) above their nearest training digit."""
    n = min(len(samples), n_columns)
    pairs = torch.cat([samples[:n].cpu(), neighbours[:n].cpu()])
    with style.context():
        fig, ax = plt.subplots(figsize=style.page_figsize(aspect=0.22), constrained_layout=True)
        _show(ax, image_grid(pairs, n_columns=n))
        ax.set_ylabel("top: accepted sample\nbottom: nearest\ntraining digit", rotation=0, ha="right", va="center")
        return style.finish(fig, alt="Two rows of digits: generated samples accepted by DRS, and under each its nearest "
                            "training digit in pixel space.")


def plot_reliability(report: CalibrationReport) -> Figure:
    """Reliability diagram (accuracy against confidence per bin, the diagonal is calibrated) beside the
    histogram of confidences on a log count axis."""
    bins = report.bins
    centres = 0.5 * (bins.edges[:-1] + bins.edges[1:])
    width = bins.edges[1] - bins.edges[0]
    filled = bins.counts > 0
    with style.context():
        fig, (left, right) = plt.subplots(1, 2, figsize=style.page_figsize(aspect=0.4), constrained_layout=True)
        left.bar(centres[filled], bins.accuracy[filled], width=0.9 * width, color=style.PALETTE[0], label="accuracy")
        left.plot([0, 1], [0, 1], color="black", linestyle="--", linewidth=1.0, label="calibrated")
        left.set_xlim(0, 1)
        left.set_ylim(0, 1)
        left.set_xlabel("confidence max p(y|x)")
        left.set_ylabel("accuracy in bin")
        left.legend(loc="upper left", frameon=False)
        right.bar(centres, np.maximum(bins.counts, 0), width=0.9 * width, color=style.PALETTE[1])
        right.set_yscale("symlog", linthresh=1)
        right.set_xlim(0, 1)
        right.set_xlabel("confidence max p(y|x)")
        right.set_ylabel("held-out digits")
        return style.finish(fig, alt="Reliability diagram of the scoring classifier on held-out real digits: accuracy per "
                            "confidence bin against the diagonal, and the number of digits per bin.")
