"""The course's exercises, registered for :func:`course_utils.checks.check`, one block per notebook.

Expected answers are computed by the same code the notebooks teach, never typed in twice.

Example:
    >>> from course_utils.checks import check
    >>> check("00.1", "classroom")
    Exercise 00.1: correct (classroom).
"""

from __future__ import annotations

from .checks import Exercise, register

# --- 00_start_here -------------------------------------------------------------------------
register(
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

# --- 01_images_as_arrays ---------------------------------------------------------------------
# <exercises 01_images_as_arrays>

# --- 02_convolution --------------------------------------------------------------------------
# <exercises 02_convolution>

# --- 03_padding_and_stride -------------------------------------------------------------------
# <exercises 03_padding_and_stride>

# --- 04_pooling ------------------------------------------------------------------------------
# <exercises 04_pooling>

# --- 05_flatten_dense_dropout ----------------------------------------------------------------
# <exercises 05_flatten_dense_dropout>

# --- 06_lenet5 -------------------------------------------------------------------------------
# <exercises 06_lenet5>

# --- 07_alexnet ------------------------------------------------------------------------------
# <exercises 07_alexnet>
