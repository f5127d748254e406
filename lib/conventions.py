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

from lib import checks
from lib.checks import ADDITIVE_THRESHOLD, public_api
from lib.errors import MaskError

__all__ = [
    "NEG", "ADDITIVE_THRESHOLD", "keras_to_torch_key_padding", "torch_key_padding_to_keras",
    "keras_to_torch_attn_mask", "torch_attn_mask_to_keras", "keras_to_sdpa", "sdpa_to_keras",
    "hf_to_keras_padding", "keras_padding_to_hf", "keras_to_additive", "additive_to_keras",
    "softmax", "old_tf_padding_to_keras", "keras_padding_to_old_tf",
]

NEG = -1e9
"""The default large negative number of an additive mask (Keras's own softmax uses -1e9 too)."""


# --- PyTorch nn.MultiheadAttention ------------------------------------------------------------

@public_api
def keras_to_torch_key_padding(padding_mask: Any) -> np.ndarray:
    """Keras (B, S) padding mask (``True`` = real) to PyTorch's ``key_padding_mask``.

    PyTorch's ``key_padding_mask`` means the opposite: ``True`` = ignore this key (padding).


    >>> keras_to_torch_key_padding([[True, False]])
    array([[False,  True]])
    """
    mask = checks.boolean_mask(padding_mask, "padding_mask", (2,), "(B, S)", "True = real token")
    return ~mask


@public_api
def torch_key_padding_to_keras(key_padding_mask: Any) -> np.ndarray:
    """PyTorch's (B, S) ``key_padding_mask`` (``True`` = ignore) to a Keras padding mask.

    The result means ``True`` = real token, as in Keras.


    >>> torch_key_padding_to_keras([[False, True]])
    array([[ True, False]])
    """
    mask = checks.boolean_mask(key_padding_mask, "key_padding_mask", (2,), "(B, S)",
                               "True = ignore this key")
    return ~mask


@public_api
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
    mask = checks.boolean_mask(attention_mask, "attention_mask", (3,), "(B, T, S)",
                               "True = may attend")
    if num_heads is None:
        if not (mask == mask[:1]).all():
            raise MaskError.expected(
                "attention_mask",
                "the same (T, S) mask for every sentence when num_heads is not given",
                f"a mask that differs between sentences ({checks.describe(mask)})",
                "Pass num_heads to get PyTorch's (B * H, T, S) layout.",
            )
        return ~mask[0]
    heads = checks.integer(num_heads, "num_heads", 1)
    return np.repeat(~mask, heads, axis=0)


