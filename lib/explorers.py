"""Kernel-free explorers: Altair (Vega-Lite) charts whose sliders work in the static book.

The published book runs no Python, so these charts do their work in the
browser: masks are computed by Vega expressions from the slider values, and
values that need TensorFlow (attention weights) are computed at build time
for every slider position and filtered in the browser.

An :class:`Explorer` displays as a Vega-Lite chart in JupyterLab and as a
small HTML snippet in the built book that calls ``vegaEmbed`` from the
bundle the book serves itself (``_static/vega/vega-bundle.js``). When the
notebook is executed in batch (the book build), only the HTML snippet is
emitted: MyST-NB cannot render the Vega-Lite mime type and would warn.

>>> explorer = mask_explorer(max_length=8)
>>> sorted(p["name"] for p in explorer.spec["params"])
['len0', 'len1', 'padded']
>>> "vegaEmbed" in explorer.html()
True
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import altair as alt
import numpy as np

from lib._runtime import executed_in_batch
from lib.errors import MaskError
from lib.plots import FALSE_COLOUR, FALSE_MARK, TRUE_COLOUR, TRUE_MARK

CELL = 20  # pixels per mask cell


@dataclass
class Explorer:
    """A Vega-Lite spec with a text description, shown offline in the book and in JupyterLab."""

    spec: dict
    description: str

    @property
    def element_id(self) -> str:
        """A stable id (same spec, same id), so rebuilding the book changes nothing."""
        digest = hashlib.sha1(json.dumps(self.spec, sort_keys=True).encode()).hexdigest()
        return f"explorer-{digest[:12]}"

    def html(self) -> str:
        """The snippet for the built book: a container and a call to the book's own vegaEmbed."""
        spec = json.dumps(self.spec, sort_keys=True)
        element = self.element_id
        return (
            f'<div class="vega-explorer" id="{element}" role="figure" '
            f'aria-label="{_escape(self.description)}"></div>\n'
            '<script type="text/javascript">\n'
            "(function () {\n"
            f"  var spec = {spec};\n"
            "  function draw() {\n"
            f'    var element = document.getElementById("{element}");\n'
            "    if (!window.vegaEmbed) {\n"
            '      element.textContent = '
            '"This explorer needs the page\'s vega-embed script, which did not load.";\n'
            "      return;\n"
            "    }\n"
            '    window.vegaEmbed(element, spec, {actions: false, renderer: "svg"})\n'
            '      .then(function () { element.setAttribute("data-rendered", "true"); })\n'
            '      .catch(function (error) {'
            ' element.textContent = "Explorer failed: " + error; });\n'
            "  }\n"
            '  if (document.readyState === "loading") {\n'
            '    document.addEventListener("DOMContentLoaded", draw);\n'
            "  } else { draw(); }\n"
            "})();\n"
            "</script>\n"
        )

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        bundle = {
            "text/html": self.html(),
            "text/plain": f"<Explorer: {self.description}>",
        }
        # In the book build the Vega-Lite mime type is left out: the book renders the HTML
        # snippet, and MyST-NB's strict build would fail on a mime type it cannot render.
        if not executed_in_batch():
            bundle["application/vnd.vegalite.v5+json"] = self.spec
        return bundle


def _escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace('"', "&quot;")
            .replace("<", "&lt;").replace(">", "&gt;"))


def _finish(chart, *params: alt.Parameter, legend_bottom: bool = False):
    """The look every explorer shares: its controls, no view border, small left-aligned titles,
    and re-measuring when a slider makes the chart larger (instead of clipping it)."""
    chart = (
        chart.add_params(*params)
        .properties(autosize=alt.AutoSizeParams(type="pad", resize=True))
        .configure_view(strokeWidth=0)
        .configure_title(fontSize=12, anchor="start")
    )
    return chart.configure_legend(orient="bottom") if legend_bottom else chart


def _explorer(chart: alt.TopLevelMixin, description: str) -> Explorer:
    return Explorer(chart.to_dict(), description)


def _slider(name: str, value: int, minimum: int, maximum: int, label: str) -> alt.Parameter:
    return alt.param(
        name=name, value=value,
        bind=alt.binding_range(min=minimum, max=maximum, step=1, name=label),
    )


