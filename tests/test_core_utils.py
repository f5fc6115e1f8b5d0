"""Device resolution, parameter checks, atomic writes and the model cache."""

import warnings
from pathlib import Path

import pandas as pd
import pytest
import torch

import drs_lib
from drs_book import params
from drs_book.cache import ModelCache
from drs_lib.device import resolve_device
from drs_lib.io import atomic_write_bytes, write_csv_atomic


def test_auto_device_is_cuda_when_present_else_cpu():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert resolve_device("auto").type == expected
    assert resolve_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize("bad", ["gpu", "tpu", "", 3, "mps"])
def test_unknown_device_names_what_is_allowed(bad):
    with pytest.raises(ValueError, match="auto"):
        resolve_device(bad)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-CUDA message")
def test_cuda_without_cuda_is_refused_clearly():
    with pytest.raises(ValueError, match="no CUDA device is present"):
        resolve_device("cuda")


@pytest.mark.parametrize("check, value, kwargs, allowed", [
    (params.check_int, 0, {"minimum": 1}, "an integer >= 1"),
    (params.check_int, 2.0, {}, "an integer"),
    (params.check_int, True, {}, "an integer"),
    (params.check_float, "0.1", {}, "a finite number"),
    (params.check_float, float("nan"), {}, "a finite number"),
    (params.check_float, 2.0, {"minimum": 0, "maximum": 1}, r"a finite number in \[0, 1\]"),
    (params.check_bool, "yes", {}, "True or False"),
    (params.check_percentile, 101, {}, r"in \[0.0, 100.0\]"),
    (params.check_choice, "x", {"choices": ["a", "b"]}, "one of 'a', 'b'"),
])
def test_parameter_errors_name_parameter_value_and_allowed(check, value, kwargs, allowed):
    with pytest.raises(params.ParameterError) as info:
        check("my_param", value, **kwargs)
    message = str(info.value)
    assert "'my_param'" in message and repr(value) in message
    assert pytest.importorskip("re").search(allowed, message)


def test_parameter_checks_pass_good_values_through():
    assert params.check_int("n", 5, minimum=1) == 5
    assert params.check_float("lr", 1, minimum=0) == 1.0
    assert params.check_percentile("p", 95) == 95.0
    assert params.check_device("device", "cpu") == torch.device("cpu")


def test_device_parameter_error_names_the_parameter():
    with pytest.raises(params.ParameterError, match="'device'.*allowed"):
        params.check_device("device", "gpu0")


def test_directory_parameter_refuses_a_file(tmp_path):
    existing = tmp_path / "file.txt"
    existing.write_text("x")
    with pytest.raises(params.ParameterError, match="existing file"):
        params.check_directory("results_dir", str(existing))
    assert params.check_directory("results_dir", str(tmp_path / "new")) == tmp_path / "new"


def test_atomic_write_leaves_nothing_behind_when_interrupted(tmp_path, monkeypatch):
    target = tmp_path / "out.bin"
    atomic_write_bytes(target, b"old")

    def broken_replace(*_args):
        raise KeyboardInterrupt

    monkeypatch.setattr("drs_lib.io.os.replace", broken_replace)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_write_csv_atomic_round_trips(tmp_path):
    frame = pd.DataFrame({"seed": [0, 1], "method": ["drs", "gan"], "value": [0.5, 0.25]})
    path = write_csv_atomic(frame, tmp_path / "sub" / "r.csv")
    pd.testing.assert_frame_equal(pd.read_csv(path), frame)


class Counter:
    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return {"weight": torch.full((3,), float(self.calls)), "steps": 100}


def test_cache_builds_once_then_loads(tmp_path):
    build = Counter()
    first = ModelCache(tmp_path).get_or_create("gan", {"lr": 1e-3, "seeds": [0, 1]}, build)
    cache = ModelCache(tmp_path)
    second = cache.get_or_create("gan", {"seeds": [0, 1], "lr": 1e-3}, build)
    assert build.calls == 1 and cache.hits == 1 and cache.misses == 0
    assert torch.equal(first["weight"], second["weight"]) and second["steps"] == 100


def test_cache_key_covers_config_and_library_version(tmp_path, monkeypatch):
    build = Counter()
    cache = ModelCache(tmp_path)
    cache.get_or_create("gan", {"lr": 1e-3}, build)
    cache.get_or_create("gan", {"lr": 2e-3}, build)
    monkeypatch.setattr(drs_lib, "__version__", "999")
    cache.get_or_create("gan", {"lr": 1e-3}, build)
    assert build.calls == 3


def stored_entry(tmp_path, config):
    """A cache directory holding one good entry for ``config``; returns its builder and its file."""
    build = Counter()
    cache = ModelCache(tmp_path)
    cache.get_or_create("gan", config, build)
    return build, cache.path("gan", config)


def test_corrupt_entry_is_rebuilt_not_loaded(tmp_path):
    build, entry = stored_entry(tmp_path, {"lr": 1e-3})
    raw = bytearray(entry.read_bytes())
    raw[-5] ^= 0xFF  # flip bits inside the payload
    entry.write_bytes(bytes(raw))
    with pytest.warns(UserWarning, match="corrupt"):
        payload = ModelCache(tmp_path).get_or_create("gan", {"lr": 1e-3}, build)
    assert build.calls == 2 and payload["weight"][0].item() == 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ModelCache(tmp_path).get_or_create("gan", {"lr": 1e-3}, build)  # the rewritten entry is good
    assert build.calls == 2


def test_truncated_entry_is_rebuilt(tmp_path):
    build, entry = stored_entry(tmp_path, {"lr": 1e-3})
    entry.write_bytes(entry.read_bytes()[:40])
    with pytest.warns(UserWarning, match="unreadable|corrupt"):
        ModelCache(tmp_path).get_or_create("gan", {"lr": 1e-3}, build)
    assert build.calls == 2


def test_stale_entry_is_rebuilt_not_loaded(tmp_path):
    """An entry whose recorded key differs from the request (e.g. copied under another name)."""
    build, old = stored_entry(tmp_path, {"lr": 1e-3})
    new = ModelCache(tmp_path).path("gan", {"lr": 5e-3})
    old.rename(new)
    with pytest.warns(UserWarning, match="stale"):
        ModelCache(tmp_path).get_or_create("gan", {"lr": 5e-3}, build)
    assert build.calls == 2


def test_interrupted_build_leaves_no_entry(tmp_path):
    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ModelCache(tmp_path).get_or_create("gan", {"lr": 1e-3}, interrupted)
    assert list(Path(tmp_path).iterdir()) == []


def test_disabled_cache_always_builds(tmp_path):
    build = Counter()
    for _ in range(2):
        ModelCache(tmp_path, enabled=False).get_or_create("gan", {"lr": 1e-3}, build)
    assert build.calls == 2 and list(tmp_path.iterdir()) == []


def test_cache_refuses_unkeyable_config(tmp_path):
    with pytest.raises(TypeError, match="JSON-like"):
        ModelCache(tmp_path).get_or_create("gan", {"fn": print}, Counter())


def test_atomic_write_gives_ordinary_permissions(tmp_path):
    """mkstemp creates files 0600; results must be readable like any other file."""
    import os

    umask = os.umask(0o022)
    try:
        path = atomic_write_bytes(tmp_path / "r.csv", b"x")
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644
