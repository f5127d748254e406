"""The playground of chapter 12: up to four sentences, every mask, and one head's weights.

:class:`Playground` runs the whole walk for sentences a reader types:
vocabulary (:mod:`lib.vocab`), padding (:mod:`lib.padding`), masks
(:mod:`lib.masks`) and a small seeded ``MultiHeadAttention``
(:mod:`lib.attention`). Two modes:

- **self-attention**: queries and keys are the sentences padded to ``S``, so ``T = S``;
- **cross-attention**: the keys are the sentences padded to ``S`` (the encoder side); the
  queries are the decoder input, each sentence shifted right behind a ``<start>`` token
  (as a decoder sees its target during training), truncated or padded to ``T``.

``causal=True`` ANDs in the lower-triangular ``causal_mask(T, S)``, as
``use_causal_mask=True`` would.

>>> play = Playground(["This is a very long sequence", "This is short"])
>>> result = play.compute(padded_length=6)
>>> result.attention_mask.shape, result.weights.shape
((2, 6, 6), (2, 2, 6, 6))
>>> result = play.compute(padded_length=7, decoder_length=4, cross=True)
>>> result.query_labels[1]
['<start>', 'This', 'is', 'short']
>>> result.attention_mask.shape
(2, 4, 7)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lib import checks
from lib.attention import attention_layer, run_attention
from lib.checks import public_api
from lib.errors import MaskError
from lib.masks import (
    causal_mask,
    combine,
    cross_attention_mask,
    padding_mask,
    self_attention_mask,
)
from lib.padding import pad_batch
from lib.vocab import Vocabulary, split

MAX_SENTENCES = 4
MAX_LENGTH = 10
START = "<start>"
PAD = "<pad>"
EXAMPLE = (
    "This is a very long sequence",
    "This is short",
    "a short sequence is long",
    "very short",
)
"""The playground's default sentences: the accepted answer's two, and two more made of its words."""


@dataclass
class PlaygroundResult:
    """Everything the playground shows for one setting of its controls (NumPy arrays)."""

    source_ids: np.ndarray          # (B, S) encoder / self-attention token ids
    source_labels: list[list[str]]  # words per key position, "<pad>" in padded slots
    query_ids: np.ndarray           # (B, T)
    query_labels: list[list[str]]
    key_padding: np.ndarray         # (B, S) bool
    query_padding: np.ndarray       # (B, T) bool
    causal: np.ndarray | None       # (T, S) bool, or None when causal is off
    attention_mask: np.ndarray      # (B, T, S) bool
    weights: np.ndarray             # (B, H, T, S) float


@public_api
def check_sentences(sentences: Sequence[str]) -> list[str]:
    """1 to 4 non-empty sentences of at most 10 words each, or a :class:`~lib.errors.MaskError`."""
    sentences = checks.sequence(sentences, "sentences", "sentences", 1, MAX_SENTENCES)
    for index, sentence in enumerate(sentences):
        words = checks.text(sentence, f"sentences[{index}]").split()
        if not words:
            raise MaskError.expected(f"sentences[{index}]", "at least one word",
                                     "an empty sentence")
        if len(words) > MAX_LENGTH:
            raise MaskError.expected(
                f"sentences[{index}]", f"at most {MAX_LENGTH} words", f"{len(words)} words"
            )
    return sentences


class Playground:
    """The sentences' vocabulary, an embedding and a 2-head attention layer, all seeded."""

    @public_api
    def __init__(self, sentences: Sequence[str] = EXAMPLE, num_heads: int = 2, model_dim: int = 8,
                 seed: int = 0):
        self.sentences = check_sentences(sentences)
        self.vocab = Vocabulary.fit(self.sentences)
        self.start_id = self.vocab.size          # one id past the vocabulary (and padding)
        self.encoded = self.vocab.encode_batch(self.sentences)
        rng = np.random.default_rng(seed)
        self.embeddings = rng.normal(0.0, 1.0, size=(self.start_id + 1, model_dim)) \
            .astype("float32")
        self.layer = attention_layer(num_heads=num_heads, key_dim=4, model_dim=model_dim, seed=seed)
        self.num_heads = num_heads

    @property
    def longest(self) -> int:
        """The longest sentence, in words: the smallest padded length S."""
        return max(len(ids) for ids in self.encoded)

    def _labels(self, ids: np.ndarray) -> list[list[str]]:
        words = {token: word for token, word in enumerate([PAD, *self.vocab.words], start=0)}
        words[self.start_id] = START
        return [[words[int(token)] for token in row] for row in ids]

    @public_api
    def compute(self, padded_length: int, decoder_length: int | None = None,
                causal: bool = False, cross: bool = False) -> PlaygroundResult:
        """Masks and attention weights for padded length ``S`` (and decoder length ``T``).

        The masks are built by the functions of chapters 3 to 8: :func:`~lib.masks.padding_mask`,
        :func:`~lib.masks.self_attention_mask` or :func:`~lib.masks.cross_attention_mask`, and,
        with ``causal=True``, :func:`~lib.masks.causal_mask` ANDed in by
        :func:`~lib.masks.combine`.
        """
        padded_length = checks.integer(padded_length, "padded_length", self.longest, MAX_LENGTH,
                                       "Padding never cuts a sentence here.")
        causal = checks.flag(causal, "causal")
        cross = checks.flag(cross, "cross")
        source = pad_batch(self.encoded, length=padded_length)
        key_padding = padding_mask(source)
        if cross:
            decoder_length = checks.integer(decoder_length, "decoder_length", 1, MAX_LENGTH)
            shifted = [[self.start_id, *ids] for ids in self.encoded]
            queries = pad_batch(shifted, length=decoder_length)
            query_padding = padding_mask(queries)
            mask = cross_attention_mask(query_padding, key_padding)
        else:
            queries, query_padding = source, key_padding
            mask = self_attention_mask(key_padding)
        triangle = None
        if causal:
            triangle = causal_mask(queries.shape[1], source.shape[1])
            mask = combine(mask, triangle)
            triangle = triangle.numpy()[0]
        _, weights = run_attention(
            self.layer, self.embeddings[queries], self.embeddings[source], attention_mask=mask
        )
        return PlaygroundResult(
            source, self._labels(source), queries, self._labels(queries),
            key_padding.numpy(), query_padding.numpy(), triangle, mask.numpy(), weights,
        )


