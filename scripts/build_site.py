"""Build a static, read-only HTML version of the course: every notebook with its committed outputs.

    python scripts/build_site.py              # or: make site  ->  build/site/index.html
    python scripts/build_site.py --out DIR    # somewhere else (a folder this script made, or a new one)

Nothing is executed: each notebook present in ``notebooks/`` goes through nbconvert's HTML exporter (the
``lab`` template) as committed, so a page shows exactly the outputs of the last classroom run. The index
page is the course map of :mod:`course_utils.course`: notebooks not written yet are listed as *planned*,
without a page. Links between notebooks are rewritten ``NAME.ipynb`` -> ``NAME.html`` (anchors kept); a link
to a planned notebook goes to its row on the course map. At the end every local link and anchor is checked
(:func:`link_problems`, also run by ``tests/test_site.py``): the build fails on a link to a missing page or
anchor.
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import sys
import time
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from sync_course import colab_url, repository  # noqa: E402  (one source for the repository's address)

from course_utils import course  # noqa: E402

DEFAULT_OUT = ROOT / "build" / "site"
MARKER = ".cnn-classics-site"  # marks a folder this script built, so that a rebuild may empty it
_HREF = re.compile(r'(\bhref=")([^"]*)(")')
_NAV_STYLE = (
    "<style>.course-nav{font:14px/1.4 system-ui,sans-serif;padding:8px 16px;border-bottom:1px solid #ddd;"
    "background:#f7f7f7}.course-nav a{margin-right:1.2em}</style>"
)


def rewrite_link(href: str, present: set[str], planned: set[str]) -> str:
    """Return the site's address for a link written in a notebook.

    ``NAME.ipynb[#anchor]`` becomes ``NAME.html[#anchor]`` when NAME is present, and the course map's row
    ``index.html#NAME`` when the map lists NAME as planned; anything else is left as it is (a link to a
    notebook that is neither stays broken, and the link check reports it).

    Example:
        >>> rewrite_link("06_lenet5.ipynb#Summary", {"06_lenet5"}, {"09_vgg_captcha"})
        '06_lenet5.html#Summary'
        >>> rewrite_link("09_vgg_captcha.ipynb", {"06_lenet5"}, {"09_vgg_captcha"})
        'index.html#09_vgg_captcha'
        >>> rewrite_link("https://example.org/a.ipynb", {"a"}, set())
        'https://example.org/a.ipynb'
    """
    parts = urllib.parse.urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.endswith(".ipynb"):
        return href
    stem = urllib.parse.unquote(parts.path).removeprefix("./").removesuffix(".ipynb")
    if stem in present:
        return f"{stem}.html" + (f"#{parts.fragment}" if parts.fragment else "")
    if stem in planned:
        return f"index.html#{stem}"
    return href.replace(".ipynb", ".html", 1)


def rewrite_links(page: str, present: set[str], planned: set[str]) -> str:
    """Apply :func:`rewrite_link` to every ``href="..."`` of an HTML page."""

    def rewrite(match: re.Match) -> str:
        written = html.unescape(match.group(2))
        new = rewrite_link(written, present, planned)
        return match.group(0) if new == written else match.group(1) + html.escape(new) + match.group(3)

    return _HREF.sub(rewrite, page)


def _nav(position: int, shown: list[course.Notebook], slug: str) -> str:
    """The bar at the top of a notebook page: course map, previous and next notebook, where to run it."""
    links = ['<a href="index.html">Course map</a>']
    if position > 0:
        before = shown[position - 1]
        links.append(f'<a href="{before.stem}.html">&larr; {html.escape(before.title)}</a>')
    if position + 1 < len(shown):
        after = shown[position + 1]
        links.append(f'<a href="{after.stem}.html">{html.escape(after.title)} &rarr;</a>')
    links.append(f'<a href="{colab_url(slug, shown[position].stem)}">Run it in Colab</a>')
    return f'{_NAV_STYLE}<nav class="course-nav">{"".join(links)}</nav>'


def notebook_page(exporter, path: Path, title: str, nav: str, present: set[str], planned: set[str]) -> str:
    """Return one notebook as a stand-alone HTML page (committed outputs, links rewritten, nav bar on top)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    page, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    page = rewrite_links(page, present, planned)
    body = re.search(r"<body[^>]*>", page)
    if body is None:
        raise RuntimeError(f"nbconvert's page for {path.name} has no <body>: is the 'lab' template installed?")
    return page[: body.end()] + "\n" + nav + page[body.end() :]


