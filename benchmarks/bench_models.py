"""Training throughput of each course model at its classroom input size, against the source article's listing of it.

Writes results/<profile>/benchmarks/models.json; prints one line per model.

    COURSE_PROFILE=smoke .venv/bin/python benchmarks/bench_models.py     # seconds (tiny windows)
    .venv/bin/python benchmarks/run.py models                             # classroom: a few minutes

For each model: sustained training images/s (``common.fit_images_per_second``: ``model.fit`` on one
fixed batch, the recipe's batch size and steps per call, Adam), the MACs per image from
``course_utils.tracing``, the achieved GFLOP/s (6 x MACs x images/s) and that rate as a fraction of
this machine's float32 matmul rate measured in the same run. Where a source article lists the same
network (LeNet-5 and AlexNet and VGG16 in the classic-models tutorial, at its own input size, batch and one step per
call), it is measured the same way, and the summary gives the course model's achieved GFLOP/s
against the article listing's. Images/s of a 28-pixel model and a 224-pixel one do not compare; the
arithmetic rate does: it says how well each recipe uses the machine.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import achieved_gflops, fit_images_per_second, matmul_gflops, profile_value, record  # noqa: E402

import course_utils  # noqa: E402
from course_utils import models, profiles, results  # noqa: E402

MIN_SECONDS = {"smoke": 0.05}  # default: timed fits of at least 2 s each
SMOKE_BATCH = 4  # smoke: every batch is this small, and the 224-pixel seed networks are skipped


@dataclass(frozen=True)
class Case:
    """One network to time: its builder, input, batch size and training steps per call into the graph."""

    label: str
    build: Any  # () -> keras.Model
    input_shape: tuple[int, int, int]
    batch_size: int
    steps_per_execution: int = 1
    article_listing: bool = False  # True: the classic-models tutorial's network and recipe (batch and one step per call)


def _classroom(notebook: str, key: str) -> Any:
    return getattr(profiles.params(notebook, "classroom"), key)


def cases() -> list[tuple[Case, Case | None]]:
    """Return (course model at its classroom size, a source article's listing of the same network or None), in course order."""
    lenet_batch, lenet_spe = _classroom("06_lenet5", "batch_size"), _classroom("06_lenet5", "steps_per_execution")
    crop = _classroom("07_alexnet", "crop_size")
    return [
        (Case("lenet5_modern (notebook 06)", models.lenet5_modern, (32, 32, 1), lenet_batch, lenet_spe),
         Case("the classic-models tutorial's LeNet-5 listing", models.lenet5_modern, (32, 32, 1), 32, 1, article_listing=True)),
        (Case("lenet5_classic (notebook 06)", models.lenet5_classic, (32, 32, 1), lenet_batch, lenet_spe), None),
        (Case(f"alexnet_small at {crop} px (notebook 07)", lambda: models.alexnet_small((crop, crop, 3)), (crop, crop, 3),
              _classroom("07_alexnet", "batch_size")),
         Case("the classic-models tutorial's AlexNet listing at 224 px", models.alexnet_classics_listing, (224, 224, 3), 64, 1, article_listing=True)),
        (Case("vgg16_small (notebook 08)",
              lambda: models.vgg16_small((32, 32, 3), 10, width=_classroom("08_vgg16", "width")), (32, 32, 3),
              _classroom("08_vgg16", "batch_size")),
         # The classic-models tutorial trains it with batch 128; 4 here: 134 million weights + Adam already take 2 GB, and the
         # arithmetic rate per image barely depends on the batch at this size
         Case("the classic-models tutorial's VGG16 listing at 224 px", lambda: models.vgg16((224, 224, 3), 10), (224, 224, 3), 4, 1,
              article_listing=True)),
    ] + ([  # notebook 10 (bench_mini_vgg.py compares its recipe with Sucky 2023's: the same network, another optimizer)
        (Case("mini_vgg_v1 (notebook 10)", models.model_info("mini_vgg_v1").build, (32, 32, 3),
              _classroom("10_mini_vgg", "batch_size")), None),
    ] if "mini_vgg_v1" in models.MODELS else [])


def measure(case: Case, min_seconds: float, smoke: bool) -> dict[str, Any]:
    """Return the figures of one case: images/s, MACs per image, achieved GFLOP/s, fraction of matmul."""
    import keras

    course_utils.clear_session()
    keras.utils.set_random_seed(0)
    model = case.build()
    batch = SMOKE_BATCH if smoke else case.batch_size
    rng = np.random.default_rng(0)
    images = rng.random((batch, *case.input_shape), dtype=np.float32)
    labels = rng.integers(0, 10, batch)
    rate = fit_images_per_second(model, images, labels, batch_size=batch, min_seconds=min_seconds,
                                 steps_per_execution=1 if smoke else case.steps_per_execution)
    t = course_utils.trace(model, columns="cost")
    gflops = achieved_gflops(t.total_macs, rate)
    figures = {"model": model.name, "input_shape": list(case.input_shape), "batch_size": batch,
               "steps_per_execution": 1 if smoke else case.steps_per_execution, "parameters": t.total_params,
               "macs_per_image": t.total_macs, "images_per_second": rate, "achieved_gflops": gflops,
               "fraction_of_matmul": results.ratio(gflops, matmul_gflops())}
    del model
    course_utils.clear_session()
    return figures


def main() -> int:
    course_utils.setup(seed=0)
    profile = course_utils.current().profile
    smoke = profile == "smoke"
    min_seconds = profile_value(MIN_SECONDS, 2.0)
    peak = matmul_gflops()
    print(f"float32 matmul on this machine: {peak:,.1f} GFLOP/s (the reference of every fraction below)")
    rows, summary = [], []
    for course_case, seed_case in cases():
        pair = {}
        for case in (course_case, seed_case):
            if case is None or (smoke and case.input_shape[0] > 64):  # smoke: no 224-pixel networks
                continue
            f = measure(case, min_seconds, smoke)
            pair[case.label] = {"label": case.label, "article_listing": case.article_listing, **f}
            print(f"  {case.label:<42} {f['images_per_second']:>9,.1f} images/s  {f['achieved_gflops']:>7.2f} GFLOP/s "
                  f"({f['fraction_of_matmul']:.1%} of matmul; batch {f['batch_size']}, "
                  f"{f['steps_per_execution']} step(s) per call)", flush=True)
        rows.extend(pair.values())
        course_figures = pair[course_case.label]
        summary.append(results.summary_row(f"{course_case.label}: training arithmetic", course_figures["achieved_gflops"],
                                           "GFLOP/s", "float32 matmul", peak))
        if seed_case is not None and seed_case.label in pair:
            summary.append(results.summary_row(f"{course_case.label} against {seed_case.label}",
                                               course_figures["achieved_gflops"], "GFLOP/s", seed_case.label,
                                               pair[seed_case.label]["achieved_gflops"]))
    record("models", {
        "benchmark": "training throughput and achieved GFLOP/s of each course model at its classroom input size, "
                     "against the classic-models tutorial's listing of the same network",
        "timing": "common.fit_images_per_second: model.fit on one fixed batch (random images: the rate does not depend "
                  "on pixel values), Adam, median of three fits after a compiling one",
        "flops_per_mac": "6 per image per training step (2 forward, about 4 backward)",
        "models": rows,
    }, summary, command="python benchmarks/run.py models", profile=profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
