"""Image models: dataset registry, shapes and devices of the conv nets, a tiny cached training run."""

import pytest
import torch

from drs_lib.samplers import drs
from drs_book.cache import ModelCache
from drs_lib.nets.convnets import BCEHead, Classifier, Discriminator, DRSCritic, Generator, NearestUpsample2x, stage_plan
from drs_lib.training.train_images import TrainedClassifier
from drs_lib.problems.digits import ImageDataset, available_datasets, load_dataset, register_dataset, split_dataset
from drs_book.plotting_images import image_grid
from drs_lib.training.train_images import get_classifier, get_image_gan

torch.set_num_threads(1)


def test_unknown_dataset_names_the_registered_ones():
    with pytest.raises(ValueError, match=r"unknown dataset 'imagenet'.*sklearn_digits"):
        load_dataset("imagenet")


def test_sklearn_digits_loader():
    data = load_dataset("sklearn_digits")
    assert "sklearn_digits" in available_datasets()
    assert data.images.shape == (1797, 1, 8, 8) and data.images.dtype == torch.float32
    assert data.images.min() >= -1.0 and data.images.max() <= 1.0
    assert data.n_classes == 10 and set(data.labels.tolist()) == set(range(10))


def test_split_is_stratified_disjoint_and_reproducible():
    data = load_dataset("sklearn_digits")
    train, holdout = split_dataset(data, 0.3, seed=0)
    assert len(train) + len(holdout) == len(data)
    assert 0.28 < len(holdout) / len(data) < 0.32
    assert torch.bincount(holdout.labels, minlength=10).min() >= 50
    again, _ = split_dataset(data, 0.3, seed=0)
    assert torch.equal(train.images, again.images)
    with pytest.raises(ValueError, match="holdout_fraction"):
        split_dataset(data, 1.5)


def test_register_dataset_plugs_in_a_new_loader():
    @register_dataset("tiny_test_set")
    def _tiny():
        return ImageDataset("tiny_test_set", torch.zeros(4, 1, 8, 8), torch.tensor([0, 1, 0, 1]), 2)

    assert len(load_dataset("tiny_test_set")) == 4
    with pytest.raises(ValueError, match="already registered"):
        register_dataset("tiny_test_set")(lambda: None)


@pytest.mark.parametrize("shape", [(1, 8, 8), (3, 16, 16), (1, 28, 28)])
def test_conv_model_shapes(shape):
    G, D = Generator(shape, z_dim=8, width=8), Discriminator(shape, width=8)
    x = G(torch.randn(5, 8))
    assert x.shape == (5, *shape) and x.abs().max() <= 1.0
    assert D(x).shape == (5,)
    assert D.features(x).shape == (5, D.feature_dim)
    critic = DRSCritic(D, BCEHead(D.feature_dim))
    assert critic(x).shape == (5,)
    classifier = Classifier(shape, n_classes=7, width=8, feature_dim=16)
    assert classifier(x).shape == (5, 7) and classifier.features(x).shape == (5, 16)


def test_fast_upsampling_is_torchs_to_the_bit_with_and_without_autograd():
    # A copy is exact on every CPU, so equality (not closeness) is the right test here.
    x = torch.randn(3, 5, 4, 6, generator=torch.Generator().manual_seed(0))
    reference = torch.nn.Upsample(scale_factor=2, mode="nearest")
    fast = NearestUpsample2x()
    with torch.no_grad():
        assert torch.equal(fast(x), reference(x))
        assert fast(x).is_contiguous()
    a, b = x.clone().requires_grad_(), x.clone().requires_grad_()
    weights = torch.randn(3, 5, 8, 12, generator=torch.Generator().manual_seed(1))
    (fast(a) * weights).sum().backward()
    (reference(b) * weights).sum().backward()
    assert torch.equal(a.grad, b.grad)


def test_a_generator_samples_the_same_with_the_fast_upsampling():
    G = Generator((1, 8, 8), z_dim=8, width=8).eval()
    z = torch.randn(16, 8, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        fast = G(z)
        G.body = torch.nn.Sequential(*[torch.nn.Upsample(scale_factor=2, mode="nearest")
                                       if isinstance(m, NearestUpsample2x) else m for m in G.body])
        assert torch.equal(fast, G(z))


def test_features_and_probabilities_from_one_pass_match_the_two_passes():
    model = Classifier((1, 8, 8), n_classes=10, width=8, feature_dim=16).eval()
    trained = TrainedClassifier(model=model, holdout_accuracy=1.0, train_seconds=0.0)
    images = torch.randn(20, 1, 8, 8, generator=torch.Generator().manual_seed(3))
    features, probabilities = trained.features_and_probabilities(images, batch_size=7)
    assert torch.equal(features, trained.features(images, batch_size=7))
    assert torch.equal(probabilities, trained.probabilities(images, batch_size=7))


def test_stage_plan():
    assert stage_plan(8) == (2, 2)
    assert stage_plan(28) == (7, 2)
    assert stage_plan(32) == (4, 3)
    with pytest.raises(ValueError):
        stage_plan(3)


def test_image_grid_shape():
    grid = image_grid(torch.zeros(12, 1, 8, 8), n_columns=5, padding=1)
    assert grid.shape == (3 * 9 + 1, 5 * 9 + 1)


def test_tiny_training_run_is_cached_and_usable_by_drs(tmp_path):
    cache = ModelCache(tmp_path)
    gan = get_image_gan(cache, seed=0, gan_settings={"steps": 3, "width": 4, "batch_size": 8}, head_settings={"n_fake": 200, "steps": 5})
    assert (cache.misses, cache.hits) == (2, 0)
    again = get_image_gan(cache, seed=0, gan_settings={"steps": 3, "width": 4, "batch_size": 8}, head_settings={"n_fake": 200, "steps": 5})
    assert cache.hits == 2
    rng = torch.Generator().manual_seed(0)
    x = gan.generate(16, rng)
    assert x.shape == (16, 1, 8, 8) and x.device.type == "cpu"
    assert torch.allclose(gan.score(x), again.score(x))
    result = drs.drs_sample(gan.generate, gan.score, 20, burn_in_samples=100, gamma_percentile=80.0, batch_size=100, device="cpu")
    assert result.samples.shape == (20, 1, 8, 8)
    classifier = get_classifier(cache, settings={"steps": 2, "width": 4, "feature_dim": 8})
    assert classifier.probabilities(x).shape == (16, 10)
    assert classifier.features(x).shape == (16, 8)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_models_run_on_cuda():
    G, D = Generator().cuda(), Discriminator().cuda()
    assert D(G(torch.randn(4, 32, device="cuda"))).device.type == "cuda"
