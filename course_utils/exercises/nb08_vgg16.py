"""Exercises of notebook 08_vgg16: counts at another size, receptive fields, FC as convolution, one VGG block.

Keys ``08.1`` ... ``08.5``; answers are computed by the code the notebook teaches, never typed twice.
``08.5`` is an "implement it" exercise: the learner writes ``vgg_block(x, filters, convs)`` with
Keras layers and :func:`check_vgg_block` builds it on several inputs, compares output shapes and
parameter counts with :func:`course_utils.models.vgg.vgg_block`, then, with the reference's weights
copied in, the outputs; typical slips (pooling missing or repeated, 'valid' padding in the convolutions,
'same' padding in the pooling, a convolution too many or too few, no ReLU, average pooling, 5 x 5 kernels)
get their own diagnosis.

Example:
    >>> from course_utils.exercises import grade
    >>> grade("08.3", EXERCISES[2].answer)[0]
    True
    >>> grade_vgg_block(vgg_block)[0]
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from keras import layers

from .. import arithmetic
from ..checks import BlockCase, check_keras_block, grade_keras_block
from ..models.vgg import config_blocks, parameter_count, vgg_block
from . import Exercise, register

BlockFunction = Callable[[Any, int, int], Any]

# (input shape, (filters, convs)): odd sides, height != width, one to three convolutions
BLOCK_CASES: tuple[BlockCase, ...] = (((12, 10, 3), (8, 2)), ((9, 9, 4), (6, 3)), ((16, 14, 5), (4, 1)))


def _conv(x, filters: int, k: int = 3, padding: str = "same", activation: str | None = "relu"):
    return layers.Conv2D(filters, k, padding=padding, activation=activation)(x)


def _pool(x, padding: str = "valid"):
    return layers.MaxPooling2D(2, padding=padding)(x)


def _no_pooling(x, filters, convs):
    for _ in range(convs):
        x = _conv(x, filters)
    return x


def _pool_after_each_conv(x, filters, convs):
    for _ in range(convs):
        x = _pool(_conv(x, filters))
    return x


def _valid_padding(x, filters, convs):
    for _ in range(convs):
        x = _conv(x, filters, padding="valid")
    return _pool(x)


def _one_conv_too_many(x, filters, convs):
    return _pool(_no_pooling(x, filters, convs + 1))


def _one_conv_too_few(x, filters, convs):
    return _pool(_no_pooling(x, filters, convs - 1))


def _no_relu(x, filters, convs):
    for _ in range(convs):
        x = _conv(x, filters, activation=None)
    return _pool(x)


def _average_pooling(x, filters, convs):
    return layers.AveragePooling2D(2)(_no_pooling(x, filters, convs))


def _same_pooling(x, filters, convs):
    return _pool(_no_pooling(x, filters, convs), padding="same")


def _five_by_five(x, filters, convs):
    for _ in range(convs):
        x = _conv(x, filters, k=5)
    return _pool(x)


BLOCK_MISTAKES: dict[BlockFunction, str] = {
    _no_pooling: "the 2 x 2 max pooling that ends the block is missing (the output keeps the input's height and width)",
    _pool_after_each_conv: "there is a pooling after every convolution: a VGG block pools once, after its last convolution",
    _valid_padding: "the convolutions use padding='valid' (each one trims 2 pixels); VGG pads by 1 pixel, padding='same', "
    "so that only the pooling changes the size",
    _one_conv_too_many: "one convolution too many: the block has `convs` convolutions, the first reads the input's channels",
    _one_conv_too_few: "one convolution too few: `convs` convolutions, all with `filters` filters, then the pooling",
    _no_relu: "the convolutions have no ReLU: add activation='relu' (shapes and counts are right, the outputs are not)",
    _average_pooling: "that is average pooling; VGG takes the maximum of each 2 x 2 window (MaxPooling2D)",
    _same_pooling: "the pooling has padding='same', which rounds an odd side up (it keeps the half window at the "
    "edge, 9 -> 5); VGG's 2 x 2 pooling keeps Keras' default padding='valid', which rounds down (9 -> 4)",
    _five_by_five: "the kernels are 5 x 5: VGG's are 3 x 3 (two of them see as far as one 5 x 5, with fewer weights)",
}
"""The typical mistakes of exercise 08.5, each a wrong function and the diagnosis it earns."""
_DIAGNOSES = [(text, fn) for fn, text in BLOCK_MISTAKES.items()]  # in the form grade_keras_block takes
_RETURN = "the tensor the last layer gave you (x = layers.MaxPooling2D(2)(x); return x)"


def grade_vgg_block(fn: BlockFunction, name: str = "08.5") -> tuple[bool, str]:
    """Return (correct?, message) for a learner's ``vgg_block(x, filters, convs)`` built with Keras layers.

    :func:`course_utils.checks.grade_keras_block` on the cases of :data:`BLOCK_CASES` against
    :func:`course_utils.models.vgg.vgg_block`, with :data:`BLOCK_MISTAKES` as its known mistakes.
    """
    return grade_keras_block(name, fn, vgg_block, BLOCK_CASES, _DIAGNOSES, forgot_return="return x", return_what=_RETURN,
                             seed=8)


def check_vgg_block(fn: BlockFunction, name: str = "08.5") -> None:
    """Check a learner's ``vgg_block(x, filters, convs)``: print what is right, or what is wrong and why.

    Usage (notebook 08)::

        check_vgg_block(vgg_block)
    """
    check_keras_block(name, fn, vgg_block, BLOCK_CASES, _DIAGNOSES, forgot_return="return x", return_what=_RETURN,
                      seed=8)


def _same_block(fn: Any, reference: Any) -> bool:
    """The ``compare`` of exercise 08.5: ``check("08.5", my_function)`` grades the function itself."""
    return callable(fn) and grade_vgg_block(fn)[0]


def _field_at_last_pool(config: str) -> int:
    """Receptive field side of ``block5_pool`` for a configuration, layer by layer with the course's formula."""
    rf, jump = 1, 1
    for tokens in config_blocks(config):
        for token in tokens:
            if token != "LRN":
                rf, jump = arithmetic.receptive_field(rf, jump, int(token[4:token.index("-")]))
        rf, jump = arithmetic.receptive_field(rf, jump, 2, 2)
    return rf


