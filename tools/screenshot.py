"""Screenshot built pages with headless Debian Chromium:
``python tools/screenshot.py intro [chapters/01_tokens ...]``.

Serves ``_build/html`` on 127.0.0.1, writes ``_build/screenshots/<page>.png`` (full page).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser import launch_chromium, serve_book  # noqa: E402


def main(pages: list[str]) -> int:
    out = ROOT / "_build" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with serve_book(ROOT / "_build" / "html") as base, launch_chromium() as browser:
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        for name in pages:
            page.goto(f"{base}/{name}.html", wait_until="networkidle")
            page.wait_for_timeout(800)
            target = out / (name.replace("/", "_") + ".png")
            page.screenshot(path=str(target), full_page=True)
            print(target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:] or ["intro"]))
