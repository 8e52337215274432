"""The benchmark suite: choosing benchmarks by NAME, ratios, the README tables, peak memory of a notebook run."""

import importlib.util
import json
import os
import resource
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_utils import machine, results

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "scripts"))

import bench_lenet  # noqa: E402
import bench_mini_vgg  # noqa: E402
import bench_models  # noqa: E402
import common  # noqa: E402
import run_notebooks  # noqa: E402
import sync_course  # noqa: E402


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


runner = _load("benchmarks_run", ROOT / "benchmarks" / "run.py")  # "run" alone is too common a module name


# --- choosing benchmarks ---------------------------------------------------------------------------------------------

def test_select_by_name_keeps_the_suite_order_and_each_once():
    assert runner.select("lenet") == ["lenet"]
    assert runner.select("models,lenet") == ["lenet", "models"]
    assert runner.select(["models lenet", "lenet"]) == ["lenet", "models"]


def test_no_name_selects_every_benchmark_whose_file_exists(tmp_path):
    assert runner.select([]) == [n for n, (module, _) in runner.BENCHMARKS.items()
                                 if (ROOT / "benchmarks" / f"{module}.py").is_file()]
    for module in ("bench_data", "bench_models"):
        (tmp_path / f"{module}.py").write_text("")
    assert runner.select(None, folder=tmp_path) == ["data", "models"]


def test_unknown_name_is_an_error_listing_the_names(capsys):
    with pytest.raises(ValueError) as error:
        runner.select("lenet,resnet")
    message = str(error.value)
    assert "resnet" in message
    for name in ("data", "lenet", "alexnet", "models", "mini_vgg"):
        assert name in message
    assert runner.main(["resnet"]) == 2  # make bench NAME=resnet: exit status 2, the names on stderr
    assert "the suite has: data, lenet, alexnet, models, mini_vgg" in capsys.readouterr().err


def test_a_known_benchmark_whose_file_is_missing_says_so(tmp_path):
    (tmp_path / "bench_data.py").write_text("")
    with pytest.raises(ValueError, match=r"benchmarks/bench_mini_vgg\.py does not exist yet; available: data"):
        runner.select("mini_vgg", folder=tmp_path)


def test_run_prints_a_progress_line_per_benchmark(monkeypatch, capsys):
    calls = []
    fake = type(sys)("bench_fake")
    fake.main = lambda: calls.append("fake") or 0
    monkeypatch.setitem(sys.modules, "bench_fake", fake)
    monkeypatch.setitem(runner.BENCHMARKS, "fake", ("bench_fake", "a fake benchmark"))
    seconds = runner.run(["fake", "fake"])
    out = capsys.readouterr().out
    assert calls == ["fake", "fake"] and set(seconds) == {"fake"}
    assert "[1/2] fake: a fake benchmark (started" in out and "[2/2] fake: done in" in out


# --- ratios and rates ------------------------------------------------------------------------------------------------

def test_ratio_against_the_reference_of_the_same_run():
    assert results.ratio(2760.0, 966.0) == 2.857  # the tf.data and generator figures: 2760 / 966 = 2.8571
    assert results.ratio(110.0, 108.0) == 1.019  # the LeNet recipe against the classic-models tutorial's listing
    row = results.summary_row("tf.data", 2760.0, "images/s", "generator", 966.0)
    assert row == {"figure": "tf.data", "value": 2760.0, "unit": "images/s", "reference": "generator",
                   "reference_value": 966.0, "ratio": 2.857}
    for bad in (0, 0.0, -1.0, float("nan"), None):
        with pytest.raises(ValueError, match="reference figure must be a positive number"):
            results.ratio(1.0, bad)


def test_achieved_gflops_counts_six_flops_per_mac():
    # LeNet-5 modern: 416,520 MACs per image (README results table); 1,000 images/s -> 6 * 416,520 * 1,000 FLOP/s
    assert common.achieved_gflops(416_520, 1000.0) == 2.5  # 2.49912 GFLOP/s, rounded to 2 decimals
    assert common.TRAINING_FLOPS_PER_MAC == 6


