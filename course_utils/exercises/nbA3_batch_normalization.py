"""Exercises of appendix A3_batch_normalization: batch norm in training mode, moving statistics, parameters.

Keys ``A3.1``, ``A3.2``, ...; answers are computed by the code the appendix teaches, never typed twice.
``A3.1`` is an "implement it" exercise: the learner writes the training-mode forward pass with the
update of the moving statistics, ``batch_norm_training(x, gamma, beta, moving_mean, moving_var, momentum,
epsilon) -> (y, new_moving_mean, new_moving_var)``, and :func:`check_batch_norm_training` compares it with
``scratch.batch_norm(..., training=True)`` and with ``keras.layers.BatchNormalization`` called with
``training=True`` (its output and its moving statistics after the call), naming typical mistakes.

Example:
    >>> from course_utils.exercises import grade
    >>> grade("A3.2", EXERCISES[1].answer)[0]
    True
    >>> check_batch_norm_training(_momentum_swapped)  # doctest: +ELLIPSIS
    Exercise A3.1: not yet: ... momentum is applied the wrong way round...
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from .. import arithmetic, checks, scratch
from . import Exercise, note_solved, register, solution_pointer

EPSILON = 1e-3  # Keras' default; the checker passes it to the learner's function
TOLERANCE, KERAS_TOLERANCE = 1e-6, 1e-5  # against the float64 reference; against Keras, which computes in float32
PARTS = ("y", "new_moving_mean", "new_moving_var")


def _close(given, expected) -> bool:
    """True when given is a number or tuple of numbers within 1e-6 of expected."""
    given_t = given if isinstance(given, tuple) else (given,)
    expected_t = expected if isinstance(expected, tuple) else (expected,)
    try:
        return len(given_t) == len(expected_t) and all(abs(g - e) <= 1e-6 for g, e in zip(given_t, expected_t))
    except TypeError:
        return False


# --- A3.1, implement it: batch normalization in training mode, with the moving-statistics update -----

def reference_training(x, gamma, beta, moving_mean, moving_var, momentum, epsilon):
    """The reference with the exercise's signature: ``scratch.batch_norm`` in training mode, (y, mean, var)."""
    return scratch.batch_norm(x, gamma, beta, moving_mean, moving_var, training=True, momentum=momentum,
                              epsilon=epsilon)


def _image_inputs(rng: np.random.Generator) -> tuple:
    """One random case: an NHWC batch, per-channel gamma, beta, moving mean and variance, momentum, epsilon."""
    shape = (int(rng.integers(2, 6)), int(rng.integers(3, 8)), int(rng.integers(3, 8)), int(rng.integers(3, 9)))
    return _with_parameters(rng, shape)


def _vector_inputs(rng: np.random.Generator) -> tuple:
    """One random case after a Dense layer: a batch of vectors (N, C) and its per-channel parameters."""
    return _with_parameters(rng, (int(rng.integers(4, 17)), int(rng.integers(3, 9))))


def _with_parameters(rng: np.random.Generator, shape: tuple[int, ...]) -> tuple:
    channels = shape[-1]
    x = 2.0 * rng.normal(size=shape) + rng.normal(size=channels)  # batch statistics differ from the moving ones
    momentum = float(rng.choice([0.99, 0.9, round(float(rng.uniform(0.6, 0.95)), 3)]))  # never 0.5: m = 1 - m
    return (x, rng.uniform(0.5, 2.0, channels), rng.normal(size=channels),  # x, gamma, beta
            rng.normal(size=channels), rng.uniform(0.2, 3.0, channels), momentum, EPSILON)  # moving mean, var


def _keras(x, gamma, beta, moving_mean, moving_var, momentum, epsilon):
    """keras.layers.BatchNormalization with these weights, called once in training mode: (y, moving mean, var)."""
    layer = keras.layers.BatchNormalization(momentum=momentum, epsilon=epsilon)
    layer.build(x.shape)
    layer.set_weights([np.asarray(w, np.float32) for w in (gamma, beta, moving_mean, moving_var)])
    y = layer(x.astype("float32"), training=True)
    return tuple(keras.ops.convert_to_numpy(v) for v in (y, layer.moving_mean, layer.moving_variance))


