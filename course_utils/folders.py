"""Showing a path without the machine in it: one function for every message and output.

Notebook outputs are committed and shared, so they never hold a machine's absolute path. A path is
shown relative to the first folder of the session that holds it (``$COURSE_DATA_DIR``,
``$COURSE_CACHE_DIR``, ``$KERAS_HOME``, then ``~``), or relative to the repository checkout.

Example:
    >>> show_path(Path("/srv/data/fashion-mnist/t10k-labels-idx1-ubyte.gz"), {"$COURSE_DATA_DIR": Path("/srv/data")})
    '$COURSE_DATA_DIR/fashion-mnist/t10k-labels-idx1-ubyte.gz'
    >>> show_path(Path("/home/ada/.keras/datasets"), {"~": Path("/home/ada")})
    '~/.keras/datasets'
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from .session import current

REPOSITORY = Path(__file__).resolve().parents[1]


def show_path(path: Path | str, anchors: Mapping[str, Path] | None = None) -> str:
    """Return ``path`` as a printed line may show it: relative to the deepest anchor that holds it.

    ``anchors`` default to the active session's folders (:meth:`course_utils.settings.Settings.path_anchors`),
    with the repository checkout first (shown relative to it, as ``results/classroom/...``). A path
    under none of them is shown as it is; an anchor that is the file system root is skipped.
    """
    if anchors is None:
        anchors = {**current().settings.path_anchors(), "": REPOSITORY}
        # the deepest folder first (a cache inside the data folder is shown as the cache), the home folder last
        anchors = dict(sorted(anchors.items(), key=lambda kv: (kv[0] == "~", -len(Path(kv[1]).parts))))
    absolute = Path(os.path.abspath(path))
    for label, root in anchors.items():
        root_text = os.path.abspath(os.path.expanduser(str(root)))
        if root_text == os.path.abspath(os.sep):
            continue
        try:
            inside = absolute.relative_to(root_text)
        except ValueError:
            continue
        if not label:
            return inside.as_posix()
        return label if inside == Path(".") else f"{label}/{inside.as_posix()}"
    return str(path)
