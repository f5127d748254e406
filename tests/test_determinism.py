"""Two builds of the same commit give the same text outputs in every executed notebook.

Compares the executed notebooks of the main build (``_build/jupyter_execute``)
with those of a second, independent build. Cells tagged ``measured`` (timings
of the cost chapter, labelled as measured on the page) are left out.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT

pytestmark = [pytest.mark.build, pytest.mark.slow]

TEXT_TYPES = ("text/plain", "text/html", "text/markdown", "text/latex")


def text_outputs(path: Path) -> list[tuple[int, str, str]]:
    """(cell index, kind, text) for every text output of every untagged code cell."""
    notebook = nbformat.read(path, as_version=4)
    found = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or "measured" in cell.metadata.get("tags", []):
            continue
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                found.append((index, output.name, output.text))
            elif output.output_type == "error":
                found.append((index, "error", f"{output.ename}: {output.evalue}"))
            else:
                for kind in TEXT_TYPES:
                    if kind in output.get("data", {}):
                        found.append((index, kind, output.data[kind]))
    return found


def test_a_second_build_gives_identical_text_outputs(built_html, tmp_path):
    first = built_html.parent / "jupyter_execute"
    notebooks = sorted(first.rglob("*.ipynb"))
    assert notebooks, f"expected executed notebooks in {first}"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0", "PYTHONHASHSEED": "0"}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT),
         "--path-output", str(tmp_path), "--keep-going"],
        capture_output=True, text=True, env=env, timeout=1500,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    second = tmp_path / "_build" / "jupyter_execute"
    differences = []
    for notebook in notebooks:
        relative = notebook.relative_to(first)
        again = second / relative
        assert again.is_file(), f"the second build has no {relative}"
        a, b = text_outputs(notebook), text_outputs(again)
        if a != b:
            for (ia, ka, ta), (ib, kb, tb) in zip(a, b):
                if (ia, ka, ta) != (ib, kb, tb):
                    differences.append(f"{relative} cell {ia} ({ka}):\n  first:  {ta[:300]!r}\n  second: {tb[:300]!r}")
                    break
            else:
                differences.append(f"{relative}: {len(a)} vs {len(b)} text outputs")
    assert not differences, "outputs differ between two builds:\n" + "\n".join(differences)
