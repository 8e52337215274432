"""Exercises of appendix A2_input_pipelines_and_memory: a dataset's bytes at the network's input size, the
fixed part of the training memory, and the throughput of a pipeline that takes turns with training.

Keys ``A2.1``, ``A2.2``, ...; answers are computed by the code the notebook teaches, never typed twice.
Each asks about a case the notebook does not show (its worked examples use 60,000 and 50,000 images at
224 pixels and the paper's network with SGD and momentum).

Example:
    >>> from course_utils.exercises import grade
    >>> grade("A2.1", EXERCISES[0].answer)[0]
    True
    >>> grade("A2.3", (75, 100))[0]
    True
"""

from __future__ import annotations

from typing import Any

from .. import arithmetic
from . import Exercise, register

# A2.2: the classic-models tutorial's AlexNet listing (models.alexnet_classics_listing), checked in tests/test_alexnet.py
_LISTING_PARAMETERS = 46_787_978

# A2.3: a generator and a training step, 300 and 100 images per second
_GENERATOR, _NETWORK = 300.0, 100.0
_TAKING_TURNS = 1 / (1 / _GENERATOR + 1 / _NETWORK)
_OVERLAPPED = min(_GENERATOR, _NETWORK)


def _close_pair(given: Any, expected: Any) -> bool:
    """True when ``given`` is a pair of numbers within 0.01 of ``expected``'s."""
    try:
        return len(given) == len(expected) and all(abs(float(g) - float(e)) <= 0.01 for g, e in zip(given, expected))
    except (TypeError, ValueError):
        return False


EXERCISES = (
    Exercise(
        key="A2.1",
        question="How many bytes do CIFAR-10's 10,000 test images take resized to 227 x 227 x 3 as float32?",
        answer=arithmetic.array_bytes(10000, 227, 227, 3),
        solution=f"10,000 * 227 * 227 * 3 * 4 = {arithmetic.array_bytes(10000, 227, 227, 3):,} bytes "
        f"({arithmetic.format_bytes(arithmetic.array_bytes(10000, 227, 227, 3))}).",
        mistakes={
            arithmetic.array_bytes(10000, 227, 227, 3, dtype_bytes=1): "float32 takes 4 bytes per value, not 1.",
            arithmetic.array_bytes(10000, 224, 224, 3): "that is at 224 x 224; the question asks for 227 x 227.",
            arithmetic.array_bytes(10000, 227, 227, 1): "count the 3 colour channels.",
            arithmetic.array_bytes(10000, 32, 32, 3): "that is the original 32 x 32 size; resize to 227 first.",
        },
    ),
    Exercise(
        key="A2.2",
        question="The classic-models tutorial's AlexNet has 46,787,978 parameters. How many bytes do its weights, their gradients "
        "and Adam's two slots per weight take in float32?",
        answer=_LISTING_PARAMETERS * 4 * 4,
        solution=f"Four float32 copies of each parameter (weight, gradient, Adam's first and second moments): "
        f"46,787,978 * 4 * 4 bytes = {_LISTING_PARAMETERS * 16:,} bytes "
        f"({arithmetic.format_bytes(_LISTING_PARAMETERS * 16)}), whatever the batch size.",
        mistakes={
            _LISTING_PARAMETERS * 4: "that is the weights alone; add their gradients and Adam's two slots.",
            _LISTING_PARAMETERS * 3 * 4: "that counts one optimizer slot (SGD with momentum); Adam keeps two.",
            _LISTING_PARAMETERS * 4 * 2: "Adam keeps two slots per weight, on top of the weight and its gradient.",
            _LISTING_PARAMETERS * 4 * 4 * 8: "that is in bits; the question asks for bytes.",
        },
    ),
    Exercise(
        key="A2.3",
        question="A Python generator yields 300 images/s and the network trains on 100 images/s. How many images "
        "per second does training get (a) when generator and training step take turns in one thread, and (b) "
        "with a prefetching pipeline that prepares the next batch while the network trains? Answer (a, b).",
        answer=(_TAKING_TURNS, _OVERLAPPED),
        solution="(a) Taking turns, each image costs 1/300 s in the generator plus 1/100 s in training: "
        f"1 / (1/300 + 1/100) = {_TAKING_TURNS:g} images/s. (b) With prefetching the two overlap, and the slower "
        f"one sets the pace: min(300, 100) = {_OVERLAPPED:g} images/s.",
        mistakes={
            (_OVERLAPPED, _OVERLAPPED): "taking turns, the times add up: an image costs 1/300 + 1/100 seconds.",
            (_TAKING_TURNS, _GENERATOR): "with prefetching the slower of the two sets the pace, not the faster.",
            (_GENERATOR + _NETWORK, _OVERLAPPED): "taking turns adds the times per image, not the rates.",
            (_OVERLAPPED, _TAKING_TURNS): "the order is (taking turns, prefetching).",
        },
        compare=_close_pair,
    ),
)

register(*EXERCISES, origin=__name__)