def _axes(x):
    return tuple(range(np.ndim(x) - 1))  # every axis but the channels


def _forward(x, gamma, beta, mean, var, epsilon):
    return gamma * (x - mean) / np.sqrt(var + epsilon) + beta


def _update(moving, batch_value, momentum):
    return momentum * moving + (1 - momentum) * batch_value


def _right(x, gamma, beta, moving_mean, moving_var, momentum, epsilon):
    """The right answer written apart from scratch.batch_norm, which the mistakes below start from (so that
    grading one of them as a learner's function does not trip the check against calling the reference)."""
    mean, var = x.mean(axis=_axes(x)), x.var(axis=_axes(x))
    return (_forward(x, gamma, beta, mean, var, epsilon), _update(moving_mean, mean, momentum),
            _update(moving_var, var, momentum))


# Typical mistakes, each a function computing the wrong (y, mean, var) (tests/test_nbA3_exercises.py checks each).
def _unbiased_variance(x, gamma, beta, moving_mean, moving_var, momentum, epsilon):
    n = x.size // x.shape[-1]
    mean, var = x.mean(axis=_axes(x)), x.var(axis=_axes(x)) * n / (n - 1)
    return (_forward(x, gamma, beta, mean, var, epsilon), _update(moving_mean, mean, momentum),
            _update(moving_var, var, momentum))


def _unbiased_moving_variance(x, gamma, beta, moving_mean, moving_var, momentum, epsilon):
    n = x.size // x.shape[-1]
    y, new_mean, _ = _right(x, gamma, beta, moving_mean, moving_var, momentum, epsilon)
    return y, new_mean, _update(moving_var, x.var(axis=_axes(x)) * n / (n - 1), momentum)


def _momentum_swapped(x, gamma, beta, moving_mean, moving_var, momentum, epsilon):
    return _right(x, gamma, beta, moving_mean, moving_var, 1 - momentum, epsilon)


def _moving_statistics_in_training(x, gamma, beta, moving_mean, moving_var, momentum, epsilon):
    _, new_mean, new_var = _right(x, gamma, beta, moving_mean, moving_var, momentum, epsilon)
    return _forward(x, gamma, beta, moving_mean, moving_var, epsilon), new_mean, new_var


def _updated_statistics_in_training(x, gamma, beta, moving_mean, moving_var, momentum, epsilon):
    _, new_mean, new_var = _right(x, gamma, beta, moving_mean, moving_var, momentum, epsilon)
    return _forward(x, gamma, beta, new_mean, new_var, epsilon), new_mean, new_var


def _not_updated(x, gamma, beta, moving_mean, moving_var, momentum, epsilon):
    y = _right(x, gamma, beta, moving_mean, moving_var, momentum, epsilon)[0]
    return y, np.array(moving_mean, np.float64), np.array(moving_var, np.float64)


def _replaced_not_averaged(x, gamma, beta, moving_mean, moving_var, momentum, epsilon):
    return _right(x, gamma, beta, moving_mean, moving_var, 0.0, epsilon)


def _std_for_variance(x, gamma, beta, moving_mean, moving_var, momentum, epsilon):
    y, new_mean, _ = _right(x, gamma, beta, moving_mean, moving_var, momentum, epsilon)
    return y, new_mean, _update(moving_var, x.std(axis=_axes(x)), momentum)


def _channel_statistics(x, gamma, beta, moving_mean, moving_var, momentum, epsilon):
    mean, var = x.mean(axis=-1, keepdims=True), x.var(axis=-1, keepdims=True)  # across the channels
    _, new_mean, new_var = _right(x, gamma, beta, moving_mean, moving_var, momentum, epsilon)
    return _forward(x, gamma, beta, mean, var, epsilon), new_mean, new_var


