"""Figures for the image experiments (paper Figures 2, 4, 5B and 7, on small images).

Drawn in the book's style (:mod:`drs_book.style`: page-column width, legible fonts, log colour
scales with labelled colour bars) and finished with :func:`drs_book.style.finish` (2x PNG,
descriptive alt text).
"""

from __future__ import annotations

import numpy as np
import torch

from drs_book import style

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
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


def _central_range(values: np.ndarray, coverage: float = 0.998) -> tuple[float, float]:
    """The range holding the central ``coverage`` of ``values`` (so a few outliers do not squash the
    histogram into a corner); callers say how many values fall outside."""
    finite = values[np.isfinite(values)]
    tail = (1.0 - coverage) / 2.0
    low, high = np.quantile(finite, [tail, 1.0 - tail])
    if high <= low:
        low, high = float(finite.min()), float(finite.max()) + 1e-9
    pad = 0.02 * (high - low)
    return float(low - pad), float(high + pad)


def plot_figure2(F_before: np.ndarray, F_after: np.ndarray, p_before: np.ndarray, p_after: np.ndarray, maxp_accepted: np.ndarray, maxp_rejected: np.ndarray) -> Figure:
    """(A) F̂ and σ(F̂) before/after γ; (B) max_j p(y_j|x) of accepted vs rejected samples.

    The F̂ panel shows the central 99.8 % of the values; how many lie outside is written on it.
    """
    F_all = np.concatenate([F_before, F_after])
    low, high = _central_range(F_all)
    outside = int(np.sum((F_all < low) | (F_all > high)))
    with style.context():
        fig, axes = plt.subplots(1, 3, figsize=style.page_figsize(aspect=0.4), constrained_layout=True)
        frame_f = pd.DataFrame({"value": F_all, "": ["before γ"] * len(F_before) + ["after γ"] * len(F_after)})
        sns.histplot(frame_f, x="value", hue="", bins=60, binrange=(low, high), element="step", palette=[BEFORE, AFTER], ax=axes[0])
        axes[0].set_xlim(low, high)
        axes[0].set_xlabel(r"$\hat F(x)$" + (f"\n({outside} of {len(F_all)} beyond the axis)" if outside else ""))
        axes[0].set_title("(A) sigmoid inputs")
        axes[0].get_legend().remove()  # same colours as the middle panel, whose legend names them
        frame_p = pd.DataFrame({"value": np.concatenate([p_before, p_after]), "": ["before γ"] * len(p_before) + ["after γ"] * len(p_after)})
        sns.histplot(frame_p, x="value", hue="", bins=np.linspace(0, 1, 41), element="step", palette=[BEFORE, AFTER], ax=axes[1])
        axes[1].set_yscale("log")
        axes[1].set_xlabel(r"$\sigma(\hat F(x))$")
        axes[1].set_title("(A) acceptance prob.")
        frame_m = pd.DataFrame(
            {"value": np.concatenate([maxp_accepted, maxp_rejected]), "": ["accepted"] * len(maxp_accepted) + ["rejected"] * len(maxp_rejected)}
        )
        sns.histplot(frame_m, x="value", hue="", bins=np.linspace(0, 1, 41), stat="density", common_norm=False, element="step", palette=[ACCEPTED, REJECTED], ax=axes[2])
        axes[2].set_xlabel(r"$\max_j\, p(y_j \mid x)$")
        axes[2].set_title("(B) recognisability")
        for ax in axes:
            ax.tick_params(axis="x", labelrotation=0)
            legend = ax.get_legend()
            if legend is not None:
                legend.set_title(None)
    alt = ("Three histograms. (A, left) the sigmoid input F-hat of the samples before and after subtracting "
           "gamma; (A, middle) their acceptance probabilities sigma(F-hat), on a log count scale, before and "
           "after gamma; (B, right) the classifier's highest class probability for accepted and for rejected samples.")
    return style.finish(fig, alt)


