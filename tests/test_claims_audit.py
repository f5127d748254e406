"""Claims of the book that no chapter cell asserts, checked here (see tests/CLAIMS.md).

Written for the claim audit of the intro, chapters 1, 2, 4, 5, 7, 8, 12 and 13 and the pitfalls
page. Each test names the claim and the place it is made. Keras and TensorFlow behaviour is
checked against the installed packages directly; the expected values of the exercise solutions
(which are printed in comments, not run by the build) are worked out here with plain NumPy, not
with the `lib` function the solution demonstrates.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from sklearn.preprocessing import LabelEncoder

SENTENCES = ("This is a very long sequence", "This is short")
D = 8


@pytest.fixture(scope="module")
def attention() -> keras.layers.MultiHeadAttention:
    keras.utils.set_random_seed(0)
    layer = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(2, 3, D)).astype("float32"))
    layer(x, x)                                       # build it once
    return layer


def _states(batch: int, length: int, seed: int) -> tf.Tensor:
    rng = np.random.default_rng(seed)
    return tf.constant(rng.normal(size=(batch, length, D)).astype("float32"))


# --- chapter 1 -----------------------------------------------------------------------------


def test_ch01_label_encoder_refuses_an_unseen_word_with_a_value_error():
    encoder = LabelEncoder().fit(" ".join(SENTENCES).split())
    with pytest.raises(ValueError, match="previously unseen labels"):
        encoder.transform("This is a cat".split())


def test_ch01_text_vectorization_lower_cases_strips_punctuation_and_orders_by_count():
    layer = keras.layers.TextVectorization()
    layer.adapt(["Short, short short words!", "Words."])
    vocabulary = [str(word) for word in layer.get_vocabulary()]
    assert vocabulary == ["", "[UNK]", "short", "words"]    # 3 times, then 2 times
    padded = layer(["Words", "short words"]).numpy()
    assert padded.tolist() == [[3, 0], [2, 3]]              # padded with 0


def test_ch01_exercise_solutions():
    from lib.vocab import Vocabulary

    lower = ["this is a very long sequence", "This is short"]
    words = sorted({word for sentence in lower for word in sentence.split()})
    assert words == ["This", "a", "is", "long", "sequence", "short", "this", "very"]
    expected = [[words.index(w) + 1 for w in s.split()] for s in lower]
    assert expected == [[7, 3, 2, 8, 4, 5], [1, 3, 6]]           # the solution's comment
    assert Vocabulary.fit(lower).encode_batch(lower) == expected
    open_vocab = Vocabulary.fit(SENTENCES, oov=True)
    assert open_vocab.encode("This is a very short cat") == [1, 3, 2, 7, 6, 8]
    assert open_vocab.size == 9


# --- chapter 2 -----------------------------------------------------------------------------


def test_ch02_exercise_solutions():
    ids_a, ids_b = [1, 3, 2, 7, 4, 5], [1, 3, 6]
    ids = keras.utils.pad_sequences([ids_a, ids_b], maxlen=5)
    assert ids.tolist() == [[3, 2, 7, 4, 5], [0, 0, 1, 3, 6]]
    assert (ids != 0).astype(int).tolist() == [[1, 1, 1, 1, 1], [0, 0, 1, 1, 1]]
    # the eight random sentences of the chapter have lengths 9, 7, 6, 3, 4, 1, 1, 1
    lengths = [9, 7, 6, 3, 4, 1, 1, 1]
    assert len(lengths) * max(lengths) - sum(lengths) == 8 * 9 - 32 == 40


# --- chapter 4 -----------------------------------------------------------------------------


def test_ch04_tensorflow_broadcast_error_names_both_shapes():
    query_side = tf.ones((2, 6, 1), dtype=tf.bool)
    key_side = tf.ones((3, 1, 6), dtype=tf.bool)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"\[2,6,1\] vs\. \[3,1,6\]"):
        query_side & key_side


def test_ch04_exercise_shapes():
    mask = np.ones((3, 5), dtype=bool)
    assert (mask[:, :, None] & mask[:, None, :]).shape == (3, 5, 5)
    assert (mask[:, None] & mask[None, :]).shape == (3, 3, 5)


def test_ch04_exercise_swapped_cross_mask_is_refused_or_silently_transposed(attention):
    """ex-ch04-cross: a (B, S, T) mask is refused when T != S and applied as given when T = S."""
    query_real = np.array([[1, 1, 1, 1], [1, 1, 0, 0]], dtype=bool)              # T = 4
    key_real = np.array([[1] * 7, [1] * 5 + [0, 0]], dtype=bool)                  # S = 7
    swapped = key_real[:, :, None] & query_real[:, None, :]                      # (2, 7, 4)
    for scores in (False, True):
        with pytest.raises((ValueError, tf.errors.InvalidArgumentError)):
            attention(_states(2, 4, 1), _states(2, 7, 2), attention_mask=swapped,
                      return_attention_scores=scores)
    query_real = np.array([[1] * 7, [1, 1, 1, 0, 0, 0, 0]], dtype=bool)          # T = S = 7
    right = query_real[:, :, None] & key_real[:, None, :]
    swapped = key_real[:, :, None] & query_real[:, None, :]
    assert (swapped != right).any()
    _, weights = attention(_states(2, 7, 3), _states(2, 7, 2), attention_mask=swapped,
                           return_attention_scores=True)
    assert ((weights.numpy() > 0) == swapped[:, None]).all()                     # no error


# --- chapter 5 -----------------------------------------------------------------------------


def test_ch05_logical_and_refuses_integer_tensors():
    ids = tf.constant([[1, 3, 6, 0]])
    with pytest.raises(tf.errors.InvalidArgumentError, match="bool"):
        tf.math.logical_and(ids, ids)


def test_ch05_exercise_solutions():
    mask = np.array([[1] * 6, [1, 1, 1, 0, 0, 0]], dtype=bool)
    with_or = (mask[:, :, None] | mask[:, None, :])[1]
    assert with_or[:3, :].all() and with_or[3:, :3].all() and not with_or[3:, 3:].any()

    def count(real):
        return int((real[:, :, None] & real[:, None, :]).sum())

    assert count(mask) == 6**2 + 3**2 == 45
    assert count(np.arange(6)[None, :] < np.array([2, 5, 1])[:, None]) == 4 + 25 + 1 == 30


# --- chapter 7 -----------------------------------------------------------------------------


def test_ch07_exercise_solutions(attention):
    pre = np.array([0, 0, 0, 1, 3, 6])                     # "This is short", padding="pre"
    real = pre != 0
    triangle = np.tril(np.ones((6, 6), dtype=bool))
    leak = triangle & ~real[None, :]
    assert leak[3:, :3].all()                             # rows 3-5 see keys 0-2
    fixed = triangle & real[:, None] & real[None, :]
    assert fixed[3:, 3:].tolist() == np.tril(np.ones((3, 3), dtype=bool)).tolist()
    assert fixed.sum() == 6
    # causal_mask(3, 5): top-left triangle, as use_causal_mask=True builds it
    top_left = np.tril(np.ones((3, 5), dtype=bool))
    assert top_left.astype(int).tolist() == [[1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [1, 1, 1, 0, 0]]
    _, weights = attention(_states(1, 3, 4), _states(1, 5, 5), use_causal_mask=True,
                           return_attention_scores=True)
    assert ((weights.numpy()[0] > 0) == top_left).all()


# --- chapter 8 -----------------------------------------------------------------------------


def test_ch08_both_attention_paths_refuse_the_decoders_square_with_different_errors(attention):
    wrong = np.ones((2, 5, 5), dtype=bool)                 # (B, T, T) with T = 5, S = 6
    raised = {}
    for scores in (False, True):
        try:
            attention(_states(2, 5, 6), _states(2, 6, 7), attention_mask=wrong,
                      return_attention_scores=scores)
        except (ValueError, tf.errors.InvalidArgumentError) as error:
            raised[scores] = type(error)
    assert set(raised) == {False, True}
    assert raised[False] is not raised[True]


def test_ch08_padded_target_rows_get_no_weight_on_the_scores_path(attention):
    target_real = np.array([[1, 1, 1, 1, 0], [1, 1, 0, 0, 0]], dtype=bool)
    source_real = np.array([[1] * 6, [1, 1, 1, 0, 0, 0]], dtype=bool)
    _, weights = attention(_states(2, 5, 8), _states(2, 6, 9),
                           attention_mask=target_real[:, :, None] & source_real[:, None, :],
                           return_attention_scores=True)
    by_query = weights.numpy().transpose(0, 2, 1, 3)       # (B, T, H, S)
    if tuple(int(p) for p in keras.__version__.split(".")[:2]) >= (3, 10):
        assert (by_query[~target_real] == 0).all()
    assert np.allclose(by_query[target_real].sum(axis=-1), 1.0, atol=1e-6)


def test_ch08_exercise_longer_target_leaks_into_source_padding():
    target_real = np.arange(6)[None, :] < np.array([4, 5])[:, None]    # 4 and 5 words, T = 6
    source_real = np.array([[1] * 6, [1, 1, 1, 0, 0, 0]], dtype=bool)  # S = 6
    wrong = target_real[:, :, None] & target_real[:, None, :]
    right = target_real[:, :, None] & source_real[:, None, :]
    leak = wrong & ~right
    assert not leak[0].any()
    assert np.argwhere(leak[1]).tolist() == [[i, j] for i in range(5) for j in (3, 4)]


# --- chapter 12 ----------------------------------------------------------------------------


def test_ch12_exercise_solutions():
    from lib.playground import Playground

    play = Playground()
    result = play.compute(6, 5, cross=True)
    expected = np.zeros((5, 6), dtype=bool)
    expected[:4, :3] = True             # <start> This is short  x  This is short
    assert np.array_equal(result.attention_mask[1], expected)
    starved = play.compute(6, 8, causal=True, cross=True)
    assert not (~starved.attention_mask.any(-1) & starved.query_padding).any()
