"""The old flat module paths (before issue 18), one table: each still imports, with a
``DeprecationWarning`` naming the new path, and gives the same module object.

``import drs_lib.drs`` or ``from drs_lib import drs`` finds ``drs_lib.samplers.drs`` through a
meta-path finder that :mod:`drs_lib` installs; ``drs_lib.drs`` as an attribute works too
(``drs_lib.__getattr__``). The book's machinery moved out of the library into ``drs_book``,
which is part of the repository, not of the wheel: an old path of it (``drs_lib.claims``)
aliases ``drs_book.claims`` where ``drs_book`` is importable (a checkout on ``sys.path``) and
otherwise raises an ImportError saying so. ``drs_lib.metrics``, a module then and a folder now,
keeps its old names through ``drs_lib/metrics/__init__.py``. ``tests/test_moved.py`` imports
every old path here.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from types import ModuleType

#: old module -> new module.
MOVED: dict[str, str] = {
    "drs_lib.drs": "drs_lib.samplers.drs",
    "drs_lib.calibration": "drs_lib.samplers.calibration",
    "drs_lib.mhgan": "drs_lib.samplers.mhgan",
    "drs_lib.dot": "drs_lib.samplers.dot",
    "drs_lib.ddls": "drs_lib.samplers.ddls",
    "drs_lib.data": "drs_lib.problems.data",
    "drs_lib.ideal": "drs_lib.problems.ideal",
    "drs_lib.exact_toy": "drs_lib.problems.exact_toy",
    "drs_lib.digits": "drs_lib.problems.digits",
    "drs_lib.models": "drs_lib.nets.models",
    "drs_lib.convnets": "drs_lib.nets.convnets",
    "drs_lib.heads": "drs_lib.nets.heads",
    "drs_lib.distances": "drs_lib.metrics.distances",
    "drs_lib.prdc_metrics": "drs_lib.metrics.prdc_metrics",
    "drs_lib.scores": "drs_lib.metrics.scores",
    "drs_lib.train": "drs_lib.training.train",
    "drs_lib.keep_training": "drs_lib.training.keep_training",
    "drs_lib.train_images": "drs_lib.training.train_images",
    "drs_lib.conditional_gan": "drs_lib.training.conditional_gan",
    "drs_lib.harness": "drs_lib.compare.harness",
    "drs_lib.distributed": "drs_lib.api.distributed",
    "drs_lib.shards": "drs_lib.api.shards",
    # the book's machinery (not in the wheel)
    "drs_lib.claims": "drs_book.claims",
    "drs_lib.style": "drs_book.style",
    "drs_lib.report": "drs_book.report",
    "drs_lib.params": "drs_book.params",
    "drs_lib.regime": "drs_book.regime",
    "drs_lib.cached_training": "drs_book.cached_training",
    "drs_lib.cache": "drs_book.cache",
    "drs_lib.plotting": "drs_book.plotting",
    "drs_lib.plotting_ideal": "drs_book.plotting_ideal",
    "drs_lib.plotting_images": "drs_book.plotting_images",
    "drs_lib.plotting_tradeoff": "drs_book.plotting_tradeoff",
    # the sweep stayed in the library (drs_lib.compare.tradeoff); drs_book.tradeoff adds the
    # verdicts and re-exports the sweep, so it is the one that has every old name
    "drs_lib.tradeoff": "drs_book.tradeoff",
}
#: Where an old path goes when ``drs_book`` is not importable (an installed wheel), if anywhere.
WITHOUT_BOOK: dict[str, str] = {"drs_lib.tradeoff": "drs_lib.compare.tradeoff"}


def target(old: str) -> str:
    """The module an old path now means here, or an ImportError if that is the book's and there is no book."""
    new = MOVED[old]
    if new.startswith("drs_book.") and importlib.util.find_spec("drs_book") is None:
        if old in WITHOUT_BOOK:
            return WITHOUT_BOOK[old]
        raise ModuleNotFoundError(
            f"{old} moved out of the library to {new}: the book's machinery (claims, figure style, report, "
            "notebook parameters, model cache, regime presets) is the package drs_book, part of the drs-book "
            "repository and not of the drs-lib wheel; run from a checkout of the repository to use it", name=old)
    return new


class _Alias(importlib.abc.Loader):
    def __init__(self, old: str) -> None:
        self.old = old

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        new = target(self.old)
        warnings.warn(f"{self.old} moved to {new}; import it from there (the old path will be removed)",
                      DeprecationWarning, stacklevel=_caller_level())
        module = importlib.import_module(new)
        self.real_spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        module.__spec__ = self.real_spec  # the import system set the alias's spec: put the real one back


def _caller_level() -> int:
    """The stack level of the first frame outside the import machinery (the ``import`` statement)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and _internal(frame):
        frame = frame.f_back
        if frame is not None and not _skipped_by_warnings(frame):
            level += 1
    return level


def _internal(frame) -> bool:
    return _skipped_by_warnings(frame) or frame.f_globals.get("__name__") == __name__


def _skipped_by_warnings(frame) -> bool:
    """The frames ``warnings.warn`` skips itself when counting ``stacklevel`` (the import system's)."""
    filename = frame.f_code.co_filename
    return "importlib" in filename and "_bootstrap" in filename


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path=None, target_module=None):
        if fullname not in MOVED:
            return None
        target(fullname)  # a book path without the book fails here, with the message
        return importlib.machinery.ModuleSpec(fullname, _Alias(fullname))


def install() -> None:
    if not any(isinstance(finder, _Finder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _Finder())


def old_attribute(name: str) -> ModuleType:
    """``drs_lib.<old name>`` as an attribute: the same module, the same warning."""
    if f"drs_lib.{name}" not in MOVED:
        raise AttributeError(f"module 'drs_lib' has no attribute {name!r}")
    return importlib.import_module(f"drs_lib.{name}")
