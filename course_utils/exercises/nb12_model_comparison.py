"""Exercises of notebook 12_model_comparison: costs of the blocks that came next, a classic at another size, depth.

Keys ``12.1`` ... ``12.4``; answers are computed with :mod:`course_utils.arithmetic` (the formulas the
tracer applies), never typed twice. Each asks about a size the notebook does not show: its worked
examples are a 3 x 3 convolution and its depthwise-separable version with 256 channels on a 28 x 28
map, a residual block with an identity shortcut, every model at its native input and at 32 x 32.

Example:
    >>> from course_utils.exercises import grade
    >>> grade("12.1", EXERCISES[0].answer)[0]
    True
    >>> vgg_macs("D", 224) == 15_470_264_320     # what the tracer prints for VGG16 at 224 x 224
    True
"""

from __future__ import annotations

from .. import arithmetic
from ..models.vgg import config_blocks
from . import Exercise, register

# 12.1: a 3 x 3 depthwise-separable convolution, 128 channels in and out, on a 16 x 16 map ('same')
_SIDE_1, _C_1 = 16, 128
_DEPTHWISE = arithmetic.conv_macs(_SIDE_1, _SIDE_1, 3, _C_1, _C_1, groups=_C_1)  # one 3 x 3 kernel per channel
_POINTWISE = arithmetic.conv_macs(_SIDE_1, _SIDE_1, 1, _C_1, _C_1)
_STANDARD = arithmetic.conv_macs(_SIDE_1, _SIDE_1, 3, _C_1, _C_1)

# 12.2: a residual block from 32 to 64 channels: two 3 x 3 convolutions (bias) and a 1 x 1 projection shortcut
_CONV_A, _CONV_B = arithmetic.conv_params(3, 32, 64), arithmetic.conv_params(3, 64, 64)
_PROJECTION = arithmetic.conv_params(1, 32, 64)
_NO_BIAS = sum(arithmetic.conv_params(k, c, 64, bias=False) for k, c in ((3, 32), (3, 64), (1, 32)))


def vgg_macs(config: str, side: int, classes: int = 1000) -> int:
    """Return the MACs per image of a VGG configuration with the paper's classifier on ``side`` x ``side`` x 3 inputs.

    Every convolution is 3 x 3 (1 x 1 for ``conv1-``) with 'same' padding, five 2 x 2 poolings, then
    fc 4,096, fc 4,096 and ``classes`` outputs reading the flattened last map.
    """
    macs, c_in, s = 0, 3, side
    for block in config_blocks(config):
        for token in block:
            if token == "LRN":
                continue
            k, filters = int(token[4:token.index("-")]), int(token.split("-")[1])
            macs += arithmetic.conv_macs(s, s, k, c_in, filters)
            c_in = filters
        s = arithmetic.pool_output_size(s, 2)
    return macs + s * s * c_in * 4096 + 4096 * 4096 + 4096 * classes


# 12.3: VGG19 (configuration E) with the paper's classifier on 64 x 64 x 3 images
_VGG19_64 = vgg_macs("E", 64)
_VGG19_224 = vgg_macs("E", 224)
_SCALED = round(_VGG19_224 * (64 / 224) ** 2)

# 12.4: a stem of two convolutions, three modules with branches 1x1 | 1x1-3x3 | 1x1-5x5 | pool-1x1, then a dense layer
_STEM, _MODULES, _LONGEST_BRANCH, _CONVS_PER_MODULE = 2, 3, 2, 6
_DEPTH = _STEM + _MODULES * _LONGEST_BRANCH + 1

