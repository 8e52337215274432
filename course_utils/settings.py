"""Every setting a user may change, read from the environment in one place and checked.

The course reads the environment here and nowhere else: :func:`read` turns the ``COURSE_*``
variables (and the folders the operating system names: home, ``XDG_*``, ``KERAS_HOME``) into one
frozen :class:`Settings`. :func:`course_utils.setup` calls it once when a notebook starts and keeps
the result in the session (:mod:`course_utils.session`). A variable that starts with ``COURSE_`` but
is not one of :data:`VARIABLES` (a typo such as ``COURSE_PROFLE``) is an error that lists the valid
names, and so is a value that does not parse, such as an unknown profile.

Example:
    >>> s = read({"COURSE_PROFILE": "smoke", "COURSE_TIME_BUDGET": "90", "HOME": "/home/ada"})
    >>> s.profile, s.time_budget, s.retrain, s.cache_dir.as_posix()
    ('smoke', 90.0, True, '/home/ada/.cache/cnn-classics')
    >>> read({"COURSE_PROFLE": "smoke"})
    Traceback (most recent call last):
    ...
    course_utils.settings.SettingsError: COURSE_PROFLE is not a setting of the course (a typo?); the settings are: COURSE_PROFILE, ...
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PROFILES = ("smoke", "classroom", "gpu", "full")
PREFIX = "COURSE_"
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


class SettingsError(ValueError):
    """A ``COURSE_*`` variable that is unknown or holds a value the course cannot use."""


@dataclass(frozen=True)
class Variable:
    """One environment variable a user may set: its name, what it does and its default."""

    name: str
    meaning: str
    default: str


VARIABLES: tuple[Variable, ...] = (
    Variable("COURSE_PROFILE", "run profile: `smoke` (CI, seconds), `classroom` (2-core laptop), `gpu` (a GPU, full "
             "data, each notebook within about 10 minutes), `full` (the papers' sizes: hours, opt-in)",
             "`gpu` when TensorFlow sees a GPU, else `classroom`"),
    Variable("COURSE_DATA_DIR", "folder of offline dataset copies, read before the Keras cache", "not set"),
    Variable("COURSE_OFFLINE", "`1`: never download a dataset (a missing file is an error)",
             "`0` (the `smoke` profile never downloads)"),
    Variable("COURSE_RETRAIN", "`0`: reuse weights trained before on this machine (warm start); `1`: train",
             "`1`"),
    Variable("COURSE_TIME_BUDGET", "seconds after which every training cell stops cleanly, keeping its best weights",
             "no budget"),
    Variable("COURSE_CACHE_DIR", "folder for what the course can make again (trained weights, time plans, CAPTCHAs)",
             "`~/.cache/cnn-classics` (`%LOCALAPPDATA%\\cnn-classics` on Windows)"),
    Variable("COURSE_RESULTS_DIR", "folder of recorded runs, one subfolder per profile",
             "`results/` of the checkout, else `./results`"),
    Variable("COURSE_PROGRESS_FILE", "the learner's progress file (solved exercises)",
             "`~/.local/share/cnn-classics/progress.json` (`%APPDATA%` on Windows)"),
    Variable("COURSE_PROGRESS", "`0`: never write progress", "written in notebooks and where the file is set"),
    Variable("COURSE_DEBUG", "`1`: show TensorFlow's start-up messages instead of filtering them", "`0`"),
    Variable("COURSE_VERBOSE", "`1`: print the machinery of every training call (warm-start files, result records, "
             "checkpoints) besides its one-line summary", "`0`"),
)
NAMES = tuple(v.name for v in VARIABLES)


@dataclass(frozen=True)
class Settings:
    """The environment as the course understands it (see :data:`VARIABLES`).

    ``profile`` is None when ``COURSE_PROFILE`` is unset (the session chooses by device);
    ``progress`` is None when ``COURSE_PROGRESS`` is unset (record in notebooks only).
    """

    profile: str | None
    data_dir: Path | None
    offline: bool
    retrain: bool
    time_budget: float | None
    cache_dir: Path
    results_dir: Path
    progress_file: Path
    progress_file_set: bool
    progress: bool | None
    debug: bool
    keras_home: Path
    home: Path
    cache_dir_set: bool = False
    results_dir_set: bool = False
    keras_home_set: bool = False
    verbose: bool = False

    @property
    def keras_datasets(self) -> Path:
        """Keras' dataset cache (``$KERAS_HOME/datasets``, ``~/.keras/datasets``)."""
        return self.keras_home / "datasets"

    def path_anchors(self) -> dict[str, Path]:
        """The folders a printed path is shown relative to, most specific first (:func:`course_utils.folders.show_path`)."""
        anchors: dict[str, Path] = {}
        if self.data_dir is not None:
            anchors["$COURSE_DATA_DIR"] = self.data_dir
        if self.results_dir_set:
            anchors["$COURSE_RESULTS_DIR"] = self.results_dir
        if self.cache_dir_set:
            anchors["$COURSE_CACHE_DIR"] = self.cache_dir
        if self.keras_home_set:
            anchors["$KERAS_HOME"] = self.keras_home
        anchors["~"] = self.home
        return anchors


