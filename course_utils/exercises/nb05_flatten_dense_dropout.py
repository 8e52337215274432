"""Exercises of notebook 05_flatten_dense_dropout: Flatten sizes, Dense parameters, inverted dropout.

Keys ``05.1``, ``05.2``, ...; answers are computed by the code the notebook teaches, never typed twice.
``05.4`` is an "implement it" exercise: the learner writes ``dropout(x, rate, rng, training=True)``
and :func:`check_dropout` grades it (batch normalization moved to ``nbA3_batch_normalization``).

Example:
    >>> from course_utils.exercises import grade
    >>> grade("05.1", EXERCISES[0].answer)[0]
    True
    >>> check_dropout(_no_rescaling)  # doctest: +ELLIPSIS
    Exercise 05.4: not yet at rate 0.3: max |diff| = ...: the kept values are x unchanged: inverted dropout ...
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np

from .. import arithmetic, scratch
from . import Exercise, print_verdict, register


def _captcha_flatten() -> int:
    """Numbers per image after the VGG16-CAPTCHA tutorial's five 2 x 2 'same' poolings of a 60 x 160 x 1 input, 512 maps."""
    h, w, c = _captcha_maps()
    return h * w * c


def _captcha_maps() -> tuple[int, int, int]:
    """(H, W, C) of the VGG16-CAPTCHA tutorial's last feature maps: five 'same' 2 x 2 poolings of 60 x 160, 512 maps."""
    h, w = 60, 160
    for _ in range(5):
        h, w = arithmetic.pool_output_size(h, 2, 2, "same"), arithmetic.pool_output_size(w, 2, 2, "same")
    return h, w, 512


_Q1_AT = (1, 3, 7)  # 05.1: row, column, channel of the value asked about


def _flat_position(order: tuple[int, int, int] = (0, 1, 2)) -> int:
    """Where the value at ``_Q1_AT`` lands once ``scratch.flatten`` lays out the maps with their axes in ``order``.

    ``(0, 1, 2)`` is Keras' NHWC order; another order is a typical wrong reading (``(2, 0, 1)``: channels first).

    Example:
        >>> _flat_position()
        4103
    """
    marked = np.zeros((1, *_captcha_maps()))
    marked[(0, *_Q1_AT)] = 1
    return int(np.argmax(scratch.flatten(marked.transpose(0, *(1 + a for a in order)))[0]))


def _close(given, expected) -> bool:
    """True when given is a number or tuple of numbers within 1e-6 of expected."""
    given_t = given if isinstance(given, tuple) else (given,)
    expected_t = expected if isinstance(expected, tuple) else (expected,)
    try:
        return len(given_t) == len(expected_t) and all(abs(g - e) <= 1e-6 for g, e in zip(given_t, expected_t))
    except TypeError:
        return False


def _kept_and_inference(value: float = 3.0, rate: float = 0.4) -> tuple[float, float]:
    x = np.array([[value]])
    kept = scratch.dropout(x, rate, training=True, mask=np.array([[True]]))
    return round(float(kept[0, 0]), 10), float(scratch.dropout(x, rate, training=False)[0, 0])


# --- 05.4, implement it: inverted dropout ------------------------------------------------------
# The mask is random, so the learner's output cannot be compared value by value with a reference:
# the checker compares the values it kept with scratch.dropout replaying the learner's own mask, and
# the fraction kept and the mean output with their expectations, within a stated statistical tolerance.

DROPOUT_RATES = (0.3, 0.7)  # not 0.5: there "rate" and "1 - rate" are the same number
DROPOUT_SHAPES = ((40, 25, 25, 4), (400, 250))  # an NHWC batch and a batch of dense activations, 100,000 values each
STANDARD_ERRORS = 5  # tolerance of the statistical checks; a correct function fails one with chance 5.7e-07
VALUE_TOL = 1e-6  # kept values against x / (1 - rate); float32 arithmetic stays well below it

