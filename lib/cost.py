"""What a mask costs: exact bytes from shapes, and wall-clock time measured with care.

Introduced in chapter 11. Memory is *computed*: a tensor of shape ``shape``
and dtype ``dtype`` holds ``prod(shape) * dtype.size`` bytes, one byte per
entry for a boolean. Time is *measured*: the median of a few calls timed with
``time.perf_counter`` after a warm-up call, so it changes from run to run and
from machine to machine. Notation: ``B`` batch, ``T`` query length, ``S`` key
length, ``H`` heads.

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
import numbers
import os
import platform
import statistics
import textwrap
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from lib.errors import MaskError, MaskTypeError

BOOL_BYTES = 1
"""Bytes per entry of a boolean tensor in TensorFlow and NumPy."""

_DTYPE_SIZES = {
    "bool": 1, "int8": 1, "uint8": 1, "int16": 2, "float16": 2, "bfloat16": 2,
    "int32": 4, "float32": 4, "int64": 8, "float64": 8,
}

_MEMORY_SERIES = (  # (label, attribute, marker, linestyle, colour)
    ("float32 scores, all H heads (B, H, T, S)", "scores", "D", "-", "#b2182b"),
    ("float32 scores, one head (B, 1, T, S)", "head_scores", "^", "--", "#ef8a62"),
    ("attention_mask, bool (B, T, S)", "attention_mask", "o", "-", "#1f4e79"),
    ("key_mask, bool (B, 1, S)", "key_mask", "s", ":", "#4d9221"),
)
_MARKERS = ("o", "s", "^", "D", "v", "P")
_LINESTYLES = ("-", ":", "--", "-.")
_COLOURS = ("#1f4e79", "#4d9221", "#b2182b", "#7b3294", "#e66100", "#333333")


# --- argument checks ----------------------------------------------------------------------------

def _positive_int(value: Any, argument: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise MaskError.expected(argument, f"an int >= {minimum}", repr(value))
    return int(value)


def _lengths(lengths: Any, argument: str = "lengths") -> list[int]:
    if isinstance(lengths, (str, bytes)) or not hasattr(lengths, "__iter__"):
        raise MaskTypeError.expected(argument, "a sequence of positive ints", repr(lengths))
    values = list(lengths)
    if not values:
        raise MaskError.expected(argument, "at least one length", "an empty sequence")
    return [_positive_int(value, f"{argument}[{index}]") for index, value in enumerate(values)]


def _callable(value: Any, argument: str) -> Callable:
    if not callable(value):
        raise MaskTypeError.expected(argument, "a callable", f"{type(value).__name__} {value!r}")
    return value


def dtype_size(dtype: Any, argument: str = "dtype") -> int:
    """Bytes per entry of ``dtype`` (a name such as ``"bool"``, a NumPy or a TensorFlow dtype).

    ``argument`` names the caller's argument in the error message.

    >>> dtype_size("bool"), dtype_size("float32"), dtype_size(np.int64)
    (1, 4, 8)
    """
    name = getattr(dtype, "name", None) or getattr(dtype, "__name__", None) or dtype
    if isinstance(name, str) and name in _DTYPE_SIZES:
        return _DTYPE_SIZES[name]
    raise MaskTypeError.expected(argument, f"one of {sorted(_DTYPE_SIZES)}", repr(dtype))


def tensor_bytes(shape: Sequence[int], dtype: Any = "bool") -> int:
    """Exact bytes of a dense tensor: the product of ``shape`` times the size of ``dtype``.

    >>> tensor_bytes((8, 128, 128))            # a (B, T, S) boolean mask: one byte per entry
    131072
    >>> tensor_bytes((8, 2, 128, 128), "float32")
    1048576
    """
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__iter__"):
        raise MaskTypeError.expected("shape", "a sequence of ints such as (B, T, S)", repr(shape))
    dims = list(shape)
    for index, dim in enumerate(dims):
        if isinstance(dim, bool) or not isinstance(dim, numbers.Integral) or dim < 0:
            raise MaskError.expected(
                "shape", "non-negative int dimensions",
                f"{tuple(dims)!r} (entry {index} is {dim!r})",
            )
    return math.prod(int(dim) for dim in dims) * dtype_size(dtype)


def measured_bytes(tensor: Any) -> int:
    """Bytes the values of ``tensor`` occupy once materialized: ``tensor.numpy().nbytes``.

    >>> measured_bytes(np.ones((2, 3, 3), dtype=bool))
    18
    """
    if hasattr(tensor, "numpy") and callable(tensor.numpy):
        return int(tensor.numpy().nbytes)
    if isinstance(tensor, np.ndarray):
        return int(tensor.nbytes)
    raise MaskTypeError.expected("tensor", "a tf.Tensor or a NumPy array", type(tensor).__name__)


def format_bytes(count: int) -> str:
    """``count`` bytes in binary units: ``'512 B'``, ``'32 KiB'``, ``'1.5 MiB'``.

    >>> format_bytes(512), format_bytes(32768), format_bytes(3 * 2**19), format_bytes(2**32)
    ('512 B', '32 KiB', '1.5 MiB', '4 GiB')
    """
    count = _positive_int(count, "count", minimum=0)
    value, unit = float(count), "B"
    for next_unit in ("KiB", "MiB", "GiB", "TiB"):
        if value < 1024:
            break
        value, unit = value / 1024, next_unit
    return f"{value:.0f} {unit}" if value == round(value) else f"{value:.1f} {unit}"


# --- memory, computed ---------------------------------------------------------------------------

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
            _positive_int(getattr(self, name), name)
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


def memory_table(batch: int, lengths: Sequence[int], heads: int = 1) -> list[MaskMemory]:
    """One :class:`MaskMemory` per self-attention length.

    >>> [row.attention_mask for row in memory_table(1, [2, 4])]
    [4, 16]
    """
    return [mask_memory(batch, length, heads) for length in _lengths(lengths)]


def format_memory_table(rows: Sequence[MaskMemory]) -> str:
    """A narrow text table of :func:`memory_table` rows (deterministic: shapes only).

    >>> print(format_memory_table(memory_table(8, [128], heads=2)))
    T = S    key_mask   attention_mask   scores, float32
            (B, 1, S)        (B, T, S)      (B, H, T, S)
      128       1 KiB          128 KiB             1 MiB
    """
    if not rows or not all(isinstance(row, MaskMemory) for row in rows):
        raise MaskTypeError.expected("rows", "a non-empty list of MaskMemory", repr(rows))
    lines = [
        f"{'T = S':<5}   {'key_mask':>9}   {'attention_mask':>14}   {'scores, float32':>15}",
        f"{'':<5}   {'(B, 1, S)':>9}   {'(B, T, S)':>14}   {'(B, H, T, S)':>15}",
    ]
    for row in rows:
        lines.append(
            f"{row.query_length:>5}   {format_bytes(row.key_mask):>9}   "
            f"{format_bytes(row.attention_mask):>14}   {format_bytes(row.scores):>15}"
        )
    return "\n".join(line.rstrip() for line in lines)


# --- time, measured -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Timing:
    """Seconds of each timed call (warm-up excluded); :attr:`median` is what the book reports."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return float(statistics.median(self.samples))

    @property
    def best(self) -> float:
        return float(min(self.samples))


