"""The γ explorer: DRS at every γ percentile of one trained GAN, beside hard thresholding at the
same acceptance, as an interactive page that works offline.

**What is computed** (:func:`explore`, tensors in, tables out; no training). One pool of N
proposals x from the generator, their logits D̃(x), and D̃_M = the largest logit over BurnIn and
the pool (the running maximum :func:`drs_lib.samplers.drs.drs_sample` keeps with ``update_max``).
At each percentile p of a grid, DRS's accept step is the library's own,
:func:`drs_lib.samplers.drs.judge`: γ is the p-th percentile of F̂ (eq. 8 with γ = 0) over the
pool, and x is kept iff ψ < σ(F̂(x) − γ). ψ ~ U(0, 1) is drawn once per proposal, from the same
seed at every p (common random numbers), so the levels differ only by γ: a proposal kept at
p is kept at every lower p and the acceptance rate can only fall as p rises
(:func:`drs_masks`). Thresholding (Appendix A's "Threshold" baseline, the rule of
:func:`drs_lib.samplers.drs.threshold_sample`) keeps x iff D̃(x) ≥ T, T the (1 − a) quantile of
the pool's logits, a = DRS's acceptance rate at p (:func:`threshold_masks`). Each accepted set
is scored with the 25-Gaussian metrics (:func:`drs_lib.metrics.mixture.mixture_metrics`: % high
quality, modes) and, on ``metric_points`` points against a fixed real reference, precision,
recall, density and coverage (:func:`drs_lib.metrics.prdc_metrics.precision_recall_density_coverage`;
NaN where fewer than ``metric_points`` proposals were accepted).

**What is shown** (:func:`explorer_layout`, :func:`explorer_html`): a Bokeh slider over the grid,
a table of the numbers at the slider's level (DRS, thresholding, the generator alone), the
accepted points of both samplers on the grid (a subsample of the pool: each point carries the
last level at which it is accepted, :func:`last_level`, so the page filters locally) and
% HQ against the percentile with a marker at the slider. All data is in the page; a CustomJS
callback only looks values up. BokehJS is not fetched from a CDN: the page's HTML carries
:data:`MARKER`, and ``tools/drs_book_sphinx.py`` copies :func:`bokeh_js_files` from the bokeh
package into the built site's ``_static`` and adds them to the pages that carry the marker.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from drs_lib.metrics.mixture import mixture_metrics
from drs_lib.metrics.prdc_metrics import precision_recall_density_coverage
from drs_lib.samplers.drs import EPSILON, judge

__all__ = ["BOKEH_BUNDLES", "MARKER", "METHODS", "ExplorerData", "bokeh_js_files", "drs_masks", "explore",
           "explorer_html", "explorer_layout", "last_level", "numbers_html", "ordinal", "percentile_grid", "static_js_names", "threshold_masks"]

#: The attribute the explorer's HTML carries (its value: the bokeh version it was made with).
MARKER = "data-drs-bokeh"
#: BokehJS bundles the page needs: the core and the widgets (the slider, the Div).
BOKEH_BUNDLES = ("bokeh", "bokeh-widgets")
DRS_NAME, THRESHOLD_NAME, GENERATOR_NAME = "DRS", "Threshold", "Generator alone"
METHODS = (DRS_NAME, THRESHOLD_NAME)
#: Rows of the numbers table: (column of :attr:`ExplorerData.table`, label, format).
NUMBERS = (
    ("acceptance_pct", "acceptance (% of proposals)", "{:.1f}"),
    ("pct_high_quality", "% high quality", "{:.1f}"),
    ("modes_recovered", "modes (of 25)", "{:.0f}"),
    ("recall", "recall", "{:.3f}"),
    ("coverage", "coverage", "{:.3f}"),
    ("precision", "precision", "{:.3f}"),
)


def percentile_grid(step: float, top: float = 99.0) -> list[float]:
    """γ percentiles 0, step, 2·step, ... up to ``top`` (the explorer's slider positions)."""
    if isinstance(step, bool) or not isinstance(step, (int, float)) or not 0 < step <= top:
        raise ValueError(f"step: got {step!r}; allowed: a number in (0, {top:g}]")
    if not 0 < top <= 100:
        raise ValueError(f"top: got {top!r}; allowed: a number in (0, 100]")
    count = int(math.floor(top / step + 1e-9)) + 1
    return [round(i * step, 6) for i in range(count)]


def drs_masks(logits: Tensor, d_max: float, percentiles: Sequence[float], *, seed: int,
              epsilon: float = EPSILON) -> tuple[Tensor, Tensor]:
    """DRS's accept decisions on one pool at each γ percentile: ``(keep (G, N) bool, γ (G,))``.

    Each level is :func:`drs_lib.samplers.drs.judge` on the pool with a generator seeded
    ``seed``, so every level draws the same ψ: only γ differs between levels.
    """
    logits = logits.reshape(-1)
    keeps, gammas = [], []
    for p in percentiles:
        rng = torch.Generator(device=logits.device).manual_seed(int(seed))
        keep, gamma = judge(logits, float(d_max), rng, float(p), epsilon)
        keeps.append(keep)
        gammas.append(gamma.reshape(()))
    return torch.stack(keeps), torch.stack(gammas)


def threshold_masks(logits: Tensor, acceptance_rates: Sequence[float]) -> Tensor:
    """Hard thresholding at each acceptance rate a: keep x iff D̃(x) ≥ the (1 − a) quantile of the
    pool's logits (:func:`drs_lib.samplers.drs.threshold_sample`'s rule); (G, N) bool."""
    values = logits.reshape(-1).to(torch.float64)
    masks = []
    for rate in acceptance_rates:
        if not 0.0 < float(rate) <= 1.0:
            raise ValueError(f"acceptance rate: got {rate!r}; allowed: a number in (0, 1]")
        masks.append(values >= torch.quantile(values, 1.0 - float(rate)))
    return torch.stack(masks)


def last_level(masks: Tensor) -> np.ndarray:
    """For nested masks (each level's kept set inside the previous level's): the index of the last
    level at which each proposal is kept (−1: never). ``ValueError`` when the masks are not nested."""
    masks = masks.to(torch.bool)
    counts = masks.sum(0)
    levels = torch.arange(masks.shape[0], device=masks.device).unsqueeze(1)
    if not torch.equal(masks, levels < counts.unsqueeze(0)):
        raise ValueError("the masks are not nested: some proposal is kept at a level but not at an earlier one")
    return (counts - 1).cpu().numpy().astype(np.int32)


def _set_scores(samples: Tensor, means: Tensor, std: float, reference: Tensor, metric_points: int,
                seed: int) -> dict[str, float]:
    n = int(samples.shape[0])
    out = {"n_accepted": n}
    if n == 0:
        out.update(pct_high_quality=math.nan, modes_recovered=0.0)
    else:
        metrics = mixture_metrics(samples, means, std)
        out.update(pct_high_quality=float(metrics["pct_high_quality"]), modes_recovered=float(metrics["modes_recovered"]))
    if n >= metric_points:
        scores = precision_recall_density_coverage(reference, samples, n_points=metric_points, seed=seed)
        out.update(precision=scores.precision, recall=scores.recall, density=scores.density, coverage=scores.coverage)
    else:
        out.update(precision=math.nan, recall=math.nan, density=math.nan, coverage=math.nan)
    return out


@dataclass
class ExplorerData:
    """What the explorer shows, all computed (:func:`explore`).

    ``table``: one row per method (``"DRS"``, ``"Threshold"``) and level, plus one
    ``"Generator alone"`` row (percentile NaN), with ``acceptance_rate``, ``acceptance_pct``,
    ``n_accepted``, ``pct_high_quality``, ``modes_recovered``, ``precision``, ``recall``,
    ``density``, ``coverage`` and ``gamma`` (DRS's γ at the level). ``points``: the shown
    proposals (n_show, 2), in the paper's units; ``last``: per method, the last level at which
    each shown point is accepted (−1: never).
    """

    percentiles: list[float]
    table: pd.DataFrame
    points: np.ndarray
    last: dict[str, np.ndarray]
    means: np.ndarray
    n_pool: int
    metric_points: int
    d_max: float
    extra: dict = field(default_factory=dict)

    def column(self, method: str, key: str) -> np.ndarray:
        part = self.table[self.table["method"] == method].sort_values("percentile")
        return part[key].to_numpy(dtype=float)

    def generator(self, key: str) -> float:
        return float(self.table.loc[self.table["method"] == GENERATOR_NAME, key].iloc[0])


def explore(proposals: Tensor, logits: Tensor, d_max: float, *, means: Tensor, std: float, reference: Tensor,
            percentiles: Sequence[float], metric_points: int, n_show: int, seed: int,
            length_scale: float = 1.0) -> ExplorerData:
    """DRS and thresholding on one pool of ``proposals`` (N, 2) with ``logits`` (N,) at each percentile.

    ``d_max``: D̃_M (it is raised to the pool's largest logit, as ``drs_sample`` does with
    ``update_max``); ``means``, ``std``: the grid in the samples' units; ``reference``: real
    points (at least ``metric_points``) for precision/recall/density/coverage, the same for every
    set; ``n_show``: how many of the pool's points the page carries (the first ``n_show``; the
    pool is i.i.d.); ``length_scale``: multiplies the shown points (the paper's units).
    Arguments are checked before any work.
    """
    if proposals.dim() != 2 or proposals.shape[1] != 2:
        raise ValueError(f"proposals must have shape (N, 2); got {tuple(proposals.shape)}")
    n_pool = int(proposals.shape[0])
    if logits.reshape(-1).shape[0] != n_pool:
        raise ValueError(f"logits must hold one value per proposal ({n_pool}); got {tuple(logits.shape)}")
    grid = [float(p) for p in percentiles]
    if not grid or any(not 0 <= p <= 100 for p in grid) or any(b <= a for a, b in zip(grid, grid[1:])):
        raise ValueError(f"percentiles must be strictly increasing numbers in [0, 100]; got {list(percentiles)}")
    for name, value, low, high in (("metric_points", metric_points, 10, n_pool), ("n_show", n_show, 1, n_pool)):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"{name}: got {value!r}; allowed: an integer in [{low}, {high}]")
    if int(reference.shape[0]) < metric_points:
        raise ValueError(f"reference holds {reference.shape[0]} points; metric_points = {metric_points} needs at least as many")
    logits = logits.reshape(-1)
    d_max = max(float(d_max), float(logits.max()))
    keep_drs, gammas = drs_masks(logits, d_max, grid, seed=seed)
    rates = keep_drs.double().mean(1)
    if bool((rates == 0).any()):
        first = grid[int(torch.nonzero(rates == 0)[0])]
        raise ValueError(f"DRS accepts no proposal of the pool at the {first:g}th percentile; use a larger pool")
    keep_threshold = threshold_masks(logits, rates.tolist())
    rows = [{"method": GENERATOR_NAME, "percentile": math.nan, "acceptance_rate": 1.0, "gamma": math.nan,
             **_set_scores(proposals, means, std, reference, metric_points, seed)}]
    for i, p in enumerate(grid):
        for method, keep in ((DRS_NAME, keep_drs[i]), (THRESHOLD_NAME, keep_threshold[i])):
            rows.append({"method": method, "percentile": p, "acceptance_rate": float(keep.double().mean()),
                         "gamma": float(gammas[i]) if method == DRS_NAME else math.nan,
                         **_set_scores(proposals[keep], means, std, reference, metric_points, seed)})
    table = pd.DataFrame(rows)
    table["acceptance_pct"] = 100.0 * table["acceptance_rate"]
    shown = slice(0, n_show)
    return ExplorerData(
        percentiles=grid, table=table,
        points=(proposals[shown].detach().cpu().double().numpy() * length_scale).astype(np.float32),
        last={DRS_NAME: last_level(keep_drs[:, shown]), THRESHOLD_NAME: last_level(keep_threshold[:, shown])},
        means=(means.detach().cpu().double().numpy() * length_scale).astype(np.float32),
        n_pool=n_pool, metric_points=metric_points, d_max=d_max)


