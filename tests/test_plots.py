"""lib.plots: every figure draws what it was given, and refuses what it would draw wrongly.

A mask is drawn by casting to bool, so an additive mask (0 / -1e9) would be drawn
inverted and NaN as True; weights outside 0..1 or labels that do not match the
rows would give a figure that lies. Each of those is refused with a lib.errors error.
"""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from lib.errors import MaskError, MaskTypeError
from lib.memory import mask_memory, memory_table
from lib.plots import (
    draw_mask,
    draw_weights,
    mask_marks,
    plot_broadcast,
    plot_mask,
    plot_masks,
    plot_memory,
    plot_outer,
    plot_times,
    plot_weights,
)
from lib.timing import Timing

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def marks(ax) -> list[str]:
    """The mark drawn in each cell of a mask panel, row by row (lib.plots.mask_marks)."""
    return mask_marks(ax)


def texts(ax) -> list[str]:
    return [text.get_text() for text in ax.texts]


# --- masks: what is drawn is what was given ------------------------------------------------------

@pytest.mark.parametrize("mask", [
    [[True, False]], [[1, 0]], np.array([[1.0, 0.0]]), np.array([[1, 0]], dtype=np.uint8),
], ids=["bool", "int", "float", "uint8"])
def test_zero_one_masks_are_drawn_as_booleans(mask):
    fig = plot_mask(mask)
    assert marks(fig.axes[0]) == ["✓", "·"]


def test_mask_marks_are_two_stamped_glyphs_not_a_text_per_cell():
    """What keeps a live slider's redraw fast: a text per cell is laid out and drawn one by one
    (most of the redraw), the marks are one collection per kind of mark instead."""
    mask = np.tri(3, 12, 4).astype(bool)
    ax = plot_mask(mask).axes[0]
    assert len(ax.texts) == 0
    stamps = [c for c in ax.collections if str(c.get_label()).startswith("_mask marks")]
    assert sorted(str(c.get_label())[-1] for c in stamps) == ["·", "✓"]
    assert sum(len(c.get_offsets()) for c in stamps) == mask.size
    assert marks(ax) == ["✓" if value else "·" for value in mask.ravel()]


def test_mask_marks_names_what_is_not_an_axes():
    with pytest.raises(MaskTypeError, match="`ax`: expected a matplotlib Axes, received Figure"):
        mask_marks(plot_mask([[True]]))


@pytest.mark.parametrize("bad, match", [
    (np.array([[0.0, -1e9]]),
     r"`mask`: expected a boolean mask \(True = may attend\) or 0/1 values, received an additive "
     r"mask \(0 = keep, -1e\+09 = drop\)\.\n  Convert it first: lib.conventions.additive_to_keras"),
    (np.array([[0.0, -np.inf]]), r"`mask`: expected finite numbers, received 1 NaN or infinite entry"),
    (np.array([[1.0, np.nan]]), r"`mask`: expected finite numbers, received 1 NaN or infinite entry, "
                                r"at index \[\(0, 1\)\]"),
    (np.array([[0.5, 1.0]]), r"`mask`: expected a boolean mask .*, received also the values \[0.5\]"),
    ([[2, 0]], r"received also the values \[2\]"),
    ([["a", "b"]], r"`mask`: expected an array of numbers or booleans, received dtype <U1"),
    ([[True], [False, True]], r"`mask`: expected a rectangular array"),
    (np.ones((2, 2, 2), bool), r"`mask`: expected rank 2 \(rows, columns\) matrix, or a 1-D row, "
                               r"received rank 3 \(shape \(2, 2, 2\)"),
], ids=["additive", "minus-inf", "nan", "half", "two", "strings", "ragged", "rank-3"])
def test_draw_mask_refuses_what_a_cast_to_bool_would_draw_wrongly(bad, match):
    fig, ax = plt.subplots()
    with pytest.raises(MaskError, match=match):
        draw_mask(ax, bad)
    with pytest.raises(MaskError, match=match):
        plot_mask(bad)


def test_additive_mask_is_refused_everywhere_a_mask_is_drawn():
    additive = np.array([[0.0, -1e9], [0.0, 0.0]])
    weights = np.full((1, 2, 2), 0.5)
    for draw in (lambda: plot_masks([additive], ["t"]),
                 lambda: plot_weights(weights, mask=additive),
                 lambda: plot_broadcast(additive[0], [True, False]),
                 lambda: plot_outer([True, True], additive[0])):
        with pytest.raises(MaskError, match=r"received an additive mask"):
            draw()


