"""Checks for notebook (papermill) parameters, run before any long work.

Each check raises :class:`ParameterError` with a message that names the parameter, the value
given and what is allowed, e.g.::

    parameter 'n_seeds': got 0 (int); allowed: an integer >= 1

Each fact about a notebook parameter is written once. Its ``parameters`` cell (papermill's) holds
the default, a literal, and what it means, a trailing comment; the schema in the cell right after
holds what it may be and its small value for quick mode (``quick=``, a literal), one spec per
parameter, and applies the checks with one call::

    PARAMETERS = {
        "seed": params.Int(minimum=0),
        "n_seeds": params.Int(minimum=2, quick=2),
        "n_show": params.Int(minimum=1, maximum=lambda given: given["pool_size"] // 2),
        "device": params.Device(),
        "results_dir": params.Directory(),
    }
    valid = params.check_parameters(globals(), PARAMETERS)  # {"device": torch.device, "results_dir": Path, ...}

Specs: :class:`Int`, :class:`Float`, :class:`Percentile`, :class:`Bool`, :class:`Choice`,
:class:`Device`, :class:`Directory`, :class:`ExistingFile`, :class:`ListOf` and :class:`Pair`.
A bound may be a callable of the values given to the parameters checked before it (a check
across parameters); its message shows the bound's value. ``tests/test_parameter_schemas.py``
makes every notebook's schema name exactly the parameters of its ``parameters`` cell, and its
quick values pass the schema, differ from the defaults and read the same from the source as at
run time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drs_lib.checks import (  # noqa: F401  (re-exported: the schemas' checks of one value)
    ParameterError, _fail, _range_text, check_bool, check_choice, check_device, check_directory, check_float,
    check_int, check_percentile,
)
from drs_lib.device import ALLOWED_DEVICES  # noqa: F401  (re-exported)


# --------------------------------------------------------------------------------------------
# Declarative checks: one spec per parameter, applied in order by check_parameters
# --------------------------------------------------------------------------------------------

#: A bound: a number, None (no bound), or a callable of the values given so far (name -> value).
Bound = float | int | Callable[[Mapping[str, Any]], float | int] | None


def _fail_shape(name: str, value: object, allowed: str) -> ParameterError:
    """For a container of the wrong shape: the message names no type (as the notebooks always had it)."""
    return ParameterError(f"parameter {name!r}: got {value!r}; allowed: {allowed}")


def _bound(bound: Bound, name: str, given: Mapping[str, Any]):
    if not callable(bound):
        return bound
    try:
        return bound(given)
    except KeyError as error:
        raise TypeError(f"a bound of parameter {name!r} uses {error}, which the schema does not check "
                        "before it; list that parameter earlier") from None


class _NoQuickValue:
    """The ``quick`` of a spec whose parameter keeps its default in quick mode."""

    def __repr__(self) -> str:
        return "NO_QUICK_VALUE"


NO_QUICK_VALUE = _NoQuickValue()


@dataclass(frozen=True)


class Spec:
    """What one parameter may be; :meth:`check` returns the value normalised or raises ParameterError.

    ``quick`` (keyword only, every spec): the parameter's small value for ``--mode quick`` (``make
    test``, ``QUICK=1``), a Python literal; left out, quick mode keeps the default. It is the only
    place a quick value is written: ``tools/execute_notebook.py`` and ``tools/reader_view.py`` read
    it from the source (:func:`quick_values` is the same reading at run time).
    """

    quick: object = field(default=NO_QUICK_VALUE, kw_only=True)

    def check(self, name: str, value: object, given: Mapping[str, Any]) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)


class _Bounded(Spec):
    """A number checked by ``_function(name, value, minimum, maximum)``; bounds may depend on earlier parameters."""

    minimum: Bound = None
    maximum: Bound = None
    _function = staticmethod(check_int)

    def check(self, name, value, given):
        return self._function(name, value, _bound(self.minimum, name, given), _bound(self.maximum, name, given))


class Int(_Bounded):
    """:func:`check_int`: an integer within the optional bounds."""


class Float(_Bounded):
    """:func:`check_float`: a finite number within the optional bounds; the value becomes a float."""

    _function = staticmethod(check_float)


@dataclass(frozen=True)


class _Plain(Spec):
    """A value checked by ``_function(name, value)``."""

    _function = staticmethod(check_bool)

    def check(self, name, value, given):
        return self._function(name, value)


class Bool(_Plain):
    """:func:`check_bool`: True or False."""


class Percentile(_Plain):
    """:func:`check_percentile` (0..100); the value becomes a float."""

    _function = staticmethod(check_percentile)


class Device(_Plain):
    """:func:`check_device`; the value becomes a ``torch.device``."""

    _function = staticmethod(check_device)


class Directory(_Plain):
    """:func:`check_directory`; the value becomes a ``Path`` (not created here)."""

    _function = staticmethod(check_directory)


@dataclass(frozen=True)


class Choice(Spec):
    """:func:`check_choice` among ``options``."""

    options: Sequence[object]

    def check(self, name, value, given):
        return check_choice(name, value, self.options)


@dataclass(frozen=True)


class ExistingFile(Spec):
    """A path (string) of an existing file; the value becomes a ``Path``.

    ``locate(value) -> Path``, tried for a relative path that is not a file from the current
    folder (e.g. :func:`drs_book.claims.find_upwards`: nbval runs a notebook from its own folder),
    may raise ValueError when it finds nothing. ``allowed`` says what the file must be.
    """

    allowed: str
    locate: Callable[[str], Path] | None = None

    def check(self, name, value, given):
        if not isinstance(value, (str, Path)):
            raise _fail_shape(name, value, self.allowed)
        path = Path(value)
        if self.locate is not None and not path.is_absolute() and not path.is_file():
            try:
                path = self.locate(value)
            except ValueError:
                pass
        if not path.is_file():
            raise _fail_shape(name, value, self.allowed)
        return path


@dataclass(frozen=True)


class ListOf(Spec):
    """A list (or tuple) of at least ``min_length`` items, each checked by ``item`` under the list's name.

    ``required``: items the list must hold. ``allowed`` is the message's text for a value that is
    not such a list; an item is refused with ``item``'s own message. The value becomes a list.
    """

    item: Spec
    allowed: str
    min_length: int = 1
    required: tuple = field(default=())

    def check(self, name, value, given):
        if (not isinstance(value, (list, tuple)) or len(value) < self.min_length
                or any(r not in value for r in self.required)):
            raise _fail_shape(name, value, self.allowed)
        return [self.item.check(name, v, given) for v in value]


@dataclass(frozen=True)


class PercentileList(Spec):
    """A strictly increasing list of at least ``min_length`` percentiles (0..100), e.g. the γ levels of a sweep.

    ``holds``: names of parameters checked earlier whose values the list must contain (e.g.
    ``"gamma_percentile"``); ``within``: the name of an earlier list parameter it must be a subset
    of. Items are refused with :func:`check_percentile`'s message, a list of the wrong shape or
    order with one that spells out every condition. The value becomes a list of floats.
    """

    min_length: int = 1
    holds: tuple[str, ...] = ()
    within: str | None = None

    def check(self, name, value, given):
        count = "at least two " if self.min_length == 2 else (f"at least {self.min_length} " if self.min_length > 2 else "")
        allowed = f"a strictly increasing list of {count}percentiles in [0, 100]"
        for other in self.holds:
            allowed += f" that holds {other} ({_bound(lambda g: g[other], name, given)!r})"
        if self.within is not None:
            allowed += f", each one of {self.within} ({_bound(lambda g: g[self.within], name, given)!r})"
        if not isinstance(value, (list, tuple)) or len(value) < self.min_length:
            raise _fail_shape(name, value, allowed)
        items = [check_percentile(name, v) for v in value]
        if (any(b <= a for a, b in zip(items, items[1:])) or any(given[other] not in items for other in self.holds)
                or (self.within is not None and not set(items) <= set(given[self.within]))):
            raise _fail_shape(name, value, allowed)
        return items


@dataclass(frozen=True)


class Pair(Spec):
    """Two values ``[first, second]``, checked as ``name[0]`` and ``name[1]``; ``second``'s bounds
    may use ``given[name + "[0]"]``. The value becomes a list."""

    first: Spec
    second: Spec
    allowed: str

    def check(self, name, value, given):
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise _fail_shape(name, value, self.allowed)
        out = [self.first.check(f"{name}[0]", value[0], given)]
        out.append(self.second.check(f"{name}[1]", value[1], {**given, f"{name}[0]": value[0]}))
        return out


def quick_values(schema: Mapping[str, Spec]) -> dict[str, Any]:
    """``{name: quick value}`` of the specs of ``schema`` that have one, in the schema's order."""
    return {name: spec.quick for name, spec in schema.items() if spec.quick is not NO_QUICK_VALUE}