EXERCISES = (
    Exercise(
        key="12.1",
        question="A 3 x 3 depthwise-separable convolution (depthwise 3 x 3, then pointwise 1 x 1) reads a 16 x 16 x 128 map "
        "and writes 16 x 16 x 128 ('same' padding). How many multiply-accumulates per image?",
        answer=_DEPTHWISE + _POINTWISE,
        solution=f"Depthwise: one 3 x 3 kernel per channel at every position, 16*16*128*9 = {_DEPTHWISE:,}. Pointwise: a 1 x 1 "
        f"convolution from 128 to 128 channels, 16*16*128*128 = {_POINTWISE:,}. In all {_DEPTHWISE + _POINTWISE:,}, against "
        f"{_STANDARD:,} for a standard 3 x 3 convolution (a ratio of 1/128 + 1/9). "
        "`course_utils.trace` of `keras.layers.SeparableConv2D(128, 3, padding='same')` on a 16 x 16 x 128 input prints it.",
        mistakes={
            _POINTWISE: "that is the pointwise 1 x 1 part alone; add the depthwise 3 x 3 part (one kernel per channel).",
            _DEPTHWISE: "that is the depthwise part alone; the pointwise 1 x 1 convolution that mixes the channels costs more.",
            _STANDARD: "that is a standard 3 x 3 convolution (every filter reads every channel through a 3 x 3 kernel).",
        },
        hint="Two layers: count each one's MACs (positions x outputs per position x weights per output), then add.",
    ),
    Exercise(
        key="12.2",
        question="A residual block reads a map of 32 channels: two 3 x 3 convolutions of 64 filters (with biases, 'same'), "
        "and, since the channels change, a 1 x 1 convolution of 64 filters (with bias) on the shortcut; the two paths are "
        "added. How many parameters?",
        answer=_CONV_A + _CONV_B + _PROJECTION,
        solution=f"First convolution (3*3*32+1)*64 = {_CONV_A:,}, second (3*3*64+1)*64 = {_CONV_B:,}, projection (32+1)*64 = "
        f"{_PROJECTION:,}; the addition has no parameters: {_CONV_A + _CONV_B + _PROJECTION:,}.",
        mistakes={
            _CONV_A + _CONV_B: "the shortcut needs its own 1 x 1 convolution here (32 channels cannot be added to 64): add its "
            "(32+1)*64 parameters.",
            _NO_BIAS: "every convolution here has a bias: one more parameter per filter.",
            2 * _CONV_B + _PROJECTION: "the first convolution reads the block's 32 input channels, not 64.",
        },
    ),
    Exercise(
        key="12.3",
        question="VGG19 (configuration E, the paper's classifier: fc 4,096, fc 4,096, 1,000 classes) on 64 x 64 x 3 images: "
        "how many multiply-accumulates per image?",
        answer=_VGG19_64,
        solution=f"The convolutions cost in proportion to the map areas, and five poolings leave a 2 x 2 x 512 map, so fc1 "
        f"reads 2,048 values: {_VGG19_64:,} in all. With the tools of this notebook: "
        "`comparison.build_shapes_only(models.model_info('vgg19'), input_shape=(64, 64, 3))` and its trace's `total_macs`.",
        mistakes={
            _SCALED: "scaling the 224 x 224 count by (64/224)^2 is right for the convolutions only: fc1 reads 2 x 2 x 512 "
            "values at 64 x 64, not 7 x 7 x 512 scaled down, and fc2 and the classifier do not shrink at all.",
            _VGG19_224: "that is VGG19 at its native 224 x 224.",
            vgg_macs("D", 64): "that is VGG16 (configuration D); VGG19 has three more convolutions.",
        },
    ),
    Exercise(
        key="12.4",
        question="A network: two convolutions, then three Inception-like modules (branches: 1 x 1; 1 x 1 then 3 x 3; "
        "1 x 1 then 5 x 5; 3 x 3 max pooling then 1 x 1, concatenated), global average pooling and one dense layer. "
        "What is its depth, counted as in this notebook?",
        answer=_DEPTH,
        solution=f"Depth is the most weight layers on one path from input to output: 2 in the stem, 2 through each module "
        f"(the branches sit side by side; pooling has no weights), 1 dense: {_STEM} + {_MODULES}*{_LONGEST_BRANCH} + 1 = {_DEPTH}. "
        "GoogLeNet's 22 counts the same way.",
        mistakes={
            _STEM + _MODULES * _CONVS_PER_MODULE + 1: "that counts every convolution; side-by-side branches add to the width, "
            "not to the depth: take the longest path through each module.",
            _STEM + _MODULES + 1: "a module is two weight layers deep (a 1 x 1 reduction, then the 3 x 3 or 5 x 5).",
            _STEM + _MODULES * 3 + 1: "the pooling branch's max pooling has no weights: the longest path through a module has 2.",
        },
    ),
)

register(*EXERCISES, origin=__name__)
