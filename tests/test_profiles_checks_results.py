import numpy as np
import pytest

import course_utils
from course_utils import checks, exercises, profiles, session


def test_profile_from_environment(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "Classroom")
    assert session.current().profile == "classroom"
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    with pytest.raises(ValueError, match="COURSE_PROFILE='fast' is not a profile"):
        _ = session.current().profile


def test_default_profile_follows_the_gpu_list(monkeypatch):
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    monkeypatch.setattr(session, "_gpus", lambda: [])
    assert session.current().profile == "classroom"
    monkeypatch.setattr(session, "_gpus", lambda: ["GPU:0"])
    assert session.current().profile == "gpu"


def test_every_notebook_has_every_profile():
    for notebook, table in profiles.NOTEBOOK_PARAMS.items():
        assert set(table) <= {"base", *profiles.PROFILES}, notebook
        keys = {tuple(sorted(vars(profiles.params(notebook, p)))) for p in profiles.PROFILES}
        assert len(keys) == 1, f"{notebook}: profiles define different parameters"


def test_params_errors():
    with pytest.raises(ValueError, match="no parameters for notebook"):
        profiles.params("99_nothing", "smoke")
    assert profiles.params("00_start_here", "smoke").profile == "smoke"


def test_setup_banner_and_strategy(capsys, monkeypatch):
    monkeypatch.setattr(session, "_gpus", lambda: [])  # the CPU path, whatever this machine has
    monkeypatch.setattr(session.shutil, "which", lambda name: None)  # no NVIDIA driver: no extra note
    run = session.setup(seed=3)
    banner = capsys.readouterr().out.strip()
    assert banner.startswith("course_utils | profile: smoke | device: CPU | TensorFlow ")
    assert banner.endswith("seed: 3") and run.mixed_precision is False
    assert run.strategy.num_replicas_in_sync == 1
    a = np.random.rand()
    session.setup(seed=3, verbose=False)
    assert np.random.rand() == a


def test_check_close_and_equal(capsys):
    checks.check_close("same", np.ones(3), np.ones(3) + 1e-9)
    assert capsys.readouterr().out.startswith("PASS: same: max |diff| = 1.0e-09")
    with pytest.raises(AssertionError, match="exceeds the tolerance"):
        checks.check_close("off", np.ones(3), np.zeros(3))
    with pytest.raises(AssertionError, match="shape"):
        checks.check_close("shape", np.ones(3), np.ones(4))
    checks.check_equal("params", 61706, 61706)
    assert capsys.readouterr().out == "PASS: params = 61,706\n"
    with pytest.raises(AssertionError, match="got 1, expected 2"):
        checks.check_equal("n", 1, 2)


def test_rel_error_magnitudes():
    assert checks.rel_error(1.0, 1.0) == 0.0
    assert checks.rel_error(np.array([1.0]), np.array([1.1])) == pytest.approx(0.1 / 2.1)


def test_grade_explains_mistakes():
    assert exercises.grade("00.1", profiles.NOTEBOOK_PARAMS["02_convolution"]["smoke"]["learn_steps"])[0]
    ok, message = exercises.grade("00.1", profiles.NOTEBOOK_PARAMS["02_convolution"]["full"]["learn_steps"])
    assert not ok and "the full profile's value" in message
    ok, message = exercises.grade("00.2", [784, 784])
    assert not ok and "4 bytes" in message
    ok, message = exercises.grade("00.2", 784)
    assert not ok and "should be a tuple" in message
    ok, message = exercises.grade("00.2", (1, 2))
    assert not ok and "solution('00.2')" in message
    with pytest.raises(KeyError, match="no exercise"):
        exercises.grade("99.9", 1)


def test_public_names():
    for name in course_utils.__all__:
        assert hasattr(course_utils, name)
