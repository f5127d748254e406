"""Chapter 11: exact memory of masks and scores, and the logic (not the speed) of the timers.

No test here asserts how fast anything is: timings are measured, and differ
between machines and runs. The timers are checked with a fake clock, and the
timed functions only for the shape of what they return.
"""

from __future__ import annotations

import keras
import matplotlib
import numpy as np
import pytest
import tensorflow as tf

from lib.attention import attention_layer
from lib.cost import (
    BOOL_BYTES,
    MaskMemory,
    Timing,
    compare_times,
    dtype_size,
    format_bytes,
    format_memory_table,
    format_timing_table,
    loglog_slope,
    machine_description,
    mask_memory,
    measured_bytes,
    median_time,
    memory_table,
    plot_memory,
    plot_times,
    reference_line,
    synthetic_padding_mask,
    tensor_bytes,
    time_attention,
    time_mask_builders,
)
from lib.errors import MaskError, MaskTypeError
from lib.masks import cross_attention_mask, key_mask, self_attention_mask

matplotlib.use("Agg")


def fake_clock(*ticks: float):
    """A clock that returns ``ticks`` in order, then fails loudly if called again."""
    iterator = iter(ticks)
    return lambda: next(iterator)


# --- exact memory -------------------------------------------------------------------------------

def test_dtype_sizes_from_names_numpy_and_tensorflow():
    assert BOOL_BYTES == dtype_size("bool") == dtype_size(np.bool_) == dtype_size(tf.bool) == 1
    assert dtype_size("float32") == dtype_size(np.float32) == dtype_size(tf.float32) == 4
    assert dtype_size(np.dtype("int64")) == 8
    assert dtype_size("bfloat16") == 2


def test_unknown_dtype_says_expected_and_received():
    with pytest.raises(
        MaskTypeError, match=r"`dtype`: expected one of \[.*\], received 'complex64'"
    ):
        dtype_size("complex64")


@pytest.mark.parametrize("shape, dtype, expected", [
    ((2, 6, 6), "bool", 72),
    ((8, 1, 4096), "bool", 32768),
    ((8, 4096, 4096), "bool", 8 * 4096 * 4096),
    ((4, 2, 512, 512), "float32", 4 * 4 * 2 * 512 * 512),
    ((3, 0, 5), "bool", 0),
    ((), "float32", 4),
])
def test_tensor_bytes_is_product_of_shape_times_entry_size(shape, dtype, expected):
    assert tensor_bytes(shape, dtype) == expected


@pytest.mark.parametrize("shape, match", [
    ("2, 6, 6", r"`shape`: expected a sequence of ints such as \(B, T, S\), received '2, 6, 6'"),
    (6, r"`shape`: expected a sequence of ints .*, received 6"),
    ((2, -1, 6),
     r"`shape`: expected non-negative int dimensions, received \(2, -1, 6\) \(entry 1 is -1\)"),
    ((2, 6.0), r"`shape`: expected non-negative int dimensions, received .*entry 1 is 6.0"),
    ((True, 6), r"`shape`: expected non-negative int dimensions, received .*entry 0 is True"),
])
def test_tensor_bytes_rejects_bad_shapes(shape, match):
    with pytest.raises(MaskError, match=match):
        tensor_bytes(shape)


@pytest.mark.parametrize("batch, length", [(1, 1), (2, 6), (8, 128), (3, 257)])
def test_measured_bytes_of_real_masks_match_the_formula(batch, length):
    padding = synthetic_padding_mask(batch, length, seed=batch)
    memory = mask_memory(batch, length)
    square, keys = self_attention_mask(padding), key_mask(padding)
    assert tuple(square.shape) == memory.attention_mask_shape
    assert tuple(keys.shape) == memory.key_mask_shape
    assert measured_bytes(square) == memory.attention_mask == batch * length * length
    assert measured_bytes(keys) == memory.key_mask == batch * length


def test_measured_bytes_of_cross_attention_mask():
    queries, keys = synthetic_padding_mask(2, 5, seed=1), synthetic_padding_mask(2, 9, seed=2)
    memory = mask_memory(2, 5, key_length=9)
    assert memory.attention_mask_shape == (2, 5, 9)
    assert measured_bytes(cross_attention_mask(queries, keys)) == memory.attention_mask == 90


def test_measured_bytes_accepts_numpy_and_rejects_lists():
    assert measured_bytes(np.zeros((2, 3), dtype=np.float32)) == 24
    with pytest.raises(
        MaskTypeError, match=r"`tensor`: expected a tf.Tensor or a NumPy array, received list"
    ):
        measured_bytes([[True, False]])


