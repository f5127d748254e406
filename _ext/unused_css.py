"""Drop the rules of a stylesheet that no page of the book can match, and subset icon fonts.

The theme's stylesheets carry all of Bootstrap 5 and every Font Awesome icon (about 500 kB
together); a page of this book uses a small part of them. ``used_css`` keeps a rule unless
one of its class names occurs nowhere in the book: not in any built page and not in any
script the pages load (scripts add classes such as ``show`` or ``dropdown-menu-dark`` at
run time, and they name them as strings, so their words are searched too). The test is
deliberately one-sided: a rule is dropped only when the book provably never names a class
it needs. Classes inside ``:not()``, ``:is()``, ``:where()`` and ``:has()`` are ignored,
so such a selector is kept (``:not(.x)`` matches *more* when ``.x`` is absent).

``font_codepoints`` lists the characters a stylesheet asks an icon font for (Font
Awesome's ``content: "\\f185"`` and ``--fa: "\\f185"``), so the font can be cut down to
those glyphs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import tinycss2

WORD = re.compile(r"[A-Za-z0-9_-]+")
CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
ATTRIBUTE = re.compile(r"\[[^\]]*\]")
FUNCTIONAL = re.compile(r":(?:not|is|where|has)\(")
STRING = re.compile(r"\"((?:[^\"\\]|\\.)*)\"|'((?:[^'\\]|\\.)*)'")
ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?|\\(.)")


def words(text: str) -> set[str]:
    """Every identifier-like word of ``text``: the names a page or script could use as a class.

    >>> sorted(words('<div class="bd-main show">') | words('x.classList.add("pst-squeeze")'))
    ['add', 'bd-main', 'class', 'classList', 'div', 'pst-squeeze', 'show', 'x']
    """
    return set(WORD.findall(text))


def _without_functional(selector: str) -> str:
    """``selector`` with the arguments of ``:not()``, ``:is()``, ``:where()``, ``:has()`` removed."""
    out, index = [], 0
    for match in FUNCTIONAL.finditer(selector):
        if match.start() < index:
            continue
        out.append(selector[index:match.end()])
        depth, position = 1, match.end()
        while position < len(selector) and depth:
            depth += {"(": 1, ")": -1}.get(selector[position], 0)
            position += 1
        out.append(")")
        index = position
    out.append(selector[index:])
    return "".join(out)


def selector_used(selector: str, used: set[str]) -> bool:
    """True unless ``selector`` needs a class that ``used`` does not contain.

    >>> used = {"bd-sidebar", "active"}
    >>> selector_used(".bd-sidebar .active", used), selector_used(".bd-sidebar .carousel", used)
    (True, False)
    >>> selector_used(".bd-sidebar:not(.pst-squeeze)", used), selector_used('a[href$=".pdf"]', used)
    (True, True)
    """
    plain = _without_functional(ATTRIBUTE.sub("", QUOTED.sub("", selector)))
    return all(name in used for name in CLASS.findall(plain))


def _rules(rules: list, used: set[str]) -> list[str]:
    kept = []
    for rule in rules:
        if rule.type == "qualified-rule":
            selectors = _split_selectors(tinycss2.serialize(rule.prelude))
            alive = [s for s in selectors if selector_used(s, used)]
            if alive:
                kept.append(",".join(alive) + "{" + tinycss2.serialize(rule.content).strip() + "}")
        elif rule.type == "at-rule" and rule.lower_at_keyword in ("media", "supports", "layer", "container") \
                and rule.content is not None:
            inner = _rules(tinycss2.parse_rule_list(rule.content, skip_whitespace=True, skip_comments=True), used)
            if inner:
                kept.append(f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}{{{''.join(inner)}}}")
        elif rule.type in ("at-rule", "qualified-rule"):
            kept.append(tinycss2.serialize([rule]))
    return kept


def _split_selectors(prelude: str) -> list[str]:
    """A selector list split at top-level commas (not those inside ``:is(a, b)``)."""
    parts, depth, start = [], 0, 0
    for index, character in enumerate(prelude):
        depth += {"(": 1, ")": -1}.get(character, 0)
        if character == "," and depth == 0:
            parts.append(prelude[start:index].strip())
            start = index + 1
    parts.append(prelude[start:].strip())
    return parts


def used_css(css: str, used: set[str]) -> str:
    """``css`` without the rules whose every selector needs a class missing from ``used``.

    ``@font-face``, ``@keyframes`` and ``@charset`` are kept; ``@media`` and ``@supports``
    blocks are filtered inside and dropped when nothing in them is left.

    >>> css = ".a{color:red}.b,.a .c{margin:0}@media (min-width:1px){.c{top:0}}:root{--x:1}"
    >>> used_css(css, {"a"})
    '.a{color:red}\\n:root{--x:1}'
    >>> used_css(css, {"a", "c"})
    '.a{color:red}\\n.a .c{margin:0}\\n@media (min-width:1px){.c{top:0}}\\n:root{--x:1}'
    """
    rules = tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True)
    return "\n".join(_rules(rules, used))


def font_codepoints(css: str) -> set[int]:
    """Every character in a string of ``css``, escaped or not: what an icon font may be asked for.

    Icons come as ``content: "\\f185"``, as Font Awesome's ``--fa: "\\f185"``, or in a custom
    property such as the theme's ``--pst-icon-admonition-note``, so every string counts (a few
    letters of font names too, which costs a few glyphs).

    >>> css = '.fa-sun{--fa:"\\\\f185"}.x:before{content:"\\\\e59b"}:root{--i:"\uf0c9"}'
    >>> sorted(hex(c) for c in font_codepoints(css))
    ['0xe59b', '0xf0c9', '0xf185']
    """
    found = set()
    for double, single in STRING.findall(css):
        text = ESCAPE.sub(lambda m: chr(int(m[1], 16)) if m[1] else m[2], double or single)
        found |= {ord(character) for character in text}
    return found


def all_words(texts: Iterable[str]) -> set[str]:
    """The union of ``words`` over ``texts``."""
    found: set[str] = set()
    for text in texts:
        found |= words(text)
    return found
