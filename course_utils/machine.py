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
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf


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
