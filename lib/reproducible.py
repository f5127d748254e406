"""Same code, same outputs: seeds and the versions a chapter ran with.

Every chapter starts with :func:`setup_chapter`, which fixes the random
seeds of Python, NumPy and TensorFlow/Keras, asks TensorFlow for
deterministic ops, shows errors as a reader meets them (type and message,
see :func:`show_errors_briefly`), and returns a one-line summary of the
versions that version-sensitive behaviour depends on.

>>> "keras" in versions()
True
"""

from __future__ import annotations

import platform

SEED = 0
"""The one seed every chapter uses."""


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


def setup_chapter(seed: int = SEED) -> str:
    """Seed Python, NumPy and Keras, make TensorFlow ops deterministic, show errors briefly
    (:func:`show_errors_briefly`); return :func:`versions`."""
    import keras
    import matplotlib
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    matplotlib.rcParams.update({"figure.dpi": 100, "savefig.dpi": 100, "font.size": 10})
    show_errors_briefly()
    return versions()
