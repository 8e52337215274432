"""The course's models in one table: name, year, family, builder, native input, notebook, description.

Each family module (``lenet``, ``alexnet``, ...) registers its builders when it is imported, next to
their definitions; notebook 12 reads the table to compare the classics side by side. Re-importing a
family module (``importlib.reload``, autoreload) replaces its own entries; a second module claiming a
name that is taken raises ValueError.

Example:
    >>> from course_utils.models import model_info
    >>> info = model_info("lenet5_classic")
    >>> info.year, info.family, info.input_shape, info.notebook
    (1998, 'LeNet', (32, 32, 1), '06_lenet5')
    >>> info.build().count_params()
    60840
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..registries import Registry


@dataclass(frozen=True)
class ModelInfo:
    """One course model: ``builder(input_shape=...)`` returns an uncompiled ``keras.Model``.

    ``year`` is the publication year (None for a course variant such as a scaled-down classroom
    model); ``input_shape`` is the native NHWC input without the batch axis; ``notebook`` is the
    stem of the notebook that teaches it.
    """

    name: str
    year: int | None
    family: str
    builder: Callable[..., Any]
    input_shape: tuple[int, int, int]
    notebook: str
    description: str

    def build(self, **kwargs: Any):
        """Return ``builder(input_shape=<native input>, **kwargs)``; kwargs may override the input."""
        return self.builder(**{"input_shape": self.input_shape, **kwargs})

    def __str__(self) -> str:
        year = self.year if self.year is not None else "course"
        side = "x".join(map(str, self.input_shape))
        return f"{self.name} ({self.family}, {year}, {side}, notebook {self.notebook}): {self.description}"


MODELS: Registry[ModelInfo] = Registry("model")


def register_model(
    name: str,
    *,
    year: int | None,
    family: str,
    builder: Callable[..., Any],
    input_shape: tuple[int, int, int],
    notebook: str,
    description: str,
) -> ModelInfo:
    """Add a model to :data:`MODELS` under ``name`` and return its :class:`ModelInfo`.

    Called by the family modules at import time; the builder's module is the entry's origin, so
    reloading that module replaces its entries.
    """
    info = ModelInfo(name, year, family, builder, tuple(input_shape), notebook, description)
    MODELS.add(name, info, origin=builder.__module__)
    return info


def model_info(name: str) -> ModelInfo:
    """Return the registered model ``name``; a KeyError lists the names there are."""
    if name not in MODELS:
        raise KeyError(f"no model {name!r} in the course's registry; registered: {', '.join(MODELS)}")
    return MODELS[name]


def list_models(family: str | None = None) -> list[ModelInfo]:
    """Return the registered models (of one ``family`` if given), in course order: by notebook, then as registered.

    Example:
        >>> [m.name for m in list_models("AlexNet")]
        ['alexnet_paper', 'alexnet_small']
    """
    chosen = sorted((info for info in MODELS.values() if family is None or info.family == family), key=lambda m: m.notebook)
    if family is not None and not chosen:
        families = sorted({info.family for info in MODELS.values()})
        raise KeyError(f"no models of family {family!r}; families: {', '.join(families)}")
    return chosen
