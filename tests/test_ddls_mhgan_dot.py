"""DDLS (Langevin), MH-GAN (independence MH, calibration) and DOT on cases with known answers."""

from __future__ import annotations

import math

import pytest
import torch

from drs_lib.samplers.calibration import fit_calibrator as fit_calibrator_shared
from drs_lib.samplers.ddls import (
    calibrated_score,
    choose_step_size,
    ddls_sample,
    langevin_step,
    latent_energy,
    mala_acceptance_by_step_size,
    mala_log_acceptance,
)
from drs_lib.compare.harness import EvaluationCounter
from drs_lib.samplers.dot import dot_sample, dot_transport, estimate_k_eff
from drs_lib.samplers.mhgan import (
    calibration_z_statistic,
    fit_calibrator,
    mh_acceptance_probability,
    mhgan_sample,
)

torch.set_num_threads(1)


def identity(z):
    return z


def zero_logit(x):
    return torch.zeros(x.shape[0], dtype=x.dtype, device=x.device) + 0.0 * x.sum(dim=1)


# ---------------------------------------------------------------- DDLS
@pytest.mark.parametrize("eps", [0.05, 0.4])
def test_langevin_keeps_prior_up_to_known_step_size_bias(eps):
    """d = 0, G = identity: z <- (1 - eps/2) z + sqrt(eps) n, stationary N(0, 1/(1 - eps/4))."""
    n = 20_000
    res = ddls_sample(identity, zero_logit, n, latent_dim=2, step_size=eps, n_steps=int(8 / eps), rng=1, device="cpu")
    z = res.samples
    expected_var = 1.0 / (1.0 - eps / 4.0)
    se_var = expected_var * math.sqrt(2.0 / n)
    assert z.mean(dim=0).abs().max() < 5 * math.sqrt(expected_var / n)
    assert (z.var(dim=0) - expected_var).abs().max() < 5 * se_var
    if eps == 0.4:  # the bias (1.11 vs 1) is much larger than the noise: the test can see it
        assert (z.var(dim=0) - 1.0).abs().min() > 8 * se_var


def test_langevin_moves_towards_the_discriminator():
    """d(x) = a.x, G = identity: E(z) = |z|^2/2 - a.z, so p_t = N(a, I); ULA keeps mean a exactly."""
    a = torch.tensor([1.5, -0.5])
    eps = 0.1
    res = ddls_sample(identity, lambda x: x @ a, 20_000, latent_dim=2, step_size=eps, n_steps=120, rng=2, device="cpu")
    assert torch.allclose(res.samples.mean(dim=0), a, atol=0.05)
    assert torch.allclose(res.samples.var(dim=0), torch.full((2,), 1 / (1 - eps / 4)), atol=0.05)


def test_latent_energy_and_single_step():
    z = torch.tensor([[1.0, 2.0]])
    a = torch.tensor([0.5, 0.0])
    assert torch.allclose(latent_energy(z, identity, lambda x: x @ a), torch.tensor([2.5 - 0.5]))
    g = torch.Generator().manual_seed(0)
    step = langevin_step(z, identity, lambda x: x @ a, 0.2, g)
    noise = torch.randn(1, 2, generator=torch.Generator().manual_seed(0))
    expected = z - 0.1 * (z - a) + math.sqrt(0.2) * noise
    assert torch.allclose(step, expected, atol=1e-6)


def test_ddls_deterministic_and_validates():
    r1 = ddls_sample(identity, zero_logit, 50, 2, n_steps=3, rng=7, device="cpu").samples
    r2 = ddls_sample(identity, zero_logit, 50, 2, n_steps=3, rng=7, device="cpu").samples
    r3 = ddls_sample(identity, zero_logit, 50, 2, n_steps=3, rng=8, device="cpu").samples
    assert torch.equal(r1, r2) and not torch.equal(r1, r3)
    with pytest.raises(ValueError, match="step_size"):
        ddls_sample(identity, zero_logit, 5, 2, step_size=0.0, device="cpu")
    with pytest.raises(ValueError, match="n_samples"):
        ddls_sample(identity, zero_logit, 0, 2, device="cpu")


