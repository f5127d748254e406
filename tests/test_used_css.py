"""The trimmed stylesheets draw every page exactly as the theme's full ones do.

``_ext/page_speed.py`` serves ``*.used.css``: the theme's stylesheets without the rules no page
or script of the book can match (``_ext/unused_css.py``), with a Font Awesome font cut down to
the icons those rules draw. If the trimming dropped a rule a page needs, the page would look
different, so each page is drawn twice in Chromium, once as built and once with every
``*.used.css`` request answered with the original stylesheet, and the two screenshots must be
identical, pixel for pixel: at 1280 px and at 390 px, light and dark, with the things a reader
opens (solutions, the download menu, the search dialog, the phone's navigation drawer).
That comparison takes minutes, so it runs in ``make test-extended``; ``make test`` checks that
pages load the trimmed files and that every icon a page draws is in its trimmed font.
"""

from __future__ import annotations

import io
import re

import pytest

from conftest import open_page

pytestmark = [pytest.mark.build, pytest.mark.browser]

PAGES = ["chapters/13_mask_doctor.html", "api/doctor.html"]   # the API page with the most rules at work
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
# Chromium under load sometimes draws two loads of the same page a little apart: a scrollbar
# fading (a 6 px² box at 390 px), a rounded corner's antialiasing, and a 1 px line along the
# bottom of each code cell a shade off (by up to 18 of 255 per channel, seen at 390 px dark with
# three busy processes on two cores). Such noise is at most one pixel thick and faint, so a pixel
# counts as different only if it differs by more than FAINT and is not a lone thin line (it
# survives a 3 x 3 erosion of the difference mask), or differs by more than STRONG. A missing
# rule moves or recolours whole elements (the missing exercise icon was a 20 x 20 px glyph, a
# dropped rule of the search dialog a 3345 px² box).
FAINT, STRONG = 2, 48
NOISE_PX2 = 64
SLICE = 8000         # px: a full page is shot in slices this tall
MAX_HEIGHT = 32000   # px of a page compared: all of chapter 13 (15600 px at 390), of an API page's start
USED_CSS = re.compile(r"\.used\.css(\?|$)")
FONT = re.compile(r"(fa-(?:solid-900|regular-400|brands-400))\.woff2")


def _originals(built_html):
    """A route handler answering each ``*.used.css`` with the theme's original stylesheet.

    The original still loads the trimmed icon fonts: a font cut down to a few glyphs is
    rasterised a shade differently (FreeType's auto-hinter reads the whole font), which would
    hide a missing rule in noise. The fonts are checked glyph by glyph instead
    (``test_every_icon_on_the_page_is_in_its_trimmed_font``).
    """

    def handler(route, request):
        path = request.url.split("/_static/", 1)[1].split("?")[0]
        original = built_html / "_static" / path.replace(".used.", ".")
        css = FONT.sub(r"\1.used.woff2", original.read_text(encoding="utf-8"))
        route.fulfill(body=css, content_type="text/css; charset=utf-8")

    return handler


def _states(page, phone: bool):
    """Screenshots (PNG bytes; the full page as a list of slices) in the states a reader puts it in."""
    # Two loads of the same page differ where a code block's scrollbar is (Chromium fades it in
    # and out: a 1 px line on every scrolling block at 390 px, dark), so scrollbars are hidden.
    page.add_style_tag(content="*, *::before, *::after { transition: none !important; caret-color: transparent;"
                               " scrollbar-width: none !important; }")
    page.evaluate("document.fonts.ready.then(() => true)")
    shots = {"top": page.screenshot(animations="disabled")}
    for button in page.locator(".solution.dropdown .toggle-button, .admonition.dropdown button").all():
        button.click()
    # lazy figures would load, or not yet, depending on how busy the machine is
    page.evaluate("Promise.all([...document.images].map(image => { image.loading = 'eager';"
                  " return image.decode().catch(() => null); }))")
    page.evaluate("document.fonts.ready.then(() => true)")
    height = page.evaluate("document.documentElement.scrollHeight")
    width = page.viewport_size["width"]
    shots["full page, solutions open"] = [
        page.screenshot(full_page=True, animations="disabled",
                        clip={"x": 0, "y": top, "width": width, "height": min(SLICE, height - top)})
        for top in range(0, min(height, MAX_HEIGHT), SLICE)]
    page.evaluate("window.scrollTo(0, 0)")
    toggle = page.locator(".dropdown-download-buttons .dropdown-toggle")
    if toggle.count() and toggle.first.is_visible():
        toggle.first.click()
        shots["download menu"] = page.screenshot(animations="disabled")
        page.keyboard.press("Escape")
    page.keyboard.press("Control+k")
    shots["search dialog"] = page.screenshot(animations="disabled")
    page.keyboard.press("Escape")
    drawer = page.locator(".primary-toggle")
    if phone and drawer.count() and drawer.first.is_visible():
        drawer.first.click()
        shots["navigation drawer"] = page.screenshot(animations="disabled")
        page.keyboard.press("Escape")
    return shots


