"""Custom Keras layers the classic papers need and Keras lacks, each written once.

Layers that add parameters implement ``param_formula()`` (and optionally ``macs(in_shape,
out_shape)``) so that :func:`course_utils.trace` prints their formula. NHWC throughout.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

# --- 06_lenet5: LeNet-5's own layers (LeCun et al., 1998) -------------------------------------

# Table I of the 1998 paper: which S2 maps (0-5) each of the 16 C3 maps reads. Six maps read 3
# neighbouring maps, six read 4 neighbouring maps, three read 4 non-neighbouring maps, one reads all 6.
LENET_C3_TABLE: tuple[tuple[int, ...], ...] = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (0, 4, 5), (0, 1, 5),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (0, 3, 4, 5), (0, 1, 4, 5), (0, 1, 2, 5),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)

# The RBF output's fixed codes: one stylised 7-wide x 12-high bitmap per digit ('#' ink = +1,
# '.' paper = -1), 7 * 12 = 84 numbers, which is why F6 has 84 units. Drawn for this course in the
# spirit of the paper's Fig. 3 (the paper's own bitmaps are not reproduced).
DIGIT_BITMAPS: tuple[str, ...] = (
    "..###.. .#...#. #.....# #.....# #.....# #.....# #.....# #.....# #.....# #.....# .#...#. ..###..",
    "...#... ..##... .#.#... #..#... ...#... ...#... ...#... ...#... ...#... ...#... ...#... #######",
    ".#####. #.....# ......# ......# .....#. ....#.. ...#... ..#.... .#..... #...... #...... #######",
    ".#####. #.....# ......# ......# ......# ..####. ......# ......# ......# ......# #.....# .#####.",
    ".....#. ....##. ...#.#. ..#..#. .#...#. #....#. #....#. ####### .....#. .....#. .....#. .....#.",
    "####### #...... #...... #...... ######. ......# ......# ......# ......# ......# #.....# .#####.",
    "..####. .#..... #...... #...... #.####. ##....# #.....# #.....# #.....# #.....# .#...#. ..###..",
    "####### ......# .....#. .....#. ....#.. ....#.. ...#... ...#... ..#.... ..#.... ..#.... ..#....",
    ".#####. #.....# #.....# #.....# .#...#. ..###.. .#...#. #.....# #.....# #.....# #.....# .#####.",
    "..###.. .#...#. #.....# #.....# #.....# #....## .####.# ......# ......# .....#. ....#.. .###...",
)


def digit_codes() -> np.ndarray:
    """Return the RBF codes: a (10, 84) float32 array of +1 (ink) and -1 (paper), one row per digit.

    Row ``d`` reshaped to (12, 7) is the bitmap of digit ``d``.

    Example:
        >>> codes = digit_codes()
        >>> codes.shape, sorted(set(codes.ravel().tolist()))
        ((10, 84), [-1.0, 1.0])
    """
    rows = []
    for bitmap in DIGIT_BITMAPS:
        pixels = bitmap.replace(" ", "")
        if len(pixels) != 84 or set(pixels) - {"#", "."}:
            raise ValueError(f"a digit bitmap needs 12 rows of 7 '#'/'.' characters, got {bitmap!r}")
        rows.append([1.0 if p == "#" else -1.0 for p in pixels])
    return np.asarray(rows, dtype="float32")


@keras.saving.register_keras_serializable(package="course_utils")
def lecun_tanh(x):
    """LeNet-5's squashing function ``f(a) = 1.7159 * tanh(2/3 * a)``: f(1) = 1 and f(-1) = -1.

    Example:
        >>> round(float(lecun_tanh(1.0)), 3)
        1.0
    """
    return 1.7159 * keras.ops.tanh(2.0 / 3.0 * x)


def subsample_numpy(x, coefficient, bias, pool_size: int = 2, activation=np.tanh):
    """LeNet's subsampling in NumPy, the readable reference (NHWC in, N x H/p x W/p x C out).

    ``y[n, i, j, c] = f(coefficient[c] * sum of the p x p window at (i, j) of map c + bias[c])``

    Example:
        >>> x = np.ones((1, 4, 4, 1))
        >>> subsample_numpy(x, [0.5], [0.0], activation=lambda a: a)[0, :, :, 0].tolist()
        [[2.0, 2.0], [2.0, 2.0]]
    """
    x = np.asarray(x, dtype=np.float64)
    n, h, w, c = x.shape
    p = pool_size
    windows = x[:, : h // p * p, : w // p * p, :].reshape(n, h // p, p, w // p, p, c)
    window_sum = windows.sum(axis=(2, 4))
    return activation(window_sum * np.asarray(coefficient) + np.asarray(bias))


@keras.saving.register_keras_serializable(package="course_utils")
class Subsampling(keras.layers.Layer):
    """LeNet-5's trainable subsampling (S2, S4): per map, window sum x coefficient + bias, then squash.

    NHWC (N, H, W, C) in, (N, H/p, W/p, C) out, non-overlapping p x p windows. Two parameters per
    map (one coefficient, one bias): ``2*C``. The coefficient starts at 1/p^2, so the layer starts
    as average pooling followed by the squashing function.

    Example:
        >>> layer = Subsampling(2, name="S2")
        >>> tuple(layer(np.zeros((1, 28, 28, 6), "float32")).shape), layer.count_params(), layer.param_formula()
        ((1, 14, 14, 6), 12, '2*6')
    """
    def __init__(self, pool_size: int = 2, activation=lecun_tanh, **kwargs):
        super().__init__(**kwargs)
        if int(pool_size) < 1:
            raise ValueError(f"pool_size must be a positive window side, got {pool_size}")
        self.pool_size = int(pool_size)
        self.strides = self.pool_size  # windows do not overlap; course_utils.trace reads both
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        channels = input_shape[-1]
        self.coefficient = self.add_weight(
            name="coefficient", shape=(channels,),
            initializer=keras.initializers.Constant(1.0 / self.pool_size**2),
        )
        self.bias = self.add_weight(name="bias", shape=(channels,), initializer="zeros")

    def call(self, x):
        p = self.pool_size
        window_sum = keras.ops.average_pool(x, p, strides=p, padding="valid") * (p * p)
        return self.activation(window_sum * self.coefficient + self.bias)

    def compute_output_shape(self, input_shape):
        n, h, w, c = input_shape
        p = self.pool_size
        return (n, None if h is None else h // p, None if w is None else w // p, c)

    def param_formula(self) -> str:
        return f"2*{self.coefficient.shape[0]}"

    def macs(self, in_shape: tuple, out_shape: tuple) -> int:
        """One accumulate per window pixel of every output value."""
        return math.prod(out_shape) * self.pool_size**2

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "activation": keras.activations.serialize(self.activation),
        }


@keras.saving.register_keras_serializable(package="course_utils")
class PartialConv2D(keras.layers.Layer):
    """A 'valid' convolution in which output map ``j`` reads only the input maps ``table[j]`` (LeNet's C3).

    NHWC (N, H, W, C_in) in, (N, H-k+1, W-k+1, len(table)) out. Parameters:
    ``sum over j of (k*k*len(table[j]) + 1)``; with LeNet's table and k = 5 that is
    ``(5*5*3+1)*6 + (5*5*4+1)*9 + (5*5*6+1)*1 = 1,516``. The learned kernels are stored packed (one
    k x k kernel per X of the table); ``full_kernel()`` places them in a k x k x C_in x C_out kernel
    with zeros where the table has no X, and one ordinary convolution does the rest.

    Example:
        >>> c3 = PartialConv2D(LENET_C3_TABLE, 5, name="C3")
        >>> tuple(c3(np.zeros((1, 14, 14, 6), "float32")).shape), c3.count_params()
        ((1, 10, 10, 16), 1516)
    """
    def __init__(self, table=LENET_C3_TABLE, kernel_size: int = 5, activation=lecun_tanh, **kwargs):
        super().__init__(**kwargs)
        self.table = tuple(tuple(int(i) for i in column) for column in table)
        if not self.table or any(len(column) == 0 for column in self.table):
            raise ValueError("every output map needs at least one input map: the table has an empty column")
        self.filters = len(self.table)
        self.kernel_size = (int(kernel_size), int(kernel_size))
        self.strides = (1, 1)  # course_utils.trace reads these for the receptive field
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        c_in = input_shape[-1]
        used = sorted({i for column in self.table for i in column})
        if used[0] < 0 or used[-1] >= c_in:
            raise ValueError(
                f"the connection table refers to input map {used[-1] if used[-1] >= c_in else used[0]}, "
                f"but the input has {c_in} maps (0 to {c_in - 1}); fix the table or the previous layer"
            )
        k = self.kernel_size[0]
        n_kernels = sum(len(column) for column in self.table)
        # where the kernel from input map i to output map j sits in the packed weights; n_kernels = none
        index = np.full((c_in, self.filters), n_kernels, dtype="int32")
        fan_in = np.zeros(n_kernels, dtype="float32")
        slot = 0
        for j, column in enumerate(self.table):
            for i in column:
                index[i, j] = slot
                fan_in[slot] = k * k * len(column)
                slot += 1
        self._index = index
        limit = np.sqrt(3.0 / fan_in)  # LeCun uniform, per output map: variance 1 / (inputs it reads)

        def init(shape, dtype=None):
            return keras.random.uniform(shape, -1.0, 1.0, dtype=dtype) * limit

        self.kernel = self.add_weight(name="kernel", shape=(k, k, n_kernels), initializer=init)
        self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")

    def full_kernel(self):
        """Return the k x k x C_in x C_out kernel: the packed kernels where the table has an X, else 0."""
        k = self.kernel_size[0]
        with_zero = keras.ops.concatenate([self.kernel, keras.ops.zeros((k, k, 1), self.kernel.dtype)], axis=-1)
        return keras.ops.take(with_zero, self._index, axis=2)

    def call(self, x):
        y = keras.ops.conv(x, keras.ops.cast(self.full_kernel(), x.dtype), strides=1, padding="valid")
        return self.activation(y + keras.ops.cast(self.bias, x.dtype))

    def compute_output_shape(self, input_shape):
        n, h, w, _ = input_shape
        k = self.kernel_size[0]
        return (n, None if h is None else h - k + 1, None if w is None else w - k + 1, self.filters)

    def param_formula(self) -> str:
        k = self.kernel_size[0]
        sizes: dict[int, int] = {}
        for column in self.table:
            sizes[len(column)] = sizes.get(len(column), 0) + 1
        return " + ".join(f"({k}*{k}*{n}+1)*{count}" for n, count in sizes.items())

    def macs(self, in_shape: tuple, out_shape: tuple) -> int:
        """Multiply-adds: every output pixel of map j reads k*k*len(table[j]) inputs."""
        k = self.kernel_size[0]
        return out_shape[0] * out_shape[1] * k * k * sum(len(column) for column in self.table)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "table": [list(column) for column in self.table],
            "kernel_size": self.kernel_size[0],
            "activation": keras.activations.serialize(self.activation),
        }


@keras.saving.register_keras_serializable(package="course_utils")
class RBFOutput(keras.layers.Layer):
    """LeNet-5's output layer: squared euclidean distance from the F6 vector to each class's code.

    (N, D) in, (N, units) out: ``y[n, i] = sum over j of (x[n, j] - codes[i, j])**2``; the smallest
    distance wins. ``units * D`` parameters (84*10 = 840 for LeNet-5), fixed as in the paper unless
    ``trainable_codes=True``. For 10 units of 84 inputs the codes start as :func:`digit_codes`,
    otherwise as random +1/-1 patterns.

    Example:
        >>> rbf = RBFOutput(10, name="output")
        >>> d = rbf(digit_codes()[3:4])           # the code of digit 3 is at distance 0 from class 3
        >>> int(np.argmin(d)), float(d[0, 3]), rbf.count_params()
        (3, 0.0, 840)
    """
    def __init__(self, units: int = 10, trainable_codes: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.trainable_codes = bool(trainable_codes)

    def build(self, input_shape):
        dim = input_shape[-1]

        def init(shape, dtype=None):
            if tuple(shape) == (10, 84):
                return keras.ops.convert_to_tensor(digit_codes(), dtype=dtype)
            return keras.ops.sign(keras.random.uniform(shape, -1.0, 1.0, dtype=dtype))

        self.codes = self.add_weight(name="codes", shape=(self.units, dim), initializer=init, trainable=self.trainable_codes)

    def call(self, x):
        difference = keras.ops.expand_dims(x, 1) - keras.ops.cast(self.codes, x.dtype)  # (N, units, D)
        return keras.ops.sum(keras.ops.square(difference), axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def param_formula(self) -> str:
        return f"{self.codes.shape[1]}*{self.units}"

    def macs(self, in_shape: tuple, out_shape: tuple) -> int:
        return self.units * in_shape[-1]

    def get_config(self) -> dict:
        return {**super().get_config(), "units": self.units, "trainable_codes": self.trainable_codes}


def connections(layer) -> tuple[int, str]:
    """Return (connections, formula) of a built layer, counted as the 1998 paper counts them.

    A connection joins one input value (or the bias) to one output unit, so shared weights count once
    per unit that uses them: a conv layer has (weights per unit + 1) x output units connections.
    Layers without inputs to combine (Flatten, Rescaling, Activation) have none.

    Example:
        >>> import keras
        >>> model = keras.Sequential([keras.Input((32, 32, 1)), keras.layers.Conv2D(6, 5, name="C1")])
        >>> connections(model.get_layer("C1"))
        (122304, '(5*5*1+1)*6*28*28')
    """
    out = tuple(layer.output.shape[1:])
    c_in = layer.input.shape[-1]
    spatial = f"*{out[0]}*{out[1]}" if len(out) == 3 else ""
    positions = out[0] * out[1] if len(out) == 3 else 1
    if isinstance(layer, PartialConv2D):
        k = layer.kernel_size[0]
        per_position = sum(k * k * len(column) + 1 for column in layer.table)
        return per_position * positions, f"({layer.param_formula()}){spatial}"
    if isinstance(layer, Subsampling):
        p = layer.pool_size
        return (p * p + 1) * out[-1] * positions, f"({p}*{p}+1)*{out[-1]}{spatial}"
    if isinstance(layer, RBFOutput):
        return c_in * layer.units, f"{c_in}*{layer.units}"
    if isinstance(layer, keras.layers.Conv2D):
        kh, kw = layer.kernel_size
        bias = "+1" if layer.use_bias else ""
        per_unit = kh * kw * c_in + (1 if layer.use_bias else 0)
        return per_unit * layer.filters * positions, f"({kh}*{kw}*{c_in}{bias})*{layer.filters}{spatial}"
    if isinstance(layer, keras.layers.Dense):
        bias = 1 if layer.use_bias else 0
        formula = f"({c_in}+1)*{layer.units}" if bias else f"{c_in}*{layer.units}"
        return (c_in + bias) * layer.units, formula
    if isinstance(layer, (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)):
        ph, pw = layer.pool_size
        return ph * pw * out[-1] * positions, f"{ph}*{pw}*{out[-1]}{spatial}"
    return 0, "-"


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
        # TensorFlow's kernel computes exactly the formula above (its alpha is not divided by n, as in
        # the paper), with a fast gradient; lrn_numpy is the readable reference it is checked against.
        x = tf.cast(a, tf.float32)
        b = tf.nn.local_response_normalization(x, depth_radius=self.n // 2, bias=self.k, alpha=self.alpha, beta=self.beta)
        return tf.cast(b, a.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "k": self.k, "n": self.n, "alpha": self.alpha, "beta": self.beta}

