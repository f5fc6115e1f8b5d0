"""One look for every figure and table of the book, set in one place.

Figures
    :func:`context` (a ``with`` block) or :func:`use` (a whole notebook) apply the book's
    matplotlib settings: seaborn's ``whitegrid`` theme, our colour-blind-safe :data:`PALETTE`,
    and font sizes chosen so that tick labels stay at least :data:`MIN_TEXT_PX` CSS pixels on the
    page when a figure of :func:`page_figsize` is shown in the book's content column.
    :func:`wrap_panels` / :func:`panel_grid` put at most 3-4 panels in a row;
    :func:`log_norm` and :func:`colorbar` give log colour scales with labelled colour bars;
    :func:`finish` (on every figure, with its alt text) makes ``display``/``myst_nb.glue`` show
    it as a 2x ("retina") PNG whose descriptive alt text travels inside the PNG into the page;
    :func:`figure_output` renders one such PNG explicitly.

Tables
    :func:`results_table` turns tidy per-seed rows into one row per group with "mean ± std"
    strings and readable headers; :func:`html_table` shows any frame with no index artefacts
    inside its own horizontally scrolling container (wide tables stay inside the column and
    scroll on a phone); :func:`split_columns` splits a wide table into narrower ones.

The tables are :mod:`drs_book.tables`, re-exported here.

Nothing here changes global state except :func:`use`, which a notebook calls once.
"""

from __future__ import annotations

import base64
import contextlib
import io
import math
import re
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np


import matplotlib as mpl
import matplotlib.colors
import matplotlib.figure
import matplotlib.pyplot as plt
import seaborn as sns
from cycler import cycler

__all__ = [
    "PALETTE", "METHOD_COLOURS", "method_colour", "DPI", "PIXEL_RATIO", "CONTENT_WIDTH_PX", "MIN_TEXT_PX", "MAX_PANELS_PER_ROW",
    "rc", "context", "use", "page_figsize", "wrap_panels", "panel_grid", "log_norm", "colorbar",
    "smallest_text_px", "check_legible", "describe", "FigureOutput", "figure_output", "finish",
    "readable_header", "results_table", "html_table", "HTMLTable", "split_columns",
]

# Seaborn's "colorblind" palette (Okabe-Ito-like), in a fixed order shared by all chapters.
PALETTE: tuple[str, ...] = (
    "#0173b2", "#de8f05", "#029e73", "#d55e00", "#cc78bc",
    "#ca9161", "#fbafe4", "#949494", "#ece133", "#56b4e9",
)
# One colour per method across the book (issue: DRS changed colour between figures). Matched on the
# method's name by method_colour, most specific first; anything else takes the palette by position.
METHOD_COLOURS: tuple[tuple[str, str], ...] = (
    ("no ft", "#ca9161"),          # DRS (No FT), Threshold (No FT): brown, before the plain names match
    ("threshold", PALETTE[2]),     # green
    ("mh-gan", PALETTE[4]),        # pink
    ("ddls", PALETTE[3]),          # vermilion (MALA, ULA variants)
    ("langevin", PALETTE[3]),
    ("dot", PALETTE[9]),           # sky blue
    ("drs", PALETTE[1]),           # orange: DRS everywhere
    ("with drs", PALETTE[1]),
    ("real", PALETTE[0]),          # blue: the data
    ("ground truth", PALETTE[0]),
    ("target", PALETTE[0]),
    ("without drs", PALETTE[7]),   # grey: the generator alone
    ("vanilla", PALETTE[7]),
    ("generator", PALETTE[7]),
)


def method_colour(name: str, fallback_index: int = 0) -> str:
    """The book's colour for a method named ``name`` (case-insensitive substring match, most specific
    rule first: "Threshold (No FT)" is brown, "DRS" orange, "Without DRS" grey, real data blue)."""
    lowered = name.lower()
    for key, colour in METHOD_COLOURS:
        if key in lowered and not (key == "drs" and "without drs" in lowered):
            return colour
    return PALETTE[fallback_index % len(PALETTE)]


# One figure inch is DPI CSS pixels on the page; PNGs carry PIXEL_RATIO times as many pixels,
# so images are shown at DPI * PIXEL_RATIO = 200 dpi (the book's browser check wants >= 150).
DPI = 100
PIXEL_RATIO = 2
# Width of the book's content column at a 1400 px wide window (sphinx-book-theme), measured
# with tools/check_pages.py; a figure up to this wide is shown at its natural size.
CONTENT_WIDTH_PX = 768
MIN_TEXT_PX = 9.0
MAX_PANELS_PER_ROW = 4

