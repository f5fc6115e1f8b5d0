"""Figures for the idealized 1D setting (chapter 1): Figure 1 (left), eq. 6-8, learned vs exact logits."""

from __future__ import annotations

from types import ModuleType

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
import torch

from drs_lib.ideal import GaussianTargetUniformProposal

TARGET_COLOUR = "black"
ACCEPT_COLOUR = "tab:blue"
THRESHOLD_COLOUR = "tab:red"


def figure1_left(problem: GaussianTargetUniformProposal, rejection_samples: np.ndarray,
                 threshold_samples: np.ndarray, bins: int = 60) -> plt.Figure:
    """Target density, scaled proposal M·p_g, and the histograms of both methods' samples."""
    sns.set_theme(style="whitegrid", context="notebook")
    x = np.linspace(-problem.half_width, problem.half_width, 801)
    target = problem.target_density(x)
    scaled_proposal = np.full_like(x, np.exp(problem.log_M) / (2 * problem.half_width))
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
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
    axes[0].legend(loc="upper left", fontsize="small")
    fig.tight_layout()
    return fig


def F_and_F_hat(drs: ModuleType, d_max: float, gammas: tuple[float, ...] = (-2.0, 0.0, 2.0)) -> plt.Figure:
    """σ(F) against exp(D̃ − D̃_M) (eq. 6-7), and σ(F̂) for several γ (eq. 8)."""
    sns.set_theme(style="whitegrid", context="notebook")
    logit = torch.linspace(d_max - 8.0, d_max, 400, dtype=torch.float64)
    gap = (logit - d_max).numpy()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    axes[0].plot(gap, np.exp(gap), color=TARGET_COLOUR, lw=4, alpha=0.35, label=r"$e^{\tilde D - \tilde D_M}$")
    axes[0].plot(gap, torch.sigmoid(drs.F(logit, d_max)).numpy(), color=ACCEPT_COLOUR, lw=1.5, label=r"$\sigma(F)$, eq. 7")
    axes[0].set_xlabel(r"$\tilde D(x) - \tilde D_M$")
    axes[0].set_ylabel("acceptance probability")
    axes[0].legend(fontsize="small")
    for gamma in gammas:
        axes[1].plot(gap, drs.acceptance_probability(logit, d_max, gamma=gamma).numpy(), label=rf"$\gamma = {gamma:g}$")
    axes[1].set_xlabel(r"$\tilde D(x) - \tilde D_M$")
    axes[1].set_title(r"$\sigma(\hat F)$, eq. 8")
    axes[1].legend(fontsize="small")
    fig.tight_layout()
    return fig


def logit_comparison(x: np.ndarray, exact: np.ndarray, learned: np.ndarray) -> plt.Figure:
    """The exact optimal logit log p_d/p_g and learned logits (one row of ``learned`` per seed)."""
    sns.set_theme(style="whitegrid", context="notebook")
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for i, row in enumerate(np.atleast_2d(learned)):
        ax.plot(x, row, color=ACCEPT_COLOUR, alpha=0.6, lw=1, label="trained $\\tilde D$ (per seed)" if i == 0 else None)
    ax.plot(x, exact, color=TARGET_COLOUR, lw=2, label=r"exact $\log p_d/p_g$")
    ax.set_xlabel("$x$")
    ax.set_ylabel("logit")
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig
