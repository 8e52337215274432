import json

import numpy as np
import pytest

import course_utils
from course_utils import checks, models, profiles, results


def test_profile_from_environment(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "Classroom")
    assert profiles.profile_name() == "classroom"
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    with pytest.raises(ValueError, match="COURSE_PROFILE='fast' is not a profile"):
        profiles.profile_name()


def test_default_profile_without_gpu(monkeypatch):
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    assert profiles.profile_name() == "classroom"  # no GPU on the test machines


def test_every_notebook_has_every_profile():
    for notebook, table in profiles.NOTEBOOK_PARAMS.items():
        assert set(table) == set(profiles.PROFILES), notebook
        keys = {tuple(sorted(v)) for v in table.values()}
        assert len(keys) == 1, f"{notebook}: profiles define different parameters"


def test_params_errors():
    with pytest.raises(ValueError, match="no parameters for notebook"):
        profiles.params("99_nothing")
    assert profiles.params("00_start_here", "smoke").profile == "smoke"


def test_setup_banner_and_strategy(capsys):
    run = profiles.setup(seed=3)
    banner = capsys.readouterr().out.strip()
    assert banner.startswith("course_utils | profile: smoke | device: CPU | TensorFlow ")
    assert banner.endswith("seed: 3") and run.mixed_precision is False
    assert run.strategy.num_replicas_in_sync == 1
    a = np.random.rand()
    profiles.setup(seed=3, verbose=False)
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
    assert checks.grade("00.1", "classroom")[0]
    ok, message = checks.grade("00.1", "full")
    assert not ok and "needs a GPU" in message
    ok, message = checks.grade("00.2", [784, 784])
    assert not ok and "4 bytes" in message
    ok, message = checks.grade("00.2", 784)
    assert not ok and "should be a tuple" in message
    ok, message = checks.grade("00.2", (1, 2))
    assert not ok and "solution('00.2')" in message
    with pytest.raises(KeyError, match="no exercise"):
        checks.grade("99.9", 1)


def test_record_and_read_results(results_dir, capsys):
    model = models.lenet5_modern()
    path = results.record("lenet", model=model, dataset="mnist", train_size=100, test_size=50, epochs=2,
                          batch_size=10, test_accuracy=0.5, train_seconds=4.0, profile="smoke")
    entry = json.loads(path.read_text())
    assert entry["parameters"] == 61_706 and entry["images_per_second"] == 50.0 and entry["profile"] == "smoke"
    assert "recorded" in capsys.readouterr().out
    assert list(results.load_results("smoke")) == ["lenet"]
    assert "| lenet | mnist (100 / 50) | 2 | 50.00 %" in results.results_table(results.load_results("smoke"))
    with pytest.raises(ValueError, match="fraction"):
        results.record("x", model=model, dataset="mnist", train_size=1, test_size=1, epochs=1,
                       batch_size=1, test_accuracy=50, train_seconds=1.0)


def test_time_text(results_dir):
    assert "not recorded yet" in results.time_text("00_start_here")
    (results_dir / "classroom").mkdir(parents=True)
    (results_dir / "classroom" / "notebook_times.json").write_text(json.dumps({"00_start_here": {"seconds": 150}}))
    assert results.time_text("00_start_here").startswith("Time: about 2 min")


def test_public_names():
    for name in course_utils.__all__:
        assert hasattr(course_utils, name)


def test_load_results_reads_only_training_runs(results_dir):
    folder = results_dir / "classroom"
    (folder / "benchmarks").mkdir(parents=True)
    (folder / "benchmarks" / "data.json").write_text(json.dumps({"cpus": 2}))
    (folder / "notebook_times.json").write_text(json.dumps({"00_start_here": {"seconds": 1}}))
    assert results.load_results("classroom") == {}
