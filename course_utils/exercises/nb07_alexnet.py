"""Exercises of notebook 07_alexnet: the 224/227 puzzle, fc6's weight, grouped convolutions, memory, crops.

Keys ``07.1``, ``07.2``, ...; answers are computed by the code the notebook teaches, never typed twice.

Example:
    >>> from course_utils.checks import grade
    >>> grade("07.1", EXERCISES[0].answer)[0]
    True
"""

from __future__ import annotations

from .. import arithmetic, augmentation
from ..checks import Exercise, register

EXERCISES = (
    Exercise(
        key="07.1",
        question="What side length does AlexNet's conv1 (96 kernels 11x11, stride 4, no padding) give on a 224 x 224 input?",
        answer=arithmetic.conv_output_size(224, k=11, s=4),
        solution="floor((224 - 11) / 4) + 1 = floor(53.25) + 1 = 54. Only 227 (or 224 padded by 2 on each side) gives 55.",
        mistakes={
            55: "55 is what a 227-pixel input gives: (227 - 11) / 4 + 1. Redo it with 224.",
            54.25: "the output size is a whole number: floor((224 - 11) / 4) + 1.",
            53: "you forgot the + 1 (the first window position).",
        },
    ),
    Exercise(
        key="07.2",
        question="How many parameters does fc6 of the paper's AlexNet hold (input: the 6 x 6 x 256 map of pool5)?",
        answer=arithmetic.dense_params(6 * 6 * 256, 4096),
        solution="6*6*256 = 9,216 inputs; (9,216 + 1) * 4,096 = 37,752,832: 60 % of the whole network in one layer.",
        mistakes={
            arithmetic.dense_params(6 * 6 * 256, 4096, bias=False): "add the 4,096 biases: (9,216 + 1) * 4,096.",
            arithmetic.dense_params(5 * 5 * 256, 4096): "that is seed 003's fc6 (224 input, 5 x 5 map); the paper's map is 6 x 6.",
        },
    ),
    Exercise(
        key="07.3",
        question="How many parameters does conv2 (256 kernels 5x5 over 96 maps) save when split into two groups?",
        answer=arithmetic.conv_params(5, 96, 256) - arithmetic.conv_params(5, 96, 256, groups=2),
        solution="One tower: (5*5*96 + 1) * 256 = 614,656. Two groups: (5*5*48 + 1) * 256 = 307,456. Saved: 307,200 "
        "(half of the weights; the biases stay).",
        mistakes={
            arithmetic.conv_params(5, 96, 256, groups=2): "that is the grouped layer's count; the question asks for the difference.",
            arithmetic.conv_params(5, 96, 256) // 2: "halve the weights only: the 256 biases are kept in both versions.",
        },
    ),
    Exercise(
        key="07.4",
        question="How many bytes do CIFAR-10's 50,000 training images take resized to 224 x 224 x 3 as float32?",
        answer=arithmetic.array_bytes(50000, 224, 224, 3),
        solution="50,000 * 224 * 224 * 3 * 4 = 30,105,600,000 bytes (28.0 GiB): more than most machines' memory, "
        "hence resizing per batch.",
        mistakes={
            arithmetic.array_bytes(60000, 224, 224, 3): "that counts the 10,000 test images too (seed 003's 60,000).",
            arithmetic.array_bytes(50000, 224, 224, 3, dtype_bytes=1): "float32 takes 4 bytes per value, not 1.",
            arithmetic.array_bytes(50000, 32, 32, 3): "that is the 32 x 32 size; resize to 224 first.",
        },
    ),
    Exercise(
        key="07.5",
        question="How many different 224 x 224 crops, counting horizontal flips, does one 256 x 256 image give?",
        answer=augmentation.crops_per_image(256, 224),
        solution="A 224 window fits at 256 - 224 + 1 = 33 positions per axis: 33 * 33 * 2 = 2,178. The often quoted "
        "(256 - 224)^2 * 2 = 2,048 forgets the + 1.",
        mistakes={
            2048: "(256 - 224)^2 * 2 forgets the + 1: a 224 window fits at 33 positions per axis, not 32.",
            1089: "count the horizontal flips too (times 2).",
        },
    ),
)

register(*EXERCISES, origin=__name__)
