"""Benchmarks of the data side: loading, tf.data pipelines (with and without 224-pixel resizing),
CAPTCHA generation. Writes results/<profile>/benchmarks/data.json; prints one line per figure.

    COURSE_DATA_DIR=../shared/data .venv/bin/python benchmarks/bench_data.py
    make bench NAME=data            # the same through the suite runner (benchmarks/run.py)

The summary gives the course's pipelines as ratios of the classic-models tutorial's Python generator (``resize_with_pad``
to 224 in a loop), measured in the same run: the issue's goal is at least 5 times the generator. The
uint8 pipeline delivers a quarter of the bytes and leaves the division by 255 to the model.

Pipeline figures come from course_utils.pipelines (sustained rates: median of three 2-second windows
after a warm-up), the same function and pipelines notebook A2 times, so the two agree within noise.
Figures depend on the machine and on what else runs on it: compare runs from the same machine only.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import profile_value, record  # noqa: E402

import course_utils  # noqa: E402
from course_utils import data, pipelines, results  # noqa: E402

# Notebook A2's classroom batch size for the 224-pixel comparison.
PIPELINE_BATCH_SIZE = 64
WINDOW_SECONDS = {"smoke": 0.1}  # default: timed windows of 2 s, as notebook A2's classroom run


def _rate(n_images: int, seconds: float) -> float:
    return round(n_images / seconds, 1)


def main() -> int:
    course_utils.setup(seed=0)
    figures = {}
    start = time.perf_counter()
    (x, y), _ = data.load("cifar10", verbose=False)
    figures["load_cifar10_seconds"] = round(time.perf_counter() - start, 3)
    window = profile_value(WINDOW_SECONDS, 2.0)
    figures["pipeline_32px_images_per_s"] = round(
        pipelines.images_per_second(data.make_dataset(x, y, 128).repeat(), min_seconds=window), 1)
    speeds = pipelines.compare_pipelines(x, y, PIPELINE_BATCH_SIZE, 224, min_seconds=window)
    figures["pipeline_224px_images_per_s"] = round(speeds[pipelines.TF_DATA], 1)
    figures["generator_224px_images_per_s"] = round(speeds[pipelines.GENERATOR], 1)
    figures["uint8_224px_images_per_s"] = round(speeds[pipelines.UINT8], 1)
    figures["resize_in_model_224px_images_per_s"] = round(speeds[pipelines.IN_MODEL], 1)
    figures["pipeline_batch_size"] = PIPELINE_BATCH_SIZE
    start = time.perf_counter()
    data.captcha(500, seed=0)
    figures["captcha_images_per_s"] = _rate(500, time.perf_counter() - start)
    figures["cpus"] = os.cpu_count()
    for key, value in figures.items():
        print(f"{key}: {value}")
    generator = figures["generator_224px_images_per_s"]
    summary = [results.summary_row(f"{label} at 224 px, batch {PIPELINE_BATCH_SIZE}", figures[key], "images/s",
                                   "the classic-models tutorial's Python generator", generator)
               for label, key in (("tf.data pipeline", "pipeline_224px_images_per_s"),
                                  ("tf.data pipeline, uint8 out", "uint8_224px_images_per_s"),
                                  ("resize inside the model", "resize_in_model_224px_images_per_s"))]
    record("data", figures, summary, command="python benchmarks/run.py data")
    return 0


if __name__ == "__main__":
    sys.exit(main())