def test_evaluation_counter_counts_forward_and_backward():
    lin = torch.nn.Linear(2, 1)
    d = EvaluationCounter(lambda x: lin(x).reshape(-1), "D")
    g = EvaluationCounter(identity, "G")
    ddls_sample(g, d, 30, 2, n_steps=4, rng=0, device="cpu", batch_size=10)
    # per chain: 4 steps x (forward + backward) through D and G, plus one forward of G for the output
    assert (d.forward, d.backward) == (30 * 4, 30 * 4)
    assert (g.forward, g.backward) == (30 * 5, 30 * 4)
    d.reset()
    assert (d.forward, d.backward) == (0, 0)


def test_mala_has_no_step_size_bias():
    """Same case as above at eps = 0.4: ULA's variance is 1.11, MALA's stays at the exact 1."""
    a = torch.tensor([1.0, -0.5])
    n, eps = 20_000, 0.4
    res = ddls_sample(identity, lambda x: x @ a, n, 2, step_size=eps, n_steps=60, method="mala", rng=3, device="cpu")
    se_var = math.sqrt(2.0 / n)
    assert (res.samples.var(dim=0) - 1.0).abs().max() < 5 * se_var
    assert (res.samples.mean(dim=0) - a).abs().max() < 5 * math.sqrt(1.0 / n)
    assert 0.5 < res.acceptance_rate < 1.0  # it does reject some moves at this step size
    ula = ddls_sample(identity, lambda x: x @ a, n, 2, step_size=eps, n_steps=60, rng=3, device="cpu")
    assert (ula.samples.var(dim=0) - 1.0).abs().min() > 8 * se_var
    assert math.isnan(ula.acceptance_rate)


def test_mala_acceptance_ratio_is_exact_for_a_gaussian():
    """For E(z) = |z|^2 / 2 (d = 0) the MALA ratio has a closed form; check it on random moves."""
    g = torch.Generator().manual_seed(0)
    z, z_new = torch.randn(5, 2, generator=g), torch.randn(5, 2, generator=g)
    eps = 0.3
    e, e_new = 0.5 * z.pow(2).sum(1), 0.5 * z_new.pow(2).sum(1)
    got = mala_log_acceptance(z, z_new, e, e_new, z, z_new, eps)
    log_q = lambda b, a: -(b - (1 - eps / 2) * a).pow(2).sum(1) / (2 * eps)  # noqa: E731
    expected = e - e_new + log_q(z, z_new) - log_q(z_new, z)
    assert torch.allclose(got, expected, atol=1e-5)


def test_mala_rejects_everything_when_the_step_is_absurd():
    res = ddls_sample(identity, zero_logit, 500, 2, step_size=200.0, n_steps=10, method="mala", rng=0, device="cpu")
    assert res.acceptance_rate < 0.05
    assert res.non_finite == 0


def test_calibrated_energy_corrects_an_overconfident_logit():
    """1D: prior N(0, 1) = p_g, target N(1, 1), exact d(x) = x - 1/2. A logit 3 d makes DDLS sample
    N(3, 1); Platt scaling fitted on held-out real and fake logits brings it back to N(1, 1)."""
    g = torch.Generator().manual_seed(1)
    bad = lambda x: 3.0 * (x[:, 0] - 0.5)  # noqa: E731
    real, fake = 1.0 + torch.randn(20_000, 1, generator=g), torch.randn(20_000, 1, generator=g)
    cal = fit_calibrator_shared(bad(real), bad(fake), "logistic")
    assert cal.slope == pytest.approx(1 / 3, rel=0.05)
    kw = dict(step_size=0.2, n_steps=80, method="mala", rng=2, device="cpu")
    raw = ddls_sample(identity, bad, 10_000, 1, **kw).samples[:, 0]
    fixed = ddls_sample(identity, bad, 10_000, 1, calibrator=cal, **kw).samples[:, 0]
    assert abs(float(raw.mean()) - 3.0) < 0.06
    assert abs(float(fixed.mean()) - 1.0) < 0.06 and abs(float(fixed.var()) - 1.0) < 0.06
    iso = fit_calibrator_shared(bad(real), bad(fake), "isotonic")
    with pytest.raises(ValueError, match="differentiable"):
        ddls_sample(identity, bad, 10, 1, calibrator=iso, device="cpu")
    with pytest.raises(ValueError, match="differentiable"):
        calibrated_score(bad, iso)


