"""The instructor guide's generated sections (INSTRUCTORS.md) and the notebooks' ``demo`` / ``homework`` cell tags.

``make sync`` (scripts/sync_course.py) calls :func:`guide_sections` and its ``sync_sections`` to rewrite the parts of
INSTRUCTORS.md between ``<!-- BEGIN generated: KEY -->`` and ``<!-- END generated: KEY -->``, and
:func:`apply_cell_tags` to give every notebook's cells the tags decided in ``scripts/cell_tags.json``.

Every figure the guide states comes from here: run time and peak memory from
``results/classroom/notebook_times.json`` (``make notebooks``), reading time from the words of each notebook's
markdown cells (:func:`prose_words`), exercises from the notebook's own text, demo and homework cells from
``scripts/cell_tags.json``. The course map is :mod:`course_utils.course`; tables are rendered by
:mod:`course_utils.tables`.

Example:
    >>> prose_words("## 1. Sliding a kernel\\n\\nSee [the paper](https://arxiv.org) and `conv2d`.\\n```python\\nx = 1\\n```")
    9
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course_utils import course  # noqa: E402
from course_utils.tables import markdown_table, run_time_text  # noqa: E402

GUIDE_FILE = ROOT / "INSTRUCTORS.md"
TAGS_FILE = ROOT / "scripts" / "cell_tags.json"
TIMES_FILE = ROOT / "results" / "classroom" / "notebook_times.json"

WORDS_PER_MINUTE = 200
"""Reading rate for technical prose (a common planning figure; ordinary prose reads faster)."""
ANSWER_EXERCISE_MINUTES = 5
"""Minutes planned per answer exercise (a number or a shape to work out and check)."""
IMPLEMENT_EXERCISE_MINUTES = 15
"""Minutes planned per "implement it" exercise (a function to write, run against the course's checker)."""
ROUND_TO_MINUTES = 5
"""The suggested teaching time is rounded up to a multiple of this."""
MARKER_TAGS = ("demo", "homework")
"""The only tags :func:`apply_cell_tags` adds or removes."""
NOT_READ_TAGS = ("generated-sources",)
"""Markdown cells left out of the reading time: the bibliography of notebook 00 is looked up, not read."""


# --- reading time -----------------------------------------------------------------------------------------

_FENCE = re.compile(r"^[ \t]*(```|~~~).*?^[ \t]*\1[ \t]*$", re.M | re.S)
_DETAILS = re.compile(r"<details>.*?</details>", re.S | re.I)
_DISPLAY_MATH = re.compile(r"\$\$.*?\$\$", re.S)
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_BARE_URL = re.compile(r"<?https?://\S+")
_HTML_TAG = re.compile(r"<[^>]+>")
_HAS_WORD = re.compile(r"[^\W_]")  # a letter or a digit


def prose_words(markdown: str) -> int:
    """Count the words a learner reads in one markdown cell.

    Left out: fenced code blocks, display math (``$$ ... $$``), collapsed ``<details>`` blocks (the worked
    solutions), link targets and bare addresses, HTML tags, and tokens without a letter or digit (table rules,
    bullets, ``#``, ``+``). Inline code such as ``conv2d`` counts: it is part of a sentence.

    Example:
        >>> prose_words("| a | b |\\n|---|---|\\n| one | two |")
        4
        >>> prose_words("Read on. <details><summary>Solutions</summary>42</details>")
        2
    """
    text = _FENCE.sub(" ", markdown)
    text = _DETAILS.sub(" ", text)
    text = _DISPLAY_MATH.sub(" ", text)
    text = _LINK_TARGET.sub("] ", text)
    text = _BARE_URL.sub(" ", text)
    text = _HTML_TAG.sub(" ", text)
    return sum(1 for token in text.split() if _HAS_WORD.search(token))


# --- one notebook's figures -------------------------------------------------------------------------------

_EXERCISE = re.compile(r"\*\*Exercise ([0-9A-Z]\d\.\d+)")
_STUB = re.compile(r"^\s*raise NotImplementedError\b", re.M)


def _source(cell: Mapping[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def _tags(cell: Mapping[str, Any]) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def exercise_keys(cells: list[Mapping[str, Any]]) -> list[str]:
    """The exercises a notebook states (``**Exercise 03.2.**``), in order, each once; solutions are not counted."""
    keys: list[str] = []
    for cell in cells:
        if cell.get("cell_type") == "markdown":
            for key in _EXERCISE.findall(_DETAILS.sub(" ", _source(cell))):
                if key not in keys:
                    keys.append(key)
    return keys


def implement_exercises(cells: list[Mapping[str, Any]]) -> int:
    """The "implement it" exercises: code cells holding a stub that raises ``NotImplementedError``."""
    return sum(1 for c in cells if c.get("cell_type") == "code" and _STUB.search(_source(c)))


@dataclass(frozen=True)
class NotebookFigures:
    """What the guide's table says about one notebook; the minutes follow from the constants above."""

    stem: str
    title: str
    words: int
    exercises: int
    implement: int
    demo_cells: int
    homework_cells: int
    seconds: float | None = None
    peak_mib: float | None = None

    @property
    def reading_minutes(self) -> float:
        return self.words / WORDS_PER_MINUTE

    @property
    def run_minutes(self) -> float | None:
        return None if self.seconds is None else self.seconds / 60

    @property
    def exercise_minutes(self) -> int:
        return (self.exercises - self.implement) * ANSWER_EXERCISE_MINUTES + self.implement * IMPLEMENT_EXERCISE_MINUTES

    @property
    def teaching_minutes(self) -> int | None:
        """Reading + run + exercises, rounded up to :data:`ROUND_TO_MINUTES`; None when the run is not recorded."""
        if self.run_minutes is None:
            return None
        return round_up(self.reading_minutes + self.run_minutes + self.exercise_minutes)

    @property
    def live_minutes(self) -> float | None:
        """Reading + run: the part of the teaching time a live session spends (exercises go home)."""
        return None if self.run_minutes is None else self.reading_minutes + self.run_minutes


def round_up(minutes: float) -> int:
    """Round up to a multiple of :data:`ROUND_TO_MINUTES` (at least one step).

    Example:
        >>> round_up(0.4), round_up(10.0), round_up(10.1)
        (5, 10, 15)
    """
    return max(ROUND_TO_MINUTES, math.ceil(minutes / ROUND_TO_MINUTES - 1e-9) * ROUND_TO_MINUTES)


def read_notebook(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def figures(stem: str, title: str, nb: Mapping[str, Any], decisions: Mapping[str, Any],
            resources: Mapping[str, Any]) -> NotebookFigures:
    """Return one notebook's figures from its JSON ``nb``, the tag ``decisions`` and the recorded ``resources``."""
    cells = list(nb["cells"])
    words = sum(prose_words(_source(c)) for c in cells
                if c.get("cell_type") == "markdown" and not set(_tags(c)) & set(NOT_READ_TAGS))
    mine = decisions.get(stem, {})
    run = resources.get(stem) or {}
    return NotebookFigures(stem=stem, title=title, words=words, exercises=len(exercise_keys(cells)),
                           implement=implement_exercises(cells), demo_cells=len(mine.get("demo", [])),
                           homework_cells=len(mine.get("homework", [])), seconds=run.get("seconds"),
                           peak_mib=run.get("peak_rss_mib"))


def load_decisions(path: Path = TAGS_FILE) -> dict[str, dict[str, list[str]]]:
    """Read ``scripts/cell_tags.json``: ``{stem: {"demo": [cell ids], "homework": [cell ids]}}``."""
    return json.loads(path.read_text(encoding="utf-8"))


def load_resources(path: Path = TIMES_FILE) -> dict[str, Any]:
    """Read the recorded classroom runs (``make notebooks``); {} when none is recorded."""
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def all_figures(root: Path = ROOT) -> list[NotebookFigures]:
    """Every notebook of the course map present under ``root/notebooks``, in course order."""
    decisions = load_decisions(root / "scripts" / "cell_tags.json")
    resources = load_resources(root / "results" / "classroom" / "notebook_times.json")
    out = []
    for nb in course.NOTEBOOKS:
        path = root / "notebooks" / nb.filename
        if path.is_file():
            out.append(figures(nb.stem, nb.title, read_notebook(path), decisions, resources))
    return out


# --- the generated sections -------------------------------------------------------------------------------


def _minutes(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} min" if value >= 1 else "<1 min"


def formula_text() -> str:
    """The rates and the formula, stated once (the table and the plans use them)."""
    return (f"- **Reading:** the words of the notebook's markdown cells at {WORDS_PER_MINUTE} words per minute, a "
            "planning rate for technical text. Counted: the prose, tables and inline code of every markdown cell. Not "
            "counted: code cells, fenced code blocks, display math, link addresses, HTML tags, the collapsed worked "
            "solutions, and notebook 00's list of sources.\n"
            "- **Run:** the recorded classroom run, top to bottom on a 2-core CPU (`make notebooks`, "
            "`results/classroom/notebook_times.json`). With warm start (below) the training cells of a second run "
            "take seconds, so this is the most a run takes, not the usual.\n"
            f"- **Exercises:** {ANSWER_EXERCISE_MINUTES} minutes per answer exercise (a number or a shape to work "
            f"out), {IMPLEMENT_EXERCISE_MINUTES} minutes per \"implement it\" exercise (a function to write and run "
            "against the checker). The open questions are not counted.\n"
            f"- **Suggested teaching time** = reading + run + exercises, rounded up to a multiple of "
            f"{ROUND_TO_MINUTES} minutes.")


def teaching_table(rows: list[NotebookFigures]) -> str:
    """The per-notebook table: recorded run, reading, exercises, teaching time, demo and homework cells."""
    header = ["#", "notebook", "run time", "peak memory", "prose words", "reading", "exercises (implement it)",
              "exercise time", "suggested teaching time", "demo cells", "homework cells"]
    body = []
    for r in rows:
        memory = "-" if r.peak_mib is None else f"{r.peak_mib / 1024:.2f} GiB"
        teach = "-" if r.teaching_minutes is None else f"{r.teaching_minutes} min"
        body.append([r.stem[:2], f"[{r.title}](notebooks/{r.stem}.ipynb)", run_time_text(r.seconds), memory,
                     f"{r.words:,}", _minutes(r.reading_minutes), f"{r.exercises} ({r.implement})",
                     f"{r.exercise_minutes} min", teach, str(r.demo_cells), str(r.homework_cells)])
    seconds = [r.seconds for r in rows if r.seconds is not None]
    peaks = [r.peak_mib for r in rows if r.peak_mib is not None]
    teach = [r.teaching_minutes for r in rows if r.teaching_minutes is not None]
    body.append(["", "**all notebooks**", f"{sum(seconds) / 60:.0f} min",
                 f"at most {max(peaks) / 1024 if peaks else 0:.2f} GiB", f"{sum(r.words for r in rows):,}",
                 _minutes(sum(r.reading_minutes for r in rows)),
                 f"{sum(r.exercises for r in rows)} ({sum(r.implement for r in rows)})",
                 f"{sum(r.exercise_minutes for r in rows)} min", f"{sum(teach) / 60:.1f} h",
                 str(sum(r.demo_cells for r in rows)), str(sum(r.homework_cells for r in rows))])
    return markdown_table(header, body, numeric=range(2, 11))


@dataclass(frozen=True)
class Session:
    """One session of a plan: what runs live (its ``demo`` cells) and what goes home (its ``homework`` cells,
    and whole notebooks in ``homework``)."""

    name: str
    topic: str
    live: tuple[str, ...]
    homework: tuple[str, ...] = ()


SEMESTER_MINUTES = 90
SEMESTER: tuple[Session, ...] = (
    Session("week 1", "set-up; images as arrays", ("00_start_here", "01_images_as_arrays")),
    Session("week 2", "convolution", ("02_convolution",)),
    Session("week 3", "padding and stride", ("03_padding_and_stride",)),
    Session("week 4", "pooling; flatten, dense, dropout", ("04_pooling", "05_flatten_dense_dropout"),
            ("A3_batch_normalization",)),
    Session("week 5", "LeNet-5", ("06_lenet5",), ("A1_fast_training_on_a_cpu",)),
    Session("week 6", "backpropagation by hand", ("A4_backpropagation",)),
    Session("week 7", "AlexNet", ("07_alexnet",), ("A2_input_pipelines_and_memory",)),
    Session("week 8", "VGG16 and its family", ("08_vgg16",)),
    Session("week 9", "a VGG that reads CAPTCHAs", ("09_vgg_captcha",)),
    Session("week 10", "mini-VGG: batch norm and training recipes", ("10_mini_vgg",)),
    Session("week 11", "Inception / GoogLeNet", ("11_inception",)),
    Session("week 12", "comparing the classics; review", ("12_model_comparison",)),
)

WORKSHOP_MINUTES = 90
WORKSHOP: tuple[Session, ...] = (
    Session("day 1, block 1", "set-up; images as arrays", ("00_start_here", "01_images_as_arrays")),
    Session("day 1, block 2", "convolution; padding and stride", ("02_convolution", "03_padding_and_stride")),
    Session("day 1, block 3", "pooling; flatten, dense, dropout", ("04_pooling", "05_flatten_dense_dropout"),
            ("A3_batch_normalization",)),
    Session("day 1, block 4", "LeNet-5", ("06_lenet5",), ("A1_fast_training_on_a_cpu",)),
    Session("day 2, block 1", "AlexNet", ("07_alexnet",), ("A2_input_pipelines_and_memory",)),
    Session("day 2, block 2", "VGG16 and its family", ("08_vgg16",), ("09_vgg_captcha",)),
    Session("day 2, block 3", "mini-VGG: batch norm and training recipes", ("10_mini_vgg",), ("A4_backpropagation",)),
    Session("day 2, block 4", "Inception; the classics compared", ("11_inception", "12_model_comparison")),
)


def _number(stem: str) -> str:
    return stem[:2]


def plan_table(sessions: tuple[Session, ...], minutes: int, rows: list[NotebookFigures]) -> str:
    """A plan as a table: per session what runs live and what goes home, with the estimates of the guide's table.

    In class: the suggested teaching times of the live notebooks, added. If that is more than the session, the
    live part alone (reading + run) is compared with it: then the exercises go home. Homework: the exercises of
    the live notebooks (all of them, if none is done in class), plus reading and exercises of the homework
    notebooks.
    """
    by_stem = {r.stem: r for r in rows}
    body = []
    for s in sessions:
        live = [by_stem[n] for n in s.live if n in by_stem]
        home = [by_stem[n] for n in s.homework if n in by_stem]
        if all(r.teaching_minutes is not None for r in live):
            teach = sum(r.teaching_minutes for r in live)
            shown = sum(r.live_minutes for r in live)
            fits = ("yes, exercises included" if teach <= minutes else
                    "with the exercises at home" if shown <= minutes else "no: use the cut lists")
            teach_text = f"{teach} min"
        else:
            fits, teach_text = "-", "-"
        home_min = sum(r.exercise_minutes for r in live) + sum(r.reading_minutes + r.exercise_minutes for r in home)
        homework = ", ".join([f"exercises of {', '.join(_number(r.stem) for r in live)}"]
                             + [f"notebook {_number(r.stem)}" for r in home])
        body.append([s.name, s.topic, ", ".join(_number(r.stem) for r in live), homework, teach_text, fits,
                     _minutes(home_min)])
    return markdown_table(["session", "topic", "live: demo cells of", "homework", "in class (teaching time)",
                           f"fits {minutes} min?", "homework (at most)"], body, numeric=(4, 6))


def guide_sections(root: Path = ROOT) -> dict[str, str]:
    """Every generated section of INSTRUCTORS.md, by its marker key."""
    rows = all_figures(root)
    return {"formula": formula_text(), "teaching-times": teaching_table(rows),
            "semester-plan": plan_table(SEMESTER, SEMESTER_MINUTES, rows),
            "workshop-plan": plan_table(WORKSHOP, WORKSHOP_MINUTES, rows)}


def plan_notebooks() -> set[str]:
    """Every notebook the two plans name (tests check each is on the course map)."""
    return {stem for plan in (SEMESTER, WORKSHOP) for s in plan for stem in (*s.live, *s.homework)}


# --- demo and homework cell tags --------------------------------------------------------------------------


class CellTagError(ValueError):
    """``scripts/cell_tags.json`` names a cell that the notebook does not have, or a list that is not one."""


def apply_cell_tags(nb: Any, stem: str, decisions: Mapping[str, Mapping[str, list[str]]]) -> bool:
    """Give ``nb``'s cells the ``demo`` and ``homework`` tags that ``decisions[stem]`` lists; return True if one changed.

    Only those two tags are added or removed (a cell not listed loses them); other tags, sources and outputs are
    never touched. A notebook that ``decisions`` does not name is left as it is. Running it twice changes nothing
    the second time. An id that no cell has raises :class:`CellTagError` naming the notebook and the id.

    Example:
        >>> nb = {"cells": [{"id": "a1", "metadata": {}}, {"id": "b2", "metadata": {"tags": ["parameters"]}}]}
        >>> apply_cell_tags(nb, "demo_nb", {"demo_nb": {"demo": ["b2"], "homework": []}})
        True
        >>> nb["cells"][1]["metadata"]["tags"], apply_cell_tags(nb, "demo_nb", {"demo_nb": {"demo": ["b2"]}})
        (['parameters', 'demo'], False)
    """
    if stem not in decisions:
        return False
    wanted: dict[str, set[str]] = {}
    ids = {cell.get("id") for cell in nb["cells"]}
    for tag in MARKER_TAGS:
        listed = decisions[stem].get(tag, [])
        if not isinstance(listed, list):
            raise CellTagError(f"scripts/cell_tags.json: {stem}: {tag!r} must be a list of cell ids")
        for cell_id in listed:
            if cell_id not in ids:
                raise CellTagError(f"scripts/cell_tags.json: notebook {stem} has no cell with id {cell_id!r} "
                                   f"(listed under {tag!r}); fix the id there, or remove it")
            wanted.setdefault(cell_id, set()).add(tag)
    changed = False
    for cell in nb["cells"]:
        metadata = cell.setdefault("metadata", {})
        tags = list(metadata.get("tags", []))
        mine = wanted.get(cell.get("id"), set())
        new = [t for t in tags if t not in MARKER_TAGS or t in mine]
        new += [t for t in MARKER_TAGS if t in mine and t not in new]
        if new != tags:
            changed = True
            if new:
                metadata["tags"] = new
            else:
                del metadata["tags"]
    return changed
