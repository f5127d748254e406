"""Every input check of :mod:`lib`, in one place.

Each public function of ``lib`` checks its arguments with the functions below
and is decorated with :func:`public_api`. A check raises a
:class:`~lib.errors.MaskError` or :class:`~lib.errors.MaskTypeError` whose
first line names the argument, what was expected and what was received;
:func:`public_api` then adds the second layer, the call it happened in.

The checks, grouped by what they look at:

- plain Python arguments: :func:`integer`, :func:`real`, :func:`flag`,
  :func:`one_of`, :func:`text`, :func:`function`, :func:`mapping`,
  :func:`sequence`, :func:`integers`, :func:`labels`, :func:`float_dtype`;
- arrays: :func:`as_array` (NumPy) and :func:`as_tensor` (TensorFlow), then
  :func:`rank`, :func:`dtype_family`, :func:`finite`, :func:`in_range`,
  :func:`same_length`;
- what the book's arrays mean: :func:`token_ids`, :func:`token_sequence`,
  :func:`padding_mask`, :func:`boolean_mask`, :func:`binary_values`,
  :func:`additive_values`, :func:`mask_values`.

The tensor checks also work inside ``tf.function``: what the static shape and
dtype tell is checked while tracing; a check of *values* that exist only when
the graph runs (a negative id, an all-padding row) becomes a ``tf.debugging``
assertion whose message starts with the same first line.

>>> integer(3, "length", minimum=1)
3
>>> integer(0, "length", minimum=1)
Traceback (most recent call last):
...
lib.errors.MaskError: `length`: expected an int >= 1, received 0.
>>> as_array([[1, 2], [3]], "token_ids")
Traceback (most recent call last):
...
lib.errors.MaskTypeError: `token_ids`: expected a rectangular array of numbers or booleans, rece...
  Pad the sequences to one length first (lib.padding.pad_batch).
"""

from __future__ import annotations

import functools
import inspect
import numbers
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import numpy as np

from lib.errors import MaskError, MaskTypeError

F = TypeVar("F", bound=Callable[..., Any])

ADDITIVE_THRESHOLD = -1e4
"""An additive-mask entry at or below this counts as *drop* (older BERT code used -10000.0)."""

INT32_MAX = int(np.iinfo(np.int32).max)
"""The largest token id a (B, S) ``int32`` batch can hold."""

_SUMMARY_WIDTH = 48


# --- the second layer: the call an error happened in -------------------------------------------

def summarize(value: Any) -> str:
    """A short description of an argument for error messages: arrays by dtype and shape.

    >>> summarize(np.zeros((2, 6), dtype=np.int32)), summarize([[1, 3], [6, 0]]), summarize(7)
    ('<int32 (2, 6)>', '[[1, 3], [6, 0]]', '7')
    """
    if isinstance(value, type):  # np.float16, a class: its shape is a descriptor
        return value.__name__
    shape, dtype = getattr(value, "shape", None), getattr(value, "dtype", None)
    if shape is not None and dtype is not None and not isinstance(value, (str, bytes)):
        return f"<{getattr(dtype, 'name', dtype)} {tuple(shape)}>"
    if isinstance(value, dict) and not _plain(list(value.values())):
        return f"<dict of {len(value)}>"
    if isinstance(value, (list, tuple)) and not _plain(value):
        kinds = sorted({type(item).__name__ for item in value})
        return f"<{type(value).__name__} of {len(value)} {'/'.join(kinds)}>"
    if isinstance(value, (str, bytes, numbers.Number, list, tuple, dict, set, type(None))):
        text = repr(value)
        return text if len(text) <= _SUMMARY_WIDTH else text[: _SUMMARY_WIDTH - 3] + "..."
    return f"<{type(value).__name__}>"


def _plain(value: Any) -> bool:
    """True for numbers, strings, None and (nested) lists and tuples of them."""
    if isinstance(value, (list, tuple)):
        return all(_plain(item) for item in value)
    return isinstance(value, (str, bytes, numbers.Number, type(None)))


