"""versions.environment(), notebook 00's verdict on the set-up: the table it prints and the answer it returns,
in a checkout (against the pins), on Colab and after a pip install (against the declared ranges)."""

import platform
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from course_utils import versions

ROOT = Path(__file__).resolve().parents[1]
ADVICE = "DIFFERENT: run make install (see README)"
PACKAGES = ("tensorflow", "keras", "numpy", "matplotlib", "ipywidgets", "scikit-image")
PINS = {"tensorflow": "2.20.0", "keras": "3.15.0", "numpy": "2.3.4", "matplotlib": "3.10.7", "ipywidgets": "8.1.8",
        "scikit-image": "0.25.2", "pillow": "12.0.0"}
RANGES = {"tensorflow": ">=2.16", "keras": ">=3.3", "numpy": ">=1.26", "matplotlib": ">=3.8", "ipywidgets": ">=8",
          "scikit-image": ">=0.22"}
COLAB = {"tensorflow": "2.19.0", "keras": "3.10.0", "numpy": "2.0.2", "matplotlib": "3.10.0", "ipywidgets": "7.7.1",
         "scikit-image": "0.25.2"}  # a Colab runtime before the course is installed


@pytest.fixture
def installed(monkeypatch):
    """A checkout with Python 3.11.9 and the packages of PINS installed exactly as pinned; the test edits the
    dict it returns (and may change the kind of installation)."""
    present = dict(PINS)

    def version(name):
        if name not in present:
            raise metadata.PackageNotFoundError(name)
        return present[name]

    monkeypatch.setattr(metadata, "version", version)
    monkeypatch.setattr(platform, "python_version", lambda: "3.11.9")
    monkeypatch.setattr(versions, "pinned_versions", lambda *a: dict(PINS))
    monkeypatch.setattr(versions, "declared_ranges", lambda: dict(RANGES))
    monkeypatch.setattr(versions, "install_kind", lambda: "checkout")
    return present


def _rows(text: str) -> tuple[str, dict[str, list[str]]]:
    """(the first line, {package: [installed, wanted, status]}) from the printed table."""
    lines = text.splitlines()
    assert lines[1].split() == ["package", "installed", "wanted", "status"]
    return lines[0], {line.split()[0]: [line.split()[1], line.split()[2], " ".join(line.split()[3:])] for line in lines[2:]}


def test_everything_as_pinned_is_true_and_says_ok(installed, capsys):
    assert versions.environment() is True
    first, rows = _rows(capsys.readouterr().out)
    assert "checkout" in first and "requirements.txt" in first
    assert list(rows) == ["python", *PACKAGES]  # pillow is pinned but not one of the checked packages
    assert rows["python"] == ["3.11.9", "3.10-3.13", "ok"]
    assert all(rows[p] == [PINS[p], PINS[p], "ok"] for p in PACKAGES)


def test_one_version_off_is_false_with_the_advice_on_its_line(installed, capsys):
    installed["numpy"] = "2.2.0"
    assert versions.environment() is False
    text = capsys.readouterr().out
    rows = _rows(text)[1]
    assert rows["numpy"] == ["2.2.0", PINS["numpy"], ADVICE]
    assert text.count(ADVICE) == 1 and all(rows[p][2] == "ok" for p in PACKAGES if p != "numpy")


@pytest.mark.parametrize("python, status", [("3.12.1", "ok"), ("3.13.0", "ok"), ("3.10.13", "ok"),
                                            ("3.9.18", "UNSUPPORTED: use Python 3.10-3.13")])
def test_python_3_10_to_3_13_are_supported(installed, monkeypatch, capsys, python, status):
    monkeypatch.setattr(platform, "python_version", lambda: python)
    assert versions.environment() is (status == "ok")
    assert _rows(capsys.readouterr().out)[1]["python"] == [python, "3.10-3.13", status]


