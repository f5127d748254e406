"""Is a Keras model's padding mask working? One call checks the reader's own model.

Introduced in chapter 13 ("Is your model's mask working?"). :func:`check_model`
runs the model on token ids and, for every ``MultiHeadAttention`` layer
anywhere inside it (nested layers and subclassed models included), records
what mask that layer actually received and computed: the explicit
``attention_mask``, the Keras masks carried by its query, value and key,
``use_causal_mask``, and the combined mask the layer's own
``_compute_attention_mask`` returned. It compares that mask with the mask
the token ids imply (``q & k`` for self-attention; the target's queries
against the source's keys for cross-attention). It then runs the model again
with extra padding appended and measures how far the outputs at real tokens
move: a correctly masked model does not move beyond float rounding.

The capture goes through Keras's own code path: for the duration of the check
only, each attention layer's ``call`` and ``_compute_attention_mask`` are
wrapped on the layer *instance*; they are removed again in a ``finally``
block, so the model is the same object with the same weights and the same
call path afterwards, also when the check raises. Keras 3 and tf-keras
(the Keras 2 API) models are both understood.

Run it from a terminal on a saved model::

    python -m lib.doctor model.keras --length 12 [--pad-id 0] [--import MODULE]

>>> import keras
>>> ids = np.array([[3, 1, 4, 1], [5, 9, 0, 0]])
>>> inputs = keras.Input((None,), dtype="int32")
>>> x = keras.layers.Embedding(10, 4, mask_zero=True)(inputs)
>>> model = keras.Model(inputs, keras.layers.MultiHeadAttention(1, 4)(x, x))
>>> report = check_model(model, ids)
>>> report.verdict, report.ok
('masks ok', True)
>>> [(row.role, row.leak) for row in report.rows]
[('self-attention', False)]
"""

from __future__ import annotations

import argparse
import contextlib
import html
import importlib
import inspect
import sys
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lib import checks
from lib.errors import MaskError, MaskTypeError

__all__ = [
    "MASKS_OK", "PADDING_LEAKS", "NO_ATTENTION",
    "DEFAULT_TOLERANCE", "LayerRow", "MaskReport", "check_model", "attention_layers",
    "synthetic_batch", "plot_report", "main",
]

MASKS_OK = "masks ok"
PADDING_LEAKS = "padding leaks"
NO_ATTENTION = "no attention layers found"

DEFAULT_TOLERANCE = 1e-4
"""Largest change at real tokens still counted as float rounding.

Running a float32 model at another padded length changes the order of its
sums, which moves outputs by about 1e-7 to 1e-6; a padding leak moves them by
1e-2 or more (chapter 9 measured 0.07 to 1.45).
"""

FIX_SECTION = "chapters/09_vanishing_masks.html#the-fix-masks-from-the-token-ids"
"""Where the book shows the fix (a path inside the built book)."""

_ATTENTION_MODULES = ("keras.", "tf_keras.")


# --- the reader's inputs ------------------------------------------------------------------------


def _check_ids(value: Any, argument: str) -> np.ndarray:
    """One (B, L) matrix of integer token ids, as NumPy."""
    ids = checks.as_array(value, argument)
    checks.dtype_family(ids, argument, "integer", "token ids")
    checks.rank(ids, 2, argument, "(B, L) token ids")
    return ids


def _list_names(model: Any, count: int) -> list[str]:
    """Names for a list of inputs: the functional model's input names, or the call's parameters."""
    for names in (_model_input_names(model), _positional_parameters(model)):
        if names and len(names) == count and len(set(names)) == count:
            return list(names)
    return [f"input {i}" for i in range(count)]


def _named_inputs(inputs: Any, model: Any = None) -> tuple[dict[str, np.ndarray], str]:
    """``inputs`` as ``{name: (B, L) ids}`` and how they were given (``single/list/dict``)."""
    if isinstance(inputs, Mapping):
        if not inputs:
            raise MaskError.expected("inputs", "at least one (B, L) matrix of token ids",
                                     "an empty dict")
        named = {str(k): _check_ids(v, f"inputs[{k!r}]") for k, v in inputs.items()}
        kind = "dict"
    elif isinstance(inputs, (list, tuple)) and inputs and not np.isscalar(inputs[0]) and (
        np.ndim(inputs[0]) == 2
    ):
        names = _list_names(model, len(inputs))
        named = {names[i]: _check_ids(v, f"inputs[{i}]") for i, v in enumerate(inputs)}
        kind = "list"
    else:
        named = {"ids": _check_ids(inputs, "inputs")}
        kind = "single"
    batches = {name: ids.shape[0] for name, ids in named.items()}
    if len(set(batches.values())) > 1:
        raise MaskError.expected(
            "inputs", "the same batch size B in every input", f"batch sizes {batches}"
        )
    return named, kind


def _check_pad_id(pad_id: Any) -> int:
    if isinstance(pad_id, bool) or not isinstance(pad_id, (int, np.integer)):
        raise MaskTypeError.expected("pad_id", "an integer token id", repr(pad_id))
    return int(pad_id)


# --- calling the model --------------------------------------------------------------------------


def _positional_parameters(model: Any) -> list[str]:
    """Names of the call's positional tensor parameters (without ``training`` and ``mask``)."""
    try:
        signature = inspect.signature(model.call)
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return []
    names = []
    for parameter in signature.parameters.values():
        if parameter.kind not in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            continue
        if parameter.name in ("training", "mask"):
            continue
        names.append(parameter.name)
    return names


