"""One heatmap helper for every mask and attention-weight matrix in the book.

Masks are drawn with two colours that differ in lightness (dark = ``True``,
may attend; light = ``False``) *and* a symbol in every cell (``✓`` / ``·``),
so they read without colour. Rows are queries, columns are keys. In weight
heatmaps, cells that the mask removed are hatched, so a masked weight never
looks like a computed weight of 0.

Every drawing function checks what it is given: a mask must be boolean (or
0/1), never an additive mask or NaN, which a cast to bool would draw
inverted or as True; weights must be finite numbers from 0 to 1; labels must
be one per row or column. Importing this module changes nothing: in a
notebook, :func:`lib.reproducible.setup_chapter` calls :func:`use_book_figures`,
which sets the book's figure colours (:data:`BOOK_STYLE`) and, when the
notebook is executed in batch (the book build), shows figures as :func:`themed_svg`:
sharp on any screen, on a transparent background, with the colours that
must change in dark mode (text, the light ``False`` cells, the gaps between
cells) following the page's light or dark mode.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> fig = plot_mask([[True, False]], row_labels=["q"], col_labels=["a", "b"], title="demo")
>>> mask_marks(fig.axes[0])   # the mark drawn in each cell, row by row
['✓', '·']
>>> "prefers-color-scheme: dark" in themed_svg(fig)
True
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PathCollection
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
from matplotlib.path import Path
from matplotlib.textpath import TextPath
from matplotlib.transforms import IdentityTransform

from lib import checks
from lib.checks import public_api
from lib.errors import MaskError
from lib.memory import MaskMemory, check_rows, format_bytes
from lib.timing import Timing, check_timings, reference_line

TRUE_COLOUR = "#1f4e79"   # dark blue: may attend (dark in both modes)
FALSE_COLOUR = "#f2f2f2"  # near white: masked (a light grey in dark mode: still the lighter one)
MASK_CMAP = ListedColormap([FALSE_COLOUR, TRUE_COLOUR])
TRUE_MARK, FALSE_MARK = "✓", "·"
HIGHLIGHT_COLOUR = "#e66100"  # orange: outlines what a figure points at (e.g. the original of a stretch)
INK = "#222832"               # text, axes and ticks (light grey in dark mode)
FALSE_MARK_COLOUR = "#555555"  # the · on a False cell
GAP_COLOUR = "#fefefe"        # the lines between cells: the page's background in either mode
MASKED_COLOUR = "#dfe3e7"     # a masked cell of a weight heatmap, under the hatching
HATCH_COLOUR = "#7f8a96"      # the hatching of masked cells
VALUE_DARK, VALUE_LIGHT = "#111111", "#ffffff"  # numbers on bright / dark weight cells

DARK_MODE = {
    INK: "#ced6dd",
    "#000000": "#ced6dd",      # matplotlib's default black, in figures drawn without BOOK_STYLE
    FALSE_COLOUR: "#8e98a3",
    FALSE_MARK_COLOUR: "#2b3138",
    GAP_COLOUR: "#121212",
    MASKED_COLOUR: "#3a424c",
    HATCH_COLOUR: "#8d98a4",
}
"""Colour drawn (the light-mode colour) → its colour in dark mode, in :func:`themed_svg`.

The dark values follow the book theme's dark palette (page ``#121212``, text ``#ced6dd``).
``True`` stays dark blue and ``False`` stays the lighter colour, so a mask reads the same
way, dark ✓ = True, in both modes."""

BOOK_STYLE = {
    "text.color": INK, "axes.labelcolor": INK, "axes.edgecolor": INK,
    "xtick.color": INK, "ytick.color": INK, "axes.titlecolor": INK,
    "legend.facecolor": GAP_COLOUR, "legend.edgecolor": "#a0a8b0", "hatch.color": HATCH_COLOUR,
}
"""matplotlib settings for the book's figures (set in a kernel when this module is imported)."""

MIN_FONT_SIZE = 8.0
"""Smallest font size, in points, of any text in the book's figures: at the book's column
width (about 7 inches) a figure is shown at its natural size or close, so 8 pt is about
10 px on screen."""

COLUMN_WIDTH = 7.0
"""Width of the book's text column, in inches (672 px at 96 px per inch): the widest a
figure can be and still be shown at its natural size."""


