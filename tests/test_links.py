"""Every internal link and anchor of the built book resolves; external links are reported, never
fetched; every page links the sources the references page says it uses."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest
from bs4 import BeautifulSoup

from conftest import toc_files

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


# --- sources: references.md says which page uses which source; each such page must link it ---

NON_CHAPTERS = {"references", "pitfalls", "api"}
"""Pages of the table of contents that are not chapters (the intro counts as a chapter here);
the API's module pages (``api/...``) are not chapters either (:func:`is_chapter`)."""


def is_chapter(name: str) -> bool:
    return name not in NON_CHAPTERS and not name.startswith("api/")


def _article(path: Path) -> BeautifulSoup:
    """The page's own content (not the theme's navigation, header or footer)."""
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    return soup.find("article") or soup


def _external_links(node) -> list[str]:
    return [a["href"] for a in node.find_all("a", href=True)
            if urlparse(a["href"]).scheme in ("http", "https")]


def declared_sources(built_html: Path) -> dict[str, set[str]]:
    """{source URL: pages (relative .html paths) that the references page says use it}."""
    page = built_html / "references.html"
    sources: dict[str, set[str]] = {}
    for entry in _article(page).select("div.sources li"):
        links = _external_links(entry)
        assert links, f"references.html: an entry without a link: {entry.get_text(' ', strip=True)[:80]}"
        users = set()
        for anchor in entry.find_all("a", href=True):
            target = urldefrag(anchor["href"])[0]
            if target and urlparse(target).scheme == "" and target.endswith(".html"):
                users.add(str((page.parent / target).resolve().relative_to(built_html.resolve())))
        assert users, f"references.html: {links[0]} names no page that uses it"
        sources[links[0]] = users
    return sources


def test_references_page_lists_sources(built_html):
    sources = declared_sources(built_html)
    assert len(sources) >= 10, f"expected the references page to list the sources, found {len(sources)}"
    assert "https://stackoverflow.com/questions/73835386" in sources


def test_every_chapter_links_its_sources(built_html):
    """Each page the references page names links that source itself, and every chapter has one."""
    sources = declared_sources(built_html)
    missing = []
    for url, users in sorted(sources.items()):
        for user in sorted(users):
            if url not in _external_links(_article(built_html / user)):
                missing.append(f"{user} does not link {url}")
    chapters = {f"{name}.html" for name in toc_files() if is_chapter(name)}
    using = set().union(*sources.values())
    missing += [f"{chapter} is named as the user of no source" for chapter in sorted(chapters - using)]
    assert not missing, "sources not linked where they are used:\n" + "\n".join(missing)


def test_every_link_to_the_outside_is_a_listed_source(built_html):
    """No chapter links an outside page that the references page does not list."""
    listed = set()
    for entry in _article(built_html / "references.html").select("div.sources li"):
        listed.update(_external_links(entry))
    unlisted = []
    for name in toc_files():
        if not is_chapter(name):
            continue
        for url in _external_links(_article(built_html / f"{name}.html")):
            if url not in listed:
                unlisted.append(f"{name}.html: {url}")
    assert not unlisted, "links to sources the references page does not list:\n" + "\n".join(unlisted)