_FONT_SIZES = {
    "font.size": 11.0,
    "axes.titlesize": 12.0,
    "axes.labelsize": 11.0,
    "xtick.labelsize": 10.0,
    "ytick.labelsize": 10.0,
    "legend.fontsize": 10.0,
    "legend.title_fontsize": 10.0,
    "figure.titlesize": 12.0,
}


def rc() -> dict[str, Any]:
    """The book's matplotlib settings (seaborn whitegrid + palette + legible sizes + dpi)."""
    settings: dict[str, Any] = {}
    settings.update(sns.axes_style("whitegrid"))
    settings.update(sns.plotting_context("notebook"))
    settings.update(_FONT_SIZES)
    settings.update({
        "axes.prop_cycle": cycler(color=list(PALETTE)),
        "figure.dpi": DPI,
        "savefig.dpi": DPI * PIXEL_RATIO,
        "savefig.bbox": "tight",
        "figure.figsize": page_figsize(aspect=0.6),
        "image.cmap": "viridis",
        "axes.titleweight": "normal",
        "legend.frameon": True,
        "legend.framealpha": 0.85,
    })
    return settings


@contextlib.contextmanager


def context() -> Iterator[None]:
    """``with style.context(): fig = ...`` draws with the book's look, then restores settings."""
    with mpl.rc_context(rc()):
        yield


def use() -> None:
    """Apply the book's look for the rest of a notebook (and 2x PNGs for plain ``display``)."""
    mpl.rcParams.update(rc())
    try:  # inside IPython: retina PNGs, so even figures shown without figure_output are sharp
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("retina")
    except Exception:  # noqa: BLE001 - outside a kernel there is nothing to configure
        pass


def page_figsize(aspect: float = 0.6, fraction: float = 1.0) -> tuple[float, float]:
    """(width, height) in inches for a figure ``fraction`` of the content column wide.

    ``aspect`` is height / width. At this size the figure is shown unscaled, so the
    :data:`_FONT_SIZES` hold on the page.
    """
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must be in (0, 1]; got {fraction}")
    if aspect <= 0:
        raise ValueError(f"aspect must be positive; got {aspect}")
    width = CONTENT_WIDTH_PX * fraction / DPI
    return (width, width * aspect)


def wrap_panels(n: int, max_per_row: int = 3) -> tuple[int, int]:
    """(rows, columns) for ``n`` panels with at most ``max_per_row`` in a row, rows balanced.

    ``wrap_panels(7, 4) == (2, 4)``, ``wrap_panels(4, 3) == (2, 2)``.
    """
    if n < 1:
        raise ValueError(f"need at least one panel; got {n}")
    if not 1 <= max_per_row <= MAX_PANELS_PER_ROW:
        raise ValueError(f"max_per_row must be 1..{MAX_PANELS_PER_ROW} (legible on the page); got {max_per_row}")
    rows = math.ceil(n / max_per_row)
    columns = math.ceil(n / rows)
    return rows, columns


def panel_grid(n: int, *, max_per_row: int = 3, panel_aspect: float = 1.0, sharex: bool = False,
               sharey: bool = False, **subplot_kw: Any) -> tuple[matplotlib.figure.Figure, list]:
    """A figure as wide as the content column holding ``n`` panels, wrapped (:func:`wrap_panels`).

    Returns ``(fig, axes)`` with ``axes`` a flat list of the ``n`` panels in reading order;
    grid cells past ``n`` are hidden. Call inside :func:`context` (or after :func:`use`).
    """
    rows, columns = wrap_panels(n, max_per_row)
    width = CONTENT_WIDTH_PX / DPI
    height = rows * (width / columns) * panel_aspect + 0.3 * rows  # room for titles
    fig, grid = plt.subplots(rows, columns, figsize=(width, height), squeeze=False, sharex=sharex,
                             sharey=sharey, constrained_layout=True, **subplot_kw)
    axes = list(grid.flat)
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def log_norm(values: np.ndarray | Sequence[float], floor: float | None = None) -> matplotlib.colors.LogNorm:
    """A log colour scale from the smallest positive value (or ``floor``) to the largest.

    For counts or densities whose mass spans orders of magnitude (e.g. 2D histograms);
    zeros are left uncoloured by matplotlib's LogNorm.
    """
    array = np.asarray(values, dtype=float)
    positive = array[np.isfinite(array) & (array > 0)]
    if positive.size == 0:
        raise ValueError("log_norm needs at least one positive finite value")
    low = float(positive.min()) if floor is None else float(floor)
    high = float(positive.max())
    if not 0 < low <= high:
        raise ValueError(f"log_norm needs 0 < floor <= max; got floor {low}, max {high}")
    if low == high:
        high = low * 10
    return matplotlib.colors.LogNorm(vmin=low, vmax=high)