def _score_map_side(image_side: int) -> int:
    """Side of the class-score map of fully convolutional VGG16 (fc1 a 7 x 7 convolution) on a square image."""
    side = image_side
    for _ in range(5):
        side = arithmetic.pool_output_size(side, 2)
    return arithmetic.conv_output_size(side, 7)


def _stack(n: int) -> tuple[int, int, int]:
    """(field side, weights per channel pair of n stacked 3 x 3, of one kernel with that field)."""
    field = 1
    for _ in range(n):
        field, _jump = arithmetic.receptive_field(field, 1, 3)
    return field, 9 * n, field * field


def _stack_reaching(side: int) -> tuple[int, int, int]:
    """(fewest stacked 3 x 3 convolutions whose field is at least ``side``, their weights per channel pair,
    the weights per channel pair of one side x side kernel)."""
    n = 1
    while _stack(n)[0] < side:
        n += 1
    return n, _stack(n)[1], side * side


_STACK_FOR_11 = _stack_reaching(11)
_D32 = parameter_count("D", 32, 10)
_D32_HEAD = arithmetic.dense_params(512, 4096) + arithmetic.dense_params(4096, 4096) + arithmetic.dense_params(4096, 10)
_SOLUTION_08_5 = '''\
from keras import layers

from course_utils.exercises.nb08_vgg16 import check_vgg_block


def vgg_block(x, filters, convs):
    """Return x after `convs` 3 x 3 convolutions ('same', ReLU, `filters` filters each) and a 2 x 2 max pooling."""
    for _ in range(convs):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)   # the size is kept
    return layers.MaxPooling2D(2)(x)                                          # the size is halved


check_vgg_block(vgg_block)
'''
"""The notebook's exercise cell of 08.5 with the stub replaced: it runs when pasted."""

