"""Unit tests of :mod:`lib.masks`: every builder's shapes and values, and every error path.

Error tests check the message in the "`argument`: expected ..., received ..." form of
:mod:`lib.errors`: it must name what was expected and what arrived.
"""

from __future__ import annotations

import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from lib.errors import MaskError, MaskTypeError
from lib.masks import (
    PAD_ID,
    causal_mask,
    combine,
    cross_attention_mask,
    key_mask,
    padding_mask,
    query_mask,
    self_attention_mask,
)

SEED_IDS = [[1, 3, 2, 7, 4, 5], [1, 3, 6, 0, 0, 0]]
SEED_MASK = [[True] * 6, [True] * 3 + [False] * 3]
TOY_3D = [[[1, 0, 3, 0], [1, 2, 0, 0]]]          # the question's (1, 2, 4) toy input


def as_numpy(tensor: tf.Tensor) -> np.ndarray:
    assert isinstance(tensor, tf.Tensor)
    return tensor.numpy()


# --- padding_mask -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ids",
    [
        SEED_IDS,
        np.array(SEED_IDS, dtype=np.int32),
        np.array(SEED_IDS, dtype=np.int64),
        np.array(SEED_IDS, dtype=np.uint8),
        tf.constant(SEED_IDS),
        tf.constant(SEED_IDS, dtype=tf.int64),
        tf.Variable(SEED_IDS),
    ],
    ids=["list", "np-int32", "np-int64", "np-uint8", "tf-int32", "tf-int64", "tf-variable"],
)
def test_padding_mask_of_the_seed_batch(ids):
    mask = padding_mask(ids)
    assert mask.dtype == tf.bool
    assert mask.shape == (2, 6)
    assert as_numpy(mask).tolist() == SEED_MASK


def test_padding_mask_equals_the_embedding_mask():
    embedding = keras.layers.Embedding(input_dim=10, output_dim=4, mask_zero=True)
    ids = np.array(SEED_IDS)
    assert np.array_equal(as_numpy(padding_mask(ids)), embedding.compute_mask(ids).numpy())


def test_padding_mask_pad_id():
    assert PAD_ID == 0
    mask = padding_mask([[4, 7, 9, 7]], pad_id=7)
    assert as_numpy(mask).tolist() == [[True, False, True, False]]
    assert as_numpy(padding_mask([[4, 7]], pad_id=np.int64(7))).tolist() == [[True, False]]


def test_padding_mask_zero_in_the_middle_is_masked_too():
    assert as_numpy(padding_mask([[1, 0, 3, 0]])).tolist() == [[True, False, True, False]]


@pytest.mark.parametrize(
    "ids, pattern",
    [
        ([1, 3, 6], r"`token_ids`: expected rank 2 \(B, S\) token ids, received rank 1 \(shape \(3,\)"),
        (7, r"`token_ids`: expected rank 2 \(B, S\) token ids, received rank 0 \(shape \(\)"),
        (
            TOY_3D,
            r"`token_ids`: expected rank 2 \(B, S\) token ids, received rank 3 \(shape \(1, 2, 4\)"
            r".*\[\[\[1, 0, 3, 0\], \[1, 2, 0, 0\]\]\] has an extra axis",
        ),
    ],
    ids=["rank-1", "rank-0", "seed-3d-toy"],
)
def test_padding_mask_rejects_wrong_rank(ids, pattern):
    with pytest.raises(MaskError, match=pattern):
        padding_mask(ids)


def test_padding_mask_rejects_the_seed_toy_from_tensorflow_too():
    with pytest.raises(MaskError, match=r"received rank 3 \(shape \(1, 2, 4\) and dtype int32\)"):
        padding_mask(tf.constant(TOY_3D))


@pytest.mark.parametrize(
    "ids, received",
    [
        ([[1.0, 2.0, 0.0]], "float64"),
        (np.array([[1, 2, 0]], dtype=np.float32), "float32"),
        ([[True, False]], "bool"),
        ([["This", "is"]], "string"),
    ],
    ids=["float64", "float32", "bool", "string"],
)
def test_padding_mask_rejects_non_integer_ids(ids, received):
    with pytest.raises(MaskTypeError, match=rf"`token_ids`: expected integer token ids, received dtype {received}\."):
        padding_mask(ids)


def test_non_integer_ids_error_is_also_a_type_error_and_a_value_error():
    with pytest.raises(TypeError):
        padding_mask([[1.5]])
    with pytest.raises(ValueError):
        padding_mask([[1.5]])