@pytest.mark.parametrize("method", ["ula", "mala"])
def test_checkpoints_record_energy_and_samples(method):
    """d(x) = a.x, G = identity: E at the prior has mean |z|^2/2 = 1; at p_t = N(a, I), 1 - |a|^2 / 2."""
    a = torch.tensor([1.0, 1.0])
    n = 20_000
    res = ddls_sample(identity, lambda x: x @ a, n, 2, step_size=0.05, n_steps=200, method=method,
                      checkpoints=[200, 0, 100], rng=4, device="cpu", keep_initial=True, batch_size=7_000)
    assert res.checkpoints == [0, 100, 200]
    se = math.sqrt(3.0 / n)  # sd of |z|^2/2 - a.z is sqrt(1 + |a|^2) for z ~ N(., I)
    assert abs(res.checkpoint_energy[0] - 1.0) < 5 * se
    assert abs(res.checkpoint_energy[-1] - (1.0 - 1.0)) < 5 * se + (0.02 if method == "ula" else 0.0)
    assert torch.equal(res.checkpoint_samples[0], res.initial_samples)
    assert torch.equal(res.checkpoint_samples[-1], res.samples)
    assert all(s.shape == (n, 2) for s in res.checkpoint_samples)
    if method == "mala":
        assert math.isnan(res.checkpoint_acceptance[0]) and 0.8 < res.checkpoint_acceptance[-1] <= 1.0
    with pytest.raises(ValueError, match="checkpoints"):
        ddls_sample(identity, zero_logit, 5, 2, n_steps=3, checkpoints=[4], device="cpu")
    with pytest.raises(ValueError, match="method"):
        ddls_sample(identity, zero_logit, 5, 2, method="hmc", device="cpu")


def test_mala_costs_one_gradient_per_step():
    lin = torch.nn.Linear(2, 1)
    d = EvaluationCounter(lambda x: lin(x).reshape(-1), "D")
    g = EvaluationCounter(identity, "G")
    ddls_sample(g, d, 30, 2, n_steps=4, method="mala", rng=0, device="cpu", batch_size=10)
    # per chain: the initial state plus 4 proposals, each one forward and one backward through G and D
    assert (d.forward, d.backward) == (30 * 5, 30 * 5)
    assert (g.forward, g.backward) == (30 * 5, 30 * 5)


def test_step_size_rule():
    acc = {0.001: 0.95, 0.01: 0.75, 0.02: 0.6, 0.05: 0.4}
    assert choose_step_size(acc) == (0.02, "in the band")
    assert choose_step_size({0.01: 0.9, 0.02: 0.85}) == (0.02, "all above the band")
    assert choose_step_size({0.01: 0.3, 0.02: 0.1}) == (0.01, "all below the band")
    assert choose_step_size({0.01: 0.9, 0.02: 0.3}) == (0.01, "largest above the band's lower end")
    with pytest.raises(ValueError, match="band"):
        choose_step_size(acc, band=(0.8, 0.5))
    # the pilot: for E = |z - a|^2 / 2 MALA's acceptance falls with the step size
    pilot = mala_acceptance_by_step_size(identity, lambda x: x @ torch.tensor([1.0, 0.0]), 2, [0.1, 1.0, 3.0],
                                         n_chains=500, n_steps=10, rng=0, device="cpu")
    assert pilot[0.1] > pilot[1.0] > pilot[3.0]


