"""Figures for the course: image grids, training curves, feature maps, filters, confusion matrices.

Every function draws one titled figure with labelled axes, shows it and returns None (a returned
figure would be drawn twice in Jupyter). Colours: the Okabe-Ito palette and ``viridis``, both
readable with colour-vision deficiencies; runs beyond the palette's eight colours get the same
colours again with another marker (:func:`run_styles`), so any number of runs stays distinguishable.

Usage in a notebook::

    image_grid(x_train[:8], y_train[:8], class_names=CLASS_NAMES["mnist"], title="MNIST")
    plot_layer_costs(course_utils.trace(model))     # parameters and MACs per layer
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import to_hex
from matplotlib.patches import Patch
from matplotlib.ticker import EngFormatter, MaxNLocator

from .tracing import trace

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def run_styles(n: int) -> list[tuple[str, str]]:
    """Return ``n`` distinct (colour, marker) pairs, one per run, colour-blind safe.

    The eight Okabe-Ito colours with circles, then the same colours with squares, triangles, ...
    (64 pairs); more runs than that get ``n`` evenly spaced ``viridis`` colours, markers cycling.

    Example:
        >>> run_styles(9)[0], run_styles(9)[8]
        (('#0072B2', 'o'), ('#0072B2', 's'))
    """
    if n <= len(OKABE_ITO) * len(MARKERS):
        return [(OKABE_ITO[i % len(OKABE_ITO)], MARKERS[i // len(OKABE_ITO)]) for i in range(n)]
    colours = plt.get_cmap("viridis")(np.linspace(0, 1, n))
    return [(to_hex(c, keep_alpha=False), MARKERS[i % len(MARKERS)]) for i, c in enumerate(colours)]


def _as_image(img: np.ndarray) -> tuple[np.ndarray, str | None]:
    img = np.asarray(img)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    return img, ("gray" if img.ndim == 2 else None)


def _label(y: Any, class_names: Sequence[str] | None) -> str:
    y = int(np.asarray(y).reshape(-1)[0])
    return class_names[y] if class_names is not None else str(y)


def image_grid(
    images: np.ndarray,
    labels: Sequence | None = None,
    class_names: Sequence[str] | None = None,
    predictions: Sequence | None = None,
    cols: int = 8,
    title: str | None = None,
    size: float = 1.4,
) -> None:
    """Show NHWC (or NHW) images in a grid, captioned with class names (and predictions if given).

    A wrong prediction is captioned ``pred (true)`` in red-orange.
    """
    n = len(images)
    if n == 0:
        raise ValueError("image_grid needs at least one image")
    cols = min(cols, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * size, rows * size * 1.15), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        img, cmap = _as_image(images[i])
        ax.imshow(img, cmap=cmap, vmin=0, vmax=255 if img.dtype == np.uint8 else None)
        if labels is not None:
            text, color = _label(labels[i], class_names), "black"
            if predictions is not None:
                pred = _label(predictions[i], class_names)
                if pred != text:
                    text, color = f"{pred} ({text})", OKABE_ITO[3]
            ax.set_title(text, fontsize=8, color=color)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    plt.show()


def plot_history(histories: Mapping[str, Any], metrics: Sequence[str] = ("accuracy", "loss"), title: str | None = None) -> None:
    """Plot training (solid) and validation (dashed) curves of several runs on one figure.

    ``histories`` maps a run name to a ``keras.callbacks.History``, a ``TrainingRun`` or a dict of
    per-epoch lists. One panel per metric; one (colour, marker) pair per run (:func:`run_styles`).
    """
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 3.8), squeeze=False)
    styles = run_styles(len(histories))
    for ax, metric in zip(axes[0], metrics):
        for (color, marker), (name, h) in zip(styles, histories.items()):
            h = getattr(h, "history", h)
            epochs = range(1, len(h.get(metric, [])) + 1)
            if metric in h:
                ax.plot(epochs, h[metric], "-", marker=marker, color=color, ms=3, label=f"{name} train")
            if f"val_{metric}" in h:
                ax.plot(epochs, h[f"val_{metric}"], "--", marker=marker, color=color, ms=3, label=f"{name} validation")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole epochs only
        ax.set_ylabel(metric)
        ax.set_title(metric)
        ax.grid(alpha=0.3)
        if len(histories) <= 4:
            ax.legend(fontsize=8)
        else:  # many runs: beside the panel, where it hides no curve
            ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), ncol=1 + len(histories) // 12)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    plt.show()


def plot_layer_costs(
    trace_or_model: Any,
    types: Sequence[str] | None = None,
    log: bool = False,
    skip_empty: bool = True,
    horizontal: bool = False,
    title: str | None = None,
) -> None:
    """Draw parameters and MACs per layer side by side, one bar per layer, coloured by layer type.

    ``trace_or_model`` is a :class:`course_utils.tracing.Trace` or a Keras model (traced here).
    ``types`` keeps only those layer types (e.g. ``("Conv2D", "Dense")``); ``skip_empty`` drops
    layers with neither parameters nor MACs (pooling, activations, ...); ``log`` uses log scales
    (AlexNet's fc6 otherwise dwarfs everything); ``horizontal`` draws horizontal bars (deep models).
    A layer whose MACs the tracer does not know is drawn hatched with a ``?``, never as 0.

    Example (in a notebook)::

        plot_layer_costs(course_utils.trace(models.alexnet_paper()), types=("Conv2D", "Dense"))
    """
    if hasattr(trace_or_model, "rows"):
        traced = trace_or_model
    else:

        traced = trace(trace_or_model)
    rows = [r for r in traced.rows if types is None or r.type in types]
    if skip_empty:
        rows = [r for r in rows if r.params or r.macs is None or r.macs]
    if not rows:
        raise ValueError(f"no layers to draw in {traced.model_name!r}: check `types` ({types}) or pass skip_empty=False")
    kinds = list(dict.fromkeys(r.type for r in rows))
    colour_of = {kind: OKABE_ITO[i % len(OKABE_ITO)] for i, kind in enumerate(kinds)}
    names = [r.name for r in rows]
    size = (12, max(3.0, 0.28 * len(rows) + 1.2)) if horizontal else (max(9.0, 0.45 * len(rows) + 3), 3.8)
    fig, axes = plt.subplots(1, 2, figsize=size)
    unknown = [i for i, r in enumerate(rows) if r.macs is None]
    for ax, what, values in [(axes[0], "parameters", [r.params for r in rows]),
                             (axes[1], "MACs per image", [r.macs for r in rows])]:
        known = [i for i, v in enumerate(values) if v is not None]
        bar, span = (ax.barh, ax.axhspan) if horizontal else (ax.bar, ax.axvspan)
        bar(known, [values[i] for i in known], color=[colour_of[rows[i].type] for i in known])
        for i in (i for i, v in enumerate(values) if v is None):
            span(i - 0.4, i + 0.4, fill=False, hatch="//", edgecolor="gray", linewidth=0.5)
            where = ax.get_yaxis_transform() if horizontal else ax.get_xaxis_transform()
            ax.text(*((0.02, i) if horizontal else (i, 0.02)), "?", transform=where, ha="center", va="bottom", fontsize=11)
        value_axis, layer_axis = (ax.xaxis, ax.yaxis) if horizontal else (ax.yaxis, ax.xaxis)
        if log:
            (ax.set_xscale if horizontal else ax.set_yscale)("log")
        else:
            value_axis.set_major_formatter(EngFormatter(sep=" "))
        layer_axis.set_ticks(range(len(rows)), names, **({} if horizontal else {"rotation": 45, "ha": "right"}))
        (ax.set_xlabel if horizontal else ax.set_ylabel)(what + (" (log scale)" if log else ""))
        ax.set_title(what + " per layer")
        ax.grid(alpha=0.3, axis="x" if horizontal else "y")
        if horizontal:
            ax.invert_yaxis()  # the first layer on top
    legend = [Patch(color=colour_of[k], label=k) for k in kinds]
    if unknown:
        legend.append(Patch(fill=False, hatch="//", edgecolor="gray", label="MACs unknown (?)"))
    axes[1].legend(handles=legend, fontsize=8)
    note = " (MACs: ? = unknown, so their total is a lower bound)" if unknown else ""
    fig.suptitle((title or f"{traced.model_name}: parameters and MACs per layer") + note)
    fig.tight_layout()
    plt.show()


def feature_maps(maps: np.ndarray, title: str, cols: int = 8, max_maps: int = 32) -> None:
    """Show the channels of one image's feature maps (H x W x C, or 1 x H x W x C) side by side."""
    maps = np.asarray(maps)
    if maps.ndim == 4:
        maps = maps[0]
    if maps.ndim != 3:
        raise ValueError(f"feature maps must be H x W x C (or 1 x H x W x C), got shape {maps.shape}")
    n = min(maps.shape[-1], max_maps)
    cols = min(cols, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.3, rows * 1.4), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(maps[..., i], cmap="viridis")
            ax.set_title(f"map {i}", fontsize=7)
    fig.suptitle(f"{title} ({n} of {maps.shape[-1]} maps, {maps.shape[0]}x{maps.shape[1]})")
    fig.tight_layout()
    plt.show()


def filters(kernel: np.ndarray, title: str, cols: int = 8, max_filters: int = 64) -> None:
    """Show first-layer filters (kernel k x k x C_in x C_out); RGB filters in colour, else grey."""
    kernel = np.asarray(kernel)
    if kernel.ndim != 4:
        raise ValueError(f"a conv kernel is k x k x C_in x C_out, got shape {kernel.shape}")
    n = min(kernel.shape[-1], max_filters)
    cols = min(cols, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.0, rows * 1.1), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        w = kernel[..., i]
        w = (w - w.min()) / (np.ptp(w) + 1e-8)
        ax.imshow(w if w.shape[-1] == 3 else w[..., 0], cmap=None if w.shape[-1] == 3 else "gray")
    fig.suptitle(f"{title} ({n} filters, {kernel.shape[0]}x{kernel.shape[1]})")
    fig.tight_layout()
    plt.show()


def confusion_counts(y_true: Sequence, y_pred: Sequence, n_classes: int) -> np.ndarray:
    """Return the n x n confusion matrix: row = true class, column = predicted class.

    Example:
        >>> confusion_counts([0, 1, 1], [0, 1, 0], 2).tolist()
        [[1, 0], [1, 1]]
    """
    true, pred = np.asarray(y_true).reshape(-1), np.asarray(y_pred).reshape(-1)
    if true.shape != pred.shape:
        raise ValueError(f"y_true has {true.size} labels and y_pred {pred.size}: pass one prediction per image")
    for name, labels in (("y_true", true), ("y_pred", pred)):
        outside = labels[(labels < 0) | (labels >= n_classes)]
        if outside.size:  # np.add.at would wrap a -1 into the last class without a word
            raise ValueError(f"{name} holds {outside[0]}, outside the classes 0..{n_classes - 1}: "
                             "pass class indices (argmax of the predictions), not one-hot rows or -1 placeholders")
    matrix = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(matrix, (true, pred), 1)
    return matrix


def confusion_matrix(y_true: Sequence, y_pred: Sequence, class_names: Sequence[str], title: str = "Confusion matrix") -> None:
    """Plot the confusion matrix with counts in each cell and class names on both axes."""
    m = confusion_counts(y_true, y_pred, len(class_names))
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    im = ax.imshow(m, cmap="viridis")
    ax.set_xticks(range(len(class_names)), class_names, rotation=45, ha="right")
    ax.set_yticks(range(len(class_names)), class_names)
    for (i, j), v in np.ndenumerate(m):
        ax.text(j, i, str(v), ha="center", va="center", fontsize=7, color="white" if v < m.max() / 2 else "black")
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(f"{title} (accuracy {np.trace(m) / m.sum():.1%})")
    fig.colorbar(im, ax=ax, label="images")
    fig.tight_layout()
    plt.show()


def misclassified(images: np.ndarray, y_true: Sequence, y_pred: Sequence, class_names: Sequence[str], n: int = 16) -> None:
    """Show up to ``n`` misclassified images captioned ``predicted (true)``."""
    y_true, y_pred = np.asarray(y_true).reshape(-1), np.asarray(y_pred).reshape(-1)
    wrong = np.flatnonzero(y_true != y_pred)[:n]
    if len(wrong) == 0:
        print("No misclassified images.")
        return
    image_grid(images[wrong], y_true[wrong], class_names, predictions=y_pred[wrong],
               title=f"{len(wrong)} of {int(np.sum(y_true != y_pred))} misclassified: predicted (true)")
