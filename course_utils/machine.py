"""The machine a figure was measured on: processor, cores, memory, device, versions and load.

Benchmarks and recorded runs store :func:`machine_info` beside their figures, so that figures from
different machines are never compared without knowing it.

Example:
    >>> info = machine_info(matmul_gflops=130.0)
    >>> info["cores"] == os.cpu_count(), info["matmul_gflops"]
    (True, 130.0)
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

# A training step costs about 6 FLOPs per multiply-add of the forward pass and per image:
# 2 FLOPs per MAC forward, and the backward pass about twice the forward (gradients for inputs and weights).
TRAINING_FLOPS_PER_MAC = 6

_matmul_cache: dict[tuple[int, float, str, str], float] = {}


def load_average() -> float | None:
    """Return the 1-minute load average (None where the system has none, e.g. Windows).

    Above the core count, other programs shared the CPU with whatever was measured.
    """
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def cpu_model() -> str:
    """Return the processor's model name (``/proc/cpuinfo`` on Linux), else what ``platform`` reports."""

    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def memory_gib() -> float | None:
    """Return the machine's physical memory in GiB (None where ``os.sysconf`` cannot tell)."""
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (AttributeError, ValueError, OSError):
        return None


def machine_info(**extra: Any) -> dict[str, Any]:
    """Return what a benchmark figure depends on: CPU model, cores, memory, device, versions, load average.

    ``extra`` adds fields (for example this run's ``matmul_gflops``). Benchmarks store it under
    ``"machine"`` next to their figures, so that figures from different machines are never compared
    without knowing it.
    """

    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": memory_gib(),
        "device": "GPU" if tf.config.list_physical_devices("GPU") else "CPU",
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "load_average_1min": load_average(),
        **extra,
    }


def matmul_gflops(side: int = 1024, min_seconds: float = 1.0, library: str = "tensorflow",
                  dtype: str = "float32") -> float:
    """Return this machine's sustained matmul rate in GFLOP/s (``side x side`` products, 2 side^3 FLOPs each).

    The yardstick for any arithmetic rate measured here: a network's training step can approach it but
    not pass it. ``library`` is ``"tensorflow"`` (what Keras runs) or ``"numpy"`` (what a NumPy network
    runs; float64 there is about half as fast as float32). Measured once per process and setting:
    the median of three windows of at least ``min_seconds``, after a warm-up.

    Example:
        >>> matmul_gflops(side=128, min_seconds=0.01, library="numpy", dtype="float64") > 0
        True
    """
    key = (side, min_seconds, library, dtype)
    if key in _matmul_cache:
        return _matmul_cache[key]
    if library == "tensorflow":
        a = tf.random.stateless_normal((side, side), seed=(1, 2), dtype=dtype)
        b = tf.random.stateless_normal((side, side), seed=(3, 4), dtype=dtype)
        multiply, finish = tf.matmul, lambda c: float(c[0, 0])  # reading a value waits for the product (on a GPU too)
    elif library == "numpy":
        rng = np.random.default_rng(1)
        a, b = rng.normal(size=(side, side)).astype(dtype), rng.normal(size=(side, side)).astype(dtype)
        multiply, finish = np.matmul, lambda c: None
    else:
        raise ValueError(f"library must be 'tensorflow' or 'numpy', got {library!r}")
    finish(multiply(a, b))  # warm-up
    rates = []
    for _ in range(3):
        count, start = 0, time.perf_counter()
        while True:
            c = multiply(a, b)
            count += 1
            if time.perf_counter() - start >= min_seconds:
                finish(c)
                break
        rates.append(2 * side**3 * count / (time.perf_counter() - start) / 1e9)
    _matmul_cache[key] = round(statistics.median(rates), 1)
    return _matmul_cache[key]


def achieved_gflops(macs_per_image: int, images_per_second: float) -> float:
    """Return a training step's arithmetic rate in GFLOP/s: ``6 x MACs per image x images/s``
    (:data:`TRAINING_FLOPS_PER_MAC`).

    Example:
        >>> achieved_gflops(macs_per_image=1_000_000, images_per_second=500.0)
        3.0
    """
    return round(TRAINING_FLOPS_PER_MAC * macs_per_image * images_per_second / 1e9, 2)
