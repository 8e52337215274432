"""Exercises of notebook 06_lenet5: C3's connection table, why MNIST is padded to 32, the RBF output.

Keys ``06.1``, ``06.2``, ...; answers are computed by the code the notebook teaches, never typed twice.

Example:
    >>> from course_utils.checks import grade
    >>> grade("06.1", EXERCISES[0].answer)[0]
    True
"""

from __future__ import annotations

from .. import arithmetic
from ..checks import Exercise, register

_LENET_RBF_DISTANCES = (41.0, 3.5, 60.2, 12.0, 88.1, 35.3, 70.4, 9.8, 51.5, 22.6)

EXERCISES = (
    Exercise(
        key="06.1",
        question="How many parameters would C3 have if each of its 16 maps read all 6 S2 maps (no connection table)?",
        answer=arithmetic.conv_params(5, 6, 16),
        solution="A full 5x5 convolution from 6 maps to 16: (5*5*6+1)*16 = 2,416, that is 900 more than "
        "LeNet's 1,516; the table also breaks the symmetry between maps (each sees a different mix).",
        mistakes={
            2400: "each of the 16 maps also has a bias: (5*5*6+1)*16.",
            1516: "that is C3 with LeNet's partial table; the question asks for full connection.",
            156: "that is C1 (one input map); C3 reads 6 maps with 16 filters.",
        },
    ),
    Exercise(
        key="06.2",
        question="Without padding MNIST to 32x32, what side would S4's feature maps have (28 -> C1 -> S2 -> C3 -> S4)?",
        answer=arithmetic.pool_output_size(arithmetic.conv_output_size(arithmetic.pool_output_size(arithmetic.conv_output_size(28, 5), 2), 5), 2),
        solution="28-5+1 = 24, /2 = 12, 12-5+1 = 8, /2 = 4: S4 would be 4x4, too small for C5's 5x5 kernel. "
        "Padding by 2 keeps strokes near the border away from the edge and gives 5x5 at S4.",
        mistakes={
            5: "5 is the side with the padded 32x32 input; start from 28.",
            6: "a 5x5 'valid' convolution removes 4 pixels (n - k + 1), not 2.",
            1: "that would be C5's side; the question stops at S4.",
        },
    ),
    Exercise(
        key="06.3",
        question="How many connections would C3 have with full connection (every map reads all 6 S2 maps)?",
        answer=arithmetic.conv_params(5, 6, 16) * arithmetic.conv_output_size(14, 5) ** 2,
        solution="(5*5*6+1) weights and bias per unit, 16 maps of 10x10 units: 2,416 * 100 = 241,600, against "
        "151,600 with the table: the table cut C3's work by 37 %.",
        mistakes={
            151600: "that is C3 with LeNet's partial table.",
            2416: "that counts parameters; every one of the 10x10 positions uses them again: multiply by 100.",
            240000: "each unit's bias is a connection too: (5*5*6+1) per unit.",
        },
    ),
    Exercise(
        key="06.4",
        question=f"An image's RBF outputs for digits 0-9 are {_LENET_RBF_DISTANCES}. Which digit does LeNet-5 predict?",
        answer=min(range(10), key=lambda d: _LENET_RBF_DISTANCES[d]),
        solution="The RBF units measure squared distances to each digit's code: the smallest distance wins, "
        "3.5 for digit 1.",
        mistakes={
            4: "4 has the largest output; RBF outputs are distances, so the smallest one wins.",
            7: "9.8 is small but not the smallest.",
        },
    ),
)

register(*EXERCISES, origin=__name__)
