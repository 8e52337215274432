"""Numeric checks that print a PASS line, and exercise checkers that say what is wrong.

Checks follow cs231n's habit: compare against a reference and state the error you expect.

Example:
    >>> check_close("from-scratch sum", 1.0 + 1e-8, 1.0, atol=1e-6)
    PASS: from-scratch sum: max |diff| = 1.0e-08 (tolerance 1e-06)
    >>> check_equal("C1 parameters", 156, 156)
    PASS: C1 parameters = 156
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


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


_REGISTRY: dict[str, Exercise] = {}


def register(*exercises: Exercise) -> None:
    """Add exercises to the registry used by :func:`check` (keys like ``'03.2'``)."""
    for ex in exercises:
        if ex.key in _REGISTRY and _REGISTRY[ex.key] != ex:
            raise ValueError(f"exercise key {ex.key!r} is registered twice with different content")
        _REGISTRY[ex.key] = ex


def exercise(key: str) -> Exercise:
    """Return the registered exercise ``key`` (e.g. ``'03.1'``)."""
    from . import exercises  # noqa: F401  (registers every notebook's exercises)

    if key not in _REGISTRY:
        raise KeyError(f"no exercise {key!r}; known: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[key]


def _normalise(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return tuple(value.tolist())
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
        return True, f"Exercise {key}: correct ({_show(answer)})."
    numbers = isinstance(given, (int, float)) and isinstance(expected, (int, float))
    if type(given) is not type(expected) and not numbers:
        return False, (
            f"Exercise {key}: not yet: the answer should be a {type(expected).__name__} "
            f"(like {_example(expected)}), you gave a {type(given).__name__}."
        )
    hint = ex.mistakes.get(given) or ex.hint or "recompute it step by step."
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
    """Print the worked solution of exercise ``key`` (kept off the screen until asked for)."""
    ex = exercise(key)
    print(f"Solution {key}: {ex.solution}")


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
