"""The comparison harness: every kind runs through run_method, costs are counted, bad specs are refused."""

from __future__ import annotations

import math

import pytest
import torch

from drs_lib.compare.harness import DEFAULT_METHODS, KINDS, check_spec, method_seed, run_method
from drs_lib.nets.models import discriminator_sizes, generator_sizes, mlp

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def nets():
    G = mlp(generator_sizes(hidden=8), torch.Generator().manual_seed(0)).requires_grad_(False)
    D = mlp(discriminator_sizes(hidden=8), torch.Generator().manual_seed(1)).requires_grad_(False)
    return G, D


def sample_real(n, rng):
    return torch.randn(n, 2, generator=rng, device=rng.device) + 1.0


SMALL = {
    "generator": {"kind": "generator"},
    "DRS": {"kind": "drs", "burn_in_samples": 200},
    "MH-GAN (calibrated)": {"kind": "mhgan", "n_proposals": 5, "calibration": "isotonic", "calibration_samples": 100},
    "DOT": {"kind": "dot", "n_steps": 3, "k_eff_samples": 100},
    "DDLS (MALA, calibrated)": {"kind": "ddls", "n_steps": 3, "method": "mala", "calibration": "logistic",
                                "calibration_samples": 100, "checkpoints": [0, 3]},
}


@pytest.mark.parametrize("name", list(SMALL))
def test_every_kind_runs_and_is_reproducible(nets, name):
    G, D = nets
    a = run_method(name, SMALL[name], G, D, sample_real, 50, seed=3, device="cpu", batch_size=20)
    b = run_method(name, SMALL[name], G, D, sample_real, 50, seed=3, device="cpu", batch_size=20)
    assert a.samples.shape == (50, 2) and torch.equal(a.samples, b.samples)
    row = a.cost_row()
    assert row["method"] == name and row["n_samples"] == 50 and row["seconds"] >= 0


def test_ddls_costs_include_the_calibration_set(nets):
    G, D = nets
    run = run_method("DDLS (MALA, calibrated)", SMALL["DDLS (MALA, calibrated)"], G, D, sample_real, 50, device="cpu")
    # calibration: 100 real + 100 generated through D, 100 generated through G; MALA: 4 passes per chain
    assert (run.d_forward, run.d_backward) == (200 + 50 * 4, 50 * 4)
    assert (run.g_forward, run.g_backward) == (100 + 50 * 4, 50 * 4)
    assert math.isfinite(run.info["calibration_slope"]) and 0.0 <= run.info["acceptance_rate"] <= 1.0
    assert run.result.checkpoints == [0, 3] and len(run.result.checkpoint_energy) == 2
    ula = run_method("DDLS", {"kind": "ddls", "n_steps": 2}, G, D, sample_real, 10, device="cpu")
    assert math.isnan(ula.info["acceptance_rate"])


def test_method_seed_is_stable_and_distinct():
    assert method_seed(0, "DDLS") == method_seed(0, "DDLS")
    assert len({method_seed(s, m) for s in range(3) for m in DEFAULT_METHODS}) == 3 * len(DEFAULT_METHODS)


@pytest.mark.parametrize("spec, match", [
    ({"kind": "langevin"}, "kind must be one of"),
    ({"kind": "ddls", "steps": 10}, "unknown option"),
    ({"kind": "ddls", "calibration": "isotonic"}, "differentiable"),
    ({"kind": "ddls", "method": "hmc"}, "Langevin method"),
    ({"kind": "mhgan", "calibration": "platt"}, "calibration must be"),
])
def test_bad_specs_are_refused_before_any_work(spec, match):
    with pytest.raises(ValueError, match=match):
        check_spec("x", spec)


def test_default_methods_are_valid():
    for name, spec in DEFAULT_METHODS.items():
        check_spec(name, spec)
    assert {spec["kind"] for spec in DEFAULT_METHODS.values()} == set(KINDS)


def test_ddls_records_the_flatness_criterion_and_runs_until_flat(nets):
    G, D = nets
    spec = {"kind": "ddls", "n_steps": 4, "method": "mala", "flat_tolerance": 1e-6, "max_steps": 16}
    run = run_method("DDLS (MALA)", spec, G, D, sample_real, 30, device="cpu")
    assert run.info["n_steps"] == 16 and run.info["energy_flat"] is False  # an unreachable tolerance: capped
    assert run.info["energy_drift_bound"] >= abs(run.info["energy_drift"])
    assert run.g_backward == 30 * (16 + 3)  # rounds of 4, 4 and 8 steps, each with one pass for its start, all counted
    ula = run_method("DDLS (ULA)", {"kind": "ddls", "n_steps": 4, "flat_tolerance": 0.5}, G, D, sample_real, 30,
                     device="cpu")
    assert ula.info["n_steps"] == 4 and isinstance(ula.info["energy_flat"], bool)
    with pytest.raises(ValueError, match="needs flat_tolerance"):
        check_spec("x", {"kind": "ddls", "max_steps": 10})
