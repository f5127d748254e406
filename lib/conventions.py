"""One mask, many spellings: converters between Keras's boolean mask and other conventions.

Introduced in chapter 10 ("One idea, many spellings"). Keras's convention is
the book's: a boolean mask, ``True`` = *may attend*; the padding mask is
(B, S), the ``attention_mask`` (B, T, S). The other spellings:

- PyTorch ``nn.MultiheadAttention``: ``key_padding_mask`` (B, S) and boolean
  ``attn_mask`` (T, S) or (B * H, T, S), ``True`` = *ignore* (the opposite);
- PyTorch ``scaled_dot_product_attention``: boolean ``attn_mask`` broadcast to
  (B, H, T, S), ``True`` = *take part* (Keras's sense);
- Hugging Face ``attention_mask``: (B, S) integers, 1 = real token (a padding mask);
- additive float masks: added to the scores, 0 = keep, -1e9 or -inf = drop;
- the older TensorFlow tutorial: (B, 1, 1, S) float, 1.0 = pad, times -1e9, added.

Every converter takes a NumPy array, a nested list or a ``tf.Tensor`` and
returns a NumPy array (``torch.from_numpy`` turns it into a PyTorch tensor;
Keras layers accept it as it is). Wrong rank, dtype or values raise
:class:`~lib.errors.MaskError` / :class:`~lib.errors.MaskTypeError` saying
what was expected and what was received.

>>> padding = np.array([[True, True, False]])            # Keras: True = real token
>>> keras_to_torch_key_padding(padding)                   # PyTorch: True = ignore
array([[False, False,  True]])
>>> keras_to_additive(padding)
array([[ 0.e+00,  0.e+00, -1.e+09]], dtype=float32)
>>> hf_to_keras_padding([[1, 1, 0]]).tolist()
[[True, True, False]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lib.errors import MaskError, MaskTypeError

NEG = -1e9
"""The default large negative number of an additive mask (Keras's own softmax uses -1e9 too)."""

ADDITIVE_THRESHOLD = -1e4
"""An additive entry at or below this counts as *drop* (older BERT code used -10000.0)."""


# --- checks -----------------------------------------------------------------------------------

def _array(value: Any, argument: str) -> np.ndarray:
    """A NumPy view of ``value`` (tensor, array or nested list)."""
    if hasattr(value, "numpy") and callable(value.numpy):
        value = value.numpy()
    try:
        array = np.asarray(value)
    except ValueError:                       # NumPy 2 refuses ragged nested lists
        array = np.empty(0, dtype=object)
    if array.dtype == object:
        raise MaskTypeError.expected(
            argument,
            "a rectangular array of numbers or booleans",
            f"ragged or mixed data ({type(value).__name__})",
            "Pad the sequences to one length first (lib.padding.pad_batch).",
        )
    return array


def _describe(array: np.ndarray) -> str:
    return f"shape {array.shape} and dtype {array.dtype}"


def _check_rank(array: np.ndarray, ranks: tuple[int, ...], argument: str, layout: str) -> None:
    if array.ndim not in ranks:
        wanted = " or ".join(str(rank) for rank in ranks)
        raise MaskError.expected(
            argument, f"rank {wanted} {layout}", f"rank {array.ndim} ({_describe(array)})"
        )


def _check_bool(array: np.ndarray, argument: str, meaning: str) -> None:
    if array.dtype != np.bool_:
        raise MaskTypeError.expected(
            argument, f"dtype bool ({meaning})", f"dtype {array.dtype}",
            "Convert 0/1 masks with array.astype(bool) after checking which value means what.",
        )


def _check_binary(array: np.ndarray, argument: str, meaning: str) -> None:
    """Integers, floats or booleans, with every value 0 or 1."""
    if not (array.dtype == np.bool_ or np.issubdtype(array.dtype, np.number)):
        raise MaskTypeError.expected(
            argument, f"numbers 0 and 1 ({meaning})", f"dtype {array.dtype}"
        )
    others = np.unique(array[(array != 0) & (array != 1)])
    if others.size:
        raise MaskError.expected(
            argument, f"only the values 0 and 1 ({meaning})", f"also {others[:5].tolist()}"
        )


def _check_float(array: np.ndarray, argument: str, meaning: str) -> None:
    if not np.issubdtype(array.dtype, np.floating):
        raise MaskTypeError.expected(argument, f"a float dtype ({meaning})", f"dtype {array.dtype}")


def _check_positive_int(value: Any, argument: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise MaskError.expected(argument, "a positive int", repr(value))
    return int(value)


# --- PyTorch nn.MultiheadAttention ------------------------------------------------------------

def keras_to_torch_key_padding(padding_mask: Any) -> np.ndarray:
    """Keras (B, S) padding mask (``True`` = real) to PyTorch's ``key_padding_mask``.

    PyTorch's ``key_padding_mask`` means the opposite: ``True`` = ignore this key (padding).


    >>> keras_to_torch_key_padding([[True, False]])
    array([[False,  True]])
    """
    mask = _array(padding_mask, "padding_mask")
    _check_rank(mask, (2,), "padding_mask", "(B, S)")
    _check_bool(mask, "padding_mask", "True = real token")
    return ~mask


def torch_key_padding_to_keras(key_padding_mask: Any) -> np.ndarray:
    """PyTorch's (B, S) ``key_padding_mask`` (``True`` = ignore) to a Keras padding mask.

    The result means ``True`` = real token, as in Keras.


    >>> torch_key_padding_to_keras([[False, True]])
    array([[ True, False]])
    """
    mask = _array(key_padding_mask, "key_padding_mask")
    _check_rank(mask, (2,), "key_padding_mask", "(B, S)")
    _check_bool(mask, "key_padding_mask", "True = ignore this key")
    return ~mask


def keras_to_torch_attn_mask(attention_mask: Any, num_heads: int | None = None) -> np.ndarray:
    """Keras (B, T, S) ``attention_mask`` to a boolean ``attn_mask`` of ``nn.MultiheadAttention``.

    PyTorch's boolean ``attn_mask`` means ``True`` = *not allowed*, and is either (T, S), shared by
    the whole batch, or (B * H, T, S), one matrix per sentence *and* head, sentence-major (row
    ``b * H + h``). Without ``num_heads`` the mask must be the same for every sentence (e.g. a
    causal mask) and comes back (T, S); with ``num_heads`` it comes back (B * H, T, S).

    >>> causal = np.array([[[True, False], [True, True]]])       # (1, 2, 2)
    >>> keras_to_torch_attn_mask(causal)
    array([[False,  True],
           [False, False]])
    >>> keras_to_torch_attn_mask(np.ones((2, 1, 3), bool), num_heads=4).shape
    (8, 1, 3)
    """
    mask = _array(attention_mask, "attention_mask")
    _check_rank(mask, (3,), "attention_mask", "(B, T, S)")
    _check_bool(mask, "attention_mask", "True = may attend")
    if num_heads is None:
        if not (mask == mask[:1]).all():
            raise MaskError.expected(
                "attention_mask",
                "the same (T, S) mask for every sentence when num_heads is not given",
                f"a mask that differs between sentences ({_describe(mask)})",
                "Pass num_heads to get PyTorch's (B * H, T, S) layout.",
            )
        return ~mask[0]
    heads = _check_positive_int(num_heads, "num_heads")
    return np.repeat(~mask, heads, axis=0)


def torch_attn_mask_to_keras(attn_mask: Any, num_heads: int | None = None) -> np.ndarray:
    """A boolean ``nn.MultiheadAttention`` ``attn_mask`` (``True`` = not allowed) to a Keras mask.

    (T, S) becomes (1, T, S), which broadcasts over the batch. (B * H, T, S) needs ``num_heads``
    and becomes (B, T, S); Keras's ``attention_mask`` is shared by the heads, so the H matrices of
    each sentence must be equal.

    >>> torch_attn_mask_to_keras([[False, True], [False, False]]).astype(int).tolist()
    [[[1, 0], [1, 1]]]
    >>> torch_attn_mask_to_keras(np.zeros((6, 2, 2), bool), num_heads=3).shape
    (2, 2, 2)
    """
    mask = _array(attn_mask, "attn_mask")
    _check_rank(mask, (2, 3), "attn_mask", "(T, S) or (B * H, T, S)")
    _check_bool(mask, "attn_mask", "True = not allowed")
    if mask.ndim == 2:
        return ~mask[np.newaxis]
    if num_heads is None:
        raise MaskError.expected(
            "num_heads", "the number of heads H for a rank-3 (B * H, T, S) attn_mask", "None"
        )
    heads = _check_positive_int(num_heads, "num_heads")
    if mask.shape[0] % heads:
        raise MaskError.expected(
            "attn_mask", f"a first axis that is a multiple of num_heads={heads} (B * H)",
            f"{mask.shape[0]} ({_describe(mask)})",
        )
    per_head = mask.reshape(mask.shape[0] // heads, heads, *mask.shape[1:])
    if not (per_head == per_head[:, :1]).all():
        raise MaskError.expected(
            "attn_mask",
            "the same matrix for every head of a sentence (Keras shares one mask across heads)",
            "matrices that differ between heads",
        )
    return ~per_head[:, 0]


# --- PyTorch scaled_dot_product_attention -----------------------------------------------------

def keras_to_sdpa(attention_mask: Any) -> np.ndarray:
    """Keras (B, T, S) mask to a boolean ``scaled_dot_product_attention`` mask (B, 1, T, S).

    Same meaning (``True`` = take part); the new axis 1 broadcasts over the heads of
    PyTorch's (B, H, T, S) scores.

    >>> keras_to_sdpa(np.ones((2, 3, 4), bool)).shape
    (2, 1, 3, 4)
    """
    mask = _array(attention_mask, "attention_mask")
    _check_rank(mask, (3,), "attention_mask", "(B, T, S)")
    _check_bool(mask, "attention_mask", "True = may attend")
    return mask[:, np.newaxis]


def sdpa_to_keras(attn_mask: Any) -> np.ndarray:
    """A boolean ``scaled_dot_product_attention`` mask, (T, S) or (B, 1, T, S), to Keras (B, T, S).

    >>> sdpa_to_keras(np.ones((2, 1, 3, 4), bool)).shape
    (2, 3, 4)
    >>> sdpa_to_keras(np.ones((3, 4), bool)).shape
    (1, 3, 4)
    """
    mask = _array(attn_mask, "attn_mask")
    _check_rank(mask, (2, 4), "attn_mask", "(T, S) or (B, 1, T, S)")
    _check_bool(mask, "attn_mask", "True = take part")
    if mask.ndim == 2:
        return mask[np.newaxis]
    if mask.shape[1] != 1:
        raise MaskError.expected(
            "attn_mask", "a head axis of size 1, (B, 1, T, S): Keras shares one mask across heads",
            f"{_describe(mask)}",
        )
    return mask[:, 0]


# --- Hugging Face -----------------------------------------------------------------------------

def hf_to_keras_padding(attention_mask: Any) -> np.ndarray:
    """A Hugging Face (B, S) ``attention_mask`` (1 = real token) to a Keras padding mask.

    Despite its name it is a *padding* mask; build the (B, T, S) mask from it with
    :func:`lib.masks.self_attention_mask`.

    >>> hf_to_keras_padding(np.array([[1, 1, 0]], dtype=np.int64))
    array([[ True,  True, False]])
    """
    mask = _array(attention_mask, "attention_mask")
    _check_rank(mask, (2,), "attention_mask", "(B, S) Hugging Face padding mask")
    _check_binary(mask, "attention_mask", "1 = real token, 0 = padding")
    return mask.astype(bool)


def keras_padding_to_hf(padding_mask: Any) -> np.ndarray:
    """A Keras (B, S) padding mask to Hugging Face's ``attention_mask``: ``int64``, 1 = real token.

    >>> keras_padding_to_hf([[True, False]])
    array([[1, 0]])
    """
    mask = _array(padding_mask, "padding_mask")
    _check_rank(mask, (2,), "padding_mask", "(B, S)")
    _check_bool(mask, "padding_mask", "True = real token")
    return mask.astype(np.int64)


# --- additive float masks ---------------------------------------------------------------------

def keras_to_additive(mask: Any, neg: float = NEG, dtype: Any = np.float32) -> np.ndarray:
    """A boolean mask of any shape to an additive one: 0.0 where ``True``, ``neg`` where ``False``.

    Added to the attention scores before the softmax, ``neg`` drives the dropped weights to 0.
    With ``neg=-np.inf`` they are exactly 0, but a row with *no* allowed key becomes NaN;
    with ``-1e9`` such a row becomes uniform instead (chapter 10).

    >>> keras_to_additive([[True, False]], neg=-np.inf)
    array([[  0., -inf]], dtype=float32)
    """
    array = _array(mask, "mask")
    _check_bool(array, "mask", "True = may attend")
    is_number = isinstance(neg, (int, float, np.floating, np.integer)) and not isinstance(neg, bool)
    if not is_number or not neg <= ADDITIVE_THRESHOLD:
        raise MaskError.expected(
            "neg", f"a large negative number (<= {ADDITIVE_THRESHOLD:g}, or -inf)", repr(neg)
        )
    return np.where(array, 0.0, neg).astype(dtype)


def additive_to_keras(additive: Any) -> np.ndarray:
    """An additive float mask (0 = keep, large negative or -inf = drop) to a boolean one.

    The result has the same shape, ``True`` where the additive mask is 0.

    >>> additive_to_keras([[0.0, -1e9, -np.inf]])
    array([[ True, False, False]])
    """
    array = _array(additive, "additive")
    _check_float(array, "additive", "0 = keep, large negative = drop")
    keep = array == 0
    drop = array <= ADDITIVE_THRESHOLD
    others = np.unique(array[~(keep | drop)])
    if others.size:
        raise MaskError.expected(
            "additive",
            f"only 0 (keep) and large negative values (<= {ADDITIVE_THRESHOLD:g}, drop)",
            f"also {others[:5].tolist()}",
            "A soft bias (e.g. ALiBi or relative positions) is not a mask and has no boolean form.",
        )
    return keep


def softmax(scores: Any, axis: int = -1) -> np.ndarray:
    """A plain NumPy softmax (max subtracted first), for checking additive masks by hand.

    No masking of its own: add an additive mask to ``scores`` first. A row whose scores are
    all ``-inf`` has no maximum to subtract and comes out NaN, as in PyTorch.

    >>> softmax(np.array([0.0, 0.0, -1e9], dtype=np.float32)).tolist()
    [0.5, 0.5, 0.0]
    """
    array = _array(scores, "scores")
    _check_float(array, "scores", "attention scores")
    with np.errstate(invalid="ignore"):
        shifted = np.exp(array - array.max(axis=axis, keepdims=True))
        return shifted / shifted.sum(axis=axis, keepdims=True)


# --- the older TensorFlow tutorial ------------------------------------------------------------

def old_tf_padding_to_keras(mask: Any) -> np.ndarray:
    """The older TensorFlow tutorial's (B, 1, 1, S) float mask (1.0 = pad) to a Keras (B, S) mask.

    That tutorial built ``tf.cast(tf.math.equal(seq, 0), tf.float32)[:, tf.newaxis, tf.newaxis, :]``
    and added ``mask * -1e9`` to the (B, H, T, S) scores. For ``MultiHeadAttention`` build the
    (B, T, S) mask from the result with :func:`lib.masks.self_attention_mask` (or use it as a
    (B, 1, S) key mask), rather than passing the 4-D mask itself.

    >>> old_tf_padding_to_keras(np.array([[[[0.0, 0.0, 1.0]]]], dtype=np.float32))
    array([[ True,  True, False]])
    """
    array = _array(mask, "mask")
    _check_rank(array, (4,), "mask", "(B, 1, 1, S)")
    if array.shape[1:3] != (1, 1):
        raise MaskError.expected("mask", "shape (B, 1, 1, S)", f"{_describe(array)}")
    _check_binary(array, "mask", "1.0 = pad, 0.0 = real token")
    return array[:, 0, 0, :] == 0


def keras_padding_to_old_tf(padding_mask: Any) -> np.ndarray:
    """A Keras (B, S) padding mask to the older TensorFlow tutorial's (B, 1, 1, S) mask, 1.0 = pad.

    >>> keras_padding_to_old_tf([[True, False]]).tolist()
    [[[[0.0, 1.0]]]]
    """
    array = _array(padding_mask, "padding_mask")
    _check_rank(array, (2,), "padding_mask", "(B, S)")
    _check_bool(array, "padding_mask", "True = real token")
    return (~array).astype(np.float32)[:, np.newaxis, np.newaxis, :]
