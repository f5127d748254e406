"""What a mask costs in time: wall-clock seconds, measured with care.

Introduced in chapter 11. Time is *measured*: the median of a few calls timed
with ``time.perf_counter`` after a warm-up call, so it changes from run to run
and from machine to machine; the functions here make the measurement fair
(warm-up, turns taken, medians) and report it. Notation: ``B`` batch, ``T``
query length, ``S`` key length. The figures of these numbers are
:func:`lib.plots.plot_times`; what a mask costs in *memory* is :mod:`lib.memory`.

>>> timings = {"key_mask (B, 1, S)": [Timing((0.0005, 0.0003, 0.0004))]}
>>> print(format_timing_table([128], timings))
T = S    key_mask
        (B, 1, S)
  128    0.400 ms
"""

from __future__ import annotations

import os
import platform
import statistics
import textwrap
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lib import checks
from lib.checks import public_api
from lib.errors import MaskError

__all__ = [
    "Timing", "compare_times", "median_time", "synthetic_padding_mask", "time_mask_builders",
    "time_attention", "check_timings", "format_timing_table", "loglog_slope", "reference_line",
    "machine_description",
]


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


@public_api
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
    functions = _functions(functions, "functions", "name -> zero-argument callable")
    repeats = checks.integer(repeats, "repeats", minimum=1)
    warmup = checks.integer(warmup, "warmup", minimum=0)
    checks.function(clock, "clock")
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


@public_api
def median_time(
    function: Callable[[], Any],
    repeats: int = 5,
    warmup: int = 1,
    clock: Callable[[], float] = time.perf_counter,
) -> Timing:
    """Time one zero-argument function: :func:`compare_times` with a single entry.

    >>> ticks = iter([0.0, 2.0, 2.0, 3.0, 3.0, 7.0])          # a fake clock: 2 s, 1 s, 4 s
    >>> median_time(lambda: None, repeats=3, warmup=0, clock=lambda: next(ticks)).median
    2.0
    """
    functions = {"function": checks.function(function, "function")}
    return compare_times(functions, repeats, warmup, clock)["function"]