# ---------------------------------------------------------------- MH-GAN
def test_mh_acceptance_rule():
    cur = torch.tensor([0.0, 1.0, -2.0])
    prop = torch.tensor([1.0, 0.0, -3.0])
    expected = torch.tensor([1.0, math.exp(-1.0), math.exp(-1.0)])
    assert torch.allclose(mh_acceptance_probability(cur, prop), expected)
    # the same rule written with D = sigma(d): (1/D(x_k) - 1) / (1/D(x') - 1)
    D = torch.sigmoid
    ratio = (1 / D(cur) - 1) / (1 / D(prop) - 1)
    assert torch.allclose(mh_acceptance_probability(cur, prop), ratio.clamp(max=1.0), atol=1e-6)


def _gauss_setup(shift=1.0):
    """Proposal N(0, 1), target N(shift, 1): exact log ratio d(x) = shift x - shift^2 / 2."""

    def generate(n, rng):
        return torch.randn(n, 1, generator=rng)

    def real(n, rng):
        return shift + torch.randn(n, 1, generator=rng)

    def score(x):
        return shift * x[:, 0] - shift**2 / 2

    return generate, real, score


@pytest.mark.parametrize("start", ["generated", "real"])
def test_mh_chain_reaches_the_target(start):
    generate, real, score = _gauss_setup(1.0)
    res = mhgan_sample(generate, score, 20_000, n_proposals=40, real=real if start == "real" else None, rng=3, device="cpu")
    x = res.samples[:, 0]
    assert abs(float(x.mean()) - 1.0) < 0.05
    assert abs(float(x.var()) - 1.0) < 0.06
    # the proposals alone have mean 0: the sampler really moved mass
    assert 0.2 < res.acceptance_rate < 0.9


def test_mh_never_delivers_the_real_start():
    def generate(n, rng):
        return torch.randn(n, 1, generator=rng)

    def real(n, rng):
        return torch.full((n, 1), 100.0)

    def score(x):  # the real start looks infinitely better: nothing is ever accepted from it
        return torch.where(x[:, 0] > 50, 100.0, 0.0)

    res = mhgan_sample(generate, score, 500, n_proposals=5, real=real, rng=0, device="cpu")
    assert res.restarts == 500
    assert float(res.samples.max()) < 50
    res0 = mhgan_sample(generate, score, 10, n_proposals=5, real=real, max_restarts=0, rng=0, device="cpu")
    assert res0.unresolved == 10 and float(res0.samples.max()) < 50


def test_logistic_calibration_recovers_the_true_ratio():
    g = torch.Generator().manual_seed(0)
    xr = 1.0 + torch.randn(20_000, generator=g)
    xf = torch.randn(20_000, generator=g)
    true_logit = lambda x: x - 0.5  # noqa: E731
    overconfident = lambda x: 3.0 * true_logit(x)  # noqa: E731
    cal = fit_calibrator(overconfident(xr), overconfident(xf), "logistic")
    grid = torch.linspace(-1.5, 2.5, 9)
    assert torch.allclose(cal(overconfident(grid)), true_logit(grid), atol=0.1)
    iso = fit_calibrator(overconfident(xr), overconfident(xf), "isotonic")
    out = iso(overconfident(grid))
    assert torch.all(out[1:] >= out[:-1])  # monotone
    assert torch.allclose(out, true_logit(grid), atol=0.35)
    # Dawid's Z: calibrated probabilities pass, biased ones (logit + 0.5) fail on held-out data
    xr2, xf2 = 1.0 + torch.randn(5000, generator=g), torch.randn(5000, generator=g)
    logits = torch.cat([xr2, xf2])
    labels = torch.cat([torch.ones(5000), torch.zeros(5000)])
    assert abs(calibration_z_statistic(torch.sigmoid(true_logit(logits)), labels)) < 3
    assert calibration_z_statistic(torch.sigmoid(true_logit(logits) + 0.5), labels) < -5
    with pytest.raises(ValueError, match="isotonic"):
        fit_calibrator(xr, xf, "platt")


