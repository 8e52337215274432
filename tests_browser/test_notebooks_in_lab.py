"""Every notebook opened in JupyterLab in a real browser: Restart Kernel and Run All Cells (smoke profile),
no error or traceback anywhere, a screenshot each; widget explorers answer a slider move.

A notebook counts as a widget notebook when its committed outputs hold an ipywidgets view or its code
calls an ``*_explorer``; there the first slider is moved with the keyboard and the text (or figure) of
its output region must change. ``widget_demo`` checks that mechanism on a tiny notebook made here.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
# Per notebook in the smoke profile (each takes well under a minute): a hang fails fast, not at CI's limit.
RUN_TIMEOUT_S = float(os.environ.get("BROWSER_RUN_TIMEOUT", "300"))

# JavaScript run in the page; `app` is JupyterLab's window.jupyterapp (LabApp.expose_app_in_browser).
JS_NOTEBOOK_READY = """path => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!w || !w.context || w.context.path !== path || !w.context.isReady || !w.sessionContext) return false;
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  return w.sessionContext.isReady && !!k && k.status === 'idle';
}"""
JS_KERNEL_IDLE = """() => {
  const k = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
  return k && k.status === 'idle';
}"""
JS_STATE = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  const cells = w.content.widgets.filter(c => c.model.type === 'code');
  return {
    status: k ? k.status : 'none',
    cells: cells.map(c => {
      const j = c.model.toJSON();
      return {count: c.model.executionCount, source: c.model.sharedModel.getSource(),
              tags: (j.metadata && j.metadata.tags) || [], outputs: j.outputs || [],
              busy: !!c.promptNode && c.promptNode.textContent.includes('*')};
    }),
  };
}"""
JS_TO_TOP = """async () => {
  const n = window.jupyterapp.shell.currentWidget.content;
  n.activeCellIndex = 0;
  await n.scrollToItem(0, 'start');
}"""
# Error texts a learner would see in an output area (tracebacks, widgets that fail to render).
JS_SHOWN_ERRORS = """() => Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output'))
  .map(n => n.textContent)
  .filter(t => /Traceback \\(most recent call last\\)|Error displaying widget|Error rendering output/.test(t))
  .map(t => t.slice(0, 400))"""
# What a widget's output region shows, minus the slider itself (its readout changes with any move).
JS_OUTPUT_SIGNATURE = """el => {
  const copy = el.cloneNode(true);
  copy.querySelectorAll('.widget-slider, .widget-readout').forEach(n => n.remove());
  let h = 0;
  for (const img of el.querySelectorAll('img')) {
    for (let i = 0; i < img.src.length; i += 1) h = (h * 31 + img.src.charCodeAt(i)) | 0;
  }
  return copy.textContent.replace(/\\s+/g, ' ').trim() + ' | images ' + el.querySelectorAll('img').length + ':' + h;
}"""


def is_widget_notebook(path: Path) -> bool:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if "_explorer(" in cell.source or any(WIDGET_MIME in o.get("data", {}) for o in cell.outputs):
            return True
    return False


def errors_in(state: dict) -> list[str]:
    found = []
    for i, cell in enumerate(state["cells"]):
        if "raises-exception" in cell["tags"]:
            continue
        for out in cell["outputs"]:
            if out.get("output_type") == "error":
                found.append(f"code cell {i}: {out.get('ename')}: {out.get('evalue')}")
            elif out.get("output_type") == "stream" and "Traceback" in "".join(out.get("text", "")):
                found.append(f"code cell {i}: traceback on {out.get('name')}")
    return found


class Lab:
    """One JupyterLab tab for the whole session (loading JupyterLab's front end again for every notebook
    costs seconds each); notebooks are opened in it one at a time, and closed with their kernel after.
    If closing fails, the tab is dropped and the next notebook gets a fresh one."""

    def __init__(self, context, url: str) -> None:
        self.context, self.url, self.page = context, url, None

    def open(self, name: str):
        if self.page is None:
            self.page = self.context.new_page()
            self.page.goto(f"{self.url}/lab?reset", wait_until="domcontentloaded")
            self.page.wait_for_function("() => !!window.jupyterapp", timeout=180_000, polling=200)
            self.page.evaluate("async () => { await window.jupyterapp.restored; }")
        self.page.evaluate("async path => { await window.jupyterapp.commands.execute('docmanager:open', {path}); }", name)
        self.page.wait_for_function(JS_NOTEBOOK_READY, arg=name, timeout=180_000, polling=200)
        return self.page

    def close_all(self) -> None:
        """Shut down every open notebook's kernel and close its tab without saving."""
        if self.page is None:
            return
        try:
            self.page.evaluate(JS_CLOSE_ALL)
            clean = self.page.locator(".jp-Dialog").count() == 0
        except Exception:  # noqa: BLE001 (a broken tab: start over with a new one)
            clean = False
        if not clean:
            self.page.close()
            self.page = None


