"""The profiles made for a GPU: gpu's time plan (every notebook within about 10 minutes), full's estimate, the GPU check.

No GPU here: the plan and the estimate run on the CPU with a fake clock, the GPU check with two steps.
"""

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
from training_fakes import FakeClock, Tick, tiny_dataset, tiny_model

from course_utils import device_check, profiles, session, settings, training

ROOT = Path(__file__).resolve().parents[1]
# the calls that train: each is one run of profiles.TRAINING_RUNS (model.fit in appendix A1's timings is timing)
TRAINING_CALL = re.compile(r"\b(?:training\.fit|fit_or_reuse|train_and_record)\(")










def _code(notebook: str) -> str:
    cells = json.loads((ROOT / "notebooks" / f"{notebook}.ipynb").read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def test_gpu_is_the_default_on_a_gpu_and_full_is_never_a_default():
    assert session._default_profile(None, gpus=["GPU:0"]) == "gpu"
    assert session._default_profile(None, gpus=[]) == "classroom"
    assert session._default_profile("full", gpus=["GPU:0"]) == "full"
    assert settings.PROFILES == ("smoke", "classroom", "gpu", "full")


@pytest.mark.parametrize("notebook", sorted(profiles.TRAINING_RUNS))
def test_every_notebook_trains_within_about_ten_minutes_in_the_gpu_profile(notebook):
    runs = profiles.TRAINING_RUNS[notebook](profiles.params(notebook, "gpu"))
    cap = profiles.RUN_SECONDS["gpu"]
    assert all(s is None or s <= 0.8 * cap for s in runs), "a planned run must end well before the cap stops it"
    minutes = sum(cap if s is None else s for s in runs) / 60
    assert minutes <= 9, f"{notebook}: {minutes:.1f} min of training leaves no room for the rest under 10 min"
    note = profiles.plan_note(notebook, "gpu")
    assert f"{len(runs)} training run" in note and f"about {math.ceil(minutes)} min" in note


def test_the_plan_lists_every_notebook_that_trains_and_at_least_its_training_calls():
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    calls = {nb: len(TRAINING_CALL.findall(_code(nb))) for nb in notebooks}
    assert {nb for nb, n in calls.items() if n} == set(profiles.TRAINING_RUNS)
    for notebook, runs in profiles.TRAINING_RUNS.items():
        for profile in ("smoke", "gpu"):  # a call in a loop runs once per item: never fewer runs than calls
            assert len(runs(profiles.params(notebook, profile))) >= calls[notebook], notebook


def test_plan_note_follows_course_time_budget_and_says_nothing_in_classroom():
    assert "stopped by 30 s at the latest" in profiles.plan_note("06_lenet5", "gpu", run_seconds=30)
    assert profiles.plan_note("06_lenet5", "classroom") is None and profiles.plan_note("03_padding_and_stride", "gpu") is None
    assert "first 20 steps" in profiles.plan_note("08_vgg16", "full")


def test_the_gpu_session_budget_is_its_plan_unless_course_time_budget_says_otherwise(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_PROFILE", "gpu")
    run = session.from_settings()
    assert run.time_budget == profiles.RUN_SECONDS["gpu"] and run.budget_is_planned
    session.params("11_inception")
    assert "time plan (gpu profile): 2 training runs" in capsys.readouterr().out
    monkeypatch.setenv("COURSE_TIME_BUDGET", "12")
    run = session.from_settings()
    assert run.time_budget == 12.0 and not run.budget_is_planned
    monkeypatch.setenv("COURSE_PROFILE", "classroom")
    assert session.from_settings().time_budget == 12.0
    monkeypatch.delenv("COURSE_TIME_BUDGET")
    assert session.from_settings().time_budget is None


def test_a_run_ended_by_the_gpu_plan_says_so_once_and_is_cached(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("COURSE_PROFILE", "gpu")
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    monkeypatch.setitem(profiles.RUN_SECONDS, "gpu", 5.5)
    clock = FakeClock()
    monkeypatch.setattr(training, "time", clock)
    # 4 batches of 1 s: epoch 1 ends at 4 s, a second would end at 8 s > 5.5 s
    run = training.fit_or_reuse("tiny", tiny_model(), tiny_dataset(), 10, callbacks=[Tick(clock)], verbose=0,
                                dataset="demo", data_source="real file", train_size=32)
    out = capsys.readouterr().out
    assert run.stop_reason == "time budget" and run.epochs == 1 and run.budget_by_design
    assert "ended by the gpu profile's time plan (5.5 s per run) after 1 of 10 epochs" in out and "CUT SHORT" not in out
    again = training.fit_or_reuse("tiny", tiny_model(), tiny_dataset(), 10, retrain=False, callbacks=[Tick(clock)], verbose=0,
                                  dataset="demo", data_source="real file", train_size=32)
    assert again.from_cache, "a run ended by the profile's plan is complete for the warm-start cache"


@pytest.mark.parametrize("timed_steps", [2, 6])  # 6: the timing runs on into the second epoch (4 steps each)
def test_the_full_profile_prints_its_estimate_from_the_first_steps(monkeypatch, capsys, timed_steps):
    monkeypatch.setenv("COURSE_PROFILE", "full")
    monkeypatch.setitem(profiles.ESTIMATE_STEPS, "full", timed_steps)
    clock = FakeClock()
    monkeypatch.setattr(training, "time", clock)
    training.fit(tiny_model(), tiny_dataset(), epochs=30, callbacks=[Tick(clock)], verbose=0)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("estimate")]
    # timed steps of 1 s each after the first: 1 s per step x 4 steps x 30 epochs = 120 s
    assert lines == ["estimate on this device: 1.000 s per step x 4 steps x 30 epoch(s) = 2 min of training steps "
                     "(validation aside); press stop to end it early, keeping the best weights"]


@pytest.mark.parametrize("profile", ["smoke", "classroom", "gpu", "full"])
def test_the_gpu_check_lists_a_network_for_every_training_notebook(profile):
    for notebook in device_check.TRAINING_NOTEBOOKS:
        nets = device_check.networks(notebook, profile)
        assert nets and len({n.model for n in nets}) == len(nets)
        assert all(n.batch_size == profiles.params(notebook, profile).batch_size for n in nets)
    assert [n.model for n in device_check.networks("11_inception", "full")] == ["googlenet"]
    with pytest.raises(ValueError, match="training notebooks: 06_lenet5"):
        device_check.networks("03_padding_and_stride", profile)


def test_the_gpu_check_times_real_steps_and_records_them(results_dir, capsys):
    checks = device_check.check_networks("smoke", steps=2, notebooks=("06_lenet5",), batch_size=4)
    assert [c.model for c in checks] == ["lenet5_modern", "lenet5_classic"]
    assert all(c.step_seconds > 0 and c.images_per_second == pytest.approx(4 / c.step_seconds) for c in checks)
    assert all(c.peak_device_mib is None and c.input_shape == (32, 32, 1) for c in checks)  # no GPU here
    recorded = json.loads((results_dir / "smoke" / "benchmarks" / "gpu_check.json").read_text())
    assert recorded["machine"] == "CPU" and recorded["steps"] == 2 and len(recorded["networks"]) == 2
    assert "lenet5_classic" in capsys.readouterr().out


def test_the_gpu_check_script_refuses_a_machine_without_a_gpu(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "COURSE_RESULTS_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "gpu_check.py"), "--steps", "1"], env=env,
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 2 and "sees no GPU here" in done.stderr and "--allow-cpu" in done.stderr
    assert not list(tmp_path.rglob("gpu_check.json"))


def test_the_readme_profile_table_lists_every_profile_with_the_figures_of_the_time_plan():
    rows = profiles.markdown_table().splitlines()[2:]
    assert [row.split("`")[1] for row in rows] == list(settings.PROFILES)
    assert f"first {profiles.ESTIMATE_STEPS['full']} steps" in rows[-1]
    assert f"{profiles.RUN_SECONDS['gpu']:g} s at the latest" in rows[2]