def _model_input_names(model: Any) -> list[str] | None:
    """Names of a functional model's inputs, or ``None`` for a subclassed model."""
    try:
        tensors = model.inputs
    except (AttributeError, ValueError):
        return None
    if not tensors:
        return None
    names = []
    for tensor in tensors:
        name = getattr(tensor, "name", "") or ""
        names.append(name.split(":")[0])
    return names


def _fixed_lengths(model: Any) -> list[int | None] | None:
    """A functional model's input lengths (``None`` where any length goes), or ``None``."""
    try:
        tensors = model.inputs
    except (AttributeError, ValueError):
        return None
    if not tensors:
        return None
    lengths = []
    for tensor in tensors:
        shape = tuple(tensor.shape)
        lengths.append(shape[1] if len(shape) > 1 else None)
    return lengths


def _call(model: Any, named: dict[str, np.ndarray], kind: str) -> Any:
    """Call the model the way its inputs were given: ids, a list (or positional args), a dict."""
    if kind == "single":
        return model(next(iter(named.values())))
    values = list(named.values())
    if kind == "dict":
        if _model_input_names(model) is None and set(named) <= set(_positional_parameters(model)):
            return model(**named)
        return model(named)
    if _model_input_names(model) is None and len(_positional_parameters(model)) >= len(values) > 1:
        return model(*values)
    return model(values)


def _one_line(err: BaseException) -> str:
    """The telling line of an exception message (Keras wraps it: "Exception encountered ...")."""
    import re

    message = err.args[0] if isinstance(err, KeyError) and err.args else err  # no repr quotes
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(message))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith("Exception encountered when calling")]
    line = lines[0] if lines else ""
    return f"{type(err).__name__}: {line[:300]}" if line else type(err).__name__


def _as_numpy(value: Any) -> np.ndarray | None:
    """An eager tensor's values, or ``None`` for a symbolic one (inside ``tf.function``)."""
    if value is None:
        return None
    try:
        return np.array(value)
    except Exception:
        return None


def _flat_outputs(outputs: Any) -> list[np.ndarray]:
    if isinstance(outputs, Mapping):
        leaves = [outputs[k] for k in sorted(outputs)]
    elif isinstance(outputs, (list, tuple)):
        leaves = list(outputs)
    else:
        leaves = [outputs]
    return [np.asarray(leaf) for leaf in leaves]


# --- finding and wrapping the attention layers --------------------------------------------------


def _is_attention(layer: Any) -> bool:
    """A Keras 3 or tf-keras ``MultiHeadAttention`` (or a subclass of one)."""
    for cls in type(layer).__mro__:
        if cls.__name__ == "MultiHeadAttention" and cls.__module__.startswith(_ATTENTION_MODULES):
            return True
    return False


def _attribute_paths(model: Any) -> dict[int, str]:
    """``id(layer) -> "encoder[0]['self']"``: where each sub-layer sits in the model's
    attributes."""
    paths: dict[int, str] = {}
    seen: set[int] = set()

    def visit(value: Any, path: str, depth: int) -> None:
        if depth > 12 or id(value) in seen:
            return
        if hasattr(value, "_flatten_layers") and callable(getattr(value, "call", None)):
            seen.add(id(value))
            if path:
                paths.setdefault(id(value), path)
            for name, child in vars(value).items():
                if not name.startswith("_"):
                    visit(child, f"{path}.{name}" if path else name, depth + 1)
        elif isinstance(value, Mapping):
            seen.add(id(value))
            for key, child in value.items():
                visit(child, f"{path}[{key!r}]", depth + 1)
        elif isinstance(value, (list, tuple)):
            seen.add(id(value))
            for index, child in enumerate(value):
                visit(child, f"{path}[{index}]", depth + 1)

    visit(model, "", 0)
    return paths


def attention_layers(model: Any) -> list[tuple[str, Any]]:
    """Every ``MultiHeadAttention`` inside ``model``, with a readable path, in model order.

    The path is the attribute path in a subclassed model (``encoder[0]['self']``) and the
    layer's name in a functional one.

    >>> import keras
    >>> block = keras.Sequential([keras.layers.Dense(4)])
    >>> attention_layers(block)
    []
    """
    if not hasattr(model, "_flatten_layers"):
        raise MaskTypeError.expected(
            "model", "a Keras model or layer", f"{type(model).__module__}.{type(model).__name__}"
        )
    paths = _attribute_paths(model)
    found = []
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if _is_attention(layer):
            found.append((paths.get(id(layer), layer.name), layer))
    return found


@dataclass
class _Call:
    """What one attention call received and computed (NumPy arrays; ``None`` = absent)."""

    layer: str
    number: int
    query_length: int
    key_length: int
    self_attention: bool
    causal: bool
    query_mask: np.ndarray | None = None
    value_mask: np.ndarray | None = None
    key_mask: np.ndarray | None = None
    explicit: np.ndarray | None = None
    combined: np.ndarray | None = None
    computed: bool = False
    output: np.ndarray | None = None


def _keras_mask_of(tensor: Any) -> Any:
    return getattr(tensor, "_keras_mask", None)


