"""lib.explorer_kit and the explorer functions built on it: the HTML they embed (escaped), the
controls they offer, and the arguments they refuse (lengths outside their sliders' range).

What the explorers *draw* is checked in Chromium by tests/test_explorers_browser.py.
"""

from __future__ import annotations

import html.parser
import json

import numpy as np
import pytest

from lib import explorer_kit as kit
from lib.causal_explorers import causal_explorer, cross_explorer
from lib.errors import MaskError, MaskTypeError
from lib.explorers import mask_explorer, outer_explorer, weights_explorer
from lib.practice_explorers import conventions_explorer, gap_explorer, memory_explorer
from lib.text_explorers import embedding_mask_explorer, padding_explorer, token_explorer


class _Scripts(html.parser.HTMLParser):
    """The elements and script bodies of an HTML snippet, as a browser's parser splits them."""

    def __init__(self):
        super().__init__()
        self.scripts: list[str] = []
        self.starts: list[tuple[str, dict]] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.starts.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def _parse(snippet: str) -> _Scripts:
    parser = _Scripts()
    parser.feed(snippet)
    return parser


def test_a_label_with_a_closing_script_tag_cannot_end_the_script():
    hostile = '</script><script>alert("x")</script> & "quotes"'
    explorer = mask_explorer(sentences=(hostile, "b"))
    parsed = _parse(explorer.html())
    assert len(parsed.scripts) == 1, "the label closed the explorer's script early"
    assert [tag for tag, _ in parsed.starts].count("script") == 1
    # and the label arrives intact: the script holds the escaped spec, which parses back to it
    embedded = kit.script_json(kit.vega_spec(explorer.wide, explorer.datasets))
    assert embedded in parsed.scripts[0]
    assert [s["value"] for s in json.loads(embedded)["signals"] if s["name"] == "s0"] == [hostile]


def test_script_json_escapes_what_html_parsers_look_for():
    text = kit.script_json({"a": "</script><!-- & \u2028"})
    assert not any(c in text for c in "<>&\u2028")
    assert json.loads(text) == {"a": "</script><!-- & \u2028"}


def test_description_and_kind_are_html_escaped():
    explorer = kit.Explorer(wide={"mark": "point"}, description='say "hi" <b>', kind='k"ind')
    (tag, attributes), *_ = _parse(explorer.html()).starts
    assert tag == "div"
    assert attributes["aria-label"] == 'say "hi" <b>'
    assert attributes["data-explorer"] == 'k"ind'


def test_element_id_is_stable_and_depends_on_the_spec():
    assert mask_explorer().element_id == mask_explorer().element_id
    assert mask_explorer().element_id != mask_explorer(padded=5).element_id


def test_spec_is_complete_and_independent_of_the_explorer():
    explorer = padding_explorer()
    spec = explorer.spec
    assert spec["datasets"]["tokens"] == kit.token_rows(2)
    spec["params"].clear()
    assert explorer.wide["params"], "spec must be a deep copy"


@pytest.mark.parametrize(
    "make",
    [token_explorer, padding_explorer, embedding_mask_explorer, mask_explorer, outer_explorer, causal_explorer,
     cross_explorer, conventions_explorer, lambda: memory_explorer([128, 256])],
)
def test_every_explorer_has_a_stacked_layout(make):
    explorer = make()
    assert explorer.kind
    assert explorer.narrow is not None and explorer.narrow != explorer.wide


# --- arguments outside the sliders' ranges --------------------------------------------------------

@pytest.mark.parametrize(
    "call, argument, expected",
    [
        (lambda: mask_explorer(padded=11), "padded", "an int from 1 to 10"),
        (lambda: mask_explorer(padded=0), "padded", "an int from 1 to 10"),
        (lambda: mask_explorer(max_length=11), "max_length", "an int from 2 to 10"),
        (lambda: outer_explorer(sentence=2), "sentence", "an int from 0 to 1"),
        (lambda: outer_explorer(padded=11), "padded", "an int from 1 to 10"),
        (lambda: padding_explorer(padded=11), "padded", "an int from 1 to 10"),
        (lambda: padding_explorer(padding="middle"), "padding", r"one of \['post', 'pre'\]"),
        (lambda: padding_explorer(truncating="both"), "truncating", r"one of \['post', 'pre'\]"),
        (lambda: embedding_mask_explorer(padded=0), "padded", "an int from 1 to 10"),
        (lambda: causal_explorer(length=11), "length", "an int from 1 to 10"),
        (lambda: causal_explorer(real_length=0), "real_length", "an int from 1 to 10"),
        (lambda: causal_explorer(max_length=25), "max_length", "an int from 2 to 24"),
        (lambda: cross_explorer(padded_source=0), "padded_source", "an int from 1 to 10"),
        (lambda: cross_explorer(target_length=11), "target_length", "an int from 1 to 10"),
        (lambda: conventions_explorer(lengths=(11, 3)), r"lengths\[0\]", "an int from 1 to 10"),
        (lambda: conventions_explorer(padded=0), "padded", "an int from 1 to 10"),
        (lambda: conventions_explorer(convention="jax"), "convention", "one of"),
        (lambda: conventions_explorer(heads=5), "heads", "an int from 1 to 4"),
        (lambda: memory_explorer([128], batch=65), "batch", "an int from 1 to 64"),
        (lambda: memory_explorer([128], heads=0), "heads", "an int from 1 to 16"),
        (lambda: memory_explorer([256, 128]), "lengths", "increasing distinct lengths"),
        (lambda: memory_explorer([0, 128]), r"lengths\[0\]", "an int from 1 to 65536"),
        (lambda: weights_explorer({1: np.ones((1, 1, 1))}, {1: ["a"]}, "L", value=2), "value", "an int from 1 to 1"),
        (lambda: weights_explorer({1: np.ones((1, 1, 1)), 3: np.ones((1, 1, 1))}, {1: ["a"], 3: ["a"]}, "L"),
         "weights_by_value", "consecutive int slider values"),
        (lambda: weights_explorer({1: np.ones((1, 2, 2))}, {1: ["a"]}, "L"), r"labels_by_value\[1\]",
         "2 labels"),
        (lambda: weights_explorer({1: np.full((1, 1, 1), 2.0)}, {1: ["a"]}, "L"), r"weights_by_value\[1\]",
         "weights from 0 to 1"),
        (lambda: weights_explorer({}, {}, "L"), "weights_by_value", "a mapping with at least one slider value"),
    ],
)
def test_explorers_refuse_settings_their_controls_cannot_show(call, argument, expected):
    with pytest.raises(MaskError, match=rf"`{argument}`: expected {expected}"):
        call()


