"""Offer each MyST Markdown chapter as a generated ``.ipynb`` on its built page.

The chapters are text notebooks (jupytext ``md:myst``). At build time this
extension converts each one with jupytext (no outputs: readers run it
themselves) into ``_build/html/_sources/<chapter>.ipynb`` and tells
sphinx-book-theme about it, so the page's download menu offers ``.ipynb``
next to ``.md``.
"""

from __future__ import annotations

from pathlib import Path

import jupytext

NOTEBOOK_FORMAT = "md:myst"


def _is_text_notebook(path: Path) -> bool:
    """A ``.md`` file with a jupytext header that names a kernel."""
    if path.suffix != ".md" or not path.is_file():
        return False
    head = path.read_text(encoding="utf-8")[:2000]
    return head.startswith("---") and "jupytext:" in head and "kernelspec:" in head


def write_notebook(app, pagename, templatename, context, doctree) -> None:
    """Write ``_sources/<page>.ipynb`` and point the theme's download button at it."""
    if doctree is None or pagename not in app.env.found_docs:
        return
    source = Path(app.env.doc2path(pagename))
    if not _is_text_notebook(source):
        return
    notebook = jupytext.read(source, fmt=NOTEBOOK_FORMAT)
    notebook.metadata.pop("jupytext", None)  # a plain notebook, not paired with the .md
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    jupytext.write(notebook, target, fmt="ipynb")
    context["ipynb_source"] = f"{pagename}.ipynb"


def setup(app):
    # sphinx-book-theme builds its download menu at priority 501; run before it.
    app.connect("html-page-context", write_notebook, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