@contextlib.contextmanager
def _capturing(layers: Sequence[tuple[str, Any]]) -> Iterator[list[_Call]]:
    """Wrap ``call`` and ``_compute_attention_mask`` of each layer instance; always unwrap."""
    calls: list[_Call] = []
    patched: list[tuple[Any, str, bool, Any]] = []

    def wrap(path: str, layer: Any) -> None:
        original_call = layer.call
        original_compute = layer._compute_attention_mask
        call_signature = inspect.signature(original_call)
        compute_signature = inspect.signature(original_compute)
        current: list[_Call] = []
        count = [0]

        def call(*args, **kwargs):
            bound = call_signature.bind(*args, **kwargs)
            arguments = bound.arguments
            query, value = arguments["query"], arguments["value"]
            key = arguments.get("key")
            count[0] += 1
            record = _Call(
                layer=path,
                number=count[0],
                query_length=int(query.shape[1]),
                key_length=int(value.shape[1]),
                self_attention=query is value and (key is None or key is value),
                causal=bool(arguments.get("use_causal_mask", False)),
                query_mask=_as_numpy(_keras_mask_of(query)),
                value_mask=_as_numpy(arguments.get("value_mask", _keras_mask_of(value))),
                key_mask=_as_numpy(
                    arguments.get("key_mask", _keras_mask_of(key) if key is not None else None)
                ),
                explicit=_as_numpy(arguments.get("attention_mask")),
            )
            current.append(record)
            try:
                outputs = original_call(*args, **kwargs)
            finally:
                current.pop()
            if not record.computed and record.causal:
                # Keras 3.11+ skips _compute_attention_mask when the causal mask is the only
                # mask and lets the fused kernel apply it; ask the layer for the same mask.
                record.combined = _as_numpy(layer._compute_causal_mask(query, value))
            first = outputs[0] if isinstance(outputs, (tuple, list)) else outputs
            record.output = _as_numpy(first)
            calls.append(record)
            return outputs

        def compute_attention_mask(*args, **kwargs):
            result = original_compute(*args, **kwargs)
            if current:
                record = current[-1]
                arguments = compute_signature.bind(*args, **kwargs).arguments
                for name in ("query_mask", "value_mask", "key_mask"):
                    if name in arguments:  # Keras 3 passes the masks it read as arguments
                        setattr(record, name, _as_numpy(arguments[name]))
                record.combined = _as_numpy(result)
                record.computed = True
            return result

        for name, wrapper in (("call", call), ("_compute_attention_mask", compute_attention_mask)):
            had = name in vars(layer)
            patched.append((layer, name, had, vars(layer).get(name)))
            object.__setattr__(layer, name, wrapper)

    try:
        for path, layer in layers:
            wrap(path, layer)
        yield calls
    finally:
        for layer, name, had, old in reversed(patched):
            if had:
                object.__setattr__(layer, name, old)
            else:
                object.__delattr__(layer, name)


# --- judging one call ---------------------------------------------------------------------------


@dataclass
class LayerRow:
    """One attention call in the report: what it received, and whether its mask is right."""

    layer: str
    """Where the layer sits in the model (attribute path or layer name)."""
    call: int
    """1 for the layer's first call in a forward pass, 2 for its second, ..."""
    role: str
    """``self-attention``, ``causal self-attention`` or ``cross-attention``."""
    query_input: str
    key_input: str
    query_keras_mask: bool
    """The query arrived with a Keras mask (``_keras_mask``)."""
    key_keras_mask: bool
    """The value (or key) arrived with a Keras mask."""
    explicit_mask: bool
    """An ``attention_mask`` was passed."""
    causal_flag: bool
    """``use_causal_mask=True`` was passed."""
    mask_applied: bool
    """The layer computed a mask at all (``False``: it attended everywhere)."""
    matches: bool
    """At every real query, the mask equals the one the token ids imply (with causal, if used)."""
    leak: bool
    """Some real query may attend to a padded key."""
    hides_real: bool
    """Some real query may not attend to a real key it should see."""
    empty_rows: bool = False
    """Some real query may attend to no key at all (Keras then spreads it over every key)."""
    change: float | None = None
    """Largest change of this call's output at real queries when padding is appended."""
    unsure: bool = False
    """The inputs could not be told apart by length; the most favourable reading is shown."""

    @property
    def ok(self) -> bool:
        return not self.leak


def _real(ids: np.ndarray, pad_id: int) -> np.ndarray:
    return ids != pad_id


def _normalise(mask: np.ndarray | None, batch: int, queries: int, keys: int) -> np.ndarray:
    """The combined mask as (B, H', T, S) booleans; ``None`` (no mask) is all True."""
    if mask is None:
        return np.ones((batch, 1, queries, keys), dtype=bool)
    mask = np.asarray(mask).astype(bool)
    if mask.ndim == 2:
        mask = mask[None, None]
    elif mask.ndim == 3:
        mask = mask[:, None]
    while mask.ndim > 4:  # (B, H, ..., T, S) with more attention axes: fold them
        mask = mask.reshape((mask.shape[0], -1) + mask.shape[-2:])
    return np.broadcast_to(mask, (max(batch, mask.shape[0]), mask.shape[1], queries, keys))


def _judge(record: _Call, query_real: np.ndarray, key_real: np.ndarray) -> dict[str, Any]:
    """Leak / hides / matches of one call, for one reading of which input is which."""
    batch, queries, keys = query_real.shape[0], record.query_length, record.key_length
    mask = _normalise(record.combined, batch, queries, keys)[:batch]
    expected = query_real[:, :, None] & key_real[:, None, :]
    tril = np.tril(np.ones((queries, keys), dtype=bool))
    rows = query_real[:, None, :, None]                     # real queries only
    padded_keys = ~key_real[:, None, None, :]
    leak = bool(np.any(mask & rows & padded_keys))
    # A real query whose every key is masked: Keras's fused attention spreads such a row evenly
    # over all keys, padding included (the softmax path gives zeros), so padding reaches it.
    empty = bool(np.any(~mask.any(axis=-1, keepdims=True) & rows))
    causal = record.causal
    if not causal and queries == keys:
        # An explicit mask may carry the causal pattern itself (use_causal_mask=False).
        with_causal = expected & tril
        if not np.array_equal(with_causal, expected) and np.all(
            (mask == with_causal[:, None]) | ~rows
        ):
            causal = True
    if causal:
        expected = expected & tril
    should = expected[:, None]
    hides = bool(np.any(~mask & should & rows))
    matches = bool(np.all((mask == should) | ~rows))
    return {"leak": leak or empty, "empty": empty, "hides": hides, "matches": matches,
            "causal": causal}