def test_calibrated_mh_corrects_an_overconfident_discriminator():
    generate, real, score = _gauss_setup(1.0)
    bad = lambda x: 3.0 * score(x)  # noqa: E731
    g = torch.Generator().manual_seed(5)
    cal = fit_calibrator(bad(real(20_000, g)), bad(generate(20_000, g)), "logistic")
    raw = mhgan_sample(generate, bad, 10_000, n_proposals=40, rng=4, device="cpu").samples[:, 0]
    fixed = mhgan_sample(generate, bad, 10_000, n_proposals=40, calibrator=cal, rng=4, device="cpu").samples[:, 0]
    assert float(raw.mean()) > 1.5  # samples exp(3 d): N(3, 1)
    assert abs(float(fixed.mean()) - 1.0) < 0.07


# ---------------------------------------------------------------- DOT
def test_dot_with_zero_discriminator_leaves_samples_in_place():
    x = torch.randn(100, 2, generator=torch.Generator().manual_seed(0))
    y = dot_transport(zero_logit, x, k_eff=1.0, step_size=0.05, n_steps=50)
    assert torch.equal(y, x)


def test_k_eff_of_a_linear_discriminator_is_its_slope():
    x = torch.randn(2000, 1, generator=torch.Generator().manual_seed(0))
    assert estimate_k_eff(lambda v: -2.5 * v[:, 0], x, rng=0) == pytest.approx(2.5, rel=1e-5)
    x2 = torch.randn(4000, 2, generator=torch.Generator().manual_seed(1))
    a = torch.tensor([3.0, 4.0])
    k = estimate_k_eff(lambda v: v @ a, x2, n_pairs=20_000, rng=0)
    assert 4.8 < k <= 5.0 + 1e-5  # |a| = 5, approached by nearly aligned pairs


def test_dot_moves_towards_higher_logit_and_stops():
    """d(y) = -c |y|^2 / 2: the transport pulls samples towards 0, to the stationary point of
    |y - x| + c |y|^2 / (2K): (x - y)/|x - y| = c y / K, i.e. |y| = K/c on the ray to x when |x| > K/c."""
    c, k_eff = 4.0, 2.0
    x = torch.tensor([[3.0, 0.0], [0.0, -2.0]])
    y = dot_transport(lambda v: -c * v.pow(2).sum(1) / 2, x, k_eff=k_eff, step_size=0.01, n_steps=2000, delta=1e-4)
    assert torch.allclose(y.norm(dim=1), torch.full((2,), k_eff / c), atol=0.02)
    assert torch.allclose(y / y.norm(dim=1, keepdim=True), x / x.norm(dim=1, keepdim=True), atol=1e-4)
    res = dot_sample(lambda n, r: torch.randn(n, 2, generator=r), zero_logit, 10, n_steps=3, k_eff=1.0, device="cpu")
    assert torch.equal(res.samples, res.initial_samples)


def test_torch_calibrator_matches_sklearn_predict():
    g = torch.Generator().manual_seed(3)
    lr, lf = 1.0 + torch.randn(3000, generator=g), torch.randn(3000, generator=g)
    probe = torch.linspace(-6, 7, 501)
    iso = fit_calibrator(lr, lf, "isotonic", epsilon=1e-6)
    expected = torch.as_tensor(iso.model.predict(probe.double().numpy())).clamp(1e-6, 1 - 1e-6)
    assert torch.allclose(iso.probability(probe).double(), expected, atol=1e-6)
    log = fit_calibrator(lr, lf, "logistic")
    expected = torch.as_tensor(log.model.predict_proba(probe.double().numpy()[:, None])[:, 1])
    assert torch.allclose(log.probability(probe).double(), expected, atol=1e-6)
