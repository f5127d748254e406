"""Pad (and truncate) token-id sequences to one length: a (B, S) integer matrix.

Taught in chapter 2; every later chapter pads with :func:`pad_batch`.

>>> pad_batch([[1, 3, 2, 7, 4, 5], [1, 3, 6]])
array([[1, 3, 2, 7, 4, 5],
       [1, 3, 6, 0, 0, 0]], dtype=int32)
>>> pad_batch([[1, 3, 6]], length=5, padding="pre")
array([[0, 0, 1, 3, 6]], dtype=int32)
"""

from __future__ import annotations

from typing import Literal, Sequence

import numpy as np

from lib.errors import MaskError, MaskTypeError

PAD_ID = 0


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
        if (row == PAD_ID).any() or (row < 0).any():
            raise MaskError.expected(
                f"sequences[{index}]",
                "ids >= 1 (0 is reserved for padding)",
                f"{row.tolist()}",
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
