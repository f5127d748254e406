"""lib.attention: the NumPy reference agrees with Keras, the mask acts as chapter 6 says."""

from __future__ import annotations

import re

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
from lib.example import seed_token_ids, seed_vocabulary
from lib.masks import (
    causal_mask,
    combine,
    cross_attention_mask,
    padding_mask,
    self_attention_mask,
)
from lib.padding import pad_batch

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
         r"`query`: expected rank 4 \(B, H, T, d\), received rank 3 \(shape \(2, 3, 4\)"),
        ((Q4, np.zeros((2, 5, 4)), V4), MaskError,
         r"`key`: expected rank 4 \(B, H, S, d\), received rank 3 \(shape \(2, 5, 4\)"),
        ((Q4, K4, np.zeros((2, 2, 5))), MaskError,
         r"`value`: expected rank 4 \(B, H, S, d_v\), received rank 3 \(shape \(2, 2, 5\)"),
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
         r"`query`: expected a number dtype \(not bool\), received dtype bool\.\n  A boolean array"),
        ((RAGGED, K4, V4), MaskTypeError,
         r"`query`: expected a rectangular array of numbers or booleans, received ragged nested lists"),
        ((np.full((2, 2, 3, 4), "x"), K4, V4), MaskTypeError,
         r"`query`: expected an array of numbers or booleans, received dtype <U1"),
        ((np.full(Q4.shape, np.nan), K4, V4), MaskError,
         r"`query`: expected finite numbers, received \d+ NaN or infinite entries"),
        ((Q4, np.full((2, 2, 5, 4), np.inf), V4), MaskError, r"`key`: expected finite numbers"),
        ((Q4, K4, V4, np.ones((2, 3, 5), dtype=int)), MaskTypeError,
         r"`attention_mask`: expected dtype bool \(True = may attend\), received dtype int"),
        ((Q4, K4, V4, np.ones((2, 3, 4), dtype=bool)), MaskError,
         r"`attention_mask`: expected shape \(B, T, S\) = \(2, 3, 5\).*received shape \(2, 3, 4\)"),
        ((Q4, K4, V4, np.ones((3, 3, 5), dtype=bool)), MaskError,
         r"`attention_mask`: expected shape \(B, T, S\) = \(2, 3, 5\).*received shape \(3, 3, 5\)"),
        ((Q4, K4, V4, np.ones((2, 1, 1, 5), dtype=bool)), MaskError,
         r"`attention_mask`: expected rank 3 .*received rank 4 \(shape \(2, 1, 1, 5\) and dtype "
         r"bool\)\.\n  A \(B, 1, 1, S\) mask"),
        ((Q4, K4, V4, np.ones((2, 5), dtype=bool)), MaskError,
         r"`attention_mask`: expected rank 3 .*received rank 2 \(shape \(2, 5\) and dtype bool\)\.\n  in "),
    ],
)
def test_reference_attention_errors(arguments, error, message):
    with pytest.raises(error) as caught:
        reference_attention(*arguments)
    assert re.search(message, str(caught.value), re.DOTALL), str(caught.value)


@pytest.mark.parametrize(
    "keywords, error, message",
    [
        ({"num_heads": 0}, MaskError, r"`num_heads`: expected an int >= 1, received 0"),
        ({"key_dim": 2.5}, MaskTypeError, r"`key_dim`: expected an int >= 1, received float 2\.5"),
        ({"model_dim": True}, MaskTypeError, r"`model_dim`: expected an int >= 1, received bool True"),
        ({"seed": "0"}, MaskTypeError, r"`seed`: expected an int >= 0, received str '0'"),
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
         r"`query`: expected rank 3 \(B, T, D\), received rank 2 \(shape \(6, 8\)"),
        ((X, np.zeros((3, 6, D))), {}, MaskError,
         r"`value`: expected the same batch size B=2 as `query` \(2, 6, 8\), received B=3"),
        ((X, np.zeros((2, 5, D)), np.zeros((2, 4, D))), {}, MaskError,
         r"`key`: expected S=5 positions, as `value` \(2, 5, 8\), received S=4"),
        ((X, np.zeros((2, 5, D)), np.zeros((3, 5, D))), {}, MaskError,
         r"`key`: expected the same batch size B=2 as `query` \(2, 6, 8\), received B=3"),
        ((np.zeros((2, 6, 5)),), {}, MaskError,
         r"`query`: expected width D=8 on the last axis \(the layer was built for it\), "
         r"received D=5"),
        ((X.astype(bool),), {}, MaskTypeError,
         r"`query`: expected a number dtype \(not bool\), received dtype bool"),
        ((RAGGED,), {}, MaskTypeError,
         r"`query`: expected a rectangular array of numbers or booleans, received ragged nested lists"),
        ((np.full((2, 6, D), np.nan),), {}, MaskError,
         r"`query`: expected finite numbers, received 96 NaN or infinite entries"),
        ((X,), {"attention_mask": np.ones((2, 6, 6), dtype="float32")}, MaskTypeError,
         r"`attention_mask`: expected dtype bool .*received dtype float32"),
        ((X,), {"attention_mask": np.ones((1, 2, 6, 6), dtype=bool)}, MaskError,
         r"`attention_mask`: expected rank 3 \(B, T, S\) = \(2, 6, 6\), or 1 on an axis to "
         r"broadcast, received rank 4 \(shape \(1, 2, 6, 6\)"),
        ((X,), {"attention_mask": np.ones((3, 6, 6), dtype=bool)}, MaskError,
         r"`attention_mask`: expected shape \(B, T, S\) = \(2, 6, 6\).*received shape \(3, 6, 6\)"),
    ],
)
def test_layer_call_errors(layer, function, arguments, keywords, error, message):
    with pytest.raises(error) as caught:
        function(layer, *arguments, **keywords)
    assert re.search(message, str(caught.value), re.DOTALL), str(caught.value)


