"""Distances between a sample set and the true distribution that need no mode assignment.

Both are computed between two finite sample sets (generated vs fresh real samples), batched,
with exact formulas for empirical measures:

* Energy distance (Szekely and Rizzo 2013), V-statistic form
      E(X, Y) = 2 mean_ij |x_i - y_j| - mean_ij |x_i - x_j| - mean_ij |y_i - y_j|  (>= 0),
  which is exactly 0 for identical sets and, for a single point each, 2 |x - y|. The
  pairwise means are accumulated in blocks, so memory stays O(block^2).
  ``energy_distance`` returns E itself (squared-distance units); its square root is a metric.

* Sliced Wasserstein distance
      SW_p(X, Y) = ( mean_theta W_p^p(theta.X, theta.Y) )^(1/p)
  over random directions theta on the unit sphere; each one-dimensional W_p between the
  projected empirical measures is exact (quantile functions merged on the common grid
  {i/n} U {j/m}, so n != m is allowed). Shifting a set by a gives W_p = |theta.a| per
  direction, hence SW_2 -> |a| / sqrt(dim) as directions are averaged.
"""

from __future__ import annotations

import torch

Tensor = torch.Tensor

__all__ = ["energy_distance", "sliced_wasserstein", "random_directions", "wasserstein_1d"]


def _mean_pairwise_distance(a: Tensor, b: Tensor, block: int) -> Tensor:
    total = torch.zeros((), dtype=torch.float64, device=a.device)
    for i in range(0, a.shape[0], block):
        ai = a[i : i + block]
        for j in range(0, b.shape[0], block):
            total += torch.cdist(ai, b[j : j + block]).double().sum()
    return total / (a.shape[0] * b.shape[0])


@torch.no_grad()
def energy_distance(x: Tensor, y: Tensor, block: int = 4096) -> float:
    """Energy distance 2E|X-Y| - E|X-X'| - E|Y-Y'| between the empirical measures of x and y."""
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must be (n, dim) and (m, dim) with the same dim, got {tuple(x.shape)}, {tuple(y.shape)}")
    x = x.double()
    y = y.double().to(x.device)
    exy = _mean_pairwise_distance(x, y, block)
    exx = _mean_pairwise_distance(x, x, block)
    eyy = _mean_pairwise_distance(y, y, block)
    return max(float(2 * exy - exx - eyy), 0.0)


def random_directions(n: int, dim: int, rng: torch.Generator | int | None = 0, device="cpu") -> Tensor:
    """``n`` directions uniform on the unit sphere S^(dim-1), shape (n, dim)."""
    if isinstance(rng, torch.Generator):
        generator = rng
    else:
        generator = torch.Generator(device=device)
        generator.manual_seed(0 if rng is None else int(rng))
    theta = torch.randn(n, dim, generator=generator, device=device, dtype=torch.float64)
    return theta / theta.norm(dim=1, keepdim=True)


def wasserstein_1d(u: Tensor, v: Tensor, p: float = 2.0) -> Tensor:
    """Exact W_p^p between empirical measures, batched over rows: u (k, n), v (k, m) -> (k,).

    W_p^p = integral_0^1 |F^-1(t) - G^-1(t)|^p dt, with both quantile functions piecewise
    constant on the merged grid of breakpoints {i/n} U {j/m} (integer arithmetic, so exact).
    """
    k, n = u.shape
    m = v.shape[1]
    us, _ = torch.sort(u, dim=1)
    vs, _ = torch.sort(v, dim=1)
    if n == m:  # equal sizes: the i-th smallest meets the i-th smallest
        return (us - vs).abs().double().pow(p).mean(dim=1)
    # breakpoints as integers in units of 1/(n m): i*m and j*n
    grid = torch.unique(torch.cat([torch.arange(1, n + 1, device=u.device) * m, torch.arange(1, m + 1, device=u.device) * n]))
    left = torch.cat([torch.zeros(1, dtype=grid.dtype, device=u.device), grid[:-1]])
    widths = (grid - left).double() / (n * m)
    # on (left, grid], F^-1(t) = us[ceil(t n) - 1]; with t = grid/(n m): ceil(grid / m) - 1
    iu = torch.div(grid + m - 1, m, rounding_mode="floor") - 1
    iv = torch.div(grid + n - 1, n, rounding_mode="floor") - 1
    diff = (us[:, iu] - vs[:, iv]).abs().double()
    return (diff.pow(p) * widths).sum(dim=1)


@torch.no_grad()
def sliced_wasserstein(
    x: Tensor,
    y: Tensor,
    n_projections: int = 256,
    p: float = 2.0,
    rng: torch.Generator | int | None = 0,
    directions: Tensor | None = None,
    block: int = 64,
) -> float:
    """SW_p(x, y) = (mean over directions of W_p^p of the projections)^(1/p).

    ``directions`` (k, dim) overrides the ``n_projections`` random ones (drawn with ``rng``).
    Projections are processed ``block`` directions at a time.
    """
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"x and y must be (n, dim) and (m, dim) with the same dim, got {tuple(x.shape)}, {tuple(y.shape)}")
    if p < 1:
        raise ValueError(f"p must be >= 1, got {p}")
    x = x.double()
    y = y.double().to(x.device)
    if directions is None:
        directions = random_directions(n_projections, x.shape[1], rng=rng, device=x.device)
    directions = directions.double().to(x.device)
    total = torch.zeros((), dtype=torch.float64, device=x.device)
    for s in range(0, directions.shape[0], block):
        theta = directions[s : s + block]
        total += wasserstein_1d(theta @ x.T, theta @ y.T, p=p).sum()
    return float((total / directions.shape[0]) ** (1.0 / p))