def test_time_to_accuracy_against_the_article_listing():
    assert bench_lenet.seconds_to_accuracy([20.0, 15.0, 15.0], [0.98, 0.989, 0.9902], 0.99) == 50.0
    assert bench_lenet.seconds_to_accuracy([20.0, 15.0], [0.98, 0.989], 0.99) is None
    seed_never = {"seconds_to_target": None, "train_seconds": 108.0, "epochs": 5, "best_test_accuracy": 0.9853}
    row = bench_lenet.time_to_accuracy_row({"seconds_to_target": 43.2}, seed_never, 0.99)
    assert row["ratio"] == 0.4 and row["reference_value"] == 108.0  # 43.2 / 108 = 0.4: the goal
    assert row["reference"] == "the classic-models tutorial's listing, all 5 epochs (best 98.53 %, never 99.0 %)"
    seed_reached = {**seed_never, "seconds_to_target": 90.0, "best_test_accuracy": 0.9905}
    assert bench_lenet.time_to_accuracy_row({"seconds_to_target": 45.0}, seed_reached, 0.99)["ratio"] == 0.5
    assert bench_lenet.time_to_accuracy_row({"seconds_to_target": None}, seed_never, 0.99) is None


def test_model_case_figures_are_consistent(monkeypatch):
    monkeypatch.setattr(machine, "_matmul_cache", {(64, 0.01, "tensorflow", "float32"): 10.0})  # no timing needed
    monkeypatch.setitem(common.MATMUL_SIDE, "smoke", 64)
    monkeypatch.setitem(common.MATMUL_SECONDS, "smoke", 0.01)
    case = bench_models.Case("lenet", bench_models.models.lenet5_modern, (32, 32, 1), batch_size=8)
    f = bench_models.measure(case, min_seconds=0.01, smoke=True)
    assert (f["parameters"], f["macs_per_image"]) == (61_706, 416_520)  # published in the README results table
    assert f["batch_size"] == bench_models.SMOKE_BATCH
    assert f["achieved_gflops"] == round(6 * 416_520 * f["images_per_second"] / 1e9, 2)
    assert f["fraction_of_matmul"] == round(f["achieved_gflops"] / 10.0, 3)


def test_every_classroom_case_reads_its_notebook_parameters():
    course_cases = [course for course, _ in bench_models.cases()]
    # NOTEBOOK_PARAMS, classroom: 06, 06, 07, 08 (and 10 once mini-VGG is registered)
    assert [c.batch_size for c in course_cases][:4] == [128, 128, 64, 64]
    assert [c.batch_size for c in course_cases][4:] == ([64] if "mini_vgg_v1" in bench_models.models.MODELS else [])
    assert course_cases[2].input_shape == (28, 28, 3)  # notebook 07's crop_size
    assert all(seed.article_listing and seed.steps_per_execution == 1 for _, seed in bench_models.cases() if seed)


# --- the README tables, from fake files --------------------------------------------------------------------------

FAKE_DATA = {
    "date": "2026-11-23", "profile": "classroom",
    "machine": {"cpu": "AMD EPYC", "cores": 2, "matmul_gflops": 123.4, "load_average_1min": 1.5},
    "summary": [{"figure": "tf.data pipeline at 224 px", "value": 2760.0, "unit": "images/s",
                 "reference": "the classic-models tutorial's Python generator", "reference_value": 966.0, "ratio": 2.857}],
}


def test_performance_table_is_generated_from_the_benchmark_files(results_dir):
    folder = results_dir / "classroom" / "benchmarks"
    folder.mkdir(parents=True)
    (folder / "data.json").write_text(json.dumps(FAKE_DATA))
    (folder / "old.json").write_text(json.dumps({"cpus": 2}))  # written before summaries: left out
    expected = ("| data | tf.data pipeline at 224 px | 2,760 images/s | the classic-models tutorial's Python generator: 966 images/s "
                "| 2.86 | AMD EPYC, 2 cores, matmul 123 GFLOP/s, load 1.5, 2026-11-23 |")
    url, slug = sync_course.repository()
    table = sync_course.readme_sections(url, slug)["performance"]
    assert table.splitlines()[2:] == [expected]
    assert table == results.benchmarks_table(results.load_benchmarks("classroom"))


