"""Keep every page free of scripts that would reach other hosts, and of duplicate scripts.

Jupyter Book 1 always loads sphinx-thebe (live code through Binder), even with
``launch_buttons.thebe: false``. On every page it adds an inline script that
names thebe's URL on unpkg, and with sphinx-book-theme that inline script is
added twice, which raises "Identifier 'THEBE_JS_URL' has already been
declared" in the browser. The book does not use thebe (it would load thebe
from unpkg and start kernels on Binder), so this extension removes thebe's
scripts and stylesheet from every page.

It also keeps pages light: the ipywidgets manager is loaded only by pages that use it, and
the Vega bundle by none at first: pages with explorers name it, and their first explorer to
near the viewport loads it.
"""

from __future__ import annotations

import html
import zlib
from pathlib import Path


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
    """Drop thebe everywhere, the widget scripts from pages that show no widget, and the Vega
    runtime from every page (pages with explorers name it for them to load, see below).

    The chapters hide their live-widget outputs in the book (they need a kernel), but
    MyST-NB still adds the widget manager (3.5 MB) to every page whose notebook saved
    widget state; the Vega runtime (0.4 MB) is only needed where an explorer is drawn.
    """
    body = context.get("body", "")
    unused = VEGA_SCRIPTS   # never loaded at first: named in a meta tag instead (below)
    if "application/vnd.jupyter.widget-view+json" not in body:
        unused += WIDGET_SCRIPTS
    if "vega-explorer" in body:
        name_the_vega_runtime(app, context)
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [
                asset for asset in context[key]
                if not _is_thebe(asset) and not _named(asset, unused)
            ]


def name_the_vega_runtime(app, context) -> None:
    """Name the Vega runtime in ``<meta name="book-vega-runtime">`` instead of loading it.

    An explorer loads the runtime (0.4 MB) itself when it first comes near the viewport
    (``lib.explorer_kit``): loaded with the page, it competed with the text a phone shows
    first, and Lighthouse counted it against the page's largest paint.
    """
    bundle = next((asset for asset in context.get("script_files", []) if _named(asset, VEGA_SCRIPTS)), None)
    if bundle is None:
        raise RuntimeError("a page shows an explorer but the Vega runtime is not among its scripts "
                           "(html_js_files in _config.yml)")
    name = str(getattr(bundle, "filename", bundle))
    name = name if name.startswith("_static/") else f"_static/{name}"
    url = context["pathto"](name, 1)
    built = Path(app.outdir) / name
    if built.is_file():   # a new bundle gets a new URL, as Sphinx's ?v= does for the other scripts
        url += f"?v={zlib.crc32(built.read_bytes()):08x}"
    context["metatags"] = (context.get("metatags") or "") + (
        f'\n    <meta name="book-vega-runtime" content="{html.escape(url)}">')


def setup(app):
    app.connect("html-page-context", strip_unused_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
