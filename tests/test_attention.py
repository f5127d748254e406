"""lib.attention: the NumPy reference agrees with Keras, the mask acts as chapter 6 says."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from lib.attention import (
    attention_layer,
    reference_attention,
    reference_multihead_attention,
    run_attention,
)
from lib.errors import MaskError, MaskTypeError
from lib.masks import padding_mask, self_attention_mask

D = 8  # model width of attention_layer()'s inputs


@pytest.fixture(scope="module")
def layer() -> keras.layers.MultiHeadAttention:
    return attention_layer(num_heads=2, key_dim=4, model_dim=D, seed=0)


def _random_case(seed: int, mask_shape: str):
    """Random (B, T, D) queries, (B, S, D) values and a random boolean mask of the given layout."""
    rng = np.random.default_rng(seed)
    batch, queries, keys = 3, int(rng.integers(1, 7)), int(rng.integers(2, 9))
    query = rng.normal(size=(batch, queries, D)).astype("float32")
    value = rng.normal(size=(batch, keys, D)).astype("float32")
    shape = {"full": (batch, queries, keys), "keys": (batch, 1, keys), "shared": (1, queries, keys)}
    mask = rng.random(shape[mask_shape]) < 0.6
    return query, value, mask


# --- the reference agrees with Keras ----------------------------------------------------------

@pytest.mark.parametrize("mask_shape", ["full", "keys", "shared"])
@pytest.mark.parametrize("seed", range(4))
def test_reference_matches_keras_on_random_inputs(layer, seed, mask_shape):
    query, value, mask = _random_case(seed, mask_shape)
    keras_outputs, keras_weights = run_attention(layer, query, value, attention_mask=mask)
    ref_outputs, ref_weights = reference_multihead_attention(layer, query, value,
                                                             attention_mask=mask)
    assert keras_weights.shape == ref_weights.shape == (3, 2, query.shape[1], value.shape[1])
    np.testing.assert_allclose(ref_weights, keras_weights, rtol=0, atol=1e-5)
    np.testing.assert_allclose(ref_outputs, keras_outputs, rtol=0, atol=1e-5)


def test_reference_matches_keras_with_a_separate_key(layer):
    rng = np.random.default_rng(7)
    query, value, key = (rng.normal(size=(2, n, D)).astype("float32") for n in (4, 5, 5))
    mask = rng.random((2, 4, 5)) < 0.7
    keras_outputs, keras_weights = run_attention(layer, query, value, key, attention_mask=mask)
    ref_outputs, ref_weights = reference_multihead_attention(layer, query, value, key, mask)
    np.testing.assert_allclose(ref_weights, keras_weights, rtol=0, atol=1e-5)
    np.testing.assert_allclose(ref_outputs, keras_outputs, rtol=0, atol=1e-5)


def test_reference_without_mask_is_plain_softmax_attention():
    rng = np.random.default_rng(1)
    query, key, value = (rng.normal(size=(2, 3, n, 4)) for n in (5, 6, 6))
    outputs, weights = reference_attention(query, key, value)
    scores = query @ key.swapaxes(-1, -2) / 2.0                       # sqrt(d) = 2
    expected = np.exp(scores) / np.exp(scores).sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(weights, expected, rtol=1e-12, atol=0)
    np.testing.assert_allclose(outputs, expected @ value, rtol=1e-12, atol=1e-12)


# --- what the mask does -------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(4))
def test_masked_weights_are_exactly_zero_and_rows_sum_to_one(layer, seed):
    query, value, mask = _random_case(seed, "full")
    _, weights = run_attention(layer, query, value, attention_mask=mask)
    masked = np.broadcast_to(~mask[:, np.newaxis], weights.shape)
    assert (weights[masked] == 0.0).all()
    row_sums = weights.sum(axis=-1)                                    # (B, H, T)
    has_key = np.broadcast_to(mask.any(axis=-1)[:, np.newaxis], row_sums.shape)
    np.testing.assert_allclose(row_sums[has_key], 1.0, rtol=0, atol=1e-6)
    assert (row_sums[~has_key] == 0.0).all()      # a query with no key: all zeros (Keras 3.15)


def test_reference_weights_are_exactly_zero_where_masked():
    rng = np.random.default_rng(2)
    query, key, value = (rng.normal(size=(2, 2, n, 3)) for n in (4, 5, 5))
    mask = rng.random((2, 4, 5)) < 0.5
    _, weights = reference_attention(query, key, value, mask)
    assert (weights[np.broadcast_to(~mask[:, np.newaxis], weights.shape)] == 0.0).all()


@pytest.mark.parametrize("length", [6, 20])
@pytest.mark.parametrize("fill", ["zeros", "random"])
def test_padding_invariance(layer, length, fill):
    """Outputs at the real positions do not depend on how much padding follows, or what it holds."""
    rng = np.random.default_rng(length)
    sentence = rng.normal(size=(1, 3, D)).astype("float32")
    alone, _ = run_attention(layer, sentence, attention_mask=np.ones((1, 3, 3), dtype=bool))
    padded = np.zeros((1, length, D), dtype="float32")
    if fill == "random":
        padded[:] = rng.normal(scale=3.0, size=padded.shape)
    padded[:, :3] = sentence
    real = np.arange(length)[np.newaxis] < 3                           # (B, S)
    outputs, weights = run_attention(layer, padded, attention_mask=self_attention_mask(real))
    np.testing.assert_allclose(outputs[:, :3], alone, rtol=0, atol=1e-6)
    assert (weights[..., 3:] == 0.0).all()
    unmasked, _ = run_attention(layer, padded)
    assert np.abs(unmasked[:, :3] - alone).max() > 1e-3               # without the mask, it changes


def test_keras_builds_the_same_mask_from_the_embedding(layer):
    ids = np.array([[1, 3, 2, 7, 4, 5], [1, 3, 6, 0, 0, 0]])
    embedding = keras.layers.Embedding(
        10, D, mask_zero=True, embeddings_initializer=keras.initializers.RandomNormal(seed=0)
    )
    explicit, explicit_weights = run_attention(
        layer, embedding(ids).numpy(), attention_mask=self_attention_mask(padding_mask(ids))
    )
    automatic, automatic_weights = run_attention(layer, embedding(ids))
    np.testing.assert_array_equal(automatic_weights, explicit_weights)
    np.testing.assert_array_equal(automatic, explicit)


def test_attention_layer_is_reproducible_and_its_projections_differ():
    first, second = attention_layer(seed=3), attention_layer(seed=3)
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)
    query_kernel, _, key_kernel, _, value_kernel, *_ = first.get_weights()
    assert not np.array_equal(query_kernel, key_kernel)
    assert not np.array_equal(key_kernel, value_kernel)


# --- every error path ---------------------------------------------------------------------------

Q4 = np.zeros((2, 2, 3, 4))      # (B, H, T, d)
K4 = np.zeros((2, 2, 5, 4))      # (B, H, S, d)
V4 = np.zeros((2, 2, 5, 6))      # (B, H, S, d_v)
RAGGED = [[[[1.0], [2.0, 3.0]]]]


@pytest.mark.parametrize(
    "arguments, error, message",
    [
        ((np.zeros((2, 3, 4)), K4, V4), MaskError,
         r"`query`: expected rank 4 \(B, H, T, d\), received shape \(2, 3, 4\)"),
        ((Q4, np.zeros((2, 5, 4)), V4), MaskError,
         r"`key`: expected rank 4 \(B, H, S, d\), received shape \(2, 5, 4\)"),
        ((Q4, K4, np.zeros((2, 2, 5))), MaskError,
         r"`value`: expected rank 4 \(B, H, S, d_v\), received shape \(2, 2, 5\)"),
        ((Q4, np.zeros((3, 2, 5, 4)), V4), MaskError,
         r"`key`: expected shape \(B, H, S, d\) with B=2, H=2 and d=4, as `query` \(2, 2, 3, 4\), "
         r"received shape \(3, 2, 5, 4\)"),
        ((Q4, np.zeros((2, 1, 5, 4)), V4), MaskError,
         r"`key`: expected .* H=2 .*received shape \(2, 1, 5, 4\)"),
        ((Q4, np.zeros((2, 2, 5, 3)), V4), MaskError,
         r"`key`: expected .* d=4.*received shape \(2, 2, 5, 3\)"),
        ((Q4, K4, np.zeros((2, 2, 4, 6))), MaskError,
         r"`value`: expected shape \(B, H, S, d_v\) with \(B, H, S\) = \(2, 2, 5\) as in `key`, "
         r"received shape \(2, 2, 4, 6\)"),
        ((Q4.astype(bool), K4, V4), MaskTypeError,
         r"`query`: expected a float array, received dtype bool"),
        ((RAGGED, K4, V4), MaskTypeError,
         r"`query`: expected a rectangular array of numbers, received list with ragged or mixed"),
        ((np.full((2, 2, 3, 4), "x"), K4, V4), MaskTypeError,
         r"`query`: expected a rectangular array of numbers, received ndarray with dtype <U1"),
        ((Q4, K4, V4, np.ones((2, 3, 5), dtype=int)), MaskTypeError,
         r"`attention_mask`: expected dtype bool \(True = may attend\), received dtype int"),
        ((Q4, K4, V4, np.ones((2, 3, 4), dtype=bool)), MaskError,
         r"`attention_mask`: expected shape \(B, T, S\) = \(2, 3, 5\).*received shape \(2, 3, 4\)"),
        ((Q4, K4, V4, np.ones((3, 3, 5), dtype=bool)), MaskError,
         r"`attention_mask`: expected shape \(B, T, S\) = \(2, 3, 5\).*received shape \(3, 3, 5\)"),
        ((Q4, K4, V4, np.ones((2, 1, 1, 5), dtype=bool)), MaskError,
         r"`attention_mask`: expected .*received shape \(2, 1, 1, 5\)\. A \(B, 1, 1, S\) mask"),
        ((Q4, K4, V4, np.ones((2, 5), dtype=bool)), MaskError,
         r"`attention_mask`: expected .*received shape \(2, 5\)\.$"),
    ],
)
def test_reference_attention_errors(arguments, error, message):
    with pytest.raises(error, match=message):
        reference_attention(*arguments)


@pytest.mark.parametrize(
    "keywords, error, message",
    [
        ({"num_heads": 0}, MaskError, r"`num_heads`: expected a positive int, received 0"),
        ({"key_dim": 2.5}, MaskError, r"`key_dim`: expected a positive int, received 2\.5"),
        ({"model_dim": True}, MaskError, r"`model_dim`: expected a positive int, received True"),
        ({"seed": "0"}, MaskTypeError, r"`seed`: expected an int, received '0'"),
    ],
)
def test_attention_layer_errors(keywords, error, message):
    with pytest.raises(error, match=message):
        attention_layer(**keywords)


X = np.zeros((2, 6, D), dtype="float32")


@pytest.mark.parametrize("function", [run_attention, reference_multihead_attention])
@pytest.mark.parametrize(
    "arguments, keywords, error, message",
    [
        ((np.zeros((6, D)),), {}, MaskError,
         r"`query`: expected rank 3 \(B, T, D\), received shape \(6, 8\)"),
        ((X, np.zeros((3, 6, D))), {}, MaskError,
         r"`value`: expected the batch size B=2 of `query` \(2, 6, 8\), received B=3"),
        ((X, np.zeros((2, 5, D)), np.zeros((2, 4, D))), {}, MaskError,
         r"`key`: expected S=5 positions, as `value` \(2, 5, 8\), received S=4"),
        ((X, np.zeros((2, 5, D)), np.zeros((3, 5, D))), {}, MaskError,
         r"`key`: expected the batch size B=2 of `query` \(2, 6, 8\), received B=3"),
        ((np.zeros((2, 6, 5)),), {}, MaskError,
         r"`query`: expected width D=8 on the last axis \(the layer was built for it\), "
         r"received D=5"),
        ((X.astype(bool),), {}, MaskTypeError,
         r"`query`: expected a float array, received dtype bool"),
        ((RAGGED,), {}, MaskTypeError,
         r"`query`: expected a rectangular array of numbers, received list with ragged or mixed"),
        ((X,), {"attention_mask": np.ones((2, 6, 6), dtype="float32")}, MaskTypeError,
         r"`attention_mask`: expected dtype bool .*received dtype float32"),
        ((X,), {"attention_mask": np.ones((1, 2, 6, 6), dtype=bool)}, MaskError,
         r"`attention_mask`: expected shape \(B, T, S\) = \(2, 6, 6\).*"
         r"received shape \(1, 2, 6, 6\)"),
        ((X,), {"attention_mask": np.ones((3, 6, 6), dtype=bool)}, MaskError,
         r"`attention_mask`: expected shape \(B, T, S\) = \(2, 6, 6\).*received shape \(3, 6, 6\)"),
    ],
)
def test_layer_call_errors(layer, function, arguments, keywords, error, message):
    with pytest.raises(error, match=message):
        function(layer, *arguments, **keywords)


@pytest.mark.parametrize("function", [run_attention, reference_multihead_attention])
def test_not_a_layer(function):
    message = r"`layer`: expected a keras.layers.MultiHeadAttention, received Dense"
    with pytest.raises(MaskTypeError, match=message):
        function(keras.layers.Dense(4), X)


def test_reference_needs_a_built_layer():
    unbuilt = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    message = r"`layer`: expected a built layer .*received an unbuilt layer"
    with pytest.raises(MaskError, match=message):
        reference_multihead_attention(unbuilt, X)


def test_reference_needs_the_default_configuration():
    gated = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, use_gate=True)
    gated.build((None, None, D), (None, None, D))
    message = r"`layer`: expected the default configuration .*received use_gate=True"
    with pytest.raises(MaskError, match=message):
        reference_multihead_attention(gated, X)
