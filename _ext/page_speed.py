"""Make every page light and quick on a phone (Lighthouse, mobile profile).

After Sphinx has written the pages, each HTML file is post-processed (idempotently, so
pages an incremental build did not rewrite are simply left as they are):

- **No Font Awesome JavaScript.** The theme loads ``fontawesome.js`` (1.5 MB) to turn a
  dozen ``<i class="fa-...">`` icons into SVG. Its stylesheet already carries Font
  Awesome's CSS and woff2 fonts, which draw the same icons, so the script is dropped.
- **Math rendered at build time.** Every ``\\(...\\)`` and ``\\[...\\]`` is rendered to
  SVG by MathJax 3 under Node (``_ext/tex2svg.js``, npm ``mathjax-full`` pinned in
  ``package.json``) and MathJax (1.2 MB) is not loaded. A TeX error fails the build.
- **Figures.** Every ``<img>`` gets its intrinsic ``width`` and ``height`` (no layout
  shift while it loads), ``decoding="async"`` and ``loading="lazy"``: a figure loads when
  the reader scrolls near it. (Every chapter opens with text, so on a phone even the first
  figure is below the fold; Lighthouse flagged an eager first figure on the playground.)
- **Only the CSS the book uses.** The theme's stylesheets (Bootstrap 5 and every Font Awesome
  icon, about 500 kB) are replaced by ``*.used.css`` copies without the rules whose classes
  no page and no script of the book names (``_ext/unused_css.py``), and the Font Awesome
  font by a subset holding only the icons those rules draw.
- **No search index on reading pages.** The theme loads Sphinx's search scripts and the
  whole search index (about 140 kB) on every page for a search-as-you-type box this book
  does not turn on; the search field sends the reader to ``search.html``, which loads them.
- **No unused widget state.** The chapters hide their live ipywidgets in the book, but the
  notebook's widget state (random model ids, up to 300 kB) was still written into the page.
  Pages that show no widget view do not carry it.

- **A checksum on every asset link.** Sphinx adds ``?v=<checksum>`` to the stylesheets and
  scripts it links, so a browser never keeps a changed one from its cache, but not to those
  a template hard-codes (the search page's ``searchtools.js``) or a file that is copied only
  after the pages are written (sphinx-exercise's ``exercise.css``: a clean build linked it
  bare, a rebuild with a checksum). Those get one here (:func:`add_checksums`).
- **Colours from the first paint.** The theme's first script in ``<head>`` sets
  ``data-theme`` to the stored mode, ``"auto"`` on a first visit, and only its deferred
  script turns ``"auto"`` into ``"light"`` or ``"dark"``. Until then no colour variable is
  defined (its rules match ``light``, ``dark`` or no attribute), so the first paint had no
  borders on inline code; the borders then appeared, two pixels wider per code span, and
  paragraphs re-wrapped: a layout shift of up to 0.24 on API pages (Lighthouse CLS). A small
  script in ``<head>`` (:data:`THEME_NOW`) resolves ``"auto"`` at once, as the theme will.

While pages are written, each gets a ``<meta name="description">``: the first paragraph of
its text, shortened to about 155 characters (search results show that much).
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import struct
import subprocess
from pathlib import Path
from xml.etree import ElementTree

from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
TEX2SVG = Path(__file__).with_name("tex2svg.js")
DESCRIPTION_LENGTH = 155

FONTAWESOME_JS = re.compile(r'\s*<script defer src="[^"]*_static/scripts/fontawesome\.js[^"]*"></script>')
MATHJAX_JS = re.compile(r'\s*<script[^>]*src="[^"]*mathjax/[^"]*\.js[^"]*"[^>]*></script>'
                        r'|\s*<script>window\.MathJax = .*?</script>', re.S)
INLINE_MATH = re.compile(r'<span class="math notranslate nohighlight">\\\((.*?)\\\)</span>', re.S)
DISPLAY_MATH = re.compile(r'<div class="math notranslate nohighlight">\s*\\\[(.*?)\\\]\s*</div>', re.S)
WIDGET_STATE = re.compile(r'\s*<script type="application/vnd\.jupyter\.widget-state\+json">.*?</script>', re.S)
IMG = re.compile(r"<img\b[^>]*>")
SEARCH_JS = re.compile(r'\s*<script src="[^"]*(?:_static/searchtools\.js|_static/language_data\.js|searchindex\.js)">'
                       r"</script>")
SCRIPT_SRC = re.compile(r'<script\b[^>]*\ssrc="([^"]+)"')
# the Vega runtime, which a page's explorers load themselves (_ext/offline_assets.py)
RUNTIME_META = re.compile(r'<meta name="book-vega-runtime" content="([^"]+)"')
# stylesheets served as *.used.css (only the rules the book can match); glob patterns under _static
PURGED_CSS = ("styles/pydata-sphinx-theme.css", "styles/sphinx-book-theme.css", "sphinx-design.min.css",
              "mystnb.*.css")
ICON_FONTS = ("vendor/fontawesome/webfonts/fa-solid-900.woff2", "vendor/fontawesome/webfonts/fa-regular-400.woff2",
              "vendor/fontawesome/webfonts/fa-brands-400.woff2")


# --- meta description -----------------------------------------------------------------------

def summarize(text: str, limit: int = DESCRIPTION_LENGTH) -> str:
    """``text`` on one line, cut at a word boundary to at most ``limit`` characters.

    >>> summarize("A mask   says\\nwhich keys a query may attend to.", 30)
    'A mask says which keys a…'
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.")
    return cut + "…"


