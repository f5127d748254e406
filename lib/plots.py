"""One heatmap helper for every mask and attention-weight matrix in the book.

Masks are drawn with two colours that differ in lightness (dark = ``True``,
may attend; light = ``False``) *and* a symbol in every cell (``✓`` / ``·``),
so they read without colour. Rows are queries, columns are keys.

Every drawing function checks what it is given: a mask must be boolean (or
0/1), never an additive mask or NaN, which a cast to bool would draw
inverted or as True; weights must be finite numbers from 0 to 1; labels must
be one per row or column. Importing this module changes nothing: in a
notebook, :func:`lib.reproducible.setup_chapter` selects the inline backend.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> fig = plot_mask([[True, False]], row_labels=["q"], col_labels=["a", "b"], title="demo")
>>> [t.get_text() for t in fig.axes[0].texts]
['✓', '·']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from lib import checks
from lib.checks import public_api
from lib.errors import MaskError
from lib.memory import MaskMemory, check_rows, format_bytes
from lib.timing import Timing, check_timings, reference_line

TRUE_COLOUR = "#1f4e79"   # dark blue: may attend
FALSE_COLOUR = "#f2f2f2"  # near white: masked
MASK_CMAP = ListedColormap([FALSE_COLOUR, TRUE_COLOUR])
TRUE_MARK, FALSE_MARK = "✓", "·"
HIGHLIGHT_COLOUR = "#e66100"  # orange: outlines what a figure points at (the original of a stretch)


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
    """Draw a boolean matrix on ``ax``: dark ✓ = True (may attend), light · = False."""
    matrix = _as_matrix(mask, "mask", "mask", row_labels, col_labels)
    ax.imshow(matrix.astype(int), cmap=MASK_CMAP, vmin=0, vmax=1, aspect="equal")
    rows, cols = matrix.shape
    ax.set_xticks(range(cols), col_labels if col_labels is not None else range(cols))
    ax.set_yticks(range(rows), row_labels if row_labels is not None else range(rows))
    if col_labels is not None:
        ax.tick_params(axis="x", labelrotation=45)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
    ax.set_xticks(np.arange(-0.5, cols), minor=True)
    ax.set_yticks(np.arange(-0.5, rows), minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    if marks:
        for i in range(rows):
            for j in range(cols):
                ax.text(
                    j, i, TRUE_MARK if matrix[i, j] else FALSE_MARK,
                    ha="center", va="center", fontsize=10,
                    color="white" if matrix[i, j] else "#555555",
                )
    ax.set_title(title, fontsize=11)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


@public_api
def mask_legend(fig: Figure, extra: Sequence[Patch] = ()) -> None:
    """The legend shared by every mask figure (``extra`` handles are appended)."""
    handles = [
        Patch(facecolor=TRUE_COLOUR, edgecolor="grey",
              label=f"{TRUE_MARK} True: real token / may attend"),
        Patch(facecolor=FALSE_COLOUR, edgecolor="grey",
              label=f"{FALSE_MARK} False: padding / masked"),
        *extra,
    ]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False,
               bbox_to_anchor=(0.5, -0.02))


@public_api
def plot_mask(mask: Any, row_labels=None, col_labels=None, title: str = "", **kwargs) -> Figure:
    """One mask in its own figure, with the legend."""
    matrix = _as_matrix(mask, "mask")
    fig, ax = plt.subplots(figsize=(0.45 * matrix.shape[1] + 2.2, 0.45 * matrix.shape[0] + 1.8))
    draw_mask(ax, matrix, row_labels, col_labels, title, **kwargs)
    mask_legend(fig)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
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
    """Several masks side by side (e.g. one per sentence of a batch), one legend."""
    matrices = [_as_matrix(mask, f"masks[{i}]") for i, mask in
                enumerate(checks.sequence(masks, "masks", "masks"))]
    checks.labels(titles, len(matrices), "titles", "mask")
    for name, per_mask in (("row_labels", row_labels), ("col_labels", col_labels)):
        if per_mask is not None:
            checks.same_length(len(checks.sequence(per_mask, name, "label lists")), len(matrices),
                               name, "label lists, one per mask (None for numbers)")
    width = sum(0.45 * m.shape[1] + 1.6 for m in matrices) + 0.6
    height = max(0.45 * m.shape[0] for m in matrices) + 2.0
    fig, axes = plt.subplots(1, len(matrices), figsize=(width, height), squeeze=False)
    for index, (ax, matrix) in enumerate(zip(axes[0], matrices)):
        draw_mask(
            ax, matrix,
            None if row_labels is None else row_labels[index],
            None if col_labels is None else col_labels[index],
            titles[index], **kwargs,
        )
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
    width = 3 * max(0.36 * keys + 0.8, 2.9) + 1.4
    height = 0.36 * queries + 2.7
    with plt.rc_context({"font.size": 12}):
        fig, axes = plt.subplots(1, 3, figsize=(width, height))
        for index, (ax, (matrix, title)) in enumerate(zip(axes, panels)):
            draw_mask(ax, matrix, query_labels, key_labels, title,
                      xlabel="key j (S)", ylabel="query i (T)" if index == 0 else "")
            ax.title.set_fontsize(12)
            if index > 0:  # same rows as the first panel; room for the & and = between panels
                ax.tick_params(axis="y", labelleft=False)
        _outline(axes[0], 0, 0, 1, queries)
        _outline(axes[1], 0, 0, keys, 1)
        if suptitle:
            fig.suptitle(suptitle, fontsize=13)
        mask_legend(fig, extra=[Patch(facecolor="none", edgecolor=HIGHLIGHT_COLOUR, linewidth=2,
                                      label="the original, before stretching")])
        fig.tight_layout(rect=(0, 0.08, 1, 1), w_pad=3.0)
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
    >>> [t.get_text() for t in fig.axes[3].texts]   # the body: 2 queries x 3 keys
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
) -> Axes:
    """Draw attention weights (rows = queries, columns = keys) with the value in each cell."""
    matrix = _as_matrix(weights, "weights", "weights", row_labels, col_labels)
    image = ax.imshow(matrix, cmap="viridis", vmin=0.0, vmax=max(1e-9, float(matrix.max())),
                      aspect="equal")
    rows, cols = matrix.shape
    ax.set_xticks(range(cols), col_labels if col_labels is not None else range(cols))
    ax.set_yticks(range(rows), row_labels if row_labels is not None else range(rows))
    if col_labels is not None:
        ax.tick_params(axis="x", labelrotation=45)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
    for i in range(rows):
        for j in range(cols):
            value = matrix[i, j]
            text = "0" if value == 0 else f"{value:.{decimals}f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=7,
                    color="black" if value > 0.6 * matrix.max() else "white")
    ax.set_title(title, fontsize=11)
    ax.set_xlabel("key position (S)")
    ax.set_ylabel("query position (T)")
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
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
) -> Figure:
    """Attention weights head by head (introduced in chapter 6).

    ``weights`` is (H, T, S) for one sentence or (B, H, T, S) for a batch: one row
    of panels per sentence, one panel per head, each drawn by :func:`draw_weights`
    (rows are queries, columns are keys). With ``mask`` ((T, S) or (B, T, S)) the
    mask the weights were computed with comes first in each row. Labels are one
    list per sentence (or, for one sentence, one list).

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
    columns = heads + (masks is not None)
    cell = 0.4   # inches per matrix cell: two 6 x 6 panels make a figure about as wide as the page
    title_lines = 1 + (row_titles is not None)
    fig, axes = plt.subplots(
        batch, columns, squeeze=False,
        figsize=(columns * (cell * keys + 1.7),
                 batch * (cell * queries + 1.3 + 0.2 * title_lines) + (0.4 if suptitle else 0.1)),
    )
    for b in range(batch):
        rows = None if query_labels is None else query_labels[b]
        cols = None if key_labels is None else key_labels[b]
        prefix = "" if row_titles is None else f"{row_titles[b]}\n"
        panels = list(axes[b])
        if masks is not None:
            draw_mask(panels.pop(0), masks[b], rows, cols, f"{prefix}attention mask")
        for h, ax in enumerate(panels):
            draw_weights(ax, array[b, h], rows, cols, f"{prefix}head {h}", decimals=decimals)
    if suptitle:
        fig.suptitle(suptitle)
    if masks is not None:
        mask_legend(fig)
        fig.tight_layout(rect=(0, 0.05, 1, 1))
    else:
        fig.tight_layout()
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
    fig, ax = plt.subplots(figsize=(8, 4.8))
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
    fig, ax = plt.subplots(figsize=(8, 4.8))
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
