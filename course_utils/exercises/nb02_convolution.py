"""Exercises of notebook 02_convolution: a feature-map value by hand, parameter counts, output shapes,
a 1 x 1 bottleneck of GoogLeNet, and "implement it": a convolution layer's forward pass.

Keys ``02.1``, ``02.2``, ...; answers are computed by the code the notebook teaches, never typed twice.
Each asks about a size or a case the notebook does not show (its worked examples use the vertical-edge
kernel, 64 random 3 x 3 x 3 kernels, LeNet's C1 and the 3 x 3 branch of inception 3b).

Exercise ``02.5`` is checked with :func:`check_conv2d` (non-square kernels, several channel counts,
strides 1 and 2, against the reference and Keras); the notebook calls::

    check_conv2d(conv2d_forward)

Example:
    >>> from course_utils.exercises import grade
    >>> grade("02.1", EXERCISES[0].answer)[0]
    True
    >>> grade_conv2d(scratch.conv2d, keras=False)[0]
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from .. import arithmetic, scratch, widgets
from ..checks import grade_function
from . import Exercise, print_verdict, register

# 02.1: a diagonal-edge kernel (brighter towards the top right) on the explorer's 5 x 5 input
DIAGONAL_KERNEL = np.array([[0, 1, 2], [-1, 0, 1], [-2, -1, 0]])
_DIAGONAL_MAP = scratch.correlate2d(widgets.DEMO_IMAGE, DIAGONAL_KERNEL)
_DIAGONAL_FLIPPED = scratch.correlate2d(widgets.DEMO_IMAGE, DIAGONAL_KERNEL[::-1, ::-1])

# 02.4: inception (3b) of GoogLeNet (Szegedy et al. 2015, Table 1): 28 x 28 x 256 in; its 5 x 5 branch
# reduces the 256 channels to 32 with a 1 x 1 convolution, then makes 96 maps with 5 x 5 kernels.
_REDUCE_5X5 = arithmetic.conv_params(1, 256, 32)
_BRANCH_5X5 = arithmetic.conv_params(5, 32, 96)
_DIRECT_5X5 = arithmetic.conv_params(5, 256, 96)


# --- 02.5: implement a convolution layer's forward pass ----------------------------------------

CONV2D_CASES: tuple[tuple[int, int, int, int, int], ...] = (
    # (kh, kw, stride, C_in, C_out): kernels never square, so kh and kw cannot be confused unnoticed;
    # 1 to 3 input channels; stride 1 and 2; the last is the (7, 5) kernel of exercise 02.3
    (3, 2, 1, 3, 4),
    (2, 3, 1, 1, 2),
    (3, 2, 2, 2, 3),
    (7, 5, 1, 3, 2),
)
"""The trials of 02.5, in the order the checker runs them (:func:`conv2d_cases`)."""


def conv2d_inputs(rng: np.random.Generator, case: tuple[int, int, int, int, int] = CONV2D_CASES[0],
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Random ``(x, kernel, bias, stride)`` for one trial of 02.5 with the sizes ``case`` = (kh, kw, stride, C_in, C_out).

    ``x`` is an NHWC batch whose height and width differ (and differ from the kernel's), ``kernel`` has
    Keras' layout (kh, kw, C_in, C_out), ``bias`` C_out values.

    Example:
        >>> x, kernel, bias, stride = conv2d_inputs(np.random.default_rng(0), (7, 5, 1, 3, 2))
        >>> kernel.shape, x.shape[3], bias.shape, stride, x.shape[1] != x.shape[2]
        ((7, 5, 3, 2), 3, (2,), 1, True)
    """
    kh, kw, stride, c_in, c_out = case
    n = int(rng.integers(1, 3))
    h = kh + int(rng.integers(3, 6))
    w = kw + int(rng.integers(3, 6))
    if h == w:
        w += 1
    return rng.normal(size=(n, h, w, c_in)), rng.normal(size=(kh, kw, c_in, c_out)), rng.normal(size=c_out), stride


def conv2d_cases(cases: tuple[tuple[int, int, int, int, int], ...] = CONV2D_CASES) -> Callable[[np.random.Generator], tuple]:
    """Return a ``make_inputs`` for :func:`course_utils.checks.grade_function` that walks through ``cases`` in order.

    Example:
        >>> make = conv2d_cases()
        >>> rng = np.random.default_rng(0)
        >>> [make(rng)[1].shape[:2] for _ in CONV2D_CASES]
        [(3, 2), (2, 3), (3, 2), (7, 5)]
    """
    step = iter(range(10**9))

    def make(rng: np.random.Generator) -> tuple:
        return conv2d_inputs(rng, cases[next(step) % len(cases)])

    return make


