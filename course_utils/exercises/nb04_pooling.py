"""Exercises of notebook 04_pooling: output sizes, 'same' against 'valid', global average pooling, uncovered pixels.

Keys ``04.1``, ``04.2``, ...; answers are computed by the code the notebook teaches, never typed twice.

Example:
    >>> from course_utils.checks import grade
    >>> grade("04.1", EXERCISES[0].answer)[0]
    True
"""

from __future__ import annotations

from .. import arithmetic
from ..checks import Exercise, register


def _after_pools(n: int, times: int, padding: str) -> int:
    """Side after ``times`` 2 x 2 poolings with stride 2 and the given padding."""
    for _ in range(times):
        n = arithmetic.pool_output_size(n, 2, 2, padding)
    return n


EXERCISES = (
    Exercise(
        key="04.1",
        question="AlexNet's second pooling (3 x 3 windows, stride 2) receives a 27 x 27 map. Output side?",
        answer=arithmetic.pool_output_size(27, 3, 2),
        solution=f"floor((27 - 3) / 2) + 1 = {arithmetic.pool_output_size(27, 3, 2)}. Seed 003 writes (57 - 3) / 2 + 1 = 13, a slip: "
        f"that expression is {(57 - 3) // 2 + 1}; the input of this pooling is 27, not 57.",
        mistakes={
            (57 - 3) // 2 + 1: "that is seed 003's expression (57 - 3) / 2 + 1: the map entering this pooling is 27 x 27.",
            14: "14 is ceil(27 / 2), what padding='same' would give; AlexNet pools without padding.",
            12: "12 = (27 - 3) / 2: you forgot the + 1.",
        },
    ),
    Exercise(
        key="04.2",
        question="Seed 000's CAPTCHA network pools a 60 x 160 map five times with 2 x 2 windows, stride 2, "
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
        question="2 x 2 max pooling with stride 2 and padding='valid' on a 55 x 55 map: how many input pixels "
        "are never inside any window?",
        answer=55 * 55 - (2 * arithmetic.pool_output_size(55, 2, 2)) ** 2,
        solution=f"{arithmetic.pool_output_size(55, 2, 2)} windows per axis cover {2 * arithmetic.pool_output_size(55, 2, 2)} rows and columns; the last row "
        f"and column are dropped: 55*55 - 54*54 = {55 * 55 - 54 * 54} pixels. "
        "`course_utils.scratch.coverage_count(55, 2, 2)` counts them too.",
        mistakes={
            0: "55 is odd: 27 windows of 2 cover 54 rows; row 55 (and column 55) is never seen.",
            55: "both the last row and the last column are dropped (their corner counted once): 55 + 54.",
            110: "the corner pixel belongs to the last row and the last column: count it once (109).",
        },
    ),
)

register(*EXERCISES, origin=__name__)
