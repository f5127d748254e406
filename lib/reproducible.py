"""Same code, same outputs: seeds and the versions a chapter ran with.

Every chapter starts with :func:`setup_chapter`, which fixes the random
seeds of Python, NumPy and TensorFlow/Keras, asks TensorFlow for
deterministic ops, and returns a one-line summary of the versions that
version-sensitive behaviour depends on.

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


def setup_chapter(seed: int = SEED) -> str:
    """Seed Python, NumPy and Keras, make TensorFlow ops deterministic; return :func:`versions`."""
    import keras
    import matplotlib
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    matplotlib.rcParams.update({"figure.dpi": 100, "savefig.dpi": 100, "font.size": 10})
    return versions()
