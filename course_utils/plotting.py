"""Figures for the course: image grids, training curves, feature maps, filters, confusion matrices.

Every function draws one titled figure with labelled axes, shows it and returns None (a returned
figure would be drawn twice in Jupyter). Colours: the Okabe-Ito palette and ``viridis``, both
readable with colour-vision deficiencies.

Usage in a notebook::

    image_grid(x_train[:8], y_train[:8], class_names=CLASS_NAMES["mnist"], title="MNIST")
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]


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
    per-epoch lists. One panel per metric; one colour per run.
    """
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 3.8), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for color, (name, h) in zip(OKABE_ITO, histories.items()):
            h = getattr(h, "history", h)
            epochs = range(1, len(h.get(metric, [])) + 1)
            if metric in h:
                ax.plot(epochs, h[metric], "-o", color=color, ms=3, label=f"{name} train")
            if f"val_{metric}" in h:
                ax.plot(epochs, h[f"val_{metric}"], "--s", color=color, ms=3, label=f"{name} validation")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # whole epochs only
        ax.set_ylabel(metric)
        ax.set_title(metric)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
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
    matrix = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(matrix, (np.asarray(y_true).reshape(-1), np.asarray(y_pred).reshape(-1)), 1)
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
