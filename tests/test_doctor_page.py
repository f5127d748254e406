"""Chapter 13 as the reader receives it: the report tables render as HTML tables whose rows
are the checker's rows, fit a phone, read in dark mode, and the verdict figure is shown."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import DESKTOP, PHONE, open_page, toc_files

pytestmark = [pytest.mark.browser, pytest.mark.build]

DOC = "chapters/13_mask_doctor"
AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = os.environ.get("DOCTOR_SCREENSHOTS")  # a folder: save a screenshot of each view there


@pytest.fixture(scope="module")
def automatic_rows():
    """The rows check_model gives for chapter 9's tutorial-style model, computed here."""
    from lib.doctor import MaskReport, check_model
    from lib.toy_transformer import ToyTransformer, toy_source_target

    report = check_model(ToyTransformer(explicit_masks=False, seed=0), list(toy_source_target()))
    return report, [MaskReport._cells(report, row) for row in report.rows]


def _luminance(css_colour: str) -> float:
    parts = css_colour[css_colour.index("(") + 1 : css_colour.index(")")].split(",")
    red, green, blue = (float(p) / 255 for p in parts[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_report_tables_render_and_fit(browser, site, automatic_rows, viewport, scheme):
    assert DOC in toc_files()
    report, cells = automatic_rows
    context, page, visit = open_page(browser, site, f"{DOC}.html", viewport, scheme)
    try:
        tables = page.locator(".doctor-report table")
        assert tables.count() == 3                      # guide model, automatic, explicit
        verdicts = page.locator(".doctor-report .doctor-verdict").all_inner_texts()
        assert [v.split(" (")[0] for v in verdicts] == [
            "verdict: masks ok", f"verdict: {report.verdict}", "verdict: masks ok"]

        # The second table shows the checker's rows for the tutorial-style model, cell by cell.
        shown = tables.nth(1).locator("tbody tr").evaluate_all(
            "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText.trim()))")
        assert [row[:6] for row in shown] == [row[:6] for row in cells]
        assert tables.nth(1).locator("td.doctor-bad").count() == 2 * len(report.leaking_rows)

        # Nothing is wider than the screen; a wide table scrolls inside its own box.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        for box in page.locator(".doctor-scroll").all():
            assert box.evaluate("b => b.getBoundingClientRect().right <= window.innerWidth + 1")
        assert tables.first.is_visible()

        # Text reads on its background in both schemes; leak cells are marked in colour.
        cell = tables.nth(1).locator("td").first
        text = _luminance(cell.evaluate("c => getComputedStyle(c).color"))
        assert (text > 0.6) if scheme == "dark" else (text < 0.4)
        bad = tables.nth(1).locator("td.doctor-bad").first.evaluate("c => getComputedStyle(c).color")
        assert bad != cell.evaluate("c => getComputedStyle(c).color")

        # The kernel-free figure of the verdicts is there, with alt text.
        image = page.locator("#fig-ch13-verdicts img")
        image.scroll_into_view_if_needed()        # figures load lazily
        page.wait_for_function(
            "() => { const img = document.querySelector('#fig-ch13-verdicts img');"
            " return img && img.complete && img.naturalWidth > 300; }", timeout=15000)
        assert "six rows" in image.get_attribute("alt")
        link = page.locator(".doctor-report a[href*='09_vanishing_masks.html']").first
        assert link.is_visible()
        # axe-core on the report tables in this view (the book-wide axe test runs at 1280 px
        # in light mode only; on a phone the tables scroll, which needs a focusable region).
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate(
            "() => axe.run({include: [['.doctor-report']]}, {resultTypes: ['violations']})"
            ".then(r => r.violations.filter(v => ['serious', 'critical'].includes(v.impact))"
            ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', ')))"
        )
        assert violations == []
        assert not visit.outside and not visit.errors
        if SHOTS:
            name = f"ch13-{'phone' if viewport is PHONE else 'desktop'}-{scheme}.png"
            tables.nth(1).scroll_into_view_if_needed()
            page.screenshot(path=os.path.join(SHOTS, name))
    finally:
        context.close()
