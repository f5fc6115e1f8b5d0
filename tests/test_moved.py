"""Every old flat path (before issue 18) still imports, warns with the new path, and gives the
same objects (``drs_lib/_moved.py``); the book's old paths say where the book went when there is
no ``drs_book``."""

from __future__ import annotations

import importlib
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import drs_lib
from drs_lib import _moved

ROOT = Path(__file__).resolve().parents[1]


def fresh_import(name: str):
    """Import ``name`` as if for the first time (the alias is cached in sys.modules after one import)."""
    sys.modules.pop(name, None)
    leaf = name.rpartition(".")[2]
    drs_lib.__dict__.pop(leaf, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(compile(f"import {name}", __file__, "exec"), {})  # an import statement, as a user writes it
        module = sys.modules[name]
    sys.modules.pop(name, None)  # leave no alias behind for other tests
    drs_lib.__dict__.pop(leaf, None)
    return module, [w for w in caught if issubclass(w.category, DeprecationWarning)]


@pytest.mark.parametrize("old", sorted(_moved.MOVED))
def test_old_path_imports_warns_and_is_the_new_module(old):
    module, caught = fresh_import(old)
    new = _moved.MOVED[old]
    assert module is importlib.import_module(new)
    assert module.__name__ == new and module.__spec__.name == new  # the real module, not a copy
    assert any(new in str(w.message) and old in str(w.message) for w in caught), [str(w.message) for w in caught]
    assert caught[0].filename == __file__  # the warning points at the import, not at importlib


def test_old_names_give_the_same_objects():
    from drs_lib.api import DRS
    from drs_lib.samplers.drs import drs_sample

    with pytest.warns(DeprecationWarning, match="drs_lib.samplers.drs"):
        from drs_lib import drs
    assert drs.drs_sample is drs_sample
    with pytest.warns(DeprecationWarning):
        shards = importlib.import_module("drs_lib.shards")
    assert shards.DRS is DRS
    sys.modules.pop("drs_lib.drs"), sys.modules.pop("drs_lib.shards")
    drs_lib.__dict__.pop("drs", None), drs_lib.__dict__.pop("shards", None)


def test_the_old_metrics_module_names_resolve_from_the_metrics_folder():
    from drs_lib.metrics.mixture import mixture_metrics

    with pytest.warns(DeprecationWarning, match="drs_lib.metrics.mixture.mixture_metrics"):
        from drs_lib.metrics import mixture_metrics as old
    assert old is mixture_metrics
    with pytest.raises(ImportError):
        from drs_lib.metrics import no_such_name  # noqa: F401


def test_old_tradeoff_path_has_the_sweep_and_the_verdicts():
    module, _ = fresh_import("drs_lib.tradeoff")
    from drs_lib.compare.tradeoff import quality_diversity_sweep

    assert module.quality_diversity_sweep is quality_diversity_sweep and callable(module.verdicts)


def test_attribute_access_to_an_old_module():
    with pytest.warns(DeprecationWarning):
        assert drs_lib.heads is importlib.import_module("drs_lib.nets.heads")
    sys.modules.pop("drs_lib.heads", None), drs_lib.__dict__.pop("heads", None)
    with pytest.raises(AttributeError):
        drs_lib.no_such_module  # noqa: B018


def test_without_drs_book_an_old_book_path_says_where_the_book_went(tmp_path):
    # a fresh interpreter that sees drs_lib but not the checkout's drs_book (as an installed wheel)
    (tmp_path / "drs_lib").symlink_to(ROOT / "drs_lib")
    code = (f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n"
            "import drs_lib, drs_lib.compare.tradeoff as t\n"
            "assert drs_lib.__file__.startswith(sys.path[0]), drs_lib.__file__\n"
            "import warnings; warnings.simplefilter('ignore')\n"
            "import drs_lib.tradeoff as old; assert old is t\n"
            "try:\n    import drs_lib.claims\nexcept ImportError as e:\n    print(e)\nelse:\n    raise SystemExit('imported')\n")
    result = subprocess.run([sys.executable, "-I", "-c", code], cwd=tmp_path, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert "drs_lib.claims moved out of the library to drs_book.claims" in result.stdout
    assert "not of the drs-lib wheel" in result.stdout
