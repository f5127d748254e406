"""Execute the book's notebooks in parallel, and cache them under a key of their environment.

The book runs MyST-NB with ``execute_notebooks: cache`` (jupyter-cache): a notebook whose
code cells are unchanged is not executed again, its outputs come from the cache. This
extension adds two things to that.

**A key.** jupyter-cache hashes only the notebook, so on its own it would show outputs
computed with an older ``lib/`` after ``lib/`` changed. The cache therefore lives in a
folder named after a hash of the notebooks' *execution environment* (:data:`KEY_INPUTS`:
``lib/``, ``data/``, ``constraints.txt``, the kernel profile; plus the Python version and
the kernels' environment variables)::

    <build folder>/.jupyter_cache/<key>/

A change to any of them gives a new, empty cache, so every notebook is executed again; and
because that folder is a Sphinx config value that asks for a re-read, Sphinx also reads
every page again (its pickled environment would otherwise keep the old outputs of
unchanged chapters). Cache folders of other keys are deleted. A hash of ``_ext/`` is a
config value too: changing one of our extensions re-renders every page (from the cache).

**Parallel execution.** MyST-NB executes a notebook when Sphinx reads its page, one page
after another. Instead, as soon as Sphinx has its configuration, every notebook of the
table of contents that is not in the cache is handed to a pool of ``$BOOK_JOBS`` worker
processes (default: one per CPU core), each running its kernel exactly as MyST-NB's cache
mode would (same reader, so the same hash; same working folder, timeout and error
setting). Sphinx reads the pages that need no execution first, then waits for each
notebook in the order they were started; the executed notebook goes into the cache, and
MyST-NB finds it there.

**Longest first.** Notebooks are started longest first, so that the two cores finish at
about the same time instead of one waiting for a long notebook started last (on
2026-12-01 the executions ended 1 to 3 s sooner than in table-of-contents order, which
was already well balanced for this book). The expected seconds are the
last measured ones: each execution's time is kept in ``.jupyter_cache/seconds.json``
(beside the keyed folders, so it outlives a key change), and before any build has run
``bench/notebook_seconds.json``, which ``make bench`` writes. A notebook without a
measurement is started first; the order only changes speed, never an output.

**Errors.** A cell error in any notebook fails the build: when Sphinx reaches a notebook
that failed, the extension waits for every running execution and stops the build with
every failing notebook's cell and traceback. Failed notebooks are not cached.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import multiprocessing
import os
import platform
import shutil
import time
from pathlib import Path

from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

KEY_INPUTS = ("lib", "data", "constraints.txt", ".ipython/profile_default/ipython_kernel_config.py")
"""Files and folders (relative to the book's root) whose content the execution key covers."""

KEY_ENVIRONMENT = ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "PYTHONHASHSEED")
"""Environment variables the kernels inherit that can change an output (the Makefile sets them)."""

SECONDS_FILE = "seconds.json"
"""In ``<build folder>/.jupyter_cache``: each notebook's last execution time, by docname."""

BENCH_SECONDS = "bench/notebook_seconds.json"
"""Relative to the book's root: the notebook times ``make bench`` measured, one after another."""

SKIPPED_PARTS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}


def _files(root: Path, inputs) -> list[Path]:
    found = []
    for name in inputs:
        path = root / name
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found += [p for p in path.rglob("*") if p.is_file() and not SKIPPED_PARTS & set(p.parts)
                      and p.suffix not in (".pyc", ".pyo")]
    return sorted(found)


def _digest(root: Path, inputs, extra: tuple[str, ...] = ()) -> str:
    digest = hashlib.sha256()
    for path in _files(root, inputs):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    for item in extra:
        digest.update(item.encode() + b"\0")
    return digest.hexdigest()[:16]


def execution_key(root: Path) -> str:
    """A 16-hex-digit hash of everything besides a notebook's code that can change its outputs."""
    environment = tuple(f"{name}={os.environ.get(name, '')}" for name in KEY_ENVIRONMENT)
    # IPYTHONDIR is a path (different in every clone): whether it points at our profile counts,
    # the profile's content is in KEY_INPUTS.
    ipythondir = os.environ.get("IPYTHONDIR", "")
    book_profile = ipythondir and Path(ipythondir).resolve() == (root / ".ipython").resolve()
    profile = "book profile" if book_profile else f"IPYTHONDIR={ipythondir}"
    return _digest(root, KEY_INPUTS, (f"python {platform.python_version()}", profile, *environment))


def extensions_key(root: Path) -> str:
    """A hash of ``_ext/`` (our Sphinx extensions and their static files)."""
    return _digest(root, ("_ext",))


def cache_path(build_dir: Path, root: Path) -> Path:
    """``<build_dir>/.jupyter_cache/<execution key>``: the cache for this environment."""
    return Path(build_dir) / ".jupyter_cache" / execution_key(root)


