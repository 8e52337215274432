"""AlexNet training speed at 224 x 224: the classic-models tutorial's network, train steps per second on this machine.

Writes results/<profile>/benchmarks/alexnet.json (images/s, seconds per step, the minutes one
50,000-image CIFAR-10 epoch would take, and the machine); prints one line. Notebooks 07 and A2 read
this file for "how fast does a 224-pixel AlexNet train on a CPU".

    COURSE_DATA_DIR=../shared/data .venv/bin/python benchmarks/bench_alexnet.py          # ~1-2 min idle
    COURSE_PROFILE=smoke COURSE_DATA_DIR=../shared/data .venv/bin/python benchmarks/bench_alexnet.py

What is timed: ``model.train_on_batch`` of the classic-models tutorial's AlexNet listing (``models.alexnet_classics_listing``:
224 x 224 x 3 input, ten classes, 46,787,978 parameters; Adam at 1e-3 as in the listing) on one
fixed batch of real CIFAR-10 images resized to 224 x 224, so that the input pipeline costs nothing
(notebook A2 times the pipelines). The rate is sustained: ``pipelines.images_per_second`` runs an
untimed warm-up, then three windows of at least ``MIN_SECONDS`` each and returns the median window.
Absolute figures depend on the machine and on what else runs on it (the load average is recorded).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import achieved_gflops, matmul_gflops, record  # noqa: E402

import course_utils  # noqa: E402
from course_utils import data, machine, models, pipelines, results  # noqa: E402

BATCH_SIZE = {"smoke": 4}  # default 64 (the classic-models tutorial's listing uses 256; the rate per image barely depends on it)
MIN_SECONDS = {"smoke": 0.5}  # default: 3-second timed windows
IMAGE_SIZE = 224
EPOCH_IMAGES = 50_000  # one CIFAR-10 training epoch


def train_step_rate(batch_size: int, min_seconds: float) -> dict:
    """Return the classic-models tutorial's AlexNet train-step figures at 224 x 224 for one batch size (sustained rate)."""
    import keras

    (x, y), _ = data.load("cifar10", train_size=batch_size, test_size=10, verbose=False)
    images, labels = next(iter(data.make_dataset(x, y, batch_size, image_size=IMAGE_SIZE)))
    keras.utils.set_random_seed(3)
    model = models.alexnet_classics_listing()
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    def train_step(batch):
        model.train_on_batch(batch, labels)  # returns the loss as a number: the step has finished
        return batch  # the meter counts the images of what the transform returns

    batches = [(images, labels)]  # one fixed batch, served again and again
    rate = pipelines.images_per_second(batches, transform=train_step, min_seconds=min_seconds, repeats=3)
    macs = course_utils.trace(model, columns="cost").total_macs
    return {
        "model": model.name,
        "parameters": model.count_params(),
        "image_size": IMAGE_SIZE,
        "batch_size": batch_size,
        "optimizer": "Adam, learning rate 1e-3 (the classic-models tutorial's listing)",
        "images_per_second": round(rate, 1),
        "seconds_per_step": round(batch_size / rate, 3),
        "minutes_per_50000_image_epoch": round(EPOCH_IMAGES / rate / 60, 1),
        "macs_per_image": macs,
        "achieved_gflops": achieved_gflops(macs, rate),  # 6 x MACs x images/s
        "data_source": data.last_source("cifar10"),
    }


def main() -> int:
    course_utils.setup(seed=0)
    profile = course_utils.current().profile
    load_before = machine.load_average()
    figures = train_step_rate(BATCH_SIZE.get(profile, 64), MIN_SECONDS.get(profile, 3.0))
    print(f"{figures['model']} at {IMAGE_SIZE} x {IMAGE_SIZE}, batch {figures['batch_size']}: "
          f"{figures['images_per_second']:,.1f} images/s ({figures['seconds_per_step']:.2f} s per step; "
          f"{figures['minutes_per_50000_image_epoch']:,.0f} min per 50,000-image epoch; "
          f"{figures['achieved_gflops']:.1f} GFLOP/s)")
    summary = [results.summary_row(f"the classic-models tutorial's AlexNet at {IMAGE_SIZE} px, batch {figures['batch_size']}: training "
                                   "arithmetic", figures["achieved_gflops"], "GFLOP/s", "float32 matmul", matmul_gflops())]
    record("alexnet", {
        "benchmark": "AlexNet train steps at 224 x 224 (the classic-models tutorial's listing), sustained images/s",
        "timing": "pipelines.images_per_second: warm-up, then the median of three timed windows of train_on_batch "
                  "on one fixed batch (the input pipeline is not timed)",
        "train_step": figures,
    }, summary, command="python benchmarks/run.py alexnet", profile=profile,
        machine_extra={"load_average_1min_before": load_before, "load_average_1min_after": machine.load_average()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