NOTHING_DROPPED = "nothing was set to zero in training: zero each value with probability rate"
KEEPS_WITH_RATE = ("about a fraction rate of the values was kept: rate is the probability of DROPPING a value, "
                   "so keep each one with probability 1 - rate (e.g. keep = rng.random(x.shape) >= rate)")
NO_RESCALING = ("the kept values are x unchanged: inverted dropout divides them by the keep probability 1 - rate, "
                "so that the expected output equals x")
DIVIDED_BY_RATE = "the kept values are x / rate: divide by the keep probability 1 - rate, not by the drop rate"
MULTIPLIED_BY_KEEP = "the kept values are x * (1 - rate): divide by the keep probability 1 - rate, do not multiply"
MULTIPLIED_BY_RATE = "the kept values are x * rate: divide by the keep probability 1 - rate instead"
SCALED_AT_INFERENCE = ("at inference the output is x * (1 - rate): that is the AlexNet paper's original dropout; "
                       "inverted dropout rescales in training, so at inference it returns x unchanged")
RESCALED_AT_INFERENCE = "at inference the output is x / (1 - rate): the rescaling belongs to training only; return x"
DROPS_AT_INFERENCE = "at inference some values are zero: dropout is off at inference (training=False returns x)"
IGNORES_RNG = ("two calls with generators seeded alike dropped different values: draw the mask from the rng "
               "argument (rng.random(x.shape)), not from np.random, so that a seeded run repeats")

_STUCK = " (Stuck? `course_utils.solution('05.4')` shows a worked solution.)"


def _reference_dropout(x: np.ndarray, rate: float, rng: np.random.Generator, training: bool = True) -> np.ndarray:
    """The reference with the exercise's signature: the course's scratch.dropout."""
    return scratch.dropout(x, rate, training, rng=rng)


# Typical wrong answers, as functions: tests/test_nb05_exercises.py checks that each is diagnosed.
def _no_rescaling(x, rate, rng, training=True):
    return np.where(rng.random(x.shape) >= rate, x, 0.0) if training else x


def _divided_by_rate(x, rate, rng, training=True):
    return np.where(rng.random(x.shape) >= rate, x / rate, 0.0) if training else x


def _keeps_with_rate(x, rate, rng, training=True):
    return np.where(rng.random(x.shape) < rate, x / (1 - rate), 0.0) if training else x


def _scaled_at_inference(x, rate, rng, training=True):
    return np.where(rng.random(x.shape) >= rate, x / (1 - rate), 0.0) if training else x * (1 - rate)


def _ignores_rng(x, rate, rng, training=True):
    return np.where(np.random.random(x.shape) >= rate, x / (1 - rate), 0.0) if training else x


def _scale_diagnosis(ratio: np.ndarray, rate: float) -> str | None:
    """Name the mistake when every kept value is x times one wrong factor."""
    for factor, text in ((1.0, NO_RESCALING), (1 / rate, DIVIDED_BY_RATE), (1 - rate, MULTIPLIED_BY_KEEP),
                         (rate, MULTIPLIED_BY_RATE)):
        if np.max(np.abs(ratio - factor)) <= VALUE_TOL * max(1.0, factor):
            return text
    return None


def _inference_diagnosis(out: np.ndarray, x: np.ndarray, rate: float) -> str | None:
    for wrong, text in ((x * (1 - rate), SCALED_AT_INFERENCE), (x / (1 - rate), RESCALED_AT_INFERENCE)):
        if np.max(np.abs(out - wrong)) <= VALUE_TOL:
            return text
    return DROPS_AT_INFERENCE if np.any(out == 0) else None


