"""versions.environment() (versions.environment() before issue 24), notebook 00's verdict on the set-up: the table
it prints and the answer it returns."""

import platform
from importlib import metadata

import pytest

from course_utils import versions

ADVICE = "DIFFERENT: run make install (see README)"
PACKAGES = ("tensorflow", "keras", "numpy", "matplotlib", "ipywidgets", "scikit-image")
PINS = {"tensorflow": "2.20.0", "keras": "3.15.0", "numpy": "2.3.4", "matplotlib": "3.10.7", "ipywidgets": "8.1.8",
        "scikit-image": "0.25.2", "pillow": "12.0.0"}


@pytest.fixture
def installed(monkeypatch):
    """Python 3.11.9 and the packages of PINS, installed exactly as pinned; the test edits the dict it returns."""
    present = dict(PINS)

    def version(name):
        if name not in present:
            raise metadata.PackageNotFoundError(name)
        return present[name]

    monkeypatch.setattr(metadata, "version", version)
    monkeypatch.setattr(platform, "python_version", lambda: "3.11.9")
    monkeypatch.setattr(versions, "pinned_versions", lambda *a: dict(PINS))
    return present


def _rows(text: str) -> dict[str, list[str]]:
    """{package: [installed, pinned, status]} from the printed table (after its header)."""
    lines = text.splitlines()
    assert lines[0].split() == ["package", "installed", "pinned", "status"]
    return {line.split()[0]: [line.split()[1], line.split()[2], " ".join(line.split()[3:])] for line in lines[1:]}


def test_everything_as_pinned_is_true_and_says_ok(installed, capsys):
    assert versions.environment() is True
    rows = _rows(capsys.readouterr().out)
    assert list(rows) == ["python", *PACKAGES]  # pillow is pinned but not one of the checked packages
    assert rows["python"] == ["3.11.9", "3.11", "ok"]
    assert all(rows[p] == [PINS[p], PINS[p], "ok"] for p in PACKAGES)


def test_one_version_off_is_false_with_the_advice_on_its_line(installed, capsys):
    installed["numpy"] = "2.2.0"
    assert versions.environment() is False
    text = capsys.readouterr().out
    rows = _rows(text)
    assert rows["numpy"] == ["2.2.0", PINS["numpy"], ADVICE]
    assert text.count(ADVICE) == 1 and all(rows[p][2] == "ok" for p in PACKAGES if p != "numpy")


def test_another_python_a_missing_package_and_the_cpu_wheel(installed, monkeypatch, capsys):
    monkeypatch.setattr(platform, "python_version", lambda: "3.12.1")
    del installed["ipywidgets"]
    installed["tensorflow-cpu"] = installed.pop("tensorflow")  # the CPU-only wheel counts as tensorflow
    assert versions.environment() is False
    rows = _rows(capsys.readouterr().out)
    assert rows["python"] == ["3.12.1", "3.11", ADVICE]
    assert rows["ipywidgets"] == ["missing", PINS["ipywidgets"], ADVICE]
    assert rows["tensorflow"] == [PINS["tensorflow"], PINS["tensorflow"], "ok"]


def test_an_unpinned_package_passes_whatever_is_installed(installed, monkeypatch, capsys):
    pins = {k: v for k, v in PINS.items() if k != "keras"}
    monkeypatch.setattr(versions, "pinned_versions", lambda *a: pins)
    installed["keras"] = "3.0.0"
    assert versions.environment() is True
    assert _rows(capsys.readouterr().out)["keras"] == ["3.0.0", "-", "ok"]


def test_pinned_versions_reads_exact_pins_only(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# the course's pins\nNumPy==2.3.4  # arrays\ntensorflow-cpu==2.20.0 ; sys_platform != 'darwin'\n"
                            "keras>=3.3\n\nscikit-image == 0.25.2\n")
    assert versions.pinned_versions(str(requirements)) == {"numpy": "2.3.4", "tensorflow-cpu": "2.20.0", "scikit-image": "0.25.2"}
    assert versions.pinned_versions(str(tmp_path / "absent.txt")) == {}