EXERCISES = (
    Exercise(
        key="08.1",
        question="VGG16 (configuration D) with the paper's classifier (fc1, fc2 of 4,096 units) for CIFAR-10: 32 x 32 x 3 "
        "inputs, 10 classes. How many parameters?",
        answer=_D32,
        solution=f"The 13 convolutions keep their {_D32 - _D32_HEAD:,} parameters (they do not depend on the image size). Five "
        f"poolings take 32 to 1, so fc1 reads 1*1*512 values: (512+1)*4096. Then fc2 (4096+1)*4096 and the classifier "
        f"(4096+1)*10: {_D32:,} in all; `parameter_count('D', 32, 10)` or `vgg_from_config('D', (32, 32, 3), 10).count_params()`.",
        mistakes={
            parameter_count("D", 224, 10): "that is fc1 reading 7 x 7 x 512 (a 224 x 224 input); at 32 x 32 five poolings "
            "leave a 1 x 1 x 512 map.",
            parameter_count("D"): "that is the ImageNet VGG16 (224 x 224, 1,000 classes).",
            _D32 - _D32_HEAD: "that counts the 13 convolutions only; add fc1, fc2 and the classifier.",
        },
    ),
    Exercise(
        key="08.2",
        question="What is the receptive field (side, in input pixels) of VGG19's (configuration E) block5_pool?",
        answer=_field_at_last_pool("E"),
        solution=f"Each 3 x 3 convolution adds 2 * jump, each 2 x 2 pooling adds 1 * jump and doubles the jump. VGG19 has "
        f"one more convolution than VGG16 in blocks 3, 4 and 5, where the jump is 4, 8 and 16: 212 + 2*(4 + 8 + 16) = "
        f"{_field_at_last_pool('E')}. `course_utils.trace(vgg_from_config('E')).row('block5_pool').rf` computes it.",
        mistakes={
            _field_at_last_pool("D"): "212 is VGG16's; VGG19 has three more 3 x 3 convolutions (in blocks 3, 4 and 5).",
            224: "the field is not the image size: it grows layer by layer (and may exceed the image).",
            212 + 2 * 3: "each extra convolution adds 2 * jump, and the jump is 4, 8 and 16 in blocks 3, 4 and 5, not 1.",
        },
    ),
    Exercise(
        key="08.3",
        question="VGG16 turned fully convolutional (fc1 a 7 x 7 convolution, fc2 and predictions 1 x 1) reads a 384 x 384 "
        "image. What is the side of its map of class scores?",
        answer=_score_map_side(384),
        solution=f"Five 2 x 2 poolings: 384 / 32 = 12, so block5_pool is 12 x 12 x 512. The 7 x 7 convolution (fc1, "
        f"'valid') gives 12 - 7 + 1 = {_score_map_side(384)}; the 1 x 1 convolutions keep it: a "
        f"{_score_map_side(384)} x {_score_map_side(384)} map of 1,000 class scores.",
        mistakes={
            12: "12 x 12 is block5_pool's map; fc1, now a 7 x 7 convolution without padding, makes it smaller.",
            1: "1 x 1 is the map at the training size 224; the point of the conversion is that it slides on larger images.",
            7: "fc1 as a 7 x 7 'valid' convolution on a 12 x 12 map gives 12 - 7 + 1 positions.",
        },
    ),
    Exercise(
        key="08.4",
        question="How many stacked 3 x 3 convolutions (stride 1) does it take to see at least an 11 x 11 patch? Give "
        "(that number of layers, their weights per input-output channel pair, the weights per channel pair of one "
        "11 x 11 kernel).",
        answer=_STACK_FOR_11,
        solution=f"Each 3 x 3 convolution widens the field by 2, from 1 pixel: 1 + 2n >= 11 gives n = "
        f"{_STACK_FOR_11[0]} (field {_stack(_STACK_FOR_11[0])[0]}). The stack has {_STACK_FOR_11[0]} * 3*3 = "
        f"{_STACK_FOR_11[1]} weights per channel pair (with the same number of channels in between), one 11 x 11 kernel "
        f"{_STACK_FOR_11[2]}: the stack needs {_STACK_FOR_11[1] / _STACK_FOR_11[2]:.0%} of its weights, and has "
        f"{_STACK_FOR_11[0]} ReLUs instead of one.",
        mistakes={
            (4, 36, 121): "four 3 x 3 convolutions see 9 x 9; one more is needed to reach 11 x 11.",
            (6, 54, 121): "n stacked 3 x 3 convolutions see 2n + 1 pixels (start from 1 pixel, add 2 per layer): "
            "five reach 11.",
            (_STACK_FOR_11[0], _STACK_FOR_11[2], _STACK_FOR_11[1]): "stack first, single kernel last.",
            (_STACK_FOR_11[0], _STACK_FOR_11[1], _stack(_STACK_FOR_11[0] - 1)[2]): "the single kernel has the same "
            "field as the stack, 11 x 11.",
        },
    ),
    Exercise(
        key="08.5",
        question="Implement vgg_block(x, filters, convs) with Keras layers: `convs` 3 x 3 convolutions with `filters` "
        "filters, 'same' padding and ReLU, then 2 x 2 max pooling. Check it with check_vgg_block(vgg_block).",
        answer=vgg_block,
        solution="The convolutions, then one pooling; the exercise's cell, solved (paste it in place of that cell and "
        "run it):\n\n" + _SOLUTION_08_5 + "\nThe course's version (named layers, batch norm optional): "
        "course_utils.show_source(course_utils.models.vgg.vgg_block).",
        mistakes=dict(BLOCK_MISTAKES),
        hint="check_vgg_block(your_function) says where it differs.",
        compare=_same_block,
    ),
)

register(*EXERCISES, origin=__name__)
