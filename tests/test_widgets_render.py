"""lib.widgets renders a slider's figure fast, and the picture is the one savefig would send.

figure_png draws a figure once and cuts its content out of the canvas, where
savefig(bbox_inches="tight") draws it twice. A wrong picture is worse than a slow one, so
these compare figure_png with savefig pixel by pixel (up to the sub-pixel shift that
savefig's fractional box gives) for the figures the chapters' sliders draw, and check
the fallback for what is drawn outside the figure.
"""

from __future__ import annotations

import io

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.transforms import Affine2D
from PIL import Image

from lib.errors import MaskError
from lib.plots import plot_broadcast, plot_mask, plot_masks, plot_outer, plot_weights
from lib.widgets import figure_png

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA")).astype(int)


def savefig_png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


def difference(fast: np.ndarray, saved: np.ndarray) -> tuple[float, float]:
    """(mean absolute difference, share of pixels off by more than half the range), at the
    best alignment within one pixel: savefig shifts the figure by a fraction of a pixel."""
    best = (np.inf, np.inf)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            a = fast[max(dy, 0):, max(dx, 0):]
            b = saved[max(-dy, 0):, max(-dx, 0):]
            rows, cols = min(a.shape[0], b.shape[0]), min(a.shape[1], b.shape[1])
            diff = np.abs(a[:rows, :cols] - b[:rows, :cols])
            best = min(best, (float(diff.mean()), float((diff.max(axis=2) > 128).mean())))
    return best


LABELS = [str(j) for j in range(12)]
FIGURES = {
    "mask, one column": lambda: plot_mask(np.ones((2, 1), bool), title="S = 1"),
    "mask, twelve columns": lambda: plot_mask(
        np.tri(2, 12, 5).astype(bool), row_labels=["the cat sat", "a dog"],
        col_labels=LABELS, title="padding mask (B, S) = (2, 12)",
        xlabel="token position", ylabel="sentence"),
    "masks side by side": lambda: plot_masks([np.tri(4, 4).astype(bool)] * 2, ["a", "b"],
                                             suptitle="two"),
    "outer": lambda: plot_outer([True, False, True], [True, True, False, False], title="o"),
    "broadcast": lambda: plot_broadcast([[True], [False]], [[True, True, False]]),
    "weights": lambda: plot_weights(np.full((2, 3, 3), 1 / 3), mask=np.ones((3, 3), bool)),
}


@pytest.mark.parametrize("name", FIGURES)
def test_figure_png_is_the_picture_savefig_sends(name):
    fast, saved = pixels(figure_png(FIGURES[name]())), pixels(savefig_png(FIGURES[name]()))
    assert abs(fast.shape[0] - saved.shape[0]) <= 1 and abs(fast.shape[1] - saved.shape[1]) <= 1, (
        fast.shape, saved.shape)
    mean, far = difference(fast, saved)
    assert mean < 6 and far < 0.03, (mean, far)


def test_what_is_drawn_outside_the_figure_is_not_cut_off():
    """The canvas does not hold it: figure_png falls back to savefig's second drawing."""
    figure, ax = plt.subplots(figsize=(3, 2), dpi=100)
    ax.plot([0, 1], [0, 1])
    figure.text(0.5, -0.4, "a note well below the figure", ha="center")
    fast = pixels(figure_png(figure))
    saved = pixels(savefig_png(figure))
    assert fast.shape[0] > 200, "the note below the 200-pixel canvas is missing"
    assert fast.shape == saved.shape and difference(fast, saved)[0] < 1


@pytest.mark.parametrize("settings", [{"savefig.dpi": 50}, {"savefig.facecolor": "#ff0000"},
                                      {"savefig.transparent": True}])
def test_figure_png_follows_the_savefig_settings(settings):
    """What the canvas holds is drawn at figure.dpi on the figure's colours: other savefig
    settings take savefig's own path."""
    with matplotlib.rc_context(settings):
        fast = pixels(figure_png(FIGURES["mask, one column"]()))
        saved = pixels(savefig_png(FIGURES["mask, one column"]()))
    assert fast.shape == saved.shape and difference(fast, saved)[0] < 1


def test_figure_png_keeps_the_figure_background_in_the_padding():
    figure, ax = plt.subplots(figsize=(2, 1), dpi=100, facecolor="#123456")
    ax.set_axis_off()
    ax.set_title("title")
    corner = pixels(figure_png(figure))[0, 0]
    assert tuple(corner) == (0x12, 0x34, 0x56, 255)


@pytest.mark.parametrize("figure", [
    lambda: plot_mask(np.tri(3, 12, 4).astype(bool)),            # the smallest cells, 0.3 inch
    lambda: plot_weights(np.full((1, 10, 10), 0.1), mask=np.tri(10, 10).astype(bool)),
    lambda: plot_outer([True, False], [True] * 10),
])
def test_mask_marks_lie_inside_their_cells(figure):
    """The ✓ and · marks are left out of layout (so tight layout and tight boxes skip
    measuring them): that is only right while every mark lies inside its own cell."""
    fig = figure()
    fig.canvas.draw()
    checked = 0
    for ax in fig.axes:
        for stamps in ax.collections:
            if not str(stamps.get_label()).startswith("_mask marks"):
                continue
            assert not stamps.get_in_layout()
            # the glyph as drawn: its outline scaled to pixels, then placed at each cell
            glyph = stamps.get_paths()[0].transformed(Affine2D(stamps.get_transforms()[0]))
            extent = glyph.get_extents()
            for x, y in stamps.get_offsets():
                (left, bottom), (right, top) = ax.transData.transform([(x - 0.5, y + 0.5),
                                                                       (x + 0.5, y - 0.5)])
                cx, cy = ax.transData.transform((x, y))
                mark = extent.translated(cx, cy)
                assert left <= mark.x0 and mark.x1 <= right, (stamps.get_label(), mark, left, right)
                assert bottom <= mark.y0 and mark.y1 <= top, (stamps.get_label(), mark, bottom, top)
                checked += 1
    assert checked > 0


