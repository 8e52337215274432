"""The course's exercises: their registry, the answer checker, and one module per notebook.

An answer exercise (``check("03.2", 55)``) is an :class:`Exercise`: question, expected answer, worked
solution and diagnoses of typical wrong answers. Each notebook's exercises live in a module of this
package: ``nb03_padding_and_stride`` holds ``03.1``, ``03.2``, ... (an appendix such as
``A1_fast_training_on_a_cpu`` has ``nbA1_fast_training_on_a_cpu`` with ``A1.1``, ...), defines a tuple
``EXERCISES`` and registers it. :func:`exercise` imports the module of a key's notebook on first use;
re-importing a module (``importlib.reload``, IPython's autoreload) replaces its exercises. A new
notebook ``NN_topic`` adds ``nbNN_topic.py`` here; nothing else changes. A right answer is written down
in the learner's progress file (:mod:`course_utils.progress`); :func:`show_progress` shows it per notebook.

"Implement it" checkers (a learner's function against a reference) live in :mod:`course_utils.checks`,
which the notebook modules use; this package never imports them, so there is no cycle.

Example:
    >>> check("00.2", (784, 3136))
    Exercise 00.2: correct ((784, 3136)).
    >>> module_name("03.2")
    'course_utils.exercises.nb03_padding_and_stride'
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from .. import course, progress
from ..folders import show_path
from ..registries import Registry
from ..tables import format_value

_KEY_PATTERN = re.compile(r"[0-9A-Z]\d\.\d+")  # 03.2, or A1.1 in an appendix


def is_exercise_key(text: str) -> bool:
    """Return True when ``text`` has the form of an exercise key (``03.2``, ``A1.1``).

    Example:
        >>> is_exercise_key("03.2"), is_exercise_key("A1.1"), is_exercise_key("double it")
        (True, True, False)
    """
    return _KEY_PATTERN.fullmatch(text) is not None


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
    if key not in _REGISTRY:
        load(key)
    if key not in _REGISTRY:
        load_all()
        raise KeyError(f"no exercise {key!r}; known: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[key]


def exercise_keys() -> list[str]:
    """Return the key of every exercise of the course, in notebook order (importing every exercise module).

    Example:
        >>> exercise_keys()[:3]
        ['00.1', '00.2', '01.1']
    """
    load_all()
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
    if callable(ex.answer) and answer is ex.answer:
        where = f"{getattr(answer, '__module__', 'course_utils')}.{getattr(answer, '__qualname__', answer)}"
        return False, (f"Exercise {key}: that is the course's own reference `{where}`, the function your answer is "
                       "checked against: write your own function and pass it.")
    given = _normalise(answer)
    expected = _normalise(ex.answer)
    right = ex.compare(given, expected) if ex.compare else given == expected
    if right:
        note_solved(key)
        return True, f"Exercise {key}: correct ({format_value(answer)})."
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
        f"Exercise {key}: not yet: {format_value(answer)} is not it. {hint} "
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
    if key in _REGISTRY or (is_exercise_key(key) and _registered(key)):
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


def solution_pointer(key: str) -> str:
    """Return the pointer to a worked solution, when ``key`` names a registered exercise (else "").

    Example:
        >>> solution_pointer("03.2"), solution_pointer("my check")
        (" (Stuck? `course_utils.solution('03.2')` shows a worked solution.)", '')
    """
    if not is_exercise_key(key):
        return ""
    try:
        exercise(key)
    except KeyError:
        return ""
    return f" (Stuck? `course_utils.solution({key!r})` shows a worked solution.)"



# --- one module per notebook ---------------------------------------------------------------------

_MODULE = re.compile(r"nb([0-9A-Z]\d)_\w+")  # nb03_padding_and_stride, nbA1_fast_training_on_a_cpu


def _modules() -> dict[str, str]:
    """Return {notebook number ('03', 'A1'): module name} for every ``nbNN_*`` module in this package."""
    found = {}
    for module in pkgutil.iter_modules(__path__):
        match = _MODULE.fullmatch(module.name)
        if match:
            found[match.group(1)] = f"{__name__}.{module.name}"
    return found


def module_name(key: str) -> str | None:
    """Return the module that defines exercise ``key`` (``'03.2'`` -> ``...nb03_...``), None if no notebook has it."""
    return _modules().get(key.split(".", 1)[0])


def load(key: str) -> ModuleType | None:
    """Import the module of exercise ``key``'s notebook (registering its exercises); None if there is none.

    Raises ValueError when the module defines a key of another notebook (``04.1`` in ``nb03_...``).
    """
    name = module_name(key)
    if name is None:
        return None
    module = importlib.import_module(name)
    prefix = name.rsplit(".", 1)[1][2:4] + "."
    strays = [ex.key for ex in module.EXERCISES if not ex.key.startswith(prefix)]
    if strays:
        raise ValueError(f"{name} defines {', '.join(strays)}: its keys must start with {prefix!r}; move them")
    register(*module.EXERCISES, origin=name)  # again: the registry may have been reloaded since the import
    return module


def load_all() -> list[ModuleType]:
    """Import every notebook's exercise module; return them in notebook order."""
    return [load(number + ".1") for number in sorted(_modules())]


