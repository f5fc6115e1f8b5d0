"""The regime sweep's selection rule, the shared GAN presets and the new train_gan options."""

from __future__ import annotations

import pytest
import torch

from drs_book import regime
from drs_book.cached_training import gan_config
from drs_lib.problems.data import NORMALISED_SCALE, data_spec, grid_means, make_sampler
from drs_lib.training.train import train_gan

SETTINGS = {"a": {"hidden": 8, "steps": 4, "eval_every": 2}, "b": {"hidden": 16, "steps": 4, "eval_every": 2}}


def summary(setting, step, modes, hq, hq_std=5.0, numerics="native"):
    return {"setting": setting, "step": step, "numerics": numerics, "modes_recovered_mean": modes,
            "pct_high_quality_mean": hq, "pct_high_quality_std": hq_std}


def trajectory(setting, points, **kw):
    """Summary rows of one setting from (step, modes, hq) triples."""
    return [summary(setting, step, modes, hq, **kw) for step, modes, hq in points]


def test_rule_prefers_the_regime_then_settled_then_hq_closest_to_70():
    rows = (trajectory("a", [(1000, 25.0, 30.0), (2000, 22.0, 70.0), (3000, 22.0, 71.0)])  # 22 modes: outside
            + trajectory("b", [(1000, 24.4, 62.0), (2000, 24.6, 75.0), (3000, 24.6, 77.0)]))
    chosen = regime.choose_regime(rows, SETTINGS)
    # b at 1,000 is closer to 70 but moves 13 points to its next snapshot; b at 2,000 moves 2: settled wins
    assert (chosen["setting"], chosen["step"]) == ("b", 2000)
    assert chosen["in_regime"] and chosen["settled"] and chosen["switched"] is None
    assert chosen["hq_move_per_1000"] == pytest.approx(2.0)
    assert chosen["candidates"] == 5


def test_settled_is_measured_per_1000_iterations_and_needs_agreeing_models():
    rows = trajectory("a", [(1000, 24.0, 70.0), (1500, 24.2, 74.0), (2000, 24.2, 80.5)])
    flags = regime.settled_flags(rows)
    assert flags[("a", 1000)]["hq_move_per_1000"] == pytest.approx(8.0) and flags[("a", 1000)]["settled"]
    assert flags[("a", 1500)]["hq_move_per_1000"] == pytest.approx(13.0) and not flags[("a", 1500)]["settled"]
    assert not flags[("a", 2000)]["settled"]  # the last snapshot has nothing to compare with
    spread = regime.settled_flags(trajectory("a", [(1000, 24.0, 70.0), (2000, 24.0, 71.0)], hq_std=12.0))
    assert not spread[("a", 1000)]["settled"]  # models disagree by more than 10 points
    jumpy = regime.settled_flags(trajectory("a", [(1000, 24.0, 70.0), (2000, 24.6, 71.0)]))
    assert not jumpy[("a", 1000)]["settled"]  # 0.6 modes move


def test_rule_requires_the_regime_under_switched_numerics_where_it_was_checked():
    rows = (trajectory("a", [(2000, 24.8, 70.0), (4000, 24.8, 71.0)])
            + trajectory("b", [(2000, 24.8, 66.0), (4000, 24.8, 67.0)]))
    assert regime.choose_regime(rows, SETTINGS)["setting"] == "a"  # closest to 70, nothing re-trained yet
    fails = rows + [summary("a", 2000, 22.2, 80.7, numerics="switched")]
    chosen = regime.choose_regime(fails, SETTINGS)
    assert chosen["setting"] == "b" and chosen["switched"] is None  # unchecked ranks before failed
    holds = fails + [summary("b", 2000, 24.8, 62.8, numerics="switched")]
    chosen = regime.choose_regime(holds, SETTINGS)
    assert (chosen["setting"], chosen["switched"]) == ("b", True)
    assert chosen["numerics"] == "native"  # the chosen row itself is the native one


