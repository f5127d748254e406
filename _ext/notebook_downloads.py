"""Offer each MyST Markdown chapter as a generated ``.ipynb``, and all of them as one archive.

The chapters are text notebooks (jupytext ``md:myst``). At build time this
extension converts each one with jupytext (no outputs: readers run it
themselves) into ``_build/html/_sources/<chapter>.ipynb`` and tells
sphinx-book-theme about it, so the page's download menu offers ``.ipynb``
next to ``.md``.

A notebook alone cannot run: it imports the book's package ``lib``. So the
first code cell of every generated notebook says where to get it when
``import lib`` fails, and at the end of the build the extension writes
:data:`ARCHIVE`, a zip with every notebook, a wheel of ``lib``, the
requirements (``requirements-nodeps.txt`` too) and the constraints, and a
README whose two commands set up an environment and open JupyterLab. Every
page's download menu links it.
"""

from __future__ import annotations

import concurrent.futures
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import jupytext

NOTEBOOK_FORMAT = "md:myst"
ARCHIVE = "notebooks/attention-masks-notebooks.zip"
"""Where the archive is written, relative to the HTML output folder."""
ARCHIVE_TITLE = "all notebooks (.zip)"

SKIPPED_SECTIONS = {"The book", "Tests", "Tooling"}
"""Sections of requirements.txt that only building and testing the book need."""

README = """\
# Attention Masks, Step by Step: the notebooks

Every page of the book "Attention Masks, Step by Step" as a Jupyter notebook,
in `notebooks/`, with the book's small package `lib` as a wheel in `wheels/`.
You need Python 3.11 or newer. In this folder, run:

```sh
python3 -m venv .venv && .venv/bin/python -m pip install -r requirements.txt -c constraints.txt && .venv/bin/python -m pip install --no-deps -r requirements-nodeps.txt -c constraints.txt
.venv/bin/jupyter lab notebooks
```

The first command makes a virtual environment in `.venv` and installs `lib`,
TensorFlow, Keras, JupyterLab and the rest at the versions the book was built
with (`constraints.txt`). Its last part adds `tf-keras`, the Keras 2 API that
two chapters compare with Keras 3, without its dependencies: it asks for the
`tensorflow` package, and `tensorflow-cpu`, already installed, is the same
TensorFlow. The second opens JupyterLab on the notebooks; run one
from the top, and move its sliders. (On Windows, write `.venv\\Scripts\\python`
and `.venv\\Scripts\\jupyter`.)
"""

GUARD = '''\
try:
    import lib  # the book's own package: masks, plots, explorers
except ModuleNotFoundError:
    raise ModuleNotFoundError(
        "This notebook needs `lib`, the small package of the book 'Attention Masks, "
        "Step by Step'. Download all the notebooks with lib: {where} "
        "Unzip the archive and run the two commands of its README.md: they set up "
        "an environment and open JupyterLab on the notebooks."
    ) from None

'''


def _is_text_notebook(path: Path) -> bool:
    """A ``.md`` file with a jupytext header that names a kernel."""
    if path.suffix != ".md" or not path.is_file():
        return False
    head = path.read_text(encoding="utf-8")[:2000]
    return head.startswith("---") and "jupytext:" in head and "kernelspec:" in head


def archive_location(app) -> str:
    """The archive's address as a reader can follow it: absolute when ``html_baseurl`` is set."""
    base = (getattr(app.config, "html_baseurl", "") or "").strip()
    if base:
        return base.rstrip("/") + "/" + ARCHIVE
    return f"the book's download menu, '{ARCHIVE_TITLE}'."


def prepare_notebook(notebook, where: str):
    """Make a generated notebook fit to run on its own (changes ``notebook`` in place).

    The first code cell gets a guard that explains where ``lib`` comes from, and cells
    folded on the page (tag ``hide-input``) start folded in JupyterLab too. Cell ids are
    numbered (``cell-0``, ``cell-1``, ...) instead of random, so the same chapter gives the
    same notebook, and the same archive, in every build.
    """
    notebook.metadata.pop("jupytext", None)  # a plain notebook, not paired with the .md
    for index, cell in enumerate(notebook.cells):
        cell.id = f"cell-{index}"
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    if code_cells:
        code_cells[0].source = GUARD.format(where=where) + code_cells[0].source
    for cell in code_cells:
        if "hide-input" in cell.metadata.get("tags", []):
            cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
    return notebook


def write_notebook(app, pagename, templatename, context, doctree) -> None:
    """Write ``_sources/<page>.ipynb`` and point the theme's download button at it."""
    if doctree is None or pagename not in app.env.found_docs:
        return
    source = Path(app.env.doc2path(pagename))
    if not _is_text_notebook(source):
        return
    notebook = prepare_notebook(jupytext.read(source, fmt=NOTEBOOK_FORMAT), archive_location(app))
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    jupytext.write(notebook, target, fmt="ipynb")
    context["ipynb_source"] = f"{pagename}.ipynb"


