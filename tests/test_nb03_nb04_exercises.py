"""Notebooks 03 and 04: the "implement it" checkers accept a correct function and diagnose each typical mistake;
the answer exercises have their hand-worked answers."""

import re

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from course_utils import arithmetic, exercises, scratch
from course_utils.exercises import nb03_padding_and_stride as ex03
from course_utils.exercises import nb04_pooling as ex04

CORRECT = re.compile(r"Exercise (03\.6|04\.5): correct: max \|diff\| = \d\.\de[-+]\d\d over 3 random inputs "
                     r"\(tolerance 1e-06\); against Keras \d\.\de[-+]\d\d \(tolerance 1e-05\)\.")


def _stub(*args):
    raise NotImplementedError


# --- 03.6: conv_output_size ---------------------------------------------------------------------

def _counting_positions(n, k, s=1, p=0, d=1):
    """A learner's correct answer written without the formula: count the window starts that fit."""
    span = d * (k - 1) + 1
    return len(range(0, n + 2 * p - span + 1, s))


def _solution_function(text: str, name: str):
    """The function shown by course_utils.solution(key), executed."""
    code = "\n".join(line[4:] for line in text.splitlines() if line.startswith("    "))
    namespace = {"np": np}
    exec(code, namespace)
    return namespace[name]


def test_keras_sizes_match_hand_worked_sides():
    settings = np.array([(227, 11, 4, 0, 1), (224, 11, 4, 2, 1), (224, 11, 4, 0, 1), (32, 3, 1, 0, 2), (20, 3, 2, 0, 2)])
    # 55, 55 and 54 (AlexNet's readings); 32 - 5 + 1 = 28; stride 2 and dilation 2: floor((20 - 5) / 2) + 1 = 8
    assert ex03.keras_sizes(settings).tolist() == [55, 55, 54, 28, 8]


def test_random_settings_fit_and_exercise_every_term():
    settings = np.concatenate([ex03.random_settings(np.random.default_rng(seed)) for seed in range(3)])
    n, k, s, p, d = settings.T
    assert (d * (k - 1) + 1 <= n + 2 * p).all()
    assert (s > 1).any() and (p > 0).any() and (d > 1).any() and ((s > 1) & (d > 1)).any()


@pytest.mark.parametrize("fn", [arithmetic.conv_output_size, _counting_positions], ids=["reference", "counting"])
def test_conv_output_size_checker_accepts_correct_functions(fn):
    ok, message = ex03.grade_conv_output_size(fn)
    assert ok, message
    assert CORRECT.fullmatch(message), message


def test_conv_output_size_solution_passes():
    fn = _solution_function(ex03.EXERCISES[5].solution, "conv_output_size")
    assert ex03.grade_conv_output_size(fn, keras=False)[0]


@pytest.mark.parametrize("name", [f.__name__ for f in ex03.SIZE_MISTAKES])
def test_conv_output_size_checker_diagnoses_each_mistake(name):
    wrong = getattr(ex03, name)  # looked up now: other tests reload the module
    ok, message = ex03.grade_conv_output_size(wrong, keras=False)
    assert not ok
    assert message.startswith("Exercise 03.6: not yet: max |diff| = ")
    assert f"should be below 1e-06: {ex03.SIZE_MISTAKES[wrong]}." in message
    assert message.endswith("(Stuck? `course_utils.solution('03.6')` shows a worked solution.)")


