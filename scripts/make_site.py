"""Build the course site: a book made by Sphinx (myst-nb, sphinx-book-theme) from the committed notebooks.

    python scripts/make_site.py              # or: make site  ->  build/site/index.html
    python scripts/make_site.py --out DIR    # somewhere else (a folder this script made, or a new one)

Nothing is executed: the committed outputs are the content. The steps:

1. A processed copy of every notebook on the course map goes to ``build/site-src/notebooks/`` (``notebooks/``
   is never written): the Colab set-up cell is tagged ``remove-cell`` (hidden), internal lines such as
   ``warm start: weights saved to ~/.cache/...`` are cut from the outputs, widget views are dropped (each
   explorer drew its figure as an output first), every figure gets an alt text, links between notebooks are
   rewritten for the book, citations link to the references page, and a line under the title links the
   notebook's slides. ``index.md`` (the course map, planned notebooks listed) and ``references.md`` (from
   :mod:`course_utils.bibliography`) are written beside them.
2. ``sphinx-build -c book`` turns that folder into ``build/site``: sidebar, contents of the page, search,
   Binder and Colab launch buttons per page (book/conf.py).
3. MathJax and reveal.js, installed by npm into ``build/npm`` (``make site`` does it, pinned in the Makefile),
   are copied into ``_static/``; every notebook's slides (nbconvert's slides exporter on the same copy, RISE's
   slide metadata, template book/slides.html.j2) go to ``slides/NAME.slides.html``.
4. Every local link and anchor is checked (:func:`link_problems`); a broken one fails the build.
"""

from __future__ import annotations

import argparse
import copy
import html
import io
import re
import shutil
import subprocess
import sys
import time
import tokenize
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from sync_course import FIRST_CELL_MARK, repository  # noqa: E402  (one source for the set-up cell and the address)

from course_utils import bibliography, course  # noqa: E402

