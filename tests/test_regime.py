"""The regime sweep's selection rule, the shared GAN presets and the new train_gan options."""

from __future__ import annotations

import pytest
import torch

from drs_lib import regime
from drs_lib.cached_training import gan_config
from drs_lib.data import data_spec, grid_means, make_sampler
from drs_lib.train import train_gan

SETTINGS = {"a": {"hidden": 8, "steps": 4, "eval_every": 2}, "b": {"hidden": 16, "steps": 4, "eval_every": 2}}


def summary(setting, step, modes, hq):
    return {"setting": setting, "step": step, "modes_recovered_mean": modes, "pct_high_quality_mean": hq}


def test_rule_prefers_most_modes_inside_the_hq_range():
    rows = [summary("a", 1, 25.0, 30.0),   # most modes, but HQ outside 60-80: not a candidate
            summary("a", 2, 22.0, 70.0),
            summary("b", 2, 24.4, 62.0)]
    chosen = regime.choose_regime(rows, SETTINGS)
    assert (chosen["setting"], chosen["step"]) == ("b", 2)
    assert chosen["in_regime"] and chosen["candidates"] == 2


def test_rule_breaks_mode_ties_by_hq_closest_to_target_then_cost():
    rows = [summary("a", 2, 24.0, 79.0), summary("b", 2, 24.1, 71.0)]
    assert regime.choose_regime(rows, SETTINGS)["setting"] == "b"  # within 0.2 modes: HQ decides
    rows = [summary("a", 2, 24.0, 70.0), summary("b", 2, 24.0, 70.0)]
    assert regime.choose_regime(rows, SETTINGS)["setting"] == "a"  # equal: the narrower net is cheaper
    rows = [summary("a", 2, 23.0, 70.0), summary("b", 2, 24.0, 60.0)]
    assert regime.choose_regime(rows, SETTINGS)["setting"] == "b"  # a full mode more beats HQ closeness


def test_rule_excludes_snapshots_that_cost_too_much():
    wide = {"cheap": {"hidden": 128, "batch_size": 256, "steps": 6000},
            "wide": {"hidden": 256, "batch_size": 256, "steps": 6000}}
    rows = [summary("cheap", 3000, 20.0, 65.0), summary("wide", 6000, 24.0, 65.0), summary("wide", 1000, 25.0, 65.0)]
    chosen = regime.choose_regime(rows, wide)
    # 6,000 steps at width 256 cost four times the cap's width-128 budget; 1,000 steps do not.
    assert (chosen["setting"], chosen["step"]) == ("wide", 1000)
    assert chosen["too_costly"] == 1 and chosen["candidates"] == 2
    assert regime.affordable(wide["cheap"], 6000) and not regime.affordable(wide["cheap"], 6001)
    with pytest.raises(ValueError, match="no affordable snapshot"):
        regime.choose_regime([summary("wide", 6000, 24.0, 65.0)], wide)


def test_rule_reports_when_the_best_is_outside_the_regime():
    chosen = regime.choose_regime([summary("a", 2, 20.0, 70.0)], SETTINGS)
    assert chosen["setting"] == "a" and not chosen["in_regime"]


def test_rule_refuses_when_nothing_qualifies_or_settings_are_unknown():
    with pytest.raises(ValueError, match="no affordable snapshot"):
        regime.choose_regime([summary("a", 2, 25.0, 10.0)], SETTINGS)
    with pytest.raises(ValueError, match="not given"):
        regime.choose_regime([summary("zzz", 2, 25.0, 70.0)], SETTINGS)


def test_in_regime_edges():
    assert regime.in_regime(24.0, 60.0) and regime.in_regime(24.0, 80.0)
    assert not regime.in_regime(23.9, 70.0) and not regime.in_regime(25.0, 80.1)


def test_summarise_means_and_stds_over_seeds():
    rows = [{"setting": "a", "step": 2, "seed": s, "modes_recovered": m, "pct_high_quality": h,
             "radial_rms_high_quality": 0.1} for s, m, h in [(0, 24, 60), (1, 25, 70), (2, 23, 80)]]
    (out,) = regime.summarise(rows)
    assert out["n_seeds"] == 3 and out["modes_recovered_mean"] == pytest.approx(24.0)
    assert out["pct_high_quality_std"] == pytest.approx(10.0)