def _spaced_labels(ax, x: np.ndarray, y: np.ndarray, labels, min_gap: float = 0.07):
    """The points to label and where: a point closer than ``min_gap`` (in axes fractions) to an already
    labelled one gets no label, and labels alternate above-right and below-left of their points, so
    that the percentile labels of a dense curve do not overlap (Figure 7's left panel)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    u = (np.asarray(x, float) - x0) / ((x1 - x0) or 1.0)
    v = (np.asarray(y, float) - y0) / ((y1 - y0) or 1.0)
    chosen: list[int] = []
    for i in range(len(u)):
        if all(np.hypot(u[i] - u[j], v[i] - v[j]) >= min_gap for j in chosen):
            chosen.append(i)
    return [(labels[i], (x[i], y[i]), (5, 5) if k % 2 == 0 else (-5, -5)) for k, i in enumerate(chosen)]


def plot_figure7(sweep: pd.DataFrame, acceptance: np.ndarray, maxp: np.ndarray, real_is: float | None = None) -> Figure:
    """Left: IS analogue vs average acceptance rate (``sweep`` has columns acceptance_rate, inception_score, seed, percentile).
    Right: 2D histogram of DRS acceptance probability vs max_j p(y_j|x), counts on a log colour scale."""
    summary = sweep.groupby("percentile").agg(
        rate=("acceptance_rate", "mean"), rate_sd=("acceptance_rate", "std"), score=("inception_score", "mean"), score_sd=("inception_score", "std")
    )
    counts, x_edges, y_edges = np.histogram2d(np.asarray(maxp), np.asarray(acceptance), bins=30, range=((0, 1), (0, 1)))
    with style.context():
        fig, axes = plt.subplots(1, 2, figsize=style.page_figsize(aspect=0.45), constrained_layout=True)
        axes[0].errorbar(summary.rate, summary.score, xerr=summary.rate_sd.fillna(0), yerr=summary.score_sd.fillna(0), marker="o", capsize=3, color=AFTER)
        if real_is is not None:
            axes[0].axhline(real_is, color="grey", linestyle="--", label="real held-out digits")
            # below the panel, where no point or label can sit under it
            axes[0].legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), frameon=False)
        for percentile, (x, y), (dx, dy) in _spaced_labels(axes[0], summary.rate.to_numpy(), summary.score.to_numpy(), summary.index):
            axes[0].annotate(f"{percentile:g}", (x, y), textcoords="offset points", xytext=(dx, dy), fontsize=9,
                             ha="left" if dx > 0 else "right", va="bottom" if dy > 0 else "top")
        axes[0].invert_xaxis()
        axes[0].set_xlabel("acceptance rate (labels: γ percentile)")
        axes[0].set_ylabel("IS analogue")
        axes[0].set_title("IS analogue vs acceptance")
        mesh = axes[1].pcolormesh(x_edges, y_edges, counts.T, norm=style.log_norm(counts), cmap="viridis")
        style.colorbar(fig, mesh, axes[1], "samples per bin (log scale)")
        axes[1].set_xlabel(r"$\max_j\, p(y_j \mid x)$")
        axes[1].set_ylabel("DRS acceptance probability")
        axes[1].set_title("acceptance vs recognisability")
    alt = ("Left: the Inception Score analogue (mean and std over seeds) against the average acceptance rate, "
           "one point per gamma percentile" + (", with a dashed line at the score of real held-out digits" if real_is is not None else "")
           + ". Right: a two-dimensional histogram of DRS acceptance probability against the classifier's highest "
           "class probability, with counts on a logarithmic colour scale (empty bins white).")
    return style.finish(fig, alt)


def plot_best_worst(best: torch.Tensor, worst: torch.Tensor, n_columns: int = 10) -> Figure:
    """Figure 4: the samples with the highest (left) and lowest (right) acceptance probability."""
    with style.context():
        fig, axes = plt.subplots(1, 2, figsize=style.page_figsize(aspect=0.55), constrained_layout=True)
        _show(axes[0], image_grid(best, n_columns), f"highest acceptance ({len(best)})")
        _show(axes[1], image_grid(worst, n_columns), f"lowest acceptance ({len(worst)})")
    alt = (f"Two grids of generated digit images: left, the {len(best)} samples with the highest DRS acceptance "
           f"probability; right, the {len(worst)} with the lowest.")
    return style.finish(fig, alt)


def plot_interpolations(images: torch.Tensor, probabilities: np.ndarray, alphas: np.ndarray) -> Figure:
    """Figure 5B: rows of latent interpolations (rows, k, c, h, w) under colour bars of acceptance probability.

    Colour bar: red for high and white for low acceptance probability, as in the paper.
    """
    rows, k = probabilities.shape
    width = min(k * 0.75, style.page_figsize()[0])
    with style.context():
        fig, axes = plt.subplots(2 * rows, 1, figsize=(width, rows * width / k * 1.3 + 0.6), gridspec_kw={"height_ratios": [0.18, 1] * rows}, constrained_layout=True)
        for r in range(rows):
            bar, row_ax = axes[2 * r], axes[2 * r + 1]
            bar.imshow(probabilities[r][None, :], cmap="Reds", vmin=0.0, vmax=1.0, aspect="auto", extent=(0, k, 0, 1))
            bar.set_xticks([])
            bar.set_yticks([])
            _show(row_ax, image_grid(images[r], n_columns=k, padding=1))
        axes[0].set_title(r"$z = \alpha z_1 + (1-\alpha) z_2$, $\alpha$ from " + f"{alphas[0]:g} (left) to {alphas[-1]:g} (right)", fontsize=10)
        mappable = plt.cm.ScalarMappable(cmap="Reds", norm=plt.Normalize(0, 1))
        style.colorbar(fig, mappable, list(axes), "acceptance probability", shrink=0.6)
    alt = (f"{rows} rows of {k} generated digits along straight lines in latent space (alpha from {alphas[0]:g} to "
           f"{alphas[-1]:g}), each under a colour strip of the DRS acceptance probability of every image "
           "(dark red: high, white: low).")
    return style.finish(fig, alt)