def test_a_missing_package_and_the_cpu_wheel(installed, capsys):
    del installed["ipywidgets"]
    installed["tensorflow-cpu"] = installed.pop("tensorflow")  # the CPU-only wheel counts as tensorflow
    assert versions.environment() is False
    rows = _rows(capsys.readouterr().out)[1]
    assert rows["ipywidgets"] == ["missing", PINS["ipywidgets"], ADVICE]
    assert rows["tensorflow"] == [PINS["tensorflow"], PINS["tensorflow"], "ok"]


def test_an_unpinned_package_passes_whatever_is_installed(installed, monkeypatch, capsys):
    pins = {k: v for k, v in PINS.items() if k != "keras"}
    monkeypatch.setattr(versions, "pinned_versions", lambda *a: pins)
    installed["keras"] = "3.0.0"
    assert versions.environment() is True
    assert _rows(capsys.readouterr().out)[1]["keras"] == ["3.0.0", "-", "ok"]


def test_colab_is_checked_against_the_declared_ranges_not_the_pins(installed, monkeypatch, capsys):
    monkeypatch.setattr(versions, "install_kind", lambda: "colab")
    monkeypatch.setattr(platform, "python_version", lambda: "3.12.11")
    installed.clear()
    installed.update(COLAB)
    ok = versions.environment()
    text = capsys.readouterr().out
    first, rows = _rows(text)
    assert "on Colab" in first and "make install" not in text  # advice a Colab user can follow
    assert rows["python"][2] == "ok" and rows["keras"] == ["3.10.0", ">=3.3", "ok"]
    assert rows["tensorflow"] == ["2.19.0", ">=2.16", "ok"]
    assert ok is False and rows["ipywidgets"] == ["7.7.1", ">=8", "OUTSIDE THE RANGE: pip install 'ipywidgets>=8'"]


def test_a_pip_install_names_the_range_to_install(installed, monkeypatch, capsys):
    monkeypatch.setattr(versions, "install_kind", lambda: "pip")
    del installed["scikit-image"]
    installed["keras"] = "3.2.1"
    assert versions.environment() is False
    first, rows = _rows(capsys.readouterr().out)
    assert "with pip" in first
    assert rows["scikit-image"] == ["missing", ">=0.22", "MISSING: pip install 'scikit-image>=0.22'"]
    assert rows["keras"] == ["3.2.1", ">=3.3", "OUTSIDE THE RANGE: pip install 'keras>=3.3'"]
    assert rows["numpy"][2] == "ok"


def test_install_kind(monkeypatch, tmp_path):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setattr(versions, "requirements_path", lambda: tmp_path / "requirements.txt")
    assert versions.install_kind() == "pip"
    (tmp_path / "requirements.txt").write_text("keras==3.15.1\n")
    assert versions.install_kind() == "checkout"
    monkeypatch.setitem(sys.modules, "google.colab", type(sys)("google.colab"))
    assert versions.install_kind() == "colab"


def test_declared_ranges_are_pyprojects_dependencies():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    ranges = versions.declared_ranges()  # from the installed metadata (make install: pip install -e .)
    for line in declared:
        name, _, specifier = line.partition(">=")
        assert ranges[name.strip().lower()] == ">=" + specifier.split("#")[0].strip(), line


def test_pinned_versions_reads_exact_pins_only(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("# the course's pins\nNumPy==2.3.4  # arrays\ntensorflow-cpu==2.20.0 ; sys_platform != 'darwin'\n"
                            "keras>=3.3\n\nscikit-image == 0.25.2\n")
    assert versions.pinned_versions(str(requirements)) == {"numpy": "2.3.4", "tensorflow-cpu": "2.20.0", "scikit-image": "0.25.2"}
    assert versions.pinned_versions(str(tmp_path / "absent.txt")) == {}


def test_pinned_versions_follow_the_python_markers(tmp_path, monkeypatch):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text('numpy==2.4.6; python_version >= "3.11"  # newest\nnumpy==2.2.6; python_version < "3.11"\n')
    here = versions.pinned_versions(str(requirements))["numpy"]
    assert here == ("2.4.6" if sys.version_info >= (3, 11) else "2.2.6")
    real = versions.pinned_versions()  # the repository's own file, as `make install` installed it for this Python
    assert real["keras"] == metadata.version("keras") and real["numpy"] == metadata.version("numpy")
