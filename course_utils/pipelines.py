"""Three ways to feed 224-pixel batches made from small images, and a throughput meter.

Seed 003 avoids holding 224 x 224 copies of CIFAR-10 in memory with a Python generator that resizes
each batch. :func:`generator_batches` is that idea; ``course_utils.data.make_dataset(...,
image_size=224)`` does the same work as a parallel ``tf.data`` pipeline; :func:`resize_in_model`
moves the resize into the network (on a GPU: onto the accelerator). Images are NHWC.

Usage::

    batches = generator_batches(x_train, y_train, batch_size=64, size=224)
    images_per_second(batches, n_batches=10)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator

import numpy as np

from .profiles import import_tensorflow_quietly


def generator_batches(x: np.ndarray, y: np.ndarray, batch_size: int, size: int = 224) -> Iterator[tuple]:
    """Yield (images, labels) batches forever: a Python loop that resizes each batch to ``size``.

    Images come out float32 in [0, 1], ``batch x size x size x C`` (``resize_with_pad`` keeps the
    aspect ratio; square images are simply resized).
    """
    tf = import_tensorflow_quietly()
    while True:
        for start in range(0, len(x), batch_size):
            batch = tf.image.resize_with_pad(x[start : start + batch_size], size, size)
            yield batch / 255.0, y[start : start + batch_size]


def resize_in_model(size: int = 224, name: str = "resize_in_model") -> Callable:
    """Return a compiled function that resizes float batches to ``size`` like a ``Resizing`` layer would."""
    tf = import_tensorflow_quietly()
    import keras

    layer = keras.layers.Resizing(size, size, name=name)
    return tf.function(lambda images: layer(images))


def images_per_second(batches: Iterable, n_batches: int, transform: Callable | None = None, warmup: int = 1) -> float:
    """Return images per second over ``n_batches`` batches (after ``warmup`` untimed ones).

    ``batches`` yields (images, labels); ``transform`` is applied to each batch of images (for
    example :func:`resize_in_model`), and the result is forced to exist before the clock stops.
    """
    it = iter(batches)
    for _ in range(warmup):
        images, _ = next(it)
        if transform is not None:
            np.asarray(transform(images))
    count, start = 0, time.perf_counter()
    for _ in range(n_batches):
        images, _ = next(it)
        if transform is not None:
            images = transform(images)
        count += int(np.asarray(images).shape[0])
    return count / (time.perf_counter() - start)
