"""Where a dataset came from: the arrays a loader returns, labelled "real file", "real subset" or "synthetic stand-in".

Every loader (:func:`course_utils.data.load`, :func:`course_utils.captchas.load_captcha`) returns a
:class:`LoadedData` and notes its source, so that a recorded run can say what it trained on and a
run on a stand-in is never filed as a result.
"""

from __future__ import annotations

import numpy as np

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
SOURCES = ("real file", "real subset", "synthetic stand-in")


class LoadedData(tuple):
    """What :func:`load` returns: ``((x_train, y_train), (x_test, y_test))`` plus where it came from.

    It unpacks like a plain tuple. ``source`` is one of :data:`SOURCES`: "real file" (the whole
    published dataset was read, even when ``load`` then drew a subset of it), "real subset" (the file
    holds only part of the dataset, e.g. ``cifar10-subset.npz``: its test set is not the standard
    one), "synthetic stand-in" (made-up images: results say nothing about the dataset).
    ``is_synthetic`` is True for the last; ``description`` is the line :func:`load` printed.

    Example:
        >>> arrays = ((np.zeros((4, 28, 28)), np.zeros(4)), (np.zeros((2, 28, 28)), np.zeros(2)))
        >>> loaded = LoadedData(arrays, "synthetic stand-in", "mnist: a stand-in")
        >>> (x_train, y_train), (x_test, y_test) = loaded
        >>> x_train.shape, loaded.source, loaded.is_synthetic
        ((4, 28, 28), 'synthetic stand-in', True)
    """

    source: str
    description: str

    def __new__(cls, arrays: Arrays, source: str, description: str) -> LoadedData:
        if source not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(map(repr, SOURCES))}, got {source!r}")
        loaded = super().__new__(cls, arrays)
        loaded.source = source
        loaded.description = description
        return loaded

    @property
    def is_synthetic(self) -> bool:
        """True when the arrays are a synthetic stand-in, not the real dataset."""
        return self.source == "synthetic stand-in"


_LAST_SOURCE: dict[str, str] = {}  # dataset name -> the source of the last load() in this process


def note_source(name: str, source: str) -> None:
    """Remember where the data of ``name`` came from in this session (:func:`last_source` answers it)."""
    if source not in SOURCES:
        raise ValueError(f"source {source!r} is not one of {', '.join(SOURCES)}")
    _LAST_SOURCE[name] = source


def last_source(name: str) -> str:
    """Return where the last :func:`load` of ``name`` got its data: one of :data:`SOURCES`.

    For notebooks that unpack ``load``'s result at once, e.g. to pass ``data_source=`` to
    ``results.record``.

    Example:
        >>> last_source("imagenet")
        Traceback (most recent call last):
        ...
        ValueError: 'imagenet' has not been loaded in this session: call data.load('imagenet', ...) first
    """
    if name not in _LAST_SOURCE:
        raise ValueError(f"{name!r} has not been loaded in this session: call data.load({name!r}, ...) first")
    return _LAST_SOURCE[name]
