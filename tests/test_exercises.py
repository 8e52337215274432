"""Exercises: every answer passes, every typical mistake gets its own message, modules reload safely,
and check_function grades an "implement it" exercise."""

import importlib
import json
import re
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from course_utils import checks, course, exercises, scratch
from course_utils.exercises import Exercise

ROOT = Path(__file__).resolve().parents[1]
MODULES = exercises.load_all()
ALL = [ex for module in MODULES for ex in module.EXERCISES]


def test_one_module_per_notebook_with_its_own_keys():
    stems = [m.__name__.rsplit(".", 1)[1] for m in MODULES]
    assert stems[:8] == ["nb00_start_here", "nb01_images_as_arrays", "nb02_convolution", "nb03_padding_and_stride",
                         "nb04_pooling", "nb05_flatten_dense_dropout", "nb06_lenet5", "nb07_alexnet"]
    on_map = {nb.stem for nb in course.NOTEBOOKS}  # later lessons (08_vgg16) and appendices (A1_...) too
    assert all(stem[2:] in on_map for stem in stems), [s for s in stems if s[2:] not in on_map]
    for module in MODULES:
        number = module.__name__.rsplit(".", 1)[1][2:4]
        keys = [ex.key for ex in module.EXERCISES]
        assert keys == [f"{number}.{i}" for i in range(1, len(keys) + 1)], module.__name__
    assert len({ex.key for ex in ALL}) == len(ALL)


def test_every_key_the_notebooks_check_exists():
    used = set()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        used |= set(re.findall(r"""check\(["'](\d\d\.\d+)["']""", code))
    assert used and used <= {ex.key for ex in ALL}


@pytest.mark.parametrize("ex", ALL, ids=lambda ex: ex.key)
def test_the_answer_is_graded_correct(ex):
    ok, message = exercises.grade(ex.key, ex.answer)
    if callable(ex.answer):  # an "implement it" exercise: its reference is refused, a pasted solution passes
        assert not ok and "the course's own reference" in message, message  # (tests/test_solutions.py)
        return
    assert ok, message
    assert message.startswith(f"Exercise {ex.key}: correct")


@pytest.mark.parametrize(
    "ex, mistake",
    [(ex, mistake) for ex in ALL for mistake in ex.mistakes],
    # a function's name, not its repr (which holds its address): ids must be the same in every process (xdist)
    ids=lambda v: v.key if isinstance(v, Exercise) else getattr(v, "__name__", None) or repr(v),
)
def test_each_typical_mistake_is_wrong_with_its_own_message(ex, mistake):
    ok, message = exercises.grade(ex.key, mistake)
    assert not ok, f"{ex.key}: the listed mistake {mistake!r} is graded correct"
    assert ex.mistakes[mistake] in message


def test_unanswered_and_unknown():
    assert exercises.grade("03.2", ...) == (
        False, "Exercise 03.2: not answered yet: replace Ellipsis with your answer and run the cell again.")
    with pytest.raises(KeyError, match=r"no exercise '98.7'; known: 00.1, 00.2, .*07.5"):
        exercises.grade("98.7", 1)  # (99.1 is the doctest's example in exercises.register)


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[1])
def test_reloading_a_module_replaces_its_exercises(module):
    first = module.EXERCISES[0]
    reloaded = importlib.reload(module)
    assert exercises.exercise(first.key) is reloaded.EXERCISES[0] is not first
    answer = reloaded.EXERCISES[0].answer
    assert exercises.grade(first.key, answer)[0] != callable(answer)  # a reference function is refused


def test_reloading_the_package_and_the_checks_module():
    importlib.reload(exercises)
    importlib.reload(checks)  # an empty registry: check() loads the notebook's module again
    try:
        assert exercises.grade("04.1", exercises.exercise("04.1").answer)[0]
        assert exercises.exercise("04.1").key == "04.1"
    finally:
        exercises.load_all()


def test_a_key_taken_by_another_module_is_an_error(monkeypatch):
    for attribute in ("_entries", "_origins"):  # the "99.7" registered below leaves the registry with the test
        monkeypatch.setattr(exercises._REGISTRY, attribute, dict(getattr(exercises._REGISTRY, attribute)))
    copy = Exercise("03.2", "a copy", 55, "copied")
    with pytest.raises(ValueError, match="'03.2' is already registered by course_utils.exercises.nb03_padding_and_stride"):
        exercises.register(copy, origin="somewhere_else")
    assert exercises.exercise("03.2").question != "a copy"
    exercises.register(Exercise("99.7", "q", 1, "s"), origin="my_cell")
    exercises.register(Exercise("99.7", "q", 2, "s"), origin="my_cell")  # the cell run again
    assert exercises.grade("99.7", 2)[0]


def test_a_module_defining_another_notebooks_key_is_an_error(monkeypatch):
    module = sys.modules["course_utils.exercises.nb03_padding_and_stride"]
    monkeypatch.setattr(module, "EXERCISES", (*module.EXERCISES, Exercise("04.9", "stray", 1, "s")))
    with pytest.raises(ValueError, match="defines 04.9: its keys must start with '03.'"):
        exercises.load("03.1")


