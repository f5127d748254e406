"""lib.masks: every builder's shapes and values, every error path, inside tf.function too,
and property tests (hypothesis) that draw bad inputs as well as good ones.

Error tests check the message in the "`argument`: expected ..., received ..." form of
lib.errors: it must name what was expected and what arrived.
"""

from __future__ import annotations

import re

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from lib.attention import attention_layer
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

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


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




@pytest.mark.parametrize("queries, keys", [(4, 4), (3, 5), (5, 3)])
def test_causal_mask_matches_keras_use_causal_mask(queries, keys):
    layer = attention_layer(num_heads=2, key_dim=4, model_dim=8, seed=0)
    rng = np.random.default_rng(queries * 10 + keys)
    query = tf.constant(rng.normal(size=(2, queries, 8)).astype("float32"))
    value = tf.constant(rng.normal(size=(2, keys, 8)).astype("float32"))
    _, by_flag = layer(query, value, use_causal_mask=True, return_attention_scores=True)
    _, by_mask = layer(query, value, attention_mask=causal_mask(queries, keys),
                       return_attention_scores=True)
    assert np.array_equal(by_flag.numpy(), by_mask.numpy())
    visible = causal_mask(queries, keys).numpy()[0]           # non-zero exactly where True
    assert ((by_flag.numpy() > 0) == visible).all()


# --- every kind of bad input: a lib.errors error naming argument, expected, received ----------

ALL_PADDING = (r"expected at least one real \(True\) token in every sequence, "
               r"received all-padding sequence\(s\) at batch index \[0\]")
