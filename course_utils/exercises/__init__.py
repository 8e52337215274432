"""The course's exercises, one module per notebook, loaded by key for :func:`course_utils.checks.check`.

``nb03_padding_and_stride`` holds the exercises ``03.1``, ``03.2``, ... (an appendix such as
``A1_fast_training_on_a_cpu`` has ``nbA1_fast_training_on_a_cpu`` with ``A1.1``, ...): each module defines a tuple
``EXERCISES`` and registers it. :func:`course_utils.checks.check` imports the module of a key's
notebook on first use; re-importing a module (``importlib.reload``, IPython's autoreload) replaces
its exercises. A new notebook ``NN_topic`` adds ``nbNN_topic.py`` here; nothing else changes.

Example:
    >>> from course_utils.checks import check
    >>> check("00.2", (784, 3136))
    Exercise 00.2: correct ((784, 3136)).
    >>> module_name("03.2")
    'course_utils.exercises.nb03_padding_and_stride'
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from types import ModuleType

_MODULE = re.compile(r"nb([0-9A-Z]\d)_\w+")  # nb03_padding_and_stride, nbA1_fast_training_on_a_cpu


def _modules() -> dict[str, str]:
    """Return {notebook number ('03', 'A1'): module name} for every ``nbNN_*`` module in this package."""
    found = {}
    for module in pkgutil.iter_modules(__path__):
        match = _MODULE.fullmatch(module.name)
        if match:
            found[match.group(1)] = f"{__name__}.{module.name}"
    return found


def module_name(key: str) -> str | None:
    """Return the module that defines exercise ``key`` (``'03.2'`` -> ``...nb03_...``), None if no notebook has it."""
    return _modules().get(key.split(".", 1)[0])


def load(key: str) -> ModuleType | None:
    """Import the module of exercise ``key``'s notebook (registering its exercises); None if there is none.

    Raises ValueError when the module defines a key of another notebook (``04.1`` in ``nb03_...``).
    """
    from ..checks import register

    name = module_name(key)
    if name is None:
        return None
    module = importlib.import_module(name)
    prefix = name.rsplit(".", 1)[1][2:4] + "."
    strays = [ex.key for ex in module.EXERCISES if not ex.key.startswith(prefix)]
    if strays:
        raise ValueError(f"{name} defines {', '.join(strays)}: its keys must start with {prefix!r}; move them")
    register(*module.EXERCISES, origin=name)  # again: the registry may have been reloaded since the import
    return module


def load_all() -> list[ModuleType]:
    """Import every notebook's exercise module; return them in notebook order."""
    return [load(number + ".1") for number in sorted(_modules())]