def compare_times(
    functions: Mapping[str, Callable[[], Any]],
    repeats: int = 5,
    warmup: int = 1,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, Timing]:
    """Time each zero-argument function ``repeats`` times, taking turns (round robin).

    Every function is first called ``warmup`` times untimed (first calls pay for
    tracing, allocation, caches). Taking turns spreads a burst of load from the
    rest of the machine over all functions instead of one. ``clock`` is
    ``time.perf_counter``; a test can pass a fake one.

    >>> ticks = iter([0.0, 1.0, 1.0, 4.0, 4.0, 6.0])          # a fake clock: 1 s, 3 s, 2 s
    >>> timings = compare_times({"noop": lambda: None}, repeats=3, warmup=0,
    ...                         clock=lambda: next(ticks))
    >>> timings["noop"]
    Timing(samples=(1.0, 3.0, 2.0))
    """
    if not isinstance(functions, Mapping) or not functions:
        raise MaskTypeError.expected(
            "functions", "a non-empty dict of name -> zero-argument callable", repr(functions)
        )
    for name, function in functions.items():
        _callable(function, f"functions[{name!r}]")
    repeats = _positive_int(repeats, "repeats")
    warmup = _positive_int(warmup, "warmup", minimum=0)
    _callable(clock, "clock")
    for _ in range(warmup):
        for function in functions.values():
            function()
    samples: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeats):
        for name, function in functions.items():
            start = clock()
            function()
            samples[name].append(clock() - start)
    return {name: Timing(tuple(values)) for name, values in samples.items()}