def _call_summary(signature: inspect.Signature, args: tuple, kwargs: dict) -> str:
    """``token_ids=<int32 (1, 2, 4)>, pad_id=0``: the arguments as the caller passed them."""
    try:
        bound = signature.bind_partial(*args, **kwargs)
    except TypeError:
        return "..."
    parts = []
    for name, value in bound.arguments.items():
        kind = signature.parameters[name].kind
        if name in ("self", "cls"):
            continue
        if kind is inspect.Parameter.VAR_POSITIONAL:
            parts.extend(summarize(item) for item in value)
        elif kind is inspect.Parameter.VAR_KEYWORD:
            parts.extend(f"{key}={summarize(item)}" for key, item in value.items())
        else:
            parts.append(f"{name}={summarize(value)}")
    return ", ".join(parts)


def public_api(function: F) -> F:
    """Mark a public function of ``lib``: an error leaving it names the call, with its arguments.

    The error itself is unchanged (same type, same first line); the context is added
    as its second layer. Nested public calls each add a line, innermost first.

    >>> @public_api
    ... def halve(length):
    ...     return integer(length, "length", minimum=2) // 2
    >>> halve(1)
    Traceback (most recent call last):
    ...
    lib.errors.MaskError: `length`: expected an int >= 2, received 1.
      in lib.checks.halve(length=1)
    """
    name = f"{function.__module__}.{function.__qualname__}".replace(".<locals>", "")
    signature = inspect.signature(function)

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except MaskError as error:
            error.add_context(f"in {name}({_call_summary(signature, args, kwargs)})")
            raise

    return wrapper  # type: ignore[return-value]


# --- plain Python arguments ---------------------------------------------------------------------

def _shown(value: Any) -> str:
    text = repr(value.item() if isinstance(value, np.generic) else value)
    return text if len(text) <= 60 else text[:57] + "..."


def _typed(value: Any) -> str:
    return f"{type(value).__name__} {_shown(value)}"


def _bounds(kind: str, minimum: Any, maximum: Any) -> str:
    if minimum is not None and maximum is not None:
        return f"{kind} from {minimum} to {maximum}"
    if minimum is not None:
        return f"{kind} >= {minimum}"
    if maximum is not None:
        return f"{kind} <= {maximum}"
    return kind


def integer(value: Any, argument: str, minimum: int | None = None, maximum: int | None = None,
            hint: str = "") -> int:
    """A Python or NumPy int (not a bool) within ``minimum`` .. ``maximum``, as an ``int``.

    >>> integer(np.int64(4), "heads", 1, 8)
    4
    >>> integer(True, "heads")
    Traceback (most recent call last):
    ...
    lib.errors.MaskTypeError: `heads`: expected an int, received bool True.
    """
    wanted = _bounds("an int", minimum, maximum)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise MaskTypeError.expected(argument, wanted, _typed(value), hint)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise MaskError.expected(argument, wanted, repr(int(value)), hint)
    return int(value)


def real(value: Any, argument: str, minimum: float | None = None, maximum: float | None = None,
         *, above: float | None = None, allow_infinite: bool = False, hint: str = "") -> float:
    """A real number (not a bool, not NaN; finite unless ``allow_infinite``) within the bounds.

    ``above`` is an exclusive lower bound: ``above=0`` asks for a positive number.

    >>> real(2, "power", above=0)
    2.0
    >>> real(float("nan"), "power", above=0)
    Traceback (most recent call last):
    ...
    lib.errors.MaskError: `power`: expected a finite number > 0, received nan.
    """
    kind = "a number" if allow_infinite else "a finite number"
    wanted = f"{kind} > {above}" if above is not None else _bounds(kind, minimum, maximum)
    if above is not None and maximum is not None:
        wanted += f" and <= {maximum}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise MaskTypeError.expected(argument, wanted, _typed(value), hint)
    number = float(value)
    if (
        np.isnan(number)
        or (np.isinf(number) and not allow_infinite)
        or (minimum is not None and number < minimum)
        or (maximum is not None and number > maximum)
        or (above is not None and number <= above)
    ):
        raise MaskError.expected(argument, wanted, repr(number), hint)
    return number


