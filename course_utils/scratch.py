"""Operations from scratch in NumPy, written to be read line by line (speed is not the point).

Each function mirrors a Keras layer and is checked against it in the notebooks and in
tests/test_scratch*.py. Images are NHWC float arrays unless stated otherwise.
"""

from __future__ import annotations

import numpy as np

from .arithmetic import conv_output_size, pool_output_size, same_padding

# --- images and convolution (01/02) ----------------------------------------------------------

# ITU-R BT.709 luminance weights (what scikit-image's rgb2gray uses): green looks brightest to us.
GRAY_WEIGHTS = (0.2125, 0.7154, 0.0721)

# Classic 3 x 3 kernels (rows = image rows). Deep-learning "convolution" does not flip the kernel,
# so the Sobel kernels below respond positively where brightness grows to the right / downwards.
KERNELS: dict[str, np.ndarray] = {
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=np.float32),
    "vertical edges (Sobel x)": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32),
    "horizontal edges (Sobel y)": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=np.float32),
    "blur (box 3x3)": np.full((3, 3), 1 / 9, dtype=np.float32),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float32),
}


def to_unit_range(images: np.ndarray) -> np.ndarray:
    """Scale uint8 pixels 0..255 to float32 values in [0, 1] (any shape, e.g. HWC or NHWC).

    Example:
        >>> to_unit_range(np.array([0, 51, 255], dtype=np.uint8))
        array([0. , 0.2, 1. ], dtype=float32)
    """
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise ValueError(f"to_unit_range expects uint8 pixels 0..255, got dtype {images.dtype}; "
                         "float images are usually scaled already")
    return images.astype(np.float32) / 255.0


def rgb_to_gray(images: np.ndarray, weights: tuple[float, float, float] = GRAY_WEIGHTS) -> np.ndarray:
    """Convert RGB images (..., H, W, 3) to grey (..., H, W, 1): a weighted sum of the channels.

    uint8 input is first scaled to [0, 1]; the channel axis is kept (size 1), as Keras expects.

    Example:
        >>> rgb_to_gray(np.array([[[0, 255, 0]]], dtype=np.uint8))   # one pure green pixel
        array([[[0.7154]]], dtype=float32)
    """
    images = np.asarray(images)
    if images.shape[-1] != 3:
        raise ValueError(f"rgb_to_gray needs 3 channels on the last axis (H, W, 3), got shape {images.shape}")
    if images.dtype == np.uint8:
        images = to_unit_range(images)
    red, green, blue = images[..., 0], images[..., 1], images[..., 2]
    gray = weights[0] * red + weights[1] * green + weights[2] * blue
    return gray[..., np.newaxis].astype(np.float32)


