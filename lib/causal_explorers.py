"""Kernel-free explorers for causal and cross-attention masks (chapters 7 and 8).

Built like :func:`lib.explorers.mask_explorer`: Altair (Vega-Lite) charts whose
masks are computed by Vega expressions from the slider values, so the sliders
work in the published book, where no Python runs. Convention as everywhere in
the book: ``True`` (dark, ✓) means *may attend*; rows are queries, columns
are keys.

>>> explorer = causal_explorer(max_length=8)
>>> sorted(p["name"] for p in explorer.spec["params"])
['causal', 'length', 'real']
>>> sorted(p["name"] for p in cross_explorer(max_length=8).spec["params"])
['S', 'T', 'source_real', 'target_real']
"""

from __future__ import annotations

import altair as alt

from lib.errors import MaskError
from lib.explorers import Explorer, _explorer, _finish, _mask_cells, _slider

__all__ = ["causal_explorer", "cross_explorer"]

def _check_range(name: str, value: int, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise MaskError.expected(name, f"an int from {low} to {high}", repr(value))


def causal_explorer(
    max_length: int = 10, length: int = 6, real_length: int = 3, causal: bool = True
) -> Explorer:
    """Sliders for the padded length and the real length of one sentence, and a causal switch.

    Shows three (T, S) squares side by side, computed in the browser:
    the causal mask ``j <= i`` (all True when the switch is off), the padding
    self-attention mask ``i < n and j < n`` (``n`` = real tokens), and their AND,
    the attention mask a decoder's self-attention uses. Introduced in chapter 7.

    >>> spec = causal_explorer(max_length=6, length=4, real_length=2).spec
    >>> [p["value"] for p in sorted(spec["params"], key=lambda p: p["name"])]
    [True, 4, 2]
    """
    _check_range("max_length", max_length, 2, 24)
    _check_range("length", length, 1, max_length)
    _check_range("real_length", real_length, 1, max_length)
    grid = [{"i": i, "j": j} for i in range(max_length) for j in range(max_length)]
    padded = _slider("length", length, 1, max_length, "padded length T = S ")
    real = _slider("real", real_length, 1, max_length, "real tokens in the sentence ")
    switch = alt.param(name="causal", value=bool(causal),
                       bind=alt.binding_checkbox(name="causal mask "))
    base = (
        alt.Chart(alt.Data(values=grid))
        .transform_filter("datum.i < length && datum.j < length")
        .transform_calculate(n="min(real, length)")
        .transform_calculate(
            future="causal ? datum.j <= datum.i : true",
            padding="datum.i < datum.n && datum.j < datum.n",
        )
        .transform_calculate(both="datum.future && datum.padding")
    )
    panels = [
        _mask_cells(base, "j", "i", "future", "key j", "query i",
                    alt.TitleParams(text=alt.ExprRef(
                        expr="causal ? 'causal mask: j <= i' : 'causal off: all True'"))),
        _mask_cells(base, "j", "i", "padding", "key j", "query i", "AND padding mask"),
        _mask_cells(base, "j", "i", "both", "key j", "query i", "= attention mask (T, S)"),
    ]
    chart = _finish(alt.hconcat(*panels, spacing=20), padded, real, switch, legend_bottom=True)
    description = (
        "Interactive causal mask explorer. Two sliders set the padded length T = S and the "
        "number of real tokens of one sentence; a check box switches the causal mask on or off. "
        "Three squares, rows are queries and columns are keys: the causal mask (query i may "
        "attend to keys 0 to i), the padding self-attention mask (both tokens real), and their "
        "AND, the final attention mask. True cells are dark with a check mark, False cells light "
        "with a dot."
    )
    return _explorer(chart, description)


def cross_explorer(
    max_length: int = 10,
    target_length: int = 2,
    padded_target: int = 5,
    source_length: int = 3,
    padded_source: int = 6,
) -> Explorer:
    """Sliders for a decoder (query) sentence and an encoder (key) sentence; their (T, S) mask.

    Four sliders set the real and padded lengths on each side. The chart shows
    the (T, 1) query mask of the decoder sentence, the (1, S) key mask of the
    encoder sentence, and their AND, the (T, S) cross-attention mask, which is
    square only when T happens to equal S. Introduced in chapter 8.

    >>> spec = cross_explorer(max_length=7, padded_target=3, padded_source=7).spec
    >>> {p["name"]: p["value"] for p in spec["params"]}["S"]
    7
    """
    _check_range("max_length", max_length, 2, 24)
    for name, value in (
        ("target_length", target_length), ("padded_target", padded_target),
        ("source_length", source_length), ("padded_source", padded_source),
    ):
        _check_range(name, value, 1, max_length)
    grid = [{"c": 0, "i": i, "j": j} for i in range(max_length) for j in range(max_length)]
    params = [
        _slider("target_real", target_length, 1, max_length, "decoder sentence: real tokens "),
        _slider("T", padded_target, 1, max_length, "decoder padded length T "),
        _slider("source_real", source_length, 1, max_length, "encoder sentence: real tokens "),
        _slider("S", padded_source, 1, max_length, "encoder padded length S "),
    ]
    base = (
        alt.Chart(alt.Data(values=grid))
        .transform_filter("datum.i < T && datum.j < S")
        .transform_calculate(
            query="datum.i < min(target_real, T)", key="datum.j < min(source_real, S)"
        )
        .transform_calculate(both="datum.query && datum.key")
    )
    column = _mask_cells(base.transform_filter("datum.j == 0"), "c", "i", "query",
                         "", "query i (decoder)", "query mask (T, 1)")
    row = _mask_cells(base.transform_filter("datum.i == 0"), "j", "c", "key",
                      "key j (encoder)", "", "key mask (1, S)")
    square = _mask_cells(base, "j", "i", "both", "key j (encoder)", "query i (decoder)",
                         "AND: cross-attention mask (T, S)")
    chart = _finish(alt.hconcat(column, row, square, spacing=20), *params, legend_bottom=True)
    description = (
        "Interactive cross-attention mask explorer. Four sliders set the real and padded "
        "lengths of a decoder sentence (T, the queries) and of an encoder sentence (S, the "
        "keys). The chart shows the decoder's (T, 1) query mask, the encoder's (1, S) key mask "
        "and their AND, the (T, S) cross-attention mask: rows are decoder queries, columns are "
        "encoder keys; True cells are dark with a check mark, False cells light with a dot."
    )
    return _explorer(chart, description)
