"""Shared fixtures: where the built book is, the chapters the table of contents lists, and the
book served on 127.0.0.1 and opened in headless Debian Chromium (at a width and colour scheme)."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

from browser import chromium_path, launch_chromium, serve_book

ROOT = Path(__file__).resolve().parent.parent
HTML = Path(os.environ.get("BOOK_HTML") or ROOT / "_build" / "html")
"""The built book; ``BOOK_HTML=dir`` points the page tests at another build (e.g. one chapter's)."""


def toc_files() -> list[str]:
    """Every document of ``_toc.yml`` (root first), without suffix, e.g. ``chapters/01_tokens``,
    read by sphinx-external-toc, the parser Jupyter Book itself uses."""
    from sphinx_external_toc.parsing import parse_toc_yaml

    return list(parse_toc_yaml(ROOT / "_toc.yml"))


@pytest.fixture(scope="session")
def built_html() -> Path:
    """``_build/html``; the book tests need it built first (``make test`` does that)."""
    if not (HTML / "index.html").is_file():
        pytest.fail(f"expected the built book in {HTML}; run `make book` (make test builds it first)")
    return HTML


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


# --- the built book in Chromium ---------------------------------------------------------------

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
"""The two viewports every page is checked at (a desktop, and a phone held upright)."""


def all_pages(built_html: Path) -> list[str]:
    """Every HTML page of the built book (not the theme's), relative to ``built_html``."""
    return sorted(
        str(p.relative_to(built_html)) for p in built_html.rglob("*.html") if "_static" not in p.parts
    )


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium; skips loudly without it, and fails instead under CI."""
    if chromium_path() is None:
        message = "NO CHROMIUM FOUND (/usr/bin/chromium): browser tests cannot run. apt-get install chromium"
        if in_ci():
            pytest.fail(message + " (CI=true: failing instead of skipping)")
        warnings.warn(message, stacklevel=2)
        pytest.skip(message)
    with launch_chromium() as instance:
        yield instance


@pytest.fixture(scope="session")
def site(built_html):
    """The base URL of the built book, served on 127.0.0.1."""
    with serve_book(built_html) as base:
        yield base


@dataclass
class Visit:
    """What happened while a page was open: requests to other hosts (aborted), JavaScript
    errors, console errors and failed local requests."""

    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def __getitem__(self, key: str) -> list[str]:  # older tests read record["outside"]
        return getattr(self, key)


def open_page(browser, base: str, path: str, viewport: dict | None = None,
              scheme: str = "light", wait_until: str = "networkidle",
              device_scale_factor: float = 1):
    """Open ``path`` of the served book with every request to another host aborted and recorded.

    ``viewport`` is :data:`DESKTOP` by default (or :data:`PHONE`); ``scheme`` is ``"light"`` or
    ``"dark"``: the browser's preferred colour scheme *and* the theme's own switch (its
    ``localStorage`` mode), so the page is shown as a reader with that setting sees it.
    ``device_scale_factor`` 2 shows the page as a high-density screen does (screenshots).
    Returns ``(context, page, visit)``; close the context when done.
    """
    if scheme not in ("light", "dark"):
        raise ValueError(f"scheme: expected 'light' or 'dark', received {scheme!r}")
    context = browser.new_context(viewport=viewport or DESKTOP, color_scheme=scheme,
                                  device_scale_factor=device_scale_factor)
    context.add_init_script(
        f"try {{ localStorage.setItem('mode', '{scheme}'); localStorage.setItem('theme', '{scheme}'); }}"
        " catch (e) {}"
    )
    visit = Visit()
    local = urlparse(base).netloc

    def route(route_, request):
        parsed = urlparse(request.url)
        if parsed.scheme in ("http", "https", "ws", "wss") and parsed.netloc != local:
            visit.outside.append(request.url)
            return route_.abort()
        return route_.continue_()

    context.route("**/*", route)
    page = context.new_page()
    page.on("pageerror", lambda error: visit.errors.append(str(error)))
    page.on("console", lambda message: visit.console.append(message.text)
            if message.type == "error" else None)
    page.on(
        "response",
        lambda response: visit.failed.append(f"{response.status} {response.url}")
        if response.status >= 400 and not response.url.endswith("favicon.ico") else None,
    )
    page.goto(f"{base}/{path}", wait_until=wait_until)
    return context, page, visit


def wait_for_explorers(page, timeout: float = 15000) -> int:
    """Bring every kernel-free explorer on the page near the viewport, as a reader scrolling
    through does (an explorer draws only then), wait until each has drawn, and scroll back to
    the top; return how many there are."""
    page.evaluate("""async () => {
        for (const el of document.querySelectorAll('.vega-explorer')) {
            el.scrollIntoView({block: 'center'});
            await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
        }
    }""")
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.vega-explorer'))"
        ".every(el => el.getAttribute('data-rendered') === 'true')",
        timeout=timeout,
    )
    page.evaluate("window.scrollTo(0, 0)")
    return page.locator(".vega-explorer").count()