BAD_CALLS = [
    # rank: the question's own 3-D toy, and others
    (padding_mask, (TOY_3D,), MaskError,
     r"`token_ids`: expected rank 2 \(B, S\) token ids, received rank 3 \(shape \(1, 2, 4\) and "
     r"dtype int64\)\.\n  An Embedding's input .* has an extra axis"),
    (padding_mask, (tf.constant(TOY_3D),), MaskError, r"received rank 3 \(shape \(1, 2, 4\) and dtype int32\)"),
    (padding_mask, ([1, 3, 6],), MaskError, r"expected rank 2 \(B, S\) token ids, received rank 1"),
    (padding_mask, (7,), MaskError, r"received rank 0 \(shape \(\) and dtype int64\)"),
    # dtype family
    (padding_mask, ([[1.0, 2.0, 0.0]],), MaskTypeError,
     r"`token_ids`: expected an integer dtype \(token ids\), received dtype float64\."),
    (padding_mask, ([[True, False]],), MaskTypeError, r"received dtype bool"),
    (padding_mask, ([["This", "is"]],), MaskTypeError,
     r"`token_ids`: expected an array of numbers or booleans, received dtype <U4"),
    (padding_mask, ([[1, 2, 3], [4]],), MaskTypeError,
     r"`token_ids`: expected a rectangular array of numbers or booleans, received ragged nested lists"),
    (padding_mask, ([[1, None]],), MaskTypeError, r"received list holding NoneType None"),
    # integer range: ids and pad ids
    (padding_mask, ([[1, -1, 0]],), MaskError,
     r"`token_ids`: expected ids >= 0, received -1 at position \(0, 1\)\.\n  A negative id is no token"),
    (padding_mask, ([[2**70, 1]],), MaskError, r"`token_ids`: expected integers that fit in 64 bits"),
    (padding_mask, (np.array([[1, 255, 0]], np.uint8), -1), MaskError,
     r"`pad_id`: expected an int >= 0, received -1"),
    (padding_mask, (np.array([[1, 2, 0]], np.int32), 2**32), MaskError,
     r"`pad_id`: expected an id that int32 token ids can hold \(0 to 2147483647\), received 4294967296"),
    (padding_mask, (np.array([[1, 2, 0]], np.uint8), 256), MaskError,
     r"`pad_id`: expected an id that uint8 token ids can hold \(0 to 255\), received 256"),
    (padding_mask, (SEED_IDS, 0.5), MaskTypeError, r"`pad_id`: expected an int >= 0, received float 0.5"),
    (padding_mask, (SEED_IDS, "0"), MaskTypeError, r"received str '0'"),
    (padding_mask, (SEED_IDS, True), MaskTypeError, r"received bool True"),
    (padding_mask, (SEED_IDS, None), MaskTypeError, r"received NoneType None"),
    # empty batches, zero lengths, all-padding rows
    (padding_mask, (np.zeros((0, 4), np.int32),), MaskError,
     r"`token_ids`: expected at least one sequence of at least one token, received an empty batch "
     r"\(shape \(0, 4\) and dtype int32\)"),
    (padding_mask, (np.zeros((2, 0), np.int32),), MaskError, r"received an empty batch \(shape \(2, 0\)"),
    (padding_mask, ([[1, 2], [0, 0], [0, 0]],), MaskError,
     r"`token_ids`: expected at least one real \(True\) token in every sequence, received "
     r"all-padding sequence\(s\) at batch index \[1, 2\]"),
    (padding_mask, ([[4, 7], [4, 4]], 4), MaskError, r"every sequence, received all-padding "
                                                    r"sequence\(s\) at batch index \[1\]"),
    # the three builders of one padding mask
    *[(builder, (mask,), MaskTypeError,
       rf"`padding_mask`: expected dtype bool, received dtype {dtype}\.\n  Masks are boolean .* '&' on "
       r"integers is bitwise")
      for builder in (query_mask, key_mask, self_attention_mask)
      for mask, dtype in (([[1, 1, 0]], "int64"), (np.array([[1.0, 0.0]], np.float32), "float32"),
                          (tf.constant([[1, 0]], dtype=tf.uint8), "uint8"))],
    *[(builder, (mask,), MaskError, pattern)
      for builder in (query_mask, key_mask, self_attention_mask)
      for mask, pattern in (
          ([True, False], r"`padding_mask`: expected rank 2 \(B, S\) padding mask, received rank 1 "
                          r"\(shape \(2,\) and dtype bool\)\.\n  in lib\.masks\."),
          ([[[True, False, True, False]]], r"received rank 3 .*\n  An Embedding's input"),
          ([[False, False], [True, False]], rf"`padding_mask`: {ALL_PADDING}"),
          (np.zeros((0, 3), bool), r"received an empty batch \(shape \(0, 3\) and dtype bool\)"))],
    # cross-attention: which argument, and the same batch
    (cross_attention_mask, ([[True, True, False]] * 2, [[True, False]] * 3), MaskError,
     r"`key_padding_mask`: expected the same batch size B=2 as `query_padding_mask` \(2, 3\), "
     r"received B=3 \(shape \(3, 2\)\)\."),
    (cross_attention_mask, ([[1, 0]], [[True]]), MaskTypeError,
     r"`query_padding_mask`: expected dtype bool, received dtype int64"),
    (cross_attention_mask, ([[True]], [[1.0, 0.0]]), MaskTypeError,
     r"`key_padding_mask`: expected dtype bool, received dtype float64"),
    (cross_attention_mask, ([[False]], [[True]]), MaskError, rf"`query_padding_mask`: {ALL_PADDING}"),
    (cross_attention_mask, ([[True]], [[False, False]]), MaskError, rf"`key_padding_mask`: {ALL_PADDING}"),
    # causal lengths
    (causal_mask, (0,), MaskError, r"`query_length`: expected an int >= 1, received 0\."),
    (causal_mask, (-2,), MaskError, r"`query_length`: expected an int >= 1, received -2\."),
    (causal_mask, (2.5,), MaskTypeError, r"`query_length`: expected an int >= 1, received float 2.5\."),
    (causal_mask, (True,), MaskTypeError, r"received bool True\."),
    (causal_mask, ("3",), MaskTypeError, r"received str '3'\."),
    (causal_mask, (3, 0), MaskError, r"`key_length`: expected an int >= 1, received 0\."),
    (causal_mask, (tf.constant([3]),), MaskTypeError,
     r"`query_length`: expected an int >= 1, or a scalar integer tensor, received a tensor "
     r"\(shape \(1,\) and dtype int32\)"),
    (causal_mask, (tf.constant(0),), MaskError, r"`query_length`: expected an int >= 1, received 0"),
    # combine
    (combine, (), MaskError, r"`masks`: expected at least one mask, received none\."),
    (combine, (causal_mask(2), [[True, False]]), MaskError,
     r"`masks\[1\]`: expected rank 3 \(B, T, S\) mask, or one with 1 on broadcast axes, received "
     r"rank 2 \(shape \(1, 2\) and dtype bool\)\."),
    (combine, (tf.constant([[[1, 0], [1, 1]]]), causal_mask(2)), MaskTypeError,
     r"`masks\[0\]`: expected dtype bool, received dtype int32\."),
    (combine, (np.ones((2, 3, 3), bool), np.ones((3, 3, 3), bool)), MaskError,
     r"`masks\[1\]`: expected a shape that broadcasts with \(2, 3, 3\), received \(3, 3, 3\)\."),
    (combine, (causal_mask(3), causal_mask(4)), MaskError,
     r"expected a shape that broadcasts with \(1, 3, 3\), received \(1, 4, 4\)\."),
]


