"""Keep every page free of scripts that would reach other hosts, and of duplicate scripts.

Jupyter Book 1 always loads sphinx-thebe (live code through Binder), even with
``launch_buttons.thebe: false``. On every page it adds an inline script that
names thebe's URL on unpkg, and with sphinx-book-theme that inline script is
added twice, which raises "Identifier 'THEBE_JS_URL' has already been
declared" in the browser. The book does not use thebe (it would load thebe
from unpkg and start kernels on Binder), so this extension removes thebe's
scripts and stylesheet from every page.
"""

from __future__ import annotations


def _is_thebe(asset) -> bool:
    name = str(getattr(asset, "filename", asset) or "")
    body = str(getattr(asset, "attributes", {}).get("body", ""))
    return "thebe" in name or "THEBE_JS_URL" in body


def strip_thebe(app, pagename, templatename, context, doctree) -> None:
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [asset for asset in context[key] if not _is_thebe(asset)]


def setup(app):
    app.connect("html-page-context", strip_thebe, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
