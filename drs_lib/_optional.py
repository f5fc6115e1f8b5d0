"""Optional dependencies: a module that needs one says which extra of drs-lib installs it.

``pip install .`` brings torch and numpy only: the samplers, the ``DRS`` API, training and the
data sets. Metrics, figures, calibration and the digits data come with extras
(``[project.optional-dependencies]`` in ``pyproject.toml``). A module wraps the imports an
extra provides in :class:`optional_imports`, at its top or inside the function that needs
them, so that a missing package fails with the install line instead of a bare
``No module named 'ot'``::

    with optional_imports("metrics"):
        import ot

    ImportError: drs_lib.metrics.distances needs the optional package 'ot' (POT); install it with:
    pip install "drs-lib[metrics]" (from a checkout: pip install ".[metrics]")
"""

from __future__ import annotations

import sys
from types import TracebackType

__all__ = ["optional_imports", "DISTRIBUTIONS"]

#: Import names whose PyPI distribution is named otherwise.
DISTRIBUTIONS = {"ot": "POT", "sklearn": "scikit-learn"}


class optional_imports:
    """Turn a ModuleNotFoundError inside the block into an ImportError naming ``extra``.

    The message names the drs_lib module the block stands in (read from the caller's frame, so
    that each use is one line) and the package that is missing.
    """

    def __init__(self, extra: str) -> None:
        self.extra = extra
        self.caller = sys._getframe(1).f_globals.get("__name__", "drs_lib")

    def __enter__(self) -> optional_imports:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if not isinstance(error, ModuleNotFoundError) or error.name is None:
            return None
        top = error.name.split(".")[0]
        if top == "drs_lib":  # our own module missing is a bug, not an extra to install
            return None
        package = f"'{top}'" if top not in DISTRIBUTIONS else f"'{top}' ({DISTRIBUTIONS[top]})"
        raise ImportError(
            f"{self.caller} needs the optional package {package}; install it with: "
            f'pip install "drs-lib[{self.extra}]" (from a checkout: pip install ".[{self.extra}]")',
            name=error.name,
        ) from error
