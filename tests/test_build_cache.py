"""The incremental, parallel build (``_ext/execution_cache.py``) on a tiny book with the real settings.

The tiny book has the book's own ``_config.yml`` and ``_ext/``, a ``lib/`` folder, a
``constraints.txt`` and a kernel profile, and three small notebooks (no TensorFlow, so a
build takes seconds). Each notebook prints a value read from ``lib/`` and the id of the
kernel process that ran it: a different id means the notebook was executed again.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT

pytestmark = [pytest.mark.build, pytest.mark.slow, pytest.mark.extended]

HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""


def page(title: str, code: str, prose: str = "Some prose.") -> str:
    return f"{HEADER}\n# {title}\n\n{prose}\n\n```{{code-cell}} ipython3\n{code}\n```\n"


RUN = """import os, time  # page {name} (jupyter-cache keys on the code: every page differs)
start = time.time()
time.sleep({sleep})
value = open("lib/value.txt").read().strip()
print(f"value={{value}} pid={{os.getpid()}} start={{start:.3f}} end={{time.time():.3f}}")"""


def make_book(root: Path, sleep: float = 0.0) -> Path:
    src = root / "src"
    src.mkdir(parents=True)
    shutil.copy2(ROOT / "_config.yml", src / "_config.yml")
    shutil.copytree(ROOT / "_ext", src / "_ext", ignore=shutil.ignore_patterns("__pycache__"))
    os.symlink(ROOT / "_vendor", src / "_vendor")
    (src / "lib").mkdir()
    (src / "lib" / "value.txt").write_text("1\n")
    (src / "constraints.txt").write_text("numpy==1\n")
    profile = src / ".ipython" / "profile_default"
    profile.mkdir(parents=True)
    shutil.copy2(ROOT / ".ipython/profile_default/ipython_kernel_config.py", profile)
    for name in ("a", "b", "c"):
        (src / f"{name}.md").write_text(page(name.upper(), RUN.format(sleep=sleep, name=name)))
    (src / "_toc.yml").write_text("format: jb-book\nroot: a\nchapters:\n  - file: b\n  - file: c\n")
    return src


def build(src: Path, jobs: int = 2) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0",
           "PYTHONHASHSEED": "0", "IPYTHONDIR": str(src / ".ipython"), "BOOK_JOBS": str(jobs)}
    return subprocess.run(
        [str(Path(sys.executable).parent / "jupyter-book"), "build", str(src), "--path-output",
         str(src.parent / "out"), "--warningiserror", "--keep-going"],
        capture_output=True, text=True, env=env, timeout=900,
    )


def outputs(src: Path) -> dict[str, dict]:
    """name -> {"value", "pid", "start", "end"} as printed by the page's cell, read from the HTML."""
    found = {}
    for name in ("a", "b", "c"):
        html = (src.parent / "out" / "_build" / "html" / f"{name}.html").read_text(encoding="utf-8")
        match = re.search(r"value=(\S+) pid=(\d+) start=([\d.]+) end=([\d.]+)", html)
        assert match, f"{name}.html shows no output of its cell"
        found[name] = {"value": match[1], "pid": match[2], "start": float(match[3]), "end": float(match[4])}
    return found


