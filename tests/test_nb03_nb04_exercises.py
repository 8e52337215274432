"""Notebooks 03 and 04: the "implement it" checkers accept a correct function and diagnose each typical mistake;
the answer exercises have their hand-worked answers."""

import re

import keras
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


def test_conv_output_size_checker_accepts_a_correct_function_and_refuses_the_reference():
    ok, message = ex03.grade_conv_output_size(_counting_positions)
    assert ok, message
    assert CORRECT.fullmatch(message), message
    ok, message = ex03.grade_conv_output_size(arithmetic.conv_output_size)
    assert not ok and "calls the course's reference `course_utils.arithmetic.conv_output_size`" in message


def test_conv_output_size_solution_passes():
    fn = _solution_function(ex03.EXERCISES[5].solution, "conv_output_size")
    assert ex03.grade_conv_output_size(fn, keras=False)[0]


@pytest.mark.parametrize("name", [f.__name__ for f in ex03.SIZE_MISTAKES])
def test_conv_output_size_checker_diagnoses_each_mistake(name):
    wrong = getattr(ex03, name)  # looked up now: other tests reload the module
    ok, message = ex03.grade_conv_output_size(wrong, keras=False)
    assert not ok
    assert message.startswith("Exercise 03.6: not yet: at n=")
    assert f": {ex03.SIZE_MISTAKES[wrong]}." in message
    assert message.endswith("(Stuck? `course_utils.solution('03.6')` shows a worked solution.)")