def colorbar(fig: matplotlib.figure.Figure, mappable, ax, label: str, **kwargs: Any):
    """``fig.colorbar`` that insists on a label (what the colour measures, and its scale)."""
    if not label or not label.strip():
        raise ValueError("a colour bar needs a label saying what the colour measures")
    bar = fig.colorbar(mappable, ax=ax, **kwargs)
    bar.set_label(label)
    return bar


def smallest_text_px(fig: matplotlib.figure.Figure, display_width_px: float = CONTENT_WIDTH_PX) -> float:
    """Smallest font size, in CSS pixels, of the visible text in ``fig`` once shown at most
    ``display_width_px`` wide (the figure is scaled down to the column, never up)."""
    natural_width_px = fig.get_figwidth() * DPI
    scale = min(1.0, display_width_px / natural_width_px)
    sizes = [text.get_fontsize() for text in fig.findobj(mpl.text.Text)
             if text.get_visible() and text.get_text().strip() and _axes_visible(text)]
    if not sizes:
        return math.inf
    return min(sizes) / 72.0 * DPI * scale


def _axes_visible(text) -> bool:
    axes = getattr(text, "axes", None)
    return axes is None or axes.get_visible()


def check_legible(fig: matplotlib.figure.Figure, display_width_px: float = CONTENT_WIDTH_PX,
                  min_px: float = MIN_TEXT_PX) -> None:
    """Raise ValueError if any text of ``fig`` would be under ``min_px`` CSS pixels on the page."""
    fig.canvas.draw()  # tick labels exist only once drawn
    smallest = smallest_text_px(fig, display_width_px)
    if smallest < min_px:
        raise ValueError(
            f"figure text would be {smallest:.1f} px on the page (< {min_px:g} px): the figure is "
            f"{fig.get_figwidth() * DPI:.0f} px wide and is shrunk to {display_width_px:.0f} px; "
            "use style.page_figsize / panel_grid or larger fonts"
        )


