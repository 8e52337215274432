"""Execute notebooks top to bottom in a fresh kernel, store their outputs and record run times and peak memory.

    COURSE_PROFILE=classroom python scripts/run_notebooks.py              # every notebook present
    COURSE_PROFILE=classroom python scripts/run_notebooks.py 06_lenet5    # one
    COURSE_PROFILE=classroom python scripts/run_notebooks.py --peaks 11_inception  # and where the memory grows

Wall time and the kernel's peak memory (resident set size, MiB) go to
results/<profile>/notebook_times.json (README and notebooks read them from there). On Linux the peak
is the kernel's own high-water mark (``VmHWM`` in ``/proc/<pid>/status``), read after every cell;
elsewhere, with psutil importable, the largest resident size seen after a cell (a lower bound);
otherwise it is not recorded. Binder usually stops a notebook at 2 GB: every notebook must stay below.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ExecutePreprocessor

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course_utils import course  # noqa: E402


def peak_rss_mib(pid: int) -> float | None:
    """Return the peak resident memory of process ``pid`` so far, in MiB (None where it cannot be read).

    Linux: the high-water mark the kernel keeps (``VmHWM``), exact. Elsewhere: psutil's current
    resident size, if psutil is importable (call it often and keep the largest: a lower bound).
    """
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except (OSError, ValueError):
        pass
    try:
        import psutil
    except ImportError:
        return None
    try:
        return psutil.Process(pid).memory_info().rss / 2**20
    except psutil.Error:
        return None


def growth_report(peaks: list[tuple[int, float, str]], threshold_mib: float = 50.0) -> list[str]:
    """Lines naming the cells after which the kernel's peak memory grew by at least ``threshold_mib``.

    ``peaks`` holds (cell index, peak MiB after it, the cell's first line), in execution order.

        >>> growth_report([(1, 600.0, "import keras"), (4, 610.0, "P = ..."), (9, 900.0, "model.fit(...)")])
        ['cell 1: peak 600 MiB (+600) import keras', 'cell 9: peak 900 MiB (+290) model.fit(...)']
    """
    lines, before = [], 0.0
    for index, peak, first_line in peaks:
        if peak - before >= threshold_mib:
            lines.append(f"cell {index}: peak {peak:,.0f} MiB (+{peak - before:,.0f}) {first_line[:70]}")
        before = max(before, peak)
    return lines


def execute(path: Path, show_peaks: bool = False) -> tuple[float, float | None]:
    """Execute the notebook at ``path`` in a fresh kernel and store its outputs there.

    Return (wall seconds, peak resident memory of the kernel in MiB or None), the peak read after every cell.
    ``show_peaks``: also print the cells after which the peak grew (where a notebook's memory goes).
    """
    nb = nbformat.read(path, as_version=4)
    ep = ExecutePreprocessor(timeout=1800, kernel_name="python3", record_timing=False)
    peaks: list[tuple[int, float, str]] = []

    def read_peak(cell: nbformat.NotebookNode, cell_index: int, **_: object) -> None:  # nbclient hook, after every cell
        provisioner = getattr(ep.km, "provisioner", None)
        pid = getattr(provisioner, "pid", None)
        peak = peak_rss_mib(pid) if pid else None
        if peak is not None:
            peaks.append((cell_index, peak, (cell.source.splitlines() or [""])[0]))

    ep.on_cell_executed = read_peak
    start = time.perf_counter()
    ep.preprocess(nb, {"metadata": {"path": str(path.parent)}})
    seconds = time.perf_counter() - start
    nbformat.write(nb, path)
    if show_peaks:
        print("\n".join(growth_report(peaks)) or "peak memory not measured here", flush=True)
    return seconds, (round(max(p for _, p, _ in peaks), 1) if peaks else None)


def run(stem: str, profile: str, show_peaks: bool = False) -> tuple[float, float | None]:
    """Execute ``notebooks/<stem>.ipynb``; print and return its seconds and the kernel's peak memory in MiB."""
    seconds, peak = execute(ROOT / "notebooks" / f"{stem}.ipynb", show_peaks)
    memory = "peak memory not measured here" if peak is None else f"peak memory {peak:,.0f} MiB"
    print(f"{stem}: {seconds:.1f} s, {memory} ({profile})", flush=True)
    return seconds, peak


def main(argv: list[str]) -> int:
    profile = os.environ.get("COURSE_PROFILE", "classroom")
    os.environ["COURSE_PROFILE"] = profile
    known = {nb.stem for nb in course.NOTEBOOKS}
    show_peaks = "--peaks" in argv
    argv = [a for a in argv if a != "--peaks"]
    stems = [a.removesuffix(".ipynb").split("/")[-1] for a in argv] or [nb.stem for nb in course.present()]
    unknown = [s for s in stems if s not in known]
    if unknown:
        print(f"unknown notebook(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}", file=sys.stderr)
        return 2
    times_path = ROOT / "results" / profile / "notebook_times.json"
    for stem in stems:
        seconds, peak = run(stem, profile, show_peaks)
        # re-read just before writing: another run may have recorded other notebooks meanwhile
        times = json.loads(times_path.read_text()) if times_path.is_file() else {}
        times[stem] = {"seconds": round(seconds, 1), "cpus": os.cpu_count(), "peak_rss_mib": peak}
        times_path.parent.mkdir(parents=True, exist_ok=True)
        times_path.write_text(json.dumps(dict(sorted(times.items())), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