def flag(value: Any, argument: str) -> bool:
    """``True`` or ``False`` (a NumPy bool too), never a truthy stand-in such as ``1`` or ``"no"``.

    >>> flag(np.bool_(True), "causal")
    True
    """
    if not isinstance(value, (bool, np.bool_)):
        raise MaskTypeError.expected(argument, "True or False", _typed(value))
    return bool(value)


def one_of(value: Any, argument: str, options: Iterable[Any]) -> Any:
    """``value`` if it is one of ``options``.

    >>> one_of("pre", "padding", ("post", "pre"))
    'pre'
    """
    options = tuple(options)
    if isinstance(value, (list, dict, set)) or value not in options:
        wanted = " or ".join(repr(option) for option in options)
        raise MaskError.expected(argument, wanted, _shown(value))
    return value


def text(value: Any, argument: str, what: str = "a str") -> str:
    """A ``str``."""
    if not isinstance(value, str):
        raise MaskTypeError.expected(argument, what, _typed(value))
    return value


def function(value: Any, argument: str, what: str = "a callable") -> Callable:
    """Something callable."""
    if not callable(value):
        raise MaskTypeError.expected(argument, what, _typed(value))
    return value


def instance_of(value: Any, argument: str, cls: type | tuple[type, ...], what: str) -> Any:
    """``value`` if it is an instance of ``cls``; ``what`` says what is expected, in words.

    >>> instance_of([1], "rows", dict, "a dict of rows")
    Traceback (most recent call last):
    ...
    lib.errors.MaskTypeError: `rows`: expected a dict of rows, received list.
    """
    if not isinstance(value, cls):
        raise MaskTypeError.expected(argument, what, type(value).__name__)
    return value


def mapping(value: Any, argument: str, what: str) -> Mapping:
    """A non-empty mapping (a dict, say)."""
    if not isinstance(value, Mapping):
        raise MaskTypeError.expected(argument, f"a non-empty dict of {what}", _typed(value))
    if not value:
        raise MaskError.expected(argument, f"a non-empty dict of {what}", "an empty one")
    return value


def sequence(value: Any, argument: str, what: str, minimum: int = 1,
             maximum: int | None = None, hint: str = "") -> list:
    """The items of a list, tuple or other iterable (never of a single ``str`` or ``bytes``,
    whose items would be characters), between ``minimum`` and ``maximum`` of them.

    >>> sequence(("a", "b"), "sentences", "sentences")
    ['a', 'b']
    >>> sequence("This is short", "sentences", "sentences")
    Traceback (most recent call last):
    ...
    lib.errors.MaskTypeError: `sentences`: expected a list of sentences, received a single str '...
      Wrap it in a list.
    """
    if isinstance(value, (str, bytes)):
        raise MaskTypeError.expected(
            argument, f"a list of {what}", f"a single {type(value).__name__} {_shown(value)}",
            hint or "Wrap it in a list.",
        )
    try:
        if isinstance(value, Mapping):
            raise TypeError
        items = list(value)
    except TypeError:  # not iterable (a number, a 0-d array) or a dict
        raise MaskTypeError.expected(argument, f"a list of {what}", _typed(value), hint) from None
    if len(items) < minimum or (maximum is not None and len(items) > maximum):
        if maximum is not None and maximum == minimum:
            wanted = f"a list of {minimum} {what}"
        elif maximum is not None:
            wanted = f"a list of {minimum} to {maximum} {what}"
        elif minimum == 1:
            wanted = f"a non-empty list of {what}"
        else:
            wanted = f"a list of at least {minimum} {what}"
        received = "an empty list" if not items else f"{len(items)} {what}"
        raise MaskError.expected(argument, wanted, received, hint)
    return items


def integers(values: Any, argument: str, minimum: int | None = 1, maximum: int | None = None,
             what: str = "lengths") -> list[int]:
    """A non-empty list of ints, each within the bounds (e.g. sequence lengths).

    >>> integers((128, 256), "lengths")
    [128, 256]
    """
    items = sequence(values, argument, what)
    return [integer(item, f"{argument}[{index}]", minimum, maximum)
            for index, item in enumerate(items)]


