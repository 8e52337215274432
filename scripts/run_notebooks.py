"""Execute notebooks top to bottom in a fresh kernel, store their outputs and record run times.

    COURSE_PROFILE=classroom python scripts/run_notebooks.py              # every notebook present
    COURSE_PROFILE=classroom python scripts/run_notebooks.py 06_lenet5    # one

Times go to results/<profile>/notebook_times.json (README and notebooks read them from there).
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


def run(stem: str, profile: str) -> float:
    path = ROOT / "notebooks" / f"{stem}.ipynb"
    nb = nbformat.read(path, as_version=4)
    ep = ExecutePreprocessor(timeout=1800, kernel_name="python3", record_timing=False)
    start = time.perf_counter()
    ep.preprocess(nb, {"metadata": {"path": str(path.parent)}})
    seconds = time.perf_counter() - start
    nbformat.write(nb, path)
    print(f"{stem}: {seconds:.1f} s ({profile})", flush=True)
    return seconds


def main(argv: list[str]) -> int:
    profile = os.environ.get("COURSE_PROFILE", "classroom")
    os.environ["COURSE_PROFILE"] = profile
    known = {nb.stem for nb in course.NOTEBOOKS}
    stems = [a.removesuffix(".ipynb").split("/")[-1] for a in argv] or [nb.stem for nb in course.present()]
    unknown = [s for s in stems if s not in known]
    if unknown:
        print(f"unknown notebook(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}", file=sys.stderr)
        return 2
    times_path = ROOT / "results" / profile / "notebook_times.json"
    for stem in stems:
        seconds = run(stem, profile)
        # re-read just before writing: another run may have recorded other notebooks meanwhile
        times = json.loads(times_path.read_text()) if times_path.is_file() else {}
        times[stem] = {"seconds": round(seconds, 1), "cpus": os.cpu_count()}
        times_path.parent.mkdir(parents=True, exist_ok=True)
        times_path.write_text(json.dumps(dict(sorted(times.items())), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
