"""Tests of the paper's equations (eq. 5-8), BurnIn and the batched samplers."""

import math

import pytest
import torch

from drs_lib.checks import ArgumentError
from drs_lib.samplers import drs

EXTREME_LOGITS = torch.linspace(-1e4, 1e4, 2001, dtype=torch.float64)


def gaussian_proposals(n, rng):
    return torch.randn(n, 1, generator=rng, device=rng.device)


def half_variance_logit(x):
    """log p_d/p_g up to a constant for p_g = N(0, 1) and p_d = N(0, 1/2)."""
    return -0.5 * x[:, 0] ** 2


def test_density_ratio_is_exp_of_logit():
    logit = torch.tensor([-2.0, 0.0, 3.0])
    assert torch.allclose(drs.density_ratio(logit), torch.exp(logit.double()))


@pytest.mark.parametrize("d_max", [0.0, 3.5, -7.0, 1e4])
def test_sigmoid_of_F_is_ideal_acceptance(d_max):
    """Eq. 6: σ(F(x)) = exp(D̃(x) − D̃_M), over ten orders of magnitude of probability."""
    logit = d_max - torch.cat([torch.logspace(-8, 1.5, 200, dtype=torch.float64), torch.tensor([0.0])])
    left = torch.sigmoid(drs.F(logit, d_max))
    right = torch.exp(logit - d_max)
    assert torch.allclose(left, right, rtol=1e-9, atol=1e-15)
    assert torch.allclose(drs.ideal_acceptance_probability(logit, d_max), right)


def test_F_hat_is_F_minus_gamma_when_epsilon_is_zero():
    logit = torch.linspace(-30, -0.01, 50)
    assert torch.allclose(drs.F_hat(logit, 0.0, gamma=1.7, epsilon=0.0), drs.F(logit, 0.0) - 1.7)


@pytest.mark.parametrize("function", ["F", "F_hat", "acceptance_probability", "ideal_acceptance_probability"])
@pytest.mark.parametrize("d_max", [-1e4, 0.0, 1e4])
def test_no_nan_or_inf_at_the_extremes(function, d_max):
    values = getattr(drs, function)(EXTREME_LOGITS, d_max)
    assert torch.isfinite(values).all(), f"{function} not finite for d_max={d_max}"


def test_F_hat_is_increasing_in_the_logit():
    logit = torch.linspace(-50, 0, 5001, dtype=torch.float64)
    values = drs.F_hat(logit, 0.0, gamma=0.3)
    assert (values[1:] > values[:-1]).all()


def test_F_near_the_maximum_is_large_but_finite_and_correct():
    gap = torch.tensor([1e-3, 1e-6, 1e-9], dtype=torch.float64)
    values = drs.F(-gap, 0.0)
    assert torch.allclose(values, -gap - torch.log(-torch.expm1(-gap)), rtol=1e-12)
    assert torch.isfinite(drs.F(torch.tensor([0.0]), 0.0)).all()


def test_logits_above_the_maximum_are_accepted_with_probability_one():
    assert drs.ideal_acceptance_probability(torch.tensor([5.0]), 1.0).item() == 1.0
    assert drs.acceptance_probability(torch.tensor([5.0]), 1.0).item() > 0.999


def test_gamma_percentile_gives_the_acceptance_it_should():
    """With γ at the p-th percentile of F, (100 − p) % of the batch has σ(F̂) > 1/2."""
    rng = torch.Generator().manual_seed(0)
    F_values = drs.F(torch.randn(100_000, generator=rng, dtype=torch.float64) * 3 - 10, 0.0)
    for percentile in (50.0, 80.0, 95.0):
        gamma = drs.gamma_for_percentile(F_values, percentile)
        above_half = (torch.sigmoid(F_values - gamma) > 0.5).double().mean().item()
        assert above_half == pytest.approx(1 - percentile / 100, abs=1e-3)


def test_gamma_moves_overall_acceptance_monotonically():
    rng = torch.Generator().manual_seed(1)
    F_values = drs.F(torch.randn(10_000, generator=rng, dtype=torch.float64) - 5, 0.0)
    rates = [torch.sigmoid(F_values - drs.gamma_for_percentile(F_values, p)).mean().item() for p in (0, 25, 50, 75, 90)]
    assert all(a > b for a, b in zip(rates, rates[1:]))


@pytest.mark.parametrize("bad", [-1, 100.5, 250, "95", None, float("nan")])
def test_impossible_percentile_is_refused(bad):
    with pytest.raises(ArgumentError, match=r"parameter 'percentile'.*allowed: a finite number in \[0.0, 100.0\] \(a percentile"):
        drs.gamma_for_percentile(torch.zeros(10), bad)


def test_burn_in_is_the_largest_logit():
    rng = torch.Generator().manual_seed(3)
    d_max = drs.burn_in(gaussian_proposals, half_variance_logit, n_samples=1000, batch_size=300, rng=rng)
    rng = torch.Generator().manual_seed(3)
    x = torch.cat([gaussian_proposals(n, rng) for n in (300, 300, 300, 100)])
    assert d_max == pytest.approx(half_variance_logit(x).max().item())