def labels(values: Any, count: int, argument: str, what: str = "positions") -> list[str] | None:
    """``None``, or one label per position: exactly ``count`` of them, as strings.

    >>> labels(["This", "is"], 2, "row_labels")
    ['This', 'is']
    >>> labels(["This"], 2, "row_labels")
    Traceback (most recent call last):
    ...
    lib.errors.MaskError: `row_labels`: expected 2 labels, one per positions, received 1: ['This'].
    """
    if values is None:
        return None
    items = sequence(values, argument, "labels", minimum=0)
    if len(items) != count:
        raise MaskError.expected(
            argument, f"{count} labels, one per {what}", f"{len(items)}: {_shown(items)}"
        )
    return [str(item) for item in items]


def float_dtype(value: Any, argument: str) -> np.dtype:
    """A floating NumPy dtype from a name, a NumPy type or a TensorFlow dtype.

    >>> float_dtype("float16", "dtype")
    dtype('float16')
    >>> float_dtype(bool, "dtype")
    Traceback (most recent call last):
    ...
    lib.errors.MaskTypeError: `dtype`: expected a float dtype (float16, float32 or float64), rec...
    """
    wanted = "a float dtype (float16, float32 or float64)"
    try:
        dtype = np.dtype(getattr(value, "as_numpy_dtype", value))
    except TypeError:
        raise MaskTypeError.expected(argument, wanted, _typed(value)) from None
    if not np.issubdtype(dtype, np.floating):
        raise MaskTypeError.expected(argument, wanted, str(dtype))
    return dtype


def index(value: Any, argument: str, size: int) -> int:
    """An int from 0 to ``size - 1``: a batch index, a head, a sentence.

    >>> index(2, "head", 2)
    Traceback (most recent call last):
    ...
    lib.errors.MaskError: `head`: expected an int from 0 to 1, received 2.
    """
    return integer(value, argument, 0, size - 1)


# --- arrays ------------------------------------------------------------------------------------

def describe(value: Any) -> str:
    """``shape (2, 6) and dtype int32``: how error messages name an array that arrived.

    >>> describe(np.ones((2, 6), dtype=bool))
    'shape (2, 6) and dtype bool'
    """
    dtype = getattr(value, "dtype", None)
    return f"shape {tuple(value.shape)} and dtype {getattr(dtype, 'name', dtype)}"


def _is_symbolic(value: Any) -> bool:
    tf = sys.modules.get("tensorflow")
    return tf is not None and isinstance(value, tf.Tensor) and not hasattr(value, "_numpy")


def as_array(value: Any, argument: str, hint: str = "") -> np.ndarray:
    """A NumPy array of numbers or booleans from an array, a nested list or an eager tensor.

    Ragged nested lists, strings, objects, integers too large for 64 bits and symbolic
    tensors (inside ``tf.function``) are refused.
    """
    if _is_symbolic(value):
        raise MaskTypeError.expected(
            argument, "a concrete array (NumPy, nested list or eager tensor)",
            f"a symbolic tensor ({describe(value)})",
            "This function computes in NumPy: call it outside tf.function.",
        )
    if hasattr(value, "numpy") and callable(value.numpy):  # tf.Tensor, tf.Variable, keras.Variable
        value = value.numpy()
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):  # NumPy >= 1.24 refuses ragged nested lists outright
        array = None
    if array is None:
        raise MaskTypeError.expected(
            argument, "a rectangular array of numbers or booleans",
            f"ragged nested lists ({type(value).__name__})",
            hint or "Pad the sequences to one length first (lib.padding.pad_batch).",
        )
    if array.dtype == object:
        flat = list(array.reshape(-1))
        odd = [item for item in flat if not isinstance(item, (numbers.Number, np.bool_))]
        if not odd:
            raise MaskError.expected(
                argument, "integers that fit in 64 bits",
                f"{_shown(max(flat, key=abs))} among them", hint,
            )
        raise MaskTypeError.expected(
            argument, "a rectangular array of numbers or booleans",
            f"{type(value).__name__} holding {_typed(odd[0])}", hint,
        )
    if not (array.dtype == np.bool_ or np.issubdtype(array.dtype, np.number)):
        raise MaskTypeError.expected(
            argument, "an array of numbers or booleans", f"dtype {array.dtype}", hint
        )
    return array