def test_check_loads_only_the_notebook_it_needs():
    script = ("import sys; from course_utils import exercises; exercises.check('03.2', 55); "
              "print(sorted(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('course_utils.exercises.')))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines() == ["Exercise 03.2: correct (55).", "['nb03_padding_and_stride']"]


# --- check_function ----------------------------------------------------------------------------

FLIPPED = "the kernel looks flipped (that is convolution; Keras computes correlation)"


def _inputs(rng):
    return rng.normal(size=(2, 7, 6, 3)), rng.normal(size=(3, 3, 3, 4))


def _learner_conv(x, kernel):
    """A learner's correct answer, written differently from scratch.conv2d: windows and einsum."""
    windows = sliding_window_view(x, kernel.shape[:2], axis=(1, 2))  # (N, H', W', C, kh, kw)
    return np.einsum("nhwcij,ijco->nhwo", windows, kernel)


def _flipped_conv(x, kernel):
    return _learner_conv(x, kernel[::-1, ::-1])


def _stub(x, kernel):
    raise NotImplementedError


def _grade(learner, **options):
    return checks.grade_function("conv2d from scratch", learner, scratch.conv2d, _inputs,
                                 diagnoses=[(FLIPPED, lambda x, k: scratch.conv2d(x, k[::-1, ::-1]))], **options)


def test_check_function_passes_a_correct_function(capsys):
    keras_conv = lambda x, k: keras.ops.convert_to_numpy(keras.ops.conv(x.astype("float32"), k.astype("float32")))  # noqa: E731
    ok, message = _grade(_learner_conv, keras_fn=keras_conv)
    assert ok, message
    assert re.fullmatch(r"conv2d from scratch: correct: max \|diff\| = \d\.\de[-+]\d\d over 3 random inputs "
                        r"\(tolerance 1e-06\); against Keras \d\.\de-\d\d \(tolerance 1e-05\)\.", message)
    checks.check_function("02.9", _learner_conv, scratch.conv2d, _inputs)
    assert capsys.readouterr().out.startswith("Exercise 02.9: correct: max |diff| = ")


def test_check_function_recognises_a_flipped_kernel():
    ok, message = _grade(_flipped_conv)
    x, kernel = _inputs(np.random.default_rng(0))  # the first trial's inputs
    got, expected = _flipped_conv(x, kernel), _learner_conv(x, kernel)
    diff = np.max(np.abs(got - expected))
    first = tuple(int(i) for i in np.argwhere(np.abs(got - expected) > 1e-6)[0])
    assert not ok
    assert message == (f"conv2d from scratch: not yet: with inputs x shape (2, 7, 6, 3), kernel shape (3, 3, 3, 4), "
                       f"max |diff| = {diff:.1e}, should be below 1e-06 (first at output index {first}: "
                       f"yours {got[first]:.6g}, expected {expected[first]:.6g}): {FLIPPED}.")


def test_a_failure_names_the_first_wrong_value_and_the_scalar_arguments():
    ok, message = checks.grade_function("scale", lambda x, k: x * k + (x > 1), lambda x, k: x * k,
                                        lambda rng: (np.array([0.5, 1.5, 2.5]), 3), trials=1)
    assert not ok
    assert "with inputs x shape (3,), k=3," in message and "(first at output index (1,): yours 5.5, expected 4.5)" in message


def test_an_exercise_answer_that_calls_the_reference_does_not_pass():
    def lazy(x, k):
        return scratch.conv2d(x, k)  # the reference it is checked against

    def exercise(learner):
        return checks.grade_function("02.9", learner, scratch.conv2d, _inputs)

    ok, message = exercise(lazy)
    assert not ok and "Exercise 02.9: your function calls the course's reference `course_utils.scratch.conv2d`" in message
    assert scratch.conv2d is not None and exercise(_learner_conv)[0]  # the reference is restored afterwards
    conv = scratch.conv2d
    ok, message = exercise(lambda x, k: conv(x, k))  # the reference bound to a local name of an enclosing scope
    assert not ok and "calls the course's reference" in message
    assert _grade(lazy)[0]  # a check that is no exercise (a notebook checking the library's own code) may call it


def test_a_reference_error_re_raised_with_a_message_still_names_the_reference():
    def wrapper(x, k):
        try:
            return scratch.conv2d(x, k)
        except Exception as e:  # as an exercise's adapter does, to name the setting that failed
            raise type(e)(f"at this setting: {e}") from e

    ok, message = checks.grade_function("02.9", wrapper, scratch.conv2d, _inputs)
    assert not ok and "calls the course's reference `course_utils.scratch.conv2d`" in message


def test_check_function_wrong_without_a_known_diagnosis():
    ok, message = _grade(lambda x, k: _learner_conv(x, k) * 2)
    assert not ok and "should be below 1e-06 (first at output index" in message and message.endswith(").")
    assert FLIPPED not in message


def test_check_function_stub_and_other_learner_errors():
    assert _grade(_stub) == (False, "conv2d from scratch: not implemented yet: replace `raise NotImplementedError` "
                                    "with your code and run the cell again.")
    assert _grade(lambda x, k: None)[1] == "conv2d from scratch: your function returned None: did you forget `return`?"
    ok, message = _grade(lambda x, k: _learner_conv(x, k)[0])
    assert not ok and "the output has shape (5, 4, 4), should be (2, 5, 4, 4)" in message
    assert _grade(lambda x, k: [x, k])[1] == "conv2d from scratch: your function returned a list, not an array of numbers."
    ok, message = _grade(lambda x, k: x @ k)
    assert not ok and message.startswith("conv2d from scratch: your function raised ValueError:")
    assert "inputs x shape (2, 7, 6, 3), kernel shape (3, 3, 3, 4)" in message


def test_check_function_points_to_the_solution_of_a_registered_key():
    ok, message = checks.grade_function("03.2", lambda x: x + 1, lambda x: x, lambda rng: rng.normal(size=3))
    assert not ok and message.endswith("(Stuck? `course_utils.solution('03.2')` shows a worked solution.)")


def test_check_function_does_not_let_the_learner_change_the_inputs():
    def sneaky(x, k):
        out = _learner_conv(x, k)
        x[...] = 0  # writes into its input
        return out

    assert _grade(sneaky)[0]