def _difference(first: bytes | list[bytes], second: bytes | list[bytes]) -> int:
    """Area in px² of the box around the pixels that differ beyond noise (-1: sizes differ).

    Two lists of slices of a page compare slice by slice; the largest area counts.
    """
    if isinstance(first, list) or isinstance(second, list):
        if len(first) != len(second):
            return -1
        areas = [_difference(one, other) for one, other in zip(first, second)]
        return -1 if -1 in areas else max(areas, default=0)
    import numpy as np
    from PIL import Image, ImageFilter

    a, b = (np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"), dtype=np.int16) for shot in (first, second))
    if a.shape != b.shape:
        return -1
    change = np.abs(a - b).max(axis=2)
    faint = Image.fromarray(((change > FAINT) * 255).astype(np.uint8)).filter(ImageFilter.MinFilter(3))
    significant = (np.asarray(faint) > 0) | (change > STRONG)
    if not significant.any():
        return 0
    rows, columns = np.nonzero(significant.any(axis=1))[0], np.nonzero(significant.any(axis=0))[0]
    return int((rows[-1] - rows[0] + 1) * (columns[-1] - columns[0] + 1))


def _differences(trimmed: list[dict], full: list[dict]) -> dict:
    """state -> area of the states that no pair of loads (trimmed, full) draws alike (-1: sizes)."""
    found = {}
    for state in trimmed[0]:
        areas = [_difference(t[state], f[state]) for t in trimmed for f in full]
        if all(area < 0 or area > NOISE_PX2 for area in areas):
            found[state] = max(areas) if min(areas) >= 0 else -1
    return found


def test_pages_load_the_trimmed_css(built_html):
    for name in PAGES:
        text = (built_html / name).read_text(encoding="utf-8")
        assert "pydata-sphinx-theme.used.css" in text, f"{name} does not load the trimmed theme CSS"
        assert not re.search(r'pydata-sphinx-theme\.css[?"]', text), f"{name} still loads the full theme CSS"


@pytest.mark.extended   # about 2 minutes on a quiet machine, 10 under load: make test-extended
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_trimmed_css_draws_the_pages_as_the_full_css(browser, site, built_html, device, scheme):
    def shoot(name: str, original: bool) -> dict:
        context, page, visit = open_page(browser, site, name, viewport=VIEWPORTS[device], scheme=scheme)
        try:
            if original:   # load the page again, the theme's full CSS in place of the trimmed
                page.route(USED_CSS, _originals(built_html))
                page.reload(wait_until="networkidle")
            shots = _states(page, device == "phone")
            assert not visit.failed, visit.failed
            return shots
        finally:
            context.close()

    problems = []
    for name in PAGES:
        trimmed, full = [shoot(name, False)], [shoot(name, True)]
        assert trimmed[0].keys() == full[0].keys(), (name, trimmed[0].keys(), full[0].keys())
        if _differences(trimmed, full):
            # Chromium draws the same page a pixel apart now and then (two loads of the trimmed
            # page differed in a 1 px line under each scrolling code block at 390 px, dark):
            # a difference counts only if it is there again in a second pair of loads
            trimmed.append(shoot(name, False))
            full.append(shoot(name, True))
        for state, area in _differences(trimmed, full).items():
            problems.append(f"{name} ({device}, {scheme}, {state}): "
                            + ("sizes differ" if area < 0 else f"differs in a {area} px² box"))
    assert not problems, "\n".join(problems)


ICONS_JS = """() => {
  // every character drawn in a Font Awesome font: in ::before / ::after content and in text
  const found = [];
  for (const element of document.querySelectorAll('body *')) {
    for (const pseudo of ['::before', '::after', null]) {
      const style = getComputedStyle(element, pseudo);
      if (!/Font Awesome/i.test(style.fontFamily)) { continue; }
      let text = pseudo ? style.content : Array.from(element.childNodes)
        .filter(n => n.nodeType === 3).map(n => n.textContent).join('');
      if (pseudo) {
        if (!text || text === 'none' || text === 'normal' || text[0] !== '"') { continue; }
        text = JSON.parse(text);
      }
      for (const ch of text.trim()) {
        found.push([style.fontFamily + '|' + style.fontWeight, ch.codePointAt(0), element.className]);
      }
    }
  }
  return found;
}"""


def test_every_icon_on_the_page_is_in_its_trimmed_font(browser, site, built_html):
    """Chromium's computed styles name each icon's font and character; the trimmed font has it."""
    from fontTools.ttLib import TTFont

    fonts = {}
    for stem in ("fa-solid-900", "fa-regular-400", "fa-brands-400"):
        path = built_html / "_static" / "vendor" / "fontawesome" / "webfonts" / f"{stem}.used.woff2"
        assert path.is_file(), f"no trimmed font {path.name}"
        fonts[stem] = set(TTFont(path).getBestCmap())
    missing, seen = [], 0
    for name in PAGES + ["intro.html"]:
        context, page, _ = open_page(browser, site, name, viewport=VIEWPORTS["desktop"])
        try:
            for family, codepoint, where in page.evaluate(ICONS_JS):
                seen += 1
                stem = ("fa-brands-400" if "Brands" in family else
                        "fa-solid-900" if family.endswith("|900") else "fa-regular-400")
                if codepoint not in fonts[stem]:
                    missing.append(f"{name}: U+{codepoint:04X} ({where}) not in {stem}.used.woff2")
        finally:
            context.close()
    assert seen >= 10, f"only {seen} icons found: the probe no longer sees them"
    assert not missing, "\n".join(missing)