@pytest.mark.parametrize("count, text", [
    (0, "0 B"), (1023, "1023 B"), (1024, "1 KiB"), (1536, "1.5 KiB"),
    (2**20, "1 MiB"), (128 * 2**20, "128 MiB"), (2**32, "4 GiB"), (2**40, "1 TiB"),
])
def test_format_bytes_uses_binary_units(count, text):
    assert format_bytes(count) == text


@pytest.mark.parametrize("count", [-1, 1.5, True, "1024"])
def test_format_bytes_rejects_non_counts(count):
    with pytest.raises(MaskError, match=rf"`count`: expected an int >= 0, received {count!r}"):
        format_bytes(count)


def test_mask_memory_ratios():
    memory = mask_memory(batch=8, length=4096, heads=8)
    assert memory.scores_shape == (8, 8, 4096, 4096)
    assert memory.attention_mask == 128 * 2**20
    assert memory.key_mask == 32 * 2**10
    assert memory.head_scores == 4 * memory.attention_mask
    assert memory.scores == 4 * 8 * memory.attention_mask
    assert mask_memory(8, 16, heads=2, scores_dtype="float16").head_scores == 2 * 8 * 16 * 16


@pytest.mark.parametrize("kwargs, match", [
    ({"batch": 0, "query_length": 4, "key_length": 4},
     r"`batch`: expected an int >= 1, received 0"),
    ({"batch": 2, "query_length": 4.0, "key_length": 4},
     r"`query_length`: expected an int >= 1, received 4.0"),
    ({"batch": 2, "query_length": 4, "key_length": -3},
     r"`key_length`: expected an int >= 1, received -3"),
    ({"batch": 2, "query_length": 4, "key_length": 4, "heads": True},
     r"`heads`: expected an int >= 1, received True"),
    ({"batch": 2, "query_length": 4, "key_length": 4, "scores_dtype": "complex64"},
     r"`scores_dtype`: expected one of .*, received 'complex64'"),
])
def test_mask_memory_rejects_bad_arguments(kwargs, match):
    with pytest.raises(MaskError, match=match):
        MaskMemory(**kwargs)


def test_memory_table_and_its_text_are_deterministic():
    rows = memory_table(8, [128, 4096], heads=8)
    assert [row.query_length for row in rows] == [128, 4096]
    assert format_memory_table(rows).splitlines() == [
        "T = S    key_mask   attention_mask   scores, float32",
        "        (B, 1, S)        (B, T, S)      (B, H, T, S)",
        "  128       1 KiB          128 KiB             4 MiB",
        " 4096      32 KiB          128 MiB             4 GiB",
    ]


@pytest.mark.parametrize("lengths, error, match", [
    ([], MaskError, r"`lengths`: expected at least one length, received an empty sequence"),
    ("128", MaskTypeError, r"`lengths`: expected a sequence of positive ints, received '128'"),
    (128, MaskTypeError, r"`lengths`: expected a sequence of positive ints, received 128"),
    ([128, 0], MaskError, r"`lengths\[1\]`: expected an int >= 1, received 0"),
])
def test_memory_table_rejects_bad_lengths(lengths, error, match):
    with pytest.raises(error, match=match):
        memory_table(8, lengths)


def test_format_memory_table_rejects_other_rows():
    with pytest.raises(
        MaskTypeError, match=r"`rows`: expected a non-empty list of MaskMemory, received \[\]"
    ):
        format_memory_table([])


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
    ({"functions": {}}, MaskTypeError, r"`functions`: expected a non-empty dict .*, received \{\}"),
    ({"functions": [print]}, MaskTypeError, r"`functions`: expected a non-empty dict"),
    ({"functions": {"x": 3}}, MaskTypeError,
     r"`functions\['x'\]`: expected a callable, received int 3"),
    ({"functions": {"x": print}, "repeats": 0}, MaskError,
     r"`repeats`: expected an int >= 1, received 0"),
    ({"functions": {"x": print}, "warmup": -1}, MaskError,
     r"`warmup`: expected an int >= 0, received -1"),
    ({"functions": {"x": print}, "clock": 0.0}, MaskTypeError,
     r"`clock`: expected a callable, received float"),
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
    ({"batch": 2, "length": 2.5}, MaskError, r"`length`: expected an int >= 1, received 2.5"),
    ({"batch": 2, "length": 4, "seed": "0"}, MaskTypeError,
     r"`seed`: expected an int, received '0'"),
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
    ({"builders": {}}, MaskTypeError, r"`builders`: expected a non-empty dict"),
    ({"builders": {"k": "key_mask"}}, MaskTypeError,
     r"`builders\['k'\]`: expected a callable, received str"),
    ({"builders": {"k": key_mask}, "batch": -2}, MaskError,
     r"`batch`: expected an int >= 1, received -2"),
    ({"builders": {"k": key_mask}, "lengths": []}, MaskError,
     r"`lengths`: expected at least one length"),
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
    (None, {}, MaskTypeError, r"`masks`: expected a non-empty dict"),
    (None, {"bad": 1}, MaskTypeError, r"`masks\['bad'\]`: expected a callable, received int 1"),
])
def test_time_attention_rejects_bad_arguments(layer, masks, error, match):
    layer = attention_layer() if layer is None else layer
    with pytest.raises(error, match=match):
        time_attention(layer, 2, [4], masks)