def _per_image_statistics(x, gamma, beta, moving_mean, moving_var, momentum, epsilon):
    if x.ndim != 4:
        return tuple(np.full(np.shape(a), np.nan) for a in (x, moving_mean, moving_var))  # a mistake of images only
    mean, var = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)  # per image, over H and W
    _, new_mean, new_var = _right(x, gamma, beta, moving_mean, moving_var, momentum, epsilon)
    return _forward(x, gamma, beta, mean, var, epsilon), new_mean, new_var


def _epsilon_outside(x, gamma, beta, moving_mean, moving_var, momentum, epsilon):
    mean, var = x.mean(axis=_axes(x)), x.var(axis=_axes(x))
    _, new_mean, new_var = _right(x, gamma, beta, moving_mean, moving_var, momentum, epsilon)
    return gamma * (x - mean) / (np.sqrt(var) + epsilon) + beta, new_mean, new_var


DIAGNOSES: tuple[tuple[str, Callable], ...] = (
    ("you used the unbiased variance (divided by count - 1, np.var(..., ddof=1)): batch norm normalises with the "
     "biased one, divided by the count N (times H * W for feature maps), np.var's default, and Keras updates the "
     "moving variance with that same value", _unbiased_variance),
    ("the output is right, but the moving variance was updated with the unbiased variance (count - 1), as PyTorch's "
     "running_var is; Keras updates it with the biased variance it normalised with", _unbiased_moving_variance),
    ("momentum is applied the wrong way round: in Keras it is the weight of the OLD value, moving * momentum + "
     "batch_value * (1 - momentum); with momentum 0.99 yours moves 99 % of the way at each step (PyTorch's momentum "
     "0.1 is the new value's weight; it is Keras' 0.9)", _momentum_swapped),
    ("you normalised with the moving statistics: that is inference mode; in training mode normalise with this "
     "batch's mean and variance, and only update the moving ones", _moving_statistics_in_training),
    ("you normalised with the moving statistics after updating them: in training mode normalise with this batch's "
     "own mean and variance; the moving ones are for inference", _updated_statistics_in_training),
    ("the output is right, but the moving statistics come back unchanged: training mode also moves them towards "
     "the batch's, moving * momentum + batch_value * (1 - momentum)", _not_updated),
    ("the moving statistics were replaced by the batch's: they are a moving average, moving * momentum + "
     "batch_value * (1 - momentum)", _replaced_not_averaged),
    ("the moving variance was updated with the standard deviation: use the batch's variance", _std_for_variance),
    ("you normalised across the channel axis: batch norm works per channel (the last axis), over every other axis",
     _channel_statistics),
    ("you normalised each image over its own positions: batch norm takes each channel's statistics over the whole "
     "batch, N, H and W together", _per_image_statistics),
    ("epsilon is added outside the square root: divide by sqrt(variance + epsilon), not sqrt(variance) + epsilon",
     _epsilon_outside),
)


def _as_parts(output: Any) -> tuple[np.ndarray, ...] | None:
    """The learner's (y, new_moving_mean, new_moving_var) as float64 arrays, or None when it is not three arrays."""
    if not isinstance(output, (tuple, list)) or len(output) != 3:
        return None
    try:
        return tuple(np.asarray(part, np.float64) for part in output)
    except (TypeError, ValueError):
        return None


def _worst(got: tuple, expected: tuple) -> tuple[float, str]:
    """The largest |diff| over the three parts, and the name of the part where it is."""
    diffs = [(float(np.max(np.abs(g - e))) if g.shape == e.shape else math.inf, name)
             for g, e, name in zip(got, expected, PARTS)]
    return max(diffs)


def _diagnose(got: tuple, inputs: tuple) -> str | None:
    for text, wrong_fn in DIAGNOSES:
        wrong = tuple(np.asarray(w, np.float64) for w in wrong_fn(*checks.fresh_copies(inputs)))
        if _worst(got, wrong)[0] <= TOLERANCE:
            return text
    return None


