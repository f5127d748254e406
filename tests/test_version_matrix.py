"""The version matrix: the committed file is well formed, agrees with what the book's own
environment measures, and the comparison CI runs catches a wrong claim but not float noise."""

from __future__ import annotations

import copy

import keras
import pytest
import tf_keras

from lib.errors import MaskError
from lib.mask_behaviour import measure, merge_mask
from lib.version_matrix import (
    FIELDS,
    differences,
    gap_class,
    html_table,
    load,
    markdown_table,
    row_for,
)


@pytest.fixture(scope="module")
def matrix():
    return load()


def test_matrix_names_the_versions_the_book_cites(matrix):
    names = {(row["api"], row["keras"]) for row in matrix["rows"]}
    for version in ("3.7.0", "3.8.0", "3.9.0", "3.10.0", keras.__version__):
        assert ("keras", version) in names, f"expected a row for keras {version}"
    assert ("tf_keras", tf_keras.__version__) in names
    assert matrix["generated"][:2] == "20"


@pytest.mark.slow
@pytest.mark.parametrize("api", [keras, tf_keras], ids=["keras", "tf_keras"])
def test_the_installed_versions_agree_with_their_rows(matrix, api):
    """The rows of the book's own Keras and tf-keras, remeasured here, match the file."""
    import tensorflow as tf

    row = {"api": api.__name__, "keras": api.__version__, "tensorflow": tf.__version__,
           "results": measure(api)}
    committed = [r for r in matrix["rows"] if (r["api"], r["keras"]) == (row["api"], row["keras"])]
    assert differences({"rows": committed}, {"rows": [row]}) == []


def test_float_noise_is_not_a_difference(matrix):
    noisy = copy.deepcopy(matrix)
    for row in noisy["rows"]:
        results = row["results"]
        results["gap_explicit_masks"] *= 1.7                  # still float rounding
        if results["gap_automatic_masks"] >= 1e-2:
            results["gap_automatic_masks"] *= 1.3             # still a leak
        results["mask_value_softmax_path"] *= 1 + 1e-5
    assert differences(matrix, noisy) == []


@pytest.mark.parametrize("key, wrong", [
    ("attention_clears_input_mask", lambda value: not value),
    ("masked_row_softmax_path", lambda value: "uniform" if value == "zeros" else "zeros"),
    ("gap_automatic_masks", lambda value: 0.5 if value < 1e-5 else 1e-7),
    ("mask_value_softmax_path", lambda value: -1e4),
])
def test_a_wrong_claim_is_a_difference(matrix, key, wrong):
    changed = copy.deepcopy(matrix)
    row = changed["rows"][0]
    row["results"][key] = wrong(row["results"][key])
    problems = differences(matrix, changed)
    assert len(problems) == 1 and key in problems[0] and row["keras"] in problems[0]


def test_a_missing_row_or_another_tensorflow_is_a_difference(matrix):
    fewer = copy.deepcopy(matrix)
    gone = fewer["rows"].pop(0)
    assert differences(matrix, fewer) == [f"keras {gone['keras']}: only in the committed file"]
    other = copy.deepcopy(matrix)
    other["rows"][0]["tensorflow"] = "2.99.0"
    assert "tensorflow" in differences(matrix, other)[0]


def test_an_unclear_gap_never_matches():
    assert gap_class(1e-3) == "unclear"
    row = {"api": "keras", "keras": "x", "tensorflow": "y",
           "results": {field.key: None for field in FIELDS}}
    row["results"]["gap_automatic_masks"] = 1e-3
    assert differences({"rows": [row]}, {"rows": [copy.deepcopy(row)]})


def test_tables_have_a_row_per_field_and_a_column_per_version(matrix):
    markdown = markdown_table(matrix).splitlines()
    assert len(markdown) == 2 + 1 + len(FIELDS)               # header, rule, TF, fields
    assert markdown[0].count("|") == len(matrix["rows"]) + 2
    html = html_table(matrix, ["keras 3.7.0", "keras 3.15.1"], caption="two")
    assert html.count("<tr>") == 2 + len(FIELDS)
    assert ">3.7.0</th>" in html and ">3.15.1</th>" in html and "3.8.0" not in html


def test_bad_arguments_are_named(matrix, tmp_path):
    with pytest.raises(MaskError, match="columns.*keras 9.9"):
        markdown_table(matrix, ["keras 9.9"])
    with pytest.raises(MaskError, match="api, version.*keras 9.9"):
        row_for(matrix, "keras", "9.9")
    with pytest.raises(MaskError, match="no file at"):
        load(tmp_path / "missing.json")
    (tmp_path / "empty.json").write_text('{"rows": []}')
    with pytest.raises(MaskError, match="non-empty list 'rows'"):
        load(tmp_path / "empty.json")
    with pytest.raises(MaskError, match="'Add' or 'Concatenate'"):
        merge_mask(keras, "Multiply")
    with pytest.raises(MaskError, match="keras or tf_keras module"):
        measure(object())
