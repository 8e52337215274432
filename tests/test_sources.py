"""Sources a reader can identify: the five articles by their handles, the papers by author and year, links that lead
somewhere.

The articles the course was designed from were once called "seed 000" ... "seed 004" inside the project; a learner
cannot tell what that is, so no notebook, README, docstring, benchmark label or recorded result says it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from course_utils import bibliography, course

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# "seed" in the sense of a source article (a random seed is fine: seed=0, seeded, SEEDS, seed 1)
ARTICLE_SEED = re.compile(r"seed[ _-]?0{2}[0-4]|\bseed (?:articles?|listings?|recipes?|generator|code|models?|network|"
                          r"tutorials?|copy|authors?|reports?)\b|\bseed's\b|\bthe seeds?\b(?! (?:of|for|value|=|is|in|to))",
                          re.I)
CITATION = re.compile(r"\b([A-Z][A-Za-z-]+(?: et al\.| and [A-Z][A-Za-z-]+)?),? \(?((?:19|20)\d\d)\b")
LINK = re.compile(r"\]\((?!https?:)([^)\s]+?\.ipynb)(#[^)\s]*)?\)")  # relative links: the course's own files


def _texts() -> list[tuple[str, str]]:
    """(where, text) for everything a learner or instructor reads: notebooks with outputs, README, the package,
    the benchmarks that label the README's figures, and the recorded results those tables are made from."""
    texts = []
    for path in NOTEBOOKS:
        for i, cell in enumerate(nbformat.read(path, as_version=4).cells):
            outputs = [o.get("text", "") + json.dumps(o.get("data", {})) for o in cell.get("outputs", [])]
            texts.append((f"{path.name} cell {i}", cell.source + "\n".join(outputs)))
    texts.append(("README.md", (ROOT / "README.md").read_text()))
    for folder, pattern in (("course_utils", "**/*.py"), ("benchmarks", "*.py"), ("scripts", "*.py"),
                            ("results/classroom", "**/*.json")):
        for path in sorted((ROOT / folder).glob(pattern)):
            texts.append((str(path.relative_to(ROOT)), path.read_text()))
    return texts


def test_no_text_calls_a_source_article_a_seed():
    found = [f"{where}: {m.group(0)!r} in ...{text[max(0, m.start() - 40):m.end() + 40]!r}..."
             for where, text in _texts() for m in ARTICLE_SEED.finditer(text)]
    assert not found, "name the article by its handle (course_utils.bibliography):\n" + "\n".join(found[:30])


def test_the_pattern_catches_the_old_names_and_spares_random_seeds():
    for old in ("seed 003's listing", "the seed article", "Seed 004 reports", "alexnet_seed003", "the seed listing"):
        assert ARTICLE_SEED.search(old), old
    for fine in ("seed=0", "set_random_seed(5)", "mean of 3 seeds", "the seed of the generator", "POOL_SEEDS seeds each",
                 "seeded", "seed 1"):
        assert not ARTICLE_SEED.search(fine), fine


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_citation_names_an_entry_of_the_bibliography(path):
    handles = set(bibliography.handles())
    cited = {f"{m.group(1)} {m.group(2)}" for cell in nbformat.read(path, as_version=4).cells
             if cell.cell_type == "markdown" for m in CITATION.finditer(cell.source)}
    unknown = {c for c in cited if c not in handles and c.split()[0] in {h.split()[0] for h in handles}}
    assert not unknown, f"{path.name} cites {sorted(unknown)}: cite as in course_utils.bibliography ({sorted(handles)})"


def test_the_bibliography_has_the_papers_the_issue_names():
    for handle in ("LeCun et al. 1998", "Krizhevsky et al. 2012", "Simonyan and Zisserman 2015", "Szegedy et al. 2015",
                   "Ioffe and Szegedy 2015", "Szegedy et al. 2016", "Szegedy et al. 2017", "Lin et al. 2014"):
        assert handle in bibliography.handles()
    assert all(p.url.startswith(("https://", "http://")) for p in bibliography.PAPERS.values())
    with pytest.raises(KeyError, match="known keys"):
        bibliography.cite("vgg16")


def test_every_notebook_link_leads_to_a_notebook_that_exists():
    broken = []
    for path in NOTEBOOKS:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown":
                broken += [f"{path.name} -> {m.group(1)}" for m in LINK.finditer(cell.source)
                           if not (path.parent / m.group(1)).is_file()]
    readme = (ROOT / "README.md").read_text()
    broken += [f"README.md -> {m.group(1)}" for m in LINK.finditer(readme) if not (ROOT / m.group(1)).is_file()]
    assert not broken, broken


def test_the_sources_anchor_exists_and_every_notebook_ends_with_its_generated_next_cell():
    start = nbformat.read(ROOT / "notebooks" / "00_start_here.ipynb", as_version=4)
    assert any(c.source.startswith("## Sources\n") for c in start.cells if c.cell_type == "markdown")
    for nb in course.present():
        cells = nbformat.read(ROOT / "notebooks" / nb.filename, as_version=4).cells
        assert "generated-next" in cells[-1].metadata.get("tags", []), nb.stem
        assert cells[-1].source == course.next_markdown(nb.stem)
        assert "(coming)" not in cells[-1].source
