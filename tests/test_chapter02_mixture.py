"""Chapter 02's runs (drs_book.chapters.mixture) on tiny untrained seed-stacked networks: the schema refuses bad
input, DRS runs at every snapshot with and without KeepTraining, and the field's metrics line up per method."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from drs_book import params
from drs_book.chapters import mixture as ch
from drs_lib.nets.models import StackedMLP
from drs_lib.problems.data import make_sampler, mixture_geometry

SEEDS = [0, 1]
DATA = {"name": "mixture", "n_per_side": 5, "spacing": 2.0, "std": 0.05, "scale": 1.0}


def stacked(sizes):
    return StackedMLP(sizes, [torch.Generator().manual_seed(s) for s in SEEDS])


class FakeGan:
    """Snapshots of seed-stacked networks: each step has its own (untrained) generator and discriminator."""

    def __init__(self, steps):
        self.nets = {step: (stacked((2, 8, 2)), stacked((2, 8, 1))) for step in steps}

    def at(self, step):
        return self.nets[step]


def namespace(**changes):
    ns = dict(seed=0, n_seeds=2, n_samples=200, burn_in_samples=100, gamma_percentile=80.0, gan_preset="quick",
              metric_points=50, tradeoff_percentiles=[50.0, 80.0], device="cpu", quick=True, use_cache=False,
              results_dir="results", cache_dir=".cache/models")
    ns.update(changes)
    return ns


def test_schema_refuses_bad_input_before_work():
    assert params.check_parameters(namespace(), ch.PARAMETERS)["metric_points"] == 50
    with pytest.raises(params.ParameterError, match="metric_points"):
        params.check_parameters(namespace(metric_points=500), ch.PARAMETERS)  # more than the samples
    with pytest.raises(params.ParameterError, match="tradeoff_percentiles"):
        params.check_parameters(namespace(tradeoff_percentiles=[50.0]), ch.PARAMETERS)  # misses the paper's γ
    with pytest.raises(params.ParameterError, match="n_seeds"):
        params.check_parameters(namespace(n_seeds=1), ch.PARAMETERS)


def test_quick_note():
    assert "quick mode" in ch.quick_note(params.check_parameters(namespace(), ch.PARAMETERS))
    full = ch.quick_note(params.check_parameters(namespace(quick=False, n_samples=10_000), ch.PARAMETERS))
    assert full == "Every number on this page comes from 2 independently trained GANs and 10,000 samples per method and model."


def test_snapshot_runs_and_field_scores():
    gan = FakeGan([10, 20])
    means, std = mixture_geometry(DATA)
    kept = []

    def keep_trained(step):  # KeepTraining stand-in: another discriminator, with its bookkeeping
        kept.append(step)
        return SimpleNamespace(discriminator=stacked((2, 8, 1)), best_step=np.array([3, 4]),
                               initial_loss=np.array([0.7, 0.7]), best_loss=np.array([0.6, 0.5]))

    frame, kt_frame, panels, seconds = ch.snapshot_runs(
        gan, keep_trained, [10, 20], 20, SEEDS, n_samples=200, burn_in_samples=100, gamma_percentile=80.0,
        means=means, std=std, scale=2.0, device="cpu")
    assert kept == [10, 20] and seconds > 0
    assert len(frame) == 2 * 3 * len(SEEDS)  # steps × (without DRS, DRS (No FT), DRS) × models
    assert set(frame.method) == {"Without DRS", "DRS (No FT)", "DRS"}
    assert (frame[frame.method == "Without DRS"].acceptance_rate == 1.0).all()
    assert frame[frame.method != "Without DRS"].acceptance_rate.between(0, 1, inclusive="right").all()
    assert list(kt_frame.best_step) == [3, 4, 3, 4] and list(kt_frame.step) == [10, 10, 20, 20]
    assert set(panels) == {"Without DRS", "DRS (No FT)", "With DRS"}
    assert all(x.shape == (len(SEEDS), 200, 2) for x in panels.values())  # DRS delivers exactly n per model

    sample_real = make_sampler(DATA)
    references = ch.metric_references(sample_real, SEEDS, 50)
    assert torch.equal(references[0], ch.metric_references(sample_real, SEEDS, 50)[0])  # a named, fixed stream
    truth = torch.stack([sample_real(200, torch.Generator().manual_seed(s)) for s in SEEDS])
    field = ch.field_scores(references, truth, panels, SEEDS, budget=20, metric_points=50, scale=2.0)
    assert list(field.method.unique()) == ["Real data", "Without DRS", "DRS (No FT)", "DRS"]
    assert (field[field.method == "Real data"].step == 0).all() and (field[field.method == "DRS"].step == 20).all()
    unscaled = ch.field_scores(references, truth, panels, SEEDS, budget=20, metric_points=50, scale=1.0)
    assert np.allclose(field.emd, 2.0 * unscaled.emd)  # EMD is a length, reported × scale
    assert field[["precision", "recall", "density", "coverage"]].notna().all().all()
