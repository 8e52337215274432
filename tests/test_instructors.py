"""The instructor guide (INSTRUCTORS.md): its generated figures, the reading-time count, the demo / homework cell
tags that `make sync` applies (scripts/instructor_guide.py, scripts/cell_tags.json) and the notebooks it names."""

import copy
import json
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))  # the scripts import each other by name
import instructor_guide as guide  # noqa: E402
import sync_course  # noqa: E402

from course_utils import course  # noqa: E402

GUIDE = ROOT / "INSTRUCTORS.md"
MAP = {nb.stem: nb for nb in course.NOTEBOOKS}
BY_NUMBER = {stem[:2]: stem for stem in MAP}
DECISIONS = guide.load_decisions()
HEADING = re.compile(r"^#{1,6} (.+?)\s*$", re.M)


def _section(text: str, key: str) -> str:
    match = re.search(rf"<!-- BEGIN generated: {key} -->\n(.*?)<!-- END generated: {key} -->", text, re.S)
    assert match, f"INSTRUCTORS.md lacks the markers of the generated section {key!r}"
    return match.group(1).removesuffix("\n")


# --- generated figures ------------------------------------------------------------------------------------


def test_generated_sections_match_the_recorded_files():
    text = GUIDE.read_text()
    for key, body in guide.guide_sections().items():
        assert _section(text, key) == body, f"INSTRUCTORS.md section {key!r} is stale: run `make sync`"


def test_a_changed_recording_makes_the_guide_stale(tmp_path):
    (tmp_path / "notebooks").symlink_to(ROOT / "notebooks")
    (tmp_path / "scripts").mkdir()
    shutil.copy(guide.TAGS_FILE, tmp_path / "scripts" / "cell_tags.json")
    times = json.loads(guide.TIMES_FILE.read_text())
    times["06_lenet5"]["seconds"] += 600  # ten minutes more: the run and teaching time of 06 must move
    (tmp_path / "results" / "classroom").mkdir(parents=True)
    (tmp_path / "results" / "classroom" / "notebook_times.json").write_text(json.dumps(times))
    fresh, changed = guide.guide_sections(), guide.guide_sections(tmp_path)
    assert fresh["teaching-times"] != changed["teaching-times"]
    assert sync_course.sync_sections(GUIDE.read_text(), changed) != GUIDE.read_text()


def test_sync_sections_names_a_missing_marker():
    with pytest.raises(SystemExit, match="INSTRUCTORS.md lacks the markers for the generated section 'formula'"):
        sync_course.sync_sections("no markers here", {"formula": "x"}, "INSTRUCTORS.md")


# --- reading time, exercises, the formula, on a hand-made notebook ----------------------------------------


def _hand_made() -> nbformat.NotebookNode:
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    return nbformat.v4.new_notebook(cells=[
        md("# Title\n\nA kernel slides over the image."),  # Title A kernel slides over the image. = 7
        code("print('many words in a code cell are not prose at all')"),  # code: 0
        md("Code is not prose:\n```python\nx = conv(a, b)\n```\nSee [the paper](https://example.org/p.pdf)."),
        # Code is not prose: = 4; the fence: 0; See [the paper] = 3; "." alone: 0  -> 7
        md("| n | out |\n|---|---|\n| 32 | 28 |"),  # n out 32 28 = 4; rules and bars: 0
        md("**Exercise 99.1.** Add 2 and 3. **Exercise 99.2.** Double it."),
        # **Exercise 99.1.** Add 2 and 3. **Exercise 99.2.** Double it. = 10
        md("**Exercise 99.3 (implement it).** Write `f`.\n<details><summary>Solutions</summary>\n\n"
           "**Exercise 99.3.** The answer is 42.\n</details>"),  # **Exercise 99.3 (implement it).** Write `f`. = 6
        code("def f(x):\n    raise NotImplementedError  # Exercise 99.3"),
        md("## Sources\n\nMany words here that nobody reads aloud.", metadata={"tags": ["generated-sources"]}),  # 0
    ])  # fmt: skip


