"""Presenting the course: slide types come from one rule in scripts/sync_course.py, and the JupyterLab
settings overrides (binder/overrides.json) switch off the news question and the update check.

The browser side (a notebook opened as slides, no pop-up on screen) is in tests_browser/test_presenting.py.
"""

import doctest
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_raw_cell

ROOT = Path(__file__).resolve().parents[1]
NEWS_PLUGIN = "@jupyterlab/apputils-extension:notification"
TRACKER_PLUGIN = "@jupyterlab/notebook-extension:tracker"
RISE_PLUGIN = "jupyterlab-rise:plugin"


sys.path.insert(0, str(ROOT / "scripts"))  # the scripts import each other by name (make_site uses sync_course)
import sync_course  # noqa: E402


def _lesson() -> nbformat.NotebookNode:
    """A small notebook shaped like a lesson; the expected slide types below are worked out by hand."""
    parameters = new_code_cell('P = course_utils.params("x")')
    parameters.metadata["tags"] = ["parameters"]
    return new_notebook(cells=[
        new_markdown_cell("# 99 · A lesson\n\nYou will learn"),  # slide: the title
        new_code_cell("# extra code: makes this notebook run anywhere\ncourse_utils.setup(seed=42)"),  # skip
        new_code_cell('print(course_utils.results.time_text("x"))'),  # -
        new_markdown_cell("All sizes come from the profile."),  # subslide: text after code
        parameters,  # skip
        new_markdown_cell("## 1. First part"),  # slide
        new_markdown_cell("Some words."),  # -
        new_code_cell("x = 1"),  # -
        new_code_cell("x + 1"),  # -
        new_markdown_cell("\n### 1.1 Detail"),  # subslide
        new_raw_cell("raw"),  # -
        new_markdown_cell("## Summary"),  # slide
    ])  # fmt: skip


LESSON_TYPES = ["slide", "skip", "-", "subslide", "skip", "slide", "-", "-", "-", "subslide", "-", "slide"]


def test_docstring_example_of_the_rule():
    outcome = doctest.testmod(sync_course)
    assert outcome.attempted >= 2 and outcome.failed == 0


def test_slide_types_follow_the_rule():
    assert sync_course.slide_types(_lesson()) == LESSON_TYPES


def test_the_first_cell_shown_is_a_slide():
    nb = new_notebook(cells=[new_code_cell("setup()"), new_markdown_cell("Plain words, no heading."),
                             new_code_cell("x = 1"), new_markdown_cell("More words.")])  # fmt: skip
    assert sync_course.slide_types(nb) == ["skip", "slide", "-", "subslide"]


def test_sync_writes_slide_metadata_once_and_check_writes_nothing(tmp_path):
    path = tmp_path / "lesson.ipynb"
    nbformat.write(_lesson(), path)
    block = sync_course.first_cell_block("https://github.com/o/n", "0123abcd" * 5)
    assert '"course-utils @ git+https://github.com/o/n@' + "0123abcd" * 5 + '"' in block  # Colab: that commit
    before = path.read_text()
    assert sync_course.sync_notebook(path, block, write=False) is True
    assert path.read_text() == before, "--check must not write"
    assert sync_course.sync_notebook(path, block) is True
    nb = nbformat.read(path, as_version=4)
    assert [c.metadata["slideshow"]["slide_type"] for c in nb.cells] == LESSON_TYPES
    assert nb.cells[1].source.startswith(block + "\n")
    assert sync_course.sync_notebook(path, block) is False, "a synced notebook is up to date"
    nb.cells[5].metadata["slideshow"]["slide_type"] = "-"  # an edit by hand is reported and put back
    nbformat.write(nb, path)
    assert sync_course.sync_notebook(path, block, write=False) is True


def test_overrides_name_real_settings_with_valid_values():
    from jupyterlab.commands import get_app_dir

    overrides = json.loads((ROOT / "binder" / "overrides.json").read_text())
    assert overrides[NEWS_PLUGIN] == {"fetchNews": "false", "checkForUpdates": False}
    assert overrides[TRACKER_PLUGIN] == {"kernelShutdown": True}  # a closed tab frees its kernel's memory (Binder)
    schemas = {
        NEWS_PLUGIN: Path(get_app_dir()) / "schemas" / "@jupyterlab" / "apputils-extension" / "notification.json",
        RISE_PLUGIN: Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "jupyterlab-rise" / "schemas"
        / "jupyterlab-rise" / "plugin.json",
        TRACKER_PLUGIN: Path(get_app_dir()) / "schemas" / "@jupyterlab" / "notebook-extension" / "tracker.json",
    }  # fmt: skip
    assert set(overrides) == set(schemas)
    for plugin, values in overrides.items():
        properties = json.loads(schemas[plugin].read_text())["properties"]
        for key, value in values.items():
            spec = properties[key]
            allowed = [choice["const"] for choice in spec["oneOf"]] if "oneOf" in spec else None
            assert value in allowed if allowed else isinstance(value, bool) and spec["type"] == "boolean", key


def _defaults(app_dir: Path, plugin: str) -> dict:
    """The defaults JupyterLab's own settings code serves for ``plugin`` with the overrides of ``app_dir``."""
    from jupyterlab.commands import get_app_dir
    from jupyterlab_server.settings_utils import get_settings

    real = Path(get_app_dir())
    labextensions = [str(Path(sys.prefix) / "share" / "jupyter" / "labextensions")]
    settings, _ = get_settings(str(app_dir / "settings"), str(real / "schemas"), str(app_dir / "user-settings"),
                               schema_name=plugin, labextensions_path=labextensions)  # fmt: skip
    return {key: spec.get("default") for key, spec in settings["schema"]["properties"].items()}


def test_installed_overrides_are_what_jupyterlab_serves(tmp_path):
    app_dir = tmp_path / "lab"
    assert _defaults(app_dir, NEWS_PLUGIN)["fetchNews"] == "none"  # without them: JupyterLab asks about news
    env = {"PATH": "/usr/bin:/bin", "JUPYTERLAB_DIR": str(app_dir), "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "install_lab_settings.py")],
                            capture_output=True, text=True, env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    installed = app_dir / "settings" / "overrides.d" / "cnn-classics.json"
    assert str(installed) in result.stdout
    news = _defaults(app_dir, NEWS_PLUGIN)
    assert (news["fetchNews"], news["checkForUpdates"]) == ("false", False)
    assert _defaults(app_dir, RISE_PLUGIN)["scroll"] is True
    # A user's own overrides.json is kept, and wins over the course's file.
    (app_dir / "settings" / "overrides.json").write_text(json.dumps({NEWS_PLUGIN: {"fetchNews": "true"}}))
    assert subprocess.run([sys.executable, str(ROOT / "scripts" / "install_lab_settings.py")], env=env).returncode == 0
    assert _defaults(app_dir, NEWS_PLUGIN)["fetchNews"] == "true"


def test_make_install_and_binder_install_the_overrides():
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^install: .*\$\(LAB_SETTINGS\)", makefile, re.M), "make install must install the overrides"
    assert re.search(r"^\$\(LAB_SETTINGS\):.*\n\t\$\(BIN\)/python scripts/install_lab_settings.py", makefile, re.M)
    post = (ROOT / "binder" / "postBuild").read_text().splitlines()
    assert "python scripts/install_lab_settings.py" in post
