"""The pieces every kernel-free explorer is made of (introduced with the explorers of chapter 1).

A kernel-free explorer is an Altair (Vega-Lite) chart whose controls work in
the published book, where no Python runs: masks and ids are computed by Vega
expressions from the controls, and values that need TensorFlow are computed
at build time and filtered in the browser. This module holds what the
explorers share, under public names:

- :class:`Explorer`: the spec (a wide layout and, optionally, a stacked one
  for narrow screens), its description, and the HTML snippet the book embeds;
- controls: :func:`slider`, :func:`checkbox`, :func:`radio`, :func:`text_input`;
- typed sentences: :func:`sentence_params` and :func:`tokens`, which split,
  number and pad words in the browser exactly as :mod:`lib.vocab` and
  :func:`lib.padding.pad_batch` do;
- marks: :func:`mask_cells` (✓ / · cells in the mask colours of :mod:`lib.plots`),
  :func:`value_cells`, :func:`notes` (messages computed from the controls);
- :func:`finish`: the shared look, both layouts, and range checks of arguments
  (:func:`check_int`).

The HTML escapes the embedded spec: ``<``, ``>`` and ``&`` inside it are
written as ``\\u003c`` and so on, so a label containing ``</script>`` cannot end
the script early; the description goes through :func:`html.escape`.

>>> explorer = Explorer(wide={"mark": "point", "description": "</script>"}, description='a "b"',
...                     kind="demo")
>>> "</script>" in explorer.html().split("<script")[1].split("\\n", 1)[1].rsplit("</script>", 1)[0]
False
>>> 'aria-label="a &quot;b&quot;"' in explorer.html()
True
"""

from __future__ import annotations

import copy
import hashlib
import html
import json
import numbers
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import altair as alt

from lib._runtime import executed_in_batch
from lib.errors import MaskError, MaskTypeError
from lib.plots import FALSE_COLOUR, FALSE_MARK, HIGHLIGHT_COLOUR, TRUE_COLOUR, TRUE_MARK

__all__ = [
    "CELL",
    "FALSE_COLOUR",
    "FALSE_MARK",
    "HIGHLIGHT_COLOUR",
    "LINE_COLOURS",
    "MAX_WORDS",
    "PLACEHOLDERS",
    "TRUE_COLOUR",
    "TRUE_MARK",
    "WEIGHT_SCHEME",
    "Explorer",
    "check_int",
    "checkbox",
    "finish",
    "js_string",
    "mask_cells",
    "note",
    "notes",
    "panels",
    "radio",
    "script_json",
    "sentence_notes",
    "sentence_params",
    "slider",
    "slot_fields",
    "text_input",
    "title_lines",
    "vega_spec",
    "token_rows",
    "tokens",
    "value_cells",
    "words_expression",
]

CELL = 20
"""Pixels per mask cell."""

WEIGHT_SCHEME = "viridis"
"""The colour scheme of attention weights (0 dark, 1 bright)."""

LINE_COLOURS = ("#e45756", "#f58518", "#4c78a8", "#54a24b")
"""Colours of lines and points: mid-tones that read on a light and on a dark page."""

MAX_WORDS = 10
"""How many words of a typed sentence the explorers use (as :mod:`lib.playground` allows)."""


_WHITESPACE = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
"""Every character ``str.split()`` splits on, so the browser splits words as Python does."""


# --- the explorer and its HTML ------------------------------------------------------------------


