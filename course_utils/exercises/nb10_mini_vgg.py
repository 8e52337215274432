"""Exercises of notebook 10_mini_vgg: a parameter count at another size, label-smoothed targets, a
one-cycle rate, and "implement it": the label-smoothed cross-entropy.

Keys ``10.1`` ... ``10.4``; answers are computed by the code the notebook teaches, never typed twice.
Each asks about a case the notebook does not show (it trains on 32 x 32 images with smoothing 0.1).
``10.4`` is checked with :func:`course_utils.checks.check_function` against
:func:`label_smoothed_cross_entropy` (NumPy) and Keras' ``categorical_crossentropy`` with
``label_smoothing``; the notebook calls :func:`check_smoothed_cross_entropy`.

Example:
    >>> from course_utils.checks import grade_function
    >>> from course_utils.exercises import grade
    >>> grade("10.2", EXERCISES[1].answer)[0]
    True
    >>> grade_function("10.4", label_smoothed_cross_entropy, label_smoothed_cross_entropy,
    ...                cross_entropy_inputs)[0]
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from ..checks import check_function, grade_function
from ..models.mini_vgg import mini_vgg
from ..schedules import one_cycle
from . import Exercise, register


def label_smoothed_cross_entropy(y_true: np.ndarray, y_prob: np.ndarray, smoothing: float) -> np.ndarray:
    """Return the cross-entropy of each row of ``y_prob`` against label-smoothed one-hot targets, shape (N,).

    ``y_true`` is one-hot (N, K), ``y_prob`` probabilities (N, K). The target keeps ``1 - smoothing``
    of the true class and spreads ``smoothing`` evenly over all K classes (the true one included), as
    Keras' ``CategoricalCrossentropy(label_smoothing=...)`` does: ``t = y * (1 - s) + s / K``;
    the loss is ``-sum_k t_k log p_k``.

    Example:
        >>> y = np.array([[0.0, 1.0]]); p = np.array([[0.25, 0.75]])
        >>> round(float(label_smoothed_cross_entropy(y, p, 0.2)[0]), 4)      # -(0.1 ln 0.25 + 0.9 ln 0.75)
        0.3975
    """
    y_true, y_prob = np.asarray(y_true, np.float64), np.asarray(y_prob, np.float64)
    k = y_true.shape[-1]
    target = y_true * (1.0 - smoothing) + smoothing / k
    return -np.sum(target * np.log(y_prob), axis=-1)


def cross_entropy_inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, float]:
    """Random (one-hot labels (N, K), softmax probabilities (N, K), smoothing) for the checker; K from 3 to 10."""
    n, k = int(rng.integers(4, 9)), int(rng.integers(3, 11))
    y_true = np.eye(k)[rng.integers(0, k, size=n)]
    logits = rng.normal(scale=2.0, size=(n, k))
    y_prob = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    return y_true, y_prob, float(rng.uniform(0.05, 0.3))


def keras_smoothed_cross_entropy(y_true: np.ndarray, y_prob: np.ndarray, smoothing: float) -> np.ndarray:
    """Keras' ``categorical_crossentropy`` with ``label_smoothing``, per example, as a NumPy array (N,)."""

    loss = keras.losses.categorical_crossentropy(y_true.astype("float32"), y_prob.astype("float32"),
                                                 label_smoothing=smoothing)
    return keras.ops.convert_to_numpy(loss)


def _smoothed_ce(y_true, y_prob, smoothing, log=np.log):
    """The right loss written apart from the reference, which the mistakes below start from (so that grading one
    of them as a learner's function does not trip the check against calling the reference)."""
    k = np.shape(y_true)[-1]
    return -np.sum((np.asarray(y_true) * (1.0 - smoothing) + smoothing / k) * log(y_prob), axis=-1)


def _spread_over_the_others(y_true, y_prob, smoothing):
    k = np.shape(y_true)[-1]
    target = np.asarray(y_true) * (1 - smoothing) + (1 - np.asarray(y_true)) * smoothing / (k - 1)
    return -np.sum(target * np.log(y_prob), axis=-1)


def _not_smoothed(y_true, y_prob, smoothing):
    return -np.sum(np.asarray(y_true) * np.log(y_prob), axis=-1)


def _true_class_only(y_true, y_prob, smoothing):
    return -np.sum(np.asarray(y_true) * (1 - smoothing) * np.log(y_prob), axis=-1)