def test_conv_output_size_checker_other_answers():
    assert ex03.grade_conv_output_size(_stub, keras=False)[1] == (
        "Exercise 03.6: not implemented yet: replace `raise NotImplementedError` with your code and run the cell again.")
    ok, message = ex03.grade_conv_output_size(lambda n, k, s=1, p=0, d=1: _counting_positions(n, k, s, p, d) + 2,
                                              keras=False)
    assert not ok and not any(text in message for text in ex03.SIZE_MISTAKES.values())
    ok, message = ex03.grade_conv_output_size(lambda n, k, s=1, p=0, d=1: n // (k - 1), keras=False)
    assert not ok and "raised ZeroDivisionError" in message and "(at n=" in message  # the setting where it failed
    assert ex03.grade_conv_output_size(lambda n, k, s=1, p=0, d=1: None, keras=False)[1] == (
        "Exercise 03.6: your function returned None: did you forget `return`?")


def test_check_grades_the_function_too():
    assert exercises.grade("03.6", _counting_positions)[0]
    ok, message = exercises.grade("03.6", ex03._ceil_not_floor)
    assert not ok and ex03.SIZE_MISTAKES[ex03._ceil_not_floor] in message


# --- 04.5: max_pool2d ----------------------------------------------------------------------------

def _windows_max(x, pool, stride):
    """A learner's correct answer written differently: all windows at once, then every stride-th."""
    windows = sliding_window_view(x, (pool, pool), axis=(1, 2))  # (N, H-pool+1, W-pool+1, C, pool, pool)
    return windows[:, ::stride, ::stride].max(axis=(-2, -1))


@pytest.mark.parametrize("fn", [scratch.max_pool2d, _windows_max], ids=["reference", "sliding_windows"])
def test_max_pool2d_checker_accepts_correct_functions(fn):
    ok, message = ex04.grade_max_pool2d(fn)
    assert ok, message
    assert CORRECT.fullmatch(message), message


def test_max_pool2d_solution_passes():
    fn = _solution_function(ex04.EXERCISES[4].solution, "max_pool2d")
    assert ex04.grade_max_pool2d(fn, keras=False)[0]


def test_keras_max_pool2d_on_a_hand_worked_example():
    x = np.arange(25, dtype=np.float64).reshape(1, 5, 5, 1)  # pixel value = its index
    # windows of 2 starting at rows/columns 0 and 3: their largest values sit at their bottom-right corners
    assert ex04.keras_max_pool2d(x, 2, 3)[0, ..., 0].tolist() == [[6.0, 9.0], [21.0, 24.0]]


@pytest.mark.parametrize("name", [f.__name__ for f in ex04.POOL_MISTAKES])
def test_max_pool2d_checker_diagnoses_each_mistake(name):
    wrong = getattr(ex04, name)  # looked up now: other tests reload the module
    ok, message = ex04.grade_max_pool2d(wrong, keras=False)
    assert not ok
    assert message.startswith("Exercise 04.5: not yet: ")
    assert f": {ex04.POOL_MISTAKES[wrong]}." in message
    assert message.endswith("(Stuck? `course_utils.solution('04.5')` shows a worked solution.)")


def test_stride_and_size_mistakes_change_the_shape_of_the_first_batch():
    shapes_wrong = {"stride": ex04._stride_one, "size": ex04._forgot_plus_one}
    x, pool, stride = ex04.random_batch(np.random.default_rng(4))
    expected = scratch.max_pool2d(x, pool, stride).shape
    assert all(fn(x, pool, stride).shape != expected for fn in shapes_wrong.values())  # diagnosed despite the shape


def test_max_pool2d_checker_other_answers():
    assert ex04.grade_max_pool2d(_stub, keras=False)[1] == (
        "Exercise 04.5: not implemented yet: replace `raise NotImplementedError` with your code and run the cell again.")
    ok, message = ex04.grade_max_pool2d(lambda x, pool, stride: _windows_max(x, pool, stride)[:, :, :, :1], keras=False)
    assert not ok and "the output has shape" in message  # a wrong shape no listed mistake explains
    ok, message = ex04.grade_max_pool2d(lambda x, pool, stride: -_windows_max(-x, pool, stride), keras=False)  # min pooling
    assert not ok and "max |diff| = " in message and not any(t in message for t in ex04.POOL_MISTAKES.values())


# --- answer exercises: hand-worked values -----------------------------------------------------------

def test_answers_of_notebook_03():
    answers = {ex.key: ex.answer for ex in ex03.EXERCISES}
    assert answers["03.1"] == 112      # torchvision's ResNet conv1 (7x7, stride 2, padding 3): 224 -> 112
    assert answers["03.2"] == 55       # floor(109 / 2) + 1
    assert answers["03.3"] == 1        # 100 + 2 = 102: 33 windows, the last one at 96..100
    assert answers["03.4"] == (1, 2)   # 28 outputs need 59 rows: 3 zeros, the odd one after
    assert answers["03.5"] == 11       # r = 3 (jump 2), then 3 + 2 * 2 * 2
    assert [len(ex.mistakes) for ex in ex03.EXERCISES[:5]] == [4, 4, 2, 3, 2]  # no key silently overwritten


def test_answers_of_notebook_04():
    answers = {ex.key: ex.answer for ex in ex04.EXERCISES}
    assert answers["04.1"] == 13 and answers["04.2"] == (2, 5) and answers["04.3"] == 650
    covered = {r for start in range(0, 19, 3) for r in (start, start + 1)}  # windows of 2 at 0, 3, ..., 18
    assert answers["04.4"] == 20 * 20 - len(covered) ** 2 == 204
    assert [len(ex.mistakes) for ex in ex04.EXERCISES[:4]] == [3, 3, 2, 3]
