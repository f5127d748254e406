"""Kernel-free explorers of the (B, T, S) mask: its two halves (chapter 4), the outer-product
table (chapter 5), and attention weights (chapter 6).

The published book runs no Python, so these charts do their work in the
browser. The masks of :func:`mask_explorer` and :func:`outer_explorer` are
computed by Vega expressions from sentences the reader types and the padded
length S of a slider; :func:`weights_explorer` shows weights that Keras computed
at build time for every slider position. The pieces they are made of are in
:mod:`lib.explorer_kit`.

>>> explorer = mask_explorer()
>>> [p["name"] for p in explorer.wide["params"] if "bind" in p]
['s0', 's1', 'padded']
>>> explorer.kind, explorer.narrow is not None
('broadcast', True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import numpy as np

from lib import explorer_kit as kit
from lib.errors import MaskError, MaskTypeError
from lib.example import SENTENCES
from lib.plots import FALSE_COLOUR, FALSE_MARK, FALSE_MARK_COLOUR

__all__ = ["mask_explorer", "outer_explorer", "weights_explorer"]

BY_I = alt.EncodingSortField(field="i", op="min")
BY_J = alt.EncodingSortField(field="j", op="min")


def _two_sentences(sentences: Sequence[str]) -> list[str]:
    if (
        isinstance(sentences, str)
        or len(sentences) != 2
        or not all(isinstance(s, str) for s in sentences)
    ):
        raise MaskError.expected("sentences", "two sentences (str)", repr(sentences))
    return list(sentences)


def mask_explorer(
    sentences: Sequence[str] = SENTENCES, padded: int = 6, max_length: int = kit.MAX_WORDS
) -> kit.Explorer:
    """Two typed sentences and a slider for the padded length S; the (B, S) padding mask, the
    (T, 1) query column ``mask[:, :, None]`` and the (1, S) key row ``mask[:, None, :]`` of each
    sentence, and their AND, the (T, S) attention mask. Introduced in chapter 4.

    Everything is computed in the browser: ``n_b = min(words_b, S)`` real tokens, then
    ``query = i < n_b``, ``key = j < n_b``, ``mask = query && key``.
    """
    sentences = _two_sentences(sentences)
    max_length = kit.check_int("max_length", max_length, 2, kit.MAX_WORDS)
    padded = kit.check_int("padded", padded, 1, max_length)
    params = kit.sentence_params(sentences) + [
        kit.slider("padded", padded, 1, max_length, "padded length S ")
    ]
    grid = [
        {"b": b, "i": i, "j": j}
        for b in range(2)
        for i in range(max_length)
        for j in range(max_length)
    ]
    base = (
        kit.slot_fields(alt.Chart(alt.Data(name="grid")), padded="padded")
        .transform_filter("datum.i < padded && datum.j < padded && datum.n > 0")
        .transform_calculate(both="datum.i_real && datum.j_real")
    )
    padding = kit.mask_cells(
        base.transform_filter("datum.i == 0"),
        "j",
        "b",
        "j_real",
        "slot j",
        "sentence b",
        "padding mask (B, S)",
        name="padding",
    )
    notes = kit.notes(kit.sentence_notes(2, padded="padded"))

    def sentence(b: int, stacked: bool):
        rows = base.transform_filter(f"datum.b == {b}")
        column = kit.mask_cells(
            rows.transform_filter("datum.j == 0"),
            "b",
            "i_label",
            "i_real",
            "",
            "query i",
            f"b={b}: query column (T, 1)",
            name=f"query_{b}",
            y_sort=BY_I,
            x_axis=False,
            legend=False,
        )
        row = kit.mask_cells(
            rows.transform_filter("datum.i == 0"),
            "j_label",
            "b",
            "j_real",
            "key j",
            "",
            "key row (1, S)",
            name=f"key_{b}",
            x_sort=BY_J,
            x_label_angle=-45,
            y_axis=False,
            legend=False,
        )
        square = kit.mask_cells(
            rows,
            "j_label",
            "i_label",
            "both",
            "key j",
            "query i",
            "AND: attention mask (T, S)",
            name=f"mask_{b}",
            x_sort=BY_J,
            y_sort=BY_I,
            x_label_angle=-45,
            legend=False,
        )
        if stacked:
            return alt.vconcat(column, row, square, spacing=12)
        return alt.hconcat(column, row, square, spacing=30)

    def layout(stacked: bool):
        return alt.vconcat(padding, sentence(0, stacked), sentence(1, stacked), spacing=25)

    description = (
        "Interactive mask explorer. Two text boxes hold the sentences and a slider sets the "
        "padded length S. The charts show the (B, S) padding mask, then for each sentence the "
        "query column mask[:, :, None], the key row mask[:, None, :] and their AND, the (T, S) "
        "attention mask; rows are queries, columns are keys; True cells are dark with a check "
        "mark, False cells light with a dot."
    )
    return kit.finish(layout, params + [notes], description, "broadcast", datasets={"grid": grid})


def outer_explorer(
    sentences: Sequence[str] = SENTENCES,
    sentence: int = 1,
    padded: int = 8,
    max_length: int = kit.MAX_WORDS,
) -> kit.Explorer:
    """The attention mask as a multiplication table (chapter 5), for one of two typed sentences.

    The key mask runs along the top, the query mask down the left, and cell (i, j) of the body
    is ``query_mask[i] & key_mask[j]``, as in :func:`lib.plots.plot_outer`. A switch picks the
    sentence, a slider the padded length S.
    """
    sentences = _two_sentences(sentences)
    max_length = kit.check_int("max_length", max_length, 2, kit.MAX_WORDS)
    padded = kit.check_int("padded", padded, 1, max_length)
    sentence = kit.check_int("sentence", sentence, 0, 1)
    params = kit.sentence_params(sentences) + [
        kit.radio("sentence", sentence, [0, 1], "table of sentence "),
        kit.slider("padded", padded, 1, max_length, "padded length S "),
    ]
    # i == -1 is the key row along the top, j == -1 the query column down the left.
    grid = [{"i": i, "j": j} for i in range(-1, max_length) for j in range(-1, max_length)]
    base = (
        kit.slot_fields(alt.Chart(alt.Data(name="table")), sentence="sentence", padded="padded")
        .transform_filter("datum.i < padded && datum.j < padded && datum.n > 0")
        .transform_calculate(
            part="datum.i < 0 ? (datum.j < 0 ? 'corner' : 'key') "
            ": (datum.j < 0 ? 'query' : 'body')",
            x="datum.j < 0 ? '&' : datum.j_label",
            y="datum.i < 0 ? '&' : datum.i_label",
        )
        .transform_calculate(
            value="datum.part == 'key' ? datum.j_real : datum.part == 'query' ? datum.i_real : "
            "datum.i_real && datum.j_real",
        )
    )
    def layout(stacked: bool) -> alt.LayerChart:
        # On a phone: shorter word labels and smaller cells, so ten long words fit 390 px.
        limit, step = (44, kit.CELL - 1) if stacked else (80, kit.CELL + 2)
        encoding = dict(
            x=alt.X(
                "x:O",
                sort=BY_J,
                title="key_mask: key j (S)",
                axis=alt.Axis(orient="top", labelAngle=-45, labelLimit=limit, labelAlign="left"),
            ),
            y=alt.Y("y:O", sort=BY_I, title="query_mask: query i (T)", axis=alt.Axis(labelLimit=limit)),
        )
        cells = (
            base.transform_filter("datum.part != 'corner'")
            .mark_rect(strokeWidth=1.5)
            .encode(
                color=alt.Color(
                    "value:N",
                    scale=alt.Scale(domain=[True, False], range=[kit.TRUE_COLOUR, kit.FALSE_COLOUR]),
                    legend=alt.Legend(
                        title="may attend",
                        labelExpr=f"datum.value ? '{kit.TRUE_MARK} True' : '{kit.FALSE_MARK} False'",
                    ),
                ),
                tooltip=["part:N", "y:O", "x:O", "value:N"],
                **encoding,
            )
            .properties(name="table")
        )
        outline = (
            base.transform_filter("datum.part == 'key' || datum.part == 'query'")
            .mark_rect(fill=None, stroke=kit.HIGHLIGHT_COLOUR, strokeWidth=2)
            .encode(**encoding)
        )
        marks = (
            base.transform_filter("datum.part != 'corner'")
            .mark_text(fontSize=11)
            .encode(
                text=alt.Text("symbol:N"),
                color=alt.condition("datum.value", alt.value("white"), alt.value("#555555")),
                **encoding,
            )
            .transform_calculate(symbol=f"datum.value ? '{kit.TRUE_MARK}' : '{kit.FALSE_MARK}'")
        )
        corner = (
            base.transform_filter("datum.part == 'corner'")
            .mark_text(fontSize=18, fontWeight="bold")
            .encode(text=alt.value("&"), **encoding)
        )
        title = alt.TitleParams(
            text=alt.ExprRef(
                expr="'sentence ' + sentence + ': ' + min(length(s_all[sentence]), padded) "
                "+ ' real tokens, S = ' + padded"
            ),
            subtitle="cell (i, j) = query_mask[i] & key_mask[j]",
            orient="bottom",
        )
        return alt.layer(cells, outline, marks, corner).properties(
            title=title, width=alt.Step(step), height=alt.Step(step)
        )

    notes = kit.notes(kit.sentence_notes(2, padded="padded"))
    description = (
        "Multiplication-table explorer of the attention mask. Two text boxes hold the sentences, "
        "a switch picks one, and a slider sets the padded length S. The key mask runs along the "
        "top (outlined), the query mask down the left (outlined), and each cell of the body is "
        "the AND of its row's query value and its column's key value: True (dark, check mark) "
        "only where both are real tokens."
    )
    return kit.finish(
        layout,
        params + [notes],
        description,
        "outer",
        datasets={"table": grid},
    )


def weights_explorer(
    weights_by_value: Mapping[int, np.ndarray],
    labels_by_value: Mapping[int, Sequence[str]],
    slider_label: str,
    value: int | None = None,
    title: str = "attention weights",
) -> kit.Explorer:
    """A slider over precomputed attention weights: one (H, T, S) array per slider value.

    ``labels_by_value[v]`` names the T (= S) token positions for slider value ``v``. Heads are
    drawn side by side (one under the other on a narrow screen); each cell shows its weight
    (0 exactly where the mask said False). Rows and columns stay in position order as the
    slider moves, even when a position's label changes (a word becomes ``<pad>``).
    The slider values must be consecutive ints.

    >>> explorer = weights_explorer({1: np.ones((1, 2, 2)), 2: np.ones((1, 2, 2))},
    ...                             {1: ["a", "<pad>"], 2: ["a", "b"]}, "length")
    >>> explorer.wide["spec"]["layer"][0]["encoding"]["y"]["sort"]
    {'field': 'i', 'op': 'min'}
    """
    if not isinstance(weights_by_value, Mapping) or not weights_by_value:
        raise MaskError.expected(
            "weights_by_value", "a mapping with at least one slider value", repr(weights_by_value)
        )
    values = sorted(weights_by_value)
    for key in values:
        if isinstance(key, bool) or not isinstance(key, (int, np.integer)):
            raise MaskTypeError.expected("weights_by_value", "int slider values as keys", repr(key))
    if values != list(range(values[0], values[-1] + 1)):
        raise MaskError.expected("weights_by_value", "consecutive int slider values", f"{values}")
    chosen = values[-1] if value is None else kit.check_int("value", value, values[0], values[-1])
    rows = []
    for key in values:
        array = np.asarray(weights_by_value[key])
        if array.ndim != 3 or not np.issubdtype(array.dtype, np.number):
            raise MaskError.expected(
                f"weights_by_value[{key}]",
                "a rank-3 (H, T, S) array of numbers",
                f"shape {array.shape} and dtype {array.dtype}",
            )
        array = array.astype(float)
        if not np.isfinite(array).all() or (array < 0).any() or (array > 1 + 1e-6).any():
            raise MaskError.expected(
                f"weights_by_value[{key}]", "weights from 0 to 1", "values outside it"
            )
        if key not in labels_by_value:
            raise MaskError.expected("labels_by_value", f"labels for slider value {key}", "none")
        labels = list(labels_by_value[key])
        heads, queries, keys = array.shape
        if len(labels) != max(queries, keys) or queries != keys:
            raise MaskError.expected(
                f"labels_by_value[{key}]",
                f"{queries} labels for a square (H, T, T) array",
                f"{len(labels)} labels for shape {array.shape}",
            )
        for h in range(heads):
            for i in range(queries):
                for j in range(keys):
                    weight = float(array[h, i, j])
                    rows.append(
                        {
                            "v": int(key),
                            "head": f"head {h}",
                            "i": i,
                            "j": j,
                            "query": f"{i}: {labels[i]}",
                            "key": f"{j}: {labels[j]}",
                            "w": round(weight, 4),
                            # exactly 0 where the mask removed the cell (the softmax of the
                            # chapters' small scores is positive): drawn like a False mask cell
                            "masked": weight == 0,
                            "label": FALSE_MARK if weight == 0 else f"{weight:.2f}",
                        }
                    )
    slider = kit.slider("v", chosen, values[0], values[-1], slider_label)
    base = alt.Chart(alt.Data(name="weights")).transform_filter("datum.v == v")
    encoding = dict(
        x=alt.X("key:N", title="key (S)", sort=BY_J, axis=alt.Axis(labelAngle=-45, labelLimit=80)),
        y=alt.Y("query:N", title="query (T)", sort=BY_I, axis=alt.Axis(labelLimit=80)),
    )
    cells = (
        base.mark_rect(strokeWidth=1)
        .encode(
            color=alt.condition(
                "datum.masked",
                alt.value(FALSE_COLOUR),
                alt.Color(
                    "w:Q", title="weight", scale=alt.Scale(scheme=kit.WEIGHT_SCHEME, domain=[0, 1])
                ),
            ),
            tooltip=["query:N", "key:N", alt.Tooltip("w:Q", format=".4f")],
            **encoding,
        )
        .properties(name="weights")
    )
    text = base.mark_text(fontSize=9).encode(
        text="label:N",
        color={
            "condition": [
                {"test": "datum.masked", "value": FALSE_MARK_COLOUR},
                {"test": "datum.w > 0.6", "value": "black"},
            ],
            "value": "white",
        },
        **encoding,
    )

    def layout(stacked: bool):
        facet = alt.Row("head:N", title=None) if stacked else alt.Column("head:N", title=None)
        return (
            alt.layer(cells, text)
            .properties(width=alt.Step(30 if stacked else 34), height=alt.Step(24))
            .facet(**({"row": facet} if stacked else {"column": facet}))
            .properties(
                title=alt.TitleParams(
                    kit.title_lines(title, 40).text if stacked else title,
                    subtitle=f"grey {FALSE_MARK}: masked (weight exactly 0)",
                )
            )
        )

    description = (
        "Interactive heatmaps of attention weights, one per head. "
        f"A slider ({slider_label.strip()}) "
        "chooses a precomputed case; rows are queries, columns are keys, and each cell shows "
        "its weight; masked cells (weight exactly 0) are grey and marked with a dot, like the "
        "False cells of a mask."
    )
    return kit.finish(
        layout, [slider], description, "weights", datasets={"weights": rows}, legend_bottom=True
    )
