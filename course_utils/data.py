"""Datasets for the course: offline-first loading, verified files, subsets, ``tf.data`` pipelines.

:func:`load` returns ``(x_train, y_train), (x_test, y_test)`` as uint8 arrays in the layout of
Keras' ``load_data()`` (MNIST and Fashion-MNIST: N x 28 x 28, labels (N,); CIFAR-10: N x 32 x 32 x 3,
labels (N, 1)). It looks, in order, in

1. the data directory ``COURSE_DATA_DIR`` (files named as in :data:`FILES`),
2. the Keras cache (``$KERAS_HOME`` or ``~/.keras``, ``datasets/``), where ``fetch`` puts them,
3. a real Keras download (not in the ``smoke`` profile, nor with ``COURSE_OFFLINE=1``).

Every file is checked against known SHA-256 checksums before use; a file that fails gets a clear
error and is never deleted or overwritten. Offline with nothing found, the ``smoke`` profile uses a
synthetic stand-in of the same shapes and dtypes (and says so loudly); other profiles raise an
error that names the file to place and the prefetch command ``python -m course_utils fetch all``.

What :func:`load` returns unpacks like ``load_data()`` and also says where it came from
(:class:`LoadedData`: ``.source`` is "real file", "real subset" or "synthetic stand-in");
:func:`last_source` answers the same after a plain unpacking. Printed lines show folders as
``$COURSE_DATA_DIR``, ``$KERAS_HOME`` or ``~``, never a machine's absolute path.

Usage::

    (x_train, y_train), (x_test, y_test) = load("mnist", train_size=1000, test_size=200)
    # prints: mnist from the data directory (mnist.npz): 1,000 train / 200 test images
    last_source("mnist")   # 'real file'
"""

from __future__ import annotations

import gzip
import hashlib
import os
import pickle
import socket
import tarfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

# re-exported: notebooks 01 and 09 read CAPTCHAs through `data` (`data.captcha`, `data.load_captcha`, ...)
from .captchas import CAPTCHA_TEST_SEED as CAPTCHA_TEST_SEED
from .captchas import captcha_cache_dir as captcha_cache_dir
from .captchas import captcha_image as captcha_image
from .captchas import captcha_set as captcha_set
from .captchas import generate_captchas as generate_captchas
from .captchas import hand_drawn as captcha  # noqa: F401
from .captchas import load_captcha as load_captcha
from .folders import show_path
from .session import current
from .sources import SOURCES as SOURCES
from .sources import Arrays, LoadedData, note_source
from .sources import last_source as last_source

DATASETS = ("mnist", "fashion_mnist", "cifar10")

CLASS_NAMES: dict[str, list[str]] = {
    "mnist": [str(d) for d in range(10)],
    "fashion_mnist": [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ],
    "cifar10": [
        "airplane", "automobile", "bird", "cat", "deer",
        "dog", "frog", "horse", "ship", "truck",
    ],
}

# Full-size layouts (Keras load_data); a subset keeps the per-image shape.
SHAPES: dict[str, dict[str, tuple[int, ...]]] = {
    "mnist": {"x_train": (60000, 28, 28), "y_train": (60000,), "x_test": (10000, 28, 28), "y_test": (10000,)},
    "fashion_mnist": {"x_train": (60000, 28, 28), "y_train": (60000,), "x_test": (10000, 28, 28), "y_test": (10000,)},
    "cifar10": {"x_train": (50000, 32, 32, 3), "y_train": (50000, 1), "x_test": (10000, 32, 32, 3), "y_test": (10000, 1)},
}

FASHION_FILES = (
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)

# The file names a data directory may hold, per dataset: MNIST and CIFAR-10 any one of theirs (first
# match wins), Fashion-MNIST all four.
FILES: dict[str, list[str]] = {
    "mnist": ["mnist.npz"],
    "fashion_mnist": [f"fashion-mnist/{f}" for f in FASHION_FILES],
    "cifar10": ["cifar-10-python.tar.gz", "cifar10-subset.npz"],
}

