"""Regenerate what is derived from one source: README badges and tables, notebooks' first cells,
slide types (RISE metadata, one rule: slide_types), the demo / homework cell tags (scripts/cell_tags.json)
and the generated sections of INSTRUCTORS.md (scripts/instructor_guide.py).

    python scripts/sync_course.py           # rewrite README.md and INSTRUCTORS.md sections, notebook first cells,
                                            # slide types and demo / homework tags
    python scripts/sync_course.py --check   # exit 1 if anything is out of date (tests use this)

The first cells pin the library for Colab to the last commit that changed it (git log; see first_cell_block).
Sources: the repository address in pyproject.toml ([project.urls] Repository), the course map in
course_utils/course.py, the settings in course_utils/settings.py and the recorded results in results/classroom/.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))  # instructor_guide, beside this script

from instructor_guide import CellTagError, apply_cell_tags, guide_sections, load_decisions  # noqa: E402

from course_utils import bibliography, course, profiles, results, settings  # noqa: E402
from course_utils.tables import markdown_table, run_time_text  # noqa: E402

APPLY_CELL_TAGS = True
"""``make sync`` gives every notebook's cells the ``demo`` / ``homework`` tags of scripts/cell_tags.json
(:func:`instructor_guide.apply_cell_tags`); False leaves the tags as they are."""

FIRST_CELL_MARK = "# extra code: makes this notebook run anywhere"


def repository() -> tuple[str, str]:
    """Return (https address, 'owner/name') from pyproject.toml."""
    url = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"].rstrip("/")
    match = re.fullmatch(r"https://github\.com/([^/]+/[^/]+)", url)
    if not match:
        raise SystemExit(f"pyproject.toml: Repository must be https://github.com/OWNER/NAME, got {url!r}")
    return url, match.group(1)


def colab_url(slug: str, stem: str) -> str:
    return f"https://colab.research.google.com/github/{slug}/blob/main/notebooks/{stem}.ipynb"


LIBRARY_PATHS = ("course_utils", "pyproject.toml")
"""What Colab's first cell installs: a notebook pins the last commit that changed these."""


def library_commit() -> str | None:
    """The last commit that changed the library (:data:`LIBRARY_PATHS`); None outside a git checkout."""
    try:
        out = subprocess.run(["git", "log", "-1", "--format=%H", "--", *LIBRARY_PATHS], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return out or None


def library_is_committed() -> bool:
    """True when git sees no uncommitted change to the library (:data:`LIBRARY_PATHS`)."""
    result = subprocess.run(["git", "status", "--porcelain", "--", *LIBRARY_PATHS], cwd=ROOT,
                            capture_output=True, text=True)
    return result.returncode == 0 and not result.stdout.strip()


def first_cell_block(url: str, commit: str | None) -> str:
    """The lines every notebook's first code cell starts with (Colab install, no-op elsewhere).

    On Colab it installs the library at ``commit`` (:func:`library_commit`), the version the notebook was
    written and run against, not whatever is newest when a learner opens it.
    """
    where = f"git+{url}@{commit}" if commit else f"git+{url}"
    return (
        f"{FIRST_CELL_MARK} (Colab: installs course_utils once; elsewhere: nothing)\n"
        "import importlib.util, subprocess, sys\n"
        'if importlib.util.find_spec("course_utils") is None:\n'
        '    if "google.colab" not in sys.modules:\n'
        '        raise ModuleNotFoundError("course_utils is not installed: run `make lab` in the course folder (see README)")\n'
        f'    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "course-utils @ {where}"], check=True)\n'
    )


def memory_note() -> str:
    """The README's Binder memory advice, naming the notebook with the highest recorded classroom peak."""
    peaks = {stem: r["peak_rss_mib"] for stem, r in results.notebook_resources("classroom").items() if r["peak_rss_mib"]}
    if not peaks:
        return "Binder gives about 2 GB of memory; no notebook's peak memory is recorded yet (`make notebooks`)."
    stem = max(peaks, key=peaks.get)
    title = next((nb.title for nb in course.NOTEBOOKS if nb.stem == stem), stem)
    return (f"Binder gives about 2 GB of memory. Notebook {stem[:2]} ({title}) peaked highest in the classroom run, at "
            f"{peaks[stem] / 1024:.2f} GiB (all notebooks: *Performance* below); if its kernel restarts on Binder, run it "
            "on Colab or locally. Closing a notebook's tab shuts its kernel down (the course's JupyterLab settings), so "
            "close one training notebook before you open the next.")


def readme_sections(url: str, slug: str) -> dict[str, str]:
    binder = f"https://mybinder.org/v2/gh/{slug}/main?urlpath=lab/tree/notebooks/00_start_here.ipynb"
    badges = (
        f"[![Binder](https://mybinder.org/badge_logo.svg)]({binder}) "
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab_url(slug, '00_start_here')})"
    )
    times = results.notebook_times("classroom")
    rows = []
    for nb in course.NOTEBOOKS:
        here = (ROOT / "notebooks" / nb.filename).is_file()
        name = f"[{nb.title}](notebooks/{nb.filename})" if here else f"{nb.title} (coming)"
        seconds = times.get(nb.stem)
        t = run_time_text(seconds)
        colab = f"[open]({colab_url(slug, nb.stem)})" if here else "-"
        rows.append([nb.stem[:2], name, nb.teaches, t, colab])
    recorded = results.load_results("classroom")
    table = results.results_table(recorded) if recorded else "No training results recorded yet."
    benchmarks = results.load_benchmarks("classroom")  # make bench: results/classroom/benchmarks/*.json
    performance = results.benchmarks_table(benchmarks) if benchmarks else "No benchmark recorded yet: run `make bench`."
    notebooks = markdown_table(["#", "notebook", "what you learn", "classroom run time", "Colab"], rows, numeric=(3,))
    return {"badges": badges, "notebooks": notebooks, "memory-note": memory_note(), "results": table, "performance": performance,
            "resources": results.resources_table(("classroom",)), "settings": settings.markdown_table(),
            "profiles": profiles.markdown_table(),
            "sources": bibliography.sources_markdown().replace(bibliography.SOURCES_LINK, "#sources")}


