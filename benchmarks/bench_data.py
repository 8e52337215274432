"""Benchmarks of the data side: loading, tf.data pipelines (with and without 224-pixel resizing),
CAPTCHA generation. Writes results/<profile>/benchmarks/data.json; prints one line per figure.

    COURSE_DATA_DIR=../shared/data .venv/bin/python benchmarks/bench_data.py

Pipeline figures come from course_utils.pipelines (sustained rates: median of three 2-second windows
after a warm-up), the same function and pipelines notebook 07 times, so the two agree within noise.
Figures depend on the machine and on what else runs on it: compare runs from the same machine only.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import course_utils  # noqa: E402
from course_utils import data, pipelines, results  # noqa: E402

# Notebook 07's classroom batch size for the 224-pixel comparison.
PIPELINE_BATCH_SIZE = 64


def _rate(n_images: int, seconds: float) -> float:
    return round(n_images / seconds, 1)


def main() -> int:
    course_utils.setup(seed=0)
    figures = {}
    start = time.perf_counter()
    (x, y), _ = data.load("cifar10", verbose=False)
    figures["load_cifar10_seconds"] = round(time.perf_counter() - start, 3)
    figures["pipeline_32px_images_per_s"] = round(pipelines.images_per_second(data.make_dataset(x, y, 128).repeat()), 1)
    speeds = pipelines.compare_pipelines(x, y, PIPELINE_BATCH_SIZE, 224)
    figures["pipeline_224px_images_per_s"] = round(speeds[pipelines.TF_DATA], 1)
    figures["generator_224px_images_per_s"] = round(speeds[pipelines.GENERATOR], 1)
    figures["resize_in_model_224px_images_per_s"] = round(speeds[pipelines.IN_MODEL], 1)
    figures["pipeline_batch_size"] = PIPELINE_BATCH_SIZE
    start = time.perf_counter()
    data.captcha(500, seed=0)
    figures["captcha_images_per_s"] = _rate(500, time.perf_counter() - start)
    figures["cpus"] = os.cpu_count()
    for key, value in figures.items():
        print(f"{key}: {value}")
    results.record_benchmark("data", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
