"""CAPTCHA datasets for notebooks 01 and 09: hand-drawn stand-ins and the ``captcha`` package's images, cached.

Notebook 09 reads four digits with one network and four softmax heads; its images come from the
``captcha`` package (:func:`load_captcha`), generated in parallel, reproducibly and cached outside
the repository. :func:`hand_drawn` draws an easier kind with Pillow, for notebook 01 and quick checks.

Example:
    >>> x, y = hand_drawn(2, seed=0)
    >>> x.shape, y.shape
    ((2, 60, 160, 1), (2, 4))
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
import random
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

import matplotlib
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from .folders import show_path
from .session import current
from .sources import LoadedData, note_source

CAPTCHA_FONTS = ("DejaVuSans-Bold.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSansMono-Bold.ttf")


def hand_drawn(
    n: int,
    seed: int = 0,
    length: int = 4,
    height: int = 60,
    width: int = 160,
    alphabet: str = "0123456789",
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` simple CAPTCHA images of ``length`` characters, offline and deterministically (the easy kind).

    Returns ``x`` (n, height, width, 1) uint8 grey images (the VGG16-CAPTCHA tutorial's 60 x 160 x 1 input) and ``y``
    (n, length) uint8 character indices into ``alphabet``: one column per softmax head. Characters
    are drawn in fonts that ship with matplotlib, each in its own slot, rotated and shifted at
    random, over noise and interference lines, so nothing is downloaded. Notebook 01 shows these as
    an example array; they are easier than what the VGG16-CAPTCHA tutorial reads (no overlap, no warping): notebook 09
    trains on the ``captcha`` package's images instead (:func:`load_captcha`).

    Example:
        >>> x, y = hand_drawn(3, seed=1)
        >>> x.shape, x.dtype, y.shape
        ((3, 60, 160, 1), dtype('uint8'), (3, 4))
    """

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


# --- CAPTCHAs from the `captcha` package (notebook 09) -------------------------------------------------------------
# ImageCaptcha draws each character in its bundled font at a random size, rotates and warps it, lets neighbours
# overlap, then adds noise dots and an arc: what the VGG16-CAPTCHA tutorial's network reads. The package draws its random numbers from
# `secrets` (the operating system), so on its own no two runs agree, and it takes no random source. The course draws
# with a private copy of the module `captcha.image` (_image_module) whose `secrets` is a seeded stream
# (_SeededSecrets): every image is a function of (seed, chunk, position), the dataset is reproducible, and the
# `captcha` package itself is left untouched for anyone else in the process.

CAPTCHA_CHUNK = 250
"""Images per generation task: chunk ``k`` of seed ``s`` is drawn from its own stream, whatever the worker count."""

CAPTCHA_TEST_SEED = 9000
"""Seed of the fixed held-out CAPTCHA test set (:func:`load_captcha`); training sets use other seeds."""


