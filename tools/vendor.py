"""Fill ``_vendor/``: every script the built book serves from its own folder.

Sources are registry packages at pinned versions, copied unchanged:

- ``node_modules/`` (``npm ci`` from package-lock.json): require.js and the
  ``@jupyter-widgets/html-manager`` embed script with its assets (MathJax is not served:
  ``_ext/page_speed.py`` renders the math at build time);
- the PyPI package ``vl-convert-python``: the Vega / Vega-Lite / vega-embed bundle,
  wrapped in a function scope so its top-level names cannot clash with Sphinx's scripts.

Sphinx copies ``_vendor/`` into ``_build/html/_static/`` (``html_static_path``).
Run from the repository root: ``python tools/vendor.py``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
OUT = ROOT / "_vendor"


def vega_bundle() -> str:
    """The vega-embed bundle for the Vega-Lite version Altair writes, in its own scope."""
    import altair
    import vl_convert

    major_minor = ".".join(altair.VEGALITE_VERSION.split(".")[:2])
    bundle = vl_convert.javascript_bundle(vl_version=major_minor)
    header = (
        f"/* vega {vl_convert.get_vega_version()}, vega-lite {major_minor}, "
        f"vega-embed {vl_convert.get_vega_embed_version()}: "
        f"from vl-convert-python {vl_convert.__version__} (vl_convert.javascript_bundle). */\n"
    )
    # The bundle ends by assigning window.vegaEmbed / window.vega / window.vegaLite.
    return header + "(function () {\n" + bundle + "\n})();\n"


def main() -> int:
    missing = [p for p in ("requirejs", "@jupyter-widgets/html-manager") if not (NODE / p).is_dir()]
    if missing:
        print(f"vendor.py: expected npm packages {missing} in {NODE}; run `npm ci` first.",
              file=sys.stderr)
        return 1
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir()
    shutil.copy2(NODE / "requirejs" / "require.js", OUT / "require.js")
    shutil.copytree(
        NODE / "@jupyter-widgets" / "html-manager" / "dist",
        OUT / "html-manager",
        ignore=shutil.ignore_patterns("embed.js", "libembed-amd.js", "*.map", "*.d.ts", "*.txt"),
    )
    (OUT / "vega").mkdir()
    (OUT / "vega" / "vega-bundle.js").write_text(vega_bundle(), encoding="utf-8")
    print(f"vendor.py: wrote {OUT.relative_to(ROOT)}/ (require.js, html-manager, vega)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
