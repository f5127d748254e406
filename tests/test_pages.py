"""What a reader receives: every built page opened in Debian Chromium, at 1280 px and at
390 x 844, in light and dark mode.

- the API page is rendered autodoc (signatures, no raw reST), with every public name of lib;
- no page shows a traceback header, a ``site-packages`` path or the build folder's path, and
  an error shown on purpose is one line of type and message;
- on a phone no page scrolls sideways, and no figure, explorer or heading runs past the
  right edge;
- no image is shown at less than half its width, figures are sharp (SVG, or 2x raster),
  and no text in an SVG figure is smaller than 9 px as displayed;
- in dark mode no figure or explorer sits on a panel of its own; in both modes explorer text is
  readable and a mask keeps its meaning (dark ✓ = True, light · = False).

Each page is opened once per view (desktop light, phone light, desktop dark); the module
fixtures below collect what the tests look at.
"""

from __future__ import annotations

import importlib
import inspect
import io
import pkgutil
import re
from dataclasses import dataclass, field

import pytest

from conftest import DESKTOP, PHONE, ROOT, all_pages, open_page, toc_files, wait_for_explorers

pytestmark = [pytest.mark.browser, pytest.mark.build]

MIN_TEXT_PX = 9.0
"""Smallest text, in CSS pixels as displayed, allowed in a figure."""

FORBIDDEN = {
    "Traceback (most recent call last)": "a traceback header",
    "/site-packages/": "a path into the build machine's site-packages",
    str(ROOT): "the build folder's absolute path",
    "/.venv/": "a path into a virtual environment",
    "/root/": "a path in the build machine's home folder",
    "/work/": "a path of the build machine's work folder",
}


# --- colour arithmetic --------------------------------------------------------------------------

