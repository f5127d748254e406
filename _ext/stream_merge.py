"""Merge a cell's print output for the page without changing the notebook (``nb_merge_streams``).

A kernel sends what a cell prints in pieces (ipykernel sends what was printed every 0.2 s),
so a cell that prints, computes for a while and prints again has several ``stream``
outputs; how many depends on timing. ``nb_merge_streams: true`` makes MyST-NB show them as
one block. MyST-NB 1.4 does that merge *in place*: its ``coalesce_streams`` appends the
later pieces' text to the first stream output and returns a new list without them, but the
notebook's own list still holds the later pieces. The notebook MyST-NB then writes to
``_build/jupyter_execute`` (the one it executed, in ``execute_notebooks: force`` mode)
therefore repeats every piece after the first: a cell's last print twice, but only in the
builds where the kernel happened to split that cell's output (issue 13, seen in about 3 of
8 builds). ``tools/stream_duplicates.py`` counts it.

This extension makes the renderer merge copies of the stream outputs instead, so the page
is the same and the notebook keeps the outputs exactly as the kernel sent them.
"""

from __future__ import annotations

import copy

from myst_nb.core import render
from myst_nb.core.utils import coalesce_streams as ORIGINAL_MERGE


def merge_streams(outputs: list) -> list:
    """MyST-NB's ``coalesce_streams`` on copies of the stream outputs: same result, and
    ``outputs`` (a cell's list in the notebook) and its items are left as they were."""
    copies = [copy.copy(output) if output.get("output_type") == "stream" else output
              for output in outputs]
    return ORIGINAL_MERGE(copies)


def install() -> None:
    """Make MyST-NB's renderer use :func:`merge_streams` (it looks the name up in its module)."""
    render.coalesce_streams = merge_streams


def setup(app):
    install()
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