@pytest.mark.parametrize(
    "builder, args, error, pattern", BAD_CALLS,
    ids=[f"{call[0].__name__}-{index}" for index, call in enumerate(BAD_CALLS)],
)
def test_bad_input_raises_a_lib_error_that_names_it(builder, args, error, pattern):
    with pytest.raises(error) as caught:
        builder(*args)
    message = str(caught.value)
    assert re.search(pattern, message, re.DOTALL), message
    assert message.splitlines()[-1].startswith(f"  in lib.masks.{builder.__name__}(")


def test_wrong_dtype_errors_are_type_errors_and_value_errors():
    with pytest.raises(TypeError):
        padding_mask([[1.5]])
    with pytest.raises(ValueError):
        padding_mask([[1.5]])


# --- inside tf.function ------------------------------------------------------------------------

def test_shape_and_dtype_errors_leave_tf_function_as_lib_errors():
    """AutoGraph would wrap them in a StagingError; MaskError.ag_pass_through keeps them."""
    traced = tf.function(lambda ids: padding_mask(ids))
    with pytest.raises(MaskTypeError, match=r"`token_ids`: expected an integer dtype"):
        traced(tf.constant([[1.0, 0.0]]))
    with pytest.raises(MaskError, match=r"`token_ids`: expected rank 2"):
        traced(tf.constant([1, 0]))


@pytest.fixture(scope="module")
def traced_masks():
    @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32)])
    def masks(ids):
        return self_attention_mask(padding_mask(ids)), causal_mask(tf.shape(ids)[1])
    return masks


def test_value_checks_run_in_the_graph(traced_masks):
    attention, causal = traced_masks(tf.constant(SEED_IDS))
    assert np.array_equal(attention.numpy(), self_attention_mask(padding_mask(SEED_IDS)).numpy())
    assert np.array_equal(causal.numpy(), causal_mask(6).numpy())


@pytest.mark.parametrize("ids, pattern", [
    ([[1, 2], [0, 0]], r"`token_ids`: expected at least one real \(True\) token in every sequence, "
                       r"received all-padding sequence\(s\)\. .*Batch indices:\] \[1\]"),
    ([[1, -4, 0]], r"`token_ids`: expected ids >= 0, received negative ids\. .*Positions:\] \[\[0 1\]\]"),
], ids=["all-padding", "negative"])
def test_value_checks_in_the_graph_raise_with_lib_messages(traced_masks, ids, pattern):
    """Once only eager code checked these: a traced padding_mask let all-padding rows through."""
    with pytest.raises(tf.errors.InvalidArgumentError, match=pattern):
        traced_masks(tf.constant(ids, tf.int32))


def test_padding_mask_rows_checked_in_graph_for_mask_builders():
    traced = tf.function(lambda mask: key_mask(mask),
                         input_signature=[tf.TensorSpec([None, None], tf.bool)])
    assert traced(tf.constant(SEED_MASK)).shape == (2, 1, 6)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"`padding_mask`: expected at least one"):
        traced(tf.constant([[True], [False]]))


