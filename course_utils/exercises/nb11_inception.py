"""Exercises of notebook 11_inception: a 1 x 1 reduction, naive modules' widths, a factorization, an aux head, a module.

Keys ``11.1`` ... ``11.5``; answers are computed by the course's code, never typed twice. ``11.5`` is an
"implement it" exercise: the learner writes ``inception_module(x, c1, c3_reduce, c3, c5_reduce, c5,
pool_proj)`` with Keras layers and :func:`check_inception_module` builds it on two inputs (the paper's
3a on 28 x 28 x 192 and a small odd-sized one), compares output shapes and parameter counts with
:func:`course_utils.models.inception.inception_module`, then, with the reference's weights copied in
(matched by role: branch, then place in it, so neither the order in which the layers were created nor
two kernels of the same shape matter), the outputs; typical slips (no 1 x 1 after the pooling, the
projection before the pooling, reductions missing or swapped, branches in another order, concatenation
along the wrong axis, average pooling, no ReLU) get their own diagnosis.

Example:
    >>> from course_utils.exercises import grade
    >>> grade("11.2", EXERCISES[1].answer)[0]
    True
    >>> grade_inception_module(inception_module)[0]
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from keras import layers

from .. import arithmetic
from ..checks import BlockCase, check_keras_block, grade_keras_block
from ..models.inception import GOOGLENET_MODULES, inception_module
from . import Exercise, register

ModuleFunction = Callable[..., Any]

# (input shape, six filter counts): the paper's 3a, and a small case with odd sides and height != width
MODULE_CASES: tuple[BlockCase, ...] = (((28, 28, 192), GOOGLENET_MODULES["3a"]), ((9, 11, 10), (6, 5, 7, 3, 4, 2)))


def _conv(x, filters: int, k, activation: str | None = "relu", padding: str = "same"):
    return layers.Conv2D(filters, k, padding=padding, activation=activation)(x)


def _max_pool(x):
    return layers.MaxPooling2D(3, strides=1, padding="same")(x)


def _concat(branches, axis: int = -1):
    return layers.Concatenate(axis=axis)(branches)


def _branches(x, c1, c3r, c3, c5r, c5, pp, *, activation="relu", pool=_max_pool, k5=5):
    b1 = _conv(x, c1, 1, activation)
    b3 = _conv(_conv(x, c3r, 1, activation), c3, 3, activation)
    b5 = _conv(_conv(x, c5r, 1, activation), c5, k5, activation)
    bp = _conv(pool(x), pp, 1, activation)
    return [b1, b3, b5, bp]


def _no_pool_projection(x, c1, c3r, c3, c5r, c5, pp):
    b1, b3, b5, _ = _branches(x, c1, c3r, c3, c5r, c5, pp)
    return _concat([b1, b3, b5, _max_pool(x)])


def _projection_before_pooling(x, c1, c3r, c3, c5r, c5, pp):
    b1, b3, b5, _ = _branches(x, c1, c3r, c3, c5r, c5, pp)
    return _concat([b1, b3, b5, _max_pool(_conv(x, pp, 1))])


def _no_reductions(x, c1, c3r, c3, c5r, c5, pp):
    return _concat([_conv(x, c1, 1), _conv(x, c3, 3), _conv(x, c5, 5), _conv(_max_pool(x), pp, 1)])


def _swapped_reductions(x, c1, c3r, c3, c5r, c5, pp):
    return _concat(_branches(x, c1, c5r, c3, c3r, c5, pp))


def _pool_branch_first(x, c1, c3r, c3, c5r, c5, pp):
    b1, b3, b5, bp = _branches(x, c1, c3r, c3, c5r, c5, pp)
    return _concat([bp, b1, b3, b5])


def _average_pooling(x, c1, c3r, c3, c5r, c5, pp):
    return _concat(_branches(x, c1, c3r, c3, c5r, c5, pp, pool=layers.AveragePooling2D(3, strides=1, padding="same")))


def _no_relu(x, c1, c3r, c3, c5r, c5, pp):
    return _concat(_branches(x, c1, c3r, c3, c5r, c5, pp, activation=None))


def _three_by_three_for_five(x, c1, c3r, c3, c5r, c5, pp):
    return _concat(_branches(x, c1, c3r, c3, c5r, c5, pp, k5=3))


def _channels_first_concat(x, c1, c3r, c3, c5r, c5, pp):
    return _concat(_branches(x, c1, c3r, c3, c5r, c5, pp), axis=1)


MODULE_MISTAKES: dict[ModuleFunction, str] = {
    _no_pool_projection: "the pooling branch has no 1 x 1 projection after the pooling: it passes all the input's channels "
    "on (the naive module), so every module would be wider than the last; add `pool_proj` 1 x 1 filters after it",
    _projection_before_pooling: "the 1 x 1 projection comes before the pooling: in the paper the 3 x 3 max pooling reads the "
    "input and the 1 x 1 convolution (pool proj) reads the pooled maps",
    _no_reductions: "the 3 x 3 and 5 x 5 convolutions read the input directly: put the 1 x 1 reductions (`c3_reduce`, "
    "`c5_reduce` filters) in front of them, which is what makes the module cheap",
    _swapped_reductions: "the reductions are swapped: `c3_reduce` filters go before the 3 x 3, `c5_reduce` before the 5 x 5",
    _pool_branch_first: "the branches are concatenated in another order: the paper's (and the checker's) order is 1 x 1, "
    "3 x 3, 5 x 5, pooling",
    _average_pooling: "that is average pooling; the module's pooling branch takes the maximum of each 3 x 3 window "
    "(MaxPooling2D(3, strides=1, padding='same'))",
    _no_relu: "the convolutions have no ReLU: add activation='relu' to each (shapes and counts are right, outputs are not)",
    _three_by_three_for_five: "the `c5` branch uses 3 x 3 kernels: in Inception v1 it is a 5 x 5 convolution (v2 replaced "
    "it by two 3 x 3)",
    _channels_first_concat: "the branches are joined along axis 1 (the height): in NHWC the channels are the last axis, "
    "Concatenate(axis=-1)",
}
"""The typical mistakes of exercise 11.5, each a wrong function and the diagnosis it earns."""

_CONCAT_HINT = ("Concatenate needs the branches to agree on every axis except the one it joins. Either "
                + MODULE_MISTAKES[_channels_first_concat] + ", or a branch changed the height and width: keep "
                "padding='same' and stride 1 everywhere, in the pooling too (MaxPooling2D(3, strides=1, padding='same'))")
_DIAGNOSES = [(text, fn) for fn, text in MODULE_MISTAKES.items()]  # in the form grade_keras_block takes
_OPTIONS = {"hints": {"Concatenate": _CONCAT_HINT}, "forgot_return": "return", "seed": 11,
            "return_what": "the tensor the Concatenate layer gave you (return layers.Concatenate(axis=-1)([b1, b3, b5, bp]))"}


def grade_inception_module(fn: ModuleFunction, name: str = "11.5") -> tuple[bool, str]:
    """Return (correct?, message) for a learner's ``inception_module(x, c1, c3_reduce, c3, c5_reduce, c5, pool_proj)``.

    :func:`course_utils.checks.grade_keras_block` on the cases of :data:`MODULE_CASES` against
    :func:`course_utils.models.inception.inception_module`, with :data:`MODULE_MISTAKES` as its known
    mistakes; the layers are matched by role (branch, then place in it), so any module of the paper's
    table, 4c with two 1 x 1 convolutions of the same shape included, is graded alike.
    """
    return grade_keras_block(name, fn, inception_module, MODULE_CASES, _DIAGNOSES, **_OPTIONS)


def check_inception_module(fn: ModuleFunction, name: str = "11.5") -> None:
    """Check a learner's ``inception_module(x, c1, c3_reduce, c3, c5_reduce, c5, pool_proj)``: print what is right or wrong.

    Usage (notebook 11)::

        check_inception_module(inception_module)
    """
    check_keras_block(name, fn, inception_module, MODULE_CASES, _DIAGNOSES, **_OPTIONS)


def _same_module(fn: Any, reference: Any) -> bool:
    """The ``compare`` of exercise 11.5: ``check("11.5", my_function)`` grades the function itself."""
    return callable(fn) and grade_inception_module(fn)[0]


def _reduced_cost(c_in: int, reduce: int, k: int, filters: int) -> int:
    """Weights (no biases) of a 1 x 1 reduction to ``reduce`` channels followed by a k x k convolution."""
    return arithmetic.conv_params(1, c_in, reduce, bias=False) + arithmetic.conv_params(k, reduce, filters, bias=False)


def _module_channels(module: str) -> int:
    c1, _, c3, _, c5, pool_proj = GOOGLENET_MODULES[module]
    return c1 + c3 + c5 + pool_proj


def _aux_head_params(channels: int, side: int, num_classes: int) -> int:
    """Parameters of an auxiliary classifier on a side x side x channels map (5 x 5 average pooling, stride 3)."""
    pooled = arithmetic.pool_output_size(side, 5, 3)
    return (arithmetic.conv_params(1, channels, 128) + arithmetic.dense_params(pooled * pooled * 128, 1024)
            + arithmetic.dense_params(1024, num_classes))


def _naive_channels(c_in: int, module: str) -> int:
    """Channels out of a naive module (no reductions, the pooling passes its input on) with ``module``'s filters."""
    c1, _, c3, _, c5, _ = GOOGLENET_MODULES[module]
    return c1 + c3 + c5 + c_in