@public_api
def draw_playground(result: PlaygroundResult, sentence: int = 0, head: int = 0):
    """One row of panels for one sentence: padding masks of the batch, the query column,
    the key row, the causal triangle (if on), the final mask, and one head's weights."""
    import matplotlib.pyplot as plt

    from lib.plots import draw_mask, draw_weights, mask_legend, masked_weight_patch

    checks.instance_of(result, "result", PlaygroundResult,
                       "a PlaygroundResult (Playground.compute makes one)")
    batch = result.source_ids.shape[0]
    sentence = checks.index(sentence, "sentence", batch)
    head = checks.index(head, "head", result.weights.shape[1])
    queries, keys = result.query_labels[sentence], result.source_labels[sentence]
    causal = result.causal is not None
    # Two rows sized for the book's column: the inputs of the AND above, its result below.
    top_cells = len(keys) + 1 + len(keys)
    bottom_cells = len(keys) * (2 + causal)
    cell = float(np.clip(5.0 / max(top_cells, bottom_cells), 0.26, 0.4))
    fig = plt.figure(figsize=(bottom_cells * cell + 2.6,
                              cell * (max(len(queries), batch) + len(queries)) + 3.4),
                     layout="constrained")
    upper, lower = fig.subfigures(2, 1, height_ratios=[max(len(queries), batch) + 1.5,
                                                      len(queries) + 2.5])
    top = upper.subplots(1, 3, width_ratios=[len(keys), 1, len(keys)])
    bottom = lower.subplots(1, 2 + causal, width_ratios=[len(keys)] * (2 + causal))
    draw_mask(top[0], result.key_padding, [str(b) for b in range(batch)],
              [str(j) for j in range(len(keys))], "padding masks (B, S)",
              xlabel="key position", ylabel="sentence")
    draw_mask(top[1], result.query_padding[sentence][:, None], queries, [""],
              "query mask (T, 1)", xlabel="", ylabel=f"query (sentence {sentence})")
    draw_mask(top[2], result.key_padding[sentence][None, :], [""], keys, "key mask (1, S)",
              ylabel="")
    panels = list(bottom)
    if causal:
        draw_mask(panels.pop(0), result.causal, queries, keys, "causal (T, S)")
    draw_mask(panels[0], result.attention_mask[sentence], queries, keys, "attention mask (T, S)",
              ylabel="" if causal else "query position (T)")
    draw_weights(panels[1], result.weights[sentence, head], queries, keys,
                 f"attention weights, head {head}", mask=result.attention_mask[sentence],
                 vmax=1.0, colorbar=False)
    for ax in bottom[1:]:   # the same queries as the first panel of the row
        ax.set_ylabel("")
        ax.tick_params(axis="y", labelleft=False)
    bar = lower.colorbar(panels[1].collections[0], ax=list(bottom), shrink=0.8, aspect=25, pad=0.02)
    bar.outline.set_visible(False)
    mask_legend(fig, extra=[masked_weight_patch()])
    return fig


