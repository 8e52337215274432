"""Notebook 05's "implement it" exercise (05.4, inverted dropout): a right function passes, each typical
mistake gets its diagnosis, and the statistical checks use the tolerance they state. The learners' functions
here are written independently of course_utils.scratch.dropout."""

import re

import keras
import numpy as np
import pytest

from course_utils import exercises
from course_utils.exercises import nb05_flatten_dense_dropout as nb05

STUCK = "(Stuck? `course_utils.solution('05.4')` shows a worked solution.)"


def _masked(x, rate, rng, scale, keep_probability=None):
    """Keep each value with probability keep_probability (default 1 - rate), multiplied by scale."""
    keep_probability = 1 - rate if keep_probability is None else keep_probability
    return x * (rng.random(x.shape) < keep_probability) * scale


def learner_right(x, rate, rng, training=True):
    """Right, and written another way than the reference: keep where a uniform number is below 1 - rate."""
    return _masked(x, rate, rng, 1 / (1 - rate)) if training else x


def learner_right_float32(x, rate, rng, training=True):
    return (learner_right(x, rate, rng, training)).astype(np.float32)


def test_a_right_function_passes_with_the_stated_figures():
    for fn in (learner_right, learner_right_float32, nb05._reference_dropout):
        ok, message = nb05.grade_dropout(fn)
        assert ok, message
        assert message.startswith("Exercise 05.4: correct at rates 0.3 and 0.7, 100,000 values each: kept values = "
                                  "x / (1 - rate) (max |diff| = ")
        assert "standard errors of 1 - rate and of the input's mean (tolerance 5)" in message
        assert "at inference the input unchanged, like keras.layers.Dropout (max |diff| = " in message
    assert exercises.grade("05.4", learner_right)[0]


@pytest.mark.parametrize("learner, diagnosis", [
    (lambda x, rate, rng, training=True: _masked(x, rate, rng, 1.0) if training else x, nb05.NO_RESCALING),
    (lambda x, rate, rng, training=True: _masked(x, rate, rng, 1 / rate) if training else x, nb05.DIVIDED_BY_RATE),
    (lambda x, rate, rng, training=True: _masked(x, rate, rng, 1 - rate) if training else x, nb05.MULTIPLIED_BY_KEEP),
    (lambda x, rate, rng, training=True: _masked(x, rate, rng, rate) if training else x, nb05.MULTIPLIED_BY_RATE),
    # dropping with probability 1 - rate, whichever scale goes with it
    (lambda x, rate, rng, training=True: _masked(x, rate, rng, 1 / (1 - rate), rate) if training else x,
     nb05.KEEPS_WITH_RATE),
    (lambda x, rate, rng, training=True: _masked(x, rate, rng, 1 / rate, rate) if training else x, nb05.KEEPS_WITH_RATE),
    # inference: the AlexNet paper's scaling, a second rescale, a mask
    (lambda x, rate, rng, training=True: learner_right(x, rate, rng) if training else x * (1 - rate),
     nb05.SCALED_AT_INFERENCE),
    (lambda x, rate, rng, training=True: learner_right(x, rate, rng) if training else x / (1 - rate),
     nb05.RESCALED_AT_INFERENCE),
    (lambda x, rate, rng, training=True: learner_right(x, rate, rng), nb05.DROPS_AT_INFERENCE),
    (lambda x, rate, rng, training=True: x, nb05.NOTHING_DROPPED),
    (lambda x, rate, rng, training=True: learner_right(x, rate, np.random.default_rng()) if training else x,
     nb05.IGNORES_RNG),
])
def test_typical_mistakes_are_diagnosed(learner, diagnosis):
    ok, message = nb05.grade_dropout(learner)
    assert not ok
    assert message.startswith("Exercise 05.4: not yet") and diagnosis in message
    assert message.endswith(STUCK)


