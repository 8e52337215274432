"""Custom Keras layers the classic papers need and Keras lacks, each written once.

Layers that add parameters implement ``param_formula()`` (and optionally ``macs(in_shape,
out_shape)``) so that :func:`course_utils.trace` prints their formula. NHWC throughout.
"""

from __future__ import annotations

from .profiles import import_tensorflow_quietly

import_tensorflow_quietly()
import keras  # noqa: E402,F401

# <layers 06_lenet5>


# --- 07_alexnet: local response normalization --------------------------------------------------


def lrn_numpy(a, k: float = 2.0, n: int = 5, alpha: float = 1e-4, beta: float = 0.75):
    """Local response normalization in NumPy, written as the AlexNet paper's formula (the reference).

    For an NHWC array ``a`` and channel ``i`` out of ``N``::

        b[..., i] = a[..., i] / (k + alpha * sum(a[..., j]**2 for j in max(0, i-n//2) .. min(N-1, i+n//2))) ** beta

    Example:
        >>> import numpy as np
        >>> a = np.ones((1, 1, 1, 3))
        >>> round(float(lrn_numpy(a, k=2, n=5, alpha=1.0, beta=1.0)[0, 0, 0, 0]), 4)   # 1 / (2 + 3)
        0.2
    """
    import numpy as np

    a = np.asarray(a, dtype=np.float64)
    channels = a.shape[-1]
    b = np.empty_like(a)
    for i in range(channels):
        lo, hi = max(0, i - n // 2), min(channels - 1, i + n // 2)
        window = np.sum(a[..., lo : hi + 1] ** 2, axis=-1)
        b[..., i] = a[..., i] / (k + alpha * window) ** beta
    return b


@keras.saving.register_keras_serializable(package="course_utils")
class LocalResponseNormalization(keras.layers.Layer):
    """AlexNet's local response normalization across channels (no parameters; NHWC in, same shape out).

    ``b_i = a_i / (k + alpha * sum_{j=i-n/2}^{i+n/2} a_j^2) ** beta``, the sum over the ``n``
    neighbouring channels that exist. Paper values: ``k=2, n=5, alpha=1e-4, beta=0.75``. Computed in
    float32 even under mixed precision (squares of float16 activations overflow easily).

    Example:
        >>> import numpy as np
        >>> x = np.random.default_rng(0).normal(size=(2, 4, 4, 8)).astype("float32")
        >>> bool(np.allclose(LocalResponseNormalization(name="lrn")(x), lrn_numpy(x), atol=1e-6))
        True
    """

    def __init__(self, k: float = 2.0, n: int = 5, alpha: float = 1e-4, beta: float = 0.75, **kwargs):
        super().__init__(**kwargs)
        if n < 1 or n % 2 == 0:
            raise ValueError(f"n (the channel window) must be a positive odd number, got {n}")
        self.k, self.n, self.alpha, self.beta = float(k), int(n), float(alpha), float(beta)

    def call(self, a):
        ops = keras.ops
        x = ops.cast(a, "float32")
        half = self.n // 2
        squares = ops.pad(ops.square(x), [[0, 0], [0, 0], [0, 0], [half, half]])  # zeros stand for missing channels
        channels = x.shape[-1]
        window = sum(squares[..., j : j + channels] for j in range(self.n))  # sum over n neighbours
        return ops.cast(x / ops.power(self.k + self.alpha * window, self.beta), a.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "k": self.k, "n": self.n, "alpha": self.alpha, "beta": self.beta}