def _candidates(length: int, lengths: dict[str, int]) -> list[str]:
    return [name for name, value in lengths.items() if value == length]


def _judge_call(
    record: _Call, named: dict[str, np.ndarray], pad_id: int
) -> tuple[dict[str, Any], str, str, bool] | None:
    """Judge one call under every reading of its inputs; ``None`` if no input fits its lengths."""
    lengths = {name: ids.shape[1] for name, ids in named.items()}
    queries = _candidates(record.query_length, lengths)
    keys = _candidates(record.key_length, lengths)
    if not queries or not keys:
        return None
    # Inputs of equal length: a Keras mask that arrived on a side tells whose padding it is.
    received_key = record.value_mask if record.value_mask is not None else record.key_mask
    for side, mask in (("query", record.query_mask), ("key", received_key)):
        names = queries if side == "query" else keys
        if mask is None or len(names) < 2:
            continue
        owners = [n for n in names
                  if np.shape(mask) == named[n].shape and np.array_equal(mask, _real(named[n], pad_id))]
        if owners:
            names[:] = owners
    readings = []
    for query_name in queries:
        for key_name in keys:
            if record.self_attention and query_name != key_name:
                continue
            verdict = _judge(record, _real(named[query_name], pad_id),
                             _real(named[key_name], pad_id))
            readings.append((verdict, query_name, key_name))
    if not readings:
        return None
    # With inputs of equal length the reading is unsure: show the most favourable one.
    readings.sort(key=lambda r: (r[0]["leak"], r[0]["hides"], not r[0]["matches"]))
    verdict, query_name, key_name = readings[0]
    unsure = len({(q, k) for _, q, k in readings}) > 1 and any(
        (r[0]["leak"], r[0]["hides"], r[0]["matches"])
        != (verdict["leak"], verdict["hides"], verdict["matches"])
        for r in readings
    )
    return verdict, query_name, key_name, unsure


# --- the report ---------------------------------------------------------------------------------


