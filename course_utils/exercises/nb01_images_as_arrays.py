"""Exercises of notebook 01_images_as_arrays: NHWC shapes, sizes in bytes, uint8 arithmetic, slicing.

Keys ``01.1``, ``01.2``, ...; answers are computed by the code the notebook teaches, never typed twice.
Each asks about a size or a case the notebook does not show (its worked examples use a 512 x 512
photo, a batch of 8 CAPTCHAs and 200 + 100 in uint8).

Example:
    >>> from course_utils.exercises import grade
    >>> grade("01.1", EXERCISES[0].answer)[0]
    True
"""

from __future__ import annotations

import math

import numpy as np

from .. import arithmetic
from . import Exercise, register

_PIXELS_224 = math.prod((224, 224, 3))  # one 224 x 224 RGB image
_UNDERFLOW = int((np.array([30], dtype=np.uint8) - 50)[0])  # uint8 arithmetic wraps around below 0 too
_SLICE = np.zeros((512, 512, 3), dtype=np.uint8)[100:148, 200:280, 0].shape
EXERCISES = (
    Exercise(
        key="01.1",
        question="A batch of 16 colour photos, each 200 pixels wide and 50 pixels high, in the layout "
        "Keras expects (NHWC): what is the array's shape?",
        answer=(16, 50, 200, 3),
        solution="N, H, W, C: 16 images, 50 rows (height), 200 columns (width), 3 colour channels: "
        "(16, 50, 200, 3). keras.Input(shape=(50, 200, 3)) describes one image; the batch axis is added.",
        mistakes={
            (16, 200, 50, 3): "height comes first: 50 rows, then 200 columns.",
            (50, 200, 3): "that is one image (what input_shape describes); the batch axis comes first.",
            (16, 3, 50, 200): "that is channels-first (NCHW); Keras uses channels-last (NHWC) by default.",
            (16, 50, 200, 1): "colour photos have three channels (red, green, blue), not one.",
            (16, 50, 200): "keep the channel axis: three colour channels last.",
        },
    ),
    Exercise(
        key="01.2",
        question="How many numbers make up one 224 x 224 RGB image, and how many bytes does it take "
        "as float32? Answer (numbers, bytes).",
        answer=(_PIXELS_224, arithmetic.array_bytes(224, 224, 3)),
        solution=f"224 * 224 * 3 = {_PIXELS_224:,} numbers; float32 takes 4 bytes each: "
        f"{arithmetic.array_bytes(224, 224, 3):,} bytes (about 0.6 MB). As uint8 it would be {_PIXELS_224:,} bytes.",
        mistakes={
            (_PIXELS_224, _PIXELS_224): "that is the uint8 size: float32 takes 4 bytes per number.",
            (224 * 224, 224 * 224 * 4): "count the 3 colour channels too.",
            (224 * 224, 224 * 224): "count the 3 colour channels, and 4 bytes per float32 number.",
        },
    ),
    Exercise(
        key="01.3",
        question="In a uint8 NumPy array, a pixel of 30 gets 50 subtracted (`x - 50`). What value "
        "does it hold?",
        answer=_UNDERFLOW,
        solution=f"uint8 holds 0..255 and wraps around modulo 256 below 0 as well as above 255: "
        f"(30 - 50) % 256 = {_UNDERFLOW}. A darkened photo gets bright specks where it was darkest. "
        "Widen first (`x.astype(np.int32)` or `scratch.to_unit_range(x)`), then clip.",
        mistakes={
            -20: "a uint8 cannot hold negative numbers: it keeps -20 modulo 256.",
            0: "NumPy does not clip (saturate) uint8 arithmetic: it wraps around modulo 256.",
            20: "the order matters: 30 - 50, and uint8 wraps around instead of going negative.",
        },
    ),
    Exercise(
        key="01.4",
        question="For the photo (512, 512, 3), what is the shape of `photo[100:148, 200:280, 0]`?",
        answer=_SLICE,
        solution="148 - 100 = 48 rows, 280 - 200 = 80 columns; the integer index 0 picks the red channel and "
        "removes that axis: (48, 80). `photo[100:148, 200:280, 0:1]` would keep it: (48, 80, 1).",
        mistakes={
            (48, 80, 1): "an integer index removes its axis; only a slice such as 0:1 keeps it.",
            (48, 80, 3): "the last index, 0, picks one channel (red).",
            (80, 48): "the first slice picks rows (height): 48 rows, then 80 columns.",
            (148, 280): "a slice a:b has b - a elements.",
        },
    ),
)

register(*EXERCISES, origin=__name__)
