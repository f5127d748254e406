"""Screenshot built pages in headless Debian Chromium, at a width and in a colour scheme.

    python tools/screenshot.py intro chapters/05_logical_and          # 1280 px, light
    python tools/screenshot.py --width 390 --scheme dark intro api
    python tools/screenshot.py --review                              # the review set, 4 ways
    python tools/screenshot.py --dark --explorers chapters/06_multihead_attention

``--dark`` is ``--scheme dark``; ``--explorers`` shoots each kernel-free explorer of the
page on its own (``<page>-<kind>-<width>-<scheme>.png``) instead of the page.

Serves the built book (``_build/html``, or ``--html DIR``) on 127.0.0.1, opens each page
as a reader with that setting sees it (the browser's preferred scheme *and* the theme's
own switch, see ``tests/conftest.py``), waits for the kernel-free explorers to draw, and
writes ``_build/screenshots/<page>-<width>-<scheme>.png``: the full page, or with
``--viewport`` only the first screen. Phones (width < 600) are shot at 844 px high and
twice the pixel density, as a phone shows them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from browser import launch_chromium, serve_book  # noqa: E402
from conftest import open_page, wait_for_explorers  # noqa: E402

REVIEW_PAGES = [
    "intro", "chapters/02_padding", "chapters/05_logical_and", "chapters/06_multihead_attention",
    "chapters/07_causal", "chapters/12_playground", "chapters/13_mask_doctor", "api", "api/masks",
]


def shoot(browser, base: str, name: str, width: int, scheme: str, out: Path,
          full_page: bool = True, explorers: bool = False) -> list[Path]:
    """Screenshots of page ``name`` (no ``.html``): the page, or each of its explorers."""
    phone = width < 600
    viewport = {"width": width, "height": 844 if phone else 900}
    context, page, _ = open_page(browser, base, f"{name}.html", viewport=viewport, scheme=scheme,
                                 device_scale_factor=2 if phone else 1)
    try:
        wait_for_explorers(page, timeout=20000)   # scrolls each into view: they draw only then
    except Exception as error:
        print(f"{name}: explorers did not all draw ({error.__class__.__name__})", file=sys.stderr)
    # lazy images (_ext/page_speed.py) load now, so a full-page shot shows every figure
    page.evaluate("""() => Promise.all(Array.from(document.querySelectorAll('img')).map(img => {
        img.loading = 'eager'; return img.decode().catch(() => null); }))""")
    page.wait_for_timeout(500)
    stem = name.replace("/", "_")
    targets = []
    if explorers:
        found = page.locator(".vega-explorer")
        for index in range(found.count()):
            kind = found.nth(index).get_attribute("data-explorer") or str(index)
            targets.append(out / f"{stem}-{kind}-{width}-{scheme}.png")
            found.nth(index).screenshot(path=str(targets[-1]))
    else:
        targets.append(out / f"{stem}-{width}-{scheme}.png")
        page.screenshot(path=str(targets[-1]), full_page=full_page)
    context.close()
    return targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", help="pages without .html, e.g. intro chapters/05_logical_and")
    parser.add_argument("--width", type=int, action="append", help="viewport width (repeatable)")
    parser.add_argument("--scheme", choices=["light", "dark"], action="append",
                        help="colour scheme (repeatable)")
    parser.add_argument("--dark", action="store_true", help="the same as --scheme dark")
    parser.add_argument("--explorers", action="store_true", help="each explorer on its own")
    parser.add_argument("--review", action="store_true",
                        help="the review set: intro, chapters 2, 5, 6, 7, 12, 13 and api "
                        "at 1280 and 390, light and dark")
    parser.add_argument("--viewport", action="store_true", help="only the first screen, not the full page")
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "screenshots")
    args = parser.parse_args(argv)
    pages = args.pages or (REVIEW_PAGES if args.review else ["intro"])
    widths = args.width or ([1280, 390] if args.review else [1280])
    schemes = args.scheme or (["light", "dark"] if args.review else ["dark"] if args.dark else ["light"])
    args.out.mkdir(parents=True, exist_ok=True)
    with serve_book(args.html) as base, launch_chromium() as browser:
        for name in pages:
            for width in widths:
                for scheme in schemes:
                    for target in shoot(browser, base, name, width, scheme, args.out,
                                        full_page=not args.viewport, explorers=args.explorers):
                        print(target)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
