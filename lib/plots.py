"""One heatmap helper for every mask and attention-weight matrix in the book.

Masks are drawn with two colours that differ in lightness (dark = ``True``,
may attend; light = ``False``) *and* a symbol in every cell (``✓`` / ``·``),
so they read without colour. Rows are queries, columns are keys.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> fig = plot_mask([[True, False]], row_labels=["q"], col_labels=["a", "b"], title="demo")
>>> [t.get_text() for t in fig.axes[0].texts]
['✓', '·']
"""

from __future__ import annotations

from typing import Any, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

TRUE_COLOUR = "#1f4e79"   # dark blue: may attend
FALSE_COLOUR = "#f2f2f2"  # near white: masked
MASK_CMAP = ListedColormap([FALSE_COLOUR, TRUE_COLOUR])
TRUE_MARK, FALSE_MARK = "✓", "·"


def _as_matrix(values: Any, name: str) -> np.ndarray:
    array = np.asarray(values.numpy() if hasattr(values, "numpy") else values)
    while array.ndim > 2 and array.shape[0] == 1:
        array = array[0]
    if array.ndim == 1:
        array = array[np.newaxis, :]
    if array.ndim != 2:
        raise ValueError(f"`{name}`: expected a 2-D matrix (or 1-D row), received shape {array.shape}.")
    return array


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
    matrix = _as_matrix(mask, "mask").astype(bool)
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


def mask_legend(fig: Figure) -> None:
    """The legend shared by every mask figure."""
    fig.legend(
        handles=[
            Patch(facecolor=TRUE_COLOUR, edgecolor="grey", label=f"{TRUE_MARK} True: may attend (real)"),
            Patch(facecolor=FALSE_COLOUR, edgecolor="grey", label=f"{FALSE_MARK} False: masked (padding)"),
        ],
        loc="lower center", ncol=2, frameon=False, bbox_to_anchor=(0.5, -0.02),
    )


def plot_mask(mask: Any, row_labels=None, col_labels=None, title: str = "", **kwargs) -> Figure:
    """One mask in its own figure, with the legend."""
    matrix = _as_matrix(mask, "mask")
    fig, ax = plt.subplots(figsize=(0.45 * matrix.shape[1] + 2.2, 0.45 * matrix.shape[0] + 1.8))
    draw_mask(ax, matrix, row_labels, col_labels, title, **kwargs)
    mask_legend(fig)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def plot_masks(
    masks: Sequence[Any],
    titles: Sequence[str],
    row_labels: Sequence[Sequence[str] | None] | None = None,
    col_labels: Sequence[Sequence[str] | None] | None = None,
    suptitle: str = "",
    **kwargs,
) -> Figure:
    """Several masks side by side (e.g. one per sentence of a batch), one legend."""
    matrices = [_as_matrix(mask, f"masks[{i}]") for i, mask in enumerate(masks)]
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
        fig.suptitle(suptitle)
    mask_legend(fig)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def draw_weights(
    ax: Axes,
    weights: Any,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    title: str = "",
    decimals: int = 2,
) -> Axes:
    """Draw attention weights (rows = queries, columns = keys) with the value in each cell."""
    matrix = _as_matrix(weights, "weights").astype(float)
    image = ax.imshow(matrix, cmap="viridis", vmin=0.0, vmax=max(1e-9, float(matrix.max())), aspect="equal")
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