def median_time(
    function: Callable[[], Any],
    repeats: int = 5,
    warmup: int = 1,
    clock: Callable[[], float] = time.perf_counter,
) -> Timing:
    """Time one zero-argument function: :func:`compare_times` with a single entry.

    >>> timing = median_time(lambda: sum(range(100)), repeats=3)
    >>> len(timing.samples), timing.median >= 0
    (3, True)
    """
    functions = {"function": _callable(function, "function")}
    return compare_times(functions, repeats, warmup, clock)["function"]


def synthetic_padding_mask(batch: int, length: int, seed: int = 0) -> Any:
    """A (B, S) padding mask; each row has ``length // 2 + 1`` to ``length`` real tokens, at random.

    What a padded batch looks like: real tokens first, padding after, at least
    one real token per row. The same ``seed`` gives the same mask.

    >>> synthetic_padding_mask(3, 6, seed=0).numpy().astype(int)
    array([[1, 1, 1, 1, 1, 1],
           [1, 1, 1, 1, 1, 0],
           [1, 1, 1, 1, 1, 0]])
    """
    import tensorflow as tf

    batch = _positive_int(batch, "batch")
    length = _positive_int(length, "length")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise MaskTypeError.expected("seed", "an int", repr(seed))
    rng = np.random.default_rng(int(seed))
    real = rng.integers(length // 2 + 1, length, endpoint=True, size=batch)
    return tf.sequence_mask(real, maxlen=length)


def time_mask_builders(
    builders: Mapping[str, Callable[[Any], Any]],
    batch: int,
    lengths: Sequence[int],
    repeats: int = 5,
    warmup: int = 1,
    seed: int = 0,
) -> dict[str, list[Timing]]:
    """Time each ``builder(padding_mask)`` on a (B, L) :func:`synthetic_padding_mask`, per length L.

    Returns one list of :class:`Timing` per builder, in the order of ``lengths``.

    >>> from lib.masks import key_mask
    >>> timings = time_mask_builders({"key_mask": key_mask}, batch=2, lengths=[4, 8], repeats=2)
    >>> [len(timing.samples) for timing in timings["key_mask"]]
    [2, 2]
    """
    if not isinstance(builders, Mapping) or not builders:
        raise MaskTypeError.expected(
            "builders", "a non-empty dict of name -> mask builder", repr(builders)
        )
    for name, builder in builders.items():
        _callable(builder, f"builders[{name!r}]")
    batch = _positive_int(batch, "batch")
    results: dict[str, list[Timing]] = {name: [] for name in builders}
    for length in _lengths(lengths):
        padding = synthetic_padding_mask(batch, length, seed)
        calls = {
            name: (lambda builder=builder: builder(padding)) for name, builder in builders.items()
        }
        for name, timing in compare_times(calls, repeats, warmup).items():
            results[name].append(timing)
    return results


def time_attention(
    layer: Any,
    batch: int,
    lengths: Sequence[int],
    masks: Mapping[str, Callable[[Any], Any] | None],
    repeats: int = 5,
    warmup: int = 1,
    seed: int = 0,
) -> dict[str, list[Timing]]:
    """Time self-attention ``layer(x, x, attention_mask=...)`` on random (B, L, D) inputs.

    ``masks`` maps a name to a function of the (B, L) padding mask that returns
    the ``attention_mask`` to pass (``None`` instead of a function: no mask).
    ``D`` is read from the built ``layer``. Returns one list of :class:`Timing`
    per entry of ``masks``, in the order of ``lengths``.

    >>> from lib.attention import attention_layer
    >>> from lib.masks import key_mask
    >>> layer = attention_layer(num_heads=2, key_dim=4, model_dim=8)
    >>> timings = time_attention(layer, 2, [4], {"no mask": None, "key_mask": key_mask}, repeats=2)
    >>> sorted(timings), len(timings["key_mask"])
    (['key_mask', 'no mask'], 1)
    """
    import keras
    import tensorflow as tf

    if not isinstance(layer, keras.layers.MultiHeadAttention):
        raise MaskTypeError.expected(
            "layer", "a keras.layers.MultiHeadAttention", type(layer).__name__,
            "Build one with lib.attention.attention_layer().",
        )
    if not layer.built:
        raise MaskError.expected(
            "layer", "a built layer (lib.attention.attention_layer())", "an unbuilt layer"
        )
    if not isinstance(masks, Mapping) or not masks:
        raise MaskTypeError.expected(
            "masks", "a non-empty dict of name -> mask builder or None", repr(masks)
        )
    for name, builder in masks.items():
        if builder is not None:
            _callable(builder, f"masks[{name!r}]")
    batch = _positive_int(batch, "batch")
    model_dim = int(layer.query_dense.kernel.shape[0])
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise MaskTypeError.expected("seed", "an int", repr(seed))
    rng = np.random.default_rng(int(seed))
    results: dict[str, list[Timing]] = {name: [] for name in masks}
    for length in _lengths(lengths):
        inputs = tf.constant(rng.normal(size=(batch, length, model_dim)).astype(np.float32))
        padding = synthetic_padding_mask(batch, length, seed)
        calls = {}
        for name, builder in masks.items():
            attention_mask = None if builder is None else builder(padding)
            calls[name] = lambda attention_mask=attention_mask: layer(
                inputs, inputs, attention_mask=attention_mask
            )
        for name, timing in compare_times(calls, repeats, warmup).items():
            results[name].append(timing)
    return results


# --- reading the measurements -------------------------------------------------------------------

def _check_timings(lengths: list[int], timings: Any) -> None:
    """One list of :class:`Timing` per series, as long as ``lengths``."""
    if not isinstance(timings, Mapping) or not timings:
        raise MaskTypeError.expected(
            "timings", "a non-empty dict of name -> list of Timing", repr(timings)
        )
    for name, series in timings.items():
        if isinstance(series, (str, bytes)) or not hasattr(series, "__len__"):
            raise MaskTypeError.expected(f"timings[{name!r}]", "a list of Timing", repr(series))
        if len(series) != len(lengths) or not all(isinstance(timing, Timing) for timing in series):
            raise MaskError.expected(
                f"timings[{name!r}]", f"{len(lengths)} Timing objects, one per length",
                f"{len(series)} item(s): {list(series)!r}"[:200],
            )


def _header_lines(name: str) -> list[str]:
    """A series name in at most two header lines: ``"key_mask (B, 1, S)"`` -> name, shape."""
    if " (" in name:
        head, tail = name.split(" (", 1)
        return [head, "(" + tail]
    return textwrap.wrap(name, width=14) or [""]


def format_timing_table(lengths: Sequence[int], timings: Mapping[str, Sequence[Timing]]) -> str:
    """A text table of median times in milliseconds, one row per length, one column per series.

    A name such as ``"key_mask (B, 1, S)"`` is split over two header lines.

    >>> timings = {"key_mask (B, 1, S)": [Timing((0.0005, 0.0003, 0.0004))]}
    >>> print(format_timing_table([128], timings))
    T = S    key_mask
            (B, 1, S)
      128    0.400 ms
    """
    xs = _lengths(lengths)
    _check_timings(xs, timings)
    headers = [_header_lines(name) for name in timings]
    depth = max(len(lines) for lines in headers)
    headers = [lines + [""] * (depth - len(lines)) for lines in headers]
    cells = [[f"{timing.median * 1e3:.3f} ms" for timing in series] for series in timings.values()]
    widths = [
        max(max(map(len, header)), max(map(len, column))) for header, column in zip(headers, cells)
    ]
    lines = []
    for level in range(depth):
        first = "T = S" if level == 0 else ""
        lines.append(f"{first:<5}" + "".join(
            f"   {header[level]:>{width}}" for header, width in zip(headers, widths)))
    for index, length in enumerate(xs):
        lines.append(f"{length:>5}" + "".join(
            f"   {column[index]:>{width}}" for column, width in zip(cells, widths)))
    return "\n".join(line.rstrip() for line in lines)


def loglog_slope(lengths: Sequence[int], values: Sequence[float]) -> float:
    """Least-squares slope of ``log(values)`` against ``log(lengths)``: 2 for a cost like T·S.

    >>> round(loglog_slope([128, 256, 512], [8 * n * n for n in (128, 256, 512)]), 6)
    2.0
    """
    xs = _lengths(lengths)
    ys = list(values) if hasattr(values, "__iter__") else None
    if ys is None or len(ys) != len(xs):
        raise MaskError.expected(
            "values", f"{len(xs)} numbers, one per length",
            f"{len(ys) if ys is not None else repr(values)}",
        )
    if len(xs) < 2 or len(set(xs)) < 2:
        raise MaskError.expected("lengths", "at least two different lengths", repr(xs))
    if any(not isinstance(y, numbers.Real) or isinstance(y, bool) or y <= 0 for y in ys):
        raise MaskError.expected("values", "positive numbers (their logarithm is taken)", repr(ys))
    slope, _ = np.polyfit(np.log(xs), np.log(np.asarray(ys, dtype=float)), 1)
    return float(slope)


def reference_line(
    lengths: Sequence[int], through: tuple[int, float], power: float = 2.0
) -> list[float]:
    """``value * (L / length) ** power`` for each L: the line of slope ``power`` through one point.

    With ``power=2`` it is the O(B·T·S) reference of a log-log plot (B fixed, T = S = L).

    >>> reference_line([128, 256, 512], through=(512, 1.0))
    [0.0625, 0.25, 1.0]
    """
    xs = _lengths(lengths)
    if not isinstance(through, tuple) or len(through) != 2:
        raise MaskTypeError.expected("through", "a (length, value) pair", repr(through))
    anchor_length = _positive_int(through[0], "through[0]")
    anchor_value = through[1]
    if (isinstance(anchor_value, bool) or not isinstance(anchor_value, numbers.Real)
            or anchor_value <= 0):
        raise MaskError.expected("through[1]", "a positive number", repr(anchor_value))
    if isinstance(power, bool) or not isinstance(power, numbers.Real) or power <= 0:
        raise MaskError.expected("power", "a positive number", repr(power))
    return [float(anchor_value) * (x / anchor_length) ** power for x in xs]


def machine_description() -> str:
    """Where a measurement ran, one fact per line: CPUs this process may use, OS, processor."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        usable = os.cpu_count()
    return "\n".join([
        f"CPUs usable: {usable} (os.cpu_count() = {os.cpu_count()})",
        f"platform:    {platform.platform()}",
        f"processor:   {platform.processor() or platform.machine()}",
    ])


# --- figures ------------------------------------------------------------------------------------

def _pyplot() -> Any:
    """``matplotlib.pyplot``, after :mod:`lib.plots` has set the inline backend in a kernel."""
    import matplotlib.pyplot as plt

    import lib.plots  # noqa: F401 - in a Jupyter kernel under MPLBACKEND=Agg: switch to inline

    return plt


def _bytes_axis(ax: Any) -> None:
    from matplotlib.ticker import FuncFormatter, LogLocator

    ax.set_yscale("log", base=2)
    ax.yaxis.set_major_locator(LogLocator(base=1024))
    ax.yaxis.set_major_formatter(
        FuncFormatter(lambda y, _: format_bytes(int(round(y))) if y >= 1 else "")
    )


def _length_axis(ax: Any, lengths: Sequence[int]) -> None:
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(lengths), [str(length) for length in lengths])
    ax.minorticks_off()
    ax.set_xlabel("sequence length T = S (log scale)")
    ax.grid(True, which="major", alpha=0.3)


def plot_memory(rows: Sequence[MaskMemory], title: str = "") -> Any:
    """Log-log plot of the exact bytes of :func:`memory_table` rows against the length.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = plot_memory(memory_table(8, [128, 256]))
    >>> fig.axes[0].get_xscale(), fig.axes[0].get_yscale()
    ('log', 'log')
    """
    plt = _pyplot()

    if not rows or not all(isinstance(row, MaskMemory) for row in rows):
        raise MaskTypeError.expected("rows", "a non-empty list of MaskMemory", repr(rows))
    lengths = [row.query_length for row in rows]
    fig, ax = plt.subplots(figsize=(7, 4.4))  # fits the 7-inch column: text at full size
    for label, attribute, marker, linestyle, colour in _MEMORY_SERIES:
        if attribute == "head_scores" and rows[0].heads == 1:
            continue  # one head: the same line as all heads
        ax.plot(lengths, [getattr(row, attribute) for row in rows], marker=marker,
                linestyle=linestyle, color=colour, label=label)
    _length_axis(ax, lengths)
    _bytes_axis(ax)
    ax.set_ylabel("bytes, computed from the shape (log scale)")
    ax.set_title(title or f"exact memory, B = {rows[0].batch}, H = {rows[0].heads}")
    ax.legend(loc="upper left", fontsize=9)
    fig.tight_layout()
    return fig


def plot_times(
    lengths: Sequence[int],
    timings: Mapping[str, Sequence[Timing]],
    title: str,
    reference: str | None = None,
) -> Any:
    """Log-log plot of measured median times (ms), with the min-max of the samples as error bars.

    ``reference`` names the series that the dashed O(B·T·S) line (slope 2) is
    drawn through, at its longest length.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> timings = {"a": [Timing((0.001,)), Timing((0.004,))]}
    >>> fig = plot_times([8, 16], timings, "demo", reference="a")
    >>> [line.get_label() for line in fig.axes[0].get_lines()][-1]
    'O(B·T·S): slope 2'
    """
    plt = _pyplot()

    xs = _lengths(lengths)
    _check_timings(xs, timings)
    if reference is not None and reference not in timings:
        raise MaskError.expected("reference", f"one of {sorted(timings)}", repr(reference))
    fig, ax = plt.subplots(figsize=(7, 4.4))  # fits the 7-inch column: text at full size
    for index, (name, series) in enumerate(timings.items()):
        medians = np.array([timing.median for timing in series]) * 1e3
        low = medians - np.array([timing.best for timing in series]) * 1e3
        high = np.array([max(timing.samples) for timing in series]) * 1e3 - medians
        ax.errorbar(xs, medians, yerr=[low, high], capsize=3, label=name,
                    marker=_MARKERS[index % len(_MARKERS)],
                    linestyle=_LINESTYLES[index % len(_LINESTYLES)],
                    color=_COLOURS[index % len(_COLOURS)])
    if reference is not None:
        anchor = (xs[-1], timings[reference][-1].median * 1e3)
        ax.plot(xs, reference_line(xs, anchor), linestyle="--", color="grey",
                label="O(B·T·S): slope 2")
    _length_axis(ax, xs)
    ax.set_yscale("log")
    ax.set_ylabel("median time per call, ms (log scale)")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=9)
    fig.tight_layout()
    return fig
