"""lib.frameworks (Hugging Face tokenizers, JAX) and lib.mask_behaviour (what Keras does with
masks), checked against Keras and against each other."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from lib.attention import attention_layer
from lib.errors import MaskError, MaskTypeError
from lib.example import SENTENCES, seed_token_ids, seed_vocabulary
from lib.frameworks import jax_multihead_attention, word_level_tokenizer
from lib.mask_behaviour import attention_path, fully_masked_row, mask_value
from lib.masks import padding_mask, self_attention_mask
from lib.vocab import Vocabulary


def test_tokenizer_gives_the_seed_ids_and_padding_mask():
    encodings = word_level_tokenizer(seed_vocabulary()).encode_batch(SENTENCES)
    ids = np.array([encoding.ids for encoding in encodings])
    hf_mask = np.array([encoding.attention_mask for encoding in encodings])
    assert np.array_equal(ids, seed_token_ids())
    assert np.array_equal(hf_mask.astype(bool), padding_mask(seed_token_ids()).numpy())


def test_tokenizer_maps_unknown_words_to_its_own_id():
    vocabulary = Vocabulary.fit(["a b"])
    tokenizer = word_level_tokenizer(vocabulary)
    assert tokenizer.encode("a zzz b").ids == [1, 3, 2]
    with pytest.raises(MaskTypeError, match="vocabulary.*Vocabulary.*dict"):
        word_level_tokenizer({"a": 1})


@pytest.mark.parametrize("batch, length, seed", [(1, 3, 0), (3, 7, 1), (2, 5, 2)])
def test_jax_agrees_with_keras_at_real_queries(batch, length, seed):
    rng = np.random.default_rng(seed)
    layer = attention_layer(num_heads=2, key_dim=4, model_dim=8, seed=seed)
    x = rng.normal(size=(batch, length, 8)).astype("float32")
    real = np.ones((batch, length), bool)
    for row in range(batch):
        real[row, rng.integers(1, length + 1):] = False
    mask = self_attention_mask(real).numpy()
    expected = np.asarray(layer(x, x, attention_mask=mask))         # fused path
    got = jax_multihead_attention(layer, x, attention_mask=mask)
    assert np.abs(got - expected)[real].max() < 1e-5
    unmasked = jax_multihead_attention(layer, x)
    assert np.abs(unmasked - np.asarray(layer(x, x))).max() < 1e-5


def test_jax_rejects_what_it_cannot_use():
    layer = attention_layer()
    x = np.zeros((1, 3, 8), "float32")
    with pytest.raises(MaskError, match="attention_mask.*boolean.*received.*int"):
        jax_multihead_attention(layer, x, attention_mask=np.ones((1, 3, 3), int))
    with pytest.raises(MaskError, match="attention_mask.*\\(1, 3, 3\\).*received.*\\(1, 1, 3\\)"):
        jax_multihead_attention(layer, x, attention_mask=np.ones((1, 1, 3), bool))
    with pytest.raises(MaskTypeError, match="layer.*built keras.layers.MultiHeadAttention"):
        jax_multihead_attention(keras.layers.Dense(3), x)
    with pytest.raises(MaskError, match="query, value"):
        jax_multihead_attention(layer, np.zeros((3, 8), "float32"))


def test_path_spy_leaves_keras_as_it_found_it():
    call, op = keras.layers.Softmax.call, keras.src.ops.dot_product_attention
    assert attention_path(keras, dropout=0.1) == "softmax"
    assert attention_path(keras) == "fused"
    assert keras.layers.Softmax.call is call
    assert keras.src.ops.dot_product_attention is op


def test_masked_rows_and_values_of_the_installed_keras():
    assert fully_masked_row(keras, return_attention_scores=True) == "zeros"
    assert fully_masked_row(keras, dropout=0.1) == "zeros"      # softmax path, at inference
    assert fully_masked_row(keras) == "uniform"
    assert mask_value(keras, "softmax") == -1e9
    assert mask_value(keras, "fused") == pytest.approx(-0.7 * 3.38953e38, rel=1e-3)
    with pytest.raises(MaskError, match="path.*'softmax' or 'fused'.*'flash'"):
        mask_value(keras, "flash")
