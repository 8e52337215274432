"""Run the benchmark suite (or some of it) in one process, then print its summary table.

    make bench                          # every benchmark, classroom profile (tens of minutes on 2 cores)
    make bench NAME=lenet               # one; NAME="lenet models" or NAME=lenet,models for a few
    COURSE_PROFILE=smoke .venv/bin/python benchmarks/run.py data models   # tiny sizes: a check that it runs

Each benchmark writes results/<profile>/benchmarks/<name>.json with its figures, a summary (each
figure next to a reference measured in the same run, and their ratio) and the machine: CPU model,
cores, memory, versions, load average and this run's float32 matmul rate, measured once at the start
and shared by every benchmark of the run. ``scripts/sync_course.py`` builds the README's performance
table from those files; notebooks that cite a reference figure read it from them too.
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import matmul_gflops  # noqa: E402

import course_utils  # noqa: E402
from course_utils import machine, results  # noqa: E402

# name -> (module in benchmarks/, what it measures). Order: the order of a full run.
BENCHMARKS: dict[str, tuple[str, str]] = {
    "data": ("bench_data", "input pipelines: the classic-models tutorial's generator against tf.data, 224 px"),
    "lenet": ("bench_lenet", "LeNet-5 on MNIST: the classic-models tutorial's recipe against notebook 06's, time to 99.0 %"),
    "alexnet": ("bench_alexnet", "the classic-models tutorial's AlexNet at 224 px: train steps"),
    "models": ("bench_models", "each course model at its classroom size: images/s, GFLOP/s, against the source articles' listings"),
    "mini_vgg": ("bench_mini_vgg", "mini-VGG on CIFAR-10: the course recipe against Sucky 2023's"),
}


def available(folder: Path = HERE) -> list[str]:
    """Return the names whose module exists in ``folder``, in suite order."""
    return [name for name, (module, _) in BENCHMARKS.items() if (folder / f"{module}.py").is_file()]


def select(requested: list[str] | str | None, folder: Path = HERE) -> list[str]:
    """Return the benchmarks to run: all available ones for none, else those named (space or comma separated).

    Unknown names raise a ValueError that lists the known ones; a known one whose module is not
    there yet (``bench_mini_vgg.py`` while it is being written) raises one that says so.

    Example:
        >>> select("lenet,data")
        ['data', 'lenet']
    """
    if isinstance(requested, str):
        requested = [requested]
    names = [n.strip() for item in requested or [] for n in item.replace(",", " ").split() if n.strip()]
    here = available(folder)
    if not names:
        return here
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        raise ValueError(f"unknown benchmark(s): {', '.join(unknown)}; the suite has: {', '.join(BENCHMARKS)} "
                         "(run `make bench NAME=lenet` or `make bench NAME=\"lenet models\"`)")
    missing = [n for n in names if n not in here]
    if missing:
        raise ValueError(f"benchmark(s) {', '.join(missing)} not available: "
                         f"{', '.join(f'benchmarks/{BENCHMARKS[n][0]}.py' for n in missing)} does not exist yet; "
                         f"available: {', '.join(here)}")
    return [n for n in BENCHMARKS if n in names]  # suite order, each once


def run(names: list[str]) -> dict[str, float]:
    """Run the benchmarks ``names`` one after the other, with a progress line each; return their seconds."""
    seconds = {}
    for i, name in enumerate(names, 1):
        module_name, what = BENCHMARKS[name]
        print(f"[{i}/{len(names)}] {name}: {what} (started {time.strftime('%H:%M:%S')}, "
              f"load average {machine.load_average()})", flush=True)
        start = time.perf_counter()
        status = importlib.import_module(module_name).main()
        seconds[name] = time.perf_counter() - start
        if status:
            raise SystemExit(f"benchmark {name} failed (exit status {status})")
        print(f"[{i}/{len(names)}] {name}: done in {seconds[name]:.0f} s", flush=True)
    return seconds


def main(argv: list[str]) -> int:
    try:
        names = select(argv)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    profile = course_utils.current().profile
    skipped = [n for n in BENCHMARKS if n not in available()]
    print(f"benchmarks ({profile} profile): {', '.join(names)}"
          + (f" (not there yet: {', '.join(skipped)})" if skipped and not argv else ""), flush=True)
    print(f"[0/{len(names)}] reference: float32 matmul {matmul_gflops():,.1f} GFLOP/s on this machine, "
          f"load average {machine.load_average()}", flush=True)
    run(names)
    recorded = results.load_benchmarks(profile)
    print(results.benchmarks_table({n: recorded[n] for n in names if n in recorded}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
