"""Install the course's JupyterLab settings overrides into the environment that runs JupyterLab.

    python scripts/install_lab_settings.py    # `make install` and binder/postBuild run this

The overrides (``binder/overrides.json``, the one source) change JupyterLab's defaults for everyone using
this environment, so the projector shows a clean screen: no "Would you like to get notified about official
Jupyter news?" question and no update check (both would also try to reach the internet), RISE slides
scroll when a cell is taller than the screen, and closing a notebook's tab shuts its kernel down (on a
2 GB Binder, a training notebook left running in a closed tab would take memory the next one needs). A learner can still change any of them in Settings.

They go to ``<JupyterLab application dir>/settings/overrides.d/cnn-classics.json`` (the application dir is
``<environment>/share/jupyter/lab`` unless ``JUPYTERLAB_DIR`` says otherwise). JupyterLab reads every file
in ``overrides.d/`` before the single ``overrides.json``, so a user's own ``overrides.json`` is neither
replaced nor outranked.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "binder" / "overrides.json"
INSTALLED_NAME = "cnn-classics.json"


def overrides_target() -> Path:
    """Return where this environment's JupyterLab reads the course's overrides from."""
    from jupyterlab.commands import get_app_dir  # JupyterLab's own answer (honours JUPYTERLAB_DIR)

    return Path(get_app_dir()) / "settings" / "overrides.d" / INSTALLED_NAME


def install() -> Path:
    """Copy ``binder/overrides.json`` into place (after checking it is valid JSON); return the target."""
    try:
        json.loads(SOURCE.read_text())
    except json.JSONDecodeError as error:
        raise SystemExit(f"{SOURCE} is not valid JSON ({error}): fix it, then run this again") from None
    target = overrides_target()
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SOURCE, target)
    return target


if __name__ == "__main__":
    print(f"JupyterLab settings overrides: {install()}")
    sys.exit(0)
