"""Settings are read in one place and checked; the session carries them to every module that needs them."""

import ast
import os
from pathlib import Path

import pytest

import course_utils
from course_utils import data, folders, results, session, settings, warm_start

PACKAGE = Path(course_utils.__file__).parent


def test_every_setting_is_parsed(tmp_path):
    s = settings.read({
        "COURSE_PROFILE": " Classroom ", "COURSE_DATA_DIR": str(tmp_path), "COURSE_OFFLINE": "1",
        "COURSE_RETRAIN": "no", "COURSE_TIME_BUDGET": "12.5", "COURSE_CACHE_DIR": str(tmp_path / "c"),
        "COURSE_RESULTS_DIR": str(tmp_path / "r"), "COURSE_PROGRESS_FILE": str(tmp_path / "p.json"),
        "COURSE_PROGRESS": "0", "COURSE_DEBUG": "yes", "KERAS_HOME": str(tmp_path / "k"), "HOME": "/home/ada",
    })
    assert (s.profile, s.data_dir, s.offline, s.retrain, s.time_budget) == ("classroom", tmp_path, True, False, 12.5)
    assert (s.cache_dir, s.results_dir, s.progress_file) == (tmp_path / "c", tmp_path / "r", tmp_path / "p.json")
    assert (s.progress, s.progress_file_set, s.debug, s.keras_datasets) == (False, True, True, tmp_path / "k" / "datasets")


def test_defaults_come_from_the_user_folders_never_the_repository():
    s = settings.read({"HOME": "/home/ada", "XDG_DATA_HOME": "/xdg/data"})
    assert s.profile is None and s.data_dir is None and s.time_budget is None
    assert (s.offline, s.retrain, s.progress, s.debug) == (False, True, None, False)
    assert s.cache_dir == Path("/home/ada/.cache/cnn-classics")
    assert s.progress_file == Path("/xdg/data/cnn-classics/progress.json")
    assert s.keras_home == Path("/home/ada/.keras")
    assert s.results_dir == settings.default_results_dir()


@pytest.mark.parametrize("name", ["COURSE_PROFLE", "COURSE_DATADIR", "COURSE_TIMEBUDGET"])
def test_a_misspelled_variable_is_an_error_that_lists_the_valid_ones(name):
    with pytest.raises(settings.SettingsError) as error:
        settings.read({name: "1"})
    message = str(error.value)
    assert message.startswith(f"{name} is not a setting of the course (a typo?)")
    assert all(v in message for v in settings.NAMES)


@pytest.mark.parametrize(("name", "value", "says"), [
    ("COURSE_PROFILE", "fast", "is not a profile; use one of smoke, classroom, gpu, full"),
    ("COURSE_TIME_BUDGET", "ten", "is not a positive number of seconds"),
    ("COURSE_TIME_BUDGET", "-5", "is not a positive number of seconds"),
    ("COURSE_TIME_BUDGET", "inf", "is not a positive number of seconds"),
    ("COURSE_RETRAIN", "maybe", "use 1 or 0"),
    ("COURSE_OFFLINE", "2", "use 1 or 0"),
    ("COURSE_DATA_DIR", "/nonexistent/folder", "is not a folder"),
])
def test_a_bad_value_names_the_variable_and_what_it_accepts(name, value, says):
    with pytest.raises(settings.SettingsError, match=says) as error:
        settings.read({name: value})
    assert str(error.value).startswith(f"{name}={value!r}")


def test_the_readme_lists_every_setting_once():
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    assert settings.markdown_table() in readme, "run `make sync` to regenerate the README's settings table"
    for name in settings.NAMES:
        assert readme.count(f"| `{name}` |") == 1, name


def test_no_module_but_settings_reads_the_environment():
    """`os.environ` / `os.getenv` are read in settings.py only (quiet.py sets TensorFlow's log level, never reads)."""
    readers = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "settings.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            reads_environ = (isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv")
                             and isinstance(node.value, ast.Name) and node.value.id == "os")
            if reads_environ:
                line = ast.get_source_segment(path.read_text(encoding="utf-8"), node)
                readers.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {line}")
    # the one allowed write: quiet.import_tensorflow_quietly sets TF_CPP_MIN_LOG_LEVEL before TensorFlow loads
    writers = [r for r in readers if r.startswith("quiet.py")]
    assert len(writers) == 1 and readers == writers, readers


