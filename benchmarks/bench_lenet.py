"""LeNet-5 training speed: seed 003's recipe against notebook 06's, in one process on one machine.

Writes results/<profile>/benchmarks/lenet.json (recipes, seconds, images/s, test accuracy, the
speed-up ratio and the machine); prints one line per recipe.

    COURSE_DATA_DIR=../shared/data .venv/bin/python benchmarks/bench_lenet.py          # classroom: ~3 min idle
    COURSE_PROFILE=smoke COURSE_DATA_DIR=../shared/data .venv/bin/python benchmarks/bench_lenet.py  # seconds

Both recipes train the same network (the modern LeNet-5 of seed 003, 61,706 parameters) on the same
images for the same epochs and validate on the test set after every epoch, as seed 003's listing
does, so they do the same work. Their epochs alternate (seed, course, seed, course, ...), so both
share whatever else the machine does meanwhile:

- seed 003's recipe (its listing, rewritten): the whole training set as padded float32 arrays in
  memory, Adam at its default learning rate, batch 32, one training step per call into the graph;
- notebook 06's recipe: a ``tf.data`` pipeline (uint8 in memory, scaled and padded per batch),
  batch 128, 32 steps per call (``steps_per_execution``), Adam on a warm-up + cosine schedule.

Absolute seconds depend on the machine and on what else runs on it; the ratio of the two recipes,
measured together in one process, travels better. Appendix A1 reads this file.
"""

from __future__ import annotations

import math
import os
import platform
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import course_utils  # noqa: E402
from course_utils import data, models, profiles, results, scratch, training  # noqa: E402

EPOCHS = {"smoke": 1}  # default: 5, as in seed 003's listing
TRAIN_SIZE = {"smoke": 2000}  # default: all 60,000 training images
TEST_SIZE = {"smoke": 500}  # default: all 10,000 test images
SEED_BATCH_SIZE = 32  # Keras' default batch size, which seed 003's fit call uses
COURSE_BATCH_SIZE = 128
COURSE_STEPS_PER_EXECUTION = 32
COURSE_PEAK_LEARNING_RATE = 5e-3
PAD = 2  # 28 x 28 MNIST digits padded to LeNet's 32 x 32


