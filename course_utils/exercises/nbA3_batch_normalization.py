"""Exercises of appendix A3_batch_normalization: batch norm at inference, moving statistics, parameters.

Keys ``A3.1``, ``A3.2``, ...; answers are computed by the code the appendix teaches, never typed twice.
``A3.1`` is an "implement it" exercise: the learner writes
``batch_norm_inference(x, gamma, beta, moving_mean, moving_var, epsilon)`` and
:func:`check_batch_norm_inference` compares it with ``scratch.batch_norm`` and Keras' layer.

Example:
    >>> from course_utils.exercises import grade
    >>> grade("A3.2", EXERCISES[1].answer)[0]
    True
    >>> check_batch_norm_inference(_batch_statistics)  # doctest: +ELLIPSIS
    Exercise A3.1: not yet: max |diff| = ..., should be below 1e-06: you normalised with this batch's ...
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np

from .. import scratch
from ..checks import grade_function
from . import Exercise, register

EPSILON = 1e-3  # Keras' default; the checker passes it to the learner's function


def _close(given, expected) -> bool:
    """True when given is a number or tuple of numbers within 1e-6 of expected."""
    given_t = given if isinstance(given, tuple) else (given,)
    expected_t = expected if isinstance(expected, tuple) else (expected,)
    try:
        return len(given_t) == len(expected_t) and all(abs(g - e) <= 1e-6 for g, e in zip(given_t, expected_t))
    except TypeError:
        return False


# --- A3.1, implement it: batch normalization at inference --------------------------------------

def _reference(x, gamma, beta, moving_mean, moving_var, epsilon):
    """The reference with the exercise's signature: scratch.batch_norm in inference mode."""
    return scratch.batch_norm(x, gamma, beta, moving_mean, moving_var, training=False, epsilon=epsilon)[0]


def _image_inputs(rng: np.random.Generator) -> tuple:
    """One random case: an NHWC batch, per-channel gamma, beta, moving mean and variance, epsilon."""
    shape = (int(rng.integers(2, 6)), int(rng.integers(3, 8)), int(rng.integers(3, 8)), int(rng.integers(3, 9)))
    return _with_parameters(rng, shape)


def _vector_inputs(rng: np.random.Generator) -> tuple:
    """One random case after a Dense layer: a batch of vectors (N, C) and its per-channel parameters."""
    return _with_parameters(rng, (int(rng.integers(4, 17)), int(rng.integers(3, 9))))


def _with_parameters(rng: np.random.Generator, shape: tuple[int, ...]) -> tuple:
    channels = shape[-1]
    x = 2.0 * rng.normal(size=shape) + rng.normal(size=channels)  # batch statistics differ from the moving ones
    return (x, rng.uniform(0.5, 2.0, channels), rng.normal(size=channels),  # x, gamma, beta
            rng.normal(size=channels), rng.uniform(0.2, 3.0, channels), EPSILON)  # moving mean and variance


def _keras(x, gamma, beta, moving_mean, moving_var, epsilon):
    """keras.layers.BatchNormalization with these weights, called in inference mode."""

    layer = keras.layers.BatchNormalization(epsilon=epsilon)
    layer.build(x.shape)
    layer.set_weights([np.asarray(w, np.float32) for w in (gamma, beta, moving_mean, moving_var)])
    return keras.ops.convert_to_numpy(layer(x.astype("float32"), training=False))


# Typical mistakes, each a function computing the wrong answer (tests/test_nbA3_exercises.py checks each).
def _batch_statistics(x, gamma, beta, moving_mean, moving_var, epsilon):
    return scratch.batch_norm(x, gamma, beta, moving_mean, moving_var, training=True, epsilon=epsilon)[0]


def _per_position_statistics(x, gamma, beta, moving_mean, moving_var, epsilon):
    if x.ndim != 4:
        return np.full(x.shape, np.nan)  # a mistake of images only
    mean, var = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)  # per image, over H and W
    return gamma * (x - mean) / np.sqrt(var + epsilon) + beta


def _channel_statistics(x, gamma, beta, moving_mean, moving_var, epsilon):
    mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)  # across the channels
    return gamma * (x - mean) / np.sqrt(var + epsilon) + beta


def _no_epsilon(x, gamma, beta, moving_mean, moving_var, epsilon):
    return _reference(x, gamma, beta, moving_mean, moving_var, 0.0)


def _epsilon_outside(x, gamma, beta, moving_mean, moving_var, epsilon):
    return gamma * (x - moving_mean) / (np.sqrt(moving_var) + epsilon) + beta


def _divided_by_variance(x, gamma, beta, moving_mean, moving_var, epsilon):
    return gamma * (x - moving_mean) / (moving_var + epsilon) + beta


def _variance_squared(x, gamma, beta, moving_mean, moving_var, epsilon):
    return gamma * (x - moving_mean) / np.sqrt(moving_var**2 + epsilon) + beta


