"""A tiny encoder-decoder in the style of TensorFlow's Transformer tutorial, and the test it fails.

Introduced in chapter 9 ("When masks silently vanish"). The model is written
the way the tutorial writes it: ``Embedding(mask_zero=True)``, attention,
a residual ``Add`` and a ``LayerNormalization`` after every attention and
feed-forward block, and the encoder output reused by the cross-attention of
every decoder layer. With ``explicit_masks=False`` it relies on the Keras
masks that travel on the tensors; with ``explicit_masks=True`` it builds
every ``attention_mask`` from the token ids with :mod:`lib.masks`.

Two Keras behaviours decide whether the automatic masks survive
(:func:`detect_mask_traps` checks both on the installed version):
``MultiHeadAttention`` clears the Keras mask of its input tensors (Keras 3.8
and later), and ``Add`` returns no mask when one of its inputs has none.

>>> source, target = toy_source_target()
>>> source.tolist()
[[1, 3, 2, 7, 4, 5], [1, 3, 6, 0, 0, 0]]
>>> target.tolist()
[[8, 1, 3, 2, 7, 4, 5], [8, 1, 3, 6, 0, 0, 0]]
>>> model = ToyTransformer(explicit_masks=True)
>>> model(source, target).shape
TensorShape([2, 7, 9])
>>> padding_invariance_gap(model, source, target, index=1) < 1e-5
True
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from lib import checks
from lib.checks import public_api
from lib.errors import MaskError
from lib.example import seed_token_ids
from lib.masks import (
    causal_mask,
    combine,
    cross_attention_mask,
    padding_mask,
    self_attention_mask,
)
from lib.padding import PAD_ID, is_post_padded
from lib.plots import draw_mask, mask_legend

START_ID = 8
"""The decoder's start token: one more than the largest word id of the seed vocabulary (7)."""

VOCAB_SIZE = 9
"""Ids 0 (padding), 1..7 (the seed's words) and 8 (start)."""

@public_api
def attention_names(num_layers: int = 2) -> tuple[str, ...]:
    """The attention calls of a model with ``num_layers`` encoder and decoder layers, in the
    order they run: every encoder self-attention, then each decoder layer's causal
    self-attention and cross-attention.

    >>> attention_names(1)
    ('encoder 1 self-attention', 'decoder 1 causal self-attention', 'decoder 1 cross-attention')
    """
    layers = range(1, checks.integer(num_layers, "num_layers", minimum=1) + 1)
    return (
        *(f"encoder {layer} self-attention" for layer in layers),
        *(name for layer in layers for name in (
            f"decoder {layer} causal self-attention", f"decoder {layer} cross-attention")),
    )


ATTENTION_NAMES = attention_names(2)
"""The six attention calls of the two-layer model (the default), in the order they run."""


@public_api
def keras_mask(tensor: Any) -> tf.Tensor | None:
    """The Keras mask a tensor carries (its ``_keras_mask`` attribute), or ``None``.

    >>> x = keras.layers.Embedding(5, 2, mask_zero=True)(np.array([[3, 0]]))
    >>> keras_mask(x).numpy().tolist()
    [[True, False]]
    """
    return getattr(tensor, "_keras_mask", None)


@dataclass(frozen=True)
class MaskTraps:
    """What the installed Keras does with masks, as measured by :func:`detect_mask_traps`."""

    keras_version: str
    """The version of the Keras that was checked."""
    attention_clears_input_mask: bool
    """``MultiHeadAttention`` sets ``_keras_mask`` of the tensors passed to it to ``None``."""
    add_drops_partial_mask: bool
    """``Add()([masked, unmasked])`` has no mask."""
    api: str = "keras"
    """The module checked: ``keras`` (Keras 3) or ``tf_keras`` (the Keras 2 API)."""

    @property
    def model_leaks(self) -> bool:
        """Whether a tutorial-style model that relies on automatic masks should leak padding.

        Clearing alone is enough: the encoder output is cleared by the first
        cross-attention, so the second one sees no key mask.
        """
        return self.attention_clears_input_mask

    def describe(self) -> str:
        """A few lines for the chapter: which case the installed Keras is in."""
        verdict = (
            "trap present: automatic masks vanish after the first attention layer"
            if self.model_leaks
            else "no trap: automatic masks survive every attention layer"
        )
        yes_no = {True: "yes", False: "no"}
        return (
            f"{self.api} {self.keras_version}\n"
            f"  MultiHeadAttention clears its inputs' Keras masks: "
            f"{yes_no[self.attention_clears_input_mask]}\n"
            f"  Add drops the mask when one input has none:        "
            f"{yes_no[self.add_drops_partial_mask]}\n"
            f"  -> {verdict}"
        )


