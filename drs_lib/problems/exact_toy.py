"""A known-answer problem for the samplers: a generator with a known density and the exact log ratio.

The generator is an invertible affine map of the 2D standard normal prior, x = A z + b, so
p_g = N(b, A A^T) is known in closed form. The target p_d is a mixture of isotropic Gaussians.
The exact discriminator logit is the log density ratio (DRS eq. 5, with D* = p_d / (p_d + p_g)),

    d(x) = log p_d(x) - log p_g(x).

With this d, both DRS with gamma = 0 (Azadi et al. 2019, Sec. 3.1) and DDLS at equilibrium
(Che et al. 2020, Theorem 1: p_t(z) ∝ p0(z) exp(d(G(z))) ∝ p_d(A z + b)) deliver exact samples
of p_d, so their output can be compared with fresh target samples. :func:`match_test` does that
comparison against the sampling noise of two real sets of the same size:

* energy distance (the statistic of :func:`drs_lib.metrics.distances.energy_distance`) against its
  permutation null: the sampler's set and a fresh target set of the same size are pooled and
  split at random ``n_permutations`` times, which is the distribution of the distance between two
  real sets of that size when H0 holds; p-value (1 + #null >= observed) / (1 + n_permutations);
* a two-sample Kolmogorov-Smirnov test per coordinate (scipy);
* a chi-square test of the counts per mixture component (each sample assigned to its most
  probable component), which is what a sampler that keeps every mode but with the wrong
  weights fails;
* the number of components with at least one sample within 3 std of their mean ("kept").

A sample set *matches* when every p-value is at least ``alpha`` divided by the number of tests
(Bonferroni) and every component is kept. Nothing here is a typed tolerance on a distance.

Power: the KS and chi-square tests are linear in the sample size, so ``reference_factor``
draws the fresh target set that many times larger than the sampler's set (the variance of the
comparison then comes almost all from the sampler's side), and the quadratic-cost energy test
uses the first ``energy_points`` of each. At 10,000 samples against 100,000 the check rejects
DRS with gamma at the 95th percentile, biased by design (tests/test_ddls_known_answer.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from drs_lib._optional import optional_imports
from drs_lib.rng import make_rng

Tensor = torch.Tensor

__all__ = [
    "AffineGaussianGenerator",
    "ExactRatioToy",
    "GaussianMixture",
    "MatchResult",
    "default_toy",
    "energy_permutation_test",
    "match_test",
]

_LOG_2PI = math.log(2.0 * math.pi)


@dataclass(frozen=True)
class GaussianMixture:
    """sum_k w_k N(mu_k, s_k^2 I): ``means`` (K, dim), ``stds`` (K,), ``weights`` (K,) summing to 1."""

    means: Tensor
    stds: Tensor
    weights: Tensor

    def __post_init__(self) -> None:
        k = self.means.shape[0]
        if self.means.ndim != 2 or self.stds.shape != (k,) or self.weights.shape != (k,):
            raise ValueError(f"means (K, dim), stds (K,) and weights (K,) expected; got {tuple(self.means.shape)}, "
                             f"{tuple(self.stds.shape)}, {tuple(self.weights.shape)}")
        if not bool((self.stds > 0).all()) or not bool((self.weights > 0).all()):
            raise ValueError("stds and weights must be > 0")
        if abs(float(self.weights.sum()) - 1.0) > 1e-6:
            raise ValueError(f"weights must sum to 1; got {float(self.weights.sum())}")

    @property
    def dim(self) -> int:
        return int(self.means.shape[1])

    def component_log_probs(self, x: Tensor) -> Tensor:
        """log w_k + log N(x; mu_k, s_k^2 I), shape (n, K) (differentiable in x)."""
        means, stds, weights = (t.to(device=x.device, dtype=x.dtype) for t in (self.means, self.stds, self.weights))
        sq = (x.unsqueeze(1) - means).pow(2).sum(dim=2)
        return torch.log(weights) - 0.5 * sq / stds.pow(2) - self.dim * torch.log(stds) - 0.5 * self.dim * _LOG_2PI

    def log_prob(self, x: Tensor) -> Tensor:
        """log p_d(x), shape (n,)."""
        return torch.logsumexp(self.component_log_probs(x), dim=1)

    def components(self, x: Tensor) -> Tensor:
        """The most probable component of each row (argmax of the posterior), shape (n,)."""
        with torch.no_grad():
            return self.component_log_probs(x).argmax(dim=1)

    def sample(self, n: int, rng: torch.Generator) -> Tensor:
        """n exact samples on ``rng``'s device."""
        device = rng.device
        k = torch.multinomial(self.weights.to(device), n, replacement=True, generator=rng)
        noise = torch.randn(n, self.dim, generator=rng, device=device)
        return self.means.to(device)[k] + self.stds.to(device)[k, None] * noise


