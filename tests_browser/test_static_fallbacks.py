"""Widgets have a static fallback: where no widget front end runs (a plain ``nbconvert --to html`` export,
GitHub's viewer, nbviewer) the explorer cells still show a figure.

A widget cell is a code cell whose committed outputs hold an ipywidgets view or whose code calls an
``*_explorer`` from ``course_utils.widgets`` (they draw the default state as a figure first).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def widget_cells(path: Path) -> list[int]:
    """Indices (among all cells) of the widget cells of a notebook."""
    nb = nbformat.read(path, as_version=4)
    return [
        i
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        and ("_explorer(" in c.source or any(WIDGET_MIME in o.get("data", {}) for o in c.outputs))
    ]


WIDGET_NOTEBOOKS = [p for p in sorted((ROOT / "notebooks").glob("*.ipynb")) if widget_cells(p)]


def html_cells(html: str) -> list[str]:
    """Split an nbconvert (lab template) HTML export into one chunk per notebook cell, in order."""
    starts = [m.start() for m in re.finditer(r'<div[^>]*class="jp-Cell ', html)]
    return [html[a:b] for a, b in zip(starts, starts[1:] + [len(html)])]


def test_the_widget_notebooks_are_found():
    # the explorers of convolution, padding/stride and pooling: a changed detector must not skip them silently
    assert {"02_convolution", "03_padding_and_stride", "04_pooling"} <= {p.stem for p in WIDGET_NOTEBOOKS}


@pytest.mark.parametrize("path", WIDGET_NOTEBOOKS, ids=lambda p: p.stem)
def test_widget_cells_show_a_figure_in_plain_html(path, tmp_path):
    subprocess.run(
        [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--output-dir", str(tmp_path), str(path)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    chunks = html_cells((tmp_path / f"{path.stem}.html").read_text())
    nb = nbformat.read(path, as_version=4)
    assert len(chunks) == len(nb.cells), "could not split the HTML export into cells"
    for i in widget_cells(path):
        outputs = nb.cells[i].outputs
        assert any("image/png" in o.get("data", {}) for o in outputs), f"cell {i}: no static figure in the outputs"
        assert re.search(r'<img[^>]+src="data:image/png;base64,', chunks[i]), f"cell {i}: no <img> in the HTML export"
