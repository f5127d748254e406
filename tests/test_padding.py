"""Tests for lib.padding: pad_batch against tf.pad and pad_sequences, random batches, errors."""

from __future__ import annotations

import re
from itertools import product

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lib.errors import MaskError, MaskTypeError
from lib.example import seed_token_ids
from lib.masks import padding_mask
from lib.padding import PAD_ID, is_post_padded, pad_batch, random_sequences

IDS_A = [1, 3, 2, 7, 4, 5]
IDS_B = [1, 3, 6]
SEED_BATCH = [[1, 3, 2, 7, 4, 5], [1, 3, 6, 0, 0, 0]]


# --- behaviour -----------------------------------------------------------------------------


def test_seed_batch():
    batch = pad_batch([IDS_A, IDS_B])
    assert batch.tolist() == SEED_BATCH
    assert batch.dtype == np.int32
    assert batch.shape == (2, 6)
    assert np.array_equal(seed_token_ids(), batch)


def test_equals_the_questions_tf_pad():
    padded_b = tf.pad(tf.constant(IDS_B), [[0, 3]])
    expected = tf.stack([tf.constant(IDS_A), padded_b]).numpy()
    assert np.array_equal(pad_batch([IDS_A, IDS_B]), expected)


@pytest.mark.parametrize(
    "length, padding, truncating",
    list(product([None, 1, 2, 4, 6, 9], ["post", "pre"], ["post", "pre"])),
)
def test_equals_pad_sequences(length, padding, truncating):
    ours = pad_batch([IDS_A, IDS_B], length, padding, truncating)
    theirs = keras.utils.pad_sequences(
        [IDS_A, IDS_B], maxlen=length, padding=padding, truncating=truncating
    )
    assert np.array_equal(ours, theirs)
    assert ours.dtype == theirs.dtype


def test_defaults_are_post_unlike_pad_sequences():
    assert pad_batch([IDS_A, IDS_B]).tolist() == SEED_BATCH
    assert keras.utils.pad_sequences([IDS_A, IDS_B]).tolist() == [IDS_A, [0, 0, 0, 1, 3, 6]]
    assert np.array_equal(
        pad_batch([IDS_A, IDS_B]), keras.utils.pad_sequences([IDS_A, IDS_B], padding="post")
    )


def test_pre_padding_moves_the_mask():
    post = padding_mask(pad_batch([IDS_A, IDS_B])).numpy()
    pre = padding_mask(pad_batch([IDS_A, IDS_B], padding="pre")).numpy()
    assert pre.tolist() == [[True] * 6, [False] * 3 + [True] * 3]
    assert np.array_equal(pre, post[:, ::-1])


def test_truncation_keeps_start_or_end():
    assert pad_batch([IDS_A], length=4).tolist() == [[1, 3, 2, 7]]
    assert pad_batch([IDS_A], length=4, truncating="pre").tolist() == [[2, 7, 4, 5]]


def test_length_longer_than_every_sentence():
    assert pad_batch([IDS_A, IDS_B], length=8).tolist() == [IDS_A + [0, 0], IDS_B + [0] * 5]
    assert pad_batch([IDS_B], length=5, padding="pre").tolist() == [[0, 0, 1, 3, 6]]


def test_accepts_arrays_tensors_and_numpy_lengths():
    expected = pad_batch([IDS_A, IDS_B])
    assert np.array_equal(pad_batch([np.array(IDS_A), np.array(IDS_B, dtype=np.int64)]), expected)
    assert np.array_equal(pad_batch([tf.constant(IDS_A), tf.constant(IDS_B)]), expected)
    assert pad_batch([IDS_B], length=np.int64(4)).shape == (1, 4)


def test_does_not_change_its_input():
    rows = [list(IDS_A), list(IDS_B)]
    pad_batch(rows, length=2, truncating="pre")
    assert rows == [IDS_A, IDS_B]


