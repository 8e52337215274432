"""Mini-VGG (notebook 10): seed 004's two small VGG-style networks for CIFAR-10, from one builder.

Both stack two blocks of two 3 x 3 convolutions, each followed by a ReLU and then batch
normalization (the order of the widely copied MiniVGGNet: convolution, ReLU, batch norm), a 2 x 2
max pooling and 25 % dropout; then a dense layer with ReLU, batch norm and dropout, and the
classifier. They differ in widths and the last dropout:

- ``"v1"``, the common MiniVGGNet: 32 then 64 filters, 512 dense units, 50 % dropout;
- ``"v2"``, seed 004's variant: 64 filters in both blocks, 256 dense units, 40 % dropout.

The classifier ends as in notebook 08: ``predictions`` outputs the logits and a separate float32
``softmax`` layer the probabilities (safe under mixed precision on a GPU).

Example:
    >>> mini_vgg("v1").count_params(), mini_vgg("v2").count_params()
    (2171178, 1166026)
    >>> mini_vgg("v2").get_layer("fc1").units
    256
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..profiles import import_tensorflow_quietly

import_tensorflow_quietly()
import keras  # noqa: E402
from keras import layers  # noqa: E402

from .registry import register_model  # noqa: E402

MINI_VGG_VERSIONS: dict[str, dict[str, object]] = {
    "v1": {"filters": (32, 64), "dense_units": 512, "dense_dropout": 0.5},
    "v2": {"filters": (64, 64), "dense_units": 256, "dense_dropout": 0.4},
}
"""Seed 004's two networks: filters per block, units of the dense layer, dropout before the classifier."""

CONV_DROPOUT = 0.25  # after each block's pooling, in both versions

SEED_004_REPORTED: dict[str, dict[str, float | int]] = {
    "v1": {"train_size": 50_000, "epochs": 10, "train_accuracy": 0.7946, "validation_accuracy": 0.7898},
    "v2": {"train_size": 50_000, "epochs": 20, "train_accuracy": 0.8845, "validation_accuracy": 0.8199},
}
"""Seed 004's figures as the article reports them (quoted, not measured here): full CIFAR-10 training set."""


def _scaled(n: int, width: float) -> int:
    return max(1, round(n * width))


def mini_vgg(
    version: str = "v1",
    input_shape: tuple[int, int, int] = (32, 32, 3),
    num_classes: int = 10,
    *,
    width: float = 1.0,
    filters: Sequence[int] | None = None,
    dense_units: int | None = None,
    conv_dropout: float = CONV_DROPOUT,
    dense_dropout: float | None = None,
    kernel_initializer: str = "glorot_uniform",
    name: str | None = None,
) -> keras.Model:
    """Build seed 004's mini-VGG ``version`` ("v1" or "v2") on NHWC ``input_shape`` images.

    Each block: two ``[Conv2D 3 x 3 'same', ReLU, BatchNormalization]``, 2 x 2 max pooling,
    dropout ``conv_dropout``; then Flatten, Dense ``dense_units`` + ReLU + batch norm + dropout
    ``dense_dropout``, Dense ``num_classes`` (logits, ``predictions``) and softmax. ``filters``
    (one entry per block: more entries, more blocks), ``dense_units`` and ``dense_dropout`` override
    the version's values; ``width`` multiplies filters and dense units (the full profile's wider
    nets). Layers are named ``block1_conv1``, ``block1_relu1``, ``block1_bn1``, ..., ``fc1``.

    Example:
        >>> model = mini_vgg("v1", width=0.5)
        >>> model.get_layer("block2_pool").output.shape, model.get_layer("fc1").units
        ((None, 8, 8, 32), 256)
    """
    if version not in MINI_VGG_VERSIONS:
        raise ValueError(f"unknown mini-VGG version {version!r}; choose one of {', '.join(MINI_VGG_VERSIONS)}")
    if not width > 0:
        raise ValueError(f"width must be a positive multiplier of the filters and units, got {width}")
    spec = MINI_VGG_VERSIONS[version]
    block_filters = tuple(filters) if filters is not None else spec["filters"]
    units = dense_units if dense_units is not None else spec["dense_units"]
    last_dropout = dense_dropout if dense_dropout is not None else spec["dense_dropout"]
    side = min(input_shape[0], input_shape[1])
    if side < 2 ** len(block_filters):
        raise ValueError(f"{len(block_filters)} blocks halve the image {len(block_filters)} times: a {side}-pixel input is "
                         f"too small; use at least {2 ** len(block_filters)} pixels or fewer blocks")

    inputs = keras.Input(input_shape, name="image")
    x = inputs
    for block, n in enumerate(block_filters, start=1):
        for conv in (1, 2):
            x = layers.Conv2D(_scaled(n, width), 3, padding="same", kernel_initializer=kernel_initializer,
                              name=f"block{block}_conv{conv}")(x)
            x = layers.Activation("relu", name=f"block{block}_relu{conv}")(x)
            x = layers.BatchNormalization(name=f"block{block}_bn{conv}")(x)
        x = layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
        x = layers.Dropout(conv_dropout, name=f"block{block}_drop")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(_scaled(units, width), kernel_initializer=kernel_initializer, name="fc1")(x)
    x = layers.Activation("relu", name="fc1_relu")(x)
    x = layers.BatchNormalization(name="fc1_bn")(x)
    x = layers.Dropout(last_dropout, name="fc1_drop")(x)
    x = layers.Dense(num_classes, name="predictions")(x)  # logits
    outputs = layers.Activation("softmax", dtype="float32", name="softmax")(x)
    return keras.Model(inputs, outputs, name=name or f"mini_vgg_{version}")