def index_page(url: str, present: set[str]) -> str:
    """Return the course map as an HTML page: one row per notebook of the map, planned ones marked."""
    rows = []
    for nb in course.NOTEBOOKS:
        title = html.escape(nb.title)
        if nb.stem in present:
            name, status = f'<a href="{nb.stem}.html">{title}</a>', "present"
        else:
            name, status = f'{title} <span class="planned-note">(planned: not written yet)</span>', "planned"
        rows.append(
            f'<tr id="{nb.stem}" class="{status}"><td>{html.escape(nb.stem[:2])}</td><td>{name}</td>'
            f"<td>{html.escape(nb.teaches)}</td></tr>"
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"/>'
        '<meta content="width=device-width, initial-scale=1.0" name="viewport"/><title>CNN Classics</title>'
        "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse}td{padding:4px 10px;border-bottom:1px solid #ddd;vertical-align:top}"
        "tr.planned{color:#777}.planned-note{font-size:85%}</style></head><body>\n"
        "<h1>CNN Classics</h1>\n"
        "<p>A read-only copy of the course: every notebook with the outputs of its last classroom run. "
        f'To run the code, open the course in JupyterLab, Binder or Colab (see the <a href="{url}">repository</a>).'
        "</p>\n<h2 id=\"course-map\">Course map</h2>\n<table>\n" + "\n".join(rows) + "\n</table>\n</body></html>\n"
    )


def _prepare(out: Path) -> None:
    """Create ``out`` empty; a folder that exists is emptied only if this script built it."""
    if out.exists():
        if not (out / MARKER).is_file():
            raise SystemExit(
                f"{out} exists and was not built by scripts/build_site.py (no {MARKER} in it): "
                "choose another --out, or move that folder away first"
            )
        shutil.rmtree(out)
    out.mkdir(parents=True)
    (out / MARKER).write_text("built by scripts/build_site.py; rebuilt (emptied) by every run\n")


def build_site(out: Path = DEFAULT_OUT) -> list[Path]:
    """Write ``index.html`` and one page per present notebook into ``out``; return the pages written."""
    from nbconvert import HTMLExporter

    url, slug = repository()
    shown = course.present()
    present = {nb.stem for nb in shown}
    planned = {nb.stem for nb in course.NOTEBOOKS} - present
    _prepare(out)
    exporter = HTMLExporter(template_name="lab")
    pages = [out / "index.html"]
    pages[0].write_text(index_page(url, present), encoding="utf-8")
    for position, nb in enumerate(shown):
        page = notebook_page(exporter, course.notebooks_dir() / nb.filename, nb.title,
                             _nav(position, shown, slug), present, planned)  # fmt: skip
        pages.append(out / f"{nb.stem}.html")
        pages[-1].write_text(page, encoding="utf-8")
    return pages


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

    A link resolves when the file it names exists in the site (relative to the page) and, if it names an
    anchor, that page has an element with that ``id`` (or an ``<a name>``), compared as written or
    percent-decoded. Links with a scheme (``https:``, ``data:``, ``mailto:``) are not checked here.
    """
    parsed = {page.resolve(): _parse(page) for page in sorted(site.rglob("*.html"))}
    problems = []
    for page, links in parsed.items():
        for reference in links.references:
            parts = urllib.parse.urlsplit(reference)
            target = (page.parent / urllib.parse.unquote(parts.path)).resolve() if parts.path else page
            where = f"{page.relative_to(site.resolve())}: {reference!r}"
            if not target.is_file():
                problems.append(f"{where} -> no file {target.name}")
                continue
            if not parts.fragment:
                continue
            anchors = parsed[target].anchors if target in parsed else _parse(target).anchors
            decoded = {urllib.parse.unquote(a) for a in anchors}
            if parts.fragment not in anchors and urllib.parse.unquote(parts.fragment) not in anchors | decoded:
                problems.append(f"{where} -> no anchor #{parts.fragment} in {target.name}")
    return problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: build/site)")
    out = parser.parse_args(argv).out.resolve()
    start = time.perf_counter()
    pages = build_site(out)
    problems = link_problems(out)
    print(f"{len(pages)} pages in {out} ({time.perf_counter() - start:.1f} s); open {out / 'index.html'}")
    if problems:
        print(f"{len(problems)} broken link(s):\n  " + "\n  ".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