DEFAULT_OUT = ROOT / "build" / "site"
CONF_DIR = ROOT / "book"
NPM_DIR = ROOT / "build" / "npm" / "node_modules"
MARKER = ".cnn-classics-site"  # marks a folder this script built, so that a rebuild may empty it
HIDE_TAG = "remove-cell"  # myst-nb leaves a cell with this tag out of the page
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")
# Lines of an output that are about the machine the notebook ran on, not about the lesson
INTERNAL_LINE = re.compile(r"^\s*warm start:|~/\.cache/")
# A markdown link (not an image): [text](target)
MARKDOWN_LINK = re.compile(r"(?<!!)\[((?:[^\[\]]|\[[^\]]*\])*)\]\(([^()\s]+)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
GUIDE = ROOT / "INSTRUCTORS.md"  # the instructor guide: a page of the site too, linked from notebook 00
GUIDE_LINK = "../INSTRUCTORS.md"  # how a notebook links to it (from notebooks/, as JupyterLab resolves it)


# -- the processed copy of a notebook ------------------------------------------------------------------------------


def hide_setup_cells(nb: nbformat.NotebookNode) -> int:
    """Tag the Colab set-up cell (it starts with sync_course's mark) ``remove-cell``; return how many were tagged."""
    count = 0
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.lstrip().startswith(FIRST_CELL_MARK):
            tags = cell.metadata.setdefault("tags", [])
            if HIDE_TAG not in tags:
                tags.append(HIDE_TAG)
            count += 1
    return count


def strip_internal_lines(text: str) -> str:
    """Return ``text`` without the lines :data:`INTERNAL_LINE` matches (warm-start notes, cache paths).

    Example:
        >>> strip_internal_lines("epoch 1: 97%\\nwarm start: weights saved to ~/.cache/cnn-classics/a.keras\\ndone\\n")
        'epoch 1: 97%\\ndone\\n'
        >>> strip_internal_lines("20,000 CAPTCHAs read from the cache ~/.cache/cnn-classics/c.npz\\n")
        ''
    """
    return "".join(line for line in text.splitlines(keepends=True) if not INTERNAL_LINE.search(line))


def clean_outputs(nb: nbformat.NotebookNode) -> None:
    """Cut internal lines from text outputs and drop widget views (and the notebook's widget state).

    An output left with nothing to show is removed. A widget view needs a widget manager that the site does
    not load; every explorer of the course drew its default state as a figure before the view.
    """
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.outputs:
            if output.output_type == "stream":
                output.text = strip_internal_lines(output.text)
                if not output.text.strip():
                    continue
            elif output.output_type in ("display_data", "execute_result"):
                data = output.get("data", {})
                if WIDGET_MIME in data:
                    continue
                if "text/plain" in data and len(data) == 1:
                    data["text/plain"] = strip_internal_lines(data["text/plain"])
                    if not data["text/plain"].strip():
                        continue
            kept.append(output)
        cell.outputs = kept


def first_comment(source: str) -> str | None:
    """The first comment of a code cell (a line of its own or at the end of a line), without ``#``; None if none.

    Example:
        >>> first_comment("x = 1\\n# the feature maps of the first layer\\nshow(x)")
        'the feature maps of the first layer'
        >>> first_comment('print("# not a comment")  # the sizes')
        'the sizes'
        >>> first_comment("show(x)") is None
        True
    """
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT and token.string.lstrip("#").strip():
                return token.string.lstrip("#").strip()
    except (tokenize.TokenError, SyntaxError):
        pass
    return None


def add_alt_texts(nb: nbformat.NotebookNode, title: str) -> int:
    """Give every figure an alt text; return how many figures the notebook shows.

    myst-nb takes an image's alt text from its cell (``cell.metadata.mystnb.image.alt``); the slides' template
    from the output (``output.metadata[mime].alt``), where each figure has its own number. The text names the
    notebook, the figure's number in it (``figures 3-4`` for a cell that draws two) and what the cell does: its
    first comment (without the course's ``extra code:`` mark), or else its first line of code.
    """
    number = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        count = sum(any(m in o.get("data", {}) for m in IMAGE_MIMES) for o in cell.outputs)
        if not count:
            continue
        lines = [line.strip() for line in cell.source.splitlines() if line.strip()]
        comment = (first_comment(cell.source) or "").removeprefix("extra code:").strip()
        what = comment or (f"output of {lines[0]}" if lines else "output")
        which = f"figure {number + 1}" if count == 1 else f"figures {number + 1}-{number + count}"
        cell.metadata.setdefault("mystnb", {}).setdefault("image", {})["alt"] = f"{title}, {which}: {what}"
        for output in cell.outputs:  # each figure's own text, for the slides (book/slides.html.j2)
            mime = next((m for m in IMAGE_MIMES if m in output.get("data", {})), None)
            if mime:
                number += 1
                output.setdefault("metadata", {}).setdefault(mime, {})["alt"] = f"{title}, figure {number}: {what}"
    return number


def _plain(heading: str) -> str:
    """A heading's text as a reader sees it: links become their text, code and emphasis marks go."""
    text = MARKDOWN_LINK.sub(lambda m: m.group(1), heading)
    return re.sub(r"[`*]", "", text).strip()


def heading_slugs(nb: nbformat.NotebookNode) -> dict[str, str]:
    """Map each heading's Jupyter anchor (as JupyterLab and nbconvert write it) to the book's anchor for it.

    Jupyter's anchor is the heading text with spaces as ``-``; myst's (``myst_heading_anchors``) is GitHub's
    slug, made unique with ``-1``, ``-2``... as myst-parser does. Headings inside code fences do not count.

    Example:
        >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        ...     "# 06 · LeNet\\n## 1. The architecture\\n```\\n# not a heading\\n```\\n## Summary\\n## Summary")])
        >>> heading_slugs(nb)["1.-The-architecture"], heading_slugs(nb)["Summary"]
        ('1-the-architecture', 'summary')
    """
    from myst_parser.slugs import github_slugify

    slugs: dict[str, str] = {}
    taken: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        fenced = False
        for line in cell.source.splitlines():
            if line.lstrip().startswith(("```", "~~~")):
                fenced = not fenced
                continue
            match = None if fenced else HEADING.match(line)
            if not match:
                continue
            text = _plain(match.group(2))
            slug = base = github_slugify(text)
            number = 0
            while slug in taken:
                number += 1
                slug = f"{base}-{number}"
            taken.add(slug)
            slugs.setdefault(text.replace(" ", "-"), slug)
    return slugs


def citation_key(text: str) -> str | None:
    """The bibliography key of the one source a link's text names, or None (none, or several).

    Example:
        >>> citation_key("Sucky 2023"), citation_key("Simonyan and Zisserman 2015, Table 2"), citation_key("the map")
        ('mini_vgg', 'vgg', None)
    """
    found = [key for key, entry in {**bibliography.ARTICLES, **bibliography.PAPERS}.items() if entry.handle in text]
    return found[0] if len(found) == 1 else None


def reference_anchor(key: str) -> str:
    """The id of a source's entry on the references page (docutils turns ``_`` in a label into ``-``)."""
    return "ref-" + key.replace("_", "-")


def rewrite_link(href: str, text: str, slugs: dict[str, dict[str, str]], here: str, planned: set[str],
                 pages: bool = False) -> str:
    """Return the markdown (or inline HTML) that replaces the link ``[text](href)`` of notebook ``here``.

    ``slugs`` maps each notebook of the book to :func:`heading_slugs`. In the book's markdown cells (``pages=False``)
    a link to a notebook stays ``NAME.ipynb#anchor`` (myst-nb resolves it to the page) with the Jupyter anchor turned
    into the book's; with ``pages=True`` (the slides, markdown outputs: nothing resolves them) it becomes the page's
    address ``../notebooks/NAME.html#anchor``. A link to the Sources
    of notebook 00 goes to the source's entry on the references page; a link to a notebook not written yet goes
    to its row on the course map. Anything else is left as written.

    Example:
        >>> slugs = {"00_start_here": {"Sources": "sources"}, "06_lenet5": {"1.-The-architecture": "1-the-architecture"}}
        >>> rewrite_link("06_lenet5.ipynb#1.-The-architecture", "LeNet", slugs, "03_padding", set())
        '[LeNet](06_lenet5.ipynb#1-the-architecture)'
        >>> rewrite_link("06_lenet5.ipynb", "LeNet", slugs, "03_padding", set(), pages=True)
        '[LeNet](../notebooks/06_lenet5.html)'
        >>> rewrite_link("00_start_here.ipynb#Sources", "Sucky 2023", slugs, "10_mini_vgg", set())
        '<a class="reference cite" href="../references.html#ref-mini-vgg">Sucky 2023</a>'
        >>> rewrite_link("09_vgg_captcha.ipynb", "CAPTCHAs", slugs, "06_lenet5", {"09_vgg_captcha"})
        '<a class="reference planned" href="../index.html#09_vgg_captcha">CAPTCHAs</a>'
        >>> rewrite_link("../INSTRUCTORS.md", "the guide", slugs, "00_start_here", set())
        '[the guide](../instructors.md)'
        >>> rewrite_link("https://arxiv.org/abs/1409.1556", "VGG", slugs, "08_vgg16", set())
        '[VGG](https://arxiv.org/abs/1409.1556)'
    """
    written = f"[{text}]({href})"
    parts = urllib.parse.urlsplit(href)
    if parts.scheme or parts.netloc:
        return written
    path = urllib.parse.unquote(parts.path).removeprefix("./")
    if path == GUIDE_LINK:
        return f"[{text}](../instructors.html)" if pages else f"[{text}](../instructors.md)"
    stem = path.removesuffix(".ipynb") if path.endswith(".ipynb") else (here if not path else None)
    if stem is None:
        return written
    if f"{stem}.ipynb#{parts.fragment}" == bibliography.SOURCES_LINK:
        key = citation_key(text)
        target = "../references.html" + (f"#{reference_anchor(key)}" if key else "")
        return f'<a class="reference cite" href="{html.escape(target)}">{text}</a>'
    if stem in planned:
        return f'<a class="reference planned" href="../index.html#{html.escape(stem)}">{text}</a>'
    if stem not in slugs:
        return written  # a notebook on no map: left for the link check to report
    fragment = slugs[stem].get(parts.fragment, parts.fragment) if parts.fragment else ""
    anchor = f"#{fragment}" if fragment else ""
    if pages:
        return f"[{text}](../notebooks/{stem}.html{anchor})"
    if not path:
        return f"[{text}]({anchor})"
    return f"[{text}]({stem}.ipynb{anchor})"


def rewrite_links(source: str, slugs: dict[str, dict[str, str]], here: str, planned: set[str],
                  pages: bool = False) -> str:
    """Apply :func:`rewrite_link` to every markdown link of a markdown text (code spans and fences left alone)."""
    pieces = re.split(r"(```.*?```|`[^`\n]*`)", source, flags=re.S)
    for i in range(0, len(pieces), 2):  # even pieces are outside code
        pieces[i] = MARKDOWN_LINK.sub(
            lambda m: rewrite_link(m.group(2), m.group(1), slugs, here, planned, pages), pieces[i])
    return "".join(pieces)


def cited_keys(nb: nbformat.NotebookNode) -> list[str]:
    """The bibliography keys whose handle a markdown cell of ``nb`` names, in the bibliography's order."""
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    entries = {**bibliography.ARTICLES, **bibliography.PAPERS}
    return [key for key, entry in entries.items() if entry.handle in text]


def prepared_notebook(path: Path, entry: course.Notebook, slugs: dict[str, dict[str, str]],
                      planned: set[str]) -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    """Return (book copy, slides copy) of a notebook: set-up hidden, outputs cleaned, alt texts, links rewritten."""
    nb = nbformat.read(path, as_version=4)
    hide_setup_cells(nb)
    clean_outputs(nb)
    add_alt_texts(nb, entry.title)
    book, slides = nb, copy.deepcopy(nb)
    for cell_book, cell_slides in zip(book.cells, slides.cells):
        if cell_book.cell_type == "markdown":
            cell_book.source = rewrite_links(cell_book.source, slugs, entry.stem, planned)
            cell_slides.source = rewrite_links(cell_slides.source, slugs, entry.stem, planned, pages=True)
        for output in cell_book.get("outputs", []) + cell_slides.get("outputs", []):
            if "text/markdown" in output.get("data", {}):
                output.data["text/markdown"] = rewrite_links(output.data["text/markdown"], slugs, entry.stem, planned,
                                                             pages=True)
    first = next((i for i, c in enumerate(book.cells) if c.cell_type == "markdown"), -1)
    book.cells.insert(first + 1, nbformat.v4.new_markdown_cell(
        f'<p class="course-links"><a class="course-slides" href="../slides/{entry.stem}.slides.html">'
        "Slides of this notebook</a> (reveal.js: arrow keys to move, Esc for the overview). To run it, use the "
        "launch button (rocket) at the top of the page: Binder or Colab.</p>"))
    keys = cited_keys(nb)
    if keys:
        entries = {**bibliography.ARTICLES, **bibliography.PAPERS}
        items = "\n".join(f"- {{ref}}`{entries[k].handle} <{reference_anchor(k)}>`" for k in keys)
        book.cells.append(nbformat.v4.new_markdown_cell(
            "## References\n\nThe sources this notebook cites; each entry in full on the "
            f"{{doc}}`references page <../references>`:\n\n{items}"))
    return book, slides


# -- the pages written from the course's modules -------------------------------------------------------------------


def index_markdown(url: str, present: set[str]) -> str:
    """The index page (MyST): the course map, one row per notebook of the map, planned ones marked; the toctrees."""
    rows = []
    for nb in course.NOTEBOOKS:
        title = html.escape(nb.title)
        if nb.stem in present:
            name, status = f'<a href="notebooks/{nb.stem}.html">{title}</a>', "present"
        else:
            name, status = f'{title} <span class="planned-note">(planned: not written yet)</span>', "planned"
        rows.append(f'<tr id="{nb.stem}" class="{status}"><td>{html.escape(nb.number)}</td><td>{name}</td>'
                    f"<td>{html.escape(nb.teaches)}</td></tr>")
    lessons = [nb.stem for nb in course.NOTEBOOKS if nb.stem in present and nb.appendix_to is None]
    appendices = [nb.stem for nb in course.NOTEBOOKS if nb.stem in present and nb.appendix_to is not None]

    def toctree(caption: str, docs: list[str]) -> str:
        return "```{toctree}\n:hidden:\n:caption: " + caption + "\n\n" + "\n".join(docs) + "\n```\n"

    return (
        "# CNN Classics\n\n"
        "A read-only copy of the course: every notebook with the outputs of its last classroom run, nothing "
        "executed to build it. Each page has launch buttons (the rocket at its top) that open the same notebook "
        "on Binder or Colab, and a link to its slides. To run the course on your machine, see the "
        f"[repository]({url}).\n\n"
        "(course-map)=\n## Course map\n\n"
        '<table class="course-map">\n<thead><tr><th>#</th><th>notebook</th><th>what you learn</th></tr></thead>\n'
        "<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>\n\n"
        "The sources and papers the notebooks cite: {doc}`references`.\n\n"
        + toctree("Lessons", [f"notebooks/{s}" for s in lessons])
        + (toctree("Appendices", [f"notebooks/{s}" for s in appendices]) if appendices else "")
        + toctree("Sources", ["references"])
        + toctree("For instructors", ["instructors"])
    )


def references_markdown() -> str:
    """The references page (MyST), from :mod:`course_utils.bibliography`: one anchored entry per source."""
    lines = ["# References", "", "The course was designed from five tutorial articles in Chinese; it states their "
             "facts and figures in its own words and code. Each is cited by its handle, in bold.", "",
             "## Source articles", ""]
    for a in bibliography.ARTICLES.values():
        lines += [f"({reference_anchor(a.key)})=", f"{a.reference()} The course takes from it: {a.takes}.", ""]
    lines += ["## Papers", "", "Cited as author and year, with the table or figure where it matters.", ""]
    for p in sorted(bibliography.PAPERS.values(), key=lambda p: (p.authors.split()[0], p.year)):
        lines += [f"({reference_anchor(p.key)})=", p.reference(), ""]
    return "\n".join(lines)


def instructors_markdown(guide: str, url: str, present: set[str]) -> str:
    """The instructor guide as a page: its links to the notebooks of the site resolve to their pages; links to other
    files of the repository (the README, a notebook this build leaves out) open in the repository.

    Example:
        >>> instructors_markdown("[06](notebooks/06_lenet5.ipynb), [07](notebooks/07_alexnet.ipynb), [R](README.md)",
        ...                      "https://x/y", {"06_lenet5"})
        '[06](notebooks/06_lenet5.ipynb), [07](https://x/y/blob/main/notebooks/07_alexnet.ipynb), [R](https://x/y/blob/main/README.md)'
    """
    def target(match: re.Match) -> str:
        path = match.group(1)
        stem = path.removeprefix("notebooks/").removesuffix(".ipynb")
        if path.startswith("notebooks/") and stem in present or re.match(r"https?:|#", path):
            return match.group(0)
        return f"]({url}/blob/main/{path})"

    return re.sub(r"\]\(([^)\s]+)\)", target, guide)


def write_sources(src: Path) -> list[tuple[course.Notebook, nbformat.NotebookNode]]:
    """Write the Sphinx sources into ``src`` (emptied first); return each notebook with its slides copy."""
    if src.exists():
        shutil.rmtree(src)
    (src / "notebooks").mkdir(parents=True)
    url, _ = repository()
    shown = course.present()
    present = {nb.stem for nb in shown}
    planned = {nb.stem for nb in course.NOTEBOOKS} - present
    originals = {nb.stem: nbformat.read(course.notebooks_dir() / nb.filename, as_version=4) for nb in shown}
    slugs = {stem: heading_slugs(nb) for stem, nb in originals.items()}
    slides = []
    for entry in shown:
        book, deck = prepared_notebook(course.notebooks_dir() / entry.filename, entry, slugs, planned)
        nbformat.write(book, src / "notebooks" / entry.filename)
        slides.append((entry, deck))
    (src / "index.md").write_text(index_markdown(url, present), encoding="utf-8")
    (src / "references.md").write_text(references_markdown(), encoding="utf-8")
    (src / "instructors.md").write_text(instructors_markdown(GUIDE.read_text(encoding="utf-8"), url, present), encoding="utf-8")
    return slides


# -- building --------------------------------------------------------------------------------------------------------


def _prepare(out: Path) -> None:
    """Create ``out`` empty; a folder that exists is emptied only if this script built it."""
    if out.exists():
        if not (out / MARKER).is_file():
            raise SystemExit(f"{out} exists and was not built by scripts/make_site.py (no {MARKER} in it): "
                             "choose another --out, or move that folder away first")
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("built by scripts/make_site.py; rebuilt (emptied) by every run\n")


def npm_files(npm: Path = NPM_DIR) -> dict[str, Path]:
    """The folders of the npm packages the site serves: MathJax 3 (``es5``) and reveal.js."""
    found = {"mathjax": npm / "mathjax" / "es5", "reveal.js": npm / "reveal.js"}
    missing = [str(p) for p in found.values() if not p.is_dir()]
    if missing:
        raise SystemExit(f"missing {', '.join(missing)}: run `make site` (it installs them with npm into build/npm)")
    return found


def write_slides(decks: list[tuple[course.Notebook, nbformat.NotebookNode]], out: Path) -> list[Path]:
    """Write each notebook's reveal.js slides to ``out/slides/NAME.slides.html`` (template book/slides.html.j2)."""
    from nbconvert import SlidesExporter

    exporter = SlidesExporter(
        template_file="slides.html.j2", extra_template_paths=[str(CONF_DIR)],
        reveal_url_prefix="../_static/reveal.js", reveal_theme="white", mathjax_url="../_static/mathjax/tex-chtml.js",
        exclude_input_prompt=True, exclude_output_prompt=True,
    )  # fmt: skip
    (out / "slides").mkdir()
    pages = []
    for entry, deck in decks:
        body, _ = exporter.from_notebook_node(deck, resources={"metadata": {"name": entry.title}})
        pages.append(out / "slides" / f"{entry.stem}.slides.html")
        pages[-1].write_text(body, encoding="utf-8")
    return pages


def build_site(out: Path = DEFAULT_OUT, src: Path | None = None, jobs: int = 1) -> list[Path]:
    """Build the site into ``out`` (sources in ``src``, default ``build/site-src``); return its HTML pages.

    Raises SystemExit when Sphinx fails or warns (a warning is a broken reference, a bad cell, a missing file).
    """
    src = src or out.parent / f"{out.name}-src"
    files = npm_files()
    _prepare(out)
    decks = write_sources(src)
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-E", "-c", str(CONF_DIR), "-j", str(jobs),
               "-d", str(src / ".doctrees"), str(src), str(out)]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    warnings = [line for line in result.stderr.splitlines() if line.strip()]
    if result.returncode != 0 or warnings:
        raise SystemExit(f"sphinx-build failed ({result.returncode}):\n" + "\n".join(warnings[-40:]))
    shutil.copytree(files["mathjax"], out / "_static" / "mathjax")
    for part in ("dist", "plugin"):
        shutil.copytree(files["reveal.js"] / part, out / "_static" / "reveal.js" / part,
                        ignore=shutil.ignore_patterns("*.map", "*.esm.js"))
    write_slides(decks, out)
    return sorted(out.rglob("*.html"))