def mini_vgg_v1(input_shape: tuple[int, int, int] = (32, 32, 3), num_classes: int = 10, **options) -> keras.Model:
    """Return the common MiniVGGNet (seed 004's first network): ``mini_vgg("v1", ...)``."""
    return mini_vgg("v1", input_shape, num_classes, **options)


def mini_vgg_v2(input_shape: tuple[int, int, int] = (32, 32, 3), num_classes: int = 10, **options) -> keras.Model:
    """Return seed 004's variant (64 filters throughout, 256 units, 40 % dropout): ``mini_vgg("v2", ...)``."""
    return mini_vgg("v2", input_shape, num_classes, **options)


SEED_LEARNING_RATE = 0.01  # the common MiniVGGNet recipe: SGD, momentum 0.9, Nesterov
LABEL_SMOOTHING = 0.1
WEIGHT_DECAY = 5e-4


@dataclass
class Recipe:
    """How to train a mini-VGG: a fresh optimizer, the loss (on one-hot labels) and the augmentation.

    ``augment`` works on a batch of NHWC float images in [0, 1] inside the ``tf.data`` pipeline
    (``course_utils.data.make_dataset(..., augment=recipe.augment)``); None: no augmentation.
    """

    name: str
    description: str
    optimizer: Any
    loss: Any
    augment: Callable[[Any], Any] | None
    settings: dict[str, Any]


def _flip(images):
    import tensorflow as tf

    return tf.image.random_flip_left_right(images)


def _crop_flip(images):
    from ..augmentation import random_crop_flip

    return random_crop_flip(images, pad=4)


AUGMENTATIONS: dict[str, Callable[[Any], Any] | None] = {"none": None, "flip": _flip, "crop+flip": _crop_flip}
"""The augmentations a recipe may use: none, random horizontal flips, or mirror-padded 4-pixel random crops + flips."""


def seed_recipe(learning_rate: float = SEED_LEARNING_RATE) -> Recipe:
    """Return seed 004's recipe: SGD at a constant ``learning_rate`` with Nesterov momentum 0.9, plain cross-entropy.

    The widely copied MiniVGGNet recipe also decays the rate a little (Keras 2's ``decay=0.01/40``: 0.01 / (1 +
    0.00025 t) after t steps, about 17 % lower after the 800 steps of 10 epochs here); Keras 3 dropped that
    argument, and the constant rate is kept here.

    Example:
        >>> r = seed_recipe()
        >>> r.name, round(float(r.optimizer.learning_rate), 6), r.optimizer.nesterov, r.augment is None
        ('seed recipe', 0.01, True, True)
    """
    import keras

    return Recipe(
        name="seed recipe",
        description=f"seed 004: SGD (learning rate {learning_rate:g}, momentum 0.9, Nesterov), cross-entropy, no augmentation",
        optimizer=keras.optimizers.SGD(learning_rate, momentum=0.9, nesterov=True),
        loss=keras.losses.CategoricalCrossentropy(),
        augment=None,
        settings={"learning_rate": learning_rate, "schedule": "constant", "augmentation": "none",
                  "label_smoothing": 0.0, "weight_decay": 0.0},
    )


def better_recipe(
    peak_learning_rate: float,
    total_steps: int,
    *,
    augmentation: str = "flip",
    label_smoothing: float = LABEL_SMOOTHING,
    weight_decay: float = WEIGHT_DECAY,
) -> Recipe:
    """Return the course's recipe: SGD with Nesterov momentum on a one-cycle schedule peaking at
    ``peak_learning_rate`` over ``total_steps``, decoupled weight decay, label smoothing, augmentation.

    ``augmentation`` is a key of :data:`AUGMENTATIONS`. The same optimizer and loss as the seed's,
    plus four changes, each a setting here so that an experiment can switch one off.

    Example:
        >>> r = better_recipe(0.05, total_steps=800)
        >>> r.settings["schedule"], r.optimizer.weight_decay, r.loss.get_config()["label_smoothing"]
        ('one-cycle', 0.0005, 0.1)
    """
    import keras

    from ..schedules import one_cycle

    if augmentation not in AUGMENTATIONS:
        raise ValueError(f"unknown augmentation {augmentation!r}; choose one of {', '.join(AUGMENTATIONS)}")
    return Recipe(
        name="better recipe",
        description=(f"SGD (Nesterov momentum 0.9) on one-cycle, peak {peak_learning_rate:.2g}, weight decay "
                     f"{weight_decay:g}, label smoothing {label_smoothing:g}, augmentation: {augmentation}"),
        optimizer=keras.optimizers.SGD(one_cycle(peak_learning_rate, total_steps), momentum=0.9, nesterov=True,
                                       weight_decay=weight_decay or None),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing),
        augment=AUGMENTATIONS[augmentation],
        settings={"learning_rate": round(peak_learning_rate, 5), "schedule": "one-cycle", "augmentation": augmentation,
                  "label_smoothing": label_smoothing, "weight_decay": weight_decay},
    )