@dataclass(frozen=True)
class AffineGaussianGenerator:
    """G(z) = A z + b with z ~ N(0, I): p_g = N(b, A A^T), known exactly (A invertible)."""

    A: Tensor
    b: Tensor

    def __post_init__(self) -> None:
        dim = self.b.shape[0]
        if self.A.shape != (dim, dim) or self.b.ndim != 1:
            raise ValueError(f"A (dim, dim) and b (dim,) expected; got {tuple(self.A.shape)}, {tuple(self.b.shape)}")
        if abs(float(torch.linalg.det(self.A.double()))) < 1e-12:
            raise ValueError("A must be invertible")

    @property
    def latent_dim(self) -> int:
        return int(self.b.shape[0])

    def __call__(self, z: Tensor) -> Tensor:
        return z @ self.A.to(device=z.device, dtype=z.dtype).T + self.b.to(device=z.device, dtype=z.dtype)

    def log_prob(self, x: Tensor) -> Tensor:
        """log N(x; b, A A^T) = log N(A^{-1}(x - b); 0, I) - log |det A|, shape (n,)."""
        A = self.A.to(device=x.device, dtype=x.dtype)
        z = torch.linalg.solve(A, (x - self.b.to(device=x.device, dtype=x.dtype)).T).T
        log_det = torch.linalg.slogdet(A).logabsdet
        return -0.5 * z.pow(2).sum(dim=1) - 0.5 * self.latent_dim * _LOG_2PI - log_det

    def generate(self, n: int, rng: torch.Generator) -> Tensor:
        """n generator samples on ``rng``'s device (``drs_sample``'s ``generate``)."""
        with torch.no_grad():
            return self(torch.randn(n, self.latent_dim, generator=rng, device=rng.device))


@dataclass(frozen=True)
class ExactRatioToy:
    """A target mixture, an affine generator, and the exact logit d = log p_d - log p_g between them."""

    target: GaussianMixture
    generator: AffineGaussianGenerator

    @property
    def latent_dim(self) -> int:
        return self.generator.latent_dim

    def score(self, x: Tensor) -> Tensor:
        """The exact log density ratio d(x) = log p_d(x) - log p_g(x) (differentiable), shape (n,)."""
        return self.target.log_prob(x) - self.generator.log_prob(x)

    def generate(self, n: int, rng: torch.Generator) -> Tensor:
        return self.generator.generate(n, rng)

    def sample_real(self, n: int, rng: torch.Generator) -> Tensor:
        return self.target.sample(n, rng)


def default_toy(std: float = 0.5) -> ExactRatioToy:
    """Four unequal modes on a square (spacing 2, component std ``std``) and a wide, off-centre, sheared generator.

    Weights 0.4, 0.3, 0.2, 0.1: a chain started at the prior lands in a basin with roughly the
    generator's mass there (0.18, 0.24, 0.38, 0.20), so reaching the right weights needs chains
    that cross between basins. With std 0.5, the target's log density halfway between two
    adjacent modes is 0.9 to 1.2 nats below the lower of the two peaks: reachable, not free.
    p_g = N(b, A A^T) is wider than every component, so p_d / p_g is bounded (DRS needs M < inf).
    """
    means = torch.tensor([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])
    target = GaussianMixture(means, torch.full((4,), float(std)), torch.tensor([0.4, 0.3, 0.2, 0.1]))
    generator = AffineGaussianGenerator(torch.tensor([[1.8, 0.4], [-0.3, 1.5]]), torch.tensor([0.5, 0.4]))
    return ExactRatioToy(target, generator)


@dataclass(frozen=True)
class MatchResult:
    """Output of :func:`match_test` (p-values are for H0: the samples come from the target)."""

    n: int
    energy_distance: float  #: sampler vs a fresh target set of the same size
    null_quantile: float  #: (1 - alpha) quantile of the permutation null of the energy distance
    energy_p: float
    ks_p: tuple[float, ...]  #: per coordinate
    modes_p: float  #: chi-square on the counts per component (sampler vs real set)
    modes_kept: int
    n_modes: int
    weights: tuple[float, ...]  #: share of the samples assigned to each component
    alpha: float

    @property
    def n_tests(self) -> int:
        return 2 + len(self.ks_p)

    @property
    def min_p(self) -> float:
        return min(self.energy_p, self.modes_p, *self.ks_p)

    @property
    def matches(self) -> bool:
        """Every p-value >= alpha / n_tests (Bonferroni) and every component kept."""
        return self.min_p >= self.alpha / self.n_tests and self.modes_kept == self.n_modes


