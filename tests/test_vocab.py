"""Tests for lib.vocab: the seed's ids, sorting, decoding, OOV ids, and every error path."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
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
    assert vocab.decode_batch(np.array([[1, 3], [6, 0]])) == [["This", "is"], ["short"]]
    assert vocab.decode_batch(tf.constant(vocab_ids := [[1, 3, 6], [3, 0, 0]])) == \
        [vocab.decode(row) for row in vocab_ids]


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
    with pytest.raises(MaskError, match=r"`sentences`: expected a non-empty list of sentences, "
                                        r"received an empty list"):
        Vocabulary.fit([])
    with pytest.raises(MaskError, match=r"expected at least one word, received no words"):
        Vocabulary.fit(["", "   "])


def test_fit_rejects_a_sentence_that_is_not_a_string():
    with pytest.raises(MaskTypeError, match=r"`sentences\[1\]`: expected a str, received int 42"):
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
    with pytest.raises(MaskError, match=r"`token_ids`: expected ids from 0 to 7, received 8 at position \(1,\)"):
        vocab.decode([1, 8])
    with pytest.raises(MaskError, match=r"expected ids from 0 to 7, received \[-1, 12\] at positions "
                                        r"\[\(0,\), \(2,\)\]"):
        vocab.decode([-1, 3, 12])


def test_decode_range_includes_the_oov_id(open_vocab):
    assert open_vocab.decode([8]) == ["<unk>"]
    with pytest.raises(MaskError, match=r"expected ids from 0 to 8, received 9 at position \(0,\)"):
        open_vocab.decode([9])


def test_decode_rejects_non_integer_ids(vocab):
    with pytest.raises(MaskTypeError, match=r"`token_ids`: expected an integer dtype \(token ids\), "
                                            r"received dtype float64"):
        vocab.decode([1.0, 3.5])
    with pytest.raises(MaskTypeError, match=r"expected an array of numbers or booleans, received dtype <U"):
        vocab.decode(["This"])


def test_decode_of_a_batch_is_refused_not_flattened(vocab):
    """decode once flattened a (B, S) batch into one list of words."""
    with pytest.raises(MaskError, match=r"`token_ids`: expected rank 1 \(S,\): one sequence of ids, "
                                        r"received rank 2 \(shape \(2, 2\) and dtype int64\)\.\n"
                                        r"  For a \(B, S\) batch use decode_batch"):
        vocab.decode(np.array([[1, 3], [6, 0]]))
    with pytest.raises(MaskError, match=r"`token_ids\[1\]`: expected ids from 0 to 7, received 9"):
        vocab.decode_batch([[1, 3], [9, 0]])
    with pytest.raises(MaskError, match=r"`token_ids`: expected rank 2 \(B, S\) token ids, received rank 1"):
        vocab.decode_batch([1, 3])


def test_decode_accepts_generators_and_empty_sequences(vocab):
    assert vocab.decode(token for token in [1, 3]) == ["This", "is"]
    assert vocab.decode([]) == []


def test_encode_batch_of_one_string_is_refused_not_split_into_characters(vocab):
    """encode_batch("a str") once encoded the characters of the string."""
    with pytest.raises(MaskTypeError, match=r"`sentences`: expected a list of sentences, received a "
                                            r"single str 'This is short'\.\n  Wrap it in a list\."):
        vocab.encode_batch("This is short")
    with pytest.raises(MaskTypeError, match=r"`sentences\[1\]`: expected a str, received int 3"):
        vocab.encode_batch(["This is short", 3])


# --- property: decode inverts encode, or refuses ------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(ids=st.tuples(
    hnp.arrays(np.int64, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
               elements=st.integers(-1, 9)),
    st.sampled_from([np.int64, np.uint8, np.float32, np.bool_]),
).map(lambda drawn: drawn[0].astype(drawn[1])))
def test_decode_is_right_or_refuses(vocab, ids):
    valid = (ids.ndim == 1 and (ids.size == 0 or (np.issubdtype(ids.dtype, np.integer)
                                                    and ((ids >= 0) & (ids < vocab.size)).all())))
    if valid:
        assert vocab.decode(ids) == [vocab.tokens[token] for token in ids.tolist() if token != 0]
    else:
        with pytest.raises(MaskError):
            vocab.decode(ids)
