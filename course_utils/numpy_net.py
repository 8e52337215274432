"""The modern LeNet in NumPy, forward and backward, trained with plain SGD: what ``fit`` does, written out.

:class:`NumpyLeNet` has the layers of :func:`course_utils.models.lenet5_modern` (C1 6@5x5, S2 max 2x2,
C3 16@5x5, S4 max 2x2, C5 120@5x5, F6 84, 10 logits; ReLU after C1, C3, C5 and F6) and the
operations of :mod:`course_utils.scratch`: each training step runs the forward pass, the loss
(softmax cross-entropy from the logits), every layer's backward pass in reverse order, and
``weight -= learning_rate * gradient``. Built from a Keras model's weights
(:meth:`NumpyLeNet.from_keras`), it follows that model step for step when both see the same batches;
tests/test_numpy_net.py holds the agreement. Images are NHWC, 32 x 32 x 1, in [0, 1].

Example:
    >>> import keras
    >>> keras.utils.set_random_seed(0)
    >>> from course_utils import models
    >>> net = NumpyLeNet.from_keras(models.lenet5_modern())
    >>> x, y = np.random.default_rng(0).random((4, 32, 32, 1)), np.array([0, 1, 2, 3])
    >>> net.logits(x).shape
    (4, 10)
    >>> first = net.sgd_step(x, y, 0.1); second = net.sgd_step(x, y, 0.1)
    >>> second < first                                   # one step on a batch lowers its loss
    True
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from . import machine, pipelines, scratch, tracing

CONVS = ("C1", "C3", "C5")
DENSES = ("F6", "logits")
LAYERS = CONVS + DENSES


@dataclass
class NumpyLeNet:
    """The weights ``{layer: (kernel, bias)}`` in Keras' layouts, float64, and the convolution used (forward, backward).

    ``conv`` and ``conv_backward`` default to the im2col versions (one matrix product each); the loop
    versions (:func:`course_utils.scratch.conv2d`, :func:`course_utils.scratch.conv2d_backward`) compute
    the same numbers, more slowly. ``pool_backward`` (S2, S4), ``f6_backward`` (F6 and its ReLU) and
    ``loss_backward`` (the logits' gradient) may be a learner's functions with the signatures of appendix
    A4's exercises; they default to the course's.
    """

    weights: dict[str, tuple[np.ndarray, np.ndarray]]
    conv: Callable[..., np.ndarray] = field(default=scratch.conv2d_im2col, repr=False)
    conv_backward: Callable[..., tuple] = field(default=scratch.conv2d_im2col_backward, repr=False)
    pool_backward: Callable[..., np.ndarray] = field(default=scratch.max_pool2d_backward, repr=False)
    f6_backward: Callable[..., tuple] = field(default=scratch.dense_relu_backward, repr=False)
    loss_backward: Callable[..., np.ndarray] = field(default=scratch.softmax_cross_entropy_backward, repr=False)

    @classmethod
    def from_keras(cls, model: Any, **ops: Any) -> NumpyLeNet:
        """Copy the kernels and biases of a :func:`course_utils.models.lenet5_modern` model (by layer name)."""
        names = {layer.name for layer in model.layers}
        missing = [name for name in LAYERS if name not in names]
        if missing:
            raise ValueError(f"the model has no layer {', '.join(missing)}: build it with course_utils.models.lenet5_modern()")
        weights = {name: tuple(np.asarray(w, dtype=np.float64) for w in model.get_layer(name).get_weights())
                   for name in LAYERS}
        return cls(weights, **ops)

    def forward(self, x: np.ndarray) -> tuple[np.ndarray, list[tuple[str, Any]]]:
        """Return the logits (N, 10) and what each layer's backward pass needs, in forward order."""
        cache: list[tuple[str, Any]] = []
        a = np.asarray(x, dtype=np.float64)
        for name in CONVS:
            kernel, bias = self.weights[name]
            z = self.conv(a, kernel, bias)
            cache.append((name, (a, z)))
            a = np.maximum(z, 0.0)                      # ReLU
            if name != "C5":
                cache.append(("pool", a))
                a = scratch.max_pool2d(a, 2)            # S2, S4
        cache.append(("flatten", a.shape))
        a = scratch.flatten(a)
        for name in DENSES:
            kernel, bias = self.weights[name]
            z = scratch.dense(a, kernel, bias)
            cache.append((name, (a, z)))
            a = np.maximum(z, 0.0) if name != "logits" else z
        return a, cache

    def logits(self, x: np.ndarray) -> np.ndarray:
        """The network's logits for a batch (N, 32, 32, 1)."""
        return self.forward(x)[0]

    def loss_and_gradients(self, x: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, tuple[np.ndarray, np.ndarray]]]:
        """Mean softmax cross-entropy on the batch and the gradient of every kernel and bias."""
        logits, cache = self.forward(x)
        loss = scratch.softmax_cross_entropy(logits, y)[0]
        d = np.asarray(self.loss_backward(logits, y), np.float64)
        grads: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name, saved in reversed(cache):
            if name == "pool":
                d = self.pool_backward(d, saved, 2, 2)
            elif name == "flatten":
                d = d.reshape(saved)
            elif name == "F6":
                d, d_kernel, d_bias = self.f6_backward(d, saved[0], *self.weights[name])
                grads[name] = (d_kernel, d_bias)
            elif name == "logits":
                d, d_kernel, d_bias = scratch.dense_backward(d, saved[0], self.weights[name][0])
                grads[name] = (d_kernel, d_bias)
            else:  # a convolution and its ReLU
                a, z = saved
                d = scratch.relu_backward(d, z)
                d, d_kernel, d_bias = self.conv_backward(d, a, self.weights[name][0])
                grads[name] = (d_kernel, d_bias)
        return loss, grads

    def sgd_step(self, x: np.ndarray, y: np.ndarray, learning_rate: float) -> float:
        """One step of plain SGD on the batch; return the batch's loss before the step (as Keras logs it)."""
        loss, grads = self.loss_and_gradients(x, y)
        for name, (d_kernel, d_bias) in grads.items():
            kernel, bias = self.weights[name]
            self.weights[name] = (kernel - learning_rate * d_kernel, bias - learning_rate * d_bias)
        return loss


