"""Two builds of the same commit give the same text outputs in every executed notebook.

Compares the executed notebooks of the main build (``_build/jupyter_execute``) with those of
a second, independent build into a temporary folder. The build caches executed notebooks
(``_ext/execution_cache.py``) in its own output folder, so the second build starts from an
empty cache and executes every notebook again (the test checks that it did); the first may
come from the cache of an earlier build with the same lib/, constraints and kernel profile,
which is exactly the claim: same inputs, same outputs.

Cells tagged ``measured`` (timings of the cost chapter, labelled as measured on the page)
are left out. Widget model ids (the ``application/vnd.jupyter.widget-view+json`` outputs of
the live-slider cells) are random per kernel and are not text outputs, so they are not
compared; they never reach a page either: the book hides those cells' outputs, and
``_ext/page_speed.py`` drops the notebook's widget state from pages that show no widget.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT

pytestmark = [pytest.mark.build, pytest.mark.slow, pytest.mark.determinism]

TEXT_TYPES = ("text/plain", "text/html", "text/markdown", "text/latex")


def text_outputs(path: Path) -> dict[int, tuple[str, list[tuple[str, str]]]]:
    """cell index -> (first source line, [(kind, text), ...]) for every untagged code cell."""
    notebook = nbformat.read(path, as_version=4)
    found = {}
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or "measured" in cell.metadata.get("tags", []):
            continue
        texts = []
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                # how a stream is cut into messages depends on timing: compare the joined text
                if texts and texts[-1][0] == output.name:
                    texts[-1] = (output.name, texts[-1][1] + output.text)
                else:
                    texts.append((output.name, output.text))
            elif output.output_type == "error":
                texts.append(("error", f"{output.ename}: {output.evalue}"))
            else:
                for kind in TEXT_TYPES:
                    if kind in output.get("data", {}):
                        texts.append((kind, output.data[kind]))
        first_line = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
        found[index] = (first_line, texts)
    return found


@pytest.fixture(scope="module")
def second_build(built_html, tmp_path_factory) -> tuple[Path, str]:
    """A second, independent build of the book: (its output folder, its log)."""
    out = tmp_path_factory.mktemp("second_build")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0", "PYTHONHASHSEED": "0",
           "IPYTHONDIR": str(ROOT / ".ipython")}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT),
         "--path-output", str(out), "--warningiserror", "--keep-going"],
        capture_output=True, text=True, env=env, timeout=2400,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out, result.stdout


@pytest.mark.timeout(2700)
def test_a_second_build_gives_identical_text_outputs(built_html, second_build):
    tmp_path, log = second_build
    first = built_html.parent / "jupyter_execute"
    notebooks = sorted(first.rglob("*.ipynb"))
    assert notebooks, f"expected executed notebooks in {first}"
    executed = re.search(r"execution_cache: executing (\d+) notebook", log)
    assert executed and int(executed[1]) == len(notebooks), (
        f"the second build did not execute all {len(notebooks)} notebooks again: "
        + (executed[0] if executed else "no execution reported"))
    second = tmp_path / "_build" / "jupyter_execute"
    differences = []
    for notebook in notebooks:
        relative = notebook.relative_to(first)
        again = second / relative
        assert again.is_file(), f"the second build has no {relative}"
        a, b = text_outputs(notebook), text_outputs(again)
        for index in sorted(set(a) | set(b)):
            if a.get(index) != b.get(index):
                line, first_texts = a.get(index, ("(missing)", []))
                second_texts = b.get(index, ("", []))[1]
                differences.append(
                    f"{relative} cell {index} `{line}`:\n  first:  {str(first_texts)[:400]}\n"
                    f"  second: {str(second_texts)[:400]}"
                )
    assert not differences, "outputs differ between two builds:\n" + "\n".join(differences)


@pytest.mark.timeout(2700)
def test_a_second_build_gives_the_same_notebook_archive(built_html, second_build):
    """The "all notebooks" archive (_ext/notebook_downloads.py) is byte for byte the same:
    fixed dates in the zip and the wheel, and numbered rather than random cell ids."""
    relative = Path("notebooks") / "attention-masks-notebooks.zip"
    first = (built_html / relative).read_bytes()
    again = (second_build[0] / "_build" / "html" / relative).read_bytes()
    if first != again:
        import io
        import zipfile

        a, b = zipfile.ZipFile(io.BytesIO(first)), zipfile.ZipFile(io.BytesIO(again))
        differ = [n for n in sorted(set(a.namelist()) | set(b.namelist()))
                  if n not in a.namelist() or n not in b.namelist() or a.read(n) != b.read(n)]
        pytest.fail(f"the archives of two builds differ in: {differ}")