def playground_widget(sentences: Sequence[str] = EXAMPLE):
    """The live playground (needs a kernel): a text box for up to four sentences, sliders for
    S and T, toggles for causal and cross-attention, and which sentence and head to draw."""
    import ipywidgets as widgets

    from lib.widgets import length_slider, live_figure

    cache: dict[tuple[str, ...], Playground] = {}

    def draw(text, padded_length, decoder_length, causal, cross, sentence, head):
        lines = tuple(line.strip() for line in text.splitlines() if line.strip())
        try:
            if lines not in cache:
                cache[lines] = Playground(lines)
            play = cache[lines]
            length = max(padded_length, play.longest)
            result = play.compute(length, decoder_length, causal=causal, cross=cross)
            print("token ids (B, S):\n", result.source_ids)
            if cross:
                print("decoder input ids (B, T):\n", result.query_ids)
            return draw_playground(result, min(sentence, len(lines) - 1), head)
        except MaskError as error:
            print(f"Cannot draw: {error}")
            return None

    text = widgets.Textarea(value="\n".join(sentences), rows=4, description="sentences",
                            continuous_update=False, layout=widgets.Layout(width="420px"))
    return live_figure(
        draw,
        text=text,
        padded_length=length_slider("padded length S", 6, 1, MAX_LENGTH),
        decoder_length=length_slider("decoder length T (cross)", 4, 1, MAX_LENGTH),
        causal=widgets.Checkbox(value=False, description="causal"),
        cross=widgets.Checkbox(value=False, description="cross-attention"),
        sentence=widgets.IntSlider(value=1, min=0, max=MAX_SENTENCES - 1, description="sentence"),
        head=widgets.IntSlider(value=0, min=0, max=1, description="head"),
    )