def _flag(environ: Mapping[str, str], name: str, default: bool | None) -> bool | None:
    value = environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(f"{name}={value!r}: use 1 or 0 (or unset it)")


def _folder(value: str) -> Path:
    return Path(os.path.expanduser(value))


def user_folder(kind: str, environ: Mapping[str, str], home: Path) -> Path:
    """Return the course's folder in the user's ``"cache"`` or ``"data"`` folder (never the repository).

    Windows: ``%LOCALAPPDATA%`` / ``%APPDATA%``; elsewhere ``$XDG_CACHE_HOME`` / ``$XDG_DATA_HOME``,
    else ``~/.cache`` / ``~/.local/share``; the course's folder is ``cnn-classics`` there.

    Example:
        >>> user_folder("cache", {"XDG_CACHE_HOME": "/tmp/xdg"}, Path("/home/ada")).as_posix()
        '/tmp/xdg/cnn-classics'
        >>> user_folder("data", {}, Path("/home/ada")).as_posix()
        '/home/ada/.local/share/cnn-classics'
    """
    folders = {"cache": ("LOCALAPPDATA", "XDG_CACHE_HOME", (".cache",)),
               "data": ("APPDATA", "XDG_DATA_HOME", (".local", "share"))}
    if kind not in folders:
        raise ValueError(f"unknown kind of user folder {kind!r}: use 'cache' or 'data'")
    windows, xdg, fallback = folders[kind]
    if os.name == "nt" and environ.get(windows):
        return Path(environ[windows]) / "cnn-classics"
    base = environ.get(xdg, "").strip()
    return (_folder(base) if base else home.joinpath(*fallback)) / "cnn-classics"


def default_results_dir() -> Path:
    """``results/`` of the checkout this package lives in, else ``./results``."""
    repo = Path(__file__).resolve().parents[1]
    if (repo / "pyproject.toml").is_file() and (repo / "notebooks").is_dir():
        return repo / "results"
    return Path.cwd() / "results"


def check_profile(name: str, where: str = "COURSE_PROFILE") -> str:
    """Return ``name`` lower-cased if it is a profile, else raise a :class:`SettingsError` listing them.

    Example:
        >>> check_profile("Smoke")
        'smoke'
        >>> check_profile("fast")
        Traceback (most recent call last):
        ...
        course_utils.settings.SettingsError: COURSE_PROFILE='fast' is not a profile; use one of smoke, classroom, gpu, full (or unset it to choose by device)
    """
    value = name.strip().lower()
    if value not in PROFILES:
        raise SettingsError(f"{where}={name!r} is not a profile; use one of {', '.join(PROFILES)} "
                            "(or unset it to choose by device)")
    return value