@dataclass
class MaskReport:
    """What :func:`check_model` found: a verdict, one row per attention call, the invariance gap.

    ``report.ok`` is ``True`` when no padding reaches a real token (``masks ok``, or no
    attention layer and outputs that do not move). Displayed in a notebook it is an HTML
    table; ``print(report)`` gives the same as text.
    """

    verdict: str
    rows: list[LayerRow]
    gap: float | None
    """Largest change of the model's outputs at real tokens when padding is appended."""
    tolerance: float
    lengths: dict[str, list[int]] = field(default_factory=dict)
    """For each input, the lengths it was run at (the given one first)."""
    notes: list[str] = field(default_factory=list)
    keras_version: str = ""

    @property
    def ok(self) -> bool:
        return self.verdict in (MASKS_OK, NO_ATTENTION)

    @property
    def leaking_rows(self) -> list[LayerRow]:
        return [row for row in self.rows if row.leak]

    def diagnosis(self) -> list[str]:
        """A few sentences in plain words: what is wrong, and the fix from the book."""
        lines: list[str] = []
        if self.verdict == NO_ATTENTION:
            lines.append(
                "The model has no MultiHeadAttention layer, so there is no attention mask to "
                "check; only the padding-invariance test below applies."
            )
        elif self.verdict == MASKS_OK:
            lines.append(
                "Every attention layer keeps real tokens away from padding, and the outputs at "
                "real tokens do not change when padding is appended."
            )
        for row in self.rows:
            name = f"{row.layer}" + (f" (call {row.call})" if row.call > 1 else "")
            if row.leak:
                if row.empty_rows:
                    why = ("masks every key of some real tokens; Keras's fused attention then "
                           "spreads their attention evenly over all keys, padding included")
                elif not row.mask_applied:
                    why = ("received no mask at all: no Keras mask reached its inputs and no "
                           "attention_mask was passed")
                elif not row.explicit_mask and not row.key_keras_mask:
                    why = ("received a mask for its queries only; its keys (the value) arrived "
                           "without a Keras mask")
                elif row.explicit_mask:
                    why = "was given an attention_mask that lets real tokens attend to padding"
                else:
                    why = "applied a mask that lets real tokens attend to padding"
                lines.append(f"{name} ({row.role}) {why}.")
            if row.hides_real and not row.empty_rows:
                lines.append(
                    f"{name} ({row.role}) also masks real tokens that its queries should see. "
                    "That is right only for a pattern chosen on purpose (such as a sliding "
                    "window); otherwise the mask belongs to other sentences."
                )
        if self.gap is not None and self.gap > self.tolerance:
            lines.append(
                f"Appending padding changed the outputs at real tokens by up to {self.gap:.3g} "
                f"(float rounding stays below {self.tolerance:g})."
            )
        if not self.ok:
            lines.append(
                "Fix: build the attention masks from the token ids and pass them as "
                "attention_mask to every attention call: the question's mask1 & mask2 "
                "(lib.masks.self_attention_mask) for self-attention, cross_attention_mask(target, "
                "source) for cross-attention, combined with causal_mask in a decoder. Keras masks "
                "that ride on tensors vanish after MultiHeadAttention and Add on Keras 3 "
                "(chapter 9, 'The fix: masks from the token ids')."
            )
        return lines + self.notes

    # -- text --

    # The verdict columns come right after the layer, so that a phone shows them unscrolled.
    _COLUMNS = ("layer", "leak", "matches", "received", "role", "q → k", "change")

    @staticmethod
    def _received(row: LayerRow) -> str:
        """What the layer received, in a few words: ``Keras masks q, k; use_causal_mask``."""
        sides = [side for side, present in (("q", row.query_keras_mask), ("k", row.key_keras_mask))
                 if present]
        parts = []
        if sides:
            parts.append(f"Keras mask{'s' if len(sides) > 1 else ''} {', '.join(sides)}")
        if row.explicit_mask:
            parts.append("attention_mask")
        if row.causal_flag:
            parts.append("use_causal_mask")
        return "; ".join(parts) or "nothing"

    def _cells(self, row: LayerRow) -> list[str]:
        yes_no = {True: "yes", False: "no"}
        name = row.layer + (f" (call {row.call})" if row.call > 1 else "")
        inputs = f"{row.query_input} → {row.key_input}" + (" ?" if row.unsure else "")
        return [
            name,
            "LEAK" if row.leak else "no",
            yes_no[row.matches],
            self._received(row),
            row.role,
            inputs,
            "-" if row.change is None else f"{row.change:.2g}",
        ]

    def _gap_line(self) -> str:
        if self.gap is None:
            return "padding invariance: not measured (the inputs could not be made longer)"
        status = "ok" if self.gap <= self.tolerance else "LEAK"
        runs = ", ".join(f"{name} {'/'.join(map(str, sizes))}"
                         for name, sizes in self.lengths.items())
        return (f"padding invariance: largest change at real tokens {self.gap:.3g} "
                f"(tolerance {self.tolerance:g}): {status}; lengths run: {runs}")

    def __str__(self) -> str:
        table = [list(self._COLUMNS)] + [self._cells(row) for row in self.rows]
        widths = [max(len(line[i]) for line in table) for i in range(len(self._COLUMNS))]
        version = f"  ({self.keras_version})" if self.keras_version else ""
        text = [f"verdict: {self.verdict}{version}"]
        if self.rows:
            for index, line in enumerate(table):
                cells = (cell.ljust(width) for cell, width in zip(line, widths))
                text.append("  ".join(cells).rstrip())
                if index == 0:
                    text.append("  ".join("-" * width for width in widths))
        text.append(textwrap.fill(self._gap_line(), 88, subsequent_indent="  "))
        text.extend(textwrap.fill(line, 88, initial_indent="- ", subsequent_indent="  ")
                    for line in self.diagnosis())
        return "\n".join(text)

    def __repr__(self) -> str:
        return f"<MaskReport {self.verdict!r}: {len(self.rows)} attention calls, gap {self.gap!r}>"

    # -- HTML --

    def _repr_html_(self) -> str:
        esc = html.escape
        state = "ok" if self.ok else "bad"
        head = "".join(f"<th scope='col'>{esc(c)}</th>" for c in self._COLUMNS)
        body = []
        for row in self.rows:
            cells = self._cells(row)
            tds = []
            for column, cell in zip(self._COLUMNS, cells):
                bad = (column == "leak" and row.leak) or (column == "matches" and not row.matches)
                mark = " class='doctor-bad'" if bad else ""
                tds.append(f"<td{mark}>{esc(cell)}</td>")
            body.append("<tr>" + "".join(tds) + "</tr>")
        # class "dataframe": the book's theme styles such tables in both colour schemes (and
        # shows other HTML outputs as a light box in dark mode).
        table = (
            f"<div class='doctor-scroll' tabindex='0' role='region' "
            f"aria-label='attention layers, verdict {esc(self.verdict)}'>"
            f"<table class='dataframe doctor-table'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>" if self.rows else ""
        )
        items = "".join(f"<li>{esc(line)}</li>" for line in self.diagnosis())
        items = items.replace(
            esc("(chapter 9, 'The fix: masks from the token ids')"),
            "(<a href='09_vanishing_masks.html#the-fix-masks-from-the-token-ids'>chapter 9, "
            "The fix: masks from the token ids</a>)",
        )
        style = (
            "<style>.doctor-report{margin:.5em 0}.doctor-report .doctor-verdict{font-weight:bold}"
            ".doctor-report .doctor-verdict.bad,.doctor-report td.doctor-bad"
            "{color:var(--pst-color-danger,#b3261e);font-weight:bold}"
            ".doctor-report .doctor-scroll{overflow-x:auto;max-width:100%}"
            ".doctor-report table{border-collapse:collapse;font-size:.8em;margin:0}"
            ".doctor-report th,.doctor-report td{padding:.2em .4em;text-align:left;"
            "vertical-align:top;border-bottom:1px solid rgba(128,128,128,.4)}"
            ".doctor-report td:nth-child(2),.doctor-report td:nth-child(3),"
            ".doctor-report td:nth-child(7){white-space:nowrap}</style>"
        )
        version = f" ({esc(self.keras_version)})" if self.keras_version else ""
        return (
            f"{style}<div class='doctor-report'>"
            f"<p class='doctor-verdict {state}'>verdict: {esc(self.verdict)}{version}</p>"
            f"{table}<p>{esc(self._gap_line())}</p><ul>{items}</ul></div>"
        )


# --- the check ----------------------------------------------------------------------------------


def _extend(named: dict[str, np.ndarray], extra: int, pad_id: int) -> dict[str, np.ndarray]:
    """Append pad columns: ``extra`` to the first input, more to later ones so lengths differ."""
    used: set[int] = set()
    longer = {}
    for name, ids in named.items():
        add = extra
        while ids.shape[1] + add in used:
            add += 1
        used.add(ids.shape[1] + add)
        pad = np.full((ids.shape[0], add), pad_id, dtype=ids.dtype)
        longer[name] = np.concatenate([ids, pad], axis=1)
    return longer


