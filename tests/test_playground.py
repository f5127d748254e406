"""lib.playground: the masks and weights it computes, its kernel-free explorer, and its errors."""

from __future__ import annotations

import numpy as np
import pytest

from lib.errors import MaskError, MaskTypeError
from lib.masks import causal_mask, cross_attention_mask, self_attention_mask
from lib.playground import (
    EXAMPLE,
    MAX_LENGTH,
    Playground,
    check_sentences,
    draw_playground,
    playground_explorer,
)


@pytest.fixture(scope="module")
def play() -> Playground:
    return Playground(EXAMPLE)


def test_self_attention_mask_is_the_books(play):
    result = play.compute(padded_length=8)
    assert result.attention_mask.shape == (4, 8, 8)
    assert (result.attention_mask == self_attention_mask(result.source_ids != 0).numpy()).all()
    assert result.source_ids[:2].tolist() == [[1, 3, 2, 7, 4, 5, 0, 0], [1, 3, 6, 0, 0, 0, 0, 0]]


def test_cross_causal_mask_is_query_and_key_and_triangle(play):
    result = play.compute(padded_length=7, decoder_length=5, causal=True, cross=True)
    expected = cross_attention_mask(result.query_padding, result.key_padding).numpy() & causal_mask(5, 7).numpy()
    assert (result.attention_mask == expected).all()
    assert result.query_labels[1] == ["<start>", "This", "is", "short", "<pad>"]
    assert result.query_ids[0, 0] == play.start_id == play.vocab.size


def test_weights_are_zero_where_masked_and_rows_sum_to_one(play):
    for cross in (False, True):
        for causal in (False, True):
            result = play.compute(9, 6, causal=causal, cross=cross)
            masked = np.broadcast_to(~result.attention_mask[:, None], result.weights.shape)
            assert (result.weights[masked] == 0).all()
            sums = result.weights.sum(-1)
            has_key = np.broadcast_to(result.attention_mask.any(-1)[:, None], sums.shape)
            np.testing.assert_allclose(sums[has_key], 1.0, atol=1e-6)


def test_precomputed_weights_match_live_ones_at_smaller_lengths(play):
    """The claim the kernel-free explorer rests on (padding invariance)."""
    for cross, causal, S, T in [(False, False, 6, 6), (False, True, 7, 7), (True, False, 6, 3), (True, True, 8, 2)]:
        big = play.compute(MAX_LENGTH, MAX_LENGTH, causal=causal, cross=cross).weights
        small = play.compute(S, T, causal=causal, cross=cross)
        cut = np.where(small.attention_mask[:, None], big[:, :, : small.weights.shape[2], :S], 0.0)
        np.testing.assert_allclose(cut, small.weights, atol=1e-5)


def test_explorer_carries_all_precomputed_weights(play):
    """What it draws from them is checked in Chromium (tests/test_explorers_browser.py)."""
    explorer = playground_explorer(EXAMPLE)
    weights = explorer.datasets["weights"]  # one row of S weights per sentence, head, mode, causal, query
    assert len(weights) == 4 * 2 * 2 * 2 * MAX_LENGTH
    assert all(len(row["ws"]) == MAX_LENGTH for row in weights)


def test_explorer_needs_one_sentence_per_text_box():
    with pytest.raises(MaskError, match=r"`sentences`: expected 4 sentences \(one per text box\), received 2"):
        playground_explorer(EXAMPLE[:2])


def test_draw_playground_draws_every_panel(play):
    import matplotlib

    matplotlib.use("Agg")
    figure = draw_playground(play.compute(7, 4, causal=True, cross=True), sentence=1, head=1)
    titles = [ax.get_title() for ax in figure.axes]
    assert "causal (T, S)" in titles and "attention mask (T, S)" in titles
    assert any(t.startswith("attention weights, head 1") for t in titles)


@pytest.mark.parametrize(
    "sentences, error, message",
    [
        ("just one string", MaskTypeError, r"expected a list of sentences, received a single str"),
        ([], MaskError, r"expected a list of 1 to 4 sentences, received an empty list"),
        (["a"] * 5, MaskError, r"expected a list of 1 to 4 sentences, received 5 sentences"),
        (["a", 3], MaskTypeError, r"`sentences\[1\]`: expected a str, received int 3"),
        (["a", "   "], MaskError, r"sentences\[1\]`: expected at least one word, received an empty"),
        (["w " * 11], MaskError, r"expected at most 10 words, received 11 words"),
    ],
)
def test_bad_sentences_are_rejected(sentences, error, message):
    with pytest.raises(error, match=message):
        check_sentences(sentences)


def test_bad_lengths_are_rejected(play):
    with pytest.raises(MaskError, match=r"`padded_length`: expected an int from 6 to 10, received 5\.\n"
                                        r"  Padding never cuts a sentence here\."):
        play.compute(5)
    with pytest.raises(MaskError, match=r"`padded_length`: expected an int from 6 to 10, received 11"):
        play.compute(11)
    with pytest.raises(MaskTypeError, match=r"`decoder_length`: expected an int from 1 to 10, received NoneType None"):
        play.compute(6, cross=True)
    with pytest.raises(MaskError, match=r"`decoder_length`: expected an int from 1 to 10, received 0"):
        play.compute(6, 0, cross=True)
    with pytest.raises(MaskTypeError, match=r"`causal`: expected True or False, received int 1"):
        play.compute(6, causal=1)
    with pytest.raises(MaskError, match=r"`sentence`: expected an int from 0 to 3, received 4"):
        draw_playground(play.compute(6), sentence=4)
    with pytest.raises(MaskError, match=r"`head`: expected an int from 0 to 1, received -1"):
        draw_playground(play.compute(6), head=-1)
    with pytest.raises(MaskTypeError, match=r"`result`: expected a PlaygroundResult"):
        draw_playground("result")


def test_compute_builds_its_masks_with_the_books_builders(play, monkeypatch):
    """Chapter 12 says the playground runs the masks of chapters 4, 5, 7 and 8: it calls them."""
    import lib.playground

    called = []
    for name in ("padding_mask", "self_attention_mask", "cross_attention_mask", "causal_mask",
                 "combine"):
        builder = getattr(lib.playground, name)
        monkeypatch.setattr(lib.playground, name,
                            lambda *args, _name=name, _builder=builder: called.append(_name)
                            or _builder(*args))
    play.compute(7, causal=True)
    assert called == ["padding_mask", "self_attention_mask", "causal_mask", "combine"]
    called.clear()
    play.compute(7, 5, cross=True)
    assert called == ["padding_mask", "padding_mask", "cross_attention_mask"]