def check_parameters(namespace: Mapping[str, Any], schema: Mapping[str, Spec]) -> dict[str, Any]:
    """Check every parameter of ``schema`` in ``namespace`` (a notebook's ``globals()``), in the schema's order.

    Returns ``{name: normalised value}`` (ints, floats, a ``torch.device``, ``Path``s, lists).
    The first value that is not allowed raises its :class:`ParameterError`. A schema naming a
    parameter the namespace lacks, or holding something that is not a :class:`Spec`, raises
    TypeError (a mistake in the notebook, not in the values given). Bounds that are callables
    receive the values given to the parameters checked before.
    """
    missing = [name for name in schema if name not in namespace]
    if missing:
        raise TypeError(f"the parameter schema names {missing}, which are not defined; "
                        "the schema must list exactly the parameters cell's names")
    for name, spec in schema.items():
        if not isinstance(spec, Spec):
            raise TypeError(f"the schema's entry for {name!r} is {spec!r}, not a drs_book.params spec")
    given: dict[str, Any] = {}
    checked: dict[str, Any] = {}
    for name, spec in schema.items():
        checked[name] = spec.check(name, namespace[name], given)
        given[name] = namespace[name]
    return checked


__all__ = [
    "ALLOWED_DEVICES",
    "Bool",
    "Bound",
    "Choice",
    "Device",
    "Directory",
    "ExistingFile",
    "Float",
    "Int",
    "ListOf",
    "NO_QUICK_VALUE",
    "Pair",
    "PercentileList",
    "ParameterError",
    "Percentile",
    "Spec",
    "check_bool",
    "check_choice",
    "check_device",
    "check_directory",
    "check_float",
    "check_int",
    "check_parameters",
    "check_percentile",
    "quick_values",
]
