"""The idealized setting of Section 3.1 and Figure 1 (left): two known 1D densities with the same support.

Target p_d: a normal N(0, target_std²) truncated to [-half_width, half_width].
Proposal p_g: the uniform distribution on the same interval.

Because both densities are known, the optimal discriminator of eq. 3 is known too, and its
logit is exactly log p_d/p_g (eq. 5); M = max p_d/p_g is attained at x = 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from drs_lib._optional import optional_imports

with optional_imports("metrics"):
    from scipy import stats


@dataclass(frozen=True)
class GaussianTargetUniformProposal:
    """p_d = N(0, target_std²) truncated to [−half_width, half_width]; p_g = U(−half_width, half_width)."""

    half_width: float = 4.0
    target_std: float = 1.0

    def __post_init__(self) -> None:
        if not (self.half_width > 0 and self.target_std > 0):
            raise ValueError(f"half_width and target_std must be > 0; got {self.half_width}, {self.target_std}")

    @property
    def _truncation(self) -> float:
        """Probability mass of the untruncated normal inside the interval."""
        return math.erf(self.half_width / (self.target_std * math.sqrt(2.0)))

    def log_pd(self, x: Tensor) -> Tensor:
        log_density = (-0.5 * (x / self.target_std) ** 2 - math.log(self.target_std * math.sqrt(2 * math.pi))
                       - math.log(self._truncation))
        return torch.where(x.abs() <= self.half_width, log_density, torch.full_like(x, -math.inf))

    def log_pg(self, x: Tensor) -> Tensor:
        inside = torch.full_like(x, -math.log(2 * self.half_width))
        return torch.where(x.abs() <= self.half_width, inside, torch.full_like(x, -math.inf))

    def optimal_logit(self, x: Tensor) -> Tensor:
        """Logit of the optimal discriminator D* = p_d/(p_d + p_g) (eq. 3): log p_d(x)/p_g(x) (eq. 5)."""
        return self.log_pd(x) - self.log_pg(x)

    @property
    def log_M(self) -> float:
        """D̃*_M = log max_x p_d(x)/p_g(x), attained at x = 0."""
        return float(self.optimal_logit(torch.zeros(1, dtype=torch.float64)))

    def sample_target(self, n: int, rng: torch.Generator) -> Tensor:
        """Exact draws from p_d by inverting the normal CDF restricted to the interval; shape (n, 1)."""
        lower = 0.5 * (1 - self._truncation)
        u = lower + (1 - 2 * lower) * torch.rand(n, 1, generator=rng, device=rng.device, dtype=torch.float64)
        return (self.target_std * torch.special.ndtri(u)).float()

    def sample_proposal(self, n: int, rng: torch.Generator) -> Tensor:
        """Draws from p_g; shape (n, 1)."""
        return (2 * torch.rand(n, 1, generator=rng, device=rng.device) - 1) * self.half_width

    def target_cdf(self, x: np.ndarray) -> np.ndarray:
        bound = self.half_width / self.target_std
        return stats.truncnorm.cdf(x, -bound, bound, scale=self.target_std)

    def target_density(self, x: np.ndarray) -> np.ndarray:
        bound = self.half_width / self.target_std
        return stats.truncnorm.pdf(x, -bound, bound, scale=self.target_std)


def ks_test(samples: Tensor, cdf) -> tuple[float, float]:
    """One-sample Kolmogorov-Smirnov test of 1D samples against a CDF: (statistic, p-value)."""
    result = stats.kstest(samples.detach().reshape(-1).cpu().double().numpy(), cdf)
    return float(result.statistic), float(result.pvalue)
