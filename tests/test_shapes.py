"""Tests of :mod:`lib.shapes` (broadcasting, axis by axis; chapter 4), checked against NumPy and
TensorFlow, and of the broadcasting pictures of :mod:`lib.plots` built on the same idea."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from lib.errors import MaskError, MaskTypeError  # noqa: E402
from lib.plots import plot_broadcast, plot_outer  # noqa: E402
from lib.shapes import broadcast_shape, broadcast_table  # noqa: E402


@pytest.mark.parametrize(
    "shapes, result",
    [
        (((2, 6, 1), (2, 1, 6)), (2, 6, 6)),            # query_mask & key_mask
        (((1, 2, 1, 4), (1, 1, 2, 4)), (1, 2, 2, 4)),   # the question's 3-D toy input
        (((1, 6, 6), (2, 6, 6)), (2, 6, 6)),            # causal & padding
        (((6,), (2, 6, 1)), (2, 6, 6)),                 # a missing axis counts as 1
        (((), (3,)), (3,)),
        (((2, 3),), (2, 3)),
        ((tf.TensorShape([2, 6, 1]), [2, 1, 6]), (2, 6, 6)),
        (((np.int64(2), 1), (1, 3)), (2, 3)),
    ],
)
def test_broadcast_shape(shapes, result):
    assert broadcast_shape(*shapes) == result
    arrays = [np.zeros(tuple(int(d) for d in shape)) for shape in shapes]
    assert np.broadcast_shapes(*(a.shape for a in arrays)) == result


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from([1, 2, 3]), min_size=0, max_size=4),
    st.lists(st.sampled_from([1, 2, 3]), min_size=0, max_size=4),
)
def test_broadcast_shape_agrees_with_numpy_and_tensorflow(first, second):
    try:
        expected = np.broadcast_shapes(tuple(first), tuple(second))
    except ValueError:
        with pytest.raises(MaskError, match=r"expected lengths that are equal or 1 on every axis"):
            broadcast_shape(first, second)
        return
    assert broadcast_shape(first, second) == expected
    assert tuple(tf.broadcast_static_shape(tf.TensorShape(first), tf.TensorShape(second))) == expected


def test_broadcast_shape_names_the_clashing_axis():
    with pytest.raises(
        MaskError,
        match=r"`shapes`: expected lengths that are equal or 1 on every axis \(aligned from the right\), "
        r"received 2 and 3 on axis -3 of \(2, 6, 1\) and \(3, 1, 6\)\.",
    ):
        broadcast_shape((2, 6, 1), (3, 1, 6))


def test_broadcast_shape_rejects_no_shapes():
    with pytest.raises(MaskError, match=r"`shapes`: expected at least one shape, received none\."):
        broadcast_shape()


@pytest.mark.parametrize(
    "shape, pattern",
    [
        (5, r"`shapes\[1\]`: expected a tuple of axis lengths, received 5\."),
        ((2, -1), r"`shapes\[1\]`: expected a tuple of non-negative int axis lengths, received \(2, -1\)\."),
        ((2, 1.5), r"`shapes\[1\]`: expected a tuple of non-negative int axis lengths, received \(2, 1\.5\)\."),
        ((2, None), r"`shapes\[1\]`: expected a tuple of non-negative int axis lengths, received \(2, None\)\."),
        ((True,), r"`shapes\[1\]`: expected a tuple of non-negative int axis lengths, received \(True,\)\."),
    ],
    ids=["not-a-tuple", "negative", "float", "unknown", "bool"],
)
def test_broadcast_shape_rejects_bad_shapes(shape, pattern):
    with pytest.raises(MaskTypeError, match=pattern):
        broadcast_shape((2, 3), shape)


def test_broadcast_table_marks_the_stretched_axes():
    table = broadcast_table((1, 2, 1, 4), (1, 1, 2, 4))
    lines = table.splitlines()
    assert lines[0].split() == ["axis", "-4", "axis", "-3", "axis", "-2", "axis", "-1"]
    assert lines[1].endswith("1        2    1 → 2        4")
    assert lines[2].endswith("1    1 → 2        2        4")
    assert lines[3].split() == ["result", "1", "2", "2", "4"]


def test_broadcast_table_marks_missing_axes():
    assert "· → 2" in broadcast_table((6,), (2, 6, 1)).splitlines()[1]


def test_broadcast_table_refuses_shapes_that_do_not_broadcast():
    with pytest.raises(MaskError, match=r"received 2 and 3 on axis -3"):
        broadcast_table((2, 6, 1), (3, 1, 6))


# --- the pictures -----------------------------------------------------------------------------


def test_plot_broadcast_draws_the_stretch_and_the_and():
    column = [[True], [True], [False]]
    row = [[True, False, True, True]]
    fig = plot_broadcast(column, row, suptitle="demo")
    try:
        assert len(fig.axes) == 3
        assert [ax.get_title().splitlines()[0] for ax in fig.axes] == [
            "query_mask (T, 1) = (3, 1)", "key_mask (1, S) = (1, 4)", "query_mask & key_mask"]
        marks = [[t.get_text() for t in ax.texts] for ax in fig.axes]
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
        assert [t.get_text() for t in top.texts] == ["✓", "✓", "·"]
        assert [t.get_text() for t in left.texts] == ["✓", "·"]
        assert [t.get_text() for t in body.texts] == ["✓", "✓", "·", "·", "·", "·"]
        assert top.get_title() == "demo"
    finally:
        plt.close(fig)


@pytest.mark.parametrize("plot", [plot_broadcast, plot_outer])
def test_pictures_reject_a_matrix_instead_of_a_vector(plot):
    with pytest.raises(ValueError, match=r"`query_mask`: expected a vector \(one axis longer than 1\), received shape \(2, 2\)\."):
        plot([[True, False], [True, True]], [True, False])