@public_api
def detect_mask_traps(api: Any = keras) -> MaskTraps:
    """Run the two small experiments of chapter 9 on the installed Keras (or on ``tf_keras``).

    >>> traps = detect_mask_traps()
    >>> traps.keras_version == keras.__version__
    True
    """
    ids = np.array([[1, 2, 0]])
    embedded = api.layers.Embedding(3, 4, mask_zero=True)(ids)
    before = keras_mask(embedded) is not None
    api.layers.MultiHeadAttention(num_heads=1, key_dim=2)(embedded, embedded)
    clears = before and keras_mask(embedded) is None

    masked = api.layers.Embedding(3, 4, mask_zero=True)(ids)
    unmasked = tf.identity(masked)            # a new tensor: no _keras_mask on it
    added = api.layers.Add()([masked, unmasked])
    drops = keras_mask(added) is None
    return MaskTraps(api.__version__, clears, drops, api.__name__)


@public_api
def toy_source_target(length: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The seed's two sentences as source ids (B, S) and, after a start token, target ids (B, T).

    ``length`` pads the source to ``length`` (and the target to ``length + 1``).
    """
    source = seed_token_ids(length)
    target = np.concatenate([np.full((source.shape[0], 1), START_ID, source.dtype), source], axis=1)
    return source, target


def _positional_encoding(length: int, depth: int) -> np.ndarray:
    """The tutorial's sinusoidal positions: (length, depth), sines then cosines."""
    half = depth // 2
    positions = np.arange(length)[:, np.newaxis]
    rates = 1 / (10000 ** (np.arange(half)[np.newaxis, :] / half))
    angles = positions * rates
    return np.concatenate([np.sin(angles), np.cos(angles)], axis=-1).astype("float32")


@public_api
def toy_transformer_class(api: Any = keras) -> type:
    """The :class:`ToyTransformer` class written against ``api``: ``keras`` (Keras 3) or
    ``tf_keras``.

    ``tf_keras`` is the Keras 2 API, what ``tf.keras`` was when the question was asked; chapter 9
    runs the same model in both. Only the module the layers come from changes, not the code.

    >>> toy_transformer_class(keras) is ToyTransformer
    True
    """
    return _model_classes(api)[1]


@functools.cache
def _model_classes(api: Any) -> tuple[type, type]:
    """``PositionalEmbedding`` and ``ToyTransformer``, built from the layers of ``api``."""
    if not all(hasattr(api, name) for name in ("layers", "Model", "Sequential", "utils")):
        raise MaskError.expected("api", "the keras or tf_keras module", repr(api))

    class PositionalEmbedding(api.layers.Layer):
        """``Embedding(mask_zero=True)`` scaled by sqrt(d_model) plus sinusoidal positions.

        Passes the embedding's (B, S) padding mask on to its output, as the tutorial's layer does.
        """

        def __init__(self, vocab_size: int, d_model: int, max_length: int = 64, **kwargs):
            super().__init__(**kwargs)
            self.d_model = d_model
            self.embedding = api.layers.Embedding(vocab_size, d_model, mask_zero=True)
            self.positions = tf.constant(_positional_encoding(max_length, d_model))

        def compute_mask(self, inputs, mask=None):
            return self.embedding.compute_mask(inputs)

        def call(self, token_ids):
            length = tf.shape(token_ids)[1]
            x = self.embedding(token_ids) * math.sqrt(self.d_model)
            return x + self.positions[tf.newaxis, :length, :]

    class ToyTransformer(api.Model):
        """Two encoder and two decoder layers, tiny sizes, fixed initial weights.

        ``explicit_masks=False``: every attention relies on the Keras masks carried by its
        inputs, as in the tutorial. ``explicit_masks=True``: every attention gets an
        ``attention_mask`` built from the token ids by :func:`explicit_attention_masks`.

        Construction calls ``api.utils.set_random_seed(seed)`` and builds every weight at once,
        so two models built with the same ``seed`` have the same weights whatever
        ``explicit_masks`` is. After each call, :attr:`masks_seen` holds, for each name of
        :attr:`attention_names` (:func:`attention_names` of ``num_layers``), the (B, T, S)
        mask that attention applied: the AND of the query's and the key's Keras masks, the
        explicit mask and the causal mask (all True where none of them was present).
        """

        def __init__(
            self,
            explicit_masks: bool = False,
            vocab_size: int = VOCAB_SIZE,
            d_model: int = 8,
            num_heads: int = 2,
            ff_dim: int = 16,
            num_layers: int = 2,
            seed: int = 0,
            **kwargs,
        ):
            explicit_masks = checks.flag(explicit_masks, "explicit_masks")
            vocab_size = checks.integer(vocab_size, "vocab_size", minimum=2)
            num_heads = checks.integer(num_heads, "num_heads", minimum=1)
            d_model = checks.integer(d_model, "d_model", minimum=max(2, num_heads))
            if d_model % 2:
                raise MaskError.expected(
                    "d_model", "an even int (the positions are half sines, half cosines)",
                    repr(d_model),
                )
            ff_dim = checks.integer(ff_dim, "ff_dim", minimum=1)
            num_layers = checks.integer(num_layers, "num_layers", minimum=1)
            api.utils.set_random_seed(checks.integer(seed, "seed", minimum=0))
            super().__init__(**kwargs)
            self.explicit_masks = explicit_masks
            self.num_layers = num_layers
            self.attention_names = attention_names(num_layers)
            self.masks_seen: dict[str, np.ndarray] = {}

            def attention() :
                return api.layers.MultiHeadAttention(
                    num_heads=num_heads, key_dim=d_model // num_heads
                )

            def feed_forward() :
                return api.Sequential(
                    [api.layers.Dense(ff_dim, activation="relu"), api.layers.Dense(d_model)]
                )

            Add, LayerNormalization = api.layers.Add, api.layers.LayerNormalization
            self.source_embedding = PositionalEmbedding(vocab_size, d_model)
            self.target_embedding = PositionalEmbedding(vocab_size, d_model)
            self.encoder = [
                {
                    "self": attention(), "add1": Add(), "norm1": LayerNormalization(),
                    "ffn": feed_forward(), "add2": Add(), "norm2": LayerNormalization(),
                }
                for _ in range(num_layers)
            ]
            self.decoder = [
                {
                    "causal": attention(), "add1": Add(), "norm1": LayerNormalization(),
                    "cross": attention(), "add2": Add(), "norm2": LayerNormalization(),
                    "ffn": feed_forward(), "add3": Add(), "norm3": LayerNormalization(),
                }
                for _ in range(num_layers)
            ]
            self.final = api.layers.Dense(vocab_size)
            # Build every weight now, right after seeding: weights created lazily at the first real
            # call would depend on whatever drew random numbers in between.
            self(np.array([[1]]), np.array([[1]]))
            self.masks_seen = {}

        def _attend(self, name: str, layer, query, value, attention_mask=None, causal=False):
            """Record the mask this attention call applies, then call it."""
            batch, queries, keys = query.shape[0], query.shape[1], value.shape[1]
            seen = np.ones((batch, queries, keys), dtype=bool)
            if keras_mask(query) is not None:
                seen &= keras_mask(query).numpy()[:, :, None]
            if keras_mask(value) is not None:
                seen &= keras_mask(value).numpy()[:, None, :]
            if attention_mask is not None:
                seen &= np.asarray(attention_mask)
            if causal:
                seen &= np.tril(np.ones((queries, keys), dtype=bool))[None]
            self.masks_seen[name] = seen
            if attention_mask is None:
                return layer(query=query, value=value, key=value, use_causal_mask=causal)
            return layer(query=query, value=value, key=value, attention_mask=attention_mask)

        def call(self, source_ids, target_ids):
            self.masks_seen = {}
            names = iter(self.attention_names)
            enc_mask = dec_mask = cross_mask = None  # rely on Keras masks
            if self.explicit_masks:
                enc_mask, dec_mask, cross_mask = explicit_attention_masks(
                    source_ids, target_ids)

            x = self.source_embedding(source_ids)    # the mask rides on x
            for layer in self.encoder:
                a = self._attend(next(names), layer["self"], x, x, enc_mask)
                x = layer["norm1"](layer["add1"]([x, a]))
                x = layer["norm2"](layer["add2"]([x, layer["ffn"](x)]))
            context = x                    # used by every cross-attention

            y = self.target_embedding(target_ids)
            causal = dec_mask is None      # the tutorial's use_causal_mask
            for layer in self.decoder:
                a = self._attend(next(names), layer["causal"], y, y, dec_mask, causal)
                y = layer["norm1"](layer["add1"]([y, a]))
                a = self._attend(next(names), layer["cross"], y, context, cross_mask)
                y = layer["norm2"](layer["add2"]([y, a]))
                y = layer["norm3"](layer["add3"]([y, layer["ffn"](y)]))
            return self.final(y)

    for cls in (PositionalEmbedding, ToyTransformer):
        cls.__qualname__ = cls.__name__
    return PositionalEmbedding, ToyTransformer


PositionalEmbedding, ToyTransformer = _model_classes(keras)


@public_api
def explicit_attention_masks(
    source_ids: Any, target_ids: Any
) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """The three masks of the encoder-decoder, built from the token ids alone.

    Returns the encoder's self-attention mask (B, S, S), the decoder's causal self-attention
    mask (B, T, T) and the cross-attention mask (B, T, S).

    >>> encoder, decoder, cross = explicit_attention_masks(*toy_source_target())
    >>> encoder.shape, decoder.shape, cross.shape
    (TensorShape([2, 6, 6]), TensorShape([2, 7, 7]), TensorShape([2, 7, 6]))
    """
    source_mask, target_mask = padding_mask(source_ids), padding_mask(target_ids)
    encoder = self_attention_mask(source_mask)              # the question's mask1 & mask2
    decoder = combine(causal_mask(target_mask.shape[1]), self_attention_mask(target_mask))
    cross = cross_attention_mask(target_mask, source_mask)
    return encoder, decoder, cross


def _real_length(row: np.ndarray) -> int:
    return int((row != PAD_ID).sum())


def _post_padded_ids(value: Any, argument: str) -> np.ndarray:
    """(B, L) token ids whose padding is all at the end of each row, as a NumPy array."""
    ids = checks.as_array(value, argument)
    checks.rank(ids, 2, argument, "(B, L) token ids")
    checks.dtype_family(ids, argument, "integer", "token ids")
    padding_mask(ids)  # ids >= 0 and a real token in every row
    rows = np.flatnonzero(~is_post_padded(ids)).tolist()
    if rows:
        raise MaskError.expected(
            argument, "post-padded rows (real tokens first, padding only at the end)",
            f"padding before a real token in row(s) {rows}",
            "Alone, a sentence's tokens sit at positions 0, 1, ...; after pre-padding they "
            "sit further right, so the comparison would pair up different positions. "
            "Pad with lib.padding.pad_batch(..., padding='post').",
        )
    return ids


@public_api
def padding_invariance_gap(
    model: keras.Model, source_ids: Any, target_ids: Any, index: int
) -> float:
    """Max |difference| of the logits of sentence ``index``, alone vs. in the padded batch.

    Sentence ``index`` is run once inside the padded batch and once on its own, trimmed to its
    real tokens; the logits are compared at its real target positions. Both batches must be
    post-padded (padding after the real tokens), or the positions would not line up.
    A correctly masked model gives ~0 (float rounding).
    """
    checks.function(model, "model", "a model called as model(source_ids, target_ids)")
    source = _post_padded_ids(source_ids, "source_ids")
    target = _post_padded_ids(target_ids, "target_ids")
    checks.same_batch(source, "source_ids", target, "target_ids")
    index = checks.index(index, "index", source.shape[0])
    source_length, target_length = _real_length(source[index]), _real_length(target[index])
    batched = np.asarray(model(source, target))[index, :target_length]
    alone_source = source[index : index + 1, :source_length]
    alone_target = target[index : index + 1, :target_length]
    alone = np.asarray(model(alone_source, alone_target))[0]
    return float(np.abs(batched - alone).max())


@public_api
def expected_masks(source_ids: Any, target_ids: Any, num_layers: int = 2) -> dict[str, np.ndarray]:
    """The (B, T, S) mask each attention call *should* apply, by name of
    :func:`attention_names` (``num_layers``)."""
    names = attention_names(num_layers)
    encoder_self, decoder_self, cross = (
        mask.numpy() for mask in explicit_attention_masks(source_ids, target_ids)
    )
    masks = {}
    for name in names:
        if name.startswith("encoder"):
            masks[name] = encoder_self
        else:
            masks[name] = decoder_self if "causal" in name else cross
    return masks


@public_api
def plot_masks_seen(
    masks_seen: dict[str, np.ndarray],
    index: int,
    source_labels: Sequence[str],
    target_labels: Sequence[str],
    suptitle: str = "",
):
    """The masks of sentence ``index`` in a grid: a row per layer (two for the default model),
    a column per kind: encoder self-attention, decoder causal self-attention, cross-attention.
    """
    import matplotlib.pyplot as plt

    kinds = ("self-attention", "causal self-attention", "cross-attention")
    checks.mapping(masks_seen, "masks_seen", "attention name -> (B, T, S) mask")
    layers = max(1, len(masks_seen) // 3)
    if tuple(masks_seen) != attention_names(layers):
        raise MaskError.expected(
            "masks_seen", f"the masks of attention_names({layers}), in that order "
            "(model.masks_seen after a call)", f"the names {list(masks_seen)}",
        )
    batch = len(next(iter(masks_seen.values())))
    index = checks.index(index, "index", batch)
    width = max(len(source_labels), len(target_labels))
    panel = 0.3 * width + 1.4
    fig, axes = plt.subplots(layers, 3, figsize=(3 * panel, layers * panel + 0.6), squeeze=False)
    for layer in range(layers):
        for column, kind in enumerate(kinds):
            part = "encoder" if kind == "self-attention" else "decoder"
            name = f"{part} {layer + 1} {kind}"
            rows = source_labels if part == "encoder" else target_labels
            cols = source_labels if kind != "causal self-attention" else target_labels
            draw_mask(axes[layer][column], masks_seen[name][index], rows, cols, name,
                      xlabel="key", ylabel="query")
    if suptitle:
        fig.suptitle(suptitle)
    mask_legend(fig)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig
