"""Input checks shared by the modules of :mod:`lib` (not part of the taught API)."""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from lib.errors import MaskError, MaskTypeError


def as_tensor(value: Any, argument: str) -> tf.Tensor:
    """Turn a NumPy array, nested list or tensor into a ``tf.Tensor`` (no copy for tensors)."""
    if isinstance(value, tf.Tensor):
        return value
    if hasattr(value, "numpy") and callable(value.numpy):  # tf.Variable, Keras tensors in eager
        return tf.convert_to_tensor(value)
    try:
        array = np.asarray(value)
    except ValueError:  # NumPy >= 1.24 refuses ragged nested lists outright
        array = None
    if array is None or array.dtype == object:
        raise MaskTypeError.expected(
            argument,
            "a rectangular array of numbers or booleans",
            f"ragged or mixed data ({type(value).__name__})",
            "Pad the sequences to one length first (lib.padding.pad_batch).",
        )
    return tf.convert_to_tensor(array)


def describe(tensor: tf.Tensor) -> str:
    """``shape (2, 6) and dtype int32``: how error messages name what arrived."""
    return f"shape {tuple(tensor.shape)} and dtype {tensor.dtype.name}"


def check_rank(tensor: tf.Tensor, rank: int, argument: str, layout: str, hint: str = "") -> None:
    """Raise :class:`MaskError` unless ``tensor`` has exactly ``rank`` axes."""
    if tensor.shape.rank != rank:
        raise MaskError.expected(
            argument, f"rank {rank} {layout}", f"rank {tensor.shape.rank} ({describe(tensor)})", hint
        )


def check_bool(tensor: tf.Tensor, argument: str) -> None:
    """Raise :class:`MaskTypeError` unless ``tensor`` is boolean."""
    if tensor.dtype != tf.bool:
        raise MaskTypeError.expected(
            argument,
            "dtype bool",
            f"dtype {tensor.dtype.name}",
            "Masks are boolean (True = may attend); `&` on integers is bitwise. "
            "Use lib.masks.padding_mask(token_ids) or tf.cast(mask, tf.bool).",
        )


def check_integer(tensor: tf.Tensor, argument: str) -> None:
    """Raise :class:`MaskTypeError` unless ``tensor`` holds integers."""
    if not tensor.dtype.is_integer:
        raise MaskTypeError.expected(
            argument,
            "integer token ids",
            f"dtype {tensor.dtype.name}",
            "Token ids are whole numbers, with 0 reserved for padding.",
        )
