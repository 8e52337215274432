"""Exercises of notebook 04_pooling: output sizes, 'same' against 'valid', global average pooling, gaps, max pooling.

Keys ``04.1``, ``04.2``, ...; answers are computed by the code the notebook teaches, never typed twice.
``04.5`` is an "implement it" exercise: the learner writes ``max_pool2d(x, pool, stride)`` (NHWC,
'valid') and :func:`check_max_pool2d` runs it on random batches against
:func:`course_utils.scratch.max_pool2d` and ``keras.layers.MaxPooling2D``, and recognises the
typical mistakes (:data:`POOL_MISTAKES`), including those that give the wrong output shape.

Example:
    >>> from course_utils.exercises import grade
    >>> grade("04.1", EXERCISES[0].answer)[0]
    True
    >>> grade_max_pool2d(scratch.max_pool2d, keras=False)[0]
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable

import keras
import numpy as np

from .. import arithmetic, scratch
from ..checks import grade_function
from . import Exercise, register

# --- 04.5: max pooling with a window and a stride, written by the learner ---------------------

PoolFunction = Callable[[np.ndarray, int, int], np.ndarray]


def random_batch(rng: np.random.Generator) -> tuple[np.ndarray, int, int]:
    """Return (x, pool, stride): a random NHWC batch (2, H, W, 3) with H != W, a window of 2-3, a stride of 2-3.

    The stride is never 1 and the windows often leave pixels over at the border, so a function
    that ignores the stride or miscounts the windows gives a wrong shape.

    Example:
        >>> x, pool, stride = random_batch(np.random.default_rng(0))
        >>> x.ndim, x.shape[1] != x.shape[2], pool in (2, 3), stride in (2, 3)
        (4, True, True, True)
    """
    h = int(rng.integers(7, 13))
    w = h + int(rng.integers(1, 4))  # not square: height and width must not be swapped
    pool, stride = int(rng.integers(2, 4)), int(rng.integers(2, 4))
    return rng.normal(size=(2, h, w, 3)), pool, stride


def keras_max_pool2d(x: np.ndarray, pool: int, stride: int) -> np.ndarray:
    """Return ``keras.layers.MaxPooling2D(pool, strides=stride)`` applied to ``x`` (float32, 'valid')."""

    return keras.ops.convert_to_numpy(keras.layers.MaxPooling2D(pool, strides=stride)(x.astype("float32")))


def _max_over_windows(x: np.ndarray, pool: int, stride: int, rows: int, cols: int) -> np.ndarray:
    """Max of ``rows`` x ``cols`` windows starting every ``stride`` pixels; numpy cuts windows short at the border."""
    out = np.empty((x.shape[0], rows, cols, x.shape[3]))
    for i in range(rows):
        for j in range(cols):
            out[:, i, j, :] = x[:, i * stride:i * stride + pool, j * stride:j * stride + pool, :].max(axis=(1, 2))
    return out


def _average(x: np.ndarray, pool: int, stride: int) -> np.ndarray:
    return scratch.avg_pool2d(x, pool, stride)


def _stride_one(x: np.ndarray, pool: int, stride: int) -> np.ndarray:
    return scratch.max_pool2d(x, pool, 1)


def _stride_is_window(x: np.ndarray, pool: int, stride: int) -> np.ndarray:
    return scratch.max_pool2d(x, pool, pool)


def _forgot_plus_one(x: np.ndarray, pool: int, stride: int) -> np.ndarray:
    _, h, w, _ = x.shape
    return _max_over_windows(x, pool, stride, (h - pool) // stride, (w - pool) // stride)


def _side_over_stride(x: np.ndarray, pool: int, stride: int) -> np.ndarray:
    _, h, w, _ = x.shape
    return _max_over_windows(x, pool, stride, h // stride, w // stride)


def _rounded_up(x: np.ndarray, pool: int, stride: int) -> np.ndarray:
    _, h, w, _ = x.shape
    return _max_over_windows(x, pool, stride, math.ceil((h - pool) / stride) + 1, math.ceil((w - pool) / stride) + 1)


def _across_channels(x: np.ndarray, pool: int, stride: int) -> np.ndarray:
    pooled = scratch.max_pool2d(x, pool, stride)
    return np.broadcast_to(pooled.max(axis=3, keepdims=True), pooled.shape)


def _across_channels_one(x: np.ndarray, pool: int, stride: int) -> np.ndarray:
    return scratch.max_pool2d(x, pool, stride).max(axis=3, keepdims=True)


def _across_channels_dropped(x: np.ndarray, pool: int, stride: int) -> np.ndarray:
    return scratch.max_pool2d(x, pool, stride).max(axis=3)


_WRONG_SIZE = ("wrong output size: a window must fit inside the input, so there are floor((H - pool) / stride) + 1 "
               "windows per column (the same for W); numpy does not complain when a slice runs past the border, it "
               "silently returns a smaller window")
_CHANNELS = ("pooled across channels: each channel is pooled on its own, so take the maximum over the window's rows "
             "and columns only (axis=(1, 2) of x[:, rows, cols, :])")

POOL_MISTAKES: dict[PoolFunction, str] = {
    _average: "these are the windows' means: max pooling keeps the largest value (.max, not .mean)",
    _stride_one: "the stride is ignored: neighbouring windows start `stride` pixels apart (i * stride), not 1",
    _stride_is_window: "the window is used as the stride (Keras' default when strides=None): "
    "here the stride is the third argument",
    _forgot_plus_one: "wrong output size: one window short per axis; floor((H - pool) / stride) + 1 counts the "
    "first window too (+ 1)",
    _side_over_stride: _WRONG_SIZE,
    _rounded_up: _WRONG_SIZE,
    _across_channels: _CHANNELS,
    _across_channels_one: _CHANNELS,
    _across_channels_dropped: _CHANNELS,
}
"""The typical mistakes of exercise 04.5, each a wrong function and the diagnosis it earns."""


def grade_max_pool2d(fn: PoolFunction, trials: int = 3, keras: bool = True, name: str = "04.5") -> tuple[bool, str]:
    """Return (correct?, message) for a learner's ``max_pool2d(x, pool, stride)`` (NHWC, 'valid').

    Compared on ``trials`` random batches (:func:`random_batch`) with
    :func:`course_utils.scratch.max_pool2d`, then with Keras' ``MaxPooling2D`` (when ``keras``); a
    wrong answer is matched against :data:`POOL_MISTAKES`, whatever its shape.
    """
    return grade_function(
        name, fn, scratch.max_pool2d, random_batch, keras_fn=keras_max_pool2d if keras else None,
        diagnoses=[(text, wrong) for wrong, text in POOL_MISTAKES.items()], trials=trials, seed=4,
    )


def check_max_pool2d(fn: PoolFunction, trials: int = 3, name: str = "04.5") -> None:
    """Check a learner's ``max_pool2d(x, pool, stride)``: print what is right, or what is wrong and why.

    Usage (notebook 04)::

        check_max_pool2d(max_pool2d)
    """
    print(grade_max_pool2d(fn, trials, name=name)[1])


def _same_pooling(fn: PoolFunction, reference: PoolFunction) -> bool:
    """The ``compare`` of exercise 04.5: ``check("04.5", my_function)`` grades the function itself."""
    return callable(fn) and grade_max_pool2d(fn, keras=False)[0]


def _after_pools(n: int, times: int, padding: str) -> int:
    """Side after ``times`` 2 x 2 poolings with stride 2 and the given padding."""
    for _ in range(times):
        n = arithmetic.pool_output_size(n, 2, 2, padding)
    return n


# 04.1: average pooling with 'same' padding, where a window sticks out of the map
_Q1_MAP = np.arange(1, 26).reshape(5, 5)
_Q1_ANSWER = float(scratch.avg_pool2d(_Q1_MAP[None, ..., None].astype(float), 2, padding="same")[0, 0, 2, 0])
_Q1_AFTER = np.pad(_Q1_MAP.astype(float), [arithmetic.same_padding(5, 2, 2)] * 2, constant_values=np.nan)
_Q1_BEFORE = np.pad(_Q1_MAP.astype(float), [arithmetic.same_padding(5, 2, 2)[::-1]] * 2, constant_values=np.nan)
_Q1_ZEROS_COUNTED = float(np.nan_to_num(_Q1_AFTER[0:2, 4:6]).mean())
_Q1_MAX = float(np.nanmax(_Q1_AFTER[0:2, 4:6]))
_Q1_PADDED_BEFORE = float(np.nanmean(_Q1_BEFORE[0:2, 4:6]))


def _never_pooled(n: int, pool: int, stride: int) -> int:
    return int((scratch.coverage_count(n, pool, stride) == 0).sum())


_SOLUTION_04_5 = '''slide the window with the stride over rows and columns, keep each channel apart:

    def max_pool2d(x, pool, stride):
        n, h, w, c = x.shape
        h_out = (h - pool) // stride + 1                # windows that fit ('valid')
        w_out = (w - pool) // stride + 1
        out = np.empty((n, h_out, w_out, c))
        for i in range(h_out):
            for j in range(w_out):
                window = x[:, i * stride:i * stride + pool, j * stride:j * stride + pool, :]
                out[:, i, j, :] = window.max(axis=(1, 2))    # over rows and columns, per image and channel
        return out

The course's version ('same' padding and average pooling too): course_utils.show_source(course_utils.scratch._pool2d).'''

EXERCISES = (
    Exercise(
        key="04.1",
        question="keras.layers.AveragePooling2D(2, padding='same') on the 5 x 5 map np.arange(1, 26).reshape(5, 5) "
        "(one channel, in a batch of one). What is the output at row 0, column 2 (counting from 0)?",
        answer=_Q1_ANSWER,
        solution=f"'same' makes ceil(5 / 2) = 3 outputs per axis and pads {arithmetic.same_padding(5, 2, 2)} "
        f"(before, after): the odd zero goes after. Output (0, 2) is the window of rows 0-1 and columns 4-5, and "
        f"column 5 is padding: the real pixels are {_Q1_MAP[0, 4]} and {_Q1_MAP[1, 4]}. Keras averages over the real "
        f"pixels only: ({_Q1_MAP[0, 4]} + {_Q1_MAP[1, 4]}) / 2 = {_Q1_ANSWER:g}. Check: "
        "scratch.avg_pool2d(np.arange(1, 26.).reshape(1, 5, 5, 1), 2, padding='same')[0, 0, 2, 0].",
        mistakes={
            _Q1_ZEROS_COUNTED: "that divides by 4, counting the two padded zeros: Keras averages over the real pixels "
            "of the window only.",
            _Q1_MAX: "that is the window's maximum: average pooling takes the mean.",
            _Q1_PADDED_BEFORE: "the padding went before (left and top): Keras puts the odd zero after (right and "
            "bottom), so the first window starts at row 0, column 0.",
        },
    ),
    Exercise(
        key="04.2",
        question="The VGG16-CAPTCHA tutorial's network pools a 60 x 160 map five times with 2 x 2 windows, stride 2, "
        "padding='same'. What is (height, width) after the five poolings?",
        answer=(_after_pools(60, 5, "same"), _after_pools(160, 5, "same")),
        solution="'same' rounds up: 60 -> 30 -> 15 -> 8 -> 4 -> 2 and 160 -> 80 -> 40 -> 20 -> 10 -> 5, so (2, 5).",
        mistakes={
            (_after_pools(60, 5, "valid"), _after_pools(160, 5, "valid")): "that is 'valid' (rounding down: 15 -> 7); "
            "with 'same' the output is ceil(n / 2): 15 -> 8.",
            (5, 2): "height first, then width: (H, W) as in NHWC.",
            (1.875, 5.0): "sizes are integers: each pooling rounds up with 'same'.",
        },
    ),
    Exercise(
        key="04.3",
        question="A Dense(10) layer follows a 7 x 7 x 64 feature map. How many parameters does it have after "
        "GlobalAveragePooling2D (instead of Flatten)?",
        answer=arithmetic.dense_params(64, 10),
        solution=f"GAP leaves one number per channel: 64 inputs, so (64 + 1) * 10 = {arithmetic.dense_params(64, 10)}. After "
        f"Flatten it would be (7*7*64 + 1) * 10 = {arithmetic.dense_params(7 * 7 * 64, 10):,}.",
        mistakes={
            arithmetic.dense_params(7 * 7 * 64, 10): "that is the Flatten head: GAP averages each 7 x 7 map to one number.",
            640: "don't forget the 10 biases: (64 + 1) * 10.",
        },
    ),
    Exercise(
        key="04.4",
        question="2 x 2 max pooling with stride 3 (a stride larger than the window) and padding='valid' on a 20 x 20 "
        "map: how many input pixels are never inside any window?",
        answer=_never_pooled(20, 2, 3),
        solution=f"floor((20 - 2) / 3) + 1 = {arithmetic.pool_output_size(20, 2, 3)} windows per axis, each 2 wide: they "
        f"cover {2 * arithmetic.pool_output_size(20, 2, 3)} of the 20 rows (and columns): the row after each window "
        f"but the last is skipped. Covered pixels: 14 * 14 = 196, so 400 - 196 = {_never_pooled(20, 2, 3)} are never "
        "pooled. `(course_utils.scratch.coverage_count(20, 2, 3) == 0).sum()` counts them too.",
        mistakes={
            0: "with a stride of 3 and windows of 2, one row (and column) between neighbouring windows is skipped.",
            6: "6 rows and 6 columns are skipped, but the question counts pixels: every pixel in a skipped row or column.",
            240: "6 skipped rows of 20 pixels plus 6 skipped columns of 20 count the 6 x 6 crossings twice.",
        },
    ),
    Exercise(
        key="04.5",
        question="Implement max_pool2d(x, pool, stride): max pooling of an NHWC batch with square pool x pool windows "
        "moving `stride` pixels, no padding. Check it with check_max_pool2d(max_pool2d).",
        answer=scratch.max_pool2d,
        solution=_SOLUTION_04_5,
        mistakes=dict(POOL_MISTAKES),
        hint="check_max_pool2d(your_function) says where it differs.",
        compare=_same_pooling,
    ),
)

register(*EXERCISES, origin=__name__)