def test_reading_minutes_of_a_hand_made_notebook():
    assert (guide.WORDS_PER_MINUTE, guide.ANSWER_EXERCISE_MINUTES, guide.IMPLEMENT_EXERCISE_MINUTES,
            guide.ROUND_TO_MINUTES) == (200, 5, 15, 5), "the hand-worked figures below assume these rates"
    nb = _hand_made()
    row = guide.figures("99_hand_made", "Hand made", nb, {}, {"99_hand_made": {"seconds": 150.0, "peak_rss_mib": 700}})
    assert row.words == 7 + 7 + 4 + 10 + 6 == 34
    assert row.reading_minutes == pytest.approx(34 / 200) == pytest.approx(0.17)
    assert (row.exercises, row.implement) == (3, 1)  # 99.1, 99.2 and 99.3; the solution's 99.3 is not a fourth
    assert row.exercise_minutes == 2 * 5 + 1 * 15 == 25
    assert row.run_minutes == pytest.approx(2.5)
    assert row.teaching_minutes == 30  # 0.17 + 2.5 + 25 = 27.67 minutes, rounded up to a multiple of 5
    assert guide.figures("99_hand_made", "Hand made", nb, {}, {}).teaching_minutes is None  # no recorded run


# --- demo and homework tags -------------------------------------------------------------------------------


def _non_tag_view(nb: nbformat.NotebookNode) -> list:
    """Everything of every cell except the two marker tags."""
    cells = copy.deepcopy(nb.cells)
    for cell in cells:
        tags = [t for t in cell.metadata.get("tags", []) if t not in guide.MARKER_TAGS]
        cell.metadata.pop("tags", None)
        if tags:
            cell.metadata["tags"] = tags
    return cells


def test_tags_are_applied_to_a_copy_idempotently_and_touch_nothing_else(tmp_path):
    stem = "06_lenet5"  # a training notebook: outputs, other tags (parameters, nbval-ignore-output)
    path = tmp_path / f"{stem}.ipynb"
    shutil.copy(ROOT / "notebooks" / f"{stem}.ipynb", path)
    nb = nbformat.read(path, as_version=4)
    stray = next(c for c in nb.cells if c.id not in DECISIONS[stem]["demo"] + DECISIONS[stem]["homework"])
    stray.metadata["tags"] = [*stray.metadata.get("tags", []), "demo"]  # a tag the decision does not give
    nbformat.write(nb, path)
    before = nbformat.read(path, as_version=4)

    assert guide.apply_cell_tags(nb, stem, DECISIONS) is True
    nbformat.write(nb, path)
    once = path.read_bytes()
    after = nbformat.read(path, as_version=4)
    assert _non_tag_view(after) == _non_tag_view(before), "only the demo / homework tags may change"
    for cell in after.cells:
        tags = cell.metadata.get("tags", [])
        assert ("demo" in tags) == (cell.id in DECISIONS[stem]["demo"])
        assert ("homework" in tags) == (cell.id in DECISIONS[stem]["homework"])
    assert [c.get("outputs") for c in after.cells] == [c.get("outputs") for c in before.cells]

    assert guide.apply_cell_tags(after, stem, DECISIONS) is False, "a second run changes nothing"
    nbformat.write(after, path)
    assert path.read_bytes() == once


def test_make_sync_applies_the_tags_to_a_copy(tmp_path):
    import sync_course

    stem = "03_padding_and_stride"
    path = tmp_path / f"{stem}.ipynb"
    shutil.copy(ROOT / "notebooks" / f"{stem}.ipynb", path)
    block = sync_course.first_cell_block(sync_course.repository()[0], sync_course.library_commit())
    sync_course.sync_notebook(path, block, cell_tags=DECISIONS)
    assert sync_course.sync_notebook(path, block, cell_tags=DECISIONS) is False, "synced once, up to date"
    nb = nbformat.read(path, as_version=4)
    assert [c.id for c in nb.cells if "demo" in c.metadata.get("tags", [])] == DECISIONS[stem]["demo"]
    assert [c.id for c in nb.cells if "homework" in c.metadata.get("tags", [])] == DECISIONS[stem]["homework"]


