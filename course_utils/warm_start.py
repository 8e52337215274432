"""Warm start: trained weights kept in a cache outside the repository, checked before they are reused.

A second run of a notebook in class should take seconds, not the minutes of training. Every training
run that :func:`course_utils.training.fit_or_reuse` (and ``train_and_record``) completes saves its
weights here; run the notebook again with ``course_utils.setup(..., retrain=False)`` in its first cell
(or ``COURSE_RETRAIN=0`` for every notebook) and the weights are loaded instead of trained.

One entry per (run name, profile, dataset, data source, training-set size, recipe hash): the recipe
hash covers the model's layers (classes, settings, weight shapes), the optimizer and loss, the
epochs and whatever the notebook passes as ``recipe``/``extra`` (learning rate, augmentation...),
so a changed notebook never picks up weights trained another way. An entry is two files::

    <cache>/<profile>/<name>-<dataset>-<source>-<size>-<hash>.weights.h5   # the weights (Keras)
    <cache>/<profile>/<name>-<dataset>-<source>-<size>-<hash>.json         # sidecar: sha256, shapes, run

Before loading, the sidecar must parse, the weights file's sha256 must equal the recorded one and
the recorded weight shapes must equal the model's: otherwise the entry is rejected with a message
saying why, and the caller trains (and replaces the entry). Only weights are stored, never code or a
whole model, so loading executes nothing; whole ``.keras`` models in the course load with Keras'
``safe_mode=True`` (:func:`load_model`).

The cache folder is ``weights/`` in the course's cache folder: ``$COURSE_CACHE_DIR/weights`` if set, else
``$XDG_CACHE_HOME/cnn-classics/weights`` (``~/.cache/cnn-classics/weights``; on Windows
``%LOCALAPPDATA%\\cnn-classics\\weights``). Delete it at any time: it only saves time.

Example:
    >>> import tempfile, keras
    >>> from unittest import mock
    >>> sandbox = mock.patch.dict(os.environ, {CACHE_ENV: tempfile.mkdtemp()}); _ = sandbox.start()
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> entry = entry_for("demo", model, dataset="mnist", data_source="real file", train_size=60000,
    ...                   recipe={"epochs": 5}, profile="smoke")
    >>> entry.weights.name.startswith("demo-mnist-real_file-60000-"), entry.sidecar.suffix
    (True, '.json')
    >>> load(entry, model) is None       # nothing saved yet
    warm start: no cached weights for demo yet (smoke profile): training.
    True
    >>> _ = sandbox.stop()
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

from .folders import show_path
from .session import current, detail

CACHE_ENV = "COURSE_CACHE_DIR"
SIDECAR_VERSION = 1


def cache_root() -> Path:
    """Return the weights cache folder of the session (``$COURSE_CACHE_DIR/weights``, never the repository).

    Example:
        >>> from unittest import mock
        >>> with mock.patch.dict(os.environ, {CACHE_ENV: "/tmp/my-cache"}):
        ...     cache_root().as_posix()
        '/tmp/my-cache/weights'
    """
    return current().weights_dir


def retrain() -> bool:
    """Return the session's retrain switch: False reuses weights trained before on this machine.

    ``course_utils.setup(retrain=False)`` or ``COURSE_RETRAIN=0`` (every notebook) sets it to False.

    Example:
        >>> from unittest import mock
        >>> with mock.patch.dict(os.environ, {"COURSE_RETRAIN": "0"}):
        ...     retrain()
        False
    """
    return current().retrain


def _slug(text: str) -> str:
    """A file-name-safe form of ``text``: letters, digits, '.', '_' (other characters become '_')."""
    return re.sub(r"[^A-Za-z0-9._]+", "_", str(text)).strip("_") or "none"


def plan_file(name: str, profile: str | None = None) -> Path:
    """Where a time-planned run keeps its plan (:func:`course_utils.training.plan_training` with ``name``).

    A plan turns seconds into steps at the speed measured on this machine, and the steps are part of
    the weights' cache key; reusing the plan is what lets ``retrain=False`` find those weights.

    Example:
        >>> plan_file("vgg captcha", profile="classroom").name
        'vgg_captcha.plan.json'
    """
    return cache_root() / (profile or current().profile) / f"{_slug(name)}.plan.json"


def _leaf_layers(model) -> Iterator:
    """The layers of ``model``, nested models opened (VGG16 inside a classifier, say)."""
    for layer in model.layers:
        if isinstance(getattr(layer, "layers", None), list) and layer.layers:
            yield from _leaf_layers(layer)
        else:
            yield layer


def _stable(value: Any) -> Any:
    """``value`` as plain JSON data that is the same in every session (no memory addresses)."""

    if isinstance(value, Mapping):
        return {str(k): _stable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_stable(v) for v in value]
    if isinstance(value, (str, bool, int, float)) or value is None:
        return value
    if isinstance(value, (np.generic, np.ndarray)):
        return _stable(value.tolist())
    if isinstance(value, Path):
        return str(value)
    config = getattr(value, "get_config", None)
    if callable(config):  # an optimizer, schedule, loss...: its settings, not its session-numbered name
        try:
            settings = {k: v for k, v in dict(config()).items() if k != "name"}
        except (NotImplementedError, TypeError):
            settings = None
        if settings is not None:
            return {"class": type(value).__qualname__, "config": _stable(settings)}
    kind = value if callable(value) and hasattr(value, "__qualname__") else type(value)
    return f"{getattr(kind, '__module__', '')}.{kind.__qualname__}"


def _layer_config(layer) -> Any:
    """A layer's settings without its name (Keras numbers unnamed layers differently in each session)."""
    try:
        config = dict(layer.get_config())
    except NotImplementedError:
        config = {}
    config.pop("name", None)
    return _stable(config)