def energy_permutation_test(x: Tensor, y: Tensor, n_permutations: int = 199,
                            rng: torch.Generator | int | None = 0) -> tuple[float, Tensor]:
    """Energy distance between ``x`` and ``y`` and its permutation null (``n_permutations`` relabellings).

    Under H0 (x and y from one distribution) the labels are exchangeable, so the statistic of a
    random split of the pooled sets into sizes n and m is a draw from its null distribution at
    these sample sizes. The pooled distance matrix is computed once; every split's three mean
    distances then come from one matrix product. Returns (observed, null statistics).
    """
    if isinstance(n_permutations, bool) or not isinstance(n_permutations, int) or n_permutations < 1:
        raise ValueError(f"n_permutations must be an integer >= 1; got {n_permutations!r}")
    rng = make_rng(rng, "cpu")
    n, m = int(x.shape[0]), int(y.shape[0])
    pooled = torch.cat([x, y]).double().cpu()
    dist = torch.cdist(pooled, pooled)
    row_sums = dist.sum(dim=1, keepdim=True)
    labels = torch.zeros(n_permutations + 1, n + m, dtype=torch.float64)
    labels[0, :n] = 1.0  # column 0: the observed split
    for i in range(1, n_permutations + 1):
        labels[i, torch.randperm(n + m, generator=rng)[:n]] = 1.0
    a = labels.T  # (n + m, P): indicator of the first group
    da = dist @ a
    s_aa = (a * da).sum(dim=0)
    s_ab = ((1.0 - a) * da).sum(dim=0)
    s_bb = ((1.0 - a) * (row_sums - da)).sum(dim=0)
    stats = (2.0 * s_ab / (n * m) - s_aa / n**2 - s_bb / m**2).clamp_min(0.0)
    return float(stats[0]), stats[1:]


def match_test(samples: Tensor, toy: ExactRatioToy, *, rng: torch.Generator | int | None = 0,
               n_permutations: int = 199, alpha: float = 0.05, reference_factor: int = 1,
               energy_points: int | None = None) -> MatchResult:
    """Compare ``samples`` (n, dim) with fresh target samples (see the module docstring).

    The target set has ``reference_factor`` × n samples for the KS and chi-square tests; the
    energy test compares the first ``energy_points`` (default: all n) of each set.

    The permutation null must be large enough for the energy test to reach the Bonferroni
    threshold (at least n_tests / alpha - 1 permutations), otherwise that test could never fail:
    ValueError.
    """
    with optional_imports("metrics"):
        from scipy.stats import chi2_contingency, ks_2samp

    if samples.ndim != 2 or samples.shape[1] != toy.target.dim:
        raise ValueError(f"samples must be (n, {toy.target.dim}); got {tuple(samples.shape)}")
    n = int(samples.shape[0])
    if n < 20:
        raise ValueError(f"need at least 20 samples for a two-sample test; got {n}")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1); got {alpha!r}")
    n_tests = 2 + toy.target.dim
    if isinstance(n_permutations, bool) or not isinstance(n_permutations, int) or n_permutations < math.ceil(n_tests / alpha) - 1:
        raise ValueError(f"{n_permutations!r} permutations cannot give an energy p-value below alpha / n_tests = "
                         f"{alpha / n_tests:.4g}; use at least {math.ceil(n_tests / alpha) - 1}")
    if isinstance(reference_factor, bool) or not isinstance(reference_factor, int) or reference_factor < 1:
        raise ValueError(f"reference_factor must be an integer >= 1; got {reference_factor!r}")
    m = n if energy_points is None else int(energy_points)
    if isinstance(energy_points, bool) or not 20 <= m <= n:
        raise ValueError(f"energy_points must be None or an integer in [20, n = {n}]; got {energy_points!r}")
    rng = make_rng(rng, "cpu")
    x = samples.detach().cpu().float()
    finite = torch.isfinite(x).all(dim=1)
    reference = toy.sample_real(reference_factor * n, rng)
    if not bool(finite.all()):  # a diverged chain can never match: put it far away instead of dropping it
        x = torch.where(finite[:, None], x, torch.full_like(x, 1e6))
    observed, null = energy_permutation_test(x[:m], reference[:m], n_permutations, rng)
    energy_p = float((1 + (null >= observed).sum()) / (1 + n_permutations))
    ks_p = tuple(float(ks_2samp(x[:, j].numpy(), reference[:, j].numpy()).pvalue) for j in range(x.shape[1]))
    k = toy.target.means.shape[0]
    counts_x = torch.bincount(toy.target.components(x), minlength=k)
    counts_r = torch.bincount(toy.target.components(reference), minlength=k)
    table = torch.stack([counts_x, counts_r]).numpy()
    table = table[:, table.sum(axis=0) > 0]
    modes_p = float(chi2_contingency(table).pvalue) if table.shape[1] > 1 else 0.0
    dist = (x.unsqueeze(1) - toy.target.means).norm(dim=2)
    kept = int(((dist <= 3.0 * toy.target.stds).any(dim=0)).sum())
    return MatchResult(n=n, energy_distance=float(observed), null_quantile=float(torch.quantile(null, 1.0 - alpha)),
                       energy_p=energy_p, ks_p=ks_p, modes_p=modes_p, modes_kept=kept, n_modes=k,
                       weights=tuple((counts_x.double() / n).tolist()), alpha=alpha)
