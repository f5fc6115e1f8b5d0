"""The public API (drs_lib.api.DRS) on three model shapes, against the core sampler and known targets."""

import math

import numpy as np
import pytest
import torch
from scipy import stats
from torch import nn

from drs_lib.samplers import drs
from drs_lib.api import DRS, ModelMismatchError
from drs_lib.problems.ideal import GaussianTargetUniformProposal, ks_test
from drs_lib.nets.models import generator_callable, mlp, score_callable

torch.set_num_threads(1)


# --- three model shapes --------------------------------------------------------------------------------


def mlp_pair(seed=0):
    """The Section 4.1 shape: 2D latent -> 2D samples, D: 2D -> one logit of shape (n, 1)."""
    return mlp((2, 32, 32, 2), torch.Generator().manual_seed(seed)), mlp((2, 32, 32, 1), torch.Generator().manual_seed(seed + 1))


class ConvGenerator(nn.Module):
    """DCGAN-style: z of shape (B, 8, 1, 1) -> (B, 1, 8, 8), with BatchNorm (eval mode matters)."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.ConvTranspose2d(8, 6, 4), nn.BatchNorm2d(6), nn.ReLU(),
                                 nn.ConvTranspose2d(6, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        return self.net(z)


class ConvDiscriminator(nn.Module):
    """A hinge-style critic: ``features`` then a final linear layer named ``output``."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 6, 4, 2, 1), nn.LeakyReLU(0.2), nn.Flatten())
        self.output = nn.Linear(6 * 4 * 4, 1)

    def features(self, x):
        return self.body(x)

    def forward(self, x):
        return self.output(self.features(x)).squeeze(-1)


class ConditionalGenerator(nn.Module):
    def __init__(self, n_classes=3, latent=4):
        super().__init__()
        self.embed = nn.Embedding(n_classes, latent)
        self.net = nn.Sequential(nn.Linear(latent, 16), nn.ReLU(), nn.Linear(16, 2))

    def forward(self, z, y):
        return self.net(z + self.embed(y))


class ConditionalDiscriminator(nn.Module):
    """Projection discriminator: linear(φ(x)) + <embed(y), φ(x)>."""

    def __init__(self, n_classes=3):
        super().__init__()
        self.phi = nn.Sequential(nn.Linear(2, 16), nn.ReLU())
        self.output = nn.Linear(16, 1)
        self.embed = nn.Embedding(n_classes, 16)

    def features(self, x, y=None):
        return self.phi(x)

    def forward(self, x, y):
        f = self.phi(x)
        return self.output(f).squeeze(-1) + (self.embed(y) * f).sum(-1)


def seeded(cls, seed, *args):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return cls(*args)


def conv_pair(seed=0):
    return seeded(ConvGenerator, seed), seeded(ConvDiscriminator, seed + 1)


def conditional_pair(seed=0):
    return seeded(ConditionalGenerator, seed), seeded(ConditionalDiscriminator, seed + 1)


SHAPES = {
    "mlp": lambda: (*mlp_pair(), dict(latent=(2,))),
    "conv": lambda: (*conv_pair(), dict(latent=(8, 1, 1))),
    "conditional": lambda: (*conditional_pair(), dict(latent=(4,), n_classes=3)),
}


def make(shape, **kwargs):
    G, D, options = SHAPES[shape]()
    return DRS(G, D, device="cpu", batch_size=500, **options, **kwargs)


@pytest.mark.parametrize("shape", list(SHAPES))
def test_sample_returns_exactly_n_and_is_deterministic(shape):
    sampler = make(shape)
    sampler.calibrate(1000, seed=0)
    first, again, other = (sampler.sample(1234, seed=s) for s in (3, 3, 4))
    assert first.x.shape[0] == 1234 and first.logits.shape == (1234,)
    assert torch.equal(first.x, again.x) and torch.equal(first.logits, again.logits)
    assert not torch.equal(first.x, other.x)
    assert 0.0 < first.acceptance_rate < 1.0 and first.accepted >= 1234
    assert torch.allclose(first.logits, sampler.score(first.x, first.y), atol=1e-5)
    if shape == "conditional":
        assert first.y.shape == (1234,) and int(first.accepted_per_class.sum()) == first.accepted
        assert int(first.proposed_per_class.sum()) == first.proposals
    else:
        assert first.y is None and first.proposed_per_class is None
    assert not sampler.generator.training and not sampler.discriminator.training