# ---------------------------------------------------------------------------------------------- the page


def ordinal(p: float) -> str:
    text = f"{p:g}"
    if not float(p).is_integer():
        return text + "th"
    n = int(p)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _cell(value: float, fmt: str) -> str:
    return "–" if not math.isfinite(value) else fmt.format(value)


def numbers_html(data: ExplorerData, index: int) -> str:
    """The numbers table at level ``index`` (HTML): DRS, thresholding and the generator alone."""
    p = data.percentiles[index]
    head = "".join(f'<th style="text-align:right;padding:2px 8px">{html.escape(h)}</th>'
                   for h in ("DRS", "threshold, same acceptance", "generator alone"))
    body = []
    for key, label, fmt in NUMBERS:
        cells = [_cell(data.column(m, key)[index], fmt) for m in METHODS] + [_cell(data.generator(key), fmt)]
        body.append(f'<tr><th style="text-align:left;padding:2px 8px;font-weight:normal">{html.escape(label)}</th>'
                    + "".join(f'<td style="text-align:right;padding:2px 8px;font-variant-numeric:tabular-nums">{c}</td>'
                              for c in cells) + "</tr>")
    accepted = int(data.column(DRS_NAME, "n_accepted")[index])
    note = (f"γ at the {ordinal(p)} percentile of F̂: DRS keeps {accepted:,} of {data.n_pool:,} proposals. "
            f"Recall, coverage and precision on {data.metric_points:,} accepted points against as many real ones"
            + ("; – where fewer were accepted." if accepted < data.metric_points else "."))
    return (f'<div class="drs-explorer-numbers" data-level="{index}" style="overflow-x:auto">'
            f'<p style="margin:0 0 4px 0">{html.escape(note)}</p>'
            f'<table style="border-collapse:collapse;font-size:0.9em"><thead><tr><th></th>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


_CALLBACK = """
const ps = percentiles;
let i = 0;
for (let j = 1; j < ps.length; j++) { if (Math.abs(ps[j] - slider.value) < Math.abs(ps[i] - slider.value)) i = j; }
const pool = pool_source.data;
for (const [source, key] of [[drs_source, 'drs_last'], [threshold_source, 'threshold_last']]) {
  const x = [], y = [];
  for (let k = 0; k < pool.x.length; k++) { if (pool[key][k] >= i) { x.push(pool.x[k]); y.push(pool.y[k]); } }
  source.data = {x: x, y: y};
}
numbers.text = tables[i];
marker.location = ps[i];
"""


def explorer_layout(data: ExplorerData, *, initial: float, colours: dict[str, str]):
    """The Bokeh layout: slider, numbers, the two samplers' accepted points, % HQ against the percentile.

    ``colours``: the book's colour per method name (``"DRS"``, ``"Threshold"``, ``"Generator alone"``).
    """
    from bokeh.layouts import column, row
    from bokeh.models import ColumnDataSource, CustomJS, Div, Legend, Slider, Span
    from bokeh.plotting import figure

    index = int(np.argmin([abs(p - initial) for p in data.percentiles]))
    step = data.percentiles[1] - data.percentiles[0] if len(data.percentiles) > 1 else 1.0
    tables = [numbers_html(data, i) for i in range(len(data.percentiles))]
    shown = np.round(data.points.astype(np.float64), 3)  # a thousandth of the paper's unit: 1/50 of a mode's std
    x, y = shown[:, 0].tolist(), shown[:, 1].tolist()
    pool = ColumnDataSource({"x": x, "y": y, "drs_last": data.last[DRS_NAME].tolist(),
                             "threshold_last": data.last[THRESHOLD_NAME].tolist()}, name="explorer_pool")

    def accepted(method):
        last = data.last[method]
        keep = last >= index
        return ColumnDataSource({"x": shown[keep, 0].tolist(), "y": shown[keep, 1].tolist()},
                                name=f"explorer_{method.lower()}")

    sources = {m: accepted(m) for m in METHODS}
    span = float(np.abs(data.means).max()) * 1.25
    panels = []
    for method, title in ((DRS_NAME, "DRS"), (THRESHOLD_NAME, "Threshold")):
        fig = figure(title=title, x_range=(-span, span), y_range=(-span, span), match_aspect=True,
                     sizing_mode="scale_width", aspect_ratio=1, min_width=160, toolbar_location=None,
                     tools="", output_backend="canvas")
        fig.scatter(x, y, size=2, color=colours[GENERATOR_NAME], alpha=0.18)
        fig.scatter("x", "y", source=sources[method], size=3, color=colours[method], alpha=0.6)
        fig.scatter(data.means[:, 0].tolist(), data.means[:, 1].tolist(), marker="cross", size=7, color="black")
        fig.title.text_font_size = "11pt"
        panels.append(fig)
    curve = figure(title="% high quality against γ's percentile", height=230, sizing_mode="stretch_width",
                   toolbar_location=None, tools="", x_axis_label="γ percentile", y_axis_label="% HQ")
    items = []
    for method in METHODS:
        line = curve.line(data.percentiles, data.column(method, "pct_high_quality").tolist(), color=colours[method],
                          line_width=2)
        items.append((method if method == DRS_NAME else "threshold", [line]))
    base = curve.line([data.percentiles[0], data.percentiles[-1]], [data.generator("pct_high_quality")] * 2,
                      color=colours[GENERATOR_NAME], line_dash="dashed", line_width=1.5)
    items.append(("generator alone", [base]))
    curve.add_layout(Legend(items=items, location="top_left", background_fill_alpha=0.7, label_text_font_size="9pt",
                            click_policy="hide"), "center")
    marker = Span(location=data.percentiles[index], dimension="height", line_color="black", line_dash="dotted")
    curve.add_layout(marker)
    numbers = Div(text=tables[index], sizing_mode="stretch_width", name="explorer_numbers")
    slider = Slider(start=data.percentiles[0], end=data.percentiles[-1], step=step, value=data.percentiles[index],
                    title="γ at this percentile of F̂", sizing_mode="stretch_width", name="gamma_slider")
    slider.js_on_change("value", CustomJS(args={
        "slider": slider, "percentiles": data.percentiles, "pool_source": pool, "drs_source": sources[DRS_NAME],
        "threshold_source": sources[THRESHOLD_NAME], "numbers": numbers, "tables": tables, "marker": marker,
    }, code=_CALLBACK))
    return column(slider, numbers, row(*panels, sizing_mode="stretch_width"), curve, sizing_mode="stretch_width")


def explorer_html(layout) -> str:
    """The layout as an HTML fragment (``bokeh.embed.components``) wrapped in a block carrying
    :data:`MARKER`; it references no script file (the book's Sphinx extension adds BokehJS from
    ``_static``) and no network host."""
    import bokeh
    from bokeh.embed import components

    script, div = components(layout)
    return f'<div class="drs-explorer" {MARKER}="{html.escape(bokeh.__version__)}">{div}</div>\n{script}'


def bokeh_js_files() -> list[Path]:
    """The BokehJS bundles (:data:`BOKEH_BUNDLES`, minified) shipped inside the installed bokeh package."""
    import bokeh

    folder = Path(bokeh.__file__).resolve().parent / "server" / "static" / "js"
    files = [folder / f"{name}.min.js" for name in BOKEH_BUNDLES]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise FileNotFoundError(f"the bokeh package lacks its JavaScript bundles: {missing}")
    return files


def static_js_names() -> list[str]:
    """Where the bundles go under the site's ``_static`` (versioned, so a cached old copy is never used)."""
    import bokeh

    return [f"bokeh/{path.stem.removesuffix('.min')}-{bokeh.__version__}.min.js" for path in bokeh_js_files()]