def test_random_sequences_are_reproducible_and_in_range():
    first = random_sequences(8, min_length=1, max_length=10, vocab_size=8, seed=0)
    assert first == random_sequences(8, min_length=1, max_length=10, vocab_size=8, seed=0)
    assert first != random_sequences(8, min_length=1, max_length=10, vocab_size=8, seed=1)
    assert len(first) == 8
    assert [len(row) for row in first] == [9, 7, 6, 3, 4, 1, 1, 1]
    assert all(1 <= token <= 7 for row in first for token in row)
    batch = pad_batch(first)
    assert batch.shape == (8, 9)
    assert padding_mask(batch).numpy().sum(axis=1).tolist() == [len(row) for row in first]


def test_random_sequences_fixed_length():
    rows = random_sequences(5, min_length=4, max_length=4, vocab_size=3, seed=2)
    assert [len(row) for row in rows] == [4] * 5
    assert {token for row in rows for token in row} <= {1, 2}
    assert PAD_ID not in {token for row in rows for token in row}


def test_is_post_padded_finds_padding_before_a_real_token():
    assert is_post_padded(pad_batch([IDS_A, IDS_B])).tolist() == [True, True]
    assert is_post_padded(pad_batch([IDS_A, IDS_B], padding="pre")).tolist() == [True, False]
    assert is_post_padded([[1, 0, 2], [0, 0, 0]]).tolist() == [False, True]


# --- error paths: every kind of bad input names the argument, expected and received ------------

BAD_CALLS = [
    (([IDS_B, []],), {}, MaskError,
     r"`sequences\[1\]`: expected at least one token, received an empty sequence\.\n  Padded, it would"),
    (([IDS_B, [4, 0, 2]],), {}, MaskError,
     r"`sequences\[1\]`: expected ids from 1 to 2147483647, received 0 at position \(1,\)\.\n"
     r"  0 is reserved for padding: shift the ids by \+1"),
    (([[1, 3, 6, 0, 0, 0]],), {}, MaskError,
     r"`sequences\[0\]`: expected ids from 1 to 2147483647, received \[0, 0, 0\] at positions "
     r"\[\(3,\), \(4,\), \(5,\)\]"),
    (([[1, -2]],), {}, MaskError, r"received -2 at position \(1,\)"),
    # integer range: nothing wraps round into int32 any more (2**32 used to become 0, padding)
    (([[1, 2**31]],), {}, MaskError, r"`sequences\[0\]`: expected ids from 1 to 2147483647, "
                                     r"received 2147483648 at position \(1,\)"),
    (([[1, 2**32]],), {}, MaskError, r"received 4294967296 at position \(1,\)"),
    (([np.array([1, 2**64 - 1], np.uint64)],), {}, MaskError, r"received 18446744073709551615"),
    (([[1, 2**70]],), {}, MaskError, r"`sequences\[0\]`: expected integers that fit in 64 bits"),
    # containers
    (([],), {}, MaskError,
     r"`sequences`: expected a non-empty list of token-id lists, received an empty list"),
    (("This is short",), {}, MaskTypeError,
     r"`sequences`: expected a list of token-id lists, received a single str 'This is short'"),
    ((42,), {}, MaskTypeError, r"`sequences`: expected a list of token-id lists, received int 42"),
    (([[[1, 0, 3, 0], [1, 2, 0, 0]]],), {}, MaskError,
     r"`sequences\[0\]`: expected rank 1 \(a flat list of token ids\), received rank 2"),
    (([[1.0, 3.0]],), {}, MaskTypeError,
     r"`sequences\[0\]`: expected an integer dtype \(token ids\), received dtype float64"),
    (([[True, False]],), {}, MaskTypeError, r"received dtype bool"),
    (([[1, None]],), {}, MaskTypeError, r"received list holding NoneType None"),
    # options
    (([IDS_A],), {"padding": "end"}, MaskError, r"`padding`: expected 'post' or 'pre', received 'end'"),
    (([IDS_A],), {"truncating": "end"}, MaskError, r"`truncating`: expected 'post' or 'pre'"),
    (([IDS_A],), {"padding": ["post"]}, MaskError, r"`padding`: expected 'post' or 'pre', received \['post'\]"),
    (([IDS_A],), {"length": 0}, MaskError, r"`length`: expected an int >= 1, received 0"),
    (([IDS_A],), {"length": -3}, MaskError, r"`length`: expected an int >= 1, received -3"),
    (([IDS_A],), {"length": 2.5}, MaskTypeError, r"`length`: expected an int >= 1, received float 2.5"),
    (([IDS_A],), {"length": "6"}, MaskTypeError, r"received str '6'"),
    (([IDS_A],), {"length": True}, MaskTypeError, r"received bool True"),
]


