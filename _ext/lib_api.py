"""The API page documents every public module of ``lib``, including modules added later.

``api.md`` has one section per module, each an ``{eval-rst}`` block around an
``automodule`` directive (in MyST Markdown a bare ``{automodule}`` fence would show
autodoc's output as raw reST text). When a public module of ``lib`` (any module
whose dotted name has no part starting with ``_``) has no section there yet, this
extension appends one to the page's source before it is parsed, titled with the
module's name, so a new module is never missing from the reference. Give it a
proper section in ``api.md`` when you add it.
"""

from __future__ import annotations

import pkgutil
import re

from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
API_DOCNAME = "api"
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
    missing = [m for m in public_modules() if m not in documented_modules(source[0])]
    for module in missing:
        LOGGER.info("api: %s has no section in api.md; appending one", module)
        source[0] += SECTION.format(module=module)


def setup(app):
    app.connect("source-read", add_missing_modules)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
