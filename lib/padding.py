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

from typing import Literal, Sequence

import numpy as np

from lib.errors import MaskError, MaskTypeError

PAD_ID = 0
"""The id :func:`pad_batch` fills with; no real token may have it."""


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
    (``truncating="post"``) or the start (``"pre"``).
    """
    if isinstance(sequences, (str, bytes)) or not hasattr(sequences, "__len__"):
        raise MaskTypeError.expected(
            "sequences", "a list of token-id lists", f"{type(sequences).__name__}"
        )
    if len(sequences) == 0:
        raise MaskError.expected("sequences", "at least one sequence", "an empty list")
    for name, value in (("padding", padding), ("truncating", truncating)):
        if value not in ("post", "pre"):
            raise MaskError.expected(name, "'post' or 'pre'", repr(value))
    rows = []
    for index, sequence in enumerate(sequences):
        row = np.asarray(sequence)
        if row.ndim != 1:
            raise MaskError.expected(
                f"sequences[{index}]", "a flat list of token ids (rank 1)", f"rank {row.ndim}"
            )
        if row.size == 0:
            raise MaskError.expected(
                f"sequences[{index}]",
                "at least one token",
                "an empty sequence",
                "Padded, it would be all padding: no token for its queries to attend to.",
            )
        if not np.issubdtype(row.dtype, np.integer):
            raise MaskTypeError.expected(f"sequences[{index}]", "integer token ids", f"dtype {row.dtype}")
        if (row <= PAD_ID).any():
            positions = np.flatnonzero(row <= PAD_ID).tolist()
            raise MaskError.expected(
                f"sequences[{index}]",
                "ids >= 1 (0 is reserved for padding)",
                f"{row.tolist()}, with id(s) {row[positions].tolist()} at position(s) {positions}",
                "Shift the ids by +1, as lib.vocab.Vocabulary does.",
            )
        rows.append(row)
    longest = max(row.size for row in rows)
    if length is None:
        length = longest
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 1:
        raise MaskError.expected("length", "a positive int", repr(length))
    batch = np.full((len(rows), int(length)), PAD_ID, dtype=np.int32)
    for index, row in enumerate(rows):
        row = row[:length] if truncating == "post" else row[-length:]
        if padding == "post":
            batch[index, : row.size] = row
        else:
            batch[index, length - row.size :] = row
    return batch


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
    for name, value, low in (
        ("batch_size", batch_size, 1), ("min_length", min_length, 1),
        ("max_length", max_length, min_length), ("vocab_size", vocab_size, 2),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise MaskError.expected(name, f"an int >= {low}", repr(value))
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_length, max_length, endpoint=True, size=batch_size)
    return [rng.integers(1, vocab_size, size=int(length)).tolist() for length in lengths]