def range_test(
    x_train,
    y_train_onehot,
    *,
    version: str = "v1",
    width: float = 1.0,
    augmentation: str = "flip",
    batch_size: int = 64,
    steps: int = 60,
    seed: int = 10,
):
    """Run notebook 10's learning-rate range test; return the :class:`course_utils.schedules.RangeTest`.

    A fresh ``mini_vgg(version, width=width)`` (seeded with ``seed``) is trained with SGD (Nesterov
    momentum 0.9) for ``steps`` batches while the rate rises from 1e-4 to 10, with the better
    recipe's loss (label smoothing) and ``augmentation``; images NHWC, labels one-hot. Notebook 10
    and ``benchmarks/bench_mini_vgg.py`` both call it, so the benchmark's peak rate comes from the
    same test as the notebook's. Call it inside a distribution strategy's scope to build there.

    Example (a few batches of noise, for the shapes only)::

        found = range_test(x, y_onehot, steps=20)
        found.min_rate, found.one_cycle_peak
    """
    import keras

    from ..data import make_dataset
    from ..schedules import lr_find

    keras.utils.set_random_seed(seed)
    model = mini_vgg(version, width=width)
    recipe = better_recipe(0.1, 100, augmentation=augmentation)  # its loss and augmentation; the rate is swept
    ds = make_dataset(x_train, y_train_onehot, batch_size, shuffle=True, seed=seed, augment=recipe.augment)
    return lr_find(model, ds, keras.optimizers.SGD(momentum=0.9, nesterov=True), recipe.loss,
                   min_rate=1e-4, max_rate=10.0, steps=steps)


def comparison_table(benchmark: dict[str, Any] | None) -> str:
    """Return notebook 10's results table: seed 004's quoted figures, then the recorded three-seed benchmark.

    ``benchmark`` is the content of ``results/<profile>/benchmarks/mini_vgg.json`` written by
    ``benchmarks/bench_mini_vgg.py`` (None: only the quotations, and a line saying how to measure).
    Accuracies are percentages; the spread is the sample standard deviation over seeds, then min - max.

    Example:
        >>> print(comparison_table(None).splitlines()[2])
        seed 004 v1 (reported)  v1             50,000      10        -  78.98 % (validation)  one run
    """
    from ..tables import text_table

    headers = ["run", "network", "train images", "epochs", "train s", "test accuracy", "spread over seeds"]
    rows = [[f"seed 004 {v} (reported)", v, f"{r['train_size']:,}", str(r["epochs"]), "-",
             f"{100 * r['validation_accuracy']:.2f} % (validation)", "one run"] for v, r in SEED_004_REPORTED.items()]
    if benchmark:
        for key, label in (("seed_recipe", "ours, seed recipe"), ("better_recipe", "ours, better recipe")):
            f = benchmark[key]
            spread = (f"sd {100 * f['test_accuracy_std']:.2f}, {100 * f['test_accuracy_min']:.2f}-"
                      f"{100 * f['test_accuracy_max']:.2f} ({f['seeds']} seeds)") if f["seeds"] > 1 else "one seed"
            rows.append([label, "v1", f"{benchmark['train_size']:,}", str(benchmark["epochs"]),
                         f"{f['train_seconds_mean']:.0f}", f"{100 * f['test_accuracy_mean']:.2f} %", spread])
    table = text_table(headers, rows, numeric=(2, 3, 4))
    if not benchmark:
        table += "\n(no recorded benchmark: run `python benchmarks/bench_mini_vgg.py` to add ours)"
    return table


register_model(
    "mini_vgg_v1", year=None, family="VGG", builder=mini_vgg_v1, input_shape=(32, 32, 3), notebook="10_mini_vgg",
    description="the widely copied MiniVGGNet: conv 32-32 and 64-64 with batch norm, dense 512, for CIFAR-10",
)
register_model(
    "mini_vgg_v2", year=None, family="VGG", builder=mini_vgg_v2, input_shape=(32, 32, 3), notebook="10_mini_vgg",
    description="seed 004's variant of MiniVGGNet: 64 filters throughout, dense 256, 40 % dropout",
)
