"""Look for duplicated print output: execute chapters as the build does, several times, and count.

Issue 13 reported that a cell's last ``print`` sometimes appeared twice in the executed
notebooks (``_build/jupyter_execute``). This script separates the two places where that can
happen:

``kernel``
    the stream messages the kernel sent, as nbclient stored them (what the build caches);
``render``
    the same notebook after MyST-NB rendered it with ``nb_merge_streams: true``: its renderer
    merges a cell's stream outputs for the page, and MyST-NB 1.4 does it *in place* (the first
    stream output gets the text of the later ones, which stay in the list), so the notebook
    object it then writes to ``jupyter_execute`` repeats every chunk after the first. In
    ``execute_notebooks: force`` mode that object is the one written; ``_ext/stream_merge.py``
    makes the merge work on a copy.

A duplicate needs a stream cut into several messages, which depends on timing (ipykernel
sends what was printed every 0.2 s), so it came and went between builds. Each round runs
the chapters at the same time (``--jobs``, default 2: one per core, like the parallel build),
with the Makefile's environment, through jupyter-cache's ``single_nb_execution`` as the
build does. Usage::

    .venv/bin/python tools/stream_duplicates.py chapters/03_embedding_mask.md \\
        chapters/06_multihead_attention.md --runs 8

It prints, per round and notebook, the cells whose stream came in several messages
(``split``) and, per view, the cells whose stream text (all pieces joined, as the determinism
test compares it) changed, and those where a line now occurs more often (a duplicate): for
``kernel`` against the first round, for the rendered views against the kernel's text of the
same round. Then the totals.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import copy
import multiprocessing
import os
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENT = {"TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0", "PYTHONHASHSEED": "0",
               "IPYTHONDIR": str(ROOT / ".ipython")}
"""What the Makefile exports to every kernel the build starts."""


def _text(output) -> str:
    text = output.get("text", "")
    return "".join(text) if isinstance(text, list) else text


def split_cells(notebook) -> list[int]:
    """Code cells with more than one stream output of the same name (stdout or stderr)."""
    found = []
    for index, cell in enumerate(notebook.cells):
        names = [o.name for o in cell.get("outputs", []) if o.output_type == "stream"]
        if len(names) != len(set(names)):
            found.append(index)
    return found


def joined_streams(notebook) -> dict[int, dict[str, str]]:
    """cell index -> {stream name: all its text}, as the determinism test compares them."""
    found = {}
    for index, cell in enumerate(notebook.cells):
        streams: dict[str, str] = {}
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                streams[output.name] = streams.get(output.name, "") + _text(output)
        found[index] = streams
    return found


def changed_cells(notebook, reference) -> list[int]:
    """Code cells whose stream text differs from the same cell's in ``reference`` (a notebook)."""
    ours, theirs = joined_streams(notebook), joined_streams(reference)
    return [index for index in ours if ours[index] != theirs.get(index)]


def duplicated_cells(notebook, reference) -> list[int]:
    """Code cells where some non-empty line of a stream occurs more often than in ``reference``
    (lines ``reference`` lacks do not count: threads printing at once can join two lines)."""
    ours, theirs = joined_streams(notebook), joined_streams(reference)
    found = []
    for index, streams in ours.items():
        for name, text in streams.items():
            counts = Counter(line for line in text.splitlines() if line.strip())
            expected = Counter(line for line in theirs.get(index, {}).get(name, "").splitlines() if line.strip())
            if any(count > expected[line] > 0 for line, count in counts.items()):
                found.append(index)
                break
    return found


