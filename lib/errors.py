"""The one exception family of :mod:`lib`, with messages in two layers.

Every check in ``lib`` (they all live in :mod:`lib.checks`) raises a
:class:`MaskError` (a ``ValueError``) or a :class:`MaskTypeError` (also a
``TypeError``). Its message has two layers, as einops's errors do:

1. the precise cause, on the first line, in the form Keras uses: which
   argument, what was expected and what was received
   (```token_ids`: expected ..., received ...``), followed by a hint where
   one helps;
2. the context: the ``lib`` call it happened in, with the arguments as they
   were received (added by :func:`lib.checks.public_api` as the error leaves
   that call).

The hint is wrapped at :data:`WIDTH` characters, so a message reads well
printed as it is (chapters print it without re-wrapping). Context lines are
never wrapped, and a hint uses no backticks: a notebook shows an error through
IPython's traceback lexer, which reads a line that is neither the first nor a
``in f(...)`` line as Python code and stops at characters such as a backtick
(the book's strict build would fail on that warning).

>>> try:
...     raise MaskError.expected("token_ids", "rank 2 (B, S)", "shape (1, 2, 4)")
... except ValueError as err:
...     print(err)
`token_ids`: expected rank 2 (B, S), received shape (1, 2, 4).

>>> error = MaskError.expected("pad_id", "an int", "'0'", "Token ids are whole numbers.")
>>> error.add_context("in lib.masks.padding_mask(token_ids=<int32 (2, 6)>, pad_id='0')")
>>> print(error)
`pad_id`: expected an int, received '0'.
  Token ids are whole numbers.
  in lib.masks.padding_mask(token_ids=<int32 (2, 6)>, pad_id='0')

Inside ``tf.function`` these errors are raised as they are while the function is
traced (TensorFlow's AutoGraph would otherwise wrap them in a ``StagingError``).
Checks of *values* that only exist when the graph runs (an all-padding row of
a symbolic tensor, say) are ``tf.debugging`` assertions: they raise
``tf.errors.InvalidArgumentError`` with the same first line.
"""

from __future__ import annotations

import textwrap

WIDTH = 79
"""Lines after the first are wrapped to this many characters."""

_INDENT = "  "


def _wrapped(text: str) -> list[str]:
    """``text`` as indented lines of at most :data:`WIDTH` characters (long words kept whole)."""
    return textwrap.wrap(
        text, WIDTH, initial_indent=_INDENT, subsequent_indent=_INDENT,
        break_long_words=False, break_on_hyphens=False,
    )


class MaskError(ValueError):
    """Wrong shape, rank, range or content of an argument to a ``lib`` function."""

    ag_pass_through = True
    """Read by TensorFlow's AutoGraph: raise this error unchanged out of ``tf.function`` tracing."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.cause = message
        """The first layer: which argument, what was expected, what was received."""
        self.hint = hint
        """What to do about it (may be empty)."""
        self.context: list[str] = []
        """The second layer: the ``lib`` calls the error passed through, innermost first."""

    @classmethod
    def expected(cls, argument: str, expected: str, received: str, hint: str = "") -> MaskError:
        """Build the error with the standard ``expected ..., received ...`` first line."""
        return cls(f"`{argument}`: expected {expected}, received {received}.", hint)

    def add_context(self, line: str) -> None:
        """Append one line of context (the call the error passed through)."""
        if line not in self.context:
            self.context.append(line)

    def __str__(self) -> str:
        lines = [self.cause]
        if self.hint:
            lines.extend(_wrapped(self.hint.replace("`", "'")))
        lines.extend(_INDENT + line for line in self.context)
        return "\n".join(lines)

    def __reduce__(self):  # pickling (multiprocessing, pytest-xdist) keeps both layers
        return (_rebuild, (type(self), self.cause, self.hint, list(self.context)))


def _rebuild(cls: type, cause: str, hint: str, context: list[str]) -> MaskError:
    error = cls(cause, hint)
    error.context = context
    return error


class MaskTypeError(MaskError, TypeError):
    """Wrong type or dtype of an argument to a ``lib`` function (also a ``TypeError``)."""


class UnknownTokenError(MaskError, KeyError):
    """A word that the vocabulary never saw, with no out-of-vocabulary id to fall back on."""

    __str__ = MaskError.__str__  # KeyError would wrap the message in quotes


class LibShadowedError(ImportError):
    """The ``lib`` that Python imported is not this book's package (see
    :func:`lib.reproducible.setup_chapter`)."""