@pytest.mark.parametrize("args, kwargs, error, pattern", BAD_CALLS)
def test_pad_batch_refuses_bad_input(args, kwargs, error, pattern):
    with pytest.raises(error) as caught:
        pad_batch(*args, **kwargs)
    message = str(caught.value)
    assert re.search(pattern, message, re.DOTALL), message
    assert message.splitlines()[-1].startswith("  in lib.padding.pad_batch(")


@pytest.mark.parametrize(
    "arguments, name, error, received",
    [
        (dict(batch_size=0), "batch_size", MaskError, "an int >= 1, received 0"),
        (dict(batch_size=2.0), "batch_size", MaskTypeError, "an int >= 1, received float 2.0"),
        (dict(batch_size=2, min_length=0), "min_length", MaskError, "an int >= 1, received 0"),
        (dict(batch_size=2, min_length=5, max_length=3), "max_length", MaskError,
         "an int >= 5, received 3"),
        (dict(batch_size=2, vocab_size=1), "vocab_size", MaskError,
         "an int from 2 to 2147483647, received 1"),
        (dict(batch_size=2, vocab_size=2**31), "vocab_size", MaskError,
         "an int from 2 to 2147483647, received 2147483648"),
        (dict(batch_size=True), "batch_size", MaskTypeError, "an int >= 1, received bool True"),
        (dict(batch_size=2, seed=-1), "seed", MaskError, "an int >= 0, received -1"),
    ],
)
def test_random_sequences_rejects_bad_arguments(arguments, name, error, received):
    with pytest.raises(error, match=rf"`{name}`: expected {received}"):
        random_sequences(**arguments)


# --- property: pad_batch equals keras.utils.pad_sequences, or refuses ---------------------------

ROWS = st.lists(st.one_of(st.integers(-1, 9), st.sampled_from([2**31 - 1, 2**31, 2**32])),
                max_size=6)


@settings(max_examples=80, deadline=None)
@given(sequences=st.lists(ROWS, max_size=4),
       length=st.one_of(st.none(), st.integers(-1, 8), st.floats(0, 8)),
       padding=st.sampled_from(["post", "pre", "end"]), truncating=st.sampled_from(["post", "pre"]))
@example(sequences=[IDS_A, IDS_B], length=None, padding="post", truncating="post")
@example(sequences=[[1, 2**32]], length=None, padding="post", truncating="post")
def test_pad_batch_equals_pad_sequences_or_refuses(sequences, length, padding, truncating):
    valid = (
        bool(sequences) and all(sequences) and padding != "end"
        and all(1 <= token <= 2**31 - 1 for row in sequences for token in row)
        and (length is None or (isinstance(length, int) and length >= 1))
    )
    if valid:
        expected = keras.utils.pad_sequences(sequences, maxlen=length, padding=padding,
                                             truncating=truncating, dtype="int32")
        assert np.array_equal(pad_batch(sequences, length, padding, truncating), expected)
    else:
        with pytest.raises(MaskError):
            pad_batch(sequences, length, padding, truncating)