JS_CLOSE_ALL = """async () => {
  for (const w of Array.from(window.jupyterapp.shell.widgets('main'))) {
    if (w.sessionContext) { await w.sessionContext.shutdown(); w.dispose(); }
  }
}"""


@pytest.fixture(scope="module")
def jlab(lab, browser_context):
    session = Lab(browser_context, lab)
    yield session
    session.close_all()
    if session.page is not None:
        session.page.close()


def run_all(lab: Lab, name: str, timeout_s: float = RUN_TIMEOUT_S):
    """Open ``name`` in JupyterLab, clear outputs, Restart Kernel and Run All Cells (confirming the dialog
    like a person), and wait until the kernel is idle and every code cell ran (or one failed).
    Returns (page, state)."""
    t0 = time.monotonic()
    page = lab.open(name)
    t_open = time.monotonic() - t0
    page.evaluate("async () => { await window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs'); }")
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:restart-run-all'); }")
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for()
    assert "Restart" in dialog.inner_text()
    dialog.locator(".jp-mod-accept").click()
    deadline = time.monotonic() + timeout_s
    done_polls = 0
    while True:
        state = page.evaluate(JS_STATE)
        cells = [c for c in state["cells"] if c["source"].strip()]
        finished = state["status"] == "idle" and not any(c["busy"] for c in cells)
        all_ran = all(c["count"] is not None for c in cells)
        done_polls = done_polls + 1 if finished and (all_ran or errors_in(state)) else 0
        if done_polls >= 2:  # the same answer one second apart: nothing queued in between
            state["seconds"] = {"open": round(t_open, 1), "run": round(time.monotonic() - t0 - t_open - 1, 1)}
            return page, state
        if time.monotonic() > deadline:
            pending = [i for i, c in enumerate(cells) if c["count"] is None]
            pytest.fail(f"{name}: not finished after {timeout_s:.0f} s (kernel {state['status']}, "
                        f"code cells not run: {pending[:10]})")
        time.sleep(1)


def check_ran_cleanly(page, name: str, state: dict) -> None:
    errors = errors_in(state) + page.evaluate(JS_SHOWN_ERRORS)
    assert not errors, f"{name} shows errors in JupyterLab:\n" + "\n".join(errors)
    cells = [c for c in state["cells"] if c["source"].strip()]
    counts = [c["count"] for c in cells]
    assert counts == list(range(1, len(cells) + 1)), f"{name}: not one fresh top-to-bottom run: {counts}"


def move_first_slider(page, shot: Path) -> tuple[str, str]:
    """Move the first ipywidgets slider one step with the keyboard (ArrowRight, or ArrowLeft at the end
    of its range) and wait until its output region shows something else. Returns (before, after)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    slider = page.locator(".jp-OutputArea-output .widget-slider").first
    slider.wait_for(timeout=60_000)
    region = slider.locator("xpath=ancestor::div[contains(concat(' ', @class, ' '), ' jp-OutputArea ')][1]")
    handle = slider.locator(".noUi-handle").first
    readout = slider.locator(".widget-readout").first
    slider.scroll_into_view_if_needed()
    before = region.evaluate(JS_OUTPUT_SIGNATURE)
    value = readout.inner_text()
    for key in ("ArrowRight", "ArrowLeft"):
        handle.focus()
        page.keyboard.press(key)
        try:
            page.wait_for_function("([el, v]) => el.textContent !== v", arg=[readout.element_handle(), value],
                                   timeout=5_000)
            break
        except PlaywrightTimeout:  # at the end of its range: try the other way
            continue
    else:
        pytest.fail(f"the slider did not move with the arrow keys (readout stayed {value!r})")
    after = _output_after_change(page, region, before)
    slider.scroll_into_view_if_needed()
    page.screenshot(path=str(shot))
    assert after != before, f"moving the slider from {value} changed nothing in its output:\n{before[:600]}"
    return before, after


def _output_after_change(page, region, before: str) -> str:
    """Wait (up to a minute) until the output region's signature differs from ``before``, then for the kernel."""
    after = before
    deadline = time.monotonic() + 60
    while after == before and time.monotonic() < deadline:
        time.sleep(0.5)
        after = region.evaluate(JS_OUTPUT_SIGNATURE)
    page.wait_for_function(JS_KERNEL_IDLE, timeout=120_000, polling=500)  # let the figure redraw too
    return after


