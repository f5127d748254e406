"""What a built page weighs with everything it loads, as stored and gzip-compressed.

Counted: the HTML, every script, stylesheet and image it references, and the icon fonts its
Font Awesome classes make the browser fetch. Shared by ``tests/test_page_speed.py`` and
``bench/run.py``.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from bs4 import BeautifulSoup

FONT_FILES = {  # class on the page -> the woff2 file the theme's CSS loads for it
    "fa-solid": "_static/vendor/fontawesome/webfonts/fa-solid-900.woff2",
    "fa-regular": "_static/vendor/fontawesome/webfonts/fa-regular-400.woff2",
    "fa-brands": "_static/vendor/fontawesome/webfonts/fa-brands-400.woff2",
}


def pages(html: Path) -> list[Path]:
    return sorted(p for p in html.rglob("*.html") if "_static" not in p.parts)


def loaded_files(page: Path, html: Path) -> list[Path]:
    """The page itself and every local file it loads."""
    text = page.read_text(encoding="utf-8")
    soup = BeautifulSoup(text, "html.parser")
    found = [page]
    for tag, attribute in (("script", "src"), ("link", "href"), ("img", "src")):
        for element in soup.find_all(tag):
            value = element.get(attribute)
            if not value or value.startswith(("http", "data:", "#", "//")):
                continue
            if tag == "link" and not {"stylesheet", "preload", "icon"} & set(element.get("rel") or []):
                continue
            path = (page.parent / value.split("?")[0].split("#")[0]).resolve()
            if path.is_file() and path not in found:
                found.append(path)
    for css_class, font in FONT_FILES.items():
        if css_class in text and (html / font).is_file():
            found.append((html / font).resolve())
    return found


def weight(page: Path, html: Path) -> tuple[float, float]:
    """(MB as stored, MB gzip-compressed) of ``page`` with what it loads."""
    files = loaded_files(page, html)
    stored = sum(p.stat().st_size for p in files)
    compressed = sum(len(gzip.compress(p.read_bytes(), compresslevel=6)) for p in files)
    return stored / 1e6, compressed / 1e6
