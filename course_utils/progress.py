"""Learner progress: which exercises a learner has solved, in a small JSON file in the user's data folder.

The checkers (:func:`course_utils.check`, :func:`course_utils.check_function` and the "implement it"
checkers built on them) call :func:`mark_solved` when an answer is right; 00_start_here shows
:func:`show` (a table per notebook, with links). The file lives outside the repository:

- ``COURSE_PROGRESS_FILE`` if set (the test suite points it at a temporary folder);
- else ``$XDG_DATA_HOME/cnn-classics/progress.json`` (``~/.local/share/cnn-classics/progress.json``;
  on Windows ``%APPDATA%\\cnn-classics\\progress.json``).

Progress is recorded in notebooks (an IPython kernel) or wherever ``COURSE_PROGRESS_FILE`` is set,
never by scripts, doctests or tests that did not ask for it; ``COURSE_PROGRESS=0`` turns it off.
A file that cannot be read is set aside (renamed ``progress.unreadable-<time>.json``, never deleted)
with a message, and progress starts afresh.

Example:
    >>> import tempfile
    >>> from unittest import mock
    >>> sandbox = mock.patch.dict(os.environ, {PROGRESS_ENV: os.path.join(tempfile.mkdtemp(), "p.json")})
    >>> _ = sandbox.start()
    >>> mark_solved("03.2"), sorted(solved())
    (True, ['03.2'])
    >>> _ = sandbox.stop()
"""

from __future__ import annotations

import datetime
import json
import os
from dataclasses import dataclass
from pathlib import Path

from . import profiles

PROGRESS_ENV = "COURSE_PROGRESS_FILE"
SWITCH_ENV = "COURSE_PROGRESS"
FILE_VERSION = 1


def progress_path() -> Path:
    """Return the progress file: ``COURSE_PROGRESS_FILE``, else ``progress.json`` in the user's data folder.

    Example:
        >>> from unittest import mock
        >>> with mock.patch.dict(os.environ, {PROGRESS_ENV: "/tmp/p.json"}):
        ...     str(progress_path())
        '/tmp/p.json'
    """
    if os.environ.get(PROGRESS_ENV, "").strip():
        return Path(os.environ[PROGRESS_ENV]).expanduser()
    return profiles.user_folder("data", "") / "progress.json"


def recording() -> bool:
    """Return True when solved exercises are written down: in a notebook, or with ``COURSE_PROGRESS_FILE`` set.

    ``COURSE_PROGRESS=0`` turns recording off everywhere.
    """
    if os.environ.get(SWITCH_ENV, "").strip().lower() in ("0", "false", "no"):
        return False
    if os.environ.get(PROGRESS_ENV, "").strip():
        return True
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


def _set_aside(path: Path, why: str) -> None:
    """Rename an unreadable progress file to ``progress.unreadable-<UTC time>[-n].json`` and say so."""
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d-%H%M%S")
    n = 1
    while True:
        target = path.with_name(f"{path.stem}.unreadable-{stamp}{'' if n == 1 else f'-{n}'}{path.suffix}")
        if not target.exists():
            break
        n += 1
    try:
        path.rename(target)
    except OSError as e:
        print(f"progress: {path} could not be read ({why}) nor renamed ({e}); progress is not saved until it is "
              "fixed or moved away.")
        return
    print(f"progress: {path} could not be read ({why}); it was renamed to {target.name} (nothing deleted) and "
          "your progress starts afresh.")


def solved() -> dict[str, str]:
    """Return {exercise key: when it was first solved (UTC, ISO 8601)} from the progress file; {} if none.

    An unreadable file (not JSON, or not the layout :func:`mark_solved` writes) is set aside with a message.
    """
    path = progress_path()
    if not path.is_file():
        return {}
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        _set_aside(path, f"{type(e).__name__}: {e}")
        return {}
    entries = content.get("solved") if isinstance(content, dict) else None
    if not isinstance(entries, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in entries.items()):
        _set_aside(path, 'it is not {"solved": {"03.2": "<time>", ...}}')
        return {}
    return dict(entries)


