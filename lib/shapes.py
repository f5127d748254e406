"""Broadcasting, axis by axis: which shapes combine, and what each axis stretches to.

Introduced in chapter 4. NumPy, TensorFlow and Keras broadcast the same way:

1. write the shapes one under the other, **aligned from the right**
   (a shorter shape gets leading axes of length 1);
2. on each axis the lengths must be equal, or one of them must be 1;
3. a length-1 axis **stretches** (its one entry is repeated) to the other length.

>>> broadcast_shape((2, 6, 1), (2, 1, 6))
(2, 6, 6)
>>> print(broadcast_table((2, 6, 1), (2, 1, 6)))
          axis -3  axis -2  axis -1
(2, 6, 1)       2        6    1 → 6
(2, 1, 6)       2    1 → 6        6
result          2        6        6
"""

from __future__ import annotations

from collections.abc import Sequence

from lib import checks
from lib.checks import public_api
from lib.errors import MaskError

Shape = Sequence[int]


def _check_shapes(shapes: tuple[Shape, ...]) -> list[tuple[int, ...]]:
    """Each shape as a tuple of non-negative ints (a ``tf.TensorShape`` must be fully known)."""
    checked = []
    for index, shape in enumerate(checks.sequence(shapes, "shapes", "shapes")):
        argument = f"shapes[{index}]"
        if hasattr(shape, "as_list") and shape.rank is not None:  # tf.TensorShape
            shape = shape.as_list()
        dims = checks.sequence(shape, argument, "axis lengths", minimum=0)
        checked.append(tuple(
            checks.integer(dim, f"{argument}[{axis}]", minimum=0) for axis, dim in enumerate(dims)
        ))
    return checked


def _aligned(shapes: list[tuple[int, ...]]) -> list[tuple[int | None, ...]]:
    """Pad every shape on the left with ``None`` (a missing axis) to the longest rank."""
    rank = max(len(shape) for shape in shapes)
    return [(None,) * (rank - len(shape)) + shape for shape in shapes]


@public_api
def broadcast_shape(*shapes: Shape) -> tuple[int, ...]:
    """The shape that ``shapes`` broadcast to, or :class:`~lib.errors.MaskError` naming the axis.

    >>> broadcast_shape((2, 1, 6), (1, 6, 6))
    (2, 6, 6)
    >>> broadcast_shape((2, 6, 1), (3, 1, 6))
    Traceback (most recent call last):
    ...
    lib.errors.MaskError: `shapes`: expected lengths that are equal or 1 on every axis (aligned ...
      in lib.shapes.broadcast_shape((2, 6, 1), (3, 1, 6))
    """
    checked = _check_shapes(shapes)
    aligned = _aligned(checked)
    result = []
    for axis in range(len(aligned[0])):
        lengths = {shape[axis] for shape in aligned if shape[axis] is not None}
        stretched = lengths - {1}
        if len(stretched) > 1:
            clash = " and ".join(str(n) for n in sorted(stretched))
            names = " and ".join(str(shape) for shape in checked)
            raise MaskError.expected(
                "shapes",
                "lengths that are equal or 1 on every axis (aligned from the right)",
                f"{clash} on axis {axis - len(aligned[0])} of {names}",
            )
        result.append(stretched.pop() if stretched else 1)
    return tuple(result)


@public_api
def broadcast_table(*shapes: Shape) -> str:
    """A text table of ``shapes`` aligned from the right: ``1 → n`` marks an axis that stretches,
    ``· → n`` an axis that is missing (counted as length 1) and stretches.

    >>> print(broadcast_table((6,), (2, 6, 1)))
               axis -3  axis -2  axis -1
    (6,)         · → 2    · → 6        6
    (2, 6, 1)        2        6    1 → 6
    result           2        6        6
    """
    checked = _check_shapes(shapes)
    result = broadcast_shape(*checked)
    aligned = _aligned(checked)
    rank = len(result)
    rows = [["", *(f"axis {axis - rank}" for axis in range(rank))]]
    for shape, padded in zip(checked, aligned):
        cells = []
        for length, target in zip(padded, result):
            if length is None:
                cells.append(f"· → {target}")
            elif length != target:
                cells.append(f"{length} → {target}")
            else:
                cells.append(str(length))
        rows.append([str(shape), *cells])
    rows.append(["result", *(str(length) for length in result)])
    widths = [max(len(row[column]) for row in rows) for column in range(rank + 1)]
    lines = []
    for row in rows:
        first = row[0].ljust(widths[0])
        rest = "  ".join(cell.rjust(width) for cell, width in zip(row[1:], widths[1:]))
        lines.append(f"{first}  {rest}".rstrip())
    return "\n".join(lines)