def _output_change(
    base: list[np.ndarray], other: list[np.ndarray], named: dict[str, np.ndarray],
    longer: dict[str, np.ndarray], pad_id: int,
) -> float | None:
    """Largest change at real positions between two runs' outputs (``None``: nothing comparable)."""
    changes = []
    for first, second in zip(base, other):
        if first.ndim >= 2 and first.shape[1] != second.shape[1]:
            owners = [
                name for name in named
                if named[name].shape[1] == first.shape[1]
                and longer[name].shape[1] == second.shape[1]
            ]
            if not owners or first.shape[0] != named[owners[0]].shape[0]:
                continue
            real = _real(named[owners[0]], pad_id)
            length = first.shape[1]
            difference = np.abs(first.astype(np.float64) - second[:, :length].astype(np.float64))
            difference = difference.reshape(difference.shape[:2] + (-1,)).max(axis=-1)
            changes.append(float(np.max(difference[real], initial=0.0)))
        elif first.shape == second.shape:
            changes.append(float(np.max(np.abs(first.astype(np.float64) - second), initial=0.0)))
    return max(changes) if changes else None


def _call_change(first: _Call, second: _Call, query_real: np.ndarray) -> float | None:
    if first.output is None or second.output is None or first.output.ndim < 2:
        return None
    length = first.output.shape[1]
    if query_real.shape != first.output.shape[:2]:
        return None
    difference = np.abs(first.output.astype(np.float64) - second.output[:, :length])
    difference = difference.reshape(difference.shape[:2] + (-1,)).max(axis=-1)
    return float(np.max(difference[query_real], initial=0.0))


def check_model(
    model: Any,
    inputs: Any,
    pad_id: int = 0,
    *,
    extra_lengths: Sequence[int] = (2, 5),
    tolerance: float = DEFAULT_TOLERANCE,
    allow_unpadded: bool = False,
) -> MaskReport:
    """Check whether padding reaches real tokens anywhere in ``model``.

    ``inputs``: the (B, L) token ids of a one-input model, or a list (or dict) of them for a
    multi-input model such as an encoder-decoder taking (source ids, target ids). Padding is
    ``pad_id`` and sits at the end of each row. The model runs once on ``inputs`` and once per
    entry of ``extra_lengths`` with that many pad columns appended (later inputs get one more
    each, so that lengths tell the inputs apart); ``extra_lengths=()`` checks the masks only.
    ``allow_unpadded=True`` accepts inputs in which ``pad_id`` never occurs (padding then
    comes only from the appended columns).

    The model must already be built (called once), so that the check creates no weights.
    """
    pad_id = _check_pad_id(pad_id)
    named, kind = _named_inputs(inputs, model)
    if not isinstance(tolerance, (int, float)) or not tolerance > 0:
        raise MaskError.expected("tolerance", "a positive number", repr(tolerance))
    extras = list(extra_lengths)
    if any(isinstance(e, bool) or not isinstance(e, (int, np.integer)) or e < 1 for e in extras):
        raise MaskError.expected("extra_lengths", "positive whole numbers of pad columns",
                                 repr(extra_lengths))
    layers = attention_layers(model)
    if not getattr(model, "built", True):
        raise MaskError.expected(
            "model", "a built model", "a model that has not been called yet",
            "Call it once on your inputs first (that creates its weights), then check it.",
        )
    expected_names = _model_input_names(model)
    if expected_names is not None and len(expected_names) != len(named):
        raise MaskError.expected(
            "inputs", f"{len(expected_names)} id matri{'x' if len(expected_names) == 1 else 'ces'} "
            f"for the model's inputs {expected_names}", f"{len(named)}",
        )
    if not allow_unpadded and not any(np.any(ids == pad_id) for ids in named.values()):
        raise MaskError.expected(
            "pad_id", "an id that pads the inputs", f"pad_id={pad_id}, which never occurs in them",
            "Pass the id your batches are padded with (pad_id=...), include a padded sentence, "
            "or pass allow_unpadded=True to check unpadded inputs.",
        )
    for name, ids in named.items():
        if np.all(ids == pad_id):
            raise MaskError.expected(
                f"inputs ({name})", "at least one real token", "only padding"
            )
    fixed = _fixed_lengths(model)
    if fixed is not None and any(length is not None for length in fixed):
        notes_fixed = True
        extras = []
    else:
        notes_fixed = False

    runs: list[dict[str, np.ndarray]] = [named] + [_extend(named, e, pad_id) for e in extras]
    results: list[tuple[list[np.ndarray], list[_Call]]] = []
    for number, run in enumerate(runs):
        with _capturing(layers) as calls:
            try:
                outputs = _call(model, run, kind)
            except (MaskError, KeyboardInterrupt):
                raise
            except Exception as err:
                shapes = ", ".join(f"{n} {tuple(ids.shape)}" for n, ids in run.items())
                what = "the given inputs" if number == 0 else "inputs with padding appended"
                hint = ("Pass extra_lengths=() to check the masks without longer inputs."
                        if number else "Check the number, order and lengths of the inputs.")
                raise MaskError.expected(
                    "model", f"a model that can be called on {what} ({shapes})",
                    _one_line(err), hint,
                ) from err
        results.append((_flat_outputs(outputs), list(calls)))

    # Judge every call in every run; a call is right only if it is right in all of them.
    rows: list[LayerRow] = []
    notes: list[str] = []
    base_calls = results[0][1]
    for index, first in enumerate(base_calls):
        verdicts = []
        for run, (_, calls) in zip(runs, results):
            if index < len(calls):
                judged = _judge_call(calls[index], run, pad_id)
                if judged is not None:
                    verdicts.append((judged, calls[index]))
        if not verdicts:
            notes.append(f"{first.layer}: its lengths match no input, so its mask was not judged.")
            continue
        # Prefer readings that are sure (runs where lengths tell the inputs apart).
        sure = [v for v in verdicts if not v[0][3]] or verdicts
        leak = any(v[0][0]["leak"] for v in sure)
        hides = any(v[0][0]["hides"] for v in sure)
        empty = any(v[0][0]["empty"] for v in sure)
        matches = all(v[0][0]["matches"] for v in sure)
        causal = any(v[0][0]["causal"] for v in sure)
        (verdict, query_name, key_name, unsure), _ = sure[0]
        change = None
        for run_index in range(1, len(runs)):
            calls = results[run_index][1]
            if index < len(calls):
                value = _call_change(first, calls[index], _real(named[query_name], pad_id)) \
                    if named[query_name].shape[1] == first.query_length else None
                if value is not None:
                    change = value if change is None else max(change, value)
        if first.self_attention or query_name == key_name:
            role = "causal self-attention" if causal else "self-attention"
        else:
            role = "cross-attention" + (" (causal)" if causal else "")
        rows.append(LayerRow(
            layer=first.layer, call=first.number, role=role,
            query_input=query_name, key_input=key_name,
            query_keras_mask=first.query_mask is not None,
            key_keras_mask=first.value_mask is not None or first.key_mask is not None,
            explicit_mask=first.explicit is not None, causal_flag=first.causal,
            mask_applied=first.combined is not None, matches=matches, leak=leak,
            hides_real=hides, empty_rows=empty, change=change, unsure=unsure,
        ))
        if unsure:
            notes.append(
                f"{first.layer}: inputs of equal length could not be told apart, so the most "
                "favourable reading is shown; inputs of different lengths give a sure answer."
            )

    gap = None
    for run_index in range(1, len(runs)):
        change = _output_change(results[0][0], results[run_index][0], named, runs[run_index],
                                pad_id)
        if change is not None:
            gap = change if gap is None else max(gap, change)
    if notes_fixed:
        notes.append("The model's inputs have a fixed length, so no padding could be appended: "
                     "only the masks were checked.")
    elif gap is None and extras:
        notes.append("No output of the model lines up with an input, so the invariance gap "
                     "was not measured.")

    leaks = any(row.leak for row in rows) or (gap is not None and gap > tolerance)
    if leaks:
        verdict = PADDING_LEAKS
    elif not rows:
        verdict = NO_ATTENTION
    else:
        verdict = MASKS_OK
    lengths = {name: [run[name].shape[1] for run in runs] for name in named}
    return MaskReport(verdict, rows, gap, float(tolerance), lengths, notes, _keras_version(model))