def _first_paragraph(doctree) -> str:
    from docutils import nodes

    for paragraph in doctree.findall(nodes.paragraph):
        text = paragraph.astext().strip()
        if len(text) > 40:
            return text
    return ""


def add_description(app, pagename, templatename, context, doctree) -> None:
    text = _first_paragraph(doctree) if doctree is not None else ""
    if not text:
        title = re.sub(r"<[^>]+>", "", context.get("title", "") or "")
        text = f"{title}: {app.config.book_description}" if title else app.config.book_description
    tag = f'<meta name="description" content="{html.escape(summarize(text), quote=True)}" />\n'
    context["metatags"] = context.get("metatags", "") + tag


# --- images ---------------------------------------------------------------------------------

def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) in CSS pixels of a PNG, JPEG, GIF, WebP or SVG file, or None."""
    data = path.read_bytes()[:65536]
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return struct.unpack("<HH", data[6:10])
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        from PIL import Image

        with Image.open(path) as image:
            return image.size
    if data[:2] == b"\xff\xd8":
        from PIL import Image

        with Image.open(path) as image:
            return image.size
    if path.suffix == ".svg":
        root = ElementTree.fromstring(path.read_bytes())
        width, height = root.get("width"), root.get("height")
        number = re.compile(r"^\s*([\d.]+)\s*(px|pt)?\s*$")
        if width and height and number.match(width) and number.match(height):
            scale = {"pt": 4 / 3}
            w, h = number.match(width), number.match(height)
            return (round(float(w[1]) * scale.get(w[2], 1)), round(float(h[1]) * scale.get(h[2], 1)))
        if root.get("viewBox"):
            _, _, w, h = (float(v) for v in root.get("viewBox").replace(",", " ").split())
            return round(w), round(h)
    return None


def _set_attribute(tag: str, name: str, value: str) -> str:
    """``tag`` with ``name="value"`` added, unless it already has that attribute."""
    if re.search(rf"\s{name}=", tag):
        return tag
    if tag.endswith("/>"):
        return tag[:-2].rstrip() + f' {name}="{value}" />'
    return tag[:-1].rstrip() + f' {name}="{value}">'


def fix_images(text: str, page: Path, outdir: Path) -> str:
    def one(match):
        tag = match.group(0)
        source = re.search(r'\ssrc="([^"]+)"', tag)
        if source and not source[1].startswith(("data:", "http:", "https:")):
            path = (page.parent / html.unescape(source[1]).split("?")[0]).resolve()
            size = image_size(path) if path.is_file() and path.is_relative_to(outdir.resolve()) else None
            if size and not re.search(r"\swidth=", tag) and not re.search(r"\sheight=", tag):
                tag = _set_attribute(tag, "width", str(size[0]))
                tag = _set_attribute(tag, "height", str(size[1]))
            if re.search(r"\swidth=", tag) and "height: auto" not in tag:
                # keep the intrinsic aspect ratio when CSS narrows the image to the column
                if ' style="' in tag:
                    tag = tag.replace(' style="', ' style="height: auto; ', 1)
                else:
                    tag = _set_attribute(tag, "style", "height: auto")
        tag = _set_attribute(tag, "decoding", "async")
        return _set_attribute(tag, "loading", "lazy")

    return IMG.sub(one, text)


# --- math -----------------------------------------------------------------------------------

def render_math(items: list[tuple[str, bool]]) -> list[str]:
    """SVG markup for each (TeX, display) pair, rendered by MathJax under Node."""
    if not items:
        return []
    payload = json.dumps([{"tex": tex, "display": display} for tex, display in items])
    try:
        result = subprocess.run(["node", str(TEX2SVG)], input=payload, capture_output=True,
                                text=True, cwd=ROOT, timeout=300)
    except FileNotFoundError as error:
        raise ExtensionError("page_speed: node is needed to render the math (see README)") from error
    if result.returncode != 0:
        raise ExtensionError(f"page_speed: rendering the math failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout)


def _labelled(svg: str, tex: str) -> str:
    label = html.escape(" ".join(tex.split()), quote=True)
    return svg.replace("<svg ", f'<svg aria-label="{label}" ', 1)


def fix_math(text: str) -> str:
    inline = [(html.unescape(m[1]), False) for m in INLINE_MATH.finditer(text)]
    display = [(html.unescape(m[1]), True) for m in DISPLAY_MATH.finditer(text)]
    if not inline and not display:
        return MATHJAX_JS.sub("", text)
    rendered = iter(render_math(inline + display))
    inline_svgs = [next(rendered) for _ in inline]
    display_svgs = [next(rendered) for _ in display]
    inline_iter, display_iter = iter(zip(inline, inline_svgs)), iter(zip(display, display_svgs))

    def inline_sub(match):
        (tex, _), svg = next(inline_iter)
        return f'<span class="math notranslate nohighlight rendered-math">{_labelled(svg, tex)}</span>'

    def display_sub(match):
        (tex, _), svg = next(display_iter)
        return ('<div class="math notranslate nohighlight rendered-math" '
                f'style="text-align: center; overflow-x: auto; margin: 1em 0">{_labelled(svg, tex)}</div>')

    text = INLINE_MATH.sub(inline_sub, text)
    text = DISPLAY_MATH.sub(display_sub, text)
    return MATHJAX_JS.sub("", text)


# --- the whole page ------------------------------------------------------------------------

UNVERSIONED_ASSET = re.compile(r'((?:href|src)=")([^"?#]*_static/[^"?#]+\.(?:css|js))"')


def add_checksums(text: str, page: Path) -> str:
    """Give every ``_static`` stylesheet or script linked without a query a ``?v=`` checksum of
    its content (links that have one are left as they are, so this is idempotent)."""

    def versioned(match):
        path = (page.parent / html.unescape(match[2])).resolve()
        if not path.is_file():
            return match[0]
        return f'{match[1]}{match[2]}?v={hashlib.sha1(path.read_bytes()).hexdigest()[:8]}"'

    return UNVERSIONED_ASSET.sub(versioned, text)


def process_page(text: str, page: Path, outdir: Path) -> str:
    text = FONTAWESOME_JS.sub("", text)
    if page.name != "search.html" or page.parent != outdir:
        text = SEARCH_JS.sub("", text)
    if "application/vnd.jupyter.widget-view+json" not in text:
        text = WIDGET_STATE.sub("", text)
    text = fix_math(text)
    text = add_checksums(text, page)
    return fix_images(text, page, outdir)


def process_build(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    for page in sorted(outdir.rglob("*.html")):
        if "_static" in page.parts:
            continue
        text = page.read_text(encoding="utf-8")
        new = process_page(text, page, outdir)
        if new != text:
            page.write_text(new, encoding="utf-8")
    use_only_used_css(outdir)


# --- stylesheets and icon fonts ---------------------------------------------------------

def _subset_font(source: Path, target: Path, codepoints: set[int]) -> None:
    from fontTools import subset

    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    font = subset.load_font(str(source), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(codepoints))
    subsetter.subset(font)
    subset.save_font(font, str(target), options)


def use_only_used_css(outdir: Path) -> None:
    """Write ``*.used.css`` and subset icon fonts, and point every page at them.

    Run after every page is final, on every build (Sphinx copies the theme's originals into
    ``_static`` each time, so the ``.used`` copies are always made from them afresh).
    """
    from unused_css import all_words, font_codepoints, used_css

    static = outdir / "_static"
    pages = [p for p in sorted(outdir.rglob("*.html")) if "_static" not in p.parts]
    # the words of every page and of every script a page loads (scripts add classes at run time)
    scripts: set[Path] = set()
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for source in SCRIPT_SRC.findall(text) + RUNTIME_META.findall(text):
            path = (page.parent / html.unescape(source).split("?")[0]).resolve()
            if path.is_file():
                scripts.add(path)
    used = all_words(p.read_text(encoding="utf-8", errors="replace") for p in pages + sorted(scripts))
    replacements = {}
    for pattern in PURGED_CSS:
        for original in sorted(static.glob(pattern)):
            if original.name.endswith(".used.css"):
                continue
            css = used_css(original.read_text(encoding="utf-8"), used)
            codepoints = font_codepoints(css)
            for font in ICON_FONTS:
                name = Path(font).name
                if name in css and (static / font).is_file():
                    subset_name = name.replace(".woff2", ".used.woff2")
                    _subset_font(static / font, static / font.replace(name, subset_name), codepoints)
                    css = css.replace(name, subset_name)
            target = original.with_name(original.name[: -len(".css")] + ".used.css")
            target.write_text(css, encoding="utf-8")
            digest = hashlib.sha1(css.encode()).hexdigest()[:8]
            entry = (target.relative_to(static).as_posix(), digest)
            # pages of an earlier build already point at the .used copy: refresh their digest too
            replacements[original.relative_to(static).as_posix()] = entry
            replacements[entry[0]] = entry
    if not replacements:
        return
    names = sorted(replacements, key=len, reverse=True)
    link = re.compile(r'(href="[^"]*_static/)(' + "|".join(re.escape(k) for k in names) + r')(\?[^"]*)?"')

    def swap(match):
        new, digest = replacements[match[2]]
        return f'{match[1]}{new}?v={digest}"'

    for page in pages:
        text = page.read_text(encoding="utf-8")
        new = link.sub(swap, text)
        if new != text:
            page.write_text(new, encoding="utf-8")


THEME_NOW = """(function () {
  // data-theme as pydata-sphinx-theme.js will set it, before the first paint (see page_speed.py)
  var root = document.documentElement, mode = root.dataset.mode;
  if (mode !== "light" && mode !== "dark") {
    mode = window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  root.dataset.theme = mode;
})();"""


def setup(app):
    app.add_js_file(None, body=THEME_NOW, priority=1)
    app.add_config_value(
        "book_description",
        "How the boolean attention_mask of Keras MultiHeadAttention is built from a padding mask, "
        "and what it does inside attention, with every step run and checked.",
        "html", str)
    app.connect("html-page-context", add_description, priority=950)
    app.connect("build-finished", process_build, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