def test_every_sweep_setting_and_preset_is_well_formed():
    for name, setting in regime.SWEEP_SETTINGS.items():
        steps = regime.sweep_steps(setting)
        assert steps[-1] == setting["steps"], name
        gan_config(data_spec("mixture"), [0, 1], **regime.sweep_options(setting))  # validates every option
    for name in regime.GAN_PRESETS:
        preset = regime.gan_preset(name)
        assert preset["budget_step"] in set(preset["gan"].get("checkpoints", [])) | {preset["gan"]["steps"]}
    with pytest.raises(ValueError, match="unknown GAN preset 'nope'; allowed"):
        regime.gan_preset("nope")


def test_paper_preset_trains_the_sweep_setting_up_to_its_snapshots():
    preset = regime.gan_preset("paper_regime")
    setting = regime.SWEEP_SETTINGS[preset["setting"]]
    for key in ("hidden", "lr_g", "lr_d", "batch_size"):
        assert preset["gan"][key] == setting[key]
    assert preset["budget_step"] in regime.sweep_steps(setting)  # a snapshot the sweep measured
    assert preset["gan"]["steps"] == max(preset["step_grid"] + [preset["budget_step"]])


def test_a_shorter_run_is_the_snapshot_of_a_longer_one():
    """What lets the chapters train only up to the budget and still use the sweep's models."""
    sampler = make_sampler(data_spec("mixture"))
    long = train_gan(sampler, [0, 1], steps=6, hidden=8, chunk_steps=2, checkpoints=[4])
    short = train_gan(sampler, [0, 1], steps=4, hidden=8, chunk_steps=2)
    for a, b in zip(long.at(4)[0].parameters(), short.generator.parameters()):
        assert torch.equal(a.detach().cpu(), b.detach().cpu())


def test_trajectory_rows_of_a_tiny_gan():
    gan = train_gan(make_sampler(data_spec("mixture")), [0, 1], steps=4, hidden=8, checkpoints=[2])
    rows = regime.trajectory_rows(gan, [2, 4], grid_means(), 0.05, 200, setting="t")
    assert [(r["step"], r["seed"]) for r in rows] == [(2, 0), (2, 1), (4, 0), (4, 1)]
    assert all(0 <= r["modes_recovered"] <= 25 and 0 <= r["pct_high_quality"] <= 100 for r in rows)
    again = regime.trajectory_rows(gan, [2, 4], grid_means(), 0.05, 200, setting="t")
    assert rows == again  # its own sample stream: deterministic


def test_d_steps_one_keeps_the_old_random_stream_and_more_steps_change_it():
    sampler = make_sampler(data_spec("mixture"))
    base = train_gan(sampler, [3], steps=3, hidden=8, chunk_steps=2)
    same = train_gan(sampler, [3], steps=3, hidden=8, chunk_steps=2, d_steps=1, lr_final_fraction=1.0)
    assert all(torch.equal(a, b) for a, b in zip(base.generator.parameters(), same.generator.parameters()))
    more = train_gan(sampler, [3], steps=3, hidden=8, chunk_steps=2, d_steps=3)
    assert not torch.equal(base.discriminator.weights[0], more.discriminator.weights[0])


def test_lr_decay_slows_late_updates():
    sampler = make_sampler(data_spec("mixture"))
    constant = train_gan(sampler, [0], steps=20, hidden=8, lr_g=1e-2, lr_d=1e-2)
    decayed = train_gan(sampler, [0], steps=20, hidden=8, lr_g=1e-2, lr_d=1e-2, lr_final_fraction=0.01)
    start = train_gan(sampler, [0], steps=1, hidden=8, lr_g=1e-12, lr_d=1e-12)
    moved = lambda g: float((g.generator.weights[0] - start.generator.weights[0]).abs().sum())  # noqa: E731
    assert moved(decayed) < moved(constant)


@pytest.mark.parametrize("bad", [0, 1.5, -0.1, True])
def test_bad_lr_final_fraction_is_refused(bad):
    with pytest.raises(ValueError, match="lr_final_fraction must be a number in"):
        train_gan(make_sampler(data_spec("mixture")), [0], steps=1, hidden=4, lr_final_fraction=bad)