def _squared(cases: tuple[tuple[int, int, int, int, int], ...]) -> tuple[tuple[int, int, int, int, int], ...]:
    """The same trials with square kernels (kw = kh): a function right on these only is confusing kh and kw."""
    return tuple((kh, kh, stride, c_in, c_out) for kh, _, stride, c_in, c_out in cases)


def keras_conv2d(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray, stride: int = 1) -> np.ndarray:
    """Keras' ``Conv2D`` (``'valid'``, the given stride) with the given kernel and bias, applied to ``x``.

    Example:
        >>> keras_conv2d(np.ones((1, 3, 4, 2)), np.ones((3, 2, 2, 1)), np.zeros(1)).shape
        (1, 1, 3, 1)
    """
    layer = keras.layers.Conv2D(kernel.shape[-1], kernel.shape[:2], strides=stride, name="conv2d_for_02_5")
    layer.build(x.shape)
    layer.set_weights([kernel.astype("float32"), bias.astype("float32")])
    return keras.ops.convert_to_numpy(layer(x.astype("float32")))


def _flipped_kernel(x, kernel, bias, stride=1):
    return scratch.conv2d(x, kernel[::-1, ::-1], bias, stride)


def _kernel_rows_and_columns_swapped(x, kernel, bias, stride=1):
    return scratch.conv2d(x, kernel.transpose(1, 0, 2, 3), bias, stride)


def _no_bias(x, kernel, bias, stride=1):
    return scratch.conv2d(x, kernel, None, stride)


def _bias_per_input_channel(x, kernel, bias, stride=1):
    return scratch.conv2d(x, kernel, bias * x.shape[-1], stride)


def _first_channel_only(x, kernel, bias, stride=1):
    return scratch.conv2d(x[..., :1], kernel[:, :, :1], bias, stride)


def _channels_averaged(x, kernel, bias, stride=1):
    return scratch.conv2d(x, kernel, None, stride) / x.shape[-1] + bias


def _last_row_and_column_missed(x, kernel, bias, stride=1):
    out = scratch.conv2d(x, kernel, bias, stride)
    out[:, -1], out[:, :, -1] = 0, 0  # loops one position short of the output size in a zero-filled output
    return out


def _stride_ignored(x, kernel, bias, stride=1):
    return scratch.conv2d(x, kernel, bias)


def _windows_not_strided(x, kernel, bias, stride=1):
    out = scratch.conv2d(x, kernel, bias, stride)
    return scratch.conv2d(x, kernel, bias)[:, :out.shape[1], :out.shape[2]]  # windows at i, not i * stride


KH_KW_SWAPPED = ("kh and kw look swapped: your function is right with square kernels only. kernel.shape is "
                 "(kh, kw, C_in, C_out): kh, the first axis, runs down the rows (with H), kw across the columns "
                 "(with W); write `kh, kw, c_in, c_out = kernel.shape` and use kh with i and H, kw with j and W")
"""The diagnosis of exercise 02.5 for a function that passes with square kernels and fails with non-square ones."""

CONV2D_MISTAKES: tuple[tuple[str, Callable[..., Any]], ...] = (
    ("the kernel looks flipped (that is the textbook convolution; Keras' Conv2D computes correlation: "
     "multiply x[i + u, j + v] by kernel[u, v], unflipped)", _flipped_kernel),
    ("the kernel's rows and columns are swapped: window row u goes with kernel[u, v, ...], "
     "column v with its second index", _kernel_rows_and_columns_swapped),
    ("the bias is missing: add bias[f] to every value of feature map f", _no_bias),
    ("the bias is added once per input channel: add it once per output value, after summing over channels",
     _bias_per_input_channel),
    ("only the first input channel counts: each filter sums over the window AND all C_in input channels",
     _first_channel_only),
    ("the channels are averaged: sum over the input channels, do not divide by C_in", _channels_averaged),
    ("the last row and column of the output stay empty: an off-by-one in the loops; "
     "there are (H - kh) // stride + 1 positions down and (W - kw) // stride + 1 across", _last_row_and_column_missed),
    ("the stride is ignored: with stride s the windows start s pixels apart and there are (H - kh) // s + 1 "
     "positions down", _stride_ignored),
    ("the output has the right size but the windows are not strided: output row i reads input rows "
     "i * stride to i * stride + kh - 1", _windows_not_strided),
)

_SOLUTION_02_5 = '''\
def conv2d_forward(x, kernel, bias, stride=1):
    n, h, w, c_in = x.shape
    kh, kw, _, c_out = kernel.shape
    h_out, w_out = (h - kh) // stride + 1, (w - kw) // stride + 1
    out = np.zeros((n, h_out, w_out, c_out))
    for i in range(h_out):                        # every window position down...
        for j in range(w_out):                    # ...and across
            window = x[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]  # (n, kh, kw, c_in)
            # each filter f: sum over the window and all input channels of pixel * weight, plus its bias
            out[:, i, j, :] = np.tensordot(window, kernel, axes=([1, 2, 3], [0, 1, 2])) + bias
    return out'''


