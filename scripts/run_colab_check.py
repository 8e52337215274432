"""Run every notebook as a Colab learner would, in an environment like Colab's: `make test-colab`.

    build/colab/bin/python scripts/run_colab_check.py [NOTEBOOK_STEM ...]

`make test-colab` builds that environment first: Python 3.12 with the versions of `ci/colab-versions.txt`
(Colab's preinstalled TensorFlow, Keras, NumPy, ipywidgets), then `course_utils` installed with pip from
the checkout, not editable, as Colab's first cell installs it. This script copies the notebooks into a
temporary folder outside the checkout, executes each top to bottom in the `smoke` profile with this
interpreter's kernel (two at a time: ``--jobs``), and fails when a cell raises or when a cell writes
anything to stderr that is not in :data:`EXPECTED_STDERR` (a learner reads red text as a failure). It
prints one line per notebook as it finishes and a closing line ``N passed, N failed``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]

EXPECTED_STDERR: tuple[str, ...] = ()
"""Regular expressions of stderr lines a learner may see without alarm (none so far)."""


def stderr_lines(nb: nbformat.NotebookNode) -> list[str]:
    """Every line the executed notebook's cells wrote to stderr, less the expected ones."""
    lines = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                lines += [line for line in output["text"].splitlines()
                          if line.strip() and not any(re.search(p, line) for p in EXPECTED_STDERR)]
    return lines


def run(stem: str, folder: Path, timeout: int) -> tuple[bool, str]:
    """Execute ``folder/<stem>.ipynb`` in place; return (passed, one line saying how it went)."""
    path = folder / f"{stem}.ipynb"
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(folder)}}).execute()
    except CellExecutionError as error:
        first = str(error).strip().splitlines()
        return False, f"{stem}: FAILED, a cell raised: {first[-1] if first else error}"
    finally:
        nbformat.write(nb, path)
    seconds = time.perf_counter() - start
    noise = stderr_lines(nb)
    if noise:
        shown = "\n    ".join(noise[:10])
        return False, f"{stem}: FAILED, stderr a learner would read as a failure ({len(noise)} lines):\n    {shown}"
    return True, f"{stem}: ok in {seconds:.0f} s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stems", nargs="*", help="notebook stems (default: every notebook in notebooks/)")
    parser.add_argument("--keep", type=Path, help="run in this folder and keep the executed notebooks")
    parser.add_argument("--timeout", type=int, default=600, help="seconds one cell may take (default 600)")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks run at the same time, one kernel each (default 2)")
    args = parser.parse_args()
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1, got {args.jobs}")
    stems = args.stems or sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    if args.keep and (ROOT == args.keep.resolve() or ROOT in args.keep.resolve().parents):
        parser.error(f"{args.keep} is inside the checkout: run outside it, as Colab does")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="colab-check-"))
    folder.mkdir(parents=True, exist_ok=True)
    for stem in stems:
        shutil.copy(ROOT / "notebooks" / f"{stem}.ipynb", folder / f"{stem}.ipynb")
    os.environ.setdefault("COURSE_PROFILE", "smoke")
    os.chdir(folder)  # the kernels start here: no checkout on sys.path, as on Colab
    results = []
    # separate processes, each driving one kernel (--jobs at a time); lines print as notebooks finish
    with concurrent.futures.ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = [pool.submit(run, stem, folder, args.timeout) for stem in stems]
        for future in concurrent.futures.as_completed(futures):
            passed, line = future.result()
            print(line, flush=True)
            results.append(passed)
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
