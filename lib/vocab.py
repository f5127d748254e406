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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sklearn.preprocessing import LabelEncoder

from lib import checks
from lib.checks import public_api
from lib.errors import MaskError, UnknownTokenError
from lib.padding import PAD_ID

PAD_TOKEN = "<pad>"
"""How :attr:`Vocabulary.tokens` names id 0."""

UNK_TOKEN = "<unk>"
"""How :attr:`Vocabulary.tokens` and :meth:`Vocabulary.decode` name the out-of-vocabulary id."""


@public_api
def split(sentence: str) -> list[str]:
    """Split on white space, keeping case and punctuation (the seed's tokenization)."""
    return checks.text(sentence, "sentence").split()


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
    @public_api
    def fit(cls, sentences: Iterable[str], oov: bool = False) -> Vocabulary:
        """Fit on the words of ``sentences`` (white-space split, case kept)."""
        items = checks.sequence(sentences, "sentences", "sentences")
        oov = checks.flag(oov, "oov")
        words = [
            word for index, sentence in enumerate(items)
            for word in checks.text(sentence, f"sentences[{index}]").split()
        ]
        if not words:
            raise MaskError.expected("sentences", "at least one word", "no words")
        return cls(LabelEncoder().fit(words), oov)

    @property
    def words(self) -> list[str]:
        """The known words in id order (id 1 first): ``LabelEncoder.classes_``, sorted."""
        return [str(word) for word in self.encoder.classes_]

    @property
    def tokens(self) -> list[str]:
        """What each id stands for, indexed by id: ``"<pad>"``, the words, then ``"<unk>"``
        if ``oov``."""
        return [PAD_TOKEN, *self.words, *([UNK_TOKEN] if self.oov else [])]

    @property
    def oov_id(self) -> int | None:
        """The id of unknown words when ``oov=True`` (one past the last word), else ``None``."""
        return len(self.words) + 1 if self.oov else None

    @property
    def size(self) -> int:
        """How many ids exist, padding included: the ``input_dim`` an ``Embedding`` needs."""
        return len(self.words) + 1 + (1 if self.oov else 0)

    @public_api
    def encode(self, sentence: str) -> list[int]:
        """Token ids of one sentence, each ``LabelEncoder`` id plus 1."""
        return self._encode(sentence, "sentence")

    def _encode(self, sentence: Any, argument: str) -> list[int]:
        words = checks.text(sentence, argument).split()
        known = set(self.words)
        unknown = [word for word in words if word not in known]
        if unknown and not self.oov:
            raise UnknownTokenError(
                f"`{argument}`: expected words from the vocabulary {self.words}, received unknown "
                f"word(s) {unknown} in {sentence!r}.",
                "Refit the vocabulary on all sentences, or fit with oov=True to map unknown "
                "words to one reserved id.",
            )
        known_ids = iter(self.encoder.transform([word for word in words if word in known]).tolist())
        return [next(known_ids) + 1 if word in known else self.oov_id for word in words]

    @public_api
    def encode_batch(self, sentences: Sequence[str]) -> list[list[int]]:
        """Token ids of several sentences (unpadded, so of different lengths).

        >>> Vocabulary.fit(["a b"]).encode_batch(["a b", "b"])
        [[1, 2], [2]]
        """
        items = checks.sequence(sentences, "sentences", "sentences")
        return [self._encode(sentence, f"sentences[{index}]")
                for index, sentence in enumerate(items)]

    @public_api
    def decode(self, token_ids: Iterable[int]) -> list[str]:
        """Words for one sequence of ids, skipping padding (0); the OOV id decodes to ``"<unk>"``.

        For a (B, S) batch use :meth:`decode_batch`.
        """
        return self._decode(token_ids, "token_ids")

    @public_api
    def decode_batch(self, token_ids: Any) -> list[list[str]]:
        """Words for each row of a (B, S) batch of ids: :meth:`decode` row by row.

        >>> vocab = Vocabulary.fit(["This is short"])
        >>> vocab.decode_batch([[1, 2, 3], [3, 0, 0]])
        [['This', 'is', 'short'], ['short']]
        """
        ids = checks.as_array(token_ids, "token_ids")
        checks.rank(ids, 2, "token_ids", "(B, S) token ids")
        return [self._decode(row, f"token_ids[{index}]") for index, row in enumerate(ids)]

    def _decode(self, token_ids: Any, argument: str) -> list[str]:
        if not hasattr(token_ids, "shape") and not isinstance(token_ids, (list, tuple)):
            token_ids = checks.sequence(token_ids, argument, "token ids", minimum=0)
        array = checks.as_array(token_ids, argument)
        checks.rank(array, 1, argument, "(S,): one sequence of ids",
                    "For a (B, S) batch use decode_batch, one list of words per row.")
        if array.size:
            checks.dtype_family(array, argument, "integer", "token ids")
            checks.in_range(array, argument, 0, self.size - 1, "ids")
        ids = [int(token) for token in array]
        words = []
        for token in ids:
            if token == PAD_ID:
                continue
            if token == self.oov_id:
                words.append(UNK_TOKEN)
            else:
                words.append(str(self.encoder.inverse_transform([token - 1])[0]))
        return words