def as_lenet_input(images: np.ndarray) -> np.ndarray:
    """uint8 MNIST digits (N, 28, 28) as LeNet reads them: float32 (N, 32, 32, 1) in [0, 1], padded by 2 pixels of
    background on each side (what ``data.make_dataset(..., pad=2)`` gives notebook 06).

    Example:
        >>> as_lenet_input(np.full((2, 28, 28), 255, np.uint8)).shape
        (2, 32, 32, 1)
    """
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"expected MNIST digits of shape (N, 28, 28), got {images.shape}")
    return np.pad(images.astype(np.float32) / 255.0, ((0, 0), (2, 2), (2, 2)))[..., None]


@contextlib.contextmanager
def keras_float64() -> Iterator[None]:
    """Within the block, Keras builds layers that compute in float64, as NumPy does; both settings restored after.

    Sets the global dtype policy (an explicit one, which ``setup()`` sets, wins over floatx) and floatx.

    Example:
        >>> with keras_float64():
        ...     keras.layers.Dense(2).dtype_policy.name
        'float64'
    """
    policy, floatx = keras.mixed_precision.global_policy(), keras.config.floatx()
    keras.config.set_floatx("float64")
    keras.mixed_precision.set_global_policy("float64")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(policy)
        keras.config.set_floatx(floatx)


