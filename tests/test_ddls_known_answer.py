"""Known answer: with the exact log ratio d = log p_d - log p_g, DDLS at equilibrium and DRS (gamma = 0)
deliver samples of p_d (Che et al. 2020, Theorem 1; Azadi et al. 2019, Sec. 3.1).

The generator is affine (x = A z + b, p_g = N(b, A A^T)), the target a mixture of four unequal
Gaussians (drs_lib.problems.exact_toy.default_toy). "Indistinguishable from the target" is decided by
exact_toy.match_test against the real-vs-real null at the same sample size, and the same check
is shown to reject what is not the target (the generator, chains too short to cross between
modes, a logit twice too large), so passing it means something.
"""

from __future__ import annotations

import pytest
import torch

from drs_lib.samplers.ddls import ddls_sample
from drs_lib.samplers.drs import drs_sample
from drs_lib.metrics.distances import energy_distance
from drs_lib.problems.exact_toy import AffineGaussianGenerator, GaussianMixture, default_toy, energy_permutation_test, match_test

torch.set_num_threads(1)

TOY = default_toy()
N = 1000


def check(samples, rng=12):
    return match_test(samples, TOY, rng=rng, n_permutations=199, alpha=0.05)


def test_permutation_statistic_is_the_energy_distance():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(300, 2, generator=g), torch.randn(200, 2, generator=g) + 0.3
    observed, null = energy_permutation_test(x, y, 50, rng=1)
    assert observed == pytest.approx(energy_distance(x, y), rel=1e-9)
    assert null.shape == (50,) and float(null.max()) < observed  # a 0.3 shift at these sizes is far outside the null


def test_toy_densities_are_the_closed_forms():
    x = torch.randn(50, 2, generator=torch.Generator().manual_seed(0)) * 2
    gen = TOY.generator
    mvn = torch.distributions.MultivariateNormal(gen.b, covariance_matrix=gen.A @ gen.A.T)
    assert torch.allclose(gen.log_prob(x), mvn.log_prob(x), atol=1e-4)
    t = TOY.target
    comps = [torch.distributions.MultivariateNormal(m, covariance_matrix=s**2 * torch.eye(2)) for m, s in zip(t.means, t.stds)]
    mix = torch.logsumexp(torch.stack([torch.log(w) + c.log_prob(x) for w, c in zip(t.weights, comps)]), dim=0)
    assert torch.allclose(t.log_prob(x), mix, atol=1e-4)
    assert torch.allclose(TOY.score(x), t.log_prob(x) - gen.log_prob(x))
    with pytest.raises(ValueError, match="invertible"):
        AffineGaussianGenerator(torch.zeros(2, 2), torch.zeros(2))
    with pytest.raises(ValueError, match="sum to 1"):
        GaussianMixture(t.means, t.stds, torch.full((4,), 0.3))


def test_the_check_rejects_what_is_not_the_target():
    g = torch.Generator().manual_seed(1)
    assert check(TOY.sample_real(N, g)).matches  # a fresh real set passes
    assert not check(TOY.generate(N, g)).matches  # the uncorrected generator fails
    short = ddls_sample(TOY.generator, TOY.score, N, 2, step_size=0.02, n_steps=50, rng=2, device="cpu")
    result = check(short.samples)  # every mode is reached, but with the generator's weights
    assert result.modes_kept == 4 and not result.matches
    hot = ddls_sample(TOY.generator, lambda x: 2.0 * TOY.score(x), N, 2, step_size=0.1, n_steps=400, method="mala",
                      rng=3, device="cpu")
    assert not check(hot.samples).matches  # the right sampler on a wrong logit
    with pytest.raises(ValueError, match="cannot give"):
        match_test(TOY.sample_real(N, g), TOY, n_permutations=20)


def test_ddls_ula_reaches_the_target():
    res = ddls_sample(TOY.generator, TOY.score, N, 2, step_size=0.02, n_steps=1000, rng=4, device="cpu")
    result = check(res.samples)
    assert result.matches, result


def test_ddls_mala_reaches_the_target():
    res = ddls_sample(TOY.generator, TOY.score, N, 2, step_size=0.2, n_steps=400, method="mala", rng=5, device="cpu")
    assert 0.5 < res.acceptance_rate < 0.8
    result = check(res.samples)
    assert result.matches, result


def test_drs_with_the_exact_ratio_reaches_the_target():
    res = drs_sample(TOY.generate, TOY.score, N, gamma_percentile=None, burn_in_samples=10_000, seed=6, device="cpu")
    result = check(res.samples)
    assert result.matches, result


def test_the_powered_check_rejects_a_biased_drs_and_passes_the_exact_one():
    # gamma at the 95th percentile of F gives up exactness for acceptance (DRS eq. 8): its mode weights move by
    # about 0.02. At 1,000 samples the check cannot see it; at 10,000 against a target set ten times larger it must.
    power = dict(n_permutations=199, alpha=0.05, reference_factor=10, energy_points=1000)
    for seed in (1, 2):
        biased = drs_sample(TOY.generate, TOY.score, 10_000, gamma_percentile=95.0, burn_in_samples=10_000,
                            seed=seed, device="cpu")
        result = match_test(biased.samples, TOY, rng=20 + seed, **power)
        assert not result.matches and result.min_p < 0.05 / result.n_tests, result
    exact = drs_sample(TOY.generate, TOY.score, 10_000, gamma_percentile=None, burn_in_samples=10_000, seed=1,
                       device="cpu")
    assert match_test(exact.samples, TOY, rng=21, **power).matches
    with pytest.raises(ValueError, match="energy_points"):
        match_test(exact.samples[:100], TOY, energy_points=1000)
    with pytest.raises(ValueError, match="reference_factor"):
        match_test(exact.samples[:100], TOY, reference_factor=0)
