"""Kernel-free explorers for typed sentences: ids (chapter 1), padding (chapter 2), the
embedding's mask (chapter 3).

The reader types sentences into text boxes; the browser splits them into
words, numbers the words as :class:`lib.vocab.Vocabulary` does (``LabelEncoder``'s
sorted order, +1) and pads them as :func:`lib.padding.pad_batch` does, with the
Vega transforms of :func:`lib.explorer_kit.tokens`. Nothing is precomputed, so
any sentence works.

>>> explorer = token_explorer()
>>> [p["name"] for p in explorer.wide["params"] if "bind" in p]
['s0', 's1', 's2']
>>> sorted(p["name"] for p in padding_explorer().wide["params"] if "bind" in p)
['padded', 'padding', 's0', 's1', 'truncating']
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt

from lib import explorer_kit as kit
from lib.errors import MaskError, MaskTypeError
from lib.example import SENTENCES

__all__ = ["embedding_mask_explorer", "padding_explorer", "token_explorer"]

NEW_SENTENCE = "This is a cat"
"""The sentence :func:`token_explorer` encodes with the fitted vocabulary (``cat`` is unknown)."""


def _sentences(sentences: Sequence[str], count: int) -> list[str]:
    if isinstance(sentences, str) or len(sentences) != count:
        raise MaskError.expected("sentences", f"{count} sentences", repr(sentences))
    for index, sentence in enumerate(sentences):
        if not isinstance(sentence, str):
            raise MaskTypeError.expected(f"sentences[{index}]", "a str", repr(sentence))
    return list(sentences)


def _table(
    base: alt.Chart,
    row: str,
    columns: Sequence[tuple[str, str]],
    title: str,
    name: str,
    flag: str | None = None,
    widths: int = 66,
) -> alt.Chart:
    """A small table of text: one row per ``row`` value, one column per ``(field, heading)``."""
    fields = [f for f, _ in columns]
    headings = {f: h for f, h in columns}
    label = " : ".join(f"datum.value == '{f}' ? '{h}'" for f, h in columns) + " : datum.value"
    # Plain text takes the theme's ink (the page's light or dark mode); flagged text is orange.
    colour = {"condition": {"test": flag, "value": kit.HIGHLIGHT_COLOUR}} if flag else alt.Undefined
    del headings
    return (
        base.transform_fold(fields, as_=["column", "value"])
        .mark_text(fontSize=12, limit=widths - 4)
        .encode(
            x=alt.X(
                "column:N",
                sort=fields,
                title=None,
                axis=alt.Axis(
                    orient="top",
                    labelAngle=0,
                    labelExpr=label,
                    ticks=False,
                    domain=False,
                    labelLimit=widths,
                ),
            ),
            y=alt.Y(f"{row}:O", title=None, axis=None),
            text="value:N",
            color=colour,
        )
        .properties(title=title, width=alt.Step(widths), height=alt.Step(18), name=name)
    )


def token_explorer(
    sentences: Sequence[str] = SENTENCES, new_sentence: str = NEW_SENTENCE
) -> kit.Explorer:
    """Chapter 1: type two sentences to fit a vocabulary on, and a third to encode with it.

    Shows the vocabulary in ``LabelEncoder``'s order (code points: capitals before lower case),
    each word's ``LabelEncoder`` id and its id +1, and the ids of every word of the three
    sentences; a word of the third sentence that the vocabulary lacks is flagged and gets the
    out-of-vocabulary id, as :class:`lib.vocab.Vocabulary` fitted with ``oov=True`` gives it.
    """
    sentences = _sentences(sentences, 2) + _sentences([new_sentence], 1)
    params = kit.sentence_params(sentences, ["sentence 0 ", "sentence 1 ", "new sentence "])
    base = kit.tokens(alt.Chart(alt.Data(name="tokens")), 3, fit=[0, 1], oov=True)
    words = base.transform_filter("datum.r == 't' && datum.word != null")
    vocabulary = _table(
        words.transform_filter("datum.fits")
        .transform_aggregate(groupby=["word", "raw", "id"])
        .transform_calculate(raw_text="'' + datum.raw", id_text="'' + datum.id"),
        "raw",
        [("raw_text", "LabelEncoder"), ("id_text", "id (+1)"), ("word", "word")],
        "vocabulary, sorted",
        "vocabulary",
    )
    encoded = words.transform_calculate(
        raw_text="datum.known ? '' + datum.raw : 'unknown'",
        id_text="datum.known ? '' + datum.id : datum.id + ' (<unk>)'",
        position="'' + datum.p",
    )

    def sentence_table(b: int, title: str) -> alt.Chart:
        return _table(
            encoded.transform_filter(f"datum.b == {b}"),
            "p",
            [
                ("position", "position"),
                ("word", "word"),
                ("raw_text", "LabelEncoder"),
                ("id_text", "id"),
            ],
            title,
            f"tokens_{b}",
            flag="!datum.known",
        )

    notes = kit.notes(
        kit.sentence_notes(3, names=["sentence 0", "sentence 1", "the new sentence"])
        + " + "
        + kit.note(
            "s0_count + s1_count == 0", "'Type a word in sentence 0 or 1 to fit a vocabulary.'"
        )
    )

    def layout(stacked: bool):
        tables = alt.vconcat(
            sentence_table(0, "sentence 0"),
            sentence_table(1, "sentence 1"),
            sentence_table(2, "new sentence (not fitted on)"),
            spacing=16,
        )
        return kit.panels(vocabulary, tables, stacked=stacked, spacing=30)

    description = (
        "Token id explorer. Three text boxes: the vocabulary is fitted on the words of sentences "
        "0 and 1, as scikit-learn's LabelEncoder fits them (sorted by code point, so capitals "
        "come before lower case), and the third sentence is encoded with it. Tables show the "
        "vocabulary with each word's LabelEncoder id and its id plus 1, and every word of the "
        "three sentences with its ids; words the vocabulary never saw are flagged unknown and "
        "get the out-of-vocabulary id."
    )
    return kit.finish(
        layout,
        params + [notes],
        description,
        "tokens",
        datasets={"tokens": kit.token_rows(3)},
        legend_bottom=False,
    )


def padding_explorer(
    sentences: Sequence[str] = SENTENCES,
    padded: int = 6,
    padding: str = "post",
    truncating: str = "post",
    max_length: int = kit.MAX_WORDS,
) -> kit.Explorer:
    """Chapter 2: two typed sentences padded to the length S of a slider, padding and truncating
    at the end (``"post"``) or the start (``"pre"``); the (B, S) id matrix, as
    :func:`lib.padding.pad_batch` returns it, with each id's word. The explorer says when it cuts
    a sentence."""
    sentences = _sentences(sentences, 2)
    max_length = kit.check_int("max_length", max_length, 2, kit.MAX_WORDS)
    params = kit.sentence_params(sentences) + [
        kit.slider("padded", padded, 1, max_length, "padded length S "),
        kit.radio("padding", padding, ["post", "pre"], "padding "),
        kit.radio("truncating", truncating, ["post", "pre"], "truncating "),
    ]
    base = kit.tokens(
        alt.Chart(alt.Data(name="tokens")),
        2,
        padded="padded",
        padding="padding",
        truncating="truncating",
    )
    slots = base.transform_filter(
        "datum.r == 's' && datum.p < datum.S && datum.n > 0"
    ).transform_calculate(shown="datum.word == null ? '<pad>' : datum.word")
    notes = kit.notes(kit.sentence_notes(2, padded="padded", truncating="truncating"))

    def layout(stacked: bool):
        ids = kit.value_cells(
            slots,
            "p",
            "b",
            "id",
            "real",
            "slot j",
            "sentence b",
            alt.TitleParams(
                text=alt.ExprRef(
                    expr="'token ids (B, S) = (2, ' + padded + '), padding=' + padding"
                )
            ),
            name="ids",
            width=26 if stacked else 34,
            height=34,
            subtext="shown",
        )
        return ids

    description = (
        "Padding explorer. Two text boxes hold the sentences; a slider sets the padded length S "
        "and two switches pad and truncate at the end (post) or the start (pre). The chart shows "
        "the (B, S) matrix of token ids, each cell with its word; padding cells hold id 0 and are "
        "light, real tokens dark. A note says when a sentence is cut to fit."
    )
    return kit.finish(
        layout,
        params + [notes],
        description,
        "padding",
        datasets={"tokens": kit.token_rows(2)},
        legend_bottom=False,
    )


def embedding_mask_explorer(
    sentences: Sequence[str] = SENTENCES, padded: int = 6, max_length: int = kit.MAX_WORDS
) -> kit.Explorer:
    """Chapter 3: two typed sentences padded (at the end) to S; the (B, S) ids next to the (B, S)
    mask ``Embedding(mask_zero=True)`` computes from them: True exactly where the id is not 0."""
    sentences = _sentences(sentences, 2)
    max_length = kit.check_int("max_length", max_length, 2, kit.MAX_WORDS)
    params = kit.sentence_params(sentences) + [
        kit.slider("padded", padded, 1, max_length, "padded length S ")
    ]
    base = kit.tokens(alt.Chart(alt.Data(name="tokens")), 2, padded="padded")
    slots = base.transform_filter(
        "datum.r == 's' && datum.p < datum.S && datum.n > 0"
    ).transform_calculate(shown="datum.word == null ? '<pad>' : datum.word", mask="datum.id != 0")
    notes = kit.notes(kit.sentence_notes(2, padded="padded"))

    def layout(stacked: bool):
        ids = kit.value_cells(
            slots,
            "p",
            "b",
            "id",
            "real",
            "slot j",
            "sentence b",
            "token ids (B, S)",
            name="ids",
            width=28,
            height=34,
            subtext="shown",
        )
        mask = kit.mask_cells(
            slots,
            "p",
            "b",
            "mask",
            "slot j",
            "sentence b",
            "compute_mask(ids): id != 0",
            name="mask",
        )
        return kit.panels(ids, mask, stacked=stacked, spacing=30)

    description = (
        "Embedding mask explorer. Two text boxes hold the sentences and a slider sets the padded "
        "length S. Left, the (B, S) token ids with their words; right, the (B, S) boolean mask "
        "that Embedding(mask_zero=True) computes from them, True (dark, check mark) exactly where "
        "the id is not 0."
    )
    return kit.finish(
        layout,
        params + [notes],
        description,
        "embedding-mask",
        datasets={"tokens": kit.token_rows(2)},
    )
