"""Screenshot built pages with headless Debian Chromium:
``python tools/screenshot.py [--width 390] intro [chapters/01_tokens ...]``.

Serves ``_build/html`` on 127.0.0.1, writes ``_build/screenshots/<page>.png`` (full page).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser import launch_chromium, serve_book  # noqa: E402


def main(pages: list[str], width: int = 1300) -> int:
    out = ROOT / "_build" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with serve_book(ROOT / "_build" / "html") as base, launch_chromium() as browser:
        page = browser.new_page(viewport={"width": width, "height": 844 if width < 600 else 900})
        for name in pages:
            page.goto(f"{base}/{name}.html", wait_until="networkidle")
            page.wait_for_timeout(800)
            suffix = "" if width == 1300 else f"-{width}"
            target = out / (name.replace("/", "_") + suffix + ".png")
            page.screenshot(path=str(target), full_page=True)
            print(target)
    return 0


if __name__ == "__main__":
    arguments = sys.argv[1:]
    width = 1300
    if arguments[:1] == ["--width"]:
        width, arguments = int(arguments[1]), arguments[2:]
    raise SystemExit(main(arguments or ["intro"], width))
