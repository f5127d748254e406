"""``_ext/stream_merge.py``: the page merges a cell's print output, the notebook keeps it as sent.

The build-level check (a tiny book whose cell prints in two messages, in ``force`` and
``cache`` mode) is ``test_a_print_sent_in_two_messages_is_kept_once`` in test_build_cache.py.
"""

from __future__ import annotations

import copy
import sys

import nbformat
import yaml

from conftest import ROOT

sys.path.insert(0, str(ROOT / "_ext"))
import stream_merge


def outputs():
    stream = nbformat.v4.new_output
    return [stream("stream", name="stdout", text="first line\n"),
            stream("display_data", data={"text/plain": "a figure"}),
            stream("stream", name="stdout", text="last line\n"),
            stream("stream", name="stderr", text="a warning\n")]


def test_the_merge_leaves_the_cells_outputs_as_the_kernel_sent_them():
    cell_outputs = outputs()
    before = copy.deepcopy(cell_outputs)
    merged = stream_merge.merge_streams(cell_outputs)
    assert cell_outputs == before
    assert [o.get("text") for o in merged if o.output_type == "stream"] == ["first line\nlast line\n",
                                                                            "a warning\n"]
    assert merged == stream_merge.ORIGINAL_MERGE(copy.deepcopy(before))


def test_the_book_uses_it_and_myst_nb_renders_with_it():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["sphinx"]["local_extensions"].get("stream_merge") == "_ext/"
    assert config["sphinx"]["config"]["nb_merge_streams"] is True
    from myst_nb.core import render

    stream_merge.install()
    assert render.coalesce_streams is stream_merge.merge_streams
