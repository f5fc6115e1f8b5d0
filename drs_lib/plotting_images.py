"""Figures for the image experiments (paper Figures 2, 4, 5B and 7, on small images)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import torch
from matplotlib.figure import Figure

__all__ = ["image_grid", "plot_figure2", "plot_figure7", "plot_best_worst", "plot_interpolations", "BEFORE", "AFTER", "ACCEPTED", "REJECTED"]

# The paper's colours: purple before / green after adding γ; green accepted / red rejected.
BEFORE, AFTER = "#7b3294", "#1b9e77"
ACCEPTED, REJECTED = "#1b9e77", "#d7301f"


def _numpy_images(images: torch.Tensor | np.ndarray) -> np.ndarray:
    if isinstance(images, torch.Tensor):
        images = images.detach().cpu().float().numpy()
    return np.asarray(images)


def image_grid(images: torch.Tensor | np.ndarray, n_columns: int = 10, padding: int = 1) -> np.ndarray:
    """Tile images (n, c, h, w) in [-1, 1] into one (H, W) or (H, W, 3) array in [0, 1]."""
    array = (np.clip(_numpy_images(images), -1.0, 1.0) + 1.0) / 2.0
    n, c, h, w = array.shape
    rows = int(np.ceil(n / n_columns))
    # Separator lines in light grey (0.25 reads as light under the reversed grey map used for digits).
    grid = np.full((c, rows * (h + padding) + padding, n_columns * (w + padding) + padding), 0.25)
    for i in range(n):
        r, col = divmod(i, n_columns)
        top, left = padding + r * (h + padding), padding + col * (w + padding)
        grid[:, top : top + h, left : left + w] = array[i]
    return grid[0] if c == 1 else grid.transpose(1, 2, 0)


def _show(ax, grid: np.ndarray, title: str | None = None) -> None:
    # Digits are dark ink on a light page: show high pixel values dark ("gray_r").
    ax.imshow(grid, cmap="gray_r" if grid.ndim == 2 else None, vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title)


def plot_figure2(F_before: np.ndarray, F_after: np.ndarray, p_before: np.ndarray, p_after: np.ndarray, maxp_accepted: np.ndarray, maxp_rejected: np.ndarray) -> Figure:
    """(A) F̂ and σ(F̂) before/after γ; (B) max_j p(y_j|x) of accepted vs rejected samples."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), constrained_layout=True)
    frame_f = pd.DataFrame({"value": np.concatenate([F_before, F_after]), "": ["before γ"] * len(F_before) + ["after γ"] * len(F_after)})
    sns.histplot(frame_f, x="value", hue="", bins=80, element="step", palette=[BEFORE, AFTER], ax=axes[0])
    axes[0].set_xlabel(r"$\hat F(x)$ (sigmoid input)")
    axes[0].set_title("(A) sigmoid inputs")
    frame_p = pd.DataFrame({"value": np.concatenate([p_before, p_after]), "": ["before γ"] * len(p_before) + ["after γ"] * len(p_after)})
    sns.histplot(frame_p, x="value", hue="", bins=np.linspace(0, 1, 41), element="step", palette=[BEFORE, AFTER], ax=axes[1])
    axes[1].set_yscale("log")
    axes[1].set_xlabel(r"acceptance probability $\sigma(\hat F(x))$")
    axes[1].set_title("(A) acceptance probabilities")
    frame_m = pd.DataFrame(
        {"value": np.concatenate([maxp_accepted, maxp_rejected]), "": ["accepted"] * len(maxp_accepted) + ["rejected"] * len(maxp_rejected)}
    )
    sns.histplot(frame_m, x="value", hue="", bins=np.linspace(0, 1, 41), stat="density", common_norm=False, element="step", palette=[ACCEPTED, REJECTED], ax=axes[2])
    axes[2].set_xlabel(r"$\max_j\, p(y_j \mid x)$ (classifier)")
    axes[2].set_title("(B) recognisability")
    return fig


def plot_figure7(sweep: pd.DataFrame, acceptance: np.ndarray, maxp: np.ndarray, real_is: float | None = None) -> Figure:
    """Left: IS analogue vs average acceptance rate (``sweep`` has columns acceptance_rate, inception_score, seed, percentile).
    Right: 2D histogram of DRS acceptance probability vs max_j p(y_j|x)."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    summary = sweep.groupby("percentile").agg(
        rate=("acceptance_rate", "mean"), rate_sd=("acceptance_rate", "std"), score=("inception_score", "mean"), score_sd=("inception_score", "std")
    )
    axes[0].errorbar(summary.rate, summary.score, xerr=summary.rate_sd.fillna(0), yerr=summary.score_sd.fillna(0), marker="o", capsize=3, color=AFTER)
    for percentile, row in summary.iterrows():
        axes[0].annotate(f"{percentile:g}", (row.rate, row.score), textcoords="offset points", xytext=(4, 4), fontsize=8)
    if real_is is not None:
        axes[0].axhline(real_is, color="grey", linestyle="--", label="real held-out digits")
        axes[0].legend(loc="lower left")
    axes[0].invert_xaxis()
    axes[0].set_xlabel("average acceptance rate (labels: γ percentile)")
    axes[0].set_ylabel("Inception Score analogue")
    axes[0].set_title("IS analogue vs acceptance rate")
    sns.histplot(x=maxp, y=acceptance, bins=(30, 30), binrange=((0, 1), (0, 1)), cmap="viridis", cbar=True, ax=axes[1])
    axes[1].set_xlabel(r"$\max_j\, p(y_j \mid x)$ (classifier)")
    axes[1].set_ylabel("DRS acceptance probability")
    axes[1].set_title("acceptance vs recognisability")
    return fig


def plot_best_worst(best: torch.Tensor, worst: torch.Tensor, n_columns: int = 10) -> Figure:
    """Figure 4: the samples with the highest (left) and lowest (right) acceptance probability."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 5.2), constrained_layout=True)
    _show(axes[0], image_grid(best, n_columns), f"highest acceptance probability ({len(best)})")
    _show(axes[1], image_grid(worst, n_columns), f"lowest acceptance probability ({len(worst)})")
    return fig


def plot_interpolations(images: torch.Tensor, probabilities: np.ndarray, alphas: np.ndarray) -> Figure:
    """Figure 5B: rows of latent interpolations (rows, k, c, h, w) under colour bars of acceptance probability.

    Colour bar: red for high and white for low acceptance probability, as in the paper.
    """
    rows, k = probabilities.shape
    fig, axes = plt.subplots(2 * rows, 1, figsize=(k * 0.75, rows * 1.05), gridspec_kw={"height_ratios": [0.18, 1] * rows}, constrained_layout=True)
    for r in range(rows):
        bar, row_ax = axes[2 * r], axes[2 * r + 1]
        bar.imshow(probabilities[r][None, :], cmap="Reds", vmin=0.0, vmax=1.0, aspect="auto", extent=(0, k, 0, 1))
        bar.set_xticks([])
        bar.set_yticks([])
        _show(row_ax, image_grid(images[r], n_columns=k, padding=1))
    axes[0].set_title(r"$z = \alpha z_1 + (1-\alpha) z_2$, $\alpha$ from " + f"{alphas[0]:g} (left) to {alphas[-1]:g} (right)", fontsize=9)
    mappable = plt.cm.ScalarMappable(cmap="Reds", norm=plt.Normalize(0, 1))
    fig.colorbar(mappable, ax=list(axes), shrink=0.6, label="acceptance probability")
    return fig