def as_tensor(value: Any, argument: str, hint: str = "") -> Any:
    """A ``tf.Tensor`` from a tensor (returned as it is, symbolic ones too), a variable, an array
    or a nested list; the same refusals as :func:`as_array`."""
    import tensorflow as tf

    if isinstance(value, tf.Tensor):
        return value
    return tf.convert_to_tensor(as_array(value, argument, hint))


def _rank_of(value: Any) -> int | None:
    shape = value.shape
    return getattr(shape, "rank", None) if hasattr(shape, "rank") else len(shape)


def rank(value: Any, ranks: int | tuple[int, ...], argument: str, layout: str,
         hint: str = "") -> int:
    """The rank (number of axes) of an array or tensor, if it is one of ``ranks``.

    >>> rank(np.ones((1, 2, 4)), 2, "token_ids", "(B, S) token ids")
    Traceback (most recent call last):
    ...
    lib.errors.MaskError: `token_ids`: expected rank 2 (B, S) token ids, received rank 3 (shape ...
    """
    wanted = (ranks,) if isinstance(ranks, int) else tuple(ranks)
    actual = _rank_of(value)
    if actual not in wanted:
        expected = f"rank {' or '.join(str(r) for r in wanted)} {layout}"
        received = ("a tensor of unknown rank (give tf.function an input_signature with a shape)"
                    if actual is None else f"rank {actual} ({describe(value)})")
        raise MaskError.expected(argument, expected, received, hint)
    return actual


_FAMILIES = {
    "bool": ("dtype bool", lambda dtype: dtype == np.bool_),
    "integer": ("an integer dtype", lambda dtype: np.issubdtype(dtype, np.integer)),
    "float": ("a float dtype", lambda dtype: np.issubdtype(dtype, np.floating)),
    "number": ("a number dtype (not bool)", lambda dtype: np.issubdtype(dtype, np.number)),
}


def _numpy_dtype(value: Any) -> np.dtype:
    dtype = value.dtype
    return np.dtype(getattr(dtype, "as_numpy_dtype", dtype))


def dtype_family(value: Any, argument: str, family: str, meaning: str = "", hint: str = "") -> None:
    """Raise :class:`~lib.errors.MaskTypeError` unless the dtype of ``value`` is of ``family``:
    ``"bool"``, ``"integer"``, ``"float"`` or ``"number"``.

    >>> dtype_family(np.array([0.0, -1e9]), "mask", "bool", "True = may attend")
    Traceback (most recent call last):
    ...
    lib.errors.MaskTypeError: `mask`: expected dtype bool (True = may attend), received dtype fl...
    """
    name, accepts = _FAMILIES[family]
    dtype = getattr(value.dtype, "name", value.dtype)
    if not accepts(_numpy_dtype(value)):
        wanted = f"{name} ({meaning})" if meaning else name
        raise MaskTypeError.expected(argument, wanted, f"dtype {dtype}", hint)


def _graph_assert(condition: Any, error: MaskError, data: list) -> Any:
    """A ``tf.debugging.Assert`` op (for symbolic tensors) whose message is ``error``'s cause and
    hint on one line, followed by ``data``, the offending positions or values."""
    import tensorflow as tf

    message = " ".join(part for part in (error.cause, error.hint) if part)
    return tf.debugging.Assert(condition, [message, *data], summarize=20)


def _guarded(tensor: Any, assertions: list) -> Any:
    """``tensor`` that depends on ``assertions``, so they run whenever it is computed."""
    import tensorflow as tf

    if not assertions:
        return tensor
    with tf.control_dependencies(assertions):
        return tf.identity(tensor)


def finite(value: Any, argument: str) -> Any:
    """Refuse NaN and infinite entries of a float array or tensor; returns ``value``.

    >>> finite(np.array([0.5, np.nan]), "weights")
    Traceback (most recent call last):
    ...
    lib.errors.MaskError: `weights`: expected finite numbers, received 1 NaN or infinite entry, ...
    """
    if not np.issubdtype(_numpy_dtype(value), np.floating):
        return value
    if _is_symbolic(value):
        import tensorflow as tf

        message = f"`{argument}`: expected finite numbers, received NaN or infinite entries."
        return tf.debugging.assert_all_finite(value, message)
    array = value.numpy() if hasattr(value, "numpy") else np.asarray(value)
    bad = np.argwhere(~np.isfinite(array))
    if bad.size:
        count = len(bad)
        where = [tuple(int(i) for i in row) for row in bad[:5]]
        raise MaskError.expected(
            argument, "finite numbers",
            f"{count} NaN or infinite entr{'y' if count == 1 else 'ies'}, at index {where}",
        )
    return value


def in_range(array: np.ndarray, argument: str, minimum: int | float | None,
             maximum: int | float | None, what: str = "values", hint: str = "") -> np.ndarray:
    """Refuse entries of a NumPy array below ``minimum`` or above ``maximum``, naming them.

    >>> in_range(np.array([1, 3, 9]), "token_ids", 0, 7, "ids")
    Traceback (most recent call last):
    ...
    lib.errors.MaskError: `token_ids`: expected ids from 0 to 7, received 9 at position (2,).
    """
    low = np.zeros(array.shape, bool) if minimum is None else array < minimum
    high = np.zeros(array.shape, bool) if maximum is None else array > maximum
    bad = np.argwhere(low | high)
    if bad.size:
        values = [array[tuple(row)].item() for row in bad[:5]]
        positions = [tuple(int(i) for i in row) for row in bad[:5]]
        if len(bad) == 1:
            received = f"{values[0]} at position {positions[0]}"
        else:
            received = f"{values} at positions {positions}" + (" and more" if len(bad) > 5 else "")
        raise MaskError.expected(argument, _bounds(what, minimum, maximum), received, hint)
    return array


def same_batch(first: Any, first_argument: str, second: Any, second_argument: str) -> None:
    """Refuse two arrays or tensors whose first axes (B) differ.

    >>> same_batch(np.ones((2, 6)), "query_padding_mask", np.ones((3, 4)), "key_padding_mask")
    Traceback (most recent call last):
    ...
    lib.errors.MaskError: `key_padding_mask`: expected the same batch size B=2 as `query_padding...
    """
    batch, other = first.shape[0], second.shape[0]
    if batch is not None and other is not None and batch != other:
        raise MaskError.expected(
            second_argument,
            f"the same batch size B={batch} as `{first_argument}` {tuple(first.shape)}",
            f"B={other} (shape {tuple(second.shape)})",
        )


def length(value: Any, argument: str) -> Any:
    """A sequence length >= 1: an int, or a scalar integer tensor such as ``tf.shape(x)[1]``
    (checked by a graph assertion when symbolic); returns an int or an ``int32`` tensor."""
    tf = sys.modules.get("tensorflow")
    if tf is None or not isinstance(value, (tf.Tensor, tf.Variable)):
        return integer(value, argument, minimum=1)
    wanted = "an int >= 1, or a scalar integer tensor"
    if value.shape.rank != 0 or not value.dtype.is_integer:
        raise MaskTypeError.expected(argument, wanted, f"a tensor ({describe(value)})")
    if not _is_symbolic(value):
        return integer(int(value), argument, minimum=1)
    error = MaskError.expected(argument, wanted, "a length < 1", "Received:")
    tensor = tf.cast(value, tf.int32)
    return _guarded(tensor, [_graph_assert(tensor >= 1, error, [tensor])])


def same_length(count: int, expected: int, argument: str, what: str) -> None:
    """Refuse ``count`` items where ``expected`` are needed (one per sentence, per length, ...)."""
    if count != expected:
        raise MaskError.expected(argument, f"{expected} {what}", f"{count}")


def attention_layer(value: Any, argument: str = "layer", built: bool = True) -> Any:
    """A ``keras.layers.MultiHeadAttention`` (built, unless ``built=False``)."""
    import keras

    hint = "Build one with lib.attention.attention_layer()."
    if not isinstance(value, keras.layers.MultiHeadAttention):
        raise MaskTypeError.expected(
            argument, "a keras.layers.MultiHeadAttention", type(value).__name__, hint
        )
    if built and not value.built:
        raise MaskError.expected(
            argument, "a built layer (call it once, or use attention_layer())", "an unbuilt layer",
            hint,
        )
    return value


