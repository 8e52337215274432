"""Exercises of notebook 00_start_here: the sizes a profile sets and what an image costs in memory.

Keys ``00.1``, ``00.2``, ...; answers are computed by the code the notebook teaches, never typed twice.

Example:
    >>> from course_utils.exercises import grade
    >>> grade("00.1", EXERCISES[0].answer)[0]
    True
"""

from __future__ import annotations

from ..session import params
from . import Exercise, register

_SMOKE_02 = params("02_convolution", "smoke")       # what notebook 02 runs with in each profile
_CLASSROOM_02 = params("02_convolution", "classroom")
_FULL_02 = params("02_convolution", "full")
EXERCISES = (
    Exercise(
        key="00.1",
        question="How many gradient-descent steps does notebook 02 take to learn its kernel (learn_steps) "
        "in the smoke profile? Find it with course_utils.params.",
        answer=_SMOKE_02.learn_steps,
        solution=f"print(course_utils.params('02_convolution', 'smoke')) lists every size of notebook 02 in "
        f"the smoke profile and marks what differs from the classroom values: learn_steps={_SMOKE_02.learn_steps} "
        f"(classroom {_CLASSROOM_02.learn_steps}, full {_FULL_02.learn_steps}).",
        mistakes={
            _CLASSROOM_02.learn_steps: "that is the classroom value (the base): pass the profile, "
            "course_utils.params('02_convolution', 'smoke').",
            _FULL_02.learn_steps: "that is the full profile's value: ask for 'smoke'.",
        },
    ),
    Exercise(
        key="00.2",
        question="How many bytes does one 28 x 28 MNIST image take as uint8, and as float32?",
        answer=(784, 3136),
        solution="28 * 28 = 784 pixels, one byte each as uint8; float32 takes 4 bytes each: 3,136.",
        mistakes={(784, 784): "float32 takes 4 bytes per pixel, not 1.", (28, 112): "count pixels: 28 * 28."},
    ),
)

register(*EXERCISES, origin=__name__)
