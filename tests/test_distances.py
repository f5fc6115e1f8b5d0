"""Energy distance, exact Wasserstein (EMD) and sliced Wasserstein: exact values on sets with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
import torch

from drs_lib.metrics.distances import energy_distance, exact_wasserstein, random_directions, sliced_wasserstein, wasserstein_1d

torch.set_num_threads(1)


def _x(n=500, dim=2, seed=0):
    return torch.randn(n, dim, generator=torch.Generator().manual_seed(seed))


def test_identical_sets_are_at_distance_zero():
    x = _x()
    assert energy_distance(x, x) == pytest.approx(0.0, abs=1e-12)
    assert sliced_wasserstein(x, x.clone()) == pytest.approx(0.0, abs=1e-12)


def test_energy_distance_single_points_and_blocks():
    a = torch.tensor([[0.0, 0.0]])
    b = torch.tensor([[3.0, 4.0]])
    assert energy_distance(a, b) == pytest.approx(10.0)  # 2 |a - b|
    x, y = _x(300, seed=1), _x(200, seed=2) + 0.5
    assert energy_distance(x, y, block=7) == pytest.approx(energy_distance(x, y, block=4096), rel=1e-10)
    assert energy_distance(x, y) > 0.1


def test_energy_distance_matches_scipy_in_1d():
    rng = np.random.default_rng(0)
    u, v = rng.normal(size=301), rng.normal(0.3, 1.2, size=157)
    ours = energy_distance(torch.tensor(u)[:, None], torch.tensor(v)[:, None])
    # scipy returns sqrt(2 E|X-Y| - E|X-X'| - E|Y-Y'|) for the empirical measures
    assert ours == pytest.approx(scipy.stats.energy_distance(u, v) ** 2, rel=1e-9)


def test_energy_distance_of_shifted_gaussians_matches_closed_form():
    """N(0,1) vs N(mu,1) in 1D: E = 2 E|N(mu, 2)| - 2 E|N(0, 2)|."""
    mu, s = 1.0, math.sqrt(2.0)

    def mean_abs(m, sd):
        return sd * math.sqrt(2 / math.pi) * math.exp(-(m**2) / (2 * sd**2)) + m * (1 - 2 * scipy.stats.norm.cdf(-m / sd))

    exact = 2 * mean_abs(mu, s) - 2 * mean_abs(0.0, s)
    x, y = _x(4000, 1, seed=3), _x(4000, 1, seed=4) + mu
    assert energy_distance(x, y) == pytest.approx(exact, abs=0.03)


def test_wasserstein_1d_by_hand_and_against_scipy():
    u = torch.tensor([[0.0, 1.0]])
    v = torch.tensor([[0.0, 0.5, 1.0]])
    assert float(wasserstein_1d(u, v, p=1)) == pytest.approx(1 / 6)
    assert float(wasserstein_1d(u, v, p=2)) == pytest.approx(1 / 12)
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=123), rng.exponential(size=77)
    ours = float(wasserstein_1d(torch.tensor(a)[None], torch.tensor(b)[None], p=1))
    assert ours == pytest.approx(scipy.stats.wasserstein_distance(a, b), rel=1e-10)


def test_sliced_wasserstein_of_a_shift_is_known():
    """Shift by a: W_p = |theta.a| per direction. With k evenly spaced directions on the half
    circle, mean cos^2 = 1/2 exactly, so SW_2 = |a| / sqrt(2)."""
    x = _x(400, seed=5).double()
    a = torch.tensor([0.6, -0.8], dtype=torch.float64)
    k = 12
    angles = torch.arange(k, dtype=torch.float64) * math.pi / k
    directions = torch.stack([angles.cos(), angles.sin()], dim=1)
    assert sliced_wasserstein(x, x + a, directions=directions) == pytest.approx(1.0 / math.sqrt(2), rel=1e-9)
    # random directions: close to the same value, and SW_1 -> 2|a|/pi (a pure shift gives
    # W_p = |theta.a| per direction whatever the points, so a small set suffices)
    small = x[:50]
    assert sliced_wasserstein(small, small + a, n_projections=4000) == pytest.approx(1 / math.sqrt(2), rel=0.03)
    assert sliced_wasserstein(small, small + a, n_projections=4000, p=1) == pytest.approx(2 / math.pi, rel=0.03)


def test_random_directions_are_unit_and_inputs_checked():
    d = random_directions(100, 3, rng=0)
    assert torch.allclose(d.norm(dim=1), torch.ones(100, dtype=torch.float64))
    with pytest.raises(ValueError, match="same dim"):
        energy_distance(_x(10, 2), _x(10, 3))
    with pytest.raises(ValueError, match="p must be"):
        sliced_wasserstein(_x(10), _x(10), p=0.5)


def test_wasserstein_1d_equal_sizes_fast_path_agrees_with_merged_grid():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(3, 50)), rng.normal(size=(3, 50))
    fast = wasserstein_1d(torch.tensor(a), torch.tensor(b), p=1)
    merged = torch.tensor([scipy.stats.wasserstein_distance(a[i], b[i]) for i in range(3)], dtype=torch.float64)
    assert torch.allclose(fast, merged, rtol=1e-10)


# ---- exact Wasserstein / EMD (POT's ot.emd2 through drs_lib.metrics.distances.exact_wasserstein) ----


def test_exact_wasserstein_of_identical_sets_is_zero():
    x = _x(300, seed=6)
    assert exact_wasserstein(x, x.clone(), p=1) == pytest.approx(0.0, abs=1e-12)
    assert exact_wasserstein(x, x.clone(), p=2) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("p", [1, 2])
def test_exact_wasserstein_of_a_shift_is_the_shift_length(p):
    """x vs x + v: the identity coupling costs |v|^p and Jensen bounds every coupling below by
    |v|^p, so W_1 = |v| and W_2^2 = |v|^2 exactly (the set is shuffled to hide the pairing)."""
    x = _x(400, seed=7).double()
    v = torch.tensor([0.3, -0.4], dtype=torch.float64)  # |v| = 0.5
    shifted = (x + v)[torch.randperm(400, generator=torch.Generator().manual_seed(0))]
    w = exact_wasserstein(x, shifted, p=p)
    assert w == pytest.approx(0.5, rel=1e-10)
    if p == 2:
        assert w**2 == pytest.approx(0.25, rel=1e-10)


def test_exact_wasserstein_small_sets_by_hand():
    # one point against two: all mass of (0, 0) goes half to (-1, 0), half to (1, 0)
    a = torch.tensor([[0.0, 0.0]])
    b = torch.tensor([[-1.0, 0.0], [1.0, 0.0]])
    assert exact_wasserstein(a, b, p=1) == pytest.approx(1.0)
    assert exact_wasserstein(a, b, p=2) == pytest.approx(1.0)
    # two points against two, crossing pairs would cost more: W_1 = 1, not (1 + sqrt(5)) / 2
    c = torch.tensor([[0.0, 0.0], [2.0, 0.0]])
    d = torch.tensor([[0.0, 1.0], [2.0, 1.0]])
    assert exact_wasserstein(c, d, p=1) == pytest.approx(1.0)
    # numpy input is accepted as well
    assert exact_wasserstein(c.numpy(), d.numpy(), p=1) == pytest.approx(1.0)


def test_exact_wasserstein_matches_scipy_in_1d_with_unequal_sizes():
    rng = np.random.default_rng(3)
    u, v = rng.normal(size=157), rng.exponential(size=91)
    ours = exact_wasserstein(torch.tensor(u)[:, None], torch.tensor(v)[:, None], p=1)
    assert ours == pytest.approx(scipy.stats.wasserstein_distance(u, v), rel=1e-9)
    # in 1D, W_p^p is the integral of |F^-1 - G^-1|^p: the same as the quantile formula
    w2 = exact_wasserstein(torch.tensor(u)[:, None], torch.tensor(v)[:, None], p=2)
    assert w2**2 == pytest.approx(float(wasserstein_1d(torch.tensor(u)[None], torch.tensor(v)[None], p=2)[0]), rel=1e-9)


def test_exact_wasserstein_equals_the_optimal_assignment_for_equal_sizes():
    """With n = m and uniform weights an optimal plan is a permutation (Birkhoff), so the EMD is the
    min-cost assignment / n: an independent exact solver (scipy's Jonker-Volgenant) must agree."""
    from scipy.optimize import linear_sum_assignment

    g = torch.Generator().manual_seed(11)
    x = torch.randn(300, 2, generator=g, dtype=torch.float64)
    y = 0.5 * torch.randn(300, 2, generator=g, dtype=torch.float64) + torch.tensor([1.0, -0.5], dtype=torch.float64)
    cost = torch.cdist(x, y, compute_mode="donot_use_mm_for_euclid_dist").numpy()
    rows, cols = linear_sum_assignment(cost)
    assert exact_wasserstein(x, y, p=1) == pytest.approx(cost[rows, cols].mean(), rel=1e-12)
    rows, cols = linear_sum_assignment(cost ** 2)
    assert exact_wasserstein(x, y, p=2) == pytest.approx(float(np.sqrt((cost[rows, cols] ** 2).mean())), rel=1e-12)


def test_exact_wasserstein_refuses_bad_input_before_work():
    with pytest.raises(ValueError, match="same dim"):
        exact_wasserstein(_x(10, 2), _x(10, 3))
    with pytest.raises(ValueError, match="p must be"):
        exact_wasserstein(_x(10), _x(10), p=0.5)
    with pytest.raises(ValueError, match="exceeds max_pairs"):
        exact_wasserstein(_x(200), _x(300), max_pairs=50_000)
    with pytest.raises(ValueError, match="at least one point"):
        exact_wasserstein(_x(10)[:0], _x(10))


def test_sliced_wasserstein_random_directions_are_the_shared_ones_and_match_pot():
    x, y = _x(300, seed=8), _x(200, seed=9) + 0.2
    d = random_directions(64, 2, rng=3)
    assert sliced_wasserstein(x, y, n_projections=64, rng=3) == sliced_wasserstein(x, y, directions=d)
    assert sliced_wasserstein(x, y, n_projections=64, rng=4) != sliced_wasserstein(x, y, directions=d)
    with pytest.raises(TypeError, match="integer seed"):
        random_directions(4, 2, rng=torch.Generator())
