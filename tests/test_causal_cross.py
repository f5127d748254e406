"""Causal and cross-attention masks (chapters 7 and 8): lib.masks against Keras's MultiHeadAttention.

Covers ``causal_mask``, ``combine`` and ``cross_attention_mask`` (values, shapes, every error
path) and the Keras facts the two chapters assert. (Their kernel-free explorers are tested in
tests/test_explorer_kit.py and, in Chromium, tests/test_explorers_browser.py.)
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from lib.attention import attention_layer
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

D = 8  # model width of the toy layers


# --- fixtures -----------------------------------------------------------------------------


def _embedding(vocab_size: int, seed: int) -> keras.layers.Embedding:
    normal = keras.initializers.RandomNormal(stddev=1.0, seed=seed)
    return keras.layers.Embedding(vocab_size, D, mask_zero=True, embeddings_initializer=normal)


@pytest.fixture(scope="module")
def layer() -> keras.layers.MultiHeadAttention:
    return attention_layer(num_heads=2, key_dim=4, model_dim=D, seed=0)


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


# --- causal_mask --------------------------------------------------------------------------


@pytest.mark.parametrize("length", [1, 2, 6, 9])
def test_causal_mask_square_is_lower_triangle(length):
    mask = causal_mask(length)
    assert mask.shape == (1, length, length) and mask.dtype == tf.bool
    assert (mask.numpy()[0] == np.tril(np.ones((length, length), dtype=bool))).all()


@pytest.mark.parametrize("queries, keys", [(3, 5), (5, 3), (1, 4), (4, 1)])
def test_causal_mask_rectangle_is_top_left_aligned(queries, keys):
    mask = causal_mask(queries, keys)
    assert mask.shape == (1, queries, keys)
    i, j = np.indices((queries, keys))
    assert (mask.numpy()[0] == (j <= i)).all()
    assert mask.numpy()[0, :, 0].all()          # key 0 is visible to every query


def test_causal_mask_accepts_numpy_integers():
    assert causal_mask(np.int64(3), np.int32(4)).shape == (1, 3, 4)


@pytest.mark.parametrize(
    "args, argument, received",
    [
        ((0,), "query_length", "0"),
        ((-2,), "query_length", "-2"),
        ((2.5,), "query_length", "2.5"),
        ((True,), "query_length", "True"),
        (("3",), "query_length", "'3'"),
        ((3, 0), "key_length", "0"),
        ((3, None), None, None),  # None means "same as query_length": no error
    ],
)
def test_causal_mask_rejects_bad_lengths(args, argument, received):
    if argument is None:
        assert causal_mask(*args).shape == (1, 3, 3)
        return
    with pytest.raises(MaskError, match=rf"`{argument}`: expected a positive int, received {received}\."):
        causal_mask(*args)


@pytest.mark.parametrize("queries, keys", [(4, 4), (3, 5), (5, 3)])
def test_causal_mask_matches_keras_use_causal_mask(layer, queries, keys):
    rng = np.random.default_rng(queries * 10 + keys)
    query = tf.constant(rng.normal(size=(2, queries, D)).astype("float32"))
    value = tf.constant(rng.normal(size=(2, keys, D)).astype("float32"))
    _, by_flag = layer(query, value, use_causal_mask=True, return_attention_scores=True)
    _, by_mask = layer(query, value, attention_mask=causal_mask(queries, keys),
                       return_attention_scores=True)
    assert np.array_equal(by_flag.numpy(), by_mask.numpy())
    # the weights are non-zero exactly where the mask is True
    visible = causal_mask(queries, keys).numpy()[0]
    assert ((by_flag.numpy() > 0) == visible).all()
    # and the fused path (no scores returned) agrees too
    outputs_flag = layer(query, value, use_causal_mask=True).numpy()
    outputs_mask = layer(query, value, attention_mask=causal_mask(queries, keys)).numpy()
    assert np.allclose(outputs_flag, outputs_mask, atol=1e-6)


# --- combine ------------------------------------------------------------------------------


def test_combine_broadcasts_causal_over_the_batch():
    padding = padding_mask(seed_token_ids())
    combined = combine(causal_mask(6), self_attention_mask(padding))
    real = padding.numpy()
    expected = np.tril(np.ones((6, 6), bool)) & real[:, :, None] & real[:, None, :]
    assert combined.shape == (2, 6, 6)
    assert (combined.numpy() == expected).all()


def test_combine_of_query_and_key_masks_is_the_outer_product():
    padding = padding_mask(seed_token_ids())
    combined = combine(padding[:, :, None], padding[:, None, :])
    assert (combined.numpy() == self_attention_mask(padding).numpy()).all()


def test_combine_of_one_mask_is_that_mask_and_is_idempotent():
    mask = causal_mask(4)
    assert (combine(mask).numpy() == mask.numpy()).all()
    assert (combine(mask, mask, mask).numpy() == mask.numpy()).all()


def test_combine_accepts_numpy_and_nested_lists():
    result = combine(np.ones((1, 2, 2), dtype=bool), [[[True, False], [True, True]]])
    assert result.numpy().astype(int).tolist() == [[[1, 0], [1, 1]]]


def test_combine_rejects_no_masks():
    with pytest.raises(MaskError, match=r"`masks`: expected at least one mask, received none\."):
        combine()


def test_combine_rejects_rank_two_mask():
    with pytest.raises(MaskError, match=r"`masks\[1\]`: expected rank 3 .*received rank 2 \(shape \(4, 4\)"):
        combine(causal_mask(4), np.ones((4, 4), dtype=bool))


def test_combine_rejects_integer_mask():
    with pytest.raises(MaskTypeError, match=r"`masks\[1\]`: expected dtype bool, received dtype int"):
        combine(causal_mask(4), np.ones((1, 4, 4), dtype=np.int32))


def test_combine_rejects_shapes_that_do_not_broadcast():
    with pytest.raises(MaskError, match=r"`masks\[1\]`: expected a shape that broadcasts with \(1, 4, 4\), "
                                        r"received \(2, 5, 5\)\."):
        combine(causal_mask(4), np.ones((2, 5, 5), dtype=bool))


# --- cross_attention_mask -----------------------------------------------------------------


def test_cross_attention_mask_is_query_mask_and_key_mask():
    target = padding_mask(TARGET_IDS)          # (B, T) = (2, 5)
    source = padding_mask(seed_token_ids())    # (B, S) = (2, 6)
    mask = cross_attention_mask(target, source)
    assert mask.shape == (2, 5, 6) and mask.dtype == tf.bool
    expected = np.zeros((2, 5, 6), dtype=bool)
    expected[0, :4, :] = True
    expected[1, :2, :3] = True
    assert (mask.numpy() == expected).all()
    assert (mask.numpy() == (target.numpy()[:, :, None] & source.numpy()[:, None, :])).all()


def test_cross_attention_mask_of_a_padding_mask_with_itself_is_self_attention():
    padding = padding_mask(seed_token_ids())
    assert (cross_attention_mask(padding, padding).numpy() == self_attention_mask(padding).numpy()).all()


def test_cross_attention_mask_rejects_different_batch_sizes():
    target = padding_mask(TARGET_IDS)
    source = padding_mask(seed_token_ids())
    with pytest.raises(MaskError, match=r"`key_padding_mask`: expected the same batch size B=2 .*"
                                        r"received B=1 \(shape \(1, 6\)\)\."):
        cross_attention_mask(target, source[:1])


def test_cross_attention_mask_rejects_a_three_dimensional_mask():
    target = padding_mask(TARGET_IDS)
    with pytest.raises(MaskError, match=r"`key_padding_mask`: expected rank 2 \(B, S\) padding mask, "
                                        r"received rank 3"):
        cross_attention_mask(target, self_attention_mask(target))


def test_cross_attention_mask_rejects_integer_masks():
    with pytest.raises(MaskTypeError, match=r"`query_padding_mask`: expected dtype bool, received dtype int"):
        cross_attention_mask(np.array([[1, 0]]), np.array([[True, True]]))


def test_cross_attention_mask_rejects_an_all_padding_sentence():
    with pytest.raises(MaskError, match=r"`key_padding_mask`: expected at least one real \(True\) token "
                                        r"in every sequence, received all-padding sequence\(s\) at batch index \[1\]"):
        cross_attention_mask([[True], [True]], [[True, False], [False, False]])


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