def test_unconditional_sample_is_the_core_sampler():
    """sample(n, seed=s) is drs.drs_sample with the calibrated D̃_M and the same seed: one implementation."""
    G, D = mlp_pair()
    sampler = DRS(G, D, latent=(2,), device="cpu", batch_size=700, gamma_percentile=95.0)
    calibration = sampler.calibrate(2000, seed=1)
    ours = sampler.sample(2500, seed=9)
    core = drs.drs_sample(generator_callable(G), score_callable(D), 2500, d_max=calibration.d_max, gamma_percentile=95.0,
                          batch_size=700, seed=9, device="cpu")
    assert torch.equal(ours.x, core.samples) and ours.proposals == core.proposals
    assert ours.acceptance_rate == pytest.approx(core.acceptance_rate)
    assert calibration.d_max == pytest.approx(float(calibration.logits.max()))


@pytest.mark.parametrize("shape, labels", [("mlp", None), ("conv", None), ("conditional", None),
                                           ("conditional", "balanced"), ("conditional", "given")])
def test_stream_chunks_concatenate_to_sample(shape, labels):
    sampler = make(shape)
    sampler.calibrate(900, seed=0)
    n = 1100
    if labels == "given":
        labels = torch.randint(3, (n,), generator=torch.Generator().manual_seed(0))
    whole = sampler.sample(n, seed=5, labels=labels)
    for chunk_size in (1, 333, 5000):
        if chunk_size == 1 and shape != "mlp":
            continue
        stream = sampler.stream(n, chunk_size=chunk_size, seed=5, labels=labels)
        chunks = list(stream)
        assert [len(c.x) for c in chunks[:-1]] == [chunk_size] * (len(chunks) - 1)
        assert torch.equal(torch.cat([c.x for c in chunks]), whole.x)
        assert torch.equal(torch.cat([c.logits for c in chunks]), whole.logits)
        if whole.y is not None:
            assert torch.equal(torch.cat([c.y for c in chunks]), whole.y)
        assert stream.proposals == whole.proposals
    if isinstance(labels, torch.Tensor):
        assert torch.equal(whole.y, labels)
    if labels == "balanced":
        assert torch.bincount(whole.y).tolist() == [367, 367, 366]


# --- exact-ratio toys: the API's samples follow the target -----------------------------------------------


class ToUniform(nn.Module):
    """z ~ N(0, 1) -> U(-h, h): the proposal p_g of the idealized setting."""

    def __init__(self, half_width):
        super().__init__()
        self.half_width = half_width

    def forward(self, z):
        return (2 * torch.special.ndtr(z) - 1) * self.half_width


class ExactLogit(nn.Module):
    def __init__(self, problem):
        super().__init__()
        self.problem = problem

    def forward(self, x):
        return self.problem.optimal_logit(x)


def test_exact_ratio_toy_matches_the_target():
    """γ = 0 and the optimal logit (eq. 5): accepted samples ~ p_d (KS), as for the core sampler."""
    problem = GaussianTargetUniformProposal()
    sampler = DRS(ToUniform(problem.half_width), ExactLogit(problem), latent=(1,), gamma_percentile=None,
                  device="cpu", batch_size=5000)
    calibration = sampler.calibrate(10_000, seed=0)
    assert calibration.d_max == pytest.approx(problem.log_M, abs=1e-3)
    result = sampler.sample(20_000, seed=1)
    _, p_value = ks_test(result.x, problem.target_cdf)
    assert p_value > 1e-3
    _, p_proposals = ks_test(sampler.generate(20_000, seed=1).x, problem.target_cdf)
    assert p_proposals < 1e-6  # the check can fail: the proposals do not pass it
    # ideal acceptance rate 1/M (Sec. 3.1)
    assert result.acceptance_rate == pytest.approx(math.exp(-problem.log_M), abs=0.01)
    assert calibration.ideal_acceptance == pytest.approx(math.exp(-problem.log_M), abs=0.01)