def grade_batch_norm_training(learner_fn: Callable, seed: int = 0) -> tuple[bool, str]:
    """Return (correct?, message) for a learner's batch norm in training mode (exercise A3.1).

    Three random NHWC batches and two batches of vectors (N, C), with random momentum (0.99, 0.9 or
    between 0.6 and 0.95): the output and both updated moving statistics must agree with
    ``scratch.batch_norm(..., training=True)`` within 1e-6 and with ``keras.layers.BatchNormalization``
    (its output and its moving_mean / moving_variance after one call with ``training=True``) within 1e-5;
    :data:`DIAGNOSES` name the typical mistakes.

    Example:
        >>> print(grade_batch_norm_training(_unbiased_variance)[1])  # doctest: +ELLIPSIS
        Exercise A3.1: not yet: ... you used the unbiased variance ...
    """
    label, rng = "Exercise A3.1", np.random.default_rng(seed)
    worst = worst_keras = 0.0
    cases = [_image_inputs] * 3 + [_vector_inputs] * 2
    for make in cases:
        inputs = make(rng)
        expected = reference_training(*checks.fresh_copies(inputs))
        output, failure = checks.call_learner(label, learner_fn, inputs, scratch.batch_norm, reference_training)
        if failure:
            return False, failure
        got = _as_parts(output)
        if got is None:
            what = f"an array of shape {np.shape(output)}" if isinstance(output, np.ndarray) else type(output).__name__
            return False, (f"{label}: your function returned {what}: return three arrays, (y, new_moving_mean, "
                           "new_moving_var), e.g. `return y, new_mean, new_var`.")
        for g, e, name in zip(got, expected, PARTS):
            if g.shape != e.shape:
                why = _diagnose(got, inputs)
                return False, (f"{label}: not yet: {name} has shape {g.shape}, should be {e.shape} (inputs "
                               f"{checks.describe_inputs(inputs, reference_training)}){': ' + why if why else ''}.{solution_pointer('A3.1')}")
        diff, where = _worst(got, expected)
        if not diff <= TOLERANCE:
            why = _diagnose(got, inputs)
            return False, (f"{label}: not yet: with inputs {checks.describe_inputs(inputs, reference_training)}, max |diff| = {diff:.1e} in {where}, should "
                           f"be below {TOLERANCE:.0e}{': ' + why if why else ''}.{solution_pointer('A3.1')}")
        keras_diff, keras_where = _worst(got, tuple(np.asarray(k, np.float64) for k in _keras(*checks.fresh_copies(inputs))))
        if not keras_diff <= KERAS_TOLERANCE:
            return False, (f"{label}: agrees with the reference but not with Keras: max |diff| = {keras_diff:.1e} in "
                           f"{keras_where}, should be below {KERAS_TOLERANCE:.0e}.")
        worst, worst_keras = max(worst, diff), max(worst_keras, keras_diff)
    note_solved("A3.1")
    return True, (f"{label}: correct: output and both moving statistics agree, max |diff| = {worst:.1e} over "
                  f"{len(cases)} random batches, NHWC and (N, C) (tolerance {TOLERANCE:.0e}); against Keras' "
                  f"BatchNormalization(training=True) {worst_keras:.1e} (tolerance {KERAS_TOLERANCE:.0e}).")


def check_batch_norm_training(learner_fn: Callable) -> None:
    """Check a learner's batch norm in training mode (exercise A3.1): print what is right, or what is wrong and why."""
    print(grade_batch_norm_training(learner_fn)[1])


# --- A3.2 and A3.3: moving statistics; A3.4: parameters ----------------------------------------

PYTORCH_DEFAULT_MOMENTUM = 0.1  # torch.nn.BatchNorm2d: running = (1 - momentum) * running + momentum * batch
KERAS_DEFAULT_MOMENTUM = 0.99  # keras.layers.BatchNormalization: moving = momentum * moving + (1 - momentum) * batch