@pytest.mark.parametrize("value", [True, 6.0, "6", None])
def test_lengths_must_be_ints(value):
    with pytest.raises(MaskTypeError, match=r"`padded`: expected an int from 1 to 10, received"):
        mask_explorer(padded=value)


@pytest.mark.parametrize("sentences", ["one string", ("a",), ("a", "b", "c"), ("a", 3)])
def test_two_sentence_explorers_want_two_strings(sentences):
    with pytest.raises(MaskError, match="sentences"):
        mask_explorer(sentences=sentences)
    with pytest.raises(MaskError, match="sentences"):
        padding_explorer(sentences=sentences)


def _masks(length, wrong=False):
    names = ("encoder 1 self-attention", "decoder 1 causal self-attention", "decoder 1 cross-attention")
    shapes = {names[0]: (length, length), names[1]: (length + 1, length + 1), names[2]: (length + 1, length)}
    return {n: np.ones(shapes[n][::-1] if wrong and n == names[2] else shapes[n], bool) for n in names}


def test_gap_explorer_checks_its_inputs():
    gaps = {"automatic": {6: 0.3, 7: 0.2}, "explicit": {6: 1e-7, 7: 1e-7}}
    masks = {m: {6: _masks(6), 7: _masks(7)} for m in gaps}
    labels = ["a"] * 7, ["<start>"] + ["a"] * 7
    gap_explorer(gaps, masks, *labels, tolerance=1e-5)
    with pytest.raises(MaskError, match=r"`value`: expected an int from 6 to 7, received 8"):
        gap_explorer(gaps, masks, *labels, tolerance=1e-5, value=8)
    with pytest.raises(MaskError, match=r"decoder 1 cross-attention'\]`: expected a \(7, 6\) bool mask"):
        gap_explorer(gaps, {m: {6: _masks(6, wrong=True), 7: _masks(7)} for m in gaps}, *labels, tolerance=1e-5)
    with pytest.raises(MaskError, match=r"`gaps\['explicit'\]\[7\]`: expected a finite number >= 0"):
        gap_explorer({**gaps, "explicit": {6: 0.0, 7: float("nan")}}, masks, *labels, tolerance=1e-5)
    with pytest.raises(MaskError, match=r"`source_labels, target_labels`: expected 7 and 8 labels"):
        gap_explorer(gaps, masks, ["a"] * 6, labels[1], tolerance=1e-5)
    with pytest.raises(MaskError, match=r"`tolerance`: expected a number between 0 and 1"):
        gap_explorer(gaps, masks, *labels, tolerance=0)


def test_words_expression_names_every_python_white_space_character():
    expression = kit.words_expression("s0")
    for character in "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000":
        assert f"\\u{ord(character):04x}" in expression or character in expression


def test_controls_refuse_values_outside_their_range():
    with pytest.raises(MaskError, match=r"`S`: expected an int from 1 to 10, received 0"):
        kit.slider("S", 0, 1, 10, "S ")
    with pytest.raises(MaskTypeError, match=r"`causal`: expected a bool"):
        kit.checkbox("causal", 1, "causal ")
    with pytest.raises(MaskError, match=r"`side`: expected one of \['post', 'pre'\], received 'x'"):
        kit.radio("side", "x", ["post", "pre"], "side ")
    with pytest.raises(MaskTypeError, match=r"`s0`: expected a str"):
        kit.text_input("s0", 3, "sentence ")


def test_a_live_notebook_gets_vega_lite_and_the_book_gets_html(monkeypatch):
    """JupyterLab prefers text/html over Vega-Lite; the snippet needs the book's Vega script,
    which a notebook does not load, so a live kernel must not send the HTML."""
    explorer = mask_explorer()
    live = explorer._repr_mimebundle_()
    assert "text/html" not in live and live["application/vnd.vegalite.v5+json"] == explorer.spec
    monkeypatch.setattr(kit, "executed_in_batch", lambda: True)
    book = explorer._repr_mimebundle_()
    assert "application/vnd.vegalite.v5+json" not in book and 'class="vega-explorer"' in book["text/html"]
