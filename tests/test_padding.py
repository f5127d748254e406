"""Tests for lib.padding: pad_batch against tf.pad and pad_sequences, random batches, errors."""

from __future__ import annotations

from itertools import product

import keras
import numpy as np
import pytest
import tensorflow as tf

from lib.errors import MaskError, MaskTypeError
from lib.example import seed_token_ids
from lib.masks import padding_mask
from lib.padding import PAD_ID, pad_batch, random_sequences

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


# --- error paths ---------------------------------------------------------------------------


def test_rejects_an_empty_sentence():
    with pytest.raises(MaskError, match=r"`sequences\[1\]`: expected at least one token, received an empty sequence"):
        pad_batch([IDS_B, []])


def test_rejects_id_zero_inside_a_sentence():
    with pytest.raises(
        MaskError,
        match=r"`sequences\[1\]`: expected ids >= 1 \(0 is reserved for padding\), "
        r"received \[4, 0, 2\], with id\(s\) \[0\] at position\(s\) \[1\]",
    ):
        pad_batch([IDS_B, [4, 0, 2]])


def test_rejects_an_already_padded_sentence():
    with pytest.raises(MaskError, match=r"`sequences\[0\]`: expected ids >= 1 .*received \[1, 3, 6, 0, 0, 0\]"):
        pad_batch([[1, 3, 6, 0, 0, 0]])


def test_rejects_negative_ids():
    with pytest.raises(MaskError, match=r"received \[1, -2\], with id\(s\) \[-2\] at position\(s\) \[1\]"):
        pad_batch([[1, -2]])


def test_rejects_an_empty_batch():
    with pytest.raises(MaskError, match=r"`sequences`: expected at least one sequence, received an empty list"):
        pad_batch([])


def test_rejects_a_string():
    with pytest.raises(MaskTypeError, match=r"`sequences`: expected a list of token-id lists, received str"):
        pad_batch("This is short")


def test_rejects_a_non_sequence():
    with pytest.raises(MaskTypeError, match=r"expected a list of token-id lists, received int"):
        pad_batch(42)


def test_rejects_a_nested_sentence():
    with pytest.raises(MaskError, match=r"`sequences\[0\]`: expected a flat list of token ids \(rank 1\), received rank 2"):
        pad_batch([[[1, 0, 3, 0], [1, 2, 0, 0]]])


def test_rejects_float_ids():
    with pytest.raises(MaskTypeError, match=r"`sequences\[0\]`: expected integer token ids, received dtype float64"):
        pad_batch([[1.0, 3.0]])


def test_rejects_boolean_ids():
    with pytest.raises(MaskTypeError, match=r"`sequences\[0\]`: expected integer token ids, received dtype bool"):
        pad_batch([[True, False]])


@pytest.mark.parametrize("name", ["padding", "truncating"])
def test_rejects_an_unknown_side(name):
    with pytest.raises(MaskError, match=rf"`{name}`: expected 'post' or 'pre', received 'end'"):
        pad_batch([IDS_A], **{name: "end"})


@pytest.mark.parametrize("length", [0, -3, 2.5, "6", True])
def test_rejects_a_bad_length(length):
    with pytest.raises(MaskError, match=rf"`length`: expected a positive int, received {length!r}"):
        pad_batch([IDS_A], length=length)


@pytest.mark.parametrize(
    "arguments, name, expected",
    [
        (dict(batch_size=0), "batch_size", "an int >= 1"),
        (dict(batch_size=2.0), "batch_size", "an int >= 1"),
        (dict(batch_size=2, min_length=0), "min_length", "an int >= 1"),
        (dict(batch_size=2, min_length=5, max_length=3), "max_length", "an int >= 5"),
        (dict(batch_size=2, vocab_size=1), "vocab_size", "an int >= 2"),
        (dict(batch_size=True), "batch_size", "an int >= 1"),
    ],
)
def test_random_sequences_rejects_bad_arguments(arguments, name, expected):
    received = repr(arguments[name])
    with pytest.raises(MaskError, match=rf"`{name}`: expected {expected}, received {received}"):
        random_sequences(**arguments)
