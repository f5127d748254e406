"""Check-only cells are folded, so a chapter reads straight through; the asserts stay in it.

A cell whose statements are only ``assert``s and imports has nothing to show the reader: it
must carry the ``hide-input`` tag, which the built page renders as a closed "Show the checks"
fold (``_ext/check_cells.py``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import ROOT, toc_files

CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)


def code_cells(text: str) -> list[tuple[int, list[str], str]]:
    """(line, tags, source) of every code cell of a MyST notebook's text."""
    cells = []
    for match in CELL.finditer(text):
        body = match.group(1).split("\n")
        tags: list[str] = []
        if body and body[0] == "---":                     # YAML options block
            end = body.index("---", 1)
            options, body = body[1:end], body[end + 1:]
            tags = [tag.strip() for option in options if option.strip().startswith("tags:")
                    for tag in option.split(":", 1)[1].strip(" []").split(",")]
        else:
            while body and body[0].startswith(":"):
                key, _, value = body.pop(0)[1:].partition(":")
                if key.strip() == "tags":
                    tags = [tag.strip() for tag in value.strip(" []").split(",")]
        line = text[:match.start()].count("\n") + 1
        cells.append((line, tags, "\n".join(body)))
    return cells


def only_checks(source: str) -> bool:
    """True for a cell made of ``assert`` statements and imports only (at least one assert)."""
    try:
        statements = ast.parse(source).body
    except SyntaxError:
        return False
    kinds = {type(statement) for statement in statements}
    return ast.Assert in kinds and kinds <= {ast.Assert, ast.Import, ast.ImportFrom}


def pages() -> list[Path]:
    return [ROOT / f"{name}.md" for name in toc_files() if (ROOT / f"{name}.md").is_file()]


def unfolded_check_cells(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [f"{path.relative_to(ROOT)}:{line}" for line, tags, source in code_cells(text)
            if only_checks(source) and "hide-input" not in tags]


def test_the_detector_sees_check_cells():
    text = "```{code-cell} ipython3\nimport numpy as np\n\nassert np.pi > 3\n```\n"
    assert [only_checks(source) for _, _, source in code_cells(text)] == [True]
    folded = "```{code-cell} ipython3\n:tags: [hide-input]\nassert True\n```\n"
    assert code_cells(folded)[0][1] == ["hide-input"]
    shown = "```{code-cell} ipython3\nx = 1\nassert x\nprint(x)\n```\n"
    assert not only_checks(code_cells(shown)[0][2])


@pytest.mark.parametrize("path", pages(), ids=lambda p: p.stem)
def test_check_only_cells_are_folded(path):
    unfolded = unfolded_check_cells(path)
    assert not unfolded, ("cells with only asserts and imports, not folded "
                          "(add `:tags: [hide-input]`):\n" + "\n".join(unfolded))


@pytest.mark.build
def test_folded_checks_render_closed_with_their_prompt(built_html):
    """Every folded cell that asserts is a closed <details> titled "Show the checks"."""
    problems, total = [], 0
    for name in toc_files():
        source = ROOT / f"{name}.md"
        if not source.is_file():
            continue
        expected = sum(1 for _, tags, code in code_cells(source.read_text(encoding="utf-8"))
                       if "hide-input" in tags and "assert" in code)
        soup = BeautifulSoup((built_html / f"{name}.html").read_text(encoding="utf-8"), "html.parser")
        folds = soup.select("div.cell.checks > details.hide.above-input")
        titles = {fold.select_one("summary p.collapsed").get_text(strip=True) for fold in folds}
        if len(folds) != expected:
            problems.append(f"{name}: {expected} folded check cells in the source, {len(folds)} on the page")
        if folds and titles != {"Show the checks"}:
            problems.append(f"{name}: fold titles {titles}")
        if any(fold.has_attr("open") for fold in folds):
            problems.append(f"{name}: a check fold is open")
        total += expected
    assert total >= 40, f"expected the chapters to fold their checks, found {total} folded check cells"
    assert not problems, "\n".join(problems)