def _first_failure(fn: Callable[..., Any], cases: tuple[tuple[int, int, int, int, int], ...],
                   seed: int) -> tuple[tuple, str] | None:
    """The inputs of the first trial that ``fn`` gets wrong and what happened there, or None if it gets all right."""
    rng, make = np.random.default_rng(seed), conv2d_cases(cases)
    for _ in cases:
        inputs = make(rng)
        expected = scratch.conv2d(*inputs)
        try:
            got = np.asarray(fn(*(np.array(v, copy=True) if isinstance(v, np.ndarray) else v for v in inputs)),
                             np.float64)
        except Exception as error:  # the learner's error is the finding
            return inputs, f"it raised {type(error).__name__}: {error}"
        if got.shape != expected.shape:
            return inputs, f"its output has shape {got.shape}, should be {expected.shape}"
        diff = float(np.max(np.abs(got - expected))) if got.size else 0.0
        if not diff <= 1e-6:
            return inputs, f"max |diff| = {diff:.1e}, should be below 1e-06"
    return None


def grade_conv2d(fn: Callable[..., Any], keras: bool = True, name: str = "02.5",
                 cases: tuple[tuple[int, int, int, int, int], ...] = CONV2D_CASES) -> tuple[bool, str]:
    """Return (correct?, message) for a learner's ``conv2d_forward(x, kernel, bias, stride=1)`` (exercise 02.5).

    One trial per entry of :data:`CONV2D_CASES` (non-square kernels, 1 to 3 input channels, strides 1
    and 2), compared with :func:`course_utils.scratch.conv2d` and, when ``keras``, with Keras' ``Conv2D``;
    a wrong output is matched against :data:`CONV2D_MISTAKES`. A function that fails these trials but
    passes the same trials with square kernels confuses kh and kw: :data:`KH_KW_SWAPPED` says so.

    Example:
        >>> grade_conv2d(scratch.conv2d, keras=False)[0]
        True
    """
    graded = grade_function(name, fn, scratch.conv2d, conv2d_cases(cases), keras_fn=keras_conv2d if keras else None,
                            diagnoses=CONV2D_MISTAKES, trials=len(cases), seed=2)
    if graded[0] or not callable(fn):
        return graded
    if not grade_function(name, fn, scratch.conv2d, conv2d_cases(_squared(cases)), trials=len(cases), seed=2)[0]:
        return graded  # wrong with square kernels too: the general message says more
    failure = _first_failure(fn, cases, seed=2)
    if failure is None:
        return graded
    inputs, what = failure
    shapes = ", ".join(f"shape {np.shape(v)}" if isinstance(v, np.ndarray) else f"stride {v}" for v in inputs)
    return False, (f"Exercise {name}: not yet: {KH_KW_SWAPPED}. With inputs {shapes} {what}."
                   f" (Stuck? `course_utils.solution({name!r})` shows a worked solution.)")


def check_conv2d(fn: Callable[..., Any], name: str = "02.5") -> None:
    """Check a learner's ``conv2d_forward(x, kernel, bias, stride=1)``: print what is right, or what is wrong and why.

    Usage (notebook 02)::

        check_conv2d(conv2d_forward)
    """
    print_verdict(name, grade_conv2d(fn, name=name))


def _grades_as_conv2d(given: Any, expected: Any) -> bool:
    """True when ``given`` is a function that computes what ``expected`` (the reference conv2d) does."""
    return callable(given) and grade_conv2d(given, keras=False)[0]


