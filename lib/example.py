"""The running example of the whole book: the two sentences of the accepted answer to the
Stack Overflow question (https://stackoverflow.com/questions/73835386).

>>> SENTENCES
('This is a very long sequence', 'This is short')
>>> seed_token_ids().tolist()
[[1, 3, 2, 7, 4, 5], [1, 3, 6, 0, 0, 0]]
"""

from __future__ import annotations

import numpy as np

from lib.checks import public_api
from lib.padding import pad_batch
from lib.vocab import Vocabulary

SENTENCES = ("This is a very long sequence", "This is short")
"""The accepted answer's two sentences, the long one first."""


@public_api
def seed_vocabulary() -> Vocabulary:
    """The :class:`~lib.vocab.Vocabulary` fitted on :data:`SENTENCES`."""
    return Vocabulary.fit(SENTENCES)


@public_api
def seed_token_ids(length: int | None = None) -> np.ndarray:
    """The (2, 6) padded token ids of :data:`SENTENCES` (or padded to ``length``)."""
    vocab = seed_vocabulary()
    return pad_batch(vocab.encode_batch(SENTENCES), length=length)


@public_api
def seed_labels(length: int | None = None) -> list[list[str]]:
    """Axis labels for the padded batch: each word, and ``<pad>`` in the padded slots."""
    ids = seed_token_ids(length)
    vocab = seed_vocabulary()
    return [[vocab.decode([token])[0] if token else "<pad>" for token in row] for row in ids]
