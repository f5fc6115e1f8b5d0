"""drs_book.style: the shared figure look, legibility, alt text, and tables for people."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from drs_book import plotting, plotting_ideal, plotting_images, style  # noqa: E402
from drs_lib.problems.ideal import GaussianTargetUniformProposal  # noqa: E402


@pytest.mark.parametrize("n, per_row, expected", [(1, 3, (1, 1)), (3, 3, (1, 3)), (4, 3, (2, 2)),
                                                   (7, 4, (2, 4)), (7, 3, (3, 3)), (12, 4, (3, 4))])
def test_wrap_panels(n, per_row, expected):
    assert style.wrap_panels(n, per_row) == expected


def test_wrap_panels_refuses_rows_too_wide_to_read():
    with pytest.raises(ValueError, match="max_per_row must be 1..4"):
        style.wrap_panels(7, 7)


def test_panel_grid_is_page_wide_and_hides_spare_cells():
    with style.context():
        fig, axes = style.panel_grid(5, max_per_row=3)
    assert len(axes) == 5 and sum(ax.get_visible() for ax in fig.axes) == 5 and len(fig.axes) == 6
    assert fig.get_figwidth() * style.DPI == pytest.approx(style.CONTENT_WIDTH_PX)
    plt.close(fig)


def test_context_restores_global_settings():
    before = matplotlib.rcParams["xtick.labelsize"]
    with style.context():
        assert matplotlib.rcParams["xtick.labelsize"] == 10.0
        assert matplotlib.rcParams["savefig.dpi"] == style.DPI * style.PIXEL_RATIO >= 150
    assert matplotlib.rcParams["xtick.labelsize"] == before


def test_smallest_text_px_accounts_for_shrinking_to_the_column():
    with style.context():
        fig, ax = plt.subplots(figsize=(style.CONTENT_WIDTH_PX / style.DPI, 3))
        ax.set_title("t")
    fig.canvas.draw()
    # 10 pt tick labels at 100 CSS px per inch: 10/72*100 = 13.9 px, unscaled at column width.
    assert style.smallest_text_px(fig) == pytest.approx(10 / 72 * 100)
    fig.set_figwidth(2 * style.CONTENT_WIDTH_PX / style.DPI)  # twice too wide: shown at half size
    assert style.smallest_text_px(fig) == pytest.approx(10 / 72 * 100 / 2)
    with pytest.raises(ValueError, match=r"6\.9 px on the page"):
        style.check_legible(fig)
    plt.close(fig)


def test_log_norm_spans_positive_values_and_colorbar_needs_a_label():
    norm = style.log_norm(np.array([0.0, 1.0, 10.0, 1000.0]))
    assert (norm.vmin, norm.vmax) == (1.0, 1000.0)
    with pytest.raises(ValueError, match="positive"):
        style.log_norm(np.zeros(3))
    fig, ax = plt.subplots()
    mesh = ax.pcolormesh(np.array([[1.0, 100.0]]), norm=norm)
    with pytest.raises(ValueError, match="needs a label"):
        style.colorbar(fig, mesh, ax, " ")
    assert style.colorbar(fig, mesh, ax, "count (log scale)").ax.get_ylabel() == "count (log scale)"
    plt.close(fig)


def test_figure_output_is_a_2x_png_with_its_alt_text_inside():
    with style.context():
        fig, ax = plt.subplots(figsize=style.page_figsize(0.5))
        ax.plot([0, 1], [0, 1])
    out = style.figure_output(fig, r"A straight line from $(0, 0)$ to $(1, 1)$ with slope $\gamma$")
    data, metadata = out._repr_mimebundle_()
    image = Image.open(io.BytesIO(out.png))
    assert image.text["Description"] == "A straight line from (0, 0) to (1, 1) with slope gamma"
    assert data["text/plain"] == out.alt
    assert metadata["image/png"]["width"] * style.PIXEL_RATIO == pytest.approx(image.width, abs=1)
    assert not plt.fignum_exists(fig.number), "figure_output closes the figure"
    with pytest.raises(ValueError, match="describe the figure"):
        style.figure_output(plt.figure(), "a plot")


@pytest.mark.parametrize("inline_format", [None, "png", "retina"])
def test_finish_makes_jupyter_show_a_2x_png_with_alt_text(inline_format):
    """With or without the inline backend's own PNG formatter (as in a kernel), glue/display
    get a 2x PNG carrying the alt text, and its CSS size as metadata."""
    import base64

    from IPython.core.formatters import format_display_data
    from IPython.core.interactiveshell import InteractiveShell
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    shell = InteractiveShell.instance()
    png_formatter = shell.display_formatter.formatters["image/png"]
    saved = dict(png_formatter.type_printers)
    try:
        if inline_format:
            set_matplotlib_formats(inline_format)
        with style.context():
            fig, ax = plt.subplots(figsize=style.page_figsize(0.5))
            ax.set_title("panel title")
            ax.set_xlabel("step")
        style.finish(fig)  # alt text generated from titles and labels
        data, metadata = format_display_data(fig)
    finally:
        png_formatter.type_printers.clear()
        png_formatter.type_printers.update(saved)
    assert data["text/plain"] == "Figure with 1 panel: panel title, x: step"
    png = Image.open(io.BytesIO(base64.b64decode(data["image/png"])))
    assert png.text["Description"] == data["text/plain"]
    assert png.width / metadata["image/png"]["width"] == pytest.approx(style.PIXEL_RATIO, rel=0.01)
    assert png.width > 1.5 * style.CONTENT_WIDTH_PX  # 2x pixels (tight bbox trims some margin)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=50)  # an explicit dpi is respected
    assert Image.open(buffer).width < png.width / 3
    plt.close(fig)


def library_figures():
    rng = np.random.default_rng(0)
    means = torch.tensor([[float(i), float(j)] for i in (-4, 0, 4) for j in (-4, 0, 4)])
    samples = {f"method {i}": torch.randn(300, 2) * 2 for i in range(7)}
    problem = GaussianTargetUniformProposal(half_width=4.0, target_std=1.0)
    from drs_lib.samplers import drs

    sweep = pd.DataFrame({"percentile": np.repeat([50.0, 80.0, 95.0], 2), "seed": [0, 1] * 3,
                          "acceptance_rate": rng.uniform(0.1, 0.9, 6), "inception_score": rng.uniform(5, 9, 6)})
    frame = pd.DataFrame({"step": np.tile([1, 2, 3], 4), "value": rng.normal(size=12), "method": np.repeat(["a", "b"], 6),
                          "seed": np.tile(np.repeat([0, 1], 3), 2)})
    images = torch.rand(20, 1, 8, 8) * 2 - 1
    F = np.concatenate([rng.normal(size=1000), [20.0]])
    return {
        "scatter_panels (7 panels asked in one row)": lambda: plotting.scatter_panels(samples, means=means, std=0.05, ncols=7, size=2.2),
        "snapshot_pairs": lambda: plotting.snapshot_pairs(frame, x="step", y="value", hue="method", reference=0.0),
        "figure1_left": lambda: plotting_ideal.figure1_left(problem, rng.normal(size=500), rng.normal(size=500)),
        "F_and_F_hat": lambda: plotting_ideal.F_and_F_hat(drs, 1.0),
        "logit_comparison": lambda: plotting_ideal.logit_comparison(np.linspace(-4, 4, 50), np.zeros(50), np.zeros((2, 50))),
        "plot_figure2": lambda: plotting_images.plot_figure2(F, F - 1, rng.uniform(size=1001), rng.uniform(size=1001),
                                                             rng.uniform(size=300), rng.uniform(size=300)),
        "plot_figure7": lambda: plotting_images.plot_figure7(sweep, rng.uniform(size=500), rng.uniform(size=500), real_is=9.0),
        "plot_best_worst": lambda: plotting_images.plot_best_worst(images[:10], images[10:], n_columns=5),
        "plot_interpolations": lambda: plotting_images.plot_interpolations(images[:16].reshape(2, 8, 1, 8, 8), rng.uniform(size=(2, 8)), np.linspace(0, 1, 8)),
    }


@pytest.mark.parametrize("name", list(library_figures()))
def test_every_library_figure_is_legible_page_wide_and_has_alt_text(name):
    fig = library_figures()[name]()
    style.check_legible(fig)  # tick labels and all text >= 9 px once shown in the column
    assert fig.get_figwidth() * style.DPI <= style.CONTENT_WIDTH_PX + 1
    columns = {round(ax.get_position().x0, 2) for ax in fig.axes if ax.get_visible() and ax.get_label() != "<colorbar>"}
    assert len(columns) <= style.MAX_PANELS_PER_ROW
    assert callable(fig._repr_mimebundle_), "finished with style.finish"
    assert len(fig.drs_alt_text.split()) >= 12, fig.drs_alt_text
    plt.close(fig)


def test_snapshot_pairs_draws_two_snapshots_as_paired_points_legible_on_a_phone():
    # Figure 02-A: two snapshots of training are two categorical positions per method (not a time axis),
    # one grey line per model, the mean ± std in the method's colour; legible at a phone's column (~360 px).
    rng = np.random.default_rng(0)
    methods = ["Without DRS", "DRS (No FT)", "DRS (KeepTraining)"]
    frame = pd.DataFrame([{"seed": s, "step": step, "method": m, "pct": rng.uniform(50, 90)}
                          for s in range(10) for step in (3000, 6500) for m in methods])
    fig = plotting.snapshot_pairs(frame, x="step", y="pct", hue="method", ylabel="% high quality", reference=70.0,
                                  reference_label="paper's baseline (70 %)")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["3,000", "6,500"] * 3
    grey = [line for line in ax.get_lines() if line.get_color() == "0.7" and len(line.get_xdata()) == 2]
    assert len(grey) == 10 * len(methods), "one line per model and method"
    assert all(np.ptp(line.get_xdata()) < 0.5 for line in grey), "a model's line stays inside its method's group"
    colours = {matplotlib.colors.to_hex(c.lines[0].get_color()) for c in ax.containers}
    assert colours == {style.method_colour(m) for m in methods}
    style.check_legible(fig, display_width_px=360)
    assert "3,000 and 6,500" in fig.drs_alt_text
    plt.close(fig)


def test_figure2_keeps_outliers_from_squashing_the_histogram_and_says_how_many():
    rng = np.random.default_rng(0)
    F = np.concatenate([rng.normal(size=1000), [20.0]])
    u = rng.uniform(size=1001)
    fig = plotting_images.plot_figure2(F, F - 1, u, u, u[:300], u[300:600])
    low, high = fig.axes[0].get_xlim()
    assert high < 10, "a single value at 20 must not stretch the axis"
    values = np.concatenate([F, F - 1])
    outside = int(np.sum((values < low) | (values > high)))
    assert 2 <= outside <= 10
    assert fig.axes[0].get_xlabel().endswith(f"({outside} of 2002 beyond the axis)")
    plt.close(fig)


def test_figure7_histogram_uses_a_log_colour_scale_with_a_labelled_bar():
    fig = library_figures()["plot_figure7"]()
    mesh = fig.axes[1].collections[0]
    assert isinstance(mesh.norm, matplotlib.colors.LogNorm)
    assert "log scale" in fig.axes[-1].get_ylabel()
    plt.close(fig)


# ----------------------------------------------------------------------------- tables

def per_seed_rows():
    return pd.DataFrame({
        "method": ["DRS", "DRS", "GAN", "GAN"],
        "seed": [0, 1, 0, 1],
        "pct_high_quality": [70.0, 72.0, 60.0, 61.0],
        "acceptance_rate": [0.25, 0.27, 1.0, 1.0],
    })


def test_results_table_gives_mean_std_strings_and_readable_headers():
    table = style.results_table(per_seed_rows(), by="method", values=["pct_high_quality", "acceptance_rate"],
                                digits={"pct_high_quality": 1, "acceptance_rate": 2}, order=["GAN", "DRS"])
    assert list(table.columns) == ["method", "pct high quality", "acceptance rate"]
    assert table.to_dict("records") == [
        {"method": "GAN", "pct high quality": "60.5 ± 0.7", "acceptance rate": "1.00 ± 0.00"},
        {"method": "DRS", "pct high quality": "71.0 ± 1.4", "acceptance rate": "0.26 ± 0.01"},
    ]
    assert isinstance(table.index, pd.RangeIndex)


def test_results_table_refuses_a_single_seed_and_unknown_columns():
    with pytest.raises(ValueError, match="at least 2"):
        style.results_table(per_seed_rows().iloc[:3], by="method", values=["acceptance_rate"])
    with pytest.raises(KeyError, match="not in the frame"):
        style.results_table(per_seed_rows(), by="method", values=["nope"])


def test_html_table_has_no_index_artefacts_and_scrolls_in_its_own_box():
    wide = per_seed_rows().groupby("method")[["pct_high_quality", "acceptance_rate"]].agg(["mean", "std"])
    wide.columns.name = "stat"
    html = style.html_table(wide, caption="Per method").html
    assert html.startswith('<div class="drs-table" style="overflow-x: auto; max-width: 100%;">')
    assert html.count("<tr>") == 1 + 2, "one header row, two body rows: no orphan header rows"
    assert "<th>method</th>" in html and "<th>pct high quality mean</th>" in html
    assert "stat" not in html and "<th></th>" not in html
    assert '<td class="drs-num">71</td>' in html and "<caption>Per method</caption>" in html


def test_split_columns_repeats_the_key_column():
    frame = pd.DataFrame({"method": ["a"], **{f"c{i}": [i] for i in range(7)}})
    parts = style.split_columns(frame, keep=["method"], max_columns=4)
    assert [list(p.columns) for p in parts] == [["method", "c0", "c1", "c2"], ["method", "c3", "c4", "c5"], ["method", "c6"]]