def correlate2d(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Slide ``kernel`` over a 2-D ``image``; at each position multiply element-wise and sum.

    This is what Keras' ``Conv2D`` computes for one channel and one filter (stride 1, ``'valid'``,
    no bias): mathematically a cross-correlation, since the kernel is not flipped. An H x W image
    and a kh x kw kernel give an (H - kh + 1) x (W - kw + 1) feature map.

    Example:
        >>> image = np.arange(16.0).reshape(4, 4)
        >>> correlate2d(image, np.ones((3, 3)))
        array([[45., 54.],
               [81., 90.]])
    """
    image, kernel = np.asarray(image), np.asarray(kernel)
    if image.ndim != 2 or kernel.ndim != 2:
        raise ValueError(f"correlate2d needs a 2-D image and a 2-D kernel, got shapes {image.shape} and {kernel.shape}; "
                         "use conv2d for NHWC batches")
    kh, kw = kernel.shape
    h_out, w_out = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    if h_out < 1 or w_out < 1:
        raise ValueError(f"kernel {kernel.shape} is larger than the image {image.shape}; use a smaller kernel")
    out = np.zeros((h_out, w_out), dtype=np.result_type(image, kernel))
    for i in range(h_out):  # each output row...
        for j in range(w_out):  # ...and column is one kernel position
            patch = image[i:i + kh, j:j + kw]  # the pixels under the kernel
            out[i, j] = np.sum(patch * kernel)  # multiply element-wise, then add everything up
    return out


def _hw(value: int | tuple[int, int]) -> tuple[int, int]:
    """Return (height, width) from an int or a pair (Keras accepts both for kernels and strides)."""
    return (int(value), int(value)) if np.ndim(value) == 0 else (int(value[0]), int(value[1]))


def pad_same(x: np.ndarray, k: int | tuple[int, int], s: int | tuple[int, int] = 1) -> np.ndarray:
    """Zero-pad an NHWC batch as Keras' ``padding='same'`` does for kernel ``k`` and stride ``s``.

    The padding of each axis comes from :func:`course_utils.arithmetic.same_padding`: when the
    total is odd (e.g. stride 2 on an even side) the extra row/column goes at the bottom/right.

    Example:
        >>> pad_same(np.ones((1, 4, 4, 1)), k=3, s=2)[0, ..., 0]     # nothing on top/left
        array([[1., 1., 1., 1., 0.],
               [1., 1., 1., 1., 0.],
               [1., 1., 1., 1., 0.],
               [1., 1., 1., 1., 0.],
               [0., 0., 0., 0., 0.]])
    """
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"pad_same needs an NHWC batch (N, H, W, C), got shape {x.shape}")
    (kh, kw), (sh, sw) = _hw(k), _hw(s)
    top, bottom = same_padding(x.shape[1], kh, sh)
    left, right = same_padding(x.shape[2], kw, sw)
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))  # zeros around H and W only


def conv2d(
    x: np.ndarray,
    kernel: np.ndarray,
    bias: np.ndarray | None = None,
    stride: int | tuple[int, int] = 1,
    padding: str = "valid",
) -> np.ndarray:
    """A convolution layer from scratch, like ``keras.layers.Conv2D`` (no activation).

    ``x`` is an NHWC batch (N, H, W, C_in); ``kernel`` has Keras' layout (kh, kw, C_in, C_out):
    C_out filters, each kh x kw x C_in; ``bias`` has C_out values (or None). Each output value is
    the sum, over the kh x kw window and all input channels, of pixel times weight, plus the
    filter's bias. Returns (N, H_out, W_out, C_out): one feature map per filter.

    Example:
        >>> x = np.ones((2, 5, 5, 3))                      # 2 images, 5 x 5, RGB
        >>> y = conv2d(x, np.ones((3, 3, 3, 4)), bias=np.zeros(4))
        >>> y.shape, float(y[0, 0, 0, 0])                   # 4 filters -> 4 maps; 3*3*3 ones summed
        ((2, 3, 3, 4), 27.0)
    """
    x, kernel = np.asarray(x), np.asarray(kernel)
    if x.ndim != 4:
        raise ValueError(f"conv2d needs an NHWC batch (N, H, W, C), got shape {x.shape}; add axes with x[None, ..., None]")
    if kernel.ndim != 4 or kernel.shape[2] != x.shape[3]:
        raise ValueError(f"the kernel must be (kh, kw, C_in={x.shape[3]}, C_out), got shape {kernel.shape}")
    padding = padding.lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    kh, kw, _, c_out = kernel.shape
    sh, sw = _hw(stride)
    if padding == "same":
        x = pad_same(x, (kh, kw), (sh, sw))
    n, h, w, _ = x.shape
    if kh > h or kw > w:
        raise ValueError(f"kernel {kh}x{kw} is larger than the {h}x{w} input with padding='valid'; "
                         "use padding='same' or a smaller kernel")
    h_out, w_out = (h - kh) // sh + 1, (w - kw) // sw + 1  # floor((n - k) / s) + 1
    out = np.zeros((n, h_out, w_out, c_out), dtype=np.result_type(x, kernel, np.float32))
    for i in range(h_out):
        for j in range(w_out):
            patch = x[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :]  # (N, kh, kw, C_in): the window
            # every filter at once: (N, kh, kw, C_in, 1) * (kh, kw, C_in, C_out), summed over the window
            out[:, i, j, :] = np.sum(patch[..., np.newaxis] * kernel, axis=(1, 2, 3))
    if bias is not None:
        out = out + np.asarray(bias)  # one bias per filter, added to its whole map
    return out


# --- padding, stride and pooling (03/04): sizes and 'same' padding come from course_utils.arithmetic ---


def _pair(value: int | tuple[int, int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, (int, np.integer)) else (int(value[0]), int(value[1]))


def _pool_padding(n: int, pool: int, stride: int, padding: str) -> tuple[int, int]:
    """Return the (before, after) padding of one axis for Keras' 'valid' or 'same'."""
    padding = padding.lower()
    if padding == "valid":
        return 0, 0
    if padding == "same":
        return same_padding(n, pool, stride)  # the odd pixel goes after, as in Keras
    raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")


