"""Exercises of notebook 00_start_here: the run profiles and what an image costs in memory.

Keys ``00.1``, ``00.2``, ...; answers are computed by the code the notebook teaches, never typed twice.

Example:
    >>> from course_utils.checks import grade
    >>> grade("00.1", EXERCISES[0].answer)[0]
    True
"""

from __future__ import annotations

from ..checks import Exercise, register

EXERCISES = (
    Exercise(
        key="00.1",
        question="Which profile runs every notebook with real data in minutes on a 2-core laptop?",
        answer="classroom",
        solution="'classroom': real data, sizes chosen so each notebook finishes in minutes on a CPU; "
        "'smoke' is for CI (tiny data), 'full' for a GPU.",
        mistakes={
            "smoke": "'smoke' uses tiny (possibly synthetic) data so CI finishes in seconds: no real results.",
            "full": "'full' uses the papers' sizes (224-pixel inputs, full data): it needs a GPU.",
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