def test_setup_reads_once_and_later_changes_of_the_environment_do_not_leak_in(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path / "first"))
    monkeypatch.setenv("COURSE_RETRAIN", "0")
    run = session.setup(seed=1, verbose=False)
    assert session.current() is run and run.retrain is False and run.profile == "smoke"
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path / "second"))
    monkeypatch.setenv("COURSE_PROFILE", "classroom")
    assert results.results_dir() == tmp_path / "first" / "smoke"
    assert warm_start.retrain() is False
    assert data.keras_cache_dir() == run.settings.keras_datasets


def test_setup_arguments_override_the_environment(monkeypatch):
    monkeypatch.setenv("COURSE_RETRAIN", "0")
    run = session.setup(seed=0, verbose=False, retrain=True, profile="classroom")
    assert run.retrain is True and run.profile == "classroom"
    assert run.params("06_lenet5").profile == "classroom" and course_utils.params("06_lenet5").profile == "classroom"
    with pytest.raises(settings.SettingsError, match="profile='fast' is not a profile"):
        session.setup(verbose=False, profile="fast")


def test_without_setup_the_session_is_read_from_the_environment_each_time(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path))
    assert results.results_root() == tmp_path
    monkeypatch.setenv("COURSE_TIME_BUDGET", "30")
    assert session.current().time_budget == 30.0
    monkeypatch.setenv("COURSE_PROFLE", "smoke")
    with pytest.raises(settings.SettingsError, match="COURSE_PROFLE is not a setting"):
        session.current()


def test_with_profile_keeps_the_rest_of_the_session():
    run = session.setup(seed=5, verbose=False)
    other = session.with_profile("full")
    assert other.profile == "full" and other.seed == 5 and other.settings == run.settings
    assert other.results_dir.name == "full" and run.results_dir.name == "smoke"


def test_folders_of_the_session(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    run = session.from_settings()
    assert run.weights_dir == tmp_path / "weights" and run.captcha_dir == tmp_path / "captcha"
    assert warm_start.cache_root() == tmp_path / "weights"


def test_show_path_hides_the_machine(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    assert folders.show_path(tmp_path / "cache" / "weights" / "a.h5") == "$COURSE_CACHE_DIR/weights/a.h5"
    assert folders.show_path(tmp_path / "mnist.npz") == "$COURSE_DATA_DIR/mnist.npz"
    assert folders.show_path(folders.REPOSITORY / "results" / "classroom" / "x.json") == "results/classroom/x.json"
    assert folders.show_path(Path.home() / "elsewhere" / "f") == "~/elsewhere/f"
    assert folders.show_path("/opt/x", {"/": Path("/")}) == "/opt/x"  # the root anchors nothing


def test_progress_switch_and_file_come_from_the_session(monkeypatch, tmp_path):
    from course_utils import progress

    monkeypatch.setenv("COURSE_PROGRESS_FILE", str(tmp_path / "p.json"))
    assert progress.progress_path() == tmp_path / "p.json" and progress.recording() is True
    monkeypatch.setenv("COURSE_PROGRESS", "0")
    assert progress.recording() is False
    monkeypatch.delenv("COURSE_PROGRESS_FILE")
    monkeypatch.delenv("COURSE_PROGRESS")
    assert progress.recording() is False  # not in a notebook, no file set: scripts and tests record nothing


def test_the_environment_is_left_as_it_was():
    """Doctests and tests restore what they set: nothing in os.environ names a temporary result folder."""
    assert "COURSE_RESULTS_DIR" not in os.environ


def test_the_package_map_names_every_module():
    """course_utils/__init__.py opens with a map of the package: every module, and nothing that is gone."""
    doc = course_utils.__doc__
    modules = {p.stem for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__")} | {"models", "exercises"}
    named = set(__import__("re").findall(r"``(\w+)``", doc))
    assert modules - named == set(), f"missing from the map: {sorted(modules - named)}"
    assert {n for n in named if (PACKAGE / f"{n}.py").exists() or (PACKAGE / n).is_dir()} == modules
