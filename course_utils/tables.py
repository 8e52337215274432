"""Tables as text, HTML and Markdown: the one renderer behind traces, layer tables, results and the README.

A table is a header (column names) and a body (rows of already-formatted strings). The text form
pads columns (numbers right-aligned), the HTML form is what Jupyter shows.

Example:
    >>> print(text_table(["layer", "params"], [["C1", "156"], ["F6", "10,164"]], numeric=(1,)))
    layer  params
    -------------
    C1        156
    F6     10,164
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

import numpy as np


def text_table(
    header: Sequence[str],
    body: Sequence[Sequence[str]],
    numeric: Sequence[int] = (),
    title: str | None = None,
    footer: str | None = None,
) -> str:
    """Return the table as aligned plain text; columns listed in ``numeric`` are right-aligned.

    A rule follows the header; with a ``footer`` a second rule and the footer close the table.
    """
    lines = [list(header), *(list(row) for row in body)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]

    def fmt(line: list[str]) -> str:
        cells = [c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(line, widths))]
        return "  ".join(cells).rstrip()

    head = fmt(lines[0])
    rule = "-" * len(head)
    out = ([title] if title else []) + [head, rule, *map(fmt, lines[1:])]
    if footer:
        out += [rule, footer]
    return "\n".join(out)


def html_table(
    header: Sequence[str],
    body: Sequence[Sequence[str]],
    title: str | None = None,
    footer: str | None = None,
) -> str:
    """Return the table as HTML (every cell escaped), with an optional bold title and a footer paragraph.

    Example:
        >>> html_table(["a"], [["<1>"]])
        '<table><thead><tr><th>a</th></tr></thead><tbody><tr><td>&lt;1&gt;</td></tr></tbody></table>'
    """
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in body)
    out = f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    if title:
        out = f"<b>{html.escape(title)}</b>" + out
    if footer:
        out += f"<p>{html.escape(footer)}</p>"
    return out


def markdown_table(header: Sequence[str], body: Sequence[Sequence[str]], numeric: Iterable[int] = ()) -> str:
    """Return the table as GitHub Markdown; columns listed in ``numeric`` are right-aligned (``---:``).

    Cells are written as given: escape a ``|`` inside one yourself.

    Example:
        >>> print(markdown_table(["layer", "params"], [["C1", "156"]], numeric=(1,)))
        | layer | params |
        |---|---:|
        | C1 | 156 |
    """
    right = set(numeric)
    lines = ["| " + " | ".join(header) + " |", "|" + "".join("---:|" if i in right else "---|" for i in range(len(header)))]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return "\n".join(lines)


def format_value(value: object) -> str:
    """Return ``value`` as the course prints it: integers with thousands separators, the rest as ``str``.

    Example:
        >>> format_value(138357544), format_value(True), format_value((28, 28, 1))
        ('138,357,544', 'True', '(28, 28, 1)')
    """
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{int(value):,}"
    return str(value)


def run_time_text(seconds: float | None) -> str:
    """A recorded run time for a table: whole seconds below two minutes, then minutes to a tenth; "-" for none.

    Example:
        >>> run_time_text(88.1), run_time_text(473.8), run_time_text(None)
        ('88 s', '7.9 min', '-')
    """
    if seconds is None:
        return "-"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def duration_text(seconds: float) -> str:
    """A duration as a person reads it: rounded to 5 s below two minutes, then whole minutes, then hours.

    Example:
        >>> duration_text(8.0), duration_text(88.1), duration_text(150), duration_text(4000)
        ('10 s', '90 s', '2 min', '1 h 7 min')
    """
    if seconds < 120:
        return f"{max(5, 5 * round(seconds / 5))} s"
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
