"""The book's environment: one TensorFlow, and tf-keras (the Keras 2 API) running on it.

tf-keras's metadata asks for the ``tensorflow`` distribution; the book installs
``tensorflow-cpu``. The Makefile installs tf-keras with ``--no-deps``
(requirements-nodeps.txt) so that no second TensorFlow lands in .venv. These tests
check what actually landed, and that ``make lock`` keeps the pins in step.
"""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def installed() -> dict[str, str]:
    """Every distribution ``pip list`` reports in this environment, by canonical name."""
    listing = subprocess.run(
        [sys.executable, "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"],
        capture_output=True, text=True, check=True,
    ).stdout
    names = {}
    for line in listing.splitlines():
        if "==" in line:
            name, version = line.split("==", 1)
            names[canonicalize_name(name)] = version
    return names


def pins(path: Path) -> dict[str, str]:
    """``name==version`` lines of a requirements-style file, by canonical name."""
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9._-]+)==([^\s;#]+)", line)
        if match:
            found[canonicalize_name(match.group(1))] = match.group(2)
    return found


def test_one_tensorflow_distribution():
    dists = installed()
    assert "tensorflow-cpu" in dists, "expected tensorflow-cpu in .venv"
    assert "tf-keras" in dists, "expected tf-keras in .venv (requirements-nodeps.txt)"
    tensorflows = sorted(name for name in dists if re.fullmatch(r"tensorflow(-[a-z]+)?", name))
    assert tensorflows == ["tensorflow-cpu"], (
        f"expected only tensorflow-cpu, found {tensorflows}: a second TensorFlow was pulled in "
        "(tf-keras must be installed with --no-deps)"
    )


def test_tf_keras_requirements_are_met_by_the_installed_distributions():
    """tf-keras's own requirements hold, reading `tensorflow` as the installed tensorflow-cpu."""
    dists = installed()
    for text in metadata.requires("tf-keras") or []:
        requirement = Requirement(text)
        if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = canonicalize_name(requirement.name)
        provided = "tensorflow-cpu" if name == "tensorflow" else name
        assert provided in dists, f"tf-keras needs {text}; {provided} is not installed"
        assert requirement.specifier.contains(dists[provided], prereleases=True), (
            f"tf-keras needs {text}; installed {provided} {dists[provided]}"
        )


def test_tf_keras_runs_on_the_installed_tensorflow():
    import tensorflow as tf
    import tf_keras

    ids = tf.constant([[1, 2, 0]])
    embedded = tf_keras.layers.Embedding(3, 4, mask_zero=True)(ids)
    assert embedded._keras_mask.numpy().tolist() == [[True, True, False]]
    assert tf_keras.__version__.split(".")[:2] == tf.__version__.split(".")[:2]


def test_lock_pins_what_the_makefile_installs():
    """constraints.txt pins tf-keras at the version requirements-nodeps.txt asks for, and no
    `tensorflow` distribution: `make lock` resolves both files with lock-overrides.txt."""
    locked = pins(ROOT / "constraints.txt")
    for name, version in pins(ROOT / "requirements-nodeps.txt").items():
        assert locked.get(name) == version, (
            f"expected constraints.txt to pin {name}=={version} (run make lock), "
            f"found {locked.get(name)}"
        )
    assert "tensorflow" not in locked, "constraints.txt pins `tensorflow`; run make lock"
    dists = installed()
    for name in ("tensorflow-cpu", "tf-keras", "keras", "jax", "tokenizers"):
        assert dists.get(name) == locked.get(name), (
            f"{name}: .venv has {dists.get(name)}, constraints.txt pins {locked.get(name)}"
        )
