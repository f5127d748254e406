"""Name the sidebar's expand buttons, so a screen reader says what each one opens.

The API reference has a page per module under it, so the book's navigation shows a
``<details><summary>`` toggle next to "The lib package: API reference". The theme
(sphinx-book-theme 1.1 on pydata-sphinx-theme 0.17) gives that ``<summary>`` only a chevron
icon marked ``role="presentation"``: it has no name, which axe reports as a serious
violation (summary-name) and Lighthouse takes off the accessibility score. This extension
wraps the theme's ``generate_toctree_html`` and labels each toggle after the entry it
belongs to: "Pages under: <entry>".
"""

from __future__ import annotations

import html
import re

TOGGLE = re.compile(
    r'(<li class="[^"]*has-children[^"]*">\s*<a [^>]*>(?P<title>.*?)</a>\s*<details[^>]*>\s*)<summary>',
    flags=re.DOTALL,
)


def label_toggles(markup: str) -> str:
    """``markup`` with every unnamed toggle's ``<summary>`` named after its entry.

    >>> label_toggles('<li class="toctree-l1 has-children"><a href="api.html">The <code>lib</code> API</a>'
    ...               '<details><summary><span role="presentation"></span></summary><ul></ul></details></li>')
    '<li class="toctree-l1 has-children"><a href="api.html">The <code>lib</code> API</a><details><summary \
aria-label="Pages under: The lib API"><span role="presentation"></span></summary><ul></ul></details></li>'
    """
    def named(match: re.Match) -> str:
        title = " ".join(html.unescape(re.sub(r"<[^>]+>", "", match.group("title"))).split())
        return f'{match.group(1)}<summary aria-label="{html.escape(f"Pages under: {title}", quote=True)}">'

    return TOGGLE.sub(named, markup)


def wrap_toctree(app, pagename, templatename, context, doctree) -> None:
    generate = context.get("generate_toctree_html")
    if generate is None or getattr(generate, "labels_toggles", False):
        return

    def labelled(*args, **kwargs):
        return label_toggles(str(generate(*args, **kwargs)))

    labelled.labels_toggles = True
    context["generate_toctree_html"] = labelled


def setup(app):
    app.connect("html-page-context", wrap_toctree, priority=999)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
