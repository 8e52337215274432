"""Presenting in class: a notebook opens as RISE slides (jupyterlab-rise), and JupyterLab starts with a clean
screen: no "Would you like to get notified about official Jupyter news?" question, no update notice.

The clean screen comes from the settings overrides `make install` (and Binder's postBuild) put into the
.venv's JupyterLab (binder/overrides.json); the control run starts JupyterLab without them and must see the
question, so the check cannot pass by looking in the wrong place.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import nbformat

from .conftest import running_lab

SLIDES_NOTEBOOK = "08_vgg16.ipynb"  # the latest lesson
NEWS_PLUGIN = "@jupyterlab/apputils-extension:notification"
NEWS_QUESTION = "Would you like to get notified about official Jupyter news?"
# JupyterLab raises the news question as soon as it is restored and its notification settings are loaded;
# both runs (with and without the overrides) look at the screen this long after that.
SETTLE_MS = 8_000
JS_TOASTS = "() => Array.from(document.querySelectorAll('.Toastify__toast')).map(n => n.textContent.trim())"
JS_SLIDES = """() => ({
  slides: document.querySelectorAll('.reveal .slides > section').length,
  steps: document.querySelectorAll('.reveal .slides > section > section').length,
  first: (document.querySelector('.reveal .slides > section') || {textContent: ''}).textContent,
})"""


def test_a_notebook_opens_as_slides(lab, lab_root, browser_context, artifacts):
    nb = nbformat.read(lab_root / SLIDES_NOTEBOOK, as_version=4)
    kinds = [c.metadata.get("slideshow", {}).get("slide_type") for c in nb.cells]
    assert None not in kinds, f"{SLIDES_NOTEBOOK}: cells without slide metadata: run `make sync`"
    title = next(c.source for c in nb.cells if c.cell_type == "markdown").splitlines()[0].lstrip("# ").strip()
    page = browser_context.new_page()
    try:
        page.goto(f"{lab}/rise/{SLIDES_NOTEBOOK}", wait_until="domcontentloaded")
        page.wait_for_function("n => document.querySelectorAll('.reveal .slides > section').length >= n",
                               arg=kinds.count("slide"), timeout=180_000, polling=500)  # fmt: skip
        page.wait_for_timeout(2_000)  # the same count a moment later: RISE has finished laying out
        shown = page.evaluate(JS_SLIDES)
        page.screenshot(path=str(artifacts / "slides-first.png"))
    finally:
        page.close()
    # One horizontal slide per "slide" cell; below each, one step for it and one per "subslide" cell.
    assert shown["slides"] == kinds.count("slide"), shown
    assert shown["steps"] == kinds.count("slide") + kinds.count("subslide"), shown
    assert title in shown["first"], f"the first slide does not show the title {title!r}"


def _toasts_after_start(browser_context, url: str, shot: Path) -> list[str]:
    """Open JupyterLab at ``url`` (no notebook), wait until it is restored plus SETTLE_MS; return the texts
    of the notifications (toasts) on screen."""
    page = browser_context.new_page()
    try:
        page.goto(f"{url}/lab?reset", wait_until="domcontentloaded")
        page.wait_for_function("() => !!window.jupyterapp", timeout=180_000, polling=200)
        page.evaluate("async () => { await window.jupyterapp.restored; }")
        page.wait_for_timeout(SETTLE_MS)
        page.screenshot(path=str(shot))
        return page.evaluate(JS_TOASTS)
    finally:
        page.close()


def _news_default(url: str) -> str:
    with urllib.request.urlopen(f"{url}/lab/api/settings/{NEWS_PLUGIN}", timeout=30) as r:  # noqa: S310 (loopback)
        return json.loads(r.read())["schema"]["properties"]["fetchNews"]["default"]


def test_no_news_question_or_other_popup_on_start(lab, browser_context, artifacts):
    assert _news_default(lab) == "false", "the overrides are not installed: run `make install`"
    toasts = _toasts_after_start(browser_context, lab, artifacts / "clean-screen.png")
    assert toasts == [], f"pop-ups on a fresh JupyterLab: {toasts}"


def test_control_without_the_overrides_the_question_appears(lab_root, browser_context, artifacts, tmp_path):
    empty = tmp_path / "no-overrides"
    empty.mkdir()
    with running_lab(lab_root, tmp_path / "server", f"--LabApp.app_settings_dir={empty}") as url:
        assert _news_default(url) == "none"
        toasts = _toasts_after_start(browser_context, url, artifacts / "clean-screen-control.png")
    assert any(NEWS_QUESTION in t for t in toasts), f"the control run did not show the news question: {toasts}"