def _moving_mean_after(steps: int, batch_mean: float, momentum: float) -> float:
    """The moving mean of scratch.batch_norm after ``steps`` training batches whose mean is ``batch_mean``."""
    moving_mean, moving_var = np.zeros(1), np.ones(1)  # Keras' initial values
    for _ in range(steps):
        batch = np.full((8, 1), batch_mean)
        _, moving_mean, moving_var = scratch.batch_norm(batch, np.ones(1), np.zeros(1), moving_mean, moving_var,
                                                         training=True, momentum=momentum)
    return round(float(moving_mean[0]), 10)


def _steps_to_cover(share: float, keras_momentum: float, batch_mean: float = 10.0) -> int:
    """Training steps until scratch.batch_norm's moving mean (from 0) has covered ``share`` of the way to a constant
    batch mean, with Keras' ``momentum`` convention (found by stepping, not by the closed form)."""
    steps, mean = 0, 0.0
    while mean < share * batch_mean - 1e-9:
        steps += 1
        mean = _step(mean, batch_mean, keras_momentum)
    return steps


def _step(moving_mean: float, batch_mean: float, keras_momentum: float) -> float:
    """One training step of scratch.batch_norm's moving mean on a constant batch."""
    _, new_mean, _ = scratch.batch_norm(np.full((8, 1), batch_mean), np.ones(1), np.zeros(1), np.array([moving_mean]),
                                        np.ones(1), training=True, momentum=keras_momentum)
    return float(new_mean[0])


# PyTorch weighs the new batch statistic by its momentum, Keras the old moving value: PyTorch's momentum p is
# Keras' 1 - p (tests/test_nbA3_exercises.py runs both updates to confirm it).
_TORCH_AS_KERAS = round(1.0 - PYTORCH_DEFAULT_MOMENTUM, 10)
_COVER_90 = (_steps_to_cover(0.9, _TORCH_AS_KERAS), _steps_to_cover(0.9, KERAS_DEFAULT_MOMENTUM))


def _dense_bn_params(n_in: int, units: int, dense_bias: bool) -> tuple[int, int]:
    """(total, trainable) parameters of Dense(units) on n_in features followed by BatchNormalization."""
    dense = arithmetic.dense_params(n_in, units, bias=dense_bias)
    bn_total, bn_trainable = 4 * units, 2 * units  # gamma, beta (trained); moving mean and variance (not)
    return dense + bn_total, dense + bn_trainable


_SOLUTION_A3_1 = """Normalise with this batch's statistics (biased variance), then move the stored ones a
(1 - momentum) step towards the batch's; NumPy broadcasting applies each channel's values along the last axis:

    def batch_norm_training(x, gamma, beta, moving_mean, moving_var, momentum, epsilon):
        axes = tuple(range(x.ndim - 1))            # N for (N, C); N, H and W for (N, H, W, C)
        mean, var = x.mean(axis=axes), x.var(axis=axes)
        y = gamma * (x - mean) / np.sqrt(var + epsilon) + beta
        new_mean = momentum * moving_mean + (1 - momentum) * mean
        new_var = momentum * moving_var + (1 - momentum) * var
        return y, new_mean, new_var

The course's version, both modes: course_utils.show_source(course_utils.scratch.batch_norm)."""

