"""A keyed table that modules fill when they are imported, safe to import again (reload, autoreload).

The course keeps two such tables: its exercises (:mod:`course_utils.checks`) and its models
(:mod:`course_utils.models.registry`). Each entry remembers the module that added it: the same
module adding the same key again (``importlib.reload``, IPython's autoreload, re-running a cell)
replaces the entry; a different module adding a key that is taken is an error, not a silent overwrite.

Example:
    >>> table = Registry("colour")
    >>> table.add("red", "#D55E00", origin="palette_a")
    >>> table.add("red", "#FF0000", origin="palette_a")      # palette_a reloaded: replaced
    >>> table["red"]
    '#FF0000'
    >>> table.add("red", "#CC0000", origin="palette_b")
    Traceback (most recent call last):
    ...
    ValueError: colour 'red' is already registered by palette_a; palette_b registers it again: give one of them another name
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Mapping[str, T], Generic[T]):
    """A read-only mapping ``key -> entry`` plus :meth:`add`; ``what`` names an entry in error messages."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._entries: dict[str, T] = {}
        self._origins: dict[str, str] = {}

    def add(self, key: str, entry: T, origin: str) -> None:
        """Add ``entry`` under ``key``; ``origin`` (a module name) re-adding its own key replaces it."""
        if key in self._entries and self._origins[key] != origin:
            raise ValueError(
                f"{self.what} {key!r} is already registered by {self._origins[key]}; {origin} registers it again: "
                "give one of them another name"
            )
        self._entries[key] = entry
        self._origins[key] = origin

    def origin(self, key: str) -> str:
        """Return the module that registered ``key``."""
        return self._origins[key]

    def __getitem__(self, key: str) -> T:
        return self._entries[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.what!r}: {', '.join(self._entries) or 'empty'})"
