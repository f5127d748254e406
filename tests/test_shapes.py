"""Tests of :mod:`lib.shapes` (broadcasting, axis by axis; chapter 4), checked against NumPy and
TensorFlow, and of the broadcasting pictures of :mod:`lib.plots` built on the same idea."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st

from lib.errors import MaskError, MaskTypeError
from lib.shapes import broadcast_shape, broadcast_table


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
    with pytest.raises(MaskError, match=r"`shapes`: expected a non-empty list of shapes, "
                                        r"received an empty list\."):
        broadcast_shape()


@pytest.mark.parametrize(
    "shape, error, pattern",
    [
        (5, MaskTypeError, r"`shapes\[1\]`: expected a list of axis lengths, received int 5\."),
        ("23", MaskTypeError, r"`shapes\[1\]`: expected a list of axis lengths, received a single str"),
        ((2, -1), MaskError, r"`shapes\[1\]\[1\]`: expected an int >= 0, received -1\."),
        ((2, 1.5), MaskTypeError, r"`shapes\[1\]\[1\]`: expected an int >= 0, received float 1\.5\."),
        ((2, None), MaskTypeError,
         r"`shapes\[1\]\[1\]`: expected an int >= 0, received NoneType None\."),
        ((True,), MaskTypeError, r"`shapes\[1\]\[0\]`: expected an int >= 0, received bool True\."),
    ],
    ids=["not-a-tuple", "str", "negative", "float", "unknown", "bool"],
)
def test_broadcast_shape_rejects_bad_shapes(shape, error, pattern):
    with pytest.raises(error, match=pattern):
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