def test_a_length_of_zero_is_caught_in_the_graph():
    traced = tf.function(lambda x: causal_mask(tf.shape(x)[0]),
                         input_signature=[tf.TensorSpec([None], tf.float32)])
    assert traced(tf.zeros(2)).shape == (1, 2, 2)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"`query_length`: expected an int >= 1"):
        traced(tf.zeros(0))


# --- properties: good inputs give the reference, bad inputs a lib error ---------------------------

DTYPES = [np.bool_, np.int8, np.uint8, np.int32, np.int64, np.uint64, np.float32]


@st.composite
def arrays(draw, dtypes=DTYPES, ranks=(0, 3), values=None, max_side=4):
    """Arrays of any listed dtype and rank, sides 0..max_side: mostly wrong, some right."""
    dtype = np.dtype(draw(st.sampled_from(dtypes)))
    rank = draw(st.integers(*ranks))
    shape = tuple(draw(st.lists(st.integers(0, max_side), min_size=rank, max_size=rank)))
    raw = draw(hnp.arrays(np.int64, shape, elements=st.integers(-2, 6) if values is None else values))
    return raw.astype(dtype)   # -2 wraps round in unsigned dtypes: still a valid id there


def ids_are_valid(ids: np.ndarray, pad_id) -> bool:
    """An independent statement of what padding_mask accepts."""
    if not np.issubdtype(ids.dtype, np.integer) or ids.ndim != 2 or 0 in ids.shape:
        return False
    if isinstance(pad_id, bool) or not isinstance(pad_id, int):
        return False
    if not 0 <= pad_id <= np.iinfo(ids.dtype).max or (ids < 0).any():
        return False
    return bool((ids != pad_id).any(axis=1).all())


@SETTINGS
@given(ids=arrays(), pad_id=st.sampled_from([0, 0, 1, 3, -1, 256, 2**32, 0.0, True]))
@example(ids=np.array(SEED_IDS), pad_id=0)
@example(ids=np.array([[1, 255, 0]], np.uint8), pad_id=-1)
@example(ids=np.array([[1, 2, 0]], np.int32), pad_id=2**32)
def test_padding_mask_is_right_or_refuses(ids, pad_id):
    if ids_are_valid(ids, pad_id):
        assert np.array_equal(padding_mask(ids, pad_id).numpy(), ids != pad_id)
    else:
        with pytest.raises(MaskError):
            padding_mask(ids, pad_id)


def padding_mask_is_valid(mask: np.ndarray) -> bool:
    return mask.dtype == bool and mask.ndim == 2 and 0 not in mask.shape and mask.any(axis=1).all()


MASK_ARRAYS = arrays(dtypes=[np.bool_, np.bool_, np.int64, np.float32], ranks=(1, 3),
                     values=st.integers(0, 1))


@SETTINGS
@given(mask=MASK_ARRAYS)
@example(mask=np.array(SEED_MASK))
def test_builders_of_one_padding_mask_are_right_or_refuse(mask):
    references = {
        query_mask: lambda m: m[:, :, None],
        key_mask: lambda m: m[:, None, :],
        self_attention_mask: lambda m: np.stack([np.logical_and.outer(row, row) for row in m]),
    }
    for builder, reference in references.items():
        if padding_mask_is_valid(mask):
            assert np.array_equal(builder(mask).numpy(), reference(mask))
        else:
            with pytest.raises(MaskError):
                builder(mask)


@SETTINGS
@given(queries=MASK_ARRAYS, keys=MASK_ARRAYS)
@example(queries=np.array(SEED_MASK), keys=np.array([[True, False], [True, True]]))
def test_cross_attention_mask_is_right_or_refuses(queries, keys):
    valid = (padding_mask_is_valid(queries) and padding_mask_is_valid(keys)
             and queries.shape[0] == keys.shape[0])
    if valid:
        expected = np.stack([np.logical_and.outer(q, k) for q, k in zip(queries, keys)])
        assert np.array_equal(cross_attention_mask(queries, keys).numpy(), expected)
    else:
        with pytest.raises(MaskError):
            cross_attention_mask(queries, keys)


LENGTHS = st.one_of(st.integers(-2, 7), st.floats(-1, 7), st.booleans(), st.text(max_size=2),
                    st.none(), st.integers(1, 7).map(np.int32))