def read(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and check every course setting from ``environ`` (default: ``os.environ``).

    Raises :class:`SettingsError`, naming the variable and what it accepts, for an unknown
    ``COURSE_*`` name or a value that does not parse; a ``COURSE_DATA_DIR`` that is not a folder too.
    """
    env = os.environ if environ is None else environ
    unknown = sorted(k for k in env if k.startswith(PREFIX) and k not in NAMES)
    if unknown:
        raise SettingsError(f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not "
                            f"{'a setting' if len(unknown) == 1 else 'settings'} of the course (a typo?); "
                            f"the settings are: {', '.join(NAMES)}")
    home = _folder(env.get("HOME", "").strip() or "~")
    profile = env.get("COURSE_PROFILE", "").strip()
    data_value = env.get("COURSE_DATA_DIR", "").strip()
    data_dir = _folder(data_value) if data_value else None
    if data_dir is not None and not data_dir.is_dir():
        raise SettingsError(f"COURSE_DATA_DIR={data_value!r} is not a folder; point it at the folder holding "
                            "the offline copies (mnist.npz, cifar-10 files, fashion-mnist/), or unset it")
    budget_value = env.get("COURSE_TIME_BUDGET", "").strip()
    budget = None
    if budget_value:
        try:
            budget = float(budget_value)
        except ValueError:
            budget = math.nan
        if not (budget > 0 and math.isfinite(budget)):
            raise SettingsError(f"COURSE_TIME_BUDGET={budget_value!r} is not a positive number of seconds; "
                                "set e.g. COURSE_TIME_BUDGET=600, or unset it for no budget")
    cache_value = env.get("COURSE_CACHE_DIR", "").strip()
    keras_value = env.get("KERAS_HOME", "").strip()
    results_value = env.get("COURSE_RESULTS_DIR", "").strip()
    progress_value = env.get("COURSE_PROGRESS_FILE", "").strip()
    return Settings(
        profile=check_profile(profile) if profile else None,
        data_dir=data_dir,
        offline=bool(_flag(env, "COURSE_OFFLINE", False)),
        retrain=bool(_flag(env, "COURSE_RETRAIN", True)),
        time_budget=budget,
        cache_dir=_folder(cache_value) if cache_value else user_folder("cache", env, home),
        results_dir=_folder(results_value) if results_value else default_results_dir(),
        progress_file=_folder(progress_value) if progress_value else user_folder("data", env, home) / "progress.json",
        progress_file_set=bool(progress_value),
        progress=_flag(env, "COURSE_PROGRESS", None),
        debug=bool(_flag(env, "COURSE_DEBUG", False)),
        verbose=bool(_flag(env, "COURSE_VERBOSE", False)),
        keras_home=_folder(keras_value) if keras_value else home / ".keras",
        home=home,
        cache_dir_set=bool(cache_value),
        results_dir_set=bool(results_value),
        keras_home_set=bool(keras_value),
    )


def debug(environ: Mapping[str, str] | None = None) -> bool:
    """Return True when ``COURSE_DEBUG`` is set (and not 0): read on its own, before TensorFlow is imported.

    Example:
        >>> debug({"COURSE_DEBUG": "1"}), debug({})
        (True, False)
    """
    env = os.environ if environ is None else environ
    try:
        return bool(_flag(env, "COURSE_DEBUG", False))
    except SettingsError:
        return True  # a value we cannot read: show everything rather than hide it


def markdown_table() -> str:
    """Return the README table of every setting: name, meaning, default.

    Example:
        >>> print(markdown_table().splitlines()[3])
        | `COURSE_DATA_DIR` | folder of offline dataset copies, read before the Keras cache | not set |
    """
    lines = ["| variable | what it does | default |", "|---|---|---|"]
    lines += [f"| `{v.name}` | {v.meaning} | {v.default} |" for v in VARIABLES]
    return "\n".join(lines)
