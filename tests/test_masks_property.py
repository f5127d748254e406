"""Property tests (hypothesis): ``lib.masks.self_attention_mask`` against two references.

Over random batches (B from 1 to 5, padded length S from 1 to 12, every sentence with at
least one real token) the mask must equal

1. a NumPy reference, the outer AND of the padding mask with itself; and
2. the mask Keras itself builds from masked inputs: ``MultiHeadAttention``'s (private)
   ``_compute_attention_mask`` given the query and value masks, and, end to end, the
   attention scores of a call on an ``Embedding(mask_zero=True)`` output (Keras masks
   the inputs itself) equal those of a call with the explicit ``attention_mask``.

The layers are built once per module, so the examples stay fast.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lib.masks import padding_mask, self_attention_mask

FEATURES = 4
VOCABULARY = 10

EMBEDDING = keras.layers.Embedding(VOCABULARY, FEATURES, mask_zero=True)
LAYER = keras.layers.MultiHeadAttention(num_heads=2, key_dim=FEATURES, seed=0)

SEED_IDS = np.array([[1, 3, 2, 7, 4, 5], [1, 3, 6, 0, 0, 0]], dtype=np.int32)   # the question's batch

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def padded_batches(draw, post_padding_only: bool = True) -> np.ndarray:
    """(B, S) token ids: B in 1..5, S in 1..12, each row with 1..S real tokens (ids 1..9).

    With ``post_padding_only=False`` the zeros may sit anywhere in a row (still >= 1 real).
    """
    batch = draw(st.integers(1, 5))
    length = draw(st.integers(1, 12))
    rows = []
    for _ in range(batch):
        real = draw(st.integers(1, length))
        tokens = draw(st.lists(st.integers(1, VOCABULARY - 1), min_size=real, max_size=real))
        row = tokens + [0] * (length - real)
        if not post_padding_only:
            row = draw(st.permutations(row))
        rows.append(row)
    return np.array(rows, dtype=np.int32)


def numpy_reference(ids: np.ndarray) -> np.ndarray:
    """(B, S, S): outer AND of ``ids != 0`` with itself, one sentence at a time."""
    real = ids != 0
    return np.stack([np.logical_and.outer(row, row) for row in real])


@SETTINGS
@given(ids=padded_batches(post_padding_only=False))
@example(ids=SEED_IDS)
@example(ids=np.array([[1, 0, 3, 0], [1, 2, 0, 0]], dtype=np.int32))   # the toy's rows, as a batch
def test_self_attention_mask_equals_the_numpy_outer_and(ids):
    mask = self_attention_mask(padding_mask(ids))
    assert mask.dtype == tf.bool
    assert mask.shape == (ids.shape[0], ids.shape[1], ids.shape[1])
    assert np.array_equal(mask.numpy(), numpy_reference(ids))


@SETTINGS
@given(ids=padded_batches())
@example(ids=SEED_IDS)
def test_self_attention_mask_equals_the_mask_keras_computes(ids):
    keras_padding_mask = EMBEDDING.compute_mask(ids)
    embedded = EMBEDDING(ids)
    keras_mask = LAYER._compute_attention_mask(
        embedded, embedded, query_mask=keras_padding_mask, value_mask=keras_padding_mask
    )
    lib_mask = self_attention_mask(padding_mask(ids))
    assert np.array_equal(np.asarray(keras_mask), lib_mask.numpy())
    assert np.array_equal(lib_mask.numpy(), numpy_reference(ids))


# A sentence padded to S = 1 makes Keras warn about a softmax over one key; that is expected.
@pytest.mark.filterwarnings("ignore:You are using a softmax over axis")
@SETTINGS
@given(ids=padded_batches())
@example(ids=SEED_IDS)
def test_automatic_keras_masking_gives_the_same_attention_scores(ids):
    embedded = EMBEDDING(ids)                       # carries the Keras mask (B, S)
    unmasked = tf.identity(embedded)                # same values, no Keras mask
    assert getattr(unmasked, "_keras_mask", None) is None
    _, automatic = LAYER(embedded, embedded, return_attention_scores=True)
    _, explicit = LAYER(
        unmasked, unmasked, attention_mask=self_attention_mask(padding_mask(ids)),
        return_attention_scores=True,
    )
    np.testing.assert_array_equal(np.asarray(automatic), np.asarray(explicit))
    # Sanity check that the mask did something: no weight on a padded key from a real query.
    real = ids != 0
    weights = np.asarray(explicit)                  # (B, H, T, S)
    for b in range(ids.shape[0]):
        assert np.all(weights[b][:, real[b]][:, :, ~real[b]] == 0.0)
