"""DRS over numbered batches (drs_lib.api.distributed), the shard folder (drs_lib.api.shards) and the command line
(drs_lib.sample), in one process. The runs over several processes are in tests/test_distributed_torchrun.py."""

import json
from contextlib import nullcontext

import pytest
import torch
from torch import nn

from drs_lib import api, sample
from drs_lib.api import distributed, shards
from drs_lib.samplers import drs
from drs_lib.api import DRS
from drs_lib.nets.models import mlp

torch.set_num_threads(1)

N, BATCH, SHARD = 700, 200, 90  # shards end mid-batch, and some batches fill several shards


class ConditionalG(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(3, 4)
        self.net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))

    def forward(self, z, y):
        return self.net(z + self.embed(y))


class ConditionalD(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
        self.embed = nn.Embedding(3, 1)

    def forward(self, x, y):
        return 3 * self.net(x).squeeze(-1) + self.embed(y).squeeze(-1)


def mlp_sampler(**kwargs):
    G = mlp((2, 16, 2), torch.Generator().manual_seed(0))
    D = mlp((2, 16, 1), torch.Generator().manual_seed(1))
    with torch.no_grad():
        D[-1].weight.mul_(20)  # logits spread over a few units, so that D̃_M moves while sampling
    sampler = DRS(G, D, latent=(2,), device="cpu", batch_size=BATCH, gamma_percentile=50.0, **kwargs)
    sampler.calibrate(300, seed=0, numbered=True)
    return sampler


def conditional_sampler(**kwargs):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        G, D = ConditionalG(), ConditionalD()
    sampler = DRS(G, D, latent=(4,), n_classes=3, device="cpu", batch_size=BATCH, gamma_percentile=50.0, **kwargs)
    with pytest.warns(UserWarning, match="per-class") if kwargs.get("d_max_mode") == "per_class" else nullcontext():
        sampler.calibrate(300, seed=0, numbered=True)
    return sampler


@torch.no_grad()
def reference(sampler, n, seed, update_max):
    """The scheme written out serially: batch b from a generator seeded by batch_seed(seed, "sample", b),
    judged against D̃_M of BurnIn (or the running maximum over batches 0..b), first n accepted kept."""
    generate, score = sampler._proposer(None), sampler._scorer()
    d_max, kept, b = sampler.calibration.d_max, [], 0
    proposals = accepted = 0
    while sum(k.shape[0] for k in kept) < n:
        rng = torch.Generator().manual_seed(distributed.batch_seed(seed, "sample", b))
        x = generate(BATCH, rng)
        logits = score(x)
        if update_max:
            d_max = max(d_max, float(logits.max()))
        keep, _ = drs.judge(logits, d_max, rng, sampler.gamma_percentile, sampler.epsilon)
        kept.append(x[keep])
        proposals += BATCH
        accepted += int(keep.sum())
        b += 1
    return torch.cat(kept)[:n], proposals, accepted


@pytest.mark.parametrize("update_max", [True, False])
def test_folder_holds_the_scheme_written_out(tmp_path, update_max):
    sampler = mlp_sampler(update_max=update_max)
    result = shards.sample_to_folder(sampler, N, tmp_path / "out", seed=3, shard_size=SHARD)
    expected, proposals, accepted = reference(sampler, N, 3, update_max)
    got = shards.read_folder(tmp_path / "out")
    assert torch.equal(got.x, expected)  # same ops on the same inputs: exact
    assert torch.equal(got.logits, sampler.score(got.x))
    assert (result.complete, result.samples, result.proposals, result.accepted) == (True, N, proposals, accepted)
    assert result.shards == -(-N // SHARD)
    assert [s["samples"] for s in shards.read_manifest(tmp_path / "out")["shards"]] == [SHARD] * (N // SHARD) + [N % SHARD]
    if update_max:
        assert result.max_updates > 0 and result.d_max_final > result.d_max_initial  # the running maximum was used
    else:
        assert result.max_updates == 0 and result.d_max_final == result.d_max_initial


def test_update_max_changes_the_samples(tmp_path):
    fixed = shards.sample_to_folder(mlp_sampler(update_max=False), N, tmp_path / "fixed", seed=3, shard_size=SHARD)
    running = shards.sample_to_folder(mlp_sampler(update_max=True), N, tmp_path / "running", seed=3, shard_size=SHARD)
    assert running.max_updates > 0
    assert not torch.equal(shards.read_folder(fixed.out).x, shards.read_folder(running.out).x)


@pytest.mark.parametrize("make", [lambda: mlp_sampler(), lambda: conditional_sampler(),
                                  lambda: conditional_sampler(d_max_mode="per_class")], ids=["mlp", "conditional", "per_class"])
def test_resumed_runs_end_with_the_uninterrupted_output(tmp_path, make):
    sampler = make()
    whole = shards.sample_to_folder(sampler, N, tmp_path / "whole", seed=1, shard_size=SHARD)
    steps = []
    while True:
        part = shards.sample_to_folder(sampler, N, tmp_path / "parts", seed=1, shard_size=SHARD, max_shards=3)
        steps.append(part.shards)
        if part.complete:
            break
    assert steps[0] == 3 and len(steps) == -(-whole.shards // 3)  # it did stop and resume
    a, b = shards.read_folder(whole.out), shards.read_folder(tmp_path / "parts")
    assert torch.equal(a.x, b.x) and torch.equal(a.logits, b.logits)
    assert (a.y is None) == (b.y is None) and (a.y is None or torch.equal(a.y, b.y))
    assert shards.read_manifest(whole.out) == shards.read_manifest(tmp_path / "parts")
    for name in [s["file"] for s in shards.read_manifest(whole.out)["shards"]]:
        assert (whole.out / name).read_bytes() == (tmp_path / "parts" / name).read_bytes()


def test_interrupt_between_shard_and_manifest_rewrites_the_shard(tmp_path, monkeypatch):
    sampler = mlp_sampler()
    whole = shards.sample_to_folder(sampler, N, tmp_path / "whole", seed=2, shard_size=SHARD)
    real_write = shards.atomic_write_text
    calls = {"n": 0}

    def dying_write(path, text):
        calls["n"] += 1
        if calls["n"] == 4:  # the fresh manifest, shards 0 and 1 listed, then killed before listing shard 2
            raise KeyboardInterrupt
        return real_write(path, text)

    monkeypatch.setattr(shards, "atomic_write_text", dying_write)
    with pytest.raises(KeyboardInterrupt):
        shards.sample_to_folder(sampler, N, tmp_path / "cut", seed=2, shard_size=SHARD)
    monkeypatch.setattr(shards, "atomic_write_text", real_write)
    assert len(shards.read_manifest(tmp_path / "cut")["shards"]) == 2 and (tmp_path / "cut" / "shard_00002.pt").exists()
    assert not [p for p in (tmp_path / "cut").iterdir() if p.name.endswith(".tmp")]  # nothing half-written
    shards.sample_to_folder(sampler, N, tmp_path / "cut", seed=2, shard_size=SHARD)
    assert torch.equal(shards.read_folder(whole.out).x, shards.read_folder(tmp_path / "cut").x)


def test_a_folder_of_another_request_is_refused(tmp_path):
    sampler = mlp_sampler()
    shards.sample_to_folder(sampler, N, tmp_path, seed=0, shard_size=SHARD, max_shards=1)
    with pytest.raises(ValueError, match=r"other settings \(seed: 0 in the folder, 1 now\)"):
        shards.sample_to_folder(sampler, N, tmp_path, seed=1, shard_size=SHARD)
    with torch.no_grad():
        sampler.discriminator[-1].bias.add_(0.5)  # another model, the same BurnIn: another D̃_M
    sampler.calibrate(300, seed=0, numbered=True)
    with pytest.raises(ValueError, match=r"other settings \(d_max: "):
        shards.sample_to_folder(sampler, N, tmp_path, seed=0, shard_size=SHARD)


def test_bad_folders_are_refused(tmp_path):
    sampler = mlp_sampler()
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="not empty and holds no manifest.json"):
        shards.sample_to_folder(sampler, N, tmp_path / "busy")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="is a file"):
        shards.sample_to_folder(sampler, N, tmp_path / "file")
    shards.sample_to_folder(sampler, N, tmp_path / "gap", shard_size=SHARD, max_shards=2)
    (tmp_path / "gap" / "shard_00000.pt").unlink()
    with pytest.raises(ValueError, match="shard_00000.pt is listed in manifest.json but missing"):
        shards.sample_to_folder(sampler, N, tmp_path / "gap", shard_size=SHARD)
    with pytest.raises(ValueError, match="not finished"):
        shards.read_folder(tmp_path / "gap")


def test_max_proposals_stops_and_keeps_the_shards(tmp_path):
    sampler = mlp_sampler()
    with pytest.raises(RuntimeError, match="max_proposals=400"):
        shards.sample_to_folder(sampler, 10_000, tmp_path, shard_size=SHARD, max_proposals=400)
    assert 1 <= len(shards.read_manifest(tmp_path)["shards"]) < 10_000 // SHARD


def test_calibration_is_unchanged_without_a_process_group():
    sampler = mlp_sampler()
    default = sampler.calibrate(500, seed=4)
    generate, score = sampler._proposer(None), sampler._scorer()
    single_stream = drs.burn_in_logits(generate, score, 500, BATCH,  # the one random stream of before
                                       torch.Generator().manual_seed(api.results.derived_seed(4, "burn_in")))
    assert torch.equal(default.logits, single_stream.double().float())
    explicit = sampler.calibrate(500, seed=4, numbered=False)
    assert explicit.to_payload() == default.to_payload() and torch.equal(explicit.logits, default.logits)
    numbered = sampler.calibrate(500, seed=4, numbered=True)
    with torch.no_grad():
        logits = torch.cat([score(generate(n, torch.Generator().manual_seed(distributed.batch_seed(4, "burn_in:None", j))))
                            for j, n in enumerate([BATCH, BATCH, 100])])
    assert numbered.d_max == float(logits.max()) and torch.equal(numbered.logits, logits.float())
    assert numbered.d_max != default.d_max  # two different streams of proposals


def test_batch_seeds_are_distinct_and_do_not_collide_across_seeds():
    seeds = {distributed.batch_seed(s, "sample", b) for s in range(20) for b in range(200)}
    assert len(seeds) == 20 * 200
    assert distributed.batch_seed(0, "sample", 5) == distributed.batch_seed(0, "sample", 5)
    assert distributed.batch_seed(0, "sample", 5) != distributed.batch_seed(0, "burn_in:None", 5)


def test_rounds_deal_batches_in_turn():
    assert [list(distributed.round_batches(r, 7, 3)) for r in range(2)] == [[7, 8, 9], [10, 11, 12]]


# --- the command line, in this process -----------------------------------------------------------------------

FACTORY = '''
import torch
from drs_lib.nets.models import mlp

def load():
    return mlp((2, 16, 2), torch.Generator().manual_seed(0)), mlp((2, 16, 1), torch.Generator().manual_seed(1))

def one():
    return load()[0]

def three():
    return (*load(), "extra")
'''


@pytest.fixture
def factory(tmp_path):
    path = tmp_path / "factory.py"
    path.write_text(FACTORY)
    return path


def test_cli_writes_what_the_library_writes(tmp_path, factory, capsys):
    args = ["--model", f"{factory}:load", "--latent", "2", "--n", "500", "--batch-size", str(BATCH), "--shard-size", "128",
            "--n-burn-in", "300", "--gamma-percentile", "50", "--device", "cpu", "--seed", "5"]
    assert sample.main([*args, "--out", str(tmp_path / "cli")]) == 0
    err = capsys.readouterr().err
    assert "accepted" in err and "proposals/s" in err and "ETA" in err
    G, D = sample.build_models(f"{factory}:load")
    sampler = DRS(G, D, (2,), gamma_percentile=50.0, batch_size=BATCH, device="cpu")
    sampler.calibrate(300, seed=5, numbered=True)
    shards.sample_to_folder(sampler, 500, tmp_path / "lib", seed=5, shard_size=128)
    assert torch.equal(shards.read_folder(tmp_path / "cli").x, shards.read_folder(tmp_path / "lib").x)
    # the same command again finds the run complete and writes nothing new
    before = json.loads((tmp_path / "cli" / "manifest.json").read_text())
    assert sample.main([*args, "--out", str(tmp_path / "cli")]) == 0
    assert json.loads((tmp_path / "cli" / "manifest.json").read_text()) == before


@pytest.mark.parametrize("argv, message", [
    (["--n", "0"], "--n-samples: got 0; allowed: an integer >= 1"),
    (["--gamma-percentile", "150"], "--gamma-percentile: got 150; allowed: a number in [0, 100]"),
    (["--gamma-percentile", "-0.5"], "allowed: a number in [0, 100]"),
    (["--device", "tpu"], "--device: unknown device 'tpu'; allowed: \"auto\", \"cpu\", \"cuda\" or \"cuda:N\""),
    (["--device", "cuda:7"], "--device"),
    (["--latent", "0,3"], "--latent: got '0,3'"),
    (["--model", "no_colon"], "--model: got 'no_colon'; allowed: package.module:function"),
])
def test_bad_arguments_stop_before_any_work(tmp_path, factory, capsys, argv, message):
    base = {"--model": f"{factory}:load", "--latent": "2", "--n": "10", "--out": str(tmp_path / "out")}
    for flag, value in zip(argv[::2], argv[1::2]):
        base[flag] = value
    with pytest.raises(SystemExit) as stop:
        sample.main([part for pair in base.items() for part in pair])
    assert stop.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name, message", [
    ("one", "returned Sequential; allowed: a pair (G, D) of torch.nn.Module"),
    ("three", "returned tuple of 3: Sequential, Sequential, str; allowed: a pair (G, D)"),
    ("missing", "has no function 'missing'"),
])
def test_a_factory_that_does_not_return_two_modules_is_refused(tmp_path, factory, capsys, name, message):
    code = sample.main(["--model", f"{factory}:{name}", "--latent", "2", "--n", "10", "--out", str(tmp_path / "out")])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_an_unknown_module_is_refused(tmp_path, capsys):
    assert sample.main(["--model", "no_such_package.gan:load", "--latent", "2", "--n", "10", "--out", str(tmp_path)]) == 2
    assert "cannot import 'no_such_package.gan'" in capsys.readouterr().err
