"""The static site (scripts/build_site.py, `make site`): it builds from the committed notebooks, picks up a
notebook as soon as it exists, and every local link and anchor in it resolves."""

import doctest
import re
import sys
from pathlib import Path

import nbformat
import pytest

from course_utils import course

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))  # the scripts import each other by name (build_site uses sync_course)
import build_site  # noqa: E402

NOTEBOOK_LINK = re.compile(r"\]\(([^)\s]+\.ipynb)(#[^)\s]*)?\)")  # a markdown link to a notebook


def test_docstring_examples_of_the_builder():
    result = doctest.testmod(build_site)
    assert result.attempted >= 3 and result.failed == 0


def test_links_to_notebooks_are_rewritten():
    present, planned = {"06_lenet5", "07_alexnet"}, {"09_vgg_captcha"}
    cases = {
        "06_lenet5.ipynb": "06_lenet5.html",
        "./07_alexnet.ipynb#1.-The-architecture": "07_alexnet.html#1.-The-architecture",
        "09_vgg_captcha.ipynb#Summary": "index.html#09_vgg_captcha",  # planned: its row on the course map
        "99_nowhere.ipynb": "99_nowhere.html",  # on no map: left to fail the link check
        "#Summary": "#Summary",
        "https://colab.research.google.com/github/o/n/blob/main/notebooks/06_lenet5.ipynb":
            "https://colab.research.google.com/github/o/n/blob/main/notebooks/06_lenet5.ipynb",
    }  # fmt: skip
    for written, expected in cases.items():
        assert build_site.rewrite_link(written, present, planned) == expected, written
    page = '<a href="06_lenet5.ipynb#A-&amp;-B">x</a> <link href="style.css"/>'
    assert build_site.rewrite_links(page, present, planned) == '<a href="06_lenet5.html#A-&amp;-B">x</a> <link href="style.css"/>'


def test_the_link_check_finds_missing_pages_and_anchors(tmp_path):
    (tmp_path / "a.html").write_text(
        '<h2 id="Top">t</h2><a name="old-style"></a>'
        '<a href="b.html#Here">ok</a> <a href="b.html#Gone">missing anchor</a> <a href="c.html">missing page</a>'
        '<a href="#Top">ok</a> <a href="#old-style">ok</a> <a href="#Nowhere">missing anchor</a>'
        '<a href="b.html#00-%C2%B7-Start">ok, percent-encoded as nbconvert writes it</a>'
        '<a href="https://example.org/x.html#y">not checked</a> <img src="data:image/png;base64,AAAA"/>'
        '<img src="figure.png"/>'
    )
    (tmp_path / "b.html").write_text('<h1 id="Here">b</h1><h2 id="00-%C2%B7-Start">c</h2><a href="a.html">ok</a>')
    problems = build_site.link_problems(tmp_path)
    assert len(problems) == 4, problems
    assert sum("no anchor #Gone in b.html" in p for p in problems) == 1
    assert sum("no anchor #Nowhere in a.html" in p for p in problems) == 1
    assert sum("no file c.html" in p for p in problems) == 1
    assert sum("no file figure.png" in p for p in problems) == 1


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    build_site.build_site(out)
    return out


def test_the_site_has_a_page_per_notebook_and_the_course_map(site):
    on_disk = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert sorted(p.stem for p in site.glob("*.html")) == sorted(on_disk + ["index"])
    index = (site / "index.html").read_text()
    rows = re.findall(r'<tr id="([^"]+)" class="(present|planned)">(.*?)</tr>', index)
    assert [stem for stem, _, _ in rows] == [nb.stem for nb in course.NOTEBOOKS]
    for stem, status, row in rows:
        written = stem in on_disk
        assert status == ("present" if written else "planned"), stem
        assert (f'href="{stem}.html"' in row) == written, stem


def test_every_local_link_and_anchor_resolves(site):
    assert build_site.link_problems(site) == []


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem)
def test_a_page_shows_the_committed_outputs_and_rewritten_links(site, path):
    nb = nbformat.read(path, as_version=4)
    page = (site / f"{path.stem}.html").read_text()
    figures = sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert len(re.findall(r'<img[^>]+src="data:image/png;base64,', page)) == figures
    written = {p.stem for p in (ROOT / "notebooks").glob("*.ipynb")}
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for target, anchor in NOTEBOOK_LINK.findall(cell.source):
            stem = Path(target).stem
            expected = f"{stem}.html{anchor}" if stem in written else f"index.html#{stem}"
            assert f'href="{expected}"' in page, (target, anchor)
    assert not re.search(r'href="(?!https?:)[^"]*\.ipynb', page), "a local link to a .ipynb is left in the page"


def _notebook(path: Path, *markdown: str) -> None:
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(m) for m in markdown]), path)


def test_a_new_notebook_is_picked_up_and_bad_links_fail(tmp_path, monkeypatch):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    _notebook(folder / "06_lenet5.ipynb", "# LeNet", "Next: [the CAPTCHA reader](09_vgg_captcha.ipynb#Part-2)")
    _notebook(folder / "09_vgg_captcha.ipynb", "# CAPTCHAs", "## Part 2",
              "Then [mini-VGG](10_mini_vgg.ipynb), back to [LeNet](06_lenet5.ipynb#No-such-heading), "
              "and [a notebook on no map](99_nowhere.ipynb).")  # fmt: skip
    monkeypatch.setattr(course, "notebooks_dir", lambda: folder)
    out = tmp_path / "site"
    pages = build_site.build_site(out)
    assert sorted(p.name for p in pages) == ["06_lenet5.html", "09_vgg_captcha.html", "index.html"]
    index = (out / "index.html").read_text()
    assert 'href="09_vgg_captcha.html"' in index and 'href="10_mini_vgg.html"' not in index
    assert '<tr id="10_mini_vgg" class="planned">' in index
    problems = build_site.link_problems(out)
    assert len(problems) == 2, problems
    assert sum("no anchor #No-such-heading in 06_lenet5.html" in p for p in problems) == 1
    assert sum("no file 99_nowhere.html" in p for p in problems) == 1
    # the link to the planned 10 goes to the course map, and the anchor #Part-2 exists in 09's page
    assert 'href="index.html#10_mini_vgg"' in (out / "09_vgg_captcha.html").read_text()
    assert 'href="09_vgg_captcha.html#Part-2"' in (out / "06_lenet5.html").read_text()


def test_a_folder_the_builder_did_not_make_is_left_alone(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    with pytest.raises(SystemExit, match="was not built by scripts/build_site.py"):
        build_site.build_site(out)
    assert (out / "notes.txt").read_text() == "my notes"