def _keras_version(model: Any) -> str:
    """``keras 3.15.1`` or ``tf_keras 2.21.0``: the Keras the model was built with."""
    package = type(model).__module__.split(".")[0]
    if package not in ("keras", "tf_keras"):
        package = next((c.__module__.split(".")[0] for c in type(model).__mro__
                        if c.__module__.split(".")[0] in ("keras", "tf_keras")), "keras")
    module = sys.modules.get(package)
    return f"{package} {getattr(module, '__version__', '?')}"


# --- a figure of the verdicts -------------------------------------------------------------------


def plot_report(report: MaskReport, title: str = ""):
    """The per-layer verdicts as a grid: a row per attention call, a column per question.

    Every cell has a word as well as a colour (dark = fine, orange = wrong), so the figure
    reads without colour. Static (matplotlib), so it shows in the book without a kernel.
    """
    import matplotlib.pyplot as plt

    from lib.plots import FALSE_COLOUR, HIGHLIGHT_COLOUR, TRUE_COLOUR

    if not isinstance(report, MaskReport):
        raise MaskTypeError.expected("report", "a MaskReport from check_model",
                                     type(report).__name__)
    columns = ("mask\napplied", "matches\nthe ids", "no padding\nleak", "output\nstable")
    rows = report.rows
    fig_height = 0.45 * max(len(rows), 1) + 1.4
    fig, ax = plt.subplots(figsize=(8.0, fig_height))
    ax.set_xlim(0, len(columns))
    ax.set_ylim(len(rows), 0)
    for y, row in enumerate(rows):
        stable = None if row.change is None else row.change <= report.tolerance
        answers = (row.mask_applied, row.matches, not row.leak, stable)
        for x, good in enumerate(answers):
            if good is None:
                colour, word, ink = FALSE_COLOUR, "not measured", "black"
            elif good:
                colour, word, ink = TRUE_COLOUR, "✓ yes", "white"
            else:
                colour, word, ink = HIGHLIGHT_COLOUR, "✗ no", "black"
            ax.add_patch(plt.Rectangle((x + 0.03, y + 0.06), 0.94, 0.88, color=colour))
            ax.text(x + 0.5, y + 0.5, word, ha="center", va="center", color=ink, fontsize=9)
    ax.set_xticks([i + 0.5 for i in range(len(columns))], columns)
    ax.xaxis.tick_top()
    ax.set_yticks([i + 0.5 for i in range(len(rows))],
                  [f"{row.layer} · {row.role}" for row in rows])
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(title or f"verdict: {report.verdict}", pad=28)
    fig.tight_layout()
    return fig


# --- the command line ---------------------------------------------------------------------------


