"""Every printed solution of an "implement it" exercise runs when pasted into its notebook and passes its checker.

A solution that raises NameError when pasted, or that defines a function of another name than the
notebook's stub, leaves a stuck learner more stuck: this executes each one as a learner would.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import keras
import nbformat
import numpy as np
import pytest

from course_utils import exercises

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
_STARTS = re.compile(r"^\s*(def |from |import |@)")


def _stubs(prefix: str) -> set[str]:
    """Names of the functions a notebook asks learners to implement (a ``def`` that raises NotImplementedError)."""
    (path,) = NOTEBOOKS.glob(f"{prefix}_*.ipynb")
    names = set()
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "code" and "raise NotImplementedError" in cell.source:
            names.update(re.findall(r"^def (\w+)\(", cell.source, re.M))
    return names


def solution_code(text: str) -> str:
    """The code of a printed solution: from its first ``def``/``import`` line to the first line less
    indented than it, or as indented but neither code that opens a block nor an import (the prose after it)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if _STARTS.match(line))
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = len(lines)
    for i in range(start + 1, len(lines)):
        depth = len(lines[i]) - len(lines[i].lstrip())
        if lines[i].strip() and (depth < indent or depth == indent and not _STARTS.match(lines[i])):
            end = i
            break
    return textwrap.dedent("\n".join(lines[start:end])).strip() + "\n"


def _implement_it() -> list[str]:
    exercises.load_all()
    return [key for key in exercises.exercise_keys()
            if callable(exercises.exercise(key).answer) or re.search(r"^\s*def ", exercises.exercise(key).solution, re.M)]


def test_every_notebook_stub_has_an_implement_it_exercise():
    keys = _implement_it()
    assert {"02.5", "03.6", "04.5", "05.4", "06.5", "07.5", "08.5", "11.5"} <= set(keys)


@pytest.mark.parametrize("key", _implement_it())
def test_a_printed_solution_runs_when_pasted_and_passes(key):
    code = solution_code(exercises.exercise(key).solution)
    namespace = {"np": np, "keras": keras}  # what every notebook has imported before its exercises
    exec(compile(code, f"<solution {key}>", "exec"), namespace)  # noqa: S102
    defined = [name for name in re.findall(r"^def (\w+)\(", code, re.M)]
    assert defined, f"solution {key} defines no function:\n{code}"
    stubs = _stubs(key.split(".")[0])
    assert defined[-1] in stubs, f"solution {key} defines {defined[-1]}, the notebook's stub is {sorted(stubs)}"
    ok, message = exercises.grade(key, namespace[defined[-1]])
    assert ok, message