class Identity2(nn.Module):
    def forward(self, z, y):
        return z


class TwoClassLogit(nn.Module):
    """p_g(x|y) = N(0, 1); p_d(x|0) = N(0, 1/2), p_d(x|1) = N(0, 1): M_0 = √2, M_1 = 1."""

    def forward(self, x, y):
        class0 = 0.5 * math.log(2.0) - 0.5 * x[:, 0] ** 2
        return torch.where(y == 0, class0, torch.zeros_like(class0))


def two_class_sampler(mode):
    return DRS(Identity2(), TwoClassLogit(), latent=(1,), n_classes=2, d_max_mode=mode, gamma_percentile=None,
               device="cpu", batch_size=4000)


def test_global_d_max_keeps_the_class_mix_and_per_class_reweights_it():
    """Drawn labels, γ = 0: one bound keeps p(y) (both classes accepted at 1/√2); per-class bounds give 1/M_y."""
    results = {}
    for mode in ("global", "per_class"):
        sampler = two_class_sampler(mode)
        calibration = sampler.calibrate(4000, seed=0)
        assert calibration.d_max == pytest.approx(0.5 * math.log(2.0), abs=1e-3)
        assert calibration.d_max_per_class[1] == 0.0
        results[mode] = sampler.sample(30_000, seed=2)
    glob, per = results["global"], results["per_class"]
    assert glob.acceptance_per_class.tolist() == pytest.approx([2**-0.5, 2**-0.5], abs=0.015)
    assert per.acceptance_per_class.tolist() == pytest.approx([2**-0.5, 1.0], abs=0.015)
    assert (glob.y == 0).double().mean().item() == pytest.approx(0.5, abs=0.012)
    assert (per.y == 0).double().mean().item() == pytest.approx(2**-0.5 / (1 + 2**-0.5), abs=0.012)
    for result in results.values():  # within a class, the target either way
        assert stats.kstest(result.x[result.y == 0, 0].numpy(), stats.norm(scale=0.5**0.5).cdf).pvalue > 1e-3
        assert stats.kstest(result.x[result.y == 1, 0].numpy(), stats.norm().cdf).pvalue > 1e-3


def test_fixed_labels_per_class_bound_raises_acceptance_of_lower_rated_classes():
    glob = two_class_sampler("global")
    glob.calibrate(4000, seed=0)
    per = two_class_sampler("per_class")
    per.calibrate(4000, seed=0)
    a, b = glob.sample(8000, seed=1, labels="balanced"), per.sample(8000, seed=1, labels="balanced")
    assert torch.bincount(a.y).tolist() == torch.bincount(b.y).tolist() == [4000, 4000]
    assert a.acceptance_per_class[1].item() == pytest.approx(2**-0.5, abs=0.02)
    assert b.acceptance_per_class[1].item() == 1.0
    assert b.acceptance_per_class[0].item() == pytest.approx(2**-0.5, abs=0.02)


# --- fine-tuning and save/load --------------------------------------------------------------------------


def real_digits_like(n=400, seed=0):
    rng = torch.Generator().manual_seed(seed)
    return torch.tanh(torch.randn(n, 1, 8, 8, generator=rng) + 0.5)