def luminance_of(rgb) -> float:
    """Relative luminance (WCAG 2) of an (r, g, b) colour, 0 to 255 each."""
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(v) for v in tuple(rgb)[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    high, low = sorted((luminance_of(a), luminance_of(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def brightness_and_corners(png: bytes) -> tuple[float, list[tuple[int, int, int]]]:
    """The mean luminance (0 to 1) of a screenshot, and the colours near its four corners
    (6 px in: past a rounded border, inside a padded card)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    grey = image.convert("L")
    mean = sum(grey.histogram()[i] * i for i in range(256)) / (255 * image.width * image.height)
    inset = min(6, image.width // 2, image.height // 2)
    corners = [image.getpixel((x, y)) for x in (inset, image.width - 1 - inset)
               for y in (inset, image.height - 1 - inset)]
    return mean, corners


def rgb_of(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


# --- one visit per page and view -----------------------------------------------------------------

COLLECT = """async (view) => {
  const rgb = c => (c.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
  const out = {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
               theme: document.documentElement.dataset.theme,
               background: rgb(getComputedStyle(document.body).backgroundColor),
               text: document.body.textContent, html: document.documentElement.outerHTML,
               errors: [], images: [], pastEdge: [], explorerText: [], explorerPanels: [],
               explorerCells: [],
               searchFields: Array.from(document.querySelectorAll('.search-button-field'))
                 .filter(e => e.getBoundingClientRect().width > 0).length};
  document.querySelectorAll('.tag_raises-exception .output.traceback')
    .forEach(e => out.errors.push(e.textContent));
  // figures: every image, loaded (also lazy ones), with its SVG source
  const images = Array.from(document.querySelectorAll('article img'));
  images.forEach(img => { img.loading = 'eager'; });
  await Promise.all(images.map(img => img.decode().catch(() => null)));
  for (const img of images) {
    const r = img.getBoundingClientRect();
    if (r.width === 0) continue;   // not shown (e.g. the other colour scheme's image)
    const entry = {src: img.getAttribute('src'), natural: img.naturalWidth, shown: r.width,
                   svg: null, output: !!img.closest('.cell_output')};
    if (view.svg && /\\.svg($|\\?)/.test(img.src)) entry.svg = await (await fetch(img.src)).text();
    out.images.push(entry);
  }
  // what runs past the right edge of the viewport
  const selector = 'article img, article figure, .vega-explorer, .vega-explorer svg, '
                 + '.vega-explorer canvas, article h1, article h2, article h3, '
                 + '.prev-next-area a, .prev-next-area a > i';
  for (const e of document.querySelectorAll(selector)) {
    const r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > window.innerWidth + 1) {
      const name = String(e.className.baseVal ?? e.className).split(' ')[0];
      out.pastEdge.push(`${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${name} `
                        + `right edge at ${Math.round(r.right)} px`);
    }
  }
  // explorers: painted background, text colours, the colours the mask cells are shown in
  for (const svg of document.querySelectorAll('.vega-explorer svg.marks')) {
    const paint = getComputedStyle(svg).backgroundColor;
    if (!/rgba\\(.*,\\s*0\\)$/.test(paint) && paint !== 'transparent') out.explorerPanels.push(paint);
    svg.querySelectorAll(':is(.role-axis-label, .role-axis-title, .role-title-text, '
                         + '.role-legend-label, .role-legend-title) text')
      .forEach(t => out.explorerText.push(rgb(getComputedStyle(t).fill)));
    svg.querySelectorAll('.role-mark path[fill], .role-legend-symbol path[fill]')
      .forEach(p => out.explorerCells.push([p.getAttribute('fill').toLowerCase(),
                                            rgb(getComputedStyle(p).fill)]));
  }
  return out;
}"""


@dataclass
class PageView:
    """What one page showed in one view (see :data:`COLLECT`)."""

    path: str
    data: dict
    panels: list[tuple[str, float, list]] = field(default_factory=list)   # (name, luminance, corners)

    def __getattr__(self, name):
        try:
            return self.data[name]
        except KeyError:
            raise AttributeError(name) from None


def visit_every_page(browser, site, built_html, viewport, scheme, svg=False, panels=False):
    """Every page in one browser context (one tab, navigated from page to page)."""
    views = []
    context, page, _ = open_page(browser, site, "index.html", viewport=viewport, scheme=scheme,
                                 wait_until="load")
    try:
        for path in all_pages(built_html):
            if 'http-equiv="refresh"' in (built_html / path).read_text(encoding="utf-8").lower():
                continue   # index.html: only a redirect to the intro
            page.goto(f"{site}/{path}", wait_until="load")
            if page.locator(".vega-explorer").count():
                wait_for_explorers(page, timeout=20000)
            view = PageView(path, page.evaluate(COLLECT, {"svg": svg}))
            if panels:   # how bright each figure and explorer looks, from a screenshot of it
                targets = page.locator("article .cell_output img, .vega-explorer")
                for index in range(targets.count()):
                    target = targets.nth(index)
                    if target.is_visible():
                        target.scroll_into_view_if_needed()
                        name = target.get_attribute("src") or target.get_attribute("id") or "?"
                        view.panels.append((name, *brightness_and_corners(target.screenshot())))
            views.append(view)
    finally:
        context.close()
    return views


@pytest.fixture(scope="module")
def desktop(browser, site, built_html) -> list[PageView]:
    return visit_every_page(browser, site, built_html, DESKTOP, "light", svg=True)


@pytest.fixture(scope="module")
def phone(browser, site, built_html) -> list[PageView]:
    return visit_every_page(browser, site, built_html, PHONE, "light")


@pytest.fixture(scope="module")
def dark(browser, site, built_html) -> list[PageView]:
    return visit_every_page(browser, site, built_html, DESKTOP, "dark", panels=True)


# --- the API page ------------------------------------------------------------------------------

def public_api() -> dict[str, list[str]]:
    """Every public module of lib (no part of its name starts with _), with its public
    functions and classes (defined in that module, name not starting with _)."""
    import lib

    api = {}
    for info in pkgutil.walk_packages(lib.__path__, "lib."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        module = importlib.import_module(info.name)
        api[info.name] = sorted(
            name for name, value in vars(module).items()
            if not name.startswith("_")
            and (inspect.isfunction(value) or inspect.isclass(value))
            and getattr(value, "__module__", None) == info.name
        )
    return api


def api_pages() -> list[str]:
    """The API's pages in the table of contents: the list of modules and one page per module."""
    return [f"{name}.html" for name in toc_files() if name == "api" or name.startswith("api/")]


def test_api_pages_are_rendered_autodoc_with_every_public_name(browser, site):
    api = public_api()
    assert sum(len(names) for names in api.values()) > 20, api   # lib found and imported
    pages = api_pages()
    assert len(pages) == len(api) + 1, f"one page per module and the list: {pages} for {sorted(api)}"
    context, page, _ = open_page(browser, site, "api.html")
    listed = page.evaluate("() => Array.from(document.querySelectorAll('article a.reference.internal'))"
                           ".map(a => a.getAttribute('href'))")
    assert sorted(set(listed) & set(pages)) == sorted(pages[1:]), f"api.html should link every module's page: {listed}"
    signatures, modules, examples, where = [], [], 0, {}
    for path in pages:
        page.goto(f"{site}/{path}", wait_until="load")
        text = page.inner_text("main")
        raw = [marker for marker in (".. py:", ":module:", ".. automodule", "{automodule}", ":members:")
               if marker in text]
        assert not raw, f"{path} shows raw directive text: {raw}"
        found = page.evaluate("() => Array.from(document.querySelectorAll('[id^=\"module-lib\"]')).map(e => e.id)")
        assert len(found) == (0 if path == "api.html" else 1), f"{path}: module sections {found}"
        modules += found
        where.update({module: path for module in found})
        signatures += page.evaluate(
            "() => Array.from(document.querySelectorAll('dl.py > dt.sig[id]')).map(dt => dt.id)")
        examples += page.locator("main div.doctest").count()
    missing_modules = [m for m in api if f"module-{m}" not in modules]
    assert not missing_modules, f"public modules without a page: {missing_modules}"
    misplaced = {m: p for m, p in where.items() if p != f"api/{m.removeprefix('module-lib.')}.html"}
    assert not misplaced, f"modules documented on another module's page: {misplaced}"
    wanted = [f"{module}.{name}" for module, names in api.items() for name in names]
    missing = [name for name in wanted if name not in signatures]
    assert not missing, f"public functions and classes without a rendered signature: {missing}"
    assert len(signatures) >= len(wanted)
    # signatures carry their type hints, and the docstrings' examples are code blocks
    page.goto(f"{site}/api/masks.html", wait_until="load")
    hinted = page.evaluate("() => document.getElementById('lib.masks.padding_mask').textContent")
    assert "token_ids" in hinted and "→" in hinted, hinted
    with_examples = sum(">>>" in (importlib.import_module(m).__doc__ or "") for m in api)
    assert examples >= with_examples, f"{examples} example blocks for {with_examples} modules with examples"
    context.close()


def test_attribute_docstrings_are_shown_as_written(built_html):
    """Napoleon read an attribute's first docstring line with a colon as ``type: description``:
    "The layer computed a mask at all (``False``: it attended everywhere)." showed as the
    description "it attended everywhere)." under a "Type:" field (about 20 entries). Every
    documented attribute, constant and property shows its whole first line, and none has a
    "Type:" field (lib's types are its annotations, shown in the signature)."""
    from bs4 import BeautifulSoup

    problems, checked = [], 0
    for path in api_pages():
        soup = BeautifulSoup((built_html / path).read_text(encoding="utf-8"), "html.parser")
        for entry in soup.select("dl.py.attribute, dl.py.data, dl.py.property"):
            checked += 1
            name = entry.dt.get("id", "?")
            fields = [dt.get_text(strip=True) for dt in entry.select("dd > dl.field-list > dt")]
            if any(field.startswith("Type") for field in fields):
                problems.append(f"{path} {name}: a 'Type:' field {fields}")
    assert checked >= 20, f"only {checked} attributes found on the API pages"
    html = (built_html / "api" / "doctor.html").read_text(encoding="utf-8")
    entry = BeautifulSoup(html, "html.parser").find(id="lib.doctor.LayerRow.mask_applied").parent
    shown = " ".join(entry.dd.get_text(" ", strip=True).split())
    assert shown.startswith("The layer computed a mask at all") and "attended everywhere" in shown, \
        f"LayerRow.mask_applied (lib/doctor.py) shows {shown!r}"
    assert not problems, "\n".join(problems)


# --- the page's frame ---------------------------------------------------------------------------

def test_one_search_field_per_page(desktop):
    """sphinx-book-theme 1.3 with pydata-sphinx-theme 0.17 shows the pydata header too: a 64 px
    bar holding a second search field above the book's own (pages.css hides it)."""
    problems = [f"{view.path}: {view.searchFields} search fields" for view in desktop
                if view.searchFields != 1]
    assert not problems, "\n".join(problems)


# --- errors and paths ----------------------------------------------------------------------------

def test_no_page_shows_a_traceback_or_a_path_of_the_build_machine(desktop):
    problems = []
    for view in desktop:
        for needle, what in FORBIDDEN.items():
            if needle in view.text or needle in view.html:   # folded text and attributes too
                where = max(view.text.find(needle), 0)
                problems.append(f"{view.path}: {what}: ...{view.text[max(0, where - 80):where + 80]!r}")
    assert not problems, "\n".join(problems)


def test_intentional_errors_show_type_and_message_only(desktop):
    """Cells tagged raises-exception show one short error, and no stack frames."""
    errors = [(view.path, error) for view in desktop for error in view.errors]
    assert len(errors) >= 5, f"only {len(errors)} intentional errors found on the pages"
    problems = []
    for path, error in errors:
        first = error.strip().splitlines()[0]
        if not re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Warning)\b: ", first):
            problems.append(f"{path}: does not start with 'Type: message': {first[:120]!r}")
        if re.search(r"^\s*(File |Cell In\[|-+> )", error, flags=re.MULTILINE):
            problems.append(f"{path}: shows stack frames: {error[:200]!r}")
    assert not problems, "\n".join(problems)


# --- phones ---------------------------------------------------------------------------------------

def test_every_page_fits_a_phone(phone):
    """No sideways scrolling; no figure, image, explorer or heading past the right edge."""
    problems = []
    for view in phone:
        if view.scrollWidth > view.innerWidth:
            problems.append(f"{view.path}: the page is {view.scrollWidth} px wide "
                            f"on a {view.innerWidth} px phone")
        problems += [f"{view.path}: {item} (viewport {view.innerWidth} px)" for item in view.pastEdge]
    assert sum("vega-explorer" in view.html for view in phone) >= 4   # explorers were checked
    assert not problems, "\n".join(problems)


# --- figures ----------------------------------------------------------------------------------------

def svg_text_sizes(svg: str) -> tuple[float, list[float]]:
    """The width of an SVG's viewBox and the font sizes of its text, in viewBox units:
    ``font-size`` of text elements, or for text drawn as glyph outlines (matplotlib) the
    scale of each glyph group, which is the font size / 100."""
    box = re.search(r'viewBox="\s*[-\d.]+\s+[-\d.]+\s+([\d.]+)', svg)
    width = float(box.group(1)) if box else float(re.search(r'width="([\d.]+)', svg).group(1))
    sizes = [float(size) for size in re.findall(r"font-size:\s*([\d.]+)(?:px)?", svg)]
    sizes += [float(size) for size in re.findall(r"font:\s*(?:[a-z]+\s+)*([\d.]+)px", svg)]
    sizes += [100 * float(s) for s in re.findall(r"scale\(([\d.]+) -[\d.]+\)", svg)]
    return width, sizes


def test_figures_are_sharp_and_readable_at_desktop_width(desktop):
    problems, checked = [], 0
    for view in desktop:
        for image in view.images:
            checked += 1
            name = f"{view.path}: {image['src'].rsplit('/', 1)[-1][:16]}"
            ratio = image["shown"] / image["natural"] if image["natural"] else 0
            if ratio < 0.5 - 1e-3:
                problems.append(f"{name} shown at {ratio:.0%} of its width "
                                f"({image['shown']:.0f} of {image['natural']} px)")
            if image["svg"] is not None:
                width, sizes = svg_text_sizes(image["svg"])
                if sizes and min(sizes) * image["shown"] / width < MIN_TEXT_PX:
                    problems.append(f"{name}: text {min(sizes) * image['shown'] / width:.1f} px "
                                    f"as displayed (at least {MIN_TEXT_PX} px)")
            elif image["output"] and image["natural"] < 2 * image["shown"] - 2:
                problems.append(f"{name}: a raster figure at {image['natural'] / image['shown']:.1f}x "
                                "its displayed width: blurred on high-density screens (SVG or 2x)")
    assert checked > 10, f"only {checked} images found"
    assert not problems, "\n".join(problems)


# --- dark mode and colours --------------------------------------------------------------------------

def test_dark_mode_puts_no_figure_or_explorer_on_a_panel(dark):
    """In dark mode figures and explorers sit on the page itself: their corners show the
    page's background (no card or painted panel), and they are not bright overall."""
    problems = []
    assert {view.theme for view in dark} == {"dark"}, {view.path: view.theme for view in dark}
    for view in dark:
        background = tuple(view.background)
        for name, luminance, corners in view.panels:
            painted = [corner for corner in corners if contrast(corner, background) > 1.15]
            # a panel paints all four corners; one corner may be a label or a slider's text
            if len(painted) >= 3 or luminance > 0.4:
                problems.append(f"{view.path}: {name[:60]} on a panel in dark mode (corners "
                                f"{painted or 'clear'} on page {background}, mean luminance {luminance:.2f})")
        problems += [f"{view.path}: an explorer painted on {paint} in dark mode"
                     for paint in view.explorerPanels]
    assert sum(len(view.panels) for view in dark) > 10
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_explorers_are_readable_and_keep_the_mask_colours(request, scheme):
    """Axis and legend text readable on the page, and False cells lighter than True cells
    (dark ✓ = True, light · = False), in light and in dark mode."""
    from lib.plots import FALSE_COLOUR, TRUE_COLOUR

    views = request.getfixturevalue("desktop" if scheme == "light" else "dark")
    problems, texts = [], 0
    for view in views:
        background = tuple(view.background)
        for text in view.explorerText:
            texts += 1
            if contrast(text, background) < 4.5:
                problems.append(f"{view.path}: explorer text {text} on {background}: "
                                f"contrast {contrast(text, background):.1f} < 4.5")
        shown = {name: tuple(colour) for name, colour in view.explorerCells}
        if TRUE_COLOUR.lower() in shown and FALSE_COLOUR.lower() in shown:
            true_cell, false_cell = shown[TRUE_COLOUR.lower()], shown[FALSE_COLOUR.lower()]
            if not luminance_of(true_cell) < luminance_of(false_cell) / 2:
                problems.append(f"{view.path}: True cells {true_cell} not darker than False cells {false_cell}")
            if contrast(false_cell, background) < 1.1:
                problems.append(f"{view.path}: False cells {false_cell} vanish into the page {background}")
    assert texts > 20, f"only {texts} explorer labels found"
    assert not problems, "\n".join(sorted(set(problems)))


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_masks_keep_their_meaning_in_both_modes(browser, site, built_html, scheme):
    """A themed mask figure in an <img> on a page of the book: True cells darker than False
    cells, False cells set off from the page, and the text readable on the page's background,
    in light and in dark mode."""
    import matplotlib

    matplotlib.use("Agg")
    from PIL import Image

    from lib.plots import TRUE_COLOUR, plot_mask, themed_svg

    fig = plot_mask([[True, False]], row_labels=["query"], col_labels=["a", "b"], marks=False)
    svg = themed_svg(fig)   # marks=False: the only text is the labels, in the figure's ink
    host = next(p for p in all_pages(built_html) if "<article" in (built_html / p).read_text())
    context, page, _ = open_page(browser, site, host, scheme=scheme, device_scale_factor=2)
    # served as the build serves figures: an .svg file, shown by an <img> in a cell's output
    page.route("**/_images/probe-mask.svg", lambda route: route.fulfill(
        body=svg, content_type="image/svg+xml"))
    page.evaluate(
        """() => { const img = document.createElement('img'); img.id = 'probe';
           img.src = document.documentElement.dataset.content_root + '_images/probe-mask.svg';
           img.style.width = '400px'; img.style.height = 'auto';
           const output = document.createElement('div'); output.className = 'cell_output';
           output.append(img); document.querySelector('article').prepend(output);
           return img.decode(); }""")
    shot = Image.open(io.BytesIO(page.locator("#probe").screenshot())).convert("RGB")
    background = tuple(int(v) for v in re.findall(r"\d+", page.evaluate(
        "() => getComputedStyle(document.body).backgroundColor"))[:3])
    context.close()
    colours = sorted(shot.getcolors(shot.width * shot.height), reverse=True)
    # the two largest patches of colour other than the page's: the True and the False cell
    cells = [colour for _, colour in colours if contrast(colour, background) > 1.05][:2]
    assert len(cells) == 2, colours[:10]
    true_cell, false_cell = sorted(cells, key=luminance_of)
    assert true_cell == rgb_of(TRUE_COLOUR), true_cell
    assert luminance_of(true_cell) < luminance_of(false_cell) / 2, (true_cell, false_cell)
    assert contrast(false_cell, background) > 1.1, (false_cell, background)
    # the text: the darkest pixels in light mode, the lightest in dark mode
    text = (min if scheme == "light" else max)((c for _, c in colours), key=luminance_of)
    assert contrast(text, background) >= 4.5, (scheme, text, background)
