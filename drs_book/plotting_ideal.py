"""Figures for the idealized 1D setting (chapter 1): Figure 1 (left), eq. 6-8, learned vs exact logits.

Drawn in the book's style (:mod:`drs_book.style`) and finished with
:func:`drs_book.style.finish` (2x PNG, descriptive alt text).
"""

from __future__ import annotations

from types import ModuleType

import numpy as np
import torch

from drs_book import style
from drs_lib.problems.ideal import GaussianTargetUniformProposal

import matplotlib.pyplot as plt


TARGET_COLOUR = "black"
ACCEPT_COLOUR = style.method_colour("DRS")
THRESHOLD_COLOUR = style.method_colour("threshold")


def figure1_left(problem: GaussianTargetUniformProposal, rejection_samples: np.ndarray,
                 threshold_samples: np.ndarray, bins: int = 60) -> plt.Figure:
    """Target density, scaled proposal M·p_g, and the histograms of both methods' samples."""
    x = np.linspace(-problem.half_width, problem.half_width, 801)
    target = problem.target_density(x)
    scaled_proposal = np.full_like(x, np.exp(problem.log_M) / (2 * problem.half_width))
    with style.context():
        fig, axes = plt.subplots(1, 2, figsize=style.page_figsize(aspect=0.42), sharey=True, constrained_layout=True)
        panels = [(axes[0], rejection_samples, ACCEPT_COLOUR, "rejection sampling"),
                  (axes[1], threshold_samples, THRESHOLD_COLOUR, "threshold, same acceptance")]
        for ax, samples, colour, title in panels:
            ax.hist(samples, bins=bins, range=(-problem.half_width, problem.half_width), density=True,
                    color=colour, alpha=0.45, label="kept samples")
            ax.plot(x, target, color=TARGET_COLOUR, lw=2, label="target $p_d$")
            ax.plot(x, scaled_proposal, color="grey", lw=1.5, ls="--", label="$M p_g$")
            ax.set_title(title)
            ax.set_xlabel("$x$")
        axes[0].set_ylabel("density")
        axes[0].legend(loc="upper left")
    alt = ("Two histograms of kept samples over x, each with the target density p_d (black curve) and "
           "the scaled proposal M p_g (dashed): left, the samples rejection sampling keeps; right, the "
           "samples kept by a threshold on the density ratio at the same acceptance rate.")
    return style.finish(fig, alt)


def F_and_F_hat(drs: ModuleType, d_max: float, gammas: tuple[float, ...] = (-2.0, 0.0, 2.0)) -> plt.Figure:
    """σ(F) against exp(D̃ − D̃_M) (eq. 6-7), and σ(F̂) for several γ (eq. 8)."""
    logit = torch.linspace(d_max - 8.0, d_max, 400, dtype=torch.float64)
    gap = (logit - d_max).numpy()
    with style.context():
        fig, axes = plt.subplots(1, 2, figsize=style.page_figsize(aspect=0.4), constrained_layout=True)
        axes[0].plot(gap, np.exp(gap), color=TARGET_COLOUR, lw=4, alpha=0.35, label=r"$e^{\tilde D - \tilde D_M}$")
        axes[0].plot(gap, torch.sigmoid(drs.F(logit, d_max)).numpy(), color=ACCEPT_COLOUR, lw=1.5, label=r"$\sigma(F)$, eq. 7")
        axes[0].set_xlabel(r"$\tilde D(x) - \tilde D_M$")
        axes[0].set_ylabel("acceptance probability")
        axes[0].legend()
        for gamma in gammas:
            axes[1].plot(gap, drs.acceptance_probability(logit, d_max, gamma=gamma).numpy(), label=rf"$\gamma = {gamma:g}$")
        axes[1].set_xlabel(r"$\tilde D(x) - \tilde D_M$")
        axes[1].set_title(r"$\sigma(\hat F)$, eq. 8")
        axes[1].legend()
    alt = ("Acceptance probability against the logit gap D(x) - D_M. Left: sigma(F) of eq. 7 lies on "
           "exp(D - D_M), the ideal acceptance probability. Right: sigma(F-hat) of eq. 8 for gamma = "
           + ", ".join(f"{g:g}" for g in gammas) + "; a larger gamma shifts the curve to the right, "
           "accepting fewer samples.")
    return style.finish(fig, alt)


def logit_comparison(x: np.ndarray, exact: np.ndarray, learned: np.ndarray) -> plt.Figure:
    """The exact optimal logit log p_d/p_g and learned logits (one row of ``learned`` per seed)."""
    with style.context():
        fig, ax = plt.subplots(figsize=style.page_figsize(aspect=0.55, fraction=0.8), constrained_layout=True)
        for i, row in enumerate(np.atleast_2d(learned)):
            ax.plot(x, row, color=ACCEPT_COLOUR, alpha=0.6, lw=1, label="trained $\\tilde D$ (per seed)" if i == 0 else None)
        ax.plot(x, exact, color=TARGET_COLOUR, lw=2, label=r"exact $\log p_d/p_g$")
        ax.set_xlabel("$x$")
        ax.set_ylabel("logit")
        ax.legend()
    n = len(np.atleast_2d(learned))
    alt = (f"Discriminator logit against x: the exact optimal logit log p_d/p_g (black) and the logits "
           f"of {n} trained discriminator{'s' if n != 1 else ''}, one per seed (blue).")
    return style.finish(fig, alt)
