"""Data samplers and the 25-Gaussian metrics on hand-made samples with known answers."""

import math

import pytest
import torch

from drs_lib.problems.data import (NORMALISED_SCALE, data_spec, grid_means, make_sampler, mixture_geometry, sample_mixture,
                          sample_swiss_roll, to_paper_units)
from drs_lib.metrics.mixture import ranking_auc, assign_modes, gaussian_within, metrics_rows, mixture_metrics, pct_beyond

torch.set_num_threads(1)
STD = 0.05


def test_grid_means_layout():
    means = grid_means()
    assert means.shape == (25, 2)
    assert torch.equal(means[0], torch.tensor([-4.0, -4.0]))
    assert torch.equal(means[-1], torch.tensor([4.0, 4.0]))
    assert sorted(set(means[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert torch.allclose(grid_means(5, 1.0), means / 2)
    assert torch.allclose(grid_means(4, 2.0).mean(0), torch.zeros(2))


def test_mixture_sampler_is_seeded_and_pure():
    a = sample_mixture(1000, torch.Generator().manual_seed(3))
    b = sample_mixture(1000, torch.Generator().manual_seed(3))
    c = sample_mixture(1000, torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == (1000, 2)


def test_normalised_grid_is_the_raw_grid_divided_and_its_metrics_are_the_same():
    raw = sample_mixture(20_000, torch.Generator().manual_seed(5))
    norm = sample_mixture(20_000, torch.Generator().manual_seed(5), scale=NORMALISED_SCALE)
    assert torch.allclose(norm * NORMALISED_SCALE, raw, atol=1e-5)  # same draws, divided
    spec = data_spec("mixture", scale=NORMALISED_SCALE)
    means, std = mixture_geometry(spec)
    assert std == pytest.approx(STD / NORMALISED_SCALE, rel=1e-15)
    assert torch.allclose(means * NORMALISED_SCALE, grid_means(), atol=1e-6)
    # a shrunken generator's samples (spread 3x the truth, so some fall outside 4 std)
    wide = raw + 2.0 * STD * torch.randn(20_000, 2, generator=torch.Generator().manual_seed(6))
    m_raw = mixture_metrics(wide, grid_means(), STD)
    m_norm = mixture_metrics(wide / NORMALISED_SCALE, means, std)
    assert 20 < m_raw["pct_high_quality"].item() < 99  # neither empty nor everything: a real test
    assert m_norm["modes_recovered"].item() == m_raw["modes_recovered"].item()
    # a point lying on a 4-std boundary may flip after division's rounding: allow one sample in 20,000
    assert m_norm["pct_high_quality"].item() == pytest.approx(m_raw["pct_high_quality"].item(), abs=100 / 20_000)
    back = to_paper_units(m_norm["radial_rms_high_quality"].item(), spec)
    assert back == pytest.approx(m_raw["radial_rms_high_quality"].item(), rel=1e-4)
    # the conversion itself is exact: a length times the divisor
    assert to_paper_units(0.5, spec) == 0.5 * NORMALISED_SCALE
    assert to_paper_units(0.5, data_spec("mixture")) == 0.5


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), True, "2.828"])
def test_bad_grid_scale_is_refused(bad):
    with pytest.raises(ValueError, match="scale must be a finite number > 0"):
        data_spec("mixture", scale=bad)


def test_mixture_sampler_matches_gaussian_answers():
    x = sample_mixture(200_000, torch.Generator().manual_seed(0))
    m = mixture_metrics(x, grid_means(), STD)
    for k in (1, 2, 3, 4):
        assert m[f"pct_within_{k}std"].item() == pytest.approx(100 * gaussian_within(k), abs=0.5)
    assert m["modes_recovered"].item() == 25
    assert m["std_high_quality"].item() == pytest.approx(STD, rel=0.01)
    # Uniform component weights.
    assert m["hq_per_mode"].min().item() > 0.9 * 200_000 / 25
    expected_tail = 100 * (math.exp(-2) - math.exp(-8)) / (1 - math.exp(-8))
    assert pct_beyond(x, grid_means(), STD).item() == pytest.approx(expected_tail, abs=0.5)


def test_swiss_roll_shape_scale_and_seed():
    x = sample_swiss_roll(5000, torch.Generator().manual_seed(0))
    assert x.shape == (5000, 2)
    assert x.abs().max() < 2.5 and 0.5 < x.std(0).mean() < 1.5
    assert torch.equal(x, sample_swiss_roll(5000, torch.Generator().manual_seed(0)))
    clean = sample_swiss_roll(100, torch.Generator().manual_seed(1), noise=0.0, scale=1.0)
    radius = clean.norm(dim=1)  # radius equals t in [1.5π, 4.5π]
    assert radius.min() >= 1.5 * math.pi - 1e-4 and radius.max() <= 4.5 * math.pi + 1e-4


def test_hand_made_metrics():
    means = grid_means()
    # 10 samples: 4 exactly at mode 0, 2 at 1.5 std, 1 at 2.5 std, 1 at 3.5 std (mode 24), 2 far away.
    pts = [[-4.0, -4.0]] * 4 + [[-4.0 + 1.5 * STD, -4.0]] * 2 + [[0.0, 2.5 * STD]] + [[4.0, 4.0 - 3.5 * STD]]
    pts += [[-3.0, -3.0], [1.0, 1.0]]  # exactly between modes: 20 std away, not HQ
    x = torch.tensor(pts)
    m = mixture_metrics(x, means, STD)
    assert m["modes_recovered"].item() == 3
    assert m["pct_high_quality"].item() == pytest.approx(80.0)
    assert m["pct_within_1std"].item() == pytest.approx(40.0)
    assert m["pct_within_2std"].item() == pytest.approx(60.0)
    assert m["pct_within_3std"].item() == pytest.approx(70.0)
    assert m["pct_within_4std"].item() == pytest.approx(80.0)
    offsets2 = (2 * 1.5**2 + 2.5**2 + 3.5**2) * STD**2
    assert m["std_high_quality"].item() == pytest.approx(math.sqrt(offsets2 / (2 * 8)), rel=1e-5)
    assert pct_beyond(x, means, STD).item() == pytest.approx(100 * 2 / 8)
    assert pct_beyond(x, means, STD, among_hq=False).item() == pytest.approx(100 * 4 / 10)
    index, distance = assign_modes(x, means)
    assert index[:4].tolist() == [0, 0, 0, 0] and index[7].item() == 24
    assert distance[:4].abs().max().item() == 0


def test_metrics_are_batched_over_seeds():
    g = torch.Generator().manual_seed(0)
    a, b = sample_mixture(3000, g), sample_mixture(3000, g)
    both = mixture_metrics(torch.stack([a, b]), grid_means(), STD)
    one = mixture_metrics(b, grid_means(), STD)
    for key in ("modes_recovered", "pct_high_quality", "std_high_quality", "pct_within_2std"):
        assert both[key].shape == (2,)
        assert both[key][1].item() == pytest.approx(one[key].item())
    rows = metrics_rows(torch.stack([a, b]), grid_means(), STD, seed=[0, 1], method="real")
    assert [r["seed"] for r in rows] == [0, 1] and rows[0]["method"] == "real"


def test_no_high_quality_sample_gives_nan_std_and_zero_modes():
    m = mixture_metrics(torch.tensor([[1.0, 1.0]]), grid_means(), STD)
    assert m["modes_recovered"].item() == 0 and math.isnan(m["std_high_quality"].item())


def test_bad_values_are_refused_clearly():
    with pytest.raises(ValueError, match="std"):
        sample_mixture(10, torch.Generator(), std=0.0)
    with pytest.raises(ValueError, match="n must be"):
        sample_mixture(-1, torch.Generator())
    with pytest.raises(ValueError, match="n_per_side"):
        grid_means(0)
    with pytest.raises(ValueError, match="mixture"):
        make_sampler({"name": "moons"})
    with pytest.raises(ValueError, match="unknown option"):
        make_sampler({"name": "mixture", "sigma": 1.0})
    with pytest.raises(ValueError, match="shape"):
        mixture_metrics(torch.zeros(10, 3), grid_means(), STD)
    with pytest.raises(ValueError, match="std"):
        mixture_metrics(torch.zeros(10, 2), grid_means(), -1.0)


def test_data_spec_normalises_numbers_for_cache_keys():
    assert data_spec("mixture", spacing=2) == data_spec("mixture", spacing=2.0)
    assert data_spec("mixture")["std"] == 0.05
    x = make_sampler(data_spec("swiss_roll"))(10, torch.Generator().manual_seed(0))
    assert x.shape == (10, 2)


def test_ranking_auc_known_answers():
    assert ranking_auc(torch.tensor([0.1, 0.2, 0.8, 0.9]), torch.tensor([False, False, True, True])) == 1.0
    assert ranking_auc(torch.tensor([0.9, 0.8, 0.2, 0.1]), torch.tensor([False, False, True, True])) == 0.0
    assert ranking_auc(torch.tensor([0.5, 0.5]), torch.tensor([True, False])) == 0.5  # a tie counts half
    # 3 positives, 2 negatives: 0.6 and 0.7 beat both negatives, 0.4 beats 0.3 only -> (2 + 2 + 1) / 6
    assert ranking_auc(torch.tensor([0.3, 0.6, 0.4, 0.5, 0.7]), torch.tensor([False, True, True, False, True])) == pytest.approx(5 / 6)
    assert math.isnan(ranking_auc(torch.tensor([1.0, 2.0]), torch.tensor([True, True])))
    # against the definition on random data
    g = torch.Generator().manual_seed(0)
    s, y = torch.randn(300, generator=g), torch.rand(300, generator=g) < 0.3
    pairs = (s[y][:, None] > s[~y][None, :]).double().mean().item()
    assert ranking_auc(s, y) == pytest.approx(pairs, abs=1e-12)
