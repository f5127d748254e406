"""lib.causal_explorers: the kernel-free causal and cross-attention explorers (chapters 7, 8)."""

from __future__ import annotations

import pytest

from lib.causal_explorers import causal_explorer, cross_explorer
from lib.errors import MaskError


def test_causal_explorer_spec():
    explorer = causal_explorer(max_length=7, length=5, real_length=2, causal=False)
    params = {p["name"]: p for p in explorer.spec["params"]}
    assert params["length"]["value"] == 5 and params["real"]["value"] == 2
    assert params["causal"]["value"] is False and params["causal"]["bind"]["input"] == "checkbox"
    assert params["length"]["bind"]["max"] == 7
    assert len(explorer.datasets[explorer.spec["data"]["name"]]) == 7 * 7   # one row per (i, j)
    assert f'id="{explorer.element_id}"' in explorer.html()
    assert "rows are queries and columns are keys" in explorer.description


def test_cross_explorer_spec():
    explorer = cross_explorer(max_length=9, target_length=4, padded_target=5, source_length=3,
                              padded_source=6)
    params = {p["name"]: p.get("value") for p in explorer.spec["params"]}
    assert params == {"target_real": 4, "T": 5, "source_real": 3, "S": 6, "notes": None}
    assert "rows are decoder queries" in explorer.description


@pytest.mark.parametrize("maker", [causal_explorer, cross_explorer])
@pytest.mark.parametrize("max_length, received", [(1, "1"), (25, "25"), (3.0, "float 3.0"),
                                                  (True, "bool True")])
def test_explorers_reject_bad_max_length(maker, max_length, received):
    with pytest.raises(MaskError, match=rf"`max_length`: expected an int from 2 to 24, received {received}\."):
        maker(max_length=max_length)


def test_causal_explorer_rejects_length_above_max():
    with pytest.raises(MaskError, match=r"`length`: expected an int from 1 to 6, received 7\."):
        causal_explorer(max_length=6, length=7)


def test_cross_explorer_rejects_zero_length():
    with pytest.raises(MaskError, match=r"`padded_source`: expected an int from 1 to 10, received 0\."):
        cross_explorer(padded_source=0)