def test_sampler_returns_exactly_n_and_is_deterministic():
    first = drs.drs_sample(gaussian_proposals, half_variance_logit, 2345, burn_in_samples=1000,
                           batch_size=1000, seed=7, device="cpu")
    second = drs.drs_sample(gaussian_proposals, half_variance_logit, 2345, burn_in_samples=1000,
                            batch_size=1000, seed=7, device="cpu")
    third = drs.drs_sample(gaussian_proposals, half_variance_logit, 2345, burn_in_samples=1000,
                           batch_size=1000, seed=8, device="cpu")
    assert first.samples.shape == (2345, 1)
    assert torch.equal(first.samples, second.samples)
    assert not torch.equal(first.samples, third.samples)
    assert first.proposals_used <= first.proposals
    assert 0 < first.acceptance_rate < 1
    assert first.gammas.numel() == first.proposals // 1000


def test_idealized_sampler_recovers_the_target_distribution():
    """γ = 0 and the exact log-ratio: p_g = N(0, 1), p_d = N(0, 1/2), acceptance exp(−x²/2)."""
    result = drs.drs_sample(gaussian_proposals, half_variance_logit, 40_000, gamma_percentile=None,
                            seed=0, device="cpu")
    assert result.samples.var().item() == pytest.approx(0.5, rel=0.03)
    # exact acceptance rate: E_{N(0,1)} exp(−x²/2) = 1/sqrt(2)
    assert result.acceptance_rate == pytest.approx(1 / math.sqrt(2), abs=0.01)


def test_running_maximum_update_is_reported():
    """A deliberately low D̃_M is raised by the first batch, and the rise is recorded."""
    result = drs.drs_sample(gaussian_proposals, half_variance_logit, 500, d_max=-3.0, batch_size=1000,
                            gamma_percentile=None, seed=0, device="cpu")
    assert result.d_max_initial == -3.0
    assert result.max_updates >= 1
    assert result.d_max_final == pytest.approx(-3.0 + result.max_increase)
    assert result.d_max_final > -1e-3


def test_no_update_keeps_the_initial_maximum():
    result = drs.drs_sample(gaussian_proposals, half_variance_logit, 500, d_max=-3.0, update_max=False,
                            batch_size=1000, seed=0, device="cpu")
    assert result.max_updates == 0 and result.d_max_final == -3.0


def test_too_low_acceptance_raises_instead_of_looping_forever():
    with pytest.raises(RuntimeError, match="acceptance rate is too low"):
        drs.drs_sample(gaussian_proposals, lambda x: torch.full((x.shape[0],), -1e4), 10, d_max=0.0,
                       gamma_percentile=None, batch_size=100, max_proposals=1000, device="cpu")


@pytest.mark.parametrize("kwargs, message", [
    ({"n_samples": 0}, "parameter 'n_samples': got 0 \\(int\\); allowed: an integer >= 1"),
    ({"batch_size": 2.5}, "parameter 'batch_size': got 2.5 \\(float\\); allowed: an integer >= 1"),
    ({"gamma_percentile": 0.95 * 200}, "parameter 'gamma_percentile'.*the 95th is 95, not 0.95"),
    ({"device": "tpu"}, "allowed"),
])
def test_wrong_sampler_parameters_raise_clear_errors(kwargs, message):
    arguments = {"n_samples": 10, "device": "cpu"} | kwargs
    n = arguments.pop("n_samples")
    with pytest.raises(ValueError, match=message):
        drs.drs_sample(gaussian_proposals, half_variance_logit, n, **arguments)


def test_threshold_sampler_matches_requested_acceptance_and_cuts_low_logits():
    result = drs.threshold_sample(gaussian_proposals, half_variance_logit, 5000, acceptance_rate=0.3,
                                  burn_in_samples=20_000, seed=2, device="cpu")
    assert result.samples.shape == (5000, 1)
    assert result.acceptance_rate == pytest.approx(0.3, abs=0.02)
    assert (result.logits >= result.threshold).all()
    with pytest.raises(ArgumentError, match=r"parameter 'acceptance_rate': got 30 \(int\); allowed: a finite number in \(0, 1\]"):
        drs.threshold_sample(gaussian_proposals, half_variance_logit, 10, acceptance_rate=30, device="cpu")


def test_latent_proposals_wraps_a_generator():
    generate = drs.latent_proposals(lambda z: 2 * z, latent_dim=3)
    x = generate(4, torch.Generator().manual_seed(0))
    assert x.shape == (4, 3)


@pytest.mark.parametrize("n", [1, 2, 7, 10_000])
@pytest.mark.parametrize("percentile", [0.0, 12.5, 80.0, 95.0, 100.0])
def test_gamma_percentile_equals_numpy_linear_quantile(n, percentile):
    values = torch.randn(n, generator=torch.Generator().manual_seed(n), dtype=torch.float64)
    expected = torch.quantile(values, percentile / 100)
    assert torch.allclose(drs.gamma_for_percentile(values, percentile), expected, rtol=1e-12, atol=1e-12)
