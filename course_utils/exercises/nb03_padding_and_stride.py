"""Exercises of notebook 03_padding_and_stride: output sizes, coverage, Keras' 'same' padding, receptive fields.

Keys ``03.1``, ``03.2``, ...; answers are computed by the code the notebook teaches, never typed twice.
``03.6`` is an "implement it" exercise: the learner writes ``conv_output_size(n, k, s=1, p=0, d=1)``
and :func:`check_conv_output_size` runs it on batches of random settings against
:func:`course_utils.arithmetic.conv_output_size` and the shapes Keras produces, and recognises the
typical mistakes (:data:`SIZE_MISTAKES`).

Example:
    >>> from course_utils.exercises import grade
    >>> grade("03.1", EXERCISES[0].answer)[0]
    True
    >>> def size(n, k, s=1, p=0, d=1):
    ...     return (n + 2 * p - d * (k - 1) - 1) // s + 1
    >>> grade_conv_output_size(size, cases=4, keras=False)[0]
    True
    >>> grade_conv_output_size(arithmetic.conv_output_size, cases=4, keras=False)[1]  # the reference is refused
    "Exercise 03.6: your function calls the course's reference `course_utils.arithmetic.conv_output_size`, ..."
"""

from __future__ import annotations

import math
from collections.abc import Callable

import keras
import numpy as np

from .. import arithmetic, scratch
from ..checks import grade_function
from . import Exercise, is_exercise_key, register, solution_pointer

# --- 03.6: the output-size function, written by the learner ----------------------------------

SizeFunction = Callable[[int, int, int, int, int], int]


def random_settings(rng: np.random.Generator, cases: int = 20) -> np.ndarray:
    """Return ``cases`` random settings (rows n, k, s, p, d) whose dilated kernel fits the padded input.

    About half use dilation d > 1, half stride s > 1 (some both), so every term of the formula matters.

    Example:
        >>> random_settings(np.random.default_rng(0), cases=3).shape
        (3, 5)
    """
    rows = []
    while len(rows) < cases:
        n, k, s, p, d = (int(rng.integers(lo, hi)) for lo, hi in ((5, 65), (1, 8), (1, 5), (0, 4), (1, 4)))
        if d * (k - 1) + 1 <= n + 2 * p:
            rows.append((n, k, s, p, d))
    return np.array(rows, dtype=np.int64)


def sizes_of(fn: SizeFunction) -> Callable[[np.ndarray], np.ndarray | None]:
    """Return a function that applies ``fn(n, k, s, p, d)`` to every row of a settings array.

    The learner's function gets plain Python integers, one setting at a time. An error names the
    setting it happened at; a ``None`` result is passed on (so the checker can say "forgot return").
    """
    def sizes(settings: np.ndarray) -> np.ndarray | None:
        out = []
        for row in np.asarray(settings):
            n, k, s, p, d = (int(v) for v in row)
            try:
                size = fn(n, k, s, p, d)
            except NotImplementedError:
                raise
            except Exception as error:
                message = f"{error} (at n={n}, k={k}, s={s}, p={p}, d={d})"
                try:
                    new = type(error)(message)
                except Exception:
                    new = RuntimeError(message)
                raise new from None
            if size is None:
                return None
            out.append(size)
        return np.array(out)

    sizes.__wrapped__ = fn  # the function inside, for checkers that look for the reference (functools' convention)
    return sizes


def keras_sizes(settings: np.ndarray) -> np.ndarray:
    """Return the output side a Keras ``ZeroPadding2D(p)`` + ``Conv2D(k, strides=s, dilation_rate=d)`` produces.

    Keras refuses stride > 1 together with dilation > 1; for those settings the stride-1 dilated
    layer runs and every s-th output is kept (``y[:, ::s, ::s]``), which is what a strided
    convolution computes.
    """
    sides = []
    for n, k, s, p, d in np.asarray(settings).tolist():
        x = np.zeros((1, n, n, 1), "float32")
        padded = keras.layers.ZeroPadding2D(p)(x) if p else x
        if d > 1 and s > 1:
            y = keras.layers.Conv2D(1, k, dilation_rate=d)(padded)[:, ::s, ::s]
        else:
            y = keras.layers.Conv2D(1, k, strides=s, dilation_rate=d)(padded)
        sides.append(int(y.shape[1]))
    return np.array(sides)


