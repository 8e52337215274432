"""Real-browser tests: JupyterLab from .venv on a free loopback port, driven by headless Debian Chromium.

Run them with ``make test-browser`` (it installs Debian's ``chromium`` first with ``make browser-deps``).
Playwright's Python package only drives that executable (``CHROMIUM``, default ``/usr/bin/chromium``):
it never downloads a browser. Notebooks run on a *copy* of ``notebooks/`` in a temporary folder, so
JupyterLab never saves over a committed notebook. Screenshots go to ``artifacts/browser/`` (gitignored).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ARTIFACTS = ROOT / "artifacts" / "browser"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Needed on a closed network: without the background-networking flags Chromium keeps trying Google's hosts.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# No user settings of its own: the test server gets the defaults of the .venv's JupyterLab, where `make install`
# put the course's overrides (binder/overrides.json: no news question, no update check), as `make lab` does.
# CI and this machine run as root; JupyterLab refuses that unless told.
ROOT_FLAGS = ["--allow-root"] if os.geteuid() == 0 else []


def missing_tool(message: str) -> None:
    """Skip a test whose tool is missing on a developer's machine, but fail it in CI (``CI=true``).

    CI must never turn green by skipping the browser checks it exists to run.
    """
    if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
        pytest.fail(f"{message} (CI=true: a missing tool fails here instead of skipping)")
    pytest.skip(message)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def jupyter_env(tmp: Path) -> dict[str, str]:
    """The environment for a test JupyterLab: smoke profile, COURSE_DATA_DIR passed through, private
    Jupyter config/data/runtime folders (nothing read from or written to the user's ~/.jupyter)."""
    env = dict(os.environ)
    env["COURSE_PROFILE"] = "smoke"
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["JUPYTER_CONFIG_DIR"] = str(tmp / "jupyter-config")
    env["JUPYTER_RUNTIME_DIR"] = str(tmp / "jupyter-runtime")
    env["JUPYTER_DATA_DIR"] = str(tmp / "jupyter-data")  # no kernel spec from ~/.local: the .venv's python3
    env["JUPYTER_PLATFORM_DIRS"] = "1"
    env.pop("JUPYTER_TOKEN", None)
    return env


def wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 120) -> bytes:
    """Poll ``url`` until it answers 200; fail early (with the server log) if the server process ends."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode} before {url} answered:\n{tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:  # noqa: S310 (loopback only)
                if r.status == 200:
                    return r.read()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    pytest.fail(f"{url} did not answer 200 within {timeout:.0f} s:\n{tail(log)}")


def tail(log: Path, n: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


def stop(proc: subprocess.Popen, timeout: float = 20) -> None:
    """Stop a server started with ``start_new_session=True``: SIGTERM to its own process group (jupyter
    shuts its kernels down on SIGTERM), then SIGKILL if it is still there."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory) -> Path:
    """A copy of notebooks/ (the server's root): JupyterLab may autosave there, never in the repository."""
    root = tmp_path_factory.mktemp("lab") / "notebooks"
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "notebooks"],
                            cwd=ROOT, capture_output=True, text=True)
    if listed.returncode == 0:  # what git keeps (not checkpoints/ and other ignored run leftovers)
        for name in filter(None, listed.stdout.split("\0")):
            if (ROOT / name).is_file():
                (root.parent / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, root.parent / name)
    else:  # not a git checkout
        shutil.copytree(ROOT / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "checkpoints"))
    return root


@contextlib.contextmanager
def running_lab(root: Path, tmp: Path, *extra_args: str):
    """Run the .venv's JupyterLab over ``root`` on 127.0.0.1:<free port>, no token, window.jupyterapp exposed,
    empty user settings and workspaces under ``tmp``; yield its URL, stop it (and its kernels) after."""
    tmp.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = tmp / "jupyterlab.log"
    cmd = [
        str(BIN / "jupyter"), "lab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        "--IdentityProvider.token=", "--ServerApp.password=",
        f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True",
        f"--LabApp.user_settings_dir={tmp / 'user-settings'}", f"--LabApp.workspaces_dir={tmp / 'workspaces'}",
        *extra_args,
    ] + ROOT_FLAGS  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=root, env=jupyter_env(tmp), stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/api/status", proc, log)
        yield url
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def lab(lab_root: Path, tmp_path_factory):
    """A JupyterLab server over the copy of notebooks/ (see :func:`running_lab`). Yields its URL."""
    with running_lab(lab_root, tmp_path_factory.mktemp("lab-server")) as url:
        yield url


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory):
    """Headless Debian Chromium with a fresh, empty profile folder, driven by Playwright."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} not found: run `make browser-deps` (installs Debian's chromium)")
    try:
        from playwright import sync_api
    except ImportError:
        missing_tool("playwright is not installed: pip install -r requirements-dev.txt (it pins playwright)")
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 900},
        )  # fmt: skip
        context.set_default_timeout(60_000)
        try:
            yield context
        finally:
            context.close()
