"""The same mask in other libraries, executed: Hugging Face ``tokenizers`` and JAX.

Introduced in chapter 10. :func:`word_level_tokenizer` builds a real Hugging Face
``tokenizers.Tokenizer`` offline, from a :class:`lib.vocab.Vocabulary` (no download: the
vocabulary is given, not fetched from a hub), with padding enabled, so that it produces the
book's token ids and Hugging Face's ``attention_mask``. :func:`jax_multihead_attention` runs a
Keras ``MultiHeadAttention`` layer's own weights through ``jax.nn.dot_product_attention``
with a boolean mask, so the two libraries can be compared on the same numbers.

>>> from lib.example import SENTENCES, seed_vocabulary
>>> tokenizer = word_level_tokenizer(seed_vocabulary())
>>> [encoding.attention_mask for encoding in tokenizer.encode_batch(SENTENCES)]
[[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0]]
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lib.errors import MaskError, MaskTypeError
from lib.vocab import PAD_TOKEN, UNK_TOKEN, Vocabulary


def word_level_tokenizer(vocabulary: Vocabulary) -> Any:
    """A ``tokenizers.Tokenizer`` (``WordLevel`` model, white-space split) with the ids of
    ``vocabulary``: id 0 for padding (``"<pad>"``), 1 to n for its words, and ``"<unk>"`` for
    unknown words (the vocabulary's own id if it has one, else n + 1). Padding to the longest
    sentence of a batch is enabled.

    >>> from lib.example import seed_vocabulary
    >>> word_level_tokenizer(seed_vocabulary()).encode("This is short").ids
    [1, 3, 6]
    """
    from tokenizers import Tokenizer, models, pre_tokenizers

    if not isinstance(vocabulary, Vocabulary):
        raise MaskTypeError.expected("vocabulary", "a lib.vocab.Vocabulary",
                                     type(vocabulary).__name__)
    ids = {token: index for index, token in enumerate(vocabulary.tokens)}
    ids.setdefault(UNK_TOKEN, len(ids))
    tokenizer = Tokenizer(models.WordLevel(vocab=ids, unk_token=UNK_TOKEN))
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer.enable_padding(pad_id=ids[PAD_TOKEN], pad_token=PAD_TOKEN)
    return tokenizer


def jax_multihead_attention(layer: Any, query: Any, value: Any | None = None,
                            attention_mask: Any | None = None) -> np.ndarray:
    """A built Keras ``MultiHeadAttention``'s projections around ``jax.nn.dot_product_attention``.

    ``query`` is (B, T, D), ``value`` (B, S, D) (default: ``query``, and it also serves as the
    key), ``attention_mask`` a boolean (B, T, S) Keras mask, ``True`` = may attend, which is
    also JAX's meaning; it gets an axis for the heads, (B, 1, T, S). Returns the (B, T, D)
    outputs as NumPy float32.

    >>> from lib.attention import attention_layer
    >>> layer = attention_layer()
    >>> x = np.random.default_rng(0).normal(size=(1, 3, 8)).astype("float32")
    >>> mask = np.array([[[True, True, False]] * 3])
    >>> keras_out = np.asarray(layer(x, x, attention_mask=mask))
    >>> bool(np.abs(jax_multihead_attention(layer, x, attention_mask=mask) - keras_out).max() < 1e-5)
    True
    """
    import jax
    import jax.numpy as jnp

    if not all(hasattr(layer, name) for name in
               ("query_dense", "key_dense", "value_dense", "output_dense")) or not layer.built:
        raise MaskTypeError.expected("layer", "a built keras.layers.MultiHeadAttention",
                                     type(layer).__name__)
    query = np.asarray(query, dtype=np.float32)
    value = query if value is None else np.asarray(value, dtype=np.float32)
    if query.ndim != 3 or value.ndim != 3 or query.shape[0] != value.shape[0]:
        raise MaskError.expected("query, value", "(B, T, D) and (B, S, D) with the same B",
                                 f"shapes {query.shape} and {value.shape}")

    def project(dense, inputs):                   # (B, L, D) -> (B, L, H, k), JAX's layout
        projected = jnp.einsum("bld,dhk->blhk", inputs, np.asarray(dense.kernel))
        return projected + np.asarray(dense.bias) if dense.bias is not None else projected

    mask = None
    if attention_mask is not None:
        mask = np.asarray(attention_mask)
        expected = (query.shape[0], query.shape[1], value.shape[1])
        if mask.dtype != bool or mask.shape != expected:
            raise MaskError.expected("attention_mask", f"a boolean (B, T, S) = {expected} mask",
                                     f"shape {mask.shape} and dtype {mask.dtype}")
        mask = mask[:, np.newaxis]                 # (B, 1, T, S): the same for every head
    attended = jax.nn.dot_product_attention(
        project(layer.query_dense, query), project(layer.key_dense, value),
        project(layer.value_dense, value), mask=mask)           # (B, T, H, k)
    output = jnp.einsum("bthk,hkd->btd", attended, np.asarray(layer.output_dense.kernel))
    if layer.output_dense.bias is not None:
        output = output + np.asarray(layer.output_dense.bias)
    return np.asarray(output, dtype=np.float32)