def _forgot_plus_one(n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    return (n + 2 * p - (d * (k - 1) + 1)) // s


def _forgot_dilation(n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    return (n + 2 * p - k) // s + 1


def _ceil_not_floor(n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    return math.ceil((n + 2 * p - (d * (k - 1) + 1)) / s) + 1


def _padding_once(n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    return (n + p - (d * (k - 1) + 1)) // s + 1


def _true_division(n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> float:
    return (n + 2 * p - (d * (k - 1) + 1)) / s + 1


def _span_d_times_k(n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    return (n + 2 * p - d * k) // s + 1


def _rounded(n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    return round((n + 2 * p - (d * (k - 1) + 1)) / s) + 1


def _rounded_after_adding_one(n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    return round((n + 2 * p - (d * (k - 1) + 1)) / s + 1)


_ROUNDED = ("round() is not floor: a window that would stick out of the padded input does not count, however "
            "little it sticks out, so round down with floor division (//); round() also rounds halves to even")

SIZE_MISTAKES: dict[SizeFunction, str] = {
    _forgot_plus_one: "off by one: the sizes are one too small; the first window position counts too (+ 1)",
    _forgot_dilation: "the dilation is missing: a dilated kernel spans d*(k-1) + 1 pixels, not k",
    _ceil_not_floor: "you rounded up: a window must fit entirely inside the padded input, so round down "
    "(floor, or // in Python)",
    _padding_once: "the padding is counted once: p zeros go on each side, so the input grows by 2p",
    _true_division: "the sizes are not whole numbers: use floor division (//), not /",
    _span_d_times_k: "the dilated span is written d*k: a kernel of k taps d pixels apart spans d*(k-1) + 1 "
    "pixels (k - 1 gaps of d, plus the first tap), so d*k is d - 1 pixels too many",
    _rounded: _ROUNDED,
    _rounded_after_adding_one: _ROUNDED,
}
"""The typical mistakes of exercise 03.6, each a wrong function and the diagnosis it earns."""


def grade_conv_output_size(fn: SizeFunction, cases: int = 20, trials: int = 3, keras: bool = True,
                           name: str = "03.6") -> tuple[bool, str]:
    """Return (correct?, message) for a learner's ``conv_output_size(n, k, s, p, d)``.

    Each of ``trials`` random inputs is a batch of ``cases`` settings (:func:`random_settings`);
    the learner's sizes are compared with :func:`course_utils.arithmetic.conv_output_size`, then
    with the shapes Keras produces (:func:`keras_sizes`, when ``keras``). A wrong size is reported
    with the first setting where it differs, yours against the expected size, and the slip of
    :data:`SIZE_MISTAKES` it matches, if any.

    Example:
        >>> print(grade_conv_output_size(_span_d_times_k, keras=False)[1])  # doctest: +ELLIPSIS
        Exercise 03.6: not yet: at n=..., d=... yours gives ..., expected ...: the dilated span is written d*k: ...
    """
    graded = grade_function(
        name, sizes_of(fn), sizes_of(arithmetic.conv_output_size), lambda rng: random_settings(rng, cases),
        keras_fn=keras_sizes if keras else None,
        diagnoses=[(text, sizes_of(wrong)) for wrong, text in SIZE_MISTAKES.items()], trials=trials, seed=3,
    )
    if graded[0]:
        return graded
    first = _first_wrong_setting(fn, cases, trials, seed=3)
    if first is None:  # raised, returned None, not implemented: the general message says it
        return graded
    settings, got, expected, index = first
    n, k, s, p, d = (int(v) for v in settings[index])
    wrong = int(np.sum(np.abs(got - expected) > 1e-6))
    diagnosis = next((text for mistake, text in SIZE_MISTAKES.items()
                      if np.array_equal(sizes_of(mistake)(settings), got)), None)
    why = f": {diagnosis}." if diagnosis else f" ({wrong} of the {len(settings)} settings of this batch differ)."
    label = f"Exercise {name}" if is_exercise_key(name) else name
    return False, (f"{label}: not yet: at n={n}, k={k}, s={s}, p={p}, d={d} yours gives {got[index]:g}, expected "
                   f"{expected[index]:g}{why}{solution_pointer(name)}")


def _first_wrong_setting(fn: SizeFunction, cases: int, trials: int, seed: int
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int] | None:
    """The batch, the learner's and the reference's sizes and the index of the first setting that differs.

    Draws the batches as :func:`grade_conv_output_size` does; None when the learner's function raises,
    returns None or something that is not one number per setting.
    """
    rng = np.random.default_rng(seed)
    for _ in range(trials):
        settings = random_settings(rng, cases)
        try:
            got = sizes_of(fn)(settings)
            got = None if got is None else np.asarray(got, np.float64)
        except Exception:  # grade_function has reported it
            return None
        if got is None or got.shape != (len(settings),):
            return None
        expected = sizes_of(arithmetic.conv_output_size)(settings).astype(np.float64)
        differ = np.flatnonzero(np.abs(got - expected) > 1e-6)
        if differ.size:
            return settings, got, expected, int(differ[0])
    return None


def check_conv_output_size(fn: SizeFunction, cases: int = 20, trials: int = 3, name: str = "03.6") -> None:
    """Check a learner's ``conv_output_size(n, k, s, p, d)``: print what is right, or what is wrong and why.

    Usage (notebook 03)::

        check_conv_output_size(conv_output_size)
    """
    print(grade_conv_output_size(fn, cases, trials, name=name)[1])


def _same_sizes(fn: SizeFunction, reference: SizeFunction) -> bool:
    """The ``compare`` of exercise 03.6: ``check("03.6", my_function)`` grades the function itself."""
    return callable(fn) and grade_conv_output_size(fn, keras=False)[0]


# 03.1: an output size given, which input sides produce it? (the floor makes it a range)
_Q1_K, _Q1_S, _Q1_P, _Q1_OUT = 5, 3, 1, 20


def _no_padding(n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    return (n - (d * (k - 1) + 1)) // s + 1


def _input_sides(size: SizeFunction) -> tuple[int, int]:
    """(smallest, largest) input side n for which ``size(n, 5, 3, 1)`` is 20 (exercise 03.1), by trying every n.

    Example:
        >>> _input_sides(arithmetic.conv_output_size)
        (60, 62)
    """
    sides = [n for n in range(_Q1_K, 4 * _Q1_S * _Q1_OUT) if size(n, _Q1_K, _Q1_S, _Q1_P) == _Q1_OUT]
    return min(sides), max(sides)


def _smallest_covering_padding(n: int, k: int, s: int) -> int:
    """The smallest padding p (each side) for which every input pixel is inside some window."""
    return next(p for p in range(k) if (scratch.coverage_count(n, k, s, p=p) == 0).sum() == 0)


def _field_after(*layers: tuple[int, int, int]) -> int:
    """Receptive field (input pixels) after layers given as (k, s, d)."""
    r, j = 1, 1
    for k, s, d in layers:
        r, j = arithmetic.receptive_field(r, j, k, s, d)
    return r


# Section 5's stack of four 3 x 3 layers, as (k, s, d): plain, dilated, stride 2, plain after the stride
SECTION_5_STACK = ((3, 1, 1), (3, 1, 2), (3, 2, 1), (3, 1, 1))


def rows_read(layers: tuple[tuple[int, int, int], ...], row: int) -> tuple[int, int]:
    """The input rows (first, last) that output row ``row`` of the last of ``layers`` (k, s, d; no padding) reads:
    its field starts ``row * jump`` pixels down and is ``r`` pixels tall.

    Example:
        >>> rows_read(((3, 1, 1), (3, 2, 1)), 2)        # r = 5, jump 2: rows 4-8
        (4, 8)
    """
    r, j = 1, 1
    for k, s, d in layers:
        r, j = arithmetic.receptive_field(r, j, k, s, d)
    return row * j, row * j + r - 1


_SOLUTION_03_6 = '''one line of arithmetic, the formula of section 1 with the dilated kernel's span:

    def conv_output_size(n, k, s=1, p=0, d=1):
        span = d * (k - 1) + 1               # the dilated kernel covers this many pixels
        return (n + 2 * p - span) // s + 1   # // rounds down: a window must fit entirely

The course's version (with 'same' padding and error messages): course_utils.show_source(course_utils.arithmetic.conv_output_size).'''

EXERCISES = (
    Exercise(
        key="03.1",
        question=f"A {_Q1_K} x {_Q1_K} convolution with stride {_Q1_S} and {_Q1_P} pixel of zero padding on each side "
        f"produces a {_Q1_OUT} x {_Q1_OUT} feature map. Which input sides n give exactly this output? Answer "
        "(smallest, largest).",
        answer=_input_sides(arithmetic.conv_output_size),
        solution=f"The output is floor((n + {2 * _Q1_P} - {_Q1_K}) / {_Q1_S}) + 1 = {_Q1_OUT}, so "
        f"floor((n - {_Q1_K - 2 * _Q1_P}) / {_Q1_S}) = {_Q1_OUT - 1}: n - {_Q1_K - 2 * _Q1_P} runs from "
        f"{_Q1_S} * {_Q1_OUT - 1} = {_Q1_S * (_Q1_OUT - 1)} to {_Q1_S * (_Q1_OUT - 1) + _Q1_S - 1}, because the floor "
        f"swallows up to s - 1 = {_Q1_S - 1} extra pixels: n = {_input_sides(arithmetic.conv_output_size)[0]} to "
        f"{_input_sides(arithmetic.conv_output_size)[1]}: several inputs share one output size. Check: "
        f"[n for n in range(50, 70) if arithmetic.conv_output_size(n, {_Q1_K}, {_Q1_S}, {_Q1_P}) == {_Q1_OUT}].",
        mistakes={
            _input_sides(_true_division): "that side gives exactly 20, but it is not the only one: the floor swallows "
            f"up to s - 1 = {_Q1_S - 1} extra pixels, so larger inputs give {_Q1_OUT} too.",
            _input_sides(_no_padding): f"that is without the padding: {_Q1_P} zero on each side adds {2 * _Q1_P} pixels.",
            _input_sides(_padding_once): "the padding is counted once: p zeros go on each side, 2p in all.",
            _input_sides(_forgot_plus_one): f"the + 1 is missing: {_Q1_OUT} windows are the first one and "
            f"{_Q1_OUT - 1} steps of {_Q1_S}.",
            _input_sides(_ceil_not_floor): "you rounded up: a window counts only when it fits entirely, so the "
            "count rounds down.",
        },
    ),
    Exercise(
        key="03.2",
        question="A 5 x 5 kernel with stride 2 and padding 2 (each side) over a 110 x 110 map. Output side?",
        answer=arithmetic.conv_output_size(110, 5, 2, 2),
        solution=f"floor((110 + 2*2 - 5) / 2) + 1 = floor(109 / 2) + 1 = 54 + 1 = {arithmetic.conv_output_size(110, 5, 2, 2)}.",
        mistakes={
            arithmetic.conv_output_size(110, 5, 2): "53 is the size without padding: add 2 zeros on each side (4 pixels).",
            _forgot_plus_one(110, 5, 2, 2): "either the + 1 is missing (54 steps, 55 positions) or the padding is counted "
            "once (2p = 4 pixels, not 2).",
            _ceil_not_floor(110, 5, 2, 2): "you rounded 54.5 up: a window must fit, so round down, then + 1.",
            _true_division(110, 5, 2, 2): "sizes are whole numbers: floor(109 / 2) = 54, then + 1.",
        },
    ),
    Exercise(
        key="03.3",
        question="A 5 x 5 kernel slides with stride 3 over a 100 x 100 input. What is the smallest zero padding p "
        "(pixels on each side) for which every input pixel is inside at least one window?",
        answer=_smallest_covering_padding(100, 5, 3),
        solution="Without padding, floor((100 - 5) / 3) + 1 = 32 windows; the last starts at 31 * 3 = 93 and ends at "
        "pixel 97, so pixels 98 and 99 (two rows and two columns) are never seen. With p = 1 the input is 102 wide, "
        "33 windows fit, and the last one (starting at 96) ends on the last zero: every real pixel is seen. "
        f"`(scratch.coverage_count(100, 5, 3, p=1) == 0).sum()` gives {(scratch.coverage_count(100, 5, 3, p=1) == 0).sum()}.",
        mistakes={
            0: f"without padding the last two rows and columns are never inside a window: coverage_count(100, 5, 3) has "
            f"{(scratch.coverage_count(100, 5, 3) == 0).sum()} zeros.",
            2: "p = 2 ('same'-style, (k - 1) / 2) works, but a smaller padding already covers every pixel.",
        },
    ),
    Exercise(
        key="03.4",
        question="Keras, padding='same', a 5 x 5 kernel with stride 2 on a 56 x 56 input: how many zero rows go above "
        "and below the image? Answer (before, after).",
        answer=arithmetic.same_padding(56, 5, 2),
        solution=f"'same' gives ceil(56 / 2) = 28 outputs; they need (28 - 1) * 2 + 5 = 59 rows, 3 more than 56. "
        f"TensorFlow puts the odd row after: {arithmetic.same_padding(56, 5, 2)}.",
        mistakes={
            (2, 1): "three rows is right, but TensorFlow/Keras puts the odd row after (bottom/right), not before.",
            (2, 2): "(2, 2) is 'same' with stride 1 ((k - 1) / 2 each side); with stride 2, 28 outputs need only 59 rows.",
            (0, 3): "three rows is right, but Keras splits them: total // 2 before, the rest after.",
        },
    ),
    Exercise(
        key="03.5",
        question="A 3 x 3 convolution with stride 2, followed by a 3 x 3 convolution with dilation 2 (stride 1). "
        "How many input pixels wide is the receptive field of one output of the second layer?",
        answer=_field_after((3, 2, 1), (3, 1, 2)),
        solution="Layer 1: r = 1 + (3 - 1) * 1 = 3, jump 1 * 2 = 2. Layer 2: r = 3 + (k - 1) * d * j = 3 + 2 * 2 * 2 = "
        f"{_field_after((3, 2, 1), (3, 1, 2))}: neighbouring taps of the dilated kernel are 2 outputs apart, and "
        "neighbouring outputs of layer 1 are 2 input pixels apart.",
        mistakes={
            _field_after((3, 1, 1), (3, 1, 2)): "7 leaves out a factor of 2: r + (k - 1) * d * j needs both the dilation "
            "d = 2 and the jump j = 2 of the stride-2 layer below.",
            _field_after((3, 1, 1), (3, 1, 1)): "5 is two plain 3 x 3 layers: the stride and the dilation each double the "
            "step between taps.",
        },
    ),
    Exercise(
        key="03.6",
        question="Implement conv_output_size(n, k, s=1, p=0, d=1): the output side of a convolution with stride s, "
        "p zeros on each side and dilation d. Check it with check_conv_output_size(conv_output_size).",
        answer=arithmetic.conv_output_size,
        solution=_SOLUTION_03_6,
        mistakes=dict(SIZE_MISTAKES),
        hint="check_conv_output_size(your_function) says where it differs.",
        compare=_same_sizes,
    ),
    Exercise(
        key="03.7",
        question="In section 5's stack of four 3 x 3 layers (plain, dilation 2, stride 2, plain), which input rows "
        "(first, last) does a unit in row 3 of the last layer, conv_3x3_after_stride, read? Predict, then check "
        "in the model explorer of section 5.",
        answer=rows_read(SECTION_5_STACK, 3),
        solution=f"The field is r = {_field_after(*SECTION_5_STACK)} pixels tall and the jump of the last layer is 2 "
        f"(the stride-2 layer doubled it), so row 3 starts 3 * 2 = 6 pixels down: rows "
        f"{rows_read(SECTION_5_STACK, 3)[0]} to {rows_read(SECTION_5_STACK, 3)[1]}.",
        mistakes={
            rows_read(SECTION_5_STACK, 0): "that is row 0's field: move it down by row x jump.",
            (3, 3 + _field_after(*SECTION_5_STACK) - 1): "the field moves by the jump (2 after the stride) per row, "
            "not by 1.",
            rows_read(((3, 1, 1), (3, 1, 1), (3, 2, 1), (3, 1, 1)), 3): "the dilated layer spans 5 pixels, not 3: "
            "its taps are 2 apart.",
            (6, 6 + _field_after(*SECTION_5_STACK)): "one row too many: a field of r pixels from row a ends at a + r - 1.",
        },
        hint="the RF / jump column of section 5's trace gives r and the jump; the field of row i starts i x jump down.",
    ),
)

register(*EXERCISES, origin=__name__)
