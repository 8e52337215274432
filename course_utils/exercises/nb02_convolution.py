"""Exercises of notebook 02_convolution: a feature-map value by hand, parameter counts, output shapes,
a 1 x 1 bottleneck of GoogLeNet, and "implement it": a convolution layer's forward pass.

Keys ``02.1``, ``02.2``, ...; answers are computed by the code the notebook teaches, never typed twice.
Each asks about a size or a case the notebook does not show (its worked examples use the vertical-edge
kernel, 64 random 3 x 3 x 3 kernels, LeNet's C1 and the 3 x 3 branch of inception 3b).

Exercise ``02.5`` is checked with :func:`course_utils.checks.check_function`: the notebook calls::

    check_function("02.5", conv2d_forward, scratch.conv2d, conv2d_inputs,
                   keras_fn=keras_conv2d, diagnoses=CONV2D_MISTAKES)

Example:
    >>> from course_utils.checks import grade_function
    >>> from course_utils.exercises import grade
    >>> grade("02.1", EXERCISES[0].answer)[0]
    True
    >>> grade_function("02.5", scratch.conv2d, scratch.conv2d, conv2d_inputs)[0]
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import numpy as np

from .. import arithmetic, scratch, widgets
from ..checks import grade_function
from . import Exercise, register

# 02.1: a diagonal-edge kernel (brighter towards the top right) on the explorer's 5 x 5 input
DIAGONAL_KERNEL = np.array([[0, 1, 2], [-1, 0, 1], [-2, -1, 0]])
_DIAGONAL_MAP = scratch.correlate2d(widgets.DEMO_IMAGE, DIAGONAL_KERNEL)
_DIAGONAL_FLIPPED = scratch.correlate2d(widgets.DEMO_IMAGE, DIAGONAL_KERNEL[::-1, ::-1])

# 02.4: inception (3b) of GoogLeNet (Szegedy et al. 2014, Table 1): 28 x 28 x 256 in; its 5 x 5 branch
# reduces the 256 channels to 32 with a 1 x 1 convolution, then makes 96 maps with 5 x 5 kernels.
_REDUCE_5X5 = arithmetic.conv_params(1, 256, 32)
_BRANCH_5X5 = arithmetic.conv_params(5, 32, 96)
_DIRECT_5X5 = arithmetic.conv_params(5, 256, 96)


# --- 02.5: implement a convolution layer's forward pass ----------------------------------------

def conv2d_inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random ``(x, kernel, bias)`` for one trial of 02.5: an NHWC batch, a (kh, kw, C_in, C_out) kernel, C_out biases.

    Sizes vary between trials; images are never square, so rows and columns cannot be confused unnoticed.

    Example:
        >>> x, kernel, bias = conv2d_inputs(np.random.default_rng(0))
        >>> x.ndim, kernel.ndim, bias.shape == kernel.shape[-1:], x.shape[-1] == kernel.shape[2]
        (4, 4, True, True)
    """
    n, c_in, c_out = rng.integers(1, 4), rng.integers(2, 5), rng.integers(2, 6)
    h = int(rng.integers(5, 9))
    w = h + int(rng.integers(1, 3))
    k = int(rng.choice([2, 3]))
    return rng.normal(size=(n, h, w, c_in)), rng.normal(size=(k, k, c_in, c_out)), rng.normal(size=c_out)


def keras_conv2d(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Keras' ``Conv2D`` (stride 1, ``'valid'``) with the given kernel and bias, applied to ``x``.

    Example:
        >>> keras_conv2d(np.ones((1, 3, 4, 2)), np.ones((3, 3, 2, 1)), np.zeros(1)).shape
        (1, 1, 2, 1)
    """
    layer = keras.layers.Conv2D(kernel.shape[-1], kernel.shape[:2], name="conv2d_for_02_5")
    layer.build(x.shape)
    layer.set_weights([kernel.astype("float32"), bias.astype("float32")])
    return keras.ops.convert_to_numpy(layer(x.astype("float32")))


def _flipped_kernel(x, kernel, bias):
    return scratch.conv2d(x, kernel[::-1, ::-1], bias)


def _kernel_rows_and_columns_swapped(x, kernel, bias):
    return scratch.conv2d(x, kernel.transpose(1, 0, 2, 3), bias)


def _no_bias(x, kernel, bias):
    return scratch.conv2d(x, kernel)


def _bias_per_input_channel(x, kernel, bias):
    return scratch.conv2d(x, kernel, bias * x.shape[-1])


def _first_channel_only(x, kernel, bias):
    return scratch.conv2d(x[..., :1], kernel[:, :, :1], bias)


def _channels_averaged(x, kernel, bias):
    return scratch.conv2d(x, kernel) / x.shape[-1] + bias


def _last_row_and_column_missed(x, kernel, bias):
    out = scratch.conv2d(x, kernel, bias)
    out[:, -1], out[:, :, -1] = 0, 0  # loops one position short of h - kh + 1 in a zero-filled output
    return out


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
     "there are h - kh + 1 positions down and w - kw + 1 across", _last_row_and_column_missed),
)

_SOLUTION_02_5 = '''\
def conv2d_forward(x, kernel, bias):
    n, h, w, c_in = x.shape
    kh, kw, _, c_out = kernel.shape
    out = np.zeros((n, h - kh + 1, w - kw + 1, c_out))
    for i in range(h - kh + 1):                   # every window position down...
        for j in range(w - kw + 1):               # ...and across
            window = x[:, i:i + kh, j:j + kw, :]  # (n, kh, kw, c_in): all images, all channels
            # each filter f: sum over the window and all input channels of pixel * weight, plus its bias
            out[:, i, j, :] = np.tensordot(window, kernel, axes=([1, 2, 3], [0, 1, 2])) + bias
    return out'''


def _grades_as_conv2d(given: Any, expected: Any) -> bool:
    """True when ``given`` is a function that computes what ``expected`` (the reference conv2d) does."""
    return callable(given) and grade_function("02.5", given, expected, conv2d_inputs, diagnoses=())[0]


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
        question="Implement conv2d_forward(x, kernel, bias): a convolution layer's forward pass like "
        "keras.layers.Conv2D (stride 1, padding 'valid', no activation) for an NHWC batch x, a kernel of shape "
        "(kh, kw, C_in, C_out) and C_out biases. Check it with check_function.",
        answer=scratch.conv2d,
        solution="One way (loops over the output positions, NumPy over the batch, the window and the channels):\n\n"
        + _SOLUTION_02_5
        + "\n\nThe course's reference, with stride and 'same' padding too: "
        "course_utils.show_source(course_utils.scratch.conv2d).",
        mistakes={wrong_fn: text for text, wrong_fn in CONV2D_MISTAKES},
        compare=_grades_as_conv2d,
    ),
)

register(*EXERCISES, origin=__name__)
