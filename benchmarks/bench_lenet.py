"""LeNet-5 training speed: the classic-models tutorial's recipe against notebook 06's, in one process on one machine.

Writes results/<profile>/benchmarks/lenet.json (recipes, seconds, images/s, test accuracy, the
speed-up ratio and the machine); prints one line per recipe.

    COURSE_DATA_DIR=../shared/data .venv/bin/python benchmarks/bench_lenet.py          # classroom: ~3 min idle
    COURSE_PROFILE=smoke COURSE_DATA_DIR=../shared/data .venv/bin/python benchmarks/bench_lenet.py  # seconds

Both recipes train the same network (the modern LeNet-5 of the classic-models tutorial, 61,706 parameters) on the same
images for the same epochs and validate on the test set after every epoch, as the classic-models tutorial's listing
does, so they do the same work. Their epochs alternate (seed, course, seed, course, ...), so both
share whatever else the machine does meanwhile:

- the classic-models tutorial's recipe (its listing, rewritten): the whole training set as padded float32 arrays in
  memory, Adam at its default learning rate, batch 32, one training step per call into the graph;
- notebook 06's recipe: a ``tf.data`` pipeline (uint8 in memory, scaled and padded per batch),
  batch 128, 32 steps per call (``steps_per_execution``), Adam on a warm-up + cosine schedule.

Absolute seconds depend on the machine and on what else runs on it; the ratio of the two recipes,
measured together in one process, travels better. Appendix A1 reads this file.

Time to accuracy: both recipes validate on the test set after every epoch, so the file also gives
the training seconds until the first epoch that ends at or above ``TARGET_ACCURACY`` (99.0 %; at
epoch granularity, an upper bound), and each recipe's best test accuracy. The classic-models tutorial's listing ends
near 98.5-98.9 % and usually never reaches 99.0 %: its reference time is then all its epochs, and
the summary says so. The issue's goal: the course recipe's time at most 0.4 times the reference.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import record  # noqa: E402

import course_utils  # noqa: E402
from course_utils import data, machine, models, results, schedules, scratch, training  # noqa: E402

EPOCHS = {"smoke": 1}  # default: 5, as in the classic-models tutorial's listing
TRAIN_SIZE = {"smoke": 2000}  # default: all 60,000 training images
TEST_SIZE = {"smoke": 500}  # default: all 10,000 test images
ARTICLE_BATCH_SIZE = 32  # Keras' default batch size, which the classic-models tutorial's fit call uses
COURSE_BATCH_SIZE = 128
COURSE_STEPS_PER_EXECUTION = 32
COURSE_PEAK_LEARNING_RATE = 5e-3
PAD = 2  # 28 x 28 MNIST digits padded to LeNet's 32 x 32
TARGET_ACCURACY = 0.99  # time to 99.0 % MNIST test accuracy (issue 16)


class SeedRecipe:
    """The classic-models tutorial's recipe, rewritten: padded float32 arrays in memory, ``model.fit`` on arrays (shuffled
    each epoch), batch 32, Adam at Keras' default learning rate 1e-3, validation on the test set after
    every epoch."""

    description = "the classic-models tutorial's listing: float32 arrays in memory, Adam (learning rate 1e-3), batch 32, 1 step per call"

    def __init__(self, x_train, y_train, x_test, y_test, epochs: int):
        import keras

        def prepare(images):  # pad to 32 x 32 and scale to [0, 1] up front, as the listing does
            return scratch.to_unit_range(np.pad(images, ((0, 0), (PAD, PAD), (PAD, PAD))))[..., None]

        self.x, self.y, self.x_test, self.y_test = prepare(x_train), y_train, prepare(x_test), y_test
        keras.utils.set_random_seed(3)
        self.model = models.lenet5_modern()
        self.model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        self.settings = {"batch_size": ARTICLE_BATCH_SIZE, "steps_per_execution": 1, "learning_rate": "1e-3 constant"}

    def train_one_epoch(self) -> tuple[float, float]:
        """Train one epoch; return its seconds and the test accuracy Keras measured at its end."""
        start = time.perf_counter()
        history = self.model.fit(self.x, self.y, batch_size=ARTICLE_BATCH_SIZE, epochs=1,
                                 validation_data=(self.x_test, self.y_test), verbose=0)
        return time.perf_counter() - start, float(history.history["val_accuracy"][-1])

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
        self.model.compile(optimizer=keras.optimizers.Adam(schedules.warmup_cosine(COURSE_PEAK_LEARNING_RATE, steps)),
                           loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                           steps_per_execution=COURSE_STEPS_PER_EXECUTION)
        self.settings = {"batch_size": COURSE_BATCH_SIZE, "steps_per_execution": COURSE_STEPS_PER_EXECUTION,
                         "learning_rate": f"warm-up + cosine, peak {COURSE_PEAK_LEARNING_RATE:g}"}

    def train_one_epoch(self) -> tuple[float, float]:
        """Train one epoch; return its seconds and the test accuracy Keras measured at its end."""
        run = training.fit(self.model, self.train_ds, 1, validation_data=self.test_ds, images_per_epoch=self.images,
                           verbose=0, restore_best=False,  # the last weights, as the article recipe keeps
                           part_of_schedule=True)  # one epoch per call: the schedule spans them all
        return run.seconds, run.history["val_accuracy"][-1]

    def test_accuracy(self) -> float:
        return training.accuracy(*training.predict_classes(self.model, self.test_ds))


def compare(x_train, y_train, x_test, y_test, epochs: int) -> tuple[dict[str, dict[str, Any]], list]:
    """Train both recipes, their epochs interleaved (seed, course, seed, course, ...); return their
    figures and the 1-minute load average after each pair of epochs.

    Interleaving makes both recipes share whatever else the machine does during the run; each
    epoch's seconds and the load averages are kept, so a run disturbed by other programs shows it.
    """
    recipes = {"article_recipe": SeedRecipe(x_train, y_train, x_test, y_test, epochs),
               "course_recipe": CourseRecipe(x_train, y_train, x_test, y_test, epochs)}
    seconds: dict[str, list[float]] = {name: [] for name in recipes}
    accuracies: dict[str, list[float]] = {name: [] for name in recipes}
    loads = []
    for _ in range(epochs):
        for name, recipe in recipes.items():
            epoch_seconds, accuracy = recipe.train_one_epoch()
            seconds[name].append(epoch_seconds)
            accuracies[name].append(accuracy)
        loads.append(machine.load_average())
    return {
        name: {"recipe": recipe.description, **recipe.settings,
               **_figures(recipe.model, len(x_train), epochs, sum(seconds[name]), recipe.test_accuracy()),
               "epoch_seconds": [round(t, 1) for t in seconds[name]],
               "epoch_test_accuracy": [round(a, 4) for a in accuracies[name]],
               "best_test_accuracy": round(max(accuracies[name]), 4),
               "seconds_to_target": seconds_to_accuracy(seconds[name], accuracies[name], TARGET_ACCURACY)}
        for name, recipe in recipes.items()
    }, loads


def seconds_to_accuracy(epoch_seconds: list[float], epoch_accuracy: list[float], target: float) -> float | None:
    """Return the training seconds up to the end of the first epoch whose accuracy reaches ``target``; None if none.

    Example (hand-worked: the second epoch ends at 10 + 12 = 22 s with 99.1 %):
        >>> seconds_to_accuracy([10.0, 12.0, 11.0], [0.985, 0.991, 0.993], 0.99)
        22.0
        >>> seconds_to_accuracy([10.0, 12.0], [0.985, 0.988], 0.99) is None
        True
    """
    elapsed = 0.0
    for seconds, accuracy in zip(epoch_seconds, epoch_accuracy, strict=True):
        elapsed += seconds
        if accuracy >= target:
            return round(elapsed, 1)
    return None


def time_to_accuracy_row(course: dict[str, Any], seed: dict[str, Any], target: float) -> dict[str, Any] | None:
    """Return the summary row "seconds to ``target``, course recipe" against the classic-models tutorial's listing (None if the course
    recipe never reached it). The reference is the listing's own time to ``target`` when it got there, else its whole
    run (its best accuracy is named).

    Example (the listing never reaches 99 %: its 75 s of training are the reference):
        >>> row = time_to_accuracy_row({"seconds_to_target": 30.0}, {"seconds_to_target": None,
        ...     "train_seconds": 75.0, "epochs": 5, "best_test_accuracy": 0.9885}, 0.99)
        >>> row["reference"], row["ratio"]
        ("the classic-models tutorial's listing, all 5 epochs (best 98.85 %, never 99.0 %)", 0.4)
    """
    if course["seconds_to_target"] is None:
        return None
    if seed["seconds_to_target"] is not None:
        reference, seconds = f"the classic-models tutorial's listing to {100 * target:.1f} %", seed["seconds_to_target"]
    else:
        reference = (f"the classic-models tutorial's listing, all {seed['epochs']} epochs (best {100 * seed['best_test_accuracy']:.2f} %, "
                     f"never {100 * target:.1f} %)")
        seconds = seed["train_seconds"]
    return results.summary_row(f"LeNet-5, notebook 06 recipe: seconds to {100 * target:.1f} % MNIST test accuracy",
                               course["seconds_to_target"], "s", reference, seconds)


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
    profile = course_utils.current().profile
    epochs = EPOCHS.get(profile, 5)
    loaded = data.load("mnist", TRAIN_SIZE.get(profile), TEST_SIZE.get(profile))
    (x_train, y_train), (x_test, y_test) = loaded

    load_before = machine.load_average()
    figures_of, loads = compare(x_train, y_train, x_test, y_test, epochs)
    seed, course = figures_of["article_recipe"], figures_of["course_recipe"]
    for label, r in (("the classic-models tutorial's recipe ", seed), ("notebook 06 recipe", course)):
        reached = (f"{100 * TARGET_ACCURACY:.1f} % after {r['seconds_to_target']:.1f} s" if r["seconds_to_target"]
                   else f"never {100 * TARGET_ACCURACY:.1f} %")
        print(f"{label}: {r['train_seconds']:7.1f} s, {r['images_per_second']:>8,.0f} images/s, "
              f"test accuracy {100 * r['test_accuracy']:.2f} %, {reached} (epochs: {r['epoch_seconds']} s)")
    speedup = round(course["images_per_second"] / seed["images_per_second"], 2)
    print(f"speed-up (images/s, notebook 06 / the classic-models tutorial): {speedup:.2f}x")
    summary = [results.summary_row("LeNet-5, notebook 06 recipe: training images/s (with validation)",
                                   course["images_per_second"], "images/s", "the classic-models tutorial's listing", seed["images_per_second"])]
    to_target = time_to_accuracy_row(course, seed, TARGET_ACCURACY)
    if to_target:
        summary.append(to_target)
    record("lenet", {
        "benchmark": "LeNet-5 training: the classic-models tutorial's recipe against notebook 06's, one process, epochs interleaved",
        "dataset": "mnist",
        "data_source": loaded.source,
        "validation": "the test set after every epoch, as the classic-models tutorial does (nothing is chosen on it)",
        "target_accuracy": TARGET_ACCURACY,
        "article_recipe": seed,
        "course_recipe": course,
        "speedup_images_per_second": speedup,
    }, summary, command="python benchmarks/bench_lenet.py", profile=profile, machine_extra={
        "load_average_1min_before": load_before,
        "load_average_1min_after_each_epoch": loads,  # above the core count: other programs shared the CPU
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())