def rendered(notebook, merge):
    """A copy of ``notebook`` after ``merge`` ran on every code cell's outputs, as MyST-NB's
    renderer calls it (``_get_nb_code_cell_outputs``), the result thrown away."""
    notebook = copy.deepcopy(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            merge(cell.get("outputs", []))
    return notebook


def _execute(path: str):
    sys.path.insert(0, str(ROOT / "_ext"))
    from execution_cache import execute, read_notebook

    notebook = read_notebook(Path(path), ["colon_fence", "dollarmath", "amsmath", "deflist"])
    executed, seconds, error = execute(path, notebook, 600, False)
    return executed, seconds, error


def _synthetic(path: Path) -> None:
    """A small MyST notebook: prints near a cell's end after TensorFlow and matplotlib work,
    plus output written from Python threads, from C (file descriptor 1) and by absl logging."""
    cells = [
        "from lib.reproducible import setup_chapter\nprint(setup_chapter())",
        "import tensorflow as tf, numpy as np\nx = tf.random.normal((64, 64))\n"
        "for _ in range(20):\n    x = tf.matmul(x, x) / 64\nprint('sum', float(tf.reduce_sum(x)))\n"
        "print('last line of cell 2')",
        "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot(np.arange(10))\n"
        "fig.canvas.draw()\nplt.close(fig)\nprint('after matplotlib')\nprint('last line of cell 3')",
        "import threading\ndef worker(i):\n    print(f'thread {i}')\n"
        "threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\nprint('last line of cell 4')",
        "import os, ctypes\nos.write(1, b'fd 1 line\\n')\nctypes.CDLL(None).puts(b'C puts line')\n"
        "import absl.logging\nabsl.logging.warning('absl warning')\nprint('last line of cell 5')",
        "import time\nprint('before sleep')\ntime.sleep(0.5)\nprint('last line of cell 6')",
    ]
    header = ("---\njupytext:\n  text_representation:\n    extension: .md\n    format_name: myst\n"
              "kernelspec:\n  display_name: Python 3\n  language: python\n  name: python3\n---\n\n# S\n")
    body = "".join(f"\n```{{code-cell}} ipython3\n{code}\n```\n" for code in cells)
    path.write_text(header + body, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chapters", nargs="*", help="MyST chapters (default: chapters 3 and 6)")
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--synthetic", action="store_true", help="add a small synthetic notebook")
    parser.add_argument("--ipythondir", help="another IPYTHONDIR (kernel profile) than the book's")
    parser.add_argument("--save", help="write every executed notebook into this folder")
    args = parser.parse_args(argv)
    os.environ.update(ENVIRONMENT)
    if args.ipythondir:
        os.environ["IPYTHONDIR"] = str(Path(args.ipythondir).resolve())
    sys.path.insert(0, str(ROOT / "_ext"))
    import nbformat
    import stream_merge

    chapters = [str(Path(c).resolve()) for c in args.chapters] or [
        str(ROOT / "chapters/03_embedding_mask.md"), str(ROOT / "chapters/06_multihead_attention.md")]
    if args.synthetic:
        synthetic = ROOT / "chapters" / "_stream_duplicates_synthetic.md"
        _synthetic(synthetic)
        chapters.append(str(synthetic))
    views = {
        "kernel": lambda nb: nb,
        "render (MyST-NB's in-place merge)": lambda nb: rendered(nb, stream_merge.ORIGINAL_MERGE),
        "render (_ext/stream_merge.py)": lambda nb: rendered(nb, stream_merge.merge_streams),
    }
    totals = {name: [0, 0] for name in views}
    splits = 0
    references = {}
    try:
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(max_workers=args.jobs, mp_context=context) as pool:
            for run in range(1, args.runs + 1):
                futures = {chapter: pool.submit(_execute, chapter) for chapter in chapters}
                for chapter, future in futures.items():
                    notebook, seconds, error = future.result()
                    name = Path(chapter).stem
                    if error:
                        print(f"round {run} {name}: FAILED {error[:300]}")
                        return 1
                    if args.save:
                        Path(args.save).mkdir(parents=True, exist_ok=True)
                        nbformat.write(notebook, Path(args.save) / f"{name}.{run}.ipynb")
                    split = split_cells(notebook)
                    splits += len(split)
                    # the kernel's text is compared with the first round's, a rendered
                    # notebook's with the kernel's text of the same round
                    reference = references.setdefault(chapter, notebook)
                    report = [f"round {run} {name} ({seconds:.0f} s): split {split}"]
                    for view, transform in views.items():
                        against = notebook if view != "kernel" else reference
                        changed = changed_cells(transform(notebook), against)
                        doubled = duplicated_cells(transform(notebook), against)
                        totals[view][0] += len(changed)
                        totals[view][1] += len(doubled)
                        report.append(f"{view}: changed {changed} duplicated {doubled}")
                    print("; ".join(report), flush=True)
    finally:
        if args.synthetic:
            synthetic.unlink(missing_ok=True)
    print(f"\n{args.runs} rounds x {len(chapters)} notebooks, {args.jobs} at a time: "
          f"{splits} cells with a stream in several messages")
    for view, (changed, doubled) in totals.items():
        print(f"  {view}: {changed} cells with changed stream text, {doubled} with a duplicated line")
    return 0


if __name__ == "__main__":
    sys.exit(main())
