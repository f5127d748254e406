"""lib.reproducible: setup_chapter() does what a chapter needs, importing lib does nothing, and a
`lib` that is not this book's package is named as such."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lib.errors import LibShadowedError
from lib.reproducible import check_lib, installed_lib_dir

ROOT = Path(__file__).resolve().parent.parent
MODULES = ["lib", "lib.masks", "lib.plots", "lib.memory", "lib.timing", "lib.attention",
           "lib.widgets", "lib.explorers", "lib.playground", "lib.toy_transformer"]


def run(code: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items()
             if key not in ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "MPLBACKEND")}
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env={**clean, **env},
                          capture_output=True, text=True, timeout=300)


def test_importing_lib_changes_no_setting():
    """lib/__init__.py once set TF_* variables and plots.py switched matplotlib's backend.

    The libraries lib builds on are imported first: TensorFlow sets variables of its own."""
    code = (
        "import os, matplotlib, tensorflow, keras, sklearn, altair, ipywidgets, IPython\n"
        "before = (dict(os.environ), matplotlib.get_backend(), dict(matplotlib.rcParams))\n"
        f"for name in {MODULES!r}: __import__(name)\n"
        "after = (dict(os.environ), matplotlib.get_backend(), dict(matplotlib.rcParams))\n"
        "assert before[0] == after[0], set(after[0].items()) ^ set(before[0].items())\n"
        "assert before[1] == after[1], (before[1], after[1])\n"
        "changed = {k for k in before[2] if before[2][k] != after[2][k]}\n"
        "assert not changed, changed\n"
        "print('unchanged')\n"
    )
    result = run(code, ROOT, MPLBACKEND="agg")
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "unchanged"


def test_setup_chapter_quiets_tensorflow_and_seeds():
    code = (
        "from lib.reproducible import setup_chapter\n"
        "import os\n"
        "line = setup_chapter()\n"
        "import numpy as np, tensorflow as tf\n"
        "assert os.environ['TF_CPP_MIN_LOG_LEVEL'] == '3' and os.environ['TF_ENABLE_ONEDNN_OPTS'] == '0'\n"
        "first = (np.random.rand(), float(tf.random.uniform(())))\n"
        "setup_chapter()\n"
        "assert first == (np.random.rand(), float(tf.random.uniform(()))), first\n"
        "print(line)\n"
    )
    result = run(code, ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("python 3.") and " · keras 3." in result.stdout
    assert "oneDNN custom operations are on" not in result.stderr


def test_this_environment_imports_the_books_lib():
    assert check_lib() == installed_lib_dir() == ROOT / "lib"


def test_check_lib_names_both_folders():
    with pytest.raises(LibShadowedError, match=r"The `lib` imported from /tmp/other/lib is not this "
                                               r"book's package, which is installed at /book/lib\."):
        check_lib(Path("/tmp/other/lib"), Path("/book/lib"))
    with pytest.raises(LibShadowedError, match=r"is not installed as 'attention-masks-lib'"):
        check_lib(Path("/tmp/other/lib"), None)
    with pytest.raises(ImportError):
        check_lib(Path("/a/lib"), Path("/b/lib"))


def test_a_copy_of_lib_in_the_working_directory_is_named(tmp_path):
    """A notebook started next to a folder called `lib` imports that one first."""
    shutil.copytree(ROOT / "lib", tmp_path / "lib", ignore=shutil.ignore_patterns("__pycache__"))
    code = "from lib.reproducible import setup_chapter\nsetup_chapter()\n"
    result = run(code, tmp_path)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("lib.errors.LibShadowedError: The `lib` imported from "
                           f"{tmp_path / 'lib'} is not this book's package, which is installed at "
                           f"{ROOT / 'lib'}."), last
    assert "rename that one, or start the notebook from another directory" in last
