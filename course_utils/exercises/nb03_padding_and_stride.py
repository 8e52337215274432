"""Exercises of notebook 03_padding_and_stride: output sizes, AlexNet's 227, Keras' 'same' padding, dilation.

Keys ``03.1``, ``03.2``, ...; answers are computed by the code the notebook teaches, never typed twice.

Example:
    >>> from course_utils.checks import grade
    >>> grade("03.1", EXERCISES[0].answer)[0]
    True
"""

from __future__ import annotations

from .. import arithmetic
from ..checks import Exercise, register

EXERCISES = (
    Exercise(
        key="03.1",
        question="LeNet's C1 slides a 5 x 5 kernel with stride 1 and no padding over a 32 x 32 image. "
        "What is the side of its output?",
        answer=arithmetic.conv_output_size(32, 5),
        solution=f"floor((32 + 2*0 - 5) / 1) + 1 = {arithmetic.conv_output_size(32, 5)}: a 5-wide window fits at 28 positions.",
        mistakes={
            27: "you forgot the + 1: the first window position counts too (32 - 5 = 27 steps, 28 positions).",
            32: "32 keeps the size: that is 'same' padding (p = 2); LeNet's C1 uses none.",
        },
    ),
    Exercise(
        key="03.2",
        question="AlexNet's conv1 slides an 11 x 11 kernel with stride 4 over a 227 x 227 image, no padding. "
        "Output side?",
        answer=arithmetic.conv_output_size(227, 11, 4),
        solution=f"floor((227 - 11) / 4) + 1 = 216 / 4 + 1 = {arithmetic.conv_output_size(227, 11, 4)}.",
        mistakes={
            arithmetic.conv_output_size(224, 11, 4): "54 is (227 - 11) / 4 without the + 1, and also what a 224 input gives; "
            "the seeds' AlexNet input is 227.",
            57: "you subtracted the stride instead of dividing by it: floor((n - k) / s) + 1.",
        },
    ),
    Exercise(
        key="03.3",
        question="The AlexNet paper says 224 x 224. How many zero pixels in total (before + after, one axis) must "
        "be added to a 224 input for conv1 (k = 11, s = 4) to give 55? Give the smallest number.",
        answer=min(t for t in range(32) if arithmetic.conv_output_size(224 + t, 11, 4) == 55),
        solution="We need floor((224 + t - 11) / 4) + 1 = 55, i.e. 224 + t - 11 >= 216, so t >= 3: three pixels, "
        "an odd number that cannot be split evenly (1 before and 2 after, say). 227 = 224 + 3 is exactly that.",
        mistakes={
            1: "p = 1 on each side is 2 pixels in total: floor((226 - 11) / 4) + 1 = 54.",
            2: "2 pixels give floor((226 - 11) / 4) + 1 = 54; one more is needed.",
            1.5: "p = 1.5 on each side is 3 pixels in total: the question asks for the total, an integer.",
            6: "6 works too (the floor swallows the extra), but 3 is the smallest.",
        },
    ),
    Exercise(
        key="03.4",
        question="Keras, padding='same', 3 x 3 kernel, stride 2, input side 224: how many zero rows go above "
        "and below? Answer (before, after).",
        answer=arithmetic.same_padding(224, 3, 2),
        solution=f"'same' gives ceil(224 / 2) = 112 outputs; they need (112 - 1) * 2 + 3 = 225 rows, one more than "
        f"224. TensorFlow puts the odd row after: {arithmetic.same_padding(224, 3, 2)}.",
        mistakes={
            (1, 1): "(1, 1) is 'same' with stride 1 (or PyTorch's padding=1); with stride 2 only one extra row is needed.",
            (1, 0): "one row is right, but TensorFlow/Keras puts the odd row after (bottom/right), not before.",
            (0, 0): "111 * 2 + 3 = 225 rows are needed for 112 outputs; the input has 224.",
        },
    ),
    Exercise(
        key="03.5",
        question="A 3 x 3 kernel with dilation 2, stride 1, no padding, over a 32 x 32 input: output side?",
        answer=arithmetic.conv_output_size(32, 3, d=2),
        solution=f"A dilated 3 x 3 kernel spans d*(k-1)+1 = 5 pixels: floor((32 - 5) / 1) + 1 = {arithmetic.conv_output_size(32, 3, d=2)}.",
        mistakes={
            30: "30 is the undilated 3 x 3 answer: with dilation 2 the kernel spans 5 pixels.",
            31: "a dilated 3 x 3 kernel spans d*(k-1)+1 = 5 pixels: 32 - 5 + 1.",
        },
    ),
)

register(*EXERCISES, origin=__name__)
