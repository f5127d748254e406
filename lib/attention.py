"""Masked attention, twice: Keras's ``MultiHeadAttention``, and a NumPy reference to check it.

Introduced in chapter 6. :func:`attention_layer` builds a small
``keras.layers.MultiHeadAttention`` with weights drawn from a seeded NumPy
generator, :func:`run_attention` runs it with an ``attention_mask`` and
returns the outputs and the (B, H, T, S) attention weights, and
:func:`reference_attention` computes masked scaled dot-product attention the
way Keras does: scores of masked keys are replaced by -1e9 before the
softmax, and masked positions are set to 0 after it (so a query row with no
key to attend to comes out as all zeros). :func:`reference_multihead_attention`
wraps the reference in the layer's own projections, for an end-to-end check.

Shapes use the book's notation: ``B`` batch, ``H`` heads, ``T`` query
positions, ``S`` key positions. ``True`` in a mask means *may attend*.

>>> import numpy as np
>>> query = np.ones((1, 1, 2, 4))            # (B, H, T, d): two identical queries
>>> key = np.ones((1, 1, 3, 4))              # (B, H, S, d): three identical keys
>>> value = np.arange(3.0).reshape(1, 1, 3, 1)
>>> attention_mask = np.array([[[True, True, False]] * 2])   # (B, T, S): key 2 is padding
>>> outputs, weights = reference_attention(query, key, value, attention_mask)
>>> weights[0, 0]
array([[0.5, 0.5, 0. ],
       [0.5, 0.5, 0. ]])
>>> outputs[0, 0, :, 0]                      # the mean of the values 0 and 1
array([0.5, 0.5])
"""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from lib import checks
from lib.checks import public_api
from lib.errors import MaskError

LARGE_NEGATIVE = -1e9
"""What Keras's ``Softmax`` puts in place of a masked score (float32 and float64)."""

_MASK_HINT = "A boolean array here is probably a mask passed in place of a tensor."


def _numbers(value: Any, argument: str, ranks: int, layout: str) -> np.ndarray:
    """A finite, non-boolean NumPy array of rank ``ranks``."""
    array = checks.as_array(value, argument)
    checks.rank(array, ranks, argument, layout)
    checks.dtype_family(array, argument, "number", hint=_MASK_HINT)
    checks.finite(array, argument)
    return array


def _check_attention_mask(attention_mask: Any, batch: int, queries: int, keys: int) -> np.ndarray:
    """A boolean (B, T, S) mask, or one with 1 on axes to broadcast, e.g. a (B, 1, S) key mask."""
    target = (batch, queries, keys)
    layout = f"(B, T, S) = {target}, or 1 on an axis to broadcast"
    mask = checks.as_array(attention_mask, "attention_mask")
    checks.rank(mask, 3, "attention_mask", layout,
                "A (B, 1, 1, S) mask, as in older tutorials, has one axis too many: drop axis 1."
                if mask.ndim == 4 else "")
    checks.dtype_family(mask, "attention_mask", "bool", "True = may attend",
                        "Build it with lib.masks, or cast it with tf.cast(mask, tf.bool).")
    if any(m not in (1, t) for m, t in zip(mask.shape, target)):
        raise MaskError.expected(
            "attention_mask",
            f"shape (B, T, S) = {target}, or 1 on an axis to broadcast, e.g. (B, 1, S) = "
            f"{(batch, 1, keys)}",
            f"shape {mask.shape}",
        )
    return mask