# CIFAR-10 as Keras leaves it in its cache (keras/src/datasets/cifar10.py and utils/file_utils.py):
# Keras 3 calls get_file(fname="cifar-10-batches-py-target", extract=True), which keeps the download
# as "cifar-10-batches-py-target_archive" and extracts it into "cifar-10-batches-py-target/"; Keras 2
# and tf.keras kept "cifar-10-batches-py.tar.gz" and extracted into "cifar-10-batches-py/".
KERAS_CIFAR_ARCHIVES = ("cifar-10-batches-py-target_archive", "cifar-10-batches-py.tar.gz")
KERAS_CIFAR_FOLDERS = ("cifar-10-batches-py-target/cifar-10-batches-py", "cifar-10-batches-py")
CIFAR_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6)) + ("test_batch",)

_CIFAR_ARCHIVE_SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"  # as Keras checks it

# Accepted SHA-256 of whole files: Keras' originals and the course's offline copies.
FILE_SHA256: dict[str, set[str]] = {
    "mnist.npz": {
        "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",  # Keras download
        "06af5dfe73b70e3bc1c36439982b18a8d76803db9b544f6fdf838a37fbb01b64",  # offline copy
    },
    "cifar-10-python.tar.gz": {_CIFAR_ARCHIVE_SHA256},
    **{archive: {_CIFAR_ARCHIVE_SHA256} for archive in KERAS_CIFAR_ARCHIVES},  # the same file, renamed
    "cifar10-subset.npz": {"1bafd91b5b84ed30c41f392a8ef9516a577d599b2653cd143312d79c3ca37222"},
}

# The extracted CIFAR-10 batches (pickles: checked before they are ever unpickled). MD5 is the only
# checksum published for them (https://www.cs.toronto.edu/~kriz/cifar.html lists the archive's; these
# are the per-file values torchvision's CIFAR10 checks); an MD5 match still rules out a damaged or
# different file.
CIFAR_BATCH_MD5: dict[str, str] = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
}

# Fashion-MNIST files are checked by the SHA-256 of their decompressed bytes, so that the original
# downloads and recompressed copies (same content) both pass.
CONTENT_SHA256: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}

FETCH_COMMAND = "python -m course_utils fetch all"

class DataNotFoundError(FileNotFoundError):
    """Raised when a dataset is neither on disk nor downloadable (outside the smoke profile)."""


class CorruptDataError(ValueError):
    """Raised when a dataset file on disk fails its checksum, cannot be read or is missing from a set."""


def data_dir() -> Path | None:
    """Return the session's data directory (``COURSE_DATA_DIR``), or None when it is not set."""
    return current().settings.data_dir


def keras_cache_dir() -> Path:
    """Return Keras' dataset cache folder (``$KERAS_HOME/datasets`` or ``~/.keras/datasets``)."""
    return current().settings.keras_datasets


def _hexdigest(path: Path, algorithm: str, decompress: bool = False) -> str:
    digest = hashlib.new(algorithm, usedforsecurity=False)
    opener = gzip.open if decompress else open
    with opener(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_of(path: Path, decompress: bool = False) -> str:
    """Return the SHA-256 hex digest of a file (of its gunzipped bytes with ``decompress=True``)."""
    return _hexdigest(path, "sha256", decompress)


def _verify(path: Path) -> None:
    name = path.name
    if not path.is_file():
        raise CorruptDataError(f"{show_path(path)} is missing; {_replace_hint(path)}")
    if name in CONTENT_SHA256:
        try:
            got = sha256_of(path, decompress=True)
        except (OSError, EOFError) as e:
            raise CorruptDataError(
                f"{show_path(path)} is not a readable gzip file ({getattr(e, 'strerror', None) or e}); "
                f"{_replace_hint(path)}"
            ) from e
        algorithm, expected = "SHA-256", {CONTENT_SHA256[name]}
    elif name in CIFAR_BATCH_MD5:
        algorithm, got, expected = "MD5", _hexdigest(path, "md5"), {CIFAR_BATCH_MD5[name]}
    else:
        algorithm, got, expected = "SHA-256", sha256_of(path), FILE_SHA256.get(name, set())
    if got not in expected:
        raise CorruptDataError(
            f"{show_path(path)} has {algorithm} {got}, expected {' or '.join(sorted(expected))}: the file is "
            f"corrupt, truncated or a different version. It was left in place; {_replace_hint(path)}"
        )


def _replace_hint(path: Path) -> str:
    return (
        f"move it away and place a good copy there, or delete it yourself and run `{FETCH_COMMAND}` "
        "on a machine with internet"
    )


def _read_idx(path: Path, header: int) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=header)


