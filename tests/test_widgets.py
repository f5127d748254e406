"""lib.widgets: the length slider refuses a value it would silently move into its range."""

from __future__ import annotations

import pytest

from lib.errors import MaskError, MaskTypeError
from lib.widgets import length_slider


def test_length_slider_keeps_its_arguments():
    slider = length_slider("length", 3, 1, 6)
    assert (slider.value, slider.min, slider.max, slider.description) == (3, 1, 6, "length")


@pytest.mark.parametrize("args, error, match", [
    (("length", 9, 1, 6), MaskError, r"`value`: expected an int from 1 to 6, received 9"),
    (("length", 0, 1, 6), MaskError, r"`value`: expected an int from 1 to 6, received 0"),
    (("length", 3, 4, 2), MaskError, r"`maximum`: expected an int >= 4, received 2"),
    (("length", 3, 0, 6), MaskError, r"`minimum`: expected an int >= 1, received 0"),
    (("length", 2.5, 1, 6), MaskTypeError, r"`value`: expected an int from 1 to 6, received float 2.5"),
    ((3, 3, 1, 6), MaskTypeError, r"`description`: expected a str, received int 3"),
])
def test_length_slider_refuses_values_outside_its_range(args, error, match):
    """ipywidgets' IntSlider clamps such a value without a word."""
    with pytest.raises(error, match=match):
        length_slider(*args)
