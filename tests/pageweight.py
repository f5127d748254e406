"""What a built page weighs with everything it loads, as stored and gzip-compressed.

Counted: the HTML, every script, stylesheet and image it references (with the Vega runtime its
explorers load), and the icon fonts its Font Awesome classes make the browser fetch. Shared by ``tests/test_page_speed.py`` and
``bench/run.py``.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from bs4 import BeautifulSoup

FONT_FILES = {  # class on the page -> the name the woff2 file its stylesheet loads starts with
    "fa-solid": "fa-solid-900",
    "fa-regular": "fa-regular-400",
    "fa-brands": "fa-brands-400",
}
FONT_URL = re.compile(r"url\(['\"]?([^'\")]+\.woff2)")


def pages(html: Path) -> list[Path]:
    return sorted(p for p in html.rglob("*.html") if "_static" not in p.parts)


def loaded_files(page: Path, html: Path) -> list[Path]:
    """The page itself and every local file it loads."""
    text = page.read_text(encoding="utf-8")
    soup = BeautifulSoup(text, "html.parser")
    found = [page]
    # the Vega runtime, which the page's explorers load when the first of them nears the viewport
    named = soup.find_all("meta", attrs={"name": "book-vega-runtime"})
    for tag, attribute in (("script", "src"), ("link", "href"), ("img", "src"), ("meta", "content")):
        for element in (named if tag == "meta" else soup.find_all(tag)):
            value = element.get(attribute)
            if not value or value.startswith(("http", "data:", "#", "//")):
                continue
            if tag == "link" and not {"stylesheet", "preload", "icon"} & set(element.get("rel") or []):
                continue
            path = (page.parent / value.split("?")[0].split("#")[0]).resolve()
            if path.is_file() and path not in found:
                found.append(path)
    fonts = []   # the icon fonts the page's stylesheets load (the subset ones, see _ext/page_speed.py)
    for sheet in [p for p in found if p.suffix == ".css"]:
        for url in FONT_URL.findall(sheet.read_text(encoding="utf-8")):
            path = (sheet.parent / url.split("?")[0]).resolve()
            if path.is_file() and path not in fonts:
                fonts.append(path)
    for css_class, stem in FONT_FILES.items():
        if css_class in text:
            found += [font for font in fonts if font.name.startswith(stem) and font not in found]
    return found


def weight(page: Path, html: Path) -> tuple[float, float]:
    """(MB as stored, MB gzip-compressed) of ``page`` with what it loads."""
    files = loaded_files(page, html)
    stored = sum(p.stat().st_size for p in files)
    compressed = sum(len(gzip.compress(p.read_bytes(), compresslevel=6)) for p in files)
    return stored / 1e6, compressed / 1e6