def _call(fn: Callable, *args, **kwargs) -> tuple[np.ndarray | None, str | None]:
    """Return (output as float64 array, None), or (None, what went wrong)."""
    try:
        out = fn(*args, **kwargs)
    except NotImplementedError:
        return None, "not implemented yet: replace `raise NotImplementedError` with your code and run the cell again."
    except Exception as e:  # the learner's bug: say what, without a wall of traceback
        return None, (f"your function raised {type(e).__name__}: {e} (input of shape {np.shape(args[0])}). "
                      "Call it on such an input in a cell of its own to see the line.")
    if out is None:
        return None, "your function returned None: did you forget `return`?"
    try:
        out = np.asarray(out, np.float64)
    except (TypeError, ValueError):
        return None, f"your function returned a {type(out).__name__}, not an array of numbers."
    if out.shape != np.shape(args[0]):
        return None, f"not yet: the output has shape {out.shape}, should be the input's {np.shape(args[0])}."
    return out, None


def grade_dropout(learner_fn: Callable, seed: int = 0) -> tuple[bool, str]:
    """Return (correct?, message) for a learner's ``dropout(x, rate, rng, training=True)`` (exercise 05.4).

    For each rate of :data:`DROPOUT_RATES` on 100,000 values of ``x`` (no zeros, so a zero means
    "dropped"), in training: some values are dropped; the fraction kept is within
    :data:`STANDARD_ERRORS` standard errors of ``1 - rate``; the kept values equal ``scratch.dropout``
    replaying the learner's mask, i.e. ``x / (1 - rate)``, within :data:`VALUE_TOL`; the mean output
    is within 5 standard errors of the input's mean; two calls with generators seeded alike agree. At
    inference the output is ``x``, as ``keras.layers.Dropout``. Typical mistakes are named.

    Example:
        >>> grade_dropout(_reference_dropout)[0]
        True
        >>> print(grade_dropout(_keeps_with_rate)[1])  # doctest: +ELLIPSIS
        Exercise 05.4: not yet at rate 0.3: about a fraction rate of the values was kept: rate is the probability ...
    """
    rng = np.random.default_rng(seed)
    worst_value = worst_inference = worst_z = 0.0
    n = 0
    for rate, shape in zip(DROPOUT_RATES, DROPOUT_SHAPES):
        x = rng.uniform(0.5, 1.5, size=shape)  # no zeros: a zero in the output means "dropped"
        call_seed = int(rng.integers(2**31))
        out, problem = _call(learner_fn, x.copy(), rate, np.random.default_rng(call_seed))
        if problem:
            return False, f"Exercise 05.4: {problem}"
        n, keep = x.size, 1.0 - rate
        kept = out != 0
        if kept.all():
            return False, f"Exercise 05.4: not yet at rate {rate}: {NOTHING_DROPPED}.{_STUCK}"
        # fraction kept: a sum of n Bernoulli(1 - rate) draws over n, standard error sqrt(rate (1 - rate) / n)
        fraction = float(kept.mean())
        se_fraction = np.sqrt(rate * keep / n)
        if abs(fraction - keep) > STANDARD_ERRORS * se_fraction:
            why = KEEPS_WITH_RATE if abs(fraction - rate) <= STANDARD_ERRORS * se_fraction else (
                f"the fraction kept is {fraction:.3f}, should be 1 - rate = {keep:g} within "
                f"{STANDARD_ERRORS * se_fraction:.3f} ({STANDARD_ERRORS} standard errors)")
            return False, f"Exercise 05.4: not yet at rate {rate}: {why}.{_STUCK}"
        # kept values: the reference replaying the learner's own mask
        expected = scratch.dropout(x, rate, training=True, mask=kept)
        diff = float(np.max(np.abs(out - expected)))
        if not diff <= VALUE_TOL:
            why = _scale_diagnosis(out[kept] / x[kept], rate) or "the kept values should be x / (1 - rate), the others 0"
            return False, (f"Exercise 05.4: not yet at rate {rate}: max |diff| = {diff:.1e} against scratch.dropout "
                           f"with your mask, should be below {VALUE_TOL:.0e}: {why}.{_STUCK}")
        worst_value = max(worst_value, diff)
        # mean output: each output minus its input has variance x^2 rate / (1 - rate)
        se_mean = np.sqrt(np.mean(x**2) * rate / keep / n)
        z_mean = abs(float(out.mean() - x.mean())) / se_mean
        if z_mean > STANDARD_ERRORS:
            return False, (f"Exercise 05.4: not yet at rate {rate}: the mean output {out.mean():.4f} differs from the "
                           f"input's mean {x.mean():.4f} by {z_mean:.1f} standard errors (tolerance "
                           f"{STANDARD_ERRORS}).{_STUCK}")
        worst_z = max(worst_z, abs(fraction - keep) / se_fraction, z_mean)
        again, problem = _call(learner_fn, x.copy(), rate, np.random.default_rng(call_seed))
        if problem or not np.array_equal(again, out):
            return False, f"Exercise 05.4: {problem}" if problem else f"Exercise 05.4: not yet: {IGNORES_RNG}.{_STUCK}"
        # inference: the identity, like the reference and Keras
        out, problem = _call(learner_fn, x.copy(), rate, np.random.default_rng(call_seed), training=False)
        if problem:
            return False, f"Exercise 05.4 (training=False): {problem}"
        keras_out = keras.ops.convert_to_numpy(keras.layers.Dropout(rate)(x.astype("float32"), training=False))
        diff = max(float(np.max(np.abs(out - scratch.dropout(x, rate, training=False)))),
                   float(np.max(np.abs(out - keras_out))))
        if not diff <= VALUE_TOL:
            why = _inference_diagnosis(out, x, rate) or "at inference dropout returns its input unchanged"
            return False, (f"Exercise 05.4: not yet at rate {rate} with training=False: max |diff| = {diff:.1e} "
                           f"against scratch.dropout and keras.layers.Dropout, should be below {VALUE_TOL:.0e}: "
                           f"{why}.{_STUCK}")
        worst_inference = max(worst_inference, diff)
    rates = " and ".join(f"{r:g}" for r in DROPOUT_RATES)
    return True, (f"Exercise 05.4: correct at rates {rates}, {n:,} values each: kept values = x / (1 - rate) "
                  f"(max |diff| = {worst_value:.1e}, should be below {VALUE_TOL:.0e}); fraction kept and mean output "
                  f"within {worst_z:.1f} standard errors of 1 - rate and of the input's mean (tolerance "
                  f"{STANDARD_ERRORS}); at inference the input unchanged, like keras.layers.Dropout "
                  f"(max |diff| = {worst_inference:.1e}).")