def describe(fig: matplotlib.figure.Figure) -> str:
    """A plain description from the figure's own titles and axis labels (fallback alt text)."""
    visible = [ax for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"]
    parts = []
    for ax in visible:
        bits = [ax.get_title()] if ax.get_title() else []
        if ax.get_xlabel():
            bits.append(f"x: {ax.get_xlabel()}")
        if ax.get_ylabel():
            bits.append(f"y: {ax.get_ylabel()}")
        if bits:
            parts.append(", ".join(bits))
    title = fig._suptitle.get_text() if getattr(fig, "_suptitle", None) is not None else ""
    head = f"{title}. " if title else ""
    count = f"{len(visible)} panel{'s' if len(visible) != 1 else ''}"
    return _plain_text(f"{head}Figure with {count}" + (": " + "; ".join(parts) if parts else ""))


def _plain_text(text: str) -> str:
    """Alt text without TeX markup: drop $ and backslash commands' backslashes."""
    text = text.replace("$", "")
    text = re.sub(r"\\(mathrm|mathbf|mathit|text|operatorname)\{([^}]*)\}", r"\2", text)
    text = re.sub(r"\\([A-Za-z]+)", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


class FigureOutput:
    """A rendered figure: a 2x PNG plus its alt text, shown at its CSS size.

    Jupyter displays it through ``_repr_mimebundle_`` (``image/png`` with ``width``/``height``
    metadata, ``text/plain`` = the alt text). The alt text is also stored in the PNG itself
    (its ``Description`` text chunk), where the book's Sphinx extension reads it into the
    ``<img alt=...>`` attribute, so it survives ``glue`` and ``{glue:figure}``.
    """

    def __init__(self, png: bytes, alt: str, width_px: int, height_px: int) -> None:
        self.png = png
        self.alt = alt
        self.width_px = width_px
        self.height_px = height_px

    def _repr_mimebundle_(self, include=None, exclude=None):
        data = {"image/png": base64.b64encode(self.png).decode("ascii"), "text/plain": self.alt}
        metadata = {"image/png": {"width": self.width_px, "height": self.height_px}}
        return data, metadata

    def __repr__(self) -> str:
        return f"FigureOutput({self.width_px}x{self.height_px} px: {self.alt!r})"


def figure_output(fig: matplotlib.figure.Figure, alt: str | None = None, *, close: bool = True,
                  check: bool = True) -> FigureOutput:
    """Render ``fig`` for the page: PNG at ``DPI * PIXEL_RATIO`` dpi, alt text embedded.

    ``alt`` says what the figure shows (what is plotted against what, and the point to take
    away); ``None`` falls back to :func:`describe`. ``check`` applies :func:`check_legible`.
    ``close`` closes the figure, so no ``<Figure ...>`` text repr is left behind.

    Use: ``display(style.figure_output(fig, alt))`` or
    ``glue("fig-key", style.figure_output(fig, alt), display=False)``.
    """
    if alt is not None and len(alt.split()) < 3:
        raise ValueError(f"alt text should describe the figure in words; got {alt!r}")
    text = _plain_text(alt) if alt is not None else describe(fig)
    try:
        if check:
            check_legible(fig)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=DPI * PIXEL_RATIO, bbox_inches="tight",
                    metadata={"Description": text, "Software": None})
        png = buffer.getvalue()
    finally:
        if close:
            plt.close(fig)
    width, height = _png_size(png)
    return FigureOutput(png, text, round(width / PIXEL_RATIO), round(height / PIXEL_RATIO))


def finish(fig: matplotlib.figure.Figure, alt: str | None = None) -> matplotlib.figure.Figure:
    """Make ``fig`` render for the book wherever Jupyter shows it, and return it.

    After this, ``display(fig)``, ``glue(key, fig)`` and a figure left open at the end of a cell
    all produce a 2x PNG (:data:`DPI` x :data:`PIXEL_RATIO` dpi) with ``alt`` embedded
    (``None``: :func:`describe`) and display metadata giving its CSS size, instead of the
    inline backend's 1x PNG whose alt text becomes a file hash. The plotting modules call this
    on every figure they return.

    How: the figure gets a ``_repr_mimebundle_`` (the alt text as ``text/plain``, the CSS size
    as metadata, and the PNG where no inline backend is active) and its canvas a
    ``print_figure`` that renders PNGs at the book's resolution with the alt text in the PNG's
    ``Description`` chunk (the inline backend's own PNG formatter goes through it). A PNG saved
    with an explicit, different ``dpi`` is left at that dpi.
    """
    if alt is not None and len(alt.split()) < 3:
        raise ValueError(f"alt text should describe the figure in words; got {alt!r}")

    def text() -> str:
        return _plain_text(alt) if alt is not None else describe(fig)

    def bundle(include=None, exclude=None):
        return figure_output(fig, alt, close=False, check=False)._repr_mimebundle_(include, exclude)

    canvas = fig.canvas
    original = canvas.print_figure

    def print_figure(filename, *args, **kwargs):
        fmt = kwargs.get("format")
        if fmt is None and isinstance(filename, (str, bytes)) and "." in str(filename):
            fmt = str(filename).rsplit(".", 1)[-1]
        if str(fmt or mpl.rcParams["savefig.format"]).lower() == "png":
            if kwargs.get("dpi") in (None, "figure", fig.dpi):
                kwargs["dpi"] = DPI * PIXEL_RATIO
            kwargs["metadata"] = {"Description": text(), "Software": None, **(kwargs.get("metadata") or {})}
        return original(filename, *args, **kwargs)

    canvas.print_figure = print_figure
    fig.drs_alt_text = _plain_text(alt) if alt is not None else None  # for tests and callers
    fig._repr_mimebundle_ = bundle  # IPython looks this up on the instance
    return fig


def _png_size(png: bytes) -> tuple[int, int]:
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


# Tables live in drs_book.tables; a chapter reaches them as style.results_table & co.
from drs_book.tables import (  # noqa: E402, F401
    readable_header, results_table, HTMLTable, html_table, split_columns, _ABBREVIATIONS, _flat, _cell_text, _looks_numeric,
)
