"""How notebook 10 trains mini-VGG: Sucky 2023's recipe, the course's "better recipe", the range test, the table.

"better recipe" is the name of the course's second recipe (what it was built to be), not a measured result:
notebook 10 tests it against Sucky 2023's over seeds (:func:`course_utils.noise.seed_comparison`).

A :class:`Recipe` is an optimizer, a loss and an augmentation, built fresh for each run. The networks
themselves are in :mod:`course_utils.models.mini_vgg`; the same recipes and range test serve notebook 10
and ``benchmarks/bench_mini_vgg.py``, so the benchmark measures what the notebook teaches.

Example:
    >>> article_recipe().settings["schedule"], better_recipe(0.05, 800).settings["schedule"]
    ('constant', 'one-cycle')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keras
import tensorflow as tf

from .augmentation import random_crop_flip
from .data import make_dataset
from .models.mini_vgg import mini_vgg
from .schedules import lr_find, one_cycle
from .session import current
from .tables import text_table

SUCKY_2023_REPORTED: dict[str, dict[str, float | int]] = {
    "v1": {"train_size": 50_000, "epochs": 10, "train_accuracy": 0.7946, "validation_accuracy": 0.7898},
    "v2": {"train_size": 50_000, "epochs": 20, "train_accuracy": 0.8845, "validation_accuracy": 0.8199},
}
"""Sucky 2023's figures as the article reports them (quoted, not measured here): full CIFAR-10 training set."""

ARTICLE_LEARNING_RATE = 0.01  # the common MiniVGGNet recipe: SGD, momentum 0.9, Nesterov
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
    return tf.image.random_flip_left_right(images)


def _crop_flip(images):
    return random_crop_flip(images, pad=4)


AUGMENTATIONS: dict[str, Callable[[Any], Any] | None] = {"none": None, "flip": _flip, "crop+flip": _crop_flip}
"""The augmentations a recipe may use: none, random horizontal flips, or mirror-padded 4-pixel random crops + flips."""


def article_recipe(learning_rate: float = ARTICLE_LEARNING_RATE) -> Recipe:
    """Return Sucky 2023's recipe: SGD at a constant ``learning_rate`` with Nesterov momentum 0.9, plain cross-entropy.

    The widely copied MiniVGGNet recipe also decays the rate a little (Keras 2's ``decay=0.01/40``: 0.01 / (1 +
    0.00025 t) after t steps, about 17 % lower after the 800 steps of 10 epochs here); Keras 3 dropped that
    argument, and the constant rate is kept here.

    Example:
        >>> r = article_recipe()
        >>> r.name, round(float(r.optimizer.learning_rate), 6), r.optimizer.nesterov, r.augment is None
        ('article recipe', 0.01, True, True)
    """
    return Recipe(
        name="article recipe",
        description=f"Sucky 2023: SGD (learning rate {learning_rate:g}, momentum 0.9, Nesterov), cross-entropy, no augmentation",
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
    """Return the course's "better recipe" (a name, not a result): SGD with Nesterov momentum on a one-cycle schedule
    peaking at ``peak_learning_rate`` over ``total_steps``, decoupled weight decay, label smoothing, augmentation.

    ``augmentation`` is a key of :data:`AUGMENTATIONS`. The same optimizer and loss as Sucky 2023's,
    plus four changes, each a setting here so that an experiment can switch one off.

    Example:
        >>> r = better_recipe(0.05, total_steps=800)
        >>> r.settings["schedule"], r.optimizer.weight_decay, r.loss.get_config()["label_smoothing"]
        ('one-cycle', 0.0005, 0.1)
    """
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
    same test as the notebook's. The network is built where the session trains (``Session.build``).

    Example (a few batches of noise, for the shapes only)::

        found = range_test(x, y_onehot, steps=20)
        found.min_rate, found.one_cycle_peak
    """
    keras.utils.set_random_seed(seed)
    model = current().build(mini_vgg, version, width=width)
    recipe = better_recipe(0.1, 100, augmentation=augmentation)  # its loss and augmentation; the rate is swept
    ds = make_dataset(x_train, y_train_onehot, batch_size, shuffle=True, seed=seed, augment=recipe.augment)
    return lr_find(model, ds, keras.optimizers.SGD(momentum=0.9, nesterov=True), recipe.loss,
                   min_rate=1e-4, max_rate=10.0, steps=steps)


GAIN_BAR = 0.05
"""The course's bar for the better recipe: at least this gain in mean test accuracy (5 points), established over seeds."""
TIME_RATIO_BAR = 1.05
"""... in at most this many times the article recipe's training time."""


def bar_verdict(comparison, time_ratio: float) -> str:
    """Return the course's bar for the better recipe and whether it is met: ``comparison`` is the better recipe
    against the article's over seeds (:func:`course_utils.noise.seed_comparison`), ``time_ratio`` their training times.

    Example:
        >>> from course_utils.noise import seed_comparison
        >>> better, article = [0.62, 0.61, 0.64, 0.60, 0.61], [0.56, 0.55, 0.58, 0.54, 0.53]
        >>> bar_verdict(seed_comparison(better, article), 1.01)
        "the course's bar (+5 points or more, established, in at most 1.05 x the time): met"
        >>> bar_verdict(seed_comparison(better, article), 1.2).endswith("NOT met")
        True
    """
    met = comparison.established and comparison.gap >= GAIN_BAR and time_ratio <= TIME_RATIO_BAR
    return (f"the course's bar (+{100 * GAIN_BAR:g} points or more, established, in at most {TIME_RATIO_BAR:g} x the "
            f"time): {'met' if met else 'NOT met'}")


def comparison_table(benchmark: dict[str, Any] | None) -> str:
    """Return notebook 10's results table: Sucky 2023's quoted figures, then the recorded benchmark over seeds.

    ``benchmark`` is the content of ``results/<profile>/benchmarks/mini_vgg.json`` written by
    ``benchmarks/bench_mini_vgg.py`` (None: only the quotations, and a line saying how to measure).
    Accuracies are percentages; the spread is the sample standard deviation over seeds, then min - max.

    Example:
        >>> print(comparison_table(None).splitlines()[2])
        Sucky 2023 v1 (reported)  v1             50,000      10        -  78.98 % (validation)  one run
    """

    headers = ["run", "network", "train images", "epochs", "train s", "test accuracy", "spread over seeds"]
    rows = [[f"Sucky 2023 {v} (reported)", v, f"{r['train_size']:,}", str(r["epochs"]), "-",
             f"{100 * r['validation_accuracy']:.2f} % (validation)", "one run"] for v, r in SUCKY_2023_REPORTED.items()]
    if benchmark:
        for key, label in (("article_recipe", "ours, article recipe"), ("better_recipe", "ours, better recipe")):
            f = benchmark[key]
            spread = (f"sd {100 * f['test_accuracy_std']:.2f}, {100 * f['test_accuracy_min']:.2f}-"
                      f"{100 * f['test_accuracy_max']:.2f} ({f['seeds']} seeds)") if f["seeds"] > 1 else "one seed"
            rows.append([label, "v1", f"{benchmark['train_size']:,}", str(benchmark["epochs"]),
                         f"{f['train_seconds_mean']:.0f}", f"{100 * f['test_accuracy_mean']:.2f} %", spread])
    table = text_table(headers, rows, numeric=(2, 3, 4))
    if not benchmark:
        table += "\n(no recorded benchmark: run `python benchmarks/bench_mini_vgg.py` to add ours)"
    return table