def cpu_name() -> str:
    """Return the processor's model name (from /proc/cpuinfo on Linux), else what platform reports."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:  # not available on Windows
        return None


class SeedRecipe:
    """Seed 003's recipe, rewritten: padded float32 arrays in memory, ``model.fit`` on arrays (shuffled
    each epoch), batch 32, Adam at Keras' default learning rate 1e-3, validation on the test set after
    every epoch."""

    description = "seed 003's listing: float32 arrays in memory, Adam (learning rate 1e-3), batch 32, 1 step per call"

    def __init__(self, x_train, y_train, x_test, y_test, epochs: int):
        import keras

        def prepare(images):  # pad to 32 x 32 and scale to [0, 1] up front, as the listing does
            return scratch.to_unit_range(np.pad(images, ((0, 0), (PAD, PAD), (PAD, PAD))))[..., None]

        self.x, self.y, self.x_test, self.y_test = prepare(x_train), y_train, prepare(x_test), y_test
        keras.utils.set_random_seed(3)
        self.model = models.lenet5_modern()
        self.model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        self.settings = {"batch_size": SEED_BATCH_SIZE, "steps_per_execution": 1, "learning_rate": "1e-3 constant"}

    def train_one_epoch(self) -> float:
        start = time.perf_counter()
        self.model.fit(self.x, self.y, batch_size=SEED_BATCH_SIZE, epochs=1, validation_data=(self.x_test, self.y_test),
                       verbose=0)
        return time.perf_counter() - start

    def test_accuracy(self) -> float:
        return training.accuracy(self.y_test, self.model.predict(self.x_test, batch_size=1000, verbose=0).argmax(axis=1))


class CourseRecipe:
    """Notebook 06's recipe: ``tf.data`` pipeline (scale and pad per batch, prefetch), batch 128, 32 steps
    per call, Adam on a warm-up + cosine schedule over all epochs, timed by ``training.fit`` as
    notebook 06 times it, validation on the test set after every epoch."""

    description = (f"notebook 06: tf.data pipeline, Adam on warm-up + cosine (peak {COURSE_PEAK_LEARNING_RATE:g}), "
                   f"batch {COURSE_BATCH_SIZE}, {COURSE_STEPS_PER_EXECUTION} steps per call")

    def __init__(self, x_train, y_train, x_test, y_test, epochs: int):
        import keras

        self.train_ds = data.make_dataset(x_train, y_train, COURSE_BATCH_SIZE, shuffle=True, seed=6, pad=PAD)
        self.test_ds = data.make_dataset(x_test, y_test, 1000, pad=PAD)
        self.images = len(x_train)
        keras.utils.set_random_seed(6)
        self.model = models.lenet5_modern()
        steps = epochs * math.ceil(len(x_train) / COURSE_BATCH_SIZE)  # the schedule spans all epochs
        self.model.compile(optimizer=keras.optimizers.Adam(training.warmup_cosine(COURSE_PEAK_LEARNING_RATE, steps)),
                           loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                           steps_per_execution=COURSE_STEPS_PER_EXECUTION)
        self.settings = {"batch_size": COURSE_BATCH_SIZE, "steps_per_execution": COURSE_STEPS_PER_EXECUTION,
                         "learning_rate": f"warm-up + cosine, peak {COURSE_PEAK_LEARNING_RATE:g}"}

    def train_one_epoch(self) -> float:
        run = training.fit(self.model, self.train_ds, 1, validation_data=self.test_ds, images_per_epoch=self.images,
                           verbose=0, restore_best=False)  # the last weights, as the seed recipe keeps
        return run.seconds

    def test_accuracy(self) -> float:
        return training.accuracy(*training.predict_classes(self.model, self.test_ds))


def compare(x_train, y_train, x_test, y_test, epochs: int) -> tuple[dict[str, dict[str, Any]], list]:
    """Train both recipes, their epochs interleaved (seed, course, seed, course, ...); return their
    figures and the 1-minute load average after each pair of epochs.

    Interleaving makes both recipes share whatever else the machine does during the run; each
    epoch's seconds and the load averages are kept, so a run disturbed by other programs shows it.
    """
    recipes = {"seed_recipe": SeedRecipe(x_train, y_train, x_test, y_test, epochs),
               "course_recipe": CourseRecipe(x_train, y_train, x_test, y_test, epochs)}
    seconds: dict[str, list[float]] = {name: [] for name in recipes}
    loads = []
    for _ in range(epochs):
        for name, recipe in recipes.items():
            seconds[name].append(recipe.train_one_epoch())
        loads.append(_load_average())
    return {
        name: {"recipe": recipe.description, **recipe.settings,
               **_figures(recipe.model, len(x_train), epochs, sum(seconds[name]), recipe.test_accuracy()),
               "epoch_seconds": [round(t, 1) for t in seconds[name]]}
        for name, recipe in recipes.items()
    }, loads


def _figures(model, train_size: int, epochs: int, seconds: float, accuracy: float) -> dict[str, Any]:
    return {
        "train_size": train_size,
        "epochs": epochs,
        "parameters": model.count_params(),
        "train_seconds": round(seconds, 1),
        "images_per_second": round(train_size * epochs / seconds, 1),
        "test_accuracy": round(accuracy, 4),
    }


def main() -> int:
    course_utils.setup(seed=0)
    profile = profiles.profile_name()
    epochs = EPOCHS.get(profile, 5)
    loaded = data.load("mnist", TRAIN_SIZE.get(profile), TEST_SIZE.get(profile))
    (x_train, y_train), (x_test, y_test) = loaded
    tf = profiles.import_tensorflow_quietly()
    import keras

    load_before = _load_average()
    figures_of, loads = compare(x_train, y_train, x_test, y_test, epochs)
    seed, course = figures_of["seed_recipe"], figures_of["course_recipe"]
    for label, r in (("seed 003's recipe ", seed), ("notebook 06 recipe", course)):
        print(f"{label}: {r['train_seconds']:7.1f} s, {r['images_per_second']:>8,.0f} images/s, "
              f"test accuracy {100 * r['test_accuracy']:.2f} % (epochs: {r['epoch_seconds']} s)")
    speedup = round(course["images_per_second"] / seed["images_per_second"], 2)
    print(f"speed-up (images/s, notebook 06 / seed 003): {speedup:.2f}x")
    figures = {
        "benchmark": "LeNet-5 training: seed 003's recipe against notebook 06's, one process, epochs interleaved",
        "command": "python benchmarks/bench_lenet.py",
        "profile": profile,
        "date": date.today().isoformat(),
        "dataset": "mnist",
        "data_source": loaded.source,
        "validation": "the test set after every epoch, as seed 003 does (nothing is chosen on it)",
        "seed_recipe": seed,
        "course_recipe": course,
        "speedup_images_per_second": speedup,
        "machine": {
            "cpu": cpu_name(),
            "cores": os.cpu_count(),
            "device": "GPU" if tf.config.list_physical_devices("GPU") else "CPU",
            "load_average_1min_before": load_before,
            "load_average_1min_after_each_epoch": loads,  # above the core count: other programs shared the CPU
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
        },
    }
    results.record_benchmark("lenet", figures, profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