# --- what the book's arrays mean --------------------------------------------------------------

_SEED_HINT = (
    "An Embedding's input is a (batch, sequence) matrix of token ids; a 3-D input such as "
    "[[[1, 0, 3, 0], [1, 2, 0, 0]]] has an extra axis, so its mask and everything built on it "
    "gain an axis too. Remove the extra axis (e.g. ids[0]) before building masks."
)

BOOL_HINT = (
    "Masks are boolean (True = may attend); '&' on integers is bitwise. "
    "Use lib.masks.padding_mask(token_ids) or tf.cast(mask, tf.bool)."
)


def _not_empty(tensor: Any, argument: str, received: Any) -> None:
    batch, length = tensor.shape
    if batch == 0 or length == 0:
        raise MaskError.expected(
            argument, "at least one sequence of at least one token",
            f"an empty batch ({describe(received)})",
        )


def _rows_with_a_token(mask: Any, argument: str) -> list:
    """Refuse all-False rows of a (B, S) boolean tensor: eagerly now, or as a graph assertion."""
    import tensorflow as tf

    empty = ~tf.reduce_any(mask, axis=1)
    expected = "at least one real (True) token in every sequence"
    hint = "A query row with no key to attend to has no meaningful softmax; drop empty sequences."
    if not _is_symbolic(mask):
        rows = tf.where(empty)[:, 0].numpy().tolist()
        if rows:
            raise MaskError.expected(
                argument, expected, f"all-padding sequence(s) at batch index {rows}", hint
            )
        return []
    error = MaskError.expected(argument, expected, "all-padding sequence(s)",
                               hint + " Batch indices:")
    return [_graph_assert(~tf.reduce_any(empty), error, [tf.where(empty)[:, 0]])]


def token_ids(value: Any, argument: str, pad_id: int) -> Any:
    """A (B, S) integer ``tf.Tensor`` of ids ``>= 0``, with ``pad_id`` representable in its dtype
    and at least one id other than ``pad_id`` per row; returns the padding mask
    ``ids != pad_id`` (guarded by the assertions when the tensor is symbolic).
    """
    import tensorflow as tf

    pad_id = integer(pad_id, "pad_id", minimum=0, hint="Token ids are whole numbers >= 0.")
    ids = as_tensor(value, argument)
    rank(ids, 2, argument, "(B, S) token ids", _SEED_HINT if _rank_of(ids) == 3 else "")
    dtype_family(ids, argument, "integer", "token ids",
                 "Token ids are whole numbers, with 0 reserved for padding.")
    largest = int(np.iinfo(_numpy_dtype(ids)).max)
    if pad_id > largest:
        raise MaskError.expected(
            "pad_id", f"an id that {ids.dtype.name} token ids can hold (0 to {largest})",
            repr(pad_id),
        )
    _not_empty(ids, argument, ids)
    assertions = []
    negative = ids < tf.zeros((), ids.dtype)
    expected = "ids >= 0"
    hint = "A negative id is no token: Embedding would read a row from the end of its table."
    if _is_symbolic(ids):
        error = MaskError.expected(argument, expected, "negative ids", hint + " Positions:")
        assertions.append(_graph_assert(~tf.reduce_any(negative), error, [tf.where(negative)]))
    elif bool(tf.reduce_any(negative)):
        in_range(ids.numpy(), argument, 0, None, "ids", hint)
    mask = tf.not_equal(ids, tf.cast(pad_id, ids.dtype))
    assertions += _rows_with_a_token(mask, argument)
    return _guarded(mask, assertions)


def padding_mask(value: Any, argument: str) -> Any:
    """A (B, S) boolean ``tf.Tensor`` with at least one ``True`` per row (asserted in graphs)."""
    mask = as_tensor(value, argument)
    rank(mask, 2, argument, "(B, S) padding mask", _SEED_HINT if _rank_of(mask) == 3 else "")
    dtype_family(mask, argument, "bool", hint=BOOL_HINT)
    _not_empty(mask, argument, mask)
    return _guarded(mask, _rows_with_a_token(mask, argument))


