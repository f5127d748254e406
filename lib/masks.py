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

from typing import Any

import tensorflow as tf

from lib import checks
from lib.checks import public_api
from lib.errors import MaskError
from lib.padding import PAD_ID

__all__ = [
    "PAD_ID", "padding_mask", "query_mask", "key_mask", "self_attention_mask",
    "cross_attention_mask", "causal_mask", "combine",
]


@public_api
def padding_mask(token_ids: Any, pad_id: int = PAD_ID) -> tf.Tensor:
    """(B, S) boolean mask, ``True`` where a token is real (its id is not ``pad_id``).

    The same mask that ``keras.layers.Embedding(..., mask_zero=True)`` attaches to its output.
    ``token_ids`` must be a (B, S) integer matrix of ids ``>= 0`` with a real token in every
    row; inside ``tf.function`` the value checks run as graph assertions.

    >>> padding_mask([[5, 2, 0]]).numpy()
    array([[ True,  True, False]])
    """
    return checks.token_ids(token_ids, "token_ids", pad_id)


@public_api
def query_mask(padding_mask: Any) -> tf.Tensor:
    """(B, T, 1) column mask: ``padding_mask[:, :, None]``, one entry per query position.

    Taught in chapter 4 (broadcasting).

    >>> query_mask([[True, False]]).numpy().tolist()
    [[[True], [False]]]
    """
    return checks.padding_mask(padding_mask, "padding_mask")[:, :, tf.newaxis]


@public_api
def key_mask(padding_mask: Any) -> tf.Tensor:
    """(B, 1, S) row mask: ``padding_mask[:, None, :]``, one entry per key position.

    Taught in chapter 4 (broadcasting).

    >>> key_mask([[True, False]]).numpy().tolist()
    [[[True, False]]]
    """
    return checks.padding_mask(padding_mask, "padding_mask")[:, tf.newaxis, :]


@public_api
def self_attention_mask(padding_mask: Any) -> tf.Tensor:
    """(B, T, S) mask with T = S: ``query_mask & key_mask``; ``[b, i, j]`` is True iff
    tokens i and j are both real.

    This is the question's ``mask[:, :, None] & mask[:, None, :]``, taught in chapter 5.

    >>> self_attention_mask([[True, False]]).numpy().astype(int).tolist()
    [[[1, 0], [0, 0]]]
    """
    mask = checks.padding_mask(padding_mask, "padding_mask")
    return tf.logical_and(mask[:, :, tf.newaxis], mask[:, tf.newaxis, :])


@public_api
def cross_attention_mask(query_padding_mask: Any, key_padding_mask: Any) -> tf.Tensor:
    """(B, T, S) mask for queries of one sequence attending to keys of another (chapter 8).

    >>> cross_attention_mask([[True, True, False]], [[True, False]]).shape
    TensorShape([1, 3, 2])
    """
    queries = checks.padding_mask(query_padding_mask, "query_padding_mask")
    keys = checks.padding_mask(key_padding_mask, "key_padding_mask")
    checks.same_batch(queries, "query_padding_mask", keys, "key_padding_mask")
    return tf.logical_and(queries[:, :, tf.newaxis], keys[:, tf.newaxis, :])


@public_api
def causal_mask(query_length: Any, key_length: Any | None = None) -> tf.Tensor:
    """(1, T, S) lower-triangular mask: query i may attend to keys 0..i (chapter 7).

    Same as what ``MultiHeadAttention(use_causal_mask=True)`` builds. The lengths are
    ints, or scalar integer tensors (``tf.shape(x)[1]`` inside ``tf.function``).

    >>> causal_mask(3).numpy()[0].astype(int)
    array([[1, 0, 0],
           [1, 1, 0],
           [1, 1, 1]])
    """
    queries = checks.length(query_length, "query_length")
    keys = queries if key_length is None else checks.length(key_length, "key_length")
    ones = tf.ones(tf.stack([queries, keys]), dtype=tf.int8)
    return tf.cast(tf.linalg.band_part(ones, -1, 0), tf.bool)[tf.newaxis]


@public_api
def combine(*masks: Any) -> tf.Tensor:
    """AND of broadcast-compatible rank-3 boolean masks, e.g. ``combine(causal, self_attention)``.

    >>> combine(causal_mask(2), [[[True, False], [True, False]]]).numpy().astype(int).tolist()
    [[[1, 0], [1, 0]]]
    """
    if not masks:
        raise MaskError.expected("masks", "at least one mask", "none")
    tensors = []
    for index, mask in enumerate(masks):
        argument = f"masks[{index}]"
        tensor = checks.as_tensor(mask, argument)
        checks.rank(tensor, 3, argument, "(B, T, S) mask, or one with 1 on broadcast axes")
        checks.dtype_family(tensor, argument, "bool", hint=checks.BOOL_HINT)
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