@pytest.mark.parametrize("query, error, message", [
    (tf.constant(X.astype(bool)), MaskTypeError,
     r"`query`: expected a float dtype \(the layer's inputs\), received dtype bool"),
    (tf.constant(np.zeros((2, 6, D), np.int32)), MaskTypeError, r"received dtype int32"),
    (tf.constant(np.full((2, 6, D), np.inf, np.float32)), MaskError, r"`query`: expected finite numbers"),
    (tf.zeros((6, D)), MaskError, r"`query`: expected rank 3 \(B, T, D\), received rank 2"),
], ids=["bool", "int", "inf", "rank-2"])
def test_run_attention_checks_tensors_as_it_checks_arrays(layer, query, error, message):
    """A bool tf.Tensor once passed run_attention while the same NumPy array was refused."""
    with pytest.raises(error, match=message):
        run_attention(layer, query)


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


# --- the Keras facts of chapters 7 (causal) and 8 (cross-attention) ------------------------

def _embedding(vocab_size: int, seed: int) -> keras.layers.Embedding:
    normal = keras.initializers.RandomNormal(stddev=1.0, seed=seed)
    return keras.layers.Embedding(vocab_size, D, mask_zero=True, embeddings_initializer=normal)


@pytest.fixture(scope="module")
def source_embedding() -> keras.layers.Embedding:
    return _embedding(seed_vocabulary().size, seed=0)


@pytest.fixture(scope="module")
def target_embedding() -> keras.layers.Embedding:
    return _embedding(8, seed=1)


TARGET_IDS = pad_batch([[2, 5, 6, 4], [1, 3]], length=5)  # lengths 4 and 2, T = 5


def _plain(tensor: tf.Tensor) -> tf.Tensor:
    """Same values, no Keras mask."""
    plain = tf.identity(tensor)
    assert getattr(plain, "_keras_mask", None) is None
    return plain


# --- MultiHeadAttention facts of chapter 7 ------------------------------------------------


def test_explicit_causal_and_padding_equals_use_causal_mask_on_masked_input(layer, source_embedding):
    ids = seed_token_ids()
    masked = source_embedding(ids)                 # carries the padding mask
    assert masked._keras_mask is not None
    _, automatic = layer(masked, masked, use_causal_mask=True, return_attention_scores=True)
    explicit_mask = combine(causal_mask(6), self_attention_mask(padding_mask(ids)))
    plain = _plain(source_embedding(ids))          # recomputed: the call above cleared the mask
    _, explicit = layer(plain, plain, attention_mask=explicit_mask, return_attention_scores=True)
    assert np.array_equal(automatic.numpy(), explicit.numpy())
    assert (automatic.numpy()[:, :, ~explicit_mask.numpy()[1]][1] == 0).all()


def test_multi_head_attention_clears_the_keras_mask_of_its_inputs(layer, source_embedding,
                                                                   target_embedding):
    """Keras >= 3.8: query and value lose ``_keras_mask`` in place (chapter 7, exercise of 8)."""
    query = target_embedding(TARGET_IDS)
    value = source_embedding(seed_token_ids())
    assert query._keras_mask is not None and value._keras_mask is not None
    layer(query=query, value=value)
    assert getattr(query, "_keras_mask", None) is None
    assert getattr(value, "_keras_mask", None) is None


def test_causal_outputs_do_not_depend_on_later_tokens(layer, source_embedding):
    ids = seed_token_ids()
    changed_ids = ids.copy()
    changed_ids[0, 4] = 6
    before = layer(_plain(source_embedding(ids)), _plain(source_embedding(ids)), use_causal_mask=True)
    changed = _plain(source_embedding(changed_ids))
    after = layer(changed, changed, use_causal_mask=True)
    change = np.abs(after.numpy() - before.numpy()).max(axis=-1)
    assert (change[0, :4] == 0).all() and (change[0, 4:] > 0).all()
    assert (change[1] == 0).all()


