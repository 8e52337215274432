"""Exercises of notebook 01_images_as_arrays: NHWC shapes, sizes in bytes, uint8 arithmetic, slicing.

Keys ``01.1``, ``01.2``, ...; answers are computed by the code the notebook teaches, never typed twice.

Example:
    >>> from course_utils.checks import grade
    >>> grade("01.1", EXERCISES[0].answer)[0]
    True
"""

from __future__ import annotations

import math

import numpy as np

from .. import arithmetic
from ..checks import Exercise, register

_PIXELS_224 = math.prod((224, 224, 3))  # one 224 x 224 RGB image
_WRAPPED = int((np.array([200], dtype=np.uint8) + 100)[0])  # uint8 arithmetic wraps around
EXERCISES = (
    Exercise(
        key="01.1",
        question="A batch of 32 grey CAPTCHA images, each 160 pixels wide and 60 pixels high, in the "
        "layout Keras expects (NHWC): what is the array's shape?",
        answer=(32, 60, 160, 1),
        solution="N, H, W, C: 32 images, 60 rows (height), 160 columns (width), 1 grey channel: "
        "(32, 60, 160, 1). keras.Input(shape=(60, 160, 1)) describes one image; the batch axis is added.",
        mistakes={
            (32, 160, 60, 1): "height comes first: 60 rows, then 160 columns.",
            (60, 160, 1): "that is one image (what input_shape describes); the batch axis comes first.",
            (32, 1, 60, 160): "that is channels-first (NCHW); Keras uses channels-last (NHWC) by default.",
            (32, 60, 160, 3): "grey images have one channel, not three.",
            (32, 60, 160): "Conv2D wants an explicit channel axis, even for one grey channel: add 1 at the end.",
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
        question="In a uint8 NumPy array, a pixel of 200 gets 100 added (`x + 100`). What value does it hold?",
        answer=_WRAPPED,
        solution=f"uint8 holds 0..255 and wraps around modulo 256: (200 + 100) % 256 = {_WRAPPED}. Convert "
        "first (`scratch.to_unit_range(x)`: float32 in [0, 1]) before doing arithmetic on pixels.",
        mistakes={
            300: "a uint8 cannot hold 300: it keeps only 300 modulo 256.",
            255: "NumPy does not clip (saturate) uint8 arithmetic: it wraps around modulo 256.",
        },
    ),
    Exercise(
        key="01.4",
        question="For the photo (512, 512, 3), what is the shape of `photo[100:164, 200:264, 0]`?",
        answer=(64, 64),
        solution="164 - 100 = 64 rows, 264 - 200 = 64 columns; the integer index 0 picks the red channel and "
        "removes that axis: (64, 64). `photo[100:164, 200:264, 0:1]` would keep it: (64, 64, 1).",
        mistakes={
            (64, 64, 1): "an integer index removes its axis; only a slice such as 0:1 keeps it.",
            (64, 64, 3): "the last index, 0, picks one channel (red).",
            (164, 264): "a slice a:b has b - a elements.",
        },
    ),
)

register(*EXERCISES, origin=__name__)
