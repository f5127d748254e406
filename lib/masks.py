"""From token ids to the boolean ``attention_mask`` of ``keras.layers.MultiHeadAttention``.

Introduced in the introduction and taught in chapters 3 to 5 (causal masks in
chapter 7, cross-attention in chapter 8). Convention throughout, as in Keras:
``True`` means *may attend*. Shapes use the book's notation: ``B`` batch,
``T`` query (target) length, ``S`` key (source) length.

>>> ids = [[1, 3, 2, 7, 4, 5], [1, 3, 6, 0, 0, 0]]
>>> mask = padding_mask(ids)                   # (B, S) = (2, 6)
>>> query_mask(mask).shape, key_mask(mask).shape
(TensorShape([2, 6, 1]), TensorShape([2, 1, 6]))
>>> attention = self_attention_mask(mask)     # (B, T, S) = (2, 6, 6)
>>> attention.numpy()[1].astype(int)
array([[1, 1, 1, 0, 0, 0],
       [1, 1, 1, 0, 0, 0],
       [1, 1, 1, 0, 0, 0],
       [0, 0, 0, 0, 0, 0],
       [0, 0, 0, 0, 0, 0],
       [0, 0, 0, 0, 0, 0]])
"""

from __future__ import annotations

import numbers
from typing import Any

import tensorflow as tf

from lib._checks import as_tensor, check_bool, check_integer, check_rank, describe
from lib.errors import MaskError, MaskTypeError

PAD_ID = 0
"""The token id that means padding: ``Embedding(mask_zero=True)`` masks exactly this id."""

_SEED_HINT = (
    "An Embedding's input is a (batch, sequence) matrix of token ids; a 3-D input such as "
    "[[[1, 0, 3, 0], [1, 2, 0, 0]]] has an extra axis, so its mask and everything built on it "
    "gain an axis too. Remove the extra axis (e.g. ids[0]) before building masks."
)


def _check_padding_mask(mask: Any, argument: str) -> tf.Tensor:
    """Check a (B, S) boolean padding mask with at least one real token per row."""
    tensor = as_tensor(mask, argument)
    check_rank(tensor, 2, argument, "(B, S) padding mask", _SEED_HINT if tensor.shape.rank == 3 else "")
    check_bool(tensor, argument)
    _check_not_empty(tensor, argument)
    return tensor


def _check_not_empty(mask: tf.Tensor, argument: str, received: tf.Tensor | None = None) -> None:
    """Reject a batch with no rows or columns, or a row with no real token.

    ``received`` is the tensor the caller was given (token ids, say), named in the message.
    """
    batch, length = mask.shape
    if batch == 0 or length == 0:
        raise MaskError.expected(
            argument,
            "at least one sequence of at least one token",
            f"an empty batch ({describe(mask if received is None else received)})",
        )
    if tf.executing_eagerly():
        empty_rows = tf.where(~tf.reduce_any(mask, axis=1))[:, 0].numpy().tolist()
        if empty_rows:
            raise MaskError.expected(
                argument,
                "at least one real (True) token in every sequence",
                f"all-padding sequence(s) at batch index {empty_rows}",
                "A query row with no key to attend to has no meaningful softmax; drop empty sequences.",
            )


def padding_mask(token_ids: Any, pad_id: int = PAD_ID) -> tf.Tensor:
    """(B, S) boolean mask, ``True`` where a token is real (its id is not ``pad_id``).

    The same mask that ``keras.layers.Embedding(..., mask_zero=True)`` attaches to its output.

    >>> padding_mask([[5, 2, 0]]).numpy()
    array([[ True,  True, False]])
    """
    if isinstance(pad_id, bool) or not isinstance(pad_id, numbers.Integral):
        raise MaskTypeError.expected("pad_id", "an int token id", repr(pad_id))
    ids = as_tensor(token_ids, "token_ids")
    check_rank(ids, 2, "token_ids", "(B, S) token ids", _SEED_HINT if ids.shape.rank == 3 else "")
    check_integer(ids, "token_ids")
    mask = tf.not_equal(ids, tf.cast(int(pad_id), ids.dtype))
    _check_not_empty(mask, "token_ids", received=ids)
    return mask