@pytest.mark.parametrize("kwargs, match", [
    ({"row_labels": ["a"]}, r"`row_labels`: expected 2 labels, one per row, received 1: \['a'\]"),
    ({"col_labels": ["a", "b", "c", "d"]}, r"`col_labels`: expected 3 labels, one per column, received 4"),
    ({"col_labels": "abc"}, r"`col_labels`: expected a list of labels, received a single str 'abc'"),
])
def test_labels_must_be_one_per_row_and_column(kwargs, match):
    with pytest.raises(MaskError, match=match):
        plot_mask(np.ones((2, 3), bool), **kwargs)
    fig, ax = plt.subplots()
    with pytest.raises(MaskError, match=match):
        draw_weights(ax, np.full((2, 3), 0.25), **kwargs)


@pytest.mark.parametrize("kwargs, match", [
    ({"titles": ["one"]}, r"`titles`: expected 2 labels, one per mask, received 1"),
    ({"titles": ["a", "b"], "row_labels": [None]},
     r"`row_labels`: expected 2 label lists, one per mask \(None for numbers\), received 1"),
])
def test_plot_masks_needs_one_title_and_label_list_per_mask(kwargs, match):
    with pytest.raises(MaskError, match=match):
        plot_masks([np.ones((2, 2), bool)] * 2, **kwargs)


# --- weights --------------------------------------------------------------------------------

@pytest.mark.parametrize("weights, error, match", [
    (np.array([[0.5, np.nan]]), MaskError, r"`weights`: expected finite numbers, received 1 NaN"),
    (np.array([[0.5, 1.5]]), MaskError,
     r"`weights`: expected weights from 0.0 to 1.000001, received 1.5 at position \(0, 1\)\.\n"
     r"  Attention weights are probabilities"),
    (np.array([[-0.2, 1.0]]), MaskError, r"received -0.2 at position \(0, 0\)"),
    (np.array([[True, False]]), MaskTypeError,
     r"`weights`: expected a number dtype \(not bool\) \(attention weights\), received dtype bool"),
])
def test_draw_weights_refuses_what_are_not_weights(weights, error, match):
    fig, ax = plt.subplots()
    with pytest.raises(error, match=match):
        draw_weights(ax, weights)


@pytest.mark.parametrize("kwargs, match", [
    ({"weights": np.full((2, 2), 0.5)},
     r"`weights`: expected rank 3 or 4 \(H, T, S\) or \(B, H, T, S\) attention weights, received rank 2"),
    ({"weights": np.full((1, 2, 2), 0.5), "mask": np.ones((3, 3), bool)},
     r"`mask`: expected shape \(1, 2, 2\) to match the weights, received shape \(1, 3, 3\)"),
    ({"weights": np.full((2, 1, 2, 2), 0.5), "row_titles": ["only one"]},
     r"`row_titles`: expected 2 entries, one per sentence \(B\), received 1"),
    ({"weights": np.full((1, 2, 2), 0.5), "query_labels": ["a", "b", "c"]},
     r"`row_labels`: expected 2 labels, one per row, received 3"),
])
def test_plot_weights_refuses_mismatched_arguments(kwargs, match):
    with pytest.raises(MaskError, match=match):
        plot_weights(**kwargs)


def test_plot_weights_draws_the_mask_and_every_head():
    weights = np.array([[[1.0, 0.0], [0.5, 0.5]], [[0.0, 1.0], [0.25, 0.75]]])
    fig = plot_weights(weights, ["a", "b"], ["a", "b"], mask=[[True, False], [True, True]])
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["attention mask", "head 0", "head 1"]
    assert marks(fig.axes[0]) == ["✓", "·", "✓", "✓"]
    assert texts(fig.axes[2])[:4] == ["0", "1.00", "0.25", "0.75"]


# --- the pictures -----------------------------------------------------------------------------