_R1 = _reduced_cost(256, 48, 5, 128)
_NAIVE_4A = _naive_channels(_module_channels("3b"), "4a")  # 3b's output, pooled, feeds 4a
_NAIVE_4B = _naive_channels(_NAIVE_4A, "4b")
_PAIR = 2 * arithmetic.conv_params(5, 160, 160, bias=False) * 5 // 25  # 1 x 5 then 5 x 1: 2 * 5 weights per pair
_AUX = _aux_head_params(528, 14, 10)
_SOLUTION_11_5 = '''four branches on the same input, joined along the channels.

    from keras import layers

    def inception_module(x, c1, c3_reduce, c3, c5_reduce, c5, pool_proj):
        b1 = layers.Conv2D(c1, 1, activation="relu")(x)
        b3 = layers.Conv2D(c3_reduce, 1, activation="relu")(x)
        b3 = layers.Conv2D(c3, 3, padding="same", activation="relu")(b3)
        b5 = layers.Conv2D(c5_reduce, 1, activation="relu")(x)
        b5 = layers.Conv2D(c5, 5, padding="same", activation="relu")(b5)
        bp = layers.MaxPooling2D(3, strides=1, padding="same")(x)
        bp = layers.Conv2D(pool_proj, 1, activation="relu")(bp)
        return layers.Concatenate(axis=-1)([b1, b3, b5, bp])

The course's version (named layers, batch norm optional):
course_utils.show_source(course_utils.models.inception.inception_module).'''