@public_api
def reference_attention(
    query: Any, key: Any, value: Any, attention_mask: Any | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Masked scaled dot-product attention in NumPy (float64), as Keras computes it.

    ``query`` is (B, H, T, d), ``key`` (B, H, S, d), ``value`` (B, H, S, d_v), all
    already projected per head; ``attention_mask`` is a boolean (B, T, S) mask, or
    one with 1 on an axis to broadcast, such as a (B, 1, S) key mask; ``None``
    means every query may attend to every key.

    The scores ``query @ key^T / sqrt(d)`` of masked pairs become -1e9, the softmax
    runs over the S keys, and masked weights are then set to exactly 0 (what
    Keras 3.15 does on the layer's own softmax path; it makes a fully masked
    query row all zeros instead of uniform).

    Returns ``(outputs, weights)``: (B, H, T, d_v) and (B, H, T, S).

    >>> q = k = np.zeros((1, 1, 2, 3))
    >>> mask = [[[True, False], [False, False]]]
    >>> _, weights = reference_attention(q, k, np.zeros((1, 1, 2, 1)), mask)
    >>> weights[0, 0].tolist()          # row 1 has no key left: all zeros
    [[1.0, 0.0], [0.0, 0.0]]
    """
    query = _numbers(query, "query", 4, "(B, H, T, d)")
    key = _numbers(key, "key", 4, "(B, H, S, d)")
    value = _numbers(value, "value", 4, "(B, H, S, d_v)")
    batch, heads, queries, depth = query.shape
    if key.shape[:2] != (batch, heads) or key.shape[3] != depth:
        raise MaskError.expected(
            "key",
            f"shape (B, H, S, d) with B={batch}, H={heads} and d={depth}, as `query` {query.shape}",
            f"shape {key.shape}",
        )
    keys = key.shape[2]
    if value.shape[:3] != key.shape[:3]:
        raise MaskError.expected(
            "value",
            f"shape (B, H, S, d_v) with (B, H, S) = {key.shape[:3]} as in `key`",
            f"shape {value.shape}",
        )
    query, key, value = (array.astype(np.float64) for array in (query, key, value))
    scores = np.einsum("bhtd,bhsd->bhts", query, key) / math.sqrt(depth)
    if attention_mask is None:
        mask = np.ones((1, 1, 1, 1), dtype=bool)
    else:
        mask = _check_attention_mask(attention_mask, batch, queries, keys)[:, np.newaxis]
    scores = np.where(mask, scores, LARGE_NEGATIVE)
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights = weights / weights.sum(axis=-1, keepdims=True)
    weights = np.where(mask, weights, 0.0)
    outputs = np.einsum("bhts,bhsv->bhtv", weights, value)
    return outputs, weights


@public_api
def attention_layer(
    num_heads: int = 2, key_dim: int = 4, model_dim: int = 8, seed: int = 0
) -> keras.layers.MultiHeadAttention:
    """A built ``MultiHeadAttention(num_heads, key_dim)`` for (B, T, ``model_dim``) inputs.

    Its kernels are drawn from N(0, 0.5²) and its biases from N(0, 0.1²) with
    ``numpy.random.default_rng(seed)``: the same weights on every run and
    every Keras version, and non-zero biases so that a reference check covers
    them. (A seeded Keras initializer would not do: the layer clones it for the
    query, key and value projections, and the clones, having the same seed,
    draw the same kernel three times.)

    >>> layer = attention_layer(num_heads=2, key_dim=4, model_dim=8)
    >>> [tuple(w.shape) for w in layer.get_weights()][:2]   # query kernel (D, H, key_dim), bias
    [(8, 2, 4), (2, 4)]
    """
    num_heads = checks.integer(num_heads, "num_heads", 1)
    key_dim = checks.integer(key_dim, "key_dim", 1)
    model_dim = checks.integer(model_dim, "model_dim", 1)
    seed = checks.integer(seed, "seed", 0)
    layer = keras.layers.MultiHeadAttention(num_heads=num_heads, key_dim=key_dim)
    layer.build((None, None, model_dim), (None, None, model_dim))
    rng = np.random.default_rng(seed)
    for variable in layer.weights:
        scale = 0.1 if variable.name == "bias" else 0.5
        variable.assign(rng.normal(0.0, scale, size=tuple(variable.shape)).astype("float32"))
    return layer


def _as_input(value: Any, argument: str) -> Any:
    """Float tensors unchanged (their Keras mask too); arrays and lists of numbers as float32.

    Either way the values must be finite and of rank 3 (checked by :func:`_check_inputs`).
    """
    if isinstance(value, (tf.Tensor, tf.Variable, keras.Variable)):
        checks.dtype_family(value, argument, "float", "the layer's inputs", _MASK_HINT)
        checks.finite(value, argument)
        return value
    array = checks.as_array(value, argument)
    checks.dtype_family(array, argument, "number", hint=_MASK_HINT)
    checks.finite(array, argument)
    return array.astype(np.float32)


def _check_inputs(
    layer: keras.layers.MultiHeadAttention, query: Any, value: Any, key: Any
) -> tuple[int, int, int]:
    """Rank-3 (B, T, D) / (B, S, D) inputs with one batch size, as wide as a built layer expects.

    Returns ``(B, T, S)``.
    """
    shapes = {}
    for argument, tensor, layout in (("query", query, "(B, T, D)"), ("value", value, "(B, S, D)"),
                                     ("key", key, "(B, S, D)")):
        if tensor is None:
            continue
        checks.rank(tensor, 3, argument, layout)
        checks.same_batch(query, "query", tensor, argument)
        shapes[argument] = tuple(tensor.shape)
    if "key" in shapes and shapes["key"][1] != shapes["value"][1]:
        raise MaskError.expected(
            "key", f"S={shapes['value'][1]} positions, as `value` {shapes['value']}",
            f"S={shapes['key'][1]} (shape {shapes['key']})",
        )
    if layer.built:
        for argument, dense in (("query", layer.query_dense), ("value", layer.value_dense),
                                ("key", layer.key_dense)):
            width = dense.kernel.shape[0]
            if argument in shapes and shapes[argument][2] != width:
                raise MaskError.expected(
                    argument, f"width D={width} on the last axis (the layer was built for it)",
                    f"D={shapes[argument][2]} (shape {shapes[argument]})",
                )
    return shapes["query"][0], shapes["query"][1], shapes["value"][1]


@public_api
def run_attention(
    layer: keras.layers.MultiHeadAttention,
    query: Any,
    value: Any | None = None,
    key: Any | None = None,
    attention_mask: Any | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Call ``layer(query, value, key, attention_mask=..., return_attention_scores=True)``.

    ``value`` defaults to ``query`` (self-attention), passed as the *same*
    tensor, so a Keras mask attached to ``query`` (by an ``Embedding`` with
    ``mask_zero=True``) reaches the layer exactly as in a model. Keras 3.15
    clears that mask inside the call: recompute the embedding for the next
    call, or pass ``attention_mask`` explicitly.

    Returns ``(outputs, weights)`` as NumPy arrays: (B, T, D) and (B, H, T, S).

    >>> layer = attention_layer()
    >>> x = np.random.default_rng(0).normal(size=(2, 6, 8)).astype("float32")
    >>> outputs, weights = run_attention(layer, x, attention_mask=np.ones((2, 1, 6), dtype=bool))
    >>> outputs.shape, weights.shape
    ((2, 6, 8), (2, 2, 6, 6))
    """
    layer = checks.attention_layer(layer, built=False)
    same = value is None or value is query
    query = _as_input(query, "query")
    value = query if same else _as_input(value, "value")
    key = None if key is None else _as_input(key, "key")
    batch, queries, keys = _check_inputs(layer, query, value, key)
    if attention_mask is not None:
        attention_mask = tf.constant(_check_attention_mask(attention_mask, batch, queries, keys))
    outputs, weights = layer(
        query, value, key=key, attention_mask=attention_mask, return_attention_scores=True
    )
    return np.asarray(outputs), np.asarray(weights)


@public_api
def reference_multihead_attention(
    layer: keras.layers.MultiHeadAttention,
    query: Any,
    value: Any | None = None,
    key: Any | None = None,
    attention_mask: Any | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The whole layer in NumPy: its projections around :func:`reference_attention`.

    Uses the built ``layer``'s own query, key, value and output weights, so the
    result should match :func:`run_attention` to float32 rounding. The mask must
    be passed explicitly (Keras masks on the inputs are not read). Supports the
    default configuration (attention over axis 1, no gate, no sliding window).

    Returns ``(outputs, weights)``: (B, T, D) and (B, H, T, S).

    >>> layer = attention_layer()
    >>> x = np.random.default_rng(0).normal(size=(1, 3, 8))
    >>> mask = np.array([[[True, True, False]] * 3])
    >>> expected, _ = run_attention(layer, x.astype("float32"), attention_mask=mask)
    >>> outputs, _ = reference_multihead_attention(layer, x, attention_mask=mask)
    >>> bool(np.allclose(outputs, expected, atol=1e-5))
    True
    """
    layer = checks.attention_layer(layer)
    config = layer.get_config()
    defaults = {
        "use_gate": (None, False), "attention_axes": (None, (1,), [1]), "sliding_window": (None,)
    }
    unsupported = {
        name: config.get(name) for name, allowed in defaults.items()
        if config.get(name) not in allowed
    }
    if unsupported:
        raise MaskError.expected(
            "layer",
            "the default configuration (use_gate=False, attention_axes=None, sliding_window=None)",
            ", ".join(f"{name}={setting!r}" for name, setting in unsupported.items()),
        )
    value = query if value is None else value
    key = value if key is None else key
    arrays = {
        argument: _numbers(tensor, argument, 3, layout).astype(np.float64)
        for argument, tensor, layout in (
            ("query", query, "(B, T, D)"), ("value", value, "(B, S, D)"), ("key", key, "(B, S, D)")
        )
    }
    batch, queries, keys = _check_inputs(layer, arrays["query"], arrays["value"], arrays["key"])

    def project(dense, inputs: np.ndarray) -> np.ndarray:   # (B, L, D) -> (B, H, L, k)
        kernel = np.asarray(dense.kernel, dtype=np.float64)
        projected = np.einsum("bld,dhk->bhlk", inputs, kernel)
        if dense.bias is not None:
            bias = np.asarray(dense.bias, dtype=np.float64)              # (H, k)
            projected = projected + bias[np.newaxis, :, np.newaxis, :]
        return projected

    if attention_mask is not None:
        attention_mask = _check_attention_mask(attention_mask, batch, queries, keys)
    heads, weights = reference_attention(
        project(layer.query_dense, arrays["query"]),
        project(layer.key_dense, arrays["key"]),
        project(layer.value_dense, arrays["value"]),
        attention_mask,
    )
    output_kernel = np.asarray(layer.output_dense.kernel, dtype=np.float64)   # (H, d_v, D)
    outputs = np.einsum("bhtv,hvo->bto", heads, output_kernel)
    if layer.output_dense.bias is not None:
        outputs = outputs + np.asarray(layer.output_dense.bias, dtype=np.float64)
    return outputs, weights