def prune(build_dir: Path, keep: Path) -> None:
    """Delete the cache folders of other keys (outputs of an older lib/ must never be shown)."""
    parent = Path(build_dir) / ".jupyter_cache"
    if parent.is_dir():
        for folder in parent.iterdir():
            if folder.is_dir() and folder.resolve() != Path(keep).resolve():
                shutil.rmtree(folder, ignore_errors=True)


def _read_seconds(path: Path) -> dict[str, float]:
    try:
        found = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(found, dict):
        return {}
    return {str(k): float(v) for k, v in found.items() if isinstance(v, (int, float))}


def expected_seconds(root: Path, cache_folder: Path) -> dict[str, float]:
    """Each notebook's last measured execution time, by docname: this build folder's own
    measurements where it has them, else those of ``make bench``."""
    return {**_read_seconds(Path(root) / BENCH_SECONDS),
            **_read_seconds(Path(cache_folder).parent / SECONDS_FILE)}


def longest_first(docnames: list[str], seconds: dict[str, float]) -> list[str]:
    """``docnames`` sorted by expected time, longest first; unmeasured ones first of all, and
    otherwise the given order.

    >>> longest_first(["a", "b", "c", "d"], {"a": 5.0, "b": 9.0, "d": 5.0})
    ['c', 'b', 'a', 'd']
    """
    rank = {name: index for index, name in enumerate(docnames)}
    return sorted(docnames, key=lambda name: (-seconds.get(name, float("inf")), rank[name]))


def toc_documents(toc_file: Path) -> list[str]:
    """Every document of a Jupyter Book ``_toc.yml`` (root first), without suffix, read by
    sphinx-external-toc, the parser Jupyter Book itself uses (as tests/conftest.py does)."""
    from sphinx_external_toc.parsing import parse_toc_yaml

    return list(parse_toc_yaml(Path(toc_file)))


def read_notebook(path: Path, extensions):
    """The notebook MyST-NB reads from a MyST Markdown ``path``, or None if it is no notebook."""
    from myst_nb.core.read import is_myst_markdown_notebook, read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig

    text = path.read_text(encoding="utf-8")
    if path.suffix != ".md" or not is_myst_markdown_notebook(text):
        return None
    config = MdParserConfig(enable_extensions=set(extensions))
    return read_myst_markdown_notebook(text, config=config, add_source_map=True, path=str(path))


def execute(path: str, notebook, timeout: int, allow_errors: bool):
    """In a worker process: execute ``notebook`` as MyST-NB's cache mode does.

    Returns (executed notebook, seconds, error text or None).
    """
    from jupyter_cache.executors.utils import single_nb_execution

    result = single_nb_execution(notebook, cwd=str(Path(path).parent), timeout=timeout,
                                 allow_errors=allow_errors, meta_override=True)
    # nbclient's CellExecutionError names the cell and carries the kernel's traceback
    error = None if result.err is None else f"{type(result.err).__name__}: {result.err}"
    return result.nb, result.time, error