def token_sequence(value: Any, argument: str) -> np.ndarray:
    """One unpadded sequence of token ids: a flat, non-empty list of ints from 1 to
    :data:`INT32_MAX` (0 is reserved for padding), as a NumPy array.

    >>> token_sequence([1, 3, 0], "sequences[1]")
    Traceback (most recent call last):
    ...
    lib.errors.MaskError: `sequences[1]`: expected ids from 1 to 2147483647, received 0 at posit...
      0 is reserved for padding: shift the ids by +1, as lib.vocab.Vocabulary does.
    """
    row = as_array(value, argument)
    rank(row, 1, argument, "(a flat list of token ids)")
    if row.size == 0:
        raise MaskError.expected(
            argument, "at least one token", "an empty sequence",
            "Padded, it would be all padding: no token for its queries to attend to.",
        )
    dtype_family(row, argument, "integer", "token ids")
    return in_range(row, argument, 1, INT32_MAX, "ids",
                    "0 is reserved for padding: shift the ids by +1, as lib.vocab.Vocabulary does.")


def boolean_mask(value: Any, argument: str, ranks: int | tuple[int, ...], layout: str,
                 meaning: str) -> np.ndarray:
    """A NumPy boolean mask of one of ``ranks``; ``meaning`` says what ``True`` means."""
    array = as_array(value, argument)
    rank(array, ranks, argument, layout)
    dtype_family(array, argument, "bool", meaning,
                 "Convert a 0/1 mask with array.astype(bool) after checking which value means "
                 "what.")
    return array


def binary_values(array: np.ndarray, argument: str, meaning: str) -> np.ndarray:
    """Integers, floats or booleans whose every value is 0 or 1 (NaN is neither)."""
    others = np.unique(array[(array != 0) & (array != 1)])
    if others.size:
        raise MaskError.expected(
            argument, f"only the values 0 and 1 ({meaning})", f"also {others[:5].tolist()}"
        )
    return array


def additive_values(array: np.ndarray, argument: str) -> np.ndarray:
    """An additive float mask (0 = keep, at most :data:`ADDITIVE_THRESHOLD` or -inf = drop);
    returns the boolean ``keep`` array."""
    dtype_family(array, argument, "float", "0 = keep, large negative = drop")
    keep = array == 0
    drop = array <= ADDITIVE_THRESHOLD
    others = np.unique(array[~(keep | drop)])
    if others.size:
        raise MaskError.expected(
            argument,
            f"only 0 (keep) and large negative values (<= {ADDITIVE_THRESHOLD:g}, drop)",
            f"also {others[:5].tolist()}",
            "A soft bias (e.g. ALiBi or relative positions) is not a mask and has no boolean form.",
        )
    return keep


def mask_values(value: Any, argument: str) -> np.ndarray:
    """Any array that *is* a boolean mask, as ``bool``: booleans, or numbers that are all 0 or 1.

    An additive mask (0 and large negatives) would be drawn inverted by a cast to bool, NaN
    would be drawn True: both are refused.

    >>> mask_values([[0.0, -1e9]], "mask")
    Traceback (most recent call last):
    ...
    lib.errors.MaskError: `mask`: expected a boolean mask (True = may attend) or 0/1 values, rec...
      Convert it first: lib.conventions.additive_to_keras(mask).
    """
    array = as_array(value, argument)
    if array.dtype == np.bool_:
        return array
    finite(array, argument)
    wanted = "a boolean mask (True = may attend) or 0/1 values"
    others = np.unique(array[(array != 0) & (array != 1)])
    if others.size:
        if (others <= ADDITIVE_THRESHOLD).all():
            raise MaskError.expected(
                argument, wanted,
                f"an additive mask (0 = keep, {others.min():g} = drop)",
                "Convert it first: lib.conventions.additive_to_keras(mask).",
            )
        raise MaskError.expected(argument, wanted, f"also the values {others[:5].tolist()}")
    return array.astype(bool)
