"""The course's architectures, each built once, with every layer named (deterministic traces).

Builders return uncompiled ``keras.Model`` objects; NHWC inputs. The final softmax is float32 so
models stay numerically safe under mixed precision on a GPU.

Example:
    >>> model = lenet5_modern()
    >>> model.count_params()
    61706
"""

from __future__ import annotations

from .profiles import import_tensorflow_quietly

import_tensorflow_quietly()
import keras  # noqa: E402
from keras import layers  # noqa: E402


def lenet5_modern(input_shape: tuple[int, int, int] = (32, 32, 1), num_classes: int = 10) -> keras.Model:
    """LeNet-5 as seed 003 writes it: ReLU, max pooling, softmax (61,706 parameters for 32x32x1).

    C1 6@5x5 -> S2 max 2x2 -> C3 16@5x5 -> S4 max 2x2 -> C5 120@5x5 -> F6 84 -> output 10.
    """
    return keras.Sequential(
        [
            keras.Input(input_shape, name="image"),
            layers.Conv2D(6, 5, activation="relu", name="C1"),
            layers.MaxPooling2D(2, name="S2"),
            layers.Conv2D(16, 5, activation="relu", name="C3"),
            layers.MaxPooling2D(2, name="S4"),
            layers.Conv2D(120, 5, activation="relu", name="C5"),
            layers.Flatten(name="flatten"),
            layers.Dense(84, activation="relu", name="F6"),
            layers.Dense(num_classes, name="logits"),
            layers.Activation("softmax", dtype="float32", name="softmax"),
        ],
        name="lenet5_modern",
    )


# <models 06_lenet5>


# <models 07_alexnet>