def _load_fashion(folder: Path) -> Arrays:
    paths = [folder / f for f in FASHION_FILES]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise CorruptDataError(
            f"{show_path(folder)} holds only part of Fashion-MNIST: {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} missing (it needs {', '.join(FASHION_FILES)}). Nothing was "
            f"changed; place the missing file there, or move the folder away and run `{FETCH_COMMAND}` on a "
            "machine with internet"
        )
    for p in paths:
        _verify(p)
    x_train = _read_idx(paths[0], 16).reshape(-1, 28, 28)
    y_train = _read_idx(paths[1], 8)
    x_test = _read_idx(paths[2], 16).reshape(-1, 28, 28)
    y_test = _read_idx(paths[3], 8)
    return (x_train, y_train), (x_test, y_test)


def _load_npz(path: Path) -> Arrays:
    _verify(path)
    with np.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


def _cifar_batch(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    d = pickle.loads(raw, encoding="bytes")
    x = np.asarray(d[b"data"], np.uint8).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    y = np.asarray(d[b"labels"], np.uint8).reshape(-1, 1)
    return x, y


def _cifar_arrays(batches: dict[str, bytes]) -> Arrays:
    """Assemble Keras' layout from the six pickled batches (by name), already verified."""
    train = [_cifar_batch(batches[f"data_batch_{i}"]) for i in range(1, 6)]
    x_test, y_test = _cifar_batch(batches["test_batch"])
    x_train = np.concatenate([x for x, _ in train])
    y_train = np.concatenate([y for _, y in train])
    return (x_train, y_train), (x_test, y_test)


def _load_cifar_tar(path: Path) -> Arrays:
    _verify(path)  # checked before unpickling: only the known archive is ever unpickled
    with tarfile.open(path, "r:gz") as tar:
        batches = {
            Path(m.name).name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()
        }
    return _cifar_arrays(batches)


def _load_cifar_folder(folder: Path) -> Arrays:
    """Read the batches Keras extracted, each checked against its published MD5 before unpickling."""
    missing = [b for b in CIFAR_BATCHES if not (folder / b).is_file()]
    if missing:
        raise CorruptDataError(
            f"{show_path(folder)} holds only part of CIFAR-10: {', '.join(missing)} missing. Nothing was "
            f"changed; {_replace_hint(folder)}"
        )
    for batch in CIFAR_BATCHES:
        _verify(folder / batch)
    return _cifar_arrays({batch: (folder / batch).read_bytes() for batch in CIFAR_BATCHES})


def _candidates(name: str) -> list[tuple[str, Path, Callable[[], Arrays]]]:
    """List (description, path, loader) for every place the dataset may already be on disk."""
    found: list[tuple[str, Path, Callable[[], Arrays]]] = []
    roots = []
    directory = data_dir()
    if directory is not None:
        roots.append(("data directory", directory))
    cache = keras_cache_dir()
    roots.append(("Keras cache", cache))
    for where, root in roots:
        if name == "mnist" and (root / "mnist.npz").is_file():
            p = root / "mnist.npz"
            found.append((where, p, lambda p=p: _load_npz(p)))
        elif name == "fashion_mnist" and any((root / "fashion-mnist" / f).is_file() for f in FASHION_FILES):
            p = root / "fashion-mnist"  # a partial set is found too, so that load names the missing file
            found.append((where, p, lambda p=p: _load_fashion(p)))
        elif name == "cifar10":
            # the whole dataset first (an archive, then Keras' extracted batches), the subset file last
            archives = [root / f for f in ("cifar-10-python.tar.gz", *KERAS_CIFAR_ARCHIVES) if (root / f).is_file()]
            folders = [root / f for f in KERAS_CIFAR_FOLDERS if any((root / f / b).is_file() for b in CIFAR_BATCHES)]
            if archives:
                found.append((where, archives[0], lambda p=archives[0]: _load_cifar_tar(p)))
            elif folders:
                found.append((where, folders[0], lambda p=folders[0]: _load_cifar_folder(p)))
            elif (root / "cifar10-subset.npz").is_file():
                p = root / "cifar10-subset.npz"
                found.append((where, p, lambda p=p: _load_npz(p)))
    return found


def _check_layout(name: str, arrays: Arrays, source: Path) -> None:
    (x_train, y_train), (x_test, y_test) = arrays
    got = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    for key, arr in got.items():
        want = SHAPES[name][key]
        if arr.dtype != np.uint8 or arr.shape[1:] != want[1:] or not 0 < arr.shape[0] <= want[0]:
            raise CorruptDataError(
                f"{show_path(source)}: {key} has shape {arr.shape} and dtype {arr.dtype}; {name} needs "
                f"(N,{','.join(map(str, want[1:]))}) uint8 with N <= {want[0]}"
            )


def _download(name: str) -> Arrays:
    loader = {
        "mnist": keras.datasets.mnist.load_data,
        "fashion_mnist": keras.datasets.fashion_mnist.load_data,
        "cifar10": keras.datasets.cifar10.load_data,
    }[name]
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(30)  # a stalled connection fails in 30 s instead of hanging a class
    try:
        return loader()
    finally:
        socket.setdefaulttimeout(previous)


def _not_found_message(name: str, reason: str) -> str:
    directory = data_dir()
    places = (["$COURSE_DATA_DIR"] if directory else []) + [f"{show_path(keras_cache_dir())} (Keras cache)"]
    files = " + ".join(FILES[name]) if name == "fashion_mnist" else " or ".join(FILES[name])
    return (
        f"{name} was not found in {' or '.join(places)} and could not be downloaded ({reason}).\n"
        f"Fix: place {files} in a folder and set COURSE_DATA_DIR to it, or run "
        f"`{FETCH_COMMAND}` once on a machine with internet (instructors: before class), or use "
        "COURSE_PROFILE=smoke for synthetic stand-in data."
    )


def load_full(name: str, profile: str | None = None) -> tuple[Arrays, str]:
    """Return the whole dataset and a one-line description of where it came from.

    Raises :class:`DataNotFoundError` (outside ``smoke``) when it is nowhere to be had.
    """
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    for where, path, loader in _candidates(name):
        arrays = loader()
        _check_layout(name, arrays, path)
        return arrays, f"{name} from the {where} ({path.name})"
    profile = profile or current().profile
    if profile == "smoke" or current().settings.offline:
        reason = f"profile {profile!r} never downloads" if profile == "smoke" else "COURSE_OFFLINE=1"
        raise DataNotFoundError(_not_found_message(name, reason))
    try:
        arrays = _download(name)
    except Exception as e:  # noqa: BLE001  (any network or server failure)
        raise DataNotFoundError(_not_found_message(name, f"{type(e).__name__}: {e}")) from e
    for _, path, loader in _candidates(name):  # verify what was downloaded, as for any file on disk
        arrays = loader()
        _check_layout(name, arrays, path)
        break
    return arrays, f"{name} downloaded by Keras into {show_path(keras_cache_dir())}"


def synthetic(name: str, train_size: int = 600, test_size: int = 100, seed: int = 0) -> Arrays:
    """Return a learnable synthetic stand-in with the dataset's per-image shape, dtype and labels.

    Class ``k`` is a bright block at a class-specific place plus noise, so a model can learn it.

    Example:
        >>> (x, y), _ = synthetic("cifar10", 20, 10)
        >>> x.shape, y.shape
        ((20, 32, 32, 3), (20, 1))
    """
    rng = np.random.default_rng(seed)
    image_shape = SHAPES[name]["x_train"][1:]
    label_shape = SHAPES[name]["y_train"][1:]

    def make(n: int) -> tuple[np.ndarray, np.ndarray]:
        y = np.arange(n) % 10
        rng.shuffle(y)
        x = rng.integers(0, 60, size=(n, *image_shape), dtype=np.uint8)
        side = image_shape[0] // 4
        for k in range(10):
            r, c = divmod(k, 4)
            x[y == k, r * side : (r + 1) * side + side, c * side : (c + 1) * side] = 230
        return x, y.astype(np.uint8).reshape((n, *label_shape))

    return make(train_size), make(test_size)


def stratified_subset(x: np.ndarray, y: np.ndarray, size: int | None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Return ``size`` examples with the class proportions of ``y`` (seeded); all when None.

    Example:
        >>> x, y = np.zeros((100, 2)), np.repeat(np.arange(10), 10)
        >>> np.bincount(stratified_subset(x, y, 20)[1])
        array([2, 2, 2, 2, 2, 2, 2, 2, 2, 2])
    """
    if size is None or size >= len(y):
        return x, y
    if size <= 0:
        raise ValueError(f"subset size must be positive, got {size}")
    labels = y.reshape(len(y), -1)[:, 0]
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    share = counts / counts.sum() * size
    take = np.floor(share).astype(int)
    # hand the remaining examples to the classes with the largest fractional parts
    for i in np.argsort(share - take)[::-1][: size - take.sum()]:
        take[i] += 1
    picked = [rng.choice(np.flatnonzero(labels == c), t, replace=False) for c, t in zip(classes, take)]
    index = np.sort(np.concatenate(picked))
    return x[index], y[index]


def _subset_note(name: str, arrays: Arrays) -> str | None:
    """Return how much of ``name`` a real file holds when it is not the whole dataset, else None."""
    (x_train, _), (x_test, _) = arrays
    full_train, full_test = SHAPES[name]["x_train"][0], SHAPES[name]["x_test"][0]
    if len(x_train) == full_train and len(x_test) == full_test:
        return None
    return (
        f"a real subset of {name}: {len(x_train):,} of {full_train:,} train / {len(x_test):,} of "
        f"{full_test:,} test images"
    )


def load(
    name: str,
    train_size: int | None = None,
    test_size: int | None = None,
    seed: int = 0,
    verbose: bool = True,
) -> LoadedData:
    """Return ``(x_train, y_train), (x_test, y_test)`` uint8 arrays, optionally stratified subsets.

    Shapes follow Keras ``load_data()``: MNIST/Fashion-MNIST (N, 28, 28), labels (N,);
    CIFAR-10 (N, 32, 32, 3), labels (N, 1). Prints one line saying where the data came from (a
    synthetic stand-in is announced even with ``verbose=False``). The result is a
    :class:`LoadedData`: it unpacks as above and carries ``.source`` ("real file", "real subset" or
    "synthetic stand-in") and ``.is_synthetic``; :func:`last_source` gives the same afterwards.

    Usage::

        (x_train, y_train), (x_test, y_test) = load("cifar10", 500, 100)
        # prints: cifar10 from the data directory (cifar10-subset.npz): 500 train / 100 test images,
        #         drawn from a real subset of cifar10: 5,085 of 50,000 train / 1,017 of 10,000 test images
        last_source("cifar10")   # 'real subset'
    """
    profile = current().profile
    try:
        arrays, description = load_full(name, profile)
    except DataNotFoundError as e:
        if profile != "smoke":
            raise
        n_train, n_test = train_size or 600, test_size or 100
        description = (
            f"NOTICE: {name} was not found on this machine, so this run uses a SYNTHETIC stand-in "
            f"({n_train} train / {n_test} test images of the same shape and dtype).\n"
            f"        Results below say nothing about real {name}. {str(e).splitlines()[-1]}"
        )
        print(description)
        note_source(name, "synthetic stand-in")
        return LoadedData(synthetic(name, n_train, n_test, seed), "synthetic stand-in", description)
    subset = _subset_note(name, arrays)
    (x_train, y_train), (x_test, y_test) = arrays
    x_train, y_train = stratified_subset(x_train, y_train, train_size, seed)
    x_test, y_test = stratified_subset(x_test, y_test, test_size, seed)
    description = f"{description}: {len(x_train):,} train / {len(x_test):,} test images"
    if subset:
        description += f", drawn from {subset}"
    if verbose:
        print(description)
    source = "real subset" if subset else "real file"
    note_source(name, source)
    return LoadedData(((x_train, y_train), (x_test, y_test)), source, description)


def fetch(names: Sequence[str]) -> None:
    """Download datasets into the Keras cache ahead of time (instructors: before class).

    Datasets already present and valid are left alone; a damaged file stops with an error.
    """
    for name in names:
        if name not in DATASETS:
            raise ValueError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)} or 'all'")
        present = _candidates(name)
        if present:
            where, path, loader = present[0]
            _check_layout(name, loader(), path)
            print(f"{name}: already present and verified in the {where} ({show_path(path)})")
            continue
        _download(name)
        for _, path, loader in _candidates(name):
            _check_layout(name, loader(), path)
            print(f"{name}: downloaded and verified: {show_path(path)}")
            break
        else:
            print(f"{name}: downloaded into {show_path(keras_cache_dir())}")


UINT8_RESIZE_CHUNK = 8
"""Images ``make_dataset(..., dtype="uint8")`` resizes together: their float32 copy stays small."""

PREFETCH_BATCHES = 2
"""Batches :func:`make_dataset` prepares ahead of the model: the next while the model trains on this one."""


def _pipeline_options() -> tf.data.Options:
    """Fixed parallelism instead of tf.data's autotuner, for every pipeline of :func:`make_dataset`.

    With a shuffle buffer, the autotuner often held up the end of ``fit`` on a 2-core machine
    (TensorFlow 2.21): destroying the finished training iterator waited seconds, which broke notebook
    08's equal-time plan. Without it, the same small VGG trained as fast and ``fit`` ended at once.
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    return options


def make_dataset(
    x: np.ndarray,
    y: Any,
    batch_size: int,
    *,
    shuffle: bool = False,
    seed: int = 0,
    pad: int = 0,
    image_size: int | None = None,
    augment: Callable | None = None,
    dtype: str = "float32",
):
    """Build a ``tf.data`` pipeline: shuffle, batch, then per batch scale/pad/resize/augment, prefetch.

    The pipeline runs with fixed parallelism (one map call per core, :data:`PREFETCH_BATCHES` batches
    ahead), not tf.data's autotuner: see :func:`_pipeline_options`.

    ``x`` is uint8 NHW or NHWC; batches come out float32 NHWC in [0, 1]. Resizing and augmentation
    run per batch inside the pipeline, never on the whole array in memory (on a GPU, a Resizing layer
    inside the model moves that work onto the accelerator). ``y`` may be an array, tuple or dict
    (multi-output models).

    ``dtype="uint8"`` delivers the values 0-255 instead, for a model that starts with
    ``keras.layers.Rescaling(1 / 255)`` (on a GPU the division then runs on the accelerator): a
    quarter of the bytes per batch. Resized values are rounded, at most half a grey level from the
    float32 batch; the resize runs on :data:`UINT8_RESIZE_CHUNK` images at a time, joined again
    with ``rebatch``. ``x`` must then be uint8, and ``augment`` is not supported.

    Example:
        >>> ds = make_dataset(np.zeros((10, 28, 28), np.uint8), np.zeros(10), batch_size=4, pad=2)
        >>> next(iter(ds))[0].shape
        TensorShape([4, 32, 32, 1])
        >>> next(iter(make_dataset(np.zeros((10, 8, 8), np.uint8), np.zeros(10), 4, image_size=16, dtype="uint8")))[0].dtype
        tf.uint8
    """
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if dtype not in ("float32", "uint8"):
        raise ValueError(f"dtype must be 'float32' (values in [0, 1]) or 'uint8' (0-255, the model scales), got {dtype!r}")
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4:
        raise ValueError(f"x must be N x H x W or N x H x W x C images, got shape {x.shape}")
    if dtype == "uint8" and (x.dtype != np.uint8 or augment is not None):
        raise ValueError(f"dtype='uint8' needs uint8 images (0-255, as load returns them) and no augment; got "
                         f"{x.dtype} images{' and an augment function' if augment is not None else ''}: "
                         "use dtype='float32'")
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    chunked = dtype == "uint8" and image_size is not None and batch_size > UINT8_RESIZE_CHUNK
    ds = ds.batch(UINT8_RESIZE_CHUNK if chunked else batch_size)

    def prepare(images, labels):
        if dtype == "float32":
            images = tf.cast(images, tf.float32) / 255.0
        if pad:
            images = tf.pad(images, [[0, 0], [pad, pad], [pad, pad], [0, 0]])
        if image_size is not None:
            images = tf.image.resize(images, (image_size, image_size))
            if dtype == "uint8":  # bilinear of 0-255 values stays within 0-255: round, then cast back
                images = tf.cast(tf.round(images), tf.uint8)
        if augment is not None:
            images = augment(images)
        return images, labels

    ds = ds.map(prepare, num_parallel_calls=os.cpu_count() or 1)
    if chunked:
        ds = ds.rebatch(batch_size)
    return ds.prefetch(PREFETCH_BATCHES).with_options(_pipeline_options())


def describe_sources() -> None:
    """Print, for each dataset, the file it would be loaded from (or that it would be downloaded).

    Folders are shown as ``$COURSE_DATA_DIR``, ``$KERAS_HOME`` or ``~`` (see :func:`shown_path`).
    """
    directory = data_dir()
    print(f"COURSE_DATA_DIR: {'set' if directory else 'not set'}; Keras cache: {show_path(keras_cache_dir())}")
    for name in DATASETS:
        found = _candidates(name)
        where = (
            f"{found[0][0]}: {show_path(found[0][1])}" if found
            else "not on this machine: would download (or stand-in in smoke)"
        )
        print(f"  {name:<14}{where}")