def type_into_first_text_box(page, shot: Path, text: str = "2718") -> tuple[str, str]:
    """Type ``text`` into the first ipywidgets text box, press Enter and wait until its output region shows
    something else (09's CAPTCHA reader draws and reads what was typed). Returns (before, after)."""
    box = page.locator(".jp-OutputArea-output .widget-text input").first
    box.wait_for(timeout=60_000)
    region = box.locator("xpath=ancestor::div[contains(concat(' ', @class, ' '), ' jp-OutputArea ')][1]")
    box.scroll_into_view_if_needed()
    before = region.evaluate(JS_OUTPUT_SIGNATURE)
    assert box.input_value() != text, f"the text box already holds {text!r}: typing it would change nothing"
    box.fill(text)
    box.press("Enter")
    after = _output_after_change(page, region, before)
    box.scroll_into_view_if_needed()
    page.screenshot(path=str(shot))
    assert after != before, f"typing {text!r} into the text box changed nothing in its output:\n{before[:600]}"
    return before, after


def use_first_widget(page, shot: Path) -> tuple[str, str]:
    """Move the first slider of the page or, where the first widget to appear is a text box, type into it."""
    first = page.locator(".jp-OutputArea-output .widget-slider, .jp-OutputArea-output .widget-text input").first
    first.wait_for(timeout=60_000)
    if "widget-slider" in (first.get_attribute("class") or ""):
        return move_first_slider(page, shot)
    return type_into_first_text_box(page, shot)


def record_seconds(artifacts: Path, stem: str, seconds: dict) -> None:
    """Append this notebook's phase times to artifacts/browser/seconds.json (open, run all, widget)."""
    path = artifacts / "seconds.json"
    data = json.loads(path.read_text()) if path.is_file() else {}
    data[stem] = seconds
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_notebook_runs_in_jupyterlab(stem, jlab, lab_root, artifacts):
    try:
        try:
            page, state = run_all(jlab, f"{stem}.ipynb")
        except BaseException:
            if jlab.page is not None:
                jlab.page.screenshot(path=str(artifacts / f"{stem}-failed.png"))
            raise
        page.evaluate(JS_TO_TOP)
        page.evaluate("() => { window.jupyterapp.shell.collapseLeft(); }")
        page.screenshot(path=str(artifacts / f"{stem}.png"))
        check_ran_cleanly(page, stem, state)
        first = "".join("".join(o.get("text", "")) for o in state["cells"][0]["outputs"])
        assert "profile: smoke" in first, f"the kernel did not run in the smoke profile: {first!r}"
        if is_widget_notebook(lab_root / f"{stem}.ipynb"):
            t0 = time.monotonic()
            use_first_widget(page, artifacts / f"{stem}-widget.png")
            state["seconds"]["widget"] = round(time.monotonic() - t0, 1)
        record_seconds(artifacts, stem, state["seconds"])
    finally:
        jlab.close_all()


def _write_notebook(path: Path, *sources: str) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src) for src in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.write_text(json.dumps(nb))


def test_widget_mechanism_on_a_demo_notebook(jlab, lab_root, artifacts):
    """The generic slider check on a tiny interact() notebook made in the temporary copy (not in notebooks/)."""
    code = (
        "import ipywidgets as widgets\n"
        "\n"
        "def show(position=2):\n"
        "    products = [position * w for w in (1, 2, 3)]\n"
        "    print('products:', products, 'sum:', sum(products))\n"
        "\n"
        "widgets.interact(show, position=widgets.IntSlider(value=2, min=0, max=5, description='position'));"
    )
    _write_notebook(lab_root / "widget_demo.ipynb", code)
    try:
        page, state = run_all(jlab, "widget_demo.ipynb", timeout_s=120)
        check_ran_cleanly(page, "widget_demo", state)
        before, after = move_first_slider(page, artifacts / "widget_demo.png")
        assert "sum: 12" in before and ("sum: 18" in after or "sum: 6" in after), (before, after)
    finally:
        jlab.close_all()