def _sign_flipped(y_true, y_prob, smoothing):
    return -_smoothed_ce(y_true, y_prob, smoothing)


def _batch_mean(y_true, y_prob, smoothing):
    return np.mean(_smoothed_ce(y_true, y_prob, smoothing))


def _mean_over_classes(y_true, y_prob, smoothing):
    return _smoothed_ce(y_true, y_prob, smoothing) / np.shape(y_true)[-1]


def _log10(y_true, y_prob, smoothing):
    return _smoothed_ce(y_true, y_prob, smoothing, np.log10)


def _log2(y_true, y_prob, smoothing):
    return _smoothed_ce(y_true, y_prob, smoothing, np.log2)


def _smoothed_predictions(y_true, y_prob, smoothing):
    k = np.shape(y_true)[-1]
    return -np.sum(np.asarray(y_true) * np.log(np.asarray(y_prob) * (1 - smoothing) + smoothing / k), axis=-1)


SMOOTHING_MISTAKES: tuple[tuple[str, Callable[..., Any]], ...] = (
    ("the smoothing is spread over the K - 1 other classes only; Keras (and Szegedy et al. 2016) spread it over all K "
     "classes, the true one included: t = y * (1 - s) + s / K", _spread_over_the_others),
    ("that is the plain cross-entropy: the targets were not smoothed (t = y * (1 - s) + s / K)", _not_smoothed),
    ("only the true class's target was shrunk to 1 - s; the s taken from it must go back, s / K to every class",
     _true_class_only),
    ("the sign is flipped: the cross-entropy is MINUS the sum of t_k log p_k (log p is negative, the loss positive)",
     _sign_flipped),
    ("that is one number for the whole batch: return one loss per example (sum over the class axis only, axis=-1); "
     "Keras averages over the batch later", _batch_mean),
    ("that is the mean over the classes: the cross-entropy sums t_k log p_k over the classes", _mean_over_classes),
    ("the predictions were smoothed instead of the targets: smooth y, keep p", _smoothed_predictions),
    ("that is the base-10 logarithm (np.log10): the cross-entropy Keras minimises uses the natural logarithm, np.log; "
     "yours is smaller by a factor ln 10 = 2.30", _log10),
    ("that is the base-2 logarithm (np.log2, the loss in bits): Keras uses the natural logarithm, np.log; yours is "
     "larger by a factor 1 / ln 2 = 1.44", _log2),
)
"""Typical mistakes of exercise 10.4: (diagnosis, wrong function)."""


def check_smoothed_cross_entropy(learner_fn: Callable[..., Any]) -> None:
    """Check a learner's ``smoothed_cross_entropy(y_true, y_prob, smoothing)`` against NumPy and Keras; print the verdict.

    Usage (notebook 10)::

        check_smoothed_cross_entropy(smoothed_cross_entropy)
    """
    check_function("10.4", learner_fn, label_smoothed_cross_entropy, cross_entropy_inputs,
                   keras_fn=keras_smoothed_cross_entropy, tol=1e-6, keras_tol=1e-5, diagnoses=SMOOTHING_MISTAKES)


def _grades_as_smoothed_cross_entropy(given: Any, expected: Any) -> bool:
    return callable(given) and grade_function("10.4", given, expected, cross_entropy_inputs)[0]


def _close(given: Any, expected: Any) -> bool:
    """Tuples of numbers equal within 5e-4 (answers rounded to three decimals)."""
    try:
        return len(given) == len(expected) and all(abs(float(g) - float(e)) <= 5e-4 for g, e in zip(given, expected))
    except (TypeError, ValueError):
        return False


def _mini_vgg_params(version: str, side: int) -> int:
    return mini_vgg(version, input_shape=(side, side, 3)).count_params()


def _smoothed_targets(smoothing: float, k: int) -> tuple[float, float]:
    """(target of the true class, target of each other class), rounded to three decimals."""
    return round(1 - smoothing + smoothing / k, 3), round(smoothing / k, 3)


def _one_cycle_rates(peak: float, total: int, steps: tuple[int, ...]) -> tuple[float, ...]:
    schedule = one_cycle(peak, total)
    return tuple(round(float(schedule(s)), 4) for s in steps)


_V1_64 = _mini_vgg_params("v1", 64)
_V1_32 = _mini_vgg_params("v1", 32)
_FC1_64 = (16 * 16 * 64 + 1) * 512

