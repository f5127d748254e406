"""Chapter 11, memory: exact bytes of masks and scores, computed from shapes (lib.memory)."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from lib.errors import MaskError, MaskTypeError
from lib.masks import cross_attention_mask, key_mask, self_attention_mask
from lib.memory import (
    BOOL_BYTES,
    MaskMemory,
    dtype_size,
    format_bytes,
    format_memory_table,
    mask_memory,
    measured_bytes,
    memory_table,
    tensor_bytes,
)
from lib.timing import synthetic_padding_mask

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
    ("2, 6, 6", r"`shape`: expected a list of axis lengths, received a single str '2, 6, 6'"),
    (6, r"`shape`: expected a list of axis lengths, received int 6"),
    ((2, -1, 6), r"`shape\[1\]`: expected an int >= 0, received -1"),
    ((2, 6.0), r"`shape\[1\]`: expected an int >= 0, received float 6.0"),
    ((True, 6), r"`shape\[0\]`: expected an int >= 0, received bool True"),
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


@pytest.mark.parametrize("count, received", [
    (-1, "-1"), (1.5, "float 1.5"), (True, "bool True"), ("1024", "str '1024'")])
def test_format_bytes_rejects_non_counts(count, received):
    with pytest.raises(MaskError, match=rf"`count`: expected an int >= 0, received {received}"):
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
     r"`query_length`: expected an int >= 1, received float 4.0"),
    ({"batch": 2, "query_length": 4, "key_length": -3},
     r"`key_length`: expected an int >= 1, received -3"),
    ({"batch": 2, "query_length": 4, "key_length": 4, "heads": True},
     r"`heads`: expected an int >= 1, received bool True"),
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
    ([], MaskError, r"`lengths`: expected a non-empty list of lengths, received an empty list"),
    ("128", MaskTypeError, r"`lengths`: expected a list of lengths, received a single str '128'"),
    (128, MaskTypeError, r"`lengths`: expected a list of lengths, received int 128"),
    ([128, 0], MaskError, r"`lengths\[1\]`: expected an int >= 1, received 0"),
])
def test_memory_table_rejects_bad_lengths(lengths, error, match):
    with pytest.raises(error, match=match):
        memory_table(8, lengths)


def test_format_memory_table_names_t_s_and_the_dtype_it_was_given():
    """The header once said "T = S ... float32" whatever the rows held."""
    cross = [mask_memory(2, 64, key_length=128, scores_dtype="float16"),
             mask_memory(2, 128, key_length=128, scores_dtype="float16")]
    lines = format_memory_table(cross).splitlines()
    assert lines[0].split() == ["T", "S", "key_mask", "attention_mask", "scores,", "float16"]
    assert lines[2].split() == ["64", "128", "256", "B", "16", "KiB", "32", "KiB"]
    assert format_memory_table(memory_table(1, [4], scores_dtype="float64")).splitlines()[0] \
        .endswith("scores, float64")


@pytest.mark.parametrize("rows, error, match", [
    ([], MaskError, r"`rows`: expected a non-empty list of MaskMemory rows, received an empty list"),
    ([1, 2], MaskTypeError, r"`rows\[0\]`: expected a MaskMemory .*, received int"),
    ([mask_memory(8, 4), mask_memory(2, 4)], MaskError,
     r"`rows`: expected rows with one batch size, .*received B in \[2, 8\]"),
    ([mask_memory(8, 4, heads=2), mask_memory(8, 4)], MaskError, r"received H in \[1, 2\]"),
    ([mask_memory(8, 4, scores_dtype="float16"), mask_memory(8, 4)], MaskError,
     r"received scores dtype in \['float16', 'float32'\]"),
])
def test_format_memory_table_rejects_rows_it_cannot_label(rows, error, match):
    with pytest.raises(error, match=match):
        format_memory_table(rows)