def ok(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_notebooks_run_in_parallel_and_a_failing_cell_fails_the_build(tmp_path):
    src = make_book(tmp_path, sleep=4.0)
    ok(build(src, jobs=2))
    first = outputs(src)
    spans = sorted((o["start"], o["end"]) for o in first.values())
    overlapping = any(spans[i + 1][0] < spans[i][1] for i in range(len(spans) - 1))
    assert overlapping, f"with BOOK_JOBS=2 no two notebooks ran at the same time: {spans}"

    (src / "b.md").write_text(page("B", "print('before')\n1 / 0"))
    result = build(src, jobs=2)
    assert result.returncode != 0, "a notebook with `1 / 0` built without error"
    assert "ZeroDivisionError" in result.stdout + result.stderr
    # fixed again: the book builds and shows the fixed notebook's output
    (src / "b.md").write_text(page("B", RUN.format(sleep=0.0, name="b")))
    ok(build(src, jobs=2))
    assert outputs(src)["b"]["value"] == "1"


def test_only_what_changed_runs_again_and_a_change_in_lib_runs_everything(tmp_path):
    src = make_book(tmp_path)
    ok(build(src))
    first = outputs(src)
    cache = src.parent / "out" / "_build" / ".jupyter_cache"
    [key_folder] = [p for p in cache.iterdir() if p.is_dir()]

    ok(build(src))                                                  # nothing changed
    assert {n: o["pid"] for n, o in outputs(src).items()} == {n: o["pid"] for n, o in first.items()}

    (src / "b.md").write_text(page("B", RUN.format(sleep=0.0, name="b"), prose="Other prose."))   # prose only
    ok(build(src))
    again = outputs(src)
    assert again["b"]["pid"] == first["b"]["pid"], "a prose edit executed the notebook again"
    assert "Other prose." in (src.parent / "out/_build/html/b.html").read_text(encoding="utf-8")

    (src / "b.md").write_text(page("B", RUN.format(sleep=0.0, name="b") + "\n# changed"))   # code of b
    ok(build(src))
    again = outputs(src)
    assert again["b"]["pid"] != first["b"]["pid"], "a changed code cell did not run again"
    assert again["a"]["pid"] == first["a"]["pid"] and again["c"]["pid"] == first["c"]["pid"], \
        "an unchanged notebook ran again"

    for changed in ("lib/value.txt", "constraints.txt", ".ipython/profile_default/ipython_kernel_config.py"):
        before = outputs(src)
        path = src / changed
        path.write_text("12\n" if changed == "lib/value.txt" else path.read_text() + "\n# edited\n")
        ok(build(src))
        after = outputs(src)
        assert all(after[n]["pid"] != before[n]["pid"] for n in after), \
            f"after a change to {changed} some notebook kept outputs of the old environment: {after}"
    assert outputs(src)["a"]["value"] == "12", "the page does not show the value of the current lib/"
    folders = [p for p in cache.iterdir() if p.is_dir()]
    assert len(folders) == 1 and folders[0] != key_folder, f"old cache folders are kept: {folders}"
    executed = nbformat.read(src.parent / "out/_build/jupyter_execute/a.ipynb", as_version=4)
    assert json.dumps(executed.cells[-1].outputs).count("value=12") == 1


def test_the_longest_notebooks_start_first_and_their_times_are_kept(tmp_path):
    """With two workers and three notebooks, the one expected to take longest starts in the
    first pair even when it is last in the table of contents (in the order of the table of
    contents it would start last, after `a` or `b` finished)."""
    src = make_book(tmp_path, sleep=3.0)
    (src / "bench").mkdir()
    (src / "bench" / "notebook_seconds.json").write_text(json.dumps({"a": 1.0, "b": 9.0, "c": 8.0}))
    ok(build(src, jobs=2))
    found = outputs(src)
    first_end = min(found["b"]["end"], found["c"]["end"])
    assert found["b"]["start"] < first_end and found["c"]["start"] < first_end, \
        f"b and c (expected 9 s and 8 s) did not start before a (1 s): {found}"
    assert found["a"]["start"] >= first_end - 0.5, f"a started alongside the longer ones: {found}"
    seconds = json.loads((src.parent / "out/_build/.jupyter_cache/seconds.json").read_text())
    assert set(seconds) == {"a", "b", "c"} and all(3.0 <= t < 60 for t in seconds.values()), seconds

    # a measurement of this build folder wins over bench's estimate: `a` is now the longest
    seconds["a"] = 20.0
    (src.parent / "out/_build/.jupyter_cache/seconds.json").write_text(json.dumps(seconds))
    (src / "lib" / "value.txt").write_text("2\n")        # a new key: all three run again
    ok(build(src, jobs=2))
    found = outputs(src)
    assert found["a"]["start"] < min(o["end"] for o in found.values()), \
        f"a, measured longest in this build folder, did not start in the first pair: {found}"


SPLIT_PRINT = """import time
print("first line")
time.sleep(2)   # longer than ipykernel's 0.2 s flush interval: two stream messages
print("last line")"""


@pytest.mark.parametrize("mode", ["force", "cache"])
def test_a_print_sent_in_two_messages_is_kept_once(tmp_path, mode):
    """Issue 13's duplicated prints: with ``nb_merge_streams`` MyST-NB 1.4 merged a cell's stream
    outputs for the page in place, and in ``force`` mode wrote that notebook to jupyter_execute,
    so the second message's text appeared twice there. ``_ext/stream_merge.py`` merges copies."""
    src = make_book(tmp_path)
    (src / "a.md").write_text(page("A", SPLIT_PRINT))
    (src / "_toc.yml").write_text("format: jb-book\nroot: a\n")
    config = src / "_config.yml"
    text = config.read_text()
    assert "execute_notebooks: cache" in text
    config.write_text(text.replace("execute_notebooks: cache", f"execute_notebooks: {mode}"))
    ok(build(src))
    executed = nbformat.read(src.parent / "out/_build/jupyter_execute/a.ipynb", as_version=4)
    streams = [o for o in executed.cells[-1].outputs if o.output_type == "stream"]
    assert len(streams) >= 2, f"the kernel sent the cell's output in one message, nothing to test: {streams}"
    assert "".join(o.text for o in streams) == "first line\nlast line\n", streams
    html = (src.parent / "out/_build/html/a.html").read_text(encoding="utf-8")
    assert 'class="cell_output' in html, "the page shows no output of the cell"
    shown = html.split('class="cell_output', 1)[1]          # the output, after the source
    assert shown.count("first line") == 1 and shown.count("last line") == 1, shown[:600]