def _pool2d(x: np.ndarray, pool, stride, padding: str, reduce: str) -> np.ndarray:
    """Slide a pool window over an NHWC batch and reduce each window with max or mean."""
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"pooling needs an NHWC batch (N, H, W, C), got shape {x.shape}; add axes with x[None, ..., None]")
    x = x.astype(np.result_type(x.dtype, np.float32))
    (ph, pw), (sh, sw) = _pair(pool), _pair(stride if stride is not None else pool)
    _, h, w, _ = x.shape
    h_out = pool_output_size(h, ph, sh, padding)  # raises a clear error if the window is too big
    w_out = pool_output_size(w, pw, sw, padding)
    (top, bottom), (left, right) = _pool_padding(h, ph, sh, padding), _pool_padding(w, pw, sw, padding)
    pads = ((0, 0), (top, bottom), (left, right), (0, 0))
    # Padded cells must never win: -inf for max; for the mean they are left out of the count.
    x_pad = np.pad(x, pads, constant_values=-np.inf if reduce == "max" else 0.0)
    real = np.pad(np.ones_like(x), pads, constant_values=0.0)  # 1 where a pixel is real, 0 where padded
    out = np.empty((x.shape[0], h_out, w_out, x.shape[3]), dtype=x.dtype)
    for i in range(h_out):
        for j in range(w_out):
            rows, cols = slice(i * sh, i * sh + ph), slice(j * sw, j * sw + pw)
            window = x_pad[:, rows, cols, :]
            if reduce == "max":
                out[:, i, j, :] = window.max(axis=(1, 2))
            else:
                out[:, i, j, :] = window.sum(axis=(1, 2)) / real[:, rows, cols, :].sum(axis=(1, 2))
    return out


def max_pool2d(x: np.ndarray, pool: int | tuple[int, int] = 2, stride: int | tuple[int, int] | None = None,
               padding: str = "valid") -> np.ndarray:
    """Max pooling from scratch, like ``keras.layers.MaxPooling2D``: the largest value of each window.

    ``x`` is NHWC (N, H, W, C); the stride defaults to the window (non-overlapping pooling); with
    ``padding='same'`` the padded cells never win. Returns (N, H_out, W_out, C).

    Example:
        >>> x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
        >>> max_pool2d(x, 2)[0, ..., 0]
        array([[ 5.,  7.],
               [13., 15.]], dtype=float32)
    """
    return _pool2d(x, pool, stride, padding, "max")


def avg_pool2d(x: np.ndarray, pool: int | tuple[int, int] = 2, stride: int | tuple[int, int] | None = None,
               padding: str = "valid") -> np.ndarray:
    """Average pooling from scratch, like ``keras.layers.AveragePooling2D``: the mean of each window.

    ``x`` is NHWC. With ``padding='same'`` the padded cells are left out of the average (Keras and
    TensorFlow divide by the number of real pixels in the window, not by the window size).

    Example:
        >>> x = np.arange(9, dtype=np.float32).reshape(1, 3, 3, 1)
        >>> avg_pool2d(x, 2, padding="same")[0, ..., 0]      # the last column/row average fewer pixels
        array([[2. , 3.5],
               [6.5, 8. ]], dtype=float32)
    """
    return _pool2d(x, pool, stride, padding, "mean")


def global_avg_pool2d(x: np.ndarray) -> np.ndarray:
    """Global average pooling from scratch (``keras.layers.GlobalAveragePooling2D``): (N, H, W, C) -> (N, C).

    Example:
        >>> global_avg_pool2d(np.ones((2, 7, 7, 3))).shape
        (2, 3)
    """
    x = np.asarray(x)
    if x.ndim != 4:
        raise ValueError(f"global pooling needs an NHWC batch (N, H, W, C), got shape {x.shape}")
    return x.mean(axis=(1, 2))


def coverage_count(n: int, k: int, s: int = 1, p: int | tuple[int, int] | str = 0, d: int = 1) -> np.ndarray:
    """Return an n x n integer map: how many kernel positions cover each input pixel.

    A k x k kernel (dilation ``d``: it touches every d-th pixel) slides with stride ``s`` over an
    n x n input padded by ``p`` zeros on each side (an int, a (before, after) pair, or Keras'
    ``'valid'`` / ``'same'``). Pixels with 0 are never seen; border pixels are covered less often
    than central ones unless the input is padded.

    Example:
        >>> coverage_count(4, 3)                  # no padding: the corners are used once
        array([[1, 2, 2, 1],
               [2, 4, 4, 2],
               [2, 4, 4, 2],
               [1, 2, 2, 1]])
    """
    if isinstance(p, str):
        if p.lower() not in ("valid", "same"):
            raise ValueError(f"padding must be an int, a (before, after) pair, 'valid' or 'same', got {p!r}")
        before, after = (0, 0) if p.lower() == "valid" else same_padding(n, k, s, d)
    else:
        before, after = _pair(p)
    if before < 0 or after < 0:
        raise ValueError(f"padding must be >= 0, got {p!r}")
    span = d * (k - 1) + 1  # the dilated kernel's footprint
    n_pad = n + before + after
    n_out = conv_output_size(n_pad, span, s)  # raises a clear error if the kernel does not fit
    counts = np.zeros((n_pad, n_pad), dtype=int)
    for i in range(n_out):
        for j in range(n_out):
            rows = slice(i * s, i * s + span, d)  # the pixels this kernel position touches
            cols = slice(j * s, j * s + span, d)
            counts[rows, cols] += 1
    return counts[before:before + n, before:before + n]  # drop the padding: only real pixels count