def test_the_kept_values_are_compared_with_the_stated_figures():
    def off_by_a_little(x, rate, rng, training=True):
        return _masked(x, rate, rng, 1 / (1 - rate) + 1e-3) if training else x

    ok, message = nb05.grade_dropout(off_by_a_little)
    assert not ok
    assert message.startswith("Exercise 05.4: not yet at rate 0.3: max |diff| = ")
    assert "against scratch.dropout with your mask, should be below 1e-06: the kept values should be x / (1 - rate)" in message


def test_the_fraction_kept_has_the_stated_tolerance():
    # 100,000 values at rate 0.3: the standard error of the fraction kept is sqrt(0.3 * 0.7 / 100,000) = 0.00145,
    # so 5 standard errors are 0.0072; keeping 2 % too many is caught, 0.2 % too many is not.
    def keeps_too_many(extra):
        return lambda x, rate, rng, training=True: (
            _masked(x, rate, rng, 1 / (1 - rate), 1 - rate + extra) if training else x)

    ok, message = nb05.grade_dropout(keeps_too_many(0.02))
    assert not ok
    assert re.search(r"the fraction kept is 0\.7(1[5-9]|2\d), should be 1 - rate = 0\.7 within 0\.007 \(5 standard errors\)",
                     message), message
    assert nb05.grade_dropout(keeps_too_many(0.002))[0]


def test_stub_and_other_learner_errors():
    def stub(x, rate, rng, training=True):
        raise NotImplementedError

    assert nb05.grade_dropout(stub) == (False, "Exercise 05.4: not implemented yet: replace `raise NotImplementedError` "
                                               "with your code and run the cell again.")
    assert nb05.grade_dropout(lambda x, rate, rng, training=True: None)[1] == (
        "Exercise 05.4: your function returned None: did you forget `return`?")
    ok, message = nb05.grade_dropout(lambda x, rate, rng, training=True: x.ravel())
    assert not ok and "the output has shape (100000,), should be the input's (40, 25, 25, 4)" in message
    ok, message = nb05.grade_dropout(lambda x, rate, rng: learner_right(x, rate, rng))  # no `training` argument
    assert not ok and message.startswith("Exercise 05.4 (training=False): your function raised TypeError")


def test_the_registered_exercise_and_its_solution(capsys):
    ex = exercises.exercise("05.4")
    assert ex.answer is nb05._reference_dropout
    for wrong_fn, diagnosis in ex.mistakes.items():
        assert diagnosis in nb05.grade_dropout(wrong_fn)[1]
    assert not exercises.grade("05.4", 0.5)[0]
    exercises.solution("05.4")
    solution = capsys.readouterr().out
    code = solution.split(":\n\n", 1)[1].split("\n\n", 1)[0]
    namespace = {"np": np}
    exec("\n".join(line[4:] for line in code.splitlines()), namespace)  # the printed solution, run as printed
    assert nb05.grade_dropout(namespace["dropout"])[0]


def test_answers_of_05_1_to_05_3_by_hand():
    # row 1, column 3, channel 7 of (2, 5, 512) maps, row-major with channels fastest: (1 * 5 + 3) * 512 + 7
    assert exercises.exercise("05.1").answer == 4103
    assert exercises.grade("05.1", 7 * 10 + 1 * 5 + 3)[0] is False  # channels first (C, H, W): 78
    assert "channels-first" in exercises.grade("05.1", 78)[1]
    assert exercises.exercise("05.2").answer == (2 * 5 * 512 + 1) * 4096
    assert exercises.exercise("05.3").answer == (5.0, 3.0)  # 3.0 / (1 - 0.4), and 3.0 at inference


def test_05_1_is_where_keras_flatten_puts_the_value():
    maps = np.zeros((1, 2, 5, 512), "float32")
    maps[0, 1, 3, 7] = 1
    flat = np.asarray(keras.layers.Flatten()(maps))[0]
    assert int(np.argmax(flat)) == exercises.exercise("05.1").answer
