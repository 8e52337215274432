"""The course site (scripts/make_site.py, `make site`): the rules that make the book copy of a notebook, the link
check, and one real build (Sphinx, myst-nb, nbconvert's slides) of a small course made here: set-up cell hidden,
internal lines gone, demo and homework cells marked on the page and in the slides, alt texts, citations linked,
planned notebooks on the course map, every local link resolving. The full site, read in a browser with every
other host blocked, is tests_browser/test_site.py (make test-browser)."""

from __future__ import annotations

import doctest
import re
import sys
from pathlib import Path

import nbformat
import pytest

from course_utils import bibliography, course

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))  # the scripts import each other by name (make_site uses sync_course)
import instructor_guide  # noqa: E402
import make_site  # noqa: E402
from sync_course import FIRST_CELL_MARK, colab_url, repository  # noqa: E402

code, markdown = nbformat.v4.new_code_cell, nbformat.v4.new_markdown_cell


def test_docstring_examples_of_the_builder():
    result = doctest.testmod(make_site)
    assert result.attempted >= 10 and result.failed == 0


def test_the_setup_cell_is_tagged_to_be_left_out_and_nothing_else():
    nb = nbformat.v4.new_notebook(cells=[markdown("# T"), code(FIRST_CELL_MARK + " (Colab)\nimport course_utils"),
                                         code("x = 1  # " + FIRST_CELL_MARK)])
    assert make_site.hide_setup_cells(nb) == 1
    assert nb.cells[1].metadata["tags"] == ["remove-cell"]
    assert "tags" not in nb.cells[2].metadata


def test_outputs_lose_internal_lines_and_widget_views():
    cell = code("train()")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="epoch 1\nwarm start: weights saved to ~/.cache/x.keras\n"),
        nbformat.v4.new_output("stream", name="stdout", text="warm start: no cached weights for lenet yet\n"),
        nbformat.v4.new_output("display_data", data={"text/plain": "VBox()",
                                                     make_site.WIDGET_MIME: {"model_id": "1"}}),
        nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}),
    ]
    nb = nbformat.v4.new_notebook(cells=[cell], metadata={"widgets": {"state": {}}})
    make_site.clean_outputs(nb)
    assert [o.output_type for o in cell.outputs] == ["stream", "display_data"]
    assert cell.outputs[0].text == "epoch 1\n" and "image/png" in cell.outputs[1].data
    assert "widgets" not in nb.metadata


def test_figures_get_numbered_alt_texts_from_their_cell():
    png = {"image/png": "iVBORw0KGgo="}
    one, two, none = code("# the kernel\nshow(k)"), code("show(a); show(b)"), code("x = 1")
    one.outputs = [nbformat.v4.new_output("display_data", data=png)]
    two.outputs = [nbformat.v4.new_output("display_data", data=png) for _ in range(2)]
    nb = nbformat.v4.new_notebook(cells=[one, none, two])
    assert make_site.add_alt_texts(nb, "Convolution") == 3
    assert one.metadata["mystnb"]["image"]["alt"] == "Convolution, figure 1: the kernel"
    assert two.metadata["mystnb"]["image"]["alt"] == "Convolution, figures 2-3: output of show(a); show(b)"
    assert "mystnb" not in none.metadata
    assert [o.metadata["image/png"]["alt"] for o in two.outputs] == [  # each its own, for the slides
        "Convolution, figure 2: output of show(a); show(b)", "Convolution, figure 3: output of show(a); show(b)"]


def test_links_are_rewritten_outside_code_only():
    slugs = {"06_lenet5": {"Summary": "summary"}, "03_padding": {}}
    source = "See [LeNet](06_lenet5.ipynb#Summary), not `[LeNet](06_lenet5.ipynb#Summary)`, and ![a figure](f.png)."
    assert make_site.rewrite_links(source, slugs, "03_padding", set()) == (
        "See [LeNet](06_lenet5.ipynb#summary), not `[LeNet](06_lenet5.ipynb#Summary)`, and ![a figure](f.png).")


def test_citations_name_one_entry_of_the_bibliography():
    for key, entry in {**bibliography.ARTICLES, **bibliography.PAPERS}.items():
        assert make_site.citation_key(entry.handle) == key, entry.handle
    assert make_site.citation_key("Sucky 2023 and Simonyan and Zisserman 2015") is None  # two: the page, not an entry
    references = make_site.references_markdown()
    for key in {**bibliography.ARTICLES, **bibliography.PAPERS}:
        assert f"({make_site.reference_anchor(key)})=" in references