@pytest.mark.parametrize("ragged", [[[1, 2, 3], [4]], [[1, None]]], ids=["ragged", "none"])
def test_padding_mask_rejects_ragged_lists(ragged):
    with pytest.raises(
        MaskTypeError,
        match=r"`token_ids`: expected a rectangular array of numbers or booleans, received ragged or mixed data \(list\)",
    ):
        padding_mask(ragged)


@pytest.mark.parametrize("shape", [(0, 4), (2, 0)])
def test_padding_mask_rejects_an_empty_batch(shape):
    ids = np.zeros(shape, dtype=np.int32)
    expected = re.escape(
        f"`token_ids`: expected at least one sequence of at least one token, "
        f"received an empty batch (shape {shape} and dtype int32)."
    )
    with pytest.raises(MaskError, match=expected):
        padding_mask(ids)


def test_padding_mask_rejects_an_all_padding_row():
    with pytest.raises(
        MaskError,
        match=r"`token_ids`: expected at least one real \(True\) token in every sequence, "
        r"received all-padding sequence\(s\) at batch index \[1, 2\]",
    ):
        padding_mask([[1, 2], [0, 0], [0, 0]])


@pytest.mark.parametrize("pad_id", [0.5, "0", None, True], ids=["float", "str", "none", "bool"])
def test_padding_mask_rejects_a_non_int_pad_id(pad_id):
    with pytest.raises(MaskTypeError, match=rf"`pad_id`: expected an int token id, received {re.escape(repr(pad_id))}\."):
        padding_mask(SEED_IDS, pad_id=pad_id)


# --- query_mask and key_mask ------------------------------------------------------------------


@pytest.mark.parametrize(
    "mask",
    [SEED_MASK, np.array(SEED_MASK), tf.constant(SEED_MASK)],
    ids=["list", "numpy", "tensorflow"],
)
def test_query_and_key_masks(mask):
    queries, keys = query_mask(mask), key_mask(mask)
    assert queries.dtype == keys.dtype == tf.bool
    assert queries.shape == (2, 6, 1) and keys.shape == (2, 1, 6)
    padded = np.array(SEED_MASK)
    assert np.array_equal(as_numpy(queries), padded[:, :, None])
    assert np.array_equal(as_numpy(keys), padded[:, None, :])
    assert np.array_equal(as_numpy(queries), tf.expand_dims(padded, 2).numpy())
    assert np.array_equal(as_numpy(keys), tf.expand_dims(padded, 1).numpy())


def test_query_and_key_masks_broadcast_to_the_attention_mask():
    queries = tf.broadcast_to(query_mask(SEED_MASK), (2, 6, 6))
    keys = tf.broadcast_to(key_mask(SEED_MASK), (2, 6, 6))
    assert np.array_equal((queries & keys).numpy(), as_numpy(self_attention_mask(SEED_MASK)))


BUILDERS_OF_ONE_MASK = [query_mask, key_mask, self_attention_mask]


@pytest.mark.parametrize("builder", BUILDERS_OF_ONE_MASK)
@pytest.mark.parametrize(
    "mask, received",
    [
        ([[1, 1, 0]], "int64"),            # NumPy's default integer
        (np.array([[1, 0]], dtype=np.int64), "int64"),
        (np.array([[1.0, 0.0]], dtype=np.float32), "float32"),
        (tf.constant([[1, 0]], dtype=tf.uint8), "uint8"),
    ],
    ids=["list-int", "np-int64", "np-float32", "tf-uint8"],
)
def test_mask_builders_reject_non_bool_masks(builder, mask, received):
    with pytest.raises(
        MaskTypeError,
        match=rf"`padding_mask`: expected dtype bool, received dtype {received}\. .*`&` on integers is bitwise",
    ):
        builder(mask)


@pytest.mark.parametrize("builder", BUILDERS_OF_ONE_MASK)
def test_mask_builders_reject_the_seed_toy_mask(builder):
    toy_mask = keras.layers.Embedding(10, 4, mask_zero=True).compute_mask(np.array(TOY_3D))
    assert toy_mask.shape == (1, 2, 4)
    with pytest.raises(
        MaskError,
        match=r"`padding_mask`: expected rank 2 \(B, S\) padding mask, "
        r"received rank 3 \(shape \(1, 2, 4\) and dtype bool\)\. An Embedding's input",
    ):
        builder(toy_mask)


@pytest.mark.parametrize("builder", BUILDERS_OF_ONE_MASK)
@pytest.mark.parametrize(
    "mask, rank, shape",
    [([True, False], 1, "(2,)"), ([[[[True]]]], 4, "(1, 1, 1, 1)")],
    ids=["rank-1", "rank-4"],
)
def test_mask_builders_reject_other_ranks(builder, mask, rank, shape):
    with pytest.raises(
        MaskError,
        match=rf"`padding_mask`: expected rank 2 \(B, S\) padding mask, received rank {rank} "
        rf"\(shape {re.escape(shape)} and dtype bool\)\.$",
    ):
        builder(mask)


