"""AlexNet's data augmentation, small: random crops and flips, PCA colour shifts, ten-crop testing.

Images are NHWC float32 in [0, 1]. The paper trained on random 224 x 224 crops of 256 x 256 images
(and their mirror images) and tested on ten 224 x 224 views: the four corner crops, the centre crop
and their mirror images. Scaled to CIFAR-10's 32 x 32 images the same recipe crops 28 x 28: random
crops for training (:func:`random_crop_flip` with ``size=28``), the centre crop as the single test
view (:func:`center_crop`) and the ten views for ten-crop testing (:func:`ten_crops`), every crop
taken from the image itself. (``random_crop_flip`` with ``pad`` instead mirror-pads the border and
crops back to the original size, the common CIFAR-10 recipe.)

Example:
    >>> import numpy as np
    >>> ten_crops(np.zeros((2, 32, 32, 3), "float32"), size=28).shape     # 10 views of each image
    (10, 2, 28, 28, 3)
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def crops_per_image(big: int, crop: int, flips: bool = True) -> int:
    """Return how many distinct crops (times 2 with horizontal flips) a ``big`` square image gives.

    A ``crop``-pixel window fits at ``big - crop + 1`` positions per axis.

    Example:
        >>> crops_per_image(256, 224)                    # the paper's factor, counted exactly
        2178
    """
    return (big - crop + 1) ** 2 * (2 if flips else 1)


def random_crop_flip(images, pad: int = 4, size: int | None = None):
    """Return each image of a batch cropped at a random place to ``size`` x ``size``, flipped with probability 1/2.

    ``pad`` mirror-pads the border first (0: crop from the image itself); ``size`` defaults to the
    image's own side. The paper's way for 32 x 32 images is ``pad=0, size=28``: random 28 x 28 crops
    of the image; ``pad=4`` (size unchanged) is the common CIFAR-10 recipe. Works per batch inside a
    ``tf.data`` pipeline (``make_dataset(..., augment=lambda x: random_crop_flip(x, 0, 28))``).

    Example:
        >>> import numpy as np
        >>> random_crop_flip(np.zeros((2, 32, 32, 3), "float32"), pad=0, size=28).shape
        TensorShape([2, 28, 28, 3])
    """
    images = tf.convert_to_tensor(images, tf.float32)
    h, w, c = images.shape[1], images.shape[2], images.shape[3]
    size_h, size_w = (h, w) if size is None else (size, size)
    if size_h > h + 2 * pad or size_w > w + 2 * pad:
        raise ValueError(f"a {size_h} x {size_w} crop does not fit in {h} x {w} images padded by {pad}; "
                         "use a smaller size or a larger pad")
    if pad:
        images = tf.pad(images, [[0, 0], [pad, pad], [pad, pad], [0, 0]], mode="REFLECT")
    cropped = tf.map_fn(lambda im: tf.image.random_crop(im, [size_h, size_w, c]), images)
    return tf.image.random_flip_left_right(cropped)


def _crop_offsets(images, size: int) -> tuple[int, int]:
    """Return the spare rows and columns (H - size, W - size) of NHWC ``images``; raise if ``size`` is too big."""
    h, w = int(images.shape[1]), int(images.shape[2])
    if not 0 < size <= min(h, w):
        raise ValueError(f"crop size {size} does not fit in {h} x {w} images; use 1 .. {min(h, w)}")
    return h - size, w - size


def center_crop(images, size: int):
    """Return the centre ``size`` x ``size`` crop of each image of an NHWC batch (NumPy array or tensor).

    The single test view that goes with training on random ``size`` crops (the paper: the centre
    224 x 224 of a 256 x 256 image). With an odd number of spare pixels the extra one is at the end.

    Example:
        >>> import numpy as np
        >>> x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
        >>> center_crop(x, 2)[0, :, :, 0]
        array([[ 5.,  6.],
               [ 9., 10.]], dtype=float32)
    """
    spare_h, spare_w = _crop_offsets(images, size)
    top, left = spare_h // 2, spare_w // 2
    return images[:, top : top + size, left : left + size]


def pca_colour_basis(images) -> tuple[np.ndarray, np.ndarray]:
    """Return (eigenvalues, eigenvectors as columns) of the RGB covariance over every pixel of ``images``.

    Example:
        >>> x = np.random.default_rng(0).random((8, 4, 4, 3))
        >>> values, vectors = pca_colour_basis(x)
        >>> values.shape, vectors.shape
        ((3,), (3, 3))
    """
    pixels = np.asarray(images, np.float64).reshape(-1, 3)
    covariance = np.cov(pixels, rowvar=False)
    values, vectors = np.linalg.eigh(covariance)
    return values, vectors


def pca_colour_shift(images, values: np.ndarray, vectors: np.ndarray, sigma: float = 0.1, seed: int | None = None) -> np.ndarray:
    """Add the paper's colour shift to each image: ``[p1 p2 p3] @ [a1*l1, a2*l2, a3*l3]``, ``a_i ~ N(0, sigma)``.

    ``p_i`` and ``l_i`` are the eigenvectors and eigenvalues of the RGB covariance
    (:func:`pca_colour_basis`); one draw of ``a`` per image, the same shift for all its pixels.

    Example:
        >>> x = np.full((1, 2, 2, 3), 0.5)
        >>> float(pca_colour_shift(x, np.ones(3), np.eye(3), sigma=0.0).max())
        0.5
    """
    images = np.asarray(images, np.float32)
    rng = np.random.default_rng(seed)
    alphas = rng.normal(0.0, sigma, size=(len(images), 3))
    shifts = (alphas * values) @ vectors.T  # one RGB shift per image
    return np.clip(images + shifts[:, None, None, :].astype(np.float32), 0.0, 1.0)


def ten_crops(images, size: int) -> np.ndarray:
    """Return the paper's ten test views of each image: four corner crops, the centre crop, their mirror images.

    Every view is a ``size`` x ``size`` crop of the image itself (no padding), as in the paper's
    ten 224 x 224 views of a 256 x 256 image. Shape ``(10, N, size, size, C)``, in the order top
    left, top right, bottom left, bottom right, centre, then the same five mirrored; view 4 is
    :func:`center_crop`.

    Example:
        >>> x = np.arange(9, dtype="float32").reshape(1, 3, 3, 1)
        >>> ten_crops(x, 2)[:4, 0, 0, 0, 0]         # the top-left pixel of each corner crop
        array([0., 1., 3., 4.], dtype=float32)
    """
    images = np.asarray(images, np.float32)
    spare_h, spare_w = _crop_offsets(images, size)
    corners = [(0, 0), (0, spare_w), (spare_h, 0), (spare_h, spare_w)]
    views = [images[:, r : r + size, c : c + size] for r, c in corners]
    views.append(center_crop(images, size))
    views += [v[:, :, ::-1] for v in views]  # horizontal flips
    return np.stack(views)


def ten_crop_predict(model, images, size: int, batch_size: int = 256) -> np.ndarray:
    """Return class probabilities averaged over the ten views of :func:`ten_crops` (N x classes).

    ``images`` are NHWC floats in [0, 1]; ``model`` takes ``size`` x ``size`` inputs.
    """
    views = ten_crops(images, size)
    probabilities = [model.predict(v, batch_size=batch_size, verbose=0) for v in views]
    return np.mean(probabilities, axis=0)
