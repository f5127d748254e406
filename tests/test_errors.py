"""lib.errors: two-layer messages (the cause, then the call), pickling, tf.function, notebooks."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import tensorflow as tf
from IPython.lib.lexers import IPythonTracebackLexer
from pygments.token import Error

from lib.errors import WIDTH, MaskError, MaskTypeError, UnknownTokenError
from lib.example import seed_vocabulary
from lib.masks import padding_mask, self_attention_mask
from lib.padding import pad_batch
from lib.plots import plot_mask
from lib.shapes import broadcast_shape
from lib.vocab import Vocabulary


def caught(call) -> MaskError:
    with pytest.raises(MaskError) as info:
        call()
    return info.value


def test_the_first_line_is_the_cause_the_last_lines_the_context():
    error = caught(lambda: padding_mask([[[1, 0, 3, 0], [1, 2, 0, 0]]]))
    lines = str(error).splitlines()
    assert lines[0] == ("`token_ids`: expected rank 2 (B, S) token ids, received rank 3 "
                        "(shape (1, 2, 4) and dtype int64).")
    assert lines[-1] == "  in lib.masks.padding_mask(token_ids=[[[1, 0, 3, 0], [1, 2, 0, 0]]])"
    assert error.cause == lines[0] and error.context == [lines[-1].strip()]
    assert "has an extra axis" in error.hint


def test_the_hint_is_wrapped_so_chapters_print_it_as_it_is():
    error = caught(lambda: padding_mask([[[1, 0, 3, 0], [1, 2, 0, 0]]]))
    hint_lines = str(error).splitlines()[1:-1]
    assert len(hint_lines) > 1
    assert all(len(line) <= WIDTH and line.startswith("  ") for line in hint_lines)


def test_nested_public_calls_each_add_their_context_innermost_first():
    error = caught(lambda: plot_mask(np.ones((2, 2), bool), row_labels=["a"]))
    assert error.context == [
        "in lib.plots.draw_mask(ax=<Axes>, mask=<bool (2, 2)>, row_labels=['a'], col_labels=None, "
        "title='')",
        "in lib.plots.plot_mask(mask=<bool (2, 2)>, row_labels=['a'])",
    ]


def test_arguments_are_summarized_not_dumped():
    error = caught(lambda: self_attention_mask(np.zeros((2, 500), dtype=np.int64)))
    assert error.context == ["in lib.masks.self_attention_mask(padding_mask=<int64 (2, 500)>)"]
    error = caught(lambda: broadcast_shape((2, 6, 1), (3, 1, 6)))
    assert error.context == ["in lib.shapes.broadcast_shape((2, 6, 1), (3, 1, 6))"]


def test_methods_name_their_class():
    error = caught(lambda: seed_vocabulary().encode_batch("This is short"))
    assert error.context == ["in lib.vocab.Vocabulary.encode_batch(sentences='This is short')"]
    assert isinstance(caught(lambda: Vocabulary.fit("one str")), MaskTypeError)


def test_errors_keep_both_layers_through_pickle():
    error = caught(lambda: pad_batch([[1, 0]]))
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is MaskError and str(copy) == str(error)
    unknown = caught(lambda: seed_vocabulary().encode("a cat"))
    assert isinstance(unknown, UnknownTokenError) and isinstance(unknown, KeyError)
    assert str(pickle.loads(pickle.dumps(unknown))) == str(unknown)
    assert not str(unknown).startswith("'")          # KeyError would quote the message


def test_expected_builds_the_keras_style_first_line():
    """lib.doctor and other modules build errors with MaskError.expected: keep it working."""
    error = MaskTypeError.expected("dtype", "a float dtype", "int8", "A hint.")
    assert str(error) == "`dtype`: expected a float dtype, received int8.\n  A hint."
    assert isinstance(error, TypeError) and isinstance(error, ValueError)


def test_lib_errors_leave_tf_function_unwrapped():
    """AutoGraph turns other exceptions raised while tracing into a StagingError."""
    traced = tf.function(lambda ids: padding_mask(ids))
    with pytest.raises(MaskTypeError) as info:
        traced(tf.constant([[1.0]]))
    assert "in user code" not in str(info.value)
    assert str(info.value).startswith("`token_ids`: expected an integer dtype")


# Every message a chapter shows must pass through IPython's traceback lexer without an error
# token: the book renders error outputs with it, and a lexing warning fails the strict build.
SHOWN_IN_CHAPTERS = [
    lambda: padding_mask([[[1, 0, 3, 0], [1, 2, 0, 0]]]),          # chapter 4
    lambda: self_attention_mask(np.array([[1, 0]], np.int32)),      # chapter 5
    lambda: pad_batch([[1, 3, 6], [4, 0, 2]]),                       # chapter 2
    lambda: seed_vocabulary().encode("This is a cat"),               # chapter 1
    lambda: plot_mask(np.array([[0.0, -1e9]])),
    lambda: Vocabulary.fit("a str?"),
]


@pytest.mark.parametrize("call", SHOWN_IN_CHAPTERS)
def test_messages_lex_cleanly_as_a_notebook_traceback(call):
    error = caught(call)
    text = (f"{'-' * 75}\n{type(error).__name__}{' ' * 20}Traceback (most recent call last)\n"
            f"Cell In[1], line 1\n----> 1 call()\n\n{type(error).__name__}: {error}\n")
    errors = [value for token, value in IPythonTracebackLexer().get_tokens(text) if token in Error]
    assert not errors, (errors, text)
