"""Small models for the tests of :mod:`lib.doctor`: ways to leak padding, and ways not to.

Each builder takes the Keras module (``keras`` or ``tf_keras``) where it makes sense, so the
same structure runs on Keras 3 and on tf-keras (the Keras 2 API). Sizes are tiny: the tests
check masks, not learning.
"""

from __future__ import annotations

import numpy as np

VOCAB = 12
WIDTH = 8

IDS = np.array([[3, 1, 4, 1, 5, 9], [2, 6, 5, 0, 0, 0], [5, 3, 0, 0, 0, 0]], dtype="int32")
"""Three sentences padded with 0 at the end; row 0 has no padding."""

UNPADDED = np.array([[3, 1, 4, 1, 5, 9], [2, 6, 5, 3, 5, 8]], dtype="int32")


def guide_model(k, layers: int = 1, residual: bool = True):
    """``Embedding(mask_zero=True)`` -> (attention, ``Add``, ``LayerNormalization``) x layers -> ``Dense``.

    One layer is the Keras guides' pattern and keeps its mask on every Keras. With two
    layers on Keras 3 (>= 3.8), the first attention clears the mask of ``x`` and ``Add``
    then returns no mask, so the second attention sees none.
    """
    k.utils.set_random_seed(0)
    inputs = k.Input((None,), dtype="int32", name="ids")
    x = k.layers.Embedding(VOCAB, WIDTH, mask_zero=True)(inputs)
    for _ in range(layers):
        attended = k.layers.MultiHeadAttention(num_heads=2, key_dim=4)(x, x)
        x = k.layers.LayerNormalization()(k.layers.Add()([x, attended])) if residual else attended
    outputs = k.layers.Dense(VOCAB)(x)
    return k.Model(inputs, outputs)


def causal_decoder(k):
    """A decoder-only model: no padding mask at all, only ``use_causal_mask=True``."""
    k.utils.set_random_seed(0)
    inputs = k.Input((None,), dtype="int32", name="ids")
    x = k.layers.Embedding(VOCAB, WIDTH)(inputs)
    x = k.layers.MultiHeadAttention(num_heads=2, key_dim=4)(x, x, use_causal_mask=True)
    return k.Model(inputs, k.layers.Dense(VOCAB)(x))


def fixed_length_model(k, length: int = 6):
    """The guide model with a fixed input length, ``Input((length,))``."""
    k.utils.set_random_seed(0)
    inputs = k.Input((length,), dtype="int32", name="ids")
    x = k.layers.Embedding(VOCAB, WIDTH, mask_zero=True)(inputs)
    x = k.layers.MultiHeadAttention(num_heads=2, key_dim=4)(x, x)
    return k.Model(inputs, k.layers.Dense(VOCAB)(x))


def mask_dropping_model():
    """A custom layer without ``compute_mask`` between the embedding and the attention."""
    import keras

    class Scale(keras.layers.Layer):  # no supports_masking, no compute_mask: drops the mask
        def call(self, x):
            return x * 2.0

    keras.utils.set_random_seed(0)
    inputs = keras.Input((None,), dtype="int32", name="ids")
    x = keras.layers.Embedding(VOCAB, WIDTH, mask_zero=True)(inputs)
    x = Scale()(x)
    x = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)(x, x)
    return keras.Model(inputs, keras.layers.Dense(VOCAB)(x))


def _layers():
    import keras

    from lib.masks import padding_mask, self_attention_mask

    class Block(keras.layers.Layer):
        """Attention and a feed-forward layer; ``mask`` is the (B, T, S) attention mask."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.attention = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
            self.dense = keras.layers.Dense(WIDTH)

        def call(self, x, attention_mask=None):
            attended = self.attention(x, x, attention_mask=attention_mask)
            return self.dense(x + attended)       # `+`: a TensorFlow op, no Keras mask after it

    class StackModel(keras.Model):
        """Blocks nested in a subclassed model; ``how`` chooses the masks they get."""

        def __init__(self, how: str, **kwargs):
            super().__init__(**kwargs)
            self.how = how
            self.embedding = keras.layers.Embedding(VOCAB, WIDTH, mask_zero=True)
            self.blocks = [Block(), Block()]
            self.head = keras.layers.Dense(VOCAB)

        def call(self, ids):
            x = self.embedding(ids)
            if self.how == "explicit":
                mask = self_attention_mask(padding_mask(ids))
            elif self.how == "first sentence":        # computed once, reused for every sentence
                mask = self_attention_mask(padding_mask(ids[:1]))
            else:                                      # rely on the Keras masks
                mask = None
            for block in self.blocks:
                x = block(x, attention_mask=mask)
            return self.head(x)

    return StackModel


def stack_model(how: str):
    """A subclassed model with two nested blocks: ``explicit``, ``first sentence`` or ``automatic``."""
    import keras

    keras.utils.set_random_seed(0)
    model = _layers()(how)
    model(IDS)                                       # build every weight
    return model


class Broken:
    """Builds a subclassed model that refuses inputs longer than 6 (to make the check raise)."""

    @staticmethod
    def build():
        import keras

        from lib.masks import padding_mask, self_attention_mask

        class Short(keras.Model):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.embedding = keras.layers.Embedding(VOCAB, WIDTH)
                self.attention = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)

            def call(self, ids):
                x = self.embedding(ids)
                x = self.attention(x, x, attention_mask=self_attention_mask(padding_mask(ids)))
                if ids.shape[1] > 6:
                    raise ValueError("this model takes at most 6 tokens")
                return x

        keras.utils.set_random_seed(0)
        model = Short()
        model(IDS)
        return model


def functional_encoder_decoder(k, explicit_cross_from_target: bool = False):
    """Two named inputs, ``source`` and ``target``; one cross-attention from target to source.

    With automatic masks the query carries the target's Keras mask and the value the
    source's. ``explicit_cross_from_target=True`` drops the Keras masks (no ``mask_zero``)
    and instead passes the target's own self-attention mask, a mask of the wrong sentence
    side, which only works at all because source and target have the same length here.
    """
    k.utils.set_random_seed(0)
    source = k.Input((None,), dtype="int32", name="source")
    target = k.Input((None,), dtype="int32", name="target")
    masked = not explicit_cross_from_target
    source_x = k.layers.Embedding(VOCAB, WIDTH, mask_zero=masked)(source)
    target_x = k.layers.Embedding(VOCAB, WIDTH, mask_zero=masked)(target)
    attention = k.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    if explicit_cross_from_target:
        real = k.ops.not_equal(target, 0)
        wrong = k.ops.logical_and(real[:, :, None], real[:, None, :])
        attended = attention(target_x, source_x, attention_mask=wrong)
    else:
        attended = attention(target_x, source_x)
    return k.Model({"source": source, "target": target}, k.layers.Dense(VOCAB)(attended))
