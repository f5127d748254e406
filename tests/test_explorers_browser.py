"""Every kernel-free explorer of the built book, in Chromium: set its controls (type into its text
boxes, move its sliders, flip its switches), read what it drew through its Vega
view (``element.vegaView``: the scenegraph's items and their data), and compare
every cell with what ``lib`` computes for the same settings.

Also: every explorer fits a 390 px phone at its largest settings, and draws in theme colours
on a dark page.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lib.plots import FALSE_COLOUR

from conftest import DESKTOP, PHONE, open_page, wait_for_explorers

pytestmark = [pytest.mark.browser, pytest.mark.build]

MAX_WORDS = 10  # lib.explorer_kit.MAX_WORDS: the explorers use the first ten words of a box

PAGES = {
    "tokens": "chapters/01_tokens.html",
    "padding": "chapters/02_padding.html",
    "embedding-mask": "chapters/03_embedding_mask.html",
    "broadcast": "chapters/04_broadcasting.html",
    "outer": "chapters/05_logical_and.html",
    "weights": "chapters/06_multihead_attention.html",
    "causal": "chapters/07_causal.html",
    "cross": "chapters/08_cross_attention.html",
    "gap": "chapters/09_vanishing_masks.html",
    "conventions": "chapters/10_conventions.html",
    "memory": "chapters/11_cost.html",
    "playground": "chapters/12_playground.html",
}
"""The explorer of each chapter with a "Try it", by its ``data-explorer`` kind."""



def test_every_chapter_with_a_live_slider_has_an_explorer_on_its_page(built_html):
    """The web counterpart of every live slider: a chapter whose notebook has a live figure or the
    live playground carries exactly the explorer PAGES expects, drawn on its built page."""
    from conftest import ROOT

    live = {f"chapters/{path.stem}.html" for path in (ROOT / "chapters").glob("*.md")
            if "live_figure(" in path.read_text(encoding="utf-8")
            or "playground_widget()" in path.read_text(encoding="utf-8")}
    assert live == set(PAGES.values())
    for kind, page in PAGES.items():
        text = (built_html / page).read_text(encoding="utf-8")
        assert text.count('class="vega-explorer"') == 1 and f'data-explorer="{kind}"' in text, page


# Typed sentences with what trips tokenisers: repeated words, capitals (they sort before lower
# case), accents, punctuation, digits, odd white space, a character above U+FFFF, too many words.
SENTENCE_CASES = [
    ("the cat sat on the mat", "The Cat and the cat", "the dog sat"),
    ("école Zoo zoo Äpfel apple", "émile zoo", "Zoo école x"),
    ("Hello, world! 42 hello", "b a B A", "world! 42"),
    ("  lots   of\tspace  here ", "of of of", ""),
    ("\U0001F600 \uFB00 a \u00E9", "b z \U0001F600", "\uFB00 \U0001F601"),
    ("one two three four five six seven eight nine ten eleven twelve", "two", "twelve two"),
]

_MARKS_JS = """([el, name]) => {
  const out = [];
  const walk = (mark) => {
    if (!mark) return;
    if (mark.name === name + '_marks') {
      mark.items.forEach(item => out.push({datum: JSON.parse(JSON.stringify(item.datum)),
                                           text: item.text === undefined ? null : String(item.text),
                                           fill: item.fill === undefined ? null : String(item.fill)}));
    }
    (mark.items || []).forEach(item => (item.items || []).forEach(walk));
  };
  walk(el.vegaView.scenegraph().root);
  return out;
}"""


class Probe:
    """One explorer on an open page: set its controls, wait for Vega, read what it drew."""

    def __init__(self, page, kind: str):
        self.page = page
        self.kind = kind
        self.element = page.locator(f'.vega-explorer[data-explorer="{kind}"]')
        assert self.element.count() == 1, f"expected one {kind} explorer on the page"
        self.element.scroll_into_view_if_needed()   # an explorer draws when it nears the viewport
        self.settle()

    def settle(self) -> None:
        """Wait until the explorer is drawn and Vega has finished evaluating every change."""
        handle = self.element.element_handle()
        self.page.wait_for_function("el => el.getAttribute('data-rendered') === 'true'", arg=handle,
                                    timeout=15000)
        self.page.evaluate("el => el.vegaView.runAsync().then(() => true)", handle)

    def control(self, name: str):
        return self.element.locator(f'input[name="{name}"]')

    def set(self, **controls) -> Probe:
        for name, value in controls.items():
            inputs = self.control(name)
            assert inputs.count() >= 1, f"{self.kind}: no control named {name}"
            kind = inputs.first.get_attribute("type")
            if self._holds(inputs, kind, value):
                continue                               # nothing would change: no event to wait for
            if kind == "text":
                inputs.fill(value)                     # types, firing input events
            elif kind == "range":
                low, high = (int(inputs.get_attribute(a)) for a in ("min", "max"))
                assert low <= value <= high, f"{self.kind}.{name}: {value} outside the slider {low}..{high}"
                inputs.evaluate("(el, v) => { el.value = v; el.dispatchEvent(new Event('input', {bubbles: true})); }",
                                str(value))
            elif kind == "radio":
                self.element.locator(f'input[name="{name}"][value="{value}"]').check()
            elif kind == "checkbox":
                inputs.set_checked(bool(value))
            else:
                raise AssertionError(f"{self.kind}.{name}: unexpected input type {kind}")
            self.settle()
        return self

    @staticmethod
    def _holds(inputs, kind: str, value) -> bool:
        if kind == "text":
            return inputs.input_value() == value
        if kind == "range":
            return inputs.input_value() == str(value)
        if kind == "checkbox":
            return inputs.is_checked() == bool(value)
        if kind == "radio":
            return inputs.evaluate_all("(els, v) => els.some(el => el.checked && el.value === v)", str(value))
        return False

    def items(self, name: str) -> list[dict]:
        """The drawn items of the view named ``name``: their data and, for text, the text drawn."""
        return self.page.evaluate(_MARKS_JS, [self.element.element_handle(), name])

    def data(self, name: str) -> list[dict]:
        return [item["datum"] for item in self.items(name)]

    def notes(self) -> str:
        return self.element.locator(".explorer-notes").inner_text()


@pytest.fixture(scope="module")
def pages(browser, site):
    """One open page per chapter and colour scheme for the whole module (opening pages is the slow
    part). Asked for another viewport, the open page is resized, as a reader turning a phone or
    narrowing a window would, and the explorer redraws for it."""
    opened = {}

    def get(kind: str, viewport=DESKTOP, scheme="light"):
        key = (kind, scheme)
        if key not in opened:
            context, page, visit = open_page(browser, site, PAGES[kind], viewport=viewport, scheme=scheme)
            wait_for_explorers(page)
            opened[key] = (context, page, visit)
        context, page, visit = opened[key]
        if page.viewport_size != viewport:
            page.set_viewport_size(viewport)
            # the resize event comes with the next frame; after two, the explorer has begun to redraw
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            wait_for_explorers(page)
        assert not visit.errors and not visit.outside, (kind, visit.errors, visit.outside)
        return Probe(page, kind)

    yield get
    for context, _, _ in opened.values():
        context.close()


def words(sentence: str) -> list[str]:
    """The words an explorer uses: ``str.split()``, at most ten."""
    return sentence.split()[:MAX_WORDS]


def grid(rows: list[dict], value: str, row: str = "b", column: str = "p") -> np.ndarray:
    """A matrix from drawn cells, with a check that every cell was drawn exactly once."""
    cells = {(int(d[row]), int(d[column])): d[value] for d in rows}
    assert len(cells) == len(rows), "a cell was drawn twice"
    height = max(r for r, _ in cells) + 1
    width = max(c for _, c in cells) + 1
    assert len(cells) == height * width, f"missing cells: {len(cells)} drawn for {height} x {width}"
    return np.array([[cells[(r, c)] for c in range(width)] for r in range(height)])


# --- chapter 1: words to ids --------------------------------------------------------------------

@pytest.mark.parametrize("sentences", SENTENCE_CASES + [("This is a very long sequence", "This is short", "This is a cat")])
def test_token_explorer_numbers_words_as_vocabulary_does(pages, sentences):
    from lib.vocab import Vocabulary

    probe = pages("tokens").set(s0=sentences[0], s1=sentences[1], s2=sentences[2])
    fitted = [" ".join(words(s)) for s in sentences[:2] if words(s)]
    vocab = Vocabulary.fit(fitted, oov=True)

    drawn = {}
    for item in probe.items("vocabulary"):
        d = item["datum"]
        drawn.setdefault(d["word"], set()).add((d["raw"], d["id"]))
        if d["column"] == "id_text":
            assert item["text"] == str(d["id"])
    assert all(len(v) == 1 for v in drawn.values()), drawn
    order = sorted(drawn, key=lambda w: next(iter(drawn[w]))[0])
    assert order == vocab.words, "vocabulary not in LabelEncoder's order"
    assert [next(iter(drawn[w])) for w in order] == [(i, i + 1) for i in range(len(order))]

    for b, sentence in enumerate(sentences):
        expected = vocab.encode(" ".join(words(sentence))) if words(sentence) else []
        rows = {}
        for item in probe.items(f"tokens_{b}"):
            d = item["datum"]
            rows[d["p"]] = d
            if d["column"] == "id_text":
                unknown = d["id"] == vocab.oov_id
                assert item["text"] == (f"{d['id']} (<unk>)" if unknown else str(d["id"]))
        assert [rows[p]["word"] for p in sorted(rows)] == words(sentence)
        assert [rows[p]["id"] for p in sorted(rows)] == expected, f"sentence {b}"
        for p, d in rows.items():
            assert d["known"] == (expected[p] != vocab.oov_id)
            assert d["raw"] == (expected[p] - 1 if d["known"] else None)
    notes = probe.notes()
    for b, sentence in enumerate(sentences):
        assert ("is empty" in notes and f"{['sentence 0', 'sentence 1', 'the new sentence'][b]} is empty" in notes) \
            == (not sentence.split())
    assert ("only the first 10 are used" in notes) == any(len(s.split()) > MAX_WORDS for s in sentences)


def test_token_explorer_says_when_there_is_nothing_to_fit(pages):
    probe = pages("tokens").set(s0="", s1="   ", s2="a b")
    assert "Type a word in sentence 0 or 1" in probe.notes()
    assert probe.data("vocabulary") == []
    assert {d["known"] for d in probe.data("tokens_2")} == {False}


# --- chapter 2: padding -------------------------------------------------------------------------

@pytest.mark.parametrize("sentences", [SENTENCE_CASES[0], SENTENCE_CASES[2], SENTENCE_CASES[5],
                                       ("This is a very long sequence", "This is short")])
@pytest.mark.parametrize("padded, padding, truncating", [(6, "post", "post"), (3, "pre", "post"),
                                                         (4, "post", "pre"), (10, "pre", "pre"), (1, "post", "post")])
def test_padding_explorer_pads_as_pad_batch(pages, sentences, padded, padding, truncating):
    from lib.padding import pad_batch
    from lib.vocab import Vocabulary

    s0, s1 = sentences[:2]
    probe = pages("padding").set(s0=s0, s1=s1, padded=padded, padding=padding, truncating=truncating)
    texts = [" ".join(words(s)) for s in (s0, s1)]
    vocab = Vocabulary.fit(texts)
    expected = pad_batch(vocab.encode_batch(texts), length=padded, padding=padding, truncating=truncating)
    cells = probe.data("ids")
    assert np.array_equal(grid(cells, "id"), expected)
    assert np.array_equal(grid(cells, "real"), expected != 0)
    shown = grid(cells, "shown")
    for b in range(2):
        assert [w for w in shown[b] if w != "<pad>"] == vocab.decode(expected[b])
    notes = probe.notes()
    for b, text in enumerate(texts):
        cut = len(text.split()) - padded
        message = f"sentence {b} has {len(text.split())} words: padded length {padded} cuts {cut} from the " \
                  f"{'start' if truncating == 'pre' else 'end'} (truncating={truncating})."
        assert (message in notes) == (cut > 0), notes


def test_padding_explorer_leaves_out_an_empty_sentence_and_says_so(pages):
    probe = pages("padding").set(s0="only this", s1="  ", padded=4, padding="post", truncating="post")
    assert "sentence 1 is empty" in probe.notes()
    assert {d["b"] for d in probe.data("ids")} == {0}


# --- chapter 3: the embedding's mask ------------------------------------------------------------

@pytest.mark.parametrize("sentences, padded", [(SENTENCE_CASES[0], 6), (SENTENCE_CASES[1], 3),
                                               (SENTENCE_CASES[4], 8), (("a b c d e f g h i j", "x"), 10)])
def test_embedding_mask_explorer_draws_padding_mask_of_the_ids(pages, sentences, padded):
    from lib.masks import padding_mask
    from lib.padding import pad_batch
    from lib.vocab import Vocabulary

    probe = pages("embedding-mask").set(s0=sentences[0], s1=sentences[1], padded=padded)
    texts = [" ".join(words(s)) for s in sentences[:2]]
    ids = pad_batch(Vocabulary.fit(texts).encode_batch(texts), length=padded)
    assert np.array_equal(grid(probe.data("ids"), "id"), ids)
    assert np.array_equal(grid(probe.data("mask"), "mask"), padding_mask(ids).numpy())


# --- chapters 4 and 5: the two halves and their AND ---------------------------------------------

def _self_attention(sentences, padded):
    from lib.masks import key_mask, padding_mask, query_mask, self_attention_mask
    from lib.padding import pad_batch
    from lib.vocab import Vocabulary

    texts = [" ".join(words(s)) for s in sentences]
    vocab = Vocabulary.fit(texts)
    ids = pad_batch(vocab.encode_batch(texts), length=padded)
    padding = padding_mask(ids)
    labels = [[f"{j} {vocab.decode([t])[0] if t else '<pad>'}" for j, t in enumerate(row)] for row in ids]
    return (padding.numpy(), query_mask(padding).numpy(), key_mask(padding).numpy(),
            self_attention_mask(padding).numpy(), labels)


@pytest.mark.parametrize("sentences, padded", [(SENTENCE_CASES[0], 6), (SENTENCE_CASES[0], 3),
                                               (SENTENCE_CASES[3], 9), (("This is a very long sequence", "This is short"), 1)])
def test_mask_explorer_draws_query_key_and_their_and(pages, sentences, padded):
    padding, query, key, square, labels = _self_attention(sentences[:2], padded)
    probe = pages("broadcast").set(s0=sentences[0], s1=sentences[1], padded=padded)
    assert np.array_equal(grid(probe.data("padding"), "j_real", column="j"), padding)
    for b in range(2):
        assert np.array_equal(grid(probe.data(f"query_{b}"), "i_real", row="i", column="j")[:, 0], query[b, :, 0])
        assert np.array_equal(grid(probe.data(f"key_{b}"), "j_real", row="i", column="j")[0], key[b, 0])
        cells = probe.data(f"mask_{b}")
        assert np.array_equal(grid(cells, "both", row="i", column="j"), square[b])
        assert [label for label in grid(cells, "i_label", row="i", column="j")[:, 0]] == labels[b]
        assert [label for label in grid(cells, "j_label", row="i", column="j")[0]] == labels[b]


@pytest.mark.parametrize("sentence, padded", [(0, 8), (1, 8), (1, 2), (0, 10)])
def test_outer_explorer_is_the_multiplication_table(pages, sentence, padded):
    sentences = ("This is a very long sequence", "This is short")
    padding, _, _, square, _ = _self_attention(sentences, padded)
    probe = pages("outer").set(s0=sentences[0], s1=sentences[1], sentence=sentence, padded=padded)
    cells = probe.data("table")
    body = [d for d in cells if d["part"] == "body"]
    assert np.array_equal(grid(body, "value", row="i", column="j"), square[sentence])
    top = sorted((d for d in cells if d["part"] == "key"), key=lambda d: d["j"])
    left = sorted((d for d in cells if d["part"] == "query"), key=lambda d: d["i"])
    assert [d["value"] for d in top] == padding[sentence].tolist()
    assert [d["value"] for d in left] == padding[sentence].tolist()


# --- chapter 6: precomputed weights -------------------------------------------------------------

@pytest.mark.parametrize("length", [1, 3, 6])
def test_weights_explorer_shows_the_chapters_weights_in_position_order(pages, length):
    import keras

    from lib.attention import attention_layer, run_attention
    from lib.example import SENTENCES, seed_vocabulary
    from lib.masks import padding_mask, self_attention_mask
    from lib.padding import pad_batch

    # chapter 6's set-up: a seeded embedding and layer, sentence 1 = the first L words of GROWING
    growing = ["This", "is", "a", "very", "short", "sequence"]
    vocab = seed_vocabulary()
    embedding = keras.layers.Embedding(10, 8, mask_zero=True,
                                       embeddings_initializer=keras.initializers.RandomNormal(stddev=1.0, seed=0))
    layer = attention_layer(num_heads=2, key_dim=4, model_dim=8, seed=0)
    ids = pad_batch(vocab.encode_batch([SENTENCES[0], " ".join(growing[:length])]), length=6)
    mask = self_attention_mask(padding_mask(ids))
    _, weights = run_attention(layer, embedding(ids).numpy(), attention_mask=mask)

    probe = pages("weights").set(v=length)
    cells = probe.data("weights")
    fills = [{**item["datum"], "fill": item["fill"]} for item in probe.items("weights")]
    for h in range(2):
        drawn = grid([d for d in cells if d["head"] == f"head {h}"], "w", row="i", column="j")
        np.testing.assert_allclose(drawn, weights[1, h], atol=6e-5)
        assert (drawn[:, length:] == 0).all()
        # masked cells look like a False mask cell, and no computed weight does (issue 8)
        fill = grid([d for d in fills if d["head"] == f"head {h}"], "fill", row="i", column="j")
        assert ((fill == FALSE_COLOUR) == ~mask.numpy()[1]).all(), fill
    # axes in position order whatever the labels: read the drawn y positions of the rows
    ys = {}
    for item in probe.page.evaluate("""el => { const out = []; const walk = m => { if (!m) return;
        if (m.name === 'weights_marks') m.items.forEach(i => out.push([i.datum.head, i.datum.i, i.y]));
        (m.items || []).forEach(i => (i.items || []).forEach(walk)); };
        walk(el.vegaView.scenegraph().root); return out; }""", probe.element.element_handle()):
        ys.setdefault(item[0], {})[item[1]] = item[2]
    for head, rows in ys.items():
        assert [i for i, _ in sorted(rows.items(), key=lambda kv: kv[1])] == sorted(rows), head


# --- chapters 7 and 8: causal and cross-attention -----------------------------------------------

@pytest.mark.parametrize("length, real, causal", [(6, 3, True), (6, 3, False), (4, 7, True), (8, 8, True), (1, 1, False)])
def test_causal_explorer_draws_causal_and_padding(pages, length, real, causal):
    from lib.masks import causal_mask, combine, padding_mask, self_attention_mask
    from lib.padding import pad_batch

    probe = pages("causal").set(length=length, real=real, causal=causal)
    square = self_attention_mask(padding_mask(pad_batch([list(range(1, real + 1))], length=length))).numpy()[0]
    triangle = causal_mask(length).numpy()[0] if causal else np.ones((length, length), bool)
    assert np.array_equal(grid(probe.data("causal"), "future", row="i", column="j"), triangle)
    assert np.array_equal(grid(probe.data("padding"), "padding", row="i", column="j"), square)
    both = combine(triangle[None], square[None]).numpy()[0]
    assert np.array_equal(grid(probe.data("mask"), "both", row="i", column="j"), both)
    assert ("cuts it to" in probe.notes()) == (real > length)


@pytest.mark.parametrize("target, T, source, S", [(2, 5, 3, 6), (7, 3, 1, 9), (10, 10, 10, 10), (1, 1, 4, 2)])
def test_cross_explorer_draws_query_key_and_their_and(pages, target, T, source, S):
    from lib.masks import cross_attention_mask, padding_mask
    from lib.padding import pad_batch

    probe = pages("cross").set(target_real=target, T=T, source_real=source, S=S)
    query = padding_mask(pad_batch([[1] * target], length=T)).numpy()[0]
    key = padding_mask(pad_batch([[1] * source], length=S)).numpy()[0]
    expected = cross_attention_mask(query[None], key[None]).numpy()[0]
    assert [d["query"] for d in sorted(probe.data("query"), key=lambda d: d["i"])] == query.tolist()
    assert [d["key"] for d in sorted(probe.data("key"), key=lambda d: d["j"])] == key.tolist()
    assert np.array_equal(grid(probe.data("mask"), "both", row="i", column="j"), expected)


# --- chapter 9: values the build computed with the toy Transformer ------------------------------

@pytest.fixture(scope="module")
def toy_models():
    from lib.toy_transformer import ToyTransformer

    return {"automatic": ToyTransformer(explicit_masks=False, seed=0),
            "explicit": ToyTransformer(explicit_masks=True, seed=0)}


@pytest.mark.parametrize("length, model", [(6, "automatic"), (8, "explicit"), (10, "automatic")])
def test_gap_explorer_draws_the_toy_models_gaps_and_masks(pages, toy_models, length, model):
    from lib.toy_transformer import padding_invariance_gap, toy_source_target

    probe = pages("gap").set(S=length, model=model)
    drawn = {(d["model"], d["S"]): d["gap"] for d in probe.data("gaps")}
    assert sorted({s for _, s in drawn}) == list(range(6, 11))
    for name, network in toy_models.items():
        gap = padding_invariance_gap(network, *toy_source_target(length), index=1)
        assert math.isclose(drawn[(name, length)], gap, rel_tol=1e-3, abs_tol=1e-6), (name, length)
    toy_models[model](*toy_source_target(length))
    cells = probe.data("masks")
    for name, mask in toy_models[model].masks_seen.items():
        mine = [d for d in cells if d["name"] == name]
        assert np.array_equal(grid(mine, "m", row="i", column="j"), mask[1]), name


# --- chapter 10: one mask, every convention ------------------------------------------------------

CONVENTIONS = ["keras", "keras_padding", "torch_key_padding", "torch_attn", "sdpa", "hf", "additive", "old_tf"]


@pytest.mark.parametrize("n0, n1, padded", [(6, 3, 6), (2, 9, 7), (4, 4, 3)])
def test_conventions_explorer_spells_the_mask_as_lib_conventions(pages, n0, n1, padded):
    """For each setting of the lengths, every convention in turn (only the radio button moves)."""
    from lib import conventions as cv
    from lib.masks import padding_mask, self_attention_mask
    from lib.padding import pad_batch

    ids = pad_batch([[1] * n0, [1] * n1], length=padded)
    padding = padding_mask(ids).numpy()
    mask = self_attention_mask(padding).numpy()
    spelled_as = {
        "keras": mask, "keras_padding": padding,
        "torch_key_padding": cv.keras_to_torch_key_padding(padding),
        "torch_attn": cv.keras_to_torch_attn_mask(mask, num_heads=2),
        "sdpa": cv.keras_to_sdpa(mask)[:, 0], "hf": cv.keras_padding_to_hf(padding),
        "additive": cv.keras_to_additive(mask), "old_tf": cv.keras_padding_to_old_tf(padding)[:, 0, 0],
    }
    assert sorted(spelled_as) == sorted(CONVENTIONS)
    for convention in CONVENTIONS:
        expected = spelled_as[convention]
        probe = pages("conventions").set(n0=n0, n1=n1, padded=padded, convention=convention)
        cells = probe.items("cells")
        flat = expected.ndim == 2
        values = {}
        for item in cells:
            d = item["datum"]
            index = (d["b"], d["j"]) if flat else (d["r"], d["i"], d["j"])
            values[index] = d["v"]
            stored = expected[index]
            assert d["v"] == float(stored), (convention, index)
            spelled = {np.bool_: lambda v: str(bool(v)), np.int64: str}.get(type(stored), None)
            if spelled:
                assert d["text"] == spelled(stored), (convention, index)
            elif convention == "additive":
                assert float(d["text"]) == float(stored), (convention, index)
            else:
                assert d["text"] == f"{float(stored):.1f}", (convention, index)
        assert len(values) == expected.size, f"{convention}: {len(values)} cells drawn for shape {expected.shape}"
        # the colour says "may attend" in every convention
        for item in cells:
            d = item["datum"]
            attend = bool(padding[d["b"], d["j"]]) if flat else bool(mask[d["b"], d["i"], d["j"]])
            assert d["attend"] == attend, (convention, d)


# --- chapter 11: memory from shapes -------------------------------------------------------------

@pytest.mark.parametrize("batch, heads", [(8, 8), (1, 1), (5, 3), (64, 16)])
def test_memory_explorer_draws_lib_memory_bytes(pages, batch, heads):
    from lib.memory import format_bytes, mask_memory

    probe = pages("memory").set(B=batch, H=heads)
    points = probe.data("memory")
    lengths = sorted({d["L"] for d in points})
    assert lengths == [128, 256, 512, 1024, 2048, 4096]
    series = {d["series"] for d in points}
    assert series == ({"scores", "attention_mask", "key_mask"} | ({"head_scores"} if heads > 1 else set()))
    for d in points:
        memory = mask_memory(batch=batch, length=d["L"], heads=heads)
        assert d["bytes"] == getattr(memory, d["series"]), d
        assert d["text"] == format_bytes(getattr(memory, d["series"])), d


# --- chapter 12: the playground ------------------------------------------------------------------

PLAYGROUND_CASES = [
    # boxes, S, T, causal, cross, sentence, head
    (None, 6, 4, False, False, 1, 0),
    (None, 8, 5, True, True, 2, 1),
    (None, 10, 10, True, False, 0, 1),
    (("the cat sat", "the cat", "", "a dog and the cat sat down"), 3, 2, False, True, 3, 0),
    (("one", "two words", "three short words", "x"), 7, 1, True, True, 2, 0),
]


@pytest.mark.parametrize("boxes, S, T, causal, cross, sentence, head", PLAYGROUND_CASES)
def test_playground_explorer_draws_lib_playground(pages, boxes, S, T, causal, cross, sentence, head):
    from lib.playground import EXAMPLE, Playground

    typed = EXAMPLE if boxes is None else boxes
    probe = pages("playground").set(s0=typed[0], s1=typed[1], s2=typed[2], s3=typed[3], S=S, T=T,
                                    causal=causal, cross=cross, sentence=sentence, head=head)
    present = [b for b, s in enumerate(typed) if s.split()]
    play = Playground([typed[b] for b in present])
    padded = max(S, play.longest)
    result = play.compute(padded, T, causal=causal, cross=cross)
    row = present.index(sentence)
    padding = probe.data("padding")
    assert sorted({d["b"] for d in padding}) == present            # empty boxes are left out
    for b in present:
        drawn = sorted((d for d in padding if d["b"] == b), key=lambda d: d["j"])
        assert [d["real"] for d in drawn] == result.key_padding[present.index(b)].tolist()
    queries = sorted(probe.data("query"), key=lambda d: d["i"])
    assert [d["qreal"] for d in queries] == result.query_padding[row].tolist()
    assert [d["q"] for d in queries] == [f"{i}: {w}" for i, w in enumerate(result.query_labels[row])]
    keys = sorted(probe.data("key"), key=lambda d: d["j"])
    assert [d["kreal"] for d in keys] == result.key_padding[row].tolist()
    assert [d["k"] for d in keys] == [f"{j}: {w}" for j, w in enumerate(result.source_labels[row])]
    assert np.array_equal(grid(probe.data("mask"), "m", row="i", column="j"), result.attention_mask[row])
    weights = probe.data("weights")
    notes = probe.notes()
    if boxes is None:
        np.testing.assert_allclose(grid(weights, "weight", row="i", column="j"), result.weights[row, head], atol=6e-4)
        fill = grid([{**i["datum"], "fill": i["fill"]} for i in probe.items("weights")], "fill", row="i", column="j")
        assert ((fill == FALSE_COLOUR) == ~result.attention_mask[row]).all(), fill   # masked: a False cell
        assert "example sentences only" not in notes
    else:
        assert weights == [] and "example sentences only" in notes
    assert ("shorter than the longest sentence" in notes) == (S < play.longest)
    if "" in typed:
        assert f"sentence {typed.index('')} is empty: it is left out of the batch." in notes


# --- a typed label cannot break the page ---------------------------------------------------------

HOSTILE = '</script><script>window.pwned = 1</script> & <!-- "x"'


def test_a_label_with_a_closing_script_tag_draws_as_text_in_the_page(browser, site, built_html):
    """Chapter 4's page with its explorer built for a sentence that holds ``</script>``: the
    embedded spec is escaped, so the page keeps working, runs no injected script, and draws the
    words as labels. (Without the escaping in lib.explorer_kit.script_json this fails: the script
    ends early and the explorer never draws.)"""
    import re

    from lib.explorers import mask_explorer

    page_path = PAGES["broadcast"]
    built = (built_html / page_path).read_text(encoding="utf-8")
    snippet = re.compile(r'<div class="vega-explorer".*?</script>', re.S)
    assert len(snippet.findall(built)) == 1
    hostile = snippet.sub(lambda _: mask_explorer(sentences=(HOSTILE, "b")).html().rstrip(), built)
    context, page, visit = open_page(browser, site, "index.html")
    page.route(f"{site}/{page_path}", lambda route: route.fulfill(body=hostile, content_type="text/html"))
    page.goto(f"{site}/{page_path}", wait_until="networkidle")
    wait_for_explorers(page)
    probe = Probe(page, "broadcast")
    assert not visit.errors, visit.errors
    assert page.evaluate("() => window.pwned") is None, "a script in the label ran"
    assert probe.control("s0").input_value() == HOSTILE
    labels = [d["j_label"] for d in sorted(probe.data("mask_0"), key=lambda d: d["j"]) if d["i"] == 0]
    assert labels == [f"{j} {w}" for j, w in enumerate(HOSTILE.split())]
    assert page.locator("h2#summary, section#summary h2").count() == 1, "the page after the explorer is gone"
    context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_an_explorer_loads_vega_and_draws_only_when_it_nears_the_viewport(browser, site, viewport):
    """A page opens without the Vega runtime and without drawing its explorers (drawing them all
    at load kept a phone busy for a second, Lighthouse counted the runtime against the largest
    paint); scrolled near, an explorer loads the runtime, once, and draws."""
    context, page, visit = open_page(browser, site, PAGES["causal"], viewport=viewport)
    try:
        fetched = []
        page.on("request", lambda request: fetched.append(request.url) if "vega-bundle" in request.url else None)
        element = page.locator(".vega-explorer")
        assert element.count() == 1
        below = page.evaluate("el => el.getBoundingClientRect().top / window.innerHeight", element.element_handle())
        assert below > 2, f"the explorer is {below:.1f} screens down: too near the top to show the lazy start"
        page.wait_for_timeout(300)   # time for a (wrong) eager start to show
        assert element.get_attribute("data-rendered") == "waiting"
        assert page.evaluate("() => typeof window.vega") == "undefined" and not fetched
        page.evaluate("el => el.scrollIntoView({block: 'center'})", element.element_handle())
        page.wait_for_function("el => el.getAttribute('data-rendered') === 'true'",
                               arg=element.element_handle(), timeout=15000)
        assert len(fetched) == 1, fetched
        assert element.locator("svg").count() >= 1
        assert not visit.errors and not visit.failed and not visit.console, (visit.errors, visit.failed, visit.console)
    finally:
        context.close()


def test_a_page_with_explorers_names_the_vega_runtime_and_loads_it_with_nothing_else(built_html):
    """Pages with explorers name the runtime in a meta tag (their explorers load it); no page
    loads it with a script tag."""
    from bs4 import BeautifulSoup

    for path in sorted(set(PAGES.values())) + ["intro.html", "api.html"]:
        soup = BeautifulSoup((built_html / path).read_text(encoding="utf-8"), "html.parser")
        assert not [s for s in soup.find_all("script", src=True) if "vega-bundle" in s["src"]], path
        named = soup.find_all("meta", attrs={"name": "book-vega-runtime"})
        if path in PAGES.values():
            assert len(named) == 1, path
            target = (built_html / path).parent / named[0]["content"].split("?")[0]
            assert target.resolve().is_file(), f"{path} names {named[0]['content']}, which is not in the build"
        else:
            assert not named, path


# --- every explorer on a phone, and on a dark page -----------------------------------------------

LARGEST = {
    "tokens": dict(s0="Supercalifragilistic words " * 3, s1="a b c d e f g h i j", s2="x " * 10),
    "padding": dict(s0="Supercalifragilistic " * 10, s1="a b c d e f g h i j", padded=10),
    "embedding-mask": dict(s0="Supercalifragilistic " * 10, s1="a b c d e f g h i j", padded=10),
    "broadcast": dict(s0="Supercalifragilistic " * 10, s1="a b c d e f g h i j", padded=10),
    "outer": dict(s0="Supercalifragilistic " * 10, s1="x", sentence=0, padded=10),
    "weights": dict(v=6),
    "causal": dict(length=8, real=8),
    "cross": dict(target_real=10, T=10, source_real=10, S=10),
    "gap": dict(S=10),
    "conventions": dict(n0=10, n1=10, padded=10, convention="torch_attn"),
    "memory": dict(B=64, H=16),
    "playground": dict(s0="Supercalifragilistic " * 10, S=10, T=10, cross=True),
}


DARK = ["broadcast", "memory", "tokens", "gap"]
"""Explorers also checked on a dark page; they are opened on a phone in dark mode (the others are
checked on a phone by narrowing the page they were tested on)."""


@pytest.mark.parametrize("kind", sorted(PAGES))
def test_explorer_fits_a_phone_at_its_largest_settings(pages, kind):
    probe = pages(kind, viewport=PHONE, scheme="dark" if kind in DARK else "light").set(**LARGEST[kind])
    assert probe.element.get_attribute("data-layout") in ("narrow", "wide")
    overflow = probe.page.evaluate(
        """el => { const limit = document.documentElement.clientWidth; const out = [];
        el.querySelectorAll('*').forEach(node => { const box = node.getBoundingClientRect();
          if (box.width > 0 && box.right > limit + 0.5) out.push(node.tagName + '.' +
            (node.getAttribute('class') || '') + ' right=' + Math.round(box.right)); });
        return out.slice(0, 5); }""", probe.element.element_handle())
    assert not overflow, f"{kind} extends past the right edge of a 390 px phone: {overflow}"


def _contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    def luminance(colour):
        c = [v / 255 for v in colour]
        c = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in c]
        return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


_COLOURS_JS = """el => {
  const rgb = text => (text.match(/[\\d.]+/g) || []).slice(0, 4).map(Number);
  let background = null;
  for (let node = el; node && !background; node = node.parentElement) {
    const c = rgb(getComputedStyle(node).backgroundColor);
    if (c.length >= 3 && (c.length < 4 || c[3] > 0)) background = c.slice(0, 3);
  }
  const texts = Array.from(el.querySelectorAll('svg .role-axis-title text, svg .role-title-text text, '
    + 'svg .role-axis-label text, svg .role-legend-label text'));
  return {background: background || [255, 255, 255], ink: rgb(getComputedStyle(el).color).slice(0, 3),
          fills: texts.map(t => rgb(getComputedStyle(t).fill).slice(0, 3)),
          svg: getComputedStyle(el.querySelector('svg')).backgroundColor};
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("kind", DARK)
def test_explorer_text_reads_on_the_page_in_light_and_dark_mode(pages, kind, scheme):
    """The chart's text takes the colour of the page's text around it, on a transparent
    background, so it reads whatever the theme puts behind the output."""
    probe = pages(kind, viewport=PHONE if scheme == "dark" else DESKTOP, scheme=scheme)
    colours = probe.page.evaluate(_COLOURS_JS, probe.element.element_handle())
    assert colours["fills"], "no axis, title or legend text found"
    assert {tuple(f) for f in colours["fills"]} == {tuple(colours["ink"])}, colours
    assert _contrast(colours["ink"], colours["background"]) >= 4.5, colours
    assert colours["svg"] in ("rgba(0, 0, 0, 0)", "transparent"), colours