def check_dropout(learner_fn: Callable) -> None:
    """Check a learner's inverted dropout (exercise 05.4): print what is right, or what is wrong and why."""
    print_verdict("05.4", grade_dropout(learner_fn))


DROPOUT_EXERCISE = Exercise(
    key="05.4",
    question="Implement inverted dropout: dropout(x, rate, rng, training=True) zeros each value with probability "
    "rate and divides the kept ones by 1 - rate in training, and returns x at inference. Check it with "
    "check_dropout(dropout).",
    # An "implement it" exercise: the answer is the reference function, compare runs the checker, and the
    # mistakes are known-wrong functions with the diagnosis the checker gives them.
    answer=_reference_dropout,
    compare=lambda given, expected: callable(given) and grade_dropout(given)[0],
    hint="`check_dropout(your_function)` says what differs.",
    solution="Draw a keep-mask that is True with probability 1 - rate, keep those values divided by 1 - rate, "
    "zero the others; at inference return x:\n\n"
    "    def dropout(x, rate, rng, training=True):\n"
    "        if not training:\n"
    "            return x\n"
    "        keep = rng.random(x.shape) >= rate  # True with probability 1 - rate\n"
    "        return np.where(keep, x / (1 - rate), 0.0)\n\n"
    "The course's version, with checks of its arguments: course_utils.show_source(course_utils.scratch.dropout).",
    mistakes={
        _no_rescaling: NO_RESCALING,
        _divided_by_rate: DIVIDED_BY_RATE,
        _keeps_with_rate: KEEPS_WITH_RATE,
        _scaled_at_inference: SCALED_AT_INFERENCE,
        _ignores_rng: IGNORES_RNG,
    },
)