def test_bce_head_fine_tune_and_save_load_round_trip(tmp_path):
    sampler = make("conv")
    report = sampler.fine_tune(real_digits_like(), method="bce_head", n_fake=400, steps=50)
    assert report.method == "bce_head" and 0.5 <= report.details["train_accuracy"] <= 1.0
    with pytest.raises(RuntimeError, match="calibrate"):
        sampler.sample(10)
    sampler.calibrate(1000, seed=0)
    before = sampler.sample(700, seed=3)
    path = sampler.save(tmp_path / "drs.pt")
    G, D = conv_pair()  # fresh modules with the same weights
    loaded = DRS.load(path, G, D, device="cpu")
    after = loaded.sample(700, seed=3)
    assert torch.equal(before.x, after.x) and torch.equal(before.logits, after.logits)
    assert loaded.calibration.d_max == sampler.calibration.d_max
    assert loaded.gamma_percentile == sampler.gamma_percentile and loaded.fine_tuning.method == "bce_head"
    # the head changed the logits: they are not D's hinge outputs
    assert not torch.allclose(sampler.score(before.x), D(before.x))


def test_bce_head_through_a_named_layer_equals_the_features_method():
    a, b = make("conv"), make("conv")
    real = real_digits_like()
    a.fine_tune(real, method="bce_head", n_fake=300, steps=20)
    b.fine_tune(real, method="bce_head", n_fake=300, steps=20, features="output")
    x = real[:50]
    assert torch.allclose(a.score(x), b.score(x), atol=1e-5)


def test_keep_training_trains_a_copy_with_early_stopping(tmp_path):
    G, D = mlp_pair()
    original = [p.detach().clone() for p in D.parameters()]
    sampler = DRS(G, D, latent=(2,), device="cpu", batch_size=500)
    real = torch.randn(2000, 2, generator=torch.Generator().manual_seed(0)) * 0.5 + 1.0
    report = sampler.fine_tune(real, method="keep_training", steps=300, eval_every=50, patience=2, batch_size=128, lr=1e-3)
    assert report.details["best_loss"] <= report.details["initial_loss"]
    assert report.details["best_loss"] < report.details["initial_loss"] - 0.05  # D learned to tell them apart
    assert all(torch.equal(p, q) for p, q in zip(D.parameters(), original))  # the user's D is untouched
    assert sampler.discriminator is not D
    sampler.calibrate(1000, seed=0)
    before = sampler.sample(500, seed=1)
    loaded = DRS.load(sampler.save(tmp_path / "kt.pt"), G, D, device="cpu")
    assert torch.equal(loaded.sample(500, seed=1).x, before.x)


def test_conditional_fine_tune_both_methods_and_round_trip(tmp_path):
    rng = torch.Generator().manual_seed(0)
    y = torch.randint(3, (600,), generator=rng)
    x = torch.randn(600, 2, generator=rng) + y[:, None].float()
    for method, options in (("bce_head", dict(n_fake=300, steps=30)), ("keep_training", dict(steps=100, eval_every=50))):
        sampler = make("conditional")
        sampler.fine_tune((x, y), method=method, **options)
        sampler.calibrate(900, seed=0)
        before = sampler.sample(400, seed=2, labels="balanced")
        loaded = DRS.load(sampler.save(tmp_path / f"{method}.pt"), *conditional_pair(), device="cpu")
        assert torch.equal(loaded.sample(400, seed=2, labels="balanced").x, before.x)
    with pytest.raises(ValueError, match="labelled real data"):
        make("conditional").fine_tune(x, method="bce_head")


# --- errors: raised at once, saying what was expected -----------------------------------------------------


