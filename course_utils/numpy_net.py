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

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import scratch

CONVS = ("C1", "C3", "C5")
DENSES = ("F6", "logits")
LAYERS = CONVS + DENSES


@dataclass
class NumpyLeNet:
    """The weights ``{layer: (kernel, bias)}`` in Keras' layouts, float64, and the convolution used (forward, backward).

    ``conv`` and ``conv_backward`` default to the im2col versions (one matrix product each); the loop
    versions (:func:`course_utils.scratch.conv2d`, :func:`course_utils.scratch.conv2d_backward`) compute
    the same numbers, more slowly.
    """

    weights: dict[str, tuple[np.ndarray, np.ndarray]]
    conv: Callable[..., np.ndarray] = field(default=scratch.conv2d_im2col, repr=False)
    conv_backward: Callable[..., tuple] = field(default=scratch.conv2d_im2col_backward, repr=False)

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
        loss, d = scratch.softmax_cross_entropy(logits, y)
        grads: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name, saved in reversed(cache):
            if name == "pool":
                d = scratch.max_pool2d_backward(d, saved, 2)
            elif name == "flatten":
                d = d.reshape(saved)
            elif name in DENSES:
                a, z = saved
                if name != "logits":
                    d = scratch.relu_backward(d, z)
                d, d_kernel, d_bias = scratch.dense_backward(d, a, self.weights[name][0])
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
