"""Chapter 11, time: the logic (not the speed) of the timers in lib.timing.

No test here asserts how fast anything is: timings are measured, and differ
between machines and runs. The timers are checked with a fake clock, and the
timed functions only for the shape of what they return.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from lib.attention import attention_layer
from lib.errors import MaskError, MaskTypeError
from lib.masks import key_mask, self_attention_mask
from lib.memory import memory_table
from lib.timing import (
    Timing,
    compare_times,
    format_timing_table,
    loglog_slope,
    machine_description,
    median_time,
    reference_line,
    synthetic_padding_mask,
    time_attention,
    time_mask_builders,
)


def fake_clock(*ticks: float):
    """A clock that returns ``ticks`` in order, then fails loudly if called again."""
    iterator = iter(ticks)
    return lambda: next(iterator)


# --- the timers, with a fake clock --------------------------------------------------------------

def test_timing_median_and_best():
    timing = Timing((3.0, 1.0, 2.0, 10.0))
    assert timing.median == 2.5 and timing.best == 1.0


def test_median_time_with_a_fake_clock():
    calls = []
    timing = median_time(lambda: calls.append("call"), repeats=3, warmup=2,
                         clock=fake_clock(0.0, 1.0, 1.0, 4.0, 4.0, 6.0))
    assert timing.samples == (1.0, 3.0, 2.0)
    assert timing.median == 2.0
    assert len(calls) == 2 + 3                 # warm-up calls are made, not timed


def test_compare_times_takes_turns_and_times_each_call():
    order = []
    functions = {"a": lambda: order.append("a"), "b": lambda: order.append("b")}
    # a: 1 s, b: 10 s, a: 2 s, b: 20 s
    timings = compare_times(functions, repeats=2, warmup=1,
                            clock=fake_clock(0, 1, 1, 11, 11, 13, 13, 33))
    assert order == ["a", "b", "a", "b", "a", "b"]          # warm-up round, then round robin
    assert timings["a"].samples == (1, 2) and timings["b"].samples == (10, 20)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"functions": {}}, MaskError, r"`functions`: expected a non-empty dict .*, received an empty one"),
    ({"functions": [print]}, MaskTypeError, r"`functions`: expected a non-empty dict"),
    ({"functions": {"x": 3}}, MaskTypeError,
     r"`functions\['x'\]`: expected a callable, received int 3"),
    ({"functions": {"x": print}, "repeats": 0}, MaskError,
     r"`repeats`: expected an int >= 1, received 0"),
    ({"functions": {"x": print}, "warmup": -1}, MaskError,
     r"`warmup`: expected an int >= 0, received -1"),
    ({"functions": {"x": print}, "clock": 0.0}, MaskTypeError,
     r"`clock`: expected a callable, received float 0.0"),
])
def test_compare_times_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        compare_times(**kwargs)


def test_median_time_rejects_a_non_callable():
    with pytest.raises(MaskTypeError, match=r"`function`: expected a callable, received str 'f'"):
        median_time("f")


# --- synthetic padding masks --------------------------------------------------------------------

@pytest.mark.parametrize("batch, length", [(1, 1), (3, 6), (8, 128)])
def test_synthetic_padding_mask_looks_like_real_padding(batch, length):
    mask = synthetic_padding_mask(batch, length, seed=3)
    assert mask.dtype == tf.bool and tuple(mask.shape) == (batch, length)
    array = mask.numpy()
    real = array.sum(axis=1)
    assert (real >= length // 2 + 1).all() and (real <= length).all()
    for row, count in zip(array, real):                     # real tokens first, padding after
        assert row[:count].all() and not row[count:].any()
    assert np.array_equal(array, synthetic_padding_mask(batch, length, seed=3).numpy())


@pytest.mark.parametrize("kwargs, error, match", [
    ({"batch": 0, "length": 4}, MaskError, r"`batch`: expected an int >= 1, received 0"),
    ({"batch": 2, "length": 2.5}, MaskError, r"`length`: expected an int >= 1, received float 2.5"),
    ({"batch": 2, "length": 4, "seed": "0"}, MaskTypeError,
     r"`seed`: expected an int >= 0, received str '0'"),
])
def test_synthetic_padding_mask_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        synthetic_padding_mask(**kwargs)


# --- the timed functions: structure only --------------------------------------------------------

def test_time_mask_builders_feeds_each_builder_padding_masks_of_each_length():
    seen = []

    def recording_builder(padding):
        seen.append(tuple(padding.shape))
        return self_attention_mask(padding)

    timings = time_mask_builders({"square": recording_builder, "keys": key_mask},
                                 batch=2, lengths=[4, 8], repeats=3, warmup=1)
    assert list(timings) == ["square", "keys"]
    assert all(len(series) == 2 for series in timings.values())
    assert all(len(timing.samples) == 3 for series in timings.values() for timing in series)
    assert seen == [(2, 4)] * 4 + [(2, 8)] * 4                 # 1 warm-up + 3 repeats per length


@pytest.mark.parametrize("kwargs, error, match", [
    ({"builders": {}}, MaskError, r"`builders`: expected a non-empty dict"),
    ({"builders": {"k": "key_mask"}}, MaskTypeError,
     r"`builders\['k'\]`: expected a callable, received str"),
    ({"builders": {"k": key_mask}, "batch": -2}, MaskError,
     r"`batch`: expected an int >= 1, received -2"),
    ({"builders": {"k": key_mask}, "lengths": []}, MaskError,
     r"`lengths`: expected a non-empty list of lengths, received an empty list"),
])
def test_time_mask_builders_rejects_bad_arguments(kwargs, error, match):
    arguments = {"batch": 2, "lengths": [4], **kwargs}
    with pytest.raises(error, match=match):
        time_mask_builders(**arguments)


def test_time_attention_passes_each_mask_to_the_layer():
    layer = attention_layer(num_heads=2, key_dim=4, model_dim=8)
    seen = []

    def recording_key_mask(padding):
        seen.append(tuple(padding.shape))
        return key_mask(padding)

    timings = time_attention(layer, 2, [4, 6], {"no mask": None, "keys": recording_key_mask},
                             repeats=2, warmup=0)
    assert list(timings) == ["no mask", "keys"]
    assert [len(timing.samples) for timing in timings["keys"]] == [2, 2]
    assert seen == [(2, 4), (2, 6)]                           # the mask is built once per length


@pytest.mark.parametrize("layer, masks, error, match", [
    ("layer", {"no mask": None}, MaskTypeError,
     r"`layer`: expected a keras.layers.MultiHeadAttention, received str"),
    (keras.layers.MultiHeadAttention(2, 4), {"no mask": None}, MaskError,
     r"`layer`: expected a built layer .*, received an unbuilt layer"),
    (None, {}, MaskError, r"`masks`: expected a non-empty dict"),
    (None, {"bad": 1}, MaskTypeError, r"`masks\['bad'\]`: expected a callable, received int 1"),
])
def test_time_attention_rejects_bad_arguments(layer, masks, error, match):
    layer = attention_layer() if layer is None else layer
    with pytest.raises(error, match=match):
        time_attention(layer, 2, [4], masks)


def test_time_attention_rejects_a_bad_seed():
    with pytest.raises(MaskTypeError, match=r"`seed`: expected an int >= 0, received float 1.5"):
        time_attention(attention_layer(), 2, [4], {"no mask": None}, seed=1.5)


# --- reading the measurements -------------------------------------------------------------------

def test_loglog_slope_of_exact_memory():
    lengths = [128, 256, 512, 1024]
    rows = memory_table(8, lengths, heads=4)
    assert loglog_slope(lengths, [row.attention_mask for row in rows]) == pytest.approx(2)
    assert loglog_slope(lengths, [row.scores for row in rows]) == pytest.approx(2)
    assert loglog_slope(lengths, [row.key_mask for row in rows]) == pytest.approx(1)


@pytest.mark.parametrize("lengths, values, match", [
    ([1, 2], [1.0], r"`values`: expected 2 numbers, one per length, received 1"),
    ([4], [1.0], r"`lengths`: expected at least two different lengths, received \[4\]"),
    ([4, 4], [1.0, 2.0], r"`lengths`: expected at least two different lengths, received \[4, 4\]"),
    ([1, 2], [1.0, 0.0], r"`values\[1\]`: expected a finite number > 0, received 0.0"),
    ([1, 2], [1.0, float("nan")], r"`values\[1\]`: expected a finite number > 0, received nan"),
])
def test_loglog_slope_rejects_bad_arguments(lengths, values, match):
    with pytest.raises(MaskError, match=match):
        loglog_slope(lengths, values)


def test_reference_line_has_the_requested_slope_through_the_anchor():
    line = reference_line([128, 256, 512, 1024], through=(1024, 8.0))
    assert line == [0.125, 0.5, 2.0, 8.0]
    assert loglog_slope([128, 256, 512, 1024], line) == pytest.approx(2)
    assert reference_line([1, 2, 4], through=(1, 3.0), power=1) == [3.0, 6.0, 12.0]


@pytest.mark.parametrize("kwargs, error, match", [
    ({"through": 1024}, MaskTypeError,
     r"`through`: expected a list of items: \(length, value\), received int 1024"),
    ({"through": (1024, 8.0, 1)}, MaskError,
     r"`through`: expected a list of 2 items: \(length, value\), received 3 items"),
    ({"through": (0, 8.0)}, MaskError, r"`through\[0\]`: expected an int >= 1, received 0"),
    ({"through": (1024, -1.0)}, MaskError,
     r"`through\[1\]`: expected a finite number > 0, received -1.0"),
    ({"through": (1024, 8.0), "power": 0}, MaskError,
     r"`power`: expected a finite number > 0, received 0.0"),
])
def test_reference_line_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        reference_line([128, 256], **kwargs)


def test_format_timing_table_splits_names_and_prints_milliseconds():
    timings = {
        "no mask": [Timing((0.001,)), Timing((0.020,))],
        "key_mask (B, 1, S)": [Timing((0.0005, 0.0001, 0.0009)), Timing((0.002,))],
    }
    assert format_timing_table([64, 512], timings).splitlines() == [
        "T = S     no mask    key_mask",
        "                    (B, 1, S)",
        "   64    1.000 ms    0.500 ms",
        "  512   20.000 ms    2.000 ms",
    ]


@pytest.mark.parametrize("timings, error, match", [
    ({}, MaskError,
     r"`timings`: expected a non-empty dict of name -> list of Timing, received an empty one"),
    ({"a": [Timing((1.0,))]}, MaskError,
     r"`timings\['a'\]`: expected 2 Timing objects, one per length, received 1 item"),
    ({"a": [1.0, 2.0]}, MaskTypeError, r"`timings\['a'\]\[0\]`: expected a Timing, received float"),
    ({"a": "slow"}, MaskTypeError,
     r"`timings\['a'\]`: expected a list of Timing objects, received a single str 'slow'"),
])
def test_timing_tables_reject_bad_timings(timings, error, match):
    with pytest.raises(error, match=match):
        format_timing_table([1, 2], timings)


def test_machine_description_names_the_cpus():
    description = machine_description()
    assert description.splitlines()[0].startswith("CPUs usable: ")
    assert "platform:" in description and "processor:" in description
