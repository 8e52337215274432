"""Recorded results: schema fields, runs that are not results kept apart, old files still loading."""

import json
import shutil
from pathlib import Path

import pytest

from course_utils import models, results

REPO_RESULTS = Path(__file__).resolve().parents[1] / "results"

# A schema-1 file as notebook 07 wrote it before schema_version, data_source and interrupted existed.
SCHEMA_1_ALEXNET = {
    "batch_size": 64, "dataset": "cifar10 (real subset)", "device": "CPU (2 cores)", "epochs": 10,
    "extra": {"ten_crop_test_accuracy": 0.532, "validation_size": 500}, "images_per_second": 707.9,
    "keras": "3.15.1", "macs_per_image": 38510592, "model": "alexnet_small", "name": "alexnet_small",
    "parameters": 1158986, "profile": "classroom", "tensorflow": "2.21.0", "test_accuracy": 0.514,
    "test_size": 1000, "train_seconds": 63.57, "train_size": 4500,
}


def _record(name="lenet", **overrides):
    args = dict(model=models.lenet5_modern(), dataset="mnist", train_size=100, test_size=50, epochs=2, batch_size=10,
                test_accuracy=0.5, train_seconds=4.0, data_source="real file", profile="smoke")
    return results.record(name, **{**args, **overrides})


def test_record_and_read_results(results_dir, capsys):
    path = _record()
    entry = json.loads(path.read_text())
    assert path == results_dir / "smoke" / "lenet.json"
    assert entry["parameters"] == 61_706 and entry["images_per_second"] == 50.0 and entry["profile"] == "smoke"
    assert "recorded" in capsys.readouterr().out
    assert list(results.load_results("smoke")) == ["lenet"]
    assert "| lenet | mnist (100 / 50) | 2 | 50.00 % | 4.0 | 50 | 61,706 |" in results.results_table(
        results.load_results("smoke"))


def test_schema_2_fields(results_dir):
    entry = json.loads(_record(data_source="real subset").read_text())
    assert entry["schema_version"] == 2
    assert (entry["data_source"], entry["interrupted"], entry["stop_reason"], entry["macs_complete"]) == (
        "real subset", False, None, True)


def test_record_input_errors(results_dir):
    with pytest.raises(ValueError, match="fraction"):
        _record(test_accuracy=50)
    with pytest.raises(ValueError, match=r"data_source='cifar10' is not one of 'real file', 'real subset', "
                                         r"'synthetic stand-in'"):
        _record(data_source="cifar10")
    with pytest.raises(ValueError, match="disagree"):
        _record(interrupted=True)
    with pytest.raises(ValueError, match="stop_reason='tired' is not one of"):
        _record(interrupted=True, stop_reason="tired")
    assert not (results_dir / "smoke").exists()


