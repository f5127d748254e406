"""The API pages document every public module of ``lib``, including modules added later.

``api.md`` lists the modules; each has a page of its own, ``api/<module>.md``, an
``{eval-rst}`` block around an ``automodule`` directive (in MyST Markdown a bare
``{automodule}`` fence would show autodoc's output as raw reST text). When a public module
of ``lib`` (any module whose dotted name has no part starting with ``_``) has no page yet,
this extension appends a section for it to ``api.md``'s source before it is parsed,
titled with the module's name, so a new module is never missing from the reference. Give
it a page in ``api/`` (and a line in ``api.md`` and ``_toc.yml``) when you add it. It also
keeps the build folder's path off the pages (:func:`hide_build_paths`), and shows a
docstring example that raises as the chapters show an error, type and message, without
doctest's traceback header (:func:`brief_doctest_errors`). The docstring of an attribute,
constant or property is shown as written (:func:`keep_attribute_docstrings`).
"""

from __future__ import annotations

import pkgutil
import re
from pathlib import Path

from docutils import nodes
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
API_DOCNAME = "api"
API_FOLDER = "api"   # api/<module>.md: one page per module


def is_api_page(docname: str) -> bool:
    """``api`` (the list of modules) or one module's page, ``api/<module>``."""
    return docname == API_DOCNAME or docname.startswith(f"{API_FOLDER}/")
PACKAGE = "lib"

SECTION = """

## `{module}`

```{{eval-rst}}
.. automodule:: {module}
```
"""


def public_modules(package: str = PACKAGE) -> list[str]:
    """Dotted names of the package's public modules, sorted (``lib.masks``, ...)."""
    root = __import__(package)
    names = []
    for info in pkgutil.walk_packages(root.__path__, f"{package}."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


def documented_modules(text: str) -> set[str]:
    """Modules named by an ``automodule`` directive in ``text``."""
    return set(re.findall(r"^\s*\.\. automodule::\s+(\S+)\s*$", text, flags=re.MULTILINE))


def add_missing_modules(app, docname: str, source: list[str]) -> None:
    if docname != API_DOCNAME:
        return
    documented = documented_modules(source[0])
    for page in sorted((Path(app.srcdir) / API_FOLDER).glob("*.md")):
        documented |= documented_modules(page.read_text(encoding="utf-8"))
    missing = [m for m in public_modules() if m not in documented]
    for module in missing:
        LOGGER.info("api: %s has no page in api/; appending a section to api.md", module)
        source[0] += SECTION.format(module=module)


def hide_build_paths(app, doctree, docname: str) -> None:
    """On the API page, write the build folder's path as ``…``: a default value or a module
    constant that is a path (``PosixPath('/home/…/data/x.json')``) must not publish where
    the book was built."""
    if not is_api_page(docname):
        return
    package = Path(__import__(PACKAGE).__file__).resolve().parent.parent
    roots = sorted({str(Path(app.srcdir).resolve()), str(package)}, key=len, reverse=True)
    for node in list(doctree.findall(nodes.Text)):
        text = str(node)
        for root in roots:
            text = text.replace(root, "…")
        if text != str(node):
            node.parent.replace(node, nodes.Text(text))


TRACEBACK_HEADER = re.compile(r"^Traceback \(most recent call last\):\n(?:[ \t]*\.\.\.[ \t]*\n)?",
                              flags=re.MULTILINE)


def brief_doctest_errors(app, doctree, docname: str) -> None:
    """On the API page, drop doctest's ``Traceback (most recent call last):`` and ``...``
    lines from examples that raise: the reader sees the exception's type and message, as
    in the chapters (the docstrings keep them, which doctest needs)."""
    if not is_api_page(docname):
        return
    for block in list(doctree.findall(nodes.doctest_block)):
        text = block.astext()
        brief = TRACEBACK_HEADER.sub("", text)
        if brief != text:
            block.children = []
            block += nodes.Text(brief)


F_STRING_DEFAULT = re.compile(r"(\w+)(: [^=,()]+)? = f(\"[^\"]*\"|'[^']*')")


def evaluate_f_string_defaults(app, what, name, obj, options, signature, return_annotation):
    """A default written as an f-string (``padded: str = f"{MAX_WORDS}"``) is shown as its
    value: ``autodoc_preserve_defaults`` copies defaults as written, and Sphinx cannot parse
    an f-string in a signature (a warning, which fails the strict build)."""
    if not signature or not F_STRING_DEFAULT.search(signature):
        return None
    import inspect

    # the function's own defaults: preserve_defaults has replaced its __signature__'s
    function = inspect.unwrap(obj)
    code = getattr(function, "__code__", None)
    if code is None:
        return None
    defaults = dict(getattr(function, "__kwdefaults__", None) or {})
    positional = code.co_varnames[:code.co_argcount]
    values = getattr(function, "__defaults__", None) or ()
    defaults.update(zip(positional[len(positional) - len(values):], values))

    def value(match: re.Match) -> str:
        if match.group(1) not in defaults:
            return match.group(0)
        return f"{match.group(1)}{match.group(2) or ''} = {defaults[match.group(1)]!r}"

    return F_STRING_DEFAULT.sub(value, signature), return_annotation


ATTRIBUTE_KINDS = ("attribute", "data", "property")


def keep_attribute_docstrings(app, what, name, obj, options, lines) -> None:
    """Before napoleon (priority 400): remember an attribute's, constant's or property's
    docstring, which :func:`restore_attribute_docstrings` puts back after napoleon.

    Napoleon reads the first line of such a docstring as ``type: description`` when it holds
    a colon, so ``"The layer computed a mask at all (``False``: it attended everywhere)."``
    became the description "it attended everywhere)." under a "Type:" field holding the
    sentence's start, on about 20 entries of the API pages. ``lib``'s types are its
    annotations, which autodoc shows anyway, so these docstrings are shown as written."""
    if what in ATTRIBUTE_KINDS:
        app.env.temp_data.setdefault("book_attribute_docstrings", {})[name] = list(lines)


def restore_attribute_docstrings(app, what, name, obj, options, lines) -> None:
    """After napoleon (priority 600): the docstring :func:`keep_attribute_docstrings` kept."""
    kept = app.env.temp_data.get("book_attribute_docstrings", {})
    if what in ATTRIBUTE_KINDS and name in kept:
        lines[:] = kept.pop(name)


def setup(app):
    app.connect("autodoc-process-docstring", keep_attribute_docstrings, priority=400)
    app.connect("autodoc-process-docstring", restore_attribute_docstrings, priority=600)
    app.connect("source-read", add_missing_modules)
    app.connect("autodoc-process-signature", evaluate_f_string_defaults)
    app.connect("doctree-resolved", hide_build_paths)
    app.connect("doctree-resolved", brief_doctest_errors)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
