"""Exercises of notebook 09_vgg_captcha: shapes at another CAPTCHA size, a head's parameters, whole-CAPTCHA accuracy.

Keys ``09.1`` ... ``09.4``; answers are computed by the code the notebook teaches, never typed twice.
``09.4`` is an "implement it" exercise: the learner writes ``whole_accuracy(labels, head_probs)``,
the fraction of CAPTCHAs whose every character is read right, from the four heads' softmax outputs;
:func:`check_whole_accuracy` compares it with :func:`whole_accuracy` on random predictions and
recognises the usual slips (the mean of the per-head accuracies, their product, "any head right",
the first head only, arg-max over the batch axis).

Example:
    >>> from course_utils.exercises import grade
    >>> grade("09.1", EXERCISES[0].answer)[0]
    True
    >>> grade_whole_accuracy(whole_accuracy)[0]
    True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import arithmetic
from ..checks import grade_function
from . import Exercise, print_verdict, register

AccuracyFunction = Callable[[np.ndarray, Sequence[np.ndarray]], float]


def whole_accuracy(labels: np.ndarray, head_probs: Sequence[np.ndarray]) -> float:
    """Return the fraction of CAPTCHAs with every character right: ``labels`` (N, heads), one (N, classes) array per head.

    Each head's reading is the arg-max of its probabilities; a CAPTCHA counts when all heads agree
    with its labels.

    Example:
        >>> labels = np.array([[1, 2], [0, 0]])
        >>> probs = [np.array([[0, 1], [1, 0]]), np.array([[0, 0, 1], [0, 1, 0]])]
        >>> whole_accuracy(labels, probs)   # CAPTCHA 0 right twice, CAPTCHA 1 wrong in head 2
        0.5
    """
    readings = np.stack([np.argmax(p, axis=-1) for p in head_probs], axis=1)
    return float(np.mean(np.all(readings == np.asarray(labels), axis=1)))


def _per_head_right(labels, head_probs) -> np.ndarray:
    return np.stack([np.argmax(p, axis=-1) == labels[:, i] for i, p in enumerate(head_probs)], axis=1)


def _mean_of_heads(labels, head_probs) -> float:
    return float(_per_head_right(labels, head_probs).mean())


def _product_of_heads(labels, head_probs) -> float:
    return float(np.prod(_per_head_right(labels, head_probs).mean(axis=0)))


def _any_head(labels, head_probs) -> float:
    return float(_per_head_right(labels, head_probs).any(axis=1).mean())


def _first_head(labels, head_probs) -> float:
    return float(_per_head_right(labels, head_probs)[:, 0].mean())


ACCURACY_MISTAKES: dict[AccuracyFunction, str] = {
    _mean_of_heads: "that is the per-character accuracy (the mean over all heads and images); a CAPTCHA counts only "
    "when all four characters are right: np.all(..., axis=1), then the mean",
    _product_of_heads: "that multiplies the four heads' accuracies, which assumes their errors are independent; count "
    "the CAPTCHAs whose four readings are all right instead",
    _any_head: "that counts a CAPTCHA when any head is right; it needs all of them (np.all, not np.any)",
    _first_head: "that is the first head's accuracy only; compare every head's reading with its column of labels",
}
"""The typical mistakes of exercise 09.4, each a wrong function and the diagnosis it earns."""


def accuracy_inputs(rng: np.random.Generator, n: int = 200, heads: int = 4, classes: int = 10) -> tuple:
    """Random labels (n, heads) and per-head softmax outputs that are right about 80 % of the time."""
    labels = rng.integers(0, classes, size=(n, heads))
    probs = []
    for i in range(heads):
        logits = rng.normal(size=(n, classes))
        logits[np.arange(n), labels[:, i]] += 2.5 * (rng.random(n) < 0.8)  # the true class wins most of the time
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs.append(e / e.sum(axis=1, keepdims=True))
    return labels, probs


def grade_whole_accuracy(fn: AccuracyFunction, name: str = "09.4") -> tuple[bool, str]:
    """Return (correct?, message) for a learner's ``whole_accuracy(labels, head_probs)`` against :func:`whole_accuracy`."""
    return grade_function(name, fn, whole_accuracy, accuracy_inputs,
                          diagnoses=[(text, wrong) for wrong, text in ACCURACY_MISTAKES.items()], tol=1e-12, seed=9)


def check_whole_accuracy(fn: AccuracyFunction, name: str = "09.4") -> None:
    """Check a learner's ``whole_accuracy(labels, head_probs)``: print what is right, or what is wrong and why.

    Usage (notebook 09)::

        check_whole_accuracy(whole_accuracy)
    """
    print_verdict(name, grade_whole_accuracy(fn, name))


def _same_accuracy(fn: Any, reference: Any) -> bool:
    """The ``compare`` of exercise 09.4: ``check("09.4", my_function)`` grades the function itself."""
    return callable(fn) and grade_whole_accuracy(fn)[0]


