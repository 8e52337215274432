"""scripts/run_colab_check.py (make test-colab): which stderr fails a notebook, and where it may run."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("run_colab_check", ROOT / "scripts" / "run_colab_check.py")
colab_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(colab_check)


def _notebook(*streams: tuple[str, str]) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("pass")
    cell.outputs = [nbformat.v4.new_output("stream", name=name, text=text) for name, text in streams]
    return nbformat.v4.new_notebook(cells=[cell])


def test_every_stderr_line_counts_and_stdout_does_not(monkeypatch):
    nb = _notebook(("stdout", "fine\n"), ("stderr", "E cuda_platform.cc:51] something failed\n\n"))
    assert colab_check.stderr_lines(nb) == ["E cuda_platform.cc:51] something failed"]
    monkeypatch.setattr(colab_check, "EXPECTED_STDERR", (r"something failed",))
    assert colab_check.stderr_lines(nb) == []
    assert colab_check.stderr_lines(_notebook(("stdout", "all good\n"))) == []


def test_refuses_to_run_inside_the_checkout():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "run_colab_check.py"), "--keep",
                             str(ROOT / "build" / "inside"), "00_start_here"], capture_output=True, text=True)
    assert result.returncode == 2 and "inside the checkout" in result.stderr