EXERCISES = (
    Exercise(
        key="A3.1",
        question="Implement batch normalization in training mode: batch_norm_training(x, gamma, beta, moving_mean, "
        "moving_var, momentum, epsilon) for x of shape (N, H, W, C) or (N, C), one parameter per channel, returning "
        "(y, new_moving_mean, new_moving_var) with Keras' momentum. Check it with "
        "check_batch_norm_training(batch_norm_training).",
        # An "implement it" exercise: the answer is the reference function, compare runs the checker, and the
        # mistakes are known-wrong functions with the diagnosis the checker gives them.
        answer=reference_training,
        compare=lambda given, expected: callable(given) and grade_batch_norm_training(given)[0],
        hint="`check_batch_norm_training(your_function)` says what differs.",
        solution=_SOLUTION_A3_1,
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
        question="A PyTorch model uses BatchNorm2d with its default momentum=0.1 (running = (1 - momentum) * running + "
        "momentum * batch_value); you rebuild it in Keras and leave keras.layers.BatchNormalization() at its default. "
        "Both moving means start at 0 and see batches whose mean is always 10. After how many training steps has each "
        "first covered at least 90 % of the way (a moving mean of 9 or more)? Answer (pytorch_steps, keras_steps).",
        answer=_COVER_90,
        solution=f"PyTorch's momentum 0.1 is the new value's weight: Keras' momentum {_TORCH_AS_KERAS:g}. After k steps "
        f"the moving mean is 10 * (1 - m**k), so it covers 90 % when m**k <= 0.1, k >= ln 0.1 / ln m: "
        f"PyTorch (m = {_TORCH_AS_KERAS:g}) {_COVER_90[0]} steps, Keras' default (m = {KERAS_DEFAULT_MOMENTUM:g}) "
        f"{_COVER_90[1]} steps, about ten times as many. A Keras copy of a PyTorch model needs "
        f"BatchNormalization(momentum={_TORCH_AS_KERAS:g}) for the same moving statistics.",
        mistakes={
            _COVER_90[::-1]: "the two are swapped: PyTorch's default gives the batch 10 % per step, Keras' default 1 %.",
            (_steps_to_cover(0.9, PYTORCH_DEFAULT_MOMENTUM), _COVER_90[1]): "PyTorch's momentum 0.1 is the weight of "
            "the NEW value; read as Keras' momentum it would be the old value's weight (90 % of the way in one step).",
            (_COVER_90[0], _COVER_90[0]): "Keras' default momentum is 0.99, not 0.9: it moves 1 % of the remaining way "
            "per step.",
            (_COVER_90[0] - 1, _COVER_90[1] - 1): "one step short: round k >= ln 0.1 / ln m up to the next whole step.",
        },
        compare=lambda given, expected: isinstance(given, (tuple, list)) and tuple(given) == tuple(expected),
    ),
    Exercise(
        key="A3.4",
        question="A Dense(256) layer on 1,024 features, followed by keras.layers.BatchNormalization, built the way "
        "section 5 recommends (the bias that batch norm makes redundant left out): how many parameters does the pair "
        "have in all, and how many are trainable? Answer (total, trainable).",
        answer=_dense_bn_params(1024, 256, dense_bias=False),
        solution=f"Dense(256, use_bias=False): 1,024 * 256 = {arithmetic.dense_params(1024, 256, bias=False):,} "
        f"weights, all trained. Batch norm after it has 4 numbers per unit (gamma and beta trained; the moving mean "
        f"and variance updated by the moving average, saved with the model): 4 * 256 in all, 2 * 256 trainable. "
        f"Together {_dense_bn_params(1024, 256, False)[0]:,} parameters, {_dense_bn_params(1024, 256, False)[1]:,} "
        "trainable.",
        mistakes={
            _dense_bn_params(1024, 256, dense_bias=True): "that keeps the dense layer's 256 biases: batch norm subtracts "
            "the batch mean, which cancels them (use_bias=False), and beta takes over their role.",
            (_dense_bn_params(1024, 256, False)[0],) * 2: "the moving mean and variance are not trained by gradient "
            "descent: only gamma and beta are.",
            (arithmetic.dense_params(1024, 256, bias=False) + 2 * 256,) * 2: "the moving mean and variance are "
            "parameters too (saved with the model), just not trainable: 4 per unit.",
            (arithmetic.dense_params(1024, 256, bias=False) + 4 * 1024, arithmetic.dense_params(1024, 256, bias=False)
             + 2 * 1024): "batch norm after the dense layer has one set per output unit (256), not per input feature.",
        },
    ),
)

register(*EXERCISES, origin=__name__)