def _pooled(side: int, pools: int = 5) -> int:
    """Side after ``pools`` 2 x 2 max poolings with 'same' padding (odd sides round up), as the VGG16-CAPTCHA tutorial pools."""
    for _ in range(pools):
        side = arithmetic.pool_output_size(side, 2, padding="same")
    return side


def _pooled_valid(side: int, pools: int = 5) -> int:
    for _ in range(pools):
        side = arithmetic.pool_output_size(side, 2)
    return side


_FLAT_50x200 = _pooled(50) * _pooled(200) * 512
_HEADS_6 = 6 * arithmetic.dense_params(4096, 36)

_SOLUTION_09_4 = '''read each head (arg-max), compare with its column of labels, require all four:

    def whole_accuracy(labels, head_probs):
        readings = np.stack([p.argmax(axis=-1) for p in head_probs], axis=1)   # (N, 4)
        return float((readings == labels).all(axis=1).mean())

The course's version: course_utils.show_source(course_utils.exercises.nb09_vgg_captcha.whole_accuracy).'''

EXERCISES = (
    Exercise(
        key="09.1",
        question="The VGG16-CAPTCHA tutorial's network (13 convolutions 'same', five 2 x 2 poolings with padding='same', 512 maps at the "
        "end) reads CAPTCHAs of 50 x 200 pixels (height x width) instead. How many values does Flatten output?",
        answer=_FLAT_50x200,
        solution=f"'same' pooling halves each side and rounds up: 50 -> 25 -> 13 -> 7 -> 4 -> {_pooled(50)}, 200 -> 100 -> "
        f"50 -> 25 -> 13 -> {_pooled(200)}; the convolutions keep the size. Flatten: {_pooled(50)} * {_pooled(200)} * "
        f"512 = {_FLAT_50x200:,}.",
        mistakes={
            _pooled_valid(50) * _pooled_valid(200) * 512: "that rounds down at each odd side ('valid' pooling); with "
            "padding='same' the last, half-covered window counts: 25 -> 13, not 12.",
            _pooled(50) * _pooled(200): "that forgets the 512 channels: Flatten multiplies height, width and channels.",
            _pooled(50) * _pooled(200) * 64: "64 is the first block's width; after block 5 there are 512 maps.",
        },
    ),
    Exercise(
        key="09.2",
        question="A CAPTCHA of 6 characters, each a digit or an upper-case letter (36 classes), read by the VGG16-CAPTCHA tutorial's "
        "design: one Dense softmax head per character on the 4,096 outputs of the last dense layer. How many "
        "parameters do the heads have together?",
        answer=_HEADS_6,
        solution=f"Each head is a Dense layer from 4,096 inputs to 36 classes: (4096 + 1) * 36 = "
        f"{arithmetic.dense_params(4096, 36):,}; six heads: {_HEADS_6:,}.",
        mistakes={
            arithmetic.dense_params(4096, 36): "that is one head; there is one per character.",
            6 * 4096 * 36: "each of the 36 units of each head also has a bias: (4096 + 1) * 36 per head.",
            4 * arithmetic.dense_params(4096, 36): "four heads read a 4-character CAPTCHA; this one has 6 characters.",
            6 * arithmetic.dense_params(4096, 10): "10 classes are digits only; digits and upper-case letters make 36.",
        },
    ),
    Exercise(
        key="09.3",
        question="A reader gets each character right with probability 0.99, independently of the others. What fraction "
        "of 6-character CAPTCHAs does it read entirely right? (a float; 4 decimals are enough)",
        answer=0.99 ** 6,
        solution=f"All six must be right: 0.99^6 = {0.99 ** 6:.4f}. Real heads need not err independently (one "
        "smudge can fool two neighbours); notebook 09 tests whether its heads' errors fall on the same images more "
        "often than this product assumes.",
        mistakes={
            0.99: "that is one character; all six must be right.",
            1 - 6 * 0.01: "subtracting 6 x 1 % is a first-order approximation; multiply the probabilities instead.",
            0.99 ** 4: "0.99^4 is for four characters; this CAPTCHA has six.",
        },
        compare=lambda given, expected: isinstance(given, (int, float)) and abs(given - expected) < 5e-5,
    ),
    Exercise(
        key="09.4",
        question="Implement whole_accuracy(labels, head_probs): labels (N, 4) digits, head_probs a list of four (N, 10) "
        "softmax outputs; return the fraction of CAPTCHAs with all four characters right. Check it with "
        "check_whole_accuracy(whole_accuracy).",
        answer=whole_accuracy,
        solution=_SOLUTION_09_4,
        mistakes=dict(ACCURACY_MISTAKES),
        hint="check_whole_accuracy(your_function) says where it differs.",
        compare=_same_accuracy,
    ),
)

register(*EXERCISES, origin=__name__)
