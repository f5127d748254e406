"""Every internal link and anchor of the built book resolves; external links are reported, not fetched."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest
from bs4 import BeautifulSoup

pytestmark = pytest.mark.build

REPORT = "external-links.txt"


def _pages(html: Path) -> list[Path]:
    return sorted(p for p in html.rglob("*.html") if "_static" not in p.parts)


def _ids(path: Path, cache: dict) -> set[str]:
    if path not in cache:
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        cache[path] = {e["id"] for e in soup.find_all(id=True)} | {
            e["name"] for e in soup.find_all("a", attrs={"name": True})
        }
    return cache[path]


def test_internal_links_and_anchors_resolve(built_html):
    broken, external, ids = [], set(), {}
    for page in _pages(built_html):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for anchor in soup.find_all("a", href=True):
            href = anchor["href"].strip()
            parsed = urlparse(href)
            if parsed.scheme in ("http", "https"):
                external.add(href)
                continue
            if parsed.scheme in ("mailto", "javascript", "data") or not href:
                continue
            target, fragment = urldefrag(href)
            path = page if not target else (page.parent / unquote(urlparse(target).path)).resolve()
            if path.is_dir():
                path = path / "index.html"
            where = f"{page.relative_to(built_html)}: {href}"
            if not path.exists():
                broken.append(f"{where} (no file {path})")
            elif fragment and path.suffix == ".html" and unquote(fragment) not in _ids(path, ids):
                broken.append(f"{where} (no anchor #{fragment})")
    (built_html.parent / REPORT).write_text("\n".join(sorted(external)) + "\n", encoding="utf-8")
    assert not broken, "broken internal links:\n" + "\n".join(broken)


def test_every_image_has_alternative_text(built_html):
    missing = []
    for page in _pages(built_html):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for image in soup.find_all("img"):
            if not (image.get("alt") or "").strip():
                missing.append(f"{page.relative_to(built_html)}: {image.get('src')}")
    assert not missing, "images without alt text:\n" + "\n".join(missing)


def test_every_explorer_has_a_text_description(built_html):
    missing = []
    for page in _pages(built_html):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for explorer in soup.select(".vega-explorer"):
            if explorer.get("role") != "figure" or len(explorer.get("aria-label", "")) < 40:
                missing.append(f"{page.relative_to(built_html)}: #{explorer.get('id')}")
    assert not missing, "explorers without a description:\n" + "\n".join(missing)