@public_api
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
    mask = checks.boolean_mask(attn_mask, "attn_mask", (2, 3), "(T, S) or (B * H, T, S)",
                               "True = not allowed")
    if mask.ndim == 2:
        return ~mask[np.newaxis]
    if num_heads is None:
        raise MaskError.expected(
            "num_heads", "the number of heads H for a rank-3 (B * H, T, S) attn_mask", "None"
        )
    heads = checks.integer(num_heads, "num_heads", 1)
    if mask.shape[0] % heads:
        raise MaskError.expected(
            "attn_mask", f"a first axis that is a multiple of num_heads={heads} (B * H)",
            f"{mask.shape[0]} ({checks.describe(mask)})",
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

@public_api
def keras_to_sdpa(attention_mask: Any) -> np.ndarray:
    """Keras (B, T, S) mask to a boolean ``scaled_dot_product_attention`` mask (B, 1, T, S).

    Same meaning (``True`` = take part); the new axis 1 broadcasts over the heads of
    PyTorch's (B, H, T, S) scores.

    >>> keras_to_sdpa(np.ones((2, 3, 4), bool)).shape
    (2, 1, 3, 4)
    """
    mask = checks.boolean_mask(attention_mask, "attention_mask", (3,), "(B, T, S)",
                               "True = may attend")
    return mask[:, np.newaxis]


@public_api
def sdpa_to_keras(attn_mask: Any) -> np.ndarray:
    """A boolean ``scaled_dot_product_attention`` mask, (T, S) or (B, 1, T, S), to Keras (B, T, S).

    >>> sdpa_to_keras(np.ones((2, 1, 3, 4), bool)).shape
    (2, 3, 4)
    >>> sdpa_to_keras(np.ones((3, 4), bool)).shape
    (1, 3, 4)
    """
    mask = checks.boolean_mask(attn_mask, "attn_mask", (2, 4), "(T, S) or (B, 1, T, S)",
                               "True = take part")
    if mask.ndim == 2:
        return mask[np.newaxis]
    if mask.shape[1] != 1:
        raise MaskError.expected(
            "attn_mask", "a head axis of size 1, (B, 1, T, S): Keras shares one mask across heads",
            f"{checks.describe(mask)}",
        )
    return mask[:, 0]


# --- Hugging Face -----------------------------------------------------------------------------

@public_api
def hf_to_keras_padding(attention_mask: Any) -> np.ndarray:
    """A Hugging Face (B, S) ``attention_mask`` (1 = real token) to a Keras padding mask.

    Despite its name it is a *padding* mask; build the (B, T, S) mask from it with
    :func:`lib.masks.self_attention_mask`.

    >>> hf_to_keras_padding(np.array([[1, 1, 0]], dtype=np.int64))
    array([[ True,  True, False]])
    """
    mask = checks.as_array(attention_mask, "attention_mask")
    checks.rank(mask, 2, "attention_mask", "(B, S) Hugging Face padding mask")
    checks.binary_values(mask, "attention_mask", "1 = real token, 0 = padding")
    return mask.astype(bool)


@public_api
def keras_padding_to_hf(padding_mask: Any) -> np.ndarray:
    """A Keras (B, S) padding mask to Hugging Face's ``attention_mask``: ``int64``, 1 = real token.

    >>> keras_padding_to_hf([[True, False]])
    array([[1, 0]])
    """
    mask = checks.boolean_mask(padding_mask, "padding_mask", (2,), "(B, S)", "True = real token")
    return mask.astype(np.int64)


# --- additive float masks ---------------------------------------------------------------------

@public_api
def keras_to_additive(mask: Any, neg: float = NEG, dtype: Any = np.float32) -> np.ndarray:
    """A boolean mask of any shape to an additive one: 0.0 where ``True``, ``neg`` where ``False``.

    Added to the attention scores before the softmax, ``neg`` drives the dropped weights to 0.
    With ``neg=-np.inf`` they are exactly 0, but a row with *no* allowed key becomes NaN;
    with ``-1e9`` such a row becomes uniform instead (chapter 10).

    >>> keras_to_additive([[True, False]], neg=-np.inf)
    array([[  0., -inf]], dtype=float32)
    """
    array = checks.as_array(mask, "mask")
    checks.dtype_family(array, "mask", "bool", "True = may attend")
    neg = checks.real(neg, "neg", maximum=ADDITIVE_THRESHOLD, allow_infinite=True,
                      hint="A large negative number, or -inf.")
    dtype = checks.float_dtype(dtype, "dtype")
    lowest = float(np.finfo(dtype).min)
    if np.isfinite(neg) and neg < lowest:
        raise MaskError.expected(
            "neg", f"a number that {dtype} can hold (>= {lowest:g}), or -inf", f"{neg:g}",
            f"In {dtype}, {neg:g} would become -inf, and a row with no allowed key NaN. "
            f"Use neg={lowest:g} (np.finfo(np.{dtype}).min) or a wider dtype.",
        )
    return np.where(array, 0.0, neg).astype(dtype)


@public_api
def additive_to_keras(additive: Any) -> np.ndarray:
    """An additive float mask (0 = keep, large negative or -inf = drop) to a boolean one.

    The result has the same shape, ``True`` where the additive mask is 0.

    >>> additive_to_keras([[0.0, -1e9, -np.inf]])
    array([[ True, False, False]])
    """
    return checks.additive_values(checks.as_array(additive, "additive"), "additive")


@public_api
def softmax(scores: Any, axis: int = -1) -> np.ndarray:
    """A plain NumPy softmax (max subtracted first), for checking additive masks by hand.

    No masking of its own: add an additive mask to ``scores`` first. A row whose scores are
    all ``-inf`` has no maximum to subtract and comes out NaN, as in PyTorch.

    >>> softmax(np.array([0.0, 0.0, -1e9], dtype=np.float32)).tolist()
    [0.5, 0.5, 0.0]
    """
    array = checks.as_array(scores, "scores")
    checks.dtype_family(array, "scores", "float", "attention scores")
    if array.ndim == 0:
        checks.rank(array, tuple(range(1, 33)), "scores", "(at least one axis)")
    checks.integer(axis, "axis", -array.ndim, array.ndim - 1)
    with np.errstate(invalid="ignore"):
        shifted = np.exp(array - array.max(axis=axis, keepdims=True))
        return shifted / shifted.sum(axis=axis, keepdims=True)


# --- the older TensorFlow tutorial ------------------------------------------------------------

@public_api
def old_tf_padding_to_keras(mask: Any) -> np.ndarray:
    """The older TensorFlow tutorial's (B, 1, 1, S) float mask (1.0 = pad) to a Keras (B, S) mask.

    That tutorial built ``tf.cast(tf.math.equal(seq, 0), tf.float32)[:, tf.newaxis, tf.newaxis, :]``
    and added ``mask * -1e9`` to the (B, H, T, S) scores. For ``MultiHeadAttention`` build the
    (B, T, S) mask from the result with :func:`lib.masks.self_attention_mask` (or use it as a
    (B, 1, S) key mask), rather than passing the 4-D mask itself.

    >>> old_tf_padding_to_keras(np.array([[[[0.0, 0.0, 1.0]]]], dtype=np.float32))
    array([[ True,  True, False]])
    """
    array = checks.as_array(mask, "mask")
    checks.rank(array, 4, "mask", "(B, 1, 1, S)")
    if array.shape[1:3] != (1, 1):
        raise MaskError.expected("mask", "shape (B, 1, 1, S)", f"{checks.describe(array)}")
    checks.binary_values(array, "mask", "1.0 = pad, 0.0 = real token")
    return array[:, 0, 0, :] == 0


@public_api
def keras_padding_to_old_tf(padding_mask: Any) -> np.ndarray:
    """A Keras (B, S) padding mask to the older TensorFlow tutorial's (B, 1, 1, S) mask, 1.0 = pad.

    >>> keras_padding_to_old_tf([[True, False]]).tolist()
    [[[[0.0, 1.0]]]]
    """
    array = checks.boolean_mask(padding_mask, "padding_mask", (2,), "(B, S)", "True = real token")
    return (~array).astype(np.float32)[:, np.newaxis, np.newaxis, :]
