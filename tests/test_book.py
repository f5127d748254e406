"""The built HTML book: complete, self-contained, and offering every chapter as a notebook."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import jupytext
import nbformat
import pytest
from bs4 import BeautifulSoup

from conftest import ROOT, toc_files

pytestmark = pytest.mark.build

# Attributes through which a page *loads* something (hyperlinks <a href> are for the reader).
LOADING = [
    ("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src"),
    ("source", "src"), ("video", "src"), ("audio", "src"), ("embed", "src"), ("object", "data"),
]


def _pages(html: Path) -> list[Path]:
    return sorted(p for p in html.rglob("*.html") if "_static" not in p.parts)


def _is_outside(url: str) -> bool:
    parsed = urlparse(url.strip())
    return parsed.scheme in ("http", "https") or url.strip().startswith("//")


def test_every_toc_document_was_built(built_html):
    missing = [doc for doc in toc_files() if not (built_html / f"{doc}.html").is_file()]
    assert not missing, f"pages missing from the build: {missing}"


def test_no_page_loads_anything_from_another_host(built_html):
    offenders = []
    for page in _pages(built_html):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for tag, attribute in LOADING:
            for element in soup.find_all(tag):
                value = element.get(attribute)
                if tag == "link" and not set(element.get("rel") or []) & {
                    "stylesheet", "preload", "icon", "modulepreload", "manifest", "prefetch"
                }:
                    continue
                if value and _is_outside(value):
                    offenders.append(f"{page.relative_to(built_html)}: <{tag} {attribute}={value}>")
        for style in soup.find_all("style"):
            for url in re.findall(r"url\(([^)]+)\)", style.get_text()):
                if _is_outside(url.strip("'\"")):
                    offenders.append(f"{page.relative_to(built_html)}: style url({url})")
    assert not offenders, "outside loads:\n" + "\n".join(offenders)


def test_no_stylesheet_imports_from_another_host(built_html):
    offenders = []
    for css in (built_html / "_static").rglob("*.css"):
        text = css.read_text(encoding="utf-8", errors="replace")
        for url in re.findall(r"@import\s+(?:url\()?['\"]?(https?://[^'\")\s]+)", text):
            offenders.append(f"{css.relative_to(built_html)}: @import {url}")
        for url in re.findall(r"url\(['\"]?(https?://[^'\")]+)", text):
            offenders.append(f"{css.relative_to(built_html)}: url({url})")
    assert not offenders, "\n".join(offenders)


def test_vendored_scripts_are_served_locally(built_html):
    static = built_html / "_static"
    for relative in ("require.js", "html-manager/embed-amd.js", "vega/vega-bundle.js"):
        assert (static / relative).is_file(), f"expected _static/{relative} in the build"
    bundle = (static / "vega" / "vega-bundle.js").read_text(encoding="utf-8")
    assert bundle.lstrip().startswith("/*") and "(function () {" in bundle, "vega bundle must be wrapped"


def notebook_docs() -> list[str]:
    """Documents of the table of contents that are notebooks (a jupytext header)."""
    return [d for d in toc_files() if "kernelspec:" in (ROOT / f"{d}.md").read_text()[:1000]]


def test_every_chapter_offers_its_notebook(built_html):
    docs = notebook_docs()
    assert len(docs) >= 13, f"expected the intro and 12 chapters as notebooks, found {docs}"
    for doc in docs:
        source = ROOT / f"{doc}.md"
        notebook_path = built_html / "_sources" / f"{doc}.ipynb"
        assert notebook_path.is_file(), f"expected a generated notebook for {doc}"
        notebook = nbformat.read(notebook_path, as_version=4)
        nbformat.validate(notebook)
        expected = jupytext.read(source, fmt="md:myst")
        code = [c.source for c in notebook.cells if c.cell_type == "code"]
        original = [c.source for c in expected.cells if c.cell_type == "code"]
        # the first cell gains a guard that says where `lib` comes from (tests/test_archive.py)
        assert code[0].startswith("try:\n    import lib") and code[0].endswith(original[0])
        assert code[1:] == original[1:]
        assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")
        page = (built_html / f"{doc}.html").read_text(encoding="utf-8")
        assert f"{Path(doc).name}.ipynb" in page, f"{doc}.html does not link its .ipynb"


def test_introduction_reproduces_the_seed(built_html):
    page = (built_html / "intro.html").read_text(encoding="utf-8")
    text = BeautifulSoup(page, "html.parser").get_text()
    assert "[[1 3 2 7 4 5]\n [1 3 6 0 0 0]]" in text
    assert "[[ True  True  True  True  True  True]\n [ True  True  True False False False]]" in text
    assert "(2, 6, 6)" in text
    soup = BeautifulSoup(page, "html.parser")
    for figure_id in ("fig-intro-padding-mask", "fig-intro-attention-mask"):
        figure = soup.find(id=figure_id)
        assert figure is not None, f"figure {figure_id} missing"
        image = figure.find("img")
        assert image is not None and image.get("alt"), f"figure {figure_id} has no image with alt text"
        assert (built_html / image["src"]).is_file()


def test_no_tensorflow_log_noise_in_pages(built_html):
    for doc in notebook_docs():
        text = (built_html / f"{doc}.html").read_text(encoding="utf-8")
        for noise in ("oneDNN custom operations", "absl::InitializeLog"):
            assert noise not in text, f"{doc}: TensorFlow log noise '{noise}' in the page"