EXERCISES = (
    Exercise(
        key="11.1",
        question="A 64 x 64 x 256 input goes through 128 filters of 5 x 5 ('same'), after a 1 x 1 reduction to 48 channels. "
        "How many weights (no biases) do the two convolutions have together?",
        answer=_R1,
        solution=f"The 1 x 1 reduction has 256*48 = {256 * 48:,} weights, the 5 x 5 convolution 48*5*5*128 = "
        f"{48 * 25 * 128:,}: {_R1:,} in all, against 256*5*5*128 = {256 * 25 * 128:,} without the reduction. "
        "Both terms count (the classic-models tutorial's 204,800 kept only the second one of its own example).",
        mistakes={
            48 * 25 * 128: "that is the 5 x 5 convolution alone: the 1 x 1 reduction has weights too (256*48); add them.",
            256 * 25 * 128: "that is the 5 x 5 convolution on all 256 channels, without the reduction.",
            _reduced_cost(256, 48, 5, 128) + 48 + 128: "that includes the biases; the question asks for weights only.",
        },
    ),
    Exercise(
        key="11.2",
        question="Suppose GoogLeNet used naive modules from 4a on: each module keeps its #1x1, #3x3 and #5x5 filters, "
        "but has no reductions and no pool projection (the pooling branch passes its input's channels on). 4a reads "
        "3b's 480 channels (after a pooling); 4a's row: #1x1 192, #3x3 208, #5x5 48; 4b's: #1x1 160, #3x3 224, "
        "#5x5 64. How many channels would 4b output?",
        answer=_NAIVE_4B,
        solution=f"A naive module outputs c1 + c3 + c5 plus all of its input's channels. 4a: 192 + 208 + 48 + 480 = "
        f"{_NAIVE_4A:,}; 4b reads those: 160 + 224 + 64 + {_NAIVE_4A:,} = {_NAIVE_4B:,}, against "
        f"{_module_channels('4b')} for the real 4b. Every naive module adds its filters to a width that only "
        "grows, and the next module's 3 x 3 and 5 x 5 read all of it: that is what the reductions stop.",
        mistakes={
            _module_channels("4b"): "that is the real 4b, with its reductions and pool projection; the question makes "
            "the modules naive.",
            _NAIVE_4A: "that is the naive 4a; 4b reads its output and passes all of it on too.",
            160 + 224 + 64: "the naive pooling branch passes all of its input's channels on: add them.",
            _naive_channels(_module_channels("4a"), "4b"): "that makes only 4b naive (on the real 4a's "
            f"{_module_channels('4a')} channels); 4a is naive too, so its output is wider.",
        },
    ),
    Exercise(
        key="11.3",
        question="A 5 x 5 convolution from 160 to 160 channels is factorized as a 1 x 5 then a 5 x 1 convolution (160 "
        "channels in between). How many weights (no biases) has the pair?",
        answer=_PAIR,
        solution=f"Each has 5 weights per channel pair: 5*160*160 = {5 * 160 * 160:,}, twice: {_PAIR:,}, against "
        f"{25 * 160 * 160:,} for the 5 x 5 (2 * 5 against 5 * 5 per pair, 40 %). The pair still sees 5 x 5 pixels "
        "(the 1 x 5 widens the field to 5 horizontally, the 5 x 1 vertically).",
        mistakes={
            25 * 160 * 160: "that is the 5 x 5 convolution itself.",
            5 * 160 * 160: "that is one of the two convolutions; the pair has both.",
            2 * 9 * 160 * 160: "that is two 3 x 3 convolutions (the other factorization of a 5 x 5).",
        },
    ),
    Exercise(
        key="11.4",
        question="GoogLeNet's second auxiliary classifier reads 4d's 14 x 14 x 528 maps: 5 x 5 average pooling with stride "
        "3, 1 x 1 convolution with 128 filters, fully connected 1,024, then a linear layer. With 10 classes, how many "
        "parameters (with biases) has it?",
        answer=_AUX,
        solution=f"The pooling gives (14 - 5)/3 + 1 = 4: a 4 x 4 x 528 map. The 1 x 1 convolution: (528+1)*128 = "
        f"{529 * 128:,}; the flattened 4*4*128 = 2,048 values feed 1,024 units: (2048+1)*1024 = {2049 * 1024:,}; the "
        f"classifier (1024+1)*10 = {1025 * 10:,}. In all {_AUX:,}.",
        mistakes={
            _aux_head_params(528, 14, 10) - 2049 * 1024 + (14 * 14 * 128 + 1) * 1024: "that flattens the 14 x 14 map: the "
            "5 x 5 average pooling with stride 3 first shrinks it to 4 x 4.",
            _aux_head_params(512, 14, 10): "that is the first auxiliary head (on 4a, 512 channels); 4d outputs 528.",
            _aux_head_params(528, 14, 1000): "that is with ImageNet's 1,000 classes; the question has 10.",
        },
    ),
    Exercise(
        key="11.5",
        question="Implement inception_module(x, c1, c3_reduce, c3, c5_reduce, c5, pool_proj) with Keras layers: a 1 x 1 "
        "branch, 1 x 1 then 3 x 3, 1 x 1 then 5 x 5, 3 x 3 max pooling then 1 x 1, all 'same' with ReLU, concatenated "
        "in that order along the channels. Check it with check_inception_module(inception_module).",
        answer=inception_module,
        solution=_SOLUTION_11_5,
        mistakes=dict(MODULE_MISTAKES),
        hint="check_inception_module(your_function) says where it differs.",
        compare=_same_module,
    ),
)

register(*EXERCISES, origin=__name__)
