"""Learner progress: which exercises a learner has solved, in a small JSON file in the user's data folder.

The checkers (:func:`course_utils.check`, :func:`course_utils.check_function` and the "implement it"
checkers built on them) call :func:`mark_solved` when an answer is right; 00_start_here shows
:func:`course_utils.exercises.show_progress` (a table per notebook, with links). The file lives outside the repository:

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
from pathlib import Path

from .folders import show_path
from .session import current

PROGRESS_ENV = "COURSE_PROGRESS_FILE"
FILE_VERSION = 1


def progress_path() -> Path:
    """Return the progress file: ``COURSE_PROGRESS_FILE``, else ``progress.json`` in the user's data folder.

    Example:
        >>> from unittest import mock
        >>> with mock.patch.dict(os.environ, {PROGRESS_ENV: "/tmp/p.json"}):
        ...     str(progress_path())
        '/tmp/p.json'
    """
    return current().settings.progress_file


def recording() -> bool:
    """Return True when solved exercises are written down: in a notebook, or with ``COURSE_PROGRESS_FILE`` set.

    ``COURSE_PROGRESS=0`` turns recording off everywhere.
    """
    values = current().settings
    if values.progress is not None:
        return values.progress
    if values.progress_file_set:
        return True
    try:
        from IPython import get_ipython  # IPython is optional: outside a notebook nothing is recorded
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
        print(f"progress: {show_path(path)} could not be read ({why}) nor renamed ({e}); progress is not saved until it is "
              "fixed or moved away.")
        return
    print(f"progress: {show_path(path)} could not be read ({why}); it was renamed to {target.name} (nothing deleted) and "
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
        print(f"progress: could not save that {key} is solved to {show_path(path)} ({e}); set {PROGRESS_ENV} to a writable file.")
        return False
    return True