def _without_gamma_beta(x, gamma, beta, moving_mean, moving_var, epsilon):
    return (x - moving_mean) / np.sqrt(moving_var + epsilon)


def _gamma_beta_swapped(x, gamma, beta, moving_mean, moving_var, epsilon):
    return beta * (x - moving_mean) / np.sqrt(moving_var + epsilon) + gamma


DIAGNOSES: tuple[tuple[str, Callable], ...] = (
    ("you normalised with this batch's mean and variance over its batch (and spatial) axes: that is training "
     "mode; at inference use moving_mean and moving_var, so that an image's output does not depend on its batch",
     _batch_statistics),
    ("you normalised across the channel axis: batch norm works per channel (the last axis), with the stored "
     "moving_mean and moving_var", _channel_statistics),
    ("you normalised each image with its own statistics over its positions (the wrong axes): batch norm at "
     "inference uses the stored moving_mean and moving_var of each channel", _per_position_statistics),
    ("epsilon is missing: divide by sqrt(moving_var + epsilon); it keeps the division safe for tiny variances",
     _no_epsilon),
    ("epsilon is added outside the square root: divide by sqrt(moving_var + epsilon), not sqrt(moving_var) + "
     "epsilon", _epsilon_outside),
    ("you divided by the variance: divide by the standard deviation sqrt(moving_var + epsilon)",
     _divided_by_variance),
    ("you squared moving_var as if it were a standard deviation: it is already the variance",
     _variance_squared),
    ("gamma and beta are missing: after normalising, scale by gamma and shift by beta", _without_gamma_beta),
    ("gamma and beta are swapped: gamma scales, beta shifts", _gamma_beta_swapped),
)


def grade_batch_norm_inference(learner_fn: Callable, seed: int = 0) -> tuple[bool, str]:
    """Return (correct?, message) for a learner's batch norm at inference (exercise A3.1).

    Compared on three random NHWC batches, then on two batches of vectors (N, C), with
    ``scratch.batch_norm`` (``training=False``) within 1e-6 and with
    ``keras.layers.BatchNormalization`` called with ``training=False`` within 1e-5 (float32);
    :data:`DIAGNOSES` name the typical mistakes.

    Example:
        >>> print(grade_batch_norm_inference(_no_epsilon)[1])  # doctest: +ELLIPSIS
        Exercise A3.1: not yet: max |diff| = ..., should be below 1e-06: epsilon is missing: divide by ...
    """
    ok, message = grade_function("A3.1", learner_fn, _reference, _image_inputs, keras_fn=_keras,
                                 diagnoses=DIAGNOSES, seed=seed)
    if not ok:
        return ok, message
    ok, vectors = grade_function("A3.1", learner_fn, _reference, _vector_inputs, keras_fn=_keras,
                                 diagnoses=DIAGNOSES, seed=seed, trials=2)
    if not ok:
        return ok, vectors.replace("Exercise A3.1:", "Exercise A3.1, on a batch of vectors (N, C):", 1)
    return True, message.replace("random inputs", "random NHWC batches", 1).removesuffix(".") + (
        "; also correct on batches of vectors (N, C).")


def check_batch_norm_inference(learner_fn: Callable) -> None:
    """Check a learner's batch norm at inference (exercise A3.1): print what is right, or what is wrong and why."""
    print(grade_batch_norm_inference(learner_fn)[1])


# --- A3.2 and A3.3: moving statistics; A3.4: parameters ----------------------------------------

PYTORCH_DEFAULT_MOMENTUM = 0.1  # torch.nn.BatchNorm2d: running = (1 - momentum) * running + momentum * batch

def _moving_mean_after(steps: int, batch_mean: float, momentum: float) -> float:
    """The moving mean of scratch.batch_norm after ``steps`` training batches whose mean is ``batch_mean``."""
    moving_mean, moving_var = np.zeros(1), np.ones(1)  # Keras' initial values
    for _ in range(steps):
        batch = np.full((8, 1), batch_mean)
        _, moving_mean, moving_var = scratch.batch_norm(batch, np.ones(1), np.zeros(1), moving_mean, moving_var,
                                                         training=True, momentum=momentum)
    return round(float(moving_mean[0]), 10)


def _bn_params(channels: int) -> tuple[int, int]:
    """(total, trainable) parameters of keras.layers.BatchNormalization over ``channels`` channels."""
    per_channel = {"gamma": True, "beta": True, "moving_mean": False, "moving_variance": False}
    return len(per_channel) * channels, sum(per_channel.values()) * channels


# Keras weighs the old moving value by momentum, PyTorch the new batch statistic: the same update needs
# Keras' momentum = 1 - PyTorch's (tests/test_nbA3_exercises.py runs both updates to confirm it).
KERAS_FOR_PYTORCH_DEFAULT = round(1.0 - PYTORCH_DEFAULT_MOMENTUM, 10)