@SETTINGS
@given(queries=LENGTHS, keys=st.one_of(st.none(), LENGTHS))
@example(queries=3, keys=None)
@example(queries=2, keys=4)
def test_causal_mask_is_right_or_refuses(queries, keys):
    def valid(length):
        return isinstance(length, (int, np.integer)) and not isinstance(length, bool) and length >= 1
    if valid(queries) and (keys is None or valid(keys)):
        columns = queries if keys is None else keys
        expected = np.tril(np.ones((queries, columns), dtype=bool))[None]
        assert np.array_equal(causal_mask(queries, keys).numpy(), expected)
    else:
        with pytest.raises(MaskError):
            causal_mask(queries, keys)


@SETTINGS
@given(masks=st.lists(arrays(dtypes=[np.bool_, np.bool_, np.bool_, np.int32], ranks=(2, 4),
                             values=st.integers(0, 1), max_side=3), max_size=3))
@example(masks=[np.tril(np.ones((3, 3), bool))[None], np.ones((2, 3, 3), bool)])
def test_combine_is_right_or_refuses(masks):
    valid = bool(masks) and all(m.dtype == bool and m.ndim == 3 for m in masks)
    if valid:
        try:
            np.broadcast_shapes(*(m.shape for m in masks))
        except ValueError:
            valid = False
    if valid:
        assert np.array_equal(combine(*masks).numpy(), np.logical_and.reduce(np.broadcast_arrays(*masks)))
    else:
        with pytest.raises(MaskError):
            combine(*masks)


# --- properties against Keras: the explicit mask is the one Keras builds itself ----------------

FEATURES, VOCABULARY = 4, 10
EMBEDDING = keras.layers.Embedding(VOCABULARY, FEATURES, mask_zero=True)
LAYER = keras.layers.MultiHeadAttention(num_heads=2, key_dim=FEATURES, seed=0)


@st.composite
def padded_batches(draw) -> np.ndarray:
    """(B, S) post-padded token ids: B in 1..5, S in 1..12, each row with 1..S real tokens."""
    batch, length = draw(st.integers(1, 5)), draw(st.integers(1, 12))
    rows = []
    for _ in range(batch):
        real = draw(st.integers(1, length))
        rows.append(draw(st.lists(st.integers(1, VOCABULARY - 1), min_size=real, max_size=real))
                    + [0] * (length - real))
    return np.array(rows, dtype=np.int32)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ids=padded_batches())
@example(ids=np.array(SEED_IDS, dtype=np.int32))
def test_self_attention_mask_equals_the_mask_keras_computes(ids):
    keras_padding_mask = EMBEDDING.compute_mask(ids)
    embedded = EMBEDDING(ids)
    keras_mask = LAYER._compute_attention_mask(
        embedded, embedded, query_mask=keras_padding_mask, value_mask=keras_padding_mask
    )
    assert np.array_equal(np.asarray(keras_mask), self_attention_mask(padding_mask(ids)).numpy())


# A sentence padded to S = 1 makes Keras warn about a softmax over one key; that is expected.
@pytest.mark.filterwarnings("ignore:You are using a softmax over axis")
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ids=padded_batches())
@example(ids=np.array(SEED_IDS, dtype=np.int32))
def test_automatic_keras_masking_gives_the_same_attention_scores(ids):
    embedded = EMBEDDING(ids)                       # carries the Keras mask (B, S)
    unmasked = tf.identity(embedded)                # same values, no Keras mask
    assert getattr(unmasked, "_keras_mask", None) is None
    _, automatic = LAYER(embedded, embedded, return_attention_scores=True)
    _, explicit = LAYER(
        unmasked, unmasked, attention_mask=self_attention_mask(padding_mask(ids)),
        return_attention_scores=True,
    )
    np.testing.assert_array_equal(np.asarray(automatic), np.asarray(explicit))
    real = ids != 0                                 # the mask did something: no weight on padding
    weights = np.asarray(explicit)
    for b in range(ids.shape[0]):
        assert np.all(weights[b][:, real[b]][:, :, ~real[b]] == 0.0)