EXERCISES = (
    Exercise(
        key="10.1",
        question="The first network of Sucky 2023 (mini_vgg('v1')) on 64 x 64 x 3 images, 10 classes: how many parameters?",
        answer=_V1_64,
        solution=f"The convolutions and batch norms keep their counts (they do not depend on the image size); two 2 x 2 "
        f"poolings take 64 to 16, so fc1 reads 16*16*64 = 16,384 values: (16,384 + 1) * 512 = {_FC1_64:,} weights in fc1 "
        f"alone. In all {_V1_64:,}: `mini_vgg('v1', input_shape=(64, 64, 3)).count_params()`.",
        mistakes={
            _V1_32: "that is the count at 32 x 32; at 64 x 64 the flattened map is 4 times larger, and so is fc1.",
            _V1_64 - 4 * (32 + 32 + 64 + 64 + 512): "that leaves out the batch normalizations' 4 numbers "
            "per channel (scale, shift, moving mean and variance); count_params counts all of them.",
            _FC1_64: "that is fc1 alone; add the convolutions, batch norms and the classifier.",
        },
    ),
    Exercise(
        key="10.2",
        question="Label smoothing s = 0.2 with 10 classes: the smoothed target of the true class and of each other "
        "class? Give (true, other), rounded to three decimals.",
        answer=_smoothed_targets(0.2, 10),
        solution="Keras keeps 1 - s of the one-hot target and spreads s evenly over all K classes: t = y * (1 - s) + s / K. "
        f"True class: 1 - 0.2 + 0.02 = {_smoothed_targets(0.2, 10)[0]}; every other class: 0.2 / 10 = "
        f"{_smoothed_targets(0.2, 10)[1]}. The targets still sum to 1.",
        mistakes={
            (0.8, round(0.2 / 9, 3)): "that spreads s over the 9 other classes only; Keras spreads it over all 10 (s / K "
            "each, the true class included).",
            (0.8, 0.02): "the true class also gets its s / K share back: 1 - s + s / K.",
            (0.8, 0.2): "s is spread over the classes: each gets s / K, not s.",
        },
        compare=_close,
    ),
    Exercise(
        key="10.3",
        question="one_cycle(0.05, total_steps=1000) (warm-up 25 %, div_factor 25): the learning rate at steps 0, 250 "
        "and 625? Give three numbers rounded to four decimals.",
        answer=_one_cycle_rates(0.05, 1000, (0, 250, 625)),
        solution="It starts at peak / 25 = 0.002, reaches the peak 0.05 after 25 % of the steps (step 250), then follows "
        "half a cosine down to peak / 250,000; step 625 is half-way down, where the cosine is 0: the mean of 0.05 and "
        "0.0000002, 0.025 to four decimals. `[float(one_cycle(0.05, 1000)(s)) for s in (0, 250, 625)]` checks it.",
        mistakes={
            (0.0, 0.05, 0.025): "one-cycle does not start at 0 (that is the warm-up + cosine of notebooks 06-08): it starts "
            "at peak / div_factor.",
            (0.002, 0.05, 0.0354): "half-way down a cosine is the mean of its ends (cos 90 degrees = 0), not the peak "
            "times cos 45 degrees.",
        },
        compare=_close,
    ),
    Exercise(
        key="10.4",
        question="Implement smoothed_cross_entropy(y_true, y_prob, smoothing): the cross-entropy of each row of y_prob "
        "(N x K probabilities) against one-hot y_true smoothed as Keras does, one loss per example. Check it with "
        "check_smoothed_cross_entropy(smoothed_cross_entropy).",
        answer=label_smoothed_cross_entropy,
        solution="Smooth the targets, then the cross-entropy, summed over the class axis only:\n\n"
        "    def smoothed_cross_entropy(y_true, y_prob, smoothing):\n"
        "        k = y_true.shape[-1]\n"
        "        target = y_true * (1 - smoothing) + smoothing / k\n"
        "        return -np.sum(target * np.log(y_prob), axis=-1)\n\n"
        "course_utils.show_source(course_utils.exercises.nb10_mini_vgg.label_smoothed_cross_entropy) is the reference.",
        mistakes={wrong_fn: text for text, wrong_fn in SMOOTHING_MISTAKES},
        hint="check_smoothed_cross_entropy(your_function) says where it differs.",
        compare=_grades_as_smoothed_cross_entropy,
    ),
)

register(*EXERCISES, origin=__name__)
