"""Pad (and truncate) token-id sequences to one length: a (B, S) integer matrix.

Introduced in chapter 2; every later chapter pads with :func:`pad_batch`.

>>> pad_batch([[1, 3, 2, 7, 4, 5], [1, 3, 6]])
array([[1, 3, 2, 7, 4, 5],
       [1, 3, 6, 0, 0, 0]], dtype=int32)
>>> pad_batch([[1, 3, 6]], length=5, padding="pre")
array([[0, 0, 1, 3, 6]], dtype=int32)
>>> pad_batch([[1, 3, 2, 7, 4, 5]], length=4, truncating="pre")
array([[2, 7, 4, 5]], dtype=int32)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from lib import checks
from lib.checks import public_api

PAD_ID = 0
"""The token id that means padding: :func:`pad_batch` fills with it, no word of
:class:`lib.vocab.Vocabulary` ever gets it, and ``Embedding(mask_zero=True)`` masks exactly it."""


@public_api
def pad_batch(
    sequences: Sequence[Sequence[int]],
    length: int | None = None,
    padding: Literal["post", "pre"] = "post",
    truncating: Literal["post", "pre"] = "post",
) -> np.ndarray:
    """Stack ``sequences`` into a (B, S) ``int32`` array, filling with 0.

    ``length`` defaults to the longest sequence. ``padding="post"`` (the
    default here, and the seed's ``tf.pad``) puts zeros at the end;
    ``"pre"`` (the default of ``keras.utils.pad_sequences``) at the start.
    Sequences longer than ``length`` lose tokens at the end
    (``truncating="post"``) or the start (``"pre"``). Every id must be from 1
    to 2**31 - 1: 0 is padding, and larger ids do not fit in ``int32``.
    """
    items = checks.sequence(sequences, "sequences", "token-id lists")
    checks.one_of(padding, "padding", ("post", "pre"))
    checks.one_of(truncating, "truncating", ("post", "pre"))
    rows = [checks.token_sequence(row, f"sequences[{index}]") for index, row in enumerate(items)]
    if length is None:
        length = max(row.size for row in rows)
    length = checks.integer(length, "length", 1)
    batch = np.full((len(rows), length), PAD_ID, dtype=np.int32)
    for index, row in enumerate(rows):
        row = row[:length] if truncating == "post" else row[-length:]
        if padding == "post":
            batch[index, : row.size] = row
        else:
            batch[index, length - row.size :] = row
    return batch


@public_api
def random_sequences(
    batch_size: int,
    min_length: int = 1,
    max_length: int = 10,
    vocab_size: int = 8,
    seed: int = 0,
) -> list[list[int]]:
    """``batch_size`` unpadded sequences of random lengths and random ids ``1 .. vocab_size - 1``.

    The same ``seed`` gives the same batch. Introduced in chapter 2 to show many
    sentences of different lengths padded into one (B, S) matrix.

    >>> [len(sequence) for sequence in random_sequences(4, seed=0)]
    [9, 7, 6, 3]
    >>> pad_batch(random_sequences(4, seed=0)).shape
    (4, 9)
    """
    batch_size = checks.integer(batch_size, "batch_size", 1)
    min_length = checks.integer(min_length, "min_length", 1)
    max_length = checks.integer(max_length, "max_length", min_length)
    vocab_size = checks.integer(vocab_size, "vocab_size", 2, checks.INT32_MAX)
    seed = checks.integer(seed, "seed", 0)
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_length, max_length, endpoint=True, size=batch_size)
    return [rng.integers(1, vocab_size, size=int(length)).tolist() for length in lengths]


@public_api
def is_post_padded(token_ids: Any, pad_id: int = PAD_ID) -> np.ndarray:
    """(B,) booleans: True where a row's padding is all at its end (no pad before a real token).

    >>> is_post_padded([[1, 2, 0], [0, 1, 2], [1, 0, 2]]).tolist()
    [True, False, False]
    """
    ids = checks.as_array(token_ids, "token_ids")
    checks.rank(ids, 2, "token_ids", "(B, S) token ids")
    real = ids != pad_id
    # post-padded: once a pad appears, no real token follows it
    return ~np.any(np.cumsum(~real, axis=1).astype(bool) & real, axis=1)
