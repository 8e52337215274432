"""The set-up check of notebook 00: Python and the key packages against what this installation should have.

Where the course was installed decides what "right" means (:func:`install_kind`):

- ``"checkout"``: the repository's ``requirements.txt`` sits beside the package (``make install``, conda,
  Binder): every package should be exactly as pinned there, and ``make install`` fixes a difference;
- ``"colab"`` and ``"pip"``: the package was installed by pip (Colab's first cell, or ``pip install`` of
  the repository) into an environment it did not build: each package should be within the range that
  ``course_utils`` declares (its ``pyproject.toml`` dependencies, read from the installed metadata), and
  the advice is a ``pip install`` of that range.

Example:
    >>> install_kind() in ("checkout", "colab", "pip")
    True
"""

from __future__ import annotations

import platform
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

SUPPORTED_PYTHONS = ("3.10", "3.11", "3.12", "3.13")
"""The Python versions the course supports (``make`` accepts these; CI runs 3.11 and Colab's 3.12)."""

CHECKED_PACKAGES = ("tensorflow", "keras", "numpy", "matplotlib", "ipywidgets", "scikit-image")
"""The packages the check prints, in its order."""

DISTRIBUTION = "course-utils"
"""The name ``course_utils`` is installed under (``pyproject.toml``)."""

CHECKOUT_ADVICE = "DIFFERENT: run make install (see README)"


def requirements_path() -> Path:
    """Where a repository checkout keeps the exact pins: ``requirements.txt`` beside the package."""
    return Path(__file__).resolve().parents[1] / "requirements.txt"


def install_kind() -> str:
    """Return ``"colab"`` on Google Colab, ``"checkout"`` where the repository's pins sit beside the
    package, else ``"pip"`` (installed with pip from a wheel or the repository address)."""
    if "google.colab" in sys.modules:  # Colab's kernels import it at start (the first cell tests the same)
        return "colab"
    return "checkout" if requirements_path().is_file() else "pip"


def pinned_versions(requirements: str | None = None) -> dict[str, str]:
    """Return {package: pinned version} from the repository's requirements.txt (empty if absent).

    Only exact pins (``==``) whose environment marker holds here: on Python 3.10 the lines marked
    ``python_version < "3.11"``, elsewhere the others.
    """
    path = Path(requirements) if requirements else requirements_path()
    if not path.is_file():
        return {}
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" not in line:
            continue
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate():
            pins[requirement.name.lower()] = str(requirement.specifier).removeprefix("==")
    return pins


def declared_ranges() -> dict[str, str]:
    """Return {package: version range} that the installed ``course_utils`` declares, e.g. ``{"keras": ">=3.3"}``.

    Read from the installed package's metadata (the ``dependencies`` of ``pyproject.toml``); empty when
    ``course_utils`` is imported from a folder that was never installed.
    """
    try:
        requires = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        return {}
    ranges = {}
    for text in requires:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue
        if requirement.marker is None or requirement.marker.evaluate():
            ranges[requirement.name.lower()] = str(requirement.specifier)
    return ranges


def installed_version(package: str) -> str:
    """The installed version of ``package`` ("missing" if absent); ``tensorflow-cpu`` counts as ``tensorflow``."""
    for name in (package, package + "-cpu") if package == "tensorflow" else (package,):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "missing"


def _within(installed: str, specifier: str) -> bool:
    try:
        return Version(installed) in SpecifierSet(specifier)
    except InvalidVersion:
        return False


def environment() -> bool:
    """Print Python and the key packages beside what this installation should have; return True if all fit.

    One line per package: what is installed, what is wanted (the pin in a checkout, the declared range
    elsewhere) and ``ok`` or what to do.
    """
    kind = install_kind()
    python = platform.python_version()
    major_minor = ".".join(python.split(".")[:2])
    supported = f"{SUPPORTED_PYTHONS[0]}-{SUPPORTED_PYTHONS[-1]}"
    rows = [("python", python, supported,
             "ok" if major_minor in SUPPORTED_PYTHONS else f"UNSUPPORTED: use Python {supported}")]
    if kind == "checkout":
        pins = pinned_versions()
        for package in CHECKED_PACKAGES:
            installed = installed_version(package)
            pinned = pins.get(package) or pins.get(package + "-cpu", "")
            rows.append((package, installed, pinned or "-", "ok" if not pinned or installed == pinned else CHECKOUT_ADVICE))
        print("installed from a checkout of the repository: packages checked against its pins (requirements.txt)")
    else:
        ranges = declared_ranges()
        for package in CHECKED_PACKAGES:
            installed, wanted = installed_version(package), ranges.get(package, "")
            if installed == "missing":
                status = f"MISSING: pip install '{package}{wanted}'"
            elif wanted and not _within(installed, wanted):
                status = f"OUTSIDE THE RANGE: pip install '{package}{wanted}'"
            else:
                status = "ok"
            rows.append((package, installed, wanted or "-", status))
        where = "on Colab" if kind == "colab" else "with pip"
        print(f"installed {where}: packages checked against the ranges course_utils declares (pyproject.toml)")
    print(f"{'package':<14}{'installed':<12}{'wanted':<11}status")
    for name, installed, wanted, status in rows:
        print(f"{name:<14}{installed:<12}{wanted:<11}{status}")
    return all(status == "ok" for *_, status in rows)