def test_mini_vgg_summary_sets_the_better_recipe_beside_the_article_recipe_of_the_same_run():
    figures = {"epochs": 10, "article_recipe": {"seeds": 3, "test_accuracy_mean": 0.5339, "train_seconds_mean": 207.4},
               "better_recipe": {"seeds": 3, "test_accuracy_mean": 0.5818, "train_seconds_mean": 213.6}}
    accuracy, seconds = bench_mini_vgg.summary_rows(figures)
    assert (accuracy["value"], accuracy["unit"], accuracy["reference_value"]) == (58.18, "%", 53.39)
    assert accuracy["ratio"] == round(58.18 / 53.39, 3) and "mean of 3 seed(s)" in accuracy["figure"]
    assert (seconds["value"], seconds["reference_value"], seconds["ratio"]) == (213.6, 207.4, round(213.6 / 207.4, 3))
    line = results.benchmarks_table({"mini_vgg": {"summary": [accuracy], "machine": {"cpu": "AMD EPYC", "cores": 2},
                                                  "date": "2026-11-23"}}).splitlines()[-1]
    assert line.startswith("| mini_vgg | mini-VGG v1, 10 epochs, notebook 10's better recipe: test accuracy")
    assert "| 58.2 % | Sucky 2023's recipe: 53.4 % | 1.09 |" in line


def test_no_benchmark_recorded_says_how_to_record_one(results_dir):
    url, slug = sync_course.repository()
    assert sync_course.readme_sections(url, slug)["performance"] == "No benchmark recorded yet: run `make bench`."


def test_resources_table_shows_run_time_and_peak_memory_per_profile(results_dir):
    for profile, times in {
        "classroom": {"06_lenet5": {"seconds": 316.2, "cpus": 2, "peak_rss_mib": 1024.0},
                      "07_alexnet": {"seconds": 330.3, "cpus": 2, "peak_rss_mib": 1536.0},
                      "08_vgg16": {"seconds": 424.2, "cpus": 2}},  # recorded before peak memory was
        "smoke": {"07_alexnet": {"seconds": 35.0, "cpus": 2, "peak_rss_mib": 921.6}},
    }.items():
        (results_dir / profile).mkdir(parents=True)
        (results_dir / profile / "notebook_times.json").write_text(json.dumps(times))
    lines = results.resources_table(("classroom", "smoke")).splitlines()
    assert lines[2:] == [
        "| 06_lenet5 | 5 min | 1.00 GiB | - | - |",
        "| 07_alexnet | 6 min | 1.50 GiB | 35 s | 0.90 GiB |",
        "| 08_vgg16 | 7 min | - | - | - |",
        "| all notebooks | 17.8 min in all | at most 1.50 GiB | 0.6 min in all | at most 0.90 GiB |",
    ]  # (316.2 + 330.3 + 424.2) / 60 = 17.85 min; 35 / 60 = 0.58 min


# --- peak memory of a notebook run -----------------------------------------------------------------------------------

def test_peak_rss_is_the_processes_high_water_mark():
    expected = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the OS's own peak, in KiB on Linux
    assert run_notebooks.peak_rss_mib(os.getpid()) == pytest.approx(expected, abs=8)
    assert run_notebooks.peak_rss_mib(2**22 + 12345) is None  # no such process


def test_a_notebook_run_records_the_kernels_peak_memory(tmp_path):
    def notebook(name: str, megabytes: int) -> Path:
        code = f"import numpy as np\nblock = np.ones({megabytes} * 2**20 // 8)  # touched: resident\ndel block"
        path = tmp_path / f"{name}.ipynb"
        nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)]), path)
        return path

    _, small = run_notebooks.execute(notebook("small", 1))
    seconds, large = run_notebooks.execute(notebook("large", 400))
    assert seconds > 0 and small is not None and large is not None
    assert large - small >= 390  # 400 MiB more were resident at once, freed before the run ended
    assert nbformat.read(tmp_path / "large.ipynb", as_version=4).cells[0].execution_count == 1  # outputs stored


