"""The ways a learner gets in, smoke-tested where this machine allows: `make lab` serves the start
notebook; repo2docker accepts binder/ (``--no-build``: no Docker engine needed); the Colab first cell is
a no-op outside Colab, gives a clear message without course_utils, and installs it on Colab.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat

from .conftest import ROOT_FLAGS, free_port, jupyter_env, missing_tool, stop, wait_http

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
START = "00_start_here.ipynb"
# repo2docker is a tool, not a course dependency: `make test-browser` installs it into build/repo2docker.
REPO2DOCKER = str(ROOT / os.environ.get("REPO2DOCKER", "build/repo2docker/bin/repo2docker"))  # relative: to ROOT


def test_make_lab_serves_the_start_notebook(tmp_path):
    port = free_port()
    args = ["--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            "--IdentityProvider.token=", f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}", *ROOT_FLAGS]
    log = tmp_path / "make-lab.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(["make", "--no-print-directory", "lab", f"LAB_ARGS={' '.join(args)}"], cwd=ROOT,
                                env=jupyter_env(tmp_path), stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        model = json.loads(wait_http(f"{url}/api/contents/{START}?content=0", proc, log, timeout=300))
        assert model["type"] == "notebook" and model["path"] == START
        page = wait_http(f"{url}/lab/tree/{START}", proc, log).decode()
        assert "JupyterLab" in page
        # the settings overrides installed with it: no news question, no update check (binder/overrides.json)
        news = json.loads(wait_http(f"{url}/lab/api/settings/@jupyterlab/apputils-extension:notification", proc, log))
        defaults = {k: v["default"] for k, v in news["schema"]["properties"].items()}
        assert (defaults["fetchNews"], defaults["checkForUpdates"]) == ("false", False), defaults
        # closing a notebook's tab shuts its kernel down (Binder's 2 GB hold one training notebook at a time)
        tracker = json.loads(wait_http(f"{url}/lab/api/settings/@jupyterlab/notebook-extension:tracker", proc, log))
        assert tracker["schema"]["properties"]["kernelShutdown"]["default"] is True
        # What the browser is sent to (jupyter writes it even with --no-browser): the start notebook.
        opens = list((tmp_path / "jupyter-runtime").glob("jpserver-file-to-run-*-open.html"))
        assert len(opens) == 1, "make lab names no notebook to open"
        assert f'href="{url}/lab/tree/{START}"' in opens[0].read_text()
    finally:
        stop(proc)


def test_repo2docker_accepts_binder(tmp_path):
    if not os.access(REPO2DOCKER, os.X_OK):
        missing_tool(f"{REPO2DOCKER} missing: `make test-browser` installs repo2docker into build/repo2docker")
    # --no-build: repo2docker reads the configuration and writes the Dockerfile; no Docker engine needed.
    result = subprocess.run([REPO2DOCKER, "--no-build", "--debug", str(ROOT)], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
    assert "python=3.11" in out, "binder/runtime.txt (python-3.11) not picked up"
    assert 'pip install --no-cache-dir -r "binder/requirements.txt"' in out
    assert "./binder/postBuild" in out, "binder/postBuild (installs course_utils) not run"
    assert "environment.yml" not in out and '-r "requirements.txt"' not in out, "binder/ must be the only config read"


def colab_block() -> str:
    """The generated Colab block at the top of the first code cell (the same in every notebook:
    tests/test_project.py checks that with scripts/sync_course.py --check)."""
    first = next(c for c in nbformat.read(ROOT / "notebooks" / START, as_version=4).cells if c.cell_type == "code")
    block = first.source.split("\n\n", 1)[0]
    assert "google.colab" in block and "pip" in block, block
    return block


HARNESS = textwrap.dedent("""
    import importlib.util, json, subprocess, sys
    calls = []
    subprocess.run = lambda *a, **k: calls.append(a[0])
    if {hide!r}:
        find = importlib.util.find_spec
        importlib.util.find_spec = lambda name, *a: None if name == "course_utils" else find(name, *a)
    if {colab!r}:
        sys.modules["google.colab"] = type(sys)("google.colab")
    try:
        exec(compile({block!r}, "first_cell", "exec"))
        error = None
    except Exception as e:
        error = f"{{type(e).__name__}}: {{e}}"
    print(json.dumps({{"calls": calls, "error": error}}))
""")


def run_block(tmp_path, hide: bool, colab: bool) -> dict:
    code = HARNESS.format(hide=hide, colab=colab, block=colab_block())
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_colab_cell_is_a_noop_outside_colab(tmp_path):
    assert run_block(tmp_path, hide=False, colab=False) == {"calls": [], "error": None}


def test_colab_cell_without_course_utils_says_what_to_do(tmp_path):
    out = run_block(tmp_path, hide=True, colab=False)
    assert out["calls"] == [] and "ModuleNotFoundError" in out["error"] and "make lab" in out["error"]


def test_colab_cell_installs_course_utils_on_colab(tmp_path):
    out = run_block(tmp_path, hide=True, colab=True)
    assert out["error"] is None and len(out["calls"]) == 1
    assert out["calls"][0][1:5] == ["-m", "pip", "install", "-q"]
    assert out["calls"][0][-1].startswith("course-utils @ git+https://github.com/")
    assert re.fullmatch(r"course-utils @ git\+https://github\.com/[^@]+@[0-9a-f]{40}", out["calls"][0][-1])

