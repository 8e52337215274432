"""Fixtures shared by the unit tests (the suite-wide set-up is in the repository's conftest.py)."""

import pytest


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