@dataclass(frozen=True)
class Explorer:
    """A Vega-Lite explorer: a ``wide`` spec, an optional stacked ``narrow`` one, and a description.

    ``kind`` names the explorer in the page (``data-explorer`` attribute), so tests and readers of
    the HTML can find it. Both specs read their data from ``datasets`` (written once into the page).
    In the book, the snippet draws the wide layout and switches to the narrow one when the wide
    one does not fit its container (a phone), and back when there is room again.
    """

    wide: dict
    description: str
    kind: str
    narrow: dict | None = None
    datasets: dict = field(default_factory=dict)

    @property
    def spec(self) -> dict:
        """The wide spec with its data: a complete Vega-Lite spec (what JupyterLab renders)."""
        spec = copy.deepcopy(self.wide)
        if self.datasets:
            spec["datasets"] = copy.deepcopy(self.datasets)
        return spec

    @property
    def element_id(self) -> str:
        """A stable id (same specs, same id), so rebuilding the book changes nothing."""
        text = json.dumps([self.wide, self.narrow, self.datasets, self.kind], sort_keys=True)
        return f"explorer-{hashlib.sha1(text.encode()).hexdigest()[:12]}"

    def html(self) -> str:
        """The snippet for the built book: a container and a script drawing it with the book's Vega.

        The Vega-Lite specs are compiled to Vega here, at build time (:func:`vega_spec`), so the
        page loads only the Vega runtime (no Vega-Lite compiler, no vega-embed). The datasets
        are written once and put into both layouts in the browser.
        """
        narrow = vega_spec(self.narrow, self.datasets) if self.narrow else None
        return (
            f'<div class="vega-explorer" id="{self.element_id}" '
            f'data-explorer="{html.escape(self.kind)}" '
            f'role="figure" aria-label="{html.escape(self.description)}">'
            '<p class="explorer-notes" aria-live="polite"></p>'
            '<div class="explorer-chart"></div></div>\n'
            '<script type="text/javascript">\n'
            f"{_EMBED_JS}("
            f'"{self.element_id}", {script_json(vega_spec(self.wide, self.datasets))}, '
            f"{script_json(narrow)}, {script_json(self.datasets)}, {script_json(PLACEHOLDERS)});\n"
            "</script>\n"
        )

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        """The book build gets the HTML snippet; a live notebook gets the Vega-Lite spec.

        MyST-NB's strict build would fail on a mime type it cannot render, so the build gets
        only HTML. A live JupyterLab renders Vega-Lite itself, and would prefer HTML if both
        came; but the snippet needs the book's Vega script, which a notebook does not load.
        """
        text = f"<Explorer {self.kind}: {self.description}>"
        if executed_in_batch():
            return {"text/html": self.html(), "text/plain": text}
        bundle = {"application/vnd.vegalite.v5+json": self.spec, "text/plain": text}
        return bundle


def script_json(value: Any) -> str:
    """Compact JSON that is safe inside ``<script>``: ``<``, ``>``, ``&`` and line separators escaped.

    >>> script_json({"label": "</script><b>&"})
    '{"label":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e\\\\u0026"}'
    """
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    for character in "<>&\u2028\u2029":
        text = text.replace(character, f"\\u{ord(character):04x}")
    return text


PLACEHOLDERS = {"ink": "#010203", "background": "#040506", "grid": "#070809"}
"""Stand-in colours compiled into the Vega specs, replaced in the browser by the colours the
explorer sits on (the page's text and background, light or dark), since the compiled spec
cannot ask the page for them."""

_COLOUR_CONFIG = {
    "background": None, "view": {"stroke": None},
    "rect": {"stroke": PLACEHOLDERS["background"]},
    "axis": {key: PLACEHOLDERS["ink"] for key in ("labelColor", "titleColor", "domainColor", "tickColor")}
    | {"gridColor": PLACEHOLDERS["grid"]},
    "legend": {"labelColor": PLACEHOLDERS["ink"], "titleColor": PLACEHOLDERS["ink"]},
    "title": {"color": PLACEHOLDERS["ink"], "subtitleColor": PLACEHOLDERS["ink"]},
    "header": {"labelColor": PLACEHOLDERS["ink"], "titleColor": PLACEHOLDERS["ink"]},
    "text": {"color": PLACEHOLDERS["ink"]},
}


