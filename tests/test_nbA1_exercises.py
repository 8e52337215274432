"""Appendix A1's exercises: graph calls per epoch, the warm-up + cosine schedule (A1.3 implement it:
the reference passes, each typical mistake is diagnosed), all against values worked by hand."""

import math

import numpy as np
import pytest

from course_utils import exercises, schedules
from course_utils.exercises import nbA1_fast_training_on_a_cpu as nbA1


def test_graph_calls_worked_by_hand():
    assert nbA1.graph_calls_per_epoch(55_000, 128, 32) == 14  # 430 steps: 13 calls of 32 and one of 14
    assert nbA1.graph_calls_per_epoch(48_000, 256, 16) == 12  # 188 steps (187.5 rounded up), 11.75 -> 12
    assert nbA1.graph_calls_per_epoch(1000, 100, 1) == 10


def test_a1_1_speedup_worked_by_hand():
    slow = 1500 * 2e-3 + 48_000 * 300e-6  # batch 32: 1,500 calls; 14.4 s of arithmetic either way
    fast = 12 * 2e-3 + 48_000 * 300e-6    # batch 256: 188 steps, 16 per call: 12 calls
    assert nbA1.epoch_seconds(48_000, 32, 1, 2e-3, 300e-6) == pytest.approx(slow)
    assert exercises.exercise("A1.1").answer == pytest.approx(round(slow / fast, 2)) == pytest.approx(1.21)
    assert exercises.grade("A1.1", 1.206)[0]  # unrounded is fine
    ok, message = exercises.grade("A1.1", 125)
    assert not ok and "ratio of the calls" in message
    assert not exercises.grade("A1.1", 1.0)[0]


def test_schedule_values_worked_by_hand():
    # peak 1e-2 over 1000 steps: warm-up 100 steps (linear), then half a cosine over 900 steps
    values = nbA1.schedule_values(np.array([0, 50, 100, 550, 1000]), 1e-2, 1000)
    np.testing.assert_allclose(values, [0.0, 5e-3, 1e-2, 5e-3, 0.0], atol=1e-8)
    assert exercises.exercise("A1.2").answer == pytest.approx(5e-3, abs=1e-9)
    rate_at_325 = 1e-2 * (1 + math.cos(math.pi * 225 / 900)) / 2  # a quarter of the way down
    assert float(schedules.warmup_cosine(1e-2, 1000)(325)) == pytest.approx(rate_at_325, rel=1e-5)


def test_the_printed_solution_passes_and_the_reference_itself_is_refused():
    namespace = {"np": np}
    exec(exercises.exercise("A1.3").solution.split("\n\n", 1)[1], namespace)  # noqa: S102 (the solution, pasted)
    ok, message = nbA1.grade_warmup_cosine(namespace["warmup_cosine_lr"])
    assert ok, message
    assert message.startswith("Exercise A1.3: correct: max |diff| = ") and "over 4 random inputs" in message
    assert exercises.grade("A1.3", namespace["warmup_cosine_lr"])[0]
    assert not exercises.grade("A1.3", nbA1.warmup_cosine_numpy)[0]


@pytest.mark.parametrize("diagnosis, wrong", nbA1.SCHEDULE_DIAGNOSES, ids=lambda v: v[:30] if isinstance(v, str) else "")
def test_each_typical_mistake_is_diagnosed(diagnosis, wrong):
    ok, message = nbA1.grade_warmup_cosine(wrong)
    assert not ok
    assert message.startswith("Exercise A1.3: not yet: ") and "max |diff| = " in message and f": {diagnosis}." in message
    assert not exercises.grade("A1.3", wrong)[0]


def test_the_mistakes_really_differ_from_the_schedule():
    steps = np.array([0, 10, 100, 500, 900])
    right = nbA1.schedule_values(steps, 1e-2, 1000)
    for _, wrong in nbA1.SCHEDULE_DIAGNOSES:
        assert np.max(np.abs(wrong(steps, 1e-2, 1000) - right)) > 1e-5


def test_stub():
    def stub(step, peak, total_steps):
        raise NotImplementedError

    assert nbA1.grade_warmup_cosine(stub)[1] == ("Exercise A1.3: not implemented yet: replace `raise "
                                                 "NotImplementedError` with your code and run the cell again.")