class _SeededSecrets:
    """The three functions of the ``secrets`` module that ``captcha.image`` calls, drawn from a seeded stream."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def randbelow(self, n: int) -> int:
        return self._stream.randrange(n)

    def randbits(self, k: int) -> int:
        return self._stream.getrandbits(k)

    def choice(self, seq: Sequence[Any]) -> Any:
        return self._stream.choice(seq)


_IMAGE_MODULE: ModuleType | None = None


def _image_module() -> ModuleType:
    """A private copy of ``captcha.image`` (loaded once per process): its ``secrets`` is set per drawing."""
    global _IMAGE_MODULE
    if _IMAGE_MODULE is None:
        spec = importlib.util.find_spec("captcha.image")
        if spec is None or spec.loader is None:
            raise ImportError("the captcha package is missing: pip install -r requirements.txt")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _IMAGE_MODULE = module
    return _IMAGE_MODULE


def _draw_captcha(width: int, height: int, text: str, stream: random.Random) -> Any:
    """Draw ``text`` on a ``width`` x ``height`` CAPTCHA with random numbers from ``stream``; a grey PIL image."""
    module = _image_module()
    module.secrets = _SeededSecrets(stream)  # our copy only: the package's own module keeps the real `secrets`
    image = module.ImageCaptcha(width=width, height=height).generate_image(text)
    size = (width, height)
    if image.size != size:  # the package resizes to the requested size; never trust it blindly
        image = image.resize(size, Image.BILINEAR)
    return image.convert("L")


def captcha_image(text: str, seed: int = 0, *, height: int = 60, width: int = 160) -> Any:
    """Return a grey PIL image of ``text`` drawn by the ``captcha`` package, the same for the same text and seed.

    Example:
        >>> image = captcha_image("2024", seed=3)
        >>> image.size, image.mode, np.array_equal(np.asarray(image), np.asarray(captcha_image("2024", seed=3)))
        ((160, 60), 'L', True)
    """

    if not text:
        raise ValueError("text is empty: give the characters to draw, e.g. captcha_image('2024')")
    return _draw_captcha(width, height, text, random.Random(f"captcha-text:{seed}:{text}"))


def _captcha_chunk(task: tuple[int, int, int, int, int, int, str]) -> tuple[np.ndarray, np.ndarray]:
    """Draw chunk ``k`` (``count`` images) of the stream ``seed``: grey uint8 images and character indices."""

    seed, k, count, length, height, width, alphabet = task
    stream = random.Random(f"captcha:{seed}:{k}")  # a string seed is hashed the same way in every process
    x = np.empty((count, height, width, 1), np.uint8)
    y = np.empty((count, length), np.uint8)
    for i in range(count):
        y[i] = [stream.randrange(len(alphabet)) for _ in range(length)]
        x[i, ..., 0] = np.asarray(_draw_captcha(width, height, "".join(alphabet[c] for c in y[i]), stream))
    return x, y


def generate_captchas(
    n: int,
    seed: int = 0,
    *,
    length: int = 4,
    height: int = 60,
    width: int = 160,
    alphabet: str = "0123456789",
    workers: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Generate ``n`` CAPTCHAs with the ``captcha`` package: ``x`` (n, height, width, 1) uint8 grey, ``y`` (n, length).

    ``y[i, j]`` is the index in ``alphabet`` of character ``j`` of image ``i``: one column per softmax
    head. The images depend only on ``seed`` (and the package and Pillow versions), not on
    ``workers``: chunks of :data:`CAPTCHA_CHUNK` images are drawn in parallel processes (default: one
    per CPU core, none for a small ``n``) from their own seeded streams, and the first ``m`` images of
    a larger set are the same as a set of ``m``. Prefer :func:`captcha_set`, which caches the result.

    Example:
        >>> x, y = generate_captchas(3, seed=1)
        >>> x.shape, x.dtype, y.shape, y.dtype
        ((3, 60, 160, 1), dtype('uint8'), (3, 4), dtype('uint8'))
        >>> bool((generate_captchas(3, seed=1)[0] == x).all())
        True
    """
    if n <= 0 or length <= 0:
        raise ValueError(f"n and length must be positive, got n={n}, length={length}")
    if height < 20 or width < 20:
        raise ValueError(f"a {width} x {height} CAPTCHA is too small to read; use at least 20 x 20 (the VGG16-CAPTCHA tutorial: 160 x 60)")
    tasks = [(seed, k, min(CAPTCHA_CHUNK, n - start), length, height, width, alphabet)
             for k, start in enumerate(range(0, n, CAPTCHA_CHUNK))]
    workers = min(len(tasks), workers if workers is not None else (os.cpu_count() or 1))
    if workers <= 1:
        parts = [_captcha_chunk(task) for task in tasks]
    else:

        # fork (Linux): the workers start at once and use only Pillow and NumPy, never TensorFlow; spawn elsewhere
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() and os.name == "posix" else "spawn"
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as pool:
            parts = list(pool.map(_captcha_chunk, tasks))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def captcha_cache_dir() -> Path:
    """Return the folder that caches generated CAPTCHAs: ``captcha/`` in the course's cache folder.

    That is ``$COURSE_CACHE_DIR/captcha``, else ``$XDG_CACHE_HOME/cnn-classics/captcha`` or
    ``~/.cache/cnn-classics/captcha`` (next to the warm-start weights of :mod:`course_utils.warm_start`):
    never inside the repository (generated data is not committed) and independent of ``COURSE_DATA_DIR``.
    """
    return current().captcha_dir


def _captcha_versions() -> str:

    return f"captcha {metadata.version('captcha')}, Pillow {metadata.version('pillow')}"


def captcha_cache_file(n: int, seed: int, length: int = 4, height: int = 60, width: int = 160) -> Path:
    """Return where :func:`captcha_set` caches ``n`` CAPTCHAs of this size and seed (the file may not exist).

    Example:
        >>> captcha_cache_file(20000, seed=0).name
        'captcha-160x60-4chars-seed0-n20000.npz'
    """
    return captcha_cache_dir() / f"captcha-{width}x{height}-{length}chars-seed{seed}-n{n}.npz"


def _read_captcha_cache(path: Path, expected: dict[str, Any], image_shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray] | str:
    """Return the cached arrays, or a reason why the file cannot be used."""
    try:
        with np.load(path, allow_pickle=False) as f:
            x, y, meta = f["x"], f["y"], {k: f[k].item() for k in ("n", "seed", "length", "alphabet", "versions")}
    except Exception as error:  # a cut-short write, a damaged file, a file that is no .npz
        return f"it cannot be read ({type(error).__name__})"
    if meta != expected:
        changed = [k for k in expected if meta.get(k) != expected[k]]
        return f"it was made with other settings ({', '.join(changed)})"
    if x.shape != (expected["n"], *image_shape, 1) or y.shape != (expected["n"], expected["length"]):
        return f"its arrays have the wrong shapes {x.shape} and {y.shape}"
    return x, y


