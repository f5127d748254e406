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
>>> panel.controls["length"].value = 3   # shown before: taken from the cache
>>> panel.redraws, panel.renders
(3, 2)
"""

from __future__ import annotations

import contextlib
import functools
import io
from collections.abc import Callable

import ipywidgets as widgets
import matplotlib as mpl
import matplotlib.pyplot as plt
from IPython import get_ipython
from IPython.display import Image, display
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image as PILImage

from lib import checks
from lib._runtime import executed_in_batch
from lib.checks import public_api
from lib.plots import recycling


@public_api
def length_slider(
    description: str, value: int, minimum: int = 1, maximum: int = 12
) -> widgets.IntSlider:
    """An integer slider for a sequence length, with a readable label.

    ``value`` must lie from ``minimum`` to ``maximum``: an ``IntSlider`` would move it into
    the range without a word, and the figure would show another length than asked for.
    """
    checks.text(description, "description")
    minimum = checks.integer(minimum, "minimum", 1)
    maximum = checks.integer(maximum, "maximum", minimum)
    value = checks.integer(value, "value", minimum, maximum)
    return widgets.IntSlider(
        value=value, min=minimum, max=maximum, step=1, description=description,
        continuous_update=False, style={"description_width": "initial"},
        layout=widgets.Layout(width="420px"),
    )


class LiveFigure(widgets.VBox):
    """Controls above an ``Output`` that shows ``draw(**values)``, redrawn on every change.

    Each figure is rendered once to PNG and kept (with whatever ``draw`` printed) for
    its control values in a least-recently-used cache of ``cache_size`` entries, so moving
    a slider back to a value it has shown is instant; ``draw`` must therefore depend only on
    the control values. ``cache_size=0`` turns this off. ``redraws`` counts redraws,
    ``renders`` the figures actually drawn. The last figure drawn is kept, closed, and offered
    to the next ``draw`` through :func:`lib.plots.recycling`: :func:`lib.plots.plot_mask` draws
    into it again instead of building new axes, ticks and legend.
    """

    def __init__(self, draw: Callable[..., Figure | None], controls: dict[str, widgets.ValueWidget],
                 cache_size: int = 64):
        self.draw = draw
        self.controls = controls
        self.output = widgets.Output()
        self.redraws = 0
        self.renders = 0
        self.cache_size = cache_size
        self._render_key = functools.lru_cache(maxsize=cache_size)(self._render_uncached)
        self._figure: Figure | None = None   # the last figure drawn (closed): drawn into again
        for control in controls.values():
            control.observe(self._on_change, names="value")
        super().__init__([*controls.values(), self.output])
        self.redraw()

    def values(self) -> dict:
        """The current value of every control, by keyword."""
        return {name: control.value for name, control in self.controls.items()}

    def render(self) -> tuple[str, bytes | None]:
        """What ``draw`` prints and its figure as PNG bytes, for the current values (cached)."""
        return self._render_key(tuple(sorted(self.values().items())))

    def _render_uncached(self, key: tuple) -> tuple[str, bytes | None]:
        printed = io.StringIO()
        previous, self._figure = self._figure, None
        with contextlib.redirect_stdout(printed), recycling(previous):
            figure = self.draw(**dict(key))
        png = None
        if figure is not None:
            png = figure_png(figure)
            plt.close(figure)
            self._figure = figure
        self.renders += 1
        return printed.getvalue(), png

    def redraw(self) -> None:
        """Clear the output and show the figure for the current values.

        In a notebook executed from top to bottom (the book build) the figure is rendered,
        so any error in ``draw`` still fails the build, but not written into the ``Output``
        widget: no reader can move the slider there, the book hides the output, and
        nbclient can stall on the Output widget's clear-and-redraw messages.
        """
        printed, png = self.render()
        self.redraws += 1
        if executed_in_batch():
            return
        with self.output:
            if get_ipython() is not None:  # outside a kernel there is nothing to clear
                self.output.clear_output(wait=True)
            if printed:
                print(printed, end="")
            if png is not None:
                display(Image(data=png, format="png"))

    def _on_change(self, change) -> None:
        self.redraw()


@public_api
def figure_png(figure: Figure, compress_level: int = 1) -> bytes:
    """``figure`` as PNG bytes, cropped to what is drawn, as ``savefig(bbox_inches="tight")``
    crops it, in one drawing pass instead of two.

    ``savefig`` with a tight box draws the figure twice, each time on a new renderer that
    measures every text again: once to find the box, once at the box's size. Here the figure
    is drawn once on its own canvas (whose renderer the layout engine has already used, so
    text sizes are known), the box is measured on that same renderer, and the pixels are cut
    out, with ``savefig.pad_inches`` of the figure's background around them. When something
    is drawn outside the figure (a legend pushed below it, say) the canvas does not hold it,
    and this falls back to ``savefig``, so nothing is ever cut off; so it does when the
    ``savefig.*`` settings ask for another resolution, background or transparency. ``compress_level`` is
    zlib's (0-9): 1 costs a few per cent more bytes, sent to a kernel's own front end, and
    saves milliseconds at every redraw.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig, ax = plt.subplots(figsize=(2, 1), dpi=100)
    >>> _ = ax.set_title("a title")
    >>> png = figure_png(fig)
    >>> png[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
    True
    >>> PILImage.open(io.BytesIO(png)).size[0] < 200 + 2 * 10   # at most the figure plus its pad
    True
    >>> plt.close(fig)
    """
    checks.integer(compress_level, "compress_level", 0, 9)
    canvas = figure.canvas
    rc = mpl.rcParams
    if (not isinstance(canvas, FigureCanvasAgg) or rc["savefig.transparent"]
            or rc["savefig.dpi"] not in ("figure", figure.dpi)
            or rc["savefig.facecolor"] != "auto" or rc["savefig.edgecolor"] != "auto"):
        return _savefig_png(figure, compress_level)   # savefig would not draw what the canvas holds
    canvas.draw()
    renderer = canvas.get_renderer()
    width, height = canvas.get_width_height(physical=True)
    dpi = figure.dpi
    box = figure.get_tightbbox(renderer)
    x0, y0, x1, y1 = (value * dpi for value in box.extents)   # pixels, from the bottom left
    if x0 < -0.5 or y0 < -0.5 or x1 > width + 0.5 or y1 > height + 0.5 or box.width <= 0:
        return _savefig_png(figure, compress_level)   # drawn outside the canvas: not in its pixels
    pad = rc["savefig.pad_inches"] * dpi
    left, right = round(x0 - pad), round(x1 + pad)
    top, bottom = round(height - y1 - pad), round(height - y0 + pad)
    pixels = PILImage.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    background = tuple(int(round(channel * 255)) for channel in figure.get_facecolor())
    # on an opaque background every pixel is opaque: RGB, a quarter fewer bytes to compress
    mode = "RGB" if background[3] == 255 else "RGBA"
    image = PILImage.new(mode, (right - left, bottom - top), background[:len(mode)])
    inside = (max(left, 0), max(top, 0), min(right, width), min(bottom, height))
    image.paste(pixels.crop(inside).convert(mode), (inside[0] - left, inside[1] - top))
    buffer = io.BytesIO()
    image.save(buffer, format="png", compress_level=compress_level)
    return buffer.getvalue()


def _savefig_png(figure: Figure, compress_level: int) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight",
                   pil_kwargs={"compress_level": compress_level})
    return buffer.getvalue()


def live_figure(draw: Callable[..., Figure | None], **controls: widgets.ValueWidget) -> LiveFigure:
    """Sliders (keyword = ``draw``'s argument) and the figure they control."""
    return LiveFigure(draw, controls)
