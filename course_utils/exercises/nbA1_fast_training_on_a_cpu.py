"""Exercises of appendix A1_fast_training_on_a_cpu: what fewer calls buy, the warm-up + cosine schedule (implement it).

Keys ``A1.1``, ``A1.2``, ...; answers are computed by the code the notebook teaches, never typed twice.
Exercise ``A1.3`` is an "implement it" exercise: the learner writes the warm-up + cosine schedule in
NumPy and :func:`check_warmup_cosine` compares it, on random schedules, with
``course_utils.schedules.warmup_cosine`` (the rates of Keras' ``CosineDecay`` with a warm-up), recognising
typical mistakes.

Example:
    >>> from course_utils.exercises import grade
    >>> grade("A1.1", EXERCISES[0].answer)[0]
    True
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..checks import check_function, grade_function
from ..schedules import warmup_cosine
from . import Exercise, register

WARMUP_FRACTION = 0.1  # schedules.warmup_cosine's default: the first 10 % of the steps warm up


def graph_calls_per_epoch(images: int, batch_size: int, steps_per_execution: int) -> int:
    """Return how many calls into the compiled training graph one epoch takes.

    Example:
        >>> graph_calls_per_epoch(55_000, 128, 32)   # 430 steps, 32 per call
        14
    """
    steps = math.ceil(images / batch_size)
    return math.ceil(steps / steps_per_execution)


def epoch_seconds(images: int, batch_size: int, steps_per_execution: int, call_seconds: float,
                  image_seconds: float) -> float:
    """Return one epoch's seconds when each call into the graph costs ``call_seconds`` and each image ``image_seconds``.

    The model of section 3: a fixed overhead per call (Keras' loop, callbacks, handing over the batch)
    plus arithmetic that grows with the images, whatever the batch size.

    Example:
        >>> round(epoch_seconds(48_000, 32, 1, 2e-3, 300e-6), 3)    # 1,500 calls: 3 s of overhead + 14.4 s
        17.4
    """
    return graph_calls_per_epoch(images, batch_size, steps_per_execution) * call_seconds + images * image_seconds


def schedule_values(steps: np.ndarray, peak: float, total_steps: int) -> np.ndarray:
    """Return ``schedules.warmup_cosine(peak, total_steps)`` at each of ``steps`` (the reference of A1.3)."""

    schedule = warmup_cosine(float(peak), int(total_steps), WARMUP_FRACTION)
    return np.array([float(schedule(int(step))) for step in np.ravel(steps)]).reshape(np.shape(steps))


def warmup_cosine_numpy(step: np.ndarray, peak: float, total_steps: int) -> np.ndarray:
    """Return the warm-up + cosine learning rate at ``step`` (a worked solution of A1.3, in NumPy)."""
    warmup = max(1, int(total_steps * 0.1))                          # the first 10 % of the steps
    step = np.asarray(step, dtype=float)
    rising = peak * step / warmup                                    # 0 -> peak, linearly
    progress = np.clip((step - warmup) / (total_steps - warmup), 0, 1)
    falling = peak * 0.5 * (1 + np.cos(np.pi * progress))            # peak -> 0 along half a cosine
    return np.where(step < warmup, rising, falling)


def _schedule_inputs(rng: np.random.Generator) -> tuple[np.ndarray, float, int]:
    """Random schedules: 1,000 to 20,000 steps, a peak between 1e-3 and 1e-1, 25 steps incl. the edges."""
    total = int(rng.integers(1_000, 20_000))
    steps = np.concatenate([[0, max(1, int(total * WARMUP_FRACTION)), total], rng.integers(0, total + 1, 22)])
    return steps, float(10 ** rng.uniform(-3, -1)), total


def _no_warmup(step, peak, total_steps):
    return peak * 0.5 * (1 + np.cos(np.pi * np.clip(np.asarray(step, float) / total_steps, 0, 1)))


def _decay_over_all_steps(step, peak, total_steps):
    warmup = max(1, int(total_steps * WARMUP_FRACTION))
    step = np.asarray(step, float)
    falling = peak * 0.5 * (1 + np.cos(np.pi * np.clip(step / total_steps, 0, 1)))
    return np.where(step < warmup, peak * step / warmup, falling)


def _plain_cosine(step, peak, total_steps):
    warmup = max(1, int(total_steps * WARMUP_FRACTION))
    step = np.asarray(step, float)
    falling = peak * np.cos(np.pi * np.clip((step - warmup) / (total_steps - warmup), 0, 1))
    return np.where(step < warmup, peak * step / warmup, falling)


def _warmup_off_by_one(step, peak, total_steps):
    warmup = max(1, int(total_steps * WARMUP_FRACTION))
    step = np.asarray(step, float)
    return np.where(step < warmup, peak * (step + 1) / warmup, warmup_cosine_numpy(step, peak, total_steps))


SCHEDULE_DIAGNOSES: tuple[tuple[str, Callable[..., Any]], ...] = (
    ("there is no warm-up: the rate should rise linearly from 0 to the peak over the first 10 % of the steps",
     _no_warmup),
    ("the cosine runs over all the steps; it should start after the warm-up and reach 0 at the last step, "
     "over total_steps - warmup steps", _decay_over_all_steps),
    ("the decay goes below 0: the cosine part is peak * (1 + cos(pi * progress)) / 2, not peak * cos(...)",
     _plain_cosine),
    ("the warm-up is one step ahead: at step 0 the rate is 0, at step `warmup` it reaches the peak",
     _warmup_off_by_one),
)


def grade_warmup_cosine(learner_fn: Callable[..., Any]) -> tuple[bool, str]:
    """Return (correct?, message) for a learner's ``fn(step, peak, total_steps)`` (exercise A1.3)."""
    return grade_function("A1.3", learner_fn, schedule_values, _schedule_inputs, tol=1e-6,
                          diagnoses=SCHEDULE_DIAGNOSES, trials=4)


def check_warmup_cosine(learner_fn: Callable[..., Any]) -> None:
    """Check a learner's warm-up + cosine schedule (exercise A1.3) on random schedules: print the verdict."""
    check_function("A1.3", learner_fn, schedule_values, _schedule_inputs, tol=1e-6,
                   diagnoses=SCHEDULE_DIAGNOSES, trials=4)


def _close_to(given: Any, expected: Any, tolerance: float) -> bool:
    try:
        return abs(float(given) - float(expected)) <= tolerance
    except (TypeError, ValueError):
        return False


def _close(given: Any, expected: Any) -> bool:
    try:
        return abs(float(given) - float(expected)) <= 1e-6
    except (TypeError, ValueError):
        return False


CALL_SECONDS, IMAGE_SECONDS = 2e-3, 300e-6  # A1.1's assumed costs: 2 ms per call, 300 microseconds per image
_SLOW = epoch_seconds(48_000, 32, 1, CALL_SECONDS, IMAGE_SECONDS)
_FAST = epoch_seconds(48_000, 256, 16, CALL_SECONDS, IMAGE_SECONDS)
_SPEEDUP = round(_SLOW / _FAST, 2)
_RATE_AT_550 = round(float(schedule_values(np.array([550]), 1e-2, 1000)[0]), 6)

EXERCISES = (
    Exercise(
        key="A1.1",
        question="Suppose each call into the compiled graph costs a fixed 2 ms and each image 300 microseconds of "
        "arithmetic, whatever the batch size. For one epoch of 48,000 images, how many times faster is batch 256 with "
        "steps_per_execution=16 than batch 32 with one step per call? Round to two decimals.",
        answer=_SPEEDUP,
        solution=f"Batch 32, one step per call: {graph_calls_per_epoch(48_000, 32, 1):,} calls * 2 ms = "
        f"{graph_calls_per_epoch(48_000, 32, 1) * CALL_SECONDS:g} s of overhead + 48,000 * 300 microseconds = "
        f"{48_000 * IMAGE_SECONDS:g} s of arithmetic: {_SLOW:g} s. Batch 256: ceil(48,000 / 256) = "
        f"{math.ceil(48_000 / 256)} steps, 16 per call: {graph_calls_per_epoch(48_000, 256, 16)} calls, "
        f"{graph_calls_per_epoch(48_000, 256, 16) * CALL_SECONDS:g} s + {48_000 * IMAGE_SECONDS:g} s = {_FAST:g} s. "
        f"Ratio {_SPEEDUP:g}: the knobs remove the overhead, not the arithmetic, so the gain is bounded by the "
        "overhead's share of the slow epoch (section 3's ratio on your machine says how large that share is).",
        mistakes={
            round(graph_calls_per_epoch(48_000, 32, 1) / graph_calls_per_epoch(48_000, 256, 16), 2): "that is the "
            "ratio of the calls; the arithmetic per image, 300 microseconds, is the same in both and dominates.",
            round(graph_calls_per_epoch(48_000, 32, 1) / math.ceil(48_000 / 256), 2): "that is the ratio of the "
            "training steps, and it leaves out the arithmetic, which does not shrink.",
            round(_FAST / _SLOW, 2): "that is slow / fast turned over: the answer is how many times faster, above 1.",
            1.0: "the arithmetic is the same, but the overhead is not: count the calls in each setting.",
        },
        compare=lambda given, expected: _close_to(given, expected, 0.01),
    ),
    Exercise(
        key="A1.2",
        question="schedules.warmup_cosine(1e-2, total_steps=1000) warms up over the first 10 % of the steps. "
        "What is the learning rate at step 550?",
        answer=_RATE_AT_550,
        solution=f"The warm-up takes 100 steps; the cosine then runs over 900 steps, and step 550 is halfway "
        f"((550 - 100) / 900 = 0.5): 1e-2 * (1 + cos(pi / 2)) / 2 = {_RATE_AT_550:g}.",
        mistakes={
            1e-2: "1e-2 is the peak, reached at the end of the warm-up (step 100); then the rate falls.",
            round(float(_decay_over_all_steps(550, 1e-2, 1000)), 6):
                "that counts the decay from step 0; it starts after the 100 warm-up steps.",
            0.0: "the rate reaches 0 only at the last step, 1000.",
        },
        compare=_close,
    ),
    Exercise(
        key="A1.3",
        question="Implement the warm-up + cosine schedule in NumPy: fn(step, peak, total_steps) -> learning rate. "
        "Check it with check_warmup_cosine(fn).",
        answer=warmup_cosine_numpy,
        solution="One way, in NumPy (the course's schedule, course_utils.schedules.warmup_cosine, gives the rates of "
        "Keras' CosineDecay with a warm-up), under the stub's name:\n\n"
        + inspect.getsource(warmup_cosine_numpy).replace("def warmup_cosine_numpy(", "def warmup_cosine_lr(", 1),
        hint="check_warmup_cosine(fn) says where your function differs.",
        compare=lambda given, expected: callable(given) and grade_warmup_cosine(given)[0],
    ),
)

register(*EXERCISES, origin=__name__)