def _mask_cells(base: alt.Chart, x: str, y: str, field: str, x_title: str, y_title: str,
                title: str) -> alt.LayerChart:
    """Square cells coloured by the boolean ``field``, each marked ✓ or ·
    (readable without colour)."""
    colour = alt.Color(
        f"{field}:N",
        scale=alt.Scale(domain=[True, False], range=[TRUE_COLOUR, FALSE_COLOUR]),
        legend=alt.Legend(
            title="may attend",
            labelExpr=f"datum.value ? '{TRUE_MARK} True' : '{FALSE_MARK} False'",
        ),
    )
    encoding = dict(
        x=alt.X(f"{x}:O", title=x_title, axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{y}:O", title=y_title),
    )
    cells = base.mark_rect(stroke="white", strokeWidth=1.5).encode(
        color=colour,
        tooltip=[alt.Tooltip(f"{y}:O"), alt.Tooltip(f"{x}:O"), alt.Tooltip(f"{field}:N")],
        **encoding,
    )
    marks = base.mark_text(fontSize=11).encode(
        text=alt.Text("symbol:N"),
        color=alt.condition(f"datum.{field}", alt.value("white"), alt.value("#555555")),
        **encoding,
    ).transform_calculate(symbol=f"datum.{field} ? '{TRUE_MARK}' : '{FALSE_MARK}'")
    return alt.layer(cells, marks).properties(
        title=title, width=alt.Step(CELL), height=alt.Step(CELL)
    )


def mask_explorer(
    max_length: int = 10, lengths: tuple[int, int] = (6, 3), padded: int = 6
) -> Explorer:
    """Sliders for the two sentences' lengths and the padded length S; the (B, S) padding mask,
    the (B, T, 1) query and (B, 1, S) key expansions, and their (B, T, S) AND, side by side.

    Everything is computed in the browser: ``n_b = min(length_b, S)`` real tokens, then
    ``query = i < n_b``, ``key = j < n_b``, ``mask = query && key``.
    """
    if not 2 <= max_length <= 24:
        raise MaskError.expected("max_length", "an int from 2 to 24", repr(max_length))
    grid = [
        {"b": b, "i": i, "j": j}
        for b in range(2) for i in range(max_length) for j in range(max_length)
    ]
    len0 = _slider("len0", lengths[0], 1, max_length, "length of sentence 0 ")
    len1 = _slider("len1", lengths[1], 1, max_length, "length of sentence 1 ")
    pad = _slider("padded", padded, 1, max_length, "padded length S ")
    base = (
        alt.Chart(alt.Data(values=grid))
        .transform_filter("datum.i < padded && datum.j < padded")
        .transform_calculate(
            n="min(datum.b == 0 ? len0 : len1, padded)",
        )
        .transform_calculate(
            query="datum.i < datum.n", key="datum.j < datum.n",
        )
        .transform_calculate(both="datum.query && datum.key")
    )
    padding = _mask_cells(
        base.transform_filter("datum.i == 0"), "j", "b", "key", "token position", "sentence b",
        "padding mask (B, S)",
    )
    rows = []
    for b in range(2):
        sentence = base.transform_filter(f"datum.b == {b}")
        column = _mask_cells(sentence.transform_filter("datum.j == 0"), "b", "i", "query",
                             "", "query i", f"b={b}: mask[:, :, None]  (T, 1)")
        row = _mask_cells(sentence.transform_filter("datum.i == 0"), "j", "b", "key",
                          "key j", "", "mask[:, None, :]  (1, S)")
        square = _mask_cells(sentence, "j", "i", "both", "key j", "query i",
                             "AND: attention mask (T, S)")
        rows.append(alt.hconcat(column, row, square, spacing=30))
    chart = _finish(alt.vconcat(padding, *rows, spacing=25), len0, len1, pad, legend_bottom=True)
    description = (
        "Interactive mask explorer. Three sliders set the lengths of sentence 0 and sentence 1 "
        "and the padded length S. The charts show the (B, S) padding mask, then for each "
        "sentence the query column mask[:, :, None], the key row mask[:, None, :] and their "
        "AND, the (T, S) attention mask; True cells are dark with a check mark, False cells "
        "light with a dot."
    )
    return _explorer(chart, description)


def weights_explorer(
    weights_by_value: Mapping[int, np.ndarray],
    labels_by_value: Mapping[int, Sequence[str]],
    slider_label: str,
    value: int | None = None,
    title: str = "attention weights",
) -> Explorer:
    """A slider over precomputed attention weights: one (H, T, S) array per slider value.

    ``labels_by_value[v]`` names the T (= S) token positions for slider value ``v``. Heads are
    drawn side by side; each cell shows its weight (0 exactly where the mask said False).
    """
    if not weights_by_value:
        raise MaskError.expected(
            "weights_by_value", "at least one slider value", "an empty mapping"
        )
    rows = []
    for key, array in sorted(weights_by_value.items()):
        array = np.asarray(array, dtype=float)
        if array.ndim != 3:
            raise MaskError.expected(
                f"weights_by_value[{key}]", "rank 3 (H, T, S)", f"shape {array.shape}"
            )
        labels = list(labels_by_value[key])
        heads, queries, keys = array.shape
        for h in range(heads):
            for i in range(queries):
                for j in range(keys):
                    weight = float(array[h, i, j])
                    rows.append({
                        "v": int(key), "head": f"head {h}",
                        "i": i, "j": j,
                        "query": f"{i}: {labels[i]}", "key": f"{j}: {labels[j]}",
                        "w": round(weight, 4),
                        "label": "0" if weight == 0 else f"{weight:.2f}",
                    })
    values = sorted(weights_by_value)
    chosen = values[-1] if value is None else value
    slider = _slider("v", chosen, values[0], values[-1], slider_label)
    base = alt.Chart(alt.Data(values=rows)).transform_filter("datum.v == v")
    encoding = dict(
        x=alt.X("key:N", title="key (S)", sort=None, axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("query:N", title="query (T)", sort=None),
    )
    cells = base.mark_rect(stroke="white").encode(
        color=alt.Color("w:Q", title="weight", scale=alt.Scale(scheme="viridis", domain=[0, 1])),
        tooltip=["query:N", "key:N", alt.Tooltip("w:Q", format=".4f")],
        **encoding,
    )
    text = base.mark_text(fontSize=9).encode(
        text="label:N",
        color=alt.condition("datum.w > 0.6", alt.value("black"), alt.value("white")),
        **encoding,
    )
    chart = _finish(
        alt.layer(cells, text)
        .properties(width=alt.Step(34), height=alt.Step(24))
        .facet(column=alt.Column("head:N", title=None))
        .properties(title=title),
        slider,
    )
    description = (
        "Interactive heatmaps of attention weights, one per head. "
        f"A slider ({slider_label.strip()}) "
        "chooses a precomputed case; rows are queries, columns are keys, and each cell shows "
        "its weight, exactly 0 on masked keys."
    )
    return _explorer(chart, description)


def in_position_order(explorer: Explorer) -> Explorer:
    """A :func:`weights_explorer` whose query and key axes stay in position order (chapter 6).

    ``weights_explorer`` leaves its axes unsorted, and Vega then orders them by first
    appearance and keeps that order as the slider filters the data: when a position's label
    changes with the slider (a word becomes ``<pad>``), its row and column move to the end.
    Sorting both axes by the position index (``i`` for queries, ``j`` for keys) keeps every
    row and column in place. Returns a new :class:`Explorer`; the argument is unchanged.

    >>> explorer = weights_explorer({1: np.ones((1, 2, 2)), 2: np.ones((1, 2, 2))},
    ...                             {1: ["a", "<pad>"], 2: ["a", "b"]}, "length")
    >>> in_position_order(explorer).spec["spec"]["layer"][0]["encoding"]["y"]["sort"]
    {'field': 'i', 'op': 'min'}
    """
    spec = json.loads(json.dumps(explorer.spec))
    layers = spec.get("spec", {}).get("layer", [])
    if not layers or any({"x", "y"} - set(layer.get("encoding", {})) for layer in layers):
        raise MaskError.expected(
            "explorer", "an explorer made by weights_explorer (layers with x and y)",
            f"a spec with top-level keys {sorted(spec)}",
        )
    for layer in layers:
        layer["encoding"]["x"]["sort"] = {"field": "j", "op": "min"}
        layer["encoding"]["y"]["sort"] = {"field": "i", "op": "min"}
    return Explorer(spec, explorer.description)