def test_a_failing_cell_is_caught(jlab, lab_root):
    """The checks themselves: an error stops Run All (later cells never run) and is reported, not waited on."""
    _write_notebook(lab_root / "error_demo.ipynb", "print('fine')", "1 / 0", "print('never runs')")
    try:
        page, state = run_all(jlab, "error_demo.ipynb", timeout_s=120)
        assert errors_in(state) == ["code cell 1: ZeroDivisionError: division by zero"]
        shown = page.evaluate(JS_SHOWN_ERRORS)
        assert len(shown) == 1 and "ZeroDivisionError" in shown[0], shown
        with pytest.raises(AssertionError, match="ZeroDivisionError"):
            check_ran_cleanly(page, "error_demo", state)
    finally:
        jlab.close_all()


def test_course_notebooks_are_untouched(lab_root):
    """The server's root is a copy: the committed notebooks never pass through JupyterLab."""
    assert lab_root.resolve() != (ROOT / "notebooks").resolve()
    assert not (ROOT / "notebooks" / "widget_demo.ipynb").exists()


JS_EXPLORER_TEXT = """() => {
  const html = [...document.querySelectorAll('.jp-OutputArea-output .widget-html-content')]
    .find(n => n.textContent.includes('receptive field:'));
  return html ? html.textContent : null;
}"""


def _explorer_text_after(page, before: str | None, timeout_s: float = 30) -> tuple[str, float]:
    """Wait until the explorer's text differs from ``before``; return it and the seconds the browser waited."""
    t0 = time.monotonic()
    page.wait_for_function(f"([v]) => ({JS_EXPLORER_TEXT})() !== v && ({JS_EXPLORER_TEXT})() !== null", arg=[before],
                           timeout=timeout_s * 1000, polling=50)
    return page.evaluate(JS_EXPLORER_TEXT), round(time.monotonic() - t0, 2)


def test_the_model_explorer_answers_a_layer_and_a_unit_change(jlab, lab_root, artifacts):
    """The model explorer over a LeNet (issue 29): pick another layer, then another row; each time the views change,
    NumPy's recomputation equals the model's value, and the answer comes back within seconds (recorded)."""
    import re

    code = (
        "import numpy as np\n"
        "import course_utils\n"
        "run = course_utils.setup(seed=0)\n"
        "from course_utils import model_explorer, models\n"
        "digits = np.random.default_rng(0).random((4, 32, 32, 1)).astype('float32')\n"
        "inside = model_explorer.explore_model(models.lenet5_modern(), digits, layer='C1', position=(3, 3))"
    )
    _write_notebook(lab_root / "explorer_demo.ipynb", code)
    try:
        page, state = run_all(jlab, "explorer_demo.ipynb", timeout_s=180)
        check_ran_cleanly(page, "explorer_demo", state)
        start = page.evaluate(JS_EXPLORER_TEXT)
        assert start and "C1" in start and "rows 3-7, columns 3-7" in start, start
        dropdown = page.locator(".jp-OutputArea-output .widget-dropdown select").first
        dropdown.scroll_into_view_if_needed()
        dropdown.select_option("C3")
        layer_text, layer_wait = _explorer_text_after(page, start)
        assert "C3" in layer_text and "equal to the model's value" in layer_text, layer_text
        row = page.locator(".jp-OutputArea-output .widget-slider").filter(has_text="row").first
        row.locator(".noUi-handle").first.focus()
        page.keyboard.press("ArrowRight")
        row_text, row_wait = _explorer_text_after(page, layer_text)
        assert "equal to the model's value" in row_text and row_text != layer_text, row_text
        assert re.search(r"rows 8-21", row_text), row_text  # C3 row 4: 14 pixels from 2 * 4
        page.wait_for_function(JS_KERNEL_IDLE, timeout=60_000, polling=500)
        page.screenshot(path=str(artifacts / "explorer_demo.png"))
        kernel = [float(s) for s in re.findall(r"updated in ([0-9.]+) s", layer_text + " " + row_text)]
        record_seconds(artifacts, "model_explorer", {"layer_change_browser": layer_wait, "row_change_browser": row_wait,
                                                     "layer_change_kernel": kernel[0], "row_change_kernel": kernel[1]})
    finally:
        jlab.close_all()
