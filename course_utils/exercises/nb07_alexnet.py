"""Exercises of notebook 07_alexnet: conv1 on another input, fc6 of a variant, grouped convolutions,
crops, and "implement it": local response normalization.

Keys ``07.1``, ``07.2``, ...; answers are computed by the code the notebook teaches, never typed twice.
Each asks about a size or a case the notebook does not show (its worked examples use 224 and 227
inputs, the paper's fc6, groups=2 and 28 x 28 crops of 32 x 32 images).

Exercise ``07.5`` is checked with :func:`check_lrn`, which calls
:func:`course_utils.checks.check_function` with the NumPy reference ``layers.lrn_numpy``, the Keras
layer ``LocalResponseNormalization`` and the typical slips of :data:`LRN_MISTAKES`.

Example:
    >>> from course_utils.checks import grade_function
    >>> from course_utils.exercises import grade
    >>> grade("07.1", EXERCISES[0].answer)[0]
    True
    >>> grade_function("07.5", lrn_numpy, lrn_numpy, lrn_inputs)[0]
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from .. import arithmetic, augmentation
from ..checks import check_function, grade_function
from ..layers import LocalResponseNormalization, lrn_numpy
from . import Exercise, register

# 07.2: alexnet_small(pool=(2, 2)) on 32 x 32 inputs: pool sides 16, 8, 4, so pool5 gives 4 x 4 x 96
_FC6_POOL22 = arithmetic.dense_params(4 * 4 * 96, 512)
_FC6_POOL32 = arithmetic.dense_params(3 * 3 * 96, 512)

# 07.3: conv5 (256 kernels of 3 x 3 over conv4's 384 maps) in four groups instead of one tower
_CONV5 = arithmetic.conv_params(3, 384, 256)
_CONV5_GROUPS4 = arithmetic.conv_params(3, 384, 256, groups=4)


# --- 07.5: implement local response normalization ----------------------------------------------

def lrn_inputs(rng: np.random.Generator) -> np.ndarray:
    """Random ReLU-like NHWC activations for one trial of 07.5, large enough for the normalization to bite.

    Example:
        >>> a = lrn_inputs(np.random.default_rng(0))
        >>> a.ndim, bool(a.min() >= 0)
        (4, True)
    """
    n, h, w = (int(v) for v in rng.integers(1, 4, size=3))
    channels = int(rng.integers(7, 17))
    return rng.random((n, h, w, channels)) * 60.0


def keras_lrn(a: np.ndarray) -> np.ndarray:
    """The course's Keras layer ``LocalResponseNormalization`` (paper values) applied to ``a``.

    Example:
        >>> keras_lrn(np.ones((1, 1, 1, 3))).shape
        (1, 1, 1, 3)
    """
    return keras.ops.convert_to_numpy(LocalResponseNormalization(name="lrn_for_07_5")(a.astype("float32")))


def _alpha_divided_by_n(a, k=2.0, n=5, alpha=1e-4, beta=0.75):
    return lrn_numpy(a, k=k, n=n, alpha=alpha / n, beta=beta)


def _no_power_beta(a, k=2.0, n=5, alpha=1e-4, beta=0.75):
    return lrn_numpy(a, k=k, n=n, alpha=alpha, beta=1.0)


def _window_after_the_channel(a, k=2.0, n=5, alpha=1e-4, beta=0.75):
    a = np.asarray(a, np.float64)
    channels = a.shape[-1]
    b = np.empty_like(a)
    for i in range(channels):
        window = np.sum(a[..., i : min(channels, i + n)] ** 2, axis=-1)
        b[..., i] = a[..., i] / (k + alpha * window) ** beta
    return b


def _sum_without_squares(a, k=2.0, n=5, alpha=1e-4, beta=0.75):
    a = np.asarray(a, np.float64)
    channels = a.shape[-1]
    b = np.empty_like(a)
    for i in range(channels):
        lo, hi = max(0, i - n // 2), min(channels - 1, i + n // 2)
        b[..., i] = a[..., i] / (k + alpha * np.sum(a[..., lo : hi + 1], axis=-1)) ** beta
    return b


def _window_across_space(a, k=2.0, n=5, alpha=1e-4, beta=0.75):
    """Normalizing over a 5-wide row of neighbouring pixels of the same channel instead of channels."""
    moved = np.moveaxis(np.asarray(a, np.float64), 2, -1)  # width last: the window slides along it
    return np.moveaxis(lrn_numpy(moved, k=k, n=n, alpha=alpha, beta=beta), -1, 2)


LRN_MISTAKES: tuple[tuple[str, Callable[..., Any]], ...] = (
    ("alpha looks divided by n (Caffe's and PyTorch's convention); the paper's formula multiplies the sum "
     "by alpha itself", _alpha_divided_by_n),
    ("the power beta is missing: divide by (k + alpha * sum) ** beta", _no_power_beta),
    ("the window starts at channel i; it is centred: channels i - n//2 .. i + n//2, cut at 0 and N - 1",
     _window_after_the_channel),
    ("the window sums the activations, not their squares", _sum_without_squares),
    ("the window runs over neighbouring pixels; it runs over neighbouring channels (the last axis) "
     "at the same position", _window_across_space),
)

_SOLUTION_07_5 = '''\
def local_response_norm(a, k=2.0, n=5, alpha=1e-4, beta=0.75):
    channels = a.shape[-1]
    b = np.empty(a.shape)
    for i in range(channels):
        lo, hi = max(0, i - n // 2), min(channels - 1, i + n // 2)   # the neighbours that exist
        total = np.sum(a[..., lo:hi + 1] ** 2, axis=-1)              # sum of squares, every position at once
        b[..., i] = a[..., i] / (k + alpha * total) ** beta
    return b'''


def grade_lrn(learner_fn: Callable[..., Any], trials: int = 3) -> tuple[bool, str]:
    """Return (correct?, message) for a learner's ``fn(a)``: LRN with the paper's k, n, alpha, beta (07.5)."""
    return grade_function("07.5", learner_fn, lrn_numpy, lrn_inputs, keras_fn=keras_lrn, tol=1e-6,
                          diagnoses=LRN_MISTAKES, keras_tol=1e-4, trials=trials)


def check_lrn(learner_fn: Callable[..., Any], trials: int = 3) -> None:
    """Check a learner's local response normalization (exercise 07.5) on random activations: print the verdict.

    The output must match ``layers.lrn_numpy`` within 1e-6 and the Keras layer within 1e-4 (float32
    on activations up to 60).

    Example:
        >>> check_lrn(lrn_numpy)
        Exercise 07.5: correct: max |diff| = 0.0e+00 over 3 random inputs (tolerance 1e-06); against Keras ...
    """
    check_function("07.5", learner_fn, lrn_numpy, lrn_inputs, keras_fn=keras_lrn, tol=1e-6,
                   diagnoses=LRN_MISTAKES, keras_tol=1e-4, trials=trials)


def _grades_as_lrn(given: Any, expected: Any) -> bool:
    """True when ``given`` is a function that computes what ``expected`` (the reference LRN) does."""
    return callable(given) and grade_function("07.5", given, expected, lrn_inputs, diagnoses=())[0]


EXERCISES = (
    Exercise(
        key="07.1",
        question="What side length does AlexNet's conv1 (96 kernels 11 x 11, stride 4, no padding) give on a "
        "256 x 256 input, the paper's rescaled image before cropping?",
        answer=arithmetic.conv_output_size(256, k=11, s=4),
        solution="floor((256 - 11) / 4) + 1 = floor(61.25) + 1 = 62.",
        mistakes={
            arithmetic.conv_output_size(256, k=11, s=4) - 1: "you forgot the + 1 (the first window position).",
            256 // 4: "the kernel must fit: subtract 11 before dividing by the stride, then add 1.",
            arithmetic.conv_output_size(256, k=11, s=4, p=2): "that uses 2 pixels of padding per side; "
            "the question has none.",
        },
    ),
    Exercise(
        key="07.2",
        question="How many parameters does fc6 (512 units) hold in models.alexnet_small(pool=(2, 2)) on "
        "32 x 32 x 3 inputs? (Section 2.3 prints the pool sides of that variant.)",
        answer=_FC6_POOL22,
        solution=f"pool1, pool2 and pool5 give 16, 8 and 4, so flatten hands 4*4*96 = 1,536 values to fc6: "
        f"(1,536 + 1) * 512 = {_FC6_POOL22:,}.",
        mistakes={
            arithmetic.dense_params(4 * 4 * 96, 512, bias=False): "add the 512 biases: (1,536 + 1) * 512.",
            _FC6_POOL32: "that is the default model's fc6 (pool 3/2: a 3 x 3 x 96 map); with pool=(2, 2) "
            "pool5 is 4 x 4.",
            arithmetic.dense_params(4 * 4 * 96, 4096): "alexnet_small's fc6 has 512 units, not the paper's 4,096.",
        },
    ),
    Exercise(
        key="07.3",
        question="conv5 has 256 kernels of 3 x 3 over conv4's 384 maps. How many parameters would it save "
        "split into four groups (groups=4) instead of one tower?",
        answer=_CONV5 - _CONV5_GROUPS4,
        solution=f"One tower: (3*3*384 + 1) * 256 = {_CONV5:,}. Four groups: each kernel sees 384 / 4 = 96 maps, "
        f"(3*3*96 + 1) * 256 = {_CONV5_GROUPS4:,}. Saved: {_CONV5 - _CONV5_GROUPS4:,} (three quarters of the "
        "weights; the 256 biases stay).",
        mistakes={
            _CONV5_GROUPS4: "that is the grouped layer's count; the question asks how many are saved.",
            _CONV5 - arithmetic.conv_params(3, 384, 256, groups=2): "that is the saving with two groups; "
            "with four, each kernel sees a quarter of the maps.",
            _CONV5 * 3 // 4: "only the weights shrink: the 256 biases are kept in both versions.",
        },
    ),
    Exercise(
        key="07.4",
        question="How many different 24 x 24 crops, counting horizontal flips, does one 32 x 32 CIFAR-10 image give?",
        answer=augmentation.crops_per_image(32, 24),
        solution=f"A 24-pixel window fits at 32 - 24 + 1 = 9 positions per axis: 9 * 9 * 2 = "
        f"{augmentation.crops_per_image(32, 24)}.",
        mistakes={
            (32 - 24) ** 2 * 2: "(32 - 24)^2 * 2 forgets the + 1: a 24 window fits at 9 positions per axis, not 8.",
            augmentation.crops_per_image(32, 24, flips=False): "count the horizontal flips too (times 2).",
            augmentation.crops_per_image(32, 28): "that is for 28 x 28 crops (section 2.5); the question asks "
            "about 24 x 24.",
        },
    ),
    Exercise(
        key="07.5",
        question="Implement local_response_norm(a, k=2, n=5, alpha=1e-4, beta=0.75) for NHWC activations a, as "
        "the paper's formula: each value divided by (k + alpha * the sum of squares over its n neighbouring "
        "channels at the same position) ** beta. Check it with check_lrn.",
        answer=lrn_numpy,
        solution="One way (a loop over the channels, NumPy over everything else):\n\n" + _SOLUTION_07_5
        + "\n\nThe course's reference: course_utils.show_source(course_utils.layers.lrn_numpy).",
        mistakes={wrong_fn: text for text, wrong_fn in LRN_MISTAKES},
        compare=_grades_as_lrn,
    ),
)

register(*EXERCISES, origin=__name__)
