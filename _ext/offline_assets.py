"""Keep every page free of scripts that would reach other hosts, and of duplicate scripts.

Jupyter Book 1 always loads sphinx-thebe (live code through Binder), even with
``launch_buttons.thebe: false``. On every page it adds an inline script that
names thebe's URL on unpkg, and with sphinx-book-theme that inline script is
added twice, which raises "Identifier 'THEBE_JS_URL' has already been
declared" in the browser. The book does not use thebe (it would load thebe
from unpkg and start kernels on Binder), so this extension removes thebe's
scripts and stylesheet from every page.

It also keeps pages light: the ipywidgets manager and the Vega bundle are
loaded only by pages that use them.
"""

from __future__ import annotations


def _is_thebe(asset) -> bool:
    name = str(getattr(asset, "filename", asset) or "")
    body = str(getattr(asset, "attributes", {}).get("body", ""))
    return "thebe" in name or "THEBE_JS_URL" in body


WIDGET_SCRIPTS = ("require.js", "widgets-config.js", "html-manager/embed-amd.js")
VEGA_SCRIPTS = ("vega/vega-bundle.js",)


def _named(asset, names: tuple[str, ...]) -> bool:
    name = str(getattr(asset, "filename", asset) or "").split("?")[0]
    return any(name == n or name.endswith("/" + n) for n in names)


def strip_unused_scripts(app, pagename, templatename, context, doctree) -> None:
    """Drop thebe everywhere, and the widget and Vega scripts from pages that show neither.

    The chapters hide their live-widget outputs in the book (they need a kernel), but
    MyST-NB still adds the widget manager (3.5 MB) to every page whose notebook saved
    widget state; the Vega runtime (0.4 MB) is only needed where an explorer is drawn.
    """
    body = context.get("body", "")
    unused = ()
    if "application/vnd.jupyter.widget-view+json" not in body:
        unused += WIDGET_SCRIPTS
    if "vega-explorer" not in body:
        unused += VEGA_SCRIPTS
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [
                asset for asset in context[key]
                if not _is_thebe(asset) and not _named(asset, unused)
            ]


def setup(app):
    app.connect("html-page-context", strip_unused_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
