"""Fold the book's check-only cells under a "Show the checks" prompt.

A chapter proves its claims with ``assert`` cells. Cells whose only job is
checking carry the ``hide-input`` tag, so the story reads straight through; the
asserts stay one click away. myst-nb labels every folded cell "Show code cell
source"; this post-transform relabels the folded cells that assert, and marks
them with the class ``checks`` (the book tests look for it).
"""

from __future__ import annotations

import ast

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform

PROMPT_SHOW = "Show the checks"
PROMPT_HIDE = "Hide the checks"


def asserts(source: str) -> bool:
    """Whether ``source`` parses as Python and contains an ``assert`` statement."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return any(isinstance(node, ast.Assert) for node in ast.walk(tree))


class LabelCheckCells(SphinxPostTransform):
    """Relabel folded (``hide-input``) cells that assert, before myst-nb wraps them."""

    default_priority = 190  # myst-nb's HideInputCells runs at 199 and reads the prompts
    formats = ("html",)

    def run(self, **kwargs) -> None:
        for cell in self.document.findall(nodes.container):
            if cell.get("nb_element") != "cell_code" or cell.get("hide_mode") != "input":
                continue
            sources = [child for child in cell.children
                       if child.get("nb_element") == "cell_code_source"]
            if sources and asserts(sources[0].astext()):
                cell["prompt_show"] = PROMPT_SHOW
                cell["prompt_hide"] = PROMPT_HIDE
                cell["classes"].append("checks")


def setup(app):
    app.add_post_transform(LabelCheckCells)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
