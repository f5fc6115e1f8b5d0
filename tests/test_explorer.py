"""drs_book.explorer: the γ explorer's grid, its nested accept sets, and an offline HTML fragment."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch

from drs_book import explorer
from drs_lib.problems.data import data_spec, make_sampler, mixture_geometry
from drs_lib.samplers import drs

SPEC = data_spec("mixture")
MEANS, STD = mixture_geometry(SPEC)


def pool(n=3000, seed=0):
    """A toy 'generator': half real mixture samples, half uniform clutter; the logit prefers points near a mean."""
    rng = torch.Generator().manual_seed(seed)
    real = make_sampler(SPEC)(n // 2, rng)
    clutter = torch.rand(n - n // 2, 2, generator=rng) * 10 - 5
    x = torch.cat([real, clutter])[torch.randperm(n, generator=rng)]
    distance = torch.cdist(x, MEANS).min(1).values
    logits = 2.0 - 4.0 * distance + 0.3 * torch.randn(n, generator=rng)
    return x, logits


@pytest.fixture(scope="module")
def data():
    x, logits = pool()
    reference = make_sampler(SPEC)(300, torch.Generator().manual_seed(5))
    return explorer.explore(x, logits, float(logits[:500].max()), means=MEANS, std=STD, reference=reference,
                            percentiles=explorer.percentile_grid(10), metric_points=200, n_show=1000, seed=3)


def test_percentile_grid():
    assert explorer.percentile_grid(1) == [float(p) for p in range(100)]
    assert explorer.percentile_grid(25) == [0.0, 25.0, 50.0, 75.0]
    assert explorer.percentile_grid(2.5, top=10) == [0.0, 2.5, 5.0, 7.5, 10.0]
    for bad in (0, -1, 200, True, "5"):
        with pytest.raises(ValueError, match="step"):
            explorer.percentile_grid(bad)


def test_each_level_is_the_library_judge_with_one_seed():
    _, logits = pool(500)
    keep, gammas = explorer.drs_masks(logits, float(logits.max()), [0.0, 50.0, 95.0], seed=11)
    for row, p in enumerate([0.0, 50.0, 95.0]):
        expected, gamma = drs.judge(logits, float(logits.max()), torch.Generator().manual_seed(11), p)
        assert torch.equal(keep[row], expected)
        assert float(gammas[row]) == pytest.approx(float(gamma))


def test_drs_acceptance_falls_and_sets_are_nested(data):
    rates = data.column("DRS", "acceptance_rate")
    assert len(rates) == len(data.percentiles) == 10
    assert np.all(np.diff(rates) <= 0) and rates[0] > rates[-1]
    gammas = data.column("DRS", "gamma")
    assert np.all(np.diff(gammas) > 0)  # γ is the percentile of F̂: it rises with the percentile
    # counts from the nested encoding agree with the acceptance of the shown points
    for i in range(10):
        assert (data.last["DRS"] >= i).sum() <= 1000


def test_threshold_matches_drs_acceptance_and_keeps_the_highest_logits(data):
    drs_rates, cut_rates = data.column("DRS", "acceptance_rate"), data.column("Threshold", "acceptance_rate")
    assert np.all(np.abs(drs_rates - cut_rates) <= 2 / data.n_pool)  # ties aside, the same share of the pool
    x, logits = pool()
    masks = explorer.threshold_masks(logits, [0.5, 0.1])
    for mask, rate in zip(masks, (0.5, 0.1)):
        assert int(mask.sum()) == pytest.approx(rate * len(logits), abs=1)
        assert float(logits[mask].min()) >= float(logits[~mask].max())
    with pytest.raises(ValueError, match="acceptance rate"):
        explorer.threshold_masks(logits, [0.0])


def test_scores_follow_the_accepted_sets(data):
    # the logit prefers points near a mean: filtering raises % HQ over the generator's
    hq = data.column("DRS", "pct_high_quality")
    assert hq[-1] > data.generator("pct_high_quality") + 10
    assert data.generator("acceptance_rate") == 1.0
    assert data.table["modes_recovered"].between(0, 25).all()
    # PRDC only where enough points were accepted
    enough = data.table["n_accepted"] >= data.metric_points
    assert data.table.loc[enough, ["precision", "recall", "coverage"]].notna().all().all()
    assert data.table.loc[~enough, "recall"].isna().all()


def test_last_level_encodes_nested_masks_and_refuses_others():
    masks = torch.tensor([[1, 1, 1, 0], [1, 0, 1, 0], [0, 0, 1, 0]], dtype=torch.bool)
    last = explorer.last_level(masks)
    assert last.tolist() == [1, 0, 2, -1]
    rebuilt = torch.stack([torch.from_numpy(last >= i) for i in range(3)])
    assert torch.equal(rebuilt, masks)
    with pytest.raises(ValueError, match="not nested"):
        explorer.last_level(torch.tensor([[1, 0], [1, 1]], dtype=torch.bool))


def test_bad_arguments_fail_before_work():
    x, logits = pool(400)
    ref = x[:100]
    kwargs = dict(means=MEANS, std=STD, reference=ref, metric_points=50, n_show=100, seed=0)
    with pytest.raises(ValueError, match="shape"):
        explorer.explore(x[:, :1], logits, 0.0, percentiles=[0, 50], **kwargs)
    with pytest.raises(ValueError, match="one value per proposal"):
        explorer.explore(x, logits[:10], 0.0, percentiles=[0, 50], **kwargs)
    with pytest.raises(ValueError, match="strictly increasing"):
        explorer.explore(x, logits, 0.0, percentiles=[50, 10], **kwargs)
    with pytest.raises(ValueError, match="n_show"):
        explorer.explore(x, logits, 0.0, percentiles=[0, 50], **{**kwargs, "n_show": 10_000})
    with pytest.raises(ValueError, match="reference"):
        explorer.explore(x, logits, 0.0, percentiles=[0, 50], **{**kwargs, "metric_points": 200})


def test_html_is_offline_and_small(data):
    colours = {"DRS": "#e69f00", "Threshold": "#009e73", "Generator alone": "#999999"}
    layout = explorer.explorer_layout(data, initial=95, colours=colours)
    fragment = explorer.explorer_html(layout)
    assert explorer.MARKER in fragment and 'class="drs-explorer"' in fragment
    assert not re.search(r"<script[^>]*\bsrc\s*=", fragment, flags=re.I)  # BokehJS comes from the book's _static
    assert not re.search(r"<(link|img|iframe)[^>]*(href|src)\s*=\s*[\"']?(https?:)?//", fragment, flags=re.I)
    assert len(fragment.encode()) < 2_000_000
    assert "gamma_slider" in fragment and "explorer_numbers" in fragment
    # the numbers shown first are those of the level nearest the initial percentile (90 on this grid)
    assert 'data-level="9"' in layout.select_one({"name": "explorer_numbers"}).text
    assert layout.select_one({"name": "gamma_slider"}).value == 90.0


def test_numbers_table_differs_between_levels(data):
    first, last = explorer.numbers_html(data, 0), explorer.numbers_html(data, len(data.percentiles) - 1)
    assert first != last and "0th percentile" in first and "90th percentile" in last
    assert "–" in last or math.isfinite(data.column("DRS", "recall")[-1])


def test_bokeh_bundles_ship_with_the_package():
    files = explorer.bokeh_js_files()
    assert [f.name for f in files] == ["bokeh.min.js", "bokeh-widgets.min.js"]
    assert all(f.stat().st_size > 10_000 for f in files)
    names = explorer.static_js_names()
    assert all(n.startswith("bokeh/") and n.endswith(".min.js") for n in names)


def test_ordinal():
    assert [explorer.ordinal(p) for p in (0, 1, 2, 3, 11, 12, 13, 21, 95, 99.5)] == [
        "0th", "1st", "2nd", "3rd", "11th", "12th", "13th", "21st", "95th", "99.5th"]


# --- the book's Sphinx extension serves BokehJS to the explorer's page only ----------------------


class FakeApp:
    def __init__(self, outdir):
        self.outdir, self.added = outdir, []
        self.builder = type("Builder", (), {"format": "html"})()

    def add_js_file(self, name, **kwargs):
        self.added.append(name)


def sphinx_extension():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    import drs_book_sphinx

    return drs_book_sphinx


def test_the_extension_adds_bokehjs_to_explorer_pages_only_and_copies_it(tmp_path):
    import bokeh

    ext = sphinx_extension()
    app = FakeApp(tmp_path)
    ext.add_bokeh_js(app, "chapter", "page.html", {"body": "<p>no explorer here</p>"}, None)
    assert app.added == []
    ext.add_bokeh_js(app, "explorer", "page.html", {"body": f'<div {explorer.MARKER}="{bokeh.__version__}"></div>'}, None)
    assert app.added == explorer.static_js_names()
    with pytest.raises(RuntimeError, match="re-execute"):
        ext.add_bokeh_js(app, "explorer", "page.html", {"body": f'<div {explorer.MARKER}="0.0.1"></div>'}, None)
    ext.copy_bokeh_js(app, None)
    for source, name in zip(explorer.bokeh_js_files(), explorer.static_js_names()):
        assert (tmp_path / "_static" / name).read_bytes() == source.read_bytes()
