"""Tests for lib.vocab: the seed's ids, sorting, decoding, OOV ids, and every error path."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from sklearn.preprocessing import LabelEncoder

from lib.errors import MaskError, MaskTypeError, UnknownTokenError
from lib.example import SENTENCES
from lib.vocab import PAD_ID, Vocabulary, split

SEED_WORDS = ["This", "a", "is", "long", "sequence", "short", "very"]


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return Vocabulary.fit(SENTENCES)


@pytest.fixture(scope="module")
def open_vocab() -> Vocabulary:
    return Vocabulary.fit(SENTENCES, oov=True)


# --- behaviour -----------------------------------------------------------------------------


def test_seed_ids_are_the_questions(vocab):
    assert vocab.encode(SENTENCES[0]) == [1, 3, 2, 7, 4, 5]
    assert vocab.encode(SENTENCES[1]) == [1, 3, 6]
    assert vocab.encode_batch(SENTENCES) == [[1, 3, 2, 7, 4, 5], [1, 3, 6]]


def test_words_are_sorted_by_code_point_capitals_first(vocab):
    assert vocab.words == SEED_WORDS
    assert vocab.words == sorted(vocab.words)
    assert vocab.words[0] == "This"          # "T" (84) sorts before "a" (97)


def test_ids_are_label_encoder_ids_plus_one(vocab):
    words = [word for sentence in SENTENCES for word in split(sentence)]
    encoder = LabelEncoder().fit(words)
    for sentence in SENTENCES:
        raw = encoder.transform(split(sentence))
        assert vocab.encode(sentence) == (raw + 1).tolist()
    assert PAD_ID == 0
    assert PAD_ID not in [token for row in vocab.encode_batch(SENTENCES) for token in row]


def test_lower_case_word_is_a_different_word():
    vocab = Vocabulary.fit(["this is a very long sequence", "This is short"])
    assert vocab.words == ["This", "a", "is", "long", "sequence", "short", "this", "very"]
    assert vocab.encode("this is a very long sequence") == [7, 3, 2, 8, 4, 5]


def test_split_keeps_case_and_punctuation():
    assert split("This is, short.") == ["This", "is,", "short."]
    assert split("  two   spaces ") == ["two", "spaces"]


def test_decode_round_trip_and_skips_padding(vocab):
    for sentence in SENTENCES:
        assert vocab.decode(vocab.encode(sentence)) == split(sentence)
    assert vocab.decode([1, 3, 6, 0, 0, 0]) == ["This", "is", "short"]
    assert vocab.decode([0, 0]) == []
    assert vocab.decode([]) == []


def test_decode_accepts_arrays_and_tensors(vocab):
    assert vocab.decode(np.array([1, 3, 6, 0])) == ["This", "is", "short"]
    assert vocab.decode(tf.constant([1, 3, 6, 0])) == ["This", "is", "short"]
    assert vocab.decode(np.array([[1, 3], [6, 0]])) == ["This", "is", "short"]


def test_size_and_tokens(vocab):
    assert vocab.size == 8                   # 7 words + padding
    assert vocab.tokens == ["<pad>", *SEED_WORDS]
    assert len(vocab.tokens) == vocab.size
    assert vocab.oov_id is None
    assert vocab.oov is False


def test_oov_id_is_one_past_the_last_word(open_vocab, vocab):
    assert open_vocab.oov_id == 8
    assert open_vocab.size == 9
    assert open_vocab.tokens == ["<pad>", *SEED_WORDS, "<unk>"]
    assert open_vocab.encode("This is a cat") == [1, 3, 2, 8]
    assert open_vocab.encode("dog cat") == [8, 8]
    assert open_vocab.decode([1, 3, 2, 8]) == ["This", "is", "a", "<unk>"]
    # the known words keep their ids
    assert open_vocab.encode_batch(SENTENCES) == vocab.encode_batch(SENTENCES)


def test_empty_sentence_encodes_to_no_ids(vocab):
    assert vocab.encode("") == []
    assert vocab.encode("   ") == []


def test_fit_accepts_any_iterable_of_sentences():
    vocab = Vocabulary.fit(sentence for sentence in SENTENCES)
    assert vocab.words == SEED_WORDS


# --- error paths ---------------------------------------------------------------------------


def test_unknown_word_raises_with_word_and_vocabulary(vocab):
    with pytest.raises(UnknownTokenError, match=r"expected words from the vocabulary \['This'") as info:
        vocab.encode("This is a cat")
    message = str(info.value)
    assert "received unknown word(s) ['cat']" in message
    assert "in 'This is a cat'" in message
    assert "oov=True" in message


def test_unknown_token_error_is_a_key_error_and_a_value_error(vocab):
    with pytest.raises(KeyError, match=r"received unknown word\(s\) \['cat', 'dog'\]"):
        vocab.encode("cat dog")
    with pytest.raises(ValueError, match=r"unknown word\(s\) \['this'\]"):
        vocab.encode("this is short")       # lower case: not the word "This"


def test_encode_batch_raises_on_the_unknown_word(vocab):
    with pytest.raises(UnknownTokenError, match=r"received unknown word\(s\) \['cat'\] in 'a cat'"):
        vocab.encode_batch([SENTENCES[0], "a cat"])


def test_fit_rejects_a_single_string():
    with pytest.raises(MaskTypeError, match=r"`sentences`: expected a list of sentences, received a single str 'This is short'"):
        Vocabulary.fit("This is short")


def test_fit_rejects_no_words():
    with pytest.raises(MaskError, match=r"`sentences`: expected at least one word, received no words"):
        Vocabulary.fit([])
    with pytest.raises(MaskError, match=r"expected at least one word, received no words"):
        Vocabulary.fit(["", "   "])


def test_fit_rejects_a_sentence_that_is_not_a_string():
    with pytest.raises(MaskTypeError, match=r"`sentence`: expected a str, received int 42"):
        Vocabulary.fit(["This is short", 42])
    with pytest.raises(TypeError, match=r"expected a str, received list \['This', 'is'\]"):
        Vocabulary.fit([["This", "is"]])


def test_split_rejects_bytes():
    with pytest.raises(MaskTypeError, match=r"`sentence`: expected a str, received bytes b'This'"):
        split(b"This")


def test_encode_rejects_a_non_string(vocab):
    with pytest.raises(MaskTypeError, match=r"`sentence`: expected a str, received list"):
        vocab.encode(["This", "is"])


def test_decode_rejects_out_of_range_ids(vocab):
    with pytest.raises(MaskError, match=r"`token_ids`: expected ids from 0 to 7, received out-of-range id\(s\) \[8\]"):
        vocab.decode([1, 8])
    with pytest.raises(MaskError, match=r"expected ids from 0 to 7, received out-of-range id\(s\) \[-1, 12\]"):
        vocab.decode([-1, 3, 12])


def test_decode_range_includes_the_oov_id(open_vocab):
    assert open_vocab.decode([8]) == ["<unk>"]
    with pytest.raises(MaskError, match=r"expected ids from 0 to 8, received out-of-range id\(s\) \[9\]"):
        open_vocab.decode([9])


def test_decode_rejects_non_integer_ids(vocab):
    with pytest.raises(MaskTypeError, match=r"`token_ids`: expected integer token ids, received dtype float64"):
        vocab.decode([1.0, 3.5])
    with pytest.raises(MaskTypeError, match=r"expected integer token ids, received dtype <U"):
        vocab.decode(["This"])