@pytest.mark.parametrize(
    ("overrides", "why"),
    [
        ({"interrupted": True, "stop_reason": "interrupted"}, "training was cut short (interrupted)"),
        ({"interrupted": True, "stop_reason": "time budget"}, "training was cut short (time budget)"),
        ({"data_source": "synthetic stand-in"}, "synthetic stand-in"),
    ],
)
def test_runs_that_are_not_results_are_filed_apart(results_dir, capsys, overrides, why):
    path = _record(**overrides)
    out = capsys.readouterr().out
    assert path == results_dir / "smoke" / "incomplete" / "lenet.json"
    assert out.startswith("NOT RECORDED AS A RESULT") and why in out
    assert not (results_dir / "smoke" / "lenet.json").exists()
    assert results.load_results("smoke") == {}
    assert list(results.load_results("smoke", include_incomplete=True)) == ["incomplete/lenet"]
    assert (results_dir / "smoke" / "incomplete" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_a_cut_short_run_never_replaces_a_result(results_dir):
    _record(test_accuracy=0.9)
    _record(test_accuracy=0.2, interrupted=True, stop_reason="time budget")
    assert results.load_results("smoke")["lenet"]["test_accuracy"] == 0.9


def test_replacing_a_record_is_announced_in_verbose_mode_only(results_dir, capsys, monkeypatch):
    _record(test_accuracy=0.5)
    _record(test_accuracy=0.6)
    assert "replacing" not in capsys.readouterr().out  # one line per record by default
    monkeypatch.setenv("COURSE_VERBOSE", "1")
    _record(test_accuracy=0.5)
    _record(test_accuracy=0.75)
    lines = capsys.readouterr().out.splitlines()
    assert lines[2] == "replacing the earlier record $COURSE_RESULTS_DIR/smoke/lenet.json (test accuracy 50.00 % -> 75.00 %)"
    assert results.load_results("smoke")["lenet"]["test_accuracy"] == 0.75


def test_schema_1_files_still_load_and_show_as_before(results_dir):
    folder = results_dir / "classroom"
    folder.mkdir(parents=True)
    (folder / "alexnet_small.json").write_text(json.dumps(SCHEMA_1_ALEXNET))
    loaded = results.load_results("classroom")
    assert loaded == {"alexnet_small": SCHEMA_1_ALEXNET}
    row = "| alexnet_small | cifar10 (real subset) (4,500 / 1,000) | 10 | 51.40 % | 63.6 | 708 | 1,158,986 | 38,510,592 |"
    assert row in results.results_table(loaded)
    # the same run in schema 2 (dataset and data source apart) gives the same README row
    new = {**SCHEMA_1_ALEXNET, "dataset": "cifar10", "data_source": "real subset", "schema_version": 2,
           "interrupted": False, "stop_reason": None, "macs_complete": True}
    assert row in results.results_table({"alexnet_small": new})


def test_the_committed_classroom_results_load(results_dir):
    shutil.copytree(REPO_RESULTS / "classroom", results_dir / "classroom")
    names = {p.stem for p in (results_dir / "classroom").glob("*.json")} - {"notebook_times"}
    loaded = results.load_results("classroom")
    assert set(loaded) == names and names
    assert results.results_table(loaded).count("\n") == len(names) + 1


def test_unknown_macs_show_as_a_lower_bound():
    entry = {**SCHEMA_1_ALEXNET, "macs_complete": False}
    assert "| at least 38,510,592 |" in results.results_table({"x": entry})


def test_time_text(results_dir):
    assert "not recorded yet" in results.time_text("00_start_here")
    (results_dir / "classroom").mkdir(parents=True)
    (results_dir / "classroom" / "notebook_times.json").write_text(json.dumps({"00_start_here": {"seconds": 150}}))
    assert results.time_text("00_start_here").startswith("Time: about 2 min")
    # below two minutes in seconds (issue 10: an 8 s run read "about 1 min"), rounded to 5 s
    for seconds, shown in ((8.0, "10 s"), (2.0, "5 s"), (88.1, "90 s"), (119.0, "120 s"), (200, "3 min")):
        (results_dir / "classroom" / "notebook_times.json").write_text(json.dumps({"00_start_here": {"seconds": seconds}}))
        assert results.time_text("00_start_here").startswith(f"Time: about {shown} to run"), seconds


def test_load_results_reads_only_training_runs(results_dir):
    folder = results_dir / "classroom"
    (folder / "benchmarks").mkdir(parents=True)
    (folder / "benchmarks" / "data.json").write_text(json.dumps({"cpus": 2}))
    (folder / "notebook_times.json").write_text(json.dumps({"00_start_here": {"seconds": 1}}))
    assert results.load_results("classroom") == {}


def test_record_benchmark_is_never_read_as_a_training_run(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path))
    path = results.record_benchmark("lenet", {"speedup": 1.14, "machine": {"cores": 2}}, profile="classroom")
    assert path == tmp_path / "classroom" / "benchmarks" / "lenet.json"
    assert json.loads(path.read_text()) == {"machine": {"cores": 2}, "speedup": 1.14}
    assert results.load_results("classroom") == {}


def test_a_pip_install_reads_the_shipped_results_until_it_records_its_own(results_dir, tmp_path, monkeypatch):
    shipped = tmp_path / "recorded"  # what a wheel holds as course_utils/recorded (pyproject.toml maps results/)
    shutil.copytree(REPO_RESULTS / "classroom", shipped / "classroom")
    monkeypatch.setattr(results, "SHIPPED", shipped)
    assert not (results_dir / "classroom").exists()  # the session's own folder is empty
    committed = json.loads((REPO_RESULTS / "classroom" / "notebook_times.json").read_text())
    assert results.notebook_times("classroom") == {k: float(v["seconds"]) for k, v in committed.items()}
    assert set(results.load_results("classroom")) == {p.stem for p in (REPO_RESULTS / "classroom").glob("*.json")} - {
        "notebook_times"}
    assert set(results.load_benchmarks("classroom")) == {p.stem for p in (REPO_RESULTS / "classroom" / "benchmarks").glob("*.json")}
    own = _record("lenet5_modern", profile="classroom")  # a run of the learner's own replaces the shipped one
    assert results.recorded_files("classroom")["lenet5_modern.json"] == own
    assert results.load_results("classroom")["lenet5_modern"]["train_size"] == 100


def test_pyproject_ships_every_package_and_every_results_folder():
    import subprocess
    import tomllib

    root = REPO_RESULTS.parent
    setuptools = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = set(setuptools["packages"])
    code = {".".join(p.parent.relative_to(root).parts) for p in (root / "course_utils").rglob("__init__.py")}
    tracked = subprocess.run(["git", "ls-files", "results"], cwd=root, capture_output=True, text=True, check=True).stdout
    folders = {"course_utils.recorded." + ".".join(Path(f).parent.relative_to("results").parts) for f in tracked.split()}
    assert setuptools["package-dir"] == {"course_utils.recorded": "results"}
    assert code | folders | {"course_utils.recorded"} == packages, "list these in pyproject.toml [tool.setuptools]"
    assert all(setuptools["package-data"].get(folder) == ["*.json"] for folder in folders)
