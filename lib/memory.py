"""What a mask costs in memory: exact bytes, computed from shapes and dtypes.

Introduced in chapter 11. A tensor of shape ``shape`` and dtype ``dtype``
holds ``prod(shape) * dtype.size`` bytes, one byte per entry for a boolean;
nothing here is measured, so every number is the same on every machine.
Notation: ``B`` batch, ``T`` query length, ``S`` key length, ``H`` heads.
The figure of these numbers is :func:`lib.plots.plot_memory`; what a mask
costs in *time* is :mod:`lib.timing`.

>>> memory = mask_memory(batch=8, length=4096, heads=8)
>>> memory.attention_mask_shape, memory.attention_mask          # (B, T, S) bool: bytes
((8, 4096, 4096), 134217728)
>>> format_bytes(memory.attention_mask), format_bytes(memory.key_mask)
('128 MiB', '32 KiB')
>>> memory.head_scores // memory.attention_mask                 # one head's float32 scores
4
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lib import checks
from lib.checks import public_api
from lib.errors import MaskError, MaskTypeError

__all__ = [
    "BOOL_BYTES", "DTYPE_SIZES", "dtype_size", "tensor_bytes", "measured_bytes", "format_bytes",
    "MaskMemory", "mask_memory", "memory_table", "check_rows", "format_memory_table",
]

BOOL_BYTES = 1
"""Bytes per entry of a boolean tensor in TensorFlow and NumPy."""

DTYPE_SIZES = {
    "bool": 1, "int8": 1, "uint8": 1, "int16": 2, "float16": 2, "bfloat16": 2,
    "int32": 4, "float32": 4, "int64": 8, "float64": 8,
}
"""Bytes per entry of every dtype these functions know, by name."""


@public_api
def dtype_size(dtype: Any, argument: str = "dtype") -> int:
    """Bytes per entry of ``dtype`` (a name such as ``"bool"``, a NumPy or a TensorFlow dtype).

    ``argument`` names the caller's argument in the error message.

    >>> dtype_size("bool"), dtype_size("float32"), dtype_size(np.int64)
    (1, 4, 8)
    """
    name = getattr(dtype, "name", None) or getattr(dtype, "__name__", None) or dtype
    if isinstance(name, str) and name in DTYPE_SIZES:
        return DTYPE_SIZES[name]
    raise MaskTypeError.expected(argument, f"one of {sorted(DTYPE_SIZES)}", repr(dtype))


@public_api
def tensor_bytes(shape: Sequence[int], dtype: Any = "bool") -> int:
    """Exact bytes of a dense tensor: the product of ``shape`` times the size of ``dtype``.

    >>> tensor_bytes((8, 128, 128))            # a (B, T, S) boolean mask: one byte per entry
    131072
    >>> tensor_bytes((8, 2, 128, 128), "float32")
    1048576
    """
    dims = [
        checks.integer(dim, f"shape[{axis}]", minimum=0)
        for axis, dim in enumerate(checks.sequence(shape, "shape", "axis lengths", minimum=0))
    ]
    return math.prod(dims) * dtype_size(dtype)


@public_api
def measured_bytes(tensor: Any) -> int:
    """Bytes the values of ``tensor`` occupy once materialized: ``tensor.numpy().nbytes``.

    >>> measured_bytes(np.ones((2, 3, 3), dtype=bool))
    18
    """
    if not isinstance(tensor, np.ndarray) and not callable(getattr(tensor, "numpy", None)):
        raise MaskTypeError.expected("tensor", "a tf.Tensor or a NumPy array",
                                     type(tensor).__name__)
    return int(checks.as_array(tensor, "tensor").nbytes)


@public_api
def format_bytes(count: int) -> str:
    """``count`` bytes in binary units: ``'512 B'``, ``'32 KiB'``, ``'1.5 MiB'``.

    >>> format_bytes(512), format_bytes(32768), format_bytes(3 * 2**19), format_bytes(2**32)
    ('512 B', '32 KiB', '1.5 MiB', '4 GiB')
    """
    value, unit = float(checks.integer(count, "count", minimum=0)), "B"
    for next_unit in ("KiB", "MiB", "GiB", "TiB"):
        if value < 1024:
            break
        value, unit = value / 1024, next_unit
    return f"{value:.0f} {unit}" if value == round(value) else f"{value:.1f} {unit}"


@dataclass(frozen=True)
class MaskMemory:
    """Exact bytes of the masks and attention scores of one attention call.

    ``key_mask`` is the (B, 1, S) boolean mask, ``attention_mask`` the (B, T, S)
    one, ``head_scores`` one head's (B, 1, T, S) scores and ``scores`` all H
    heads' (B, H, T, S) scores, in ``scores_dtype``.
    """

    batch: int
    query_length: int
    key_length: int
    heads: int = 1
    scores_dtype: str = "float32"

    def __post_init__(self) -> None:
        for name in ("batch", "query_length", "key_length", "heads"):
            checks.integer(getattr(self, name), name, minimum=1)
        dtype_size(self.scores_dtype, "scores_dtype")

    @property
    def key_mask_shape(self) -> tuple[int, int, int]:
        return (self.batch, 1, self.key_length)

    @property
    def attention_mask_shape(self) -> tuple[int, int, int]:
        return (self.batch, self.query_length, self.key_length)

    @property
    def scores_shape(self) -> tuple[int, int, int, int]:
        return (self.batch, self.heads, self.query_length, self.key_length)

    @property
    def key_mask(self) -> int:
        return tensor_bytes(self.key_mask_shape, "bool")

    @property
    def attention_mask(self) -> int:
        return tensor_bytes(self.attention_mask_shape, "bool")

    @property
    def head_scores(self) -> int:
        return tensor_bytes((self.batch, 1, self.query_length, self.key_length), self.scores_dtype)

    @property
    def scores(self) -> int:
        return tensor_bytes(self.scores_shape, self.scores_dtype)


@public_api
def mask_memory(
    batch: int,
    length: int,
    heads: int = 1,
    key_length: int | None = None,
    scores_dtype: str = "float32",
) -> MaskMemory:
    """:class:`MaskMemory` for self-attention (``T = S = length``), or with ``key_length`` keys.

    >>> mask_memory(batch=2, length=6).attention_mask       # the book's (2, 6, 6) mask
    72
    """
    keys = length if key_length is None else key_length
    return MaskMemory(batch, length, keys, heads, scores_dtype)


@public_api
def memory_table(batch: int, lengths: Sequence[int], heads: int = 1,
                 scores_dtype: str = "float32") -> list[MaskMemory]:
    """One :class:`MaskMemory` per self-attention length.

    >>> [row.attention_mask for row in memory_table(1, [2, 4])]
    [4, 16]
    """
    return [mask_memory(batch, length, heads, scores_dtype=scores_dtype)
            for length in checks.integers(lengths, "lengths")]


@public_api
def check_rows(rows: Sequence[MaskMemory]) -> list[MaskMemory]:
    """Rows for one table or figure: :class:`MaskMemory` objects that share B, H and the scores
    dtype (a table compares lengths; its header names the dtype once).

    >>> check_rows([mask_memory(8, 128), mask_memory(2, 256)])
    Traceback (most recent call last):
    ...
    lib.errors.MaskError: `rows`: expected rows with one batch size, number of heads and scores ...
      Make them with one call of memory_table(batch, lengths, heads).
      in lib.memory.check_rows(rows=<list of 2 MaskMemory>)
    """
    items = checks.sequence(rows, "rows", "MaskMemory rows")
    for index, row in enumerate(items):
        checks.instance_of(row, f"rows[{index}]", MaskMemory,
                           "a MaskMemory (lib.memory.memory_table makes them)")
    for name, label in (("batch", "B"), ("heads", "H"), ("scores_dtype", "scores dtype")):
        values = sorted({getattr(row, name) for row in items})
        if len(values) > 1:
            raise MaskError.expected(
                "rows", "rows with one batch size, number of heads and scores dtype",
                f"{label} in {values}",
                "Make them with one call of memory_table(batch, lengths, heads).",
            )
    return items


@public_api
def format_memory_table(rows: Sequence[MaskMemory]) -> str:
    """A narrow text table of :func:`memory_table` rows (deterministic: shapes only).

    The first column is ``T = S`` when every row is self-attention, else one column
    for ``T`` and one for ``S``; the last column names the scores dtype.

    >>> print(format_memory_table(memory_table(8, [128], heads=2)))
    T = S    key_mask   attention_mask   scores, float32
            (B, 1, S)        (B, T, S)      (B, H, T, S)
      128       1 KiB          128 KiB             1 MiB
    >>> print(format_memory_table([mask_memory(8, 64, key_length=128, scores_dtype="float16")]))
       T      S    key_mask   attention_mask   scores, float16
                  (B, 1, S)        (B, T, S)      (B, H, T, S)
      64    128       1 KiB           64 KiB           128 KiB
    """
    items = check_rows(rows)
    square = all(row.query_length == row.key_length for row in items)
    lengths = f"{'T = S':<5}" if square else f"{'T':>5}  {'S':>5}"
    scores = f"scores, {items[0].scores_dtype}"
    width = max(15, len(scores))
    lines = [
        f"{lengths}   {'key_mask':>9}   {'attention_mask':>14}   {scores:>{width}}",
        f"{'':<{len(lengths)}}   {'(B, 1, S)':>9}   {'(B, T, S)':>14}   {'(B, H, T, S)':>{width}}",
    ]
    for row in items:
        first = (f"{row.query_length:>5}" if square
                 else f"{row.query_length:>5}  {row.key_length:>5}")
        lines.append(
            f"{first}   {format_bytes(row.key_mask):>9}   "
            f"{format_bytes(row.attention_mask):>14}   {format_bytes(row.scores):>{width}}"
        )
    return "\n".join(line.rstrip() for line in lines)
