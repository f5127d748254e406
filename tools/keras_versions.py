"""``make versions`` and ``make versions-check``: the Keras version matrix, measured.

For each Keras version in :data:`ENVIRONMENTS` this creates a throwaway virtual environment
under ``_build/keras-versions/`` with uv, installs that Keras with a TensorFlow it accepts
(plus numpy, matplotlib and scikit-learn, which ``lib`` imports), and runs this same file with
``--probe`` in it, with the repository on ``PYTHONPATH``. The probe prints the results of
:func:`lib.mask_behaviour.measure` as JSON. tf-keras (the Keras 2 API) is probed in the book's
own ``.venv``, where it is installed beside Keras 3.

    python tools/keras_versions.py            # write data/keras-versions.json
    python tools/keras_versions.py --check    # recompute; exit 1 if it differs from the file

Nothing here downloads anything but packages from the package index.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "_build" / "keras-versions"

ENVIRONMENTS = [
    # (keras, tensorflow-cpu): the TensorFlow is one whose requirements accept that Keras.
    # TF 2.18.1 asks for keras>=3.5; TF 2.20.0 for keras>=3.10; TF 2.21.0 for keras>=3.12.
    ("3.7.0", "2.18.1"),
    ("3.8.0", "2.18.1"),
    ("3.9.0", "2.18.1"),
    ("3.10.0", "2.20.0"),
    ("3.15.1", "2.21.0"),     # the book's pinned versions
]
EXTRAS = ["numpy", "matplotlib", "scikit-learn"]   # what lib imports besides TF and Keras


def probe(api_name: str) -> None:
    """Run inside an environment: print the measurements of the installed ``api`` as JSON."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import importlib

    import numpy
    import tensorflow as tf

    from lib.mask_behaviour import measure

    api = importlib.import_module(api_name)
    print(json.dumps({
        "api": api_name,
        "keras": api.__version__,
        "tensorflow": tf.__version__,
        "numpy": numpy.__version__,
        "results": measure(api),
    }))


def _uv() -> str:
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if not found:
        sys.exit("keras_versions: uv is needed (it is in requirements.txt; run make setup)")
    return found


def _run_probe(python: Path, api_name: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3",
               TF_ENABLE_ONEDNN_OPTS="0", PYTHONHASHSEED="0")
    done = subprocess.run([str(python), str(Path(__file__).resolve()), "--probe", api_name],
                          capture_output=True, text=True, env=env, cwd=WORK)
    if done.returncode != 0:
        sys.exit(f"keras_versions: the probe failed in {python}:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _environment(keras_version: str, tf_version: str) -> Path:
    """A fresh venv with that Keras and TensorFlow; returns its python."""
    uv = _uv()
    home = WORK / f"keras-{keras_version}"
    if home.exists():
        shutil.rmtree(home)
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(home)], check=True)
    python = home / "bin" / "python"
    subprocess.run([uv, "pip", "install", "--quiet", "--python", str(python),
                    f"keras=={keras_version}", f"tensorflow-cpu=={tf_version}", *EXTRAS],
                   check=True)
    return python


def compute(keep: bool = False) -> dict:
    """Measure every row; print the time each took."""
    WORK.mkdir(parents=True, exist_ok=True)
    rows = []
    for keras_version, tf_version in ENVIRONMENTS:
        started = time.monotonic()
        python = _environment(keras_version, tf_version)
        installed = time.monotonic()
        row = _run_probe(python, "keras")
        if (row["keras"], row["tensorflow"]) != (keras_version, tf_version):
            sys.exit(f"keras_versions: asked for keras {keras_version} with TF {tf_version}, "
                     f"the environment has {row['keras']} with {row['tensorflow']}")
        rows.append(row)
        if not keep:
            shutil.rmtree(python.parent.parent)
        print(f"keras {keras_version} (TF {tf_version}): install "
              f"{installed - started:.0f} s, probe {time.monotonic() - installed:.0f} s",
              file=sys.stderr)
    started = time.monotonic()
    rows.append(_run_probe(Path(sys.executable), "tf_keras"))     # the book's .venv
    print(f"tf_keras in .venv: probe {time.monotonic() - started:.0f} s", file=sys.stderr)
    return {
        "generated": datetime.date.today().isoformat(),
        "tool": "make versions (tools/keras_versions.py)",
        "python": platform.python_version(),
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="recompute and compare with the committed file; "
                             "exit 1 on a difference")
    parser.add_argument("--probe", metavar="API", help=argparse.SUPPRESS)
    parser.add_argument("--keep", action="store_true", help="keep the environments afterwards")
    parser.add_argument("--against", metavar="JSON", type=Path,
                        help="with --check: compare with this file instead of the committed one")
    args = parser.parse_args()
    if args.probe:
        probe(args.probe)
        return
    sys.path.insert(0, str(ROOT))
    from lib.version_matrix import MATRIX_PATH, differences, load

    started = time.monotonic()
    matrix = compute(keep=args.keep)
    print(f"keras_versions: {time.monotonic() - started:.0f} s in all", file=sys.stderr)
    if args.check:
        committed = args.against or MATRIX_PATH
        problems = differences(load(committed), matrix)
        if problems:
            print(f"The recomputed version matrix differs from {committed}:",
                  *problems, sep="\n  ")
            print("If Keras really behaves so, run `make versions`, commit the file, and fix "
                  "every chapter claim that cites the changed cells.")
            sys.exit(1)
        print(f"keras_versions: the recomputed matrix agrees with {committed.name} "
              f"({len(matrix['rows'])} rows)")
        return
    MATRIX_PATH.parent.mkdir(exist_ok=True)
    MATRIX_PATH.write_text(json.dumps(matrix, indent=2) + "\n", encoding="utf-8")
    print(f"keras_versions: wrote {MATRIX_PATH.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
