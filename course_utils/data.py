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

Usage::

    (x_train, y_train), (x_test, y_test) = load("mnist", train_size=1000, test_size=200)
    # prints: mnist from the data directory (mnist.npz): 1,000 train / 200 test images
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

import numpy as np

from . import profiles

Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]

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

# The file names the data directory may hold, per dataset (first match wins).
FILES: dict[str, list[str]] = {
    "mnist": ["mnist.npz"],
    "fashion_mnist": [f"fashion-mnist/{f}" for f in FASHION_FILES],
    "cifar10": ["cifar-10-python.tar.gz", "cifar10-subset.npz"],
}

# Accepted SHA-256 of whole files: Keras' originals and the course's offline copies.
FILE_SHA256: dict[str, set[str]] = {
    "mnist.npz": {
        "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",  # Keras download
        "06af5dfe73b70e3bc1c36439982b18a8d76803db9b544f6fdf838a37fbb01b64",  # offline copy
    },
    "cifar-10-python.tar.gz": {"6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"},
    "cifar10-subset.npz": {"1bafd91b5b84ed30c41f392a8ef9516a577d599b2653cd143312d79c3ca37222"},
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
    """Raised when a dataset file on disk fails its checksum or cannot be read."""


def data_dir() -> Path | None:
    """Return the data directory from ``COURSE_DATA_DIR``, or None when it is not set."""
    value = os.environ.get("COURSE_DATA_DIR", "").strip()
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        raise ValueError(
            f"COURSE_DATA_DIR={value!r} is not a directory; point it at the folder holding "
            f"{', '.join(FILES['mnist'] + FILES['cifar10'])} and fashion-mnist/, or unset it"
        )
    return path


def keras_cache_dir() -> Path:
    """Return Keras' dataset cache folder (``$KERAS_HOME/datasets`` or ``~/.keras/datasets``)."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets"


def sha256_of(path: Path, decompress: bool = False) -> str:
    """Return the SHA-256 hex digest of a file (of its gunzipped bytes with ``decompress=True``)."""
    digest = hashlib.sha256()
    opener = gzip.open if decompress else open
    with opener(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verify(path: Path) -> None:
    name = path.name
    if name in CONTENT_SHA256:
        try:
            got = sha256_of(path, decompress=True)
        except (OSError, EOFError) as e:
            raise CorruptDataError(f"{path} is not a readable gzip file ({e}); {_replace_hint(path)}") from e
        ok = got == CONTENT_SHA256[name]
        expected = CONTENT_SHA256[name]
    else:
        got = sha256_of(path)
        ok = got in FILE_SHA256.get(name, set())
        expected = " or ".join(sorted(FILE_SHA256.get(name, set())))
    if not ok:
        raise CorruptDataError(
            f"{path} has SHA-256 {got}, expected {expected}: the file is corrupt, truncated or a "
            f"different version. It was left in place; {_replace_hint(path)}"
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


def _load_cifar_tar(path: Path) -> Arrays:
    _verify(path)  # checked before unpickling: only the known archive is ever unpickled
    with tarfile.open(path, "r:gz") as tar:
        batches = {
            Path(m.name).name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()
        }
    train = [_cifar_batch(batches[f"data_batch_{i}"]) for i in range(1, 6)]
    x_test, y_test = _cifar_batch(batches["test_batch"])
    x_train = np.concatenate([x for x, _ in train])
    y_train = np.concatenate([y for _, y in train])
    return (x_train, y_train), (x_test, y_test)


def _load_cifar_keras_cache(folder: Path) -> Arrays:
    # Keras verified the archive's checksum when it downloaded and extracted it here.
    try:
        train = [_cifar_batch((folder / f"data_batch_{i}").read_bytes()) for i in range(1, 6)]
        x_test, y_test = _cifar_batch((folder / "test_batch").read_bytes())
    except Exception as e:  # noqa: BLE001  (any unpickling failure means a damaged cache)
        raise CorruptDataError(
            f"the CIFAR-10 files in {folder} cannot be read ({type(e).__name__}: {e}). They were left "
            f"in place; {_replace_hint(folder)}"
        ) from e
    x_train = np.concatenate([x for x, _ in train])
    y_train = np.concatenate([y for _, y in train])
    return (x_train, y_train), (x_test, y_test)


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
        elif name == "fashion_mnist" and (root / "fashion-mnist" / FASHION_FILES[0]).is_file():
            p = root / "fashion-mnist"
            found.append((where, p, lambda p=p: _load_fashion(p)))
        elif name == "cifar10":
            for fname in ("cifar-10-python.tar.gz", "cifar10-subset.npz"):
                p = root / fname
                if p.is_file():
                    loader = _load_cifar_tar if fname.endswith(".tar.gz") else _load_npz
                    found.append((where, p, lambda p=p, f=loader: f(p)))
                    break
            else:
                p = root / "cifar-10-batches-py-target" / "cifar-10-batches-py"
                if where == "Keras cache" and (p / "test_batch").is_file():
                    found.append((where, p, lambda p=p: _load_cifar_keras_cache(p)))
    return found


def _check_layout(name: str, arrays: Arrays, source: Path) -> None:
    (x_train, y_train), (x_test, y_test) = arrays
    got = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    for key, arr in got.items():
        want = SHAPES[name][key]
        if arr.dtype != np.uint8 or arr.shape[1:] != want[1:] or not 0 < arr.shape[0] <= want[0]:
            raise CorruptDataError(
                f"{source}: {key} has shape {arr.shape} and dtype {arr.dtype}; {name} needs "
                f"(N,{','.join(map(str, want[1:]))}) uint8 with N <= {want[0]}"
            )


def _download(name: str) -> Arrays:
    import keras

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
    places = ([f"{directory} (COURSE_DATA_DIR)"] if directory else []) + [f"{keras_cache_dir()} (Keras cache)"]
    return (
        f"{name} was not found in {' or '.join(places)} and could not be downloaded ({reason}).\n"
        f"Fix: place {' + '.join(FILES[name])} in a folder and set COURSE_DATA_DIR to it, or run "
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
    profile = profile or profiles.profile_name()
    if profile == "smoke" or os.environ.get("COURSE_OFFLINE") == "1":
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
    return arrays, f"{name} downloaded by Keras into {keras_cache_dir()}"


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


def load(
    name: str,
    train_size: int | None = None,
    test_size: int | None = None,
    seed: int = 0,
    verbose: bool = True,
) -> Arrays:
    """Return ``(x_train, y_train), (x_test, y_test)`` uint8 arrays, optionally stratified subsets.

    Shapes follow Keras ``load_data()``: MNIST/Fashion-MNIST (N, 28, 28), labels (N,);
    CIFAR-10 (N, 32, 32, 3), labels (N, 1). Prints one line saying where the data came from.

    Usage::

        (x_train, y_train), (x_test, y_test) = load("cifar10", 500, 100)
        # prints: cifar10 from the data directory (cifar10-subset.npz): 500 train / 100 test images
    """
    profile = profiles.profile_name()
    try:
        ((x_train, y_train), (x_test, y_test)), source = load_full(name, profile)
    except DataNotFoundError as e:
        if profile != "smoke":
            raise
        n_train, n_test = train_size or 600, test_size or 100
        print(
            f"NOTICE: {name} was not found on this machine, so this run uses a SYNTHETIC stand-in "
            f"({n_train} train / {n_test} test images of the same shape and dtype).\n"
            f"        Results below say nothing about real {name}. {str(e).splitlines()[-1]}"
        )
        return synthetic(name, n_train, n_test, seed)
    x_train, y_train = stratified_subset(x_train, y_train, train_size, seed)
    x_test, y_test = stratified_subset(x_test, y_test, test_size, seed)
    if verbose:
        print(f"{source}: {len(x_train):,} train / {len(x_test):,} test images")
    return (x_train, y_train), (x_test, y_test)


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
            print(f"{name}: already present and verified in the {where} ({path})")
            continue
        _download(name)
        for _, path, loader in _candidates(name):
            _check_layout(name, loader(), path)
            print(f"{name}: downloaded and verified: {path}")
            break
        else:
            print(f"{name}: downloaded into {keras_cache_dir()}")


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
):
    """Build a ``tf.data`` pipeline: shuffle, batch, then per batch scale/pad/resize/augment, prefetch.

    ``x`` is uint8 NHW or NHWC; batches come out float32 NHWC in [0, 1]. Resizing and augmentation
    run per batch inside the pipeline, never on the whole array in memory (on a GPU, a Resizing layer
    inside the model moves that work onto the accelerator). ``y`` may be an array, tuple or dict
    (multi-output models).

    Example:
        >>> ds = make_dataset(np.zeros((10, 28, 28), np.uint8), np.zeros(10), batch_size=4, pad=2)
        >>> next(iter(ds))[0].shape
        TensorShape([4, 32, 32, 1])
    """
    tf = profiles.import_tensorflow_quietly()
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4:
        raise ValueError(f"x must be N x H x W or N x H x W x C images, got shape {x.shape}")
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)

    def prepare(images, labels):
        images = tf.cast(images, tf.float32) / 255.0
        if pad:
            images = tf.pad(images, [[0, 0], [pad, pad], [pad, pad], [0, 0]])
        if image_size is not None:
            images = tf.image.resize(images, (image_size, image_size))
        if augment is not None:
            images = augment(images)
        return images, labels

    return ds.map(prepare, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def describe_sources() -> None:
    """Print, for each dataset, the file it would be loaded from (or that it would be downloaded)."""
    directory = data_dir()
    print(f"COURSE_DATA_DIR: {directory if directory else 'not set'}; Keras cache: {keras_cache_dir()}")
    for name in DATASETS:
        found = _candidates(name)
        where = f"{found[0][0]}: {found[0][1]}" if found else "not on this machine: would download (or stand-in in smoke)"
        print(f"  {name:<14}{where}")


CAPTCHA_FONTS = ("DejaVuSans-Bold.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSansMono-Bold.ttf")


def captcha(
    n: int,
    seed: int = 0,
    length: int = 4,
    height: int = 60,
    width: int = 160,
    alphabet: str = "0123456789",
) -> tuple[np.ndarray, np.ndarray]:
    """Generate ``n`` CAPTCHA images of ``length`` characters, offline and deterministically.

    Returns ``x`` (n, height, width, 1) uint8 grey images (seed 000's 60 x 160 x 1 input) and ``y``
    (n, length) uint8 character indices into ``alphabet``: one column per softmax head. Characters
    are drawn in fonts that ship with matplotlib, each rotated and shifted at random, over noise
    and interference lines, so nothing is downloaded.

    Example:
        >>> x, y = captcha(3, seed=1)
        >>> x.shape, x.dtype, y.shape
        ((3, 60, 160, 1), dtype('uint8'), (3, 4))
    """
    import matplotlib
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    if n <= 0 or length <= 0:
        raise ValueError(f"n and length must be positive, got n={n}, length={length}")
    if width < 20 * length or height < 24:
        raise ValueError(f"{width} x {height} pixels are too small for {length} characters; use at least {20 * length} x 24")
    font_dir = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    size = int(height * 0.6)
    fonts = [ImageFont.truetype(str(font_dir / f), size) for f in CAPTCHA_FONTS]
    rng = np.random.default_rng(seed)
    x = np.empty((n, height, width, 1), np.uint8)
    y = rng.integers(0, len(alphabet), size=(n, length)).astype(np.uint8)
    slot = width / length
    for i in range(n):
        canvas = Image.new("L", (width, height), int(rng.integers(200, 256)))
        for j, c in enumerate(y[i]):
            glyph = Image.new("L", (size + 8, size + 8), 0)
            font = fonts[int(rng.integers(len(fonts)))]
            ImageDraw.Draw(glyph).text((4, 0), alphabet[c], fill=255, font=font)
            glyph = glyph.rotate(float(rng.uniform(-25, 25)), resample=Image.BILINEAR)
            ink = Image.new("L", glyph.size, int(rng.integers(0, 90)))
            left = int(j * slot + rng.uniform(0, max(1.0, slot - glyph.size[0])))
            top = int(rng.uniform(0, max(1, height - glyph.size[1])))
            canvas.paste(ink, (left, top), glyph)
        draw = ImageDraw.Draw(canvas)
        for _ in range(3):
            points = [(int(rng.integers(0, width)), int(rng.integers(0, height))) for _ in range(2)]
            draw.line(points, fill=int(rng.integers(0, 120)), width=int(rng.integers(1, 3)))
        canvas = canvas.filter(ImageFilter.SMOOTH)
        noisy = np.asarray(canvas, np.int16) + rng.integers(-25, 26, size=(height, width))
        x[i, ..., 0] = np.clip(noisy, 0, 255).astype(np.uint8)
    return x, y