def test_the_link_check_finds_missing_pages_and_anchors(tmp_path):
    (tmp_path / "a.html").write_text(
        '<h2 id="Top">t</h2><a name="old-style"></a>'
        '<a href="b.html#Here">ok</a> <a href="b.html#Gone">missing anchor</a> <a href="c.html">missing page</a>'
        '<a href="#Top">ok</a> <a href="#old-style">ok</a> <a href="#Nowhere">missing anchor</a>'
        '<a href="b.html#00-%C2%B7-Start">ok, percent-encoded</a> <a href="sub/">ok: its index.html</a>'
        '<a href="https://example.org/x.html#y">not checked</a> <img src="data:image/png;base64,AAAA"/>'
        '<img src="figure.png"/> <script src="_static/app.js?v=1"></script>'
    )
    (tmp_path / "b.html").write_text('<h1 id="Here">b</h1><h2 id="00-%C2%B7-Start">c</h2><a href="a.html">ok</a>')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "index.html").write_text("<p>sub</p>")
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "app.js").write_text("")
    (tmp_path / "_static" / "template.html").write_text('<a href="{{ pathto(x) }}">a template, not a page</a>')
    problems = make_site.link_problems(tmp_path)
    assert len(problems) == 4, problems
    assert sum("no anchor #Gone in b.html" in p for p in problems) == 1
    assert sum("no anchor #Nowhere in a.html" in p for p in problems) == 1
    assert sum("no file c.html" in p for p in problems) == 1
    assert sum("no file figure.png" in p for p in problems) == 1


# -- one real build, of a small course made here -------------------------------------------------------------------

WARM = "warm start: weights saved to ~/.cache/cnn-classics/weights/lenet.keras (setup(retrain=False) reuses them)"