class ManyLogits(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Linear(2, 10)

    def forward(self, x):
        return self.net(x)


def test_discriminator_with_several_outputs_per_sample_is_refused():
    with pytest.raises(ModelMismatchError, match=r"returned torch.Size\(\[2, 10\]\) for 2 samples; DRS needs one logit"):
        DRS(mlp_pair()[0], ManyLogits(), latent=(2,), device="cpu")


def test_generator_output_the_discriminator_rejects_is_refused():
    G = mlp((2, 8, 3), torch.Generator().manual_seed(0))
    with pytest.raises(ModelMismatchError, match=r"discriminator cannot take the generator's output of shape \(2, 3\)"):
        DRS(G, mlp_pair()[1], latent=(2,), device="cpu")


@pytest.mark.parametrize("latent", [(8,), (4, 1, 1)])
def test_wrong_latent_shape_is_refused(latent):
    G, D = conv_pair()
    with pytest.raises(ModelMismatchError, match=r"generator cannot take latents of shape .*Expected: latent="):
        DRS(G, D, latent=latent, device="cpu")


def test_conditional_model_without_n_classes_gets_a_hint():
    G, D = conditional_pair()
    with pytest.raises(ModelMismatchError, match="pass n_classes"):
        DRS(G, D, latent=(4,), device="cpu")


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(latent=0), ValueError, "latent must be"),
    (dict(latent="128"), ValueError, "latent must be"),
    (dict(d_max_mode="per_class"), ValueError, "needs a class-conditional"),
    (dict(gamma_percentile=0.8 * 200), ValueError, "percentile"),
    (dict(batch_size=0), ValueError, "batch_size"),
    (dict(device="tpu"), ValueError, "allowed"),
])
def test_bad_settings_are_refused(kwargs, error, message):
    G, D = mlp_pair()
    options = {"latent": (2,), "device": "cpu", **kwargs}
    with pytest.raises(error, match=message):
        DRS(G, D, **options)


def test_bad_calls_are_refused_before_any_work():
    sampler = make("mlp")
    with pytest.raises(ValueError, match=r"real samples have shape \(3,\) each; the generator produces \(2,\)"):
        sampler.fine_tune(torch.zeros(10, 3), method="keep_training")
    with pytest.raises(ValueError, match="unknown option"):
        sampler.fine_tune(torch.zeros(10, 2), method="bce_head", epochs=3)
    with pytest.raises(ValueError, match="method must be"):
        sampler.fine_tune(torch.zeros(10, 2), method="wgan")
    sampler.calibrate(500)
    with pytest.raises(ValueError, match="only for class-conditional"):
        sampler.sample(10, labels="balanced")
    conditional = make("conditional")
    conditional.calibrate(300)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        conditional.sample(2, labels=torch.tensor([0, 3]))


def test_too_low_acceptance_stops_with_advice():
    sampler = make("mlp", gamma_percentile=99.9)
    sampler.calibrate(500)
    with pytest.raises(RuntimeError, match="acceptance rate is too low.*lower gamma_percentile"):
        sampler.sample(5000, max_proposals=2000)


def test_a_sigmoid_output_is_flagged():
    G, D = mlp_pair()
    with pytest.warns(UserWarning, match="last layer is Sigmoid"):
        sampler = DRS(G, nn.Sequential(D, nn.Sigmoid()), latent=(2,), device="cpu")
    assert sampler.calibrate(500).looks_like_probabilities


def test_per_class_bound_from_few_burn_in_proposals_warns():
    sampler = two_class_sampler("per_class")
    with pytest.warns(UserWarning, match="per-class D̃_M from only 100"):
        sampler.calibrate(200)


def test_device_none_leaves_the_models_where_they_are():
    G, D = conv_pair()
    sampler = DRS(G, D, latent=(8, 1, 1), device=None, batch_size=400)
    assert sampler.device == sampler.discriminator_device == torch.device("cpu")
    sampler.calibrate(400)
    assert sampler.sample(300, seed=0).x.device == torch.device("cpu")


def test_core_accepts_tuple_proposals():
    """drs_sample indexes and concatenates (x, y) proposals element-wise."""

    def generate(n, rng):
        return torch.randn(n, 1, generator=rng), torch.randint(2, (n,), generator=rng)

    result = drs.drs_sample(generate, lambda p: -0.5 * p[0][:, 0] ** 2 + p[1], 777, burn_in_samples=500,
                            batch_size=300, device="cpu")
    x, y = result.samples
    assert x.shape == (777, 1) and y.shape == (777,)
    assert torch.allclose(result.logits, -0.5 * x[:, 0] ** 2 + y)