def test_rule_excludes_snapshots_that_cost_too_much():
    wide = {"cheap": {"hidden": 128, "batch_size": 256, "steps": 6000},
            "wide": {"hidden": 256, "batch_size": 256, "steps": 12000}}
    rows = (trajectory("cheap", [(3000, 20.0, 65.0), (3500, 20.0, 66.0)])
            + trajectory("wide", [(7000, 24.0, 65.0), (9000, 25.0, 70.0), (9500, 25.0, 70.0)]))
    chosen = regime.choose_regime(rows, wide)
    # 9,000 steps at width 256 cost more than the cap (8,000); 7,000 do not
    assert (chosen["setting"], chosen["step"]) == ("wide", 7000)
    assert chosen["too_costly"] == 2 and chosen["candidates"] == 3
    assert regime.affordable(wide["wide"], 8000) and not regime.affordable(wide["wide"], 8001)
    with pytest.raises(ValueError, match="no affordable snapshot"):
        regime.choose_regime(trajectory("wide", [(9000, 24.0, 65.0)]), wide)


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
    rows = regime.trajectory_rows(gan, [2, 4], data_spec("mixture"), 200, setting="t")
    assert [(r["step"], r["seed"]) for r in rows] == [(2, 0), (2, 1), (4, 0), (4, 1)]
    assert all(0 <= r["modes_recovered"] <= 25 and 0 <= r["pct_high_quality"] <= 100 for r in rows)
    again = regime.trajectory_rows(gan, [2, 4], data_spec("mixture"), 200, setting="t")
    assert rows == again  # its own sample stream: deterministic


def test_trajectory_rows_report_the_radial_std_in_the_papers_units():
    # The same generator read as a model of the raw grid and of the grid divided by 2.828 scaled
    # by hand: modes and % HQ agree and the radial std comes back in the raw grid's units.
    raw, normalised = data_spec("mixture"), data_spec("mixture", scale=NORMALISED_SCALE)
    gan = train_gan(make_sampler(raw), [0, 1], steps=300, hidden=32, lr_g=1e-3, lr_d=1e-3)
    rows_raw = regime.trajectory_rows(gan, [300], raw, 2000)
    for layer in (gan.generator.weights[-1], gan.generator.biases[-1]):
        with torch.no_grad():
            layer /= NORMALISED_SCALE  # G's output divided by the scale: samples of the normalised grid
    rows_norm = regime.trajectory_rows(gan, [300], normalised, 2000)
    assert any(r["pct_high_quality"] > 0 for r in rows_raw)  # something to compare
    for a, b in zip(rows_raw, rows_norm):
        assert a["modes_recovered"] == b["modes_recovered"]
        # a sample exactly on a 4-std boundary could flip after the division's rounding: at most one in 2,000
        assert abs(a["pct_high_quality"] - b["pct_high_quality"]) <= 100 / 2000
        assert b["radial_rms_high_quality"] == pytest.approx(a["radial_rms_high_quality"], rel=1e-4)


def test_sweep_settings_name_their_grid():
    for name, setting in regime.SWEEP_SETTINGS.items():
        assert name.startswith("norm ") == (regime.sweep_data(setting)["scale"] == NORMALISED_SCALE)
        assert "scale" not in regime.sweep_options(setting)


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
    moved = lambda g: float((g.generator.weights[0] - start.generator.weights[0]).detach().abs().sum())  # noqa: E731
    assert moved(decayed) < moved(constant)


@pytest.mark.parametrize("bad", [0, 1.5, -0.1, True])
def test_bad_lr_final_fraction_is_refused(bad):
    with pytest.raises(ValueError, match="lr_final_fraction must be a number in"):
        train_gan(make_sampler(data_spec("mixture")), [0], steps=1, hidden=4, lr_final_fraction=bad)


def test_presets_train_on_their_grid_and_keep_training_follows_the_gan():
    for name in regime.GAN_PRESETS:
        preset = regime.gan_preset(name)
        kt = preset["keep_training"]
        assert kt["lr"] == preset["gan"]["lr_d"] and kt["batch_size"] == preset["gan"]["batch_size"]
        config = regime.preset_gan_config(name, [0, 1])
        assert config["data"] == preset["data"]
        regime.preset_keep_training_config(name, config, preset["budget_step"])  # validates every option
    paper = regime.gan_preset("paper_regime")
    assert paper["data"] == regime.sweep_data(regime.SWEEP_SETTINGS[paper["setting"]])
    assert "divided by 2.828" in regime.describe_grid(paper["data"]) and "raw" in regime.describe_grid(data_spec("mixture"))
