"""The project's own files: pins agree, generated parts are in sync, notebooks follow the conventions."""

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat
import pytest

from course_utils import course, profiles

ROOT = Path(__file__).resolve().parents[1]


def _pins(text: str) -> list[str]:
    lines = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip().lstrip("- ").strip()
        if "==" in line:
            lines.append(re.sub(r"\s+", " ", line))
    return lines


def _names(pins: list[str]) -> set[str]:
    return {p.split("==")[0].lower() for p in pins}


# Test and lint tools: the development file only; learners' environments never install them.
DEV_TOOLS = {"hypothesis", "ruff", "playwright", "pytest-xdist",
             "sphinx", "myst-parser", "myst-nb", "pydata-sphinx-theme", "sphinx-book-theme"}  # the last five: make site


def test_environment_yml_and_binder_repeat_the_runtime_pins():
    pins = _pins((ROOT / "requirements.txt").read_text())
    assert any(p.startswith("tensorflow-cpu==") for p in pins)
    assert {"keras", "jupyterlab", "ipywidgets", "nbval", "pillow", "scipy"} <= _names(pins)
    assert not _names(pins) & DEV_TOOLS
    assert _pins((ROOT / "environment.yml").read_text()) == pins
    assert _pins((ROOT / "binder" / "requirements.txt").read_text()) == pins
    assert "python=3.11" in (ROOT / "environment.yml").read_text()
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"


def test_dev_requirements_add_only_the_test_tools():
    text = (ROOT / "requirements-dev.txt").read_text()
    assert "-r requirements.txt" in text.splitlines()
    assert _names(_pins(text)) == DEV_TOOLS


def _third_party_imports(source: str) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module.split(".")[0])
    return {m for m in modules if m not in sys.stdlib_module_names and m != "course_utils"}


def test_pyproject_declares_what_course_utils_and_the_notebooks_import():
    sources = [p.read_text() for p in (ROOT / "course_utils").rglob("*.py")]
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                sources.append("\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))))
    imported = set().union(*map(_third_party_imports, sources))
    distributions = importlib.metadata.packages_distributions()

    def normal(name: str) -> str:  # PEP 503: tensorflow_cpu and tensorflow-cpu are one name
        return re.sub(r"[-_.]+", "-", name).lower()

    needed = {normal(distributions[m][0]) if m in distributions else f"{m} (imported, not installed)" for m in imported}
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    declared = {normal(re.split(r"[<>=!~ ;\[]", d, maxsplit=1)[0]) for d in declared}
    declared |= {"tensorflow-cpu"}  # the CPU build provides the same `tensorflow` module
    assert needed - declared == set(), "import these? declare them in pyproject.toml"
    assert {"pillow", "scipy"} <= declared


def test_binder_installs_course_utils():
    post = (ROOT / "binder" / "postBuild").read_text()
    assert "pip install --no-deps -e ." in post
    assert (ROOT / "binder" / "postBuild").stat().st_mode & 0o111


def test_ci_calls_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "```bash\nmake test\n```" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_generated_parts_are_in_sync():
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "sync_course.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


NOTEBOOKS = [ROOT / "notebooks" / nb.filename for nb in course.present()]


def test_notebook_files_are_all_on_the_course_map():
    on_disk = {p.stem for p in (ROOT / "notebooks").glob("*.ipynb")}
    assert on_disk <= {nb.stem for nb in course.NOTEBOOKS}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_conventions(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "course_utils.setup(seed=" in code[0].source
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged `parameters`"
    assert f'course_utils.params("{path.stem}")' in tagged[0].source
    assert path.stem in profiles.NOTEBOOK_PARAMS
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for heading in ("You will learn", "## Summary"):
        assert heading in text, f"missing {heading!r}"
    assert "Exercise" in text and "<details>" in text
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), "commit notebooks after a full top-to-bottom run"
    for c in code:
        assert not any(o.output_type == "error" for o in c.outputs) or "raises-exception" in c.metadata.get("tags", [])
        for o in c.outputs:
            if o.output_type == "stream" and o.name == "stderr":
                assert "oneDNN" not in o.text and "absl" not in o.text, "TensorFlow log noise in outputs"


def test_start_here_links_every_notebook():
    text = (ROOT / "notebooks" / "00_start_here.ipynb").read_text()
    for nb in course.NOTEBOOKS[1:]:
        assert f"({nb.filename})" in text, nb.stem


def test_command_line(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "KERAS_HOME": str(tmp_path), "COURSE_PROFILE": "smoke", "HOME": str(tmp_path)}
    where = subprocess.run([sys.executable, "-m", "course_utils", "where"], capture_output=True, text=True, env=env)
    assert where.returncode == 0 and where.stdout.splitlines() == [
        "COURSE_DATA_DIR: not set; Keras cache: $KERAS_HOME/datasets",
        "  mnist         not on this machine: would download (or stand-in in smoke)",
        "  fashion_mnist not on this machine: would download (or stand-in in smoke)",
        "  cifar10       not on this machine: would download (or stand-in in smoke)",
    ]
    bad = subprocess.run([sys.executable, "-m", "course_utils", "fetch", "imagenet"], capture_output=True, text=True, env=env)
    assert bad.returncode == 2 and "unknown dataset 'imagenet'" in bad.stderr


@pytest.mark.parametrize("version, accepted", [("3.9", False), ("3.10", True), ("3.11", True), ("3.12", True),
                                               ("3.13", True), ("3.14", False)])
def test_make_accepts_python_3_10_to_3_13(tmp_path, version, accepted):
    fake = tmp_path / "python"  # answers every -c with its version, as `make`'s check asks it
    fake.write_text(f"#!/bin/sh\necho {version}\n")
    fake.chmod(0o755)
    result = subprocess.run(["make", "--no-print-directory", "check-python", f"PYTHON={fake}"], cwd=ROOT,
                            capture_output=True, text=True)
    assert (result.returncode == 0) == accepted, result.stderr
    if not accepted:
        assert f"is Python {version}; the course needs Python 3.10 to 3.13" in result.stderr


def test_the_pinned_packages_agree_with_each_other():
    """`pip check` on the environment `make install` built from the pins (Binder's and conda's are the same pins):
    no package wants a version of another that the pins do not give it. The one line allowed: course_utils
    declares `tensorflow`, which the CPU wheel `tensorflow-cpu` provides under another name."""
    result = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True)
    allowed = re.compile(r"course-utils \S+ requires tensorflow, which is not installed\.")
    problems = [line for line in result.stdout.splitlines() if line.strip() and not allowed.fullmatch(line)
                and not line.startswith("No broken requirements")]
    assert problems == [], "\n".join(problems)


def test_conda_recipe_never_installs_a_second_tensorflow():
    readme = (ROOT / "README.md").read_text()
    conda = next(line for line in readme.splitlines() if "conda env create -f environment.yml" in line)
    assert "pip install --no-deps -e ." in conda, conda
    assert "pip install --no-deps -e ." in (ROOT / "environment.yml").read_text()


def test_colab_installs_the_library_commit_the_notebooks_were_synced_with():
    """The first cells pin the last commit that changed the library (make sync): no later commit changes it."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import sync_course

    pinned = re.search(r"git\+https://github\.com/[^@\"]+@([0-9a-f]{40})", (ROOT / "notebooks" / "00_start_here.ipynb").read_text())
    assert pinned, "the first cell pins no commit: run make sync"
    later = subprocess.run(["git", "rev-list", f"{pinned.group(1)}..HEAD", "--", *sync_course.LIBRARY_PATHS], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    assert later == [], f"the library changed after the pinned commit ({len(later)} commits): commit it, then make sync"
