"""A failing cell must fail the build: the book's own settings, on a temporary one-chapter copy."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
from build_one import build_single

pytestmark = [pytest.mark.build, pytest.mark.slow, pytest.mark.extended]

CHAPTER = ROOT / "chapters" / "01_tokens.md"


def test_the_chapter_builds_as_it_is(tmp_path: Path):
    """Control: the same copy without the broken cell builds, so a failure below means the cell."""
    result = build_single(CHAPTER, tmp_path / "ok")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_a_broken_cell_fails_the_build(tmp_path: Path):
    result = build_single(CHAPTER, tmp_path / "broken", extra_cell="1 / 0")
    assert result.returncode != 0, "a chapter with `1 / 0` built without error"
    assert "ZeroDivisionError" in result.stdout + result.stderr
