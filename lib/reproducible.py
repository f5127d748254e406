"""Same code, same outputs: seeds, quiet TensorFlow, and the versions a chapter ran with.

Every chapter starts with :func:`setup_chapter`. It checks that ``lib`` is this
book's package (``lib`` is a generic name: a folder or module called ``lib``
in the notebook's directory would be imported first), quiets TensorFlow's C++
start-up log, fixes the random seeds of Python, NumPy and TensorFlow/Keras,
asks TensorFlow for deterministic ops, shows matplotlib figures inline in a
notebook (as the book's theme-aware figures, :func:`lib.plots.use_book_figures`),
shows errors as a reader meets them (type and message, :func:`show_errors_briefly`),
and returns a one-line summary of the versions that version-sensitive behaviour
depends on. Importing ``lib`` or any of its
modules does none of this: nothing happens until a chapter asks.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

from lib import checks
from lib.errors import LibShadowedError

SEED = 0
"""The one seed every chapter uses."""

DISTRIBUTION = "attention-masks-lib"
"""The name this book's ``lib`` is installed under (``pip install -e .``)."""

QUIET_TENSORFLOW = {"TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}
"""Set (unless already set) before TensorFlow is imported: no C++ start-up log; oneDNN's
custom ops off, which also keeps float results identical from run to run."""


def quiet_tensorflow() -> None:
    """Set :data:`QUIET_TENSORFLOW` in the environment (keeping values already set); it only
    works before TensorFlow is first imported. ``setup_chapter`` and ``python -m lib.doctor``
    call it."""
    for name, value in QUIET_TENSORFLOW.items():
        os.environ.setdefault(name, value)


def versions() -> str:
    """``python 3.11.7 · tensorflow 2.21.0 · keras 3.15.1 · scikit-learn ...``"""
    import keras
    import sklearn
    import tensorflow as tf

    return (
        f"python {platform.python_version()} · tensorflow {tf.__version__} · "
        f"keras {keras.__version__} · scikit-learn {sklearn.__version__}"
    )


def show_errors_briefly() -> bool:
    """In an IPython kernel or shell, show an exception as its type and message only.

    The same as the magic ``%xmode Minimal``, without the line it prints: no stack
    frames, so no paths of the machine that ran the cell. The chapters' deliberate
    errors (cells tagged ``raises-exception``) then read as the reader meets them,
    e.g. ``MaskError: `token_ids`: expected rank 2 ...``. Returns whether it applied;
    in plain Python (or pytest) it changes nothing and returns False. For a full
    traceback in your own notebook run ``%xmode Context``.

    >>> show_errors_briefly()   # plain Python: nothing to change
    False
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        return False
    shell = get_ipython()
    if shell is None:
        return False
    shell.InteractiveTB.set_mode(mode="Minimal")
    return True


def installed_lib_dir() -> Path | None:
    """Where the installed distribution :data:`DISTRIBUTION` keeps ``lib`` (its editable
    source folder, or its installed copy), or ``None`` when it is not installed."""
    try:
        distribution = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None
    direct_url = distribution.read_text("direct_url.json")
    if direct_url:
        info = json.loads(direct_url)
        if info.get("dir_info", {}).get("editable") and info.get("url", "").startswith("file:"):
            return Path(unquote(urlparse(info["url"]).path)) / "lib"
    return Path(str(distribution.locate_file("lib")))


_LOOK_UP = Path("<look it up>")


def check_lib(imported: Path | None = None, installed: Path | None = _LOOK_UP) -> Path:
    """Raise :class:`~lib.errors.LibShadowedError` unless the ``lib`` Python imported is the one
    installed as :data:`DISTRIBUTION`; return its folder.

    ``imported`` and ``installed`` default to where ``lib`` was imported from and
    :func:`installed_lib_dir`; a test passes other folders (``installed=None``: not installed).

    >>> check_lib(Path("/elsewhere/lib"), Path("/book/lib"))
    Traceback (most recent call last):
    ...
    lib.errors.LibShadowedError: The `lib` imported from /elsewhere/lib is not this book's packa...
    """
    if imported is None:
        package = sys.modules["lib"]
        imported = Path(package.__file__).resolve().parent
    if installed is _LOOK_UP:
        installed = installed_lib_dir()
    fix = (
        "A folder or module named `lib` in the notebook's directory, or earlier on sys.path, "
        "shadows it: rename that one, or start the notebook from another directory. "
        "To install the book's package: pip install -r requirements.txt -c constraints.txt "
        "in a clone of the book."
    )
    if installed is None:
        raise LibShadowedError(
            f"The `lib` imported from {imported} is not installed as {DISTRIBUTION!r}, the "
            f"book's package. {fix}"
        )
    if Path(imported).resolve() != Path(installed).resolve():
        raise LibShadowedError(
            f"The `lib` imported from {imported} is not this book's package, which is installed "
            f"at {installed}. {fix}"
        )
    return Path(imported)


def _inline_figures() -> None:
    """In a Jupyter kernel whose matplotlib backend is not inline (``MPLBACKEND=Agg``, say,
    under which a notebook shows no figures), switch to the inline backend."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency of ipywidgets
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return  # plain Python, pytest, or a terminal IPython: leave the backend alone
    import matplotlib

    if "inline" not in str(matplotlib.get_backend()).lower():
        shell.run_line_magic("matplotlib", "inline")


def setup_chapter(seed: int = SEED) -> str:
    """Check ``lib``, quiet TensorFlow, seed Python, NumPy and Keras, make TensorFlow ops
    deterministic, show figures inline and errors briefly; return :func:`versions`.

    Its first check (:func:`check_lib`) passes in this project's environment:

    >>> check_lib().name
    'lib'
    """
    check_lib()
    seed = checks.integer(seed, "seed", minimum=0)
    quiet_tensorflow()
    import keras
    import matplotlib
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    matplotlib.rcParams.update({"figure.dpi": 100, "savefig.dpi": 100, "font.size": 10})
    _inline_figures()
    show_errors_briefly()
    from lib.plots import use_book_figures

    use_book_figures()
    return versions()