# Slips written by hand as a learner would (not the module's own functions), and the words their diagnosis uses.
HAND_WRITTEN_SIZE_SLIPS = [
    (lambda n, k, s=1, p=0, d=1: (n + 2 * p - d * k) // s + 1, "the dilated span is written d*k"),
    (lambda n, k, s=1, p=0, d=1: int((n + 2 * p - d * k) / s) + 1, "the dilated span is written d*k"),
    (lambda n, k, s=1, p=0, d=1: round((n + 2 * p - d * (k - 1) - 1) / s) + 1, "round() is not floor"),
    (lambda n, k, s=1, p=0, d=1: round((n + 2 * p - d * (k - 1) - 1) / s + 1), "round() is not floor"),
    (lambda n, k, s=1, p=0, d=1: int(np.round((n + 2 * p - d * (k - 1) - 1) / s)) + 1, "round() is not floor"),
]


@pytest.mark.parametrize("slip, words", HAND_WRITTEN_SIZE_SLIPS, ids=["d*k", "d*k int", "round", "round+1", "np.round"])
def test_span_d_times_k_and_round_are_named(slip, words):
    ok, message = ex03.grade_conv_output_size(slip, keras=False)
    assert not ok and words in message, message
    assert sum(text in message for text in set(ex03.SIZE_MISTAKES.values())) == 1


def test_a_wrong_size_names_the_first_setting_and_both_values():
    def one_too_many_at_dilation(n, k, s=1, p=0, d=1):
        return _counting_positions(n, k, s, p, d) + (d == 3)  # wrong only where d = 3: no listed slip

    ok, message = ex03.grade_conv_output_size(one_too_many_at_dilation, keras=False)
    first = next(row for row in ex03.random_settings(np.random.default_rng(3)) if row[4] == 3)  # the first batch
    n, k, s, p, d = (int(v) for v in first)
    expected = arithmetic.conv_output_size(n, k, s, p, d)
    assert not ok
    assert message.startswith(f"Exercise 03.6: not yet: at n={n}, k={k}, s={s}, p={p}, d={d} yours gives "
                              f"{expected + 1}, expected {expected} (")
    assert "settings of this batch differ)" in message


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


def _windows_max_sized(x, pool, stride, rows, cols):
    """Max of rows x cols windows every stride pixels, cut short at the border as numpy slicing does."""
    return np.stack([np.stack([x[:, i * stride:i * stride + pool, j * stride:j * stride + pool].max(axis=(1, 2))
                               for j in range(cols)], axis=1) for i in range(rows)], axis=1)


# Mistakes written by hand as a learner would (the module's own versions call scratch.max_pool2d, which the
# checker refuses in a learner's function), and the module's function whose diagnosis each must earn.
HAND_WRITTEN_POOL_SLIPS = {
    "_average": lambda x, pool, stride: sliding_window_view(x, (pool, pool), axis=(1, 2))[:, ::stride, ::stride]
    .mean(axis=(-2, -1)),
    "_stride_one": lambda x, pool, stride: _windows_max(x, pool, 1),
    "_stride_is_window": lambda x, pool, stride: _windows_max(x, pool, pool),
    "_forgot_plus_one": lambda x, pool, stride: _windows_max_sized(x, pool, stride, (x.shape[1] - pool) // stride,
                                                                   (x.shape[2] - pool) // stride),
    "_side_over_stride": lambda x, pool, stride: _windows_max_sized(x, pool, stride, x.shape[1] // stride,
                                                                    x.shape[2] // stride),
    "_rounded_up": lambda x, pool, stride: _windows_max_sized(x, pool, stride, -(-(x.shape[1] - pool) // stride) + 1,
                                                              -(-(x.shape[2] - pool) // stride) + 1),
    "_across_channels": lambda x, pool, stride: np.repeat(_windows_max(x, pool, stride).max(axis=3, keepdims=True),
                                                          x.shape[3], axis=3),
    "_across_channels_one": lambda x, pool, stride: _windows_max(x, pool, stride).max(axis=3, keepdims=True),
    "_across_channels_dropped": lambda x, pool, stride: _windows_max(x, pool, stride).max(axis=3),
}


def test_every_pool_mistake_has_a_hand_written_slip():
    assert sorted(HAND_WRITTEN_POOL_SLIPS) == sorted(f.__name__ for f in ex04.POOL_MISTAKES)


@pytest.mark.parametrize("name", sorted(HAND_WRITTEN_POOL_SLIPS))
def test_max_pool2d_checker_diagnoses_each_mistake(name):
    wrong = getattr(ex04, name)  # looked up now: other tests reload the module
    ok, message = ex04.grade_max_pool2d(HAND_WRITTEN_POOL_SLIPS[name], keras=False)
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
    # floor((n + 2 - 5) / 3) + 1 = 20 <=> 57 <= n - 3 <= 59: n = 60, 61, 62 (63 gives floor(60 / 3) + 1 = 21)
    assert answers["03.1"] == (60, 62)
    assert answers["03.2"] == 55       # floor(109 / 2) + 1
    assert answers["03.3"] == 1        # 100 + 2 = 102: 33 windows, the last one at 96..100
    assert answers["03.4"] == (1, 2)   # 28 outputs need 59 rows: 3 zeros, the odd one after
    assert answers["03.5"] == 11       # r = 3 (jump 2), then 3 + 2 * 2 * 2
    assert [len(ex.mistakes) for ex in ex03.EXERCISES[:5]] == [5, 4, 2, 3, 2]  # no key silently overwritten
    # 03.1's typical slips: without the padding, (n - 5) // 3 + 1 = 20 for n = 62..64; no floor: only n = 60
    assert exercises.grade("03.1", (62, 64))[0] is False and "without the padding" in exercises.grade("03.1", (62, 64))[1]
    assert "not the only one" in exercises.grade("03.1", (60, 60))[1]


def test_03_1_asks_what_the_formula_gives():
    low, high = ex03.EXERCISES[0].answer
    sides = [n for n in range(1, 100) if n + 2 >= 5 and arithmetic.conv_output_size(n, 5, 3, 1) == 20]
    assert (low, high) == (min(sides), max(sides)) and sides == list(range(low, high + 1))


def test_answers_of_notebook_04():
    answers = {ex.key: ex.answer for ex in ex04.EXERCISES}
    # 'same' on 5 with 2/2 pads (0, 1): output (0, 2) averages rows 0-1 of column 4 (5 and 10) and no padding
    assert answers["04.1"] == (5 + 10) / 2
    assert answers["04.2"] == (2, 5) and answers["04.3"] == 650
    covered = {r for start in range(0, 19, 3) for r in (start, start + 1)}  # windows of 2 at 0, 3, ..., 18
    assert answers["04.4"] == 20 * 20 - len(covered) ** 2 == 204
    assert [len(ex.mistakes) for ex in ex04.EXERCISES[:4]] == [3, 3, 2, 3]
    assert "counting the two padded zeros" in exercises.grade("04.1", (5 + 10) / 4)[1]  # the zeros counted


def test_04_1_is_what_keras_computes():
    x = np.arange(1, 26, dtype="float32").reshape(1, 5, 5, 1)
    keras_out = keras.layers.AveragePooling2D(2, padding="same")(x)
    assert float(keras_out[0, 0, 2, 0]) == ex04.EXERCISES[0].answer


def test_03_7_rows_read_are_the_tracers_field_on_the_keras_stack():
    import keras

    from course_utils import exercises, tracing
    from course_utils.exercises import nb03_padding_and_stride as nb03

    stack = keras.Sequential([keras.Input((32, 32, 1)), *[
        keras.layers.Conv2D(1, k, strides=s, dilation_rate=d, name=f"l{i}") for i, (k, s, d) in enumerate(nb03.SECTION_5_STACK)]])
    rows = tracing.trace(stack).row("l3").field_box((3, 0))[0]
    assert rows == nb03.rows_read(nb03.SECTION_5_STACK, 3) == exercises.exercise("03.7").answer == (6, 18)
    ok, message = exercises.grade("03.7", (3, 15))
    assert not ok and "by the jump" in message