def _vocabulary_size(model: Any) -> int | None:
    sizes = [layer.input_dim for layer in model._flatten_layers(include_self=False)
             if type(layer).__name__ == "Embedding" and hasattr(layer, "input_dim")]
    return min(sizes) if sizes else None


def synthetic_batch(
    count: int, length: int, vocabulary: int, pad_id: int = 0, batch: int = 4, seed: int = 0
) -> list[np.ndarray]:
    """``count`` (batch, length) matrices of random ids in ``[0, vocabulary)``, post-padded.

    Row 0 is full length; row r keeps a random number of real tokens and is padded with
    ``pad_id``. Every input gets the same real lengths per row, so inputs of one length
    cannot be mixed up.

    >>> source, target = synthetic_batch(2, 6, vocabulary=9, seed=1)
    >>> source.shape, bool((source[0] != 0).all()), bool((source[1:] == 0).any())
    ((4, 6), True, True)
    >>> ((source == 0) == (target == 0)).all()
    np.True_
    """
    for name, value, least in (("count", count, 1), ("length", length, 2),
                               ("vocabulary", vocabulary, 2), ("batch", batch, 2)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
            raise MaskError.expected(name, f"a whole number of at least {least}", repr(value))
    real_ids = np.array([i for i in range(vocabulary) if i != pad_id])
    if real_ids.size == 0:
        raise MaskError.expected("vocabulary", "room for an id besides pad_id", repr(vocabulary))
    rng = np.random.default_rng(seed)
    real_lengths = np.concatenate([[length], rng.integers(1, length, size=batch - 1)])
    batches = []
    for _ in range(count):
        ids = rng.choice(real_ids, size=(batch, length)).astype("int32")
        ids[np.arange(length)[None, :] >= real_lengths[:, None]] = pad_id
        batches.append(ids)
    return batches


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lib.doctor",
        description=(
            "Check whether padding reaches real tokens in a saved Keras model (.keras). "
            "The model is loaded with keras.saving.load_model and run on a synthetic batch of "
            "random token ids (row 0 full length, the others padded at the end with --pad-id), "
            "then again with extra padding appended. For every MultiHeadAttention layer the "
            "report shows which masks it received and whether real tokens could attend to "
            "padding. Exit status: 0 when no padding leaks, 1 when it does, 2 on a usage error."
        ),
        epilog="The book's chapter 13 ('Is your model's mask working?') explains the report.",
    )
    parser.add_argument("model", help="path of the saved model (a .keras file)")
    parser.add_argument("--length", type=int, required=True,
                        help="sequence length of the synthetic batch (for every input)")
    parser.add_argument("--pad-id", type=int, default=0,
                        help="the token id that means padding (default 0, as mask_zero=True)")
    parser.add_argument("--import", dest="imports", action="append", default=[], metavar="MODULE",
                        help="import MODULE first, e.g. the module that registers the model's "
                             "custom layers (may be repeated; the current folder is on the path)")
    parser.add_argument("--vocab-size", type=int, default=None,
                        help="ids are drawn from [0, N); "
                             "default: the smallest Embedding's input_dim")
    parser.add_argument("--batch", type=int, default=4, help="sentences in the batch (default 4)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random ids (default 0)")
    return parser


def _input_count(model: Any) -> int:
    names = _model_input_names(model)
    if names is not None:
        return len(names)
    return max(1, len(_positional_parameters(model)))


def _run_cli(args: argparse.Namespace) -> int:
    import os

    sys.path.insert(0, os.getcwd())
    try:
        for module in args.imports:
            try:
                importlib.import_module(module)
            except ImportError as err:
                raise MaskError.expected(
                    "--import", "an importable module", repr(module), str(err)) from err
    finally:
        sys.path.remove(os.getcwd())
    if not os.path.isfile(args.model):
        raise MaskError.expected("model", "the path of a saved .keras file", repr(args.model))
    import keras

    try:
        model = keras.saving.load_model(args.model)
    except Exception as err:
        raise MaskError.expected(
            "model", "a .keras file that keras.saving.load_model can read", repr(args.model),
            f"{_one_line(err)} (custom layers? use --import MODULE)",
        ) from err
    vocabulary = args.vocab_size or _vocabulary_size(model)
    if vocabulary is None:
        raise MaskError.expected("--vocab-size", "a vocabulary size", "none, and the model has no "
                                 "Embedding layer to read it from")
    count = _input_count(model)
    fixed = _fixed_lengths(model) or []
    for length in fixed:
        if length is not None and length != args.length:
            raise MaskError.expected("--length", f"{length}, the model's fixed input length",
                                     str(args.length))
    batch = synthetic_batch(count, args.length, vocabulary, args.pad_id, args.batch, args.seed)
    inputs: Any = batch[0] if count == 1 else batch
    report = check_model(model, inputs, pad_id=args.pad_id)
    print(f"{args.model}: {count} input{'s' if count > 1 else ''} of (batch {args.batch}, "
          f"length {args.length}), ids below {vocabulary}, pad id {args.pad_id}")
    print(report)
    return 0 if report.ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: ``python -m lib.doctor MODEL.keras --length 12``; returns the exit
    status.

    Warnings that Keras gives while loading and running the model (such as a layer that
    "will destroy the mask") are printed once each, as one line, after the report.
    """
    import warnings

    from lib.reproducible import quiet_tensorflow

    quiet_tensorflow()  # before TensorFlow is imported: no C++ start-up log on the terminal
    args = _parser().parse_args(argv)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            status = _run_cli(args)
        for message in dict.fromkeys(" ".join(str(w.message).split()) for w in caught):
            print(f"warning: {message}", file=sys.stderr)
        return status
    except MaskError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except Exception as err:
        print(f"error: {_one_line(err)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
