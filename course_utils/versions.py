"""The set-up check of notebook 00: Python and the key packages against the versions the course pins.

Example:
    >>> sorted(pinned_versions())[:2]
    [...]
"""

from __future__ import annotations

import platform
from importlib import metadata
from pathlib import Path


def pinned_versions(requirements: str | None = None) -> dict[str, str]:
    """Return {package: pinned version} from the repository's requirements.txt (empty if absent)."""
    path = Path(requirements) if requirements else Path(__file__).resolve().parents[1] / "requirements.txt"
    if not path.is_file():
        return {}
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].split(";", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip().lower()] = version.strip()
    return pins


def environment() -> bool:
    """Print Python and the key packages with the versions the course pins; return True if all match.

    Usage: ``course_utils.versions.environment()`` prints one line per package, ``ok`` or what differs.
    """
    pins = pinned_versions()
    rows = [("python", platform.python_version(), "3.11", platform.python_version().startswith("3.11"))]
    for package in ("tensorflow", "keras", "numpy", "matplotlib", "ipywidgets", "scikit-image"):
        try:
            installed = metadata.version(package)
        except metadata.PackageNotFoundError:
            installed = metadata.version(package + "-cpu") if package == "tensorflow" else "missing"
        pinned = pins.get(package) or pins.get(package + "-cpu", "")
        rows.append((package, installed, pinned or "-", not pinned or installed == pinned))
    print(f"{'package':<14}{'installed':<12}{'pinned':<10}status")
    for name, installed, pinned, ok in rows:
        print(f"{name:<14}{installed:<12}{pinned:<10}{'ok' if ok else 'DIFFERENT: run make install (see README)'}")
    return all(ok for *_, ok in rows)
