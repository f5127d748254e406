"""Screenshot built pages with headless Debian Chromium.

``python tools/screenshot.py [--width 390] [--dark] [--explorers] intro [chapters/01_tokens ...]``

Serves ``_build/html`` on 127.0.0.1, writes ``_build/screenshots/<page>.png`` (full page).
``--width 390`` shoots at a phone's width (844 px high), ``--dark`` in the dark colour scheme,
and ``--explorers`` shoots each kernel-free explorer of the page on its own
(``<page>-<kind>-<width>.png``), once every explorer has drawn.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser import launch_chromium, serve_book  # noqa: E402


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", default=["intro"])
    parser.add_argument("--width", type=int, default=1300)
    parser.add_argument("--dark", action="store_true")
    parser.add_argument("--explorers", action="store_true")
    args = parser.parse_args(argv)
    out = ROOT / "_build" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    scheme = "dark" if args.dark else "light"
    with serve_book(ROOT / "_build" / "html") as base, launch_chromium() as browser:
        context = browser.new_context(
            viewport={"width": args.width, "height": 844 if args.width < 600 else 900},
            color_scheme=scheme,
        )
        context.add_init_script(
            f"try {{ localStorage.setItem('mode', '{scheme}'); "
            f"localStorage.setItem('theme', '{scheme}'); }} catch (e) {{}}"
        )
        page = context.new_page()
        for name in args.pages:
            page.goto(f"{base}/{name}.html", wait_until="networkidle")
            page.wait_for_function(
                "() => Array.from(document.querySelectorAll('.vega-explorer'))"
                ".every(el => el.getAttribute('data-rendered') === 'true')",
                timeout=20000,
            )
            stem = name.replace("/", "_") + ("-dark" if args.dark else "")
            if args.explorers:
                explorers = page.locator(".vega-explorer")
                for index in range(explorers.count()):
                    explorer = explorers.nth(index)
                    kind = explorer.get_attribute("data-explorer") or str(index)
                    target = out / f"{stem}-{kind}-{args.width}.png"
                    explorer.screenshot(path=str(target))
                    print(target)
                continue
            suffix = "" if args.width == 1300 else f"-{args.width}"
            target = out / f"{stem}{suffix}.png"
            page.screenshot(path=str(target), full_page=True)
            print(target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
