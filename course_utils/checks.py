"""Numeric checks that print a PASS line, and exercise checkers that say what is wrong.

Checks follow cs231n's habit: compare against a reference and state the error you expect.
Answer exercises (``check("03.2", 55)``) live in :mod:`course_utils.exercises`, one module per
notebook, loaded by key; "implement it" exercises compare a learner's function with a reference on
random inputs and recognise typical mistakes (:func:`check_function`).

Example:
    >>> check_close("from-scratch sum", 1.0 + 1e-8, 1.0, atol=1e-6)
    PASS: from-scratch sum: max |diff| = 1.0e-08 (tolerance 1e-06)
    >>> check_equal("C1 parameters", 156, 156)
    PASS: C1 parameters = 156
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .registries import Registry


def rel_error(x: Any, y: Any) -> float:
    """Return the maximum relative error ``|x - y| / max(1e-8, |x| + |y|)`` (cs231n's measure).

    Float32 computations that agree typically give 1e-7 or less; 1e-2 or more means a bug.

    Example:
        >>> rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 2e-7])) < 1e-7
        True
    """
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def check_close(what: str, actual: Any, expected: Any, atol: float = 1e-5) -> None:
    """Print ``PASS: what: max |diff| = ...`` when the arrays agree within ``atol``; else raise.

    Shapes must match exactly. Float32 from-scratch code against Keras usually agrees to 1e-6.
    """
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    if actual.shape != expected.shape:
        raise AssertionError(f"FAIL: {what}: shape {actual.shape} differs from expected {expected.shape}")
    diff = float(np.max(np.abs(actual - expected))) if actual.size else 0.0
    if not diff <= atol:
        raise AssertionError(f"FAIL: {what}: max |diff| = {diff:.1e} exceeds the tolerance {atol:g}")
    print(f"PASS: {what}: max |diff| = {diff:.1e} (tolerance {atol:g})")


def check_equal(what: str, actual: Any, expected: Any) -> None:
    """Print ``PASS: what = value`` when ``actual == expected`` (numbers, shapes, strings); else raise."""
    same = np.array_equal(actual, expected) if isinstance(actual, np.ndarray) else actual == expected
    if not same:
        raise AssertionError(f"FAIL: {what}: got {_show(actual)}, expected {_show(expected)}")
    print(f"PASS: {what} = {_show(actual)}")


def _show(value: Any) -> str:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{int(value):,}"
    return str(value)


@dataclass(frozen=True)
class Exercise:
    """An exercise: the question, the expected answer, and diagnoses of typical wrong answers.

    ``mistakes`` maps a wrong answer to the explanation a learner needs; ``solution`` is shown
    only on request (:func:`solution`).
    """

    key: str
    question: str
    answer: Any
    solution: str
    mistakes: dict[Any, str] = field(default_factory=dict)
    hint: str = ""
    compare: Callable[[Any, Any], bool] | None = None


_REGISTRY: Registry[Exercise] = Registry("exercise")


def register(*exercises: Exercise, origin: str | None = None) -> None:
    """Add exercises to the registry used by :func:`check` (keys like ``'03.2'``).

    ``origin`` is the registering module (``__name__``); registering a key again from the same
    origin replaces it (a reloaded module, a re-run cell), from another origin raises ValueError.

    Example:
        >>> register(Exercise("99.1", "How many sides has a square?", 4, "Four."), origin="my_notebook")
        >>> check("99.1", 4)
        Exercise 99.1: correct (4).
    """
    for ex in exercises:
        _REGISTRY.add(ex.key, ex, origin=origin or "a notebook or script")


def exercise(key: str) -> Exercise:
    """Return the exercise ``key`` (e.g. ``'03.1'``), importing its notebook's exercise module if needed."""
    from . import exercises

    if key not in _REGISTRY:
        exercises.load(key)
    if key not in _REGISTRY:
        exercises.load_all()
        raise KeyError(f"no exercise {key!r}; known: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[key]


def exercise_keys() -> list[str]:
    """Return the key of every exercise of the course, in notebook order (importing every exercise module).

    Example:
        >>> exercise_keys()[:3]
        ['00.1', '00.2', '01.1']
    """
    from . import exercises

    exercises.load_all()
    return sorted(_REGISTRY, key=lambda k: (k[0].isalpha(), k.split(".", 1)[0], int(k.split(".", 1)[1])))


def _normalise(value: Any) -> Any:
    """An answer in a comparable form: arrays, tensors and lists become tuples, NumPy scalars Python numbers.

    Example:
        >>> _normalise(np.array([784, 3136])), _normalise(np.array(50)), _normalise([np.int64(1), 2.0])
        ((784, 3136), 50, (1, 2.0))
    """
    if not isinstance(value, (np.ndarray, np.generic, list, tuple, str, bytes)) and hasattr(value, "__array__") \
            and not callable(value):
        try:  # a TensorFlow or Keras tensor holding a value
            value = np.asarray(value)
        except (TypeError, ValueError):
            return value
    if isinstance(value, np.ndarray):
        return _normalise(value.item()) if value.ndim == 0 else tuple(_normalise(v) for v in value.tolist())
    if isinstance(value, list):
        return tuple(_normalise(v) for v in value)
    if isinstance(value, tuple):
        return tuple(_normalise(v) for v in value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def grade(key: str, answer: Any) -> tuple[bool, str]:
    """Return (correct?, message) for a learner's answer to exercise ``key``.

    Example:
        >>> grade("00.1", "smoke")[0]
        False
    """
    ex = exercise(key)
    if answer is None or answer is Ellipsis:
        return False, f"Exercise {key}: not answered yet: replace {answer!r} with your answer and run the cell again."
    given = _normalise(answer)
    expected = _normalise(ex.answer)
    right = ex.compare(given, expected) if ex.compare else given == expected
    if right:
        note_solved(key)
        return True, f"Exercise {key}: correct ({_show(answer)})."
    numbers = isinstance(given, (int, float)) and isinstance(expected, (int, float))
    if type(given) is not type(expected) and not numbers:
        return False, (
            f"Exercise {key}: not yet: the answer should be a {type(expected).__name__} "
            f"(like {_example(expected)}), you gave a {type(given).__name__}."
        )
    try:
        known = ex.mistakes.get(given)
    except TypeError:  # an unhashable answer (a set, a dict) is no known mistake
        known = None
    hint = known or ex.hint or "recompute it step by step."
    return False, (
        f"Exercise {key}: not yet: {_show(answer)} is not it. {hint} "
        f"(Stuck? `course_utils.solution({key!r})` shows a worked solution.)"
    )


def check(key: str, answer: Any) -> None:
    """Check a learner's answer to exercise ``key``: print what is right, or what is wrong and why.

    Example:
        >>> check("00.1", None)
        Exercise 00.1: not answered yet: replace None with your answer and run the cell again.
    """
    print(grade(key, answer)[1])


def _example(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join("…" for _ in value) + ")"
    return type(value).__name__


def solution(key: str) -> None:
    """Print the worked solution of exercise ``key`` (kept off the screen until asked for).

    Every registered exercise has one, answer and "implement it" exercises alike.

    Example:
        >>> solution("00.2")
        Solution 00.2: ...
    """
    ex = exercise(key)
    print(f"Solution {key}: {ex.solution}")


def note_solved(key: str) -> None:
    """Write down in the learner's progress file that exercise ``key`` is solved (:mod:`course_utils.progress`).

    The checkers call it when an answer is right; keys that name no registered exercise (a
    checker run on something else) are ignored. Writes only where :func:`progress.recording` allows.
    """
    from . import progress

    if key in _REGISTRY or (_KEY_PATTERN.fullmatch(key) and _registered(key)):
        progress.mark_solved(key)


def print_verdict(key: str, graded: tuple[bool, str]) -> None:
    """Print a grader's ``(correct?, message)``; when correct, note exercise ``key`` as solved (:func:`note_solved`).

    The ``check_*`` functions of :mod:`course_utils.exercises` end with it, so that every checker,
    not only :func:`check` and :func:`check_function`, counts in the learner's progress.

    Example:
        >>> print_verdict("00.1", (False, "Exercise 00.1: not yet."))
        Exercise 00.1: not yet.
    """
    ok, message = graded
    if ok:
        note_solved(key)
    print(message)


def _registered(key: str) -> bool:
    try:
        exercise(key)
    except KeyError:
        return False
    return True


# --- "implement it" exercises: the learner's function against a reference ---------------------

Diagnosis = tuple[str, Callable[..., Any]]
_KEY_PATTERN = re.compile(r"[0-9A-Z]\d\.\d+")  # 03.2, or A1.1 in an appendix


def _fresh(inputs: tuple) -> tuple:
    """Copies of array inputs, so that a function that writes into its inputs cannot fool the next one."""
    return tuple(np.array(x, copy=True) if isinstance(x, np.ndarray) else x for x in inputs)


def _shapes(inputs: tuple) -> str:
    return ", ".join(str(np.shape(x)) for x in inputs)


def _max_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def _diagnose(got: np.ndarray, inputs: tuple, diagnoses: Sequence[Diagnosis], tol: float) -> str | None:
    """The description of the first known mistake whose output equals ``got`` (same shape, within ``tol``)."""
    for text, wrong_fn in diagnoses:
        wrong = np.asarray(wrong_fn(*_fresh(inputs)), np.float64)
        if wrong.shape == got.shape and _max_diff(got, wrong) <= tol:
            return text
    return None


def grade_function(
    key_or_name: str,
    learner_fn: Callable[..., Any],
    reference_fn: Callable[..., Any],
    make_inputs: Callable[[np.random.Generator], Any],
    keras_fn: Callable[..., Any] | None = None,
    tol: float = 1e-6,
    diagnoses: Sequence[Diagnosis] = (),
    keras_tol: float = 1e-5,
    trials: int = 3,
    seed: int = 0,
) -> tuple[bool, str]:
    """Return (correct?, message) for a learner's function, compared with ``reference_fn`` on random inputs.

    ``make_inputs(rng)`` returns the arguments (a tuple, or one array) for one call; it is called
    ``trials`` times with a generator seeded by ``seed``. The learner's output must have the
    reference's shape and agree within ``tol`` (max absolute difference). When it does not, each
    diagnosis ``(description, wrong_fn)`` is tried: ``wrong_fn`` computes a known mistake from the
    same inputs, and if the learner's output matches it (same shape, within ``tol``) the message
    gives ``description``; a mistake that changes the output's shape is diagnosed the same way. ``keras_fn`` (optional, e.g. a Keras layer wrapped in a function) is compared
    with the learner's output too, within ``keras_tol`` (Keras computes in float32).
    ``NotImplementedError`` gives a friendly "not implemented yet".

    Example:
        >>> ok, message = grade_function("sum of squares", lambda x: (x * x).sum(), lambda x: np.sum(x ** 2),
        ...                              lambda rng: rng.normal(size=5))
        >>> message
        'sum of squares: correct: max |diff| = ... over 3 random inputs (tolerance 1e-06).'
    """
    label = f"Exercise {key_or_name}" if _KEY_PATTERN.fullmatch(key_or_name) else key_or_name
    rng = np.random.default_rng(seed)
    worst = worst_keras = 0.0
    for _ in range(trials):
        inputs = make_inputs(rng)
        inputs = inputs if isinstance(inputs, tuple) else (inputs,)
        expected = np.asarray(reference_fn(*_fresh(inputs)), np.float64)
        try:
            output = learner_fn(*_fresh(inputs))
        except NotImplementedError:
            return False, (f"{label}: not implemented yet: replace `raise NotImplementedError` with your code "
                           "and run the cell again.")
        except Exception as e:  # the learner's bug: say what and where, without a wall of traceback
            return False, (f"{label}: your function raised {type(e).__name__}: {e} (inputs of shapes {_shapes(inputs)}). "
                           "Call it on such inputs in a cell of its own to see the line.")
        if output is None:
            return False, f"{label}: your function returned None: did you forget `return`?"
        try:
            got = np.asarray(output, np.float64)
        except (TypeError, ValueError):
            return False, f"{label}: your function returned a {type(output).__name__}, not an array of numbers."
        if got.shape != expected.shape:
            diagnosis = _diagnose(got, inputs, diagnoses, tol)
            why = f": {diagnosis}." if diagnosis else "."
            return False, (f"{label}: not yet: the output has shape {got.shape}, should be {expected.shape} "
                           f"(inputs of shapes {_shapes(inputs)}){why}{_stuck(key_or_name)}")
        diff = _max_diff(got, expected)
        if not diff <= tol:
            diagnosis = _diagnose(got, inputs, diagnoses, tol)
            why = f": {diagnosis}." if diagnosis else "."
            return False, f"{label}: not yet: max |diff| = {diff:.1e}, should be below {tol:.0e}{why}{_stuck(key_or_name)}"
        worst = max(worst, diff)
        if keras_fn is not None:
            keras_diff = _max_diff(got, np.asarray(keras_fn(*_fresh(inputs)), np.float64))
            if not keras_diff <= keras_tol:
                return False, (f"{label}: agrees with the reference but not with Keras: max |diff| = {keras_diff:.1e}, "
                               f"should be below {keras_tol:.0e}.")
            worst_keras = max(worst_keras, keras_diff)
    keras_text = f"; against Keras {worst_keras:.1e} (tolerance {keras_tol:.0e})" if keras_fn is not None else ""
    if _KEY_PATTERN.fullmatch(key_or_name):
        note_solved(key_or_name)
    return True, f"{label}: correct: max |diff| = {worst:.1e} over {trials} random inputs (tolerance {tol:.0e}){keras_text}."


def _stuck(key: str) -> str:
    """The pointer to a worked solution, when ``key`` names a registered exercise."""
    if not _KEY_PATTERN.fullmatch(key):
        return ""
    try:
        exercise(key)
    except KeyError:
        return ""
    return f" (Stuck? `course_utils.solution({key!r})` shows a worked solution.)"


def check_function(
    key_or_name: str,
    learner_fn: Callable[..., Any],
    reference_fn: Callable[..., Any],
    make_inputs: Callable[[np.random.Generator], Any],
    keras_fn: Callable[..., Any] | None = None,
    tol: float = 1e-6,
    diagnoses: Sequence[Diagnosis] = (),
    **options: Any,
) -> None:
    """Check a learner's implementation against a reference: print what is right, or what is wrong and why.

    Arguments as in :func:`grade_function`. A typical "implement it" cell::

        check_function("02.5", my_conv2d, scratch.conv2d, lambda rng: (rng.normal(size=(2, 8, 8, 3)),
                       rng.normal(size=(3, 3, 3, 4))),
                       diagnoses=[("the kernel looks flipped (that is convolution; Keras computes correlation)",
                                   lambda x, k: scratch.conv2d(x, k[::-1, ::-1]))])

    Example:
        >>> def stub(x):
        ...     raise NotImplementedError
        >>> check_function("double it", stub, lambda x: 2 * x, lambda rng: rng.normal(size=3))
        double it: not implemented yet: replace `raise NotImplementedError` with your code and run the cell again.
    """
    print(grade_function(key_or_name, learner_fn, reference_fn, make_inputs, keras_fn, tol, diagnoses, **options)[1])


def pinned_versions(requirements: str | None = None) -> dict[str, str]:
    """Return {package: pinned version} from the repository's requirements.txt (empty if absent)."""
    from pathlib import Path

    path = Path(requirements) if requirements else Path(__file__).resolve().parents[1] / "requirements.txt"
    if not path.is_file():
        return {}
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].split(";", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip().lower()] = version.strip()
    return pins


def environment() -> bool:
    """Print Python and the key packages with the versions the course pins; return True if all match.

    Usage: ``course_utils.checks.environment()`` prints one line per package, ``ok`` or what differs.
    """
    import platform
    from importlib import metadata

    pins = pinned_versions()
    rows = [("python", platform.python_version(), "3.11", platform.python_version().startswith("3.11"))]
    for package in ("tensorflow", "keras", "numpy", "matplotlib", "ipywidgets", "scikit-image"):
        try:
            installed = metadata.version(package)
        except metadata.PackageNotFoundError:
            installed = metadata.version(package + "-cpu") if package == "tensorflow" else "missing"
        pinned = pins.get(package) or pins.get(package + "-cpu", "")
        rows.append((package, installed, pinned or "-", not pinned or installed == pinned))
    print(f"{'package':<14}{'installed':<12}{'pinned':<10}status")
    for name, installed, pinned, ok in rows:
        print(f"{name:<14}{installed:<12}{pinned:<10}{'ok' if ok else 'DIFFERENT: run make install (see README)'}")
    return all(ok for *_, ok in rows)