def _merged(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def vega_spec(spec: dict, datasets: dict | None = None) -> dict:
    """The Vega spec of a Vega-Lite ``spec``, compiled by vl-convert, with the page's colours left open.

    Text, axes, legends and cell borders get the :data:`PLACEHOLDERS` colours, which the
    book's script replaces with the colours around the explorer. The values of ``datasets``
    are left out of the result (the page carries them once); the script puts them back.

    >>> compiled = vega_spec({"mark": "rect", "data": {"name": "cells"},
    ...                       "encoding": {"x": {"field": "k", "type": "ordinal"}}}, {"cells": [{"k": 1}]})
    >>> compiled["$schema"].split("/")[-1], [d for d in compiled["data"] if d["name"] == "cells"]
    ('v5.json', [{'name': 'cells'}])
    >>> PLACEHOLDERS["ink"] in json.dumps(compiled)
    True
    """
    import vl_convert

    full = copy.deepcopy(spec)
    full["config"] = _merged(full.get("config", {}), _COLOUR_CONFIG)
    if datasets:
        full["datasets"] = datasets
    compiled = vl_convert.vegalite_to_vega(full, vl_version=_vl_version())
    for entry in compiled.get("data", []):
        if datasets and entry.get("name") in datasets:
            entry.pop("values", None)
    return compiled


def _vl_version() -> str:
    """The Vega-Lite version Altair writes, as vl-convert names it (``"5.20"``)."""
    return ".".join(alt.VEGALITE_VERSION.split(".")[:2])


# One function per page would do, but each snippet must work alone (a notebook output, a page
# with one explorer), so every snippet defines it if the page has not yet.
_EMBED_JS = r"""(window.bookExplorer = window.bookExplorer || (function () {
  var css = ".vega-explorer{display:block;max-width:100%;margin:.5rem 0}"
    + ".vega-explorer .explorer-chart"
    + "{display:block;max-width:100%}"
    + ".vega-explorer .explorer-notes{white-space:pre-line;color:#b35000;margin:0 0 .3rem}"
    + ".vega-explorer.explorer-on-dark .explorer-notes{color:#ffa657}"
    + ".vega-explorer .explorer-notes:empty{display:none}"
    + ".vega-explorer .vega-bindings"
    + "{display:flex;flex-wrap:wrap;gap:.2rem 1.2rem;margin-bottom:.5rem}"
    + ".vega-explorer .vega-bind{max-width:100%}"
    + ".vega-explorer .vega-bind-radio{display:inline-flex;flex-wrap:wrap;gap:0 .8rem}"
    + ".vega-explorer .vega-bind-radio label{white-space:nowrap}"
    + ".vega-explorer .vega-bind-name{margin-right:.3rem}"
    + ".vega-explorer input[type=text]{width:15rem;max-width:100%}";
  function rgb(text) {
    var parts = (text || "").match(/[\d.]+/g);
    if (!parts || parts.length < 3 || (parts.length > 3 && +parts[3] === 0)) { return null; }
    return parts.slice(0, 3).map(Number);
  }
  function luminance(colour) {
    var c = colour.map(function (v) {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }
  function surroundings(element) {
    // The colours the explorer actually sits on: the page's text colour where it is, and the
    // first opaque background behind it (a theme may put outputs on a card of their own).
    var ink = rgb(window.getComputedStyle(element).color) || [34, 34, 34], background = null;
    var node = element;
    for (; node && node.nodeType === 1 && !background; node = node.parentElement) {
      background = rgb(window.getComputedStyle(node).backgroundColor);
    }
    background = background || [255, 255, 255];
    return {ink: "rgb(" + ink.join(", ") + ")", background: "rgb(" + background.join(", ") + ")",
            dark: luminance(background) < 0.2};
  }
  function coloured(spec, placeholders, colours) {
    // The compiled spec names stand-in colours (lib.explorer_kit.PLACEHOLDERS): put in the
    // colours the explorer sits on.
    var text = JSON.stringify(spec);
    var actual = {ink: colours.ink, background: colours.background,
                  grid: colours.dark ? "#555555" : "#dddddd"};
    Object.keys(placeholders).forEach(function (key) {
      text = text.split(placeholders[key]).join(actual[key]);
    });
    return JSON.parse(text);
  }
  function bound(spec) {
    return (spec.signals || []).filter(function (s) { return s.bind; });
  }
  function order(element, spec) {
    // Controls in the order of the spec's signals (Vega adds them in the order it binds them).
    var names = bound(spec).map(function (s) { return s.name; });
    var box = element.querySelector(".vega-bindings");
    if (!box) { return; }
    function rank(node) {
      var input = node.querySelector("input, select");
      var index = input ? names.indexOf(input.getAttribute("name")) : -1;
      return index < 0 ? names.length : index;
    }
    Array.prototype.slice.call(box.children).sort(function (a, b) { return rank(a) - rank(b); })
      .forEach(function (node) { box.appendChild(node); });
  }
  var loading = null;
  function runtime() {
    // The Vega runtime, loaded once per page when the first explorer is about to be shown (the
    // page names it in <meta name="book-vega-runtime">), so that it does not delay the page.
    if (window.vega && window.vega.View) { return Promise.resolve(window.vega); }
    if (!loading) {
      loading = new Promise(function (resolve, reject) {
        var named = document.querySelector('meta[name="book-vega-runtime"]');
        if (!named) { reject(new Error("the page names no Vega runtime")); return; }
        var script = document.createElement("script");
        script.src = named.getAttribute("content");
        script.onload = function () {
          if (window.vega && window.vega.View) { resolve(window.vega); } else { reject(new Error("no Vega")); }
        };
        script.onerror = function () { reject(new Error("could not load " + script.src)); };
        document.head.appendChild(script);
      });
    }
    return loading;
  }
  return function (id, wide, narrow, datasets, placeholders) {
    var element = document.getElementById(id), view = null, layout = "wide";
    var values = {}, pending = 0;
    var watcher = null, begun = false;
    var chart = element.querySelector(".explorer-chart");
    var notes = element.querySelector(".explorer-notes");
    if (!document.getElementById("vega-explorer-style")) {
      var style = document.createElement("style");
      style.id = "vega-explorer-style";
      style.textContent = css;
      document.head.appendChild(style);
    }
    function fits() {
      var svg = chart.querySelector("svg");
      return !svg || svg.getBoundingClientRect().width <= element.clientWidth + 1;
    }
    function remember() {
      if (!view) { return; }
      bound(wide).forEach(function (s) {
        try { values[s.name] = view.signal(s.name); } catch (e) { /* not a signal */ }
      });
    }
    function showNotes(name, value) { notes.textContent = (value || "").replace(/\n+$/, ""); }
    function draw(which) {
      var ticket = ++pending;
      remember();
      var colours = surroundings(element);
      element.classList.toggle("explorer-on-dark", colours.dark);
      var spec = coloured(which === "narrow" ? narrow : wide, placeholders, colours);
      (spec.data || []).forEach(function (d) {
        if (d.name in datasets) { d.values = datasets[d.name]; }
      });
      (spec.signals || []).forEach(function (s) {
        if (s.bind && s.name in values) { s.value = values[s.name]; }
      });
      element.setAttribute("data-rendered", "false");
      if (view) { view.finalize(); view = null; }
      Array.prototype.slice.call(element.querySelectorAll(":scope > .vega-bindings"))
        .forEach(function (node) { node.remove(); });
      var drawing;
      try {
        drawing = new window.vega.View(window.vega.parse(spec), {renderer: "svg", container: chart, hover: true});
        drawing = drawing.runAsync();
      } catch (error) { drawing = Promise.reject(error); }
      return drawing
        .then(function (result) {
          if (ticket !== pending) { result.finalize(); return; }
          view = result;
          layout = which;
          element.vegaView = view;
          element.setAttribute("data-layout", which);
          var controls = chart.querySelector(".vega-bindings");
          if (controls) { element.insertBefore(controls, element.firstChild); }   // controls on top
          order(element, spec);
          if ((spec.signals || []).some(function (s) { return s.name === "notes"; })) {
            view.addSignalListener("notes", showNotes);
            showNotes("notes", view.signal("notes"));
          }
          if (which === "wide" && narrow && !fits()) { return draw("narrow"); }
          if (watcher) {
            watcher.disconnect();
            if (which === "wide") { watcher.observe(chart.querySelector("svg") || chart); }
          }
          element.setAttribute("data-rendered", "true");
        })
        .catch(function (error) {
          chart.textContent = "Explorer failed: " + error;
          element.setAttribute("data-rendered", "error");
        });
    }
    function begin() {
      if (begun) { return; }
      begun = true;
      runtime().then(drawFirst, function () {
        chart.textContent = "This explorer needs the page's Vega script, which did not load.";
        element.setAttribute("data-rendered", "error");
      });
    }
    function drawFirst() {
      var width = element.clientWidth;
      draw(narrow && width < 360 ? "narrow" : "wide");
      window.addEventListener("resize", function () {
        if (element.clientWidth === width) { return; }
        width = element.clientWidth;
        draw(narrow && width < 360 ? "narrow" : "wide");
      });
      if (window.ResizeObserver && narrow) {
        // A control can make the wide chart larger than its column: then stack it.
        watcher = new ResizeObserver(function () {
          var drawn = element.getAttribute("data-rendered") === "true";
          if (view && layout === "wide" && drawn && !fits()) {
            draw("narrow");
          }
        });
      }
      new MutationObserver(function () { draw(layout); })
        .observe(document.documentElement, {attributes: true, attributeFilter: ["data-theme"]});
    }
    function start() {
      if (!window.IntersectionObserver) { begin(); return; }
      // Drawn when it comes within a screen's height of the viewport, not at load: a page
      // drawing all its explorers at once kept a phone's main thread busy for a second.
      element.setAttribute("data-rendered", "waiting");
      var near = new IntersectionObserver(function (entries) {
        if (entries.some(function (entry) { return entry.isIntersecting; })) {
          near.disconnect();
          begin();
        }
      }, {rootMargin: "100% 0px"});
      near.observe(element);
      window.addEventListener("beforeprint", begin);
    }
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", start);
    } else { start(); }
  };
})())"""


# --- argument checks ----------------------------------------------------------------------------


def check_int(name: str, value: Any, low: int, high: int) -> int:
    """``value`` as an int if it is a whole number from ``low`` to ``high``, else a lib error.

    The explorers check every length against their sliders' range, so a chart never starts
    at a setting its own controls cannot show.

    >>> check_int("padded", 6, 1, 10)
    6
    >>> check_int("padded", 11, 1, 10)
    Traceback (most recent call last):
    ...
    lib.errors.MaskError: `padded`: expected an int from 1 to 10, received 11.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise MaskTypeError.expected(
            name, f"an int from {low} to {high}", f"{type(value).__name__} {value!r}"
        )
    if not low <= value <= high:
        raise MaskError.expected(name, f"an int from {low} to {high}", repr(value))
    return int(value)


def _check_label(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise MaskTypeError.expected(name, "a str", f"{type(value).__name__} {value!r}")
    return value


# --- controls -----------------------------------------------------------------------------------


def slider(name: str, value: int, minimum: int, maximum: int, label: str) -> alt.Parameter:
    """An integer slider from ``minimum`` to ``maximum``, starting at ``value``."""
    check_int(name, value, minimum, maximum)
    return alt.param(
        name=name,
        value=value,
        bind=alt.binding_range(min=minimum, max=maximum, step=1, name=_check_label("label", label)),
    )


def checkbox(name: str, value: bool, label: str) -> alt.Parameter:
    """A check box (``True`` when ticked)."""
    if not isinstance(value, bool):
        raise MaskTypeError.expected(name, "a bool", f"{type(value).__name__} {value!r}")
    return alt.param(
        name=name, value=value, bind=alt.binding_checkbox(name=_check_label("label", label))
    )


def radio(
    name: str, value: str, options: Sequence[str], label: str, labels: Sequence[str] | None = None
) -> alt.Parameter:
    """Radio buttons over ``options`` (strings), starting at ``value``."""
    options = list(options)
    if value not in options:
        raise MaskError.expected(name, f"one of {options}", repr(value))
    binding = alt.binding_radio(
        options=options,
        name=_check_label("label", label),
        **({"labels": list(labels)} if labels else {}),
    )
    return alt.param(name=name, value=value, bind=binding)


def text_input(
    name: str, value: str, label: str, placeholder: str = "type a sentence"
) -> alt.Parameter:
    """A text box (a Vega-Lite ``input: "text"`` binding), starting with ``value``."""
    _check_label(name, value)
    return alt.param(
        name=name,
        value=value,
        bind=alt.binding(input="text", name=_check_label("label", label), placeholder=placeholder),
    )


# --- typed sentences ----------------------------------------------------------------------------


def js_string(text: str) -> str:
    """A single-quoted Vega expression string literal for ``text``."""
    return (
        "'"
        + "".join(
            c if c.isalnum() or c in " -_.,:;!?()[]{}<>=+*/|" else f"\\u{ord(c):04x}" for c in text
        )
        + "'"
    )


def words_expression(text: str) -> str:
    """A Vega expression for the words of the string expression ``text``, split as ``str.split()``.

    Every run of Python white space becomes one space, the ends are trimmed, and an empty
    result gives an empty list (``''.split()`` is ``[]``).
    """
    runs = f"regexp({js_string('[' + _WHITESPACE + ']+')}, 'g')"
    clean = f"replace(replace({text}, {runs}, ' '), regexp('^ | $', 'g'), '')"
    return f"({clean} == '' ? [] : split({clean}, ' '))"


def sentence_params(
    values: Sequence[str], labels: Sequence[str] | None = None, prefix: str = "s"
) -> list[alt.Parameter]:
    """Text boxes for typed sentences and, for each, two derived parameters.

    For sentence ``b`` (box ``{prefix}{b}``): ``{prefix}{b}_words``, its first :data:`MAX_WORDS`
    words, and ``{prefix}{b}_count``, how many words it has in all (for the notes); and
    ``{prefix}_all``, the list of every sentence's words.
    """
    if isinstance(values, str) or not values:
        raise MaskError.expected("values", "a non-empty list of sentences", repr(values))
    labels = labels or [f"sentence {b} " for b in range(len(values))]
    if len(labels) != len(values):
        raise MaskError.expected(
            "labels", f"{len(values)} labels, one per sentence", f"{len(labels)}"
        )
    params = []
    for b, (value, label) in enumerate(zip(values, labels)):
        name = f"{prefix}{b}"
        params.append(text_input(name, value, label))
        params.append(
            alt.param(name=f"{name}_words", expr=f"slice({words_expression(name)}, 0, {MAX_WORDS})")
        )
        params.append(alt.param(name=f"{name}_count", expr=f"length({words_expression(name)})"))
    everything = ", ".join(f"{prefix}{b}_words" for b in range(len(values)))
    params.append(alt.param(name=f"{prefix}_all", expr=f"[{everything}]"))
    return params


def token_rows(sentences: int, slots: int = MAX_WORDS) -> list[dict]:
    """The data :func:`tokens` works on: one row per (sentence, word) and per (sentence, slot).

    ``r`` is ``"t"`` for a word position ``p`` and ``"s"`` for a slot ``p`` of the padded matrix.
    """
    check_int("sentences", sentences, 1, 8)
    check_int("slots", slots, 1, 64)
    return [{"b": b, "p": p, "r": "t"} for b in range(sentences) for p in range(MAX_WORDS)] + [
        {"b": b, "p": p, "r": "s"} for b in range(sentences) for p in range(slots)
    ]


def tokens(
    chart: alt.Chart,
    sentences: int,
    fit: Sequence[int] | None = None,
    prefix: str = "s",
    padded: str = f"{MAX_WORDS}",
    padding: str = "'post'",
    truncating: str = "'post'",
    oov: bool = False,
) -> alt.Chart:
    """Transforms that turn typed sentences into words, vocabulary ids and a padded id matrix.

    ``chart`` must read :func:`token_rows` data. ``fit`` lists the sentences the vocabulary is
    fitted on (all by default); ``padded``, ``padding`` and ``truncating`` are Vega expressions
    (a parameter name, or a quoted literal). The fields it adds:

    - every row: ``words`` and ``n`` (the sentence's words and their number);
    - word rows (``r == "t"``): ``word`` (``null`` past the sentence's end), ``raw`` (the
      ``LabelEncoder`` id: the rank of the word in code-point order, from 0) and ``id``
      (``raw + 1``, the :class:`lib.vocab.Vocabulary` id). A word of a sentence outside ``fit``
      that the vocabulary lacks has ``known == false`` and, with ``oov``, the id one past the
      words (``Vocabulary.fit(..., oov=True).oov_id``), else ``null``;
    - slot rows (``r == "s"``): for slot ``p < padded`` of the padded matrix, ``word`` and ``id``
      (``0`` and ``word == null`` for padding) and ``real`` (``id != 0``), laid out as
      :func:`lib.padding.pad_batch` lays them out; ``kept`` (words that survive truncation);
    - ``vocabulary``: how many distinct words the vocabulary has.

    Sorting: Vega compares strings by UTF-16 code units, NumPy (and so ``LabelEncoder``) by code
    points; they differ only when a word holds a character above U+FFFF. The sort key moves
    those characters after every other one (``\\uffff`` before each high surrogate), so the
    order is code-point order for every word without the (unassigned) character U+FFFF.
    """
    check_int("sentences", sentences, 1, 8)
    fit = list(range(sentences)) if fit is None else list(fit)
    if not fit or any(not 0 <= b < sentences for b in fit):
        raise MaskError.expected("fit", f"sentence indices from 0 to {sentences - 1}", repr(fit))
    words = f"{prefix}_all[datum.b]"
    in_fit = " || ".join(f"datum.b == {b}" for b in fit)
    return (
        chart.transform_calculate(words=words)
        .transform_calculate(n="length(datum.words)", S=padded)
        .transform_calculate(kept="min(datum.n, datum.S)")
        .transform_calculate(
            # slot p holds word `start + p - offset` (pad_batch: truncate, then pad)
            first=f"{truncating} == 'pre' ? max(datum.n - datum.S, 0) : 0",
            offset=f"{padding} == 'pre' ? datum.S - datum.kept : 0",
        )
        .transform_calculate(
            t="datum.r == 't' ? datum.p : "
            "(datum.p < datum.S && datum.p >= datum.offset && datum.p < datum.offset + datum.kept"
            " ? datum.first + datum.p - datum.offset : -1)",
        )
        .transform_calculate(word="datum.t >= 0 && datum.t < datum.n ? datum.words[datum.t] : null")
        .transform_calculate(
            key="datum.word == null ? null : "
            "replace(datum.word, regexp('[\\ud800-\\udbff]', 'g'), '\\uffff$&')",
            fits=f"datum.r == 't' && datum.word != null && ({in_fit})",
        )
        .transform_window(rank="dense_rank()", groupby=["fits"], sort=[alt.SortField("key")])
        .transform_calculate(fitted="datum.fits ? datum.rank : null")
        .transform_joinaggregate(label="max(fitted)", groupby=["key"])
        .transform_joinaggregate(vocabulary="max(fitted)")
        .transform_calculate(known="datum.word != null && isValid(datum.label)")
        .transform_calculate(
            id="datum.word == null ? (datum.r == 's' ? 0 : null) : "
            f"(datum.known ? datum.label : {'datum.vocabulary + 1' if oov else 'null'})",
            raw="datum.known ? datum.label - 1 : null",
        )
        .transform_calculate(real="datum.word != null")
    )


def slot_fields(
    chart: alt.Chart,
    prefix: str = "s",
    sentence: str = "datum.b",
    positions: Sequence[str] = ("i", "j"),
    padded: str = "padded",
) -> alt.Chart:
    """Fields for positions of a sentence padded at the end to ``padded`` (a Vega expression).

    ``sentence`` is an expression giving the sentence index. Adds ``words``, ``n`` (its
    words), ``kept`` (``min(n, padded)``, what survives truncation at the end) and, for each
    field ``f`` in ``positions``: ``f_real`` (``f < kept``, the padding mask at ``f``) and
    ``f_label`` (``"f word"``, or ``"f <pad>"`` in a padded slot).
    """
    chart = chart.transform_calculate(words=f"{prefix}_all[{sentence}]")
    chart = chart.transform_calculate(n="length(datum.words)").transform_calculate(
        kept=f"min(datum.n, {padded})"
    )
    for f in positions:
        chart = chart.transform_calculate(**{f"{f}_real": f"datum.{f} < datum.kept"})
        chart = chart.transform_calculate(
            **{
                f"{f}_label": f"datum.{f} + ' ' + "
                f"(datum.{f}_real ? datum.words[datum.{f}] : '<pad>')"
            }
        )
    return chart


# --- marks --------------------------------------------------------------------------------------


def mask_cells(
    base: alt.Chart,
    x: str,
    y: str,
    field: str,
    x_title: str,
    y_title: str,
    title: Any,
    name: str | None = None,
    x_sort: Any = None,
    y_sort: Any = None,
    x_label_angle: int = 0,
    label_limit: int = 80,
    x_axis: bool = True,
    y_axis: bool = True,
    legend: bool = True,
) -> alt.LayerChart:
    """Square cells coloured by the boolean ``field``, each marked ✓ or · (readable without
    colour).

    ``x`` and ``y`` are ordinal fields; ``x_sort``/``y_sort`` order them (e.g. by position when
    the field is a word label); ``x_axis=False`` or ``y_axis=False`` hides an axis (the single
    column of a (T, 1) mask needs none); ``legend=False`` leaves out the "may attend" legend
    (one per explorer is enough). ``name`` names the cells' view (its Vega mark is
    ``{name}_marks``), so that tests can read the drawn cells from the Vega view.
    """
    colour = alt.Color(
        f"{field}:N",
        scale=alt.Scale(domain=[True, False], range=[TRUE_COLOUR, FALSE_COLOUR]),
        legend=alt.Legend(
            title="may attend", labelExpr=f"datum.value ? '{TRUE_MARK} True' : '{FALSE_MARK} False'"
        )
        if legend
        else None,
    )
    encoding = dict(
        x=alt.X(
            f"{x}:O",
            title=x_title,
            sort=alt.Undefined if x_sort is None else x_sort,
            axis=alt.Axis(labelAngle=x_label_angle, labelLimit=label_limit) if x_axis else None,
        ),
        y=alt.Y(
            f"{y}:O",
            title=y_title,
            sort=alt.Undefined if y_sort is None else y_sort,
            axis=alt.Axis(labelLimit=label_limit) if y_axis else None,
        ),
    )
    cells = base.mark_rect(strokeWidth=1.5).encode(
        color=colour,
        tooltip=[alt.Tooltip(f"{y}:O"), alt.Tooltip(f"{x}:O"), alt.Tooltip(f"{field}:N")],
        **encoding,
    )
    if name:
        cells = cells.properties(name=name)
    marks = (
        base.mark_text(fontSize=11)
        .encode(
            text=alt.Text("symbol:N"),
            color=alt.condition(f"datum.{field}", alt.value("white"), alt.value("#555555")),
            **encoding,
        )
        .transform_calculate(symbol=f"datum.{field} ? '{TRUE_MARK}' : '{FALSE_MARK}'")
    )
    return alt.layer(cells, marks).properties(
        title=title, width=alt.Step(CELL), height=alt.Step(CELL)
    )


def value_cells(
    base: alt.Chart,
    x: str,
    y: str,
    text: str,
    fill: str,
    x_title: str,
    y_title: str,
    title: Any,
    name: str | None = None,
    x_sort: Any = None,
    y_sort: Any = None,
    width: int = 30,
    height: int = 24,
    label_limit: int = 80,
    x_label_angle: int = 0,
    subtext: str | None = None,
    font_size: int = 11,
) -> alt.LayerChart:
    """Cells that print a value (``text``), filled dark where the boolean ``fill`` is true.

    Used for id matrices (dark = a real token) and masks in other conventions (dark = may
    attend). ``subtext`` prints a second, smaller line (e.g. the word of an id).
    """
    encoding = dict(
        x=alt.X(
            f"{x}:O",
            title=x_title,
            sort=alt.Undefined if x_sort is None else x_sort,
            axis=alt.Axis(labelAngle=x_label_angle, labelLimit=label_limit),
        ),
        y=alt.Y(
            f"{y}:O",
            title=y_title,
            sort=alt.Undefined if y_sort is None else y_sort,
            axis=alt.Axis(labelLimit=label_limit),
        ),
    )
    cells = base.mark_rect(strokeWidth=1.5).encode(
        color=alt.Color(
            f"{fill}:N",
            scale=alt.Scale(domain=[True, False], range=[TRUE_COLOUR, FALSE_COLOUR]),
            legend=None,
        ),
        tooltip=[alt.Tooltip(f"{y}:O"), alt.Tooltip(f"{x}:O"), alt.Tooltip(f"{text}:N")],
        **encoding,
    )
    if name:
        cells = cells.properties(name=name)
    ink = alt.condition(f"datum.{fill}", alt.value("white"), alt.value("#333333"))
    layers = [
        cells,
        base.mark_text(fontSize=font_size, dy=-5 if subtext else 0).encode(
            text=alt.Text(f"{text}:N"), color=ink, **encoding
        ),
    ]
    if subtext:
        layers.append(
            base.mark_text(fontSize=8, dy=7, limit=width - 2).encode(
                text=alt.Text(f"{subtext}:N"), color=ink, **encoding
            )
        )
    return alt.layer(*layers).properties(
        title=title, width=alt.Step(width), height=alt.Step(height)
    )


def notes(expression: str) -> alt.Parameter:
    """Notes computed from the controls, shown as text above the chart (and read out by screen
    readers as they change): ``expression`` is a Vega expression giving a string of lines, each
    ending in ``\\n`` (``''`` for none). They say what an explorer did that the chart alone would
    not show: an empty box, a cut sentence, words beyond :data:`MAX_WORDS`.
    """
    return alt.param(name="notes", expr=expression)


def note(condition: str, text: str) -> str:
    """One line for :func:`notes`: the string expression ``text`` when ``condition`` holds."""
    return f"(({condition}) ? {text} + '\\n' : '')"


def sentence_notes(
    sentences: int,
    prefix: str = "s",
    padded: str | None = None,
    truncating: str = "'post'",
    names: Sequence[str] | None = None,
    empty: str = "is empty: type at least one word.",
) -> str:
    """The notes every typed-sentence explorer shows: empty boxes (``empty`` says what the
    explorer does with them), words beyond :data:`MAX_WORDS`, and (when ``padded`` is given)
    sentences cut to the padded length."""
    names = names or [f"sentence {b}" for b in range(sentences)]
    parts = []
    for b, label in zip(range(sentences), names):
        count, words = f"{prefix}{b}_count", f"length({prefix}{b}_words)"
        parts.append(note(f"{count} == 0", f"'{label} ' + {js_string(empty)}"))
        parts.append(
            note(
                f"{count} > {MAX_WORDS}",
                f"'{label} has ' + {count} + ' words: only the first {MAX_WORDS} are used.'",
            )
        )
        if padded is not None:
            parts.append(
                note(
                    f"{words} > {padded}",
                    f"'{label} has ' + {words} + ' words: padded length ' + {padded} + ' cuts ' + "
                    f"({words} - {padded}) + ' from the ' + "
                    f"({truncating} == 'pre' ? 'start' : 'end') + "
                    f"' (truncating=' + {truncating} + ').'",
                )
            )
    return "(" + " + ".join(parts) + ")"


def title_lines(text: str, width: int) -> alt.TitleParams:
    """A title broken into lines of at most ``width`` characters (for the narrow layouts)."""
    import textwrap

    return alt.TitleParams(text=textwrap.wrap(text, width) or [""])


# --- layout -------------------------------------------------------------------------------------


def panels(*charts: Any, stacked: bool, spacing: int = 24) -> Any:
    """Charts side by side, or one under the other when ``stacked`` (the narrow layout)."""
    return (alt.vconcat if stacked else alt.hconcat)(*charts, spacing=spacing)


def finish(
    layout: Any,
    params: Sequence[alt.Parameter],
    description: str,
    kind: str,
    datasets: dict | None = None,
    narrow: bool = True,
    legend_bottom: bool = True,
) -> Explorer:
    """An :class:`Explorer` from ``layout(stacked)``, a function giving the chart for one layout.

    Adds the controls and the look every explorer shares (no view border, small left-aligned
    titles, the chart re-measuring itself when a control makes it larger instead of clipping
    it). With ``narrow``, ``layout(True)`` is the stacked layout for narrow screens.
    """
    # Controls first, in the order given (Vega places them in the order of its signals),
    # then the parameters derived from them.
    params = [p for p in params if p.param.bind is not alt.Undefined] + [
        p for p in params if p.param.bind is alt.Undefined
    ]

    def spec(chart: Any) -> dict:
        chart = (
            chart.add_params(*params)
            .properties(autosize=alt.AutoSizeParams(type="pad", resize=True))
            .configure_view(strokeWidth=0)
            .configure_title(fontSize=12, anchor="start")
        )
        if legend_bottom:
            chart = chart.configure_legend(orient="bottom")
        result = chart.to_dict()
        shared.update(result.pop("datasets", {}))  # Altair's inline data, by content hash
        return result

    shared = dict(datasets or {})
    wide = spec(layout(False))
    return Explorer(
        wide=wide,
        description=description,
        kind=kind,
        narrow=spec(layout(True)) if narrow else None,
        datasets=shared,
    )
