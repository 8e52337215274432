"""Regenerate what is derived from one source: README badges and tables, notebooks' first cells.

    python scripts/sync_course.py           # rewrite README.md sections and notebook first cells
    python scripts/sync_course.py --check   # exit 1 if anything is out of date (tests use this)

Sources: the repository address in pyproject.toml ([project.urls] Repository), the course map in
course_utils/course.py and the recorded results in results/classroom/.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course_utils import course, results  # noqa: E402

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


def first_cell_block(url: str) -> str:
    """The lines every notebook's first code cell starts with (Colab install, no-op elsewhere)."""
    return (
        f"{FIRST_CELL_MARK} (Colab: installs course_utils once; elsewhere: nothing)\n"
        "import importlib.util, subprocess, sys\n"
        'if importlib.util.find_spec("course_utils") is None:\n'
        '    if "google.colab" not in sys.modules:\n'
        '        raise ModuleNotFoundError("course_utils is not installed: run `make lab` in the course folder (see README)")\n'
        f'    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "course-utils @ git+{url}"], check=True)\n'
    )


def readme_sections(url: str, slug: str) -> dict[str, str]:
    binder = f"https://mybinder.org/v2/gh/{slug}/main?urlpath=lab/tree/notebooks/00_start_here.ipynb"
    badges = (
        f"[![Binder](https://mybinder.org/badge_logo.svg)]({binder}) "
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab_url(slug, '00_start_here')})"
    )
    times = results.notebook_times("classroom")
    rows = ["| # | notebook | what you learn | classroom run time | Colab |", "|---|---|---|---:|---|"]
    for nb in course.NOTEBOOKS:
        here = (ROOT / "notebooks" / nb.filename).is_file()
        name = f"[{nb.title}](notebooks/{nb.filename})" if here else f"{nb.title} (coming)"
        seconds = times.get(nb.stem)
        t = "-" if seconds is None else f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"
        colab = f"[open]({colab_url(slug, nb.stem)})" if here else "-"
        rows.append(f"| {nb.stem[:2]} | {name} | {nb.teaches} | {t} | {colab} |")
    recorded = results.load_results("classroom")
    table = results.results_table(recorded) if recorded else "No training results recorded yet."
    return {"badges": badges, "notebooks": "\n".join(rows), "results": table}


def sync_readme(text: str, sections: dict[str, str]) -> str:
    for key, body in sections.items():
        pattern = re.compile(rf"(<!-- BEGIN generated: {key} -->\n).*?(<!-- END generated: {key} -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"README.md lacks the markers for the generated section {key!r}")
        text = pattern.sub(lambda m, body=body: m.group(1) + body + "\n" + m.group(2), text)
    return text


def sync_notebook(path: Path, block: str) -> bool:
    """Make the first code cell start with ``block``; return True if the file changed."""
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code")
    source = cell.source
    if source.startswith(FIRST_CELL_MARK):
        rest = source.split("\n\n", 1)[1] if "\n\n" in source else ""
    else:
        rest = source
    new = block + "\n" + rest
    if new == source:
        return False
    cell.source = new
    nbformat.write(nb, path)
    return True


def main(argv: list[str]) -> int:
    check = "--check" in argv
    url, slug = repository()
    readme = ROOT / "README.md"
    text = readme.read_text()
    new_text = sync_readme(text, readme_sections(url, slug))
    stale = []
    if new_text != text:
        stale.append("README.md")
        if not check:
            readme.write_text(new_text)
    block = first_cell_block(url)
    for nb in course.present():
        path = ROOT / "notebooks" / nb.filename
        source = next(c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code").source
        if not source.startswith(block + "\n"):
            stale.append(nb.filename)
            if not check:
                sync_notebook(path, block)
    if check and stale:
        print(f"out of date: {', '.join(stale)}; run `make sync` (scripts/sync_course.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
