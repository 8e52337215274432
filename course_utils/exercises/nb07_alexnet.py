"""Exercises of notebook 07_alexnet: conv1 on another input, fc6 of a variant, grouped convolutions,
crops, and "implement it": local response normalization.

Keys ``07.1``, ``07.2``, ...; answers are computed by the code the notebook teaches, never typed twice.
Each asks about a size or a case the notebook does not show (its worked examples use 224 and 227
inputs, the paper's fc6, groups=2 and 28 x 28 crops of 32 x 32 images without padding).

Exercise ``07.5`` is checked with :func:`check_lrn`, which calls
:func:`course_utils.checks.check_function` with the NumPy reference ``layers.lrn_numpy``, the Keras
layer ``LocalResponseNormalization`` and the typical slips of :data:`LRN_MISTAKES`. The first input
calls the learner's function with the activations alone (its defaults must be the paper's k, n,
alpha, beta); the others pass other values of all four (:data:`LRN_SETTINGS`) and other channel
counts, so a function that ignores its arguments, or one of them, fails with that diagnosis.

Example:
    >>> from course_utils.checks import grade_function
    >>> from course_utils.exercises import grade
    >>> grade("07.1", EXERCISES[0].answer)[0]
    True
    >>> grade_function("07.5", lrn_numpy, lrn_numpy, lrn_cases(), trials=len(LRN_SETTINGS))[0]
    True
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from .. import arithmetic, augmentation
from ..checks import grade_function
from ..layers import LocalResponseNormalization, lrn_numpy
from . import Exercise, register

# 07.2: alexnet_small(pool=(2, 2)) on 32 x 32 inputs: pool sides 16, 8, 4, so pool5 gives 4 x 4 x 96
_FC6_POOL22 = arithmetic.dense_params(4 * 4 * 96, 512)
_FC6_POOL32 = arithmetic.dense_params(3 * 3 * 96, 512)

# 07.3: conv5 (256 kernels of 3 x 3 over conv4's 384 maps) in four groups instead of one tower
_CONV5 = arithmetic.conv_params(3, 384, 256)
_CONV5_GROUPS4 = arithmetic.conv_params(3, 384, 256, groups=4)

# 07.4: random 32 x 32 crops of a 32 x 32 image padded by 4 pixels per side, with flips
_PADDED_SIDE = 32 + 2 * 4
_PADDED_VIEWS = augmentation.crops_per_image(_PADDED_SIDE, 32)


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


PAPER_LRN = (2.0, 5, 1e-4, 0.75)  # k, n, alpha, beta (Krizhevsky et al. 2012, sec. 3.3)
LRN_SETTINGS: tuple[tuple[float, int, float, float] | None, ...] = (
    None,                   # the activations alone: the function's own defaults, which must be the paper's
    (1.0, 3, 1e-3, 0.5),    # then every argument differs from the paper's, so none can be ignored unseen
    (0.5, 7, 5e-4, 1.25),
    (3.0, 9, 2e-3, 0.6),
)
"""The (k, n, alpha, beta) of each trial of 07.5; None calls the function with the activations alone. n stays odd:
a window of n channels centred on channel i (the Keras layer, like TensorFlow's kernel, takes odd n only)."""


def lrn_cases() -> Callable[[np.random.Generator], tuple]:
    """Return ``make_inputs`` for 07.5: trial t gives (activations, *LRN_SETTINGS[t]), activations alone for None.

    Example:
        >>> make = lrn_cases()
        >>> rng = np.random.default_rng(0)
        >>> len(make(rng)), make(rng)[1:]
        (1, (1.0, 3, 0.001, 0.5))
    """
    trial = iter(range(10**9))

    def make_inputs(rng: np.random.Generator) -> tuple:
        settings = LRN_SETTINGS[next(trial) % len(LRN_SETTINGS)]
        a = lrn_inputs(rng)
        return (a,) if settings is None else (a, *settings)

    return make_inputs


def keras_lrn(a: np.ndarray, k: float = 2.0, n: int = 5, alpha: float = 1e-4, beta: float = 0.75) -> np.ndarray:
    """The course's Keras layer ``LocalResponseNormalization`` with these k, n, alpha, beta applied to ``a``.

    Example:
        >>> keras_lrn(np.ones((1, 1, 1, 3))).shape
        (1, 1, 1, 3)
    """
    layer = LocalResponseNormalization(k=k, n=n, alpha=alpha, beta=beta, name="lrn_for_07_5")
    return keras.ops.convert_to_numpy(layer(a.astype("float32")))


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


def _window_wraps_around(a, k=2.0, n=5, alpha=1e-4, beta=0.75):
    """The window taken round the channel axis as a ring: channel 0 also reads the last channels."""
    a = np.asarray(a, np.float64)
    channels = a.shape[-1]
    b = np.empty_like(a)
    for i in range(channels):
        ring = [(i + d) % channels for d in range(-(n // 2), n // 2 + 1)]
        b[..., i] = a[..., i] / (k + alpha * np.sum(a[..., ring] ** 2, axis=-1)) ** beta
    return b


def _ignores_the_arguments(a, k=2.0, n=5, alpha=1e-4, beta=0.75):
    return lrn_numpy(a)  # the paper's values, whatever the call asked for


def _ignores(name: str) -> Callable[..., Any]:
    """A function that uses its arguments except ``name``, for which it keeps the paper's value."""
    def wrong(a, k=2.0, n=5, alpha=1e-4, beta=0.75):
        given = {"k": k, "n": n, "alpha": alpha, "beta": beta}
        given[name] = dict(zip(("k", "n", "alpha", "beta"), PAPER_LRN))[name]
        return lrn_numpy(a, **given)
    wrong.__name__ = f"_ignores_{name}"
    return wrong


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
    ("the window wraps around the channel axis (channel 0 also reads the last channels); it stops at the edges: "
     "channels max(0, i - n//2) .. min(N - 1, i + n//2), so the first and last channels have fewer neighbours",
     _window_wraps_around),
    ("the function ignores its arguments: it gives the paper's values (k=2, n=5, alpha=1e-4, beta=0.75) whatever "
     "k, n, alpha and beta it is called with; use the arguments in the formula", _ignores_the_arguments),
    *((f"the function ignores its argument {name} (it keeps the paper's {name}={value:g}); use {name} in the formula",
       _ignores(name)) for name, value in zip(("k", "n", "alpha", "beta"), PAPER_LRN)),
    ("the window runs over neighbouring pixels; it runs over neighbouring channels (the last axis) "
     "at the same position", _window_across_space),
)

_SOLUTION_07_5 = '''\
import numpy as np

from course_utils.exercises.nb07_alexnet import check_lrn


def local_response_norm(a, k=2.0, n=5, alpha=1e-4, beta=0.75):
    """AlexNet's local response normalization across the channels (last axis) of NHWC activations a."""
    channels = a.shape[-1]
    b = np.empty(a.shape)
    for i in range(channels):
        lo, hi = max(0, i - n // 2), min(channels - 1, i + n // 2)   # the neighbours that exist
        total = np.sum(a[..., lo:hi + 1] ** 2, axis=-1)              # sum of squares, every position at once
        b[..., i] = a[..., i] / (k + alpha * total) ** beta
    return b


check_lrn(local_response_norm)
'''
"""The notebook's exercise cell of 07.5 with the stub replaced: it runs when pasted."""


def _changed_defaults(fn: Callable[..., Any]) -> str:
    """The defaults of ``fn``'s k, n, alpha, beta that differ from the paper's, as 'n=3' text ('' if none)."""
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return ""
    changed = [f"{name}={parameters[name].default!r}" for name, value in zip(("k", "n", "alpha", "beta"), PAPER_LRN)
               if name in parameters and parameters[name].default is not inspect.Parameter.empty
               and parameters[name].default != value]
    return ", ".join(changed)


def grade_lrn(learner_fn: Callable[..., Any], trials: int = len(LRN_SETTINGS)) -> tuple[bool, str]:
    """Return (correct?, message) for a learner's ``fn(a, k, n, alpha, beta)``: LRN as the paper's formula (07.5).

    Trial t calls it with random activations and the t-th of :data:`LRN_SETTINGS` (the first with the
    activations alone, so the function's defaults must be the paper's values).
    """
    changed = _changed_defaults(learner_fn)
    if changed:
        return False, (f"Exercise 07.5: not yet: the defaults of your function ({changed}) should be the paper's, "
                       "k=2, n=5, alpha=1e-4, beta=0.75, as in the stub: the layer is called with the activations "
                       "alone. (Stuck? `course_utils.solution('07.5')` shows a worked solution.)")
    return grade_function("07.5", learner_fn, lrn_numpy, lrn_cases(), keras_fn=keras_lrn, tol=1e-6,
                          diagnoses=LRN_MISTAKES, keras_tol=1e-4, trials=trials)


def check_lrn(learner_fn: Callable[..., Any], trials: int = len(LRN_SETTINGS)) -> None:
    """Check a learner's local response normalization (exercise 07.5) on random activations: print the verdict.

    The output must match ``layers.lrn_numpy`` within 1e-6 and the Keras layer within 1e-4 (float32
    on activations up to 60), with the paper's k, n, alpha, beta and with the others of :data:`LRN_SETTINGS`.

    Example:
        >>> check_lrn(lrn_numpy)
        Exercise 07.5: correct: max |diff| = 0.0e+00 over 4 random inputs (tolerance 1e-06); against Keras ...
    """
    print(grade_lrn(learner_fn, trials)[1])  # grade_function notes a right answer in the learner's progress


def _grades_as_lrn(given: Any, expected: Any) -> bool:
    """True when ``given`` is a function that computes what ``expected`` (the reference LRN) does."""
    return callable(given) and grade_function("07.5", given, expected, lrn_cases(), diagnoses=(),
                                              trials=len(LRN_SETTINGS))[0]


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
        question="The usual CIFAR-10 recipe pads each 32 x 32 image by 4 pixels per side (mirrored) and takes random "
        "32 x 32 crops, flipped half the time (augmentation.random_crop_flip(images, pad=4, size=32)). How many "
        "different training views (crop positions, times 2 for the flip) does one image give?",
        answer=_PADDED_VIEWS,
        solution=f"The crop is taken from the padded image, {_PADDED_SIDE} = 32 + 2 * 4 pixels wide. A 32-pixel window "
        f"fits at {_PADDED_SIDE} - 32 + 1 = {_PADDED_SIDE - 32 + 1} positions per axis: "
        f"{_PADDED_SIDE - 32 + 1} * {_PADDED_SIDE - 32 + 1} * 2 = {_PADDED_VIEWS} "
        f"(`augmentation.crops_per_image({_PADDED_SIDE}, 32)`).",
        mistakes={
            (_PADDED_SIDE - 32) ** 2 * 2: f"that forgets the + 1: a 32 window fits at {_PADDED_SIDE - 32 + 1} positions "
            f"per axis of a {_PADDED_SIDE}-pixel image, not {_PADDED_SIDE - 32}.",
            augmentation.crops_per_image(_PADDED_SIDE, 32, flips=False): "count the horizontal flips too (times 2).",
            augmentation.crops_per_image(32 + 4, 32): "4 pixels on each side make the image 8 pixels wider, not 4.",
            augmentation.crops_per_image(32, 32): "the crop is taken from the padded image, not from the 32 x 32 one.",
        },
    ),
    Exercise(
        key="07.5",
        question="Implement local_response_norm(a, k=2, n=5, alpha=1e-4, beta=0.75) for NHWC activations a, as "
        "the paper's formula: each value divided by (k + alpha * the sum of squares over its n neighbouring "
        "channels at the same position) ** beta, for any k, n (odd), alpha and beta. Check it with check_lrn.",
        answer=lrn_numpy,
        solution="One way, a loop over the channels and NumPy over everything else; the exercise's cell, solved "
        "(paste it in place of that cell and run it):\n\n" + _SOLUTION_07_5
        + "\nThe course's reference: course_utils.show_source(course_utils.layers.lrn_numpy).",
        mistakes={wrong_fn: text for text, wrong_fn in LRN_MISTAKES},
        compare=_grades_as_lrn,
    ),
)

register(*EXERCISES, origin=__name__)