def query_mask(padding_mask: Any) -> tf.Tensor:
    """(B, T, 1) column mask: ``padding_mask[:, :, None]``, one entry per query position.

    Taught in chapter 4 (broadcasting).

    >>> query_mask([[True, False]]).numpy().tolist()
    [[[True], [False]]]
    """
    mask = _check_padding_mask(padding_mask, "padding_mask")
    return mask[:, :, tf.newaxis]


def key_mask(padding_mask: Any) -> tf.Tensor:
    """(B, 1, S) row mask: ``padding_mask[:, None, :]``, one entry per key position.

    Taught in chapter 4 (broadcasting).

    >>> key_mask([[True, False]]).numpy().tolist()
    [[[True, False]]]
    """
    mask = _check_padding_mask(padding_mask, "padding_mask")
    return mask[:, tf.newaxis, :]


def self_attention_mask(padding_mask: Any) -> tf.Tensor:
    """(B, T, S) mask with T = S: ``query_mask & key_mask``; ``[b, i, j]`` is True iff tokens i and j are real.

    This is the question's ``mask[:, :, None] & mask[:, None, :]``, taught in chapter 5.

    >>> self_attention_mask([[True, False]]).numpy().astype(int).tolist()
    [[[1, 0], [0, 0]]]
    """
    mask = _check_padding_mask(padding_mask, "padding_mask")
    return tf.logical_and(mask[:, :, tf.newaxis], mask[:, tf.newaxis, :])


def cross_attention_mask(query_padding_mask: Any, key_padding_mask: Any) -> tf.Tensor:
    """(B, T, S) mask for queries of one sequence attending to keys of another (chapter 8).

    >>> cross_attention_mask([[True, True, False]], [[True, False]]).shape
    TensorShape([1, 3, 2])
    """
    queries = _check_padding_mask(query_padding_mask, "query_padding_mask")
    keys = _check_padding_mask(key_padding_mask, "key_padding_mask")
    if queries.shape[0] != keys.shape[0]:
        raise MaskError.expected(
            "key_padding_mask",
            f"the same batch size B={queries.shape[0]} as query_padding_mask {tuple(queries.shape)}",
            f"B={keys.shape[0]} (shape {tuple(keys.shape)})",
        )
    return tf.logical_and(queries[:, :, tf.newaxis], keys[:, tf.newaxis, :])


def causal_mask(query_length: int, key_length: int | None = None) -> tf.Tensor:
    """(1, T, S) lower-triangular mask: query i may attend to keys 0..i (chapter 7).

    Same as what ``MultiHeadAttention(use_causal_mask=True)`` builds.

    >>> causal_mask(3).numpy()[0].astype(int)
    array([[1, 0, 0],
           [1, 1, 0],
           [1, 1, 1]])
    """
    key_length = query_length if key_length is None else key_length
    for name, value in (("query_length", query_length), ("key_length", key_length)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise MaskError.expected(name, "a positive int", repr(value))
    ones = tf.ones((int(query_length), int(key_length)), dtype=tf.bool)
    return tf.cast(tf.linalg.band_part(tf.cast(ones, tf.int8), -1, 0), tf.bool)[tf.newaxis]


def combine(*masks: Any) -> tf.Tensor:
    """AND of broadcast-compatible rank-3 boolean masks, e.g. ``combine(causal, self_attention)``.

    >>> combine(causal_mask(2), [[[True, False], [True, False]]]).numpy().astype(int).tolist()
    [[[1, 0], [1, 0]]]
    """
    if not masks:
        raise MaskError.expected("masks", "at least one mask", "none")
    tensors = []
    for index, mask in enumerate(masks):
        tensor = as_tensor(mask, f"masks[{index}]")
        check_rank(tensor, 3, f"masks[{index}]", "(B, T, S) mask, or one with 1 on broadcast axes")
        check_bool(tensor, f"masks[{index}]")
        tensors.append(tensor)
    shape = tensors[0].shape
    for index, tensor in enumerate(tensors[1:], start=1):
        try:
            shape = tf.broadcast_static_shape(shape, tensor.shape)
        except ValueError:
            raise MaskError.expected(
                f"masks[{index}]",
                f"a shape that broadcasts with {tuple(shape)}",
                f"{tuple(tensor.shape)}",
            ) from None
    result = tensors[0]
    for tensor in tensors[1:]:
        result = tf.logical_and(result, tensor)
    return result