def mark_solved(key: str) -> bool:
    """Write down that exercise ``key`` is solved (once: the first time is kept); return True if it is on file.

    Does nothing (False) when :func:`recording` is off; a file that cannot be written costs a
    message, never the checker's answer.
    """
    if not recording():
        return False
    entries = solved()
    if key in entries:
        return True
    entries[key] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    path = progress_path()
    partial = path.with_name(path.name + ".saving")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(json.dumps({"version": FILE_VERSION, "solved": dict(sorted(entries.items()))}, indent=1)
                           + "\n", encoding="utf-8")
        os.replace(partial, path)
    except OSError as e:
        print(f"progress: could not save that {key} is solved to {path} ({e}); set {PROGRESS_ENV} to a writable file.")
        return False
    return True


@dataclass(frozen=True)
class NotebookProgress:
    """One notebook's exercises: which the learner has solved, which are still open."""

    stem: str
    title: str
    solved: tuple[str, ...]
    open: tuple[str, ...]

    @property
    def link(self) -> str:
        """A Markdown link to the notebook, relative to the ``notebooks/`` folder."""
        return f"[{self.stem[:2]} {self.title}]({self.stem}.ipynb)"


def by_notebook(solved_keys: dict[str, str] | None = None) -> list[NotebookProgress]:
    """Return the progress of every notebook present, in course order (exercise keys from the registry).

    ``solved_keys`` defaults to :func:`solved`; an exercise belongs to the notebook whose number
    starts its key (``06.3`` to ``06_lenet5``, ``A1.2`` to ``A1_fast_training_on_a_cpu``).

    Example:
        >>> rows = {row.stem: row for row in by_notebook({"06.1": "2026-01-01T00:00:00+00:00"})}
        >>> rows["06_lenet5"].solved, rows["06_lenet5"].open[:2]
        (('06.1',), ('06.2', '06.3'))
    """
    from . import course
    from .checks import exercise_keys

    done = solved() if solved_keys is None else solved_keys
    keys = exercise_keys()
    rows = []
    for notebook in course.present():
        mine = [k for k in keys if k.split(".", 1)[0] == notebook.stem[:2]]
        rows.append(NotebookProgress(notebook.stem, notebook.title, tuple(k for k in mine if k in done),
                                     tuple(k for k in mine if k not in done)))
    return rows


def progress_table(solved_keys: dict[str, str] | None = None) -> str:
    """Return a Markdown table: per notebook, a link, exercises solved of all, and those still open.

    Example:
        >>> print(progress_table({"00.1": "2026-01-01T00:00:00+00:00"}).splitlines()[2])
        | [00 Start here](00_start_here.ipynb) | 1 of 2 | 00.2 |
    """
    rows = by_notebook(solved_keys)
    lines = ["| notebook | solved | still open |", "|---|---:|---|"]
    for row in rows:
        total = len(row.solved) + len(row.open)
        count = f"{len(row.solved)} of {total}" if total else "no exercises"
        lines.append(f"| {row.link} | {count} | {', '.join(row.open) if row.open else '-'} |")
    done = sum(len(r.solved) for r in rows)
    everything = sum(len(r.solved) + len(r.open) for r in rows)
    lines.append(f"| **all notebooks** | **{done} of {everything}** | |")
    return "\n".join(lines)


def show() -> None:
    """Display the progress table (Markdown in a notebook, text elsewhere) and where progress is kept."""
    table = progress_table()
    where = progress_path()
    home = Path.home()
    shown = f"~/{where.relative_to(home).as_posix()}" if where.is_relative_to(home) else str(where)
    note = f"Progress is kept in `{shown}` (outside the course folder); checkers add to it when an answer is right."
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:
        print(table + "\n" + note)
        return
    if get_ipython() is None:
        print(table + "\n" + note)
    else:
        display(Markdown(table + "\n\n" + note))