@pytest.mark.parametrize("builder", BUILDERS_OF_ONE_MASK)
def test_mask_builders_reject_an_all_padding_row(builder):
    with pytest.raises(MaskError, match=r"every sequence, received all-padding sequence\(s\) at batch index \[0\]"):
        builder([[False, False], [True, False]])


@pytest.mark.parametrize("builder", BUILDERS_OF_ONE_MASK)
def test_mask_builders_reject_an_empty_batch(builder):
    with pytest.raises(MaskError, match=r"received an empty batch \(shape \(0, 3\) and dtype bool\)"):
        builder(np.zeros((0, 3), dtype=bool))


# --- self_attention_mask ----------------------------------------------------------------------


def test_self_attention_mask_reproduces_the_seed_answer():
    attention = as_numpy(self_attention_mask(padding_mask(SEED_IDS)))
    assert attention.shape == (2, 6, 6)
    assert attention[0].all()
    assert attention[1].astype(int).tolist() == [[1, 1, 1, 0, 0, 0]] * 3 + [[0] * 6] * 3


def test_self_attention_mask_is_the_questions_three_lines():
    mask = tf.constant(SEED_MASK)
    mask1 = mask[:, :, None]
    mask2 = mask[:, None, :]
    assert np.array_equal(as_numpy(self_attention_mask(mask)), (mask1 & mask2).numpy())


@pytest.mark.parametrize(
    "row", [[True, False, True, False], [False, True], [True], [True, True, True]]
)
def test_self_attention_mask_is_an_outer_and(row):
    attention = as_numpy(self_attention_mask([row]))
    assert attention.dtype == bool
    assert np.array_equal(attention[0], np.outer(row, row))


def test_self_attention_mask_equals_what_keras_builds():
    ids = np.array(SEED_IDS)
    embedding = keras.layers.Embedding(10, 4, mask_zero=True)
    mask = embedding.compute_mask(ids)
    embedded = embedding(ids)
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    keras_mask = layer._compute_attention_mask(embedded, embedded, query_mask=mask, value_mask=mask)
    assert np.array_equal(np.asarray(keras_mask), as_numpy(self_attention_mask(padding_mask(ids))))


ALL_PADDING = (
    r"expected at least one real \(True\) token in every sequence, "
    r"received all-padding sequence\(s\) at batch index \[0\]"
)

# --- cross_attention_mask ---------------------------------------------------------------------


def test_cross_attention_mask_shape_and_values():
    queries = [[True, True, True, False], [True, False, False, False]]      # (B, T) = (2, 4)
    keys = [[True, True, False], [True, True, True]]                        # (B, S) = (2, 3)
    attention = as_numpy(cross_attention_mask(queries, keys))
    assert attention.shape == (2, 4, 3)
    for b in range(2):
        assert np.array_equal(attention[b], np.outer(queries[b], keys[b]))


def test_cross_attention_mask_of_one_sentence_is_self_attention():
    assert np.array_equal(
        as_numpy(cross_attention_mask(SEED_MASK, SEED_MASK)), as_numpy(self_attention_mask(SEED_MASK))
    )


def test_cross_attention_mask_rejects_mismatched_batch():
    with pytest.raises(
        MaskError,
        match=r"`key_padding_mask`: expected the same batch size B=2 as query_padding_mask \(2, 3\), "
        r"received B=3 \(shape \(3, 2\)\)\.",
    ):
        cross_attention_mask([[True, True, False]] * 2, [[True, False]] * 3)


@pytest.mark.parametrize(
    "queries, keys, argument, pattern",
    [
        ([[1, 0]], [[True]], "query_padding_mask", r"expected dtype bool, received dtype int64"),
        ([[True]], [[1.0, 0.0]], "key_padding_mask", r"expected dtype bool, received dtype float64"),
        ([True], [[True]], "query_padding_mask", r"expected rank 2 \(B, S\) padding mask, received rank 1"),
        ([[True]], [[[True]]], "key_padding_mask", r"expected rank 2 \(B, S\) padding mask, received rank 3"),
        ([[False]], [[True]], "query_padding_mask", ALL_PADDING),
        ([[True]], [[False, False]], "key_padding_mask", ALL_PADDING),
    ],
    ids=["query-int", "key-float", "query-rank-1", "key-rank-3", "query-all-pad", "key-all-pad"],
)
def test_cross_attention_mask_names_the_wrong_argument(queries, keys, argument, pattern):
    with pytest.raises(MaskError, match=rf"`{argument}`: {pattern}"):
        cross_attention_mask(queries, keys)


