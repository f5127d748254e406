"""Kernel-free explorers for causal and cross-attention masks (chapters 7 and 8).

Built from the pieces of :mod:`lib.explorer_kit`: Altair (Vega-Lite) charts whose
masks are computed by Vega expressions from the slider values, so the sliders
work in the published book, where no Python runs. Convention as everywhere in
the book: ``True`` (dark, ✓) means *may attend*; rows are queries, columns
are keys.

>>> explorer = causal_explorer(max_length=8)
>>> [p["name"] for p in explorer.wide["params"] if "bind" in p]
['length', 'real', 'causal']
>>> [p["name"] for p in cross_explorer(max_length=8).wide["params"] if "bind" in p]
['target_real', 'T', 'source_real', 'S']
"""

from __future__ import annotations

import altair as alt

from lib import explorer_kit as kit

__all__ = ["causal_explorer", "cross_explorer"]


def causal_explorer(
    max_length: int = 10, length: int = 6, real_length: int = 3, causal: bool = True
) -> kit.Explorer:
    """Sliders for the padded length and the real length of one sentence, and a causal switch.

    Shows three (T, S) squares side by side, computed in the browser:
    the causal mask ``j <= i`` (all True when the switch is off), the padding
    self-attention mask ``i < n and j < n`` (``n`` = real tokens), and their AND,
    the attention mask a decoder's self-attention uses. Introduced in chapter 7.

    >>> spec = causal_explorer(max_length=6, length=4, real_length=2).wide
    >>> [p["value"] for p in spec["params"] if "bind" in p]
    [4, 2, True]
    """
    max_length = kit.check_int("max_length", max_length, 2, 24)
    params = [
        kit.slider(
            "length",
            kit.check_int("length", length, 1, max_length),
            1,
            max_length,
            "padded length T = S ",
        ),
        kit.slider(
            "real",
            kit.check_int("real_length", real_length, 1, max_length),
            1,
            max_length,
            "real tokens in the sentence ",
        ),
        kit.checkbox("causal", causal, "causal mask "),
    ]
    grid = [{"i": i, "j": j} for i in range(max_length) for j in range(max_length)]
    base = (
        alt.Chart(alt.Data(name="grid"))
        .transform_filter("datum.i < length && datum.j < length")
        .transform_calculate(n="min(real, length)")
        .transform_calculate(
            future="causal ? datum.j <= datum.i : true",
            padding="datum.i < datum.n && datum.j < datum.n",
        )
        .transform_calculate(both="datum.future && datum.padding")
    )
    panels = [
        kit.mask_cells(
            base,
            "j",
            "i",
            "future",
            "key j",
            "query i",
            alt.TitleParams(
                text=alt.ExprRef(expr="causal ? 'causal mask: j <= i' : 'causal off: all True'")
            ),
            name="causal",
        ),
        kit.mask_cells(
            base,
            "j",
            "i",
            "padding",
            "key j",
            "query i",
            "AND padding mask",
            name="padding",
            legend=False,
        ),
        kit.mask_cells(
            base,
            "j",
            "i",
            "both",
            "key j",
            "query i",
            "= attention mask (T, S)",
            name="mask",
            legend=False,
        ),
    ]
    notes = kit.notes(
        kit.note(
            "real > length",
            "'The sentence has ' + real + ' real tokens: padded length ' "
            "+ length + ' cuts it to ' + length + '.'",
        )
    )
    description = (
        "Interactive causal mask explorer. Two sliders set the padded length T = S and the "
        "number of real tokens of one sentence; a check box switches the causal mask on or off. "
        "Three squares, rows are queries and columns are keys: the causal mask (query i may "
        "attend to keys 0 to i), the padding self-attention mask (both tokens real), and their "
        "AND, the final attention mask. True cells are dark with a check mark, False cells light "
        "with a dot."
    )
    return kit.finish(
        lambda stacked: kit.panels(*panels, stacked=stacked, spacing=20),
        params + [notes],
        description,
        "causal",
        datasets={"grid": grid},
    )


def cross_explorer(
    max_length: int = 10,
    target_length: int = 2,
    padded_target: int = 5,
    source_length: int = 3,
    padded_source: int = 6,
) -> kit.Explorer:
    """Sliders for a decoder (query) sentence and an encoder (key) sentence; their (T, S) mask.

    Four sliders set the real and padded lengths on each side. The chart shows
    the (T, 1) query mask of the decoder sentence, the (1, S) key mask of the
    encoder sentence, and their AND, the (T, S) cross-attention mask, which is
    square only when T happens to equal S. Introduced in chapter 8.

    >>> spec = cross_explorer(max_length=7, padded_target=3, padded_source=7).wide
    >>> {p["name"]: p.get("value") for p in spec["params"]}["S"]
    7
    """
    max_length = kit.check_int("max_length", max_length, 2, 24)
    for name, value in (
        ("target_length", target_length),
        ("padded_target", padded_target),
        ("source_length", source_length),
        ("padded_source", padded_source),
    ):
        kit.check_int(name, value, 1, max_length)
    params = [
        kit.slider("target_real", target_length, 1, max_length, "decoder sentence: real tokens "),
        kit.slider("T", padded_target, 1, max_length, "decoder padded length T "),
        kit.slider("source_real", source_length, 1, max_length, "encoder sentence: real tokens "),
        kit.slider("S", padded_source, 1, max_length, "encoder padded length S "),
    ]
    grid = [{"c": 0, "i": i, "j": j} for i in range(max_length) for j in range(max_length)]
    base = (
        alt.Chart(alt.Data(name="grid"))
        .transform_filter("datum.i < T && datum.j < S")
        .transform_calculate(
            query="datum.i < min(target_real, T)", key="datum.j < min(source_real, S)"
        )
        .transform_calculate(both="datum.query && datum.key")
    )
    column = kit.mask_cells(
        base.transform_filter("datum.j == 0"),
        "c",
        "i",
        "query",
        "",
        "query i (decoder)",
        "query mask (T, 1)",
        name="query",
        x_axis=False,
    )
    row = kit.mask_cells(
        base.transform_filter("datum.i == 0"),
        "j",
        "c",
        "key",
        "key j (encoder)",
        "",
        "key mask (1, S)",
        name="key",
        y_axis=False,
        legend=False,
    )
    square = kit.mask_cells(
        base,
        "j",
        "i",
        "both",
        "key j (encoder)",
        "query i (decoder)",
        "AND: cross-attention mask (T, S)",
        name="mask",
        legend=False,
    )
    notes = kit.notes(
        kit.note(
            "target_real > T",
            "'The decoder sentence has ' + target_real + ' real tokens: T = ' + T + "
            "' cuts it to ' + T + '.'",
        )
        + " + "
        + kit.note(
            "source_real > S",
            "'The encoder sentence has ' + source_real + ' real tokens: S = ' "
            "+ S + ' cuts it to ' + S + '.'",
        )
    )

    def layout(stacked: bool):
        if stacked:
            return alt.vconcat(alt.hconcat(column, row, spacing=16), square, spacing=16)
        return alt.hconcat(column, row, square, spacing=20)

    description = (
        "Interactive cross-attention mask explorer. Four sliders set the real and padded "
        "lengths of a decoder sentence (T, the queries) and of an encoder sentence (S, the "
        "keys). The chart shows the decoder's (T, 1) query mask, the encoder's (1, S) key mask "
        "and their AND, the (T, S) cross-attention mask: rows are decoder queries, columns are "
        "encoder keys; True cells are dark with a check mark, False cells light with a dot."
    )
    return kit.finish(layout, params + [notes], description, "cross", datasets={"grid": grid})
