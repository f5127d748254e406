"""Live-notebook sliders (ipywidgets) that redraw a matplotlib figure.

Every chapter ends its main figure with one of these, so a reader running the
chapter as a notebook can change the sequence lengths and watch the picture
follow. They need a Python kernel: in the published book, where none runs,
the chapters hide their output and offer a kernel-free explorer
(:mod:`lib.explorers`) instead.

>>> panel = live_figure(lambda length: None, length=length_slider("length", 3, 1, 6))
>>> panel.controls["length"].value
3
>>> panel.controls["length"].value = 5   # redraws into panel.output
>>> panel.redraws
2
"""

from __future__ import annotations

from typing import Callable

import ipywidgets as widgets
import matplotlib.pyplot as plt
from IPython import get_ipython
from IPython.display import display
from matplotlib.figure import Figure


def length_slider(description: str, value: int, minimum: int = 1, maximum: int = 12) -> widgets.IntSlider:
    """An integer slider for a sequence length, with a readable label."""
    return widgets.IntSlider(
        value=value, min=minimum, max=maximum, step=1, description=description,
        continuous_update=False, style={"description_width": "initial"},
        layout=widgets.Layout(width="420px"),
    )


class LiveFigure(widgets.VBox):
    """Controls above an ``Output`` that shows ``draw(**values)``, redrawn on every change."""

    def __init__(self, draw: Callable[..., Figure | None], controls: dict[str, widgets.ValueWidget]):
        self.draw = draw
        self.controls = controls
        self.output = widgets.Output()
        self.redraws = 0
        for control in controls.values():
            control.observe(self._on_change, names="value")
        super().__init__([*controls.values(), self.output])
        self.redraw()

    def values(self) -> dict:
        """The current value of every control, by keyword."""
        return {name: control.value for name, control in self.controls.items()}

    def redraw(self) -> None:
        """Clear the output and draw the figure for the current values."""
        with self.output:
            if get_ipython() is not None:  # outside a kernel there is nothing to clear
                self.output.clear_output(wait=True)
            figure = self.draw(**self.values())
            if figure is not None:
                display(figure)
                plt.close(figure)
        self.redraws += 1

    def _on_change(self, change) -> None:
        self.redraw()


def live_figure(draw: Callable[..., Figure | None], **controls: widgets.ValueWidget) -> LiveFigure:
    """Sliders (keyword = ``draw``'s argument) and the figure they control."""
    return LiveFigure(draw, controls)