@public_api
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

    batch = checks.integer(batch, "batch", minimum=1)
    length = checks.integer(length, "length", minimum=1)
    rng = np.random.default_rng(checks.integer(seed, "seed", minimum=0))
    real = rng.integers(length // 2 + 1, length, endpoint=True, size=batch)
    return tf.sequence_mask(real, maxlen=length)


@public_api
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
    builders = _functions(builders, "builders", "name -> mask builder")
    batch = checks.integer(batch, "batch", minimum=1)
    results: dict[str, list[Timing]] = {name: [] for name in builders}
    for length in checks.integers(lengths, "lengths"):
        padding = synthetic_padding_mask(batch, length, seed)
        calls = {
            name: (lambda builder=builder, padding=padding: builder(padding))
            for name, builder in builders.items()
        }
        for name, timing in compare_times(calls, repeats, warmup).items():
            results[name].append(timing)
    return results


@public_api
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
    import tensorflow as tf

    layer = checks.attention_layer(layer)
    masks = _functions(masks, "masks", "name -> mask builder or None", allow_none=True)
    batch = checks.integer(batch, "batch", minimum=1)
    model_dim = int(layer.query_dense.kernel.shape[0])
    rng = np.random.default_rng(checks.integer(seed, "seed", minimum=0))
    results: dict[str, list[Timing]] = {name: [] for name in masks}
    for length in checks.integers(lengths, "lengths"):
        inputs = tf.constant(rng.normal(size=(batch, length, model_dim)).astype(np.float32))
        padding = synthetic_padding_mask(batch, length, seed)
        calls = {}
        for name, builder in masks.items():
            attention_mask = None if builder is None else builder(padding)
            calls[name] = lambda attention_mask=attention_mask, inputs=inputs: layer(
                inputs, inputs, attention_mask=attention_mask
            )
        for name, timing in compare_times(calls, repeats, warmup).items():
            results[name].append(timing)
    return results


# --- reading the measurements -------------------------------------------------------------------

@public_api
def check_timings(
    lengths: Sequence[int], timings: Any
) -> tuple[list[int], dict[str, list[Timing]]]:
    """Lengths and measurements for a table or figure: one list of :class:`Timing` per series,
    one per length. Returns both, as a list and a dict of lists.

    >>> check_timings([8, 16], {"key_mask": [Timing((0.001,))]})
    Traceback (most recent call last):
    ...
    lib.errors.MaskError: `timings['key_mask']`: expected 2 Timing objects, one per length, rece...
      in lib.timing.check_timings(lengths=[8, 16], timings=<dict of 1>)
    """
    xs = checks.integers(lengths, "lengths")
    series_by_name = checks.mapping(timings, "timings", "name -> list of Timing")
    checked = {}
    for name, series in series_by_name.items():
        argument = f"timings[{name!r}]"
        items = checks.sequence(series, argument, "Timing objects", minimum=0)
        if len(items) != len(xs):
            raise MaskError.expected(
                argument, f"{len(xs)} Timing objects, one per length", f"{len(items)} item(s)"
            )
        for index, timing in enumerate(items):
            checks.instance_of(timing, f"{argument}[{index}]", Timing, "a Timing")
        checked[str(name)] = items
    return xs, checked


def _functions(value: Any, argument: str, what: str, allow_none: bool = False) -> Mapping:
    """A non-empty dict whose values are callables (or ``None`` where ``allow_none``)."""
    functions = checks.mapping(value, argument, what)
    for name, function in functions.items():
        if not (allow_none and function is None):
            checks.function(function, f"{argument}[{name!r}]")
    return functions


def _header_lines(name: str) -> list[str]:
    """A series name in at most two header lines: ``"key_mask (B, 1, S)"`` -> name, shape."""
    if " (" in name:
        head, tail = name.split(" (", 1)
        return [head, "(" + tail]
    return textwrap.wrap(name, width=14) or [""]


@public_api
def format_timing_table(lengths: Sequence[int], timings: Mapping[str, Sequence[Timing]]) -> str:
    """A text table of median times in milliseconds, one row per length, one column per series.

    A name such as ``"key_mask (B, 1, S)"`` is split over two header lines.

    >>> timings = {"key_mask (B, 1, S)": [Timing((0.0005, 0.0003, 0.0004))]}
    >>> print(format_timing_table([128], timings))
    T = S    key_mask
            (B, 1, S)
      128    0.400 ms
    """
    xs, timings = check_timings(lengths, timings)
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


@public_api
def loglog_slope(lengths: Sequence[int], values: Sequence[float]) -> float:
    """Least-squares slope of ``log(values)`` against ``log(lengths)``: 2 for a cost like T·S.

    >>> round(loglog_slope([128, 256, 512], [8 * n * n for n in (128, 256, 512)]), 6)
    2.0
    """
    xs = checks.integers(lengths, "lengths")
    ys = checks.sequence(values, "values", "numbers, one per length")
    checks.same_length(len(ys), len(xs), "values", "numbers, one per length")
    if len(set(xs)) < 2:
        raise MaskError.expected("lengths", "at least two different lengths", repr(xs))
    ys = [checks.real(y, f"values[{index}]", above=0, hint="Its logarithm is taken.")
          for index, y in enumerate(ys)]
    slope, _ = np.polyfit(np.log(xs), np.log(np.asarray(ys, dtype=float)), 1)
    return float(slope)


@public_api
def reference_line(
    lengths: Sequence[int], through: tuple[int, float], power: float = 2.0
) -> list[float]:
    """``value * (L / length) ** power`` for each L: the line of slope ``power`` through one point.

    With ``power=2`` it is the O(B·T·S) reference of a log-log plot (B fixed, T = S = L).

    >>> reference_line([128, 256, 512], through=(512, 1.0))
    [0.0625, 0.25, 1.0]
    """
    xs = checks.integers(lengths, "lengths")
    pair = checks.sequence(through, "through", "items: (length, value)", 2, 2)
    anchor_length = checks.integer(pair[0], "through[0]", minimum=1)
    anchor_value = checks.real(pair[1], "through[1]", above=0)
    power = checks.real(power, "power", above=0)
    return [anchor_value * (x / anchor_length) ** power for x in xs]


@public_api
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


