"""Fill ``_vendor/``: every script the built book serves from its own folder.

Sources are registry packages at pinned versions, copied unchanged:

- ``node_modules/`` (``npm ci`` from package-lock.json): require.js and the
  ``@jupyter-widgets/html-manager`` embed script with its assets (MathJax is not served:
  ``_ext/page_speed.py`` renders the math at build time);
- ``vega/vega-bundle.js``: the Vega runtime (``vega`` from npm, only ``parse``, ``View`` and the
  transforms a compiled Vega-Lite spec uses; ``tools/vega-entry.js``), bundled and minified by
  esbuild (npm, pinned) in a function scope, so its names cannot clash with Sphinx's scripts.
  The explorers' Vega-Lite specs are compiled to Vega at build time (``lib/explorer_kit.py``),
  so pages load neither Vega-Lite nor vega-embed: 0.41 MB instead of 0.9 MB.
  ``package.json`` overrides ``vega-scenegraph`` to one version: vega 6.2.0's own packages
  ask for two, and the bundle would carry the scenegraph four times.

Sphinx copies ``_vendor/`` into ``_build/html/_static/`` (``html_static_path``).
Run from the repository root: ``python tools/vendor.py``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
OUT = ROOT / "_vendor"


def vega_bundle() -> str:
    """The Vega runtime (``window.vega = {parse, View, version}``), minified, in its own scope."""
    version = json.loads((NODE / "vega" / "package.json").read_text(encoding="utf-8"))["version"]
    esbuild = NODE / ".bin" / "esbuild"
    result = subprocess.run(
        [str(esbuild), str(ROOT / "tools" / "vega-entry.js"), "--bundle", "--minify", "--format=iife",
         "--legal-comments=none", "--log-level=warning", f"--define:VEGA_VERSION={json.dumps(version)}"],
        capture_output=True, text=True, cwd=ROOT, check=False)
    if result.returncode != 0:
        raise SystemExit(f"vendor.py: esbuild failed:\n{result.stderr}")
    header = f"/* vega {version} (parse, View, data/view transforms, encoders): tools/vega-entry.js, esbuild. */\n"
    return header + "(function () {\n" + result.stdout + "\n})();\n"


def main() -> int:
    missing = [p for p in ("requirejs", "@jupyter-widgets/html-manager", "vega", "esbuild") if not (NODE / p).is_dir()]
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
