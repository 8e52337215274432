"""AlexNet's data augmentation, small: random crops and flips, PCA colour shifts, ten-crop testing.

Images are NHWC float32 in [0, 1]. The paper cropped 224 x 224 patches from 256 x 256 images; for
32 x 32 CIFAR-10 images the course pads by a few pixels (mirroring the border) and crops back to
32 x 32, so the network keeps its input size.

Example:
    >>> import numpy as np
    >>> ten_crops(np.zeros((2, 32, 32, 3), "float32"), pad=2).shape     # 10 views of each image
    (10, 2, 32, 32, 3)
"""

from __future__ import annotations

import numpy as np

from .profiles import import_tensorflow_quietly


def crops_per_image(big: int, crop: int, flips: bool = True) -> int:
    """Return how many distinct crops (times 2 with horizontal flips) a ``big`` square image gives.

    A ``crop``-pixel window fits at ``big - crop + 1`` positions per axis.

    Example:
        >>> crops_per_image(256, 224)                    # the paper's factor, counted exactly
        2178
    """
    return (big - crop + 1) ** 2 * (2 if flips else 1)


def random_crop_flip(images, pad: int = 4):
    """Return each image of a batch mirror-padded by ``pad``, cropped back at a random place, maybe flipped.

    Works per image inside a ``tf.data`` pipeline (``make_dataset(..., augment=random_crop_flip)``).
    """
    tf = import_tensorflow_quietly()
    images = tf.convert_to_tensor(images, tf.float32)
    h, w, c = images.shape[1], images.shape[2], images.shape[3]
    padded = tf.pad(images, [[0, 0], [pad, pad], [pad, pad], [0, 0]], mode="REFLECT")
    cropped = tf.map_fn(lambda im: tf.image.random_crop(im, [h, w, c]), padded)
    return tf.image.random_flip_left_right(cropped)


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


def ten_crops(images, pad: int = 2) -> np.ndarray:
    """Return the paper's ten test views of each image: four corners, centre, and their mirror images.

    The images are mirror-padded by ``pad`` first, so each crop has the original size. Shape
    ``(10, N, H, W, C)``; view 4 (the centre crop) is the unpadded image itself.
    """
    images = np.asarray(images, np.float32)
    h, w = images.shape[1:3]
    big = np.pad(images, [(0, 0), (pad, pad), (pad, pad), (0, 0)], mode="reflect")
    corners = [(0, 0), (0, 2 * pad), (2 * pad, 0), (2 * pad, 2 * pad), (pad, pad)]
    views = [big[:, r : r + h, c : c + w] for r, c in corners]
    views += [v[:, :, ::-1] for v in views]  # horizontal flips
    return np.stack(views)


def ten_crop_predict(model, images, pad: int = 2, batch_size: int = 256) -> np.ndarray:
    """Return class probabilities averaged over the ten views of :func:`ten_crops` (N x classes)."""
    views = ten_crops(images, pad)
    probabilities = [model.predict(v, batch_size=batch_size, verbose=0) for v in views]
    return np.mean(probabilities, axis=0)
