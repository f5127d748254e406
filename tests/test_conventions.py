"""Chapter 10: converters between Keras's boolean masks and other frameworks' conventions."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from hypothesis.extra.numpy import arrays

from lib.conventions import (
    additive_to_keras,
    hf_to_keras_padding,
    keras_padding_to_hf,
    keras_padding_to_old_tf,
    keras_to_additive,
    keras_to_sdpa,
    keras_to_torch_attn_mask,
    keras_to_torch_key_padding,
    old_tf_padding_to_keras,
    sdpa_to_keras,
    softmax,
    torch_attn_mask_to_keras,
    torch_key_padding_to_keras,
)
from lib.errors import MaskError, MaskTypeError
from lib.example import seed_token_ids
from lib.masks import padding_mask, self_attention_mask

small = st.integers(1, 5)
padding_masks = st.tuples(small, small).flatmap(lambda shape: arrays(np.bool_, shape))
attention_masks = st.tuples(small, small, small).flatmap(lambda shape: arrays(np.bool_, shape))


@pytest.fixture()
def seed_padding() -> np.ndarray:
    return padding_mask(seed_token_ids()).numpy()


# --- round trips ------------------------------------------------------------------------------

@given(padding_masks)
def test_torch_key_padding_round_trip_and_meaning(mask):
    torch_mask = keras_to_torch_key_padding(mask)
    assert torch_mask.dtype == np.bool_ and (torch_mask == ~mask).all()
    assert np.array_equal(torch_key_padding_to_keras(torch_mask), mask)


@given(attention_masks, st.integers(1, 4))
def test_torch_attn_mask_round_trip_and_layout(mask, heads):
    torch_mask = keras_to_torch_attn_mask(mask, num_heads=heads)
    batch = mask.shape[0]
    assert torch_mask.shape == (batch * heads, *mask.shape[1:])
    for b in range(batch):            # sentence-major: row b * H + h belongs to sentence b
        for h in range(heads):
            assert np.array_equal(torch_mask[b * heads + h], ~mask[b])
    assert np.array_equal(torch_attn_mask_to_keras(torch_mask, num_heads=heads), mask)


@given(st.tuples(small, small).flatmap(lambda shape: arrays(np.bool_, shape)))
def test_torch_2d_attn_mask_round_trip(matrix):
    keras_mask = torch_attn_mask_to_keras(matrix)
    assert keras_mask.shape == (1, *matrix.shape)
    assert np.array_equal(keras_to_torch_attn_mask(keras_mask), matrix)


@given(attention_masks)
def test_sdpa_round_trip_keeps_the_meaning(mask):
    sdpa = keras_to_sdpa(mask)
    assert sdpa.shape == (mask.shape[0], 1, *mask.shape[1:])
    assert np.array_equal(sdpa[:, 0], mask)          # True = take part, as in Keras
    assert np.array_equal(sdpa_to_keras(sdpa), mask)


@given(padding_masks)
def test_hugging_face_round_trip(mask):
    hf = keras_padding_to_hf(mask)
    assert hf.dtype == np.int64 and set(np.unique(hf)) <= {0, 1}
    assert np.array_equal(hf_to_keras_padding(hf), mask)


@given(padding_masks)
def test_old_tensorflow_round_trip(mask):
    old = keras_padding_to_old_tf(mask)
    assert old.shape == (mask.shape[0], 1, 1, mask.shape[1]) and old.dtype == np.float32
    assert np.array_equal(old[:, 0, 0] == 1.0, ~mask)  # 1.0 = pad
    assert np.array_equal(old_tf_padding_to_keras(old), mask)


@settings(max_examples=50)
@given(attention_masks, st.sampled_from([-1e9, -np.inf, -1e4, float(np.finfo(np.float32).min)]),
       st.sampled_from([np.float32, np.float64]))
def test_additive_round_trip(mask, neg, dtype):
    additive = keras_to_additive(mask, neg=neg, dtype=dtype)
    assert additive.dtype == dtype and additive.shape == mask.shape
    assert (additive[mask] == 0).all() and (additive[~mask] == dtype(neg)).all()
    assert np.array_equal(additive_to_keras(additive), mask)


@settings(max_examples=50, deadline=None)
@given(st.tuples(small, small, st.integers(2, 5)).flatmap(lambda shape: arrays(np.bool_, shape)),
       st.integers(0, 2**31 - 1))
def test_additive_and_boolean_give_the_same_weights_on_rows_with_a_key(mask, seed):
    scores = np.random.default_rng(seed).normal(size=mask.shape).astype(np.float32)
    boolean = np.asarray(keras.layers.Softmax()(scores, mask=mask))   # Keras's boolean path
    rows = mask.any(axis=-1)
    for neg in (-1e9, -np.inf):
        additive = softmax(scores + keras_to_additive(mask, neg=neg))
        np.testing.assert_allclose(additive[rows], boolean[rows], atol=1e-6)


def test_rows_without_a_key_differ_by_convention():
    mask = np.array([[[True, False], [False, False]]])                 # query 1 sees no key
    scores = np.array([[[0.3, -0.2], [0.1, 0.4]]], np.float32)
    keras_weights = np.asarray(keras.layers.Softmax()(scores, mask=mask))
    assert keras_weights[0, 1].tolist() == [0.0, 0.0]                  # Keras: zeros
    assert np.allclose(softmax(scores + keras_to_additive(mask))[0, 1], 0.5)   # -1e9: uniform
    assert np.isnan(softmax(scores + keras_to_additive(mask, neg=-np.inf))[0, 1]).all()


def test_softmax_rejects_integers():
    with pytest.raises(MaskTypeError, match=r"`scores`: expected a float dtype \(attention scores\), received dtype int64"):
        softmax(np.array([1, 2], np.int64))


def test_seed_example_in_every_spelling(seed_padding):
    assert keras_to_torch_key_padding(seed_padding).astype(int).tolist() == [[0] * 6, [0, 0, 0, 1, 1, 1]]
    assert keras_padding_to_hf(seed_padding).tolist() == [[1] * 6, [1, 1, 1, 0, 0, 0]]
    attention = self_attention_mask(seed_padding).numpy()
    assert keras_to_torch_attn_mask(attention, num_heads=2).shape == (4, 6, 6)


def test_accepts_tensors_and_lists(seed_padding):
    tensor = tf.constant(seed_padding)
    assert np.array_equal(keras_to_torch_key_padding(tensor), ~seed_padding)
    assert np.array_equal(hf_to_keras_padding(seed_padding.astype(int).tolist()), seed_padding)


# --- error paths ------------------------------------------------------------------------------

def test_wrong_rank():
    with pytest.raises(MaskError, match=r"`padding_mask`: expected rank 2 \(B, S\), received rank 3 \(shape \(1, 2, 4\)"):
        keras_to_torch_key_padding(np.ones((1, 2, 4), bool))
    with pytest.raises(MaskError, match=r"`attn_mask`: expected rank 2 or 3 \(T, S\) or \(B \* H, T, S\), received rank 1"):
        torch_attn_mask_to_keras(np.ones(3, bool))
    with pytest.raises(MaskError, match=r"`attention_mask`: expected rank 3 \(B, T, S\), received rank 2"):
        keras_to_sdpa(np.ones((2, 3), bool))
    with pytest.raises(MaskError, match=r"`mask`: expected rank 4 \(B, 1, 1, S\), received rank 2"):
        old_tf_padding_to_keras(np.zeros((2, 3), np.float32))


def test_wrong_dtype():
    with pytest.raises(MaskTypeError, match=r"`padding_mask`: expected dtype bool \(True = real token\), received dtype int64"):
        keras_to_torch_key_padding(np.ones((2, 3), np.int64))
    with pytest.raises(MaskTypeError, match=r"`key_padding_mask`: expected dtype bool \(True = ignore this key\), received dtype float32"):
        torch_key_padding_to_keras(np.zeros((2, 3), np.float32))
    with pytest.raises(MaskTypeError, match=r"`additive`: expected a float dtype .*, received dtype bool"):
        additive_to_keras(np.ones((2, 3), bool))
    with pytest.raises(MaskTypeError, match=r"`mask`: expected dtype bool \(True = may attend\), received dtype float64"):
        keras_to_additive(np.zeros((2, 3)))
    with pytest.raises(TypeError, match=r"`attention_mask`: expected an array of numbers or booleans, received dtype <U1"):
        hf_to_keras_padding([["a", "b"]])
    with pytest.raises(MaskTypeError, match=r"expected a rectangular array .*, received ragged"):
        hf_to_keras_padding([[1, 1], [1]])


def test_wrong_values():
    with pytest.raises(MaskError, match=r"`attention_mask`: expected only the values 0 and 1 .*, received also \[2\]"):
        hf_to_keras_padding([[1, 2, 0]])
    with pytest.raises(MaskError, match=r"`mask`: expected only the values 0 and 1 \(1.0 = pad.*received also \[-1000000000.0\]"):
        old_tf_padding_to_keras(np.array([[[[0.0, -1e9]]]], np.float32))
    with pytest.raises(MaskError, match=r"`additive`: expected only 0 \(keep\) and large negative values .*, received also \[-0.5\]"):
        additive_to_keras(np.array([[0.0, -0.5, -1e9]]))
    with pytest.raises(MaskError, match=r"`neg`: expected a number <= -10000.0, received 1.0\.\n  A large negative number, or -inf"):
        keras_to_additive(np.ones((1, 2), bool), neg=1)
    with pytest.raises(MaskError, match=r"`neg`: expected a number <= -10000.0, received nan"):
        keras_to_additive(np.ones((1, 2), bool), neg=float("nan"))
    with pytest.raises(MaskError, match=r"`mask`: expected shape \(B, 1, 1, S\), received shape \(2, 1, 3, 4\)"):
        old_tf_padding_to_keras(np.zeros((2, 1, 3, 4), np.float32))


def test_heads_and_batch_layout_errors():
    differing = np.array([[[True, False]], [[True, True]]])            # (2, 1, 2)
    with pytest.raises(MaskError, match=r"expected the same \(T, S\) mask for every sentence .*, received a mask that differs"):
        keras_to_torch_attn_mask(differing)
    with pytest.raises(MaskError, match=r"`num_heads`: expected an int >= 1, received 0"):
        keras_to_torch_attn_mask(differing, num_heads=0)
    with pytest.raises(MaskError, match=r"`num_heads`: expected the number of heads H .*, received None"):
        torch_attn_mask_to_keras(np.zeros((4, 2, 2), bool))
    with pytest.raises(MaskError, match=r"expected a first axis that is a multiple of num_heads=3 \(B \* H\), received 4"):
        torch_attn_mask_to_keras(np.zeros((4, 2, 2), bool), num_heads=3)
    per_head = np.zeros((2, 1, 2), bool)
    per_head[1, 0, 0] = True                                            # head 1 differs from head 0
    with pytest.raises(MaskError, match=r"expected the same matrix for every head of a sentence .*, received matrices that differ"):
        torch_attn_mask_to_keras(per_head, num_heads=2)
    with pytest.raises(MaskError, match=r"expected a head axis of size 1, .*, received shape \(2, 3, 4, 4\)"):
        sdpa_to_keras(np.ones((2, 3, 4, 4), bool))


@pytest.mark.parametrize("dtype, match", [
    (np.int8, r"`dtype`: expected a float dtype \(float16, float32 or float64\), received int8"),
    (bool, r"`dtype`: expected a float dtype .*, received bool"),
    ("complex64", r"received complex64"),
    ("no such dtype", r"received str 'no such dtype'"),
])
def test_keras_to_additive_refuses_dtypes_that_cannot_hold_an_additive_mask(dtype, match):
    """int8 once gave all zeros and bool an inverted mask, silently."""
    with pytest.raises(MaskTypeError, match=match):
        keras_to_additive(np.array([[True, False]]), dtype=dtype)


def test_keras_to_additive_refuses_a_neg_that_overflows_float16():
    """-1e9 in float16 is -inf: a row with no allowed key then becomes NaN after the softmax."""
    with pytest.raises(MaskError, match=r"`neg`: expected a number that float16 can hold \(>= -65504\), "
                                        r"or -inf, received -1e\+09\.\n  In float16, -1e\+09 would become -inf"):
        keras_to_additive(np.array([[True, False]]), dtype=np.float16)
    additive = keras_to_additive(np.array([[True, False]]), neg=-65504.0, dtype="float16")
    assert additive.dtype == np.float16 and np.isfinite(additive).all()
    row = softmax(additive.astype(np.float32) + np.zeros((1, 2), np.float32))
    assert np.allclose(row, [[1.0, 0.0]])


@settings(max_examples=60, deadline=None)
@given(mask=hnp.arrays(st.sampled_from([np.bool_, np.int64, np.float32]),
                       hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
                       elements=st.integers(0, 1)))
def test_torch_key_padding_is_the_inverse_or_refuses(mask):
    if mask.dtype == bool and mask.ndim == 2:
        assert np.array_equal(keras_to_torch_key_padding(mask), ~mask)
        assert np.array_equal(torch_key_padding_to_keras(keras_to_torch_key_padding(mask)), mask)
    else:
        with pytest.raises(MaskError):
            keras_to_torch_key_padding(mask)


@settings(max_examples=60, deadline=None)
@given(mask=st.tuples(
    hnp.arrays(np.int64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3),
               elements=st.integers(-1, 2)),
    st.sampled_from([np.int64, np.float32, np.bool_]),
).map(lambda drawn: drawn[0].astype(drawn[1])))
def test_hf_to_keras_padding_is_right_or_refuses(mask):
    if mask.ndim == 2 and np.isin(mask, [0, 1]).all():
        assert np.array_equal(hf_to_keras_padding(mask), mask.astype(bool))
    else:
        with pytest.raises(MaskError):
            hf_to_keras_padding(mask)