def _small_course(folder: Path) -> None:
    """Two notebooks of the map (03 and 06, as copies with a few changes) in ``folder``; every other one planned.

    03 is the committed notebook with its first two code cells on slides tagged ``demo`` and ``homework`` and a
    warm-start line added to an output; 06 is a short one that links to 03, to a planned notebook and to a source.
    """
    nb = nbformat.read(ROOT / "notebooks" / "03_padding_and_stride.ipynb", as_version=4)
    shown = [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("slideshow", {}).get("slide_type") != "skip"]
    stem = "03_padding_and_stride"  # the tags as `make sync` writes them, whatever the committed ones are
    instructor_guide.apply_cell_tags(nb, stem, {stem: {"demo": [shown[0].id], "homework": [shown[1].id]}})
    shown[0].outputs.append(nbformat.v4.new_output("stream", name="stdout", text=WARM + "\n"))
    nbformat.write(nb, folder / "03_padding_and_stride.ipynb")
    setup = code(f"{FIRST_CELL_MARK} (Colab: installs course_utils once; elsewhere: nothing)\nimport course_utils")
    setup.outputs = [nbformat.v4.new_output("stream", name="stdout", text="course_utils | profile: smoke\n")]
    lenet = nbformat.v4.new_notebook(cells=[
        markdown("# 06 · LeNet-5\n\nAs [Sucky 2023](00_start_here.ipynb#Sources) and LeCun et al. 1998 show."),
        setup,
        markdown("## 1. The network\n\nBack to [padding](03_padding_and_stride.ipynb), on to "
                 "[the CAPTCHA reader](09_vgg_captcha.ipynb) and [the network](#1.-The-network)."),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(lenet, folder / "06_lenet5.ipynb")


@pytest.fixture(scope="module")
def small_site(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("course") / "notebooks"
    folder.mkdir()
    _small_course(folder)
    patch = pytest.MonkeyPatch()
    patch.setattr(course, "notebooks_dir", lambda: folder)
    out = folder.parent / "site"
    try:
        make_site.build_site(out)
    finally:
        patch.undo()
    return out


def test_the_small_site_has_its_pages_and_no_broken_link(small_site):
    assert (small_site / "index.html").is_file() and (small_site / "search.html").is_file()
    for stem in ("03_padding_and_stride", "06_lenet5"):
        assert (small_site / "notebooks" / f"{stem}.html").is_file()
        assert (small_site / "slides" / f"{stem}.slides.html").is_file()
        assert f'href="../slides/{stem}.slides.html"' in (small_site / "notebooks" / f"{stem}.html").read_text()
    assert (small_site / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert (small_site / "_static" / "reveal.js" / "dist" / "reveal.js").is_file()
    assert make_site.link_problems(small_site) == []


def test_the_course_map_lists_planned_notebooks(small_site):
    index = (small_site / "index.html").read_text()
    rows = re.findall(r'<tr id="([^"]+)" class="(present|planned)">(.*?)</tr>', index)
    assert [stem for stem, _, _ in rows] == [nb.stem for nb in course.NOTEBOOKS]
    for stem, status, row in rows:
        written = stem in ("03_padding_and_stride", "06_lenet5")
        assert status == ("present" if written else "planned"), stem
        assert (f'href="notebooks/{stem}.html"' in row) == written, stem
    page = (small_site / "notebooks" / "06_lenet5.html").read_text()
    assert 'href="../index.html#09_vgg_captcha"' in page  # a planned notebook: its row on the map


def test_pages_hide_the_setup_cell_and_internal_lines(small_site):
    for page in (small_site / "notebooks").glob("*.html"):
        text = page.read_text()
        assert FIRST_CELL_MARK not in text and "course_utils | profile" not in text, page.name
        assert "warm start:" not in text and "~/.cache" not in text, page.name


def test_demo_and_homework_cells_are_marked_on_the_page_and_in_the_slides(small_site):
    page = (small_site / "notebooks" / "03_padding_and_stride.html").read_text()
    source = nbformat.read(small_site.parent / "notebooks" / "03_padding_and_stride.ipynb", as_version=4)
    for tag in ("demo", "homework"):  # every code cell with the tag, the hidden set-up cell aside, wears its class
        tagged = [c for c in source.cells[2:] if c.cell_type == "code" and tag in c.metadata.get("tags", [])]
        assert len(tagged) >= 1
        assert len(re.findall(rf'<div class="cell[^"]*\btag_{tag}\b', page)) == len(tagged), tag
    css = (small_site / "_static" / "course.css").read_text()
    assert 'content: "Live demo"' in css and 'content: "Homework"' in css
    slides = (small_site / "slides" / "03_padding_and_stride.slides.html").read_text()
    assert re.search(r'class="[^"]*\bcelltag_demo\b', slides) and re.search(r'class="[^"]*\bcelltag_homework\b', slides)
    assert 'content: "Live demo"' in slides


def test_figures_have_alt_texts_and_citations_link_the_references(small_site):
    page = (small_site / "notebooks" / "03_padding_and_stride.html").read_text()
    alts = re.findall(r'<img alt="([^"]*)"[^>]*src="../_images/', page)
    assert alts and all(alt.startswith("Padding and stride, figure") for alt in alts), alts
    slides = (small_site / "slides" / "03_padding_and_stride.slides.html").read_text()
    alts = re.findall(r'<img alt="([^"]*)"[^>]*src="data:image/', slides)
    assert alts and all(alt.startswith("Padding and stride, figure ") for alt in alts), alts
    lenet = (small_site / "notebooks" / "06_lenet5.html").read_text()
    assert 'href="../references.html#ref-mini-vgg"' in lenet  # the link to 00's Sources, now to the entry
    assert 'href="../references.html#ref-lenet"' in lenet  # the page's list of the sources it names


def test_launch_buttons_open_the_same_notebook(small_site):
    _, slug = repository()
    page = (small_site / "notebooks" / "06_lenet5.html").read_text()
    assert f'href="{colab_url(slug, "06_lenet5")}"' in page
    assert f'href="https://mybinder.org/v2/gh/{slug}/main?urlpath=lab/tree/notebooks/06_lenet5.ipynb"' in page


def test_no_page_loads_a_script_or_style_from_elsewhere(small_site):
    for page in [*small_site.glob("*.html"), *small_site.glob("notebooks/*.html"), *small_site.glob("slides/*.html")]:
        text = page.read_text()
        external = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="((?:https?:)?//[^"]+)"', text)
        external += re.findall(r"""(?:import|url\()\s*['"]?((?:https?:)?//[^'")]+)""", text)
        assert not external, f"{page.name}: {external[:5]}"


def test_a_folder_the_builder_did_not_make_is_left_alone(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    with pytest.raises(SystemExit, match="was not built by scripts/make_site.py"):
        make_site.build_site(out)
    assert (out / "notes.txt").read_text() == "my notes"