def test_time_attention_rejects_a_bad_seed():
    with pytest.raises(MaskTypeError, match=r"`seed`: expected an int, received 1.5"):
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
    ([1, 2], [1.0, 0.0],
     r"`values`: expected positive numbers \(their logarithm is taken\), received"),
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
    ({"through": [1024, 8.0]}, MaskTypeError,
     r"`through`: expected a \(length, value\) pair, received \[1024, 8.0\]"),
    ({"through": (0, 8.0)}, MaskError, r"`through\[0\]`: expected an int >= 1, received 0"),
    ({"through": (1024, -1.0)}, MaskError,
     r"`through\[1\]`: expected a positive number, received -1.0"),
    ({"through": (1024, 8.0), "power": 0}, MaskError,
     r"`power`: expected a positive number, received 0"),
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
    ({}, MaskTypeError,
     r"`timings`: expected a non-empty dict of name -> list of Timing, received \{\}"),
    ({"a": [Timing((1.0,))]}, MaskError,
     r"`timings\['a'\]`: expected 2 Timing objects, one per length, received 1 item"),
    ({"a": [1.0, 2.0]}, MaskError,
     r"`timings\['a'\]`: expected 2 Timing objects, one per length, received 2 item"),
    ({"a": "slow"}, MaskTypeError, r"`timings\['a'\]`: expected a list of Timing, received 'slow'"),
])
def test_timing_tables_and_plots_reject_bad_timings(timings, error, match):
    with pytest.raises(error, match=match):
        format_timing_table([1, 2], timings)
    with pytest.raises(error, match=match):
        plot_times([1, 2], timings, "title")


def test_machine_description_names_the_cpus():
    description = machine_description()
    assert description.splitlines()[0].startswith("CPUs usable: ")
    assert "platform:" in description and "processor:" in description


# --- figures ------------------------------------------------------------------------------------

def test_plot_memory_draws_one_line_per_quantity_on_log_axes():
    fig = plot_memory(memory_table(8, [128, 256, 512], heads=8), title="memory")
    ax = fig.axes[0]
    assert (ax.get_xscale(), ax.get_yscale(), ax.get_title()) == ("log", "log", "memory")
    assert len(ax.get_lines()) == 4
    single_head = plot_memory(memory_table(8, [128, 256], heads=1))
    assert len(single_head.axes[0].get_lines()) == 3          # one head: no separate per-head line


def test_plot_times_draws_medians_and_the_reference_line():
    timings = {"a": [Timing((0.001, 0.002, 0.003)), Timing((0.004,))], "b": [Timing((0.001,))] * 2}
    fig = plot_times([8, 16], timings, "measured", reference="a")
    ax = fig.axes[0]
    assert (ax.get_xscale(), ax.get_yscale(), ax.get_title()) == ("log", "log", "measured")
    reference = [line for line in ax.get_lines() if line.get_label() == "O(B·T·S): slope 2"]
    assert len(reference) == 1
    assert list(reference[0].get_ydata()) == pytest.approx([1.0, 4.0])   # ms, through (16, 4 ms)
    assert sorted(text.get_text() for text in ax.get_legend().get_texts()) == [
        "O(B·T·S): slope 2", "a", "b"]


def test_plot_times_rejects_an_unknown_reference():
    with pytest.raises(MaskError, match=r"`reference`: expected one of \['a'\], received 'c'"):
        plot_times([8], {"a": [Timing((0.001,))]}, "t", reference="c")


def test_plots_reject_other_rows():
    with pytest.raises(MaskTypeError, match=r"`rows`: expected a non-empty list of MaskMemory"):
        plot_memory([1, 2])