class ParallelExecution:
    """The notebooks being executed for this build, by docname."""

    def __init__(self, app, config):
        from jupyter_cache import get_cache

        self.cache = get_cache(config.nb_execution_cache_path)
        self.pending: dict[str, tuple[Path, concurrent.futures.Future]] = {}
        self.order: list[str] = []
        self.failures: dict[str, str] = {}
        self.pool = None
        self.seconds_file = Path(config.nb_execution_cache_path).parent / SECONDS_FILE
        srcdir = Path(app.srcdir)
        toc_file = Path(getattr(config, "external_toc_path", "") or srcdir / "_toc.yml")
        if not toc_file.is_absolute():
            toc_file = srcdir / toc_file
        if not toc_file.is_file():
            return
        todo = []
        for docname in toc_documents(toc_file):
            path = srcdir / f"{docname}.md"
            if not path.is_file():
                continue
            notebook = read_notebook(path, config.myst_enable_extensions)
            if notebook is None:
                continue
            try:
                self.cache.match_cache_notebook(notebook)
            except KeyError:
                todo.append((docname, path, notebook))
        if not todo:
            logger.info(f"execution_cache: every notebook is in {config.nb_execution_cache_path}")
            return
        seconds = expected_seconds(srcdir, Path(config.nb_execution_cache_path))
        by_name = {item[0]: item for item in todo}
        todo = [by_name[name] for name in longest_first(list(by_name), seconds)]
        jobs = max(1, min(int(os.environ.get("BOOK_JOBS") or os.cpu_count() or 1), len(todo)))
        logger.info(f"execution_cache: executing {len(todo)} notebook(s), {jobs} at a time, "
                    f"into {config.nb_execution_cache_path}")
        self.started = time.perf_counter()
        self.pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=jobs, mp_context=multiprocessing.get_context("spawn"))
        for docname, path, notebook in todo:
            future = self.pool.submit(execute, str(path), notebook,
                                      int(config.nb_execution_timeout),
                                      bool(config.nb_execution_allow_errors))
            self.pending[docname] = (path, future)
            self.order.append(docname)

    def reorder(self, docnames: list[str]) -> None:
        """Read the pages that need no execution first, then the others as they were started."""
        rank = {docname: index for index, docname in enumerate(self.order)}
        docnames.sort(key=lambda docname: (docname in rank, rank.get(docname, 0)))

    def wait(self, docname: str) -> None:
        """Block until ``docname`` is executed and cached; raise if any notebook failed."""
        if docname not in self.pending:
            return
        path, future = self.pending.pop(docname)
        self._collect(docname, path, future)
        if self.failures:
            for other, (other_path, other_future) in list(self.pending.items()):
                self._collect(other, other_path, other_future)
            self.pending.clear()
            self.close()
            report = "\n\n".join(f"{name}:\n{error}" for name, error in self.failures.items())
            raise ExtensionError(
                f"an error in a cell fails the build: {len(self.failures)} notebook(s) failed"
                f"\n\n{report}")
        if not self.pending:
            logger.info(f"execution_cache: all executions done after "
                        f"{time.perf_counter() - self.started:.1f} s")
            self.close()

    def _collect(self, docname: str, path: Path, future) -> None:
        from jupyter_cache.base import CacheBundleIn

        try:
            executed, seconds, error = future.result()
        except Exception as crash:
            executed, seconds, error = None, 0.0, f"{type(crash).__name__}: {crash}"
        if error is not None:
            self.failures[docname] = error
            return
        self.cache.cache_notebook_bundle(
            CacheBundleIn(executed, str(path), data={"execution_seconds": seconds}),
            check_validity=False, overwrite=True,
        )
        logger.info(f"execution_cache: {docname} executed in {seconds:.1f} s")
        measured = _read_seconds(self.seconds_file)
        measured[docname] = round(seconds, 2)
        self.seconds_file.parent.mkdir(parents=True, exist_ok=True)
        self.seconds_file.write_text(json.dumps(measured, indent=1, sort_keys=True) + "\n",
                                     encoding="utf-8")

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def _config_inited(app, config) -> None:
    srcdir = Path(app.srcdir)
    config.book_extensions_key = extensions_key(srcdir)
    if config.nb_execution_mode != "cache":
        return
    if not config.nb_execution_cache_path:
        build_dir = Path(app.outdir).parent
        path = cache_path(build_dir, srcdir)
        prune(build_dir, keep=path)
        config.nb_execution_cache_path = str(path)
    app._book_execution = ParallelExecution(app, config)


def _before_read(app, env, docnames: list[str]) -> None:
    execution = getattr(app, "_book_execution", None)
    if execution is not None:
        execution.reorder(docnames)


def _source_read(app, docname: str, source: list[str]) -> None:
    execution = getattr(app, "_book_execution", None)
    if execution is not None:
        execution.wait(docname)


def _write_executed_notebook(app, doctree) -> None:
    """Put the executed notebook (with outputs) into ``_build/jupyter_execute``.

    In cache mode MyST-NB writes the notebook it read there, without the outputs it merged
    from the cache; the executed notebooks are what the determinism test compares.
    """
    import nbformat

    if app.config.nb_execution_mode != "cache" or not hasattr(app.env, "mystnb_config"):
        return
    docname = app.env.docname
    path = Path(app.env.doc2path(docname))
    if not path.is_file():
        return
    notebook = read_notebook(path, app.config.myst_enable_extensions)
    if notebook is None:
        return
    from jupyter_cache import get_cache

    try:
        cache = get_cache(app.env.mystnb_config.execution_cache_path)
        _, merged = cache.merge_match_into_notebook(notebook)
    except KeyError:
        return
    target = Path(app.env.mystnb_config.output_folder, *f"{docname}.ipynb".split("/"))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(nbformat.writes(merged), encoding="utf-8")


def _build_finished(app, exception) -> None:
    execution = getattr(app, "_book_execution", None)
    if execution is not None:
        execution.close()


def _skip_the_last_collection(app, exception) -> None:
    """Let the build's process end without collecting its objects one last time.

    Reading the API pages imports ``lib`` and with it TensorFlow, Keras and Altair: millions
    of objects, which the interpreter's final garbage collection walked for about 1.5 s after
    the build was done (measured: 1.6 s to exit after importing ``lib``, 0.2 s with this).
    :func:`gc.freeze` takes the objects alive now out of every later collection; objects made
    after it are still collected, and ``atexit`` handlers (temporary folders) still run."""
    import gc

    gc.freeze()


def setup(app):
    # "env": a different value makes Sphinx read every page again.
    app.add_config_value("book_extensions_key", "", "env", str)
    app.connect("config-inited", _config_inited, priority=100)
    app.connect("env-before-read-docs", _before_read)
    app.connect("source-read", _source_read, priority=100)
    app.connect("doctree-read", _write_executed_notebook)
    app.connect("build-finished", _build_finished)
    app.connect("build-finished", _skip_the_last_collection, priority=999)
    return {"parallel_read_safe": False, "parallel_write_safe": True, "version": "1.0"}