def captcha_set(
    n: int,
    seed: int = 0,
    *,
    length: int = 4,
    height: int = 60,
    width: int = 160,
    alphabet: str = "0123456789",
    workers: int | None = None,
    cache: bool = True,
    verbose: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Return :func:`generate_captchas`' ``(x, y)``, read from the cache file when it is there, else generated and cached.

    The cache file (:func:`captcha_cache_file`) is keyed by size, length, seed and count, and records
    the ``captcha`` and Pillow versions: a file made by other versions, or one that cannot be read
    (a run cut short while writing), is generated again, with a line saying why. The file is
    written under a temporary name and renamed, so a half-written file never looks complete.

    Example:
        >>> x, y = captcha_set(2, seed=5, cache=False, verbose=False)
        >>> x.shape, y.shape
        ((2, 60, 160, 1), (2, 4))
    """

    path = captcha_cache_file(n, seed, length, height, width)
    expected = {"n": n, "seed": seed, "length": length, "alphabet": alphabet, "versions": _captcha_versions()}
    if cache and path.is_file():
        cached = _read_captcha_cache(path, expected, (height, width))
        if not isinstance(cached, str):
            if verbose:
                print(f"{n:,} CAPTCHAs (seed {seed}) read from the cache {show_path(path)}")
            return cached
        print(f"the cached CAPTCHAs {show_path(path)} are not usable: {cached}; generating them again")
    start = time.perf_counter()
    x, y = generate_captchas(n, seed, length=length, height=height, width=width, alphabet=alphabet, workers=workers)
    seconds = time.perf_counter() - start
    if cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.stem}.{os.getpid()}.partial.npz")
        np.savez_compressed(partial, x=x, y=y, **{k: np.array(v) for k, v in expected.items()})
        os.replace(partial, path)
    if verbose:
        where = f", cached in {show_path(path)}" if cache else ""
        print(f"{n:,} CAPTCHAs (seed {seed}) generated in {seconds:.1f} s{where}")
    return x, y


def load_captcha(
    train_size: int,
    test_size: int = 2000,
    seed: int = 0,
    *,
    stand_in: bool = False,
    workers: int | None = None,
    cache: bool = True,
    verbose: bool = True,
) -> LoadedData:
    """Return ``((x_train, y_train), (x_test, y_test))`` CAPTCHAs of the ``captcha`` package, 60 x 160 x 1, 4 digits.

    The test set is the fixed held-out set: seed :data:`CAPTCHA_TEST_SEED`, whatever ``seed`` the
    training set uses (a smaller ``test_size`` takes the first images of the same stream), so
    results of different runs are measured on the same images. Both sets are cached
    (:func:`captcha_set`). The source is "real file" (these are the images the task is about);
    ``stand_in=True`` uses the hand-drawn :func:`hand_drawn` instead, a "synthetic stand-in" for quick
    checks. ``last_source("captcha")`` answers afterwards.

    Example:
        >>> loaded = load_captcha(4, 2, cache=False, verbose=False)
        >>> (x_train, y_train), (x_test, y_test) = loaded
        >>> x_train.shape, y_test.shape, loaded.source
        ((4, 60, 160, 1), (2, 4), 'real file')
    """
    if seed == CAPTCHA_TEST_SEED:
        raise ValueError(f"seed {CAPTCHA_TEST_SEED} draws the held-out test set; train on another seed")
    if train_size <= 0 or test_size <= 0:
        raise ValueError(f"train_size and test_size must be positive, got {train_size} and {test_size}")
    if stand_in:
        arrays = (hand_drawn(train_size, seed=seed), hand_drawn(test_size, seed=CAPTCHA_TEST_SEED))
        source = "synthetic stand-in"
        description = (f"captcha: {train_size:,} train / {test_size:,} test hand-drawn stand-in images "
                       "(captchas.hand_drawn, easier than the captcha package's)")
    else:
        train = captcha_set(train_size, seed, workers=workers, cache=cache, verbose=verbose)
        test = captcha_set(test_size, CAPTCHA_TEST_SEED, workers=workers, cache=cache, verbose=verbose)
        arrays, source = (train, test), "real file"
        description = (f"captcha: {train_size:,} train / {test_size:,} held-out test images from the captcha package "
                       f"({_captcha_versions()})")
    if verbose:
        print(description)
    note_source("captcha", source)
    return LoadedData(arrays, source, description)
