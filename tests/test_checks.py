"""lib.checks: the one validation layer. Each check accepts what it should and names what it
refuses; the builders' own tests cover how they use it."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from lib import checks
from lib.errors import MaskError, MaskTypeError


@pytest.mark.parametrize("value, kwargs, error, match", [
    (True, {}, MaskTypeError, r"`n`: expected an int, received bool True"),
    (np.bool_(True), {}, MaskTypeError, r"received bool True"),
    (2.0, {"minimum": 1}, MaskTypeError, r"`n`: expected an int >= 1, received float 2.0"),
    ("3", {}, MaskTypeError, r"received str '3'"),
    (0, {"minimum": 1}, MaskError, r"`n`: expected an int >= 1, received 0"),
    (11, {"minimum": 1, "maximum": 10}, MaskError, r"expected an int from 1 to 10, received 11"),
    (5, {"maximum": 4}, MaskError, r"expected an int <= 4, received 5"),
])
def test_integer_refuses(value, kwargs, error, match):
    with pytest.raises(error, match=match):
        checks.integer(value, "n", **kwargs)


def test_integer_accepts_numpy_integers_and_returns_an_int():
    assert type(checks.integer(np.int32(3), "n", 1, 3)) is int


@pytest.mark.parametrize("value, kwargs, error, match", [
    (float("nan"), {}, MaskError, r"`x`: expected a finite number, received nan"),
    (float("inf"), {}, MaskError, r"received inf"),
    (-float("inf"), {"maximum": -1e4, "allow_infinite": True}, None, None),
    (0, {"above": 0}, MaskError, r"expected a finite number > 0, received 0.0"),
    (True, {}, MaskTypeError, r"received bool True"),
    ("1", {}, MaskTypeError, r"received str '1'"),
])
def test_real(value, kwargs, error, match):
    if error is None:
        assert checks.real(value, "x", **kwargs) == value
        return
    with pytest.raises(error, match=match):
        checks.real(value, "x", **kwargs)


@pytest.mark.parametrize("value, error, match", [
    ("abc", MaskTypeError, r"`xs`: expected a list of items, received a single str 'abc'"),
    (b"abc", MaskTypeError, r"received a single bytes"),
    (3, MaskTypeError, r"expected a list of items, received int 3"),
    ({"a": 1}, MaskTypeError, r"received dict"),
    ([], MaskError, r"expected a non-empty list of items, received an empty list"),
])
def test_sequence_refuses_strings_numbers_and_empty_lists(value, error, match):
    with pytest.raises(error, match=match):
        checks.sequence(value, "xs", "items")


def test_sequence_accepts_iterables_arrays_and_tensors():
    assert checks.sequence(iter([1, 2]), "xs", "items") == [1, 2]
    assert len(checks.sequence(np.zeros((2, 3)), "xs", "rows")) == 2
    assert len(checks.sequence(tf.zeros((3,)), "xs", "items")) == 3
    with pytest.raises(MaskTypeError, match=r"received ndarray"):
        checks.sequence(np.array(1.0), "xs", "items")


def test_as_array_refuses_what_is_not_a_rectangular_array_of_numbers():
    with pytest.raises(MaskTypeError, match=r"ragged nested lists \(list\)"):
        checks.as_array([[1], [1, 2]], "x")
    with pytest.raises(MaskTypeError, match=r"received dtype <U1"):
        checks.as_array(["a"], "x")
    with pytest.raises(MaskError, match=r"expected integers that fit in 64 bits, received "
                                        r"1180591620717411303424 among them"):
        checks.as_array([1, 2**70], "x")
    with pytest.raises(MaskTypeError, match=r"received list holding NoneType None"):
        checks.as_array([1, None], "x")


def test_as_array_refuses_symbolic_tensors_with_a_reason():
    @tf.function
    def traced(x):
        return checks.as_array(x, "x")
    with pytest.raises(MaskTypeError, match=r"`x`: expected a concrete array .*, received a symbolic "
                                            r"tensor.*\n  This function computes in NumPy"):
        traced(tf.zeros((2,)))


def test_rank_of_an_unknown_rank_tensor_says_how_to_fix_it():
    @tf.function(input_signature=[tf.TensorSpec(None, tf.int32)])
    def traced(ids):
        return checks.rank(ids, 2, "token_ids", "(B, S)")
    with pytest.raises(MaskError, match=r"received a tensor of unknown rank \(give tf.function an "
                                        r"input_signature with a shape\)"):
        traced(tf.zeros((2, 2), tf.int32))


@pytest.mark.parametrize("family, good, bad", [
    ("bool", np.array([True]), np.array([1])),
    ("integer", tf.constant([1]), tf.constant([1.0])),
    ("float", np.array([1.0], np.float16), np.array([1])),
    ("number", np.array([1]), np.array([True])),
])
def test_dtype_family(family, good, bad):
    checks.dtype_family(good, "x", family)
    with pytest.raises(MaskTypeError, match=r"`x`: expected .*, received dtype "):
        checks.dtype_family(bad, "x", family)


def test_in_range_names_values_and_positions():
    with pytest.raises(MaskError, match=r"`ids`: expected ids >= 0, received \[-1, -2, -3, -4, -5\] at "
                                        r"positions .* and more"):
        checks.in_range(-np.arange(1, 8), "ids", 0, None, "ids")


@pytest.mark.parametrize("value, match", [
    (np.array([[0, 1, 2]]), r"received also the values \[2\]"),
    (np.array([[0.0, -1e4]]), r"received an additive mask \(0 = keep, -10000 = drop\)"),
    (np.array([[0.0, np.nan]]), r"expected finite numbers"),
])
def test_mask_values_refuses_what_would_be_drawn_wrongly(value, match):
    with pytest.raises(MaskError, match=match):
        checks.mask_values(value, "mask")


def test_mask_values_accepts_booleans_and_zero_one_numbers():
    assert checks.mask_values([[1, 0]], "mask").tolist() == [[True, False]]
    assert checks.mask_values(np.array([[1.0, 0.0]]), "mask").dtype == bool


@pytest.mark.parametrize("value, error, match", [
    (np.int8, MaskTypeError, r"received int8"),
    ("float", None, None),
    (tf.float16, None, None),
    ("nonsense", MaskTypeError, r"received str 'nonsense'"),
])
def test_float_dtype(value, error, match):
    if error is None:
        assert np.issubdtype(checks.float_dtype(value, "dtype"), np.floating)
        return
    with pytest.raises(error, match=match):
        checks.float_dtype(value, "dtype")


def test_labels():
    assert checks.labels(None, 3, "row_labels") is None
    assert checks.labels((1, 2), 2, "row_labels") == ["1", "2"]
    with pytest.raises(MaskTypeError, match=r"`row_labels`: expected a list of labels, received a single str"):
        checks.labels("ab", 2, "row_labels")