def weight_shapes(model) -> list[list[int]]:
    """Return the shape of each of ``model``'s weights, in order (what a cache entry must match).

    Example:
        >>> import keras
        >>> weight_shapes(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]))
        [[3, 2], [2]]
    """
    return [[int(d) for d in w.shape] for w in model.weights]


def describe_model(model) -> list[dict[str, Any]]:
    """Return each layer's class, settings (name left out) and weight shapes: what the recipe hash covers."""
    return [{"class": type(layer).__qualname__, "config": _layer_config(layer),
             "weights": [[int(d) for d in w.shape] for w in layer.weights]} for layer in _leaf_layers(model)]


def recipe_hash(recipe: Mapping[str, Any]) -> str:
    """Return a 16-hex-digit hash of ``recipe`` (sorted JSON): the same recipe gives the same hash in any session.

    Example:
        >>> recipe_hash({"epochs": 5, "learning_rate": 1e-3}) == recipe_hash({"learning_rate": 1e-3, "epochs": 5})
        True
        >>> recipe_hash({"epochs": 5}) == recipe_hash({"epochs": 6})
        False
    """
    text = json.dumps(_stable(recipe), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def file_sha256(path: Path) -> str:
    """Return the sha256 of a file's bytes, as 64 hex digits."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class CacheEntry:
    """Where one training run's weights and sidecar live, and the key they were filed under."""

    name: str
    profile: str
    key: dict[str, Any]
    recipe_hash: str
    weights: Path
    sidecar: Path

    def exists(self) -> bool:
        """True when either file of the entry is on disk."""
        return self.weights.exists() or self.sidecar.exists()

    def shown(self) -> str:
        """The weights file as ``$COURSE_CACHE_DIR/...`` or ``~/...`` (no machine paths in messages)."""
        return show_path(self.weights)


def entry_for(
    name: str,
    model,
    *,
    dataset: str,
    data_source: str,
    train_size: int,
    recipe: Mapping[str, Any] | None = None,
    profile: str | None = None,
) -> CacheEntry:
    """Return the cache entry of a training run: ``name`` trained on ``dataset`` in ``profile`` with ``recipe``.

    The recipe hash covers ``recipe`` (epochs, learning rate, augmentation, ...: what the caller
    knows), the model's layers (:func:`describe_model`) and, when compiled, its optimizer and loss.
    """
    profile = profile or current().profile
    optimizer = getattr(model, "optimizer", None) if getattr(model, "compiled", False) else None
    full_recipe = {
        "recipe": dict(recipe or {}),
        "model": describe_model(model),
        "optimizer": _stable(optimizer) if optimizer is not None else None,
        "loss": _stable(getattr(model, "loss", None)) if optimizer is not None else None,
    }
    digest = recipe_hash(full_recipe)
    stem = f"{_slug(name)}-{_slug(dataset)}-{_slug(data_source)}-{int(train_size)}-{digest}"
    folder = cache_root() / profile
    key = {"name": name, "profile": profile, "dataset": dataset, "data_source": data_source,
           "train_size": int(train_size)}
    return CacheEntry(name, profile, key, digest, folder / f"{stem}.weights.h5", folder / f"{stem}.json")


def _reject(entry: CacheEntry, why: str) -> None:
    print(f"warm start: the cached weights for {entry.name} ({entry.shown()}) were REJECTED: {why}. "
          "Training instead; the new weights will replace the entry.")


def load(entry: CacheEntry, model) -> dict[str, Any] | None:
    """Load a checked cache entry into ``model``; return its sidecar (with the run it came from), or None.

    None, with a message saying why, when there is no entry, or when it is stale or corrupt: the
    sidecar does not parse or belongs to another key, the weights file's sha256 differs from the
    recorded one, or the recorded weight shapes differ from ``model``'s. The model's weights are
    unchanged then (also when Keras fails half-way through loading).
    """
    if not entry.sidecar.is_file() and not entry.weights.is_file():
        print(f"warm start: no cached weights for {entry.name} yet ({entry.profile} profile): training.")
        return None
    if not entry.sidecar.is_file() or not entry.weights.is_file():
        missing = entry.sidecar if not entry.sidecar.is_file() else entry.weights
        _reject(entry, f"its file {missing.name} is missing (a save that was interrupted?)")
        return None
    try:
        sidecar = json.loads(entry.sidecar.read_text(encoding="utf-8"))
        recorded_sha, recorded_shapes = sidecar["weights_sha256"], sidecar["weight_shapes"]
        recorded_key, recorded_hash = sidecar["key"], sidecar["recipe_hash"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        _reject(entry, f"its sidecar {entry.sidecar.name} is unreadable or incomplete ({type(e).__name__}: {e})")
        return None
    if recorded_key != entry.key or recorded_hash != entry.recipe_hash:
        _reject(entry, f"its sidecar was written for {recorded_key} with recipe {recorded_hash}, not for this run")
        return None
    actual_sha = file_sha256(entry.weights)
    if actual_sha != recorded_sha:
        _reject(entry, f"the weights file is corrupt: its sha256 is {actual_sha[:12]}..., the sidecar recorded "
                       f"{str(recorded_sha)[:12]}...")
        return None
    shapes = weight_shapes(model)
    if recorded_shapes != shapes:
        _reject(entry, f"it is stale: it holds {len(recorded_shapes)} weight arrays of shapes "
                       f"{_first_difference(recorded_shapes, shapes)}")
        return None
    before = model.get_weights()
    try:
        with warnings.catch_warnings():  # the optimizer's state is saved too, but the model's weights are what counts
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
            model.load_weights(entry.weights)
    except Exception as e:  # a file Keras cannot read although its hash matched: never half-loaded
        model.set_weights(before)
        _reject(entry, f"Keras could not load it ({type(e).__name__}: {e})")
        return None
    return sidecar


def _first_difference(recorded: list, shapes: list) -> str:
    """Where the recorded weight shapes first differ from the model's, in words."""
    for i, (a, b) in enumerate(zip(recorded, shapes)):
        if a != b:
            return f"...; weight {i} was saved as {tuple(a)}, this model's is {tuple(b)}"
    return f"...; this model has {len(shapes)} weight arrays"


def save(entry: CacheEntry, model, run: Mapping[str, Any]) -> Path | None:
    """Save ``model``'s weights and a sidecar (sha256, shapes, ``run``) as ``entry``; return the weights path.

    Written beside the entry, then renamed into place, weights first and the sidecar last, so a
    stop during saving never leaves an entry that looks complete. A cache that cannot be written
    (read-only home, full disk) costs the warm start only: a message, then None.
    """
    folder = entry.weights.parent
    partial = entry.weights.with_name(entry.weights.name.removesuffix(".weights.h5") + ".saving.weights.h5")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        model.save_weights(partial)
        sidecar = {
            "sidecar_version": SIDECAR_VERSION,
            "key": entry.key,
            "recipe_hash": entry.recipe_hash,
            "weights_sha256": file_sha256(partial),
            "weight_shapes": weight_shapes(model),
            "saved_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "keras": _keras_version(),
            "run": _stable(dict(run)),
        }
        os.replace(partial, entry.weights)
        partial_sidecar = entry.sidecar.with_name(entry.sidecar.stem + ".saving.json")
        partial_sidecar.write_text(json.dumps(sidecar, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(partial_sidecar, entry.sidecar)
    except OSError as e:
        print(f"warm start: could not save the weights of {entry.name} to {entry.shown()} ({e}); training "
              f"works as before, only retrain=False will train again. Set {CACHE_ENV} to a writable folder.")
        return None
    detail(f"warm start: weights saved to {entry.shown()} (setup(retrain=False) reuses them)")
    return entry.weights


def _keras_version() -> str:
    return keras.__version__


def load_model(path: str | Path):
    """Load a whole ``.keras`` model with Keras' ``safe_mode=True`` (no code from the file is run).

    Example:
        >>> import keras, tempfile
        >>> path = Path(tempfile.mkdtemp()) / "tiny.keras"
        >>> keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]).save(path)
        >>> load_model(path).count_params()
        8
    """
    return keras.models.load_model(path, safe_mode=True)