# --- flatten, dense, dropout and batch normalization (05) ------------------------------------


def flatten(x: np.ndarray) -> np.ndarray:
    """Flatten each example of a batch into one vector: (N, H, W, C) -> (N, H*W*C).

    Like ``keras.layers.Flatten`` on NHWC data: row-major order, so the channel index changes
    fastest, then the column, then the row. The batch axis is kept.

    Example:
        >>> flatten(np.zeros((2, 7, 7, 512))).shape       # VGG16's last feature maps
        (2, 25088)
        >>> flatten(np.arange(8).reshape(1, 2, 2, 2))      # pixel (0,0): channels 0, 1; pixel (0,1): ...
        array([[0, 1, 2, 3, 4, 5, 6, 7]])
    """
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"flatten needs a batch (N, ...) with at least 2 axes, got shape {x.shape}; "
                         "add the batch axis with x[None]")
    return x.reshape(x.shape[0], -1)  # keep N, multiply out every other axis


def dense(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """A dense (fully connected) layer from scratch, like ``keras.layers.Dense`` without activation.

    ``x`` is (N, n_in); ``kernel`` has Keras' layout (n_in, n_out); ``bias`` has n_out values (or
    None). Each output unit is a weighted sum of *all* n_in inputs plus its own bias, so the layer
    has ``(n_in + 1) * n_out`` parameters. Returns (N, n_out): ``x @ kernel + bias``.

    Example:
        >>> dense(np.array([[1.0, 2.0, 3.0]]), np.ones((3, 2)), bias=np.array([0.5, -1.0]))
        array([[6.5, 5. ]])
    """
    x, kernel = np.asarray(x), np.asarray(kernel)
    if x.ndim != 2:
        raise ValueError(f"dense needs a batch of vectors (N, n_in), got shape {x.shape}; flatten images first")
    if kernel.ndim != 2 or kernel.shape[0] != x.shape[1]:
        raise ValueError(f"the kernel must be (n_in={x.shape[1]}, n_out), got shape {kernel.shape}")
    out = x @ kernel  # out[i, j] = sum over k of x[i, k] * kernel[k, j]
    if bias is not None:
        out = out + np.asarray(bias)  # one bias per output unit
    return out


def dropout(
    x: np.ndarray,
    rate: float,
    training: bool,
    rng: np.random.Generator | None = None,
    mask: np.ndarray | None = None,
) -> np.ndarray:
    """Inverted dropout from scratch, like ``keras.layers.Dropout``.

    Training: each value is kept with probability ``1 - rate`` and set to 0 otherwise; the kept
    values are divided by ``1 - rate``, so every output's expected value equals its input.
    Inference (``training=False``): the input is returned unchanged; nothing to rescale.
    ``rng`` (a seeded ``np.random.default_rng(...)``) draws the keep-mask; ``mask`` (a boolean
    array of x's shape, True = keep) replays a mask drawn elsewhere instead, e.g. by Keras.

    Example:
        >>> x = np.ones((2, 4))
        >>> dropout(x, 0.5, training=True, rng=np.random.default_rng(0))   # kept ones become 2
        array([[2., 0., 0., 0.],
               [2., 2., 2., 2.]])
        >>> dropout(x, 0.5, training=False) is x                               # inference: identity
        True
    """
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout rate is the fraction of values dropped, in [0, 1); got {rate}")
    x = np.asarray(x)
    if not training or rate == 0.0:
        return x
    if mask is None:
        if rng is None:
            raise ValueError("dropout in training draws a random mask: pass rng=np.random.default_rng(seed)")
        mask = rng.random(x.shape) >= rate  # True (keep) with probability 1 - rate
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != x.shape:
        raise ValueError(f"the mask must have the input's shape {x.shape}, got {mask.shape}")
    return np.where(mask, x / (1.0 - rate), 0.0)  # scale the survivors: E[output] = x


def batch_norm(
    x: np.ndarray,
    gamma: np.ndarray,
    beta: np.ndarray,
    moving_mean: np.ndarray,
    moving_variance: np.ndarray,
    training: bool,
    momentum: float = 0.99,
    epsilon: float = 1e-3,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Batch normalization from scratch over the last (channel) axis, like ``keras.layers.BatchNormalization``.

    ``x`` is (N, C) or NHWC (N, H, W, C); ``gamma``, ``beta``, ``moving_mean`` and
    ``moving_variance`` have C values each. Every channel is normalised, then scaled and shifted:
    ``y = gamma * (x - mean) / sqrt(variance + epsilon) + beta``.

    - Training: ``mean`` and ``variance`` are this batch's, per channel, over every axis but the
      last (the variance divides by the count, not count - 1). The moving statistics are updated
      with Keras' convention ``moving = moving * momentum + batch_value * (1 - momentum)``: with
      momentum 0.99 they keep 99 % of their old value each step. (PyTorch's ``momentum`` is the
      new value's weight instead: its 0.1 is Keras' 0.9.)
    - Inference: ``mean`` and ``variance`` are the moving statistics, which stay unchanged.

    Returns ``(y, new_moving_mean, new_moving_variance)``; the arguments are not modified.

    Example:
        >>> x = np.array([[1.0], [3.0]])                  # 2 examples, 1 channel: mean 2, variance 1
        >>> y, m, v = batch_norm(x, np.ones(1), np.zeros(1), np.zeros(1), np.ones(1), training=True, epsilon=0.0)
        >>> y.ravel(), m, v
        (array([-1.,  1.]), array([0.02]), array([1.]))
    """
    x = np.asarray(x, dtype=np.float64)
    channels = x.shape[-1] if x.ndim else 0
    for name, value in (("gamma", gamma), ("beta", beta), ("moving_mean", moving_mean),
                        ("moving_variance", moving_variance)):
        if np.shape(value) != (channels,):
            raise ValueError(f"{name} must hold one value per channel, shape ({channels},), got {np.shape(value)}")
    if x.ndim < 2:
        raise ValueError(f"batch_norm needs a batch (N, C) or (N, H, W, C), got shape {x.shape}")
    moving_mean = np.asarray(moving_mean, dtype=np.float64)
    moving_variance = np.asarray(moving_variance, dtype=np.float64)
    if training:
        axes = tuple(range(x.ndim - 1))  # every axis but the channels: N (and H, W)
        mean = x.mean(axis=axes)
        variance = ((x - mean) ** 2).mean(axis=axes)  # biased: divide by the count
        moving_mean = moving_mean * momentum + mean * (1.0 - momentum)
        moving_variance = moving_variance * momentum + variance * (1.0 - momentum)
    else:
        mean, variance = moving_mean, moving_variance  # statistics learned during training
    x_hat = (x - mean) / np.sqrt(variance + epsilon)  # zero mean, unit variance per channel
    return np.asarray(gamma) * x_hat + np.asarray(beta), moving_mean, moving_variance


# --- backward passes (appendix A4): what GradientTape computes, layer by layer -----------------------------------------
# Each ``*_backward`` takes the gradient of the loss with respect to the layer's output (``d_out``, the shape of
# the output) and what the forward pass saw, and returns the gradients with respect to the layer's inputs and
# weights. tests/test_backward.py checks every one against numerical gradients and against tf.GradientTape.


def relu_backward(d_out: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The gradient through ReLU: ``d_out`` where the input was positive, 0 elsewhere (0 at x == 0, as TensorFlow).

    Example:
        >>> relu_backward(np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.0, 4.0]))
        array([0., 0., 3.])
    """
    return np.where(np.asarray(x) > 0, d_out, 0.0)


def dense_backward(d_out: np.ndarray, x: np.ndarray, kernel: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The gradients of :func:`dense`: ``(dx, d_kernel, d_bias)`` from ``d_out`` (N, n_out).

    ``out = x @ kernel + bias``, so ``dx = d_out @ kernel.T`` (N, n_in), ``d_kernel = x.T @ d_out``
    (n_in, n_out: every example's contribution summed) and ``d_bias = d_out.sum(axis=0)`` (n_out).

    Example:
        >>> dx, dk, db = dense_backward(np.ones((2, 1)), np.array([[1.0, 2.0], [3.0, 4.0]]), np.ones((2, 1)))
        >>> dx.tolist(), dk.ravel().tolist(), db.tolist()
        ([[1.0, 1.0], [1.0, 1.0]], [4.0, 6.0], [2.0])
    """
    d_out, x, kernel = np.asarray(d_out), np.asarray(x), np.asarray(kernel)
    return d_out @ kernel.T, x.T @ d_out, d_out.sum(axis=0)


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    """The mean cross-entropy of softmax(``logits``) (N, K) against integer ``labels`` (N), and its gradient.

    Returns ``(loss, d_logits)`` with ``d_logits = (softmax(logits) - one_hot(labels)) / N``: the 1/N
    comes from the mean over the batch. Like Keras' ``SparseCategoricalCrossentropy(from_logits=True)``;
    the logits are shifted by their maximum first, so large ones do not overflow.

    Example:
        >>> loss, d = softmax_cross_entropy(np.zeros((2, 4)), np.array([0, 3]))   # uniform: log 4
        >>> round(loss, 4), d[0].tolist()
        (1.3863, [-0.375, 0.125, 0.125, 0.125])
    """
    logits, labels = np.asarray(logits, dtype=np.float64), np.asarray(labels)
    if logits.ndim != 2 or labels.shape != logits.shape[:1]:
        raise ValueError(f"need logits (N, K) and N integer labels, got shapes {logits.shape} and {labels.shape}")
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = len(labels)
    loss = -float(log_p[np.arange(n), labels].mean())
    d_logits = np.exp(log_p)
    d_logits[np.arange(n), labels] -= 1.0
    return loss, d_logits / n


def softmax_cross_entropy_backward(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The gradient of the mean softmax cross-entropy with respect to the logits (N, K): ``(p - one_hot) / N``.

    Example:
        >>> softmax_cross_entropy_backward(np.zeros((1, 2)), np.array([1])).tolist()
        [[0.5, -0.5]]
    """
    return softmax_cross_entropy(logits, labels)[1]


def dense_relu_backward(d_out: np.ndarray, x: np.ndarray, kernel: np.ndarray,
                        bias: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The gradients ``(dx, d_kernel, d_bias)`` of ``relu(x @ kernel + bias)``: back through ReLU (at the
    pre-activation), then through the dense layer.

    Example:
        >>> dx, dk, db = dense_relu_backward(np.ones((1, 2)), np.ones((1, 1)), np.array([[1.0, -1.0]]), np.zeros(2))
        >>> dx.tolist(), dk.tolist(), db.tolist()                # the second unit is off: no gradient through it
        ([[1.0]], [[1.0, 0.0]], [1.0, 0.0])
    """
    return dense_backward(relu_backward(d_out, dense(x, kernel, bias)), x, kernel)


def conv2d_backward(
    d_out: np.ndarray,
    x: np.ndarray,
    kernel: np.ndarray,
    stride: int | tuple[int, int] = 1,
    padding: str = "valid",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The gradients of :func:`conv2d`: ``(dx, d_kernel, d_bias)`` from ``d_out`` (N, H_out, W_out, C_out).

    The forward pass multiplies each window of the (padded) input by the kernel; going back, every
    window sends ``d_out[:, i, j, :]`` through the same weights: its share of ``dx`` is the kernel
    times that gradient (added where windows overlap), its share of ``d_kernel`` the window times it
    (summed over the batch and every position), and ``d_bias`` sums ``d_out`` over N, H and W. With
    ``padding='same'`` the gradient that fell on padded cells is cropped off. Written as loops over
    positions, like :func:`conv2d`: the im2col form is a faster copy of the same sums.

    Example:
        >>> x, k = np.ones((1, 3, 3, 1)), np.ones((2, 2, 1, 1))
        >>> dx, dk, db = conv2d_backward(np.ones((1, 2, 2, 1)), x, k)
        >>> dx[0, ..., 0]                       # the centre pixel is in all four windows
        array([[1., 2., 1.],
               [2., 4., 2.],
               [1., 2., 1.]])
        >>> dk[..., 0, 0].tolist(), db.tolist()
        ([[4.0, 4.0], [4.0, 4.0]], [4.0])
    """
    d_out, x, kernel = np.asarray(d_out), np.asarray(x), np.asarray(kernel)
    kh, kw, _, _ = kernel.shape
    sh, sw = _hw(stride)
    padding = padding.lower()
    if padding not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    (top, _), (left, _) = ((same_padding(x.shape[1], kh, sh), same_padding(x.shape[2], kw, sw))
                           if padding == "same" else ((0, 0), (0, 0)))
    x_pad = pad_same(x, (kh, kw), (sh, sw)) if padding == "same" else x
    dtype = np.result_type(d_out, x, kernel, np.float32)
    dx_pad, d_kernel = np.zeros(x_pad.shape, dtype), np.zeros(kernel.shape, dtype)
    for i in range(d_out.shape[1]):
        for j in range(d_out.shape[2]):
            rows, cols = slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)
            g = d_out[:, i, j, :]  # (N, C_out): how much the loss moves with each output value here
            # dx: each window receives every filter's weights times its gradient; (N, 1, 1, 1, C_out) * kernel
            dx_pad[:, rows, cols, :] += np.sum(g[:, None, None, None, :] * kernel, axis=4)
            # d_kernel: the window times the gradient, summed over the batch; (N, kh, kw, C_in, 1) * (N, 1, 1, 1, C_out)
            d_kernel += np.sum(x_pad[:, rows, cols, :, None] * g[:, None, None, None, :], axis=0)
    dx = dx_pad[:, top:top + x.shape[1], left:left + x.shape[2], :]  # padded cells are not inputs: cropped
    return dx, d_kernel, d_out.sum(axis=(0, 1, 2))


def max_pool2d_backward(d_out: np.ndarray, x: np.ndarray, pool: int | tuple[int, int] = 2,
                        stride: int | tuple[int, int] | None = None) -> np.ndarray:
    """The gradient through :func:`max_pool2d` ('valid'): each window's gradient goes to its maximum only.

    Where windows overlap (AlexNet's 3/2) a pixel that wins several windows collects each one's
    gradient. A tie goes to the first maximum in row-major order, as TensorFlow's ``MaxPool`` does.

    Example:
        >>> x = np.array([[1.0, 3.0], [2.0, 0.0]]).reshape(1, 2, 2, 1)
        >>> max_pool2d_backward(np.full((1, 1, 1, 1), 5.0), x)[0, ..., 0]
        array([[0., 5.],
               [0., 0.]])
    """
    d_out, x = np.asarray(d_out), np.asarray(x)
    (ph, pw), (sh, sw) = _pair(pool), _pair(stride if stride is not None else pool)
    n, _, _, c = x.shape
    dx = np.zeros(x.shape, np.result_type(d_out, x, np.float32))
    batch, channel = np.arange(n)[:, None], np.arange(c)[None, :]
    for i in range(d_out.shape[1]):
        for j in range(d_out.shape[2]):
            window = x[:, i * sh:i * sh + ph, j * sw:j * sw + pw, :].reshape(n, ph * pw, c)
            winner = window.argmax(axis=1)  # (N, C): the first maximum of each window
            dx[batch, i * sh + winner // pw, j * sw + winner % pw, channel] += d_out[:, i, j, :]
    return dx


def dropout_backward(d_out: np.ndarray, mask: np.ndarray, rate: float) -> np.ndarray:
    """The gradient through inverted :func:`dropout` in training: the forward pass's mask and its 1 / (1 - rate).

    Example:
        >>> dropout_backward(np.ones(4), np.array([True, False, True, True]), 0.5)
        array([2., 0., 2., 2.])
    """
    return np.where(np.asarray(mask, dtype=bool), np.asarray(d_out) / (1.0 - rate), 0.0)


def batch_norm_backward(d_out: np.ndarray, x: np.ndarray, gamma: np.ndarray,
                        epsilon: float = 1e-3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The gradients of :func:`batch_norm` in training mode: ``(dx, d_gamma, d_beta)``.

    In training the batch's own mean and variance depend on every input, so ``dx`` has three terms:
    the direct one through ``x_hat``, and the ones through the mean and the variance, which
    remove the gradient's mean and its projection on ``x_hat`` (per channel, over M = N*H*W values):
    ``dx = gamma / sqrt(var + eps) * (d_out - mean(d_out) - x_hat * mean(d_out * x_hat))``.

    Example:
        >>> x = np.array([[1.0], [3.0]])                  # x_hat = -1, 1
        >>> dx, dg, db = batch_norm_backward(np.array([[1.0], [1.0]]), x, np.ones(1), epsilon=0.0)
        >>> dx.ravel().tolist(), dg.tolist(), db.tolist()  # shifting every output alike changes nothing
        ([0.0, 0.0], [0.0], [2.0])
    """
    d_out, x = np.asarray(d_out, dtype=np.float64), np.asarray(x, dtype=np.float64)
    axes = tuple(range(x.ndim - 1))
    mean, variance = x.mean(axis=axes), x.var(axis=axes)
    x_hat = (x - mean) / np.sqrt(variance + epsilon)
    d_gamma, d_beta = (d_out * x_hat).sum(axis=axes), d_out.sum(axis=axes)
    dx = (np.asarray(gamma) / np.sqrt(variance + epsilon)
          * (d_out - d_out.mean(axis=axes) - x_hat * (d_out * x_hat).mean(axis=axes)))
    return dx, d_gamma, d_beta


# --- convolution as one matrix product (im2col): the same sums as conv2d, in the order a BLAS library is fast at ----


def im2col(x: np.ndarray, kh: int, kw: int, stride: int | tuple[int, int] = 1, padding: str = "valid") -> np.ndarray:
    """Every kh x kw window of an NHWC batch as one row: (N * H_out * W_out, kh * kw * C).

    Row ``(n, i, j)`` holds the window under output position (i, j) of image n, flattened in the
    kernel's (kh, kw, C) order, so that ``im2col(x, ...) @ kernel.reshape(-1, C_out)`` is the convolution.

    Example:
        >>> im2col(np.arange(9.0).reshape(1, 3, 3, 1), 2, 2)     # four 2 x 2 windows
        array([[0., 1., 3., 4.],
               [1., 2., 4., 5.],
               [3., 4., 6., 7.],
               [4., 5., 7., 8.]])
    """
    x = np.asarray(x)
    sh, sw = _hw(stride)
    if padding.lower() == "same":
        x = pad_same(x, (kh, kw), (sh, sw))
    n, h, w, c = x.shape
    h_out, w_out = (h - kh) // sh + 1, (w - kw) // sw + 1
    # a strided view (N, H_out, W_out, kh, kw, C) of the windows: no copy until the reshape
    s_n, s_h, s_w, s_c = x.strides
    windows = np.lib.stride_tricks.as_strided(
        x, (n, h_out, w_out, kh, kw, c), (s_n, s_h * sh, s_w * sw, s_h, s_w, s_c), writeable=False)
    return windows.reshape(n * h_out * w_out, kh * kw * c)


def conv2d_im2col(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None = None,
                  stride: int | tuple[int, int] = 1, padding: str = "valid") -> np.ndarray:
    """:func:`conv2d` as one matrix product: im2col rows times the kernel as a (kh*kw*C_in, C_out) matrix.

    Example:
        >>> x, k = np.random.default_rng(0).random((2, 6, 6, 3)), np.random.default_rng(1).random((3, 3, 3, 4))
        >>> bool(np.allclose(conv2d_im2col(x, k, stride=2, padding="same"), conv2d(x, k, stride=2, padding="same")))
        True
    """
    x, kernel = np.asarray(x), np.asarray(kernel)
    kh, kw, c_in, c_out = kernel.shape
    sh, sw = _hw(stride)
    h = x.shape[1] if padding.lower() == "valid" else x.shape[1] + sum(same_padding(x.shape[1], kh, sh))
    w = x.shape[2] if padding.lower() == "valid" else x.shape[2] + sum(same_padding(x.shape[2], kw, sw))
    out = im2col(x, kh, kw, (sh, sw), padding) @ kernel.reshape(kh * kw * c_in, c_out)
    out = out.reshape(x.shape[0], (h - kh) // sh + 1, (w - kw) // sw + 1, c_out)
    return out if bias is None else out + np.asarray(bias)


def conv2d_im2col_backward(d_out: np.ndarray, x: np.ndarray, kernel: np.ndarray, stride: int | tuple[int, int] = 1,
                           padding: str = "valid") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`conv2d_backward` with matrix products: ``d_kernel = cols.T @ d_out``, ``d_cols = d_out @ kernel.T``,
    and the columns' gradients added back onto the windows they came from (col2im).

    Example:
        >>> x, k = np.random.default_rng(0).random((2, 5, 5, 2)), np.random.default_rng(1).random((3, 3, 2, 3))
        >>> g = np.ones((2, 2, 2, 3))
        >>> all(np.allclose(a, b) for a, b in zip(conv2d_im2col_backward(g, x, k, stride=2),
        ...                                        conv2d_backward(g, x, k, stride=2)))
        True
    """
    d_out, x, kernel = np.asarray(d_out), np.asarray(x), np.asarray(kernel)
    kh, kw, c_in, c_out = kernel.shape
    sh, sw = _hw(stride)
    same = padding.lower() == "same"
    x_pad = pad_same(x, (kh, kw), (sh, sw)) if same else x
    n, h_out, w_out, _ = d_out.shape
    g = d_out.reshape(n * h_out * w_out, c_out)
    d_kernel = (im2col(x_pad, kh, kw, (sh, sw)).T @ g).reshape(kernel.shape)
    d_cols = (g @ kernel.reshape(kh * kw * c_in, c_out).T).reshape(n, h_out, w_out, kh, kw, c_in)
    dx_pad = np.zeros(x_pad.shape, np.result_type(d_out, x, kernel, np.float32))
    for a in range(kh):  # col2im: kh * kw strided additions instead of H_out * W_out window loops
        for b in range(kw):
            dx_pad[:, a:a + sh * h_out:sh, b:b + sw * w_out:sw, :] += d_cols[:, :, :, a, b, :]
    top, left = (same_padding(x.shape[1], kh, sh)[0], same_padding(x.shape[2], kw, sw)[0]) if same else (0, 0)
    return dx_pad[:, top:top + x.shape[1], left:left + x.shape[2], :], d_kernel, d_out.sum(axis=(0, 1, 2))