def test_growth_report_names_the_cells_where_the_peak_grew(tmp_path, capsys):
    peaks = [(1, 600.0, "import keras"), (3, 620.0, "P = ..."), (5, 610.0, "del model"), (9, 900.0, "model.fit(x)")]
    assert run_notebooks.growth_report(peaks) == [
        "cell 1: peak 600 MiB (+600) import keras",
        "cell 9: peak 900 MiB (+280) model.fit(x)",  # against the highest peak before it (620), not the last (610)
    ]
    assert run_notebooks.growth_report(peaks, threshold_mib=10) == [
        "cell 1: peak 600 MiB (+600) import keras", "cell 3: peak 620 MiB (+20) P = ...",
        "cell 9: peak 900 MiB (+280) model.fit(x)"]

    cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("import numpy as np\nblock = np.ones(300 * 2**20 // 8)")]
    path = tmp_path / "grows.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    run_notebooks.execute(path, show_peaks=True)
    printed = capsys.readouterr().out.splitlines()
    assert printed[-1].startswith("cell 1: peak ") and printed[-1].endswith("import numpy as np")  # the 300 MiB cell


def test_the_lenet_recipes_train_epoch_by_epoch_over_one_schedule():
    """Both recipes of bench_lenet train one epoch per call; the course recipe's schedule spans all of them."""
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 255, (256, 28, 28), dtype=np.uint8), np.arange(256) % 10
    for recipe in (bench_lenet.SeedRecipe(x, y, x[:64], y[:64], epochs=2),
                   bench_lenet.CourseRecipe(x, y, x[:64], y[:64], epochs=2)):
        for _ in range(2):
            seconds, accuracy = recipe.train_one_epoch()
            assert seconds > 0 and 0.0 <= accuracy <= 1.0
    assert int(recipe.model.optimizer.iterations) == 2 * 2  # 256 images / batch 128, two epochs: the whole schedule


def test_the_mini_vgg_better_recipe_trains_epoch_by_epoch_over_one_one_cycle_schedule():
    """bench_mini_vgg trains one epoch per call; the better recipe's one-cycle schedule spans every epoch."""
    import keras

    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 255, (128, 32, 32, 3), dtype=np.uint8), keras.utils.to_categorical(np.arange(128) % 10, 10)
    steps = 2 * 128 // bench_mini_vgg.BATCH_SIZE  # two epochs of two batches
    trainee = bench_mini_vgg.Trainee(bench_mini_vgg.recipes.better_recipe(0.01, steps), 0, x, y)
    for _ in range(2):
        trainee.train_one_epoch()
    assert int(trainee.model.optimizer.iterations) == steps and len(trainee.history["accuracy"]) == 2


def test_the_lenet_peak_is_chosen_on_a_validation_split_and_the_median_run_is_kept(monkeypatch):
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 255, (320, 28, 28), dtype=np.uint8), np.arange(320) % 10
    seen = []
    real = bench_lenet.CourseRecipe

    def spy(x_fit, y_fit, x_val, y_val, epochs, peak, **kwargs):
        seen.append((len(x_fit), len(x_val), peak))
        return real(x_fit, y_fit, x_val, y_val, epochs, peak, **kwargs)

    monkeypatch.setattr(bench_lenet, "CourseRecipe", spy)
    peak, candidates = bench_lenet.choose_peak(x, y, epochs=1, validation_size=64)
    assert seen == [(256, 64, p) for p in bench_lenet.CANDIDATE_PEAKS]  # the held-out images only, never a test set
    assert peak in bench_lenet.CANDIDATE_PEAKS and len(candidates) == 3
    best = max(candidates, key=lambda c: c["validation_accuracy"][-1])  # nobody reaches 99 % on noise: the best last
    assert peak == best["peak_learning_rate"]
    runs = [{"run": 1, "ratio": 0.31}, {"run": 2, "ratio": 0.26}, {"run": 3, "ratio": 0.28}]
    assert bench_lenet.median_run(runs)["run"] == 3