def playground_explorer(sentences: Sequence[str] = EXAMPLE):
    """The kernel-free playground for the published book: four text boxes and the live controls.

    The masks are computed in the browser for whatever the reader types (empty boxes are left
    out, words past :data:`MAX_LENGTH` are dropped, and S below the longest sentence is raised
    to it, as :meth:`Playground.compute` requires). Attention weights need TensorFlow, so they
    are computed at build time for ``sentences`` only, for every sentence, head, mode and causal
    setting, at the largest lengths, and shown while the boxes hold exactly those sentences.
    Padding invariance (chapter 6) makes the largest lengths enough: with the mask applied, a
    query row's weights over real keys do not depend on how far the batch is padded, so the
    browser only needs to zero what the mask (computed from the controls) removes.
    """
    import altair as alt

    from lib import explorer_kit as kit
    from lib.plots import FALSE_COLOUR, FALSE_MARK, FALSE_MARK_COLOUR

    sentences = check_sentences(sentences)
    if len(sentences) != MAX_SENTENCES:
        raise MaskError.expected("sentences", f"{MAX_SENTENCES} sentences (one per text box)",
                                 f"{len(sentences)}")
    play = Playground(sentences)
    weights = []
    for cross in (False, True):
        for causal in (False, True):
            result = play.compute(MAX_LENGTH, MAX_LENGTH, causal=causal, cross=cross)
            for b in range(len(sentences)):
                for h in range(play.num_heads):
                    for i in range(MAX_LENGTH):
                        weights.append({
                            "k": f"{b}|{h}|{int(cross)}|{int(causal)}|{i}",
                            "ws": [round(float(w), 3) for w in result.weights[b, h, i]],
                        })
    boxes = kit.sentence_params(list(sentences), [f"sentence {b} " for b in range(MAX_SENTENCES)])
    example = " && ".join(
        f"join(s{b}_words, ' ') == {kit.js_string(' '.join(split(sentence)))}"
        for b, sentence in enumerate(sentences)
    )
    counts = [f"length(s{b}_words)" for b in range(MAX_SENTENCES)]
    derived = [
        alt.param(name="longest", expr=f"max({', '.join(counts)})"),
        alt.param(name="SS", expr="max(S, longest)"),
        alt.param(name="TT", expr="cross ? T : max(S, longest)"),
        alt.param(name="example", expr=example),
        alt.param(name="chosen", expr="length(s_all[sentence])"),
    ]
    params = boxes + [
        kit.slider("S", max(6, play.longest), 1, MAX_LENGTH, "padded length S "),
        kit.slider("T", 4, 1, MAX_LENGTH, "decoder length T (cross) "),
        kit.checkbox("causal", False, "causal "),
        kit.checkbox("cross", False, "cross-attention "),
        kit.slider("sentence", 1, 0, MAX_SENTENCES - 1, "sentence "),
        kit.slider("head", 0, 0, play.num_heads - 1, "head "),
    ] + derived
    notes = kit.notes(
        kit.sentence_notes(MAX_SENTENCES, empty="is empty: it is left out of the batch.")
        + " + " + kit.note(
            "S < longest",
            "'S = ' + S + ' is shorter than the longest sentence (' + longest + ' words): "
            "padded to ' + longest + ' instead, as padding never cuts a sentence here.'")
        + " + " + kit.note(
            "chosen == 0",
            "'Sentence ' + sentence + ' is empty: type a sentence in its box, or choose another.'")
        + " + " + kit.note(
            "!example",
            "'Attention weights are computed when the page is built, for the example sentences "
            "only: they show again when the boxes hold them.'")
    )
    batch_grid = [{"b": b, "j": j} for b in range(MAX_SENTENCES) for j in range(MAX_LENGTH)]
    grid = [{"i": i, "j": j} for i in range(MAX_LENGTH) for j in range(MAX_LENGTH)]
    batch = (
        alt.Chart(alt.Data(name="batch"))
        .transform_calculate(n="length(s_all[datum.b])")
        .transform_filter("datum.n > 0 && datum.j < SS")
        .transform_calculate(real="datum.j < datum.n")
    )
    base = (
        alt.Chart(alt.Data(name="grid"))
        .transform_filter("chosen > 0 && datum.i < TT && datum.j < SS")
        .transform_calculate(words="s_all[sentence]")
        .transform_calculate(n="length(datum.words)")
        .transform_calculate(
            qreal="cross ? datum.i < min(datum.n + 1, T) : datum.i < datum.n",
            kreal="datum.j < datum.n",
            qword="cross ? (datum.i == 0 ? '<start>' : "
                  "(datum.i <= datum.n ? datum.words[datum.i - 1] : '<pad>'))"
                  " : (datum.i < datum.n ? datum.words[datum.i] : '<pad>')",
            kword="datum.j < datum.n ? datum.words[datum.j] : '<pad>'",
        )
        .transform_calculate(q="datum.i + ': ' + datum.qword", k="datum.j + ': ' + datum.kword",
                             tri="!causal || datum.j <= datum.i", one="0")
        .transform_calculate(m="datum.qreal && datum.kreal && datum.tri")
    )
    order_x = alt.EncodingSortField(field="j", op="min")
    order_y = alt.EncodingSortField(field="i", op="min")
    padding = kit.mask_cells(batch, "j", "b", "real", "key position", "sentence",
                             "padding masks (B, S)", name="padding")
    column = kit.mask_cells(base.transform_filter("datum.j == 0"), "one", "q", "qreal", "", "query",
                            "query mask (T, 1)", name="query", y_sort=order_y, x_axis=False,
                            legend=False)
    row = kit.mask_cells(base.transform_filter("datum.i == 0"), "k", "one", "kreal", "key", "",
                         "key mask (1, S)", name="key", x_sort=order_x, x_label_angle=-45,
                         y_axis=False, legend=False)
    final = kit.mask_cells(base, "k", "q", "m", "key", "query", "attention mask (T, S)",
                           name="mask", x_sort=order_x, y_sort=order_y, x_label_angle=-45,
                           legend=False)
    shown = (
        base.transform_filter("example")
        .transform_calculate(key="sentence + '|' + head + '|' + (cross ? 1 : 0) + '|' + "
                                 "(causal ? 1 : 0) + '|' + datum.i")
        .transform_lookup(lookup="key", from_=alt.LookupData(data=alt.Data(name="weights"),
                                                              key="k", fields=["ws"]))
        .transform_calculate(weight="datum.m ? datum.ws[datum.j] : 0")
        # a masked cell looks like a False cell of the masks (grey, ·), never like a computed 0
        .transform_calculate(label=f"datum.m ? format(datum.weight, '.2f') : '{FALSE_MARK}'")
    )
    weight_encoding = dict(
        x=alt.X("k:N", title="key", sort=order_x, axis=alt.Axis(labelAngle=-45, labelLimit=80)),
        y=alt.Y("q:N", title="query", sort=order_y, axis=alt.Axis(labelLimit=80)),
    )
    weights_chart = alt.layer(
        shown.mark_rect(strokeWidth=1).encode(
            color=alt.condition("datum.m", alt.Color("weight:Q", title="weight",
                                scale=alt.Scale(scheme=kit.WEIGHT_SCHEME, domain=[0, 1])),
                                alt.value(FALSE_COLOUR)),
            tooltip=["q:N", "k:N", alt.Tooltip("weight:Q", format=".3f")], **weight_encoding,
        ).properties(name="weights"),
        shown.mark_text(fontSize=9).encode(
            text="label:N",
            color={"condition": [{"test": "!datum.m", "value": FALSE_MARK_COLOUR},
                                 {"test": "datum.weight > 0.6", "value": "black"}],
                   "value": "white"},
            **weight_encoding),
    ).properties(title=alt.TitleParams("attention weights of one head",
                                       subtitle=f"grey {FALSE_MARK}: masked (weight 0)"),
                 width=alt.Step(24), height=alt.Step(22))

    def layout(stacked: bool):
        if stacked:
            return alt.vconcat(padding, alt.hconcat(column, row, spacing=16), final,
                               weights_chart, spacing=24)
        return alt.vconcat(alt.hconcat(padding, column, row, spacing=30),
                           alt.hconcat(final, weights_chart, spacing=20), spacing=30)

    description = (
        "Kernel-free attention-mask playground. Four text boxes hold the sentences; controls set "
        "the padded length S, the decoder length T, causal and cross-attention, which sentence "
        "and which head. Charts: the padding masks of the batch, the query mask, the key mask, "
        "the final attention mask (rows are queries, columns are keys; dark with a check mark = "
        "may attend) and, for the example sentences, one head's attention weights, exactly 0 "
        "wherever the mask is False."
    )
    return kit.finish(layout, params + [notes], description, "playground",
                      datasets={"batch": batch_grid, "grid": grid, "weights": weights})