def test_figure_png_refuses_a_compress_level_zlib_does_not_have():
    figure, _ = plt.subplots()
    with pytest.raises(MaskError, match="`compress_level`: expected an int from 0 to 9"):
        figure_png(figure, compress_level=10)


def test_live_figure_sends_the_picture_of_a_fresh_draw_for_every_value():
    """First visits, revisits from the cache, and the value it opened with: each PNG the
    panel holds is the one a fresh draw of that value gives."""
    from lib.widgets import length_slider, live_figure

    def draw(padded_length):
        mask = np.arange(padded_length)[np.newaxis, :] < np.array([[4], [2]])
        return plot_mask(mask, title=f"padding mask (2, {padded_length})")

    panel = live_figure(draw, padded_length=length_slider("S", 6, 1, 12))
    for value in (7, 12, 1, 6, 7):
        panel.controls["padded_length"].value = value
        printed, png = panel.render()
        assert png == figure_png(draw(value)), value
        plt.close("all")


RECYCLED_CALLS = [   # one after the other, each drawn into the figure of the call before
    dict(mask=np.tri(2, 6, 3).astype(bool), title="padding mask (2, 6)"),
    dict(mask=np.tri(2, 12, 5).astype(bool), title="twelve keys"),
    dict(mask=np.ones((3, 1), bool), row_labels=["a", "b", "c"], title="one key"),
    dict(mask=np.tri(2, 4).astype(bool), col_labels=["the", "cat", "sat", "down"],
         title="rotated labels"),                      # long labels: rotated
    dict(mask=np.tri(2, 5).astype(bool), title="short labels again", marks=False),
    dict(mask=np.tri(4, 4).astype(bool), xlabel="keys", ylabel="queries"),
    dict(mask=np.tri(1, 7, 2).astype(bool), title="padding mask (1, 7)"),
]


def test_plot_mask_drawn_into_a_recycled_figure_is_the_picture_of_a_new_one():
    """plot_mask keeps the axes, ticks and canvas of the figure `recycling` offers: nothing of
    the last picture (cells, marks, labels, their rotation, the legend, the layout) may stay."""
    from lib.plots import mask_marks, recycling

    previous, reused = None, 0
    for call in RECYCLED_CALLS:
        with recycling(previous):
            figure = plot_mask(**call)
        reused += figure is previous
        recycled = figure_png(figure)
        plt.close(figure)
        fresh_figure = plot_mask(**call)
        assert recycled == figure_png(fresh_figure), call.get("title", call.get("xlabel"))
        assert mask_marks(figure.axes[0]) == mask_marks(fresh_figure.axes[0])
        plt.close(fresh_figure)
        previous = figure
    assert reused >= len(RECYCLED_CALLS) - 2   # all but the first and the one after rotated labels


def test_a_figure_with_more_than_plot_mask_drew_is_not_recycled():
    """A `draw` that adds to the figure (a note, another axes) gets a new figure each time:
    plot_mask would not remove what it did not draw."""
    from lib.plots import recycling

    for add in (lambda fig: fig.axes[0].annotate("note", (0, 0)),
                lambda fig: fig.add_axes((0, 0, 0.1, 0.1)),
                lambda fig: fig.suptitle("a suptitle")):
        previous = plot_mask(np.tri(2, 6).astype(bool))
        add(previous)
        plt.close(previous)
        with recycling(previous):
            figure = plot_mask(np.tri(2, 7).astype(bool))
        assert figure is not previous
        plt.close(figure)


def test_live_figure_draws_every_value_into_one_figure():
    """What keeps a live slider's first visits fast: no new figure, axes and ticks per value."""
    from lib.widgets import length_slider, live_figure

    drawn = []

    def draw(padded_length):
        mask = np.arange(padded_length)[np.newaxis, :] < np.array([[4], [2]])
        drawn.append(plot_mask(mask, title=f"padding mask (2, {padded_length})"))
        return drawn[-1]

    panel = live_figure(draw, padded_length=length_slider("S", 6, 1, 12))
    for value in (7, 12, 1, 6, 9):
        panel.controls["padded_length"].value = value
    assert panel.renders == 5 and len(drawn) == 5
    assert all(figure is drawn[0] for figure in drawn)


def test_recycling_refuses_what_is_not_a_figure():
    from lib.plots import recycling

    with pytest.raises(MaskError, match="`figure`: expected a matplotlib Figure or None, received str"):
        with recycling("figure"):
            pass


@pytest.mark.parametrize("call", RECYCLED_CALLS + [
    dict(mask=np.tri(2, 4).astype(bool), row_labels=["This is a very long sequence", "short"]),
    dict(mask=np.tri(12, 12).astype(bool)),
    dict(mask=np.tri(1, 12).astype(bool), xlabel="", ylabel=""),
], ids=lambda call: "x".join(map(str, call["mask"].shape)) + " " + call.get("title", ""))
def test_plot_mask_lays_out_as_tight_layout_does(call, monkeypatch):
    """plot_mask measures its one axes once where tight_layout(rect=...) measures it twice:
    the margins must be tight_layout's, to the last bit."""
    import lib.plots

    once = plot_mask(**call).subplotpars
    monkeypatch.setattr(lib.plots, "_tight_layout_one_axes",
                        lambda fig, ax, rect: fig.tight_layout(rect=rect))
    twice = plot_mask(**call).subplotpars
    sides = ("left", "right", "bottom", "top")
    assert [getattr(once, side) for side in sides] == [getattr(twice, side) for side in sides]
