"""Shared fixtures: where the built book is, and the chapters the table of contents lists."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"


def toc_files() -> list[str]:
    """Every document of ``_toc.yml`` (root first), without suffix, e.g. ``chapters/01_tokens``."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files


@pytest.fixture(scope="session")
def built_html() -> Path:
    """``_build/html``; the book tests need it built first (``make test`` does that)."""
    if not (HTML / "index.html").is_file():
        pytest.fail(f"expected the built book in {HTML}; run `make book` (make test builds it first)")
    return HTML


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")