def test_an_unknown_cell_id_names_the_notebook_and_the_id(tmp_path):
    nb = nbformat.read(ROOT / "notebooks" / "04_pooling.ipynb", as_version=4)
    wrong = {"04_pooling": {"demo": ["nosuchid"], "homework": []}}
    with pytest.raises(guide.CellTagError, match=r"notebook 04_pooling has no cell with id 'nosuchid'"):
        guide.apply_cell_tags(nb, "04_pooling", wrong)

    import sync_course

    path = tmp_path / "04_pooling.ipynb"
    shutil.copy(ROOT / "notebooks" / "04_pooling.ipynb", path)
    with pytest.raises(SystemExit, match="04_pooling has no cell with id 'nosuchid'"):
        sync_course.sync_notebook(path, "", write=False, cell_tags=wrong)


def test_every_decided_cell_exists():
    for stem, lists in DECISIONS.items():
        ids = {c.id for c in nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4).cells}
        for tag in guide.MARKER_TAGS:
            missing = [i for i in lists[tag] if i not in ids]
            assert not missing, f"scripts/cell_tags.json: {stem} {tag}: no such cells {missing}"


# --- the notebooks the guide names ------------------------------------------------------------------------


def _cut_rows() -> dict[str, list[list[str]]]:
    text = GUIDE.read_text()
    table = text[text.index("| # | cut first"):].split("\n\n", 1)[0]
    rows = {}
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        rows[cells[0]] = [re.findall(r"“(.+?)”", c) for c in cells[1:]]
    return rows


def _sections(stem: str) -> dict[str, set[str]]:
    """Each heading of a notebook and the ids of the cells in its section (to the next heading as high)."""
    nb = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)
    open_: dict[int, str] = {}
    found: dict[str, set[str]] = {}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                m = re.match(r"^(#{1,6}) (.+?)\s*$", line)
                if m:
                    level = len(m.group(1))
                    open_ = {k: v for k, v in open_.items() if k < level}
                    open_[level] = m.group(2)
                    found.setdefault(m.group(2), set())
        for heading in open_.values():
            found[heading].add(cell.id)
    return found


def test_every_notebook_named_in_the_guide_is_on_the_course_map():
    text = GUIDE.read_text()
    linked = set(re.findall(r"notebooks/([\w-]+)\.ipynb", text))
    assert linked and linked <= set(MAP), f"not on the course map: {linked - set(MAP)}"
    numbers = set(_cut_rows()) | set(re.findall(r"^\| (?:week|day)[^|]*\|[^|]*\| ([^|]+) \|", text, re.M))
    for entry in numbers:
        for number in re.findall(r"\b[0-9A][0-9]\b", entry):
            assert number in BY_NUMBER, f"INSTRUCTORS.md names notebook {number}, which is not on the course map"
    assert guide.plan_notebooks() <= set(MAP)
    assert set(DECISIONS) <= set(MAP)
    present = {nb.stem for nb in course.present()}
    assert present <= set(DECISIONS), f"no demo / homework decision for {present - set(DECISIONS)}"
    assert {BY_NUMBER[n] for n in _cut_rows()} == present, "the cut lists cover every notebook, once"


def test_cut_lists_name_real_headings_and_cut_first_is_not_in_the_demo():
    for number, (cut_first, cut_next, keep) in _cut_rows().items():
        stem = BY_NUMBER[number]
        sections = _sections(stem)
        for heading in cut_first + cut_next + keep:
            assert heading in sections, f"INSTRUCTORS.md cut list: {stem} has no heading “{heading}”"
        demo = set(DECISIONS[stem]["demo"])
        for heading in cut_first:
            markdown = {c.id for c in nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4).cells
                        if c.cell_type == "markdown"}
            shown = sections[heading] & demo & markdown
            assert not shown, f"{stem}: “{heading}” is cut first, but its text cells {sorted(shown)} are tagged demo"
        for heading in keep:
            assert sections[heading] & demo, f"{stem}: “{heading}” is to keep, but none of its cells is tagged demo"


def test_exercise_counts_agree_with_the_exercise_registry():
    from course_utils import exercises

    registered: dict[str, int] = {}
    for key in exercises.exercise_keys():
        registered[key.split(".")[0]] = registered.get(key.split(".")[0], 0) + 1
    for row in guide.all_figures():
        assert row.exercises == registered.get(row.stem[:2], 0), f"{row.stem}: exercises stated vs registered"


def test_docstring_examples():
    import doctest

    outcome = doctest.testmod(guide)
    assert outcome.attempted and not outcome.failed
