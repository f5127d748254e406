"""Where the code runs: an interactive kernel, or a notebook executed from top to bottom."""

from __future__ import annotations

import sys


def executed_in_batch() -> bool:
    """True in a kernel that nbclient started to execute a whole notebook (the book build,
    ``jupytext --execute``, nbconvert): nbclient always passes ``--HistoryManager.hist_file``.

    >>> executed_in_batch()   # pytest is not such a kernel
    False
    """
    return any(argument.startswith("--HistoryManager.hist_file=") for argument in sys.argv)