EXERCISES = (
    Exercise(
        key="A3.1",
        question="Implement batch normalization at inference: batch_norm_inference(x, gamma, beta, moving_mean, "
        "moving_var, epsilon) for x of shape (N, H, W, C) or (N, C), one parameter per channel. Check it with "
        "check_batch_norm_inference(batch_norm_inference).",
        # An "implement it" exercise: the answer is the reference function, compare runs the checker, and the
        # mistakes are known-wrong functions with the diagnosis the checker gives them.
        answer=_reference,
        compare=lambda given, expected: callable(given) and grade_batch_norm_inference(given)[0],
        hint="`check_batch_norm_inference(your_function)` says what differs.",
        solution="At inference the statistics are the stored ones; NumPy broadcasting applies each channel's "
        "values along the last axis, whatever the axes before it:\n\n"
        "    def batch_norm_inference(x, gamma, beta, moving_mean, moving_var, epsilon):\n"
        "        return gamma * (x - moving_mean) / np.sqrt(moving_var + epsilon) + beta\n\n"
        "The course's version, both modes: course_utils.show_source(course_utils.scratch.batch_norm).",
        mistakes={wrong_fn: text for text, wrong_fn in DIAGNOSES},
    ),
    Exercise(
        key="A3.2",
        question="keras.layers.BatchNormalization(momentum=0.9), moving mean starting at 0, sees two training "
        "batches whose mean, for some channel, is 10 both times. What is that channel's moving mean afterwards?",
        answer=_moving_mean_after(2, 10.0, 0.9),
        solution=f"Keras: moving = momentum * moving + (1 - momentum) * batch_mean. Step 1: 0.9 * 0 + 0.1 * 10 = 1; "
        f"step 2: 0.9 * 1 + 0.1 * 10 = {_moving_mean_after(2, 10.0, 0.9):g}, i.e. 10 * (1 - 0.9 ** 2).",
        mistakes={
            _moving_mean_after(1, 10.0, 0.9): "that is after one batch; there are two.",
            _moving_mean_after(2, 10.0, 0.1): "that treats 0.9 as the new batch's weight (PyTorch's reading of "
            "momentum); in Keras momentum is the weight of the old moving value.",
            _moving_mean_after(2, 10.0, 0.99): "that uses Keras' default momentum 0.99; this layer has 0.9.",
            10: "the moving mean moves only (1 - momentum) = 10 % of the remaining way per step.",
            2: "the old moving value is multiplied by momentum at each step before the new share is added.",
        },
        compare=_close,
    ),
    Exercise(
        key="A3.3",
        question="PyTorch's BatchNorm2d updates running_mean = (1 - momentum) * running_mean + momentum * "
        "batch_mean, with momentum=0.1 by default. Which momentum must keras.layers.BatchNormalization get "
        "for the same update?",
        answer=KERAS_FOR_PYTORCH_DEFAULT,
        solution=f"PyTorch's momentum is the weight of the new batch statistic, Keras' the weight of the old moving "
        f"value: Keras' momentum = 1 - 0.1 = {KERAS_FOR_PYTORCH_DEFAULT:g} (both give the batch 10 %). "
        f"Keras' default 0.99 gives it 1 %, which is PyTorch's momentum=0.01.",
        mistakes={
            0.1: "the same number means opposite things: PyTorch's momentum weighs the new statistic, Keras' the "
            "old moving value.",
            0.99: "0.99 is Keras' default: the new statistic gets 1 %, PyTorch's default gives it 10 %.",
            0.01: "that is the new statistic's weight under Keras' default; here PyTorch gives it 0.1.",
        },
        compare=_close,
    ),
    Exercise(
        key="A3.4",
        question="keras.layers.BatchNormalization after AlexNet's first convolution, Conv2D(96, 11, strides=4): "
        "how many parameters does it have in all, and how many are trainable? Answer (total, trainable).",
        answer=_bn_params(96),
        solution=f"Per channel: gamma and beta (trained by gradient descent) and the moving mean and variance "
        f"(updated by the moving average, saved with the model): 4 * 96 = {_bn_params(96)[0]} in all, "
        f"2 * 96 = {_bn_params(96)[1]} trainable. The kernel size and stride do not matter: only the 96 channels.",
        mistakes={
            (2 * 96, 2 * 96): "the moving mean and variance are parameters too (saved with the model), just not "
            "trainable: 4 per channel.",
            (4 * 96, 4 * 96): "the moving statistics are not trained by gradient descent: only gamma and beta are.",
            (4 * 96, 0): "gamma (scale) and beta (shift) are learned: 2 per channel are trainable.",
            (4 * 3, 2 * 3): "batch norm after the convolution has one set per output channel (96), not per input "
            "channel (3).",
        },
    ),
)

register(*EXERCISES, origin=__name__)