# --- causal_mask ------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [1, 2, 5, 12])
def test_causal_mask_is_lower_triangular(length):
    mask = causal_mask(length)
    assert mask.dtype == tf.bool
    assert mask.shape == (1, length, length)
    assert np.array_equal(as_numpy(mask)[0], np.tril(np.ones((length, length), dtype=bool)))


def test_causal_mask_with_a_key_length():
    mask = as_numpy(causal_mask(2, 4))
    assert mask.shape == (1, 2, 4)
    assert mask[0].astype(int).tolist() == [[1, 0, 0, 0], [1, 1, 0, 0]]


def test_causal_mask_accepts_numpy_integers():
    assert causal_mask(np.int64(3)).shape == (1, 3, 3)
    assert causal_mask(3, np.int32(5)).shape == (1, 3, 5)


@pytest.mark.parametrize("length", [3, 6])
def test_causal_mask_equals_what_keras_builds(length):
    layer = keras.layers.MultiHeadAttention(num_heads=1, key_dim=2)
    inputs = tf.zeros((2, length, 4))
    keras_mask = layer._compute_attention_mask(inputs, inputs, use_causal_mask=True)
    assert np.array_equal(np.asarray(keras_mask), as_numpy(causal_mask(length)))


@pytest.mark.parametrize(
    "query_length, key_length, argument, received",
    [
        (0, None, "query_length", "0"),
        (-2, None, "query_length", "-2"),
        (2.5, None, "query_length", "2.5"),
        (True, None, "query_length", "True"),
        ("3", None, "query_length", "'3'"),
        (3, 0, "key_length", "0"),
        (3, 1.0, "key_length", "1.0"),
    ],
)
def test_causal_mask_rejects_bad_lengths(query_length, key_length, argument, received):
    with pytest.raises(MaskError, match=rf"`{argument}`: expected a positive int, received {re.escape(received)}\."):
        causal_mask(query_length, key_length)


# --- combine ----------------------------------------------------------------------------------


def test_combine_one_mask_is_that_mask():
    attention = self_attention_mask(SEED_MASK)
    assert np.array_equal(as_numpy(combine(attention)), as_numpy(attention))


def test_combine_causal_and_padding():
    attention = self_attention_mask(SEED_MASK)                 # (2, 6, 6)
    combined = as_numpy(combine(causal_mask(6), attention))    # (1, 6, 6) & (2, 6, 6)
    assert combined.shape == (2, 6, 6) and combined.dtype == bool
    assert np.array_equal(combined, np.tril(np.ones((6, 6), dtype=bool))[None] & as_numpy(attention))


def test_combine_broadcasts_query_and_key_masks():
    combined = combine(query_mask(SEED_MASK), key_mask(SEED_MASK))    # (2, 6, 1) & (2, 1, 6)
    assert np.array_equal(as_numpy(combined), as_numpy(self_attention_mask(SEED_MASK)))


def test_combine_is_idempotent():
    attention = self_attention_mask(SEED_MASK)
    assert np.array_equal(as_numpy(combine(attention, attention)), as_numpy(attention))


def test_combine_rejects_no_masks():
    with pytest.raises(MaskError, match=r"`masks`: expected at least one mask, received none\."):
        combine()


@pytest.mark.parametrize(
    "masks, pattern",
    [
        (
            [causal_mask(2), [[True, False]]],
            r"`masks\[1\]`: expected rank 3 \(B, T, S\) mask, or one with 1 on broadcast axes, "
            r"received rank 2 \(shape \(1, 2\) and dtype bool\)\.",
        ),
        (
            [tf.constant([[[1, 0], [1, 1]]]), causal_mask(2)],
            r"`masks\[0\]`: expected dtype bool, received dtype int32\.",
        ),
        (
            [np.ones((2, 3, 3), dtype=bool), np.ones((3, 3, 3), dtype=bool)],
            r"`masks\[1\]`: expected a shape that broadcasts with \(2, 3, 3\), received \(3, 3, 3\)\.",
        ),
        (
            [causal_mask(3), causal_mask(4)],
            r"`masks\[1\]`: expected a shape that broadcasts with \(1, 3, 3\), received \(1, 4, 4\)\.",
        ),
    ],
    ids=["rank-2", "int-mask", "batch-mismatch", "length-mismatch"],
)
def test_combine_rejects_bad_masks(masks, pattern):
    with pytest.raises(MaskError, match=pattern):
        combine(*masks)