NEXT_TAG = "generated-next"
_NEXT_LINE = re.compile(r"^(Next:|Back to )")


def generated_cells(stem: str) -> dict[str, str]:
    """The markdown cells ``make sync`` writes into a notebook, by the tag that marks each one."""
    cells = {NEXT_TAG: course.next_markdown(stem)}
    if stem == course.NOTEBOOKS[0].stem:
        cells["generated-course-map"] = course.course_map_markdown()
        cells["generated-sources"] = "## Sources\n\n" + bibliography.sources_markdown().replace(
            bibliography.SOURCES_LINK, "#Sources")
    return cells


def _adopt_next_cell(nb: nbformat.NotebookNode) -> None:
    """Give a notebook its tagged "Next" cell: the "Next: ..." lines that end its last markdown cell move there."""
    last = max(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown")
    lines = nb.cells[last].source.splitlines()
    starts = [i for i, line in enumerate(lines) if _NEXT_LINE.match(line)]
    keep = "\n".join(lines[:starts[0]] if starts else lines).rstrip()
    cell = nbformat.v4.new_markdown_cell("", metadata={"tags": [NEXT_TAG]})
    if keep:
        nb.cells[last].source = keep
        nb.cells.insert(last + 1, cell)
    else:
        nb.cells[last] = cell


def sync_generated(nb: nbformat.NotebookNode, stem: str) -> bool:
    """Rewrite every generated markdown cell of ``nb`` (tagged, see :func:`generated_cells`); True if one changed."""
    changed = False
    if stem not in {nb.stem for nb in course.NOTEBOOKS}:
        return False  # a notebook outside the course map (a test's, a learner's copy) has no generated cells
    wanted = generated_cells(stem)
    if not any(NEXT_TAG in c.metadata.get("tags", []) for c in nb.cells):
        _adopt_next_cell(nb)
        changed = True
    for tag, text in wanted.items():
        found = [c for c in nb.cells if tag in c.metadata.get("tags", [])]
        if len(found) != 1:
            raise SystemExit(f"{stem}: expected one cell tagged {tag!r}, found {len(found)}")
        if found[0].source != text:
            found[0].source, changed = text, True
    return changed


def sync_sections(text: str, sections: dict[str, str], name: str = "README.md") -> str:
    """Return ``text`` (README.md, INSTRUCTORS.md) with each generated section replaced by its body; an error names
    a missing marker."""
    for key, body in sections.items():
        pattern = re.compile(rf"(<!-- BEGIN generated: {re.escape(key)} -->\n).*?(<!-- END generated: {re.escape(key)} -->)",
                             re.S)
        if not pattern.search(text):
            raise SystemExit(f"{name} lacks the markers for the generated section {key!r}")
        text = pattern.sub(lambda m, body=body: m.group(1) + body + "\n" + m.group(2), text)
    return text


def slide_types(nb: nbformat.NotebookNode) -> list[str]:
    """Return the slide type of every cell (RISE's ``metadata.slideshow.slide_type``), by one rule.

    - the first code cell (Colab install and set-up) and the ``parameters`` cell: ``"skip"``;
    - a markdown cell that opens with a ``# `` or ``## `` heading: ``"slide"`` (one per section);
    - a markdown cell that opens with ``### ``, or that follows a code cell: ``"subslide"`` (the next
      step of a section, below it, so that a step fits on a screen);
    - every other cell: ``"-"`` (continues the slide above); the first cell shown is always a slide.

    Example:
        >>> cell = nbformat.v4.new_markdown_cell
        >>> nb = nbformat.v4.new_notebook(cells=[
        ...     cell("# Title"), nbformat.v4.new_code_cell("import course_utils"), cell("## Part 1"),
        ...     nbformat.v4.new_code_cell("x = 1"), cell("Now x."), cell("### Detail")])
        >>> slide_types(nb)
        ['slide', 'skip', 'slide', '-', 'subslide', 'subslide']
    """
    types: list[str] = []
    seen_code = False
    shown_before: str | None = None  # the type of the last cell that is shown, None before the first
    for cell in nb.cells:
        text = cell.source.lstrip()
        if cell.cell_type == "code" and (not seen_code or "parameters" in cell.metadata.get("tags", [])):
            kind = "skip"
        elif cell.cell_type == "markdown" and re.match(r"#{1,2} ", text):
            kind = "slide"
        elif cell.cell_type == "markdown" and (text.startswith("### ") or shown_before == "code"):
            kind = "subslide"
        else:
            kind = "-"
        seen_code = seen_code or cell.cell_type == "code"
        if kind != "skip":
            kind = "slide" if shown_before is None else kind
            shown_before = cell.cell_type
        types.append(kind)
    return types


def sync_notebook(path: Path, block: str, write: bool = True, cell_tags: dict | None = None) -> bool:
    """Make the first code cell start with ``block``, give every cell its slide type (:func:`slide_types`) and,
    with ``cell_tags`` (scripts/cell_tags.json), its ``demo`` / ``homework`` tags (:func:`apply_cell_tags`);
    return True if the file was out of date (written only when ``write``)."""
    nb = nbformat.read(path, as_version=4)
    changed = False
    cell = next(c for c in nb.cells if c.cell_type == "code")
    source = cell.source
    if source.startswith(FIRST_CELL_MARK):
        rest = source.split("\n\n", 1)[1] if "\n\n" in source else ""
    else:
        rest = source
    new = block + "\n" + rest
    if new != source:
        cell.source, changed = new, True
    changed = sync_generated(nb, path.stem) or changed
    for cell, kind in zip(nb.cells, slide_types(nb)):
        if cell.metadata.get("slideshow", {}).get("slide_type") != kind:
            cell.metadata["slideshow"] = {"slide_type": kind}
            changed = True
    if cell_tags is not None:
        try:
            changed = apply_cell_tags(nb, path.stem, cell_tags) or changed
        except CellTagError as e:
            raise SystemExit(str(e)) from None
    if changed and write:
        nbformat.write(nb, path)
    return changed


def main(argv: list[str]) -> int:
    check = "--check" in argv
    url, slug = repository()
    readme = ROOT / "README.md"
    text = readme.read_text()
    new_text = sync_sections(text, readme_sections(url, slug))
    stale = []
    if new_text != text:
        stale.append("README.md")
        if not check:
            readme.write_text(new_text)
    commit = library_commit()
    if commit is None:
        print("warning: no git history here: the notebooks' first cell installs the newest library on Colab")
    elif not library_is_committed() and not check:
        print(f"note: {' and '.join(LIBRARY_PATHS)} have uncommitted changes; the notebooks pin the last commit of "
              f"the library ({commit[:12]}): commit the library, then run `make sync` again")
    block = first_cell_block(url, commit)
    cell_tags = load_decisions() if APPLY_CELL_TAGS else None
    for nb in course.present():
        if sync_notebook(ROOT / "notebooks" / nb.filename, block, write=not check, cell_tags=cell_tags):
            stale.append(nb.filename)
    guide = ROOT / "INSTRUCTORS.md"  # after the notebooks: its reading times count their (synced) words
    text = guide.read_text()
    new_text = sync_sections(text, guide_sections(ROOT), "INSTRUCTORS.md")
    if new_text != text:
        stale.append("INSTRUCTORS.md")
        if not check:
            guide.write_text(new_text)
    if check and stale:
        print(f"out of date: {', '.join(stale)}; run `make sync` (scripts/sync_course.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
