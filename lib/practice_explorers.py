"""Kernel-free explorers for the chapters on masks in practice: vanishing masks (chapter 9),
conventions of other frameworks (chapter 10) and memory (chapter 11).

- :func:`gap_explorer` shows values the build computed with the toy Transformer of
  :mod:`lib.toy_transformer` (they need TensorFlow): the padding-invariance gap of a model with
  automatic Keras masks and of one with explicit masks, against the padded length, and the
  masks each model's attention layers applied.
- :func:`conventions_explorer` spells one padding mask in every convention of
  :mod:`lib.conventions`, computed in the browser from the sliders.
- :func:`memory_explorer` draws the exact bytes of :class:`lib.memory.MaskMemory` for the batch
  size and head count of two sliders, computed in the browser from the shapes.

>>> explorer = memory_explorer([128, 256])
>>> [p["name"] for p in explorer.wide["params"] if "bind" in p]
['B', 'H']
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import altair as alt
import numpy as np

from lib import explorer_kit as kit
from lib.conventions import NEG
from lib.errors import MaskError, MaskTypeError

__all__ = [
    "CONVENTIONS",
    "MEMORY_SERIES",
    "conventions_explorer",
    "gap_explorer",
    "memory_explorer",
]

MODELS = ("automatic", "explicit")
"""The two models of chapter 9: automatic Keras masks, and explicit masks built from the ids."""

GAP_FLOOR = 1e-9
"""Where a gap of exactly 0 is drawn on the log scale (and labelled 0)."""


def _kind(name: str) -> tuple[str, str]:
    """Which sequence gives the queries and which the keys of the attention called ``name``."""
    if name.startswith("encoder"):
        return "source", "source"
    return ("target", "target") if "causal" in name else ("target", "source")


def gap_explorer(
    gaps: Mapping[str, Mapping[int, float]],
    masks: Mapping[str, Mapping[int, Mapping[str, np.ndarray]]],
    source_labels: Sequence[str],
    target_labels: Sequence[str],
    tolerance: float,
    value: int | None = None,
) -> kit.Explorer:
    """Chapter 9: the padding-invariance gap against the padded length S, for both models, and the
    masks a chosen model's six attention layers applied to one sentence at the chosen S.

    ``gaps[model][S]`` is :func:`lib.toy_transformer.padding_invariance_gap` for ``model`` in
    :data:`MODELS` (``"automatic"`` or ``"explicit"``); ``masks[model][S][name]`` is the (T, S)
    boolean mask that model's attention ``name`` applied to the sentence (from ``masks_seen``).
    ``source_labels`` and ``target_labels`` name the positions at the largest S (source) and
    S + 1 (target, which starts with ``<start>``); the smaller lengths use their first entries.
    """
    if set(gaps) != set(MODELS) or set(masks) != set(MODELS):
        raise MaskError.expected(
            "gaps, masks",
            f"one entry per model {list(MODELS)}",
            f"{sorted(gaps)} and {sorted(masks)}",
        )
    lengths = sorted(gaps["automatic"])
    if not lengths or any(
        sorted(gaps[m]) != lengths or sorted(masks[m]) != lengths for m in MODELS
    ):
        raise MaskError.expected(
            "gaps, masks",
            "the same padded lengths for both models and both mappings",
            f"{ {m: sorted(gaps[m]) for m in MODELS} }",
        )
    if lengths != list(range(lengths[0], lengths[-1] + 1)):
        raise MaskError.expected("gaps", "consecutive padded lengths", f"{lengths}")
    chosen = lengths[0] if value is None else kit.check_int("value", value, lengths[0], lengths[-1])
    if not isinstance(tolerance, (int, float)) or not 0 < tolerance < 1:
        raise MaskError.expected("tolerance", "a number between 0 and 1", repr(tolerance))
    longest = lengths[-1]
    if len(source_labels) != longest or len(target_labels) != longest + 1:
        raise MaskError.expected(
            "source_labels, target_labels",
            f"{longest} and {longest + 1} labels",
            f"{len(source_labels)} and {len(target_labels)}",
        )
    gap_rows = []
    names = list(masks["automatic"][lengths[0]])
    bits: dict[tuple[int, int], dict[str, str]] = {}  # (layer, query i) -> {"model|S": row of 0/1}
    for model in MODELS:
        for length in lengths:
            gap = gaps[model][length]
            if (
                isinstance(gap, bool)
                or not isinstance(gap, (int, float))
                or not math.isfinite(gap)
                or gap < 0
            ):
                raise MaskError.expected(
                    f"gaps[{model!r}][{length}]", "a finite number >= 0", repr(gap)
                )
            gap_rows.append(
                {
                    "model": model,
                    "S": length,
                    "gap": float(gap),
                    "shown": max(float(gap), GAP_FLOOR),
                    "text": "0" if gap == 0 else f"{gap:.2g}",
                }
            )
            if list(masks[model][length]) != names:
                raise MaskError.expected(
                    f"masks[{model!r}][{length}]",
                    f"the attention layers {names}",
                    f"{list(masks[model][length])}",
                )
            for layer, name in enumerate(names):
                mask = np.asarray(masks[model][length][name])
                queries, keys = (length if side == "source" else length + 1 for side in _kind(name))
                if mask.dtype != np.bool_ or mask.shape != (queries, keys):
                    raise MaskError.expected(
                        f"masks[{model!r}][{length}][{name!r}]",
                        f"a ({queries}, {keys}) bool mask",
                        f"shape {mask.shape} and dtype {mask.dtype}",
                    )
                for i, row in enumerate(mask):
                    bits.setdefault((layer, i), {})[f"{model}|{length}"] = "".join(
                        "1" if c else "0" for c in row
                    )
    grid = []  # one row per (layer, query); flattened over the keys in the browser
    for layer, name in enumerate(names):
        query_side, key_side = _kind(name)
        rows = list(source_labels) if query_side == "source" else list(target_labels)
        cols = list(source_labels) if key_side == "source" else list(target_labels)
        for i, q in enumerate(rows):
            grid.append(
                {
                    "l": layer,
                    "name": name,
                    "qs": query_side,
                    "ks": key_side,
                    "i": i,
                    "q": f"{i}: {q}",
                    "js": list(range(len(cols))),
                    "kls": [f"{j}: {k}" for j, k in enumerate(cols)],
                    "bits": bits[(layer, i)],
                }
            )
    params = [
        kit.slider("S", chosen, lengths[0], lengths[-1], "padded length S "),
        kit.radio(
            "model",
            "automatic",
            list(MODELS),
            "masks applied by the model with ",
            labels=["automatic masks", "explicit masks"],
        ),
    ]
    colour = alt.Color(
        "model:N",
        title="model",
        scale=alt.Scale(domain=list(MODELS), range=[kit.LINE_COLOURS[0], kit.LINE_COLOURS[2]]),
    )
    y = alt.Y(
        "shown:Q",
        title="gap (log scale)",
        scale=alt.Scale(type="log", domain=[GAP_FLOOR, 1]),
        axis=alt.Axis(format="~e"),
    )
    points = alt.Chart(alt.Data(name="gaps"))
    x = alt.X("S:O", title="padded length S", axis=alt.Axis(labelAngle=0))
    gap_chart = alt.layer(
        points.mark_rule(strokeDash=[4, 3], color="#888888", aria=False).encode(
            y=alt.datum(float(tolerance))
        ),
        points.mark_line().encode(x=x, y=y, color=colour),
        points.mark_point(filled=True, size=60)
        .encode(
            x=x,
            y=y,
            color=colour,
            tooltip=["model:N", "S:O", alt.Tooltip("gap:Q", format=".3g")],
        )
        .properties(name="gaps"),
        points.transform_filter("datum.S == S")
        .mark_text(dy=-12, fontSize=11, fontWeight="bold")
        .encode(x=x, y=y, text="text:N", color=colour),
    ).properties(
        title=alt.TitleParams(
            "padding-invariance gap of sentence 1", subtitle=f"dashed: tolerance {tolerance:g}"
        ),
        width=260,
        height=200,
    )
    encoding = dict(
        x=alt.X(
            "kl:O",
            title="key",
            sort=alt.EncodingSortField("j", op="min"),
            axis=alt.Axis(labelAngle=-45, labelLimit=70),
        ),
        y=alt.Y(
            "q:O",
            title="query",
            sort=alt.EncodingSortField("i", op="min"),
            axis=alt.Axis(labelLimit=70),
        ),
    )
    # The transforms sit on the layer, not on each mark: Vega-Lite 5.20's optimizer overflows its
    # stack on a facet of layers that repeat a flatten.
    squares = (
        alt.layer(
            alt.Chart()
            .mark_rect(strokeWidth=1)
            .encode(
                color=alt.Color(
                    "m:N",
                    scale=alt.Scale(
                        domain=[True, False], range=[kit.TRUE_COLOUR, kit.FALSE_COLOUR]
                    ),
                    legend=alt.Legend(
                        title="may attend",
                        labelExpr=(
                            f"datum.value ? '{kit.TRUE_MARK} True' : '{kit.FALSE_MARK} False'"
                        ),
                    ),
                ),
                tooltip=["name:N", "q:O", "kl:O", "m:N"],
                **encoding,
            )
            .properties(name="masks"),
            alt.Chart()
            .mark_text(fontSize=9)
            .encode(
                text="symbol:N",
                color=alt.condition("datum.m", alt.value("white"), alt.value("#555555")),
                **encoding,
            ),
        )
        .transform_filter("datum.i < (datum.qs == 'source' ? S : S + 1)")
        .transform_flatten(["js", "kls"], as_=["j", "kl"])
        .transform_filter("datum.j < (datum.ks == 'source' ? S : S + 1)")
        .transform_calculate(
            m="substring(datum.bits[model + '|' + S], datum.j, datum.j + 1) == '1'"
        )
        .transform_calculate(symbol=f"datum.m ? '{kit.TRUE_MARK}' : '{kit.FALSE_MARK}'")
        .properties(width=alt.Step(15), height=alt.Step(15))
    )

    def layout(stacked: bool):
        facet = (
            squares.facet(
                data=alt.Data(name="layers"),
                facet=alt.Facet("name:N", title=None, sort=names),
                columns=1 if stacked else 3,
            )
            .resolve_scale(x="independent", y="independent")
            .properties(
                title=alt.TitleParams(
                    text=alt.ExprRef(
                        expr="['masks that the model with ' + model + ' masks', "
                        "'applied to sentence 1, S = ' + S]"
                    )
                )
            )
        )
        return alt.vconcat(gap_chart, facet, spacing=20).resolve_scale(color="independent")

    description = (
        "Explorer of chapter 9's padding-invariance test. A slider sets the padded length S and a "
        "switch chooses the model with automatic Keras masks or the one with explicit masks. The "
        "line chart shows both models' gap, on a log scale, for every S, with the tolerance "
        "dashed; below, the six attention masks the chosen model applied to sentence 1 at that S "
        "(rows are queries, columns are keys; dark with a check mark = may attend). The values "
        "were computed with the toy Transformer when the page was built."
    )
    return kit.finish(
        layout, params, description, "gap", datasets={"gaps": gap_rows, "layers": grid}
    )


NEG_TEXT = "-1e9"
"""How the explorer prints :data:`lib.conventions.NEG`."""
assert float(NEG_TEXT) == NEG

CONVENTIONS = {
    "keras": ("Keras attention_mask", "(B, T, S)", "True = may attend"),
    "keras_padding": ("Keras embedding mask", "(B, S)", "True = real token"),
    "torch_key_padding": ("PyTorch key_padding_mask", "(B, S)", "True = ignore"),
    "torch_attn": ("PyTorch MHA attn_mask", "(B·H, T, S)", "True = not allowed"),
    "sdpa": ("PyTorch SDPA attn_mask", "(B, 1, T, S)", "True = take part"),
    "hf": ("Hugging Face attention_mask", "(B, S)", "1 = real token"),
    "additive": ("additive float mask", "(B, T, S)", f"0 = keep, {NEG_TEXT} = drop"),
    "old_tf": ("older TF tutorial mask", "(B, 1, 1, S)", "1.0 = padding"),
}
"""The conventions of :func:`conventions_explorer`: name, shape, meaning (chapter 10's table)."""

_TWO_D = ("keras_padding", "torch_key_padding", "hf", "old_tf")


def conventions_explorer(
    lengths: tuple[int, int] = (6, 3),
    padded: int = 6,
    heads: int = 2,
    convention: str = "torch_key_padding",
    max_length: int = kit.MAX_WORDS,
) -> kit.Explorer:
    """Chapter 10: one batch of two sentences, its padding mask spelled in every convention.

    Sliders set the real tokens of each sentence and the padded length S; a switch picks the
    convention (:data:`CONVENTIONS`). Each cell prints the value that convention stores, as
    :mod:`lib.conventions` computes it, and is dark where it means *may attend*, so the colours
    stay put while the values flip. PyTorch's (B·H, T, S) mask is drawn for ``heads`` heads,
    one matrix per row ``b·H + h``.
    """
    max_length = kit.check_int("max_length", max_length, 2, kit.MAX_WORDS)
    if not isinstance(lengths, (tuple, list)) or len(lengths) != 2:
        raise MaskError.expected("lengths", "two lengths (sentence 0, sentence 1)", repr(lengths))
    params = [
        kit.slider(
            "n0",
            kit.check_int("lengths[0]", lengths[0], 1, max_length),
            1,
            max_length,
            "real tokens, sentence 0 ",
        ),
        kit.slider(
            "n1",
            kit.check_int("lengths[1]", lengths[1], 1, max_length),
            1,
            max_length,
            "real tokens, sentence 1 ",
        ),
        kit.slider("padded", padded, 1, max_length, "padded length S "),
        kit.radio(
            "convention",
            convention,
            list(CONVENTIONS),
            "convention ",
            labels=[CONVENTIONS[c][0] for c in CONVENTIONS],
        ),
    ]
    heads = kit.check_int("heads", heads, 1, 4)
    two_d = " || ".join(f"convention == '{c}'" for c in _TWO_D)
    grid = [
        {"r": r, "i": i, "j": j}
        for r in range(2 * heads)
        for i in range(max_length)
        for j in range(max_length)
    ]
    meaning = (
        "{" + ", ".join(f"{c}: {kit.js_string(m)}" for c, (_, _, m) in CONVENTIONS.items()) + "}"
    )
    names = (
        "{" + ", ".join(f"{c}: {kit.js_string(n)}" for c, (n, _, _) in CONVENTIONS.items()) + "}"
    )
    shapes = (
        "{" + ", ".join(f"{c}: {kit.js_string(s)}" for c, (_, s, _) in CONVENTIONS.items()) + "}"
    )

    def prepare(chart):
        return (
            chart.transform_calculate(flat=f"{two_d}", per_head="convention == 'torch_attn'")
            .transform_filter(f"datum.r < (datum.per_head ? {2 * heads} : 2)")
            .transform_filter(
                "datum.i < padded && datum.j < padded && (!datum.flat || datum.i == 0)"
            )
            .transform_calculate(
                b=f"datum.per_head ? floor(datum.r / {heads}) : datum.r",
                h=f"datum.per_head ? datum.r % {heads} : 0",
            )
            .transform_calculate(n="min(datum.b == 0 ? n0 : n1, padded)")
            .transform_calculate(attend="datum.j < datum.n && (datum.flat || datum.i < datum.n)")
            .transform_calculate(
                v="convention == 'keras' || convention == 'keras_padding' || "
                "convention == 'sdpa' || convention == 'hf' ? (datum.attend ? 1 : 0) : "
                "convention == 'torch_key_padding' || "
                f"convention == 'torch_attn' ? (datum.attend ? 0 : 1) : convention == 'additive' ? "
                f"(datum.attend ? 0 : {NEG!r}) : (datum.attend ? 0 : 1)",
            )
            .transform_calculate(
                text="convention == 'hf' ? '' + datum.v : convention == 'additive' ? "
                f"(datum.v == 0 ? '0' : {kit.js_string(NEG_TEXT)}) : convention == 'old_tf' ? "
                "(datum.v == 0 ? '0.0' : '1.0') : (datum.v == 1 ? 'True' : 'False')",
                panel="datum.flat ? 'rows: sentences b' : datum.per_head ? "
                "'row ' + datum.r + ' = b·H + h: sentence ' + datum.b + ', head ' + datum.h + "
                "' (rows: queries i)' : convention == 'sdpa' ? "
                "'[' + datum.b + ', 0]: sentence ' + datum.b + ' (rows: queries i)' : "
                "'sentence ' + datum.b + ' (rows: queries i)'",
                y="datum.flat ? datum.b : datum.i",
            )
        )

    def cells(stacked: bool):
        return kit.value_cells(
            alt.Chart(),
            "j",
            "y",
            "text",
            "attend",
            "key j",
            None,
            "",
            name="cells",
            width=27 if stacked else 36,
            height=22 if stacked else 24,
            font_size=9 if stacked else 11,
        )

    title = alt.TitleParams(
        text=alt.ExprRef(
            expr=f"[{names}[convention] + ', shape ' + {shapes}[convention], "
            f"{meaning}[convention] + '; dark cells may attend']"
        )
    )

    def layout(stacked: bool):
        # The transforms run before the faceting, which groups by their `panel` field.
        return prepare(
            cells(stacked).facet(
                data=alt.Data(name="grid"),
                facet=alt.Facet("panel:N", title=None, sort=alt.EncodingSortField("r", op="min")),
                columns=1 if stacked else 2,
            )
        ).properties(title=title)

    notes = kit.notes(
        " + ".join(
            kit.note(
                f"n{b} > padded",
                f"'Sentence {b} has ' + n{b} + ' real tokens: padded length ' + padded + "
                f"' cuts it to ' + padded + '.'",
            )
            for b in (0, 1)
        )
    )
    description = (
        "Conventions explorer of chapter 10. Sliders set the real tokens of two sentences and the "
        "padded length S; a switch picks a convention: Keras's boolean masks, PyTorch's "
        "key_padding_mask and attn_mask (True = ignore), PyTorch's scaled_dot_product_attention "
        "mask (True = take part), Hugging Face's 1/0 attention_mask, an additive float mask, or "
        "the older TensorFlow tutorial's mask (1.0 = padding). Each cell prints the stored value "
        "and is dark where the value means may attend."
    )
    return kit.finish(layout, params + [notes], description, "conventions", datasets={"grid": grid})


MEMORY_SERIES = (
    ("scores", "float32 scores, all H heads (B, H, T, S)", kit.LINE_COLOURS[0]),
    ("head_scores", "float32 scores, one head (B, 1, T, S)", kit.LINE_COLOURS[1]),
    ("attention_mask", "attention_mask, bool (B, T, S)", kit.LINE_COLOURS[2]),
    ("key_mask", "key_mask, bool (B, 1, S)", kit.LINE_COLOURS[3]),
)
"""The lines of :func:`memory_explorer`: :class:`lib.memory.MaskMemory` attribute, label, colour."""

_BYTES_PER_ENTRY = {
    "scores": "4 * B * H * L * L",
    "head_scores": "4 * B * L * L",
    "attention_mask": "B * L * L",
    "key_mask": "B * L",
}


def _one_decimal(value: str) -> str:
    """A Vega expression for ``f"{value:.1f}"``: Python rounds a tie (x.x5 exactly, as bytes over
    a power of 1024 can be) to even, JavaScript's ``toFixed`` does not, so ties are rounded here."""
    tenths = f"({value} * 10)"
    rounded = (
        f"({tenths} - floor({tenths}) == 0.5 ? (floor({tenths}) % 2 == 0 ? floor({tenths}) : "
        f"floor({tenths}) + 1) : round({tenths}))"
    )
    return f"format({rounded} / 10, '.1f')"


def _binary_units(value: str) -> str:
    """A Vega expression that writes ``value`` bytes as :func:`lib.memory.format_bytes` does."""
    steps = [("B", 0), ("KiB", 1), ("MiB", 2), ("GiB", 3), ("TiB", 4)]
    expression = None
    for unit, power in reversed(steps):
        scaled = f"({value} / {1024**power})"
        whole = f"format({scaled}, '.0f')"
        text = f"({scaled} == round({scaled}) ? {whole} : {_one_decimal(scaled)}) + ' {unit}'"
        expression = (
            text
            if expression is None
            else f"({value} < {1024 ** (power + 1)} ? {text} : {expression})"
        )
    return expression


def memory_explorer(lengths: Sequence[int], batch: int = 8, heads: int = 8) -> kit.Explorer:
    """Chapter 11: exact bytes of the masks and the scores against T = S, on log scales.

    Sliders set the batch size B (1 to 64) and the heads H (1 to 16); the bytes are computed in
    the browser from the shapes, as :class:`lib.memory.MaskMemory` computes them: ``B·T·S`` for the
    (B, T, S) boolean mask, ``B·S`` for the (B, 1, S) key mask, ``4·B·T·S`` for one head's
    float32 scores and ``4·B·H·T·S`` for all heads' (the one-head line is left out when H = 1,
    where it is the same line). Labels at the longest length print the bytes in binary units.
    """
    if isinstance(lengths, (str, bytes)) or not hasattr(lengths, "__iter__"):
        raise MaskTypeError.expected("lengths", "a sequence of lengths T = S", repr(lengths))
    lengths = [
        kit.check_int(f"lengths[{index}]", length, 1, 2**16) for index, length in enumerate(lengths)
    ]
    if not lengths or lengths != sorted(set(lengths)):
        raise MaskError.expected("lengths", "increasing distinct lengths", repr(lengths))
    params = [
        kit.slider("B", kit.check_int("batch", batch, 1, 64), 1, 64, "batch size B "),
        kit.slider("H", kit.check_int("heads", heads, 1, 16), 1, 16, "heads H "),
    ]
    rows = [
        {"series": key, "label": label, "L": length, "last": length == lengths[-1]}
        for key, label, _ in MEMORY_SERIES
        for length in lengths
    ]
    bytes_expression = (
        " : ".join(
            f"datum.series == '{key}' ? {formula.replace('L', 'datum.L')}"
            for key, formula in _BYTES_PER_ENTRY.items()
        )
        + " : null"
    )
    base = (
        alt.Chart(alt.Data(name="memory"))
        .transform_filter("datum.series != 'head_scores' || H > 1")
        .transform_calculate(bytes=bytes_expression)
        .transform_calculate(text=_binary_units("datum.bytes"))
    )
    colour = alt.Color(
        "label:N",
        title=None,
        sort=[label for _, label, _ in MEMORY_SERIES],
        scale=alt.Scale(
            domain=[label for _, label, _ in MEMORY_SERIES], range=[c for _, _, c in MEMORY_SERIES]
        ),
        legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=300),
    )
    x = alt.X(
        "L:Q",
        title="sequence length T = S (log scale)",
        scale=alt.Scale(type="log", base=2, domain=[lengths[0], lengths[-1]]),
        axis=alt.Axis(values=lengths, labelAngle=-45, format="d"),
    )
    y = alt.Y(
        "bytes:Q",
        title="bytes (log scale)",
        scale=alt.Scale(type="log", base=2),
        axis=alt.Axis(labelExpr=_binary_units("datum.value"), tickCount=8),
    )

    def layout(stacked: bool):
        width = 260 if stacked else 420
        return alt.layer(
            base.mark_line().encode(x=x, y=y, color=colour),
            base.mark_point(filled=True)
            .encode(
                x=x,
                y=y,
                color=colour,
                tooltip=[
                    "label:N",
                    alt.Tooltip("L:Q", title="T = S"),
                    alt.Tooltip("text:N", title="bytes"),
                ],
            )
            .properties(name="memory"),
            base.transform_filter("datum.last")
            .mark_text(align="right", dx=-6, dy=-8, fontSize=10)
            .encode(x=x, y=y, text="text:N", color=colour),
        ).properties(
            title=alt.TitleParams(
                text=alt.ExprRef(expr="'exact memory from shapes: B = ' + B + ', H = ' + H")
            ),
            width=width,
            height=260,
        )

    description = (
        "Memory explorer of chapter 11. Two sliders set the batch size B and the number of heads "
        "H. Lines show, on log scales against the sequence length T = S, the exact bytes of the "
        "float32 attention scores of all heads and of one head, of the boolean (B, T, S) attention "
        "mask and of the (B, 1, S) key mask, computed from their shapes; labels print the bytes "
        "at the longest length."
    )
    return kit.finish(
        layout, params, description, "memory", datasets={"memory": rows}, legend_bottom=False
    )
