"""axe-core (npm, pinned in package-lock.json) on every page of the built book, in headless Chromium.

Fails on "serious" or "critical" violations that the book's own content causes.
Violations that come from the theme (pydata-sphinx-theme / sphinx-book-theme)
and that we cannot fix from the book are listed in THEME_ISSUES with the reason.
"""

from __future__ import annotations

import pytest

from conftest import ROOT, all_pages, open_page

pytestmark = [pytest.mark.browser, pytest.mark.build]

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

# rule id -> (CSS-selector fragments of the theme's own elements, why we cannot fix it here)
THEME_ISSUES: dict[str, tuple[tuple[str, ...], str]] = {}


def _ours(rule: str, target: str) -> bool:
    selectors, _reason = THEME_ISSUES.get(rule, ((), ""))
    return not any(fragment in target for fragment in selectors)


def test_no_serious_accessibility_violations(browser, site, built_html):
    assert AXE.is_file(), f"expected axe-core at {AXE}: run `npm ci`"
    problems = []
    for path in all_pages(built_html):
        context, page, _record = open_page(browser, site, path)
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "() => axe.run(document, {resultTypes: ['violations']})"
            ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " targets: v.nodes.map(n => n.target.join(' '))})))"
        )
        for violation in result:
            if violation["impact"] not in ("serious", "critical"):
                continue
            targets = [t for t in violation["targets"] if _ours(violation["id"], t)]
            if targets:
                problems.append(f"{path}: {violation['id']} ({violation['impact']}): {violation['help']}: {targets[:5]}")
        context.close()
    assert not problems, "\n".join(problems)
