"""Shared test set-up: quiet TensorFlow, an isolated Keras cache, smoke profile by default."""

import atexit
import os
import shutil
import tempfile

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("COURSE_PROFILE", "smoke")
# The suite never writes to the user's folders: warm-start weights and learner progress go to a
# temporary folder for the whole session (tests that look at them set their own with monkeypatch).
_SANDBOX = tempfile.mkdtemp(prefix="course-utils-tests-")
os.environ["COURSE_CACHE_DIR"] = os.path.join(_SANDBOX, "weights-cache")
os.environ["COURSE_PROGRESS_FILE"] = os.path.join(_SANDBOX, "progress.json")
atexit.register(shutil.rmtree, _SANDBOX, ignore_errors=True)

import course_utils  # noqa: E402,F401  (imports TensorFlow quietly, once)


@pytest.fixture
def no_data(monkeypatch, tmp_path):
    """No data directory and an empty Keras cache: nothing on disk to load."""
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    return tmp_path


@pytest.fixture
def results_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path / "results"))
    return tmp_path / "results"