EXERCISES = (
    Exercise(
        key="02.1",
        question="Slide the diagonal-edge kernel E = [[0, 1, 2], [-1, 0, 1], [-2, -1, 0]] over the explorer's "
        "5 x 5 input X (widgets.DEMO_IMAGE): what is the feature map's value at row 1, column 2 (counting from 0)?",
        answer=int(_DIAGONAL_MAP[1, 2]),
        solution=f"The window is rows 1-3, columns 2-4 of X; multiply it element-wise by E and add the nine "
        f"products: {int(_DIAGONAL_MAP[1, 2])}. Check: scratch.correlate2d(X, E)[1, 2].",
        mistakes={
            int(_DIAGONAL_FLIPPED[1, 2]): "you flipped the kernel (the textbook convolution); Keras' Conv2D "
            "and this course slide it as it is (cross-correlation).",
            int(_DIAGONAL_MAP[2, 1]): "that is row 2, column 1: the row index comes first.",
            int(_DIAGONAL_MAP[0, 1]): "that is row 0, column 1: rows and columns count from 0.",
        },
    ),
    Exercise(
        key="02.2",
        question="How many parameters has the first layer of VGG16's second block, "
        "keras.layers.Conv2D(128, 3, padding='same'), on the 112 x 112 x 64 feature maps it receives?",
        answer=arithmetic.conv_params(3, 64, 128),
        solution=f"Each of the 128 kernels is 3 x 3 x 64 (it spans all 64 input channels) plus one bias: "
        f"(3*3*64 + 1) * 128 = {arithmetic.conv_params(3, 64, 128):,}. The image size does not matter: "
        "weights are shared.",
        mistakes={
            arithmetic.conv_params(3, 64, 128, bias=False): "add one bias per filter.",
            arithmetic.conv_params(3, 3, 128): "the kernels span the 64 input channels (the maps of block 1), "
            "not the 3 colours of the photo.",
            arithmetic.conv_params(3, 1, 128): "each kernel spans all 64 input channels, not one.",
            arithmetic.conv_params(3, 64, 128) * 112 * 112: "weights are shared across positions: the image "
            "size does not enter.",
        },
    ),
    Exercise(
        key="02.3",
        question="scratch.conv2d(x, kernel) with x of shape (4, 40, 30, 3) and a kernel of shape (7, 5, 3, 10), "
        "stride 1, padding 'valid': what is the output shape?",
        answer=(4, arithmetic.conv_output_size(40, 7), arithmetic.conv_output_size(30, 5), 10),
        solution=f"The batch stays 4; the kernel is 7 high and 5 wide, so the height becomes 40 - 7 + 1 = "
        f"{arithmetic.conv_output_size(40, 7)} and the width 30 - 5 + 1 = {arithmetic.conv_output_size(30, 5)}; "
        "the depth is the number of kernels, 10.",
        mistakes={
            (4, 34, 26, 3): "the output depth is the number of kernels (10), not the input's channels.",
            (4, 40, 30, 10): "'valid' adds no padding, so the kernel shrinks each side by its size minus 1.",
            (4, 33, 25, 10): "the number of positions is n - k + 1, not n - k.",
            (4, 36, 24, 10): "the kernel's first axis is its height (7, with the 40 rows), the second its "
            "width (5, with the 30 columns).",
            (34, 26, 10): "keep the batch axis: 4 images in, 4 feature-map stacks out.",
        },
    ),
    Exercise(
        key="02.4",
        question="GoogLeNet's inception (3b) takes 28 x 28 x 256 feature maps; its 5 x 5 branch first reduces "
        "them to 32 channels with a 1 x 1 convolution, then makes 96 maps with 5 x 5 kernels. How many "
        "parameters has the branch with the 1 x 1 reduction, and how many would a 5 x 5 convolution "
        "straight from the 256 channels to 96 maps have? Answer (with, without).",
        answer=(_REDUCE_5X5 + _BRANCH_5X5, _DIRECT_5X5),
        solution=f"With: (1*1*256 + 1) * 32 = {_REDUCE_5X5:,} for the 1 x 1 layer plus (5*5*32 + 1) * 96 = "
        f"{_BRANCH_5X5:,} for the 5 x 5 layer: {_REDUCE_5X5 + _BRANCH_5X5:,}. Without: (5*5*256 + 1) * 96 = "
        f"{_DIRECT_5X5:,}, about {_DIRECT_5X5 / (_REDUCE_5X5 + _BRANCH_5X5):.1f} times as many.",
        mistakes={
            (_BRANCH_5X5, _DIRECT_5X5): "count the 1 x 1 layer's parameters too.",
            (arithmetic.conv_params(1, 256, 32, bias=False) + arithmetic.conv_params(5, 32, 96, bias=False),
             arithmetic.conv_params(5, 256, 96, bias=False)): "add one bias per filter, in both layers.",
            (arithmetic.conv_params(1, 1, 32) + _BRANCH_5X5, _DIRECT_5X5): "a 1 x 1 kernel still spans all "
            "256 input channels: (1*1*256 + 1) * 32.",
            (_DIRECT_5X5, _REDUCE_5X5 + _BRANCH_5X5): "the order is (with the 1 x 1 reduction, without it).",
        },
    ),
    Exercise(
        key="02.5",
        question="Implement conv2d_forward(x, kernel, bias, stride=1): a convolution layer's forward pass like "
        "keras.layers.Conv2D (padding 'valid', no activation) for an NHWC batch x, a kernel of shape "
        "(kh, kw, C_in, C_out), C_out biases and a stride. Check it with check_conv2d(conv2d_forward).",
        answer=scratch.conv2d,
        solution="One way (loops over the output positions, NumPy over the batch, the window and the channels):\n\n"
        + _SOLUTION_02_5
        + "\n\nThe course's reference, with 'same' padding too: "
        "course_utils.show_source(course_utils.scratch.conv2d).",
        mistakes={wrong_fn: text for text, wrong_fn in CONV2D_MISTAKES},
        compare=_grades_as_conv2d,
    ),
)

register(*EXERCISES, origin=__name__)