def test_post_padding_causal_alone_agrees_at_real_positions(layer, source_embedding):
    ids = seed_token_ids()
    plain = _plain(source_embedding(ids))
    real = padding_mask(ids).numpy()
    causal_only = layer(plain, plain, use_causal_mask=True).numpy()
    both = layer(plain, plain, attention_mask=combine(causal_mask(6), self_attention_mask(real))).numpy()
    assert np.array_equal(causal_only[real], both[real])


def test_pre_padding_needs_the_padding_mask():
    ids = pad_batch([[1, 3, 6]], length=6, padding="pre")
    padding = padding_mask(ids).numpy()[0]
    leak = causal_mask(6).numpy()[0] & ~padding[None, :]
    assert leak[3:, :3].all()                       # every real row sees the padded keys
    fixed = combine(causal_mask(6), self_attention_mask(padding_mask(ids))).numpy()[0]
    assert not (fixed & ~padding[None, :]).any()


# --- MultiHeadAttention facts of chapter 8 ------------------------------------------------


def _cross_weights(layer, decoder, encoder, attention_mask=None) -> np.ndarray:
    _, weights = layer(query=decoder, value=encoder, attention_mask=attention_mask,
                       return_attention_scores=True)
    return weights.numpy()


def test_cross_attention_gives_zero_weight_to_padded_encoder_keys(layer, source_embedding,
                                                                   target_embedding):
    source_ids = seed_token_ids()
    mask = cross_attention_mask(padding_mask(TARGET_IDS), padding_mask(source_ids))
    decoder = _plain(target_embedding(TARGET_IDS))
    encoder = _plain(source_embedding(source_ids))
    weights = _cross_weights(layer, decoder, encoder, mask)
    assert weights.shape == (2, 2, 5, 6)
    padded_keys = ~padding_mask(source_ids).numpy()
    assert (weights[1][..., padded_keys[1]] == 0).all()
    assert (weights[0][..., padded_keys[0]] == 0).all()
    real_rows = padding_mask(TARGET_IDS).numpy()
    assert np.allclose(weights.sum(axis=-1).transpose(0, 2, 1)[real_rows], 1.0)
    # Keras's own mask from the inputs' Keras masks is the same rectangle
    automatic = _cross_weights(layer, target_embedding(TARGET_IDS), source_embedding(source_ids))
    assert np.array_equal(automatic, weights)


@pytest.mark.parametrize(
    "return_scores, error",
    [(False, tf.errors.InvalidArgumentError), (True, ValueError)],
)
def test_decoder_self_mask_in_cross_attention_raises_when_t_differs_from_s(
    layer, source_embedding, target_embedding, return_scores, error
):
    wrong = self_attention_mask(padding_mask(TARGET_IDS))          # (2, 5, 5), but S = 6
    decoder = _plain(target_embedding(TARGET_IDS))
    encoder = _plain(source_embedding(seed_token_ids()))
    with pytest.raises(error, match=r"Incompatible shapes|must be broadcastable"):
        layer(query=decoder, value=encoder, attention_mask=wrong,
              return_attention_scores=return_scores)


def test_decoder_self_mask_runs_silently_and_wrongly_when_t_equals_s(layer, source_embedding,
                                                                      target_embedding):
    target_ids = pad_batch([[2, 5, 6, 4], [1, 3]], length=6)     # T = S = 6 by coincidence
    target_padding = padding_mask(target_ids)
    source_padding = padding_mask(seed_token_ids())
    decoder = _plain(target_embedding(target_ids))
    encoder = _plain(source_embedding(seed_token_ids()))
    right = _cross_weights(layer, decoder, encoder, cross_attention_mask(target_padding, source_padding))
    wrong = _cross_weights(layer, decoder, encoder, self_attention_mask(target_padding))
    assert not np.allclose(right, wrong)
    assert (wrong[0, :, :4, 4:] == 0).all() and (right[0, :, :4, 4:] > 0).all()
    assert (wrong[1, :, :2, 2] == 0).all() and (right[1, :, :2, 2] > 0).all()


def test_decoder_self_mask_lets_a_longer_target_attend_to_source_padding():
    """Chapter 8, first exercise."""
    target_padding = padding_mask(pad_batch([[1] * 4, [1] * 5], length=6))
    source_padding = padding_mask(seed_token_ids())
    leak = (self_attention_mask(target_padding).numpy()
            & ~cross_attention_mask(target_padding, source_padding).numpy())
    expected = np.zeros((6, 6), dtype=bool)
    expected[:5, 3:5] = True
    assert (leak[1] == expected).all() and not leak[0].any()
