"""Test set-up for the whole suite (unit tests, doctests, notebooks): quiet TensorFlow, smoke profile,
a sandbox for every folder the course writes to, and no session carried from one test to the next."""

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

import course_utils  # noqa: E402  (imports TensorFlow quietly, once)


@pytest.fixture(autouse=True)
def _no_session_carried_over():
    """Each test and doctest starts without an active session: a setup() in one does not leak into the next."""
    course_utils.session.install(None)
    yield
    course_utils.session.install(None)