def test_plot_broadcast_draws_the_stretch_and_the_and():
    column = [[True], [True], [False]]
    row = [[True, False, True, True]]
    fig = plot_broadcast(column, row, suptitle="demo")
    try:
        assert len(fig.axes) == 3
        assert [ax.get_title().splitlines()[0] for ax in fig.axes] == [
            "query_mask (T, 1) = (3, 1)", "key_mask (1, S) = (1, 4)", "query_mask & key_mask"]
        marks = [mask_marks(ax) for ax in fig.axes]
        expected_and = np.outer([1, 1, 0], [1, 0, 1, 1]).astype(bool).ravel()
        assert marks[2] == ["✓" if value else "·" for value in expected_and]
        assert marks[0] == ["✓"] * 8 + ["·"] * 4                       # rows copied across
        assert marks[1] == ["✓", "·", "✓", "✓"] * 3                    # row copied down
        assert {t.get_text() for t in fig.texts} >= {"&", "="}
    finally:
        plt.close(fig)


def test_plot_outer_draws_the_margins_and_the_table():
    fig = plot_outer([True, False], [True, True, False], title="demo")
    try:
        corner, top, left, body = fig.axes
        assert [t.get_text() for t in corner.texts] == ["&"]
        assert mask_marks(top) == ["✓", "✓", "·"]
        assert mask_marks(left) == ["✓", "·"]
        assert mask_marks(body) == ["✓", "✓", "·", "·", "·", "·"]
        assert top.get_title() == "demo"
    finally:
        plt.close(fig)


@pytest.mark.parametrize("plot", [plot_broadcast, plot_outer])
def test_pictures_reject_a_matrix_instead_of_a_vector(plot):
    with pytest.raises(MaskError, match=r"`query_mask`: expected a vector \(one axis longer than 1, "
                       r"e.g. \(T, 1\) or \(1, S\)\), received shape \(2, 2\)\."):
        plot([[True, False], [True, True]], [True, False])


# --- figures ------------------------------------------------------------------------------------

def test_plot_memory_draws_one_line_per_quantity_on_log_axes():
    fig = plot_memory(memory_table(8, [128, 256, 512], heads=8), title="memory")
    ax = fig.axes[0]
    assert (ax.get_xscale(), ax.get_yscale(), ax.get_title()) == ("log", "log", "memory")
    assert len(ax.get_lines()) == 4
    single_head = plot_memory(memory_table(8, [128, 256], heads=1))
    assert len(single_head.axes[0].get_lines()) == 3          # one head: no separate per-head line


def test_plot_times_draws_medians_and_the_reference_line():
    timings = {"a": [Timing((0.001, 0.002, 0.003)), Timing((0.004,))], "b": [Timing((0.001,))] * 2}
    fig = plot_times([8, 16], timings, "measured", reference="a")
    ax = fig.axes[0]
    assert (ax.get_xscale(), ax.get_yscale(), ax.get_title()) == ("log", "log", "measured")
    reference = [line for line in ax.get_lines() if line.get_label() == "O(B·T·S): slope 2"]
    assert len(reference) == 1
    assert list(reference[0].get_ydata()) == pytest.approx([1.0, 4.0])   # ms, through (16, 4 ms)
    assert sorted(text.get_text() for text in ax.get_legend().get_texts()) == [
        "O(B·T·S): slope 2", "a", "b"]


def test_plot_times_rejects_an_unknown_reference():
    with pytest.raises(MaskError, match=r"`reference`: expected one of \['a'\], received 'c'"):
        plot_times([8], {"a": [Timing((0.001,))]}, "t", reference="c")


def test_plot_memory_rejects_other_rows():
    with pytest.raises(MaskTypeError, match=r"`rows\[0\]`: expected a MaskMemory"):
        plot_memory([1, 2])
    with pytest.raises(MaskError, match=r"`rows`: expected self-attention rows \(T = S\)"):
        plot_memory([mask_memory(2, 4, key_length=8)])


def test_plot_memory_labels_the_scores_with_their_dtype():
    fig = plot_memory(memory_table(2, [4, 8], heads=2, scores_dtype="float16"))
    labels = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert labels[:2] == ["float16 scores, all H heads (B, H, T, S)",
                          "float16 scores, one head (B, 1, T, S)"]


def test_plot_times_rejects_bad_timings():
    with pytest.raises(MaskError, match=r"`timings\['a'\]`: expected 2 Timing objects"):
        plot_times([1, 2], {"a": [Timing((1.0,))]}, "title")