# -- the link check --------------------------------------------------------------------------------------------------


class _Links(HTMLParser):
    """Collects the anchors (``id``/``name``) and the local references (``href``/``src``) of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: set[str] = set()
        self.references: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for key in ("id",) + (("name",) if tag == "a" else ()):
            if values.get(key):
                self.anchors.add(values[key])
        for key in ("href", "src"):
            target = values.get(key)
            if target and not urllib.parse.urlsplit(target).scheme and not target.startswith("//"):
                self.references.append(target)


def _parse(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def link_problems(site: Path) -> list[str]:
    """Return every local link of the site's pages that does not resolve: a missing file or a missing anchor.

    Pages under ``_static/`` are not checked (templates and demos that the theme and npm packages ship). A link
    resolves when the file it names exists in the site (relative to the page; a folder means its
    ``index.html``) and, if it names an anchor in an HTML page, that page has an element with that ``id`` (or an
    ``<a name>``), compared as written or percent-decoded. Links with a scheme (``https:``, ``data:``, ``mailto:``)
    are not checked here.
    """
    pages = [p for p in sorted(site.rglob("*.html")) if "_static" not in p.relative_to(site).parts]
    parsed = {page.resolve(): _parse(page) for page in pages}
    problems = []
    for page, links in parsed.items():
        for reference in links.references:
            parts = urllib.parse.urlsplit(reference)
            target = (page.parent / urllib.parse.unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            where = f"{page.relative_to(site.resolve())}: {reference!r}"
            if not target.is_file():
                problems.append(f"{where} -> no file {target.name}")
                continue
            if not parts.fragment or target.suffix != ".html":
                continue
            anchors = parsed[target].anchors if target in parsed else _parse(target).anchors
            decoded = {urllib.parse.unquote(a) for a in anchors}
            if parts.fragment not in anchors and urllib.parse.unquote(parts.fragment) not in anchors | decoded:
                problems.append(f"{where} -> no anchor #{parts.fragment} in {target.name}")
    return problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: build/site)")
    parser.add_argument("--jobs", type=int, default=1, help="Sphinx processes (default 1)")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    start = time.perf_counter()
    pages = build_site(out, jobs=args.jobs)
    problems = link_problems(out)
    pages = [p for p in pages if "_static" not in p.relative_to(out).parts]
    notebooks = sum(1 for p in pages if p.parent.name == "notebooks")
    slides = sum(1 for p in pages if p.parent.name == "slides")
    print(f"{len(pages)} HTML pages in {out}: {notebooks} notebooks, {slides} slide decks, index, references, "
          f"instructor guide, search, general index; built in {time.perf_counter() - start:.1f} s. Open {out / 'index.html'}")
    if problems:
        print(f"{len(problems)} broken link(s):\n  " + "\n  ".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
