"""Words to token ids with scikit-learn's ``LabelEncoder``, keeping id 0 free for padding.

Introduced in chapter 1. ``LabelEncoder`` numbers the distinct words in sorted
order from 0 (code-point order, so ``"This"`` sorts before ``"a"``);
:class:`Vocabulary` adds 1 to every id, because ``Embedding(mask_zero=True)``
treats id 0 as padding.

>>> vocab = Vocabulary.fit(["This is a very long sequence", "This is short"])
>>> vocab.words
['This', 'a', 'is', 'long', 'sequence', 'short', 'very']
>>> vocab.encode("This is short")
[1, 3, 6]
>>> vocab.decode([1, 3, 6, 0, 0])
['This', 'is', 'short']
>>> vocab.tokens                  # what every id stands for, id 0 first
['<pad>', 'This', 'a', 'is', 'long', 'sequence', 'short', 'very']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
from sklearn.preprocessing import LabelEncoder

from lib.errors import MaskError, MaskTypeError, UnknownTokenError

PAD_ID = 0
"""Reserved for padding; no word ever gets it."""

PAD_TOKEN = "<pad>"
"""How :attr:`Vocabulary.tokens` names id 0."""

UNK_TOKEN = "<unk>"
"""How :attr:`Vocabulary.tokens` and :meth:`Vocabulary.decode` name the out-of-vocabulary id."""


def split(sentence: str) -> list[str]:
    """Split on white space, keeping case and punctuation (the seed's tokenization)."""
    if not isinstance(sentence, str):
        raise MaskTypeError.expected("sentence", "a str", f"{type(sentence).__name__} {sentence!r}")
    return sentence.split()


@dataclass(frozen=True)
class Vocabulary:
    """A fitted ``LabelEncoder`` whose ids are shifted by +1 (0 = padding).

    ``oov=True`` adds one extra id, after all the words, for words never seen
    in fitting; with ``oov=False`` (the default) such a word raises
    :class:`~lib.errors.UnknownTokenError`.

    >>> vocab = Vocabulary.fit(["This is short"], oov=True)
    >>> vocab.encode("This is a cat"), vocab.oov_id, vocab.size
    ([1, 2, 4, 4], 4, 5)
    >>> vocab.decode([1, 2, 4])
    ['This', 'is', '<unk>']
    """

    encoder: LabelEncoder
    oov: bool = False

    @classmethod
    def fit(cls, sentences: Iterable[str], oov: bool = False) -> "Vocabulary":
        """Fit on the words of ``sentences`` (white-space split, case kept)."""
        if isinstance(sentences, str):
            raise MaskTypeError.expected(
                "sentences", "a list of sentences", f"a single str {sentences!r}", "Wrap it in a list."
            )
        words = [word for sentence in sentences for word in split(sentence)]
        if not words:
            raise MaskError.expected("sentences", "at least one word", "no words")
        return cls(LabelEncoder().fit(words), oov)

    @property
    def words(self) -> list[str]:
        """The known words in id order (id 1 first): ``LabelEncoder.classes_``, sorted."""
        return [str(word) for word in self.encoder.classes_]

    @property
    def tokens(self) -> list[str]:
        """What each id stands for, indexed by id: ``"<pad>"``, the words, then ``"<unk>"`` if ``oov``."""
        return [PAD_TOKEN, *self.words, *([UNK_TOKEN] if self.oov else [])]

    @property
    def oov_id(self) -> int | None:
        """The id of unknown words when ``oov=True`` (one past the last word), else ``None``."""
        return len(self.words) + 1 if self.oov else None

    @property
    def size(self) -> int:
        """How many ids exist, padding included: the ``input_dim`` an ``Embedding`` needs."""
        return len(self.words) + 1 + (1 if self.oov else 0)

    def encode(self, sentence: str) -> list[int]:
        """Token ids of one sentence, each ``LabelEncoder`` id plus 1."""
        words = split(sentence)
        known = set(self.words)
        unknown = [word for word in words if word not in known]
        if unknown and not self.oov:
            raise UnknownTokenError(
                f"`sentence`: expected words from the vocabulary {self.words}, received unknown "
                f"word(s) {unknown} in {sentence!r}. Refit the vocabulary on all sentences, or "
                "fit with oov=True to map unknown words to one reserved id."
            )
        known_ids = iter(self.encoder.transform([word for word in words if word in known]).tolist())
        return [next(known_ids) + 1 if word in known else self.oov_id for word in words]

    def encode_batch(self, sentences: Sequence[str]) -> list[list[int]]:
        """Token ids of several sentences (unpadded, so of different lengths)."""
        return [self.encode(sentence) for sentence in sentences]

    def decode(self, token_ids: Iterable[int]) -> list[str]:
        """Words for ids, skipping padding (0); the OOV id decodes to ``"<unk>"``."""
        array = np.asarray(list(token_ids))
        if array.size and not np.issubdtype(array.dtype, np.integer):
            raise MaskTypeError.expected("token_ids", "integer token ids", f"dtype {array.dtype}")
        ids = [int(token) for token in array.ravel()]
        bad = [token for token in ids if token < 0 or token >= self.size]
        if bad:
            raise MaskError.expected(
                "token_ids", f"ids from 0 to {self.size - 1}", f"out-of-range id(s) {bad}"
            )
        words = []
        for token in ids:
            if token == PAD_ID:
                continue
            if token == self.oov_id:
                words.append(UNK_TOKEN)
            else:
                words.append(str(self.encoder.inverse_transform([token - 1])[0]))
        return words
