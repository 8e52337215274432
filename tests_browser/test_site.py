"""The course site as a reader sees it: `make site`'s build served from 127.0.0.1, read in headless Chromium with
every request to another host blocked and recorded.

Every page (notebooks, slides, index, references, search) is visited: nothing may leave the machine, no page shows
the Colab set-up cell or a warm-start line, math is typeset by MathJax (no raw ``$...$`` or ``\\(`` left), search
finds "receptive field" in notebook 03, the launch buttons open the same notebook on Colab and Binder, and cells
tagged demo or homework wear a badge on the page and in the slides (tags added to a copy of notebook 03).
The site is built once per test session (pytest-xdist workers share it through a lock); a screenshot of one page
goes to artifacts/browser/site-03.png.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

import nbformat
import pytest

from .conftest import free_port, stop, wait_http

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import instructor_guide  # noqa: E402
import make_site  # noqa: E402
from sync_course import FIRST_CELL_MARK, colab_url, repository  # noqa: E402

from course_utils import course  # noqa: E402

SETUP_LINE = re.compile(re.escape(FIRST_CELL_MARK) + r"|course_utils \| profile:")
WARM_LINE = re.compile(r"warm start:|~/\.cache/")
RAW_MATH = re.compile(r"\$[^$\s][^$\n]*\$|\\\(|\\\[")
# The text of the elements a selector finds, without code (where $ and \( are code) and typeset math
PROSE = """selector => [...document.querySelectorAll(selector)].map(e => {
    const copy = e.cloneNode(true);
    copy.querySelectorAll('code, pre, mjx-container, .math').forEach(c => c.remove());
    return copy.textContent;
}).join('\\n')"""
# The text of every cell output (myst-nb's pages, nbconvert's slides); code may name ~/.cache, outputs may not
OUTPUTS = """() => [...document.querySelectorAll('.cell_output, .jp-OutputArea')].map(e => e.innerText).join('\\n')"""
NOTEBOOKS = [nb.stem for nb in course.present()]


def _copy_with_tags(folder: Path) -> None:
    """Copy the notebooks into ``folder``; in 03, the first two code cells on slides get the tags demo and homework
    (as INSTRUCTORS.md's cell tags mark cells), so that the badges are seen whatever the committed tags are."""
    folder.mkdir(parents=True)
    for path in (ROOT / "notebooks").glob("*.ipynb"):
        shutil.copy2(path, folder / path.name)
    path = folder / "03_padding_and_stride.ipynb"
    nb = nbformat.read(path, as_version=4)
    shown = [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("slideshow", {}).get("slide_type") != "skip"]
    stem = "03_padding_and_stride"  # the tags as `make sync` writes them, whatever the committed ones are
    instructor_guide.apply_cell_tags(nb, stem, {stem: {"demo": [shown[0].id], "homework": [shown[1].id]}})
    nbformat.write(nb, path)


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The full site (from a copy of notebooks/, see :func:`_copy_with_tags`), built once for all workers: the first
    to take the lock builds, the others read it."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # pytest-N/popen-gwK: pytest-N is this session's, the same for every worker
    out = shared / "course-site"
    with (shared / "course-site.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "index.html").is_file():
            folder = shared / "course-site-notebooks"
            if folder.exists():
                shutil.rmtree(folder)
            _copy_with_tags(folder)
            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(course, "notebooks_dir", lambda: folder)
                make_site.build_site(out)
    return out


@pytest.fixture(scope="session")
def served(site: Path, tmp_path_factory):
    """``site`` served by Python's http.server on 127.0.0.1:<free port>; yields the base URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("site-server") / "http.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                 "--directory", str(site)], stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/index.html", proc, log, timeout=30)
        yield url
    finally:
        stop(proc)


@pytest.fixture
def reader(browser_context, served):
    """A new page whose requests to any host other than the test server are blocked and listed in ``page.left``."""
    page = browser_context.new_page()
    page.left = []
    host = urllib.parse.urlsplit(served).netloc

    def guard(route) -> None:
        parts = urllib.parse.urlsplit(route.request.url)
        if parts.scheme in ("data", "blob") or parts.netloc == host:
            route.continue_()
        else:
            page.left.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    yield page
    page.close()


def _pages(site: Path) -> list[str]:
    """Every HTML page of the site (not the templates and demos under _static/), relative to its root."""
    return sorted(str(p.relative_to(site)) for p in site.rglob("*.html") if "_static" not in p.relative_to(site).parts)


def _wait_for_mathjax(page) -> None:
    """Wait until MathJax has typeset the page, where the page loads it."""
    if page.evaluate("() => !!document.querySelector('script[src*=\"mathjax/tex-chtml.js\"]')"):
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=30_000)
        page.evaluate("() => MathJax.startup.promise")


def test_every_page_stays_on_the_machine_and_shows_no_internal_line(site, served, reader):
    pages = _pages(site)
    assert len([p for p in pages if p.startswith("notebooks/")]) == len(NOTEBOOKS)
    assert len([p for p in pages if p.startswith("slides/")]) == len(NOTEBOOKS)
    problems = []
    for name in pages:
        reader.goto(f"{served}/{name}", wait_until="load")
        _wait_for_mathjax(reader)
        text = reader.evaluate("() => document.body.innerText")
        outputs = reader.evaluate(OUTPUTS)
        if SETUP_LINE.search(text):
            problems.append(f"{name}: shows the set-up cell")
        if WARM_LINE.search(outputs):
            problems.append(f"{name}: an output shows {WARM_LINE.search(outputs).group(0)!r}")
    assert not reader.left, f"requests to other hosts: {sorted(set(reader.left))[:10]}"
    assert not problems, "\n".join(problems)


def test_math_is_typeset(site, served, reader):
    typeset: dict[str, int] = {}
    for name in _pages(site):
        if not (name.startswith(("notebooks/", "slides/"))):
            continue
        reader.goto(f"{served}/{name}", wait_until="load")
        _wait_for_mathjax(reader)
        if name.startswith("notebooks/"):
            # Sphinx writes each formula as span.math / div.math; MathJax puts an mjx-container in each
            raw = reader.evaluate("""() => [...document.querySelectorAll('.math')]
                .filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 80))""")
            assert not raw, f"{name}: formulas left as text: {raw[:5]}"
            prose = reader.evaluate(PROSE, "article p, article li")
        else:
            prose = reader.evaluate(PROSE, ".jp-RenderedMarkdown")
        left = RAW_MATH.findall(prose)
        assert not left, f"{name}: raw TeX in the text: {left[:5]}"
        typeset[name] = reader.locator("mjx-container").count()
    # notebook 02 writes the convolution as a formula (three in its prose), on its page and in its slides
    assert typeset["notebooks/02_convolution.html"] >= 3 and typeset["slides/02_convolution.slides.html"] >= 3, typeset
    assert not reader.left, f"requests to other hosts: {sorted(set(reader.left))[:10]}"


def test_search_finds_receptive_field_in_notebook_03(served, reader):
    reader.goto(f"{served}/search.html", wait_until="load")
    box = reader.locator("input[name='q']:visible").first
    box.fill("receptive field")
    box.press("Enter")
    from playwright.sync_api import expect

    # the results list, then each result's excerpt (fetched from its page): 03's must show the words
    hit = reader.locator("#search-results li", has=reader.locator("a[href*='03_padding_and_stride']")).first
    expect(hit).to_contain_text("receptive field", ignore_case=True, timeout=30_000)
    assert not reader.left, f"requests to other hosts: {sorted(set(reader.left))[:10]}"


@pytest.mark.parametrize("stem", ["03_padding_and_stride", NOTEBOOKS[-1]])
def test_launch_buttons_open_the_same_notebook(served, reader, artifacts, stem):
    _, slug = repository()
    reader.goto(f"{served}/notebooks/{stem}.html", wait_until="load")
    reader.locator("button[aria-label='Launch interactive content']").click()
    colab = reader.locator("a[href^='https://colab.research.google.com/']").first
    binder = reader.locator("a[href^='https://mybinder.org/']").first
    colab.wait_for(state="visible")
    assert colab.get_attribute("href") == colab_url(slug, stem)
    assert binder.is_visible()
    assert binder.get_attribute("href") == f"https://mybinder.org/v2/gh/{slug}/main?urlpath=lab/tree/notebooks/{stem}.ipynb"
    slides = reader.locator("a.course-slides")
    assert slides.get_attribute("href") == f"../slides/{stem}.slides.html"
    if stem.startswith("03"):
        reader.keyboard.press("Escape")
        reader.screenshot(path=str(artifacts / "site-03.png"))
    assert not reader.left, f"requests to other hosts: {sorted(set(reader.left))[:10]}"


def test_demo_and_homework_cells_wear_a_badge(served, reader):
    badge = "el => getComputedStyle(el, '::before').content"
    reader.goto(f"{served}/notebooks/03_padding_and_stride.html", wait_until="load")
    assert reader.locator("div.cell.tag_demo").first.evaluate(badge) == '"Live demo"'
    assert reader.locator("div.cell.tag_homework").first.evaluate(badge) == '"Homework"'
    reader.goto(f"{served}/slides/03_padding_and_stride.slides.html", wait_until="load")
    assert reader.locator(".celltag_demo").first.evaluate(badge) == '"Live demo"'
    assert reader.locator(".celltag_homework").first.evaluate(badge) == '"Homework"'
    assert not reader.left, f"requests to other hosts: {sorted(set(reader.left))[:10]}"
