"""What a Keras version does with masks, measured: the experiments behind the version matrix.

Introduced in chapter 9. Every function takes the Keras module to measure, ``keras`` (Keras 3)
or ``tf_keras`` (the Keras 2 API), and runs a small experiment on it; nothing is read from
release notes. :func:`measure` runs all of them and returns a plain dictionary, which
``make versions`` records for several Keras versions in ``data/keras-versions.json``
(:mod:`lib.version_matrix` reads, compares and renders that file).

The experiments:

- :func:`attention_clears_input_mask`: ``MultiHeadAttention`` sets the Keras mask of the
  tensors passed to it to ``None``;
- :func:`merge_mask`: the mask ``Add`` or ``Concatenate`` gives its output when only one of
  two inputs carries a mask;
- :func:`attention_path`: which code path ``MultiHeadAttention`` takes, its own softmax
  (which can return the weights and applies dropout) or the fused ``dot_product_attention``;
- :func:`fully_masked_row`: what a query with no key to attend to gets on each path;
- :func:`mask_value`: the large negative number a masked score is replaced with on each path,
  found by bisection (a real score below it loses to the masked one).

>>> import keras
>>> attention_path(keras, return_attention_scores=True)
'softmax'
>>> merge_mask(keras, "Add")
'none'
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import tensorflow as tf

from lib.errors import MaskError

MERGE_OUTCOMES = ("none", "kept", "all True", "other")
"""What a merge layer's output mask can be: no mask, the masked input's mask, every position
True (the padding is lost while a mask is still there), or something else."""

ROW_OUTCOMES = ("zeros", "uniform", "other")
"""What a fully masked query row can get: zero weights (its output is 0, here without biases),
the same weight on every key, masked or not, or something else."""


def _check_api(api: Any) -> None:
    if not all(hasattr(api, name) for name in ("layers", "__version__")):
        raise MaskError.expected("api", "the keras or tf_keras module", repr(api))


def _is_keras3(api: Any) -> bool:
    return int(api.__version__.split(".")[0]) >= 3


def _mask_of(tensor: Any) -> np.ndarray | None:
    mask = getattr(tensor, "_keras_mask", None)
    return None if mask is None else np.asarray(mask)


def _masked_embedding(api: Any) -> tuple[Any, np.ndarray]:
    """A (1, 3, 4) tensor carrying the Keras mask [[True, True, False]], and that mask."""
    ids = np.array([[1, 2, 0]])
    embedded = api.layers.Embedding(3, 4, mask_zero=True)(ids)
    return embedded, ids != 0


def attention_clears_input_mask(api: Any) -> bool:
    """Whether ``MultiHeadAttention`` removes the Keras mask of the tensor passed to it.

    >>> import tf_keras
    >>> attention_clears_input_mask(tf_keras)
    False
    """
    _check_api(api)
    embedded, mask = _masked_embedding(api)
    if not np.array_equal(_mask_of(embedded), mask):
        raise MaskError.expected("api", "an Embedding(mask_zero=True) that attaches its mask",
                                 f"{_mask_of(embedded)!r} in {api.__name__} {api.__version__}")
    api.layers.MultiHeadAttention(num_heads=1, key_dim=2)(embedded, embedded)
    return _mask_of(embedded) is None


def merge_mask(api: Any, layer: str) -> str:
    """The output mask of ``Add`` or ``Concatenate`` (feature axis) given one masked input and
    one without a mask, as one of :data:`MERGE_OUTCOMES`.

    >>> import keras
    >>> merge_mask(keras, "Concatenate")
    'all True'
    """
    _check_api(api)
    if layer not in ("Add", "Concatenate"):
        raise MaskError.expected("layer", "'Add' or 'Concatenate'", repr(layer))
    masked, mask = _masked_embedding(api)
    plain = tf.identity(masked)                      # a new tensor, no Keras mask on it
    output = _mask_of(getattr(api.layers, layer)()([masked, plain]))
    if output is None:
        return "none"
    if output.shape == mask.shape and np.array_equal(output, mask):
        return "kept"
    if output.all():
        return "all True"
    return "other"


@contextlib.contextmanager
def _path_spy(api: Any) -> Iterator[dict[str, int]]:
    """Count calls of ``Softmax.call`` and of the ``dot_product_attention`` op while inside."""
    calls = {"softmax": 0, "fused": 0}
    softmax_class = api.layers.Softmax
    original_call = softmax_class.call

    def counting_call(self, *args, **kwargs):
        calls["softmax"] += 1
        return original_call(self, *args, **kwargs)

    counting_call.__wrapped__ = original_call   # keeps the signature Keras inspects
    patches = [(softmax_class, "call", original_call, counting_call)]
    attention_module = sys.modules[api.layers.MultiHeadAttention.__module__]
    ops = getattr(attention_module, "ops", None)
    if ops is not None and hasattr(ops, "dot_product_attention"):
        original_op = ops.dot_product_attention

        def counting_op(*args, **kwargs):
            calls["fused"] += 1
            return original_op(*args, **kwargs)

        patches.append((ops, "dot_product_attention", original_op, counting_op))
    for owner, name, _, replacement in patches:
        setattr(owner, name, replacement)
    try:
        yield calls
    finally:
        for owner, name, original, _ in patches:
            setattr(owner, name, original)


def _attention_inputs() -> tuple[np.ndarray, np.ndarray]:
    """Inputs (1, 3, 4) and a (1, 3, 3) mask whose last query row is all False."""
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(1, 3, 4)).astype("float32")
    mask = np.array([[[True, True, False], [True, True, False], [False, False, False]]])
    return inputs, mask


def _run_layer(api: Any, return_attention_scores: bool, dropout: float):
    """Build a bias-free layer, then call it once under the spy, at inference."""
    inputs, mask = _attention_inputs()
    layer = api.layers.MultiHeadAttention(num_heads=1, key_dim=2, use_bias=False,
                                          dropout=dropout, seed=0) if _is_keras3(api) else \
        api.layers.MultiHeadAttention(num_heads=1, key_dim=2, use_bias=False, dropout=dropout)
    layer(inputs, inputs)                                   # build outside the spy
    with _path_spy(api) as calls:
        result = layer(inputs, inputs, attention_mask=mask, training=False,
                       return_attention_scores=return_attention_scores)
    outputs = result[0] if return_attention_scores else result
    # The same layer, a zero query, no mask: every score is 0, so the weights are uniform.
    uniform = layer(np.zeros((1, 1, 4), "float32"), inputs, training=False)
    return np.asarray(outputs), np.asarray(uniform), calls


def attention_path(api: Any, return_attention_scores: bool = False, dropout: float = 0.0) -> str:
    """``'softmax'`` or ``'fused'``: the path one inference call of ``MultiHeadAttention`` takes.

    ``'softmax'``: the layer's own ``Softmax`` runs (it can return the weights, and applies
    dropout in training). ``'fused'``: it calls the ``dot_product_attention`` op instead.

    >>> import keras
    >>> attention_path(keras, dropout=0.1)     # dropout > 0: the softmax path, even at inference
    'softmax'
    """
    _check_api(api)
    _, _, calls = _run_layer(api, return_attention_scores, dropout)
    if calls["softmax"] and not calls["fused"]:
        return "softmax"
    if calls["fused"] and not calls["softmax"]:
        return "fused"
    return f"unknown (calls: {calls})"


def fully_masked_row(api: Any, return_attention_scores: bool = False,
                     dropout: float = 0.0) -> str:
    """What the query whose mask row is all False gets, as one of :data:`ROW_OUTCOMES`.

    The layer has no biases, so zero weights give an output of exactly 0, and uniform weights
    the output of a zero query with no mask.

    >>> import keras
    >>> fully_masked_row(keras, return_attention_scores=True)   # Keras 3.10 and later
    'zeros'
    """
    _check_api(api)
    outputs, uniform, _ = _run_layer(api, return_attention_scores, dropout)
    row = outputs[0, 2]
    if np.allclose(row, 0.0, atol=1e-6):
        return "zeros"
    if np.allclose(row, uniform[0, 0], atol=1e-5):
        return "uniform"
    return "other"


def _real_key_wins(weights_of: Any, real_score: float) -> bool:
    return float(weights_of(real_score)) > 0.5


def _bisect_mask_value(weights_of: Any) -> float:
    """The score at which a real key stops beating a masked one: the masked score's value.

    ``weights_of(s)`` is the weight of a real key with score ``s`` in a row with one masked key.
    Bisection over log10(-s) from 0 to just below log10(float32 max); the result is rounded
    to 4 significant digits (float32 itself holds about 7).
    """
    low, high = 0.0, math.log10(float(np.finfo(np.float32).max)) - 1e-6
    if _real_key_wins(weights_of, -(10.0**high)):
        return float("-inf")                  # the masked key loses to every finite score
    if not _real_key_wins(weights_of, -(10.0**low)):
        return float("nan")
    for _ in range(60):
        middle = (low + high) / 2
        if _real_key_wins(weights_of, -(10.0**middle)):
            low = middle
        else:
            high = middle
    return float(f"{-(10.0 ** ((low + high) / 2)):.4g}")   # 4 significant digits


def mask_value(api: Any, path: str) -> float | None:
    """The number a masked score is replaced with on ``path`` (``'softmax'`` or ``'fused'``).

    Measured, not read from the source: a row has one real key, with score ``s``, and one
    masked key; the real key gets more than half the weight exactly when ``s`` is above the
    masked score. ``None`` when ``api`` has no fused path (tf_keras).

    >>> import keras
    >>> mask_value(keras, "softmax")
    -1000000000.0
    """
    _check_api(api)
    if path == "softmax":
        softmax = api.layers.Softmax()
        mask = np.array([[True, False]])

        def weights_of(score):
            scores = np.array([[score, 0.0]], dtype="float32")
            return np.asarray(softmax(scores, mask=mask))[0, 0]

    elif path == "fused":
        ops = getattr(api, "ops", None)
        if ops is None or not hasattr(ops, "dot_product_attention"):
            return None
        query = np.ones((1, 1, 1, 1), "float32")            # (B, T, N, H)
        value = np.array([1.0, 0.0], "float32").reshape(1, 2, 1, 1)
        mask = np.array([True, False]).reshape(1, 1, 1, 2)   # (B, N, T, S)

        def weights_of(score):
            key = np.array([score, 0.0], "float32").reshape(1, 2, 1, 1)
            output = ops.dot_product_attention(query, key, value, mask=mask, scale=1.0)
            return np.asarray(output).ravel()[0]              # = the real key's weight

    else:
        raise MaskError.expected("path", "'softmax' or 'fused'", repr(path))
    return _bisect_mask_value(weights_of)


def measure(api: Any) -> dict[str, Any]:
    """Every experiment of this module and the padding-invariance gaps of chapter 9's model.

    The keys are those of the version matrix (:data:`lib.version_matrix.FIELDS`).
    """
    from lib.toy_transformer import padding_invariance_gap, toy_source_target, toy_transformer_class

    _check_api(api)
    source, target = toy_source_target()
    model_class = toy_transformer_class(api)
    gaps = {
        flag: padding_invariance_gap(model_class(explicit_masks=flag, seed=0), source, target, 1)
        for flag in (False, True)
    }
    return {
        "attention_clears_input_mask": attention_clears_input_mask(api),
        "add_partial_mask": merge_mask(api, "Add"),
        "concatenate_partial_mask": merge_mask(api, "Concatenate"),
        "path_default": attention_path(api),
        "path_with_scores": attention_path(api, return_attention_scores=True),
        "path_dropout_inference": attention_path(api, dropout=0.1),
        "masked_row_softmax_path": fully_masked_row(api, return_attention_scores=True),
        "masked_row_default_call": fully_masked_row(api),
        "mask_value_softmax_path": mask_value(api, "softmax"),
        "mask_value_fused_path": mask_value(api, "fused"),
        "gap_automatic_masks": gaps[False],
        "gap_explicit_masks": gaps[True],
    }