def add_archive_button(app, pagename, templatename, context, doctree) -> None:
    """Add the archive to the page's download menu (built by sphinx-book-theme at priority 501)."""
    for button in context.get("header_buttons", []):
        if button.get("label") == "download-buttons":
            button["buttons"].insert(0, {
                "type": "link",
                "url": context["pathto"](ARCHIVE, 1),
                "text": ARCHIVE_TITLE,
                "tooltip": "Download every chapter as a notebook, with the book's lib package",
                "icon": "fas fa-file-zipper",
                "label": "download-all-notebooks-button",
            })


def notebook_requirements(requirements: str, wheel: str) -> str:
    """The book's requirements.txt without the sections only building and testing need
    (:data:`SKIPPED_SECTIONS`), and with ``lib`` as the wheel ``wheel`` instead of ``-e .``."""
    sections: list[tuple[str, list[str]]] = [("", [])]
    for line in requirements.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            sections.append((stripped.lstrip("#").strip(), []))
        elif stripped and not stripped.startswith("-e"):
            sections[-1][1].append(line)
    out = ["# What the notebooks need: pip install -r requirements.txt -c constraints.txt", ""]
    for header, lines in sections:
        if lines and header.split(":")[0].strip() not in SKIPPED_SECTIONS:
            out += ([f"# {header}"] if header else []) + lines + [""]
    return "\n".join(out + ["# The book's own package", wheel, ""])


def build_wheel(root: Path, into: Path) -> Path:
    """Build the wheel of ``lib`` from a copy of its sources (the checkout stays clean)."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "src"
        copy.mkdir()
        shutil.copy2(root / "pyproject.toml", copy / "pyproject.toml")
        shutil.copytree(root / "lib", copy / "lib", ignore=shutil.ignore_patterns("__pycache__"))
        env = {**os.environ, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "315532800")}
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
             "--wheel-dir", str(into), str(copy)],
            check=True, env=env, capture_output=True, text=True,
        )
    wheels = sorted(into.glob("attention_masks_lib-*.whl"))
    if len(wheels) != 1:
        raise RuntimeError(f"expected one wheel of lib in {into}, found {wheels}")
    return wheels[0]


def wheel_bytes(root: Path) -> tuple[str, bytes]:
    """The file name and content of ``lib``'s wheel."""
    with tempfile.TemporaryDirectory() as scratch:
        wheel = build_wheel(root, Path(scratch))
        return wheel.name, wheel.read_bytes()


def start_wheel(app) -> None:
    """Build the wheel in the background while the notebooks run (pip takes about 0.7 s, which
    the end of a build would otherwise wait for); :func:`write_archive` collects it."""
    root = Path(app.confdir)
    if app.builder.format != "html" or not ((root / "pyproject.toml").is_file() and (root / "lib").is_dir()):
        return
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="book-wheel")
    app._book_wheel = pool.submit(wheel_bytes, root)
    pool.shutdown(wait=False)


def _add(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    """Add a file with a fixed date, so the same inputs give the same archive."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def write_archive(app, exception) -> None:
    """After a successful HTML build: write :data:`ARCHIVE`."""
    if exception is not None or app.builder.format != "html":
        return
    root = Path(app.confdir)
    if not ((root / "pyproject.toml").is_file() and (root / "lib").is_dir()):
        return  # a chapter built alone (tools/build_one.py): no lib beside it, no archive
    outdir = Path(app.outdir)
    notebooks = {}
    for pagename in sorted(app.env.found_docs):
        path = outdir / "_sources" / f"{pagename}.ipynb"
        if path.is_file():
            notebooks[f"notebooks/{Path(pagename).name}.ipynb"] = path.read_bytes()
    if not notebooks:
        return
    started = getattr(app, "_book_wheel", None)
    name, data = started.result() if started is not None else wheel_bytes(root)
    wheel_name = f"wheels/{name}"  # in the archive
    files = {
        "README.md": README.encode(),
        "requirements.txt": notebook_requirements(
            (root / "requirements.txt").read_text(encoding="utf-8"), f"./{wheel_name}").encode(),
        "constraints.txt": (root / "constraints.txt").read_bytes(),
        **({"requirements-nodeps.txt": (root / "requirements-nodeps.txt").read_bytes()}
           if (root / "requirements-nodeps.txt").is_file() else {}),
        wheel_name: data,
        **notebooks,
    }
    target = outdir / ARCHIVE
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w") as archive:
        for name in sorted(files):
            _add(archive, f"attention-masks-notebooks/{name}", files[name])


def setup(app):
    # sphinx-book-theme builds its download menu at priority 501; the notebook must be known
    # before it, and the archive entry is added to the finished menu after it.
    app.connect("html-page-context", write_notebook, priority=400)
    app.connect("html-page-context", add_archive_button, priority=600)
    app.connect("builder-inited", start_wheel)
    app.connect("build-finished", write_archive)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.1"}
