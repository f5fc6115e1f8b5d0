"""DRS over two processes: ``torchrun --nproc_per_node=2`` (gloo, CPU) on small models gives the samples of one
process with the same seed, and a run killed mid-way (SIGKILL after its first shard) resumes to the output of an
uninterrupted one. Marked ``multiprocess``; they run in the normal suite (CPU only, about 30 s together).

The single-process runs go through ``drs_lib.sample.main`` in this process; the others are real subprocesses.
Identity is checked with ``torch.equal``: every numbered batch is computed by the same operations on the same
inputs (the batch size is the same for every batch) whichever process draws it, so nothing is approximate.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

import drs_lib
from drs_lib import sample
from drs_lib.api import shards

pytestmark = pytest.mark.multiprocess
torch.set_num_threads(1)

ROOT = Path(drs_lib.__file__).resolve().parents[1]
FACTORY = '''
import time

import torch
from torch import nn

from drs_lib.nets.models import mlp


def load():
    G, D = mlp((2, 16, 2), torch.Generator().manual_seed(0)), mlp((2, 16, 1), torch.Generator().manual_seed(1))
    with torch.no_grad():
        D[-1].weight.mul_(20)  # logits spread over a few units: D̃_M moves while sampling
    return G, D


class ConditionalG(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed, self.net = nn.Embedding(3, 4), nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))

    def forward(self, z, y):
        return self.net(z + self.embed(y))


class ConditionalD(nn.Module):
    def __init__(self):
        super().__init__()
        self.net, self.embed = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1)), nn.Embedding(3, 1)

    def forward(self, x, y):
        return 3 * self.net(x).squeeze(-1) + self.embed(y).squeeze(-1)


def load_conditional():
    torch.manual_seed(0)
    return ConditionalG(), ConditionalD()


class Slow(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        time.sleep(0.1)  # a big discriminator, in miniature: leaves time to kill the run mid-way
        return self.inner(x)


def load_slow():
    G, D = load()
    return G, Slow(D)
'''


@pytest.fixture(scope="module")
def factory(tmp_path_factory):
    path = tmp_path_factory.mktemp("models") / "factory.py"
    path.write_text(FACTORY)
    return path


def environment():
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return env


def torchrun(args, nproc=2, timeout=120):
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
               "-m", "drs_lib.sample", *args]
    done = subprocess.run(command, env=environment(), capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    return done


def same_output(a, b):
    x, y = shards.read_folder(a), shards.read_folder(b)
    assert torch.equal(x.x, y.x) and torch.equal(x.logits, y.logits)
    assert (x.y is None and y.y is None) or torch.equal(x.y, y.y)
    assert shards.read_manifest(a)["shards"] == shards.read_manifest(b)["shards"]
    assert shards.read_manifest(a)["result"] == shards.read_manifest(b)["result"]
    return x


@pytest.mark.parametrize("model, extra", [
    ("load", []),                                                  # update_max: the running maximum shared per round
    ("load_conditional", ["--n-classes", "3", "--no-update-max"]),  # D̃_M fixed after BurnIn; labels drawn per proposal
], ids=["update_max", "fixed_d_max_conditional"])
def test_two_processes_give_the_single_process_samples(tmp_path, factory, model, extra):
    args = ["--model", f"{factory}:{model}", "--latent", "2" if model == "load" else "4", "--n-samples", "1500",
            "--batch-size", "200", "--shard-size", "400", "--n-burn-in", "500", "--gamma-percentile", "50",
            "--device", "cpu", "--seed", "11", *extra]
    assert sample.main([*args, "--out", str(tmp_path / "one"), "--quiet"]) == 0
    done = torchrun([*args, "--out", str(tmp_path / "two")])
    assert "2 process(es)" in done.stderr and "accepted" in done.stderr  # rank 0's progress lines
    out = same_output(tmp_path / "one", tmp_path / "two")
    assert out.x.shape == (1500, 2)
    result = shards.read_manifest(tmp_path / "two")["result"]
    if extra:
        assert out.y is not None and result["max_updates"] == 0
    else:
        assert result["max_updates"] > 0  # the shared running maximum did move: the case is not vacuous


def test_a_killed_run_resumes_to_the_uninterrupted_output(tmp_path, factory):
    args = ["--model", f"{factory}:load_slow", "--latent", "2", "--n-samples", "1000", "--batch-size", "100",
            "--shard-size", "50", "--n-burn-in", "100", "--gamma-percentile", "50", "--device", "cpu", "--seed", "2"]
    out = tmp_path / "killed"
    process = subprocess.Popen([sys.executable, "-m", "drs_lib.sample", *args, "--out", str(out)], env=environment(),
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline and process.poll() is None:
            manifest = out / "manifest.json"
            if manifest.exists() and json.loads(manifest.read_text())["shards"]:
                break
            time.sleep(0.02)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL  # killed, not finished
    cut = shards.read_manifest(out)
    assert not cut["complete"] and 1 <= len(cut["shards"]) < 20
    # resume with two processes: world size may differ from the interrupted run's
    torchrun([*args, "--out", str(out)])
    assert sample.main([*args, "--out", str(tmp_path / "whole"), "--quiet"]) == 0
    same_output(out, tmp_path / "whole")
    assert len(shards.read_manifest(out)["shards"]) == 20
