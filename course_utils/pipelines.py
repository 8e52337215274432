"""Four ways to feed 224-pixel batches made from small images, and a throughput meter.

The classic-models tutorial avoids holding 224 x 224 copies of CIFAR-10 in memory with a Python generator that resizes
each batch. :func:`generator_batches` is that idea; ``course_utils.data.make_dataset(...,
image_size=224)`` does the same work as a parallel ``tf.data`` pipeline, and with ``dtype="uint8"``
delivers the resized batches as uint8, a quarter of the bytes, for the model to scale;
:func:`resize_in_model` moves the resize into the network (on a GPU: onto the accelerator). Images
are NHWC.

Usage::

    batches = generator_batches(x_train, y_train, batch_size=64, size=224)
    images_per_second(batches)            # sustained images/s: median of three 2-second windows
    compare_pipelines(x_train, y_train, batch_size=64)   # all four, as notebook A2 and the benchmark
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from . import data

GENERATOR, TF_DATA, UINT8, IN_MODEL = (
    "Python generator (the classic-models tutorial)", "tf.data pipeline", "tf.data, uint8 out", "resize inside the model")


def generator_batches(x: np.ndarray, y: np.ndarray, batch_size: int, size: int = 224) -> Iterator[tuple]:
    """Yield (images, labels) batches forever: a Python loop that resizes each batch to ``size``.

    Images come out float32 in [0, 1], ``batch x size x size x C``. ``resize_with_pad`` keeps the
    aspect ratio, and for 32 -> 224 it slips: it computes the new side in float32 as
    ``32 / (32 / 224) = 223.99998``, rounds it down, and pads the last row and column with black.
    This function keeps that behaviour, as the classic-models tutorial's generator has it; the other pipelines resize
    to the full 224.
    """
    while True:
        for start in range(0, len(x), batch_size):
            batch = tf.image.resize_with_pad(x[start : start + batch_size], size, size)
            yield batch / 255.0, y[start : start + batch_size]


def resize_in_model(size: int = 224, name: str = "resize_in_model") -> Callable:
    """Return a compiled function that resizes float batches to ``size`` like a ``Resizing`` layer would."""

    layer = keras.layers.Resizing(size, size, name=name)
    return tf.function(lambda images: layer(images))


def _endless(batches: Iterable) -> Iterator:
    """Yield from ``batches`` forever: an endless iterator as it is; a re-iterable is iterated again."""
    if iter(batches) is batches:  # an iterator: cannot be restarted
        count = 0
        for item in batches:
            count += 1
            yield item
        raise ValueError(
            f"the batches ran out after {count}; pass an endless iterator (generator_batches, dataset.repeat()) "
            "or something that can be iterated again (a tf.data.Dataset, a list)"
        )
    while True:
        empty = True
        for item in batches:
            empty = False
            yield item
        if empty:
            raise ValueError("batches is empty: nothing to time")


def _images_in(batch: Any) -> int:
    return int(batch.shape[0]) if hasattr(batch, "shape") else len(batch)


def images_per_second(
    batches: Iterable,
    n_batches: int = 1,
    transform: Callable | None = None,
    warmup: int = 2,
    *,
    min_seconds: float = 2.0,
    repeats: int = 3,
) -> float:
    """Return the sustained rate, in images per second, at which ``batches`` yields (images, labels).

    After an untimed warm-up (``warmup`` batches, at least ``min_seconds / 4``: graph tracing, and
    the time for the parallel pipeline to reach its steady state) come ``repeats`` timed windows,
    each of at least ``min_seconds`` and ``n_batches`` batches; the median window is returned. The
    windows are long enough that batches a prefetch buffer filled ahead of time cannot dominate
    the figure, and the median drops the first window where they still count.

    ``batches`` should be endless (``generator_batches``, ``dataset.repeat()``); a finite dataset
    or list is iterated again when it ends (a ``tf.data`` pipeline then restarts and refills,
    which the figure includes). ``transform`` is applied to each batch of images (for example
    :func:`resize_in_model`), and its result is forced to exist before the next batch.

    Example:
        >>> batches = [(np.zeros((4, 8, 8, 1)), np.zeros(4))]
        >>> images_per_second(batches, min_seconds=0.01) > 1000
        True
    """
    if min_seconds <= 0 or repeats < 1 or n_batches < 1:
        raise ValueError(f"need min_seconds > 0, repeats >= 1, n_batches >= 1; got {min_seconds}, {repeats}, {n_batches}")
    it = _endless(batches)

    def one_batch() -> int:
        images, _ = next(it)
        if transform is not None:
            images = np.asarray(transform(images))
        return _images_in(images)

    start = time.perf_counter()
    done = 0
    while done < warmup or time.perf_counter() - start < min_seconds / 4:
        one_batch()
        done += 1
    rates = []
    for _ in range(repeats):
        count, done, start = 0, 0, time.perf_counter()
        while done < n_batches or time.perf_counter() - start < min_seconds:
            count += one_batch()
            done += 1
        rates.append(count / (time.perf_counter() - start))
    return float(statistics.median(rates))


def compare_pipelines(
    x: np.ndarray, y: np.ndarray, batch_size: int, size: int = 224, *, min_seconds: float = 2.0, repeats: int = 3
) -> dict[str, float]:
    """Return the sustained images/s of the four ways to feed ``size``-pixel batches made from ``x``.

    The keys are :data:`GENERATOR` (the classic-models tutorial's Python generator), :data:`TF_DATA`
    (``data.make_dataset(..., image_size=size)``, repeated), :data:`UINT8` (the same with
    ``dtype="uint8"``: the model divides by 255) and :data:`IN_MODEL` (small batches through the pipeline, resized by
    :func:`resize_in_model`). Notebook A2 and ``benchmarks/bench_data.py`` both call this, so their
    figures agree within noise.
    """
    def rate(batches: Iterable, transform: Callable | None = None) -> float:
        return images_per_second(batches, transform=transform, min_seconds=min_seconds, repeats=repeats)

    return {
        GENERATOR: rate(generator_batches(x, y, batch_size, size)),
        TF_DATA: rate(data.make_dataset(x, y, batch_size, image_size=size).repeat()),
        UINT8: rate(data.make_dataset(x, y, batch_size, image_size=size, dtype="uint8").repeat()),
        IN_MODEL: rate(data.make_dataset(x, y, batch_size).repeat(), transform=resize_in_model(size)),
    }