def themed_svg(fig: Figure) -> str:
    """``fig`` as an SVG document whose colours follow the page's light or dark mode.

    The background is transparent. Each colour in :data:`DARK_MODE` becomes a CSS
    variable set to its light value, and to its dark value under
    ``@media (prefers-color-scheme: dark)``; inside an ``<img>`` that query follows the
    ``color-scheme`` of the page, which the book's theme sets with its light/dark switch.
    Text stays text (a tenth of the bytes of glyph outlines; DejaVu Sans, matplotlib's
    font, or the reader's sans-serif), ids are stable from build to build, and the
    output has no date.
    """
    buffer = io.StringIO()
    with plt.rc_context({"svg.fonttype": "none", "svg.hashsalt": "lib.plots"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight", transparent=True,
                    metadata={"Date": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, count=1, flags=re.DOTALL)
    svg = re.sub(r' d="[^"]*"', lambda m: re.sub(r"(\.\d\d)\d+", r"\1", m[0]), svg)  # paths to 1/100 pt
    # one font-family rule for all text instead of one per text element
    families = re.findall(r"font-family: ([^;\"]+);? ?", svg)
    svg = re.sub(r"font-family: [^;\"]+;? ?", "", svg)
    font = f"text{{font-family:{families[0]}}}" if families else ""
    names: dict[str, str] = {}

    def variable(match: re.Match) -> str:
        colour = match.group(2).lower()
        if colour not in DARK_MODE:
            return match.group(0)
        name = names.setdefault(colour, f"--c{len(names)}")
        return f"{match.group(1)}var({name})"

    # colours in style attributes ("fill: #f2f2f2"); hatch patterns fill with an attribute
    # (fill="#dfe3e7"), which becomes a style because var() needs CSS
    svg = re.sub(r'<(rect|path)([^<>]*?) (fill|stroke)="(#[0-9a-fA-F]{6})"([^<>]*)>',
                 lambda m: (f'<{m[1]}{m[2]} style="{m[3]}: {m[4]}"{m[5]}>'
                            if "style=" not in m[2] + m[5] else m[0]), svg)
    svg = re.sub(r"((?:fill|stroke):\s*)(#[0-9a-fA-F]{6})\b", variable, svg)
    light = ";".join(f"{name}:{colour}" for colour, name in names.items())
    dark = ";".join(f"{name}:{DARK_MODE[colour]}" for colour, name in names.items())
    style = (f"<style>{font}:root{{{light}}}"
             f"@media (prefers-color-scheme: dark){{:root{{{dark}}}}}</style>")
    end_of_tag = svg.index(">") + 1
    return svg[:end_of_tag] + style + svg[end_of_tag:]


def use_book_figures() -> None:
    """In a Jupyter kernel: the inline backend (also when ``MPLBACKEND=Agg`` was forced), the
    book's colours, and, when the notebook is executed in batch, figures as :func:`themed_svg`.
    Elsewhere (plain Python, pytest) it changes nothing. Called by
    :func:`lib.reproducible.setup_chapter`."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency of ipywidgets
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return  # plain Python, pytest, or a terminal IPython: leave matplotlib alone
    # Always through the magic: it loads the inline backend now, whose set-up (figures as PNG)
    # would otherwise run at the first figure, after ours.
    shell.run_line_magic("matplotlib", "inline")
    plt.rcParams.update(BOOK_STYLE)
    from lib._runtime import executed_in_batch

    if executed_in_batch():
        formatters = shell.display_formatter.formatters
        formatters["image/png"].pop(Figure, None)
        formatters["image/svg+xml"].for_type(Figure, themed_svg)



def _as_matrix(values: Any, name: str, kind: str = "mask", row_labels: Any = None,
               col_labels: Any = None) -> np.ndarray:
    """A (rows, columns) matrix to draw: a boolean mask (``kind="mask"``) or finite weights
    from 0 to 1 (``kind="weights"``); a 1-D row, or leading axes of length 1, are accepted.
    Labels, when given, must be one per row and one per column."""
    if kind == "mask":
        array = checks.mask_values(values, name)
    else:
        array = checks.as_array(values, name)
        checks.dtype_family(array, name, "number", "attention weights",
                            "A boolean matrix is a mask: draw it with draw_mask.")
        checks.finite(array, name)
        checks.in_range(array, name, 0.0, 1.0 + 1e-6, "weights",
                        "Attention weights are probabilities: scores need a softmax first.")
        array = array.astype(float)
    while array.ndim > 2 and array.shape[0] == 1:
        array = array[0]
    if array.ndim == 1:
        array = array[np.newaxis, :]
    checks.rank(array, 2, name, "(rows, columns) matrix, or a 1-D row")
    checks.labels(row_labels, array.shape[0], "row_labels", "row")
    checks.labels(col_labels, array.shape[1], "col_labels", "column")
    return array


def _cells(ax: Axes, matrix: np.ndarray, **mesh: Any) -> None:
    """Draw ``matrix`` as square vector cells (rows = queries, top to bottom), separated by gaps."""
    rows, cols = matrix.shape
    ax.pcolormesh(np.arange(cols + 1) - 0.5, np.arange(rows + 1) - 0.5, matrix,
                  edgecolors=GAP_COLOUR, linewidth=1.5, **mesh)
    ax.set_xlim(-0.5, cols - 0.5)
    ax.set_ylim(rows - 0.5, -0.5)
    ax.set_aspect("equal")
    for spine in ax.spines.values():
        spine.set_visible(False)


def _ticks(ax: Axes, rows: int, cols: int, row_labels, col_labels) -> None:
    ax.tick_params(length=0)   # first: the ticks made next start with it, none is changed after
    ax.set_xticks(range(cols), col_labels if col_labels is not None else range(cols))
    ax.set_yticks(range(rows), row_labels if row_labels is not None else range(rows))
    if col_labels is not None and any(len(str(label)) > 1 for label in col_labels):
        ax.tick_params(axis="x", labelrotation=45)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")


@public_api
def draw_mask(
    ax: Axes,
    mask: Any,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    title: str = "",
    xlabel: str = "key position (S)",
    ylabel: str = "query position (T)",
    marks: bool = True,
) -> Axes:
    """Draw a boolean matrix on ``ax``: dark ✓ = True (may attend), light · = False.

    The marks are two collections of glyphs, not one text per cell: read them back with
    :func:`mask_marks`.
    """
    matrix = _as_matrix(mask, "mask", "mask", row_labels, col_labels).astype(bool)
    rows, cols = matrix.shape
    _cells(ax, matrix.astype(int), cmap=MASK_CMAP, vmin=0, vmax=1)
    _ticks(ax, rows, cols, row_labels, col_labels)
    if marks:
        # One collection per kind of mark, its glyph stamped at every cell of that kind: Agg
        # draws it as markers (one rasterisation), where a text per cell was laid out and
        # drawn one by one (most of a live slider's redraw); SVG defines the glyph once.
        rows_at, cols_at = np.indices(matrix.shape)
        # the · outlined a little: its outline alone, unhinted, is fainter than the text it replaces
        for value, mark, colour, outline in ((True, TRUE_MARK, "white", 0.0),
                                             (False, FALSE_MARK, FALSE_MARK_COLOUR, 0.4)):
            where = matrix == value
            if not where.any():
                continue
            stamps = PathCollection(
                [_mark_path(mark)], sizes=[1.0],   # the glyph in points, scaled to the figure's dpi
                offsets=np.column_stack([cols_at[where], rows_at[where]]),
                offset_transform=ax.transData, transform=IdentityTransform(),
                facecolors=colour, edgecolors=colour if outline else "none", linewidths=outline,
                zorder=3,
                label=f"{_MARKS_LABEL}{mark}",
            )
            stamps.set_in_layout(False)   # each glyph lies inside its cell (>= 0.3 inch)
            ax.add_collection(stamps, autolim=False)
    ax.set_title(title, fontsize=11)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


MARK_SIZE = 10.0
"""Font size, in points, of the ✓ and · marks in the cells of a mask."""

_MARKS_LABEL = "_mask marks "   # a leading underscore keeps it out of legends


@functools.lru_cache(maxsize=16)
def _glyph(mark: str, size: float, font: tuple) -> Path:
    # ``font`` is only part of the cache key: TextPath draws in the current rcParams' font
    path = TextPath((0, 0), mark, size=size)
    box = path.get_extents()
    # centred on its ink, as a centred text is on its line: the mark sits in the middle of its cell
    return path.transformed(mpl.transforms.Affine2D().translate(-(box.x0 + box.x1) / 2,
                                                                -(box.y0 + box.y1) / 2))


def _mark_path(mark: str) -> Path:
    """The outline of ``mark`` in points (:data:`MARK_SIZE`), centred on (0, 0), in the current font."""
    rc = mpl.rcParams
    font = (tuple(rc["font.family"]), tuple(rc["font.sans-serif"]), rc["font.weight"])
    return _glyph(mark, MARK_SIZE, font)


@public_api
def mask_marks(ax: Axes) -> list[str]:
    """The mark (``✓`` or ``·``) drawn in each cell of the mask on ``ax`` by :func:`draw_mask`,
    row by row (queries), left to right (keys); ``[]`` if it draws none.

    Read from what is drawn: the position of every stamped glyph, so a cell drawn twice or
    not at all shows up as a wrong list, not as the mask that was asked for.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig, ax = plt.subplots()
    >>> mask_marks(draw_mask(ax, [[True, False], [False, True]]))
    ['✓', '·', '·', '✓']
    """
    checks.instance_of(ax, "ax", Axes, "a matplotlib Axes")
    cells = []
    for collection in ax.collections:
        label = str(collection.get_label())
        if label.startswith(_MARKS_LABEL):
            mark = label[len(_MARKS_LABEL):]
            cells += [(float(y), float(x), mark) for x, y in collection.get_offsets()]
    return [mark for _, _, mark in sorted(cells)]


@public_api
def mask_legend(fig: Figure, extra: Sequence[Patch] = (), mask: bool = True) -> None:
    """The legend shared by every mask figure (``extra`` handles are appended; ``mask=False``
    leaves out the True/False entries)."""
    handles = [
        Patch(facecolor=TRUE_COLOUR, edgecolor="grey", label=f"{TRUE_MARK} True: real token / may attend"),
        Patch(facecolor=FALSE_COLOUR, edgecolor="grey", label=f"{FALSE_MARK} False: padding / masked"),
    ] if mask else []
    handles += list(extra)
    # side by side when they fit the figure's width (about 0.075 inch per character), else in rows
    needed = sum(0.6 + 0.075 * len(handle.get_label()) for handle in handles)
    columns = len(handles) if needed <= fig.get_figwidth() else max(1, len(handles) // 2)
    engine = fig.get_layout_engine()
    if engine is not None and type(engine).__name__ == "ConstrainedLayoutEngine":
        fig.legend(handles=handles, loc="outside lower center", ncol=columns, frameon=False)
    else:
        fig.legend(handles=handles, loc="lower center", ncol=columns, frameon=False,
                   bbox_to_anchor=(0.5, -0.02))


@public_api
def masked_weight_patch() -> Patch:
    """The legend entry of a hatched cell in a weight heatmap: removed by the mask."""
    return Patch(facecolor=MASKED_COLOUR, edgecolor=HATCH_COLOUR, hatch="////",
                 label="hatched: masked (False in the mask)")


def _cell_size(columns: int, overhead: float, largest: float = 0.45, smallest: float = 0.3) -> float:
    """Inches per matrix cell so that ``columns`` cells plus ``overhead`` inches fit the column."""
    return float(np.clip((COLUMN_WIDTH - overhead) / max(columns, 1), smallest, largest))


_RECYCLED: contextvars.ContextVar[Figure | None] = contextvars.ContextVar("lib.plots.recycled",
                                                                          default=None)


@public_api
@contextlib.contextmanager
def recycling(figure: Figure | None) -> Iterator[None]:
    """Inside it, the next :func:`plot_mask` may draw into ``figure``, a figure it drew before
    and that was closed since, instead of making a new one; the picture is the same.

    A live slider (:class:`lib.widgets.LiveFigure`) redraws this way: a new figure costs its
    axes, ticks and legend again at every value. ``figure`` is taken only if ``plot_mask``
    drew it, under the same matplotlib settings, nothing was added to it since, and it is no
    longer open in pyplot; else, or if it is ``None``, ``plot_mask`` makes a new figure as always.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> first = plot_mask([[True, False]]); plt.close(first)
    >>> with recycling(first):
    ...     second = plot_mask([[True, True, False]])
    >>> second is first, mask_marks(second.axes[0])
    (True, ['✓', '✓', '·'])
    """
    if figure is not None:
        checks.instance_of(figure, "figure", Figure, "a matplotlib Figure or None")
    token = _RECYCLED.set(figure)
    try:
        yield
    finally:
        _RECYCLED.reset(token)


def _tight_layout_one_axes(fig: Figure, ax: Axes, rect: tuple[float, float, float, float]) -> None:
    """``fig.tight_layout(rect=rect)`` for a figure of one axes, measuring the axes once.

    With ``rect``, matplotlib (3.11) measures every axes twice, the second time only to find
    the spaces between axes, which one axes does not have; the margins are the first
    measurement's, moved into ``rect``. This is that arithmetic, step by step, so the
    numbers are the same to the last bit (a test compares them with ``tight_layout``'s).
    Figures that are not drawn by Agg, or that ``tight_layout`` would refuse (with a
    warning), take ``tight_layout`` itself.
    """
    if not isinstance(fig.canvas, FigureCanvasAgg) or len(fig.axes) != 1:
        fig.tight_layout(rect=rect)
        return
    renderer = fig.canvas.get_renderer()
    pad = 1.08 * mpl.font_manager.FontProperties(
        size=mpl.rcParams["font.size"]).get_size_in_points() / 72
    width, height = fig.get_size_inches()
    box = ax.get_subplotspec().get_position(fig)
    tight = fig.transFigure.inverted().transform_bbox(ax.get_tightbbox(renderer, for_layout_only=True))
    left = max(box.xmin - tight.xmin, 0) + pad / width
    right = max(tight.xmax - box.xmax, 0) + pad / width
    top = max(tight.ymax - box.ymax, 0) + pad / height
    bottom = max(box.ymin - tight.ymin, 0) + pad / height
    if left + right >= 1 or bottom + top >= 1:
        fig.tight_layout(rect=rect)   # refused: tight_layout says why
        return
    first = dict(left=left, right=1 - right, bottom=bottom, top=1 - top)
    left = rect[0] + first["left"]
    bottom = rect[1] + first["bottom"]
    right = 1 - (rect[2] - (1 - first["right"]))
    top = 1 - (rect[3] - (1 - first["top"]))
    if left + right >= 1 or bottom + top >= 1:
        fig.tight_layout(rect=rect)
        return
    fig.subplots_adjust(left=left, right=1 - right, bottom=bottom, top=1 - top)


def _artist_count(figure: Figure) -> tuple[int, ...]:
    return (len(figure.get_children()), *(len(ax.get_children()) for ax in figure.axes))


def _recycled(kind: str) -> Figure | None:
    """The figure :func:`recycling` offers, if ``kind`` drew it and it can be drawn into again
    (taken once: a second figure in the same ``draw`` is a new one)."""
    figure = _RECYCLED.get()
    if figure is None:
        return None
    _RECYCLED.set(None)
    made = getattr(figure, "_lib_plots_made", None)
    if made is None or made[0] != kind or made[1] != dict.copy(mpl.rcParams):
        return None   # not drawn by `kind`, or under other settings (colours, fonts, dpi)
    if made[2] != _artist_count(figure):
        return None   # something was added after `kind` drew it, which it would not remove
    if getattr(figure, "number", None) is not None and plt.fignum_exists(figure.number):
        return None   # still open: someone may show it
    if any(label.get_rotation() for label in figure.axes[0].get_xticklabels()):
        return None   # rotated labels: a new figure rather than undoing them
    return figure


@public_api
def plot_mask(mask: Any, row_labels=None, col_labels=None, title: str = "", **kwargs) -> Figure:
    """One mask in its own figure, with the legend (drawn into a closed figure offered by
    :func:`recycling`, if there is one)."""
    matrix = _as_matrix(mask, "mask")
    rows, cols = matrix.shape
    cell = _cell_size(cols, 2.2)
    size = (max(cell * cols + 2.2, 4.6), cell * rows + 1.9)
    fig = _recycled("plot_mask")
    if fig is None:
        fig, ax = plt.subplots(figsize=size)
    else:   # back to what plt.subplots gives, keeping the axes and their ticks
        ax = fig.axes[0]
        FigureCanvasAgg(fig)   # plt.close left it a bare canvas, which cannot draw pixels
        fig.set_size_inches(size)
        for artist in [*ax.collections, *ax.patches, *ax.texts, *fig.legends]:
            artist.remove()
        rc = mpl.rcParams
        fig.subplots_adjust(**{side: rc[f"figure.subplot.{side}"] for side in
                               ("left", "right", "bottom", "top", "wspace", "hspace")})
    draw_mask(ax, matrix, row_labels, col_labels, title, **kwargs)
    mask_legend(fig)
    _tight_layout_one_axes(fig, ax, (0, 0.06, 1, 1))
    fig._lib_plots_made = ("plot_mask", dict.copy(mpl.rcParams), _artist_count(fig))
    return fig


@public_api
def plot_masks(
    masks: Sequence[Any],
    titles: Sequence[str],
    row_labels: Sequence[Sequence[str] | None] | None = None,
    col_labels: Sequence[Sequence[str] | None] | None = None,
    suptitle: str = "",
    **kwargs,
) -> Figure:
    """Several masks side by side (e.g. one per sentence of a batch), one legend.

    Sized for the book's column: the cells shrink (down to 0.3 inch) before the figure
    grows wider than :data:`COLUMN_WIDTH`.
    """
    matrices = [_as_matrix(mask, f"masks[{i}]") for i, mask in
                enumerate(checks.sequence(masks, "masks", "masks"))]
    checks.labels(titles, len(matrices), "titles", "mask")
    for name, per_mask in (("row_labels", row_labels), ("col_labels", col_labels)):
        if per_mask is not None:
            checks.same_length(len(checks.sequence(per_mask, name, "label lists")), len(matrices),
                               name, "label lists, one per mask (None for numbers)")
    overhead = 0.8 * len(matrices) + 0.7   # tick labels of each panel, the axis label once
    cell = _cell_size(sum(m.shape[1] for m in matrices), overhead)
    width = sum(cell * m.shape[1] + 0.8 for m in matrices) + 0.7
    height = max(cell * m.shape[0] for m in matrices) + 2.1 + (0.3 if suptitle else 0)
    fig, axes = plt.subplots(
        1, len(matrices), figsize=(width, height), squeeze=False,
        gridspec_kw={"width_ratios": [m.shape[1] for m in matrices]},
    )
    for index, (ax, matrix) in enumerate(zip(axes[0], matrices)):
        options = dict(kwargs)
        if index > 0:
            options.setdefault("ylabel", "")   # the same axis as the first panel
        draw_mask(
            ax, matrix,
            None if row_labels is None else row_labels[index],
            None if col_labels is None else col_labels[index],
            titles[index], **options,
        )
        same_rows = index > 0 and matrix.shape[0] == matrices[index - 1].shape[0] and (
            row_labels is None or list(row_labels[index] or []) == list(row_labels[index - 1] or []))
        if same_rows:   # the row labels of the panel on the left hold for this one too
            ax.tick_params(axis="y", labelleft=False)
    if suptitle:
        fig.suptitle(suptitle, fontweight="bold")
    mask_legend(fig)
    # leave room for the legend below and, above, for the suptitle clear of the panel titles
    fig.tight_layout(rect=(0, 0.07, 1, 0.93 if suptitle else 1))
    return fig


def _vector(values: Any, name: str) -> np.ndarray:
    """A 1-D boolean vector from a (n,), (n, 1), (1, n) or (1, n, 1)-like mask."""
    array = checks.mask_values(values, name)
    if array.size == 0 or sum(length != 1 for length in array.shape) > 1:
        raise MaskError.expected(
            name, "a vector (one axis longer than 1, e.g. (T, 1) or (1, S))",
            f"shape {array.shape}",
        )
    return array.reshape(-1)


def _outline(ax: Axes, x0: float, y0: float, width: float, height: float) -> None:
    ax.add_patch(Rectangle((x0 - 0.5, y0 - 0.5), width, height, fill=False,
                           edgecolor=HIGHLIGHT_COLOUR, linewidth=3, zorder=5, clip_on=False))


@public_api
def plot_broadcast(
    query_mask: Any,
    key_mask: Any,
    query_labels: Sequence[str] | None = None,
    key_labels: Sequence[str] | None = None,
    suptitle: str = "",
) -> Figure:
    """Broadcasting drawn: a (T, 1) column stretched across S keys, a (1, S) row stretched
    down T queries, and their AND, the (T, S) attention mask (introduced in chapter 4).

    The original column and row are outlined in orange inside their stretched copies.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = plot_broadcast([[True], [False]], [[True, True, False]])
    >>> [ax.get_title().splitlines()[0] for ax in fig.axes]
    ['query_mask (T, 1) = (2, 1)', 'key_mask (1, S) = (1, 3)', 'query_mask & key_mask']
    """
    column = _vector(query_mask, "query_mask")
    row = _vector(key_mask, "key_mask")
    queries, keys = column.size, row.size
    stretched_column = np.broadcast_to(column[:, np.newaxis], (queries, keys))
    stretched_row = np.broadcast_to(row[np.newaxis, :], (queries, keys))
    panels = [
        (stretched_column, f"query_mask (T, 1) = ({queries}, 1)\ncopied across the {keys} keys"),
        (stretched_row, f"key_mask (1, S) = (1, {keys})\ncopied down the {queries} queries"),
        (stretched_column & stretched_row, f"query_mask & key_mask\n(T, S) = ({queries}, {keys})"),
    ]
    # Small cells and large type: three panels side by side must stay legible at page width.
    # Three panels side by side, sized so that the figure is shown at 4/5 of its size or more
    # in the book's column (about 8.5 inches for six keys).
    width = 3 * max(0.32 * keys + 0.6, 2.4) + 1.3
    height = 0.32 * queries + 2.6
    with plt.rc_context({"font.size": 11}):
        fig, axes = plt.subplots(1, 3, figsize=(width, height))
        for index, (ax, (matrix, title)) in enumerate(zip(axes, panels)):
            draw_mask(ax, matrix, query_labels, key_labels, title,
                      xlabel="key j (S)", ylabel="query i (T)" if index == 0 else "")
            ax.title.set_fontsize(11)
            if index > 0:  # same rows as the first panel; room for the & and = between panels
                ax.tick_params(axis="y", labelleft=False)
        _outline(axes[0], 0, 0, 1, queries)
        _outline(axes[1], 0, 0, keys, 1)
        if suptitle:
            fig.suptitle(suptitle, fontsize=13)
        mask_legend(fig, extra=[Patch(facecolor="none", edgecolor=HIGHLIGHT_COLOUR, linewidth=2,
                                      label="the original, before stretching")])
        fig.tight_layout(rect=(0, 0.1, 1, 1), w_pad=2.5)
        for left, right, symbol in ((axes[0], axes[1], "&"), (axes[1], axes[2], "=")):
            a, b = left.get_position(), right.get_position()
            fig.text((a.x1 + b.x0) / 2, (a.y0 + a.y1) / 2, symbol, ha="center", va="center",
                     fontsize=22, fontweight="bold")
    return fig


@public_api
def plot_outer(
    query_mask: Any,
    key_mask: Any,
    query_labels: Sequence[str] | None = None,
    key_labels: Sequence[str] | None = None,
    title: str = "",
) -> Figure:
    """The attention mask as a multiplication table (introduced in chapter 5): the key mask
    along the top, the query mask down the left, and in cell (i, j) ``query_mask[i] & key_mask[j]``.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = plot_outer([True, False], [True, True, False])
    >>> mask_marks(fig.axes[3])   # the body: 2 queries x 3 keys
    ['✓', '✓', '·', '·', '·', '·']
    """
    column = _vector(query_mask, "query_mask")
    row = _vector(key_mask, "key_mask")
    queries, keys = column.size, row.size
    cell, gap = 0.45, 0.15                       # inches
    left_in, right_in = 1.7, 0.5
    top_in, bottom_in = (1.7 if title else 1.3), 1.3
    grid_width, grid_height = cell * (keys + 1) + gap, cell * (queries + 1) + gap
    width = max(left_in + grid_width + right_in, 6.0)
    height = top_in + grid_height + bottom_in
    fig = plt.figure(figsize=(width, height))
    grid = fig.add_gridspec(
        2, 2, width_ratios=[1, keys], height_ratios=[1, queries],
        wspace=gap / (grid_width / 2), hspace=gap / (grid_height / 2),
        left=left_in / width, right=(left_in + grid_width) / width,
        bottom=bottom_in / height, top=1 - top_in / height,
    )
    corner = fig.add_subplot(grid[0, 0])
    top = fig.add_subplot(grid[0, 1])
    left = fig.add_subplot(grid[1, 0])
    body = fig.add_subplot(grid[1, 1])
    corner.axis("off")
    top.set_anchor("SW")
    left.set_anchor("NE")
    body.set_anchor("NW")
    corner.text(0.5, 0.5, "&", ha="center", va="center", fontsize=18, fontweight="bold")
    draw_mask(top, row[np.newaxis, :], [""], key_labels, "", xlabel="", ylabel="")
    draw_mask(left, column[:, np.newaxis], query_labels, [""], "", xlabel="", ylabel="")
    draw_mask(body, column[:, np.newaxis] & row[np.newaxis, :], [""] * queries, [""] * keys, "",
              xlabel="", ylabel="")
    top.xaxis.tick_top()
    top.tick_params(axis="x", labelrotation=45 if key_labels is not None else 0)
    for label in top.get_xticklabels():
        label.set_horizontalalignment("left")
    top.set_xlabel("key_mask: key j (S)")
    top.xaxis.set_label_position("top")
    top.set_yticks([])
    left.set_xticks([])
    left.set_ylabel("query_mask: query i (T)")
    body.tick_params(axis="both", length=0)
    body.set_xlabel("attention mask (T, S)\ncell (i, j) = query_mask[i] & key_mask[j]")
    for spine in (*top.spines.values(), *left.spines.values()):
        spine.set_edgecolor(HIGHLIGHT_COLOUR)
        spine.set_linewidth(2)
    if title:
        top.set_title(title, fontsize=12, pad=10)   # placed above the top axis labels
    mask_legend(fig)
    # Anchored to the table body (not the figure), so cropping the figure cannot cut it.
    fig.legends[-1].set_bbox_to_anchor((0.5, -(bottom_in - 0.1) / (cell * queries)),
                                       transform=body.transAxes)
    return fig


@public_api
def draw_weights(
    ax: Axes,
    weights: Any,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    title: str = "",
    decimals: int = 2,
    mask: Any | None = None,
    vmax: float | None = None,
    colorbar: bool = True,
) -> Axes:
    """Draw attention weights (rows = queries, columns = keys) with the value in each cell.

    ``mask`` is the (T, S) mask the weights were computed with: its ``False`` cells are
    hatched (and keep their value, usually exactly ``0``), so a masked weight never looks
    like a computed weight near 0. Colours run from 0 to ``vmax`` (the largest weight if
    not given); ``colorbar=False`` leaves out the colour bar.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig, ax = plt.subplots()
    >>> ax = draw_weights(ax, [[0.75, 0.25, 0.0]], mask=[[True, True, False]])
    >>> [t.get_text() for t in ax.texts], [p.get_hatch() for p in ax.patches]
    (['0.75', '0.25', '0'], ['////'])
    """
    matrix = _as_matrix(weights, "weights", "weights", row_labels, col_labels)
    rows, cols = matrix.shape
    keep = np.ones_like(matrix, dtype=bool)
    if mask is not None:
        keep = _as_matrix(mask, "mask").astype(bool)
        if keep.shape != matrix.shape:
            raise MaskError.expected("mask", f"shape {matrix.shape} to match the weights",
                                     f"shape {keep.shape}")
    top = float(vmax) if vmax is not None else max(1e-9, float(matrix.max()))
    _cells(ax, np.ma.masked_where(~keep, matrix), cmap="viridis", vmin=0.0, vmax=top)
    for i, j in zip(*np.nonzero(~keep)):
        ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor=MASKED_COLOUR, hatch="////",
                               hatchcolor=HATCH_COLOUR, edgecolor=GAP_COLOUR, linewidth=1.5))
    _ticks(ax, rows, cols, row_labels, col_labels)
    for i in range(rows):
        for j in range(cols):
            value = matrix[i, j]
            text = "0" if value == 0 else f"{value:.{decimals}f}"
            if not keep[i, j]:
                colour = INK
            else:
                colour = VALUE_DARK if value > 0.45 * top else VALUE_LIGHT
            ax.text(j, i, text, ha="center", va="center", fontsize=MIN_FONT_SIZE, color=colour)
    ax.set_title(title, fontsize=11)
    ax.set_xlabel("key position (S)")
    ax.set_ylabel("query position (T)")
    if colorbar:
        bar = ax.figure.colorbar(ax.collections[0], ax=ax, fraction=0.046, pad=0.04)
        bar.outline.set_visible(False)
    return ax


@public_api
def plot_weights(
    weights: Any,
    query_labels: Sequence[Any] | None = None,
    key_labels: Sequence[Any] | None = None,
    mask: Any | None = None,
    row_titles: Sequence[str] | None = None,
    suptitle: str = "",
    decimals: int = 2,
    show_mask: bool = True,
    head_titles: Sequence[str] | None = None,
) -> Figure:
    """Attention weights head by head (introduced in chapter 6).

    ``weights`` is (H, T, S) for one sentence or (B, H, T, S) for a batch: one row
    of panels per sentence, one panel per head, each drawn by :func:`draw_weights`
    (rows are queries, columns are keys) on one colour scale from 0 to 1. ``mask``
    ((T, S) or (B, T, S)) is the mask the weights were computed with: its ``False``
    cells are hatched in every head, and with ``show_mask`` (the default) the mask
    itself comes first in each row. Labels are one list per sentence (or, for one
    sentence, one list). ``head_titles`` names the weight panels (default ``head h``).

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = plot_weights(np.full((2, 2, 2), 0.5), mask=[[True, True], [True, True]])
    >>> [ax.get_title() for ax in fig.axes if ax.get_title()]
    ['attention mask', 'head 0', 'head 1']
    """
    array = checks.as_array(weights, "weights")
    checks.rank(array, (3, 4), "weights", "(H, T, S) or (B, H, T, S) attention weights")
    single = array.ndim == 3
    if single:
        array = array[np.newaxis]
        query_labels = None if query_labels is None else [query_labels]
        key_labels = None if key_labels is None else [key_labels]
    batch, heads, queries, keys = array.shape
    masks = None
    if mask is not None:
        masks = checks.mask_values(mask, "mask")
        masks = masks.reshape((1, *masks.shape)) if masks.ndim == 2 else masks
        if masks.shape != (batch, queries, keys):
            raise MaskError.expected(
                "mask", f"shape {(batch, queries, keys)} to match the weights",
                f"shape {masks.shape}",
            )
    for name, per_row in (("query_labels", query_labels), ("key_labels", key_labels),
                          ("row_titles", row_titles)):
        if per_row is not None:
            checks.same_length(len(checks.sequence(per_row, name, "lists")), batch, name,
                               "entries, one per sentence (B)")
    mask_panel = masks is not None and show_mask
    columns = heads + mask_panel
    # Sized for the book's column: tick labels and axis label once per row, one colour bar.
    overhead = 1.4 + 0.15 * (columns - 1) + 0.8
    cell = _cell_size(columns * keys, overhead, largest=0.42)
    title_lines = 1 + (row_titles is not None)
    fig, axes = plt.subplots(
        batch, columns, squeeze=False, layout="constrained",
        figsize=(columns * cell * keys + overhead,
                 batch * (cell * queries + 1.1 + 0.18 * title_lines) + (0.3 if suptitle else 0)
                 + (0.45 if masks is not None else 0)),
    )
    for b in range(batch):
        rows = None if query_labels is None else query_labels[b]
        cols = None if key_labels is None else key_labels[b]
        prefix = "" if row_titles is None else f"{row_titles[b]}\n"
        panels = list(axes[b])
        if mask_panel:
            draw_mask(panels.pop(0), masks[b], rows, cols, f"{prefix}attention mask")
        for h, ax in enumerate(panels):
            name = f"head {h}" if head_titles is None else head_titles[h]
            draw_weights(ax, array[b, h], rows, cols, f"{prefix}{name}", decimals=decimals,
                         mask=None if masks is None else masks[b], vmax=1.0, colorbar=False)
        for index, ax in enumerate(axes[b]):
            if index > 0:   # the same queries as the first panel of the row
                ax.set_ylabel("")
                ax.tick_params(axis="y", labelleft=False)
            if b < batch - 1:
                ax.set_xlabel("")
    if suptitle:
        fig.suptitle(suptitle)
    first_weights = axes[0, 1 if mask_panel else 0]
    bar = fig.colorbar(first_weights.collections[0], ax=axes, shrink=0.9, aspect=30, pad=0.02)
    bar.set_label("attention weight")
    bar.outline.set_visible(False)
    if masks is not None:
        mask_legend(fig, extra=[masked_weight_patch()], mask=mask_panel)
    return fig


# --- the figures of chapter 11: memory (lib.memory) and time (lib.timing) --------------------

_MEMORY_SERIES = (  # (label, attribute, marker, linestyle, colour)
    ("{dtype} scores, all H heads (B, H, T, S)", "scores", "D", "-", "#b2182b"),
    ("{dtype} scores, one head (B, 1, T, S)", "head_scores", "^", "--", "#ef8a62"),
    ("attention_mask, bool (B, T, S)", "attention_mask", "o", "-", "#1f4e79"),
    ("key_mask, bool (B, 1, S)", "key_mask", "s", ":", "#4d9221"),
)
_MARKERS = ("o", "s", "^", "D", "v", "P")
_LINESTYLES = ("-", ":", "--", "-.")
_COLOURS = ("#1f4e79", "#4d9221", "#b2182b", "#7b3294", "#e66100", "#333333")

def _bytes_axis(ax: Any) -> None:
    from matplotlib.ticker import FuncFormatter, LogLocator

    ax.set_yscale("log", base=2)
    ax.yaxis.set_major_locator(LogLocator(base=1024))
    ax.yaxis.set_major_formatter(
        FuncFormatter(lambda y, _: format_bytes(int(round(y))) if y >= 1 else "")
    )


def _length_axis(ax: Any, lengths: Sequence[int]) -> None:
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(lengths), [str(length) for length in lengths])
    ax.minorticks_off()
    ax.set_xlabel("sequence length T = S (log scale)")
    ax.grid(True, which="major", alpha=0.3)


@public_api
def plot_memory(rows: Sequence[MaskMemory], title: str = "") -> Any:
    """Log-log plot of the exact bytes of :func:`memory_table` rows against the length.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from lib.memory import memory_table
    >>> fig = plot_memory(memory_table(8, [128, 256]))
    >>> fig.axes[0].get_xscale(), fig.axes[0].get_yscale()
    ('log', 'log')
    """
    rows = check_rows(rows)
    unequal = [(row.query_length, row.key_length) for row in rows
               if row.query_length != row.key_length]
    if unequal:
        raise MaskError.expected(
            "rows", "self-attention rows (T = S), one per length, as memory_table makes them",
            f"T != S in (T, S) = {unequal}",
        )
    lengths = [row.query_length for row in rows]
    fig, ax = plt.subplots(figsize=(7, 4.4))  # fits the 7-inch column: text at full size
    for label, attribute, marker, linestyle, colour in _MEMORY_SERIES:
        if attribute == "head_scores" and rows[0].heads == 1:
            continue  # one head: the same line as all heads
        ax.plot(lengths, [getattr(row, attribute) for row in rows], marker=marker,
                linestyle=linestyle, color=colour, label=label.format(dtype=rows[0].scores_dtype))
    _length_axis(ax, lengths)
    _bytes_axis(ax)
    ax.set_ylabel("bytes, computed from the shape (log scale)")
    ax.set_title(title or f"exact memory, B = {rows[0].batch}, H = {rows[0].heads}")
    ax.legend(loc="upper left", fontsize=9)
    fig.tight_layout()
    return fig


@public_api
def plot_times(
    lengths: Sequence[int],
    timings: Mapping[str, Sequence[Timing]],
    title: str,
    reference: str | None = None,
) -> Any:
    """Log-log plot of measured median times (ms), with the min-max of the samples as error bars.

    ``reference`` names the series that the dashed O(B·T·S) line (slope 2) is
    drawn through, at its longest length.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> timings = {"a": [Timing((0.001,)), Timing((0.004,))]}
    >>> fig = plot_times([8, 16], timings, "demo", reference="a")
    >>> [line.get_label() for line in fig.axes[0].get_lines()][-1]
    'O(B·T·S): slope 2'
    """
    xs, timings = check_timings(lengths, timings)
    if reference is not None and reference not in timings:
        raise MaskError.expected("reference", f"one of {sorted(timings)}", repr(reference))
    fig, ax = plt.subplots(figsize=(7, 4.4))  # fits the 7-inch column: text at full size
    for index, (name, series) in enumerate(timings.items()):
        medians = np.array([timing.median for timing in series]) * 1e3
        low = medians - np.array([timing.best for timing in series]) * 1e3
        high = np.array([max(timing.samples) for timing in series]) * 1e3 - medians
        ax.errorbar(xs, medians, yerr=[low, high], capsize=3, label=name,
                    marker=_MARKERS[index % len(_MARKERS)],
                    linestyle=_LINESTYLES[index % len(_LINESTYLES)],
                    color=_COLOURS[index % len(_COLOURS)])
    if reference is not None:
        anchor = (xs[-1], timings[reference][-1].median * 1e3)
        ax.plot(xs, reference_line(xs, anchor), linestyle="--", color="grey",
                label="O(B·T·S): slope 2")
    _length_axis(ax, xs)
    ax.set_yscale("log")
    ax.set_ylabel("median time per call, ms (log scale)")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=9)
    fig.tight_layout()
    return fig
