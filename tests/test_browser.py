"""Every page of the built book in headless Debian Chromium: no outside requests, no JS errors,
figures present. (The kernel-free explorers are driven and checked against lib in
tests/test_explorers_browser.py.)"""

from __future__ import annotations

import pytest

from conftest import all_pages, open_page

pytestmark = [pytest.mark.browser, pytest.mark.build]

# JavaScript errors we accept, with the reason. None so far.
KNOWN_JS_ERRORS: dict[str, str] = {}


def test_every_page_loads_offline_without_errors(browser, site, built_html):
    problems = []
    for path in all_pages(built_html):
        context, page, record = open_page(browser, site, path)
        errors = [e for e in record["errors"] if not any(k in e for k in KNOWN_JS_ERRORS)]
        if record["outside"]:
            problems.append(f"{path}: requests to other hosts {record['outside']}")
        if errors:
            problems.append(f"{path}: JavaScript errors {errors}")
        if record["failed"]:
            problems.append(f"{path}: failed requests {record['failed']}")
        context.close()
    assert not problems, "\n".join(problems)


def test_introduction_figures_are_shown(browser, site):
    context, page, record = open_page(browser, site, "intro.html")
    for figure_id in ("fig-intro-padding-mask", "fig-intro-attention-mask"):
        image = page.locator(f"#{figure_id} img")
        assert image.count() == 1, f"{figure_id}: no image"
        # Figures load lazily (_ext/page_speed.py): bring each into view as a reader's scroll would.
        image.scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 100", arg=image.element_handle(), timeout=15_000
        )
        assert image.get_attribute("alt")
    assert not record["outside"]
    context.close()


def test_math_is_drawn_without_mathjax(browser, site, built_html):
    """Math is rendered to SVG at build time (_ext/page_speed.py): visible, labelled, no MathJax."""
    pages = [p for p in all_pages(built_html) if "rendered-math" in (built_html / p).read_text()]
    if not pages:
        pytest.skip("no page uses math")
    context, page, record = open_page(browser, site, pages[0])
    math = page.locator(".rendered-math svg")
    assert math.count() >= 1
    box = math.first.bounding_box()
    assert box and box["width"] > 3 and box["height"] > 3, f"{pages[0]}: math not drawn ({box})"
    assert math.first.get_attribute("aria-label"), "rendered math needs a text alternative"
    assert page.evaluate("() => typeof window.MathJax") == "undefined", "MathJax is still loaded"
    assert not record["outside"]
    context.close()
