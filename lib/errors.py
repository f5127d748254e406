"""The one exception family of :mod:`lib`.

Every check in ``lib`` raises a :class:`MaskError` (a ``ValueError``) or a
:class:`MaskTypeError` (also a ``TypeError``) whose message says which
argument was wrong, what was expected and what was received, in the form
Keras uses: ``"... Expected ..., received ..."``.

>>> try:
...     raise MaskError.expected("token_ids", "rank 2 (B, S)", "shape (1, 2, 4)")
... except ValueError as err:
...     print(err)
`token_ids`: expected rank 2 (B, S), received shape (1, 2, 4).
"""

from __future__ import annotations


class MaskError(ValueError):
    """Wrong shape, rank or content of an argument to a ``lib`` function."""

    @classmethod
    def expected(cls, argument: str, expected: str, received: str, hint: str = "") -> "MaskError":
        """Build the error with the standard ``expected ..., received ...`` message."""
        message = f"`{argument}`: expected {expected}, received {received}."
        if hint:
            message += f" {hint}"
        return cls(message)


class MaskTypeError(MaskError, TypeError):
    """Wrong dtype of an argument to a ``lib`` function (also a ``TypeError``)."""


class UnknownTokenError(MaskError, KeyError):
    """A word that the vocabulary never saw, with no out-of-vocabulary id to fall back on."""

    def __str__(self) -> str:  # KeyError would wrap the message in quotes
        return str(self.args[0]) if self.args else ""
