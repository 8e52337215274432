"""Learner progress (solved exercises in a JSON file outside the repository) and exercise solutions."""

import json
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from course_utils import checks, course, exercises, progress, scratch
from course_utils.exercises import (
    nb02_convolution,
    nb05_flatten_dense_dropout,
    nb06_lenet5,
    nb08_vgg16,
    nb09_vgg_captcha,
    nb11_inception,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def progress_file(monkeypatch, tmp_path):
    path = tmp_path / "data" / "progress.json"
    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(path))
    monkeypatch.delenv("COURSE_PROGRESS", raising=False)
    return path


def test_a_right_answer_is_remembered_a_wrong_one_is_not(progress_file):
    exercises.check("00.1", 50)   # 00.1: notebook 02's learn_steps in the smoke profile, 50 in NOTEBOOK_PARAMS
    exercises.check("00.2", (1, 2))  # wrong
    content = json.loads(progress_file.read_text())
    assert list(content["solved"]) == ["00.1"] and content["version"] == 1


def test_the_first_time_solved_is_kept(progress_file):
    progress_file.parent.mkdir(parents=True)
    progress_file.write_text(json.dumps({"version": 1, "solved": {"00.1": "2026-01-01T00:00:00+00:00"}}))
    exercises.check("00.1", 50)
    assert progress.solved() == {"00.1": "2026-01-01T00:00:00+00:00"}


def test_an_implement_it_checker_records_its_exercise(progress_file):
    ok, _ = checks.grade_function("02.5", scratch.conv2d, scratch.conv2d, nb02_convolution.conv2d_inputs)
    assert ok and set(progress.solved()) == {"02.5"}
    checks.grade_function("my own check", scratch.conv2d, scratch.conv2d, nb02_convolution.conv2d_inputs)
    assert set(progress.solved()) == {"02.5"}  # not an exercise key: nothing to remember


@pytest.mark.parametrize("key, checker, solution", [
    ("05.4", nb05_flatten_dense_dropout.check_dropout, None),
    ("06.5", nb06_lenet5.check_c3_table, lambda table: (lambda: table)),
    ("08.5", nb08_vgg16.check_vgg_block, None),
    ("09.4", nb09_vgg_captcha.check_whole_accuracy, None),
    ("11.5", nb11_inception.check_inception_module, None),
])
def test_every_implement_it_checker_records_a_right_answer_and_only_that(progress_file, capsys, key, checker, solution):
    answer = exercises.exercise(key).answer  # the reference function (06.5: the table, wrapped in a function)
    wrong = lambda *args: (_ for _ in ()).throw(NotImplementedError)  # noqa: E731 (the stub as handed out)
    checker(wrong)
    assert key not in progress.solved() and "not implemented yet" in capsys.readouterr().out
    checker(solution(answer) if solution else answer)
    assert "correct" in capsys.readouterr().out and set(progress.solved()) == {key}


def test_an_unreadable_file_is_set_aside_not_deleted(progress_file, capsys):
    progress_file.parent.mkdir(parents=True)
    progress_file.write_text('{"solved": {"00.1": ')  # cut off mid-write
    assert progress.solved() == {}
    out = capsys.readouterr().out
    assert "could not be read" in out and "(nothing deleted)" in out
    aside = list(progress_file.parent.glob("progress.unreadable-*.json"))
    assert len(aside) == 1 and aside[0].read_text() == '{"solved": {"00.1": '
    exercises.check("00.1", 50)  # progress starts afresh
    assert set(progress.solved()) == {"00.1"}


def test_a_file_of_another_layout_is_set_aside(progress_file, capsys):
    progress_file.parent.mkdir(parents=True)
    progress_file.write_text(json.dumps(["00.1"]))
    assert progress.solved() == {}
    assert 'it is not {"solved"' in capsys.readouterr().out
    assert not progress_file.exists()


def test_nothing_is_written_outside_a_notebook_without_the_variable(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_PROGRESS_FILE")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert progress.progress_path() == tmp_path / "xdg" / "cnn-classics" / "progress.json"
    assert not progress.recording()  # pytest is no IPython kernel
    exercises.check("00.1", 50)
    assert list(tmp_path.rglob("*")) == []


def test_progress_can_be_switched_off(progress_file, monkeypatch):
    monkeypatch.setenv("COURSE_PROGRESS", "0")
    exercises.check("00.1", 50)
    assert not progress_file.exists()


def test_the_table_counts_per_notebook_and_links_each_one():
    table = exercises.progress_table({"06.1": "t", "06.3": "t"})
    lines = table.splitlines()
    # 06 has five exercises, 06.1 to 06.5 (its Exercises section); two are solved
    assert "| [06 LeNet-5, layer by layer](06_lenet5.ipynb) | 2 of 5 | 06.2, 06.4, 06.5 |" in lines
    assert "| [00 Start here](00_start_here.ipynb) | 0 of 2 | 00.1, 00.2 |" in lines
    rows = lines[2:-1]
    assert len(rows) == len(course.present())
    for row in rows:  # every link points at a notebook that exists beside 00_start_here
        target = row.split("](", 1)[1].split(")", 1)[0]
        assert (ROOT / "notebooks" / target).is_file()
    exercises_per_notebook = [int(r.split(" | ")[1].split(" of ")[1]) for r in rows if " of " in r]
    assert lines[-1] == f"| **all notebooks** | **2 of {sum(exercises_per_notebook)}** | |"


# --- solutions and answer forms -------------------------------------------------------------------


def test_every_exercise_belongs_to_a_notebook_of_the_course_map():
    numbers = {nb.stem[:2] for nb in course.NOTEBOOKS}
    assert [k for k in exercises.exercise_keys() if k.split(".")[0] not in numbers] == []


PRESENT = {nb.stem[:2]: nb for nb in course.present()}  # notebooks still being written join when they arrive


@pytest.mark.parametrize("key", [k for k in exercises.exercise_keys() if k.split(".")[0] in PRESENT])
def test_every_exercise_has_a_solution_reachable_from_its_notebook(key, capsys):
    exercises.solution(key)
    printed = capsys.readouterr().out
    assert printed.startswith(f"Solution {key}: ") and len(printed) > len(f"Solution {key}: ") + 20
    notebook = PRESENT[key.split(".")[0]]
    text = (ROOT / "notebooks" / notebook.filename).read_text()
    assert key in text and "course_utils.solution(" in text


def test_a_wrong_answer_points_to_the_solution():
    assert "`course_utils.solution('00.1')`" in exercises.grade("00.1", 49)[1]


@pytest.mark.parametrize("answer", [[784, 3136], np.array([784, 3136]), (np.int64(784), 3136.0),
                                    tf.constant([784, 3136]), np.array([784, 3136], dtype="float32")])
def test_any_form_of_a_pair_is_accepted(answer):
    assert exercises.grade("00.2", answer)[0]  # 00.2: (784, 3136) bytes, worked out in notebook 00


@pytest.mark.parametrize("answer", [50, 50.0, np.int32(50), np.array(50), tf.constant(50)])
def test_any_form_of_a_number_is_accepted(answer):
    assert exercises.grade("00.1", answer)[0]


def test_an_unhashable_wrong_answer_gets_a_message_not_a_crash():
    ok, message = exercises.grade("00.2", {784, 3136})
    assert not ok and "should be a tuple" in message
