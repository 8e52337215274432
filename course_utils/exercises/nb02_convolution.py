"""Exercises of notebook 02_convolution: one feature-map value by hand, parameter counts, output shapes.

Keys ``02.1``, ``02.2``, ...; answers are computed by the code the notebook teaches, never typed twice.

Example:
    >>> from course_utils.checks import grade
    >>> grade("02.1", EXERCISES[0].answer)[0]
    True
"""

from __future__ import annotations

from .. import arithmetic, scratch, widgets
from ..checks import Exercise, register

_DEMO_MAP = scratch.correlate2d(widgets.DEMO_IMAGE, widgets.DEMO_KERNEL)
_DEMO_FLIPPED = scratch.correlate2d(widgets.DEMO_IMAGE, widgets.DEMO_KERNEL[::-1, ::-1])
EXERCISES = (
    Exercise(
        key="02.1",
        question="Slide the explorer's 3 x 3 kernel over its 5 x 5 input: what is the feature map's value "
        "at row 1, column 1 (counting from 0)?",
        answer=int(_DEMO_MAP[1, 1]),
        solution=f"The window is rows 1-3, columns 1-3 of the input; multiply it element-wise by the kernel "
        f"and add the nine products: {int(_DEMO_MAP[1, 1])}. The explorer shows it at position 4.",
        mistakes={
            int(_DEMO_FLIPPED[1, 1]): "you flipped the kernel (the textbook convolution); Keras' Conv2D "
            "and this course slide it as it is (cross-correlation).",
            int(_DEMO_MAP[0, 1]): "that is row 0, column 1: rows and columns count from 0.",
            int(_DEMO_MAP[1, 0]): "that is row 1, column 0: rows and columns count from 0.",
        },
    ),
    Exercise(
        key="02.2",
        question="How many parameters has keras.layers.Conv2D(64, 3) on a 224 x 224 x 3 input "
        "(VGG16's first layer)?",
        answer=arithmetic.conv_params(3, 3, 64),
        solution=f"Each of the 64 kernels is 3 x 3 x 3 (it spans all input channels) plus one bias: "
        f"(3*3*3 + 1) * 64 = {arithmetic.conv_params(3, 3, 64):,}. The image size does not matter: weights are shared.",
        mistakes={
            arithmetic.conv_params(3, 3, 64, bias=False): "add one bias per filter.",
            arithmetic.conv_params(3, 1, 64): "that is for a one-channel input (seed 000's grey CAPTCHA): "
            "with RGB each kernel is 3 x 3 x 3.",
            arithmetic.conv_params(3, 1, 64, bias=False): "each kernel spans the 3 input channels, and each filter has a bias.",
            arithmetic.conv_params(3, 3, 64) * 222 * 222: "weights are shared across positions: the image size does not enter.",
        },
    ),
    Exercise(
        key="02.3",
        question="conv2d(x, kernel) with x of shape (8, 32, 32, 3) and a kernel of shape (5, 5, 3, 16), "
        "stride 1, padding 'valid': what is the output shape?",
        answer=(8, arithmetic.conv_output_size(32, 5), arithmetic.conv_output_size(32, 5), 16),
        solution="The batch stays 8; each side becomes 32 - 5 + 1 = 28; the depth is the number of "
        "kernels, 16: (8, 28, 28, 16).",
        mistakes={
            (8, 28, 28, 3): "the output depth is the number of kernels (16), not the input's channels.",
            (8, 32, 32, 16): "'valid' adds no padding, so a 5 x 5 kernel shrinks each side by 4.",
            (8, 27, 27, 16): "the number of positions is n - k + 1 = 28, not n - k.",
            (28, 28, 16): "keep the batch axis: 8 images in, 8 feature-map stacks out.",
        },
    ),
    Exercise(
        key="02.4",
        question="A 1 x 1 convolution takes 256 channels down to 64 (as Inception does before its 3 x 3 "
        "and 5 x 5 branches). How many parameters?",
        answer=arithmetic.conv_params(1, 256, 64),
        solution=f"Each of the 64 filters has 1*1*256 weights and one bias: (256 + 1) * 64 = "
        f"{arithmetic.conv_params(1, 256, 64):,}: the same as a Dense(64) applied to every pixel.",
        mistakes={
            arithmetic.conv_params(1, 256, 64, bias=False): "add one bias per filter.",
            arithmetic.conv_params(1, 1, 64): "a 1 x 1 kernel still spans all 256 input channels.",
        },
    ),
)

register(*EXERCISES, origin=__name__)
