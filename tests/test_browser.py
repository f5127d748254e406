"""Every page of the built book in headless Debian Chromium: no outside requests, no JS errors,
figures present, and the kernel-free sliders redraw their charts."""

from __future__ import annotations

import pytest

from conftest import all_pages, open_page, toc_files

pytestmark = [pytest.mark.browser, pytest.mark.build]

# Chapters that must carry a kernel-free explorer (a chart with sliders).
EXPLORER_PAGES = [
    "chapters/04_broadcasting", "chapters/05_logical_and", "chapters/06_multihead_attention",
    "chapters/12_playground",
]

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


@pytest.mark.parametrize("doc", EXPLORER_PAGES)
def test_kernel_free_sliders_redraw_the_chart(browser, site, doc):
    if doc not in toc_files():
        pytest.fail(f"{doc} is not in _toc.yml")
    context, page, record = open_page(browser, site, f"{doc}.html")
    explorers = page.locator(".vega-explorer")
    assert explorers.count() >= 1, f"{doc}: no kernel-free explorer"
    for index in range(explorers.count()):
        explorer = explorers.nth(index)
        page.wait_for_function(
            "el => el.getAttribute('data-rendered') === 'true'", arg=explorer.element_handle(), timeout=15000
        )
        slider = explorer.locator("input[type=range]").first
        before = explorer.locator("svg").first.inner_html()
        low, high = (int(slider.get_attribute(a)) for a in ("min", "max"))
        value = int(slider.input_value())
        new = low if value != low else high
        slider.fill(str(new))
        slider.dispatch_event("input")
        slider.dispatch_event("change")
        page.wait_for_timeout(200)
        after = explorer.locator("svg").first.inner_html()
        assert before != after, f"{doc}: explorer {index} did not redraw when its slider moved to {new}"
    assert not record["outside"] and not record["errors"], record
    context.close()


def test_playground_toggles_and_sliders_redraw(browser, site):
    """Every control of the kernel-free playground changes what it shows."""
    context, page, record = open_page(browser, site, "chapters/12_playground.html")
    explorer = page.locator(".vega-explorer").first
    page.wait_for_function(
        "el => el.getAttribute('data-rendered') === 'true'", arg=explorer.element_handle(), timeout=15000
    )

    def picture() -> str:
        page.wait_for_timeout(200)
        return explorer.locator("svg").first.inner_html()

    seen = [picture()]
    for name in ("cross", "causal"):
        explorer.locator(f"input[name={name}]").check()
        seen.append(picture())
    for name in ("S", "T", "sentence", "head"):
        slider = explorer.locator(f"input[name={name}]")
        low, high = (int(slider.get_attribute(a)) for a in ("min", "max"))
        value = int(slider.input_value())
        # upwards: moving T down to 1 would leave one row, the same for every head
        slider.fill(str(high if value != high else low))
        slider.dispatch_event("input")
        seen.append(picture())
    changes = [a != b for a, b in zip(seen, seen[1:])]
    assert all(changes), f"controls that did not redraw: {[n for n, c in zip(['cross', 'causal', 'S', 'T', 'sentence', 'head'], changes) if not c]}"
    assert not record["outside"] and not record["errors"], record
    context.close()
