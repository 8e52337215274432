"""What every benchmark shares: this machine's float32 matmul rate and a sustained training-rate meter.

Absolute figures do not travel between machines (the same LeNet recipe took 25.8 s on one 2-core
machine and 104 s on another), so each benchmark reports ratios against a reference measured in the
same run, and records the machine with this run's matmul rate (:func:`matmul_gflops`, measured once
per process: ``benchmarks/run.py`` runs the whole suite in one process).

    >>> achieved_gflops(macs_per_image=1_000_000, images_per_second=500.0)   # 6 FLOPs per MAC per image
    3.0
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import course_utils  # noqa: E402
from course_utils import machine, quiet, results  # noqa: E402

TRAINING_FLOPS_PER_MAC = machine.TRAINING_FLOPS_PER_MAC  # 6: see course_utils.machine.achieved_gflops
MATMUL_SIDE = {"smoke": 256}  # default: 1,024 x 1,024 float32 matrices (2.1 GFLOP per product)
MATMUL_SECONDS = {"smoke": 0.1}  # default: three 1-second windows


def profile_value(table: dict[str, Any], default: Any, profile: str | None = None) -> Any:
    """Return ``table[profile]`` when the active (or given) profile has an entry, else ``default``.

    >>> profile_value({"smoke": 4}, 64, "smoke"), profile_value({"smoke": 4}, 64, "classroom")
    (4, 64)
    """
    return table.get(profile or course_utils.current().profile, default)


def matmul_gflops(side: int | None = None, min_seconds: float | None = None) -> float:
    """Return this machine's sustained float32 matmul rate in GFLOP/s (:func:`course_utils.machine.matmul_gflops`),
    at the active profile's size: measured once per process, so every benchmark of one ``benchmarks/run.py`` run
    divides by the same figure."""
    return machine.matmul_gflops(side or profile_value(MATMUL_SIDE, 1024), min_seconds or profile_value(MATMUL_SECONDS, 1.0))


achieved_gflops = machine.achieved_gflops


def fit_images_per_second(model, images, labels, *, batch_size: int, steps_per_execution: int = 1,
                          min_seconds: float = 3.0, optimizer: Any = "adam") -> float:
    """Return the sustained training rate (images/s) of ``model.fit`` on one fixed batch served again and again.

    The model is compiled with ``steps_per_execution`` (1: one training step per call into the
    graph, as the classic-models tutorial's listings; 32: notebook 06's recipe), so the per-call overhead a recipe
    pays is in the figure, while the input pipeline costs (almost) nothing. A first ``fit``
    compiles and sizes the timed ones; then the median of three fits of at least ``min_seconds``.
    """
    tf = quiet.import_tensorflow_quietly()
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", steps_per_execution=steps_per_execution)
    batch = tf.data.Dataset.from_tensors((images[:batch_size], labels[:batch_size])).cache().repeat()
    steps = steps_per_execution  # one call into the graph: a 224-pixel VGG16 step takes seconds on a CPU
    model.fit(batch, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False)  # compiles: not timed
    start = time.perf_counter()
    model.fit(batch, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False)  # sizes the timed fits
    per_step = (time.perf_counter() - start) / steps
    steps = steps_per_execution * max(1, round(min_seconds / per_step / steps_per_execution))
    rates = []
    for _ in range(3):
        start = time.perf_counter()
        model.fit(batch, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False)
        rates.append(steps * batch_size / (time.perf_counter() - start))
    return round(statistics.median(rates), 1)


def record(name: str, figures: dict[str, Any], summary: list[dict[str, Any]], *, command: str,
           machine_extra: dict[str, Any] | None = None, profile: str | None = None) -> Path:
    """Write ``results/<profile>/benchmarks/<name>.json``: figures, summary rows, machine, date, command.

    ``summary`` holds :func:`course_utils.results.summary_row` lines (a figure, its reference from
    this run and their ratio); ``make bench`` prints them and the README table is generated from them.
    """
    from datetime import date

    profile = profile or course_utils.current().profile
    about = machine.machine_info(matmul_gflops=matmul_gflops(), **(machine_extra or {}))
    return results.record_benchmark(name, {**figures, "summary": summary, "machine": about, "profile": profile,
                                           "date": date.today().isoformat(), "command": command}, profile)