# --- the learner's progress, per notebook -------------------------------------------------------


@dataclass(frozen=True)
class NotebookProgress:
    """One notebook's exercises: which the learner has solved, which are still open."""

    stem: str
    title: str
    solved: tuple[str, ...]
    open: tuple[str, ...]

    @property
    def link(self) -> str:
        """A Markdown link to the notebook, relative to the ``notebooks/`` folder."""
        return f"[{self.stem[:2]} {self.title}]({self.stem}.ipynb)"


def progress_by_notebook(solved_keys: dict[str, str] | None = None) -> list[NotebookProgress]:
    """Return the progress of every notebook present, in course order.

    ``solved_keys`` defaults to :func:`course_utils.progress.solved`; an exercise belongs to the
    notebook whose number starts its key (``06.3`` to ``06_lenet5``, ``A1.2`` to ``A1_fast_training_on_a_cpu``).

    Example:
        >>> rows = {row.stem: row for row in progress_by_notebook({"06.1": "2026-01-01T00:00:00+00:00"})}
        >>> rows["06_lenet5"].solved, rows["06_lenet5"].open[:2]
        (('06.1',), ('06.2', '06.3'))
    """
    done = progress.solved() if solved_keys is None else solved_keys
    keys = exercise_keys()
    rows = []
    for notebook in course.present():
        mine = [k for k in keys if k.split(".", 1)[0] == notebook.stem[:2]]
        rows.append(NotebookProgress(notebook.stem, notebook.title, tuple(k for k in mine if k in done),
                                     tuple(k for k in mine if k not in done)))
    return rows


def progress_table(solved_keys: dict[str, str] | None = None) -> str:
    """Return a Markdown table: per notebook, a link, exercises solved of all, and those still open.

    Example:
        >>> print(progress_table({"00.1": "2026-01-01T00:00:00+00:00"}).splitlines()[2])
        | [00 Start here](00_start_here.ipynb) | 1 of 2 | 00.2 |
    """
    rows = progress_by_notebook(solved_keys)
    lines = ["| notebook | solved | still open |", "|---|---:|---|"]
    for row in rows:
        total = len(row.solved) + len(row.open)
        count = f"{len(row.solved)} of {total}" if total else "no exercises"
        lines.append(f"| {row.link} | {count} | {', '.join(row.open) if row.open else '-'} |")
    done = sum(len(r.solved) for r in rows)
    everything = sum(len(r.solved) + len(r.open) for r in rows)
    lines.append(f"| **all notebooks** | **{done} of {everything}** | |")
    return "\n".join(lines)


def show_progress() -> None:
    """Display the progress table (Markdown in a notebook, text elsewhere) and where progress is kept."""
    table = progress_table()
    note = (f"Progress is kept in `{show_path(progress.progress_path())}` (outside the course folder); "
            "checkers add to it when an answer is right.")
    try:
        from IPython import get_ipython  # IPython is optional: plain text outside a notebook
        from IPython.display import Markdown, display
    except ImportError:
        print(table + "\n" + note)
        return
    if get_ipython() is None:
        print(table + "\n" + note)
    else:
        display(Markdown(table + "\n\n" + note))