EXERCISES = (
    Exercise(
        key="05.1",
        question="The VGG16-CAPTCHA tutorial's network ends its convolutions with feature maps of shape (2, 5, 512) "
        "per image (after the five poolings of exercise 04.2). Flatten lays them out as one vector: at which position "
        "(counting from 0) does the value at row 1, column 3, channel 7 land?",
        answer=_flat_position(),
        solution=f"Flatten keeps NumPy's row-major order over (H, W, C): the channel changes fastest, then the column, "
        f"then the row. Each pixel holds 512 values and each row 5 pixels, so row 1, column 3, channel 7 sits at "
        f"(1 * 5 + 3) * 512 + 7 = {_flat_position()}. Check: mark that value in np.zeros((1, 2, 5, 512)) and look "
        "for it with np.argmax(scratch.flatten(marked)[0]).",
        mistakes={
            _flat_position((2, 0, 1)): "that is channels-first order (C, H, W), PyTorch's layout: Keras' Flatten reads "
            "an NHWC batch, so the channel changes fastest.",
            _flat_position((1, 0, 2)): "that puts the column before the row: row-major order walks along a row first, "
            "so one row is 5 pixels of 512 values.",
            _flat_position() + 1: "positions count from 0 here, as NumPy's indices do.",
            _flat_position((0, 2, 1)): "the channel comes last and changes fastest: (row * 5 + column) * 512 + channel.",
        },
    ),
    Exercise(
        key="05.2",
        question="The VGG16-CAPTCHA tutorial puts Dense(4096) right after the Flatten of those (2, 5, 512) maps. "
        "How many parameters does this one layer have?",
        answer=arithmetic.dense_params(_captcha_flatten(), 4096),
        solution=f"Flatten hands over 2 * 5 * 512 = {_captcha_flatten():,} numbers per image; (n_in + 1) * n_out = "
        f"({_captcha_flatten():,} + 1) * 4096 = {arithmetic.dense_params(_captcha_flatten(), 4096):,}: one weight per "
        "input and one bias, per unit.",
        mistakes={
            _captcha_flatten() * 4096: "that forgets the 4096 biases: each unit has n_in weights plus one bias.",
            _captcha_flatten() * 4097: "the bias belongs to the output units: (n_in + 1) * n_out, not n_in * (n_out + 1).",
            arithmetic.dense_params(7 * 7 * 512, 4096): "that is VGG16's 224-pixel fc1 (7 x 7 x 512 inputs); this input is 2 x 5 x 512.",
            arithmetic.dense_params(512, 4096): "the dense layer sees every value of the 2 x 5 x 512 maps, not one per channel.",
        },
    ),
    Exercise(
        key="05.3",
        question="Dropout(0.4) as in the VGG16-CAPTCHA tutorial. A unit outputs 3.0. What does the Dropout layer output for it "
        "(a) in training, when this unit is kept, and (b) at inference? Answer (training_kept, inference).",
        answer=_kept_and_inference(),
        solution="Keras uses inverted dropout: kept values are divided by the keep probability 1 - 0.4 = 0.6 during "
        "training, 3.0 / 0.6 = 5.0, so that the expected output stays 3.0; at inference the layer does nothing: 3.0.",
        mistakes={
            (3.0, 3.0): "a kept value is scaled by 1 / (1 - rate) in training; otherwise the average output would shrink.",
            (5.0, 5.0): "at inference Dropout is the identity: the scaling was already done during training.",
            (3.0, 1.8): "that is the original dropout of the AlexNet paper (scale by 1 - rate at test time); "
            "Keras scales during training instead, so inference needs no change.",
            (1.2, 3.0): "multiply by 1 / (1 - rate) = 1 / 0.6, not by the rate 0.4.",
        },
        compare=_close,
    ),
    DROPOUT_EXERCISE,
)

register(*EXERCISES, origin=__name__)
