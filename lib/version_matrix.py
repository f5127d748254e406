"""The version matrix: what each Keras version does with masks, as recorded by ``make versions``.

Introduced in chapter 9. ``make versions`` (``tools/keras_versions.py``) installs several Keras
versions, each with a TensorFlow it accepts, in throwaway environments, runs
:func:`lib.mask_behaviour.measure` in each, and writes ``data/keras-versions.json``. This
module reads that file (:func:`load`), renders it as a table (:func:`table_rows`,
:func:`markdown_table`), and compares two matrices (:func:`differences`): CI recomputes the
matrix and fails when it differs from the committed file.

How two matrices are compared (:data:`FIELDS` gives each field's kind):

- yes/no and named outcomes (``"zeros"``, ``"fused"``, ...) must be equal;
- the masked-score values (``-1e9``, ...) must agree to a relative tolerance of 1e-3;
- the padding-invariance gaps are compared by class: below 1e-5 is float rounding, at least
  1e-2 is a leak, anything between is "unclear" and never matches. Float noise moves a gap
  within its class; a wrong claim moves it to another.

>>> gap_class(3.6e-07), gap_class(0.33), gap_class(1e-3)
('rounding', 'leak', 'unclear')
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lib.errors import MaskError

MATRIX_PATH = Path(__file__).resolve().parent.parent / "data" / "keras-versions.json"
"""Where ``make versions`` writes the matrix, relative to the repository."""

ROUNDING = 1e-5
"""A padding-invariance gap below this is float32 rounding (outputs are of size about 1)."""

LEAK = 1e-2
"""A gap at or above this means padding reached the real tokens."""

VALUE_TOLERANCE = 1e-3
"""Relative tolerance for the masked-score values."""


@dataclass(frozen=True)
class Field:
    """One column of the matrix: its key, its label in the table, and how it is compared."""

    key: str
    label: str
    kind: str
    """``"exact"``, ``"value"`` (relative tolerance) or ``"gap"`` (class)."""


FIELDS = (
    Field("attention_clears_input_mask", "MultiHeadAttention clears its inputs' masks", "exact"),
    Field("add_partial_mask", "Add, one input masked: output mask", "exact"),
    Field("concatenate_partial_mask", "Concatenate, one input masked: output mask", "exact"),
    Field("path_default", "path: plain call, dropout 0", "exact"),
    Field("path_with_scores", "path: weights returned", "exact"),
    Field("path_dropout_inference", "path: dropout 0.1, at inference", "exact"),
    Field("masked_row_softmax_path", "fully masked row, softmax path", "exact"),
    Field("masked_row_default_call", "fully masked row, plain call", "exact"),
    Field("mask_value_softmax_path", "masked score, softmax path", "value"),
    Field("mask_value_fused_path", "masked score, fused path", "value"),
    Field("gap_automatic_masks", "chapter 9 model, automatic masks: gap", "gap"),
    Field("gap_explicit_masks", "chapter 9 model, explicit masks: gap", "gap"),
)
"""Every measured field, in the order of the table."""


def gap_class(gap: float) -> str:
    """``'rounding'`` (below :data:`ROUNDING`), ``'leak'`` (at least :data:`LEAK`) or
    ``'unclear'``."""
    if gap < ROUNDING:
        return "rounding"
    if gap >= LEAK:
        return "leak"
    return "unclear"


def row_name(row: Mapping[str, Any]) -> str:
    """``'keras 3.8.0'`` or ``'tf_keras 2.21.0'``: how a row is named in the table and in errors."""
    return f"{row['api']} {row['keras']}"


def load(path: Path | str = MATRIX_PATH) -> dict[str, Any]:
    """The matrix as written by ``make versions``; a clear error when it is missing or malformed.

    >>> matrix = load()
    >>> sorted(matrix)
    ['generated', 'python', 'rows', 'tool']
    """
    path = Path(path)
    if not path.is_file():
        raise MaskError.expected("path", "the version matrix written by `make versions`",
                                 f"no file at {path}")
    matrix = json.loads(path.read_text(encoding="utf-8"))
    rows = matrix.get("rows")
    if not isinstance(rows, list) or not rows:
        raise MaskError.expected("path", "a JSON object with a non-empty list 'rows'",
                                 f"keys {sorted(matrix)}")
    for row in rows:
        missing = [field.key for field in FIELDS if field.key not in row.get("results", {})]
        if missing or not {"api", "keras", "tensorflow"} <= set(row):
            raise MaskError.expected("path", "rows with api, keras, tensorflow and every field",
                                     f"row {row.get('api')} {row.get('keras')} lacking "
                                     f"{missing or 'api/keras/tensorflow'}")
    return matrix


def row_for(matrix: Mapping[str, Any], api: str, version: str) -> dict[str, Any]:
    """The results of one row, e.g. ``row_for(matrix, "keras", "3.8.0")``.

    >>> row_for(load(), "keras", "3.8.0")["attention_clears_input_mask"]
    True
    """
    for row in matrix["rows"]:
        if row["api"] == api and row["keras"] == version:
            return row["results"]
    names = [row_name(row) for row in matrix["rows"]]
    raise MaskError.expected("api, version", f"one of {names}", f"{api} {version}")


def _same(field: Field, old: Any, new: Any) -> bool:
    if field.kind == "exact" or old is None or new is None:
        return old == new
    if field.kind == "value":
        if math.isinf(old) or math.isinf(new):
            return old == new
        return math.isclose(old, new, rel_tol=VALUE_TOLERANCE)
    return gap_class(old) == gap_class(new) != "unclear"


def differences(committed: Mapping[str, Any], recomputed: Mapping[str, Any]) -> list[str]:
    """Every way ``recomputed`` disagrees with ``committed``, as sentences; empty if they agree.

    Rows are matched by api and Keras version; the TensorFlow version must match too. The
    date and the tool line are not compared.

    >>> matrix = load()
    >>> differences(matrix, matrix)
    []
    """
    problems = []
    old_rows = {row_name(row): row for row in committed["rows"]}
    new_rows = {row_name(row): row for row in recomputed["rows"]}
    for name in sorted(set(old_rows) ^ set(new_rows)):
        where = "committed file" if name in old_rows else "recomputed matrix"
        problems.append(f"{name}: only in the {where}")
    for name in sorted(set(old_rows) & set(new_rows)):
        old, new = old_rows[name], new_rows[name]
        if old["tensorflow"] != new["tensorflow"]:
            problems.append(f"{name}: tensorflow {old['tensorflow']} committed, "
                            f"{new['tensorflow']} recomputed")
        for field in FIELDS:
            before, after = old["results"][field.key], new["results"][field.key]
            if not _same(field, before, after):
                shown = ((f"{before!r} ({gap_class(before)})", f"{after!r} ({gap_class(after)})")
                         if field.kind == "gap" else (repr(before), repr(after)))
                problems.append(f"{name}: {field.key}: committed {shown[0]}, "
                                f"recomputed {shown[1]}")
    return problems


def _cell(field: Field, value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field.kind == "value":
        return f"{value:.3g}"
    if field.kind == "gap":
        digits = ".2g" if value >= LEAK else ".1g"
        return f"{value:{digits}} {gap_class(value)}"
    return str(value)


def table_rows(matrix: Mapping[str, Any]) -> list[list[str]]:
    """The matrix as rows of text, one per field, one column per version: a header row first.

    >>> table_rows(load())[0][:2]
    ['behaviour', 'keras 3.7.0']
    """
    header = ["behaviour"] + [row_name(row) for row in matrix["rows"]]
    lines = [header, ["TensorFlow"] + [row["tensorflow"] for row in matrix["rows"]]]
    for field in FIELDS:
        lines.append([field.label] + [_cell(field, row["results"][field.key])
                                      for row in matrix["rows"]])
    return lines


def _select(lines: list[list[str]], columns: Sequence[str] | None) -> list[list[str]]:
    """Only the version columns named in ``columns`` (all when ``None``), label column first."""
    if columns is None:
        return lines
    known = lines[0][1:]
    unknown = [name for name in columns if name not in known]
    if unknown:
        raise MaskError.expected("columns", f"names from {known}", f"{unknown}")
    keep = [0] + [known.index(name) + 1 for name in columns]
    return [[line[i] for i in keep] for line in lines]


def markdown_table(matrix: Mapping[str, Any], columns: Sequence[str] | None = None) -> str:
    """The matrix as a Markdown table (for ``IPython.display.Markdown``), optionally only the
    rows named in ``columns`` (e.g. ``["keras 3.7.0", "keras 3.15.1"]``)."""
    lines = _select(table_rows(matrix), columns)
    out = ["| " + " | ".join(lines[0]) + " |", "|" + "---|" * len(lines[0])]
    out += ["| " + " | ".join(line) + " |" for line in lines[1:]]
    return "\n".join(out)


def html_table(matrix: Mapping[str, Any], columns: Sequence[str] | None = None,
               caption: str = "") -> str:
    """The matrix as an HTML table in a horizontally scrolling box (phones), for
    ``IPython.display.HTML``: a row per field, a column per version (headed "3.7.0", ...,
    "tf-keras 2.21.0"; the caption says they are Keras versions).

    >>> html_table(load()).count("<tr>")     # the versions' row, TensorFlow, 12 fields
    14
    """
    from html import escape

    lines = _select(table_rows(matrix), columns)
    # Short headers, so that six versions fit a page: "3.7.0", ..., "tf-keras 2.21.0".
    lines[0] = [lines[0][0]] + [name.removeprefix("keras ").replace("tf_keras", "tf-keras")
                                for name in lines[0][1:]]
    nowrap = 'style="white-space: nowrap; padding: 0.25em 0.5em"'
    label = 'style="padding: 0.25em 0.5em; min-width: 10em"'
    head = f'<th scope="col" {label}>{escape(lines[0][0])}</th>' + "".join(
        f'<th scope="col" {nowrap}>{escape(cell)}</th>' for cell in lines[0][1:])
    body = "".join(
        "<tr>" + f'<th scope="row" {label}>{escape(line[0])}</th>'
        + "".join(f'<td style="padding: 0.25em 0.5em">{escape(cell)}</td>' for cell in line[1:])
        + "</tr>"
        for line in lines[1:]
    )
    title = f"<caption>{escape(caption)}</caption>" if caption else ""
    label_text = escape(caption or "Keras version matrix")
    return (f'<div class="version-matrix" role="region" aria-label="{label_text}" tabindex="0" '
            'style="overflow-x: auto; max-width: 100%">'
            f'<table class="table" style="font-size: 0.8em">{title}<thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")