def compiled_for_sgd(logits_model: Any, learning_rate: float) -> Any:
    """Compile a model that outputs logits as :meth:`NumpyLeNet.sgd_step` trains: plain SGD, mean cross-entropy."""
    logits_model.compile(keras.optimizers.SGD(learning_rate),
                         keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return logits_model


@dataclass(frozen=True)
class SideBySide:
    """Two trainings of one network from the same weights on the same batches: each step's loss, and the time."""

    numpy_losses: np.ndarray
    keras_losses: np.ndarray
    numpy_seconds: float
    keras_seconds: float
    weight_gap: float  # the largest |difference| between any weight of the two networks at the end

    @property
    def loss_gaps(self) -> np.ndarray:
        """|NumPy loss - Keras loss| at every step."""
        return np.abs(self.numpy_losses - self.keras_losses)


def batch_order(n: int, batch_size: int, steps: int, seed: int = 0) -> list[np.ndarray]:
    """The indices of ``steps`` batches drawn without replacement from ``n`` examples, reshuffled each epoch.

    Example:
        >>> [b.tolist() for b in batch_order(4, 2, 3, seed=0)]   # epoch 1: [2, 0], [1, 3]; epoch 2 begins
        [[2, 0], [1, 3], [3, 2]]
    """
    rng = np.random.default_rng(seed)
    per_epoch = n // batch_size
    if per_epoch == 0:
        raise ValueError(f"batch_size {batch_size} is larger than the {n} examples")
    batches: list[np.ndarray] = []
    while len(batches) < steps:
        order = rng.permutation(n)
        batches += [order[i * batch_size:(i + 1) * batch_size] for i in range(per_epoch)]
    return batches[:steps]


def train_side_by_side(net: NumpyLeNet, logits_model: Any, x: np.ndarray, y: np.ndarray, *, batch_size: int,
                       steps: int, learning_rate: float, seed: int = 0) -> SideBySide:
    """Train ``net`` and ``logits_model`` (which must start from the same weights: :meth:`NumpyLeNet.from_keras`)
    with plain SGD on the same ``steps`` batches; return both loss curves, the time each took and the weight gap.

    ``x`` is (N, 32, 32, 1) float32 in [0, 1] (:func:`as_lenet_input`); Keras sees it as it is, NumPy in
    float64. ``logits_model`` is compiled here (:func:`compiled_for_sgd`); each step is one
    ``train_on_batch``, whose loss is the batch's before the update, as :meth:`NumpyLeNet.sgd_step` returns.
    """
    compiled_for_sgd(logits_model, learning_rate)
    numpy_losses, keras_losses, numpy_seconds, keras_seconds = [], [], 0.0, 0.0
    for index in batch_order(len(x), batch_size, steps, seed):
        start = time.perf_counter()
        numpy_losses.append(net.sgd_step(x[index], y[index], learning_rate))
        middle = time.perf_counter()
        logits_model.reset_metrics()  # Keras 3.10 returns the mean loss since the last reset, not this batch's
        keras_losses.append(float(logits_model.train_on_batch(x[index], y[index])))
        numpy_seconds, keras_seconds = numpy_seconds + middle - start, keras_seconds + time.perf_counter() - middle
    gap = max(float(np.max(np.abs(ours - np.asarray(theirs, np.float64))))
              for name in LAYERS for ours, theirs in zip(net.weights[name], logits_model.get_layer(name).get_weights()))
    return SideBySide(np.array(numpy_losses), np.array(keras_losses), numpy_seconds, keras_seconds, gap)


def accuracy(net: NumpyLeNet, x: np.ndarray, y: np.ndarray, batch_size: int = 500) -> float:
    """The share of ``x`` (N, 32, 32, 1) that ``net`` classifies as ``y``, computed ``batch_size`` images at a time."""
    right = sum(int(np.sum(net.logits(x[i:i + batch_size]).argmax(axis=1) == y[i:i + batch_size]))
                for i in range(0, len(x), batch_size))
    return right / len(x)


@dataclass(frozen=True)
class Speed:
    """One implementation's training rate on a batch: images/s, GFLOP/s and the share of a matmul rate."""

    name: str
    images_per_second: float
    gflops: float
    matmul_gflops: float  # the yardstick: this machine's matmul rate in the implementation's library and dtype
    yardstick: str

    @property
    def share_of_matmul(self) -> float:
        return self.gflops / self.matmul_gflops


def _stepping(step: Callable[[np.ndarray, np.ndarray], Any], x: np.ndarray, y: np.ndarray) -> Iterator[tuple]:
    """An endless series of (x, y), one training step on them before each: what images_per_second times."""
    while True:
        step(x, y)
        yield x, y


def training_speeds(logits_model: Any, x: np.ndarray, y: np.ndarray, learning_rate: float = 0.01,
                    min_seconds: float = 1.0) -> list[Speed]:
    """Training steps per second on one batch (x, y) by three implementations of the same LeNet: the loop
    convolution and im2col (NumPy, float64) and Keras (``train_on_batch``, in the model's dtype), each as images/s and
    GFLOP/s (:func:`course_utils.machine.achieved_gflops`: 6 FLOPs per forward MAC) against the matmul rate of
    its own library and dtype, measured here. Sustained: median of three windows of ``min_seconds``
    (:func:`course_utils.pipelines.images_per_second`). The networks are copies: ``logits_model`` keeps its weights.
    """
    macs = tracing.trace(logits_model).total_macs
    start = NumpyLeNet.from_keras(logits_model).weights
    keras_copy = compiled_for_sgd(keras.models.clone_model(logits_model), learning_rate)
    keras_copy.set_weights(logits_model.get_weights())
    candidates = (
        ("NumPy, loop convolution", NumpyLeNet(dict(start), scratch.conv2d, scratch.conv2d_backward).sgd_step,
         ("numpy", "float64")),
        ("NumPy, im2col", NumpyLeNet(dict(start)).sgd_step, ("numpy", "float64")),
        ("Keras (TensorFlow)", lambda a, b: keras_copy.train_on_batch(a, b),
         ("tensorflow", str(logits_model.get_layer("C1").compute_dtype))),  # float32 unless built in keras_float64
    )
    speeds = []
    for name, step, (library, dtype) in candidates:
        fit = step if library == "tensorflow" else (lambda a, b, step=step: step(a, b, learning_rate))
        rate = pipelines.images_per_second(_stepping(fit, x, y), warmup=1, min_seconds=min_seconds)
        speeds.append(Speed(name, rate, machine.achieved_gflops(macs, rate),
                            machine.matmul_gflops(min_seconds=min_seconds, library=library, dtype=dtype),
                            f"{library} {dtype} matmul"))
    return speeds


@dataclass(frozen=True)
class LayerGradients:
    """One layer's gradients from the NumPy backward passes and from ``tf.GradientTape``: shapes and largest gaps."""

    layer: str
    kernel_shape: tuple[int, ...]
    kernel_gap: float
    bias_gap: float
    kernel_scale: float  # the largest |gradient| of the kernel: what the gap is small against


def compare_with_tape(net: NumpyLeNet, logits_model: Any, x: np.ndarray, y: np.ndarray) -> list[LayerGradients]:
    """The gradients of the mean cross-entropy on one batch, layer by layer: :meth:`NumpyLeNet.loss_and_gradients`
    against ``tf.GradientTape`` on ``logits_model`` (which must hold the same weights). Build the model inside
    :func:`keras_float64` for agreement to rounding (about 1e-15); in float32 the tape is about 1e-7 off.

    Example:
        >>> from course_utils.models import lenet5_logits
        >>> with keras_float64():
        ...     model = lenet5_logits()
        ...     rows = compare_with_tape(NumpyLeNet.from_keras(model), model, np.zeros((2, 32, 32, 1)), np.array([0, 1]))
        >>> [r.layer for r in rows], max(r.kernel_gap for r in rows) < 1e-12
        (['C1', 'C3', 'C5', 'F6', 'logits'], True)
    """
    _, ours = net.loss_and_gradients(x, y)
    variables = [v for name in LAYERS for v in (logits_model.get_layer(name).kernel, logits_model.get_layer(name).bias)]
    with tf.GradientTape() as tape:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, logits_model(x, training=True))
    theirs = [np.asarray(g) for g in tape.gradient(loss, variables)]
    rows = []
    for i, name in enumerate(LAYERS):
        d_kernel, d_bias = ours[name]
        rows.append(LayerGradients(name, d_kernel.shape, float(np.max(np.abs(d_kernel - theirs[2 * i]))),
                                   float(np.max(np.abs(d_bias - theirs[2 * i + 1]))), float(np.max(np.abs(d_kernel)))))
    return rows
